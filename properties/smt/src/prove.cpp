// SPDX-License-Identifier: MIT
// prove(): base and step checks of an inductive invariant, one fresh solver
// per check, and the reading of a counterexample to induction back into
// concrete values.
#include "emmi/smt/prove.h"

#include <algorithm>
#include <climits>
#include <sstream>

namespace emmi::smt {

std::string_view to_string(Outcome o) {
  switch (o) {
    case Outcome::proved: return "proved";
    case Outcome::failed: return "failed";
    case Outcome::unknown: return "unknown";
    case Outcome::error: return "error";
  }
  return "?";
}

std::string render(const Layout& l, const Counterexample& c) {
  std::ostringstream o;
  o << "counterexample to induction (" << c.check << ")\n";
  o << "violated:";
  for (const auto& v : c.violated) o << "\n  - " << v;
  o << "\npre-state:\n" << describe(l, c.pre);
  if (c.event) {
    o << "\nevent:\n  " << describe(*c.event);
    o << "\npost-state (changes):\n" << describe(l, c.post, &c.pre);
    if (!c.verdicts.empty()) {
      o << "\nverdicts of the step:";
      for (const auto& k : c.verdicts) o << " " << k.rule << "(" << k.party << ")";
    }
  }
  return o.str();
}

Induction::Induction(const Encoding& enc, std::string name, std::vector<std::string_view> rules)
    : enc_(&enc), name_(std::move(name)), rules_(std::move(rules)) {}

Induction& Induction::invariant(std::string name, StateFn f) {
  conjuncts_.push_back({std::move(name), std::move(f), false});
  return *this;
}
Induction& Induction::auxiliary(std::string name, StateFn f) {
  conjuncts_.push_back({std::move(name), std::move(f), true});
  return *this;
}
Induction& Induction::obligation(std::string name, StepFn f) {
  obligations_.push_back({std::move(name), std::move(f)});
  return *this;
}
Induction& Induction::pager_conforms(bool on) {
  pager_conforms_ = on;
  return *this;
}
Induction& Induction::bounded_incarnation(bool on) {
  bounded_incarnation_ = on;
  return *this;
}

namespace {

std::uint64_t rlimit_count(const z3::solver& s) {
  const z3::stats st = s.statistics();
  for (unsigned i = 0; i < st.size(); ++i)
    if (st.key(i) == "rlimit count")
      return st.is_uint(i) ? st.uint_value(i) : std::uint64_t(st.double_value(i));
  return 0;
}

}  // namespace

ProofResult Induction::prove(std::uint64_t rlimit) const {
  const auto started = std::chrono::steady_clock::now();
  ProofResult r;
  r.name = name_;
  r.rules = rules_;
  r.rlimit = rlimit;
  for (const Named& c : conjuncts_) (c.aux ? r.auxiliary : r.invariants).push_back(c.name);
  for (const NamedStep& o : obligations_) r.obligations.push_back(o.name);

  z3::context& ctx = enc_->ctx();
  try {
    const State pre = enc_->fresh_state("pre.");
    const Event ev = enc_->fresh_event("ev.");
    const Step step = enc_->step(pre, ev);
    auto invariant = [&](const State& s) {
      z3::expr_vector v(ctx);
      for (const Named& c : conjuncts_) v.push_back(c.f(s));
      return z3::mk_and(v);
    };
    z3::expr_vector obligations(ctx);
    for (const NamedStep& o : obligations_) obligations.push_back(o.f(pre, ev, step));

    // A fresh solver per query (no incremental mode, so every check is
    // reproducible on its own): bit-blasting to SAT after word-level
    // simplification, which decides these QF_BV queries fastest here.
    auto fresh_solver = [&] {
      const z3::tactic pipeline = z3::tactic(ctx, "simplify") &
                                  z3::tactic(ctx, "propagate-values") &
                                  z3::tactic(ctx, "solve-eqs") & z3::tactic(ctx, "bit-blast") &
                                  z3::tactic(ctx, "sat");
      return pipeline.mk_solver();
    };
    auto solve = [&](z3::solver& s, const z3::expr& query) {
      z3::params p(ctx);
      p.set("rlimit", static_cast<unsigned>(std::min<std::uint64_t>(rlimit, UINT_MAX)));
      s.set(p);
      s.add(query);
      const z3::check_result res = s.check();
      ++r.checks;
      r.rlimit_used = std::max(r.rlimit_used,
                               rlimit_count(s));  // the count is per context: cumulative
      return res;
    };
    // Runs one check; true when unsat (the obligation holds).
    auto check = [&](const z3::expr& query, const std::string& what, bool base) -> bool {
      z3::solver s = fresh_solver();
      const z3::check_result res = solve(s, query);
      if (res == z3::unsat) return true;
      if (res == z3::unknown) {
        r.outcome = Outcome::unknown;
        r.reason = what + ": " + s.reason_unknown();
        return false;
      }
      const z3::model m = s.get_model();
      Counterexample cx;
      cx.check = what;
      const State& shown = base ? pre : step.post;
      for (const Named& c : conjuncts_)
        if (m.eval(c.f(shown), true).is_false())
          cx.violated.push_back((c.aux ? "auxiliary: " : "") + c.name);
      cx.pre = read_state(m, pre);
      if (!base) {
        for (std::size_t i = 0; i < obligations_.size(); ++i)
          if (m.eval(obligations[static_cast<int>(i)], true).is_false())
            cx.violated.push_back("obligation: " + obligations_[i].name);
        cx.event = read_event(m, ev);
        cx.post = read_state(m, step.post);
        for (const auto& [k, pred] : step.verdicts.items)
          if (m.eval(pred, true).is_true()) cx.verdicts.push_back(k);
      }
      r.outcome = Outcome::failed;
      r.rendered = render(enc_->layout(), cx);
      r.counterexample = std::move(cx);
      return false;
    };

    auto satisfiable = [&](const z3::expr& query) {
      z3::solver s = fresh_solver();
      return solve(s, query) == z3::sat;
    };

    bool ok = check(enc_->initial(pre) && !invariant(pre), "base", true);
    z3::expr assumptions = invariant(pre) && enc_->well_formed(pre, ev) &&
                           enc_->kernel_conforms(pre, ev);
    if (pager_conforms_) assumptions = assumptions && enc_->pager_conforms(pre, ev);
    if (bounded_incarnation_) assumptions = assumptions && enc_->bounded_incarnation(pre, ev);
    const z3::expr goal = invariant(step.post) && z3::mk_and(obligations);
    // One step check per event kind: smaller queries, and a counterexample
    // names its event kind.
    for (unsigned k = 0; ok && k <= unsigned(Ev::port_operated); ++k) {
      const std::string what = "step: " + std::string(to_string(static_cast<Ev>(k)));
      ok = check(assumptions && enc_->is(ev.kind, k) && !goal, what, false);
      // Guard against a vacuous proof: the assumptions must admit some event
      // of this kind, or the unsat above proves nothing.
      if (ok && !satisfiable(assumptions && enc_->is(ev.kind, k))) {
        r.outcome = Outcome::failed;
        r.reason = what +
                   ": vacuous, no event of this kind satisfies the invariant and the assumptions";
        ok = false;
      }
    }
    if (ok) r.outcome = Outcome::proved;
  } catch (const z3::exception& e) {
    r.outcome = Outcome::error;
    r.reason = e.msg();
  }
  r.time = std::chrono::steady_clock::now() - started;
  return r;
}

}  // namespace emmi::smt
