// SPDX-License-Identifier: MIT
// The X-note readings (WorldConfig::readings): under the manual's reading an
// unsolicited supply (X6) or a release of a right not held (X18) is a
// violation; under GNU Mach's it is still reported, marked as a portability
// finding, so no report drops it silently.
#include <gtest/gtest.h>

#include "scenario.h"
#include "verdicts.h"

namespace emmi::model::testing {
namespace {

WorldConfig world(Reading x6, Reading x18) {
  WorldConfig c{1, 0x10000};
  c.readings.unsolicited_supply = x6;
  c.readings.unknown_name_release = x18;
  return c;
}

// Kernel 0 (4 KiB pages) faulted page 0; the pager supplies pages 0 and 1.
Scenario supply_ahead(const WorldConfig& c) {
  Scenario s(c);
  s.attach(0, 0x1000).offer(0).map(0, 0).dequeue(1, 0).ready(1, 0, 0).ret(1);
  s.fault(0, 0, 0).dequeue(2, 0).supply(2, 0, 0, 0, 0x2000).ret(2);
  return s;
}

const Verdict* find(const Scenario& s, std::string_view rule) {
  for (const Verdict& v : s.verdicts())
    if (v.rule == rule) return &v;
  return nullptr;
}

TEST(Readings, UnsolicitedSupplyIsAViolationUnderTheManualsReading) {
  Scenario s = supply_ahead(world(Reading::manual, Reading::manual));
  const Verdict* v = find(s, "SU1");
  ASSERT_NE(v, nullptr) << s.summary();
  EXPECT_TRUE(v->portability.empty()) << to_string(*v);
}

TEST(Readings, UnsolicitedSupplyIsAPortabilityFindingUnderGnuMachsReading) {
  Scenario s = supply_ahead(world(Reading::gnumach, Reading::manual));
  const Verdict* v = find(s, "SU1");
  ASSERT_NE(v, nullptr) << "a portability finding must still be reported\n" << s.summary();
  EXPECT_EQ(v->portability, "X6");
  EXPECT_NE(to_string(*v).find("portability: X6"), std::string::npos);
  EXPECT_EQ(s.verdicts().size(), 1u) << s.summary();
}

TEST(Readings, ReleaseOfARightNotHeldFollowsTheX18Reading) {
  for (Reading r : {Reading::manual, Reading::gnumach}) {
    Scenario s(world(Reading::manual, r));
    s.attach(0, 0x1000).offer_with(0, Disposition::move_send, 1);
    s.deallocate(1, s.port(0));
    const Verdict* v = find(s, "V3");
    ASSERT_NE(v, nullptr) << to_string(r) << '\n' << s.summary();
    EXPECT_EQ(v->portability, r == Reading::gnumach ? "X18" : "") << to_string(*v);
    EXPECT_FALSE(s.has_party(Party::suite)) << s.summary();
  }
}

TEST(Readings, TheDefaultIsTheManualsReading) {
  const WorldConfig c;
  EXPECT_EQ(c.readings.unsolicited_supply, Reading::manual);
  EXPECT_EQ(c.readings.unknown_name_release, Reading::manual);
}

}  // namespace
}  // namespace emmi::model::testing
