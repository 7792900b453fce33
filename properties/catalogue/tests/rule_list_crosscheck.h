// SPDX-License-Identifier: MIT
// Shared checks for a component that publishes the rule IDs it covers (the
// model's checked_rules(), the SMT proofs' proved_rules()): the list and the
// rules the catalogue marks with that component's method must be the same.
#pragma once

#include <set>
#include <span>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "emmi/catalogue/catalogue.h"

namespace emmi::catalogue::testing {

// Every listed ID is a catalogue rule.
inline void expect_all_known(std::span<const std::string_view> listed, std::string_view component) {
  for (std::string_view id : listed)
    EXPECT_NE(Catalogue::builtin().find(id), nullptr) << component << " names unknown rule " << id;
}

// Every rule marked with `method` is listed.
inline void expect_marked_are_listed(std::span<const std::string_view> listed, Method method,
                                     std::string_view component) {
  std::set<std::string, std::less<>> covered(listed.begin(), listed.end());
  for (const Rule& r : Catalogue::builtin().rules()) {
    if (r.check.uses(method)) {
      EXPECT_TRUE(covered.contains(r.id)) << r.id << " is marked \"" << to_string(method)
                                          << "\" but " << component << " does not cover it";
    }
  }
}

// Every listed rule is marked with `method`.
inline void expect_listed_are_marked(std::span<const std::string_view> listed, Method method,
                                     std::string_view component) {
  for (std::string_view id : listed) {
    const Rule* r = Catalogue::builtin().find(id);
    if (r == nullptr) continue;  // reported by expect_all_known
    EXPECT_TRUE(r->check.uses(method))
        << id << " is covered by " << component << " but not marked \"" << to_string(method) << '"';
  }
}

}  // namespace emmi::catalogue::testing
