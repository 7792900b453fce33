// SPDX-License-Identifier: MIT
// The search and the report; see engine.h.
#include "emmi/engine/engine.h"

#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <rapidcheck.h>

#include "case_record.h"
#include "emmi/catalogue/catalogue.h"
#include "emmi/engine/isolation.h"
#include "emmi/engine/pager_library.h"
#include "emmi/errors.h"
#include "emmi/mix.h"
#include "emmi/model/rules.h"
#include "emmi/properties/generator.h"
#include "emmi/properties/rapidcheck_glue.h"

namespace emmi::engine {

namespace {

using reports::Verdict;

using emmi::mix;

mach::Strategy strategy_for(const Profile& profile, std::uint64_t schedule_seed) {
  switch (profile.schedules) {
    case Profile::Schedules::pct: return mach::Strategy::pct;
    case Profile::Schedules::random_walk: return mach::Strategy::random_walk;
    case Profile::Schedules::portfolio: break;
  }
  return (mix(schedule_seed) & 1) ? mach::Strategy::pct : mach::Strategy::random_walk;
}

std::string property_id(std::uint32_t unit, std::uint32_t round) {
  return fmt::format("emmi/unit{}/round{}", unit, round);
}

// The catalogue's dialect of a run whose dialect is resolved (run_conformance).
catalogue::Dialect dialect_of(const RunConfig& cfg) {
  const std::optional<catalogue::Dialect> d = catalogue::parse_dialect(cfg.dialect);
  if (!d) throw InternalError(fmt::format("unresolved dialect '{}' in a run", cfg.dialect));
  return *d;
}

// Whether the pager makes any of its objects ready with
// MEMORY_OBJECT_COPY_CALL: one case maps every object on the first kernel
// and the child counts the strategies the kernel was given. Only then do
// the kernels copy (World::copy_call); other pagers' searches spend no
// commands on copies no kernel would make.
bool probe_copy_call(const PagerLibrary& lib, const Profile& profile, const World& world,
                     const CaseOptions& options) {
  CaseSpec probe;
  for (std::uint32_t o = 0; o < world.objects; ++o)
    probe.commands.push_back(Command{CommandKind::map, 0, static_cast<std::uint8_t>(o)});
  probe.strategy = strategy_for(profile, probe.schedule_seed);
  probe.pct_depth = static_cast<std::uint8_t>(profile.pct_depth);
  const CaseOutcome o = run_case(lib, profile, probe, options);
  return o.copy_call_objects > 0;
}

UnitResult run_unit(const PagerLibrary& lib, const RunConfig& cfg, std::uint32_t unit,
                    const std::function<void(const UnitResult&)>& on_case) {
  UnitResult r;
  auto findings = [&cfg](const CaseOutcome& o) { return judged_findings(o, cfg.dialect); };
  const Profile& profile = cfg.profile;
  CaseOptions options;
  options.pager_options = cfg.pager_options;
  std::set<std::string> known;
  // The commands the pager's roles allow (the default-pager ones only for a
  // default pager; copies only for a pager that copies by call).
  World world = world_for(lib, profile.world);
  if (world.copies_possible()) world.copy_call = probe_copy_call(lib, profile, world, options);
  const auto unit_start = std::chrono::steady_clock::now();
  for (std::uint32_t round = 0; round < profile.rounds; ++round) {
    std::optional<FoundFailure> last;
    std::uint64_t first_cases = 0;
    double first_s = 0;
    auto property = [&] {
      CaseSpec spec{*properties::gen_case(world), *rc::gen::arbitrary<std::uint64_t>(),
                    mach::Strategy::pct, static_cast<std::uint8_t>(profile.pct_depth)};
      spec.strategy = strategy_for(profile, spec.schedule_seed);
      // The schedule is part of the case: one run decides it. But a shorter
      // command list shifts every later decision of the same seed, so a
      // shrink candidate that passes is also tried under two more schedules
      // (seeds derived from its own); the one that fails is the one the
      // replay token keeps, so it still reruns exactly.
      CaseOutcome o;
      const int attempts = last ? 3 : 1;
      const std::uint64_t base_seed = spec.schedule_seed;
      std::vector<Finding> fresh;
      for (int attempt = 0; attempt < attempts && fresh.empty(); ++attempt) {
        if (attempt > 0) {
          spec.schedule_seed = mix(base_seed + static_cast<std::uint64_t>(attempt));
          spec.strategy = strategy_for(profile, spec.schedule_seed);
        }
        o = run_case(lib, profile, spec, options);
        ++r.cases;
        r.commands += o.commands_done;
        for (auto& [rule, n] : o.exercised) r.exercised[rule] += n;
        for (auto& [rule, n] : o.unjudged) r.unjudged[rule] += n;
        if (on_case) on_case(r);
        for (Finding& f : findings(o))
          if (!known.count(f.rule)) fresh.push_back(std::move(f));
      }
      if (!fresh.empty()) {
        if (first_cases == 0) {
          first_cases = r.cases;
          first_s =
              std::chrono::duration<double>(std::chrono::steady_clock::now() - unit_start).count();
        }
        last = FoundFailure{fresh.front(), spec, std::move(o), {}, 0, first_cases, first_s};
        RC_FAIL(fresh.front().rule + ": " + fresh.front().message);
      }
    };
    properties::PropertyParams params;
    params.seed = mix(cfg.seed ^ mix(unit) ^ (std::uint64_t(round) << 48));
    params.max_success = static_cast<int>(profile.cases);
    params.max_size = static_cast<int>(profile.max_commands);
    params.max_discard_ratio = 10;
    params.quiet = true;
    const properties::PropertyResult result = properties::check_property(property_id(unit, round),
                                                                         property, params);
    if (!result.failed() || !last) break;  // nothing (more) found in this unit
    // The last failing run is the shrunk counterexample.
    last->seed = *params.seed;
    last->reproduce = result.reproduce;
    // Then the schedule: the same commands under PCT with fewer priority
    // change points, down to none (the highest-priority thread runs until it
    // blocks), keep the first that still breaks the rule. Each candidate is
    // one run: the schedule decides the interleaving.
    {
      const std::uint32_t from = last->spec.strategy == mach::Strategy::pct
                                     ? (last->spec.pct_depth ? last->spec.pct_depth
                                                             : profile.pct_depth)
                                     : profile.pct_depth + 1;
      for (std::uint32_t depth = 1; depth < from; ++depth) {
        CaseSpec fewer = last->spec;
        fewer.strategy = mach::Strategy::pct;
        fewer.pct_depth = static_cast<std::uint8_t>(depth);
        CaseOutcome o = run_case(lib, profile, fewer, options);
        ++r.cases;
        r.commands += o.commands_done;
        if (o.uncontrolled || o.preemptions >= last->outcome.preemptions) continue;
        bool same = false;
        for (const Finding& f : findings(o)) same = same || f.rule == last->finding.rule;
        if (!same) continue;
        for (Finding& f : findings(o))
          if (f.rule == last->finding.rule) last->finding = std::move(f);
        last->spec = fewer;
        last->outcome = std::move(o);
        break;
      }
    }
    // Every rule the shrunk case breaks gets it as its counterexample, the
    // rule the search was shrinking for first.
    known.insert(last->finding.rule);
    for (Finding& f : findings(last->outcome)) {
      if (!known.insert(f.rule).second) continue;
      FoundFailure also = *last;
      also.finding = std::move(f);
      r.failures.push_back(std::move(also));
    }
    r.failures.push_back(std::move(*last));
    bool stop = false;
    for (const FoundFailure& f : r.failures) stop = stop || cfg.stop_on.count(f.finding.rule) > 0;
    if (stop) break;
  }
  return r;
}

bool reached_stop_rule(const RunConfig& cfg, const UnitResult& r) {
  for (const FoundFailure& f : r.failures)
    if (cfg.stop_on.count(f.finding.rule)) return true;
  return false;
}

// Runs the units of this shard, `jobs` worker processes at a time. Each worker
// is itself single-threaded and forks one child per case.
std::vector<UnitResult> run_units(const PagerLibrary& lib, const RunConfig& cfg) {
  std::vector<std::uint32_t> mine;
  for (std::uint32_t u = 0; u < cfg.profile.units; ++u)
    if (u % cfg.shard_total == cfg.shard_index) mine.push_back(u);
  std::vector<UnitResult> out;
  if (cfg.jobs <= 1) {
    const auto start = std::chrono::steady_clock::now();
    std::uint64_t done_before = 0, failures = 0;
    for (auto u : mine) {
      auto report = [&](const UnitResult& r) {
        if (!cfg.progress) return;
        cfg.progress({done_before + r.cases, failures + r.failures.size(),
                      std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - start)});
      };
      out.push_back(run_unit(lib, cfg, u, report));
      done_before += out.back().cases;
      failures += out.back().failures.size();
      if (reached_stop_rule(cfg, out.back())) break;
    }
    return out;
  }
  // Workers: each takes every jobs-th unit of this shard and sends its unit
  // results back as one record (case_record.h) when it is done.
  std::vector<std::pair<pid_t, int>> workers;
  const std::uint32_t jobs = std::min<std::uint32_t>(cfg.jobs,
                                                     static_cast<std::uint32_t>(mine.size()));
  for (std::uint32_t w = 0; w < jobs; ++w) {
    int fds[2];
    if (::pipe(fds) != 0)
      throw InternalError(fmt::format("pipe for a search worker failed: {}", std::strerror(errno)));
    const pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0)
      throw InternalError(fmt::format("fork of a search worker failed: {}", std::strerror(errno)));
    if (pid == 0) {
      die_with_parent(parent);
      ::close(fds[0]);
      std::vector<UnitResult> all;
      for (std::size_t i = w; i < mine.size(); i += jobs)
        all.push_back(run_unit(lib, cfg, mine[i], nullptr));
      RecordWriter(fds[1]).write(encode_units(all));
      ::_exit(0);
    }
    ::close(fds[1]);
    workers.push_back({pid, fds[0]});
  }
  for (std::size_t w = 0; w < workers.size(); ++w) {
    auto [pid, fd] = workers[w];
    std::string data;
    char buf[65536];
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      data.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (data.size() < 4 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
      throw InternalError(
          fmt::format("search worker {} failed (no results, or it did not exit cleanly)", w));
    // The record framing (a 4-byte length) and the record.
    auto units = decode_units(std::string_view(data).substr(4));
    if (!units) {
      // What the worker found is lost: the suite cannot say the pager passed.
      UnitResult lost;
      lost.failures.push_back(
          {{std::string(model::rule::IN2), Verdict::unresolved,
            fmt::format("the results of search worker {} could not be decoded ({}): \"{}\"", w,
                        units.error, printable(std::string_view(data).substr(4)))},
           {},
           {},
           {},
           cfg.seed,
           0,
           0});
      out.push_back(std::move(lost));
      continue;
    }
    for (UnitResult& u : *units.value) out.push_back(std::move(u));
  }
  return out;
}

std::string hostname() {
  char buf[256] = {};
  ::gethostname(buf, sizeof buf - 1);
  return buf;
}

std::string os_name() {
  utsname u{};
  if (::uname(&u) != 0) return "unknown";
  return fmt::format("{} {} {}", u.sysname, u.release, u.machine);
}

}  // namespace

std::string shell_word(std::string_view word) {
  const bool plain = !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("_@%+=:,./-", c) != nullptr;
  });
  if (plain) return std::string(word);
  std::string out = "'";
  for (char c : word) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

namespace {

// A portability finding's note: which X-note, and why the platform's
// reading makes the act harmless.
std::string portability_note(std::string_view note, const World& w) {
  const bool osf = w.platform == Platform::osf;
  std::string why =
      note == "X6" && osf
          ? "the OSF kernels take data supplied in advance and ignore data for pages they "
            "already hold (the memory_object_control.defs comment of xnu-123.5, an OSF MK "
            "descendant), where the manual page forbids both"
      : note == "X6" ? "GNU Mach inserts pages supplied without a request and ignores data "
                       "for pages it already holds (memory_object_data_supply, "
                       "vm/memory_object.c), where the manual page forbids both"
      : note == "X18" && osf
          ? "the OSF mach_port_deallocate page says a release of an unknown name succeeds, and "
            "the OSF kernels change nothing, where the manual's strict reading (and today's "
            "XNU) make it an error"
      : note == "X18" ? "GNU Mach answers a release of a right the task does not hold with "
                        "KERN_INVALID_NAME (or KERN_INVALID_RIGHT) and changes nothing, where "
                        "the manual's strict reading (and XNU) make it an error"
                      : "the platform's reading of this X-note accepts it";
  return fmt::format("{}: harmless on the {} platform: {}; --platform manual fails it", note,
                     to_string(w.platform), why);
}

// Whether a shrunk case uses a world GNU Mach never makes (a kernel whose
// page size is not GNU Mach's 4 KiB, or a second kernel mapping one object),
// said in words, or "" when GNU Mach could send the same messages. Only on
// the manual platform. It says "uses", not "needs": shrinking removes
// commands but does not move them to kernel k0, so only a run on the gnumach
// platform tells whether the pager's behaviour matters there.
std::string outside_gnumach(const CaseSpec& spec, const World& w) {
  if (w.platform != Platform::manual) return {};
  std::map<std::uint8_t, std::set<std::uint8_t>> kernels_of_object;
  for (const Command& c : spec.commands) {
    if (c.kind == CommandKind::stray) continue;
    kernels_of_object[c.object].insert(c.kernel);
    if (c.kind == CommandKind::map_while_unmap) kernels_of_object[c.object].insert(c.other_kernel);
  }
  std::set<std::uint8_t> odd_size;
  std::string shared;
  for (const auto& [object, kernels] : kernels_of_object) {
    for (std::uint8_t k : kernels)
      if (k < w.kernel_page_sizes.size() && w.kernel_page_sizes[k] != kGnuMachPageSize)
        odd_size.insert(k);
    if (kernels.size() > 1 && shared.empty()) {
      std::string list;
      for (std::uint8_t k : kernels) list += fmt::format("{}k{}", list.empty() ? "" : ", ", k);
      shared = fmt::format("{} kernels ({}) map object o{}", kernels.size(), list, object);
    }
  }
  std::vector<std::string> parts;
  for (std::uint8_t k : odd_size)
    parts.push_back(fmt::format("kernel k{} has {}-byte pages", k, w.kernel_page_sizes[k]));
  if (!shared.empty()) parts.push_back(shared);
  if (parts.empty()) return {};
  return fmt::format(
      "the shrunk case uses a world GNU Mach never makes ({}); GNU Mach maps an "
      "object through one kernel with 4096-byte pages: --platform gnumach judges "
      "whether this matters there",
      fmt::join(parts, "; "));
}

reports::Counterexample counterexample_of(const FoundFailure& f, const RunConfig& cfg) {
  reports::Counterexample c;
  for (const Command& cmd : f.spec.commands) c.commands.push_back(describe(cmd));
  c.seed = f.seed;
  if (!f.reproduce.empty()) c.reproduce = "RC_PARAMS=\"reproduce=" + f.reproduce + "\"";
  std::string pager = cfg.pager_path.empty() ? "" : " --pager " + shell_word(cfg.pager_path);
  c.replay_command = fmt::format("{} --platform {} --dialect {}{} --profile {} --replay {}",
                                 cfg.command_line_prefix, to_string(cfg.profile.world.platform),
                                 shell_word(cfg.dialect), pager, cfg.profile.name,
                                 encode_replay_token(f.spec));
  for (const TraceStep& t : f.outcome.trace) {
    reports::TraceEvent e;
    e.index = t.index;
    e.lane_from = t.from;
    e.lane_to = t.to;
    e.label = t.label;
    if (t.seqno) e.seqno = *t.seqno;
    e.rights = t.rights;
    c.trace.push_back(std::move(e));
  }
  // The verdicts of the shrunk case, attached to the events that revealed them.
  for (const CaseVerdict& v : f.outcome.verdicts) {
    auto it = std::find_if(c.trace.begin(), c.trace.end(),
                           [&](const reports::TraceEvent& e) { return e.index >= v.event_index; });
    std::string note = v.rule + ": " + v.explanation;
    if (it != c.trace.end()) {
      it->note += (it->note.empty() ? "" : "; ") + note;
    } else {
      reports::TraceEvent e;
      e.index = v.event_index;
      e.lane_from = e.lane_to = v.liveness ? "pager" : "model";
      e.label = v.liveness ? "no progress" : "at quiescence";
      e.note = note;
      c.trace.push_back(std::move(e));
    }
  }
  if (f.outcome.end != ChildEnd::exited) {
    reports::TraceEvent e;
    e.index = c.trace.empty() ? 0 : c.trace.back().index + 1;
    e.lane_from = e.lane_to = "pager";
    e.label = std::string(to_string(f.outcome.end)) + ": " + f.outcome.detail;
    c.trace.push_back(std::move(e));
  }
  return c;
}

// Whose duty a rule is, for the section of the report it goes in. The model's
// table decides for the rules it checks (a rule the catalogue files under the
// kernel, such as TM5, can still carry a pager duty the model checks); the
// catalogue's party decides for the others.
reports::Party party_of(const catalogue::Rule& rule) {
  if (const model::RuleInfo* checked = model::find_rule(rule.id))
    return checked->binds == model::Binds::kernel ? reports::Party::kernel : reports::Party::pager;
  auto binds_pager = [](catalogue::Who w) {
    return w == catalogue::Who::pager || w == catalogue::Who::default_pager ||
           w == catalogue::Who::none;
  };
  if (binds_pager(rule.who)) return reports::Party::pager;
  for (catalogue::Who w : rule.also_binds)
    if (binds_pager(w)) return reports::Party::pager;
  return reports::Party::kernel;
}

}  // namespace

reports::Party rule_party(std::string_view rule_id) {
  const catalogue::Rule* rule = catalogue::Catalogue::builtin().find(rule_id);
  return rule != nullptr ? party_of(*rule) : reports::Party::pager;
}

namespace {

reports::RunReport build_report(const RunConfig& cfg, const PagerLibrary& lib,
                                const std::vector<UnitResult>& units, double seconds,
                                const std::string& started) {
  reports::RunReport rep;
  rep.suite.version = EMMI_CTS_VERSION;
  rep.pager = {cfg.pager_path, lib.sha256, lib.name};
  rep.dialect = cfg.dialect;
  rep.platform = std::string(to_string(cfg.profile.world.platform));
  rep.profile = cfg.profile.name;
  rep.seed = cfg.seed;
  rep.machine = {hostname(), os_name(),
                 static_cast<std::uint32_t>(std::thread::hardware_concurrency())};
  rep.conformance_mode = cfg.conformance_mode;
  if (cfg.shard_total > 1) rep.shard = reports::ShardInfo{cfg.shard_index, cfg.shard_total};
  rep.started_at = started;
  rep.duration_s = seconds;
  const World w = world_for(lib, cfg.profile.world);
  rep.parameters = {{"kernel_page_sizes", page_sizes_text(w)},
                    {"objects", std::to_string(w.objects)},
                    {"object_size", std::to_string(w.object_size)},
                    {"units", std::to_string(cfg.profile.units)},
                    {"cases_per_unit", std::to_string(cfg.profile.cases)},
                    {"max_commands", std::to_string(cfg.profile.max_commands)},
                    {"rounds", std::to_string(cfg.profile.rounds)},
                    {"schedule",
                     fmt::format("{}; pct depth {}, k = {} per command",
                                 cfg.profile.schedules == Profile::Schedules::pct ? "pct"
                                 : cfg.profile.schedules == Profile::Schedules::random_walk
                                     ? "random walk"
                                     : "portfolio (pct and random walk)",
                                 cfg.profile.pct_depth, cfg.profile.pct_steps_per_command)},
                    {"jobs", std::to_string(cfg.jobs)}};
  // A default pager is played with temporary objects (and without objects
  // of its own unless it also declares the ordinary role).
  if (w.default_pager)
    rep.parameters["pager_roles"] = w.objects != 0 ? "pager, default pager" : "default pager";
  if (cfg.replay) rep.parameters["replay"] = cfg.replay_token;
  // What the pager declares (emmi_pager_dialects), from which --dialect auto
  // chose rep.dialect.
  rep.parameters["pager_dialects"] = dialects_text(lib.dialects);
  // What the pager was told at start(): a re-run needs it as much as the seed.
  if (!cfg.pager_options.empty()) rep.parameters["pager_options"] = cfg.pager_options;

  std::map<std::string, std::uint64_t> exercised, unjudged;
  std::map<std::string, const FoundFailure*> worst;  // per rule: most severe, then shortest
  std::uint64_t commands = 0;
  for (const UnitResult& u : units) {
    rep.cases_run += u.cases;
    commands += u.commands;
    for (auto& [rule, n] : u.exercised) exercised[rule] += n;
    for (auto& [rule, n] : u.unjudged) unjudged[rule] += n;
    for (const FoundFailure& f : u.failures) {
      auto& slot = worst[f.finding.rule];
      // A finding that fails the run outranks a portability finding of
      // the same rule and verdict.
      const bool same = slot && f.finding.verdict == slot->finding.verdict;
      if (!slot || f.finding.verdict.severity() > slot->finding.verdict.severity() ||
          (same && slot->finding.portability.empty() != f.finding.portability.empty()
               ? f.finding.portability.empty()
               : same && f.spec.commands.size() < slot->spec.commands.size()))
        slot = &f;
    }
  }
  rep.parameters["commands_run"] = std::to_string(commands);

  const auto& cat = catalogue::Catalogue::builtin();
  const catalogue::Dialect dialect = dialect_of(cfg);
  for (const catalogue::Rule& rule : cat.rules()) {
    reports::RuleResult rr;
    rr.id = rule.id;
    rr.group = rule.group;
    rr.title = rule.title;
    rr.level = std::string(catalogue::to_string(rule.level));
    rr.party = party_of(rule);
    const bool self_check = rr.party == reports::Party::kernel;
    auto ex = exercised.find(rule.id);
    rr.exercised = ex == exercised.end() ? 0 : ex->second;
    auto uj = unjudged.find(rule.id);
    const std::uint64_t not_judged = uj == unjudged.end() ? 0 : uj->second;
    if (auto f = worst.find(rule.id); f != worst.end()) {
      const FoundFailure& found = *f->second;
      rr.verdict = found.finding.verdict;
      rr.message = found.detected_after_cases == 0
                       ? found.finding.message
                       : fmt::format(
                             "{} [found after {} cases, {:.2f} s; shrunk to {} commands, "
                             "{} with {} preemptions{}]",
                             found.finding.message, found.detected_after_cases,
                             found.detected_after_s, found.spec.commands.size(),
                             found.spec.strategy == mach::Strategy::pct
                                 ? fmt::format("pct depth {}", found.spec.pct_depth)
                                 : std::string("random walk"),
                             found.outcome.preemptions,
                             found.outcome.uncontrolled
                                 ? "; ran uncontrolled: " + found.outcome.uncontrolled_reason
                                 : "");
      // Only the suite's own kernel can break a rule that binds the kernel:
      // whatever was found there is a suite bug, never the pager's failure.
      if (self_check && rr.verdict != Verdict::unresolved) {
        rr.message = fmt::format("suite bug: a {} finding on a duty of the kernel: {}",
                                 rr.verdict.name(), rr.message);
        rr.verdict = Verdict::unresolved;
      }
      rr.counterexample = counterexample_of(*f->second, cfg);
      if (rr.exercised == 0) rr.exercised = 1;
      if (!self_check && rr.verdict == Verdict::fail && !found.finding.portability.empty()) {
        rr.portability = portability_note(found.finding.portability, cfg.profile.world);
      } else if (!self_check && rr.verdict.is_nonconformance()) {
        // On a world GNU Mach never makes, say so: the finding stands on
        // this platform, and cannot happen on GNU Mach.
        if (std::string why = outside_gnumach(found.spec, cfg.profile.world); !why.empty())
          rr.message += " [platform " + std::string(to_string(cfg.profile.world.platform)) + ": " +
                        why + "]";
      }
    } else if (!rule.applies_to(dialect)) {
      rr.verdict = Verdict::not_applicable;
      rr.exercised = 0;
      rr.message = fmt::format("does not apply to the {} dialect", cfg.dialect);
    } else if (!rule.check.checked()) {
      rr.verdict = Verdict::not_applicable;
      rr.exercised = 0;
      rr.message = rule.check.reason.empty() ? "not checked by this version" : rule.check.reason;
    } else if (rr.exercised == 0 && not_judged != 0) {
      // Due, and never checkable: not a gap of the profile but of what the
      // suite could see of this pager (model::Judgement::unjudged).
      rr.verdict = Verdict::not_applicable;
      rr.message = fmt::format(
          "never exercised: its check was due {} times, and each time what it reads could "
          "not be read at the instant it is about (a pager thread held it)",
          not_judged);
      if (!rule.check.exercised_when.empty())
        rr.message += "; exercised only when " + rule.check.exercised_when;
    } else if (rr.exercised == 0) {
      rr.verdict = Verdict::not_applicable;
      rr.message = fmt::format(
          "never exercised by this profile on the {} platform (kernel page "
          "sizes {}, {} object(s))",
          to_string(w.platform), page_sizes_text(w), w.objects);
      // A permission the pager never used, or a role it never took, is not a
      // gap of the profile: say what would have exercised the rule.
      if (!rule.check.exercised_when.empty())
        rr.message += "; exercised only when " + rule.check.exercised_when;
    } else {
      rr.verdict = Verdict::pass;
      rr.message = self_check ? fmt::format(
                                    "self-check: the suite's simulated kernel kept this duty "
                                    "({} checks)",
                                    rr.exercised)
                              : fmt::format("exercised {} times, never violated", rr.exercised);
      if (not_judged != 0)
        rr.message += fmt::format(
            "; due {} more times and not judged (what the check reads could not be read at "
            "the instant it is about: a pager thread held it)",
            not_judged);
    }
    rep.rules.push_back(std::move(rr));
  }
  // Findings on rule IDs the catalogue does not know would be a suite bug.
  for (auto& [rule, f] : worst) {
    if (cat.find(rule)) continue;
    reports::RuleResult rr;
    rr.id = rule;
    rr.group = "suite";
    rr.title = "finding on a rule missing from the catalogue";
    rr.level = "MUST";
    rr.verdict = Verdict::unresolved;
    rr.message = f->finding.message;
    rep.rules.push_back(std::move(rr));
  }
  return rep;
}

}  // namespace

std::vector<Finding> findings_of(const CaseOutcome& o) {
  std::vector<Finding> out;
  std::set<std::string> seen;
  auto add = [&](std::string rule, Verdict v, std::string message) {
    if (seen.insert(rule).second) out.push_back({std::move(rule), v, std::move(message)});
  };
  // A crash charged to a rule (a touch of pages the pager sent away, SU10)
  // is that rule's failure, among the verdicts below.
  if (o.end == ChildEnd::crashed && o.crash_rule.empty())
    add(liveness_rule_for(o.in_flight), Verdict::crash,
        fmt::format("the pager crashed ({}){}", o.detail,
                    o.in_flight.empty() ? "" : " while handling " + o.in_flight));
  else if (o.end == ChildEnd::timed_out && o.uncontrolled)
    // The case ran free (a thread spun, or slept outside every intercepted
    // call) and then outlived its limit: a hang, a busy wait and a machine
    // too loaded to finish look the same from here.
    add(liveness_rule_for(o.in_flight), Verdict::unresolved,
        fmt::format("the case ran uncontrolled ({}) and did not finish ({}){}; the suite cannot "
                    "tell a hang from a busy wait or a thread blocked outside the calls it "
                    "intercepts",
                    o.uncontrolled_reason, o.detail,
                    o.in_flight.empty() ? "" : "; the pager was handling " + o.in_flight));
  else if (o.end == ChildEnd::timed_out)
    add(liveness_rule_for(o.in_flight), Verdict::timeout,
        fmt::format("the case did not finish ({}){}", o.detail,
                    o.in_flight.empty() ? "" : "; the pager was handling " + o.in_flight));
  else if (o.end == ChildEnd::resource_exhausted)
    add(liveness_rule_for(o.in_flight), Verdict::resource_exhausted,
        fmt::format("the pager exhausted a resource: {}", o.detail));
  // With a pager thread the suite never saw start, no quiescence of the
  // case was sure: what was judged there may be that thread's work not yet
  // done, so nothing found on the pager is a failure.
  const bool unseen_threads = !o.foreign_threads.empty();
  for (const CaseVerdict& v : o.verdicts) {
    Verdict verdict = v.party != model::Party::pager || unseen_threads ? Verdict::unresolved
                      : v.liveness                                     ? Verdict::timeout
                                                                       : Verdict::fail;
    std::string message = v.party == model::Party::pager
                              ? v.explanation
                              : fmt::format("{} side: {}", model::to_string(v.party),
                                            v.explanation);
    if (unseen_threads && v.party == model::Party::pager)
      message += fmt::format(" [not judged: {}]", o.foreign_threads);
    // A real violation of a rule outranks a portability finding of it.
    const std::string portability = verdict == Verdict::fail ? v.portability : std::string();
    if (portability.empty())
      for (Finding& f : out)
        if (f.rule == v.rule && !f.portability.empty()) {
          f = {v.rule, verdict, message, {}};
          break;
        }
    if (seen.insert(v.rule).second)
      out.push_back({v.rule, verdict, std::move(message), portability});
  }
  if (!o.setup_error.empty() && o.end == ChildEnd::exited)
    add(std::string(model::rule::IN2), Verdict::fail, "the case could not run: " + o.setup_error);
  return out;
}

std::vector<Finding> judged_findings(const CaseOutcome& o, std::string_view dialect) {
  const std::optional<catalogue::Dialect> d = catalogue::parse_dialect(dialect);
  if (!d) throw InternalError(fmt::format("findings judged in an unknown dialect '{}'", dialect));
  std::vector<Finding> out = findings_of(o);
  std::erase_if(out, [&](const Finding& f) {
    const catalogue::Rule* rule = catalogue::Catalogue::builtin().find(f.rule);
    return rule != nullptr && !rule->applies_to(*d) && f.verdict != Verdict::unresolved;
  });
  return out;
}

std::uint32_t default_jobs() { return 3 * std::max(1u, std::thread::hardware_concurrency()); }

reports::RunReport run_conformance(const RunConfig& config) {
  // The engine passes every parameter explicitly and records the seed in
  // the report: RapidCheck's announcement of its configuration is noise.
  properties::load_configuration_quietly();
  const auto start = std::chrono::steady_clock::now();
  const std::string started = reports::iso8601_utc_now();
  PagerLibrary lib = PagerLibrary::load(config.pager_path);
  // "auto" and the explicit names become the dialect the pager is judged
  // by; the report and the replay commands say it, never "auto".
  RunConfig cfg = config;
  cfg.dialect = resolve_dialect(lib, config.dialect);
  // The kernels a platform plays speak its dialects: unnamed, the platform
  // is the dialect's own (its world is gnumach's shape: one 4 KiB kernel);
  // named, it must speak the dialect.
  World& world = cfg.profile.world;
  if (cfg.platform_follows_dialect && world.platform != Platform::manual)
    world.platform = native_platform(cfg.dialect);
  if (std::string why = platform_refuses(world.platform, cfg.dialect); !why.empty())
    throw InputError("--platform", fmt::format("--platform {} with the {} dialect: {}",
                                               to_string(world.platform), cfg.dialect, why));
  // The OSF dialect is a property of the kernels the cases play (World::osf).
  world.osf = cfg.dialect == "osf";
  std::vector<UnitResult> units;
  if (cfg.replay) {
    UnitResult u;
    CaseOptions options;
    options.pager_options = cfg.pager_options;
    CaseOutcome o = run_case(lib, cfg.profile, *cfg.replay, options);
    u.cases = 1;
    u.commands = o.commands_done;
    u.exercised = o.exercised;
    u.unjudged = o.unjudged;
    for (Finding& f : judged_findings(o, cfg.dialect))
      u.failures.push_back({std::move(f), *cfg.replay, o, {}, cfg.seed, 0, 0});
    units.push_back(std::move(u));
  } else {
    units = run_units(lib, cfg);
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return build_report(cfg, lib, units, seconds, started);
}

}  // namespace emmi::engine
