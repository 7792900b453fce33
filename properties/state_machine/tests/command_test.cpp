// SPDX-License-Identifier: MIT
// What a counterexample prints for a command: its kind's name, the kernel,
// the object and the page.
#include "emmi/properties/command.h"

#include <gtest/gtest.h>

using namespace emmi::properties;

TEST(Command, DescriptionsNameKernelObjectAndPage) {
  EXPECT_EQ(describe({CommandKind::fault, 1, 0, 0, 3, true}), "fault k1 o0 page 3 write");
  EXPECT_EQ(describe({CommandKind::map_while_unmap, 0, 1, 2}), "unmap k0 o1 + map k2 o1");
  EXPECT_EQ(describe({CommandKind::evict, 2, 1, 0, 0, false, true}), "evict k2 o1 page 0 dirty");
}
