// SPDX-License-Identifier: MIT
// Names and one-line descriptions of the model's vocabulary, for traces,
// counterexamples and verdict explanations.
#include "text.h"

#include <charconv>

#include "emmi/model/event.h"
#include "emmi/model/model.h"
#include "emmi/model/verdict.h"

namespace emmi::model {

namespace detail {

std::string hex(std::uint64_t v) {
  char buf[2 + 16];
  buf[0] = '0';
  buf[1] = 'x';
  auto r = std::to_chars(buf + 2, buf + sizeof buf, v, 16);
  return std::string(buf, r.ptr);
}

std::string dec(std::uint64_t v) {
  char buf[20];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string code_name(std::int32_t kr) {
  std::string_view name;
  switch (kr) {
    case kKernSuccess: name = "KERN_SUCCESS"; break;
    case kKernInvalidArgument: name = "KERN_INVALID_ARGUMENT"; break;
    case kKernFailure: name = "KERN_FAILURE"; break;
    case kKernInvalidName: name = "KERN_INVALID_NAME"; break;
    case kKernInvalidRight: name = "KERN_INVALID_RIGHT"; break;
    case kKernInvalidValue: name = "KERN_INVALID_VALUE"; break;
    case kMigBadId: name = "MIG_BAD_ID"; break;
    case kMigBadArguments: name = "MIG_BAD_ARGUMENTS"; break;
    case kMigNoReply: name = "MIG_NO_REPLY"; break;
    case kMigDestroyRequest: name = "MIG_DESTROY_REQUEST"; break;
    default: break;
  }
  std::string num = kr < 0
                        ? cat("-", dec(static_cast<std::uint64_t>(-static_cast<std::int64_t>(kr))))
                        : hex(static_cast<std::uint64_t>(kr));
  if (name.empty()) return num;
  return cat(name, " (", num, ")");
}

}  // namespace detail

using detail::cat;
using detail::dec;
using detail::hex;

std::string_view to_string(Right r) {
  switch (r) {
    case Right::send: return "send";
    case Right::receive: return "receive";
    case Right::send_once: return "send-once";
    case Right::port_set: return "port-set";
    case Right::dead_name: return "dead-name";
  }
  return "?";
}

std::string_view to_string(Party p) {
  switch (p) {
    case Party::pager: return "pager";
    case Party::kernel: return "kernel";
    case Party::suite: return "suite";
  }
  return "?";
}

std::string_view to_string(MessageKind k) {
  switch (k) {
    case MessageKind::init: return "init";
    case MessageKind::terminate: return "terminate";
    case MessageKind::data_request: return "data_request";
    case MessageKind::data_unlock: return "data_unlock";
    case MessageKind::lock_completed: return "lock_completed";
    case MessageKind::supply_completed: return "supply_completed";
    case MessageKind::data_return: return "data_return";
    case MessageKind::change_completed: return "change_completed";
    case MessageKind::no_senders: return "no_senders";
    case MessageKind::send_once: return "send_once";
    case MessageKind::dead_name: return "dead_name";
    case MessageKind::port_destroyed: return "port_destroyed";
    case MessageKind::create: return "memory_object_create";
    case MessageKind::data_initialize: return "data_initialize";
    case MessageKind::other: return "other";
    case MessageKind::synchronize: return "synchronize";
    case MessageKind::foreign: return "foreign";
    case MessageKind::copy: return "memory_object_copy";
  }
  return "?";
}

std::string_view to_string(ControlCall c) {
  switch (c) {
    case ControlCall::ready: return "memory_object_ready";
    case ControlCall::change_attributes: return "memory_object_change_attributes";
    case ControlCall::data_supply: return "memory_object_data_supply";
    case ControlCall::data_unavailable: return "memory_object_data_unavailable";
    case ControlCall::data_error: return "memory_object_data_error";
    case ControlCall::lock_request: return "memory_object_lock_request";
    case ControlCall::destroy: return "memory_object_destroy";
    case ControlCall::get_attributes: return "memory_object_get_attributes";
    case ControlCall::synchronize_completed: return "memory_object_synchronize_completed";
  }
  return "?";
}

std::string_view to_string(Dialect d) {
  switch (d) {
    case Dialect::gnumach: return "gnumach";
    case Dialect::osf: return "osf";
  }
  return "?";
}

std::string_view to_string(Disposition d) {
  switch (d) {
    case Disposition::make_send: return "MAKE_SEND";
    case Disposition::copy_send: return "COPY_SEND";
    case Disposition::move_send: return "MOVE_SEND";
  }
  return "?";
}

std::string_view to_string(PortOp op) {
  switch (op) {
    case PortOp::deallocate: return "mach_port_deallocate";
    case PortOp::mod_refs: return "mach_port_mod_refs";
    case PortOp::destroy: return "mach_port_destroy";
    case PortOp::allocate: return "mach_port_allocate";
    case PortOp::insert_right: return "mach_port_insert_right";
    case PortOp::set_seqno: return "mach_port_set_seqno";
  }
  return "?";
}

std::string_view to_string(Lifecycle l) {
  switch (l) {
    case Lifecycle::uninitialised: return "uninitialised";
    case Lifecycle::initialised: return "initialised";
    case Lifecycle::ready: return "ready";
    case Lifecycle::terminating: return "terminating";
    case Lifecycle::terminated: return "terminated";
  }
  return "?";
}

std::string_view to_string(Reading r) {
  switch (r) {
    case Reading::manual: return "manual";
    case Reading::gnumach: return "gnumach";
  }
  return "?";
}

std::string_view to_string(KernelActionKind k) {
  switch (k) {
    case KernelActionKind::map: return "map";
    case KernelActionKind::fault: return "fault";
    case KernelActionKind::evict: return "evict";
    case KernelActionKind::unmap: return "unmap";
  }
  return "?";
}

std::string to_string(const Verdict& v) {
  return cat(v.rule, " [", to_string(v.party), "] @", dec(v.event_index), ": ", v.explanation,
             v.portability.empty() ? "" : cat(" (portability: ", v.portability, ")"));
}

namespace {

std::string rights_text(const std::vector<CarriedRight>& rights) {
  std::string out = "[";
  for (std::size_t i = 0; i < rights.size(); ++i)
    out += cat(i ? ", " : "", to_string(rights[i].right), " ", hex(rights[i].name));
  return out + "]";
}

std::string stamps_text(const std::vector<Stamp>& stamps) {
  if (stamps.empty()) return "";
  std::string out = " stamps [";
  for (std::size_t i = 0; i < stamps.size(); ++i) out += cat(i ? " " : "", hex(stamps[i]));
  return out + "]";
}

std::string describe_one(const KernelAttached& e) {
  return cat("kernel ", dec(e.kernel), " attached, page size ", hex(e.page_size),
             e.dialect == Dialect::osf ? ", OSF dialect" : "");
}
std::string describe_one(const ObjectOffered& e) {
  return cat("object ", dec(e.object), " offered on port ", hex(e.port), " (",
             to_string(e.disposition), ")");
}
std::string describe_one(const KernelSent& e) {
  std::string out = cat("kernel ", dec(e.kernel), " sends ", to_string(e.kind), " to ",
                        hex(e.destination), " (object ", dec(e.object), ")");
  switch (e.kind) {
    case MessageKind::data_request:
    case MessageKind::data_unlock:
      out += cat(" offset ", hex(e.offset), " length ", hex(e.length), " access ", hex(e.access));
      break;
    case MessageKind::data_return:
      out += cat(" offset ", hex(e.offset), " length ", hex(e.length),
                 e.dirty ? " dirty" : " clean", e.kernel_copy ? " kernel_copy" : "",
                 stamps_text(e.stamps));
      break;
    case MessageKind::lock_completed:
    case MessageKind::supply_completed:
      out += cat(" offset ", hex(e.offset), " length ", hex(e.length));
      break;
    case MessageKind::synchronize:
      out += cat(" offset ", hex(e.offset), " length ", hex(e.length), " flags ",
                 hex(static_cast<std::uint64_t>(e.sync_flags)));
      break;
    case MessageKind::change_completed:
      if (e.flavor != 0) out += cat(" flavor ", dec(static_cast<std::uint64_t>(e.flavor)));
      break;
    case MessageKind::copy: {
      std::vector<Stamp> known;
      for (std::size_t i = 0; i < e.stamps.size(); ++i)
        known.push_back(i < e.resident.size() && e.resident[i] != 0 ? e.stamps[i] : 0);
      out += cat(" offset ", hex(e.offset), " length ", hex(e.length), " new object ",
                 dec(e.copy_object), " resident", stamps_text(known));
      break;
    }
    default: break;
  }
  return out;
}
std::string describe_one(const Dequeued& e) {
  std::string out = cat("thread ", dec(e.thread), " dequeues seqno ", dec(e.seqno), " from ",
                        hex(e.port), " rights ", rights_text(e.rights));
  if (e.region != 0) out += cat(" region ", hex(e.region), " size ", hex(e.region_size));
  return out;
}
std::string describe_one(const HandlerReturned& e) {
  std::string out = cat("thread ", dec(e.thread), " handler returns ", detail::code_name(e.code));
  if (e.port != kNullPort) out += cat(" for seqno ", dec(e.seqno), " on ", hex(e.port));
  if (e.handled == false) out += " (demux FALSE)";
  return out;
}
std::string describe_one(const ControlCalled& e) {
  std::string out = cat("thread ", dec(e.thread), " calls ", to_string(e.call), " on ",
                        hex(e.control));
  switch (e.call) {
    case ControlCall::data_supply:
      out += cat(" offset ", hex(e.offset), " size ", hex(e.size), " lock ", hex(e.lock_value),
                 e.precious ? " precious" : "", stamps_text(e.stamps));
      break;
    case ControlCall::data_unavailable:
    case ControlCall::data_error:
    case ControlCall::lock_request:
    case ControlCall::synchronize_completed:
      out += cat(" offset ", hex(e.offset), " size ", hex(e.size));
      break;
    case ControlCall::ready:
    case ControlCall::change_attributes:
      if (e.flavor != 0)
        out += cat(" flavor ", dec(static_cast<std::uint64_t>(e.flavor)), " count ",
                   dec(e.attributes_count));
      out += e.may_cache ? " may_cache" : "";
      break;
    default: break;
  }
  if (e.reply_to != kNullPort) out += cat(" reply_to ", hex(e.reply_to));
  if (!e.accepted) out += " (refused by the kernel)";
  return out;
}
std::string describe_one(const PortOperated& e) {
  std::string out = cat("thread ", dec(e.thread), " ", to_string(e.op), " ", hex(e.name));
  if (e.op == PortOp::mod_refs || e.op == PortOp::insert_right)
    out += cat(" ", to_string(e.right), " ", e.delta < 0 ? "-" : "+",
               dec(static_cast<std::uint64_t>(e.delta < 0 ? -static_cast<std::int64_t>(e.delta)
                                                          : e.delta)));
  else if (e.op == PortOp::allocate)
    out += cat(" ", to_string(e.right));
  else if (e.op == PortOp::set_seqno)
    out += cat(" to ", dec(static_cast<std::uint32_t>(e.delta)));
  return out + cat(" -> ", detail::code_name(e.result));
}
std::string describe_one(const MemoryReleased& e) {
  return cat("thread ", dec(e.thread), " releases region ", hex(e.region), " -> ",
             detail::code_name(e.result));
}

}  // namespace

std::string describe(const Event& e) {
  return std::visit([](const auto& ev) { return describe_one(ev); }, e);
}

std::string describe(const KernelAction& a) {
  std::string out = cat(to_string(a.kind), " object ", dec(a.object), " from kernel ",
                        dec(a.kernel));
  if (a.kind == KernelActionKind::fault)
    out += cat(" offset ", hex(a.offset), (a.access & kProtWrite) ? " read/write" : " read");
  if (a.kind == KernelActionKind::evict)
    out += cat(" offset ", hex(a.offset), a.dirty ? " dirty" : " clean");
  return out;
}

}  // namespace emmi::model
