// SPDX-License-Identifier: MIT
// emmi-cts prove's library side: choosing proofs, the summary that becomes
// the exit code, and the text and JSON renderings.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "emmi/smt/report.h"

namespace emmi::smt {
namespace {

TEST(ProveRun, UnknownProofIsRejectedByName) {
  const std::vector<std::string> ids{"no_such_proof"};
  try {
    run_proofs(ids, ProofOptions{});
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("no_such_proof"), std::string::npos);
  }
}

TEST(ProveRun, ChosenProofsRunInOrderOnTwoJobs) {
  const std::vector<std::string> ids{"no_request_before_ready", "init_terminate_order"};
  const ProveRun run = run_proofs(ids, ProofOptions{}, 2);
  ASSERT_EQ(run.results.size(), 2u);
  EXPECT_EQ(run.jobs, 2u);
  EXPECT_EQ(run.results[0].rules, std::vector<std::string_view>{"RD1"});
  EXPECT_EQ(run.results[1].rules, (std::vector<std::string_view>{"IN1", "TM8"}));
  EXPECT_EQ(summarise(run), Summary::all_proved);

  const std::string text = results_text(run, true);
  EXPECT_NE(text.find("proved   no_request_before_ready"), std::string::npos) << text;
  EXPECT_NE(text.find("rlimit count"), std::string::npos) << text;
  EXPECT_NE(text.find("auxiliary:"), std::string::npos) << text;
  EXPECT_NE(text.find("2 of 2 proofs proved"), std::string::npos) << text;

  const auto json = nlohmann::json::parse(results_json(run));
  ASSERT_EQ(json["proofs"].size(), 2u);
  EXPECT_EQ(json["proofs"][1]["outcome"], "proved");
  EXPECT_EQ(json["proofs"][1]["rules"], (nlohmann::json{"IN1", "TM8"}));
  EXPECT_GT(json["proofs"][1]["rlimit_count"].get<std::uint64_t>(), 0u);
  EXPECT_FALSE(json["proofs"][0]["auxiliary"].empty());
}

TEST(ProveRun, AFailedProofIsNotProvedAndShowsItsCounterexample) {
  ProofOptions broken;
  broken.variant.ready_needs_current_control = false;
  const std::vector<std::string> ids{"no_request_before_ready"};
  const ProveRun run = run_proofs(ids, broken);
  EXPECT_EQ(summarise(run), Summary::not_proved);
  const std::string text = results_text(run, false);
  EXPECT_NE(text.find("failed"), std::string::npos);
  EXPECT_NE(text.find("pre-state:"), std::string::npos) << text;
  EXPECT_NE(text.find("post-state"), std::string::npos) << text;
  const auto json = nlohmann::json::parse(results_json(run));
  EXPECT_EQ(json["proofs"][0]["counterexample"]["check"], "step: ControlCalled");
}

TEST(ProveRun, UnknownIsNotProvedAndAnErrorIsASolverError) {
  ProveRun run;
  run.results.resize(2);
  run.results[0].outcome = Outcome::proved;
  run.results[1].outcome = Outcome::unknown;
  EXPECT_EQ(summarise(run), Summary::not_proved);
  run.results[0].outcome = Outcome::error;
  EXPECT_EQ(summarise(run), Summary::solver_error);
}

}  // namespace
}  // namespace emmi::smt
