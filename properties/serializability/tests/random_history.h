// SPDX-License-Identifier: MIT
// Random SQ7 histories for property tests: the serializability tests here and
// the harness's record-codec tests (harness/engine/tests/history_codec_test.cpp)
// draw from the same generator.
#pragma once

#include <rapidcheck.h>

#include <vector>

#include "emmi/properties/serializability.h"

namespace emmi::properties {

// A random history: up to 11 messages on one or two ports, up to 23 effects
// on four blocks.
inline History random_history() {
  const auto messages = *rc::gen::inRange<std::size_t>(1, 12);
  const auto ports = *rc::gen::inRange<std::size_t>(1, 3);
  History h;
  std::vector<model::Seqno> next(ports, 0);
  for (std::size_t m = 0; m < messages; ++m) {
    auto p = *rc::gen::inRange<std::size_t>(0, ports);
    h.messages.push_back(
        {static_cast<model::PortName>(0x100 + p), next[p]++, model::MessageKind::data_request, m});
  }
  const auto effects = *rc::gen::inRange<std::size_t>(0, 24);
  for (std::size_t e = 0; e < effects; ++e) {
    h.effects.push_back({*rc::gen::inRange<std::size_t>(0, messages),
                         resource_of_block(0, *rc::gen::inRange<std::uint64_t>(0, 4) * 4096), e,
                         *rc::gen::arbitrary<bool>()});
  }
  return h;
}

}  // namespace emmi::properties
