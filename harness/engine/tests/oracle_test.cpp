// SPDX-License-Identifier: MIT
// The Z3 helper process answers as Z3 in this process does, and a helper that
// dies costs one unanswered question, never the suite.
#include "oracle.h"

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

// Z3's answer through `oracle`; an answer that does not decode fails the test.
std::optional<bool> z3(SerializabilityOracle& oracle, const History& h) {
  auto a = oracle.check(h);
  EXPECT_TRUE(a) << a.error;
  if (!a) return std::nullopt;
  EXPECT_EQ(a.value->refused, "");
  return a.value->serializable;
}

}  // namespace

TEST(Oracle, AnswersAsZ3InThisProcessDoes) {
  SerializabilityOracle oracle;
  EXPECT_EQ(z3(oracle, chain(false)), std::optional<bool>(true));
  EXPECT_EQ(z3(oracle, chain(true)), std::optional<bool>(false));
  EXPECT_EQ(check_seqno_serializable_z3(chain(true)), std::optional<bool>(false));
}

TEST(Oracle, AHelperThatDiedIsReplacedOnTheNextQuestion) {
  SerializabilityOracle oracle;
  ASSERT_EQ(z3(oracle, chain(true)), std::optional<bool>(false));
  const pid_t first = oracle.helper_pid();
  ASSERT_GT(first, 0);
  ::kill(first, SIGKILL);
  // The question in flight when the helper is found dead is not answered...
  EXPECT_EQ(z3(oracle, chain(true)), std::nullopt);
  // ...and the next one goes to a new helper.
  EXPECT_EQ(z3(oracle, chain(true)), std::optional<bool>(false));
  EXPECT_GT(oracle.helper_pid(), 0);
  EXPECT_NE(oracle.helper_pid(), first);
}

TEST(Oracle, AForkedProcessGetsAHelperOfItsOwn) {
  SerializabilityOracle& mine = SerializabilityOracle::of_this_process();
  ASSERT_EQ(z3(mine, chain(false)), std::optional<bool>(true));
  const pid_t parent_helper = mine.helper_pid();
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    SerializabilityOracle& theirs = SerializabilityOracle::of_this_process();
    const bool answered = z3(theirs, chain(true)) == std::optional<bool>(false);
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
  EXPECT_EQ(z3(mine, chain(true)), std::optional<bool>(false));
  EXPECT_EQ(mine.helper_pid(), parent_helper);
}

// The helper's answers cross the socket in the record codec: one that does
// not decode comes back as the codec's error, not an exception, and the
// helper stays in use; a history the helper cannot decode it refuses with a
// reason.
TEST(Oracle, ACorruptAnswerIsTheCodecsErrorNotAnException) {
  // First the old line form, then an answer without its version.
  SerializabilityOracle liar([n = 0](std::string_view) mutable {
    return ++n == 1 ? std::string("1\n") : encode_answer({true, {}}).substr(1);
  });
  Decoded<record::OracleAnswer> a;
  ASSERT_NO_THROW(a = liar.check(chain(false)));
  EXPECT_FALSE(a);
  EXPECT_NE(a.error, "");
  ASSERT_NO_THROW(a = liar.check(chain(true)));
  EXPECT_FALSE(a);
  EXPECT_GT(liar.helper_pid(), 0);

  auto refused = decode_answer(SerializabilityOracle::answer("1 2 3 4;|"));  // the old text form
  ASSERT_TRUE(refused) << refused.error;
  EXPECT_EQ(refused.value->serializable, std::nullopt);
  EXPECT_NE(refused.value->refused, "");
  auto answered = decode_answer(SerializabilityOracle::answer(encode_history(chain(true))));
  ASSERT_TRUE(answered) << answered.error;
  EXPECT_EQ(answered.value->serializable, std::optional<bool>(false));
}
