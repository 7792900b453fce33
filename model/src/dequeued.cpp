// SPDX-License-Identifier: MIT
// Dequeued (SEMANTICS.md, "Dequeue"): seqnos, and the rights a message
// carries into the pager task.
#include "step.h"

#include "pager_actions.h"

namespace emmi::model::detail {

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
        r.take_receive();
        break;
      case Right::port_set: break;
    }
  }
}

// Removing a receive right while send rights remain under the same name turns
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
  // The names start afresh as this incarnation's ports.
  auto bind = [&](PortName n, Role role) {
    PortRec& r = s_.port(n);
    r.role = role;
    r.owner = inc_index;
    r.init_failed = false;
    r.touch = Touch{};
    r.touch_exclusive = Touch{};
    r.carriers = 0;
  };
  bind(control, Role::control);
  if (!osf && name != control) bind(name, Role::name);
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
    dequeue_seqno(e, r, m);
  }

  if (e.too_large) {
    dequeued_too_large(e, m);
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
    switch (m.kind) {
      case MessageKind::init:
        check_init_rights(e, m.incarnation);
        s_.incarnations[m.incarnation].init_dequeued = true;
        s_.incarnations[m.incarnation].init_seqno = e.seqno;
        s_.incarnations[m.incarnation].init_port = e.port;
        break;
      case MessageKind::terminate: check_terminate_rights(e, m.incarnation); break;
      default: check_data_rights(e, m, m.incarnation); break;
    }
  }
  add_rights(e.rights);
  demux::dequeued(s_, e, m.kind);
  // SQ7 attribution (after init gave its names their roles).
  if (from_object) note_carried(e, m);
  if (e.region != 0) deliver_region(e, m);
}

// SQ1, SQ2, SQ5, SQ6: the seqno a dequeue carries.
void Step::dequeue_seqno(const Dequeued& e, PortRec& r, const Queued& m) {
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

void Step::dequeued_too_large(const Dequeued& e, const Queued& m) {
  // The pager never saw this message: no rights, no handler. A lost init
  // leaves the pair unready (RD1 at quiescence), a lost request unanswered
  // (DR3); the kernel is not blamed for the missing rights.
  if (m.incarnation == kNoIndex) return;
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

void Step::check_terminate_rights(const Dequeued& e, std::uint32_t inc_index) {
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
  if (ok && e.rights[0].name != inc.control)
    rebind(inc_index, inc.control, e.rights[0].name, Role::control);
  if (ok && !osf && e.rights[1].name != inc.name)
    rebind(inc_index, inc.name, e.rights[1].name, Role::name);
  check(rule::TM3);
  if (!ok)
    report(rule::TM3, Party::kernel,
           cat("terminate seqno ", dec(e.seqno), " of ", pair_text(p),
               " does not move the receive rights of control ", hex(inc.control), " and name port ",
               hex(inc.name)));
  inc.terminate_dequeued = true;
  inc.terminate_seqno = e.seqno;
  inc.terminate_port = e.port;
  if (p.current == inc_index) p.life = Lifecycle::terminated;
}

// data_request, data_unlock, data_return carry the control (MAKE_SEND).
void Step::check_data_rights(const Dequeued& e, const Queued& m, std::uint32_t inc_index) {
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
}

// Who carried send rights under which name; which requests an answer on the
// control would answer.
void Step::note_carried(const Dequeued& e, const Queued& m) {
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

void Step::deliver_region(const Dequeued& e, const Queued& m) {
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

bool Step::same_port(PortName known, PortName carried) const {
  if (carried == known) return true;
  const PortRec* k = s_.find_port(known);
  const bool gone = k == nullptr ||
                    (k->send == 0 && k->send_once == 0 && k->dead == 0 && !k->receive);
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

}  // namespace emmi::model::detail
