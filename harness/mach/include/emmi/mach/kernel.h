// SPDX-License-Identifier: MIT
// The simulated GNU Mach kernel: one instance holds every task's port name
// space, every port and queued message, and the out-of-line memory ledger.
// The C API (mach_msg, mach_port_*, vm_*) serves the installed instance;
// this C++ interface is what the harness uses to set it up and watch it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "emmi/model/event.h"

namespace emmi::mach {

namespace detail {
class Core;
}

using TaskId = std::uint32_t;

// The id of the engine's stray message ("EMMI"): outside every interface a
// pager may serve (memory_object 2200.., memory_object_default 2250..,
// default_pager 2275.., notify 64.., the OSF subsystems 3400.., the Hurd's
// 20000..), so every demux, however many servers it chains, must refuse it
// (G5). The simulated kernel reports it as MessageKind::foreign.
inline constexpr std::int32_t kForeignMessageId = 0x454d4d49;

// Receives every model event the simulated kernel observes, in the order the
// kernel made them happen. Called with the kernel's lock held: it must be
// quick and must not call back into the simulated kernel.
class Observer {
 public:
  virtual ~Observer() = default;
  virtual void on_event(const emmi::model::Event& event) = 0;
};

// Where a schedule perturber may delay a pager thread. The hook runs on the
// pager thread with no kernel lock held, after a dequeue (before mach_msg
// returns the message), before a control call is served and before a port
// operation takes effect.
enum class HookPoint : std::uint8_t { dequeue, control_call, port_operation };
using ScheduleHook = void (*)(void* context, HookPoint point, emmi::model::ThreadId thread);

class Kernel {
 public:
  Kernel();
  ~Kernel();
  Kernel(const Kernel&) = delete;
  Kernel& operator=(const Kernel&) = delete;

  // Make this the instance the C API serves (the constructor installs it;
  // the destructor uninstalls it if it is still installed).
  void install();
  static Kernel* installed();
  // Changes whenever a different instance is installed; per-thread caches
  // (reply ports, thread ids) compare against it.
  static std::uint64_t installed_epoch();

  // --- Host privilege ------------------------------------------------------
  // Whether get_privileged_ports gives the pager task the host-priv port
  // (off by default: a pager runs as an unprivileged task). The suite turns
  // it on for a pager that declares the default-pager role, so that it can
  // call vm_set_default_memory_manager (default_pager_kernel.cpp).
  void set_pager_privileged(bool privileged);
  // The default memory manager's port is set and alive.
  bool has_default_manager() const;

  // --- Tasks ---------------------------------------------------------------
  // The pager's task exists from the start; events are reported for it only.
  TaskId pager_task() const;
  // Another task (a kernel's own space, or a peer task in tests).
  TaskId create_task(const std::string& label);

  // The name, in `holder`'s space, of a send right to `target`'s task port
  // (one more user reference each call), so code acting in `holder` can
  // name `target` in mach_port_* calls.
  unsigned task_port_in(TaskId holder, TaskId target);
  // A name not yet used in `task` (names are never reused), for
  // mach_port_insert_right / mach_port_allocate_name.
  unsigned fresh_name(TaskId task);

  // While alive, the current thread acts in `task`: mach_task_self(),
  // mach_msg and mach_port_* use that task's name space. Nests.
  class TaskScope {
   public:
    TaskScope(Kernel& kernel, TaskId task);
    ~TaskScope();
    TaskScope(const TaskScope&) = delete;
    TaskScope& operator=(const TaskScope&) = delete;

   private:
    void* saved_task_;
    bool saved_external_;
  };

  // While alive, the current (suite) thread acts in the pager's task without
  // counting as a pager thread: used to call the pager's start() and stop(),
  // whose caller never blocks in the simulated kernel.
  class ExternalPagerCall {
   public:
    explicit ExternalPagerCall(Kernel& kernel);
    ~ExternalPagerCall();
    ExternalPagerCall(const ExternalPagerCall&) = delete;
    ExternalPagerCall& operator=(const ExternalPagerCall&) = delete;

   private:
    void* saved_task_;
    bool saved_external_;
  };

  // --- Observation -----------------------------------------------------------
  void set_observer(Observer* observer);  // nullptr: none
  void set_schedule_hook(ScheduleHook hook, void* context);

  // Small id of the calling thread as events report it (assigned on first
  // use).
  emmi::model::ThreadId current_thread_id();

  // True as soon as every pager thread is blocked in a receive (or has
  // exited) and no queue such a thread receives from holds a message; false
  // if that does not happen before `deadline`. Waits on a condition
  // variable, never polls.
  bool wait_quiescent(std::chrono::steady_clock::time_point deadline);

  // Counters for tests and the command line.
  struct Stats {
    std::uint64_t messages_sent = 0;
    std::uint64_t messages_received = 0;
    std::uint64_t messages_destroyed = 0;
    std::uint64_t ports_alive = 0;
    std::uint64_t ool_regions_mapped = 0;  // delivered and not yet released
    std::uint32_t pager_threads = 0;       // known, not exited
  };
  Stats stats() const;

  detail::Core& core() { return *core_; }

 private:
  std::shared_ptr<detail::Core> core_;
};

}  // namespace emmi::mach
