// SPDX-License-Identifier: MIT
// HandlerReturned (SEMANTICS.md, "Handler return"): what mach_msg_server
// releases when a handler refuses its request.
#include "step.h"

namespace emmi::model::detail {

// Removing a receive right while send rights remain under the same name turns
// them into a dead name with the same user references (Mach's ipc_right).
void Step::remove_receive(PortRec& r) {
  r.receive = false;
  r.dead += r.send;
  r.send = 0;
  r.queue.clear();
  r.head = 0;
}

namespace {

bool destroys_request(KernReturn code) { return code != kKernSuccess && code != kMigNoReply; }

}  // namespace

void Step::finish(Current& c, KernReturn code) {
  c.busy = false;
  const bool data_message = c.msg.incarnation != kNoIndex &&
                            (c.msg.kind == MessageKind::data_request ||
                             c.msg.kind == MessageKind::data_unlock ||
                             c.msg.kind == MessageKind::data_return);
  if (data_message) check(rule::IN2);
  if (!destroys_request(code)) return;

  // The pager refused a request it must be prepared for after init (IN2).
  if (data_message)
    report(rule::IN2, Party::pager,
           cat(message_text(c), " returned ", code_name(code),
               ": after init the pager must accept the kernel's requests"));
  release_request(c, code);
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

void Step::release_request(const Current& c, KernReturn code) {
  // mach_msg_server destroys the request: every right and the out-of-line
  // memory it carried (X2: for every routine). Whatever the pager already
  // released is released twice.
  // V2: a request refused as such (MIG_DESTROY_REQUEST, or MIG_BAD_ID from
  // a demux that does not know it); V3: a handler's other error returns.
  std::string_view twice = c.msg.kind == MessageKind::init                   ? rule::V1
                           : code == kMigDestroyRequest || code == kMigBadId ? rule::V2
                                                                             : rule::V3;
  for (const CarriedRight& cr : c.rights) {
    if (cr.name == kNullPort || cr.name == kDeadPort) continue;
    check(twice);
    PortRec& r = s_.port(cr.name);
    bool had = false;
    switch (cr.right) {
      case Right::send:
        if (r.send > 0) {
          --r.send;
          had = true;
        } else if (r.dead > 0) {
          --r.dead;
          had = true;
        }  // its port died meanwhile
        break;
      case Right::send_once:
        if (r.send_once > 0) {
          --r.send_once;
          had = true;
        }
        break;
      case Right::receive:
        if (r.receive) {
          remove_receive(r);
          had = true;
        }
        break;
      case Right::dead_name:
        if (r.dead > 0) {
          --r.dead;
          had = true;
        }
        break;
      case Right::port_set: had = true; break;
    }
    if (!had)
      report_reading(twice,
                     twice == rule::V2 ? Reading::manual : s_.config.readings.unknown_name_release,
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

}  // namespace emmi::model::detail
