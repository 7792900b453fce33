// SPDX-License-Identifier: MIT
// The Z3 helper process answers as Z3 in this process does, and a helper that
// dies costs one unanswered question, never the suite.
#include "emmi/engine/oracle.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace emmi;
using namespace emmi::engine;

namespace {

History chain(bool crossing) {
  // Two messages on one port; with `crossing`, the later one's effect on
  // block 0 comes first and the earlier one's after it.
  History h;
  h.messages.push_back({0x100, 0, model::MessageKind::data_return, 0});
  h.messages.push_back({0x100, 1, model::MessageKind::data_request, 1});
  h.effects.push_back({crossing ? 1u : 0u, resource_of_block(0, 0), 2});
  h.effects.push_back({crossing ? 0u : 1u, resource_of_block(0, 0), 3});
  return h;
}

}  // namespace

TEST(Oracle, AnswersAsZ3InThisProcessDoes) {
  SerializabilityOracle oracle;
  EXPECT_EQ(oracle.check(chain(false)), std::optional<bool>(true));
  EXPECT_EQ(oracle.check(chain(true)), std::optional<bool>(false));
  EXPECT_EQ(check_seqno_serializable_z3(chain(true)), std::optional<bool>(false));
}

TEST(Oracle, AHelperThatDiedIsReplacedOnTheNextQuestion) {
  SerializabilityOracle oracle;
  ASSERT_EQ(oracle.check(chain(true)), std::optional<bool>(false));
  const pid_t first = oracle.helper_pid();
  ASSERT_GT(first, 0);
  ::kill(first, SIGKILL);
  // The question in flight when the helper is found dead is not answered...
  EXPECT_EQ(oracle.check(chain(true)), std::nullopt);
  // ...and the next one goes to a new helper.
  EXPECT_EQ(oracle.check(chain(true)), std::optional<bool>(false));
  EXPECT_GT(oracle.helper_pid(), 0);
  EXPECT_NE(oracle.helper_pid(), first);
}

TEST(Oracle, AForkedProcessGetsAHelperOfItsOwn) {
  SerializabilityOracle& mine = SerializabilityOracle::of_this_process();
  ASSERT_EQ(mine.check(chain(false)), std::optional<bool>(true));
  const pid_t parent_helper = mine.helper_pid();
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    SerializabilityOracle& theirs = SerializabilityOracle::of_this_process();
    const bool answered = theirs.check(chain(true)) == std::optional<bool>(false);
    const bool own = theirs.helper_pid() > 0 && theirs.helper_pid() != parent_helper;
    char verdict = answered && own ? 'y' : 'n';
    (void)!::write(fds[1], &verdict, 1);
    ::_exit(0);
  }
  ::close(fds[1]);
  char verdict = 0;
  EXPECT_EQ(::read(fds[0], &verdict, 1), 1);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_EQ(verdict, 'y');
  // The parent's helper still answers the parent.
  EXPECT_EQ(mine.check(chain(true)), std::optional<bool>(false));
  EXPECT_EQ(mine.helper_pid(), parent_helper);
}
