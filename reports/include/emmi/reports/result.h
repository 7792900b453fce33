// SPDX-License-Identifier: MIT
// The result of one conformance run as every report format sees it: one verdict
// per rule of the catalogue, counterexamples with their message traces, and
// enough provenance (suite, pager hash, seed, machine) for anyone to re-run it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace emmi::reports {

// A rule's verdict. Like lit's result codes, a verdict knows whether it fails
// the run, so call sites ask `v.is_failure()` instead of listing codes.
//
//   verdict             fails the run   pager non-conformance   meaning
//   pass                no              no                      exercised, never violated
//   fail                yes             yes                     the pager broke the rule
//   not-applicable      no              no                      never exercised (dialect,
//                                                               profile); not a pass
//   timeout             yes             yes                     the pager hung or left a
//                                                               request unanswered
//   crash               yes             yes                     the pager process died
//   resource-exhausted  yes             yes                     the pager ran past its
//                                                               memory/CPU/port limits
//   unresolved          yes             no                      suite-side problem: the
//                                                               run is incomplete
//   waived              no              no                      failed, but a current
//                                                               waiver accepts it
//
// A run is conformant when no rule's verdict is a failure. Severity orders the
// verdicts for combining (shards, overall): not-applicable < pass < waived <
// unresolved < resource-exhausted < timeout < crash < fail. A pager failure
// outranks unresolved, because a demonstrated violation stands even when some
// other part of the run broke on the suite's side.
class Verdict {
 public:
  enum class Code : std::uint8_t {
    pass,
    fail,
    not_applicable,
    timeout,
    crash,
    resource_exhausted,
    unresolved,
    waived,
  };
  static constexpr std::size_t kCount = 8;

  static const Verdict pass;
  static const Verdict fail;
  static const Verdict not_applicable;
  static const Verdict timeout;
  static const Verdict crash;
  static const Verdict resource_exhausted;
  static const Verdict unresolved;
  static const Verdict waived;

  constexpr Verdict(Code code) noexcept : code_(code) {}  // NOLINT: implicit by design

  constexpr Code code() const noexcept { return code_; }
  // Stable name used in JSON, JUnit and on the command line: "not-applicable".
  std::string_view name() const noexcept;
  // Upper-case label for people: "NOT APPLICABLE".
  std::string_view label() const noexcept;
  // One sentence on what the verdict means (used in reports' legends).
  std::string_view description() const noexcept;
  // True when this verdict makes the run fail (not conformant or incomplete).
  bool is_failure() const noexcept;
  // True when the pager under test is at fault (a subset of is_failure()).
  bool is_nonconformance() const noexcept;
  // Rank for combining verdicts; higher is more severe (see the table above).
  int severity() const noexcept;

  // Parses a stable name; nullopt for anything else.
  static std::optional<Verdict> from_name(std::string_view name) noexcept;
  // Every verdict, in declaration order.
  static const std::array<Verdict, kCount>& all() noexcept;

  constexpr std::size_t index() const noexcept { return static_cast<std::size_t>(code_); }
  friend constexpr bool operator==(Verdict, Verdict) = default;

 private:
  Code code_;
};

inline constexpr Verdict Verdict::pass{Verdict::Code::pass};
inline constexpr Verdict Verdict::fail{Verdict::Code::fail};
inline constexpr Verdict Verdict::not_applicable{Verdict::Code::not_applicable};
inline constexpr Verdict Verdict::timeout{Verdict::Code::timeout};
inline constexpr Verdict Verdict::crash{Verdict::Code::crash};
inline constexpr Verdict Verdict::resource_exhausted{Verdict::Code::resource_exhausted};
inline constexpr Verdict Verdict::unresolved{Verdict::Code::unresolved};
inline constexpr Verdict Verdict::waived{Verdict::Code::waived};

// The more severe of two verdicts (the one that decides a combination).
Verdict more_severe(Verdict a, Verdict b) noexcept;

// Whose duty a rule is, which decides the section of the report it is in.
//   pager   the pager's verdicts: the headline (CONFORMANT / NOT CONFORMANT)
//           and its counts are made of these rules only.
//   kernel  duties of the kernel: only the suite's own simulated kernel can
//           break them, so their checks are the suite's self-checks, listed
//           apart. A broken one is an unresolved suite bug (the run is
//           incomplete), never a pager failure, and a kept one is never
//           counted as a pager pass.
enum class Party : std::uint8_t { pager, kernel };

std::string_view to_string(Party p) noexcept;  // "pager", "kernel"
std::optional<Party> parse_party(std::string_view name) noexcept;

// A rule's level, the RFC 2119 keyword of the catalogue: "MUST", "SHOULD",
// "MAY" or "INFO". It decides whether a `fail` verdict fails the run: only a
// MUST rule's does. A broken SHOULD (or MAY, INFO) rule is an advisory
// finding: reported with its counterexample in every format, the run stays
// conformant. Timeouts, crashes and exhausted resources fail the run at any
// level (the pager stopped working), and so does an unresolved verdict.
inline constexpr std::array<std::string_view, 4> kLevels{"MUST", "SHOULD", "MAY", "INFO"};
bool is_known_level(std::string_view level) noexcept;

// One message or right transfer seen by the simulated kernel, as drawn in the
// message-sequence chart. Lanes are named "kernel k0", "pager t1", ...; an
// event whose lane_to is empty or equal to lane_from is local to one lane
// (a handler return, a crash).
struct TraceEvent {
  std::uint64_t index = 0;  // position in the case's event stream
  std::string lane_from;
  std::string lane_to;
  std::string label;                   // message name: "memory_object_data_request"
  std::optional<std::uint64_t> seqno;  // seqno stamped at dequeue, when there is one
  std::string rights;                  // rights carried: "control:send", "object:receive"
  std::string note;                    // what the model said about this step, if anything

  friend bool operator==(const TraceEvent&, const TraceEvent&) = default;
};

// The evidence for a failing rule: the shrunk kernel command sequence, how to
// reproduce it, and the message trace of the shrunk run.
struct Counterexample {
  std::vector<std::string> commands;  // shrunk kernel commands, one per line, in order
  std::uint64_t seed = 0;
  std::string reproduce;       // RapidCheck's reproduce string (RC_PARAMS="reproduce=...")
  std::string replay_command;  // one line: emmi-cts run ... --replay TOKEN
  std::vector<TraceEvent> trace;

  friend bool operator==(const Counterexample&, const Counterexample&) = default;
};

struct Waiver {
  std::string reason;
  std::optional<std::string> expires;  // YYYY-MM-DD; absent means no expiry

  friend bool operator==(const Waiver&, const Waiver&) = default;
};

struct RuleResult {
  std::string id;     // rule ID from emmi-rules.md: "SQ7"
  std::string group;  // catalogue group: "init", "seqno", ...
  std::string title;  // one-line paraphrase of the rule
  std::string level;  // "MUST", "SHOULD", ...
  Verdict verdict = Verdict::not_applicable;
  std::uint64_t exercised = 0;                   // how many times a check of this rule ran
  std::string message;                           // one line: why this verdict
  std::optional<Waiver> waiver;                  // set when verdict is waived
  std::optional<Counterexample> counterexample;  // set for failures that have one
  Party party = Party::pager;                    // which section of the report
  // A portability finding: the pager broke the manual pages' strict reading
  // of this rule in a way the report's platform accepts harmlessly (an X-note
  // of emmi-rules.md, e.g. "X6: GNU Mach inserts unrequested pages ...").
  // Reported with its counterexample in every format as verdict fail; it
  // never fails the run. Empty otherwise.
  std::string portability{};

  friend bool operator==(const RuleResult&, const RuleResult&) = default;
};

// True when this rule's verdict makes the run fail (not conformant or
// incomplete), given its verdict, level and party; see Level above.
bool fails_run(const RuleResult& rule) noexcept;
// A pager rule broken at a level that does not fail the run (SHOULD, MAY, INFO).
bool is_advisory(const RuleResult& rule) noexcept;
// A pager rule broken only under the manual's reading, harmless on the
// report's platform (RuleResult::portability): never fails the run.
bool is_portability(const RuleResult& rule) noexcept;

struct SuiteInfo {
  std::string name = "emmi-cts";
  std::string version;
  friend bool operator==(const SuiteInfo&, const SuiteInfo&) = default;
};

struct PagerInfo {
  std::string path;    // as given to --pager
  std::string sha256;  // lower-case hex of the pager binary
  std::string name;    // what the pager calls itself through the entry ABI
  friend bool operator==(const PagerInfo&, const PagerInfo&) = default;
};

struct MachineInfo {
  std::string hostname;
  std::string os;
  std::uint32_t cpus = 0;
  friend bool operator==(const MachineInfo&, const MachineInfo&) = default;
};

// GoogleTest's sharding protocol: index is 0-based (GTEST_SHARD_INDEX), so the
// command line's "--shard 1/3" is {index 0, total 3}.
struct ShardInfo {
  std::uint32_t index = 0;
  std::uint32_t total = 1;
  friend bool operator==(const ShardInfo&, const ShardInfo&) = default;
};

// What a merged report remembers of each shard it was built from.
struct ShardRecord {
  ShardInfo shard;
  MachineInfo machine;
  std::string started_at;
  double duration_s = 0;
  std::uint64_t cases_run = 0;
  friend bool operator==(const ShardRecord&, const ShardRecord&) = default;
};

struct RunReport {
  SuiteInfo suite;
  PagerInfo pager;
  std::string dialect;  // "gnumach", "gnumach-seqnos"
  // The target platform the pager was judged for (README.md, "Platforms"):
  // "gnumach" (one 4 KiB kernel, GNU Mach's X-note readings) or "manual"
  // (several kernels, mixed page sizes, the manual's strict readings). The
  // kernels' page sizes and the objects are in `parameters`.
  std::string platform;
  std::string profile;  // "quick", "standard", "exhaustive"
  std::uint64_t seed = 0;
  std::map<std::string, std::string> parameters;
  MachineInfo machine;
  bool conformance_mode = false;
  std::optional<ShardInfo> shard;        // set on a shard's own report
  std::vector<ShardRecord> merged_from;  // set on a report built by merge()
  std::string started_at;                // ISO-8601 UTC: 2024-05-01T12:00:00Z
  double duration_s = 0;
  std::uint64_t cases_run = 0;
  std::vector<RuleResult> rules;

  friend bool operator==(const RunReport&, const RunReport&) = default;
};

// How many rules ended with each verdict.
class VerdictCounts {
 public:
  std::size_t operator[](Verdict v) const noexcept { return counts_[v.index()]; }
  void add(Verdict v) noexcept { ++counts_[v.index()]; }
  std::size_t total() const noexcept;

 private:
  std::array<std::size_t, Verdict::kCount> counts_{};
};

// How many rules of one party (one section of the report) ended with each
// verdict. The headline counts Party::pager only.
VerdictCounts count_verdicts(const RunReport& report, Party party);

// Rules of one party, in report order.
std::vector<const RuleResult*> rules_of(const RunReport& report, Party party);

// How many pager rules are advisory findings (is_advisory).
std::size_t count_advisory(const RunReport& report);
// How many pager rules are portability findings (is_portability).
std::size_t count_portability(const RunReport& report);

// The pager's verdict: the most severe verdict of the pager rules;
// not-applicable when none was exercised (nothing was shown, so the headline
// must not say pass). The self-checks do not take part.
Verdict overall_verdict(const RunReport& report);
// The most severe verdict of the suite's self-checks (kernel rules).
Verdict self_check_verdict(const RunReport& report);

// No rule's verdict fails the run (fails_run), in either section.
bool is_conformant(const RunReport& report);

// The headline of a run, for reports and the command line's exit code:
//   conformant         nothing fails the run, some pager rule exercised (exit 0)
//   not_conformant     a pager rule's verdict is a non-conformance that fails
//                      the run (a MUST rule's fail, or any timeout, crash,
//                      resource-exhausted)                               (exit 1)
//   incomplete         failures, but all of them suite-side: unresolved, in
//                      either section (a broken self-check)              (exit 3)
//   nothing_exercised  nothing fails the run and no pager rule was exercised:
//                      vacuous (self-checks alone show nothing about the
//                      pager), so reports do not call it conformant
enum class RunOutcome { conformant, not_conformant, incomplete, nothing_exercised };
RunOutcome run_outcome(const RunReport& report);
std::string_view outcome_label(RunOutcome outcome) noexcept;  // "NOT CONFORMANT"

// The current time (or any time point in seconds since the epoch) as ISO-8601
// UTC with a trailing Z, the form started_at uses.
std::string iso8601_utc(std::int64_t seconds_since_epoch);
std::string iso8601_utc_now();

}  // namespace emmi::reports
