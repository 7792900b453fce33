// SPDX-License-Identifier: MIT
// Basic vocabulary of the EMMI reference model: identifiers, sizes, rights.
// Everything is a small value type; the model never touches real ports or
// memory, it only reasons about what the simulated kernel observed.
#pragma once

#include <cstdint>
#include <string_view>

namespace emmi::model {

using KernelId = std::uint32_t;   // one simulated kernel (a host mapping objects)
using ObjectId = std::uint32_t;   // one memory object the pager offered
using ThreadId = std::uint32_t;   // a pager thread, as the simulated kernel sees it
using PortName = std::uint32_t;   // a name in the pager task's port name space
using Seqno = std::uint32_t;      // mach_port_seqno_t: 32-bit, per receive right
using Offset = std::uint64_t;     // byte offset in a memory object
using Size = std::uint64_t;       // byte count
using Prot = std::uint32_t;       // vm_prot_t bits (VM_PROT_READ=1, WRITE=2, EXECUTE=4)
using KernReturn = std::int32_t;  // kern_return_t / mig return codes
using RegionId = std::uint64_t;   // an out-of-line memory region delivered to the pager
using Stamp = std::uint64_t;      // content token of one 4 KiB block (0 = zero-filled)

inline constexpr PortName kNullPort = 0;
inline constexpr PortName kDeadPort = ~PortName{0};  // MACH_PORT_DEAD

// Contents are tracked per 4 KiB block, the smallest page size the suite
// drives; every kernel page size is a multiple of it (4, 8 or 16 KiB).
inline constexpr Size kBlockSize = 4096;

// Return codes the model needs to recognise (values from GNU Mach's headers:
// mach/kern_return.h and mach/mig_errors.h).
inline constexpr KernReturn kKernSuccess = 0;
inline constexpr KernReturn kKernInvalidArgument = 4;
inline constexpr KernReturn kKernFailure = 5;
inline constexpr KernReturn kKernInvalidName = 15;
inline constexpr KernReturn kKernInvalidRight = 17;
inline constexpr KernReturn kKernInvalidValue = 18;
inline constexpr KernReturn kMigBadId = -303;         // demux did not know the routine
inline constexpr KernReturn kMigBadArguments = -304;  // stub rejected the message shape
inline constexpr KernReturn kMigNoReply = -305;
inline constexpr KernReturn kMigDestroyRequest = -309;  // "destroy the request, no reply"

// vm_prot_t bits.
inline constexpr Prot kProtRead = 1;
inline constexpr Prot kProtWrite = 2;
inline constexpr Prot kProtAll = 7;       // VM_PROT_ALL (read, write, execute)
inline constexpr Prot kProtNoChange = 8;  // VM_PROT_NO_CHANGE (lock_request: keep the lock)
// lock_request's should_return (memory_object_return_t).
inline constexpr std::int32_t kReturnNone = 0;
inline constexpr std::int32_t kReturnDirty = 1;
inline constexpr std::int32_t kReturnAll = 2;

// Which wire protocol a kernel speaks (model/SEMANTICS.md, "Dialects"):
// GNU Mach's memory_object.defs, or the OSF MK interface of the manual pages
// (harness/mach/defs/osf/): init and terminate without a name port,
// synchronize, flavoured change_attributes.
enum class Dialect : std::uint8_t { gnumach, osf };

std::string_view to_string(Dialect d);

// The vm_msync flags memory_object_synchronize carries (<mach/vm_sync.h>).
inline constexpr std::int32_t kSyncAsynchronous = 1;
inline constexpr std::int32_t kSyncSynchronous = 2;
inline constexpr std::int32_t kSyncInvalidate = 4;

// Copy strategies (<mach/memory_object.h>, memory_object_attr_info.html).
// GNU Mach's headers stop at COPY_TEMPORARY (3); COPY_SYMMETRIC (4) is the
// OSF headers' and the kernel's own (CP6), and GNU Mach refuses it.
inline constexpr std::int32_t kCopyNone = 0;
inline constexpr std::int32_t kCopyCall = 1;
inline constexpr std::int32_t kCopyDelay = 2;
inline constexpr std::int32_t kCopyTemporary = 3;
inline constexpr std::int32_t kCopySymmetric = 4;

// OSF attribute flavours and their counts in ints on x86_64
// (<emmi/osf/memory_object_types.h>; harness/mach/defs/osf/README.md).
inline constexpr std::int32_t kFlavorPerformance = 11;
inline constexpr std::int32_t kFlavorAttributes = 14;
inline constexpr std::int32_t kFlavorBehavior = 15;
inline constexpr std::uint32_t kPerfInfoCount = 4;
inline constexpr std::uint32_t kAttrInfoCount = 6;
inline constexpr std::uint32_t kBehaviorInfoCount = 3;

// The kinds of right a name can denote in a task (mach_port_right_t).
enum class Right : std::uint8_t { send, receive, send_once, port_set, dead_name };

std::string_view to_string(Right r);

// Which side of the protocol a rule binds (the "Who" column of emmi-rules.md).
enum class Party : std::uint8_t { pager, kernel, suite };

std::string_view to_string(Party p);

}  // namespace emmi::model
