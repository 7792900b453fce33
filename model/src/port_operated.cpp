// SPDX-License-Identifier: MIT
// PortOperated (SEMANTICS.md, "Port operations"): the pager's right ledger and
// its releases (V1, V3), and what a port operation touches (SQ7).
#include "step.h"

namespace emmi::model::detail {

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
  const Release double_release = [&](std::string what) {
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
    case PortOp::deallocate: predicted = op_deallocate(rec, double_release); break;
    case PortOp::mod_refs: predicted = op_mod_refs(e, rec, double_release); break;
    case PortOp::destroy: predicted = op_destroy(rec, double_release); break;
    case PortOp::allocate: predicted = op_allocate(e, rec); break;

    case PortOp::insert_right: {
      PortRec& r = s_.port(e.name);
      rec = &r;
      std::uint32_t n = e.delta > 0 ? static_cast<std::uint32_t>(e.delta) : 1;
      if (e.right == Right::send)
        r.send += n;
      else if (e.right == Right::send_once)
        r.send_once += n;
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

  if (rec == nullptr) return;
  if (std::optional<Attrib> who = charge(operation_target(e, *rec, th, had_receive), th, kNullPort))
    touch_name(*rec, *who, Verb::operated, is_uref_arithmetic(e),
               [&] { return port_text(e.name); });
}

int Step::op_deallocate(PortRec* rec, const Release& double_release) {
  if (rec != nullptr && rec->send > 0) {
    --rec->send;
    return 1;
  }
  if (rec != nullptr && rec->dead > 0) {
    --rec->dead;
    return 1;
  }
  if (rec != nullptr && rec->send_once > 0) {
    --rec->send_once;
    return 1;
  }
  if (rec != nullptr && rec->receive) {
    // KERN_INVALID_RIGHT
    if (rec->moved_away)
      double_release(
          cat("the pager holds only the receive right; it gave its send right to "
              "the kernels with MOVE_SEND when it offered object ",
              dec(rec->owner)));
    return 0;
  }
  double_release("the pager holds no user reference to release");
  return 0;
}

int Step::op_mod_refs(const PortOperated& e, PortRec* rec, const Release& double_release) {
  int predicted = -1;
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
    return d == 0 ? -1 : 0;
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
  return predicted;
}

int Step::op_destroy(PortRec* rec, const Release& double_release) {
  if (rec != nullptr && rec->port_set) {
    // A port set: destroying it is how a server's threads are made
    // to leave mach_msg (MACH_RCV_PORT_DIED); its members stay.
    rec->port_set = false;
    return 1;
  }
  if (rec != nullptr && (rec->receive || rec->send || rec->send_once || rec->dead)) {
    rec->receive = false;
    rec->send = rec->send_once = rec->dead = 0;
    rec->queue.clear();
    rec->head = 0;
    return 1;
  }
  double_release("the pager holds no right under that name");
  return 0;
}

int Step::op_allocate(const PortOperated& e, PortRec*& rec) {
  PortRec& r = s_.port(e.name);
  rec = &r;
  if (e.right == Right::receive) {
    r.take_receive();  // SQ5: a new port starts at seqno 0
  } else if (e.right == Right::dead_name) {
    ++r.dead;
  } else if (e.right == Right::port_set) {
    r.port_set = true;
  }
  return 1;
}

// SQ7: a port operation touches the name it operates on. Adding and
// dropping user references commute (the counts end the same in either
// order), so two handlers that drop their requests' control references out
// of seqno order do not cross. Charged to (SEMANTICS.md, "Attribution"):
// the destruction of the receive right terminate moved in, to that
// terminate; the release of a send reference, to the message that carried
// it; anything else, to the thread's message.
Target Step::operation_target(const PortOperated& e, const PortRec& rec, const ThreadRec& th,
                              bool had_receive) const {
  Target target;
  const bool drops_receive = e.op == PortOp::destroy ||
                             (e.op == PortOp::mod_refs && e.right == Right::receive && e.delta < 0);
  const bool drops_send = e.op == PortOp::deallocate ||
                          (e.op == PortOp::mod_refs && e.delta < 0 && e.right != Right::receive &&
                           e.right != Right::port_set);
  const bool terminated = (rec.role == Role::control || rec.role == Role::name) &&
                          s_.incarnations[rec.owner].terminate_dequeued;
  if (drops_receive && had_receive && terminated) {
    const Incarnation& inc = s_.incarnations[rec.owner];
    target = Target::of(inc.terminate_port, inc.terminate_seqno, MessageKind::terminate);
  } else if (drops_send) {
    const Current& c = th.cur;
    const bool mine = c.busy && is_object_port(c.port) &&
                      std::any_of(c.rights.begin(), c.rights.end(), [&](const CarriedRight& cr) {
                        return cr.name == e.name &&
                               (cr.right == Right::send || cr.right == Right::send_once);
                      });
    if (mine)
      target = Target::of(c.port, c.seqno, c.msg.kind);
    else if (terminated)  // terminate's handling releases every reference left (V6)
      target.what = Target::ambiguous;
    else if (rec.carriers == 1)
      target = Target::of(rec.carrier_port, rec.carrier_seqno, rec.carrier_kind);
    else if (rec.carriers > 1)
      target.what = Target::ambiguous;
  }
  return target;
}

}  // namespace emmi::model::detail
