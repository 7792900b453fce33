// SPDX-License-Identifier: MIT
// The exception roots: what the command line relies on when it maps an
// exception to an exit code.
#include "emmi/errors.h"

#include <gtest/gtest.h>

#include <type_traits>

TEST(Errors, InputErrorNamesItsInputAndKeepsTheMessage) {
  try {
    throw emmi::InputError("--shard", "--shard '4/3': expected I/N with 1 <= I <= N, e.g. 2/3");
  } catch (const std::runtime_error& e) {
    auto* input = dynamic_cast<const emmi::InputError*>(&e);
    ASSERT_NE(input, nullptr);
    EXPECT_EQ(input->input(), "--shard");
    EXPECT_STREQ(e.what(), "--shard '4/3': expected I/N with 1 <= I <= N, e.g. 2/3");
  }
}

TEST(Errors, TheTwoRootsAreUnrelated) {
  // A handler for one root must never catch the other: exit codes 2 and 3
  // would be confused.
  static_assert(!std::is_base_of_v<emmi::InputError, emmi::InternalError>);
  static_assert(!std::is_base_of_v<emmi::InternalError, emmi::InputError>);
  bool caught_as_input = false;
  try {
    throw emmi::InternalError("a search worker failed");
  } catch (const emmi::InputError&) {
    caught_as_input = true;
  } catch (const emmi::InternalError& e) {
    EXPECT_STREQ(e.what(), "a search worker failed");
  }
  EXPECT_FALSE(caught_as_input);
}
