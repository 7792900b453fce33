// SPDX-License-Identifier: MIT
// The helpers MIG-generated stubs call (<mach/mig_support.h>): one reply port
// per thread and task, created on first use, as glibc's Hurd port does.
#include <mach.h>
#include <mach/mig_support.h>

#include <sys/mman.h>

#include <cstring>

#include "emmi/mach/kernel.h"

namespace {

// A thread may act in more than one task (a pager thread making a control
// call runs the kernel's server in the kernel's task): keep one reply port per
// task, keyed by the task's own name for itself, which is unique per task.
struct ReplyPorts {
  struct Slot {
    mach_port_t task = MACH_PORT_NULL;
    mach_port_t port = MACH_PORT_NULL;
    std::uint64_t epoch = 0;
  };
  Slot slots[4];
};
thread_local ReplyPorts tls_reply;

ReplyPorts::Slot* find_slot(bool create) {
  const mach_port_t task = mach_task_self();
  const std::uint64_t epoch = emmi::mach::Kernel::installed_epoch();
  ReplyPorts::Slot* free_slot = nullptr;
  for (auto& s : tls_reply.slots) {
    if (s.port != MACH_PORT_NULL && s.epoch == epoch && s.task == task) return &s;
    if (free_slot == nullptr && (s.port == MACH_PORT_NULL || s.epoch != epoch)) free_slot = &s;
  }
  if (!create) return nullptr;
  if (free_slot == nullptr) free_slot = &tls_reply.slots[0];
  free_slot->task = task;
  free_slot->epoch = epoch;
  free_slot->port = MACH_PORT_NULL;
  return free_slot;
}

}  // namespace

extern "C" {

mach_port_t mig_get_reply_port(void) {
  ReplyPorts::Slot* s = find_slot(true);
  if (s->port == MACH_PORT_NULL) {
    mach_port_t p = MACH_PORT_NULL;
    if (mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p) != KERN_SUCCESS)
      return MACH_PORT_NULL;
    s->port = p;
  }
  return s->port;
}

void mig_dealloc_reply_port(mach_port_t port) {
  ReplyPorts::Slot* s = find_slot(false);
  if (s != nullptr && s->port == port) {
    s->port = MACH_PORT_NULL;
    (void)mach_port_mod_refs(mach_task_self(), port, MACH_PORT_RIGHT_RECEIVE, -1);
  }
}

void mig_put_reply_port(mach_port_t) {}

mach_port_t __mig_get_reply_port(void) { return mig_get_reply_port(); }
void __mig_dealloc_reply_port(mach_port_t port) { mig_dealloc_reply_port(port); }
void __mig_put_reply_port(mach_port_t port) { mig_put_reply_port(port); }

void mig_init(void*) {}
void __mig_init(void* first) { mig_init(first); }

void mig_allocate(vm_address_t* addr, vm_size_t size) {
  if (vm_allocate(mach_task_self(), addr, size, TRUE) != KERN_SUCCESS) *addr = 0;
}
void __mig_allocate(vm_address_t* addr, vm_size_t size) { mig_allocate(addr, size); }

void mig_deallocate(vm_address_t addr, vm_size_t size) {
  (void)vm_deallocate(mach_task_self(), addr, size);
}
void __mig_deallocate(vm_address_t addr, vm_size_t size) { mig_deallocate(addr, size); }

void mig_reply_setup(const mach_msg_header_t* request, mach_msg_header_t* reply) {
  auto* out = reinterpret_cast<mig_reply_header_t*>(reply);
  out->Head.msgh_bits = MACH_MSGH_BITS(MACH_MSGH_BITS_REMOTE(request->msgh_bits), 0);
  out->Head.msgh_size = sizeof(*out);
  out->Head.msgh_remote_port = request->msgh_remote_port;
  out->Head.msgh_local_port = MACH_PORT_NULL;
  out->Head.msgh_seqno = 0;
  out->Head.msgh_id = request->msgh_id + 100;
  out->RetCodeType = mach_msg_type_t{MACH_MSG_TYPE_INTEGER_32, 32, 1, TRUE, FALSE, FALSE, 0};
  out->RetCode = KERN_SUCCESS;
}

void __mig_reply_setup(const mach_msg_header_t* request, mach_msg_header_t* reply) {
  mig_reply_setup(request, reply);
}

// glibc's contract: at most len - 1 characters (the rest of those len - 1
// padded with NULs), a terminator when the source was that long, and the
// number of characters copied without the terminator.
vm_size_t mig_strncpy(char* dst, const char* src, vm_size_t len) {
  if (len == 0) return 0;
  const char* end = ::stpncpy(dst, src, len - 1);
  const vm_size_t copied = static_cast<vm_size_t>(end - dst);
  if (copied == len - 1) dst[copied] = '\0';
  return copied;
}
vm_size_t __mig_strncpy(char* dst, const char* src, vm_size_t len) {
  return mig_strncpy(dst, src, len);
}

void* __mig_memcpy(void* dst, const void* src, vm_size_t len) { return std::memcpy(dst, src, len); }

}  // extern "C"
