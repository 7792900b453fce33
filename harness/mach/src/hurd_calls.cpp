// SPDX-License-Identifier: MIT
// Calls Hurd libraries make beyond the EMMI: the Mach traps glibc-Hurd's
// <mach/mach_traps.h> declares, the scheduling calls of mach_host.defs that
// libports' multithreaded manager uses to raise its threads' priority,
// glibc-Hurd's get_privileged_ports and pthread_hurd_cond_*wait_np.
//
// What GNU Mach does is followed as far as a pager can observe it; where the
// simulation has nothing to stand for (processor sets, host privilege), the
// answer is GNU Mach's for an unprivileged task. The choices are listed in
// harness/mach/README.md ("Hurd calls").
#include <hurd.h>
#include <mach.h>
#include <pthread.h>
#include <sched.h>

#include <cerrno>
#include <cstdio>

#include "core.h"

namespace emmi::mach::detail {
bool quiet_events();
}  // namespace emmi::mach::detail

using namespace emmi::mach::detail;

namespace {

// GNU Mach kern/sched.h: 65 run queues, user threads start at priority 25
// (a lower number is a higher priority), which is also their maximum (the
// default processor set's max_priority).
constexpr int kRunQueues = 65;
constexpr int kBasePriUser = 25;

bool invalid_pri(int p) { return p < 0 || p >= kRunQueues; }

// A thread's scheduling priorities. Threads are not kernel objects here
// (mach_thread_self gives a dead name), so the state is the calling thread's:
// Hurd code sets its own threads' priorities through mach_thread_self().
struct Priorities {
  std::uint64_t epoch = 0;  // the kernel instance they belong to
  int priority = kBasePriUser;
  int max_priority = kBasePriUser;
};
thread_local Priorities tls_priorities;

// The calling thread's priorities in the installed kernel (a thread that
// outlives a kernel starts afresh in the next one).
Priorities& my_priorities() {
  Priorities& p = tls_priorities;
  const std::uint64_t epoch = emmi::mach::Kernel::installed_epoch();
  if (p.epoch != epoch) p = Priorities{epoch};
  return p;
}

// What an RPC whose request port is `name` reaches, seen from the caller.
enum class Target { invalid_dest, thread, not_a_thread };

// With the lock held. MACH_SEND_INVALID_DEST when the caller holds no right
// the stub could send on; a dead name stands for a thread (that is what
// mach_thread_self hands out); any other right reaches something that is not
// a thread, which GNU Mach's intran turns into THREAD_NULL.
Target target_of(Core& core, Space* s, mach_port_t name) {
  if (!MACH_PORT_VALID(name)) return Target::invalid_dest;
  Entry* e = core.lookup(s, name);
  if (e == nullptr) return Target::invalid_dest;
  if (e->type & MACH_PORT_TYPE_DEAD_NAME) return Target::thread;
  if (e->type & MACH_PORT_TYPE_SEND)
    return e->port != nullptr && e->port->kobject == KObject::thread ? Target::thread
                                                                     : Target::not_a_thread;
  return Target::invalid_dest;
}

// A port argument a MIG stub copies in: null or a name with a send right.
bool port_arg_ok(Core& core, Space* s, mach_port_t name) {
  if (!MACH_PORT_VALID(name)) return true;
  Entry* e = core.lookup(s, name);
  return e != nullptr && (e->type & (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_DEAD_NAME));
}

// The caller's name for the default processor set's name port, with one
// more user reference (a reply carrying a send right adds one), created on
// first use. The pager's task is told, as for mach_port_insert_right, so the
// model knows the right when the pager releases it.
mach_port_t pset_name_for(Core& core, Space* s, ThreadRec* t, bool pager) {
  mach_port_t name = MACH_PORT_NULL;
  for (const auto& [port, n] : s->by_port) {
    if (port->kobject == KObject::pset_name) {
      name = n;
      break;
    }
  }
  if (name != MACH_PORT_NULL) {
    ++core.lookup(s, name)->urefs;
  } else {
    Port* p = core.new_port();
    p->kobject = KObject::pset_name;
    p->srights = 1;
    core.port_ref(p);
    name = core.alloc_name(s);
    Entry& e = s->entries[name - s->base];
    e.type = MACH_PORT_TYPE_SEND;
    e.urefs = 1;
    e.port = p;
    s->by_port[p] = name;
  }
  report_inserted(core, t, pager, s, name);
  return name;
}

}  // namespace

extern "C" {

// --- Traps ------------------------------------------------------------------------

mach_port_t mach_reply_port(void) {
  mach_port_t p = MACH_PORT_NULL;
  if (mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p) != KERN_SUCCESS)
    return MACH_PORT_NULL;
  return p;
}

boolean_t swtch(void) {
  (void)::sched_yield();
  return TRUE;
}

boolean_t swtch_pri(int) {
  (void)::sched_yield();
  return TRUE;
}

// GNU Mach (kern/syscall_subr.c): an unknown option is KERN_INVALID_ARGUMENT
// before anything else; otherwise the thread gives up the processor and the
// call succeeds, whatever the hint names. sched_yield is the suite's
// scheduling point.
kern_return_t thread_switch(mach_port_t, int option, mach_msg_timeout_t) {
  switch (option) {
    case SWITCH_OPTION_NONE:
    case SWITCH_OPTION_DEPRESS:
    case SWITCH_OPTION_WAIT: break;
    default: return KERN_INVALID_ARGUMENT;
  }
  (void)::sched_yield();
  return KERN_SUCCESS;
}

kern_return_t evc_wait(unsigned int) { return KERN_INVALID_ARGUMENT; }

void mach_print(const char* s) {
  if (s != nullptr) std::fputs(s, stderr);
}

// --- mach_host.defs: thread scheduling -----------------------------------------------

kern_return_t thread_priority(thread_t thread, int priority, boolean_t set_max) {
  Core* core = installed_core();
  if (core == nullptr) return MACH_SEND_INVALID_DEST;
  (void)core->thread();
  {
    Core::Lock lk(*core);
    switch (target_of(*core, core->current_space(), thread)) {
      case Target::invalid_dest: return MACH_SEND_INVALID_DEST;
      case Target::not_a_thread: return KERN_INVALID_ARGUMENT;
      case Target::thread: break;
    }
  }
  if (invalid_pri(priority)) return KERN_INVALID_ARGUMENT;
  Priorities& p = my_priorities();
  if (priority < p.max_priority) return KERN_FAILURE;  // above the thread's maximum
  p.priority = priority;
  if (set_max) p.max_priority = priority;
  return KERN_SUCCESS;
}

// Needs the processor set's control port, which only host_processor_set_priv
// gives, with the host-priv port no pager has: GNU Mach's conversion of any
// other port yields PROCESSOR_SET_NULL, so KERN_INVALID_ARGUMENT.
kern_return_t thread_max_priority(thread_t thread, processor_set_t pset, int max_priority) {
  Core* core = installed_core();
  if (core == nullptr) return MACH_SEND_INVALID_DEST;
  (void)core->thread();
  Core::Lock lk(*core);
  Space* s = core->current_space();
  const Target t = target_of(*core, s, thread);
  if (t == Target::invalid_dest) return MACH_SEND_INVALID_DEST;
  if (!port_arg_ok(*core, s, pset)) return MACH_SEND_INVALID_RIGHT;
  (void)max_priority;
  return KERN_INVALID_ARGUMENT;
}

kern_return_t thread_get_assignment(thread_t thread, processor_set_name_t* assigned_set) {
  Core* core = installed_core();
  if (core == nullptr) return MACH_SEND_INVALID_DEST;
  ThreadRec* t = core->thread();
  const bool pager = core->acting_as_pager();
  Core::Lock lk(*core);
  Space* s = core->current_space();
  switch (target_of(*core, s, thread)) {
    case Target::invalid_dest: return MACH_SEND_INVALID_DEST;
    case Target::not_a_thread: return KERN_INVALID_ARGUMENT;
    case Target::thread: break;
  }
  *assigned_set = pset_name_for(*core, s, t, pager);
  return KERN_SUCCESS;
}

// The request port must be the host-priv port; mach_host_self gives the host
// name port and get_privileged_ports refuses a pager the privileged one, so
// GNU Mach's conversion yields HOST_NULL: KERN_INVALID_ARGUMENT.
kern_return_t host_processor_set_priv(host_t host_priv, processor_set_name_t set_name,
                                      processor_set_t* set) {
  Core* core = installed_core();
  if (core == nullptr) return MACH_SEND_INVALID_DEST;
  (void)core->thread();
  Core::Lock lk(*core);
  Space* s = core->current_space();
  if (!MACH_PORT_VALID(host_priv)) return MACH_SEND_INVALID_DEST;
  Entry* e = core->lookup(s, host_priv);
  if (e == nullptr || !(e->type & MACH_PORT_TYPE_SEND)) return MACH_SEND_INVALID_DEST;
  if (!port_arg_ok(*core, s, set_name)) return MACH_SEND_INVALID_RIGHT;
  (void)set;
  return KERN_INVALID_ARGUMENT;
}

// --- glibc-Hurd ------------------------------------------------------------------------

// get_privileged_ports: default_pager_kernel.cpp (EPERM unless the suite
// made the pager privileged for the default-pager role).

int pthread_hurd_cond_wait_np(pthread_cond_t* cond, pthread_mutex_t* mutex) {
  return ::pthread_cond_wait(cond, mutex);
}

int pthread_hurd_cond_timedwait_np(pthread_cond_t* cond, pthread_mutex_t* mutex,
                                   const struct timespec* abstime) {
  if (abstime == nullptr) return ::pthread_cond_wait(cond, mutex);
  return ::pthread_cond_timedwait(cond, mutex, abstime);
}

// --- The __ names glibc-Hurd exports as well ----------------------------------------------

mach_msg_return_t __mach_msg_server_timeout(boolean_t (*demux)(mach_msg_header_t* request,
                                                               mach_msg_header_t* reply),
                                            mach_msg_size_t max_size, mach_port_t rcv_name,
                                            mach_msg_option_t option, mach_msg_timeout_t timeout) {
  return mach_msg_server_timeout(demux, max_size, rcv_name, option, timeout);
}

mach_msg_return_t __mach_msg_server(boolean_t (*demux)(mach_msg_header_t* request,
                                                       mach_msg_header_t* reply),
                                    mach_msg_size_t max_size, mach_port_t rcv_name) {
  return mach_msg_server(demux, max_size, rcv_name);
}

void __mach_msg_destroy(mach_msg_header_t* msg) { mach_msg_destroy(msg); }

}  // extern "C"
