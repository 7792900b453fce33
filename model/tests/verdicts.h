// SPDX-License-Identifier: MIT
// GoogleTest assertions over a Scenario's verdicts, and the small worlds the
// model tests start from.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "emmi/model/rules.h"
#include "scenario.h"

namespace emmi::model::testing {

inline bool is_checked_rule(std::string_view rule) {
  auto rules = checked_rules();
  return std::find(rules.begin(), rules.end(), rule) != rules.end();
}

// Every verdict names a rule of checked_rules().
inline ::testing::AssertionResult AllRulesKnown(const Scenario& s) {
  for (const Verdict& v : s.verdicts())
    if (!is_checked_rule(v.rule))
      return ::testing::AssertionFailure()
             << "rule " << v.rule << " is not in checked_rules(): " << to_string(v);
  return ::testing::AssertionSuccess();
}

// The scenario produced a verdict naming `rule` against `party`.
inline ::testing::AssertionResult Violates(const Scenario& s, std::string_view rule, Party party) {
  if (auto known = AllRulesKnown(s); !known) return known;
  if (s.has(rule, party)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "expected " << rule << " [" << to_string(party) << "], got:\n"
         << s.summary();
}

// The scenario produced no verdict at all.
inline ::testing::AssertionResult Conforms(const Scenario& s) {
  if (s.verdicts().empty()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "expected no verdict, got:\n" << s.summary();
}

// One object of 64 KiB, kernel 0 with 4 KiB pages; the pager dequeued init
// (thread 1) and made the object ready.
inline Scenario ready_world(Size page_size = 0x1000) {
  Scenario s(WorldConfig{1, 0x10000});
  s.attach(0, page_size).offer(0).map(0, 0).dequeue(1, 0).ready(1, 0, 0).ret(1);
  return s;
}

// ready_world(page_size) where kernel 0 faulted page 0 and thread 2 answers
// with `call` over [offset, offset + size) (supplies carry the pager's data).
inline Scenario answered_world(ControlCall call, Size size, Offset offset = 0,
                               Size page_size = 0x4000) {
  Scenario s = ready_world(page_size);
  s.fault(0, 0, 0).dequeue(2, 0);
  if (call == ControlCall::data_supply)
    s.supply(2, 0, 0, offset, size);
  else
    s.call_on(2, call, s.control(0, 0), offset, size);
  return s.ret(2);
}

// One object of 64 KiB mapped by kernel 0 (page size ps0) and kernel 1
// (page size ps1), both ready.
inline Scenario two_kernel_world(Size ps0, Size ps1) {
  Scenario s(WorldConfig{1, 0x10000});
  s.attach(0, ps0).attach(1, ps1).offer(0);
  s.map(0, 0).dequeue(1, 0).ready(1, 0, 0).ret(1);
  s.map(0, 1).dequeue(1, 0).ready(1, 0, 1).ret(1);
  return s;
}

}  // namespace emmi::model::testing
