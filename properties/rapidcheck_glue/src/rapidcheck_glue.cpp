// SPDX-License-Identifier: MIT
// Every use of RapidCheck's rc::detail in the project; see rapidcheck_glue.h.
#include "emmi/properties/rapidcheck_glue.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <sstream>
#include <unordered_map>

#include <rapidcheck.h>
#include <rapidcheck/detail/Configuration.h>

// RapidCheck's own encoding of reproduce strings (the RC_PARAMS="reproduce=..."
// form it prints); defined in librapidcheck, not declared in its public headers.
namespace rc::detail {
std::string reproduceMapToString(const std::unordered_map<std::string, Reproduce>& map);
}

namespace emmi::properties {

namespace {

class QuietListener final : public rc::detail::TestListener {
 public:
  void onTestCaseFinished(const rc::detail::CaseDescription&) override {}
  void onShrinkTried(const rc::detail::CaseDescription&, bool) override {}
  void onTestFinished(const rc::detail::TestMetadata&, const rc::detail::TestResult&) override {}
};

}  // namespace

PropertyResult check_property(std::string_view id, const std::function<void()>& property,
                              const PropertyParams& p) {
  rc::detail::TestParams params;
  if (p.from_environment) params = rc::detail::configuration().testParams;
  if (p.seed) params.seed = *p.seed;
  if (p.max_success) params.maxSuccess = *p.max_success;
  if (p.max_size) params.maxSize = *p.max_size;
  if (p.max_discard_ratio) params.maxDiscardRatio = *p.max_discard_ratio;
  if (!p.shrink) params.disableShrinking = true;
  rc::detail::TestMetadata metadata;
  metadata.id = std::string(id);
  metadata.description = metadata.id;
  const auto prop = rc::detail::toProperty(property);
  QuietListener quiet;
  const rc::detail::TestResult result = p.quiet ? rc::detail::checkProperty(prop, metadata, params,
                                                                            quiet)
                                                : rc::detail::checkProperty(prop, metadata, params);
  PropertyResult out;
  rc::detail::FailureResult failure;
  if (result.match(failure)) {
    out.outcome = PropertyResult::Outcome::failed;
    out.description = failure.description;
    out.reproduce = rc::detail::reproduceMapToString({{metadata.id, failure.reproduce}});
  } else if (!result.is<rc::detail::SuccessResult>()) {
    out.outcome = PropertyResult::Outcome::gave_up;
  }
  if (!out.passed()) {
    std::ostringstream report;
    rc::detail::printResultMessage(result, report);
    out.report = report.str();
  }
  return out;
}

void load_configuration_quietly() {
  std::fflush(stderr);
  int saved = ::dup(STDERR_FILENO);
  int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (saved >= 0 && null >= 0) ::dup2(null, STDERR_FILENO);
  (void)rc::detail::configuration();
  std::fflush(stderr);
  if (saved >= 0) {
    ::dup2(saved, STDERR_FILENO);
    ::close(saved);
  }
  if (null >= 0) ::close(null);
}

}  // namespace emmi::properties
