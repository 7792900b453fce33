// The transition function of the encoding. Each event kind is one block of
// guarded updates; every variable an event does not name keeps its value
// (the frame condition is the `ite(..., new, old)` default). Rules are cited
// where a verdict predicate is built.
#include "emmi/smt/encoding.h"

#include <cassert>
#include <string>

namespace emmi::smt {
namespace {

struct FieldSpec {
  F kind;
  Group group;
  bool ghost;
};

constexpr FieldSpec kSpecs[] = {
    {F::lc, Group::pair, false},         {F::ctl, Group::pair, false},
    {F::nam, Group::pair, false},        {F::named, Group::pair, false},
    {F::init_failed, Group::pair, false}, {F::ever_ready, Group::pair, false},
    {F::destroyed, Group::pair, false},  {F::req, Group::page, false},
    {F::res, Group::page, false},        {F::plive, Group::pair, true},
    {F::pready, Group::pair, true},      {F::linit, Group::pair, true},
    {F::qlen, Group::pair, true},        {F::qreg, Group::pair, true},
    {F::recv, Group::name, false},       {F::snd, Group::name, false},
    {F::ctr, Group::name, false},        {F::kctr, Group::name, true},
    {F::last, Group::name, true},        {F::has_last, Group::name, true},
    {F::role, Group::name, true},        {F::owner, Group::name, true},
    {F::qother, Group::name, true},      {F::busy, Group::thread, false},
    {F::tkind, Group::thread, false},    {F::tport, Group::thread, false},
    {F::tpair, Group::thread, false},    {F::tc, Group::thread, false},
    {F::tn, Group::thread, false},       {F::committed, Group::thread, true},
};
static_assert(std::size(kSpecs) == kFieldKinds);

std::string_view field_name(F f) {
  switch (f) {
    case F::lc: return "lifecycle";
    case F::ctl: return "control";
    case F::nam: return "name";
    case F::named: return "named";
    case F::init_failed: return "init_failed";
    case F::ever_ready: return "ever_ready";
    case F::destroyed: return "destroyed";
    case F::req: return "requested";
    case F::res: return "resident";
    case F::plive: return "pager_live";
    case F::pready: return "pager_ready";
    case F::linit: return "live_inits";
    case F::qlen: return "in_flight";
    case F::qreg: return "in_flight_kinds";
    case F::recv: return "receive";
    case F::snd: return "send_urefs";
    case F::ctr: return "seqno_counter";
    case F::kctr: return "kernel_seqno";
    case F::last: return "last_seqno";
    case F::has_last: return "has_last";
    case F::role: return "role";
    case F::owner: return "owner";
    case F::qother: return "queued_other";
    case F::busy: return "busy";
    case F::tkind: return "message";
    case F::tport: return "port";
    case F::tpair: return "pair";
    case F::tc: return "carried_control";
    case F::tn: return "carried_name";
    case F::committed: return "committed";
  }
  return "?";
}

unsigned width_of(F f, const Layout& l) {
  switch (f) {
    case F::lc: return kLifeBits;
    case F::ctl: case F::nam: case F::tport: case F::tc: case F::tn: return l.name_bits();
    case F::linit: return 2;
    case F::qlen: return l.qlen_bits();
    case F::qreg: return l.qreg_bits();
    case F::snd: return kUrefBits;
    case F::ctr: case F::kctr: case F::last: return kSeqnoBits;
    case F::role: return kRoleBits;
    case F::owner: case F::tpair: return l.pair_bits();
    case F::qother: return kCountBits;
    case F::tkind: return kMsgBits;
    default: return 0;  // Bool
  }
}

std::string entity(Group g, unsigned index, unsigned page, const Bounds& b) {
  switch (g) {
    case Group::pair:
    case Group::page: {
      std::string s = "pair(o" + std::to_string(index / b.kernels) + ",k" +
                      std::to_string(index % b.kernels) + ")";
      return s;
    }
    case Group::name: return "name[" + std::to_string(index) + "]";
    case Group::thread: return "thread[" + std::to_string(index) + "]";
  }
  (void)page;
  return "?";
}

}  // namespace

Layout::Layout(const Bounds& b) : b_(b) {
  for (const FieldSpec& spec : kSpecs) {
    first_[static_cast<std::size_t>(spec.kind)] = fields_.size();
    unsigned count = 0, pages = 1;
    switch (spec.group) {
      case Group::pair: count = b.pairs(); break;
      case Group::page: count = b.pairs(); pages = b.pages; break;
      case Group::name: count = b.names; break;
      case Group::thread: count = b.threads; break;
    }
    for (unsigned i = 0; i < count; ++i) {
      for (unsigned p = 0; p < pages; ++p) {
        std::string name = entity(spec.group, i, p, b) + "." + std::string(field_name(spec.kind));
        if (spec.group == Group::page) name += "[" + std::to_string(p) + "]";
        fields_.push_back(Field{spec.kind, spec.group, i, p, width_of(spec.kind, *this), spec.ghost,
                                std::move(name)});
      }
    }
  }
}

std::size_t Layout::at(F f, unsigned index, unsigned page) const {
  const std::size_t first = first_[static_cast<std::size_t>(f)];
  const Field& head = fields_[first];
  const std::size_t pos = head.group == Group::page ? first + index * b_.pages + page : first + index;
  assert(pos < fields_.size() && fields_[pos].kind == f);
  return pos;
}

std::vector<z3::expr> Event::terms() const {
  return {kind, msg, obj, ker, page, mask, port, seqno, c, n, thread, code, call, op};
}

const std::vector<std::string_view>& Event::names() {
  static const std::vector<std::string_view> kNames = {
      "kind", "msg", "obj", "ker", "page", "mask", "port", "seqno", "c", "n", "thread", "code", "call", "op"};
  return kNames;
}

z3::expr Verdicts::any(z3::context& ctx, std::string_view rule) const {
  z3::expr r = ctx.bool_val(false);
  for (const auto& [key, pred] : items)
    if (key.rule == rule) r = r || pred;
  return r;
}

z3::expr Verdicts::any(z3::context& ctx, std::string_view rule, std::string_view party) const {
  z3::expr r = ctx.bool_val(false);
  for (const auto& [key, pred] : items)
    if (key.rule == rule && key.party == party) r = r || pred;
  return r;
}

Encoding::Encoding(z3::context& ctx, Bounds b, Variant v) : ctx_(&ctx), layout_(b), variant_(v) {}

State Encoding::fresh_state(const std::string& prefix) const {
  std::vector<z3::expr> v;
  v.reserve(layout_.size());
  for (std::size_t i = 0; i < layout_.size(); ++i) {
    const Layout::Field& f = layout_.field(i);
    const std::string name = prefix + f.name;
    v.push_back(f.width == 0 ? ctx_->bool_const(name.c_str()) : ctx_->bv_const(name.c_str(), f.width));
  }
  return State(layout_, std::move(v));
}

Event Encoding::fresh_event(const std::string& prefix) const {
  auto bvc = [&](const char* n, unsigned w) { return ctx_->bv_const((prefix + n).c_str(), w); };
  const Bounds& b = bounds();
  return Event{bvc("kind", kEvBits),     bvc("msg", kMsgBits),
               bvc("obj", bits_for(b.objects)), bvc("ker", bits_for(b.kernels)),
               bvc("page", bits_for(b.pages)),  bvc("mask", b.pages),
               bvc("port", layout_.name_bits()), bvc("seqno", kSeqnoBits),
               bvc("c", layout_.name_bits()),    bvc("n", layout_.name_bits()),
               bvc("thread", layout_.thread_bits()), bvc("code", kRetBits),
               bvc("call", kCallBits),           bvc("op", kOpBits)};
}

z3::expr Encoding::is(const z3::expr& term, unsigned code) const {
  return term == ctx_->bv_val(code, term.get_sort().bv_size());
}

z3::expr Encoding::below(const z3::expr& term, unsigned n) const {
  const unsigned w = term.get_sort().bv_size();
  if (w < 64 && n >= (std::uint64_t{1} << w)) return ctx_->bool_val(true);  // every value fits
  return z3::ult(term, bv(n, w));
}

z3::expr Encoding::held(const State& s, unsigned slot) const {
  return s(F::recv, slot) || s(F::snd, slot) != bv(0, kUrefBits);
}

z3::expr Encoding::at_name(const State& s, F f, const z3::expr& slot) const {
  z3::expr r = s(f, 0);
  for (unsigned n = 1; n < bounds().names; ++n) r = z3::ite(slot == bv(n, slot.get_sort().bv_size()), s(f, n), r);
  return r;
}

z3::expr Encoding::at_thread(const State& s, F f, const z3::expr& thread) const {
  z3::expr r = s(f, 0);
  for (unsigned t = 1; t < bounds().threads; ++t) r = z3::ite(thread == bv(t, thread.get_sort().bv_size()), s(f, t), r);
  return r;
}

z3::expr Encoding::held_at(const State& s, const z3::expr& slot) const {
  return at_name(s, F::recv, slot) || at_name(s, F::snd, slot) != bv(0, kUrefBits);
}

z3::expr Encoding::queued_kind(const State& s, unsigned pair, unsigned i) const {
  const unsigned lo = kMsgBits * i;
  return s(F::qreg, pair).extract(lo + kMsgBits - 1, lo);
}

z3::expr Encoding::initial(const State& s) const {
  const Bounds& b = bounds();
  z3::expr_vector c(*ctx_);
  const z3::expr f = ctx_->bool_val(false);
  for (unsigned p = 0; p < b.pairs(); ++p) {
    c.push_back(is(s(F::lc, p), unsigned(Life::uninitialised)));
    c.push_back(!s(F::named, p));
    c.push_back(!s(F::init_failed, p));
    c.push_back(!s(F::ever_ready, p));
    c.push_back(!s(F::destroyed, p));
    c.push_back(!s(F::plive, p));
    c.push_back(!s(F::pready, p));
    c.push_back(is(s(F::linit, p), 0));
    c.push_back(is(s(F::qlen, p), 0));
    c.push_back(is(s(F::qreg, p), 0));
    for (unsigned pg = 0; pg < b.pages; ++pg) {
      c.push_back(!s(F::req, p, pg));
      c.push_back(!s(F::res, p, pg));
    }
  }
  for (unsigned n = 0; n < b.names; ++n) {
    const bool object_port = n < b.objects;
    c.push_back(object_port ? s(F::recv, n) : !s(F::recv, n));
    c.push_back(is(s(F::snd, n), 0));
    c.push_back(is(s(F::ctr, n), 0));
    c.push_back(is(s(F::kctr, n), 0));
    c.push_back(!s(F::has_last, n));
    c.push_back(is(s(F::role, n), unsigned(object_port ? Role::other : Role::none)));
    c.push_back(is(s(F::qother, n), 0));
  }
  for (unsigned t = 0; t < b.threads; ++t) {
    c.push_back(!s(F::busy, t));
    c.push_back(is(s(F::tkind, t), unsigned(Msg::none)));
  }
  (void)f;
  return z3::mk_and(c);
}

namespace {

// Builds one step: `post` starts as a copy of `pre` and each event block
// overwrites the variables it changes under its own guard.
class StepBuilder {
 public:
  StepBuilder(const Encoding& enc, const State& pre, const Event& e)
      : enc_(enc), c_(enc.ctx()), b_(enc.bounds()), pre_(pre), e_(e), post_(pre) {}

  Step build() {
    kernel_sent();
    dequeued();
    handler_returned();
    control_called();
    port_operated();
    forget_released_names();
    return Step{post_, std::move(v_)};
  }

 private:
  z3::expr bv(std::uint64_t v, unsigned w) const { return c_.bv_val(v, w); }
  z3::expr is(const z3::expr& t, unsigned code) const { return enc_.is(t, code); }
  z3::expr kind(Ev k) const { return is(e_.kind, unsigned(k)); }
  z3::expr msg(Msg m) const { return is(e_.msg, unsigned(m)); }
  z3::expr life(const z3::expr& lc, Life l) const { return is(lc, unsigned(l)); }
  z3::expr ff() const { return c_.bool_val(false); }
  z3::expr tt() const { return c_.bool_val(true); }
  z3::expr emmi() const {
    return msg(Msg::init) || msg(Msg::terminate) || msg(Msg::data_request) || msg(Msg::data_unlock) ||
           msg(Msg::data_return);
  }
  void verdict(std::string_view rule, std::string_view party, const z3::expr& when) {
    v_.items.emplace_back(VerdictKey{rule, party}, when);
  }
  z3::expr at_slot(F f, const z3::expr& slot) const { return enc_.at_name(pre_, f, slot); }
  unsigned nb() const { return enc_.layout().name_bits(); }
  unsigned pb() const { return enc_.layout().pair_bits(); }
  z3::expr slot_is(const z3::expr& t, unsigned s) const { return t == bv(s, nb()); }
  // The pair an object-port event concerns: (object of the port, kernel).
  z3::expr pair_of_port_event(unsigned p) const {
    const unsigned o = p / b_.kernels, k = p % b_.kernels;
    return slot_is(e_.port, o) && is(e_.ker, k);
  }
  z3::expr pair_index_of_port_event() const {
    z3::expr r = bv(0, pb());
    for (unsigned p = 0; p < b_.pairs(); ++p) r = z3::ite(pair_of_port_event(p), bv(p, pb()), r);
    return r;
  }
  z3::expr sat_inc(const z3::expr& x, std::uint64_t max) const {
    const unsigned w = x.get_sort().bv_size();
    return z3::ite(x == bv(max, w), x, x + bv(1, w));
  }
  z3::expr sat_dec(const z3::expr& x) const {
    const unsigned w = x.get_sort().bv_size();
    return z3::ite(x == bv(0, w), x, x - bv(1, w));
  }
  void upd(F f, unsigned i, const z3::expr& when, const z3::expr& value) {
    post_.set(f, i, z3::ite(when, value, post_(f, i)));
  }
  void upd_page(F f, unsigned i, unsigned pg, const z3::expr& when, const z3::expr& value) {
    post_.set(f, i, pg, z3::ite(when, value, post_(f, i, pg)));
  }

  // --- KernelSent -------------------------------------------------------------
  void kernel_sent() {
    const z3::expr sent = kind(Ev::kernel_sent);
    for (unsigned p = 0; p < b_.pairs(); ++p) {
      const unsigned o = p / b_.kernels, k = p % b_.kernels;
      const z3::expr to_pair = sent && emmi() && is(e_.obj, o) && is(e_.ker, k);
      const z3::expr lc = pre_(F::lc, p);
      const z3::expr live = life(lc, Life::initialised) || life(lc, Life::ready);
      const z3::expr after_terminate = life(lc, Life::terminating) || life(lc, Life::terminated);
      // IN1: one init per (object, kernel) until its terminate, and init
      // precedes every other message of that kernel.
      verdict("IN1", "kernel", to_pair && ((msg(Msg::init) && live) ||
                                          (!msg(Msg::init) && life(lc, Life::uninitialised))));
      // TM8: after terminate this kernel makes no further calls on the object.
      verdict("TM8", "kernel", to_pair && !msg(Msg::init) && after_terminate);
      // RD1 (kernel side, IN10): no request before the pager made the object ready.
      verdict("RD1", "kernel", to_pair && (msg(Msg::data_request) || msg(Msg::data_unlock)) &&
                                   life(lc, Life::initialised));

      const z3::expr init = to_pair && msg(Msg::init);
      const z3::expr term = to_pair && msg(Msg::terminate);
      upd(F::lc, p, init, bv(unsigned(Life::initialised), kLifeBits));
      upd(F::lc, p, term, bv(unsigned(Life::terminating), kLifeBits));
      upd(F::linit, p, init, sat_inc(pre_(F::linit, p), 3));
      upd(F::linit, p, term, sat_dec(pre_(F::linit, p)));
      for (unsigned pg = 0; pg < b_.pages; ++pg) {
        const z3::expr this_page = is(e_.page, pg);
        // Terminate drops the pair's outstanding requests and resident pages.
        upd_page(F::req, p, pg, term, ff());
        upd_page(F::res, p, pg, term, ff());
        upd_page(F::req, p, pg, to_pair && msg(Msg::data_request) && this_page, tt());
        upd_page(F::res, p, pg, to_pair && msg(Msg::data_return) && this_page, ff());
      }
      // The in-flight queue of the pair (ghost): append the message's kind.
      const z3::expr qlen = pre_(F::qlen, p);
      const unsigned qb = enc_.layout().qreg_bits(), lb = enc_.layout().qlen_bits();
      const z3::expr room = z3::ult(qlen, bv(b_.queue_depth, lb));
      const z3::expr shift = z3::zext(qlen, qb - lb) * bv(kMsgBits, qb);
      const z3::expr cell = z3::shl(z3::zext(e_.msg, qb - kMsgBits), shift);
      upd(F::qreg, p, to_pair && room, pre_(F::qreg, p) | cell);
      upd(F::qlen, p, to_pair && room, qlen + bv(1, lb));
    }
    for (unsigned s = 0; s < b_.names; ++s)
      upd(F::qother, s, sent && msg(Msg::other) && slot_is(e_.port, s), sat_inc(pre_(F::qother, s), 255));
  }

  // --- Dequeued ---------------------------------------------------------------
  void dequeued() {
    const z3::expr deq = kind(Ev::dequeued);
    const unsigned inc = enc_.variant().dequeue_increment;
    for (unsigned s = 0; s < b_.names; ++s) {
      const z3::expr here = deq && slot_is(e_.port, s);
      const z3::expr ctr = pre_(F::ctr, s);
      const z3::expr mismatch = here && e_.seqno != ctr;
      // SQ6: the counter moves by exactly one per dequeue, so a seqno beyond
      // the counter means a number was skipped; otherwise the number is wrong
      // for the port: SQ1 (object port) or SQ2 (any other receive right).
      verdict("SQ6", "kernel", mismatch && z3::ugt(e_.seqno, ctr));
      verdict(s < b_.objects ? "SQ1" : "SQ2", "kernel", mismatch && z3::ult(e_.seqno, ctr));
      upd(F::ctr, s, here, e_.seqno + bv(inc, kSeqnoBits));
      upd(F::kctr, s, here, pre_(F::kctr, s) + bv(1, kSeqnoBits));
      upd(F::last, s, here, e_.seqno);
      upd(F::has_last, s, here, tt());
      upd(F::qother, s, here && msg(Msg::other), sat_dec(pre_(F::qother, s)));
    }
    const z3::expr init = deq && msg(Msg::init);
    const z3::expr term = deq && msg(Msg::terminate);
    for (unsigned p = 0; p < b_.pairs(); ++p) {
      const z3::expr mine = deq && pair_of_port_event(p) && emmi();
      upd(F::qreg, p, mine, z3::lshr(pre_(F::qreg, p), bv(kMsgBits, enc_.layout().qreg_bits())));
      upd(F::qlen, p, mine, sat_dec(pre_(F::qlen, p)));
      // init: the pager learns the incarnation's control and name (IN3).
      const z3::expr my_init = mine && msg(Msg::init);
      upd(F::ctl, p, my_init, e_.c);
      upd(F::nam, p, my_init, e_.n);
      upd(F::named, p, my_init, tt());
      upd(F::init_failed, p, my_init, ff());
      upd(F::plive, p, my_init, tt());
      upd(F::pready, p, my_init, ff());
      // terminate: the incarnation ends for the pager.
      const z3::expr my_term = mine && msg(Msg::terminate);
      upd(F::plive, p, my_term, ff());
      upd(F::pready, p, my_term, ff());
      upd(F::lc, p, my_term && life(pre_(F::lc, p), Life::terminating),
          bv(unsigned(Life::terminated), kLifeBits));
    }
    const z3::expr pair = pair_index_of_port_event();
    for (unsigned s = b_.objects; s < b_.names; ++s) {
      const z3::expr as_c = slot_is(e_.c, s), as_n = slot_is(e_.n, s);
      // init carries a send right to each (IN3): one more uref.
      z3::expr snd = pre_(F::snd, s);
      snd = z3::ite(init && as_c, sat_inc(snd, kUrefsMax), snd);
      snd = z3::ite(init && as_n, sat_inc(snd, kUrefsMax), snd);
      upd(F::snd, s, init, snd);
      upd(F::role, s, init && as_c, bv(unsigned(Role::control), kRoleBits));
      upd(F::role, s, init && as_n, bv(unsigned(Role::name), kRoleBits));
      upd(F::owner, s, init && (as_c || as_n), pair);
      // A fresh name gets a fresh port's counter (ipc_port_init: 0).
      upd(F::kctr, s, init && (as_c || as_n) && !enc_.held(pre_, s), bv(0, kSeqnoBits));
      if (enc_.variant().terminate_moves_rights) {
        // terminate moves the control and name receive rights in (TM3). The
        // model's counter restarts at 0 (SQ5); the kernel's own counter is
        // not reset on this path (ipc_object_copyin_from_kernel), it is 0
        // because nobody dequeues from a kernel-held control or name port.
        const z3::expr moved = term && (as_c || as_n);
        const z3::expr known = enc_.held(pre_, s);
        upd(F::recv, s, moved, tt());
        if (enc_.variant().reset_seqno_on_move_in) upd(F::ctr, s, moved, bv(0, kSeqnoBits));
        upd(F::has_last, s, moved, ff());
        upd(F::kctr, s, moved && !known, bv(0, kSeqnoBits));
        upd(F::role, s, moved && !known && as_c, bv(unsigned(Role::control), kRoleBits));
        upd(F::role, s, moved && !known && as_n, bv(unsigned(Role::name), kRoleBits));
        upd(F::owner, s, moved && !known, pair);
      }
    }
    const z3::expr carries = msg(Msg::init) || msg(Msg::terminate);
    for (unsigned t = 0; t < b_.threads; ++t) {
      // The thread's current message becomes this one (an unfinished earlier
      // one counts as returned with KERN_SUCCESS: nothing is destroyed).
      const z3::expr mine = deq && is(e_.thread, t);
      upd(F::busy, t, mine, tt());
      upd(F::tkind, t, mine, e_.msg);
      upd(F::tport, t, mine, e_.port);
      upd(F::tpair, t, mine, pair);
      upd(F::tc, t, mine, z3::ite(carries, e_.c, bv(0, nb())));
      upd(F::tn, t, mine, z3::ite(carries, e_.n, bv(0, nb())));
      upd(F::committed, t, mine, ff());
    }
  }

  // --- HandlerReturned --------------------------------------------------------
  void handler_returned() {
    const z3::expr ret = kind(Ev::handler_returned);
    const z3::expr error = is(e_.code, unsigned(Ret::error));
    for (unsigned t = 0; t < b_.threads; ++t) {
      const z3::expr mine = ret && is(e_.thread, t) && pre_(F::busy, t);
      upd(F::busy, t, mine, ff());
      upd(F::tkind, t, mine, bv(unsigned(Msg::none), kMsgBits));
      const z3::expr tc = pre_(F::tc, t), tn = pre_(F::tn, t);
      const z3::expr destroy = mine && error;
      // mach_msg_server destroys a request whose handler failed (X2): the
      // send rights init carried lose one uref each. If the pager already
      // released one, the count would go below zero: V1 (IN9 names the same
      // fault for init; the model reports V1).
      const z3::expr init = destroy && is(pre_(F::tkind, t), unsigned(Msg::init));
      verdict("V1", "pager", init && (at_slot(F::snd, tc) == bv(0, kUrefBits) ||
                                      at_slot(F::snd, tn) == bv(0, kUrefBits)));
      const z3::expr term = destroy && is(pre_(F::tkind, t), unsigned(Msg::terminate));
      for (unsigned s = b_.objects; s < b_.names; ++s) {
        z3::expr snd = post_(F::snd, s);
        snd = z3::ite(init && slot_is(tc, s), sat_dec(snd), snd);
        snd = z3::ite(init && slot_is(tn, s), sat_dec(snd), snd);
        post_.set(F::snd, s, snd);
        // ... and the receive rights terminate carried are destroyed.
        upd(F::recv, s, term && (slot_is(tc, s) || slot_is(tn, s)), ff());
      }
      for (unsigned p = 0; p < b_.pairs(); ++p)
        upd(F::init_failed, p, init && pre_(F::tpair, t) == bv(p, pb()), tt());
    }
  }

  // --- ControlCalled ----------------------------------------------------------
  void control_called() {
    const z3::expr call = kind(Ev::control_called);
    auto is_call = [&](Call c) { return is(e_.call, unsigned(c)); };
    const z3::expr supply = is_call(Call::data_supply);
    const z3::expr answer = supply || is_call(Call::data_unavailable) || is_call(Call::data_error);
    // The pair whose control name this is (the first, should a name be reused).
    std::vector<z3::expr> match;
    z3::expr earlier = ff();
    for (unsigned p = 0; p < b_.pairs(); ++p) {
      const z3::expr m = pre_(F::named, p) && pre_(F::ctl, p) == e_.port;
      match.push_back(m && !earlier);
      earlier = earlier || m;
    }
    const z3::expr no_pair = !earlier;
    // SU12 / DR8: replies go to a control port the kernel gave in init.
    verdict("SU12", "pager", call && no_pair && supply);
    verdict("DR8", "pager", call && no_pair && !supply);
    for (unsigned p = 0; p < b_.pairs(); ++p) {
      const unsigned o = p / b_.kernels, k = p % b_.kernels;
      const z3::expr here = call && match[p];
      const z3::expr lc = pre_(F::lc, p);
      const z3::expr failed = pre_(F::init_failed, p);
      // IN9: after an init error the pager does not own that control right.
      verdict("IN9", "pager", here && failed);
      // TM8 (pager side): no use of a control port after terminate.
      verdict("TM8", "pager", here && !failed && life(lc, Life::terminated));
      const z3::expr usable = here && !failed &&
                              (life(lc, Life::initialised) || life(lc, Life::ready) || life(lc, Life::terminating));
      // ready / change_attributes make an initialised pair ready, but only on
      // the control port the kernel currently serves for it: after terminate
      // was sent the old control port is no longer a kernel object
      // (gnumach-kernel.md §3d), and the pager learns the new one only when
      // it dequeues the new init.
      z3::expr current = tt();
      if (enc_.variant().ready_needs_current_control) {
        z3::expr nothing_in_flight = tt();
        for (unsigned i = 0; i < b_.queue_depth; ++i) {
          const z3::expr q = enc_.queued_kind(pre_, p, i);
          nothing_in_flight = nothing_in_flight && !is(q, unsigned(Msg::init)) && !is(q, unsigned(Msg::terminate));
        }
        current = pre_(F::plive, p) && nothing_in_flight && at_slot(F::snd, e_.port) != bv(0, kUrefBits) &&
                  is(at_slot(F::role, e_.port), unsigned(Role::control)) && at_slot(F::owner, e_.port) == bv(p, pb());
      }
      const z3::expr ready = usable && (is_call(Call::ready) || is_call(Call::change_attributes)) &&
                             life(lc, Life::initialised) && current;
      upd(F::lc, p, ready, bv(unsigned(Life::ready), kLifeBits));
      upd(F::ever_ready, p, ready, tt());
      upd(F::pready, p, ready, tt());
      upd(F::destroyed, p, usable && is_call(Call::destroy), tt());
      // data_supply / data_unavailable / data_error answer requests.
      for (unsigned pg = 0; pg < b_.pages; ++pg) {
        const z3::expr covered = usable && answer && e_.mask.extract(pg, pg) == bv(1, 1);
        const z3::expr requested = pre_(F::req, p, pg);
        z3::expr elsewhere = ff();
        for (unsigned k2 = 0; k2 < b_.kernels; ++k2)
          if (k2 != k) elsewhere = elsewhere || pre_(F::req, enc_.pair_of(o, k2), pg);
        const z3::expr unasked = covered && !requested;
        // DR8 / MK2: the answer went to another kernel's control port.
        verdict("DR8", "pager", unasked && elsewhere);
        // SU1/SU2: supply only requested data, never over live data.
        verdict("SU2", "pager", unasked && !elsewhere && supply && pre_(F::res, p, pg));
        verdict("SU1", "pager", unasked && !elsewhere && supply && !pre_(F::res, p, pg));
        // DR5 / DR4: unavailable and error exist only to answer a request.
        verdict("DR5", "pager", unasked && !elsewhere && is_call(Call::data_unavailable));
        verdict("DR4", "pager", unasked && !elsewhere && is_call(Call::data_error));
        upd_page(F::req, p, pg, covered, ff());
        upd_page(F::res, p, pg, covered && requested && supply, tt());
      }
    }
  }

  // --- PortOperated -----------------------------------------------------------
  void port_operated() {
    const z3::expr po = kind(Ev::port_operated);
    auto is_op = [&](Op o) { return is(e_.op, unsigned(o)); };
    const z3::expr drop_send = is_op(Op::deallocate) || is_op(Op::mod_refs_send);
    const z3::expr releases = drop_send || is_op(Op::destroy) || is_op(Op::mod_refs_receive);
    for (unsigned s = 0; s < b_.names; ++s) {
      const z3::expr here = po && slot_is(e_.port, s);
      const z3::expr snd = pre_(F::snd, s);
      const z3::expr none_left = snd == bv(0, kUrefBits);
      // A name whose rights mach_msg_server already released for a failed init.
      z3::expr released_by_server = ff();
      for (unsigned p = 0; p < b_.pairs(); ++p)
        released_by_server = released_by_server ||
                             (pre_(F::init_failed, p) && pre_(F::named, p) &&
                              (slot_is(pre_(F::ctl, p), s) || slot_is(pre_(F::nam, p), s)));
      // V1 / V3: a uref count never goes below zero; releasing a reference
      // the pager does not hold is a double release.
      verdict("V1", "pager", here && drop_send && none_left && released_by_server);
      verdict("V3", "pager", here && drop_send && none_left && !released_by_server);
      upd(F::snd, s, here && drop_send, sat_dec(snd));
      upd(F::recv, s, here && (is_op(Op::mod_refs_receive) || is_op(Op::destroy)), ff());
      upd(F::snd, s, here && is_op(Op::destroy), bv(0, kUrefBits));
      upd(F::snd, s, here && is_op(Op::insert_send), sat_inc(snd, kUrefsMax));
      const z3::expr alloc = here && is_op(Op::allocate);
      upd(F::recv, s, alloc, tt());
      upd(F::ctr, s, alloc, bv(0, kSeqnoBits));
      upd(F::kctr, s, alloc, bv(0, kSeqnoBits));
      upd(F::has_last, s, alloc, ff());
      upd(F::role, s, alloc, bv(unsigned(Role::other), kRoleBits));
      upd(F::qother, s, alloc, bv(0, kCountBits));
    }
    for (unsigned t = 0; t < b_.threads; ++t) {
      const z3::expr own = po && is(e_.thread, t) && pre_(F::busy, t) && releases &&
                           (pre_(F::tc, t) == e_.port || pre_(F::tn, t) == e_.port);
      upd(F::committed, t, own, tt());
    }
  }

  // A name with no right left is free again: it denotes nothing.
  void forget_released_names() {
    for (unsigned s = b_.objects; s < b_.names; ++s)
      post_.set(F::role, s, z3::ite(enc_.held(post_, s), post_(F::role, s), bv(unsigned(Role::none), kRoleBits)));
  }

  const Encoding& enc_;
  z3::context& c_;
  const Bounds& b_;
  const State& pre_;
  const Event& e_;
  State post_;
  Verdicts v_;
};

}  // namespace

Step Encoding::step(const State& pre, const Event& e) const { return StepBuilder(*this, pre, e).build(); }

Verdicts Encoding::quiescent(const State& s) const {
  Verdicts v;
  const Bounds& b = bounds();
  for (unsigned p = 0; p < b.pairs(); ++p) {
    const z3::expr lc = s(F::lc, p);
    const z3::expr ended = is(lc, unsigned(Life::terminating)) || is(lc, unsigned(Life::terminated));
    z3::expr outstanding = ctx_->bool_val(false);
    for (unsigned pg = 0; pg < b.pages; ++pg) outstanding = outstanding || s(F::req, p, pg);
    // DR3: every data_request is answered.
    v.items.emplace_back(VerdictKey{"DR3", "pager"}, outstanding && !ended);
    // RD1 / TM6: an init is followed by ready (or destroy).
    const z3::expr unready = is(lc, unsigned(Life::initialised)) && !s(F::destroyed, p);
    v.items.emplace_back(VerdictKey{"RD1", "pager"}, unready && !s(F::ever_ready, p));
    v.items.emplace_back(VerdictKey{"TM6", "pager"}, unready && s(F::ever_ready, p));
    // TM4 / TM5 / V6: the rights terminate handed over are released.
    const z3::expr done = is(lc, unsigned(Life::terminated)) && s(F::named, p);
    const z3::expr ctl = s(F::ctl, p), nam = s(F::nam, p);
    v.items.emplace_back(VerdictKey{"TM4", "pager"}, done && at_name(s, F::recv, ctl));
    v.items.emplace_back(VerdictKey{"TM5", "pager"}, done && at_name(s, F::recv, nam));
    v.items.emplace_back(VerdictKey{"V6", "pager"}, done && (at_name(s, F::snd, ctl) != bv(0, kUrefBits) ||
                                                            at_name(s, F::snd, nam) != bv(0, kUrefBits)));
  }
  return v;
}

z3::expr Encoding::well_formed(const State& s, const Event& e) const {
  const Bounds& b = bounds();
  const unsigned nb = layout_.name_bits();
  auto dynamic = [&](const z3::expr& slot) { return z3::uge(slot, bv(b.objects, nb)); };
  auto msg = [&](Msg m) { return is(e.msg, unsigned(m)); };
  const z3::expr emmi = z3::uge(e.msg, bv(unsigned(Msg::init), kMsgBits)) &&
                        z3::ule(e.msg, bv(unsigned(Msg::data_return), kMsgBits));

  z3::expr_vector c(*ctx_);
  c.push_back(z3::ule(e.kind, bv(unsigned(Ev::port_operated), kEvBits)));
  c.push_back(below(e.obj, b.objects));
  c.push_back(below(e.ker, b.kernels));
  c.push_back(below(e.page, b.pages));
  c.push_back(below(e.port, b.names));
  c.push_back(below(e.c, b.names));
  c.push_back(below(e.n, b.names));
  c.push_back(below(e.thread, b.threads));
  c.push_back(z3::ule(e.code, bv(unsigned(Ret::error), kRetBits)));
  c.push_back(z3::ule(e.op, bv(unsigned(Op::insert_send), kOpBits)));
  c.push_back(e.mask != bv(0, b.pages));
  c.push_back(z3::uge(e.msg, bv(unsigned(Msg::init), kMsgBits)) && z3::ule(e.msg, bv(unsigned(Msg::other), kMsgBits)));

  // KernelSent: EMMI messages go to the object port; at most queue_depth in
  // flight per pair; other messages go to a receive right the pager holds.
  const z3::expr sent = is(e.kind, unsigned(Ev::kernel_sent));
  z3::expr room = ctx_->bool_val(false);
  for (unsigned p = 0; p < b.pairs(); ++p)
    room = room || (is(e.obj, p / b.kernels) && is(e.ker, p % b.kernels) &&
                    z3::ult(s(F::qlen, p), bv(b.queue_depth, layout_.qlen_bits())));
  c.push_back(z3::implies(sent && emmi, room));
  c.push_back(z3::implies(sent && msg(Msg::other),
                          at_name(s, F::recv, e.port) && at_name(s, F::qother, e.port) != bv(255, kCountBits)));

  // Dequeued: from a receive right the pager holds; the message is the
  // oldest of its sender (per-sender FIFO, SQ8/SQ9).
  const z3::expr deq = is(e.kind, unsigned(Ev::dequeued));
  z3::expr front = ctx_->bool_val(false);
  for (unsigned p = 0; p < b.pairs(); ++p)
    front = front || (is(e.port, p / b.kernels) && is(e.ker, p % b.kernels) &&
                      s(F::qlen, p) != bv(0, layout_.qlen_bits()) && queued_kind(s, p, 0) == e.msg);
  c.push_back(z3::implies(deq, at_name(s, F::recv, e.port)));
  c.push_back(z3::implies(deq && emmi, z3::ult(e.port, bv(b.objects, nb)) && front));
  c.push_back(z3::implies(deq && msg(Msg::other), at_name(s, F::qother, e.port) != bv(0, kCountBits)));
  // init: copy-out names two new ports with names the task does not use.
  c.push_back(z3::implies(deq && msg(Msg::init),
                          e.c != e.n && dynamic(e.c) && dynamic(e.n) && !held_at(s, e.c) && !held_at(s, e.n)));
  // terminate: the receive rights of the incarnation's control and name
  // ports; copy-out reuses the name while the pager still holds a send right
  // to the port, and picks a new name otherwise.
  for (unsigned p = 0; p < b.pairs(); ++p) {
    const z3::expr mine = deq && msg(Msg::terminate) && is(e.port, p / b.kernels) && is(e.ker, p % b.kernels);
    auto right_name = [&](F which, Role role, const z3::expr& carried) {
      const z3::expr old = s(which, p);
      const z3::expr still = s(F::named, p) && held_at(s, old) && is(at_name(s, F::role, old), unsigned(role)) &&
                             at_name(s, F::owner, old) == bv(p, layout_.pair_bits());
      return z3::ite(still, carried == old, dynamic(carried) && !held_at(s, carried));
    };
    c.push_back(z3::implies(mine, e.c != e.n && right_name(F::ctl, Role::control, e.c) &&
                                      right_name(F::nam, Role::name, e.n)));
  }
  // HandlerReturned: the thread is handling a message.
  c.push_back(z3::implies(is(e.kind, unsigned(Ev::handler_returned)), at_thread(s, F::busy, e.thread)));
  // PortOperated: on the names the pager came to hold, not on object ports
  // (outside the encoded vocabulary); allocate takes a free name; making a
  // send right needs the receive right.
  const z3::expr po = is(e.kind, unsigned(Ev::port_operated));
  c.push_back(z3::implies(po, dynamic(e.port)));
  c.push_back(z3::implies(po && is(e.op, unsigned(Op::allocate)), !held_at(s, e.port)));
  c.push_back(z3::implies(po && is(e.op, unsigned(Op::insert_send)), at_name(s, F::recv, e.port)));
  return z3::mk_and(c);
}

z3::expr Encoding::kernel_conforms(const State& s, const Event& e) const {
  const Bounds& b = bounds();
  auto msg = [&](Msg m) { return is(e.msg, unsigned(m)); };
  z3::expr_vector c(*ctx_);
  const z3::expr sent = is(e.kind, unsigned(Ev::kernel_sent));
  for (unsigned p = 0; p < b.pairs(); ++p) {
    const z3::expr mine = sent && is(e.obj, p / b.kernels) && is(e.ker, p % b.kernels);
    const z3::expr lc = s(F::lc, p);
    const z3::expr live = is(lc, unsigned(Life::initialised)) || is(lc, unsigned(Life::ready));
    const z3::expr ready = is(lc, unsigned(Life::ready));
    z3::expr requested = ctx_->bool_val(false), resident = ctx_->bool_val(false);
    for (unsigned pg = 0; pg < b.pages; ++pg) {
      requested = requested || (is(e.page, pg) && s(F::req, p, pg));
      resident = resident || (is(e.page, pg) && s(F::res, p, pg));
    }
    // One init per pair until its terminate (IN1, gnumach-kernel.md §3a).
    c.push_back(z3::implies(mine && msg(Msg::init), !live));
    // Terminate only for a live incarnation (TM1/TM2), nothing after it (TM8).
    c.push_back(z3::implies(mine && msg(Msg::terminate), live));
    // A fault asks for a page neither resident nor requested, once ready
    // (IN10, RD1; vm_fault_page waits for pager_ready).
    c.push_back(z3::implies(mine && msg(Msg::data_request), ready && !requested && !resident));
    // Unlock and return concern resident pages of a ready pair.
    c.push_back(z3::implies(mine && (msg(Msg::data_unlock) || msg(Msg::data_return)), ready && resident));
  }
  // The kernel stamps its own counter (SQ1/SQ2, SQ6).
  c.push_back(z3::implies(is(e.kind, unsigned(Ev::dequeued)), e.seqno == at_name(s, F::kctr, e.port)));
  return z3::mk_and(c);
}

z3::expr Encoding::bounded_incarnation(const State& s, const Event& e) const {
  return z3::implies(is(e.kind, unsigned(Ev::dequeued)), at_name(s, F::kctr, e.port) != bv(0xffffffffu, kSeqnoBits));
}

z3::expr Encoding::pager_conforms(const State& s, const Event& e) const {
  const Bounds& b = bounds();
  const unsigned tb = layout_.thread_bits();
  z3::expr_vector c(*ctx_);
  // A thread finishes its message before dequeuing the next.
  c.push_back(z3::implies(is(e.kind, unsigned(Ev::dequeued)), !at_thread(s, F::busy, e.thread)));

  // Handler returns. terminate: every right to the control and name ports is
  // released first (TM4, TM5, V6); with an error return mach_msg_server
  // destroys the receive rights, so only send references must be gone.
  // init: a handler that released a right the message carried owns it, so it
  // must not return an error (V1/IN9).
  const z3::expr ret = is(e.kind, unsigned(Ev::handler_returned));
  const z3::expr kind = at_thread(s, F::tkind, e.thread);
  const z3::expr tc = at_thread(s, F::tc, e.thread), tn = at_thread(s, F::tn, e.thread);
  const z3::expr error = is(e.code, unsigned(Ret::error));
  const z3::expr no_send = at_name(s, F::snd, tc) == bv(0, kUrefBits) && at_name(s, F::snd, tn) == bv(0, kUrefBits);
  c.push_back(z3::implies(ret && is(kind, unsigned(Msg::terminate)),
                          z3::ite(error, no_send, !held_at(s, tc) && !held_at(s, tn))));
  c.push_back(z3::implies(ret && is(kind, unsigned(Msg::init)) && at_thread(s, F::committed, e.thread), !error));

  // Port operations release only references the pager owns: the references
  // a message in another thread's hands carried belong to mach_msg_server
  // until that handler succeeds.
  const z3::expr po = is(e.kind, unsigned(Ev::port_operated));
  z3::expr borrowed = bv(0, kUrefBits);
  for (unsigned t = 0; t < b.threads; ++t) {
    const z3::expr other = e.thread != bv(t, tb) && s(F::busy, t) && is(s(F::tkind, t), unsigned(Msg::init)) &&
                           !s(F::committed, t);
    borrowed = borrowed + z3::ite(other && s(F::tc, t) == e.port, bv(1, kUrefBits), bv(0, kUrefBits)) +
               z3::ite(other && s(F::tn, t) == e.port, bv(1, kUrefBits), bv(0, kUrefBits));
  }
  const z3::expr snd = at_name(s, F::snd, e.port);
  const z3::expr drop_send = is(e.op, unsigned(Op::deallocate)) || is(e.op, unsigned(Op::mod_refs_send));
  c.push_back(z3::implies(po && drop_send, z3::ugt(snd, borrowed)));
  c.push_back(z3::implies(po && is(e.op, unsigned(Op::destroy)), held_at(s, e.port) && borrowed == bv(0, kUrefBits)));
  c.push_back(z3::implies(po && is(e.op, unsigned(Op::mod_refs_receive)), at_name(s, F::recv, e.port)));
  c.push_back(z3::implies(po && is(e.op, unsigned(Op::insert_send)), snd != bv(kUrefsMax, kUrefBits)));
  return z3::mk_and(c);
}

}  // namespace emmi::smt
