// SPDX-License-Identifier: MIT
// Rule coverage of a case; see coverage.h.
#include "coverage.h"

#include "case_record.h"

namespace emmi::engine {

void Coverage::count(const std::vector<std::string_view>& checked,
                     const std::vector<std::string_view>& unjudged) {
  for (std::string_view rule : checked) ++counts_[std::string(rule)];
  for (std::string_view rule : unjudged) ++unjudged_[std::string(rule)];
}

void Coverage::write(RecordWriter& out) const {
  for (const auto& [rule, n] : counts_) out.write(encode_record(record::Exercised{rule, n}));
  for (const auto& [rule, n] : unjudged_)
    out.write(encode_record(record::Exercised{rule, n, true}));
}

}  // namespace emmi::engine
