// SPDX-License-Identifier: MIT
// What the case child's fault handler says about a touch of withdrawn pages
// (pages a message of the pager's sent with deallocate TRUE took away;
// emmi/mach/withdrawn.h): offsets into the pages rather than addresses, so
// that a replay gives the same sentence, and the message by the name the
// model gives a control call, or by its id.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "child_main.h"

using namespace emmi;

TEST(WithdrawnNote, ASupplysPagesAreNamedByTheCallWithItsOffsetAndSize) {
  mach::WithdrawnPages w;
  w.start = 0x7f0000010000;
  w.end = 0x7f0000012000;
  w.msg_id = 2044;
  w.has_offset = true;
  w.call = model::ControlCall::data_supply;
  w.offset = 0x3000;
  w.size = 0x2000;
  std::memcpy(w.rule, "SU10", 5);
  engine::FaultNote note;
  engine::describe_withdrawn_pages(w, w.start + 0x1010, note);
  EXPECT_STREQ(note.rule, "SU10");
  EXPECT_STREQ(note.text,
               "byte 0x1010 of the 0x2000 bytes of pages it had sent with deallocate TRUE in "
               "memory_object_data_supply (offset 0x3000 size 0x2000), which left its address "
               "space with the message");
}

TEST(WithdrawnNote, OtherMessagesAreNamedByTheirIdAndBreakNoRule) {
  mach::WithdrawnPages w;
  w.start = 0x10000;
  w.end = 0x11000;
  w.msg_id = 3001;
  engine::FaultNote note;
  engine::describe_withdrawn_pages(w, w.start, note);
  EXPECT_STREQ(note.rule, "");
  EXPECT_STREQ(note.text,
               "byte 0x0 of the 0x1000 bytes of pages it had sent with deallocate TRUE in "
               "message id 3001, which left its address space with the message");
  w.msg_id = -7;
  engine::describe_withdrawn_pages(w, w.start, note);
  EXPECT_NE(std::string(note.text).find("in message id -7,"), std::string::npos) << note.text;
}

// The text stays within the note, cut short rather than overrun.
TEST(WithdrawnNote, ALongSentenceIsCutToTheNote) {
  mach::WithdrawnPages w;
  w.start = 0;
  w.end = ~std::uint64_t{0};
  w.has_offset = true;
  w.call = model::ControlCall::synchronize_completed;
  w.offset = ~std::uint64_t{0};
  w.size = ~std::uint64_t{0};
  engine::FaultNote note;
  engine::describe_withdrawn_pages(w, ~std::uint64_t{0} - 1, note);
  EXPECT_LT(std::strlen(note.text), sizeof note.text);
}
