// SPDX-License-Identifier: MIT
// The reference model's transitions and checks. Every check names its rule
// through the constants of the rule table (emmi/model/rules.h); SEMANTICS.md states in prose what
// each handler below does, and the SMT encoding in properties/smt mirrors it.
#include "emmi/model/model.h"

#include <algorithm>
#include <array>
#include <functional>
#include <span>

#include "emmi/model/rules.h"
#include "contents.h"
#include "locks.h"
#include "residency.h"
#include "pager_actions.h"
#include "state.h"
#include "supply.h"
#include "text.h"

namespace emmi::model {

std::span<const std::string_view> checked_rules() {
#define EMMI_MODEL_RULE_ENTRY(id, binds, what) rule::id,
  static constexpr std::array kRules{EMMI_MODEL_RULES(EMMI_MODEL_RULE_ENTRY)};
#undef EMMI_MODEL_RULE_ENTRY
  return kRules;
}

std::span<const RuleInfo> rule_table() {
#define EMMI_MODEL_RULE_INFO(id, binds, what) RuleInfo{rule::id, Binds::binds, what},
  static constexpr std::array kTable{EMMI_MODEL_RULES(EMMI_MODEL_RULE_INFO)};
#undef EMMI_MODEL_RULE_INFO
  return kTable;
}

const RuleInfo* find_rule(std::string_view id) {
  for (const RuleInfo& r : rule_table())
    if (r.id == id) return &r;
  return nullptr;
}

bool binds_pager(std::string_view id) {
  const RuleInfo* r = find_rule(id);
  return r != nullptr && r->binds != Binds::kernel;
}

std::string_view to_string(Binds b) {
  switch (b) {
    case Binds::pager: return "pager";
    case Binds::kernel: return "kernel";
    case Binds::both: return "both";
  }
  return "?";
}

namespace detail {
namespace {

bool about_pair(MessageKind k) {
  return k == MessageKind::init || k == MessageKind::terminate ||
         k == MessageKind::data_request || k == MessageKind::data_unlock ||
         k == MessageKind::data_return || k == MessageKind::synchronize ||
         k == MessageKind::copy;
}

bool destroys_request(KernReturn code) { return code != kKernSuccess && code != kMigNoReply; }

// SQ7: the message an effect is charged to.
struct Attrib {
  PortName port = kNullPort;
  Seqno seqno = 0;
  MessageKind kind = MessageKind::other;
  bool same(const Attrib& o) const { return port == o.port && seqno == o.seqno; }
};

// What an effect answers (SEMANTICS.md, "Attribution"): nothing the model can
// name, exactly one message, or several (then nothing is charged).
struct Target {
  enum Kind : std::uint8_t { none, one, ambiguous } what = none;
  Attrib msg{};
  static Target of(PortName port, Seqno seqno, MessageKind kind) {
    return Target{one, Attrib{port, seqno, kind}};
  }
};

Size sat_add(Size a, Size b) { return a + b < a ? ~Size{0} : a + b; }

std::string_view verb_text(Verb v) {
  switch (v) {
    case Verb::supplied: return "supplied";
    case Verb::answered_unavailable: return "answered data_unavailable for";
    case Verb::answered_error: return "answered data_error for";
    case Verb::locked: return "lock_request'ed";
    case Verb::released_data: return "released the returned data of";
    case Verb::called: return "made a control call on";
    case Verb::operated: return "operated on";
  }
  return "touched";
}

class Step {
 public:
  Step(State& s, Judgement& out) : s_(s), out_(out.verdicts), checked_(out.checked) {}

  void operator()(const KernelAttached& e);
  void operator()(const ObjectOffered& e);
  void operator()(const KernelSent& e);
  void operator()(const Dequeued& e);
  void operator()(const HandlerReturned& e);
  void operator()(const ControlCalled& e);
  void operator()(const PortOperated& e);
  void operator()(const MemoryReleased& e);

 private:
  void report(std::string_view rule, Party party, std::string explanation) {
    if (party != Party::suite) check(rule);  // a broken rule was checked
    out_.push_back(Verdict{rule, party, std::move(explanation), s_.events});
  }
  // A violation of the manual's reading of X-note `note`; when the world
  // reads that note GNU Mach's way, a portability finding (Verdict::portability).
  void report_reading(std::string_view rule, Reading reading, std::string_view note,
                      std::string explanation) {
    report(rule, Party::pager, std::move(explanation));
    if (reading == Reading::gnumach) out_.back().portability = note;
  }
  // The pager's own actions and the kernel's completions (pager_actions.h).
  void sent_hook(const KernelSent& e) {
    contents::on_sent(s_, e);
    coherence::on_sent(s_, e);
    actions::on_sent(
        s_, e, [&](std::string_view r) { check(r); },
        [&](std::string_view r, std::string text) { report(r, Party::kernel, std::move(text)); });
  }
  // The check of `rule` ran on this event (Judgement::checked).
  void check(std::string_view rule) {
    if (std::find(checked_.begin(), checked_.end(), rule) == checked_.end())
      checked_.push_back(rule);
  }

  std::string kernel_text(std::uint32_t kidx) const { return dec(s_.kernels[kidx].id); }
  std::string pair_text(const Pair& p) const {
    return cat("object ", dec(p.object), " / kernel ", kernel_text(p.kernel));
  }
  std::string port_text(PortName n) const;
  // " (thread 2 handling data_request seqno 3)", or "" between messages.
  std::string handling(const ThreadRec& t) const {
    if (!t.cur.busy) return cat(" (thread ", dec(t.id), ")");
    return cat(" (thread ", dec(t.id), " handling ", to_string(t.cur.msg.kind), " seqno ",
               dec(t.cur.seqno), ")");
  }
  std::string message_text(const Current& c) const {
    return cat(to_string(c.msg.kind), " seqno ", dec(c.seqno), " on ", port_text(c.port));
  }

  void add_rights(const std::vector<CarriedRight>& rights);
  void remove_receive(PortRec& r);
  void finish(Current& c, KernReturn code);
  // Takes over what an OSF hook (osf.h) checked and found.
  void absorb(osf::Found found) {
    for (std::string_view r : found.checked) check(r);
    for (osf::Finding& f : found.verdicts) report(f.rule, f.party, std::move(f.text));
  }
  void finish_all(ThreadRec& t, KernReturn code) {
    t.nested.clear();
    if (t.cur.busy) finish(t.cur, code);
  }
  void check_init_rights(const Dequeued& e, std::uint32_t inc_index);
  // The incarnation's control or name port now goes by `now` in the pager task.
  void rebind(std::uint32_t inc_index, PortName before, PortName now, Role role);
  // Whether a right carried under `carried` can be the port the model knows
  // as `known`: the same name, or — once the pager holds nothing under
  // `known` (mach_msg_server or the pager released it all) — a name never
  // seen before, since the kernel copies the right out afresh and names are
  // never reused.
  bool same_port(PortName known, PortName carried) const;
  bool names_collide(PortName n, std::uint32_t inc_index) const;

  // SQ7: the message an effect is charged to, from what it answers
  // (`target`) and the message the acting thread handles. The thread's
  // message counts when it came from `object_port` (any object port when
  // that is null). Two different candidates, or an ambiguous target: the
  // effect is charged to nothing (no verdict rather than a guess).
  std::optional<Attrib> charge(const Target& target, const ThreadRec& th,
                               PortName object_port) const;
  // SQ7. `resource()` words the resource, only when a verdict needs it.
  // crosses: reports SQ7 if a handler of a later message on the same object
  // port already made `t`; note: records this handler's touch in `t`.
  template <class Describe>
  bool crosses(const Touch& t, const Attrib& c, Verb verb, Describe resource);
  void note(Touch& t, const Attrib& c, Verb verb);
  template <class Describe>
  bool touch(Touch& t, const Attrib& c, Verb verb, Describe resource);
  // A touch of a name: `shared` for user-reference arithmetic on it.
  template <class Describe>
  bool touch_name(PortRec& r, const Attrib& c, Verb verb, bool shared, Describe resource);
  // The pending-request table of an incarnation, sized to the object.
  std::vector<std::uint32_t>& pending(std::vector<std::uint32_t>& v) const {
    if (v.empty()) v.assign((s_.config.object_size + kBlockSize - 1) / kBlockSize, 0);
    return v;
  }
  bool is_object_port(PortName n) const {
    const PortRec* r = s_.find_port(n);
    return r != nullptr && r->role == Role::object;
  }

  void control_call(const ControlCalled& e, PortRec& rec, ThreadRec& th);
  // Page locks (locks.h): the kernel's data_unlock (UL1, UL3), its
  // lock_completed (LK5, LK9), and the pager's lock values (SU6, LK4).
  void data_unlock(const KernelSent& e, Pair& p, std::size_t first, std::size_t last);
  void lock_completed(const KernelSent& e);
  void lock_values(const ControlCalled& e, const std::function<std::string()>& where);
  std::uint32_t other_kernel_unit(const Pair& p, Offset off, Size size) const;

  State& s_;
  std::vector<Verdict>& out_;
  std::vector<std::string_view>& checked_;
};

std::string Step::port_text(PortName n) const {
  const PortRec* r = s_.find_port(n);
  if (r != nullptr) {
    if (r->role == Role::object) return cat("object port ", hex(n), " of object ", dec(r->owner));
    if (r->role == Role::control || r->role == Role::name) {
      const Pair& p = s_.pairs[s_.incarnations[r->owner].pair];
      return cat(r->role == Role::control ? "control " : "name port ", hex(n), " of ", pair_text(p));
    }
  }
  return cat("port ", hex(n));
}

// --- set-up -----------------------------------------------------------------

void Step::operator()(const KernelAttached& e) {
  if (s_.kernel_index(e.kernel) != kNoIndex) {
    report(rule::PS1, Party::suite, cat("kernel ", dec(e.kernel), " attached twice"));
    return;
  }
  if (e.page_size == 0 || e.page_size % kBlockSize != 0) {
    report(rule::PS1, Party::suite,
           cat("kernel ", dec(e.kernel), " has page size ", hex(e.page_size),
               ", not a positive multiple of 0x1000"));
    return;
  }
  if (s_.config.object_size % e.page_size != 0)
    report(rule::PS1, Party::suite,
           cat("object size ", hex(s_.config.object_size), " is not a multiple of kernel ",
               dec(e.kernel), "'s page size ", hex(e.page_size)));
  auto kidx = static_cast<std::uint32_t>(s_.kernels.size());
  s_.kernels.push_back({e.kernel, e.page_size});
  osf::kernel_attached(s_, kidx, e.dialect);
  std::size_t pages = (s_.config.object_size + e.page_size - 1) / e.page_size;
  for (ObjectId o = 0; o < s_.config.objects; ++o) {
    Pair p;
    p.object = o;
    p.kernel = kidx;
    p.pages.assign(pages, PageState::absent);
    p.prot.assign(pages, 0);
    p.req.assign(pages, 0);
    locks::init_pages(p, pages);
    residency::init_pages(p, pages);
    s_.pairs.push_back(std::move(p));
  }
}

void Step::operator()(const ObjectOffered& e) {
  if (e.object >= s_.config.objects) {
    report(rule::IN7, Party::suite,
           cat("object ", dec(e.object), " offered, but the world has ", dec(s_.config.objects),
               " objects"));
    return;
  }
  ObjectRec& obj = s_.objects[e.object];
  if (obj.offered || e.port == kNullPort || e.port == kDeadPort) {
    report(rule::IN7, Party::suite,
           cat("object ", dec(e.object), " offered ", obj.offered ? "twice" : "with a null port"));
    return;
  }
  PortRec& r = s_.port(e.port);
  if (r.role != Role::none) {
    report(rule::IN7, Party::suite,
           cat("object ", dec(e.object), " offered on ", port_text(e.port)));
    return;
  }
  r.role = Role::object;
  r.owner = e.object;
  if (!r.receive) {  // not reported by an earlier allocate: the counter starts now
    r.receive = true;
    r.next = 0;
    r.fresh = true;
  }
  obj.port = e.port;
  obj.offered = true;
  // What the kernels' send right cost the pager's ledger. MAKE_SEND makes a
  // new right from the receive right: nothing leaves. COPY_SEND and
  // MOVE_SEND need a send right under the name (the simulated kernel took
  // it, so the pager held one); MOVE_SEND takes one user reference away, so
  // a later release of it by the pager is judged as a release of a right it
  // no longer holds.
  if (e.disposition == Disposition::make_send) return;
  if (r.send == 0) {
    report(rule::V3, Party::suite,
           cat("object ", dec(e.object), " offered with ", to_string(e.disposition), " on ",
               hex(e.port), ", but the model saw the pager hold no send right under that name"));
    return;
  }
  if (e.disposition == Disposition::move_send) {
    --r.send;
    r.moved_away = true;
  }
}

// --- kernel -> pager ----------------------------------------------------------

// The index of another kernel mapping the same object whose page size makes
// (off, size) whole pages although `p`'s page size does not (MK4, PS2), or
// kNoIndex.
std::uint32_t Step::other_kernel_unit(const Pair& p, Offset off, Size size) const {
  for (std::uint32_t k = 0; k < s_.kernels.size(); ++k) {
    if (k == p.kernel) continue;
    Size ps = s_.kernels[k].page_size;
    if (ps == s_.page_size_of(p)) continue;
    if (s_.pair(p.object, k).current == kNoIndex) continue;
    if (off % ps == 0 && size % ps == 0 && size != 0) return k;
  }
  return kNoIndex;
}

void Step::operator()(const KernelSent& e) {
  PortRec* dest = s_.find_port(e.destination);
  if (!about_pair(e.kind)) {
    // Completions and notifications: the kernel can only send where the
    // pager holds a receive right. A reply port the model has not seen
    // allocated (e.g. from mach_reply_port) is adopted with a fresh counter.
    PortRec& r = dest != nullptr ? *dest : s_.port(e.destination);
    if (!r.receive) {
      r.receive = true;
      r.next = 0;
      r.fresh = true;
    }
    r.queue.push_back(Queued{e.kind, kNoIndex, e.object, e.offset, e.length});
    if (e.kind == MessageKind::lock_completed) lock_completed(e);
    absorb(supply::sent(s_, e));  // SU11
    sent_hook(e);
    return;
  }

  std::uint32_t kidx = s_.kernel_index(e.kernel);
  if (kidx == kNoIndex || e.object >= s_.config.objects) {
    report(kidx == kNoIndex ? rule::IN1 : rule::IN7, Party::suite,
           cat(to_string(e.kind), " from kernel ", dec(e.kernel), " for object ", dec(e.object),
               ": ", kidx == kNoIndex ? "that kernel never attached" : "no such object"));
    return;
  }
  // The first message for a copy object names the port the pager took
  // with memory_object_copy (copies.h).
  if (copies::bind(s_, e)) dest = s_.find_port(e.destination);
  check(rule::IN7);
  if (dest == nullptr || !dest->receive) {
    // IN7: the kernel sends on its send right to the object port; it cannot
    // address a port the pager no longer has.
    report(rule::IN7, Party::kernel,
           cat("kernel ", dec(e.kernel), " sent ", to_string(e.kind), " for object ",
               dec(e.object), " to ", port_text(e.destination),
               ", for which the pager holds no receive right"));
    return;
  }
  const ObjectRec& obj = s_.objects[e.object];
  if (obj.port != e.destination)
    report(rule::IN7, Party::kernel,
           cat("kernel ", dec(e.kernel), " sent ", to_string(e.kind), " for object ",
               dec(e.object), " to ", port_text(e.destination), ", not to its object port ",
               hex(obj.port)));

  const std::uint32_t sent = ++s_.objects[e.object].sent;  // FIFO position on the object port
  Pair& p = s_.pair(e.object, kidx);
  std::uint32_t pair_index = static_cast<std::uint32_t>(&p - s_.pairs.data());
  Size ps = s_.page_size_of(p);
  std::uint32_t inc = p.current;

  auto clear_pages = [&] {
    std::fill(p.pages.begin(), p.pages.end(), PageState::absent);
    std::fill(p.prot.begin(), p.prot.end(), Prot{0});
    locks::clear(p);
    residency::clear(p);
  };

  switch (e.kind) {
    case MessageKind::init:
      // IN1: one init per (object, kernel) until terminate; GNU Mach queues a
      // re-init behind the terminate (gnumach-kernel.md, 3a).
      check(rule::IN1);
      if (p.life == Lifecycle::initialised || p.life == Lifecycle::ready)
        report(rule::IN1, Party::kernel,
               cat("kernel ", dec(e.kernel), " sent a second init for ", pair_text(p),
                   " while it is ", to_string(p.life)));
      inc = static_cast<std::uint32_t>(s_.incarnations.size());
      s_.incarnations.push_back(Incarnation{pair_index});
      p.current = inc;
      p.life = Lifecycle::initialised;
      p.destroy_requested = false;
      clear_pages();
      break;

    case MessageKind::terminate:
      check(rule::IN1);
      check(rule::TM8);
      if (p.life == Lifecycle::uninitialised) {
        report(rule::IN1, Party::kernel,
               cat("kernel ", dec(e.kernel), " sent terminate for ", pair_text(p),
                   " before any init"));
        inc = kNoIndex;
        break;
      }
      if (p.life == Lifecycle::terminating || p.life == Lifecycle::terminated) {
        report(rule::TM8, Party::kernel,
               cat("kernel ", dec(e.kernel), " sent a second terminate for ", pair_text(p)));
        inc = kNoIndex;
        break;
      }
      // The kernel forgets the mapping: outstanding requests are no longer
      // waited for and resident pages are gone (all returns came first, 3d).
      p.life = Lifecycle::terminating;
      s_.incarnations[inc].terminate_sent = true;
      osf::terminated(s_, inc);
      clear_pages();
      break;

    case MessageKind::copy:
      // GNU Mach copies only a ready object (vm_object_copy_strategically
      // waits for pager_ready).
      check(rule::RD1);
      if (p.life != Lifecycle::ready)
        report(rule::RD1, Party::kernel,
               cat("kernel ", dec(e.kernel), " sent memory_object_copy for ", pair_text(p),
                   " while it is ", to_string(p.life)));
      absorb(copies::made(s_, e, kidx));
      // The range's resident pages are write-locked (vm_object_copy_call),
      // so a write to one asks the pager to unlock it (UL3).
      if (e.offset % ps == 0)
        for (std::size_t i = e.offset / ps;
             i < std::min<std::size_t>(p.pages.size(), sat_add(e.offset, e.length) / ps); ++i)
          if (p.pages[i] == PageState::resident) p.prot[i] |= kProtWrite;
      break;

    default: {  // data_request, data_unlock, data_return
      check(rule::IN1);
      check(rule::TM8);
      if (p.life == Lifecycle::uninitialised) {
        report(rule::IN1, Party::kernel,
               cat("kernel ", dec(e.kernel), " sent ", to_string(e.kind), " for ", pair_text(p),
                   " before init"));
        inc = kNoIndex;
        break;
      }
      if (p.life == Lifecycle::terminating || p.life == Lifecycle::terminated) {
        report(rule::TM8, Party::kernel,
               cat("kernel ", dec(e.kernel), " sent ", to_string(e.kind), " for ", pair_text(p),
                   " after terminate"));
        inc = kNoIndex;
        break;
      }
      check(rule::PS1);
      if (s_.kernels.size() > 1) check(rule::PS2);
      if (e.kind != MessageKind::data_return) {
        check(rule::RD1);
        check(rule::DR1);
      } else {
        check(rule::RT1);
      }
      if (e.kind != MessageKind::data_return && p.life == Lifecycle::initialised)
        report(rule::RD1, Party::kernel,
               cat("kernel ", dec(e.kernel), " sent ", to_string(e.kind), " at offset ",
                   hex(e.offset), " for ", pair_text(p), " before the pager made it ready"));
      if (e.kind == MessageKind::data_unlock) check(rule::UL6);
      if (e.offset % ps != 0 || e.length % ps != 0 || e.length == 0) {
        std::uint32_t other = other_kernel_unit(p, e.offset, e.length);
        const std::string_view unit_rule = e.kind == MessageKind::data_unlock ? rule::UL6 : rule::PS1;
        report(other != kNoIndex ? rule::PS2 : unit_rule, Party::kernel,
               cat("kernel ", dec(e.kernel), " sent ", to_string(e.kind), " offset ",
                   hex(e.offset), " length ", hex(e.length), " for ", pair_text(p),
                   ": not whole pages of its page size ", hex(ps),
                   other != kNoIndex ? cat(" (whole pages of kernel ", kernel_text(other), "'s)")
                                     : std::string()));
      }
      Size end = sat_add(e.offset, e.length);
      if (end > s_.config.object_size && e.kind != MessageKind::data_return)
        report(rule::DR1, Party::kernel,
               cat("kernel ", dec(e.kernel), " sent ", to_string(e.kind), " for [", hex(e.offset),
                   ", ", hex(end), ") of ", pair_text(p), ", beyond the object's size ",
                   hex(s_.config.object_size)));
      std::size_t first = e.offset / ps;
      std::size_t last = std::min<std::size_t>(p.pages.size(), (end + ps - 1) / ps);
      if (e.kind != MessageKind::data_return) locks::end_flush_window(p);
      if (e.kind == MessageKind::data_unlock) data_unlock(e, p, first, last);
      if (e.kind == MessageKind::data_request) {
        for (std::size_t i = first; i < last; ++i) {
          // A page the model thinks resident was dropped silently (RT3),
          // which the kernel may do only to a page that is not precious
          // (SU7); a page a data_error failed is retried (ER2).
          if (p.pages[i] == PageState::resident) check(rule::SU7);
          if (residency::request(p, i))
            report(rule::SU7, Party::kernel,
                   cat("kernel ", dec(e.kernel), " requested page ", hex(i * ps), " of ",
                       pair_text(p), " again without returning it, but the pager supplied it "
                       "precious"));
          if (residency::has(p, i, residency::retry)) check(rule::ER2);
          // A page already requested merges (GNU Mach never sends one).
          if (p.pages[i] == PageState::requested) {
            p.prot[i] |= e.access;
          } else {
            p.prot[i] = e.access;
            p.req[i] = sent;
          }
          p.pages[i] = PageState::requested;
        }
      } else if (e.kind == MessageKind::data_return) {
        // RT1: the kernel writes back only pages it holds.
        Offset not_held = ~Offset{0};
        for (std::size_t i = first; i < last; ++i) {
          if (p.pages[i] != PageState::resident) {
            // The write-back of a page the lock_request just flushed.
            if (locks::take_flushed(p, i)) continue;
            not_held = std::min<Offset>(not_held, i * ps);
            continue;
          }
          // With kernel_copy the kernel keeps a clean copy (lock_request
          // without a flush, gnumach-kernel.md §3c).
          if (e.kernel_copy) continue;
          p.pages[i] = PageState::absent;
          p.prot[i] = 0;
          p.unlock[i] = 0;
          residency::left(p, i);
        }
        if (not_held == ~Offset{0} && end > s_.config.object_size)
          not_held = std::max<Offset>(e.offset, s_.config.object_size);
        if (not_held != ~Offset{0})
          report(rule::RT1, Party::kernel,
                 cat("kernel ", dec(e.kernel), " returned page ", hex(not_held), " of ",
                     pair_text(p), ", which it does not hold"));
        // The latest contents of each block, as the kernel sent them (RT4).
        if (e.offset % kBlockSize == 0 && e.length % kBlockSize == 0) {
          std::size_t blocks = e.length / kBlockSize;
          if (e.stamps.size() != blocks)
            report(rule::RT4, Party::suite,
                   cat("data_return of ", pair_text(p), " at ", hex(e.offset), " carries ",
                       dec(e.stamps.size()), " block stamps for ", dec(blocks), " blocks"));
          ObjectRec& o = s_.objects[e.object];
          copies::returned(s_, e);
          std::size_t b0 = e.offset / kBlockSize;
          for (std::size_t i = 0; i < std::min(blocks, e.stamps.size()); ++i) {
            if (b0 + i >= o.blocks.size()) break;
            o.blocks[b0 + i].record(sent, e.stamps[i]);
          }
        }
      }
      // OSF: data_returns a synchronize must find handled, and synchronize.
      if (osf::speaks_osf(s_, kidx)) absorb(osf::kernel_sent(s_, e, inc, sent));
      break;
    }
  }
  dest->queue.push_back(Queued{e.kind, inc, e.object, e.offset, e.length});
  sent_hook(e);
}

// --- dequeue -------------------------------------------------------------------

void Step::add_rights(const std::vector<CarriedRight>& rights) {
  for (const CarriedRight& c : rights) {
    if (c.name == kNullPort || c.name == kDeadPort) continue;
    PortRec& r = s_.port(c.name);
    switch (c.right) {
      case Right::send: ++r.send; break;
      case Right::send_once: ++r.send_once; break;
      case Right::dead_name: ++r.dead; break;
      case Right::receive:
        // SQ5: a receive right moved into the pager task starts at seqno 0.
        r.receive = true;
        r.next = 0;
        r.fresh = true;
        r.queue.clear();
        r.head = 0;
        break;
      case Right::port_set: break;
    }
  }
}

// Removing a receive right while send rights remain under the same name turns
// them into a dead name with the same user references (Mach's ipc_right).
void Step::remove_receive(PortRec& r) {
  r.receive = false;
  r.dead += r.send;
  r.send = 0;
  r.queue.clear();
  r.head = 0;
}

bool Step::names_collide(PortName n, std::uint32_t inc_index) const {
  const PortRec* r = s_.find_port(n);
  if (r == nullptr || r->role == Role::none) return false;
  if (r->role == Role::object) return true;
  if (r->owner == inc_index) return false;
  const Incarnation& other = s_.incarnations[r->owner];
  bool held = r->receive || r->send != 0 || r->dead != 0;
  return !other.terminate_dequeued || held;
}

void Step::check_init_rights(const Dequeued& e, std::uint32_t inc_index) {
  Incarnation& inc = s_.incarnations[inc_index];
  const Pair& p = s_.pairs[inc.pair];
  check(rule::IN4);
  check(rule::IN3);
  for (const CarriedRight& c : e.rights)
    if (c.right == Right::receive)
      report(rule::IN4, Party::kernel,
             cat("init seqno ", dec(e.seqno), " of ", pair_text(p), " moved the receive right ",
                 hex(c.name), " to the pager; the kernel keeps the control receive right"));
  // OSF (memory_object_init.html): a send right to the control port and no
  // name port; GNU Mach: control and name.
  const bool osf = osf::speaks_osf(s_, p.kernel);
  if (osf ? (e.rights.size() != 1 || e.rights[0].right != Right::send)
          : (e.rights.size() < 2 || e.rights[0].right != Right::send ||
             e.rights[1].right != Right::send)) {
    report(rule::IN3, Party::kernel,
           cat("init seqno ", dec(e.seqno), " of ", pair_text(p),
               osf ? " does not carry exactly one send right, to a control port"
                   : " does not carry send rights to a control and a name port"));
    return;
  }
  PortName control = e.rights[0].name;
  PortName name = osf ? kNullPort : e.rights[1].name;
  check(rule::IN8);
  if (!osf) check(rule::MK1);
  if (control == name || names_collide(control, inc_index))
    report(rule::IN8, Party::kernel,
           cat("init seqno ", dec(e.seqno), " of ", pair_text(p), " gave control ", hex(control),
               ", which is already ",
               control == name ? std::string("its name port") : port_text(control)));
  if (!osf && control != name && names_collide(name, inc_index))
    report(rule::MK1, Party::kernel,
           cat("init seqno ", dec(e.seqno), " of ", pair_text(p), " gave name port ", hex(name),
               ", which is already ", port_text(name)));
  inc.control = control;
  inc.name = name;
  PortRec& c = s_.port(control);
  c.role = Role::control;
  c.owner = inc_index;
  c.init_failed = false;
  c.touch = Touch{};
  c.touch_exclusive = Touch{};
  c.carriers = 0;
  if (!osf && name != control) {
    PortRec& n = s_.port(name);
    n.role = Role::name;
    n.owner = inc_index;
    n.init_failed = false;
    n.touch = Touch{};
    n.touch_exclusive = Touch{};
    n.carriers = 0;
  }
}

void Step::operator()(const Dequeued& e) {
  ThreadRec& th = s_.thread(e.thread);
  // A thread that dequeues from an object port again has finished what it was
  // handling. From any other port (an RPC reply, a nested server loop) it is
  // still inside its handler: the message nests (SEMANTICS.md, "Dequeue").
  const bool from_object = is_object_port(e.port);
  if (th.cur.busy && from_object) finish_all(th, kKernSuccess);

  PortRec* rp = s_.find_port(e.port);
  Queued m{MessageKind::other, kNoIndex, 0, 0, 0};
  if (rp == nullptr || !rp->receive || rp->head >= rp->queue.size()) {
    // The simulated kernel delivered a message the model never saw sent;
    // the thread still handles "something", so its effects stay attributed.
    report(rule::SQ6, Party::suite,
           cat("thread ", dec(e.thread), " dequeued seqno ", dec(e.seqno), " from ",
               port_text(e.port), ", where nothing is queued"));
  } else {
    PortRec& r = *rp;
    m = r.queue[r.head++];
    actions::on_dequeued(s_, e.port, m);
    coherence::on_dequeued(s_, e.port);
    if (r.head == r.queue.size()) {  // drained: reuse the storage
      r.queue.clear();
      r.head = 0;
    }
    check(rule::SQ6);
    check(r.role == Role::object ? rule::SQ1 : rule::SQ2);
    if (r.fresh && r.next == 0) check(rule::SQ5);
    if (e.seqno != r.next) {
      std::string_view rl = r.role == Role::object ? rule::SQ1 : rule::SQ2;
      std::string why;
      if (r.fresh && r.next == 0) {
        rl = rule::SQ5;
        why = "the first message since the receive right was created or moved must carry 0";
      } else if (e.seqno > r.next) {
        rl = rule::SQ6;
        why = cat("seqnos ", dec(r.next), "..", dec(e.seqno - 1), " were skipped");
      } else {
        why = cat("expected ", dec(r.next));
      }
      report(rl, Party::kernel,
             cat(to_string(m.kind), " dequeued from ", port_text(e.port), " by thread ",
                 dec(e.thread), " carries seqno ", dec(e.seqno), ": ", why));
    }
    r.next = e.seqno + 1;
    r.fresh = false;
  }

  if (e.too_large) {
    // The pager never saw this message: no rights, no handler. A lost init
    // leaves the pair unready (RD1 at quiescence), a lost request unanswered
    // (DR3); the kernel is not blamed for the missing rights.
    if (m.incarnation != kNoIndex) {
      Incarnation& inc = s_.incarnations[m.incarnation];
      if (m.kind == MessageKind::init) {
        inc.init_dequeued = true;
        inc.init_seqno = e.seqno;
      } else if (m.kind == MessageKind::terminate) {
        inc.terminate_dequeued = true;
        inc.terminate_seqno = e.seqno;
        Pair& p = s_.pairs[inc.pair];
        if (p.current == m.incarnation) p.life = Lifecycle::terminated;
      }
    }
    return;
  }

  {
    Current& c = th.cur.busy ? th.nested.emplace_back() : th.cur;
    c.busy = true;
    c.msg = m;
    c.port = e.port;
    c.seqno = e.seqno;
    c.region = e.region;
    c.rights.assign(e.rights.begin(), e.rights.end());
  }
  if (m.incarnation != kNoIndex) {
    std::uint32_t inc_index = m.incarnation;
    switch (m.kind) {
      case MessageKind::init:
        check_init_rights(e, inc_index);
        s_.incarnations[inc_index].init_dequeued = true;
        s_.incarnations[inc_index].init_seqno = e.seqno;
        s_.incarnations[inc_index].init_port = e.port;
        break;
      case MessageKind::terminate: {
        Incarnation& inc = s_.incarnations[inc_index];
        Pair& p = s_.pairs[inc.pair];
        // TM3: terminate moves the receive rights of this incarnation's
        // control and name ports (GNU Mach: MOVE_RECEIVE for both; OSF,
        // memory_object_terminate.html: the control port only).
        const bool osf = osf::speaks_osf(s_, p.kernel);
        bool ok = e.rights.size() >= (osf ? 1u : 2u) && e.rights[0].right == Right::receive &&
                  (osf || e.rights[1].right == Right::receive) &&
                  same_port(inc.control, e.rights[0].name) &&
                  (osf || same_port(inc.name, e.rights[1].name));
        if (ok && e.rights[0].name != inc.control) rebind(inc_index, inc.control, e.rights[0].name, Role::control);
        if (ok && !osf && e.rights[1].name != inc.name) rebind(inc_index, inc.name, e.rights[1].name, Role::name);
        check(rule::TM3);
        if (!ok)
          report(rule::TM3, Party::kernel,
                 cat("terminate seqno ", dec(e.seqno), " of ", pair_text(p),
                     " does not move the receive rights of control ", hex(inc.control),
                     " and name port ", hex(inc.name)));
        inc.terminate_dequeued = true;
        inc.terminate_seqno = e.seqno;
        inc.terminate_port = e.port;
        if (p.current == inc_index) p.life = Lifecycle::terminated;
        break;
      }
      default: {  // data_request, data_unlock, data_return carry the control (MAKE_SEND)
        const Incarnation& inc = s_.incarnations[inc_index];
        const bool ok = !e.rights.empty() && e.rights[0].right == Right::send &&
                        same_port(inc.control, e.rights[0].name);
        if (ok && e.rights[0].name != inc.control)
          rebind(inc_index, inc.control, e.rights[0].name, Role::control);
        if (inc.init_dequeued && inc.control != kNullPort) check(rule::MK2);
        if (inc.init_dequeued && inc.control != kNullPort && !ok)
          report(rule::MK2, Party::kernel,
                 cat(to_string(m.kind), " seqno ", dec(e.seqno), " from kernel ",
                     kernel_text(s_.pairs[inc.pair].kernel), " carries ",
                     e.rights.empty() ? std::string("no right") : port_text(e.rights[0].name),
                     " instead of a send right to control ", hex(inc.control)));
        break;
      }
    }
  }
  add_rights(e.rights);
  demux::dequeued(s_, e, m.kind);
  // SQ7 attribution (after init gave its names their roles): who carried send rights under which name; which
  // requests an answer on the control would answer.
  if (from_object) {
    for (const CarriedRight& cr : e.rights) {
      if (cr.name == kNullPort || cr.name == kDeadPort) continue;
      if (cr.right != Right::send && cr.right != Right::send_once) continue;
      PortRec& r = s_.port(cr.name);
      ++r.carriers;
      r.carrier_port = e.port;
      r.carrier_seqno = e.seqno;
      r.carrier_kind = m.kind;
    }
    if (m.incarnation != kNoIndex &&
        (m.kind == MessageKind::data_request || m.kind == MessageKind::data_unlock)) {
      Incarnation& inc = s_.incarnations[m.incarnation];
      auto& table = pending(m.kind == MessageKind::data_request ? inc.pending_request
                                                                  : inc.pending_unlock);
      inc.pending_port = e.port;
      const Size end = sat_add(m.offset, m.length);
      for (std::size_t b = m.offset / kBlockSize; b < table.size() && b * kBlockSize < end; ++b)
        table[b] = e.seqno + 1;
    }
  }


  if (e.region != 0) {
    RegionRec* reg = s_.find_region(e.region);
    if (reg != nullptr && reg->state == RegionState::live)
      report(rule::PR8, Party::suite,
             cat("region ", hex(e.region), " delivered again while still mapped"));
    RegionRec fresh{e.region, RegionState::live, m, e.port, e.seqno};
    if (reg != nullptr) {
      *reg = fresh;
    } else {
      s_.region_index.insert(e.region, static_cast<std::uint32_t>(s_.regions.size()));
      s_.regions.push_back(fresh);
    }
  }
}

bool Step::same_port(PortName known, PortName carried) const {
  if (carried == known) return true;
  const PortRec* k = s_.find_port(known);
  const bool gone = k == nullptr || (k->send == 0 && k->send_once == 0 && k->dead == 0 && !k->receive);
  const PortRec* c = s_.find_port(carried);
  return gone && carried != kNullPort && (c == nullptr || c->role == Role::none);
}

void Step::rebind(std::uint32_t inc_index, PortName before, PortName now, Role role) {
  Incarnation& inc = s_.incarnations[inc_index];
  (role == Role::control ? inc.control : inc.name) = now;
  const PortRec* old = s_.find_port(before);
  const bool failed = old != nullptr && old->init_failed;
  PortRec& r = s_.port(now);
  r.role = role;
  r.owner = inc_index;
  // The port keeps what a failed init did to it under its new name (IN9, V1).
  r.init_failed = failed;
  // The old name keeps its role: a later use of it is still recognised as a
  // use of this incarnation's port (IN9, TM8).
}

// --- handler return --------------------------------------------------------------

void Step::finish(Current& c, KernReturn code) {
  c.busy = false;
  const bool data_message =
      c.msg.incarnation != kNoIndex &&
      (c.msg.kind == MessageKind::data_request || c.msg.kind == MessageKind::data_unlock ||
       c.msg.kind == MessageKind::data_return);
  if (data_message) check(rule::IN2);
  if (!destroys_request(code)) return;

  // The pager refused a request it must be prepared for after init (IN2).
  if (c.msg.incarnation != kNoIndex &&
      (c.msg.kind == MessageKind::data_request || c.msg.kind == MessageKind::data_unlock ||
       c.msg.kind == MessageKind::data_return))
    report(rule::IN2, Party::pager,
           cat(message_text(c), " returned ", code_name(code),
               ": after init the pager must accept the kernel's requests"));

  // mach_msg_server destroys the request: every right and the out-of-line
  // memory it carried (X2: for every routine). Whatever the pager already
  // released is released twice.
  // V2: a request refused as such (MIG_DESTROY_REQUEST, or MIG_BAD_ID from
  // a demux that does not know it); V3: a handler's other error returns.
  std::string_view twice = c.msg.kind == MessageKind::init                  ? rule::V1
                           : code == kMigDestroyRequest || code == kMigBadId ? rule::V2
                                                                             : rule::V3;
  for (const CarriedRight& cr : c.rights) {
    if (cr.name == kNullPort || cr.name == kDeadPort) continue;
    check(twice);
    PortRec& r = s_.port(cr.name);
    bool had = false;
    switch (cr.right) {
      case Right::send:
        if (r.send > 0) { --r.send; had = true; }
        else if (r.dead > 0) { --r.dead; had = true; }  // its port died meanwhile
        break;
      case Right::send_once:
        if (r.send_once > 0) { --r.send_once; had = true; }
        break;
      case Right::receive:
        if (r.receive) { remove_receive(r); had = true; }
        break;
      case Right::dead_name:
        if (r.dead > 0) { --r.dead; had = true; }
        break;
      case Right::port_set: had = true; break;
    }
    if (!had)
      report_reading(twice, twice == rule::V2 ? Reading::manual
                                              : s_.config.readings.unknown_name_release,
                     "X18",
                     cat(message_text(c), " returned ", code_name(code),
                         ", so mach_msg_server released its ", to_string(cr.right), " right to ",
                         port_text(cr.name), ", which the pager had already released"));
  }
  if (c.region != 0) {
    RegionRec* reg = s_.find_region(c.region);
    if (reg != nullptr) {
      check(rule::V4);
      if (reg->state == RegionState::released)
        report(rule::V4, Party::pager,
               cat(message_text(c), " returned ", code_name(code),
                   ", so mach_msg_server freed its out-of-line memory ", hex(c.region),
                   ", which the pager had already released"));
      reg->state = RegionState::freed_by_server;
    }
  }
  if (c.msg.kind == MessageKind::init && c.msg.incarnation != kNoIndex) {
    Incarnation& inc = s_.incarnations[c.msg.incarnation];
    inc.init_failed = true;
    inc.init_code = code;
    // The names init carried are the rights mach_msg_server released. A
    // name terminate brought meanwhile is a right the pager owns: its use
    // is judged as a use after terminate (TM8), not IN9.
    for (const CarriedRight& cr : c.rights)
      if (PortRec* r = s_.find_port(cr.name); r != nullptr && r->owner == c.msg.incarnation &&
                                              (r->role == Role::control || r->role == Role::name))
        r->init_failed = true;
  }
}

void Step::operator()(const HandlerReturned& e) {
  ThreadRec& th = s_.thread(e.thread);
  if (e.port != kNullPort) {
    // The request mach_msg_server received for this handler: the outermost
    // message, or a nested one (a nested server loop); whatever the thread
    // dequeued inside that handler is finished with it.
    auto is = [&](const Current& c) { return c.busy && c.port == e.port && c.seqno == e.seqno; };
    // What the demux itself said (G5, SQ4, V5: demux.cpp).
    auto judge_demux = [&](const Current& c) {
      absorb(demux::returned(s_, c, e, is_object_port(c.port)));
    };
    if (is(th.cur)) {
      th.nested.clear();
      judge_demux(th.cur);
      finish(th.cur, e.code);
      return;
    }
    for (std::size_t i = th.nested.size(); i-- > 0;) {
      if (!is(th.nested[i])) continue;
      judge_demux(th.nested[i]);
      finish(th.nested[i], e.code);
      th.nested.resize(i);
      return;
    }
    // A message the model already considers finished (the thread dequeued
    // from an object port inside its handler): nothing left to account.
    return;
  }
  if (!th.cur.busy) {
    report(rule::V3, Party::suite,
           cat("thread ", dec(e.thread), " returned ", code_name(e.code),
               " without a dequeued message"));
    return;
  }
  finish_all(th, e.code);
}

// --- control calls -------------------------------------------------------------------

std::optional<Attrib> Step::charge(const Target& target, const ThreadRec& th,
                                   PortName object_port) const {
  if (target.what == Target::ambiguous || s_.stopping) return std::nullopt;
  std::optional<Attrib> mine;
  const Current& c = th.cur;
  if (c.busy && c.port != kNullPort &&
      (object_port != kNullPort ? c.port == object_port : is_object_port(c.port)))
    mine = Attrib{c.port, c.seqno, c.msg.kind};
  if (target.what == Target::none) return mine;
  if (object_port != kNullPort && target.msg.port != object_port) return std::nullopt;
  if (mine && !mine->same(target.msg)) return std::nullopt;
  return target.msg;
}

template <class Describe>
bool Step::crosses(const Touch& t, const Attrib& c, Verb verb, Describe resource) {
  const std::uint32_t mine = c.seqno + 1;
  // Seqnos of two ports do not compare.
  if (t.port != c.port) return false;
  check(rule::SQ7);
  if (t.seqno_plus1 <= mine) return false;
  report(rule::SQ7, Party::pager,
         cat(to_string(c.kind), " seqno ", dec(c.seqno), " ", verb_text(verb), " ", resource(),
             " after ", to_string(t.kind), " seqno ", dec(t.seqno_plus1 - 1), " ",
             verb_text(t.verb), " it (", port_text(c.port), ")"));
  return true;
}

void Step::note(Touch& t, const Attrib& c, Verb verb) {
  const std::uint32_t mine = c.seqno + 1;
  if (t.port != c.port) t = Touch{0, c.port};
  if (mine > t.seqno_plus1) t = Touch{mine, c.port, c.kind, verb};
}

template <class Describe>
bool Step::touch(Touch& t, const Attrib& c, Verb verb, Describe resource) {
  const bool crossed = crosses(t, c, verb, resource);
  note(t, c, verb);
  return crossed;
}

template <class Describe>
bool Step::touch_name(PortRec& r, const Attrib& c, Verb verb, bool shared, Describe resource) {
  // Shared touches (user-reference arithmetic) commute with one another, so
  // they cross only an exclusive touch by a later message; an exclusive one
  // crosses any later touch.
  const bool crossed = crosses(shared ? r.touch_exclusive : r.touch, c, verb, resource);
  note(r.touch, c, verb);
  if (!shared) note(r.touch_exclusive, c, verb);
  return crossed;
}

void Step::operator()(const ControlCalled& e) {
  ThreadRec& th = s_.thread(e.thread);
  PortRec* rec = s_.find_port(e.control);
  std::string_view wrong_port = e.call == ControlCall::data_supply ? rule::SU12 : rule::DR8;

  // The call never reached a live control port: the kernel must refuse it.
  auto kernel_disagrees = [&] {
    report(wrong_port, Party::suite,
           cat("simulated kernel accepted ", to_string(e.call), " on ", port_text(e.control),
               "; the model expects it refused"));
  };

  check(wrong_port);
  if (rec == nullptr || rec->role != Role::control) {
    report(wrong_port, Party::pager,
           cat(to_string(e.call), " on ", port_text(e.control), handling(th),
               ": not a control port the kernel gave"));
    if (e.accepted) kernel_disagrees();
    return;
  }
  const Incarnation& inc = s_.incarnations[rec->owner];
  check(rule::IN9);
  if (rec->init_failed) {
    // IN9: mach_msg_server released init's control reference.
    report(rule::IN9, Party::pager,
           cat("init seqno ", dec(inc.init_seqno), " returned ", code_name(inc.init_code),
               " but the pager used ", port_text(e.control), " afterwards: ", to_string(e.call),
               handling(th)));
    if (e.accepted) kernel_disagrees();
    return;
  }
  check(rule::TM8);
  if (inc.terminate_dequeued) {
    // A use after terminate when terminate's handling is visibly under way:
    // the pager let go of the receive right terminate moved in, or this very
    // thread handles that terminate. Otherwise the call may be the work of
    // an earlier message (a worker still handling init or a request the
    // dispatcher dequeued before terminate): no verdict, the kernel drops it.
    const bool handling_terminate = th.cur.busy && th.cur.msg.kind == MessageKind::terminate &&
                                    th.cur.msg.incarnation == rec->owner;
    if (!rec->receive || handling_terminate)
      report(rule::TM8, Party::pager,
             cat(to_string(e.call), " on ", port_text(e.control), handling(th),
                 " after terminate seqno ", dec(inc.terminate_seqno), " was dequeued"));
    if (e.accepted) kernel_disagrees();
    return;
  }
  if (rec->send == 0 && !rec->receive) {
    report(wrong_port, Party::pager,
           cat(to_string(e.call), " on ", port_text(e.control), handling(th),
               ": the pager no longer holds a right to it"));
    if (e.accepted) kernel_disagrees();
    return;
  }
  control_call(e, *rec, th);
}

void Step::control_call(const ControlCalled& e, PortRec& rec, ThreadRec& th) {
  Incarnation& inc = s_.incarnations[rec.owner];
  Pair& p = s_.pairs[inc.pair];
  const Size ps = s_.page_size_of(p);
  // The kernel still serves this control port only for the current
  // incarnation until it sends terminate (vm_object_lookup fails afterwards).
  // After memory_object_destroy the kernel has removed the port's
  // association too (gnumach-kernel.md, 3b) and only owes the terminate.
  const bool live = p.current == rec.owner && !p.destroy_requested &&
                    (p.life == Lifecycle::initialised || p.life == Lifecycle::ready);
  // OSF: synchronize_completed (SY2, SY3) and flavoured change_attributes
  // (CA1, CA2).
  if (live && osf::speaks_osf(s_, p.kernel)) absorb(osf::control_called(s_, e, rec.owner));
  const bool ranged = e.call == ControlCall::data_supply ||
                      e.call == ControlCall::data_unavailable ||
                      e.call == ControlCall::data_error || e.call == ControlCall::lock_request;
  const bool answers = ranged && e.call != ControlCall::lock_request;
  // Only worded when a verdict needs it: this is the hot path.
  auto where = [&] {
    return cat(to_string(e.call), " on ", port_text(e.control), " at offset ", hex(e.offset),
               " size ", hex(e.size), handling(th));
  };

  bool sizes_ok = true;
  if (ranged) {
    check(e.call == ControlCall::data_supply        ? rule::SU4
          : e.call == ControlCall::data_unavailable ? rule::UN4
          : e.call == ControlCall::data_error       ? rule::ER5
                                                    : rule::LK1);
    check(rule::IN5);
    // MK4 tells one kernel's unit from another's: only where another kernel
    // with another page size maps the object.
    for (std::uint32_t k = 0; k < s_.kernels.size(); ++k)
      if (k != p.kernel && s_.kernels[k].page_size != ps &&
          s_.pair(p.object, k).current != kNoIndex) {
        check(rule::MK4);
        break;
      }
  }
  if (ranged && (e.offset % ps != 0 || e.size % ps != 0)) {
    sizes_ok = false;
    std::uint32_t other = other_kernel_unit(p, e.offset, e.size);
    if (other != kNoIndex) {
      // MK4: whole pages of another kernel of this object, not of this one
      // (PS2: each kernel has its own unit).
      report(rule::MK4, Party::pager,
             cat(where(), " uses kernel ", kernel_text(other), "'s page size ",
                 hex(s_.kernels[other].page_size), " instead of kernel ", kernel_text(p.kernel),
                 "'s ", hex(ps)));
    } else {
      if (e.size % ps != 0) {
        std::string_view r = e.call == ControlCall::data_supply        ? rule::SU4
                             : e.call == ControlCall::data_unavailable ? rule::UN4
                             : e.call == ControlCall::data_error       ? rule::ER5
                                                                       : rule::LK1;
        report(r, Party::pager, cat(where(), ": size is not whole pages of ", hex(ps)));
      }
      if (e.offset % ps != 0)
        report(rule::IN5, Party::pager, cat(where(), ": offset is not a multiple of ", hex(ps)));
    }
  }
  lock_values(e, where);
  if (e.call == ControlCall::data_supply && e.size % kBlockSize == 0 &&
      e.stamps.size() != e.size / kBlockSize)
    report(rule::RT4, Party::suite,
           cat(where(), " carries ", dec(e.stamps.size()), " block stamps for ",
               dec(e.size / kBlockSize), " blocks"));

  const Size end = sat_add(e.offset, e.size);
  const std::size_t first = e.offset / ps;
  const std::size_t last = std::min<std::size_t>(p.pages.size(), (end + ps - 1) / ps);
  bool all_requested = true;

  if (answers && live) {
    // Which kernel pages of the range this pair requested (SU1, DR4, DR5),
    // another kernel requested (DR8), or nobody did.
    std::size_t answered = 0;
    Offset foreign_at = 0, resident_at = 0, unrequested_at = 0;
    std::uint32_t foreign_kernel = kNoIndex;
    bool resident = false, unrequested = end > s_.config.object_size && e.size != 0;
    bool unlock_pending = false;  // UL4: a resident page waits for an unlock answer
    if (unrequested) unrequested_at = std::max<Offset>(e.offset, s_.config.object_size);
    for (std::size_t i = first; i < last; ++i) {
      if (p.pages[i] == PageState::requested) {
        ++answered;
        continue;
      }
      Offset lo = std::max<Offset>(i * ps, e.offset), hi = std::min<Offset>((i + 1) * ps, end);
      std::uint32_t who = kNoIndex;
      for (std::uint32_t k = 0; k < s_.kernels.size() && who == kNoIndex; ++k) {
        if (k == p.kernel) continue;
        const Pair& q = s_.pair(p.object, k);
        Size qps = s_.kernels[k].page_size;
        for (std::size_t j = lo / qps; j < q.pages.size() && j * qps < hi; ++j)
          if (q.pages[j] == PageState::requested) { who = k; break; }
      }
      if (who != kNoIndex) {
        if (foreign_kernel == kNoIndex) { foreign_kernel = who; foreign_at = lo; }
      } else if (p.pages[i] == PageState::resident) {
        if (!resident) resident_at = i * ps;
        resident = true;
        unlock_pending = unlock_pending || locks::unlock_outstanding(p, i);
      } else {
        if (!unrequested || unrequested_at > i * ps) unrequested_at = i * ps;
        unrequested = true;
      }
    }
    all_requested = foreign_kernel == kNoIndex && !resident && !unrequested;
    check(rule::DR8);
    if (e.call == ControlCall::data_error)
      for (std::size_t i = first; i < last; ++i)
        if (locks::unlock_outstanding(p, i)) check(rule::UL4);
    if (e.call == ControlCall::data_supply) {
      check(rule::SU1);
      check(rule::SU2);
    } else {
      check(e.call == ControlCall::data_unavailable ? rule::DR5 : rule::DR4);
    }
    // DR4: data_error says the pager cannot provide the data; with
    // KERN_SUCCESS as its error value the fault fails for no error.
    if (e.call == ControlCall::data_error && e.error_value && *e.error_value == kKernSuccess)
      report(rule::DR4, Party::pager,
             cat(where(), " carries the error value KERN_SUCCESS: the kernel fails the fault "
                          "while the pager reports no error"));
    if (foreign_kernel != kNoIndex)
      report(rule::DR8, Party::pager,
             cat(where(), " answers kernel ", kernel_text(foreign_kernel), "'s request at ",
                 hex(foreign_at), " on kernel ", kernel_text(p.kernel),
                 "'s control port (MK2: the control port names the kernel)"));
    if (resident || unrequested) {
      std::uint32_t other = kNoIndex;
      if (sizes_ok && answered > 0) {
        for (std::uint32_t k = 0; k < s_.kernels.size() && other == kNoIndex; ++k) {
          Size kps = s_.kernels[k].page_size;
          if (k != p.kernel && kps > ps && s_.pair(p.object, k).current != kNoIndex &&
              e.offset % kps == 0 && e.size == kps)
            other = k;
        }
      }
      if (other != kNoIndex) {
        report(rule::MK4, Party::pager,
               cat(where(), " answers with kernel ", kernel_text(other), "'s page size ",
                   hex(s_.kernels[other].page_size), " where kernel ", kernel_text(p.kernel),
                   " requested pages of ", hex(ps)));
      } else if (e.call == ControlCall::data_supply) {
        const Reading x6 = s_.config.readings.unsolicited_supply;
        if (resident)
          report_reading(rule::SU2, x6, "X6",
                         cat(where(), " overwrites page ", hex(resident_at),
                             ", which the kernel holds and did not request"));
        if (unrequested)
          report_reading(rule::SU1, x6, "X6",
                         cat(where(), " supplies page ", hex(unrequested_at), ", which kernel ",
                             kernel_text(p.kernel), " did not request"));
      } else if (e.call == ControlCall::data_error && unlock_pending) {
        // UL4: refusing an unlock takes a flush first; data_error answers
        // only the request the kernel then makes.
        report(rule::UL4, Party::pager,
               cat(where(), " refuses the unlock of page ", hex(resident_at),
                   " without flushing it first: the kernel still holds the page"));
      } else {
        report(e.call == ControlCall::data_unavailable ? rule::DR5 : rule::DR4, Party::pager,
               cat(where(), " answers page ", hex(resident ? resident_at : unrequested_at),
                   ", for which kernel ", kernel_text(p.kernel), " has no outstanding request"));
      }
    }

    // RT4: the pager serves what the kernel last returned before it sent the
    // request being answered (a return queued behind the request is not
    // yet the pager's to know).
    if (e.offset % kBlockSize == 0 && e.call != ControlCall::data_error) {
      const ObjectRec& o = s_.objects[p.object];
      std::size_t b0 = e.offset / kBlockSize;
      std::size_t nb = std::min<std::size_t>(o.blocks.size() > b0 ? o.blocks.size() - b0 : 0,
                                             e.size / kBlockSize);
      for (std::size_t i = 0; i < nb; ++i) {
        std::size_t page = (b0 + i) * kBlockSize / ps;
        std::uint32_t q = page < p.pages.size() && p.pages[page] == PageState::requested
                              ? p.req[page]
                              : ~std::uint32_t{0};
        Stamp want = 0;
        if (!o.blocks[b0 + i].expected(q, want)) continue;
        check(rule::RT4);
        // SY2 (osf.cpp): the block is covered by a completed synchronize
        // the kernel sent after the return that set `want`.
        const BlockHistory& h = o.blocks[b0 + i];
        const std::uint32_t at = h.last_index != 0 && h.last_index < q ? h.last_index : h.prev_index;
        std::string synced;
        if (osf::speaks_osf(s_, p.kernel))
          synced = osf::stale_after_sync(s_, p.object, (b0 + i) * kBlockSize, at);
        if (!synced.empty()) check(rule::SY2);
        // A copy object's data_unavailable reads the original's page
        // (copies.h): judged where the kernel reported what it read.
        const bool through = e.call == ControlCall::data_unavailable && copies::is_copy(s_, p.object);
        if (through && i >= e.stamps.size()) continue;
        bool bad = e.call == ControlCall::data_supply || through
                       ? (i < e.stamps.size() && e.stamps[i] != want)
                       : want != 0;
        // Contents a kernel returned after the request are newer still: a
        // pager that recalled another kernel's modifications before
        // answering (MK3) serves those.
        if (bad && h.last_index > q && q != ~std::uint32_t{0} &&
            h.last == (e.call == ControlCall::data_supply ? e.stamps[i] : Stamp{0}))
          bad = false;
        // UN1, UN3: data_unavailable makes the kernel zero-fill a user
        // object's page; for returned contents that are not zeros the
        // pager could provide the data, and it is lost. Not for a
        // COPY_TEMPORARY object, whose changes the pager need not see (CP5).
        const bool unavailable = e.call == ControlCall::data_unavailable && !through &&
                                 q != ~std::uint32_t{0} && !contents::temporary(s_, rec.owner);
        if (unavailable) {
          check(rule::UN1);
          check(rule::UN3);
        }
        if (bad && unavailable) {
          std::string text =
              cat(where(), " answers block ", hex((b0 + i) * kBlockSize), " of object ",
                  dec(p.object), ", which the kernel returned to the pager as ", hex(want),
                  ", with data_unavailable: the pager can provide the data, and the kernel "
                  "zero-fills a user object's page, so the data is lost");
          report(rule::UN3, Party::pager, text);
          report(rule::UN1, Party::pager, std::move(text));
        }
        if (bad) {
          // SY2 first: stale contents after a completed synchronize.
          if (!synced.empty())
            report(rule::SY2, Party::pager,
                   cat(where(), ": ", synced, " (it serves ",
                       e.call == ControlCall::data_supply ? hex(e.stamps[i]) : std::string("zeros"),
                       ", the kernel returned ", hex(want), ")"));
          report(rule::RT4, Party::pager,
                 cat(where(), " serves block ", hex((b0 + i) * kBlockSize), " of object ",
                     dec(p.object), " with ",
                     e.call == ControlCall::data_supply || through ? hex(e.stamps[i])
                                                                   : std::string("zeros"),
                     " but the kernel last returned ", hex(want)));
          break;
        }
      }
    }
  }

  // SQ7: the first ready / change_attributes answers the incarnation's init.
  Target lifecycle_target;
  if ((e.call == ControlCall::ready || e.call == ControlCall::change_attributes) && !inc.readied &&
      inc.init_dequeued)
    lifecycle_target = Target::of(inc.init_port, inc.init_seqno, MessageKind::init);

  // Does the simulated kernel agree the call reached a live control port?
  const bool expect_refused = !live;
  // Not cross-checked: lock_request; ready and change_attributes (the kernel
  // refuses an invalid copy strategy, which the event does not carry); a
  // lock value outside VM_PROT_ALL.
  const bool expect_accepted = live && sizes_ok && all_requested && e.lock_value <= 7 &&
                               e.call != ControlCall::lock_request &&
                               e.call != ControlCall::ready &&
                               e.call != ControlCall::change_attributes &&
                               e.call != ControlCall::synchronize_completed;
  if ((expect_refused && e.accepted) || (expect_accepted && !e.accepted))
    report(e.call == ControlCall::data_supply ? rule::SU12 : rule::DR8, Party::suite,
           cat("simulated kernel ", e.accepted ? "accepted" : "refused", " ", where(),
               "; the model expects it ", e.accepted ? "refused" : "accepted"));

  // PR6: a reply port names one of the pager's receive rights; the kernel
  // gets a send right made from it. Judged only where the simulated kernel
  // saw where the receive right was.
  if (e.reply_to != kNullPort && e.reply_to_received_by_pager) {
    check(rule::PR6);
    if (!*e.reply_to_received_by_pager)
      report(rule::PR6, Party::pager,
             cat(where(), " names reply port ", port_text(e.reply_to),
                 ", whose receive right the pager does not hold: the completion goes to "
                 "another task"));
  }
  if (e.call == ControlCall::lock_request && e.accepted) {
    if (e.reply_to == kNullPort) {
      // LK6: MACH_PORT_NULL as reply_to asks for no completion; a
      // permission, counted when a pager uses it (the kernel owes none).
      check(rule::LK6);
    } else if (const PortRec* reply = s_.find_port(e.reply_to);
               reply != nullptr && reply->receive) {
      // LK5: the kernel owes a lock_completed to a reply port the pager
      // receives on.
      locks::expect_completion(s_, e.reply_to, e.offset, e.size);
    }
  }
  // UN1, UN3, CP4: what the kernels saw of a COPY_DELAY object's data
  // (contents.h), before the page states below change.
  if (live && e.accepted)
    contents::on_accepted(
        s_, e, p, rec.owner, [&](std::string_view r) { check(r); },
        [&](std::string_view r, std::string text) { report(r, Party::pager, std::move(text)); });
  // SU9, SU10, SU11: the supply's data and its reply port (supply.h).
  if (live && e.accepted) absorb(supply::accepted(s_, e, p));
  // CP3: what a copy reads (copies.h).
  if (live && e.accepted) absorb(copies::accepted(s_, e, p));
  // SU3, MK3: write grants against every kernel's writable holds
  // (coherence.h), before the page states below change.
  if (live && e.accepted)
    coherence::on_accepted(
        s_, e, p, [&](std::string_view r) { check(r); },
        [&](std::string_view r, std::string text) { report(r, Party::pager, std::move(text)); });
  if (live && e.accepted) {
    switch (e.call) {
      case ControlCall::ready:
      case ControlCall::change_attributes:
        // RD3: an init is answered by making the object ready (allowing
        // mappings) ...
        if (p.life == Lifecycle::initialised) {
          check(rule::RD3);
          p.life = Lifecycle::ready;
        }
        p.ever_ready = true;
        inc.readied = true;
        break;
      case ControlCall::destroy:
        // ... or by memory_object_destroy before ready, refusing every
        // mapping (§3b). An init answered by neither leaves the mapping
        // blocked: that is reported under RD1 at quiescence.
        if (p.life == Lifecycle::initialised) check(rule::RD3);
        p.destroy_requested = true;
        break;
      case ControlCall::data_supply:
        for (std::size_t i = first; i < last; ++i) {
          // GNU Mach stops at the first page it already holds and keeps
          // what it filled before (KERN_MEMORY_PRESENT, §3e): a requested
          // page after it is still requested, and a pager that asked for
          // supply_completed was told so (SC4).
          if (e.present_at && i * ps >= *e.present_at) {
            if (e.reply_to != kNullPort) {
              check(rule::SC4);
              if (p.pages[i] == PageState::requested) residency::refused_by_supply(p, i);
            }
            continue;
          }
          if (p.pages[i] == PageState::resident) continue;  // KERN_MEMORY_PRESENT
          p.pages[i] = PageState::resident;
          p.prot[i] = e.lock_value;
          p.unlock[i] = 0;
          residency::filled(p, i, e.precious);
        }
        break;
      case ControlCall::lock_request:
        if (sizes_ok || e.offset % ps == 0) {
          // GNU Mach rounds the size up to whole pages (§3e).
          const std::size_t lock_last =
              std::min<std::size_t>(p.pages.size(), (end + ps - 1) / ps);
          const locks::LockEffect eff =
              locks::apply_lock_request(p, first, lock_last, e.should_flush, e.lock_value);
          if (eff.granted + eff.refused > 0) check(rule::UL2);
          // UL4: a flush that drops a page whose unlock is outstanding
          // refuses the unlock the manual's way; the refusal is judged
          // here (done right) and on a data_error (done without a flush).
          if (eff.refused > 0) check(rule::UL4);
          // A flush discards the pages, precious ones too (LK14); the
          // marks of pages it did not hold (failed, refused) stay.
          for (std::size_t i = first; e.should_flush && i < lock_last; ++i)
            if (p.pages[i] != PageState::resident && residency::has(p, i, residency::precious))
              residency::left(p, i);
        }
        break;
      case ControlCall::data_unavailable:
        // The kernel zero-fills the page and holds it from then on (UN1, UN3).
        for (std::size_t i = first; i < last; ++i)
          if (p.pages[i] == PageState::requested) {
            p.pages[i] = PageState::resident;
            p.prot[i] = 0;
            p.unlock[i] = 0;
            residency::filled(p, i, false);
          }
        break;
      case ControlCall::data_error:
        for (std::size_t i = first; i < last; ++i)
          if (p.pages[i] == PageState::requested) {
            // UL5: the pager may fail the request that follows an unlock it
            // refused by flushing (UL4); a permission, counted when used.
            if (residency::has(p, i, residency::unlock_refused)) check(rule::UL5);
            p.pages[i] = PageState::absent;
            p.prot[i] = 0;
            residency::failed(p, i);
          }
        break;
      default: break;
    }
  }

  // SQ7: data calls touch their blocks (answers for different pages commute),
  // each charged to the request it answers (a lock_request to the unlock);
  // other calls touch the control port.
  const PortName object_port = s_.objects[p.object].port;
  if (ranged) {
    ObjectRec& o = s_.objects[p.object];
    Verb v = e.call == ControlCall::data_supply        ? Verb::supplied
             : e.call == ControlCall::data_unavailable ? Verb::answered_unavailable
             : e.call == ControlCall::data_error       ? Verb::answered_error
                                                       : Verb::locked;
    const bool lock = e.call == ControlCall::lock_request;
    std::vector<std::uint32_t>& table = lock ? inc.pending_unlock : inc.pending_request;
    const MessageKind answered = lock ? MessageKind::data_unlock : MessageKind::data_request;
    std::size_t b_end = std::min<std::size_t>(o.touch.size(), (end + kBlockSize - 1) / kBlockSize);
    bool crossed = false;
    for (std::size_t b = e.offset / kBlockSize; b < b_end; ++b) {
      Target t;
      if (b < table.size() && table[b] != 0) {
        t = Target::of(inc.pending_port, table[b] - 1, answered);
        table[b] = 0;  // answered
      }
      std::optional<Attrib> who = charge(t, th, object_port);
      if (!who || crossed) continue;
      crossed = touch(o.touch[b], *who, v, [&] {
        return cat("block ", hex(b * kBlockSize), " of object ", dec(p.object));
      });
    }
  } else if (std::optional<Attrib> who = charge(lifecycle_target, th, object_port)) {
    touch_name(rec, *who, Verb::called, false, [&] { return port_text(e.control); });
  }
  // The pager's own actions and the copy strategy (pager_actions.h).
  actions::on_control(
      s_, e, p, rec.owner, live, [&](std::string_view r) { check(r); },
      [&](std::string_view r, std::string text) { report(r, Party::pager, std::move(text)); });
}

// --- page locks (locks.h; SEMANTICS.md, "Page locks") ------------------------------

void Step::data_unlock(const KernelSent& e, Pair& p, std::size_t first, std::size_t last) {
  // UL1: the kernel asks about data it caches; UL3: for an access the
  // page's lock forbids (a thread needs it). Both are kernel duties.
  check(rule::UL1);
  check(rule::UL3);
  if (auto f = locks::unlock_fault(p, first, last, e.access)) {
    const Size ps = s_.page_size_of(p);
    if (f->not_cached)
      report(rule::UL1, Party::kernel,
             cat("kernel ", dec(e.kernel), " sent data_unlock for page ", hex(f->page * ps), " of ",
                 pair_text(p), ", which it does not cache"));
    else
      report(rule::UL3, Party::kernel,
             cat("kernel ", dec(e.kernel), " sent data_unlock for page ", hex(f->page * ps), " of ",
                 pair_text(p), " asking for access ", hex(e.access), ", which its lock ",
                 hex(p.prot[f->page]), " does not forbid"));
  }
  locks::record_unlock(p, first, last, e.access);
}

void Step::lock_completed(const KernelSent& e) {
  // Only completions the model expects are judged: a send-once right the
  // pager made under another name cannot be told from an unrelated one.
  const bool owed = std::any_of(s_.completions.begin(), s_.completions.end(),
                                [&](const PendingCompletion& c) { return c.reply == e.destination; });
  if (!owed) return;
  check(rule::LK5);
  check(rule::LK9);
  if (locks::complete(s_, e.destination, e.offset, e.length) == locks::Completion::wrong_range)
    report(rule::LK9, Party::kernel,
           cat("lock_completed to ", port_text(e.destination), " for offset ", hex(e.offset),
               " size ", hex(e.length), " echoes no lock_request made with that reply port"));
}

void Step::lock_values(const ControlCalled& e, const std::function<std::string()>& where) {
  if (e.call == ControlCall::data_supply) {
    // SU6: lock_value lists forbidden accesses, so only bits of VM_PROT_ALL.
    check(rule::SU6);
    if (!locks::supply_lock_valid(e.lock_value))
      report(rule::SU6, Party::pager,
             cat(where(), ": lock_value ", hex(e.lock_value),
                 " is not a set of accesses within VM_PROT_ALL"));
  } else if (e.call == ControlCall::lock_request) {
    // LK4: a new lock within VM_PROT_ALL, or VM_PROT_NO_CHANGE to keep it.
    check(rule::LK4);
    if (!locks::request_lock_valid(e.lock_value))
      report(rule::LK4, Party::pager,
             cat(where(), ": lock_value ", hex(e.lock_value),
                 " is neither within VM_PROT_ALL nor VM_PROT_NO_CHANGE"));
  }
}

// --- port operations ---------------------------------------------------------------

void Step::operator()(const PortOperated& e) {
  if (e.name == kNullPort || e.name == kDeadPort) return;  // always succeed, no effect
  ThreadRec& th = s_.thread(e.thread);
  PortRec* rec = s_.find_port(e.name);
  const bool had_receive = rec != nullptr && rec->receive;

  // A release of a right the pager does not hold: V1 when mach_msg_server
  // already released it for a failed init, otherwise V3 (X18).
  std::string_view twice = rule::V3;
  if (rec != nullptr && (rec->role == Role::control || rec->role == Role::name) && rec->init_failed)
    twice = rule::V1;
  auto double_release = [&](std::string what) {
    report_reading(twice, s_.config.readings.unknown_name_release, "X18",
                   cat(to_string(e.op), " on ", port_text(e.name), handling(th), ": ", what,
                       twice == rule::V1
                           ? "; mach_msg_server released init's rights after its error return"
                           : ""));
  };

  // Every release is checked against the rights the pager holds (V1/V3).
  if (e.op == PortOp::deallocate || e.op == PortOp::destroy ||
      (e.op == PortOp::mod_refs && e.delta < 0))
    check(twice);

  // predicted: 1 success, 0 failure, -1 no prediction.
  int predicted = -1;
  switch (e.op) {
    case PortOp::deallocate:
      if (rec != nullptr && rec->send > 0) { --rec->send; predicted = 1; }
      else if (rec != nullptr && rec->dead > 0) { --rec->dead; predicted = 1; }
      else if (rec != nullptr && rec->send_once > 0) { --rec->send_once; predicted = 1; }
      else if (rec != nullptr && rec->receive) {
        predicted = 0;  // KERN_INVALID_RIGHT
        if (rec->moved_away)
          double_release(cat("the pager holds only the receive right; it gave its send right to "
                             "the kernels with MOVE_SEND when it offered object ",
                             dec(rec->owner)));
      } else {
        double_release("the pager holds no user reference to release");
        predicted = 0;
      }
      break;

    case PortOp::mod_refs: {
      std::int64_t d = e.delta;
      auto adjust = [&](std::uint32_t& count, std::string_view kind) {
        if (d < 0 && static_cast<std::int64_t>(count) < -d) {
          // Mach fails the whole operation; the count stays as it was.
          const bool gave = rec->moved_away && kind == "send";
          double_release(cat("releases ", dec(static_cast<std::uint64_t>(-d)), " ", kind,
                             " reference(s) but holds ", dec(count),
                             gave ? cat("; it gave its send right to the kernels with MOVE_SEND "
                                        "when it offered object ",
                                        dec(rec->owner))
                                  : std::string()));
          predicted = 0;
        } else if (d > 0 && count == 0) {
          predicted = 0;
        } else {
          count = static_cast<std::uint32_t>(static_cast<std::int64_t>(count) + d);
          predicted = 1;
        }
      };
      if (rec == nullptr) {
        if (d < 0) double_release("the pager holds no right under that name");
        predicted = d == 0 ? -1 : 0;
        break;
      }
      switch (e.right) {
        case Right::send: adjust(rec->send, "send"); break;
        case Right::dead_name: adjust(rec->dead, "dead-name"); break;
        case Right::send_once: adjust(rec->send_once, "send-once"); break;
        case Right::receive:
          if (d < 0 && !rec->receive) {
            double_release("the pager holds no receive right there");
            predicted = 0;
          } else if (d == -1) {
            remove_receive(*rec);
            predicted = 1;
          } else {
            predicted = d == 0 && rec->receive ? 1 : 0;
          }
          break;
        case Right::port_set: break;
      }
      break;
    }

    case PortOp::destroy:
      if (rec != nullptr && rec->port_set) {
        // A port set: destroying it is how a server's threads are made
        // to leave mach_msg (MACH_RCV_PORT_DIED); its members stay.
        rec->port_set = false;
        predicted = 1;
      } else if (rec != nullptr && (rec->receive || rec->send || rec->send_once || rec->dead)) {
        rec->receive = false;
        rec->send = rec->send_once = rec->dead = 0;
        rec->queue.clear();
        rec->head = 0;
        predicted = 1;
      } else {
        double_release("the pager holds no right under that name");
        predicted = 0;
      }
      break;

    case PortOp::allocate: {
      PortRec& r = s_.port(e.name);
      rec = &r;
      if (e.right == Right::receive) {
        r.receive = true;  // SQ5: a new port starts at seqno 0
        r.next = 0;
        r.fresh = true;
        r.queue.clear();
        r.head = 0;
      } else if (e.right == Right::dead_name) {
        ++r.dead;
      } else if (e.right == Right::port_set) {
        r.port_set = true;
      }
      predicted = 1;
      break;
    }

    case PortOp::insert_right: {
      PortRec& r = s_.port(e.name);
      rec = &r;
      std::uint32_t n = e.delta > 0 ? static_cast<std::uint32_t>(e.delta) : 1;
      if (e.right == Right::send) r.send += n;
      else if (e.right == Right::send_once) r.send_once += n;
      break;
    }

    case PortOp::set_seqno:
      // The pager sets its own receive right's counter: the next message
      // dequeued from it carries that number (SQ1 follows it). Not a
      // release, so never a double release.
      if (rec != nullptr && rec->receive) {
        rec->next = static_cast<Seqno>(e.delta);
        predicted = 1;
      } else {
        predicted = 0;
      }
      break;
  }

  if (predicted >= 0 && (predicted == 1) != (e.result == kKernSuccess))
    report(rule::V3, Party::suite,
           cat("simulated kernel answered ", code_name(e.result), " to ", to_string(e.op), " on ",
               port_text(e.name), "; the model predicts ", predicted ? "success" : "failure"));

  // SQ7: a port operation touches the name it operates on. Adding and
  // dropping user references commute (the counts end the same in either
  // order), so two handlers that drop their requests' control references out
  // of seqno order do not cross. Charged to (SEMANTICS.md, "Attribution"):
  // the destruction of the receive right terminate moved in, to that
  // terminate; the release of a send reference, to the message that carried
  // it; anything else, to the thread's message.
  if (rec == nullptr) return;
  Target target;
  const bool drops_receive = e.op == PortOp::destroy ||
                             (e.op == PortOp::mod_refs && e.right == Right::receive && e.delta < 0);
  const bool drops_send =
      e.op == PortOp::deallocate ||
      (e.op == PortOp::mod_refs && e.delta < 0 && e.right != Right::receive && e.right != Right::port_set);
  if (drops_receive && had_receive && (rec->role == Role::control || rec->role == Role::name) &&
      s_.incarnations[rec->owner].terminate_dequeued) {
    const Incarnation& inc = s_.incarnations[rec->owner];
    target = Target::of(inc.terminate_port, inc.terminate_seqno, MessageKind::terminate);
  } else if (drops_send) {
    const Current& c = th.cur;
    const bool mine = c.busy && is_object_port(c.port) &&
                      std::any_of(c.rights.begin(), c.rights.end(), [&](const CarriedRight& cr) {
      return cr.name == e.name && (cr.right == Right::send || cr.right == Right::send_once);
    });
    const bool terminated = (rec->role == Role::control || rec->role == Role::name) &&
                            s_.incarnations[rec->owner].terminate_dequeued;
    if (mine)
      target = Target::of(c.port, c.seqno, c.msg.kind);
    else if (terminated)  // terminate's handling releases every reference left (V6)
      target.what = Target::ambiguous;
    else if (rec->carriers == 1)
      target = Target::of(rec->carrier_port, rec->carrier_seqno, rec->carrier_kind);
    else if (rec->carriers > 1)
      target.what = Target::ambiguous;
  }
  if (std::optional<Attrib> who = charge(target, th, kNullPort))
    touch_name(*rec, *who, Verb::operated, is_uref_arithmetic(e), [&] { return port_text(e.name); });
}

// --- out-of-line memory ------------------------------------------------------------

void Step::operator()(const MemoryReleased& e) {
  ThreadRec& th = s_.thread(e.thread);
  RegionRec* reg = s_.find_region(e.region);
  if (reg == nullptr) {
    report(rule::PR8, Party::suite,
           cat("thread ", dec(e.thread), " released region ", hex(e.region),
               ", which no message delivered"));
    return;
  }
  bool predicted_ok = reg->state == RegionState::live;
  check(rule::V4);
  if (!predicted_ok)
    report(rule::V4, Party::pager,
           cat("release", handling(th), " of the out-of-line memory ", hex(e.region), " of ",
               to_string(reg->msg.kind), " seqno ", dec(reg->seqno), " on ", port_text(reg->port),
               " again (already ",
               reg->state == RegionState::released ? "released by the pager"
                                                   : "freed by mach_msg_server after an error return",
               ")"));
  if (predicted_ok != (e.result == kKernSuccess))
    report(rule::V4, Party::suite,
           cat("simulated kernel answered ", code_name(e.result), " to the release of ",
               hex(e.region), "; the model predicts ", predicted_ok ? "success" : "failure"));
  if (!predicted_ok) return;
  reg->state = RegionState::released;

  // SQ7: releasing returned data marks the data_return's handling done with
  // those blocks; the release is charged to the message that delivered it.
  if (reg->msg.kind != MessageKind::data_return || reg->msg.object >= s_.objects.size()) return;
  const PortName object_port = s_.objects[reg->msg.object].port;
  if (std::optional<Attrib> who =
          charge(Target::of(reg->port, reg->seqno, reg->msg.kind), th, object_port)) {
    ObjectRec& o = s_.objects[reg->msg.object];
    Size end = sat_add(reg->msg.offset, reg->msg.length);
    std::size_t b_end = std::min<std::size_t>(o.touch.size(), (end + kBlockSize - 1) / kBlockSize);
    for (std::size_t b = reg->msg.offset / kBlockSize; b < b_end; ++b)
      if (touch(o.touch[b], *who, Verb::released_data, [&] {
            return cat("block ", hex(b * kBlockSize), " of object ", dec(reg->msg.object));
          }))
        break;
  }
}

}  // namespace
}  // namespace detail

// --- Model -----------------------------------------------------------------------------

using detail::kNoIndex;
using detail::PageState;

// The pimpl is the detail state itself; the nested name keeps model.h free
// of the internals.
struct Model::State : detail::State {};

Model::Model(WorldConfig config) : s_(std::make_unique<State>()) {
  s_->config = config;
  std::size_t blocks = (config.object_size + kBlockSize - 1) / kBlockSize;
  s_->objects.resize(config.objects);
  for (detail::ObjectRec& o : s_->objects) {
    o.blocks.assign(blocks, detail::BlockHistory{});
    o.touch.assign(blocks, detail::Touch{});
  }
  s_->store.expect.assign(config.objects, std::vector<Stamp>(blocks, 0));
  s_->store.has.assign(config.objects, std::vector<std::uint8_t>(blocks, 0));
  s_->copies.of.resize(config.objects);
  detail::contents::init(*s_);
}

Model::Model(const Model& o) : s_(std::make_unique<State>(*o.s_)) {}
Model& Model::operator=(const Model& o) {
  if (this != &o) s_ = std::make_unique<State>(*o.s_);
  return *this;
}
Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;
Model::~Model() = default;

std::vector<Verdict> Model::apply(const Event& e) { return judge(e).verdicts; }

Judgement Model::judge(const Event& e) {
  Judgement out;
  detail::Step step(*s_, out);
  std::visit(step, e);
  ++s_->events;
  return out;
}

void Model::pager_stopping() { s_->stopping = true; }

Judgement Model::begin_pager_action(const PagerAction& a) { return detail::actions::begin(*s_, a); }
Judgement Model::end_pager_action(KernReturn result) { return detail::actions::end(*s_, result); }
Judgement Model::judge_store(ObjectId o, Offset offset, const std::vector<Stamp>& stamps,
                             bool after_action) {
  Judgement out = detail::actions::store(*s_, o, offset, stamps, after_action);
  detail::contents::store(*s_, o, offset, stamps, after_action, out);
  return out;
}

std::vector<Verdict> Model::check_quiescent() const { return judge_quiescent().verdicts; }

Judgement Model::judge_quiescent(Quiescence which) const {
  const bool progress = which != Quiescence::after_stop;
  const bool holdings = which != Quiescence::before_stop;
  using detail::cat;
  using detail::dec;
  using detail::hex;
  Judgement judgement;
  std::vector<Verdict>& out = judgement.verdicts;
  const detail::State& s = *s_;
  auto check = [&](std::string_view rule) {
    auto& c = judgement.checked;
    if (std::find(c.begin(), c.end(), rule) == c.end()) c.push_back(rule);
  };
  auto report = [&](std::string_view rule, std::string text) {
    check(rule);
    out.push_back(Verdict{rule, Party::pager, std::move(text), s.events});
  };
  auto pair_text = [&](const detail::Pair& p) {
    return cat("object ", dec(p.object), " / kernel ", dec(s.kernels[p.kernel].id));
  };

  // Pairs in object order, then kernel id order.
  std::vector<std::uint32_t> korder(s.kernels.size());
  for (std::uint32_t i = 0; i < korder.size(); ++i) korder[i] = i;
  std::sort(korder.begin(), korder.end(),
            [&](auto a, auto b) { return s.kernels[a].id < s.kernels[b].id; });
  for (ObjectId o = 0; progress && o < s.config.objects; ++o) {
    for (std::uint32_t k : korder) {
      const detail::Pair& p = s.pair(o, k);
      if (p.current == kNoIndex || p.destroy_requested) continue;
      if (p.life != Lifecycle::initialised && p.life != Lifecycle::ready) continue;
      // A copy whose receive right the pager let die (a refused
      // memory_object_copy) took its queued messages with it: nothing is
      // owed on a port no one receives from (SEMANTICS.md, "Copies").
      if (detail::copies::is_copy(s, o)) {
        const detail::PortRec* port = s.find_port(s.objects[o].port);
        if (port == nullptr || !port->receive) continue;
      }
      const detail::Incarnation& inc = s.incarnations[p.current];
      Size ps = s.kernels[p.kernel].page_size;
      check(rule::DR3);
      // Made ready (RD1), or made ready again after terminate (TM6).
      const bool reinit = std::any_of(s.incarnations.begin(), s.incarnations.end(),
                                      [&](const detail::Incarnation& other) {
                                        return &other != &inc && other.pair == inc.pair;
                                      });
      check(reinit && p.ever_ready ? rule::TM6 : rule::RD1);
      for (std::size_t i = 0; i < p.pages.size(); ++i) {
        if (p.pages[i] != PageState::requested) continue;
        const bool dropped = detail::residency::has(p, i, detail::residency::dropped);
        const bool retry = detail::residency::has(p, i, detail::residency::retry);
        report(rule::DR3, cat("data_request at offset ", hex(i * ps), " of ", pair_text(p),
                              " (control ", hex(inc.control), ") is unanswered at quiescence",
                              dropped ? "; the kernel had dropped the clean page silently and "
                                        "asked for it again (RT3)"
                                      : ""));
        // SC4: a supply_completed with KERN_MEMORY_PRESENT said the kernel
        // did not take this page, and the pager never supplied it again.
        if (detail::residency::has(p, i, detail::residency::refused))
          report(rule::SC4, cat("data_request at offset ", hex(i * ps), " of ", pair_text(p),
                                " is unanswered at quiescence although supply_completed reported "
                                "KERN_MEMORY_PRESENT before it: the supply did not reach it"));
        // ER2: the request a client's retry makes after a data_error.
        if (retry)
          report(rule::ER2, cat("data_request at offset ", hex(i * ps), " of ", pair_text(p),
                                ", the retry of a fault the pager failed with data_error, is "
                                "unanswered at quiescence"));
      }
      // UL2: every data_unlock is answered by a lock_request that relaxes
      // the lock (or refused by a flush, UL4) before quiescence.
      for (std::size_t i = 0; i < p.pages.size(); ++i) {
        if (p.unlock[i] == 0 || p.pages[i] != PageState::resident) continue;
        check(rule::UL2);
        if (detail::locks::unlock_outstanding(p, i))
          report(rule::UL2, cat("data_unlock at offset ", hex(i * ps), " of ", pair_text(p),
                                " asking for access ", hex(p.unlock[i]),
                                " is unanswered at quiescence: the lock is still ",
                                hex(p.prot[i])));
      }
      if (p.life == Lifecycle::initialised) {
        std::string state = inc.init_failed
                                ? cat("its init seqno ", dec(inc.init_seqno), " returned ",
                                      detail::code_name(inc.init_code))
                            : inc.init_dequeued ? cat("init seqno ", dec(inc.init_seqno),
                                                      " was handled")
                                                : std::string("its init is still queued");
        report(p.ever_ready ? rule::TM6 : rule::RD1,
               cat(pair_text(p), " was never made ready (", state, ")",
                   p.ever_ready ? " although it was ready before terminate" : ""));
      }
    }
  }

  // SY5: every synchronize answered (osf.cpp).
  if (progress) {
    detail::osf::Found f = detail::osf::quiescent(s);
    if (std::any_of(s.osf.dialects.begin(), s.osf.dialects.end(),
                    [](Dialect d) { return d == Dialect::osf; }))
      check(rule::SY5);
    for (detail::osf::Finding& v : f.verdicts) report(v.rule, std::move(v.text));
  }

  // LK5: every lock_completed the kernel owes has been sent (a kernel duty).
  for (const detail::PendingCompletion& c : s.completions) {
    check(rule::LK5);
    out.push_back(Verdict{rule::LK5, Party::kernel,
                          cat("no lock_completed reached ", hex(c.reply), " for the lock_request at ",
                              hex(c.offset), " size ", hex(c.size)),
                          s.events});
  }

  // Rights moved by terminate and never released (TM4, TM5, V6).
  for (const detail::Incarnation& inc : s.incarnations) {
    if (!inc.terminate_dequeued) continue;
    const detail::Pair& p = s.pairs[inc.pair];
    if (progress) {
      check(rule::TM4);
      check(rule::TM5);
    }
    if (holdings) check(rule::V6);
    for (int port = 0; port < 2; ++port) {
      PortName n = port == 0 ? inc.control : inc.name;
      const detail::PortRec* r = s.find_port(n);
      if (n == kNullPort || r == nullptr) continue;
      std::string what = cat(port == 0 ? "control " : "name port ", hex(n), " of ", pair_text(p));
      if (progress && r->receive)
        report(port == 0 ? rule::TM4 : rule::TM5,
               cat("the pager still holds the receive right of ", what, " after terminate seqno ",
                   dec(inc.terminate_seqno)));
      if (holdings && r->send + r->dead > 0)
        report(rule::V6, cat("the pager still holds ", dec(r->send + r->dead),
                             " send/dead-name reference(s) to ", what, " after terminate seqno ",
                             dec(inc.terminate_seqno)));
    }
  }

  // Out-of-line memory never released: PR8 for every receiver of
  // out-of-line memory, and RT2 besides for the data of a data_return.
  for (const detail::RegionRec& r : s.regions) {
    if (!holdings) break;
    bool ret = r.msg.kind == MessageKind::data_return;
    check(rule::PR8);
    if (ret) check(rule::RT2);
    if (r.state != detail::RegionState::live) continue;
    std::string text =
        cat("out-of-line memory ", hex(r.id), " of ", to_string(r.msg.kind), " seqno ",
            dec(r.seqno), " on port ", hex(r.port), ret ? " (offset " : "",
            ret ? hex(r.msg.offset) : "", ret ? ")" : "", " was never released");
    if (ret) report(rule::RT2, text);
    report(rule::PR8, std::move(text));
  }
  // Rights of refused foreign messages never destroyed (V2, demux.cpp).
  if (holdings) {
    detail::demux::Found f = detail::demux::after_stop(s);
    for (std::string_view r : f.checked) check(r);
    for (detail::osf::Finding& v : f.verdicts) report(v.rule, std::move(v.text));
  }
  if (progress) detail::actions::quiescent(s, judgement);
  return judgement;
}

std::vector<KernelAction> Model::enabled_kernel_actions() const {
  const detail::State& s = *s_;
  std::vector<KernelAction> out;
  std::vector<std::uint32_t> korder(s.kernels.size());
  for (std::uint32_t i = 0; i < korder.size(); ++i) korder[i] = i;
  std::sort(korder.begin(), korder.end(),
            [&](auto a, auto b) { return s.kernels[a].id < s.kernels[b].id; });
  for (ObjectId o = 0; o < s.config.objects; ++o) {
    const detail::ObjectRec& obj = s.objects[o];
    const detail::PortRec* port = obj.offered ? s.find_port(obj.port) : nullptr;
    if (port == nullptr || !port->receive) continue;  // nothing to map, or nobody to send to
    for (std::uint32_t k : korder) {
      const detail::Pair& p = s.pair(o, k);
      KernelId kid = s.kernels[k].id;
      Size ps = s.kernels[k].page_size;
      // The preconditions are kernel_may's (kernel_may.cpp), which the
      // engine's generator asks too.
      PairFacts facts{p.life, p.destroy_requested};
      if (kernel_may(KernelActionKind::map, facts)) out.push_back({KernelActionKind::map, kid, o});
      auto page_facts = [&](std::size_t i) {
        PairFacts f = facts;
        f.page_resident = p.pages[i] == PageState::resident;
        f.page_requested = p.pages[i] == PageState::requested;
        return f;
      };
      for (std::size_t i = 0; i < p.pages.size(); ++i)
        if (kernel_may(KernelActionKind::fault, page_facts(i))) {
          out.push_back({KernelActionKind::fault, kid, o, i * ps, kProtRead});
          out.push_back({KernelActionKind::fault, kid, o, i * ps, kProtRead | kProtWrite});
        }
      for (std::size_t i = 0; i < p.pages.size(); ++i)
        if (kernel_may(KernelActionKind::evict, page_facts(i))) {
          out.push_back({KernelActionKind::evict, kid, o, i * ps, 0, true});
          out.push_back({KernelActionKind::evict, kid, o, i * ps, 0, false});
        }
      if (kernel_may(KernelActionKind::unmap, facts)) out.push_back({KernelActionKind::unmap, kid, o});
    }
  }
  return out;
}

std::uint64_t Model::events_applied() const { return s_->events; }

Lifecycle Model::lifecycle(ObjectId o, KernelId k) const {
  std::uint32_t kidx = s_->kernel_index(k);
  if (kidx == kNoIndex || o >= s_->config.objects) return Lifecycle::uninitialised;
  return s_->pair(o, kidx).life;
}

std::optional<Size> Model::page_size(KernelId k) const {
  std::uint32_t kidx = s_->kernel_index(k);
  if (kidx == kNoIndex) return std::nullopt;
  return s_->kernels[kidx].page_size;
}

std::uint32_t Model::urefs(PortName name, Right r) const {
  const detail::PortRec* p = s_->find_port(name);
  if (p == nullptr) return 0;
  switch (r) {
    case Right::send: return p->send;
    case Right::receive: return p->receive ? 1 : 0;
    case Right::send_once: return p->send_once;
    case Right::dead_name: return p->dead;
    case Right::port_set: return 0;
  }
  return 0;
}

std::optional<Seqno> Model::next_seqno(PortName port) const {
  const detail::PortRec* p = s_->find_port(port);
  if (p == nullptr || !p->receive) return std::nullopt;
  return p->next;
}

std::size_t Model::queued(PortName port) const {
  const detail::PortRec* p = s_->find_port(port);
  return p == nullptr ? 0 : p->queue.size() - p->head;
}

std::vector<Offset> Model::outstanding_requests(ObjectId o, KernelId k) const {
  std::vector<Offset> out;
  std::uint32_t kidx = s_->kernel_index(k);
  if (kidx == kNoIndex || o >= s_->config.objects) return out;
  const detail::Pair& p = s_->pair(o, kidx);
  for (std::size_t i = 0; i < p.pages.size(); ++i)
    if (p.pages[i] == PageState::requested) out.push_back(i * s_->kernels[kidx].page_size);
  return out;
}

std::optional<Stamp> Model::latest_contents(ObjectId o, Offset offset) const {
  if (o >= s_->config.objects) return std::nullopt;
  const detail::ObjectRec& obj = s_->objects[o];
  std::size_t b = offset / kBlockSize;
  if (b >= obj.blocks.size() || obj.blocks[b].last_index == 0) return std::nullopt;
  return obj.blocks[b].last;
}

std::size_t Model::live_regions() const {
  return static_cast<std::size_t>(std::count_if(
      s_->regions.begin(), s_->regions.end(),
      [](const detail::RegionRec& r) { return r.state == detail::RegionState::live; }));
}

namespace {
std::optional<PortName> incarnation_port(const detail::State& s, ObjectId o, KernelId k,
                                         bool control) {
  std::uint32_t kidx = s.kernel_index(k);
  if (kidx == kNoIndex || o >= s.config.objects) return std::nullopt;
  const detail::Pair& p = s.pair(o, kidx);
  if (p.current == kNoIndex || !s.incarnations[p.current].init_dequeued) return std::nullopt;
  const detail::Incarnation& inc = s.incarnations[p.current];
  PortName n = control ? inc.control : inc.name;
  if (n == kNullPort) return std::nullopt;
  return n;
}
}  // namespace

std::optional<PortName> Model::control_port(ObjectId o, KernelId k) const {
  return incarnation_port(*s_, o, k, true);
}
std::optional<PortName> Model::name_port(ObjectId o, KernelId k) const {
  return incarnation_port(*s_, o, k, false);
}

}  // namespace emmi::model
