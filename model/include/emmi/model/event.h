// SPDX-License-Identifier: MIT
// The events the reference model consumes. They are dialect-neutral facts the
// simulated kernel observed: what the kernel sent, what a pager thread
// dequeued (with the seqno the kernel stamped), what a handler returned, and
// every control call, port operation and memory release the pager made.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "emmi/model/types.h"

namespace emmi::model {

// Messages that arrive on a pager's receive rights. EMMI kernel->pager
// routines (memory_object.defs, subsystem 2200), the completions sent to a
// reply_to right, and the notifications GNU Mach generates (notify.defs).
enum class MessageKind : std::uint8_t {
  init,              // 2200: control (send), name (send), page size
  terminate,         // 2201: control (receive), name (receive); moves the kernel's send right
  data_request,      // 2203
  data_unlock,       // 2204
  lock_completed,    // 2206 (to a reply_to right)
  supply_completed,  // 2207 (to a reply_to right)
  data_return,       // 2208: out-of-line data
  change_completed,  // 2209 (to a reply_to right)
  no_senders,        // notify 70
  send_once,         // notify 71 (a send-once right died unused)
  dead_name,         // notify 72
  port_destroyed,    // notify 69
  // memory_object_default.defs (subsystem 2250), to the default memory manager:
  create,           // 2250, on the default-pager port: the new object's receive
                    // right, control (send), name (send), page size
  data_initialize,  // 2251, on a temporary object's port: out-of-line data
  other,            // anything else the pager's port received
  // OSF dialect (harness/mach/defs/osf, subsystem 3400):
  synchronize,  // 3410: control (send), offset, length, sync flags
  // A message whose id no interface a pager serves defines (memory_object,
  // memory_object_default, default_pager, notify, the Hurd's): the engine's
  // stray-message, sent to an object port by an unrelated task
  // (emmi::mach::kForeignMessageId). Every demux must refuse it (G5).
  foreign,
  // 2202, GNU Mach: a copy was made of a MEMORY_OBJECT_COPY_CALL object's
  // range: old control (send, made), offset, length, and the receive right
  // of the new object (KernelSent::copy_object), whose init follows.
  copy,
};
// The last kind: decoders of recorded histories bound the values by it.
inline constexpr MessageKind kLastMessageKind = MessageKind::copy;

std::string_view to_string(MessageKind k);

// --- Set-up -----------------------------------------------------------------

// A kernel joins the world with its EMMI page size (memory_object_page_size).
struct KernelAttached {
  KernelId kernel;
  Size page_size;
  Dialect dialect = Dialect::gnumach;
};

// How the kernels took their send right to an offered object, as if the
// pager had put the name in a message with that disposition (the entry ABI's
// emmi_pager_object.disposition): MAKE_SEND makes a new send right from the
// receive right, so nothing leaves the pager's task; COPY_SEND copies a send
// right the pager holds and keeps; MOVE_SEND takes one user reference of the
// pager's send right away from it.
enum class Disposition : std::uint8_t { make_send, copy_send, move_send };

std::string_view to_string(Disposition d);

// The pager made memory object `object` and handed the kernels a send right
// to it; `port` is the receive right's name in the pager task.
struct ObjectOffered {
  ObjectId object;
  PortName port;
  Disposition disposition = Disposition::make_send;
};

// --- Kernel -> pager ----------------------------------------------------------

// The kernel (or the simulated kernel's notification machinery) queued a
// message on the pager's receive right `destination`. For EMMI messages on an
// object port, `kernel` and `object` say who sent it about what.
struct KernelSent {
  MessageKind kind;
  PortName destination;
  KernelId kernel = 0;
  ObjectId object = 0;
  Offset offset = 0;
  Size length = 0;              // data_request/unlock/return, completions
  Prot access = 0;              // data_request/unlock: desired access
  bool dirty = false;           // data_return
  bool kernel_copy = false;     // data_return
  std::vector<Stamp> stamps{};  // data_return: one per 4 KiB block of the range
  std::int32_t sync_flags = 0;  // synchronize: the vm_msync flags
  std::int32_t flavor = 0;      // OSF change_completed: the flavour changed
  // copy: the object the kernel made of the range (its port's receive right
  // travels in the message), and what the range held at the copy: `stamps`
  // has one per 4 KiB block, `resident[i]` says whether block i was in the
  // kernel's memory (then stamps[i] is its contents; otherwise the kernel
  // did not know them and stamps[i] is 0).
  ObjectId copy_object = 0;
  std::vector<std::uint8_t> resident{};
};

// A right the message added to the pager task when it was copied out.
struct CarriedRight {
  PortName name;
  Right right;
};

// A pager thread dequeued the oldest message of receive right `port` (the
// member port when received through a port set). The kernel stamped `seqno`.
// `rights` lists the rights copied out into the pager task (for init: control
// send and name send; for terminate: control receive and name receive), in
// message order. `region` identifies out-of-line memory delivered with it.
struct Dequeued {
  ThreadId thread;
  PortName port;
  Seqno seqno;
  std::vector<CarriedRight> rights{};
  RegionId region = 0;  // 0: no out-of-line memory
  Size region_size = 0;
  // The message did not fit the pager's buffer and the receive lacked
  // MACH_RCV_LARGE: GNU Mach dequeued it (using up `seqno`), destroyed its
  // rights and memory and returned only the header (MACH_RCV_TOO_LARGE).
  // No handler runs for it; `rights` and `region` are empty.
  bool too_large = false;
};

// The handler the pager's demux ran for a message `thread` dequeued returned
// `code`. `port` and `seqno` name that message (the request mach_msg_server
// received before calling the demux); with `port` null the message is the
// one the thread is handling at the outermost level (see SEMANTICS.md,
// "Handler return"). Any code other than KERN_SUCCESS or MIG_NO_REPLY makes
// mach_msg_server destroy the request: the model itself releases the rights
// and memory the request carried (the simulated kernel reports no separate
// port operations for that destruction).
struct HandlerReturned {
  ThreadId thread;
  KernReturn code;
  PortName port = kNullPort;  // the request's receive right (msgh_local_port)
  Seqno seqno = 0;            // the request's msgh_seqno
  // What the demux itself returned (TRUE: the message belonged to its
  // interface), when the observer saw it; `code` is the reply's RetCode.
  std::optional<bool> handled{};
};

// --- Pager -> kernel ----------------------------------------------------------

enum class ControlCall : std::uint8_t {
  ready,              // memory_object_ready
  change_attributes,  // memory_object_change_attributes
  data_supply,
  data_unavailable,
  data_error,
  lock_request,
  destroy,
  get_attributes,
  // OSF dialect (subsystem 3450):
  synchronize_completed,  // memory_object_synchronize_completed
};

std::string_view to_string(ControlCall c);

// The pager sent a control call to `control` (a name in its task). `accepted`
// is what the simulated kernel did: false when the destination was not a live
// control port (stale after terminate, unknown name), when sizes failed GNU
// Mach's checks, and so on.
struct ControlCalled {
  ThreadId thread;
  ControlCall call;
  PortName control;
  Offset offset = 0;
  Size size = 0;
  Prot lock_value = 0;  // data_supply, lock_request (kProtNoChange: keep)
  bool precious = false;
  bool may_cache = false;
  std::vector<Stamp> stamps{};  // data_supply: one per 4 KiB block supplied
  PortName reply_to = kNullPort;
  // Whether the pager's task held the receive right of the port reply_to
  // named when the kernel took the message (PR6: the reply port is one of
  // the pager's receive rights, made into a send right). Absent: no
  // reply_to, or the receive right was in a message at that moment.
  std::optional<bool> reply_to_received_by_pager{};
  bool accepted = true;
  std::int32_t should_return = 0;  // lock_request: kReturnNone, kReturnDirty or kReturnAll
  bool should_flush = false;       // lock_request
  // data_error: the error value (absent when the observer did not decode it).
  std::optional<KernReturn> error_value{};
  // ready / change_attributes: the copy strategy asked for. An OSF
  // change_attributes names one only in the ATTRIBUTES_INFO and
  // BEHAVIOR_INFO flavours (their first int); with PERFORMANCE_INFO (or a
  // flavour the pages do not define) names_copy_strategy is false and the
  // object's strategy stays what it was.
  std::int32_t copy_strategy = 0;
  bool names_copy_strategy = true;
  // data_supply: where the kernel stopped with KERN_MEMORY_PRESENT (the
  // first page of the range it already held, gnumach-kernel.md §3e); the
  // pages from there on were not supplied. Absent: it took the whole range
  // (or the observer did not say).
  std::optional<Offset> present_at{};
  // data_supply: the address of the out-of-line data in the pager's space
  // and that space's page size (vm_page_size), SU9. Absent: no data, or the
  // observer did not say.
  std::optional<std::uint64_t> data_address{};
  Size data_page_size = 0;
  // data_supply: the data went with deallocate TRUE and the kernel took its
  // pages out of the pager's space (SU10: the pager may not touch them any
  // more; a touch faults, and the suite charges the crash to SU10). False
  // when the observer could not take them away (memory it did not map).
  bool data_withdrawn = false;
  // OSF change_attributes / get_attributes: the flavour and attributes_count
  // (ints) as sent.
  std::int32_t flavor = 0;
  std::uint32_t attributes_count = 0;
  // OSF get_attributes: the ints the kernel's reply carries (CA6: at most
  // attributes_count, the caller's maximum; the flavour's size when it fits).
  std::uint32_t answered_count = 0;
};

enum class PortOp : std::uint8_t {
  deallocate,    // mach_port_deallocate: one send/send-once/dead-name uref
  mod_refs,      // mach_port_mod_refs(right, delta)
  destroy,       // mach_port_destroy: every right under the name
  allocate,      // mach_port_allocate: a new right
  insert_right,  // mach_port_insert_right (make/copy send into the pager task)
  set_seqno,     // mach_port_set_seqno(delta = the new counter) on a receive right
};

std::string_view to_string(PortOp op);

// A pager port operation and the simulated kernel's answer.
struct PortOperated {
  ThreadId thread;
  PortOp op;
  PortName name;
  Right right = Right::send;  // for mod_refs / allocate / insert_right
  std::int32_t delta = -1;    // for mod_refs / insert_right (+1); set_seqno: the new counter
  KernReturn result = kKernSuccess;
};

// Adding or dropping user references of a name (mach_port_deallocate,
// mod_refs of send or dead-name references, inserting a send right): such
// operations commute with one another, since the counts end the same in
// either order, so SQ7 lets them cross.
inline bool is_uref_arithmetic(const PortOperated& op) {
  switch (op.op) {
    case PortOp::deallocate: return true;
    case PortOp::mod_refs: return op.right == Right::send || op.right == Right::dead_name;
    case PortOp::insert_right: return op.right == Right::send;
    default: return false;
  }
}

// Out-of-line memory delivered to the pager was released (vm_deallocate or
// munmap of the whole region). `result` is non-success when the region was not
// mapped (a double free).
struct MemoryReleased {
  ThreadId thread;
  RegionId region;
  KernReturn result = kKernSuccess;
};

using Event = std::variant<KernelAttached, ObjectOffered, KernelSent, Dequeued, HandlerReturned,
                           ControlCalled, PortOperated, MemoryReleased>;

// One line, for traces and counterexamples.
std::string describe(const Event& e);

}  // namespace emmi::model
