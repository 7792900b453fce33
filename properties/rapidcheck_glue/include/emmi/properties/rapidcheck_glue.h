// SPDX-License-Identifier: MIT
// The one place the project reaches into RapidCheck's rc::detail: running a
// property with parameters chosen by the caller (not by RC_PARAMS alone),
// with or without RapidCheck's own reporting, and reading the outcome and
// the reproduce string of a failure. RapidCheck's public API offers this
// only through RC_GTEST_PROP/rc::check, which print and read the
// environment; the engine's search and the differential property need the
// run itself.
//
// Depends on RapidCheck and the standard library only, so both the engine
// (harness/) and the properties' own tests use it with every arrow pointing
// down.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace emmi::properties {

struct PropertyParams {
  // Start from RapidCheck's configuration (RC_PARAMS) instead of its
  // defaults; the fields below override either.
  bool from_environment = false;
  std::optional<std::uint64_t> seed;
  std::optional<int> max_success;
  std::optional<int> max_size;
  std::optional<int> max_discard_ratio;
  bool shrink = true;
  // Tell RapidCheck's global listener nothing (it announces failures to
  // reproduce); quiet runs report only through the result.
  bool quiet = false;
};

struct PropertyResult {
  enum class Outcome { passed, failed, gave_up } outcome = Outcome::passed;
  std::string description;  // a failure's message (what RC_FAIL or an assertion said)
  // For a failure: RapidCheck's reproduce string for this property (the
  // value of RC_PARAMS="reproduce=...").
  std::string reproduce;
  // RapidCheck's own report of the run, when it did not pass.
  std::string report;

  bool passed() const { return outcome == Outcome::passed; }
  bool failed() const { return outcome == Outcome::failed; }
};

// Runs `property` (a body that draws with *gen and fails with RC_ASSERT,
// RC_FAIL, ...) as the property named `id`.
PropertyResult check_property(std::string_view id, const std::function<void()>& property,
                              const PropertyParams& params);

// Reads RapidCheck's configuration now, with stderr silenced: RapidCheck
// announces it there the first time, noise on a caller that passes every
// parameter explicitly.
void load_configuration_quietly();

}  // namespace emmi::properties
