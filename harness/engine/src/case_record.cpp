// SPDX-License-Identifier: MIT
// The versioned record codec; see case_record.h.
#include "case_record.h"

#include <fmt/format.h>

#include <bit>
#include <limits>
#include <type_traits>

namespace emmi::engine {

namespace {

// Tags: one per record type, and one for a batch of unit results.
enum class Tag : std::uint8_t {
  verdict = 'V',
  trace = 'T',
  exercised = 'X',
  history = 'H',
  schedule = 'Q',
  begun = 'B',
  completed = 'C',
  setup_failed = 'S',
  done = 'D',
  units = 'U',
  question = 'Y',  // a history posed to the serializability oracle
  answer = 'A',    // the oracle's answer
};

class Writer {
 public:
  explicit Writer(Tag tag) { u64(record::kVersion).u64(static_cast<std::uint64_t>(tag)); }
  Writer& u64(std::uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
    return *this;
  }
  Writer& flag(bool b) { return u64(b ? 1 : 0); }
  Writer& bytes(std::string_view s) {
    u64(s.size());
    out_.append(s);
    return *this;
  }
  Writer& real(double d) {
    const auto bits = std::bit_cast<std::uint64_t>(d);
    for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
    return *this;
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

// Reads fields; the first failure sticks (every later read fails too) and
// names the field, so a decoder reads on and checks once at the end.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  bool at_end() const { return at_ == in_.size(); }
  void fail(std::string why) {
    if (ok()) error_ = fmt::format("{} at byte {}", why, at_);
  }

  std::uint64_t u64(std::string_view what) {
    std::uint64_t v = 0;
    for (int shift = 0; ok(); shift += 7) {
      if (at_ >= in_.size()) return fail(fmt::format("truncated {}", what)), 0;
      const auto b = static_cast<unsigned char>(in_[at_++]);
      if (shift == 63 && b > 1) return fail(fmt::format("{} overflows 64 bits", what)), 0;
      v |= std::uint64_t(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    return 0;
  }
  template <typename T>
  T bounded(std::string_view what, std::uint64_t max) {
    const std::uint64_t v = u64(what);
    if (v > max) return fail(fmt::format("{} {} out of range (at most {})", what, v, max)), T{};
    return static_cast<T>(v);
  }
  bool flag(std::string_view what) { return bounded<std::uint8_t>(what, 1) != 0; }
  std::string bytes(std::string_view what) {
    const std::uint64_t n = u64(what);
    if (!ok()) return {};
    if (n > in_.size() - at_)
      return fail(fmt::format("truncated {} ({} bytes announced)", what, n)), std::string();
    std::string s(in_.substr(at_, n));
    at_ += n;
    return s;
  }
  double real(std::string_view what) {
    if (!ok()) return 0;
    if (in_.size() - at_ < 8) return fail(fmt::format("truncated {}", what)), 0.0;
    std::uint64_t bits = 0;
    for (int i = 0; i < 8; ++i)
      bits |= std::uint64_t(static_cast<unsigned char>(in_[at_++])) << (8 * i);
    return std::bit_cast<double>(bits);
  }
  // A count of elements that each take at least one byte.
  std::size_t count(std::string_view what) {
    const std::uint64_t n = u64(what);
    if (ok() && n > in_.size() - at_)
      return fail(fmt::format("{} {} exceeds the record", what, n)), 0;
    return ok() ? static_cast<std::size_t>(n) : 0;
  }

 private:
  std::string_view in_;
  std::size_t at_ = 0;
  std::string error_;
};

constexpr std::uint64_t kU32 = std::numeric_limits<std::uint32_t>::max();

// --- Fields shared by case records and unit results ----------------------------------

void put(Writer& w, const CaseVerdict& v) {
  w.bytes(v.rule)
      .u64(static_cast<std::uint64_t>(v.party))
      .bytes(v.explanation)
      .u64(v.event_index)
      .flag(v.liveness);
  w.bytes(v.portability);
}
CaseVerdict get_verdict(Reader& r) {
  CaseVerdict v;
  v.rule = r.bytes("verdict rule");
  v.party = r.bounded<model::Party>("verdict party",
                                    static_cast<std::uint64_t>(model::Party::suite));
  v.explanation = r.bytes("verdict explanation");
  v.event_index = r.u64("verdict event index");
  v.liveness = r.flag("verdict liveness");
  v.portability = r.bytes("verdict portability");
  return v;
}

void put(Writer& w, const TraceStep& t) {
  w.u64(t.index).bytes(t.from).bytes(t.to).bytes(t.label).flag(t.seqno.has_value());
  if (t.seqno) w.u64(*t.seqno);
  w.bytes(t.rights).bytes(t.note);
}
TraceStep get_trace(Reader& r) {
  TraceStep t;
  t.index = r.u64("trace index");
  t.from = r.bytes("trace from");
  t.to = r.bytes("trace to");
  t.label = r.bytes("trace label");
  if (r.flag("trace seqno flag")) t.seqno = r.bounded<std::uint32_t>("trace seqno", kU32);
  t.rights = r.bytes("trace rights");
  t.note = r.bytes("trace note");
  return t;
}

void put(Writer& w, const std::map<std::string, std::uint64_t>& counts) {
  w.u64(counts.size());
  for (const auto& [rule, n] : counts) w.bytes(rule).u64(n);
}
std::map<std::string, std::uint64_t> get_counts(Reader& r, std::string_view what) {
  std::map<std::string, std::uint64_t> out;
  for (std::size_t i = 0, n = r.count(what); i < n && r.ok(); ++i) {
    std::string rule = r.bytes(what);
    const std::uint64_t times = r.u64(what);
    if (!out.emplace(std::move(rule), times).second)
      r.fail(fmt::format("{} names a rule twice", what));
  }
  return out;
}

void put(Writer& w, const record::Schedule& s) {
  w.flag(s.uncontrolled)
      .u64(s.scheduling_points)
      .u64(s.preemptions)
      .u64(s.digest)
      .bytes(s.uncontrolled_reason)
      .u64(s.choice_points)
      .bytes(s.foreign_threads);
}
record::Schedule get_schedule(Reader& r) {
  record::Schedule s;
  s.uncontrolled = r.flag("schedule uncontrolled");
  s.scheduling_points = r.u64("schedule points");
  s.preemptions = r.u64("schedule preemptions");
  s.digest = r.u64("schedule digest");
  s.uncontrolled_reason = r.bytes("schedule reason");
  s.choice_points = r.u64("schedule choice points");
  s.foreign_threads = r.bytes("schedule foreign threads");
  return s;
}

void put(Writer& w, const History& h) {
  w.u64(h.messages.size());
  for (const HistoryMessage& m : h.messages)
    w.u64(m.port).u64(m.seqno).u64(static_cast<std::uint64_t>(m.kind)).u64(m.event_index);
  w.u64(h.effects.size());
  for (const Effect& e : h.effects)
    w.u64(e.message).u64(e.resource).u64(e.event_index).flag(e.shared);
}
History get_history(Reader& r) {
  History h;
  for (std::size_t i = 0, n = r.count("history message count"); i < n && r.ok(); ++i) {
    HistoryMessage m{};
    m.port = r.bounded<model::PortName>("history port",
                                        std::numeric_limits<model::PortName>::max());
    m.seqno = r.bounded<model::Seqno>("history seqno", std::numeric_limits<model::Seqno>::max());
    m.kind = r.bounded<model::MessageKind>("history message kind",
                                           static_cast<std::uint64_t>(model::kLastMessageKind));
    m.event_index = r.bounded<std::size_t>("history message event",
                                           std::numeric_limits<std::size_t>::max());
    h.messages.push_back(m);
  }
  for (std::size_t i = 0, n = r.count("history effect count"); i < n && r.ok(); ++i) {
    Effect e{};
    // An effect names a message of the history: the checks index by it.
    e.message = h.messages.empty()
                    ? (r.fail("history effect without messages"), 0)
                    : r.bounded<std::size_t>("history effect message", h.messages.size() - 1);
    e.resource = r.u64("history effect resource");
    e.event_index = r.bounded<std::size_t>("history effect event",
                                           std::numeric_limits<std::size_t>::max());
    e.shared = r.flag("history effect shared");
    h.effects.push_back(e);
  }
  return h;
}

void put(Writer& w, const CaseOutcome& o) {
  w.u64(static_cast<std::uint64_t>(o.end)).bytes(o.detail);
  w.u64(o.verdicts.size());
  for (const CaseVerdict& v : o.verdicts) put(w, v);
  w.u64(o.trace.size());
  for (const TraceStep& t : o.trace) put(w, t);
  put(w, o.exercised);
  w.u64(o.commands_done).u64(o.events).bytes(o.in_flight).bytes(o.setup_error).bytes(o.crash_rule);
  w.u64(static_cast<std::uint64_t>(o.elapsed.count()));
  put(w, record::schedule_of(o));
  w.u64(o.copy_call_objects);
  put(w, o.unjudged);
}
CaseOutcome get_outcome(Reader& r) {
  CaseOutcome o;
  o.end = r.bounded<ChildEnd>("outcome end",
                              static_cast<std::uint64_t>(ChildEnd::resource_exhausted));
  o.detail = r.bytes("outcome detail");
  for (std::size_t i = 0, n = r.count("verdict count"); i < n && r.ok(); ++i)
    o.verdicts.push_back(get_verdict(r));
  for (std::size_t i = 0, n = r.count("trace count"); i < n && r.ok(); ++i)
    o.trace.push_back(get_trace(r));
  o.exercised = get_counts(r, "outcome exercised");
  o.commands_done = r.u64("outcome commands done");
  o.events = r.u64("outcome events");
  o.in_flight = r.bytes("outcome in flight");
  o.setup_error = r.bytes("outcome setup error");
  o.crash_rule = r.bytes("outcome crash rule");
  o.elapsed = std::chrono::microseconds(
      r.bounded<std::int64_t>("outcome elapsed", std::numeric_limits<std::int64_t>::max()));
  record::set_schedule(o, get_schedule(r));
  o.copy_call_objects = r.u64("outcome copy-call objects");
  o.unjudged = get_counts(r, "outcome unjudged");
  return o;
}

void put(Writer& w, const FoundFailure& f) {
  w.bytes(f.finding.rule).bytes(f.finding.verdict.name()).bytes(f.finding.message);
  w.bytes(f.finding.portability);
  w.bytes(encode_replay_token(f.spec)).bytes(f.reproduce).u64(f.seed);
  w.u64(f.detected_after_cases).real(f.detected_after_s);
  put(w, f.outcome);
}
FoundFailure get_failure(Reader& r) {
  FoundFailure f;
  f.finding.rule = r.bytes("finding rule");
  const std::string verdict = r.bytes("finding verdict");
  if (auto v = reports::Verdict::from_name(verdict))
    f.finding.verdict = *v;
  else
    r.fail(fmt::format("unknown verdict \"{}\"", printable(verdict)));
  f.finding.message = r.bytes("finding message");
  f.finding.portability = r.bytes("finding portability");
  const std::string token = r.bytes("replay token");
  if (auto spec = decode_replay_token(token))
    f.spec = std::move(*spec);
  else
    r.fail(fmt::format("bad replay token \"{}\"", printable(token)));
  f.reproduce = r.bytes("reproduce");
  f.seed = r.u64("seed");
  f.detected_after_cases = r.u64("detected after cases");
  f.detected_after_s = r.real("detected after seconds");
  f.outcome = get_outcome(r);
  return f;
}

template <typename T>
Decoded<T> finish(Reader& r, T value) {
  if (r.ok() && !r.at_end()) r.fail("trailing bytes");
  if (!r.ok()) return {std::nullopt, r.error()};
  return {std::move(value), {}};
}

// Reads the version and the tag; nullopt (and r failed) for anything else.
std::optional<Tag> header(Reader& r) {
  const std::uint64_t version = r.u64("version");
  if (r.ok() && version != record::kVersion)
    return r.fail(
               fmt::format("version {} (this suite reads version {})", version, record::kVersion)),
           std::nullopt;
  const std::uint64_t tag = r.u64("tag");
  return r.ok() ? std::optional<Tag>(static_cast<Tag>(tag)) : std::nullopt;
}

}  // namespace

namespace record {

Schedule schedule_of(const CaseOutcome& o) {
  return {o.uncontrolled,        o.scheduling_points, o.preemptions,    o.schedule_digest,
          o.uncontrolled_reason, o.choice_points,     o.foreign_threads};
}

void set_schedule(CaseOutcome& o, const Schedule& s) {
  o.uncontrolled = s.uncontrolled;
  o.scheduling_points = s.scheduling_points;
  o.preemptions = s.preemptions;
  o.schedule_digest = s.digest;
  o.uncontrolled_reason = s.uncontrolled_reason;
  o.choice_points = s.choice_points;
  o.foreign_threads = s.foreign_threads;
}

}  // namespace record

std::string one_line(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  return out;
}

std::string printable(std::string_view bytes, std::size_t limit) {
  std::string out;
  for (std::size_t i = 0; i < bytes.size() && i < limit; ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\')
      out.push_back(static_cast<char>(c));
    else
      out += fmt::format("\\x{:02x}", c);
  }
  if (bytes.size() > limit) out += fmt::format("... ({} bytes)", bytes.size());
  return out;
}

std::string encode_record(const CaseRecord& rec) {
  return std::visit(
      [](const auto& r) {
        using R = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<R, CaseVerdict>) {
          Writer w(Tag::verdict);
          put(w, r);
          return w.take();
        } else if constexpr (std::is_same_v<R, TraceStep>) {
          Writer w(Tag::trace);
          put(w, r);
          return w.take();
        } else if constexpr (std::is_same_v<R, record::Exercised>) {
          return Writer(Tag::exercised).bytes(r.rule).u64(r.times).flag(r.unjudged).take();
        } else if constexpr (std::is_same_v<R, record::HistoryCheck>) {
          Writer w(Tag::history);
          w.flag(r.serializable).u64(r.event_index);
          put(w, r.history);
          return w.take();
        } else if constexpr (std::is_same_v<R, record::Schedule>) {
          Writer w(Tag::schedule);
          put(w, r);
          return w.take();
        } else if constexpr (std::is_same_v<R, record::CommandBegun>) {
          return Writer(Tag::begun).u64(r.index).take();
        } else if constexpr (std::is_same_v<R, record::CommandCompleted>) {
          return Writer(Tag::completed).u64(r.index).take();
        } else if constexpr (std::is_same_v<R, record::SetupFailed>) {
          return Writer(Tag::setup_failed).bytes(r.why).take();
        } else {
          static_assert(std::is_same_v<R, record::Done>);
          return Writer(Tag::done).u64(r.copy_call_objects).take();
        }
      },
      rec);
}

Decoded<CaseRecord> decode_record(std::string_view bytes) noexcept {
  Reader r(bytes);
  const std::optional<Tag> tag = header(r);
  if (!tag) return {std::nullopt, r.error()};
  switch (*tag) {
    case Tag::verdict: return finish<CaseRecord>(r, get_verdict(r));
    case Tag::trace: return finish<CaseRecord>(r, get_trace(r));
    case Tag::exercised: {
      record::Exercised x;
      x.rule = r.bytes("rule");
      x.times = r.u64("times");
      x.unjudged = r.flag("unjudged");
      return finish<CaseRecord>(r, std::move(x));
    }
    case Tag::history: {
      record::HistoryCheck h;
      h.serializable = r.flag("serializable");
      h.event_index = r.u64("event index");
      h.history = get_history(r);
      return finish<CaseRecord>(r, std::move(h));
    }
    case Tag::schedule: return finish<CaseRecord>(r, get_schedule(r));
    case Tag::begun: return finish<CaseRecord>(r, record::CommandBegun{r.u64("command index")});
    case Tag::completed:
      return finish<CaseRecord>(r, record::CommandCompleted{r.u64("command index")});
    case Tag::setup_failed: return finish<CaseRecord>(r, record::SetupFailed{r.bytes("reason")});
    case Tag::done: return finish<CaseRecord>(r, record::Done{r.u64("copy-call objects")});
    case Tag::units:
    case Tag::question:
    case Tag::answer: break;
  }
  return {std::nullopt, fmt::format("no case record has tag {}", static_cast<unsigned>(*tag))};
}

namespace {

// Reads the header and checks the tag is `expected`, the one thing `what` may be.
bool expect(Reader& r, Tag expected, std::string_view what, std::string& error) {
  const std::optional<Tag> tag = header(r);
  if (!tag) return error = r.error(), false;
  if (*tag != expected)
    return error = fmt::format("tag {} is no {}", static_cast<unsigned>(*tag), what), false;
  return true;
}

}  // namespace

std::string encode_history(const History& h) {
  Writer w(Tag::question);
  put(w, h);
  return w.take();
}

Decoded<History> decode_history(std::string_view bytes) noexcept {
  Reader r(bytes);
  std::string error;
  if (!expect(r, Tag::question, "history", error)) return {std::nullopt, std::move(error)};
  return finish(r, get_history(r));
}

std::string encode_answer(const record::OracleAnswer& a) {
  // 0: not serializable, 1: serializable, 2: unknown.
  const std::uint64_t answer = a.serializable ? (*a.serializable ? 1 : 0) : 2;
  return Writer(Tag::answer).u64(answer).bytes(a.refused).take();
}

Decoded<record::OracleAnswer> decode_answer(std::string_view bytes) noexcept {
  Reader r(bytes);
  std::string error;
  if (!expect(r, Tag::answer, "oracle answer", error)) return {std::nullopt, std::move(error)};
  record::OracleAnswer a;
  const auto answer = r.bounded<std::uint8_t>("oracle answer", 2);
  if (answer < 2) a.serializable = answer == 1;
  a.refused = r.bytes("oracle refusal");
  return finish(r, std::move(a));
}

std::string encode_units(const std::vector<UnitResult>& units) {
  Writer w(Tag::units);
  w.u64(units.size());
  for (const UnitResult& u : units) {
    w.u64(u.cases).u64(u.commands);
    put(w, u.exercised);
    put(w, u.unjudged);
    w.u64(u.failures.size());
    for (const FoundFailure& f : u.failures) put(w, f);
  }
  return w.take();
}

Decoded<std::vector<UnitResult>> decode_units(std::string_view bytes) noexcept {
  Reader r(bytes);
  std::string error;
  if (!expect(r, Tag::units, "unit results", error)) return {std::nullopt, std::move(error)};
  std::vector<UnitResult> units;
  for (std::size_t i = 0, n = r.count("unit count"); i < n && r.ok(); ++i) {
    UnitResult u;
    u.cases = r.u64("unit cases");
    u.commands = r.u64("unit commands");
    u.exercised = get_counts(r, "unit exercised");
    u.unjudged = get_counts(r, "unit unjudged");
    for (std::size_t j = 0, m = r.count("failure count"); j < m && r.ok(); ++j)
      u.failures.push_back(get_failure(r));
    units.push_back(std::move(u));
  }
  return finish(r, std::move(units));
}

}  // namespace emmi::engine
