// SPDX-License-Identifier: MIT
// The transition function of the encoding. Each event kind is one block of
// guarded updates; every variable an event does not name keeps its value
// (the frame condition is the `ite(..., new, old)` default). Rules are cited
// where a verdict predicate is built; the order of the checks is the one of
// the model's step (model/src/step.h and the event-family files it lists),
// so that concrete evaluation gives the model's verdicts.
#include "emmi/smt/encoding.h"

#include <cassert>
#include <string>
#include <tuple>

namespace emmi::smt {
namespace {

struct FieldSpec {
  F kind;
  Group group;
  bool ghost;
  std::string_view name;
};

constexpr FieldSpec kSpecs[] = {
    {F::lc, Group::pair, false, "lifecycle"},
    {F::ctl, Group::pair, false, "control"},
    {F::nam, Group::pair, false, "name"},
    {F::named, Group::pair, false, "named"},
    {F::ever_ready, Group::pair, false, "ever_ready"},
    {F::destroyed, Group::pair, false, "destroyed"},
    {F::req, Group::page, false, "requested"},
    {F::res, Group::page, false, "resident"},
    {F::plive, Group::pair, true, "pager_live"},
    {F::pready, Group::pair, true, "pager_ready"},
    {F::linit, Group::pair, true, "live_inits"},
    {F::qlen, Group::pair, false, "in_flight"},
    {F::qreg, Group::pair, false, "in_flight_kinds"},
    {F::smask, Group::sync, false, "sync_pages"},
    {F::sorph, Group::sync, false, "sync_orphan"},
    {F::recv, Group::name, false, "receive"},
    {F::snd, Group::name, false, "send_urefs"},
    {F::dead, Group::name, false, "dead_urefs"},
    {F::ctr, Group::name, false, "seqno_counter"},
    {F::kctr, Group::name, true, "kernel_seqno"},
    {F::last, Group::name, false, "last_seqno"},
    {F::has_last, Group::name, false, "has_last"},
    {F::role, Group::name, false, "role"},
    {F::owner, Group::name, false, "owner"},
    {F::failed, Group::name, false, "init_failed"},
    {F::ended, Group::name, false, "terminated"},
    {F::qother, Group::name, false, "queued_other"},
    {F::busy, Group::thread, false, "busy"},
    {F::tkind, Group::thread, false, "message"},
    {F::tport, Group::thread, false, "port"},
    {F::tpair, Group::thread, false, "pair"},
    {F::tc, Group::thread, false, "carried_control"},
    {F::tn, Group::thread, false, "carried_name"},
    {F::committed, Group::thread, true, "committed"},
};
static_assert(std::size(kSpecs) == kFieldKinds);

unsigned width_of(F f, const Layout& l) {
  switch (f) {
    case F::lc: return kLifeBits;
    case F::ctl: case F::nam: case F::tport: case F::tc: case F::tn: return l.name_bits();
    case F::linit: return 2;
    case F::qlen: return l.qlen_bits();
    case F::qreg: return l.qreg_bits();
    case F::snd: case F::dead: return kUrefBits;
    case F::ctr: case F::kctr: case F::last: return kSeqnoBits;
    case F::role: return kRoleBits;
    case F::owner: case F::tpair: return l.pair_bits();
    case F::qother: return kCountBits;
    case F::smask: return l.bounds().pages;
    case F::tkind: return kMsgBits;
    default: return 0;  // Bool
  }
}

std::string entity(Group g, unsigned index, const Bounds& b) {
  switch (g) {
    case Group::pair:
    case Group::page:
    case Group::sync:
      return "pair(o" + std::to_string(index / b.kernels) + ",k" + std::to_string(index % b.kernels) + ")";
    case Group::name: return "name[" + std::to_string(index) + "]";
    case Group::thread: return "thread[" + std::to_string(index) + "]";
  }
  return "?";
}

}  // namespace

Layout::Layout(const Bounds& b) : b_(b) {
  for (const FieldSpec& spec : kSpecs) {
    assert(static_cast<std::size_t>(spec.kind) == static_cast<std::size_t>(&spec - kSpecs));
    first_[static_cast<std::size_t>(spec.kind)] = fields_.size();
    unsigned count = 0, pages = 1;
    switch (spec.group) {
      case Group::pair: count = b.pairs(); break;
      case Group::page: count = b.pairs(); pages = b.pages; break;
      case Group::name: count = b.names; break;
      case Group::thread: count = b.threads; break;
      case Group::sync: count = b.osf_kernels != 0 ? b.pairs() : 0; pages = b.syncs; break;
    }
    for (unsigned i = 0; i < count; ++i) {
      for (unsigned p = 0; p < pages; ++p) {
        std::string name = entity(spec.group, i, b) + "." + std::string(spec.name);
        if (spec.group == Group::page || spec.group == Group::sync) name += "[" + std::to_string(p) + "]";
        fields_.push_back(Field{spec.kind, spec.group, i, p, width_of(spec.kind, *this), spec.ghost,
                                std::move(name)});
      }
    }
  }
}

std::size_t Layout::at(F f, unsigned index, unsigned page) const {
  const std::size_t first = first_[static_cast<std::size_t>(f)];
  const Field& head = fields_[first];
  const std::size_t pos = head.group == Group::page   ? first + index * b_.pages + page
                          : head.group == Group::sync ? first + index * b_.syncs + page
                                                      : first + index;
  assert(pos < fields_.size() && fields_[pos].kind == f);
  return pos;
}

std::vector<z3::expr> Event::terms() const {
  return {kind, msg, obj, ker, page, mask, port, seqno, c, n, thread, code, call, op, flags, attrs};
}

const std::vector<std::string_view>& Event::names() {
  static const std::vector<std::string_view> kNames = {
      "kind", "msg", "obj", "ker", "page", "mask", "port", "seqno", "c", "n", "thread", "code", "call", "op", "flags", "attrs"};
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
               bvc("call", kCallBits),           bvc("op", kOpBits),
               bvc("flags", kFlagBits),          bvc("attrs", kAttrBits)};
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
  return s(F::recv, slot) || s(F::snd, slot) != bv(0, kUrefBits) || s(F::dead, slot) != bv(0, kUrefBits);
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
  return at_name(s, F::recv, slot) || at_name(s, F::snd, slot) != bv(0, kUrefBits) ||
         at_name(s, F::dead, slot) != bv(0, kUrefBits);
}

z3::expr Encoding::reserved(const State& s, const z3::expr& slot) const {
  z3::expr r = ctx_->bool_val(false);
  for (unsigned p = 0; p < bounds().pairs(); ++p)
    r = r || (s(F::plive, p) && s(F::named, p) && (s(F::ctl, p) == slot || s(F::nam, p) == slot));
  return r;
}

z3::expr Encoding::named_kernel(const z3::expr& ker) const {
  const Bounds& b = bounds();
  if (b.osf_kernels == 0 || !variant_.osf_without_name) return ctx_->bool_val(true);
  z3::expr r = ctx_->bool_val(false);
  for (unsigned k = 0; k < b.kernels; ++k)
    if (!b.osf(k)) r = r || is(ker, k);
  return r;
}

z3::expr Encoding::named_pair_at(const z3::expr& pair) const {
  const Bounds& b = bounds();
  if (b.osf_kernels == 0 || !variant_.osf_without_name) return ctx_->bool_val(true);
  z3::expr r = ctx_->bool_val(false);
  for (unsigned p = 0; p < b.pairs(); ++p)
    if (named_pair(p)) r = r || is(pair, p);
  return r;
}

z3::expr Encoding::queued_kind(const State& s, unsigned pair, unsigned i) const {
  const unsigned lo = kMsgBits * i;
  return s(F::qreg, pair).extract(lo + kMsgBits - 1, lo);
}

z3::expr Encoding::no_init_in_flight(const State& s, unsigned pair, unsigned from) const {
  z3::expr r = ctx_->bool_val(true);
  const unsigned lb = layout_.qlen_bits();
  for (unsigned i = from; i < bounds().queue_depth; ++i)
    r = r && !(z3::ult(bv(i, lb), s(F::qlen, pair)) && is(queued_kind(s, pair, i), unsigned(Msg::init)));
  return r;
}

z3::expr Encoding::initial(const State& s) const {
  const Bounds& b = bounds();
  z3::expr_vector c(*ctx_);
  for (unsigned p = 0; p < b.pairs(); ++p) {
    c.push_back(is(s(F::lc, p), unsigned(Life::uninitialised)));
    c.push_back(!s(F::named, p));
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
    if (b.osf_kernels != 0)
      for (unsigned y = 0; y < b.syncs; ++y) {
        c.push_back(is(s(F::smask, p, y), 0));
        c.push_back(!s(F::sorph, p, y));
      }
  }
  for (unsigned n = 0; n < b.names; ++n) {
    const bool object_port = n < b.objects;
    c.push_back(object_port ? s(F::recv, n) : !s(F::recv, n));
    // An object port's send references are whatever start() left the pager
    // after the kernels took theirs (ObjectOffered's disposition: MAKE_SEND
    // takes none, COPY_SEND keeps them, MOVE_SEND takes one), so any count.
    if (!object_port) c.push_back(is(s(F::snd, n), 0));
    c.push_back(is(s(F::dead, n), 0));
    c.push_back(is(s(F::ctr, n), 0));
    c.push_back(is(s(F::kctr, n), 0));
    c.push_back(!s(F::has_last, n));
    c.push_back(is(s(F::role, n), unsigned(object_port ? Role::other : Role::none)));
    c.push_back(!s(F::failed, n));
    c.push_back(!s(F::ended, n));
    c.push_back(is(s(F::qother, n), 0));
  }
  for (unsigned t = 0; t < b.threads; ++t) {
    c.push_back(!s(F::busy, t));
    c.push_back(is(s(F::tkind, t), unsigned(Msg::none)));
  }
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
    return Step{post_, std::move(v_), accepted_, succeeds_};
  }

 private:
  z3::expr bv(std::uint64_t v, unsigned w) const { return c_.bv_val(v, w); }
  z3::expr is(const z3::expr& t, unsigned code) const { return enc_.is(t, code); }
  z3::expr kind(Ev k) const { return is(e_.kind, unsigned(k)); }
  z3::expr msg(Msg m) const { return is(e_.msg, unsigned(m)); }
  static z3::expr is_msg(const Encoding& enc, const z3::expr& t, Msg m) { return enc.is(t, unsigned(m)); }
  z3::expr life(const z3::expr& lc, Life l) const { return is(lc, unsigned(l)); }
  z3::expr ff() const { return c_.bool_val(false); }
  z3::expr tt() const { return c_.bool_val(true); }
  z3::expr zero_refs() const { return bv(0, kUrefBits); }
  z3::expr emmi() const {
    const z3::expr gnumach = msg(Msg::init) || msg(Msg::terminate) || msg(Msg::data_request) ||
                             msg(Msg::data_unlock) || msg(Msg::data_return);
    return b_.osf_kernels != 0 ? gnumach || msg(Msg::synchronize) : gnumach;
  }
  z3::expr request_kind(const z3::expr& k) const {
    return is_msg(enc_, k, Msg::data_request) || is_msg(enc_, k, Msg::data_unlock) ||
           is_msg(enc_, k, Msg::data_return);
  }
  // Messages after init that carry a send right to the control (MAKE_SEND):
  // the requests and, in the OSF dialect, synchronize.
  z3::expr carries_control(const z3::expr& k) const {
    return b_.osf_kernels != 0 ? request_kind(k) || is_msg(enc_, k, Msg::synchronize) : request_kind(k);
  }
  // a && b, or b alone when a is literally true (a GNU Mach-only world keeps its formulas).
  static z3::expr guard(const z3::expr& a, const z3::expr& b) { return a.is_true() ? b : a && b; }
  z3::expr free_slot(unsigned p, unsigned y) const { return pre_(F::smask, p, y) == bv(0, b_.pages); }
  // An outstanding synchronize of the pair's current incarnation.
  z3::expr current_sync(unsigned p, unsigned y) const { return !free_slot(p, y) && !pre_(F::sorph, p, y); }
  void verdict(std::string_view rule, std::string_view party, const z3::expr& when) {
    v_.items.emplace_back(VerdictKey{rule, party}, when);
  }
  z3::expr at_slot(F f, const z3::expr& slot) const { return enc_.at_name(pre_, f, slot); }
  unsigned nb() const { return enc_.layout().name_bits(); }
  unsigned pb() const { return enc_.layout().pair_bits(); }
  z3::expr slot_is(const z3::expr& t, unsigned s) const { return t == bv(s, nb()); }
  // The pair a dequeue from an object port concerns: (object of the port, kernel).
  z3::expr pair_of_port_event(unsigned p) const {
    return slot_is(e_.port, p / b_.kernels) && is(e_.ker, p % b_.kernels);
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
  void clear_pages(unsigned p, const z3::expr& when) {
    for (unsigned pg = 0; pg < b_.pages; ++pg) {
      upd_page(F::req, p, pg, when, ff());
      upd_page(F::res, p, pg, when, ff());
    }
  }
  // One more send reference, unless the name's references are at Mach's
  // limit: send and dead-name references share one 16-bit count per name
  // (MACH_PORT_UREFS_MAX); GNU Mach then fails with KERN_UREFS_OVERFLOW.
  z3::expr add_send(unsigned s, const z3::expr& snd) const {
    const unsigned w = kUrefBits + 1;
    const z3::expr total = z3::zext(snd, 1) + z3::zext(post_(F::dead, s), 1);
    return z3::ite(z3::ult(total, bv(kUrefsMax, w)), snd + bv(1, kUrefBits), snd);
  }
  // One send reference released: a send uref, else a dead-name uref (its
  // port died meanwhile), as Mach's deallocate and mach_msg_destroy do.
  void drop_send(unsigned s, const z3::expr& when) {
    const z3::expr snd = post_(F::snd, s), dead = post_(F::dead, s);
    post_.set(F::snd, s, z3::ite(when && snd != zero_refs(), snd - bv(1, kUrefBits), snd));
    post_.set(F::dead, s, z3::ite(when && snd == zero_refs() && dead != zero_refs(), dead - bv(1, kUrefBits), dead));
  }
  // The receive right goes; send rights under the same name become a dead
  // name with the same user references (Mach's ipc_right).
  void remove_receive(unsigned s, const z3::expr& when) {
    upd(F::dead, s, when, post_(F::dead, s) + post_(F::snd, s));
    upd(F::snd, s, when, zero_refs());
    upd(F::recv, s, when, ff());
    upd(F::qother, s, when, bv(0, kCountBits));
  }
  z3::expr no_send_reference(const z3::expr& slot) const {
    return at_slot(F::snd, slot) == zero_refs() && at_slot(F::dead, slot) == zero_refs();
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
      const z3::expr init = to_pair && msg(Msg::init);
      const z3::expr other = to_pair && !msg(Msg::init);
      // IN1: one init per (object, kernel) until its terminate, and init
      // precedes every other message of that kernel.
      verdict("IN1", "kernel", (init && live) || (other && life(lc, Life::uninitialised)));
      // TM8: after terminate this kernel makes no further calls on the object.
      verdict("TM8", "kernel", other && after_terminate);
      // RD1 (kernel side, IN10): no request before the pager made the object ready.
      // An OSF synchronize needs readiness too (model/SEMANTICS.md, "OSF dialect").
      const z3::expr asks = b_.osf_pair(p) ? msg(Msg::data_request) || msg(Msg::data_unlock) || msg(Msg::synchronize)
                                           : msg(Msg::data_request) || msg(Msg::data_unlock);
      verdict("RD1", "kernel", to_pair && asks && life(lc, Life::initialised));
      // A message outside any incarnation is queued without meaning.
      const z3::expr stray = other && !live;

      // init opens a new incarnation (GNU Mach queues a re-init behind the
      // terminate, gnumach-kernel.md §3a); the kernel forgets the old pages.
      upd(F::lc, p, init, bv(unsigned(Life::initialised), kLifeBits));
      upd(F::destroyed, p, init, ff());
      upd(F::linit, p, init, sat_inc(pre_(F::linit, p), 3));
      clear_pages(p, init);
      // terminate: outstanding requests are no longer waited for, resident
      // pages are gone (all returns came first, §3d).
      const z3::expr term = to_pair && msg(Msg::terminate) && live;
      upd(F::lc, p, term, bv(unsigned(Life::terminating), kLifeBits));
      upd(F::linit, p, term, sat_dec(pre_(F::linit, p)));
      clear_pages(p, term);
      for (unsigned pg = 0; pg < b_.pages; ++pg) {
        const z3::expr here = to_pair && live && is(e_.page, pg);
        // data_request: the page is requested (a second request merges).
        upd_page(F::req, p, pg, here && msg(Msg::data_request), tt());
        upd_page(F::res, p, pg, here && msg(Msg::data_request), ff());
        // data_return: a resident page leaves; any other page is RT1.
        verdict("RT1", "kernel", here && msg(Msg::data_return) && !pre_(F::res, p, pg));
        upd_page(F::res, p, pg, here && msg(Msg::data_return), ff());
      }
      if (b_.osf_pair(p)) osf_sent(p, init, term, to_pair && live && msg(Msg::synchronize));
      // The pair's queue on the object port: append the message's kind.
      const z3::expr qlen = pre_(F::qlen, p);
      const unsigned qb = enc_.layout().qreg_bits(), lb = enc_.layout().qlen_bits();
      const z3::expr room = z3::ult(qlen, bv(b_.queue_depth, lb));
      const z3::expr shift = z3::zext(qlen, qb - lb) * bv(kMsgBits, qb);
      const z3::expr code = z3::ite(stray, bv(unsigned(Msg::stray), kMsgBits), e_.msg);
      const z3::expr cell = z3::shl(z3::zext(code, qb - kMsgBits), shift);
      upd(F::qreg, p, to_pair && room, pre_(F::qreg, p) | cell);
      upd(F::qlen, p, to_pair && room, qlen + bv(1, lb));
    }
    for (unsigned s = 0; s < b_.names; ++s) {
      // Completions and notifications go to a receive right; one the model
      // has not seen (a reply port) is adopted with a fresh counter.
      const z3::expr here = sent && msg(Msg::other) && slot_is(e_.port, s);
      const z3::expr adopt = here && !pre_(F::recv, s);
      upd(F::recv, s, adopt, tt());
      upd(F::ctr, s, adopt, bv(0, kSeqnoBits));
      upd(F::kctr, s, adopt, bv(0, kSeqnoBits));
      upd(F::has_last, s, adopt, ff());
      upd(F::qother, s, here, sat_inc(pre_(F::qother, s), 255));
    }
  }

  // The OSF dialect's part of KernelSent for pair p (model osf.cpp).
  void osf_sent(unsigned p, const z3::expr& init, const z3::expr& term, const z3::expr& sync) {
    const z3::expr zero = bv(0, b_.pages);
    const z3::expr flags = e_.flags;
    auto flag = [&](unsigned f) { return (flags & bv(f, kFlagBits)) != bv(0, kFlagBits); };
    // SY10 (vm_msync.html): never SYNCHRONOUS and ASYNCHRONOUS together.
    verdict("SY10", "kernel", sync && flag(kSyncSynchronous) && flag(kSyncAsynchronous));
    // SY4 (memory_object_synchronize.html): outstanding synchronize requests
    // of an incarnation never overlap.
    z3::expr overlap = ff();
    for (unsigned y = 0; y < b_.syncs; ++y)
      overlap = overlap || (current_sync(p, y) && (pre_(F::smask, p, y) & e_.mask) != zero);
    verdict("SY4", "kernel", sync && overlap);
    // The request is outstanding from now on, in the first free slot.
    z3::expr taken = ff();
    for (unsigned y = 0; y < b_.syncs; ++y) {
      const z3::expr here = sync && free_slot(p, y) && !taken;
      taken = taken || free_slot(p, y);
      upd_sync(F::smask, p, y, here, e_.mask);
      upd_sync(F::sorph, p, y, here, ff());
      // A new incarnation: the old one's requests can no longer be completed
      // (its control is dead) but still wait (SY5). Terminate abandons the
      // incarnation's requests (the client's vm_msync fails with the mapping).
      upd_sync(F::sorph, p, y, init && !free_slot(p, y), tt());
      upd_sync(F::smask, p, y, term && !pre_(F::sorph, p, y), zero);
    }
    // VM_SYNC_INVALIDATE: no page of the range stays resident (SY9's flush).
    for (unsigned pg = 0; pg < b_.pages; ++pg)
      upd_page(F::res, p, pg, sync && flag(kSyncInvalidate) && e_.mask.extract(pg, pg) == bv(1, 1), ff());
  }
  void upd_sync(F f, unsigned p, unsigned y, const z3::expr& when, const z3::expr& value) {
    post_.set(f, p, y, z3::ite(when, value, post_(f, p, y)));
  }

  // --- Dequeued ---------------------------------------------------------------
  void dequeued() {
    const z3::expr deq = kind(Ev::dequeued);
    const unsigned inc = enc_.variant().dequeue_increment;
    for (unsigned s = 0; s < b_.names; ++s) {
      const z3::expr here = deq && slot_is(e_.port, s);
      const z3::expr ctr = pre_(F::ctr, s);
      const z3::expr mismatch = here && e_.seqno != ctr;
      // SQ5: the first message since the right was created or moved carries
      // 0; SQ6: the counter moves by one per dequeue, so a larger seqno means
      // numbers were skipped; otherwise the number is wrong for the port:
      // SQ1 (object port) or SQ2 (any other receive right).
      const z3::expr first = !pre_(F::has_last, s) && ctr == bv(0, kSeqnoBits);
      verdict("SQ5", "kernel", mismatch && first);
      verdict("SQ6", "kernel", mismatch && !first && z3::ugt(e_.seqno, ctr));
      verdict(s < b_.objects ? "SQ1" : "SQ2", "kernel", mismatch && !first && z3::ult(e_.seqno, ctr));
      upd(F::ctr, s, here, e_.seqno + bv(inc, kSeqnoBits));
      upd(F::kctr, s, here, pre_(F::kctr, s) + bv(1, kSeqnoBits));
      upd(F::last, s, here, e_.seqno);
      upd(F::has_last, s, here, tt());
      upd(F::qother, s, here && msg(Msg::other), sat_dec(pre_(F::qother, s)));
    }
    // The message is the oldest of its pair: its meaning is the one it was
    // sent with, or none if it was sent outside any incarnation.
    z3::expr real_init = ff(), real_term = ff(), real_request = ff(), stray = ff();
    // The same, for pairs whose init and terminate carry a name port.
    z3::expr named_init = ff(), named_term = ff();
    z3::expr old_ctl = bv(0, nb()), old_nam = bv(0, nb());  // names the terminated incarnation had
    for (unsigned p = 0; p < b_.pairs(); ++p) {
      const z3::expr mine = deq && pair_of_port_event(p) && emmi();
      const z3::expr front = enc_.queued_kind(pre_, p, 0);
      const z3::expr real = mine && front == e_.msg;
      stray = stray || (mine && is(front, unsigned(Msg::stray)));
      upd(F::qreg, p, mine, z3::lshr(pre_(F::qreg, p), bv(kMsgBits, enc_.layout().qreg_bits())));
      upd(F::qlen, p, mine, sat_dec(pre_(F::qlen, p)));
      // init: the pager learns the incarnation's control and name (IN3).
      const z3::expr init = real && msg(Msg::init);
      real_init = real_init || init;
      // OSF (memory_object_init.html): no name port; the pair's name slot
      // repeats the control so that it denotes no other port.
      const bool named = enc_.named_pair(p);
      if (named) named_init = named_init || init;
      upd(F::ctl, p, init, e_.c);
      upd(F::nam, p, init, named ? e_.n : e_.c);
      upd(F::named, p, init, tt());
      upd(F::plive, p, init, tt());
      upd(F::pready, p, init, ff());
      // terminate: the incarnation ends for the pager; the pair is
      // terminated unless a new init is already on its way.
      const z3::expr term = real && msg(Msg::terminate);
      real_term = real_term || term;
      if (named) named_term = named_term || term;
      upd(F::plive, p, term, ff());
      upd(F::pready, p, term, ff());
      upd(F::lc, p, term && enc_.no_init_in_flight(pre_, p, 1), bv(unsigned(Life::terminated), kLifeBits));
      // The receive rights may arrive under new names when the pager no
      // longer held the old ones; the new names then stand for those ports.
      upd(F::ctl, p, term, e_.c);
      upd(F::nam, p, term, named ? e_.n : e_.c);
      old_ctl = z3::ite(term, pre_(F::ctl, p), old_ctl);
      old_nam = z3::ite(term, pre_(F::nam, p), old_nam);
      for (unsigned s = b_.objects; s < b_.names; ++s)
        upd(F::ended, s, term && pre_(F::named, p) && (slot_is(pre_(F::ctl, p), s) || slot_is(pre_(F::nam, p), s)), tt());
      real_request = real_request || (real && carries_control(e_.msg));
    }
    const z3::expr pair = pair_index_of_port_event();
    for (unsigned s = b_.objects; s < b_.names; ++s) {
      const z3::expr as_c = slot_is(e_.c, s), as_n = slot_is(e_.n, s);
      // init carries a send right to each (IN3); requests carry a send right
      // to the control port (MAKE_SEND, MK2).
      z3::expr snd = post_(F::snd, s);
      snd = z3::ite((real_init || real_request) && as_c, add_send(s, snd), snd);
      snd = z3::ite(named_init && as_n, add_send(s, snd), snd);
      post_.set(F::snd, s, snd);
      const z3::expr given = (real_init && as_c) || (named_init && as_n);
      upd(F::role, s, real_init && as_c, bv(unsigned(Role::control), kRoleBits));
      upd(F::role, s, named_init && as_n, bv(unsigned(Role::name), kRoleBits));
      upd(F::owner, s, given, pair);
      upd(F::failed, s, given, ff());
      upd(F::ended, s, given, ff());
      // A fresh name is a fresh port (ipc_port_init: seqno 0).
      upd(F::kctr, s, given && !enc_.held(pre_, s), bv(0, kSeqnoBits));
      if (enc_.variant().terminate_moves_rights) {
        // terminate moves the control and name receive rights in (TM3). The
        // model's counter restarts at 0 (SQ5); the kernel's own counter is
        // not reset on this path (ipc_object_copyin_from_kernel): it is 0
        // because nothing is dequeued from a kernel-held control/name port.
        const z3::expr moved = (real_term && as_c) || (named_term && as_n);
        upd(F::recv, s, moved, tt());
        if (enc_.variant().reset_seqno_on_move_in) upd(F::ctr, s, moved, bv(0, kSeqnoBits));
        upd(F::has_last, s, moved, ff());
        upd(F::qother, s, moved, bv(0, kCountBits));
        // The port keeps its incarnation's flags whatever name it arrives
        // under. Under a new name its kernel counter is the one it had while
        // kernel-held, 0: the seqno proof shows that the old name's counter
        // is 0 (its auxiliary conjunct), so this equals carrying it over on
        // every reachable state, and keeps the query small.
        for (const auto& [as, old, role] :
             {std::tuple{real_term && as_c, old_ctl, Role::control}, std::tuple{named_term && as_n, old_nam, Role::name}}) {
          const z3::expr here = as;
          upd(F::kctr, s, here && !slot_is(old, s), bv(0, kSeqnoBits));
          upd(F::failed, s, here, at_slot(F::failed, old));
          upd(F::role, s, here, bv(unsigned(role), kRoleBits));
          upd(F::owner, s, here, pair);
          upd(F::ended, s, here, tt());
        }
      }
    }
    // From an object port the thread's current message becomes this one (an
    // unfinished earlier one counts as returned with KERN_SUCCESS: nothing is
    // destroyed). From any other port while it handles a message, the
    // message nests (an RPC reply): the handler's message stays current.
    const z3::expr from_object = z3::ult(e_.port, bv(b_.objects, nb()));
    for (unsigned t = 0; t < b_.threads; ++t) {
      const z3::expr mine = deq && is(e_.thread, t) && (from_object || !pre_(F::busy, t));
      upd(F::busy, t, mine, tt());
      upd(F::tkind, t, mine, z3::ite(stray, bv(unsigned(Msg::stray), kMsgBits), e_.msg));
      upd(F::tport, t, mine, e_.port);
      upd(F::tpair, t, mine, pair);
      upd(F::tc, t, mine, z3::ite(real_init || real_term || real_request, e_.c, bv(0, nb())));
      upd(F::tn, t, mine, z3::ite(named_init || named_term, e_.n, bv(0, nb())));
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
      const z3::expr tc = pre_(F::tc, t), tn = pre_(F::tn, t), tkind = pre_(F::tkind, t);
      // mach_msg_server destroys a request whose handler failed (X2), with
      // every right it carried. A right the pager already released is
      // released twice: V1 for init (IN9 names the same fault), else V3.
      const z3::expr destroy = mine && error;
      const z3::expr init = destroy && is_msg(enc_, tkind, Msg::init);
      const z3::expr request = destroy && request_kind(tkind);
      const z3::expr term = destroy && is_msg(enc_, tkind, Msg::terminate);
      // An OSF init or terminate carried no name (its tn is no slot the pager names).
      const z3::expr named = enc_.named_pair_at(pre_(F::tpair, t));
      const z3::expr carried = destroy && carries_control(tkind);
      verdict("V1", "pager", init && (no_send_reference(tc) || guard(named, no_send_reference(tn))));
      verdict("V3", "pager", carried && no_send_reference(tc));
      verdict("V3", "pager", term && (!at_slot(F::recv, tc) || guard(named, !at_slot(F::recv, tn))));
      // IN2: after init the pager must accept the kernel's requests (a
      // refused synchronize is not IN2: the model names only the requests).
      verdict("IN2", "pager", request);
      for (unsigned s = b_.objects; s < b_.names; ++s) {
        drop_send(s, (init || carried) && slot_is(tc, s));
        const z3::expr as_n = guard(named, slot_is(tn, s));
        drop_send(s, init && as_n);
        upd(F::failed, s, init && (slot_is(tc, s) || as_n), tt());
        remove_receive(s, term && (slot_is(tc, s) || as_n) && pre_(F::recv, s));
      }
    }
  }

  // --- ControlCalled ----------------------------------------------------------
  void control_called() {
    const z3::expr call = kind(Ev::control_called);
    auto is_call = [&](Call c) { return is(e_.call, unsigned(c)); };
    const z3::expr supply = is_call(Call::data_supply);
    const z3::expr answer = supply || is_call(Call::data_unavailable) || is_call(Call::data_error);
    const z3::expr control = is(at_slot(F::role, e_.port), unsigned(Role::control));
    const z3::expr failed = at_slot(F::failed, e_.port), ended = at_slot(F::ended, e_.port);
    const z3::expr holds = at_slot(F::recv, e_.port) || at_slot(F::snd, e_.port) != zero_refs();
    // SU12 / DR8: replies go to a control port the kernel gave in init, and
    // the pager must still hold a right to it.
    const z3::expr wrong_port = !control || (!failed && !ended && !holds);
    verdict("SU12", "pager", call && wrong_port && supply);
    verdict("DR8", "pager", call && wrong_port && !supply);
    // IN9: after an init error the pager does not own that control right.
    verdict("IN9", "pager", call && control && failed);
    // TM8 (pager side): no use of a control port after terminate, once
    // terminate's handling shows: the pager let go of the receive right it
    // moved in, or the calling thread handles that terminate. Before that the
    // call may be an earlier message's work (a worker pool): no verdict.
    const z3::expr handling_terminate = enc_.at_thread(pre_, F::busy, e_.thread) &&
                                        is_msg(enc_, enc_.at_thread(pre_, F::tkind, e_.thread), Msg::terminate) &&
                                        enc_.at_thread(pre_, F::tc, e_.thread) == e_.port;
    verdict("TM8", "pager", call && control && !failed && ended && (!at_slot(F::recv, e_.port) || handling_terminate));
    const z3::expr usable = call && control && !failed && !ended && holds;
    for (unsigned p = 0; p < b_.pairs(); ++p) {
      const unsigned o = p / b_.kernels, k = p % b_.kernels;
      const z3::expr lc = pre_(F::lc, p);
      // The kernel serves a control port only for the current incarnation
      // and only until it sends terminate or the pager destroys the object
      // (vm_object_lookup fails after, gnumach-kernel.md §3b, §3d); the pager
      // learns the new control port when it dequeues the new init.
      z3::expr live = usable && at_slot(F::owner, e_.port) == bv(p, pb()) && pre_(F::named, p) &&
                      pre_(F::ctl, p) == e_.port;
      // After memory_object_destroy the kernel has removed the port
      // associations (gnumach-kernel.md §3b): the control port is dead too.
      if (enc_.variant().ready_needs_current_control)
        live = live && enc_.no_init_in_flight(pre_, p) && !pre_(F::destroyed, p) &&
               (life(lc, Life::initialised) || life(lc, Life::ready));
      else
        live = live && (life(lc, Life::initialised) || life(lc, Life::ready) || life(lc, Life::terminating));
      // OSF (model osf.cpp): flavoured change_attributes (CA1, CA2) and
      // synchronize_completed (SY3); the simulated kernel refuses a change
      // whose flavour and count disagree and a completion that matches no
      // outstanding synchronize. A GNU Mach kernel has no completion call.
      z3::expr refused = ff(), attrs_ok = tt();
      if (b_.osf_pair(p)) {
        const z3::expr change = live && is_call(Call::change_attributes);
        verdict("CA1", "pager", change && is(e_.attrs, unsigned(Attrs::unknown_flavor)));
        verdict("CA2", "pager", change && is(e_.attrs, unsigned(Attrs::wrong_count)));
        attrs_ok = is(e_.attrs, unsigned(Attrs::ok));
        const z3::expr completes = live && is_call(Call::synchronize_completed);
        // SY3 (MO_SY_completed.html): offset and length are those of an
        // outstanding synchronize of this incarnation; a match completes the
        // oldest such request.
        z3::expr matched = ff();
        for (unsigned y = 0; y < b_.syncs; ++y) {
          const z3::expr match = current_sync(p, y) && pre_(F::smask, p, y) == e_.mask;
          upd_sync(F::smask, p, y, completes && match && !matched, bv(0, b_.pages));
          matched = matched || match;
        }
        verdict("SY3", "pager", completes && !matched);
        refused = (is_call(Call::change_attributes) && !attrs_ok) || (is_call(Call::synchronize_completed) && !matched);
      } else if (b_.osf_kernels != 0) {
        refused = is_call(Call::synchronize_completed);
      }
      accepted_ = accepted_ || (refused.is_false() ? live : live && !refused);
      // ready / change_attributes make an initialised pair ready (an OSF
      // change only when accepted).
      const z3::expr change_ready = attrs_ok.is_true() ? is_call(Call::change_attributes)
                                                       : is_call(Call::change_attributes) && attrs_ok;
      const z3::expr ready = live && (is_call(Call::ready) || change_ready);
      upd(F::lc, p, ready && life(lc, Life::initialised), bv(unsigned(Life::ready), kLifeBits));
      upd(F::ever_ready, p, ready, tt());
      upd(F::pready, p, ready, tt());
      upd(F::destroyed, p, live && is_call(Call::destroy), tt());
      // data_supply / data_unavailable / data_error answer requests.
      for (unsigned pg = 0; pg < b_.pages; ++pg) {
        const z3::expr covered = live && answer && e_.mask.extract(pg, pg) == bv(1, 1);
        const z3::expr requested = pre_(F::req, p, pg), resident = pre_(F::res, p, pg);
        z3::expr elsewhere = ff();
        for (unsigned k2 = 0; k2 < b_.kernels; ++k2)
          if (k2 != k) elsewhere = elsewhere || pre_(F::req, enc_.pair_of(o, k2), pg);
        const z3::expr unasked = covered && !requested;
        // DR8 / MK2: the answer went to another kernel's control port.
        verdict("DR8", "pager", unasked && elsewhere);
        // SU2 / SU1: supply only requested data, never over live data.
        verdict("SU2", "pager", unasked && !elsewhere && supply && resident);
        verdict("SU1", "pager", unasked && !elsewhere && supply && !resident);
        // DR5 / DR4: unavailable and error exist only to answer a request.
        verdict("DR5", "pager", unasked && !elsewhere && is_call(Call::data_unavailable));
        verdict("DR4", "pager", unasked && !elsewhere && is_call(Call::data_error));
        // Supplied pages become resident (a resident one stays: the kernel
        // answers KERN_MEMORY_PRESENT); a requested page answered with
        // data_unavailable is zero-filled and held by the kernel from then on
        // (UN1); data_error leaves it absent.
        upd_page(F::res, p, pg, covered && (supply || (requested && is_call(Call::data_unavailable))), tt());
        upd_page(F::req, p, pg, covered, ff());
      }
    }
  }

  // --- PortOperated -----------------------------------------------------------
  void port_operated() {
    const z3::expr po = kind(Ev::port_operated);
    auto is_op = [&](Op o) { return is(e_.op, unsigned(o)); };
    const z3::expr releases =
        is_op(Op::deallocate) || is_op(Op::mod_refs_send) || is_op(Op::destroy) || is_op(Op::mod_refs_receive);
    for (unsigned s = 0; s < b_.names; ++s) {
      const z3::expr here = po && slot_is(e_.port, s);
      const z3::expr snd = pre_(F::snd, s), dead = pre_(F::dead, s), recv = pre_(F::recv, s);
      // V1 / V3: a uref count never goes below zero; releasing what the pager
      // does not hold is a double release, V1 when mach_msg_server already
      // released it for a failed init.
      const z3::expr failed_init = pre_(F::failed, s) && (is(pre_(F::role, s), unsigned(Role::control)) ||
                                                          is(pre_(F::role, s), unsigned(Role::name)));
      const z3::expr nothing = snd == zero_refs() && dead == zero_refs() && !recv;
      const z3::expr twice = here && ((is_op(Op::deallocate) && nothing) ||
                                      (is_op(Op::mod_refs_send) && snd == zero_refs()) ||
                                      (is_op(Op::mod_refs_receive) && !recv) || (is_op(Op::destroy) && nothing));
      verdict("V1", "pager", twice && failed_init);
      verdict("V3", "pager", twice && !failed_init);
      // What GNU Mach answers (a deallocate of a receive-only name fails with
      // KERN_INVALID_RIGHT, without being a double release).
      const z3::expr total = z3::zext(snd, 1) + z3::zext(dead, 1);
      succeeds_ = succeeds_ || (here && ((is_op(Op::deallocate) && !(snd == zero_refs() && dead == zero_refs())) ||
                                         (is_op(Op::mod_refs_send) && snd != zero_refs()) ||
                                         (is_op(Op::mod_refs_receive) && recv) || (is_op(Op::destroy) && !nothing) ||
                                         is_op(Op::allocate) ||
                                         (is_op(Op::insert_send) && z3::ult(total, bv(kUrefsMax, kUrefBits + 1)))));
      drop_send(s, here && is_op(Op::deallocate));
      upd(F::snd, s, here && is_op(Op::mod_refs_send), sat_dec(snd));
      remove_receive(s, here && is_op(Op::mod_refs_receive) && recv);
      const z3::expr destroy = here && is_op(Op::destroy);
      upd(F::recv, s, destroy, ff());
      upd(F::snd, s, destroy, zero_refs());
      upd(F::dead, s, destroy, zero_refs());
      upd(F::qother, s, destroy, bv(0, kCountBits));
      const z3::expr alloc = here && is_op(Op::allocate);
      upd(F::recv, s, alloc, tt());
      upd(F::ctr, s, alloc, bv(0, kSeqnoBits));
      upd(F::kctr, s, alloc, bv(0, kSeqnoBits));
      upd(F::has_last, s, alloc, ff());
      upd(F::qother, s, alloc, bv(0, kCountBits));
      // A new port: the name no longer denotes an old control or name port.
      upd(F::role, s, alloc, bv(unsigned(Role::other), kRoleBits));
      upd(F::snd, s, here && is_op(Op::insert_send), add_send(s, snd));
    }
    for (unsigned t = 0; t < b_.threads; ++t) {
      const z3::expr own = po && is(e_.thread, t) && pre_(F::busy, t) && releases &&
                           (pre_(F::tc, t) == e_.port || pre_(F::tn, t) == e_.port);
      upd(F::committed, t, own, tt());
    }
  }

  const Encoding& enc_;
  z3::context& c_;
  const Bounds& b_;
  const State& pre_;
  const Event& e_;
  State post_;
  Verdicts v_;
  z3::expr accepted_ = c_.bool_val(false);
  z3::expr succeeds_ = c_.bool_val(false);
};

}  // namespace

Step Encoding::step(const State& pre, const Event& e) const { return StepBuilder(*this, pre, e).build(); }

std::span<const std::string_view> encoded_rules() {
  static constexpr std::string_view kRules[] = {"CA1", "CA2", "DR3", "DR4", "DR5", "DR8", "IN1", "IN2", "IN9",
                                                "RD1", "RT1", "SQ1", "SQ2", "SQ5", "SQ6", "SU1", "SU12", "SU2",
                                                "SY10", "SY3", "SY4", "SY5", "TM4", "TM5", "TM6", "TM8", "V1",
                                                "V3",  "V6"};
  return kRules;
}

Verdicts Encoding::quiescent(const State& s) const {
  Verdicts v;
  const Bounds& b = bounds();
  for (unsigned p = 0; p < b.pairs(); ++p) {
    const z3::expr lc = s(F::lc, p);
    const z3::expr current = !s(F::destroyed, p) &&
                             (is(lc, unsigned(Life::initialised)) || is(lc, unsigned(Life::ready)));
    // DR3: every data_request is answered.
    for (unsigned pg = 0; pg < b.pages; ++pg)
      v.items.emplace_back(VerdictKey{"DR3", "pager"}, current && s(F::req, p, pg));
    // RD1 / TM6: an init is followed by ready (or destroy).
    const z3::expr unready = current && is(lc, unsigned(Life::initialised));
    v.items.emplace_back(VerdictKey{"RD1", "pager"}, unready && !s(F::ever_ready, p));
    v.items.emplace_back(VerdictKey{"TM6", "pager"}, unready && s(F::ever_ready, p));
    // SY5 (vm_msync.html): every synchronize is answered; the client waits.
    if (b.osf_pair(p))
      for (unsigned y = 0; y < b.syncs; ++y)
        v.items.emplace_back(VerdictKey{"SY5", "pager"}, s(F::smask, p, y) != bv(0, b.pages));
  }
  // TM4 / TM5 / V6: the rights terminate handed over are released.
  for (unsigned n = b.objects; n < b.names; ++n) {
    const z3::expr control = is(s(F::role, n), unsigned(Role::control));
    const z3::expr name = is(s(F::role, n), unsigned(Role::name));
    const z3::expr done = s(F::ended, n);
    v.items.emplace_back(VerdictKey{"TM4", "pager"}, done && control && s(F::recv, n));
    v.items.emplace_back(VerdictKey{"TM5", "pager"}, done && name && s(F::recv, n));
    v.items.emplace_back(VerdictKey{"V6", "pager"},
                         done && (control || name) &&
                             (s(F::snd, n) != bv(0, kUrefBits) || s(F::dead, n) != bv(0, kUrefBits)));
  }
  return v;
}

z3::expr Encoding::well_formed(const State& s, const Event& e) const {
  const Bounds& b = bounds();
  const unsigned nb = layout_.name_bits();
  auto dynamic = [&](const z3::expr& slot) { return z3::uge(slot, bv(b.objects, nb)); };
  auto fresh = [&](const z3::expr& slot) { return dynamic(slot) && !held_at(s, slot) && !reserved(s, slot); };
  auto msg = [&](Msg m) { return is(e.msg, unsigned(m)); };
  const z3::expr emmi = z3::uge(e.msg, bv(unsigned(Msg::init), kMsgBits)) &&
                        z3::ule(e.msg, bv(unsigned(Msg::synchronize), kMsgBits));
  const bool osf = b.osf_kernels != 0;

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
  c.push_back(z3::ule(e.call, bv(unsigned(Call::synchronize_completed), kCallBits)));
  c.push_back(z3::ule(e.attrs, bv(unsigned(Attrs::unknown_flavor), kAttrBits)));
  c.push_back(e.mask != bv(0, b.pages));
  c.push_back(z3::uge(e.msg, bv(unsigned(Msg::init), kMsgBits)) && z3::ule(e.msg, bv(unsigned(Msg::other), kMsgBits)));

  // KernelSent: EMMI messages go to the object port; at most queue_depth in
  // flight per pair (the bound of the world); other messages go to a receive
  // right the pager holds.
  const z3::expr sent = is(e.kind, unsigned(Ev::kernel_sent));
  z3::expr room = ctx_->bool_val(false);
  for (unsigned p = 0; p < b.pairs(); ++p)
    room = room || (is(e.obj, p / b.kernels) && is(e.ker, p % b.kernels) &&
                    z3::ult(s(F::qlen, p), bv(b.queue_depth, layout_.qlen_bits())));
  c.push_back(z3::implies(sent && emmi, room));
  // Only an OSF kernel sends synchronize (message 3410), and the world
  // bounds its outstanding requests per pair.
  if (!osf) {
    c.push_back(z3::implies(sent, !msg(Msg::synchronize)));
  } else {
    z3::expr slot = ctx_->bool_val(false);
    for (unsigned p = 0; p < b.pairs(); ++p) {
      if (!b.osf_pair(p)) continue;
      z3::expr free = ctx_->bool_val(false);
      for (unsigned y = 0; y < b.syncs; ++y) free = free || is(s(F::smask, p, y), 0);
      slot = slot || (is(e.obj, p / b.kernels) && is(e.ker, p % b.kernels) && free);
    }
    c.push_back(z3::implies(sent && msg(Msg::synchronize), slot));
  }
  c.push_back(z3::implies(sent && msg(Msg::other),
                          at_name(s, F::recv, e.port) && at_name(s, F::qother, e.port) != bv(255, kCountBits)));

  // Dequeued: from a receive right the pager holds; the message is the
  // oldest of its sender (per-sender FIFO, SQ8/SQ9).
  const z3::expr deq = is(e.kind, unsigned(Ev::dequeued));
  z3::expr front = ctx_->bool_val(false);
  for (unsigned p = 0; p < b.pairs(); ++p) {
    const z3::expr k = queued_kind(s, p, 0);
    front = front || (is(e.port, p / b.kernels) && is(e.ker, p % b.kernels) &&
                      s(F::qlen, p) != bv(0, layout_.qlen_bits()) &&
                      (k == e.msg || (is(k, unsigned(Msg::stray)) && !msg(Msg::init))));
  }
  c.push_back(z3::implies(deq, at_name(s, F::recv, e.port)));
  c.push_back(z3::implies(deq && emmi, z3::ult(e.port, bv(b.objects, nb)) && front));
  c.push_back(z3::implies(deq && msg(Msg::other), at_name(s, F::qother, e.port) != bv(0, kCountBits)));
  // init: copy-out names two new ports with names the task does not use.
  // OSF: init carries the control alone; the event's second name repeats it.
  const z3::expr named = named_kernel(e.ker);
  if (named.is_true()) {
    c.push_back(z3::implies(deq && msg(Msg::init), e.c != e.n && fresh(e.c) && fresh(e.n)));
  } else {
    c.push_back(z3::implies(deq && msg(Msg::init) && named, e.c != e.n && fresh(e.c) && fresh(e.n)));
    c.push_back(z3::implies(deq && msg(Msg::init) && !named, fresh(e.c) && e.n == e.c));
  }
  // terminate carries the receive rights of the pager's current incarnation,
  // under the names init gave them, or under new names (never used) when
  // the pager no longer holds the old ones (the model's TM3 check); requests
  // carry a send right to the control under its name (the model's MK2).
  for (unsigned p = 0; p < b.pairs(); ++p) {
    const z3::expr mine = deq && is(e.port, p / b.kernels) && is(e.ker, p % b.kernels);
    auto arrives = [&](const z3::expr& carried, F which) {
      const z3::expr old = s(which, p);
      return carried == old || (!held_at(s, old) && fresh(carried) && is(at_name(s, F::role, carried), unsigned(Role::none)));
    };
    if (named_pair(p))
      c.push_back(z3::implies(mine && msg(Msg::terminate), e.c != e.n && arrives(e.c, F::ctl) && arrives(e.n, F::nam)));
    else
      c.push_back(z3::implies(mine && msg(Msg::terminate), arrives(e.c, F::ctl) && e.n == e.c));
    const z3::expr requests = msg(Msg::data_request) || msg(Msg::data_unlock) || msg(Msg::data_return);
    c.push_back(z3::implies(mine && (osf ? requests || msg(Msg::synchronize) : requests), e.c == s(F::ctl, p)));
  }
  // HandlerReturned: the thread is handling a message.
  c.push_back(z3::implies(is(e.kind, unsigned(Ev::handler_returned)), at_thread(s, F::busy, e.thread)));
  // PortOperated: on the names the pager came to hold, not on object ports
  // (outside the encoded vocabulary); allocate takes a free name; making a
  // send right needs the receive right.
  const z3::expr po = is(e.kind, unsigned(Ev::port_operated));
  c.push_back(z3::implies(po, dynamic(e.port)));
  c.push_back(z3::implies(po && is(e.op, unsigned(Op::allocate)), fresh(e.port)));
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
    // Unlock and return concern resident pages of a ready pair (RT1).
    c.push_back(z3::implies(mine && (msg(Msg::data_unlock) || msg(Msg::data_return)), ready && resident));
    // OSF synchronize: once ready (RD1), never overlapping an outstanding
    // one (SY4), never SYNCHRONOUS with ASYNCHRONOUS (SY10).
    if (b.osf_pair(p)) {
      z3::expr overlap = ctx_->bool_val(false);
      for (unsigned y = 0; y < b.syncs; ++y)
        overlap = overlap || (s(F::smask, p, y) != bv(0, b.pages) && !s(F::sorph, p, y) &&
                              (s(F::smask, p, y) & e.mask) != bv(0, b.pages));
      const z3::expr both = bv(kSyncSynchronous | kSyncAsynchronous, kFlagBits);
      c.push_back(z3::implies(mine && msg(Msg::synchronize), ready && !overlap && (e.flags & both) != both));
    }
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
  auto request = [&](const z3::expr& k) {
    return is(k, unsigned(Msg::data_request)) || is(k, unsigned(Msg::data_unlock)) ||
           is(k, unsigned(Msg::data_return));
  };
  z3::expr_vector c(*ctx_);
  // A thread finishes its message before dequeuing the next.
  c.push_back(z3::implies(is(e.kind, unsigned(Ev::dequeued)), !at_thread(s, F::busy, e.thread)));

  // Handler returns. terminate: every right to the control and name ports is
  // released first (TM4, TM5, V6); with an error return mach_msg_server
  // destroys the receive rights, so they must still be there and no send
  // reference may be left. A handler that released a right its message
  // carried owns it and must not return an error (V1/IN9, V3). Requests are
  // never refused (IN2).
  const z3::expr ret = is(e.kind, unsigned(Ev::handler_returned));
  const z3::expr kind = at_thread(s, F::tkind, e.thread);
  const z3::expr tc = at_thread(s, F::tc, e.thread), tn = at_thread(s, F::tn, e.thread);
  const z3::expr error = is(e.code, unsigned(Ret::error));
  auto no_send = [&](const z3::expr& slot) {
    return at_name(s, F::snd, slot) == bv(0, kUrefBits) && at_name(s, F::dead, slot) == bv(0, kUrefBits);
  };
  const z3::expr named = named_pair_at(at_thread(s, F::tpair, e.thread));
  if (named.is_true()) {
    const z3::expr both_receive = at_name(s, F::recv, tc) && at_name(s, F::recv, tn);
    c.push_back(z3::implies(ret && is(kind, unsigned(Msg::terminate)),
                            z3::ite(error, both_receive && no_send(tc) && no_send(tn), !held_at(s, tc) && !held_at(s, tn))));
  } else {
    // OSF: the terminate carried the control's receive right alone.
    c.push_back(z3::implies(ret && is(kind, unsigned(Msg::terminate)) && named,
                            z3::ite(error, at_name(s, F::recv, tc) && at_name(s, F::recv, tn) && no_send(tc) && no_send(tn),
                                    !held_at(s, tc) && !held_at(s, tn))));
    c.push_back(z3::implies(ret && is(kind, unsigned(Msg::terminate)) && !named,
                            z3::ite(error, at_name(s, F::recv, tc) && no_send(tc), !held_at(s, tc))));
  }
  c.push_back(z3::implies(ret && at_thread(s, F::committed, e.thread), !error));
  c.push_back(z3::implies(ret && request(kind), !error));

  // Port operations release only references the pager owns: the references
  // a message in another thread's hands carried belong to mach_msg_server
  // until that handler succeeds.
  const z3::expr po = is(e.kind, unsigned(Ev::port_operated));
  const unsigned w = kUrefBits + 1;  // sums of two 16-bit counts
  z3::expr borrowed = bv(0, w);
  for (unsigned t = 0; t < b.threads; ++t) {
    const z3::expr lent = e.thread != bv(t, tb) && s(F::busy, t) && !s(F::committed, t);
    const z3::expr k = s(F::tkind, t);
    const z3::expr carries_c = b.osf_kernels != 0 ? request(k) || is(k, unsigned(Msg::synchronize)) : request(k);
    const z3::expr by_c = lent && (is(k, unsigned(Msg::init)) || carries_c) && s(F::tc, t) == e.port;
    const z3::expr named_t = named_pair_at(s(F::tpair, t));
    const z3::expr by_n = named_t.is_true() ? lent && is(k, unsigned(Msg::init)) && s(F::tn, t) == e.port
                                            : lent && named_t && is(k, unsigned(Msg::init)) && s(F::tn, t) == e.port;
    borrowed = borrowed + z3::ite(by_c, bv(1, w), bv(0, w)) + z3::ite(by_n, bv(1, w), bv(0, w));
  }
  const z3::expr snd = at_name(s, F::snd, e.port);
  const z3::expr refs = z3::zext(snd, 1) + z3::zext(at_name(s, F::dead, e.port), 1);
  c.push_back(z3::implies(po && is(e.op, unsigned(Op::deallocate)), z3::ugt(refs, borrowed)));
  c.push_back(z3::implies(po && is(e.op, unsigned(Op::mod_refs_send)),
                          snd != bv(0, kUrefBits) && z3::ugt(refs, borrowed)));
  c.push_back(z3::implies(po && is(e.op, unsigned(Op::destroy)), held_at(s, e.port) && borrowed == bv(0, w)));
  c.push_back(z3::implies(po && is(e.op, unsigned(Op::mod_refs_receive)), at_name(s, F::recv, e.port)));
  c.push_back(z3::implies(po && is(e.op, unsigned(Op::insert_send)), z3::ult(refs, bv(kUrefsMax, w))));
  return z3::mk_and(c);
}

}  // namespace emmi::smt
