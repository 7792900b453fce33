// SPDX-License-Identifier: MIT
// The dialect a pager is judged by: what --dialect (auto by default) makes
// of the pager's emmi_pager_dialects declaration, and which findings a case
// charges in that dialect.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "emmi/engine/engine.h"
#include "emmi/engine/pager_library.h"
#include "emmi/errors.h"
#include "emmi/pager_abi.h"

namespace emmi::engine {
namespace {

PagerLibrary declaring(std::uint32_t mask) {
  PagerLibrary lib;
  lib.path = "/tmp/libexample_pager.so";
  lib.name = "example";
  lib.dialects = mask;
  return lib;
}

// The message of the InputError resolve_dialect throws, or "" when it does not.
std::string refusal(const PagerLibrary& lib, std::string_view requested) {
  try {
    (void)resolve_dialect(lib, requested);
  } catch (const InputError& e) {
    EXPECT_EQ(e.input(), "--dialect");
    return e.what();
  }
  return "";
}

TEST(Dialect, AutoWithoutDeclarationIsPlainGnuMach) {
  EXPECT_EQ(resolve_dialect(declaring(0), "auto"), "gnumach");
}

TEST(Dialect, AutoFollowsTheDeclaration) {
  EXPECT_EQ(resolve_dialect(declaring(EMMI_PAGER_SERVES_GNUMACH), "auto"), "gnumach");
  EXPECT_EQ(resolve_dialect(declaring(EMMI_PAGER_SERVES_GNUMACH_SEQNOS), "auto"), "gnumach-seqnos");
  // Both GNU Mach stubs: the same wire, the stricter rules.
  EXPECT_EQ(resolve_dialect(declaring(EMMI_PAGER_SERVES_GNUMACH | EMMI_PAGER_SERVES_GNUMACH_SEQNOS),
                            "auto"),
            "gnumach-seqnos");
  // A pager serving GNU Mach and OSF is run as a GNU Mach pager by default;
  // --dialect osf runs it against OSF kernels (ExplicitDialectTheDeclarationHasIsUsed).
  EXPECT_EQ(resolve_dialect(declaring(EMMI_PAGER_SERVES_OSF | EMMI_PAGER_SERVES_GNUMACH), "auto"),
            "gnumach");
  EXPECT_EQ(resolve_dialect(declaring(EMMI_PAGER_SERVES_OSF | EMMI_PAGER_SERVES_GNUMACH_SEQNOS),
                            "auto"),
            "gnumach-seqnos");
  // OSF alone: osf.
  EXPECT_EQ(resolve_dialect(declaring(EMMI_PAGER_SERVES_OSF), "auto"), "osf");
}

TEST(Dialect, ExplicitDialectTheDeclarationLacksIsRefusedNamingPagerAndSet) {
  const std::string why = refusal(declaring(EMMI_PAGER_SERVES_GNUMACH_SEQNOS), "gnumach");
  EXPECT_NE(why.find("--dialect 'gnumach'"), std::string::npos) << why;
  EXPECT_NE(why.find("/tmp/libexample_pager.so"), std::string::npos) << why;
  EXPECT_NE(why.find("emmi_pager_dialects declares gnumach-seqnos"), std::string::npos) << why;

  const std::string plain = refusal(declaring(EMMI_PAGER_SERVES_GNUMACH), "gnumach-seqnos");
  EXPECT_NE(plain.find("declares gnumach;"), std::string::npos) << plain;
}

TEST(Dialect, ExplicitDialectTheDeclarationHasIsUsed) {
  const std::uint32_t both = EMMI_PAGER_SERVES_GNUMACH | EMMI_PAGER_SERVES_GNUMACH_SEQNOS;
  EXPECT_EQ(resolve_dialect(declaring(both), "gnumach"), "gnumach");
  EXPECT_EQ(resolve_dialect(declaring(both), "gnumach-seqnos"), "gnumach-seqnos");
  // A pager of both families is testable in each.
  const std::uint32_t gnu_and_osf = EMMI_PAGER_SERVES_GNUMACH_SEQNOS | EMMI_PAGER_SERVES_OSF;
  EXPECT_EQ(resolve_dialect(declaring(gnu_and_osf), "gnumach-seqnos"), "gnumach-seqnos");
  EXPECT_EQ(resolve_dialect(declaring(gnu_and_osf), "osf"), "osf");
  EXPECT_EQ(resolve_dialect(declaring(EMMI_PAGER_SERVES_OSF), "osf"), "osf");
}

// An OSF pager is not judged as a GNU Mach one, nor a GNU Mach pager as an
// OSF one.
TEST(Dialect, OsfAndGnuMachDeclarationsExcludeEachOther) {
  const std::string as_gnu = refusal(declaring(EMMI_PAGER_SERVES_OSF), "gnumach-seqnos");
  EXPECT_NE(as_gnu.find("--dialect 'gnumach-seqnos'"), std::string::npos) << as_gnu;
  EXPECT_NE(as_gnu.find("emmi_pager_dialects declares osf;"), std::string::npos) << as_gnu;
  const std::string as_osf = refusal(declaring(EMMI_PAGER_SERVES_GNUMACH_SEQNOS), "osf");
  EXPECT_NE(as_osf.find("--dialect 'osf'"), std::string::npos) << as_osf;
  EXPECT_NE(as_osf.find("declares gnumach-seqnos;"), std::string::npos) << as_osf;
}

// Pagers from before the declaration may be judged by either GNU Mach dialect.
TEST(Dialect, ExplicitDialectIsAllowedForAPagerThatDeclaresNothing) {
  EXPECT_EQ(resolve_dialect(declaring(0), "gnumach"), "gnumach");
  EXPECT_EQ(resolve_dialect(declaring(0), "gnumach-seqnos"), "gnumach-seqnos");
}

// A pager that declares nothing is a GNU Mach pager: never run as an OSF one.
TEST(Dialect, OsfForAPagerThatDeclaresNothingAndUnknownNamesAreRefused) {
  const std::string undeclared = refusal(declaring(0), "osf");
  EXPECT_NE(undeclared.find("/tmp/libexample_pager.so"), std::string::npos) << undeclared;
  EXPECT_NE(undeclared.find("EMMI_PAGER_SERVES_OSF"), std::string::npos) << undeclared;
  const std::string why = refusal(declaring(0), "cmu");
  EXPECT_NE(why.find("--dialect 'cmu'"), std::string::npos) << why;
  EXPECT_NE(why.find("auto"), std::string::npos) << why;
  EXPECT_NE(why.find("osf"), std::string::npos) << why;
}

TEST(Dialect, DialectsText) {
  EXPECT_EQ(dialects_text(0), "none declared");
  EXPECT_EQ(dialects_text(EMMI_PAGER_SERVES_GNUMACH | EMMI_PAGER_SERVES_GNUMACH_SEQNOS),
            "gnumach, gnumach-seqnos");
  EXPECT_EQ(dialects_text(EMMI_PAGER_SERVES_OSF), "osf");
}

// SQ7 binds the pager only in the SEQNOS dialect; SQ1 is a duty of the
// suite's kernel (a suite bug, kept in every dialect); RT4 applies to all.
CaseOutcome outcome_with_sq7_sq1_rt4() {
  CaseOutcome o;
  o.end = ChildEnd::exited;
  o.verdicts.push_back({"SQ7", model::Party::pager, "handled out of seqno order", 3});
  o.verdicts.push_back({"SQ1", model::Party::kernel, "seqno skipped", 4});
  o.verdicts.push_back({"RT4", model::Party::pager, "stale data", 5});
  return o;
}

std::vector<std::string> rules_of(const std::vector<Finding>& findings) {
  std::vector<std::string> out;
  for (const Finding& f : findings) out.push_back(f.rule);
  return out;
}

TEST(Dialect, PlainGnuMachCasesChargeNoSeqnosDutyOfThePager) {
  const CaseOutcome o = outcome_with_sq7_sq1_rt4();
  EXPECT_EQ(rules_of(judged_findings(o, "gnumach")), (std::vector<std::string>{"SQ1", "RT4"}));
  EXPECT_EQ(rules_of(judged_findings(o, "gnumach-seqnos")),
            (std::vector<std::string>{"SQ7", "SQ1", "RT4"}));
  EXPECT_THROW((void)judged_findings(o, "auto"), InternalError);
}

// The OSF rules are not charged in a GNU Mach run, nor the GNU-Mach-only
// ones (V6: the name port's rights, which OSF has not) in an OSF run.
TEST(Dialect, OsfAndGnuMachRulesDoNotLeakIntoEachOther) {
  CaseOutcome o;
  o.end = ChildEnd::exited;
  o.verdicts.push_back({"SY5", model::Party::pager, "synchronize never answered", 3});
  o.verdicts.push_back({"CA2", model::Party::pager, "count of another flavour", 4});
  o.verdicts.push_back({"V6", model::Party::pager, "name port reference kept", 5});
  o.verdicts.push_back({"RT4", model::Party::pager, "stale data", 6});
  EXPECT_EQ(rules_of(judged_findings(o, "gnumach")), (std::vector<std::string>{"V6", "RT4"}));
  EXPECT_EQ(rules_of(judged_findings(o, "gnumach-seqnos")),
            (std::vector<std::string>{"V6", "RT4"}));
  EXPECT_EQ(rules_of(judged_findings(o, "osf")), (std::vector<std::string>{"SY5", "CA2", "RT4"}));
}

}  // namespace
}  // namespace emmi::engine
