// SPDX-License-Identifier: MIT
// The bounded world the SMT encoding reasons about, and the small integer
// codes it uses for lifecycles, message kinds, calls and port operations.
// The symbolic encoding, the concrete evaluator and the tests share them.
#pragma once

#include <cstdint>
#include <string_view>

namespace emmi::smt {

// Shape of the bounded world. Name slot i < objects is the receive right of
// memory object i; the other slots are names the pager task may come to hold
// (control and name ports, ports it allocates). `queue_depth` bounds the
// messages one (object, kernel) pair may have in flight on the object port.
struct Bounds {
  unsigned kernels = 2;
  unsigned objects = 2;
  unsigned pages = 4;        // kernel pages per object (all kernels share one page size)
  unsigned names = 10;       // name slots, the object ports included
  unsigned threads = 2;      // pager threads
  unsigned queue_depth = 4;  // in-flight EMMI messages per pair
  // The kernels that speak the OSF dialect (bit k = kernel k;
  // model/SEMANTICS.md, "OSF dialect"): init carries the control alone,
  // terminate moves the control's receive right alone, and synchronize,
  // synchronize_completed and flavoured change_attributes exist. 0: every
  // kernel is GNU Mach's, and the encoding is exactly the GNU Mach one.
  unsigned osf_kernels = 0;
  unsigned syncs = 2;  // outstanding synchronize requests per pair (OSF pairs)
  unsigned pairs() const { return kernels * objects; }
  bool osf(unsigned kernel) const { return (osf_kernels >> kernel) & 1u; }
  bool osf_pair(unsigned pair) const { return osf(pair % kernels); }
};

// Bits needed to hold the values 0 .. n-1 (at least 1).
constexpr unsigned bits_for(unsigned n) {
  unsigned b = 1;
  while ((1u << b) < n) ++b;
  return b;
}

inline constexpr unsigned kSeqnoBits = 32;  // mach_port_seqno_t
// User references are bit-vectors of the width of GNU Mach's limit:
// MACH_PORT_UREFS_MAX is (1 << 16) - 1 (kernel ipc/port.h), so a count is a
// bounded natural and both ends (underflow: rule V1/V3; overflow:
// KERN_UREFS_OVERFLOW) are explicit instead of hidden in unbounded integers.
inline constexpr unsigned kUrefBits = 16;
inline constexpr std::uint64_t kUrefsMax = 0xffff;
inline constexpr unsigned kCountBits = 8;  // messages queued on a non-pair port

// Lifecycle of an (object, kernel) pair, as model.h's Lifecycle.
enum class Life : std::uint8_t { uninitialised, initialised, ready, terminating, terminated };
inline constexpr unsigned kLifeBits = 3;

// Event kinds of the encoding (the model's Event alternatives that change
// protocol state; KernelAttached and ObjectOffered are folded into the
// initial state, MemoryReleased is outside the encoded vocabulary).
enum class Ev : std::uint8_t {
  kernel_sent,
  dequeued,
  handler_returned,
  control_called,
  port_operated
};
inline constexpr unsigned kEvBits = 3;

// Message kinds. 0 means "none" (an idle thread, an empty queue cell).
// `stray` is an EMMI message the kernel sent outside any incarnation (after
// an IN1/TM8 verdict): the model queues it but gives it no meaning.
// `synchronize` is OSF's memory_object_synchronize (only OSF kernels send it).
enum class Msg : std::uint8_t {
  none,
  init,
  terminate,
  data_request,
  data_unlock,
  data_return,
  synchronize,
  other,
  stray
};
inline constexpr unsigned kMsgBits = 4;

// Handler return codes, as mach_msg_server sees them.
enum class Ret : std::uint8_t { success, no_reply, error };
inline constexpr unsigned kRetBits = 2;

// Pager -> kernel control calls (model ControlCall, same order).
enum class Call : std::uint8_t {
  ready,
  change_attributes,
  data_supply,
  data_unavailable,
  data_error,
  lock_request,
  destroy,
  get_attributes,
  synchronize_completed,  // OSF
};
inline constexpr unsigned kCallBits = 4;

// The vm_msync flags a synchronize carries (<mach/vm_sync.h>, model types.h).
inline constexpr unsigned kSyncAsynchronous = 1, kSyncSynchronous = 2, kSyncInvalidate = 4;
inline constexpr unsigned kFlagBits = 3;

// What an OSF change_attributes says about its attribute array
// (MO_change_attributes.html): the encoding does not carry the array, only
// whether its flavour is one the pages define and its count that flavour's.
enum class Attrs : std::uint8_t { ok, wrong_count, unknown_flavor };
inline constexpr unsigned kAttrBits = 2;

// Port operations of the encoded vocabulary.
enum class Op : std::uint8_t {
  deallocate,        // mach_port_deallocate: one send uref
  mod_refs_send,     // mach_port_mod_refs(send, -1)
  mod_refs_receive,  // mach_port_mod_refs(receive, -1)
  destroy,           // mach_port_destroy: every right under the name
  allocate,          // mach_port_allocate(receive)
  insert_send,       // mach_port_insert_right(make send): one more send uref
};
inline constexpr unsigned kOpBits = 3;

// What a name slot denotes, for the terminate-rights invariant: the control
// or name port of some pair, or another port (object port, allocated port).
enum class Role : std::uint8_t { none, control, name, other };
inline constexpr unsigned kRoleBits = 2;

std::string_view to_string(Life l);
std::string_view to_string(Ev e);
std::string_view to_string(Msg m);
std::string_view to_string(Ret r);
std::string_view to_string(Call c);
std::string_view to_string(Op o);
std::string_view to_string(Role r);
std::string_view to_string(Attrs a);

}  // namespace emmi::smt
