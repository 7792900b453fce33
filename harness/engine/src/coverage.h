// SPDX-License-Identifier: MIT
// The coverage column of the report: every rule the model says it checked
// on an event (or at quiescence), counted once per event. The model owns
// this knowledge (model::Judgement); the engine keeps no list of its own.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "emmi/engine/isolation.h"

namespace emmi::engine {

class Coverage {
 public:
  // The rules the model checked on one event, and those whose check was
  // due and could not be made (model::Judgement::unjudged).
  void count(const std::vector<std::string_view>& checked,
             const std::vector<std::string_view>& unjudged = {});
  // One record per rule (case_record.h), for the parent.
  void write(RecordWriter& out) const;
  const std::map<std::string, std::uint64_t>& counts() const { return counts_; }

 private:
  std::map<std::string, std::uint64_t> counts_;    // rule -> times checked
  std::map<std::string, std::uint64_t> unjudged_;  // rule -> times not checkable
};

}  // namespace emmi::engine
