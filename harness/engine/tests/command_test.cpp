// SPDX-License-Identifier: MIT
// Replay tokens must reproduce exactly the case they were made from, and a
// damaged token must be refused rather than replay something else.
#include "emmi/engine/command.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

using namespace emmi::engine;

namespace {
rc::Gen<Command> any_command() {
  return rc::gen::build<Command>(
      // Every kind there is (stray-message included).
      rc::gen::set(&Command::kind,
                   rc::gen::map(rc::gen::inRange<int>(0, static_cast<int>(CommandKind::kind_count)),
                                [](int k) { return static_cast<CommandKind>(k); })),
      rc::gen::set(&Command::kernel, rc::gen::inRange<std::uint8_t>(0, 8)),
      rc::gen::set(&Command::object, rc::gen::inRange<std::uint8_t>(0, 8)),
      rc::gen::set(&Command::other_kernel, rc::gen::inRange<std::uint8_t>(0, 8)),
      rc::gen::set(&Command::page, rc::gen::arbitrary<std::uint16_t>()),
      rc::gen::set(&Command::write, rc::gen::arbitrary<bool>()),
      rc::gen::set(&Command::dirty, rc::gen::arbitrary<bool>()));
}
}  // namespace

RC_GTEST_PROP(ReplayToken, RoundTripsExactly, ()) {
  CaseSpec spec;
  spec.commands = *rc::gen::container<std::vector<Command>>(any_command());
  spec.schedule_seed = *rc::gen::arbitrary<std::uint64_t>();
  spec.strategy = *rc::gen::element(emmi::mach::Strategy::pct, emmi::mach::Strategy::random_walk);
  spec.pct_depth = *rc::gen::arbitrary<std::uint8_t>();
  auto token = encode_replay_token(spec);
  RC_ASSERT(token.rfind("emmi2:", 0) == 0u);
  auto back = decode_replay_token(token);
  RC_ASSERT(back.has_value());
  RC_ASSERT(*back == spec);
}

TEST(ReplayToken, DamagedTokensAreRefused) {
  CaseSpec spec{{{CommandKind::map, 1, 0}, {CommandKind::fault, 1, 0, 0, 3, true}}, 42};
  auto token = encode_replay_token(spec);
  EXPECT_FALSE(decode_replay_token(""));
  EXPECT_FALSE(decode_replay_token("emmi1:" + token.substr(6)));
  EXPECT_FALSE(decode_replay_token("emmi3:" + token.substr(6)));
  EXPECT_FALSE(decode_replay_token(token.substr(0, token.size() - 3)));
  EXPECT_FALSE(decode_replay_token(token + "AAAA"));
  EXPECT_FALSE(decode_replay_token(token + "*"));
  // A strategy this version does not know.
  CaseSpec odd = spec;
  odd.strategy = static_cast<emmi::mach::Strategy>(7);
  EXPECT_FALSE(decode_replay_token(encode_replay_token(odd)));
}

TEST(Command, DescriptionsNameKernelObjectAndPage) {
  EXPECT_EQ(describe({CommandKind::fault, 1, 0, 0, 3, true}), "fault k1 o0 page 3 write");
  EXPECT_EQ(describe({CommandKind::map_while_unmap, 0, 1, 2}), "unmap k0 o1 + map k2 o1");
  EXPECT_EQ(describe({CommandKind::evict, 2, 1, 0, 0, false, true}), "evict k2 o1 page 0 dirty");
}
