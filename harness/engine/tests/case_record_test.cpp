// SPDX-License-Identifier: MIT
// The record codec between the engine's processes: what is encoded decodes to
// the same value, and anything else is refused with a reason, never thrown
// at the caller; a case whose child sent a bad record is unresolved.
#include "case_record.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstring>

#include "case_outcome.h"

using namespace emmi::engine;

namespace {

rc::Gen<std::string> any_text() {
  // Any bytes: tabs, newlines and NULs cross unchanged.
  return rc::gen::container<std::string>(rc::gen::arbitrary<char>());
}

rc::Gen<CaseVerdict> any_verdict() {
  return rc::gen::build<CaseVerdict>(
      rc::gen::set(&CaseVerdict::rule, any_text()),
      rc::gen::set(&CaseVerdict::party,
                   rc::gen::element(emmi::model::Party::pager, emmi::model::Party::kernel,
                                    emmi::model::Party::suite)),
      rc::gen::set(&CaseVerdict::explanation, any_text()),
      rc::gen::set(&CaseVerdict::event_index, rc::gen::arbitrary<std::uint64_t>()),
      rc::gen::set(&CaseVerdict::liveness, rc::gen::arbitrary<bool>()),
      rc::gen::set(&CaseVerdict::portability, any_text()));
}

rc::Gen<TraceStep> any_trace() {
  return rc::gen::build<TraceStep>(
      rc::gen::set(&TraceStep::index, rc::gen::arbitrary<std::uint64_t>()),
      rc::gen::set(&TraceStep::from, any_text()), rc::gen::set(&TraceStep::to, any_text()),
      rc::gen::set(&TraceStep::label, any_text()),
      rc::gen::set(&TraceStep::seqno,
                   rc::gen::map(rc::gen::maybe(rc::gen::arbitrary<std::uint32_t>()),
                                [](rc::Maybe<std::uint32_t> m) {
                                  return m ? std::optional<std::uint32_t>(*m) : std::nullopt;
                                })),
      rc::gen::set(&TraceStep::rights, any_text()), rc::gen::set(&TraceStep::note, any_text()));
}

rc::Gen<std::map<std::string, std::uint64_t>> any_counts() {
  return rc::gen::container<std::map<std::string, std::uint64_t>>(
      any_text(), rc::gen::arbitrary<std::uint64_t>());
}

rc::Gen<record::Schedule> any_schedule() {
  return rc::gen::build<record::Schedule>(
      rc::gen::set(&record::Schedule::uncontrolled, rc::gen::arbitrary<bool>()),
      rc::gen::set(&record::Schedule::scheduling_points, rc::gen::arbitrary<std::uint64_t>()),
      rc::gen::set(&record::Schedule::preemptions, rc::gen::arbitrary<std::uint64_t>()),
      rc::gen::set(&record::Schedule::digest, rc::gen::arbitrary<std::uint64_t>()),
      rc::gen::set(&record::Schedule::uncontrolled_reason, any_text()),
      rc::gen::set(&record::Schedule::choice_points, rc::gen::arbitrary<std::uint64_t>()),
      rc::gen::set(&record::Schedule::foreign_threads, any_text()));
}

rc::Gen<History> any_history() {
  return rc::gen::exec([] {
    History h;
    h.messages = *rc::gen::container<std::vector<HistoryMessage>>(rc::gen::build<HistoryMessage>(
        rc::gen::set(&HistoryMessage::port, rc::gen::arbitrary<emmi::model::PortName>()),
        rc::gen::set(&HistoryMessage::seqno, rc::gen::arbitrary<emmi::model::Seqno>()),
        rc::gen::set(&HistoryMessage::kind,
                     rc::gen::map(rc::gen::inRange<int>(
                                      0, static_cast<int>(emmi::model::kLastMessageKind) + 1),
                                  [](int k) { return static_cast<emmi::model::MessageKind>(k); })),
        rc::gen::set(&HistoryMessage::event_index, rc::gen::arbitrary<std::size_t>())));
    if (h.messages.empty()) return h;  // an effect names a message
    h.effects = *rc::gen::container<std::vector<Effect>>(rc::gen::build<Effect>(
        rc::gen::set(&Effect::message, rc::gen::inRange<std::size_t>(0, h.messages.size())),
        rc::gen::set(&Effect::resource, rc::gen::arbitrary<std::uint64_t>()),
        rc::gen::set(&Effect::event_index, rc::gen::arbitrary<std::size_t>()),
        rc::gen::set(&Effect::shared, rc::gen::arbitrary<bool>())));
    return h;
  });
}

rc::Gen<record::OracleAnswer> any_answer() {
  return rc::gen::build<record::OracleAnswer>(
      rc::gen::set(&record::OracleAnswer::serializable,
                   rc::gen::element(std::optional<bool>(), std::optional<bool>(false),
                                    std::optional<bool>(true))),
      rc::gen::set(&record::OracleAnswer::refused, any_text()));
}

rc::Gen<CaseRecord> any_record() {
  return rc::gen::oneOf(
      rc::gen::cast<CaseRecord>(any_verdict()), rc::gen::cast<CaseRecord>(any_trace()),
      rc::gen::map(
          rc::gen::tuple(any_text(), rc::gen::arbitrary<std::uint64_t>(),
                         rc::gen::arbitrary<bool>()),
          [](auto t) {
            return CaseRecord(record::Exercised{std::get<0>(t), std::get<1>(t), std::get<2>(t)});
          }),
      rc::gen::map(
          rc::gen::tuple(rc::gen::arbitrary<bool>(), rc::gen::arbitrary<std::uint64_t>(),
                         any_history()),
          [](auto t) {
            return CaseRecord(record::HistoryCheck{std::get<0>(t), std::get<1>(t), std::get<2>(t)});
          }),
      rc::gen::cast<CaseRecord>(any_schedule()),
      rc::gen::map(rc::gen::arbitrary<std::uint64_t>(),
                   [](std::uint64_t i) { return CaseRecord(record::CommandBegun{i}); }),
      rc::gen::map(rc::gen::arbitrary<std::uint64_t>(),
                   [](std::uint64_t i) { return CaseRecord(record::CommandCompleted{i}); }),
      rc::gen::map(any_text(),
                   [](std::string s) { return CaseRecord(record::SetupFailed{std::move(s)}); }),
      rc::gen::map(rc::gen::arbitrary<std::uint64_t>(),
                   [](std::uint64_t n) { return CaseRecord(record::Done{n}); }));
}

rc::Gen<Command> any_command() {
  return rc::gen::build<Command>(
      rc::gen::set(&Command::kind,
                   rc::gen::map(rc::gen::inRange<int>(0, static_cast<int>(CommandKind::kind_count)),
                                [](int k) { return static_cast<CommandKind>(k); })),
      rc::gen::set(&Command::kernel, rc::gen::arbitrary<std::uint8_t>()),
      rc::gen::set(&Command::object, rc::gen::arbitrary<std::uint8_t>()),
      rc::gen::set(&Command::other_kernel, rc::gen::arbitrary<std::uint8_t>()),
      rc::gen::set(&Command::page, rc::gen::arbitrary<std::uint16_t>()),
      rc::gen::set(&Command::write, rc::gen::arbitrary<bool>()),
      rc::gen::set(&Command::dirty, rc::gen::arbitrary<bool>()));
}

rc::Gen<FoundFailure> any_failure() {
  return rc::gen::exec([] {
    FoundFailure f;
    f.finding.rule = *any_text();
    f.finding.verdict = *rc::gen::element(Finding{}.verdict, emmi::reports::Verdict::unresolved,
                                          emmi::reports::Verdict::timeout,
                                          emmi::reports::Verdict::crash);
    f.finding.message = *any_text();
    f.spec.commands = *rc::gen::container<std::vector<Command>>(any_command());
    f.spec.schedule_seed = *rc::gen::arbitrary<std::uint64_t>();
    f.spec.strategy = *rc::gen::element(emmi::mach::Strategy::pct,
                                        emmi::mach::Strategy::random_walk);
    f.spec.pct_depth = *rc::gen::arbitrary<std::uint8_t>();
    CaseOutcome& o = f.outcome;
    o.end = *rc::gen::element(ChildEnd::exited, ChildEnd::crashed, ChildEnd::timed_out,
                              ChildEnd::resource_exhausted);
    o.detail = *any_text();
    o.verdicts = *rc::gen::container<std::vector<CaseVerdict>>(any_verdict());
    o.trace = *rc::gen::container<std::vector<TraceStep>>(any_trace());
    o.exercised = *any_counts();
    o.unjudged = *any_counts();
    o.copy_call_objects = *rc::gen::arbitrary<std::uint64_t>();
    o.commands_done = *rc::gen::arbitrary<std::size_t>();
    o.events = *rc::gen::arbitrary<std::uint64_t>();
    o.in_flight = *any_text();
    o.setup_error = *any_text();
    o.crash_rule = *any_text();
    o.elapsed = std::chrono::microseconds(
        *rc::gen::inRange<std::int64_t>(0, std::int64_t(1) << 62));
    record::set_schedule(o, *any_schedule());
    f.reproduce = *any_text();
    f.seed = *rc::gen::arbitrary<std::uint64_t>();
    f.detected_after_cases = *rc::gen::arbitrary<std::uint64_t>();
    f.detected_after_s = *rc::gen::arbitrary<double>();
    return f;
  });
}

rc::Gen<UnitResult> any_unit() {
  return rc::gen::build<UnitResult>(
      rc::gen::set(&UnitResult::cases, rc::gen::arbitrary<std::uint64_t>()),
      rc::gen::set(&UnitResult::commands, rc::gen::arbitrary<std::uint64_t>()),
      rc::gen::set(&UnitResult::exercised, any_counts()),
      rc::gen::set(&UnitResult::unjudged, any_counts()),
      rc::gen::set(&UnitResult::failures,
                   rc::gen::resize(4,
                                   rc::gen::container<std::vector<FoundFailure>>(any_failure()))));
}

}  // namespace

RC_GTEST_PROP(CaseRecord, EncodeThenDecodeIsIdentity, ()) {
  const CaseRecord rec = *any_record();
  const auto back = decode_record(encode_record(rec));
  RC_ASSERT(back.error == "");
  RC_ASSERT(*back.value == rec);
}

RC_GTEST_PROP(CaseRecord, UnitResultsEncodeThenDecodeIsIdentity, ()) {
  const auto units = *rc::gen::resize(8, rc::gen::container<std::vector<UnitResult>>(any_unit()));
  const auto back = decode_units(encode_units(units));
  RC_ASSERT(back.error == "");
  RC_ASSERT(*back.value == units);
}

// The serializability oracle's questions and answers (oracle.h).
RC_GTEST_PROP(CaseRecord, HistoriesAndOracleAnswersEncodeThenDecodeIsIdentity, ()) {
  const History h = *any_history();
  const auto back = decode_history(encode_history(h));
  RC_ASSERT(back.error == "");
  RC_ASSERT(*back.value == h);
  const record::OracleAnswer a = *any_answer();
  const auto answer = decode_answer(encode_answer(a));
  RC_ASSERT(answer.error == "");
  RC_ASSERT(*answer.value == a);
}

RC_GTEST_PROP(CaseRecord, EveryProperPrefixIsRefusedWithAReason, ()) {
  const std::string bytes = encode_record(*any_record());
  const auto cut = *rc::gen::inRange<std::size_t>(0, bytes.size());
  const auto back = decode_record(std::string_view(bytes).substr(0, cut));
  RC_ASSERT(!back);
  RC_ASSERT(!back.error.empty());
  const std::string history = encode_history(*any_history());
  const auto history_back = decode_history(
      std::string_view(history).substr(0, *rc::gen::inRange<std::size_t>(0, history.size())));
  RC_ASSERT(!history_back);
  RC_ASSERT(!history_back.error.empty());
  const std::string answer = encode_answer(*any_answer());
  const auto answer_back = decode_answer(
      std::string_view(answer).substr(0, *rc::gen::inRange<std::size_t>(0, answer.size())));
  RC_ASSERT(!answer_back);
  RC_ASSERT(!answer_back.error.empty());
}

RC_GTEST_PROP(CaseRecord, ArbitraryBytesNeverThrow, ()) {
  const auto bytes = *rc::gen::container<std::string>(rc::gen::arbitrary<char>());
  const auto rec = decode_record(bytes);
  RC_ASSERT(rec.value.has_value() || !rec.error.empty());
  const auto units = decode_units(bytes);
  RC_ASSERT(units.value.has_value() || !units.error.empty());
  const auto history = decode_history(bytes);
  RC_ASSERT(history.value.has_value() || !history.error.empty());
  const auto answer = decode_answer(bytes);
  RC_ASSERT(answer.value.has_value() || !answer.error.empty());
}

TEST(CaseRecord, RefusesOtherVersionsTagsAndTrailingBytes) {
  std::string done = encode_record(record::Done{});
  ASSERT_TRUE(decode_record(done));
  std::string other = done;
  other[0] = static_cast<char>(record::kVersion + 1);
  const std::string named = "version " + std::to_string(record::kVersion + 1);
  EXPECT_NE(decode_record(other).error.find(named), std::string::npos)
      << decode_record(other).error;
  std::string odd_tag = done;
  odd_tag[1] = 'Z';
  EXPECT_FALSE(decode_record(odd_tag));
  EXPECT_FALSE(decode_record(done + "x"));
  EXPECT_FALSE(decode_units(done));  // a case record is no unit batch
  EXPECT_FALSE(decode_record(encode_units({})));
  // A verdict whose party is out of range.
  std::string verdict = encode_record(CaseVerdict{"DR3", emmi::model::Party::pager, "x", 1, false});
  verdict[2 + 1 + 3] = 9;  // version, tag, rule (length + 3 bytes), then the party
  EXPECT_NE(decode_record(verdict).error.find("party"), std::string::npos)
      << decode_record(verdict).error;
}

TEST(CaseRecord, ACorruptRecordFromTheChildMakesTheCaseUnresolved) {
  ChildOutcome child;
  child.records = {
      encode_record(record::CommandBegun{0}),
      encode_record(CaseVerdict{"DR3", emmi::model::Party::pager, "no answer", 3, false}),
      std::string("V\tDR1\tpager\t12", 13),  // a record of the old tab-separated form
      encode_record(record::CommandCompleted{0}).substr(0, 2),  // truncated
      encode_record(record::Done{}),
  };
  CaseOutcome o;
  ASSERT_NO_THROW(o = outcome_of(child));
  EXPECT_EQ(o.commands_done, 0u);  // the completion record was the truncated one
  auto findings = findings_of(o);
  auto unresolved = std::count_if(findings.begin(), findings.end(), [](const Finding& f) {
    return f.verdict == emmi::reports::Verdict::unresolved;
  });
  EXPECT_EQ(unresolved, 1);  // one finding per rule: the first bad record names it
  bool named = false;
  for (const CaseVerdict& v : o.verdicts)
    if (v.party == emmi::model::Party::suite) {
      EXPECT_EQ(v.rule, "IN2");
      named = named || v.explanation.find("record 2 ") != std::string::npos;
      EXPECT_NE(v.explanation.find("could not be decoded"), std::string::npos) << v.explanation;
    }
  EXPECT_TRUE(named);
  // The good records still count.
  EXPECT_TRUE(std::any_of(findings.begin(), findings.end(), [](const Finding& f) {
    return f.rule == "DR3" && f.verdict == emmi::reports::Verdict::fail;
  }));
  EXPECT_TRUE(o.setup_error.empty());
}

// A HistoryCheck record whose history is corrupt (an effect naming a message
// the history does not have; an out-of-range message kind) is a record that
// does not decode: the case is unresolved and the verdict names the record.
TEST(CaseRecord, ACorruptHistoryFromTheChildMakesTheCaseUnresolved) {
  History bad_effect;
  bad_effect.messages.push_back({0x100, 0, emmi::model::MessageKind::data_request, 1});
  bad_effect.effects.push_back({5, resource_of_block(0, 0), 2, false});
  History bad_kind;
  bad_kind.messages.push_back(
      {0x100, 0,
       static_cast<emmi::model::MessageKind>(static_cast<int>(emmi::model::kLastMessageKind) + 1),
       1});
  for (const History& h : {bad_effect, bad_kind}) {
    ChildOutcome child;
    child.records = {encode_record(record::CommandBegun{0}),
                     encode_record(record::CommandCompleted{0}),
                     encode_record(record::HistoryCheck{true, 4, h}),
                     encode_record(record::Done{})};
    CaseOutcome o;
    ASSERT_NO_THROW(o = outcome_of(child));
    auto findings = findings_of(o);
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].verdict, emmi::reports::Verdict::unresolved);
    EXPECT_NE(findings[0].message.find("record 2 "), std::string::npos) << findings[0].message;
    EXPECT_NE(findings[0].message.find("history"), std::string::npos) << findings[0].message;
  }
}

// The Z3 helper's answer that does not decode, or its word that it could
// not decode the history, makes the cross-check unresolved (SQ7, the suite's
// side); a decoded disagreement too, and agreement or no answer is silent.
TEST(CaseRecord, ACorruptOracleAnswerMakesTheCrossCheckUnresolved) {
  auto findings_for = [](const Decoded<record::OracleAnswer>& z3) {
    CaseOutcome o;
    EXPECT_NO_THROW(cross_check_with_z3(o, true, 9, z3));
    return findings_of(o);
  };
  const std::string good = encode_answer({true, {}});
  for (const std::string& corrupt :
       {std::string("1"), std::string("?\n"), good.substr(0, good.size() - 1), good + "x",
        encode_history({})}) {
    auto findings = findings_for(decode_answer(corrupt));
    ASSERT_EQ(findings.size(), 1u) << printable(corrupt);
    EXPECT_EQ(findings[0].rule, "SQ7");
    EXPECT_EQ(findings[0].verdict, emmi::reports::Verdict::unresolved);
    EXPECT_NE(findings[0].message.find("could not be decoded"), std::string::npos)
        << findings[0].message;
  }
  auto refused = findings_for(
      decode_answer(encode_answer({std::nullopt, "truncated history at byte 3"})));
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].verdict, emmi::reports::Verdict::unresolved);
  EXPECT_NE(refused[0].message.find("truncated history"), std::string::npos) << refused[0].message;
  auto disagree = findings_for(decode_answer(encode_answer({false, {}})));
  ASSERT_EQ(disagree.size(), 1u);
  EXPECT_EQ(disagree[0].verdict, emmi::reports::Verdict::unresolved);
  EXPECT_TRUE(findings_for(decode_answer(good)).empty());
  EXPECT_TRUE(findings_for(decode_answer(encode_answer({}))).empty());  // Z3 said unknown
}

// A crash the child's fault handler charged to a rule (a touch of pages the
// pager supplied with deallocate TRUE, SU10; isolation.h) is that rule's
// failure, saying what lay where it touched, and no anonymous crash; a note
// without a rule leaves the crash a crash and says where.
TEST(CaseRecord, ACrashChargedToARuleIsThatRulesFailureNotACrash) {
  ChildOutcome child;
  child.end = ChildEnd::crashed;
  child.signal = 11;
  child.detail = "SIGSEGV";
  child.records = {encode_record(record::CommandBegun{0})};
  FaultNote note;
  note.address = 0x7f0000001010;
  note.signal = 11;
  std::memcpy(note.rule, "SU10", 5);
  const char text[] = "byte 0x10 of the 0x1000 bytes of pages it had sent away";
  std::memcpy(note.text, text, sizeof text);
  child.fault = note;
  CaseOutcome o = outcome_of(child);
  EXPECT_EQ(o.crash_rule, "SU10");
  auto findings = findings_of(o);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].rule, "SU10");
  EXPECT_EQ(findings[0].verdict, emmi::reports::Verdict::fail);
  EXPECT_NE(findings[0].message.find(text), std::string::npos) << findings[0].message;
  EXPECT_NE(findings[0].message.find("SIGSEGV"), std::string::npos) << findings[0].message;
  EXPECT_EQ(findings[0].message.find("7f0000001010"), std::string::npos)
      << "no address: it varies from run to run";

  std::memset(child.fault->rule, 0, sizeof child.fault->rule);
  CaseOutcome plain = outcome_of(child);
  EXPECT_TRUE(plain.crash_rule.empty());
  auto crash = findings_of(plain);
  ASSERT_EQ(crash.size(), 1u);
  EXPECT_EQ(crash[0].verdict, emmi::reports::Verdict::crash);
  EXPECT_NE(crash[0].rule, "SU10");
  EXPECT_NE(crash[0].message.find(text), std::string::npos) << crash[0].message;
}

// A case that ran free (the child said so as it went, before the wall-clock
// limit killed it) and then timed out proves nothing about the pager: a
// hang, a busy wait and a machine too loaded to finish look the same. A case
// that stayed under control and timed out is the pager's timeout.
TEST(CaseRecord, ATimeoutAfterTheCaseRanFreeIsUnresolved) {
  ChildOutcome child;
  child.end = ChildEnd::timed_out;
  child.detail = "wall-clock limit 8000 ms";
  record::Schedule went_free;
  went_free.uncontrolled = true;
  went_free.uncontrolled_reason = "t2 ran 1000 ms of CPU time without reaching a scheduling point";
  child.records = {encode_record(record::CommandBegun{0}), encode_record(went_free)};
  auto findings = findings_of(outcome_of(child));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].verdict, emmi::reports::Verdict::unresolved);
  EXPECT_NE(findings[0].message.find("ran uncontrolled (t2 ran 1000 ms"), std::string::npos)
      << findings[0].message;

  child.records = {encode_record(record::CommandBegun{0})};
  auto controlled = findings_of(outcome_of(child));
  ASSERT_EQ(controlled.size(), 1u);
  EXPECT_EQ(controlled[0].verdict, emmi::reports::Verdict::timeout);
}

// With a pager thread the scheduler never saw start, no quiescence of the
// case was sure: what the model found on the pager is unresolved, and says
// why; what it found on the kernel stays as it was.
TEST(CaseRecord, VerdictsOfACaseWithThreadsTheSuiteNeverSawStartAreUnresolved) {
  ChildOutcome child;
  child.end = ChildEnd::exited;
  record::Schedule s;
  s.uncontrolled = true;
  s.foreign_threads = "pager thread 3 was not started by pthread_create";
  child.records = {encode_record(
                       CaseVerdict{"DR3", emmi::model::Party::pager, "unanswered", 4, false, {}}),
                   encode_record(s), encode_record(record::Done{0})};
  auto findings = findings_of(outcome_of(child));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].rule, "DR3");
  EXPECT_EQ(findings[0].verdict, emmi::reports::Verdict::unresolved);
  EXPECT_NE(findings[0].message.find("not judged: pager thread 3"), std::string::npos)
      << findings[0].message;

  child.records = {encode_record(
                       CaseVerdict{"DR3", emmi::model::Party::pager, "unanswered", 4, false, {}}),
                   encode_record(record::Done{0})};
  auto judged = findings_of(outcome_of(child));
  ASSERT_EQ(judged.size(), 1u);
  EXPECT_EQ(judged[0].verdict, emmi::reports::Verdict::fail);
}
