// SPDX-License-Identifier: MIT
// The encoding's frame: where each variable lives (Layout), fresh states and
// events, the helpers shared by the step, the constraints and the proofs,
// and Encoding::step, which runs the event blocks (step.h lists the file of
// each, one per event family as in model/src/).
#include "emmi/smt/encoding.h"

#include <cassert>
#include <string>
#include <utility>

#include "step.h"

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
    case F::ctl:
    case F::nam:
    case F::tport:
    case F::tc:
    case F::tn: return l.name_bits();
    case F::linit: return 2;
    case F::qlen: return l.qlen_bits();
    case F::qreg: return l.qreg_bits();
    case F::snd:
    case F::dead: return kUrefBits;
    case F::ctr:
    case F::kctr:
    case F::last: return kSeqnoBits;
    case F::role: return kRoleBits;
    case F::owner:
    case F::tpair: return l.pair_bits();
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
      return "pair(o" + std::to_string(index / b.kernels) + ",k" +
             std::to_string(index % b.kernels) + ")";
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
      case Group::page:
        count = b.pairs();
        pages = b.pages;
        break;
      case Group::name: count = b.names; break;
      case Group::thread: count = b.threads; break;
      case Group::sync:
        count = b.osf_kernels != 0 ? b.pairs() : 0;
        pages = b.syncs;
        break;
    }
    for (unsigned i = 0; i < count; ++i) {
      for (unsigned p = 0; p < pages; ++p) {
        std::string name = entity(spec.group, i, b) + "." + std::string(spec.name);
        if (spec.group == Group::page || spec.group == Group::sync)
          name += "[" + std::to_string(p) + "]";
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
  static const std::vector<std::string_view> kNames = {"kind", "msg",  "obj",    "ker",
                                                       "page", "mask", "port",   "seqno",
                                                       "c",    "n",    "thread", "code",
                                                       "call", "op",   "flags",  "attrs"};
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
    v.push_back(f.width == 0 ? ctx_->bool_const(name.c_str())
                             : ctx_->bv_const(name.c_str(), f.width));
  }
  return State(layout_, std::move(v));
}

Event Encoding::fresh_event(const std::string& prefix) const {
  auto bvc = [&](const char* n, unsigned w) { return ctx_->bv_const((prefix + n).c_str(), w); };
  const Bounds& b = bounds();
  return Event{bvc("kind", kEvBits),
               bvc("msg", kMsgBits),
               bvc("obj", bits_for(b.objects)),
               bvc("ker", bits_for(b.kernels)),
               bvc("page", bits_for(b.pages)),
               bvc("mask", b.pages),
               bvc("port", layout_.name_bits()),
               bvc("seqno", kSeqnoBits),
               bvc("c", layout_.name_bits()),
               bvc("n", layout_.name_bits()),
               bvc("thread", layout_.thread_bits()),
               bvc("code", kRetBits),
               bvc("call", kCallBits),
               bvc("op", kOpBits),
               bvc("flags", kFlagBits),
               bvc("attrs", kAttrBits)};
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
  return s(F::recv, slot) || s(F::snd, slot) != bv(0, kUrefBits) ||
         s(F::dead, slot) != bv(0, kUrefBits);
}

z3::expr Encoding::at_name(const State& s, F f, const z3::expr& slot) const {
  z3::expr r = s(f, 0);
  for (unsigned n = 1; n < bounds().names; ++n)
    r = z3::ite(slot == bv(n, slot.get_sort().bv_size()), s(f, n), r);
  return r;
}

z3::expr Encoding::at_thread(const State& s, F f, const z3::expr& thread) const {
  z3::expr r = s(f, 0);
  for (unsigned t = 1; t < bounds().threads; ++t)
    r = z3::ite(thread == bv(t, thread.get_sort().bv_size()), s(f, t), r);
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
    r = r &&
        !(z3::ult(bv(i, lb), s(F::qlen, pair)) && is(queued_kind(s, pair, i), unsigned(Msg::init)));
  return r;
}

namespace detail {

// The model's step applies one event through one handler; the encoding's
// step is one formula for every event kind, each block guarded by its kind.
// The blocks run in this order, which is also the order in which their terms
// are created.
Step StepBuilder::build() {
  kernel_sent();
  dequeued();
  handler_returned();
  control_called();
  port_operated();
  return Step{post_, std::move(v_), accepted_, succeeds_};
}

}  // namespace detail

Step Encoding::step(const State& pre, const Event& e) const {
  return detail::StepBuilder(*this, pre, e).build();
}

std::span<const std::string_view> encoded_rules() {
  static constexpr std::string_view kRules[] = {"CA1",  "CA2", "DR3", "DR4", "DR5",  "DR8",
                                                "IN1",  "IN2", "IN9", "RD1", "RT1",  "SQ1",
                                                "SQ2",  "SQ5", "SQ6", "SU1", "SU12", "SU2",
                                                "SY10", "SY3", "SY4", "SY5", "TM4",  "TM5",
                                                "TM6",  "TM8", "V1",  "V3",  "V6"};
  return kRules;
}

}  // namespace emmi::smt
