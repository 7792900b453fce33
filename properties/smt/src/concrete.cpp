// SPDX-License-Identifier: MIT
// Concrete states and events: rendering, reading them out of Z3 models, and
// evaluating the symbolic step on them.
#include "emmi/smt/concrete.h"

#include <sstream>
#include <unordered_set>

namespace emmi::smt {
namespace {

std::uint64_t value_of(const z3::expr& v) {
  if (v.is_bool()) return v.is_true() ? 1 : 0;
  std::uint64_t out = 0;
  if (!v.is_numeral() || !v.is_numeral_u64(out))
    throw z3::exception("evaluation did not reduce to a constant");
  return out;
}

std::string slot_name(std::uint64_t s) { return "name[" + std::to_string(s) + "]"; }

// Renders one field's value in the protocol's words.
std::string show(const Layout::Field& f, std::uint64_t v) {
  switch (f.kind) {
    case F::lc:
      return v <= 4 ? std::string(to_string(static_cast<Life>(v))) : "?" + std::to_string(v);
    case F::ctl:
    case F::nam:
    case F::tport:
    case F::tc:
    case F::tn: return slot_name(v);
    case F::role: return std::string(to_string(static_cast<Role>(v & 3)));
    case F::tkind:
      return v <= unsigned(Msg::stray) ? std::string(to_string(static_cast<Msg>(v))) : "?";
    case F::tpair:
    case F::owner: return "pair#" + std::to_string(v);
    case F::qreg: {
      std::string s = "[";
      for (unsigned i = 0; i * kMsgBits < f.width; ++i) {
        const auto k = (v >> (i * kMsgBits)) & ((1u << kMsgBits) - 1);
        if (k == 0) break;
        if (i) s += ",";
        s += k <= unsigned(Msg::stray) ? std::string(to_string(static_cast<Msg>(k))) : "?";
      }
      return s + "]";
    }
    case F::smask:
      return "0x" + [&] {
        std::ostringstream o;
        o << std::hex << v;
        return o.str();
      }();
    default: break;
  }
  if (f.width == 0) return v ? "true" : "false";
  return std::to_string(v);
}

}  // namespace

std::vector<std::uint64_t> ConcreteEvent::values() const {
  return {unsigned(kind),
          unsigned(msg),
          obj,
          ker,
          page,
          mask,
          port,
          seqno,
          c,
          n,
          thread,
          unsigned(code),
          unsigned(call),
          unsigned(op),
          flags,
          unsigned(attrs)};
}

ConcreteEvent ConcreteEvent::from_values(const std::vector<std::uint64_t>& v) {
  ConcreteEvent e;
  e.kind = static_cast<Ev>(v.at(0));
  e.msg = static_cast<Msg>(v.at(1));
  e.obj = unsigned(v.at(2));
  e.ker = unsigned(v.at(3));
  e.page = unsigned(v.at(4));
  e.mask = unsigned(v.at(5));
  e.port = unsigned(v.at(6));
  e.seqno = std::uint32_t(v.at(7));
  e.c = unsigned(v.at(8));
  e.n = unsigned(v.at(9));
  e.thread = unsigned(v.at(10));
  e.code = static_cast<Ret>(v.at(11));
  e.call = static_cast<Call>(v.at(12));
  e.op = static_cast<Op>(v.at(13));
  e.flags = unsigned(v.at(14));
  e.attrs = static_cast<Attrs>(v.at(15));
  return e;
}

std::string describe(const ConcreteEvent& e) {
  std::ostringstream o;
  auto msg = [&] {
    return unsigned(e.msg) <= unsigned(Msg::stray) ? to_string(e.msg) : std::string_view("?");
  };
  switch (e.kind) {
    case Ev::kernel_sent:
      o << "KernelSent " << msg();
      if (e.msg == Msg::other) {
        o << " to " << slot_name(e.port);
      } else {
        o << " object " << e.obj << " from kernel " << e.ker;
        if (e.msg == Msg::data_request || e.msg == Msg::data_unlock || e.msg == Msg::data_return)
          o << " page " << e.page;
        if (e.msg == Msg::synchronize)
          o << " pages 0x" << std::hex << e.mask << std::dec << " flags " << e.flags;
      }
      break;
    case Ev::dequeued:
      o << "Dequeued thread " << e.thread << " from " << slot_name(e.port) << " seqno " << e.seqno
        << ": " << msg();
      if (e.msg != Msg::other) o << " from kernel " << e.ker;
      if (e.msg == Msg::init)
        o << " (send rights " << slot_name(e.c) << ", " << slot_name(e.n) << ")";
      if (e.msg == Msg::terminate)
        o << " (receive rights " << slot_name(e.c) << ", " << slot_name(e.n) << ")";
      break;
    case Ev::handler_returned:
      o << "HandlerReturned thread " << e.thread << " "
        << (unsigned(e.code) <= 2 ? to_string(e.code) : std::string_view("?"));
      break;
    case Ev::control_called:
      o << "ControlCalled thread " << e.thread << " "
        << (unsigned(e.call) <= unsigned(Call::synchronize_completed) ? to_string(e.call) : "?")
        << " on " << slot_name(e.port) << " pages 0x" << std::hex << e.mask << std::dec;
      if (e.call == Call::change_attributes && e.attrs != Attrs::ok)
        o << " (" << (unsigned(e.attrs) <= 2 ? to_string(e.attrs) : "?") << ")";
      break;
    case Ev::port_operated:
      o << "PortOperated thread " << e.thread << " "
        << (unsigned(e.op) <= 5 ? to_string(e.op) : "?") << " " << slot_name(e.port);
      break;
    default: o << "event kind " << unsigned(e.kind);
  }
  return o.str();
}

std::string describe(const Layout& l, const ConcreteState& s, const ConcreteState* before) {
  // The layout is ordered field by field; the text is entity by entity.
  std::vector<std::string> order;
  std::map<std::string, std::string> lines;
  for (std::size_t i = 0; i < l.size(); ++i) {
    const Layout::Field& f = l.field(i);
    if (before && (*before)[i] == s[i]) continue;
    const auto dot = f.name.find('.');
    const std::string who = f.name.substr(0, dot);
    auto [it, fresh] = lines.emplace(who, "");
    if (fresh) order.push_back(who);
    it->second += " " + f.name.substr(dot + 1) + "=" + show(f, s[i]);
    if (before) it->second += " (was " + show(f, (*before)[i]) + ")";
  }
  std::ostringstream o;
  for (std::size_t i = 0; i < order.size(); ++i)
    o << (i ? "\n" : "") << "  " << order[i] << ":" << lines[order[i]];
  if (order.empty()) o << "  (no change)";
  return o.str();
}

ConcreteState read_state(const z3::model& m, const State& s) {
  ConcreteState out;
  out.reserve(s.terms().size());
  for (const z3::expr& t : s.terms()) out.push_back(value_of(m.eval(t, true)));
  return out;
}

ConcreteEvent read_event(const z3::model& m, const Event& e) {
  std::vector<std::uint64_t> v;
  for (const z3::expr& t : e.terms()) v.push_back(value_of(m.eval(t, true)));
  return ConcreteEvent::from_values(v);
}

ConcreteState initial_state(const Layout& l) {
  ConcreteState s(l.size(), 0);
  for (std::size_t i = 0; i < l.size(); ++i) {
    const Layout::Field& f = l.field(i);
    if (f.group != Group::name || f.index >= l.bounds().objects) continue;
    if (f.kind == F::recv) s[i] = 1;
    if (f.kind == F::role) s[i] = unsigned(Role::other);
  }
  return s;
}

// --- Evaluator ------------------------------------------------------------------

struct Evaluator::Impl {
  static constexpr std::size_t kSeqnoParam = 7;  // position of "seqno" in Event::names()

  explicit Impl(Bounds b, Variant v)
      : enc(ctx, b, v),
        pre(enc.fresh_state("x.")),
        ev(enc.fresh_event("e.")),
        step(enc.step(pre, ev)),
        quiet(enc.quiescent(pre)),
        whole(ctx),
        quiet_whole(ctx) {
    for (const z3::expr& t : ev.terms()) event_consts.push_back(t);
    for (std::size_t i = 0; i < pre.terms().size(); ++i) index_of.emplace(pre.terms()[i].id(), i);
    // Everything a step computes, as the arguments of one term, so that one
    // substitute/simplify pass shares the work over the common sub-terms.
    z3::expr_vector parts(ctx);
    for (const z3::expr& t : step.post.terms()) parts.push_back(t);
    for (const auto& item : step.verdicts.items) parts.push_back(item.second);
    parts.push_back(step.accepted);
    parts.push_back(step.succeeds);
    whole = bundle(parts);
    z3::expr_vector q(ctx);
    for (const auto& item : quiet.items) q.push_back(item.second);
    quiet_whole = bundle(q);
  }

  // f(parts...) for a fresh uninterpreted f of the parts' sorts.
  z3::expr bundle(const z3::expr_vector& parts) {
    z3::sort_vector domain(ctx);
    for (unsigned i = 0; i < parts.size(); ++i) domain.push_back(parts[i].get_sort());
    const z3::func_decl f = z3::function(("bundle." + std::to_string(bundles++)).c_str(), domain,
                                         ctx.bool_sort());
    return f(parts);
  }

  // The step specialised to one concrete event: the fields that may change,
  // the verdicts that may hold, as the arguments of one bundle term, and the
  // pre-state fields that term reads.
  struct Specialised {
    std::vector<std::size_t> fields;
    std::vector<VerdictKey> keys;
    z3::expr term;  // bundle(fields..., verdicts..., accepted, succeeds)
    z3::expr_vector reads;
    std::vector<std::size_t> read_fields;
  };

  z3::expr numeral(const Layout::Field& f, std::uint64_t v) {
    return f.width == 0 ? ctx.bool_val(v != 0) : ctx.bv_val(static_cast<std::uint64_t>(v), f.width);
  }

  void collect_reads(const z3::expr& e, std::unordered_set<unsigned>& seen,
                     std::set<std::size_t>& reads) {
    if (!seen.insert(e.id()).second) return;
    if (e.is_const() && !e.is_numeral() && !e.is_true() && !e.is_false()) {
      auto it = index_of.find(e.id());
      if (it != index_of.end()) reads.insert(it->second);
      return;
    }
    if (e.is_app())
      for (unsigned i = 0; i < e.num_args(); ++i) collect_reads(e.arg(i), seen, reads);
  }

  // The step for one event kind and message kind: most of the formula (the
  // other kinds' blocks) simplifies away, so the per-event specialisation
  // below works on a much smaller term.
  const z3::expr& by_kind(const ConcreteEvent& e) {
    const std::pair<unsigned, unsigned> key{unsigned(e.kind), unsigned(e.msg)};
    auto it = kinds.find(key);
    if (it != kinds.end()) return it->second;
    z3::expr_vector src(ctx), dst(ctx);
    src.push_back(event_consts[0]);
    dst.push_back(ctx.bv_val(key.first, kEvBits));
    src.push_back(event_consts[1]);
    dst.push_back(ctx.bv_val(key.second, kMsgBits));
    return kinds.emplace(key, z3::expr(whole).substitute(src, dst).simplify()).first->second;
  }

  const Specialised& specialise(const ConcreteEvent& e) {
    // The seqno stays symbolic: it is substituted with the pre-state, so
    // dequeues with different seqnos share one specialisation.
    std::vector<std::uint64_t> key = e.values();
    key[kSeqnoParam] = 0;
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;

    z3::expr_vector src(ctx), dst(ctx);
    for (std::size_t i = 2; i < event_consts.size(); ++i) {
      if (i == kSeqnoParam) continue;
      src.push_back(event_consts[i]);
      dst.push_back(ctx.bv_val(key[i], event_consts[i].get_sort().bv_size()));
    }
    const z3::expr s = z3::expr(by_kind(e)).substitute(src, dst).simplify();
    const Layout& l = enc.layout();
    Specialised sp{{}, {}, ctx.bool_val(false), z3::expr_vector(ctx), {}};
    z3::expr_vector parts(ctx);
    for (std::size_t i = 0; i < l.size(); ++i) {
      const z3::expr t = s.arg(static_cast<unsigned>(i));
      if (z3::eq(t, pre.terms()[i])) continue;  // frame: the event leaves the field alone
      sp.fields.push_back(i);
      parts.push_back(t);
    }
    for (std::size_t j = 0; j < step.verdicts.items.size(); ++j) {
      const z3::expr t = s.arg(static_cast<unsigned>(l.size() + j));
      if (t.is_false()) continue;
      sp.keys.push_back(step.verdicts.items[j].first);
      parts.push_back(t);
    }
    const unsigned tail = static_cast<unsigned>(l.size() + step.verdicts.items.size());
    parts.push_back(s.arg(tail));
    parts.push_back(s.arg(tail + 1));
    sp.term = bundle(parts);
    std::set<std::size_t> reads;
    std::unordered_set<unsigned> seen;
    collect_reads(sp.term, seen, reads);
    sp.reads.push_back(event_consts[kSeqnoParam]);
    for (std::size_t i : reads) {
      sp.reads.push_back(pre.terms()[i]);
      sp.read_fields.push_back(i);
    }
    return cache.emplace(key, std::move(sp)).first->second;
  }

  Result run(const ConcreteState& x, const ConcreteEvent& e) {
    const Specialised& sp = specialise(e);
    const Layout& l = enc.layout();
    z3::expr_vector dst(ctx);
    dst.push_back(ctx.bv_val(static_cast<std::uint64_t>(e.seqno), kSeqnoBits));
    for (std::size_t i : sp.read_fields) dst.push_back(numeral(l.field(i), x[i]));
    const z3::expr v = z3::expr(sp.term).substitute(sp.reads, dst).simplify();
    Result r{x, {}};
    unsigned a = 0;
    for (std::size_t field : sp.fields) r.post[field] = value_of(v.arg(a++));
    for (const VerdictKey& k : sp.keys)
      if (v.arg(a++).is_true()) r.verdicts.insert(k);
    r.accepted = v.arg(a++).is_true();
    r.succeeds = v.arg(a++).is_true();
    return r;
  }

  std::set<VerdictKey> run_quiescent(const ConcreteState& x) {
    const Layout& l = enc.layout();
    z3::expr_vector src(ctx), dst(ctx);
    for (std::size_t i = 0; i < l.size(); ++i) {
      src.push_back(pre.terms()[i]);
      dst.push_back(numeral(l.field(i), x[i]));
    }
    const z3::expr v = z3::expr(quiet_whole).substitute(src, dst).simplify();
    std::set<VerdictKey> out;
    for (std::size_t j = 0; j < quiet.items.size(); ++j)
      if (v.arg(static_cast<unsigned>(j)).is_true()) out.insert(quiet.items[j].first);
    return out;
  }

  z3::context ctx;
  Encoding enc;
  State pre;
  Event ev;
  Step step;
  Verdicts quiet;
  z3::expr whole;
  z3::expr quiet_whole;
  unsigned bundles = 0;
  std::vector<z3::expr> event_consts;
  std::map<std::pair<unsigned, unsigned>, z3::expr> kinds;
  std::map<std::vector<std::uint64_t>, Specialised> cache;
  std::map<unsigned, std::size_t> index_of;
};

Evaluator::Evaluator(Bounds b, Variant v) : impl_(std::make_unique<Impl>(b, v)) {}
Evaluator::~Evaluator() = default;

Evaluator::Result Evaluator::step(const ConcreteState& pre, const ConcreteEvent& e) {
  return impl_->run(pre, e);
}
std::set<VerdictKey> Evaluator::quiescent(const ConcreteState& s) {
  return impl_->run_quiescent(s);
}
const Layout& Evaluator::layout() const { return impl_->enc.layout(); }
std::size_t Evaluator::cached_events() const { return impl_->cache.size(); }

}  // namespace emmi::smt
