// SPDX-License-Identifier: MIT
// Waivers files: every fault is an emmi::InputError naming the file, and an
// "expires" date must be a real day of the calendar.
#include "emmi/engine/waivers.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "emmi/errors.h"

namespace {

std::string write_file(const std::string& name, const std::string& text) {
  std::string path = ::testing::TempDir() + name;
  std::ofstream(path) << text;
  return path;
}

std::string waiver_expiring(const std::string& date) {
  return R"({"waivers": [{"rule": "SQ7", "reason": "known", "expires": ")" + date + "\"}]}";
}

}  // namespace

TEST(Waivers, ExpiryDatesFollowTheCalendar) {
  for (const char* date : {"2024-02-29", "2000-02-29", "2099-12-31", "2099-04-30"}) {
    std::string path = write_file("waivers_ok.json", waiver_expiring(date));
    auto entries = emmi::engine::read_waivers(path);
    ASSERT_EQ(entries.size(), 1u) << date;
    EXPECT_EQ(entries[0].expires, date);
    std::remove(path.c_str());
  }
  for (const char* date : {"2100-02-29", "2023-02-29", "2099-02-30", "2099-04-31", "2099-13-01",
                           "2099-00-10", "2099-01-00", "2099-1-01", "20990101x"}) {
    std::string path = write_file("waivers_bad_date.json", waiver_expiring(date));
    try {
      emmi::engine::read_waivers(path);
      ADD_FAILURE() << date << " was accepted";
    } catch (const emmi::InputError& e) {
      EXPECT_EQ(e.input(), path);
      EXPECT_NE(std::string(e.what()).find("not a date YYYY-MM-DD"), std::string::npos) << e.what();
    }
    std::remove(path.c_str());
  }
}

TEST(Waivers, AnUnreadableFileIsAnInputErrorNamingIt) {
  const std::string path = ::testing::TempDir() + "no_such_waivers.json";
  try {
    emmi::engine::read_waivers(path);
    FAIL() << "a missing file was read";
  } catch (const emmi::InputError& e) {
    EXPECT_EQ(e.input(), path);
    EXPECT_EQ(std::string(e.what()), "--waivers '" + path + "': cannot read the file");
  }
}
