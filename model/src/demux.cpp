// SPDX-License-Identifier: MIT
// The demux's own duties (demux.h; model/SEMANTICS.md, "Demux").
#include "demux.h"

#include "emmi/model/rules.h"
#include "state.h"
#include "text.h"

namespace emmi::model::detail::demux {
namespace {

// The routines of memory_object.defs (GNU Mach and OSF) a kernel sends to
// an object port: the plain and the SEQNOS demux route every one of them.
bool memory_object_routine(MessageKind k) {
  switch (k) {
    case MessageKind::init:
    case MessageKind::terminate:
    case MessageKind::data_request:
    case MessageKind::data_unlock:
    case MessageKind::lock_completed:
    case MessageKind::supply_completed:
    case MessageKind::data_return:
    case MessageKind::change_completed:
    case MessageKind::synchronize: return true;
    default: return false;
  }
}

// The notifications GNU Mach sends only when asked (mach_port_request_notification):
// within a case only the pager asks, so each one was the pager's request.
bool requested_notification(MessageKind k) {
  return k == MessageKind::no_senders || k == MessageKind::dead_name ||
         k == MessageKind::port_destroyed;
}

std::string message_text(const Current& c) {
  return cat(to_string(c.msg.kind), " seqno ", dec(c.seqno), " on port ", hex(c.port));
}

}  // namespace

void dequeued(State& s, const Dequeued& e, MessageKind kind) {
  if (kind != MessageKind::foreign) return;
  for (const CarriedRight& r : e.rights)
    if (r.name != kNullPort && r.name != kDeadPort)
      s.foreign_rights.push_back(ForeignRight{r.name, r.right, e.port, e.seqno});
}

Found returned(State& s, const Current& c, const HandlerReturned& e, bool object_port) {
  Found f;
  // Only mach_msg_server sees what the demux returned; a receive loop of
  // the pager's own runs its demux unobserved (no verdict).
  if (!e.handled.has_value() || s.stopping) return f;
  const bool handled = *e.handled;
  if (c.msg.kind == MessageKind::foreign) {
    // G5 / SQ4: FALSE, and the stub's MIG_BAD_ID. TRUE with MIG_BAD_ID
    // contradicts itself: the demux claims a message its stubs refused.
    // TRUE with any other code is a front demux that took the message over
    // (queued it for a worker: MIG_NO_REPLY) or refused it its own way; the
    // MIG demux it runs later is not seen, so it is not judged.
    if (!handled) {
      f.check(rule::G5);
      f.check(rule::SQ4);
    } else if (e.code == kMigBadId) {
      const std::string text = cat(message_text(c),
                                   " (id 0x454d4d49, no interface's) made the demux return TRUE "
                                   "although its stubs answered MIG_BAD_ID: a foreign message must "
                                   "make it return FALSE");
      f.report(rule::G5, Party::pager, text);
      f.report(rule::SQ4, Party::pager, text);
    }
    return f;
  }
  if (object_port && memory_object_routine(c.msg.kind) && c.msg.incarnation != kNoIndex) {
    f.check(rule::G5);
    f.check(rule::SQ4);
    if (!handled) {
      const std::string text = cat(message_text(c), " made the demux return FALSE (",
                                   code_name(e.code),
                                   "): the memory_object demux routes every routine of its "
                                   "interface to a handler and returns TRUE");
      f.report(rule::G5, Party::pager, text);
      f.report(rule::SQ4, Party::pager, text);
    }
    return f;
  }
  if (requested_notification(c.msg.kind)) {
    // V5: the pager asked for this notification; its demux must route it
    // to a handler (notify_server's), not refuse it as unknown.
    f.check(rule::V5);
    if (!handled || e.code == kMigBadId)
      f.report(rule::V5, Party::pager,
               cat("the pager asked for the ", to_string(c.msg.kind), " notification, but ",
                   message_text(c), " made its demux return ", handled ? "TRUE" : "FALSE", " with ",
                   code_name(e.code), ": no notification handler took it"));
  }
  return f;
}

Found after_stop(const State& s) {
  Found f;
  for (const ForeignRight& fr : s.foreign_rights) {
    f.check(rule::V2);
    const PortRec* r = s.find_port(fr.name);
    if (r == nullptr) continue;
    bool held = false;
    switch (fr.right) {
      case Right::send: held = r->send + r->dead > 0; break;
      case Right::send_once: held = r->send_once > 0; break;
      case Right::receive: held = r->receive; break;
      case Right::dead_name: held = r->dead > 0; break;
      case Right::port_set: break;
    }
    if (held)
      f.report(rule::V2, Party::pager,
               cat("the pager still holds the ", to_string(fr.right), " right to ", hex(fr.name),
                   " that foreign message seqno ", dec(fr.seqno), " on port ", hex(fr.port),
                   " carried: a refused request must be destroyed with its rights "
                   "(mach_msg_server does it; a receive loop of the pager's own must call "
                   "mach_msg_destroy)"));
  }
  return f;
}

}  // namespace emmi::model::detail::demux
