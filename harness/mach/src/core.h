// SPDX-License-Identifier: MIT
// Internals of the simulated GNU Mach kernel: the kernel instance (Core) with
// its tasks, threads and lock, and the per-thread state. The kernel's
// records are in ipc_port.h (ports, port sets, rights), ipc_space.h (name
// spaces) and ipc_kmsg.h (messages). Everything is guarded by Core's mutex
// (one lock per kernel instance: rights move between spaces and ports join
// sets, so a single lock keeps every transition atomic, which is also what
// makes seqno stamping atomic with the dequeue).
#pragma once

#include <mach.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "emmi/mach/kernel.h"
#include "emmi/mach/withdrawn.h"
#include "emmi/model/event.h"

#include "ipc_kmsg.h"
#include "ipc_port.h"
#include "ipc_space.h"

namespace emmi::mach::detail {

class Core;

// A thread as the kernel knows it.
struct ThreadRec {
  emmi::model::ThreadId id = 0;
  bool counted = false;   // a pager thread (quiescence considers it)
  bool starting = false;  // created by a pager thread, not yet called in
  bool running = true;    // not blocked in a receive
  bool exited = false;
  bool signalled = false;  // a wake-up is on its way
  Port* wait_port = nullptr;
  PortSet* wait_set = nullptr;
  std::condition_variable cv;
  void* sched = nullptr;  // the scheduler's record while it blocks under control
};

// Served in the sending thread for messages to control/name ports.
class KObjectServer {
 public:
  virtual ~KObjectServer() = default;
  // Takes ownership of `msg` (destination: a port of kind `kind` with cookie
  // `cookie`). Called with no kernel lock held.
  virtual void serve(KMsg* msg, KObject kind, std::uint64_t cookie) = 0;
};

// A released out-of-line region, for MemoryReleased events.
struct VmRegion {
  std::uintptr_t start = 0;
  std::size_t size = 0;
  Space* space = nullptr;
  emmi::model::RegionId ool_region = 0;  // 0: vm_allocate'd, not delivered
  emmi::model::RegionId whole_id = 0;    // the delivered region this piece belongs to
};

class Core : public std::enable_shared_from_this<Core> {
 public:
  Core();
  ~Core();

  // ---- Locking (core.cpp) ---------------------------------------------------
  // Wake-ups are collected while the lock is held and delivered after it is
  // released, so a woken receiver never immediately blocks on the mutex.
  class Lock {
   public:
    explicit Lock(Core& core);
    ~Lock();
    void unlock();
    void relock();
    std::unique_lock<std::mutex>& raw() { return lock_; }

   private:
    std::unique_lock<std::mutex> lock_;
  };

  // This instance's epoch, distinct from every other core's in the process
  // (a thread's binding to an earlier kernel never matches it).
  std::uint64_t epoch() const { return epoch_; }

  // ---- Tasks and threads (core.cpp, threads.cpp) ------------------------------
  Space* pager_space() { return pager_; }
  Space* create_space(const std::string& label, bool is_pager);
  Space* space_by_id(TaskId id);
  // The calling thread's record and current task (thread-local fast path).
  ThreadRec* thread();
  Space* current_space();
  bool acting_as_pager();         // current task is the pager's (events are reported)
  bool counts_as_pager_thread();  // ... and not a suite thread calling start/stop
  void thread_exit(ThreadRec* rec);
  // A thread a pager thread is creating: "starting" until its first call
  // into the kernel (thread_started) or its end.
  ThreadRec* preregister_pager_thread();
  void thread_started(ThreadRec* rec);

  // ---- Rights (ipc_right.cpp; lock held) --------------------------------------
  Port* new_port();
  PortSet* new_pset();
  void port_ref(Port* p) { ++p->refs; }
  void port_unref(Port* p);
  void pset_unref(PortSet* s);
  mach_port_name_t alloc_name(Space* s);
  Entry* lookup(Space* s, mach_port_name_t name);  // converts dead ports lazily
  void free_entry_if_empty(Space* s, mach_port_name_t name, Entry* e);
  // Entry `e` of `s` gives up its receive or its send right (`right`), the
  // one port reference the entry holds going with it: an entry that keeps
  // the other right takes a new reference for it; one left with neither is
  // emptied.
  void entry_gives_up(Space* s, Entry* e, mach_port_type_t right);

  // Copy a right out of a space into transit (the disposition is a
  // MACH_MSG_TYPE_* send-side value). Returns KERN_SUCCESS or
  // KERN_INVALID_NAME / KERN_INVALID_RIGHT / KERN_INVALID_VALUE.
  kern_return_t copyin_right(Space* s, mach_port_name_t name, mach_msg_type_name_t disposition,
                             RightRef& out);
  // Put a right in transit into a space; returns its name there
  // (MACH_PORT_DEAD when the port died on the way).
  mach_port_name_t copyout_right(Space* s, RightRef& r);
  void destroy_right(RightRef& r);
  void release_send(Port* p);
  // A proxy memory object lost its last send right: GNU Mach's no-senders
  // handler frees it and releases its send right to the real object.
  void release_proxy(Port* p);
  void release_send_once(Port* p);
  void destroy_receive(Port* p);  // the receive right is gone (port dies unless pdrequest)
  void destroy_pset(PortSet* s);

  // ---- Messages (ipc_kmsg.cpp; lock held) -------------------------------------
  KMsg* alloc_kmsg();
  void free_kmsg(KMsg* m);
  void destroy_kmsg(KMsg* m);  // releases every right and buffer, frees it
  // Queue `m` on its destination, or return it (non-null) when the
  // destination is a kernel object to serve outside the lock.
  KMsg* deliver(KMsg* m);
  // A message the pager received (the kernel counts what it queued and
  // destroyed itself).
  void count_received() { ++stats_.messages_received; }

  // ---- Notifications (ipc_notify.cpp; lock held) ------------------------------
  void notify_no_senders(Port* so, mach_port_mscount_t mscount);
  void notify_send_once(Port* so);
  void notify_dead_name(Port* so, mach_port_name_t name);
  void notify_port_destroyed(Port* so, Port* receive);

  // ---- Kernel objects (ipc_kobject.cpp) ---------------------------------------
  void serve_kobject(KMsg* m);  // no lock held
  // Who serves messages to control and name ports (null: nobody yet).
  void set_kobject_server(KObjectServer* server);
  KObjectServer* kobject_server();
  // Replies MIG_BAD_ID to a request `request_id` whose routine the kernel
  // object does not have (ipc_kobject_server); consumes `reply`, a right.
  // Lock held.
  void reply_bad_id(RightRef& reply, mach_msg_id_t request_id);

  // ---- Observation (core.cpp, ipc_kmsg.cpp) -----------------------------------
  bool observing() const { return observer_ != nullptr; }
  void emit(emmi::model::Event&& e);
  void set_observer(Observer* o) { observer_ = o; }
  void set_hook(ScheduleHook h, void* ctx) {
    hook_ctx_ = ctx;
    hook_.store(h, std::memory_order_release);
  }
  void run_hook(HookPoint point);
  static emmi::model::MessageKind kind_of(mach_msg_id_t id);
  // Reports `m`, queued on `p` whose receive right the pager holds, as a
  // KernelSent event (once). Lock held.
  void observe_sent(Port* p, KMsg* m);
  // What Kernel::stats() says (lock held).
  Kernel::Stats stats() const;

  // ---- Quiescence (quiescence.cpp) --------------------------------------------
  // The calling thread acts in the pager's task (`pager`) for the first
  // time: quiescence counts it from then on. Takes the lock.
  void count_pager_thread(ThreadRec* t, bool pager);
  void thread_blocks(ThreadRec* t);    // lock held
  void thread_unblocks(ThreadRec* t);  // lock held
  bool quiescent_locked();
  bool wait_quiescent(std::chrono::steady_clock::time_point deadline);
  void wake(ThreadRec* t);  // lock held: deliver after unlock

  // ---- VM ledger (vm.cpp; lock held) --------------------------------------------
  // Map fresh zeroed pages for `size` bytes in `s`; returns the address (0 on
  // failure). `ool` marks memory delivered by a message.
  std::uintptr_t vm_map_fresh(Space* s, std::size_t size, bool ool, emmi::model::RegionId* region);
  // Enters memory the kernel just mapped at `r.start` (live again if a
  // delivered region there had been released).
  void vm_record(const VmRegion& r);
  // Whether the ledger holds memory in [start, start+size).
  bool vm_knows(std::uintptr_t start, std::size_t size) const;
  // The delivered region released from page `page` on (0: none).
  emmi::model::RegionId released_region_at(std::uintptr_t page) const;
  // Release [start, start+size) rounded to pages in `s`; returns the
  // delivered regions that became wholly released and whether anything was
  // mapped there at all.
  // `s` null: any task's memory (munmap is per process). With `unmap`
  // false the caller unmaps the range itself.
  // `cuts`, when given, gets each page range released ([lo, hi)).
  kern_return_t vm_release(Space* s, std::uintptr_t start, std::size_t size,
                           std::vector<emmi::model::RegionId>* released_whole,
                           emmi::model::RegionId* double_free, bool unmap = true,
                           std::vector<std::pair<std::uintptr_t, std::uintptr_t>>* cuts = nullptr);

  // ---- Default memory manager (default_pager_kernel.cpp writes these) -----------
  // The default memory manager (vm_set_default_memory_manager): one send
  // right the kernel holds (srights and a reference), or null. Whether the
  // pager task gets the host-priv port from get_privileged_ports, and that
  // port once made. Lock held.
  Port* default_manager = nullptr;
  Port* host_priv = nullptr;
  bool pager_privileged = false;

 private:
  std::mutex mutex_;
  std::uint64_t epoch_ = 0;
  Space* pager_ = nullptr;
  TaskId next_task_ = 1;
  std::vector<std::unique_ptr<Space>> spaces_;
  std::deque<ThreadRec> threads_;  // stable addresses; never freed before the core

  // Rights: every live port and set, so the instance frees them when it goes.
  std::uint64_t next_serial_ = 1;
  std::uint64_t ports_alive_ = 0;
  std::unordered_set<Port*> all_ports_;
  std::unordered_set<PortSet*> all_psets_;

  // Messages.
  std::uint64_t msg_serial_ = 1;  // global enqueue order (port-set fairness)
  KMsg* free_kmsgs_ = nullptr;
  Kernel::Stats stats_{};
  KObjectServer* kserver_ = nullptr;

  // Observation.
  Observer* observer_ = nullptr;
  // Receive rights the pager just took with messages queued on them while
  // they were in transit: reported after the event being built (emit).
  std::vector<Port*> arrived_;
  std::atomic<ScheduleHook> hook_{nullptr};
  void* hook_ctx_ = nullptr;

  // Quiescence.
  std::uint32_t running_pager_threads_ = 0;
  std::uint32_t starting_pager_threads_ = 0;
  std::uint32_t quiescence_waiters_ = 0;
  std::condition_variable quiescent_cv_;

  // VM ledger.
  std::map<std::uintptr_t, VmRegion> vm_;                         // by start address
  std::map<std::uintptr_t, emmi::model::RegionId> released_ool_;  // start -> region
  std::unordered_map<emmi::model::RegionId, std::size_t> ool_pages_left_;
  emmi::model::RegionId next_region_ = 1;
};

// The next core's epoch (process_globals.cpp).
std::uint64_t next_core_epoch();

// The installed instance (null when none; process_globals.cpp).
Core* installed_core();
std::shared_ptr<Core> installed_core_shared();

// Thread-local binding of the calling thread to a core.
struct ThreadBinding {
  std::shared_ptr<Core> core;
  std::uint64_t epoch = 0;
  ThreadRec* rec = nullptr;
  Space* task_override = nullptr;
  bool external = false;
  SendInfo* send_info = nullptr;  // set by the kernel side around its sends
  ~ThreadBinding();
};
ThreadBinding& binding();

// Sets the thread-local SendInfo for KernelSent events of the sends made in
// its scope.
class SendInfoScope {
 public:
  explicit SendInfoScope(SendInfo* info) : saved_(binding().send_info) {
    binding().send_info = info;
  }
  ~SendInfoScope() { binding().send_info = saved_; }
  SendInfoScope(const SendInfoScope&) = delete;
  SendInfoScope& operator=(const SendInfoScope&) = delete;

 private:
  SendInfo* saved_;
};

// The calling thread acts in `space` while alive.
class SpaceScope {
 public:
  explicit SpaceScope(Space* space) : saved_(binding().task_override) {
    binding().task_override = space;
  }
  ~SpaceScope() { binding().task_override = saved_; }
  SpaceScope(const SpaceScope&) = delete;
  SpaceScope& operator=(const SpaceScope&) = delete;

 private:
  Space* saved_;
};

// mach_msg internals usable from C++ with explicit arguments.
// The kernel served a message that asks for a look at the pager right after
// it (a synchronize_completed: its store must already hold what the
// synchronize covered, SY6/SY8). mach_msg stops the sending thread for it
// once the send is done and no kernel lock is held
// (sched::Scheduler::snapshot).
void want_snapshot_after_send();
bool take_snapshot_after_send();

mach_msg_return_t msg_send(Core& core, mach_msg_header_t* msg, mach_msg_option_t option,
                           mach_msg_size_t send_size);
mach_msg_return_t msg_receive(Core& core, mach_msg_header_t* msg, mach_msg_option_t option,
                              mach_msg_size_t rcv_size, mach_port_name_t rcv_name,
                              mach_msg_timeout_t timeout);

int real_munmap(void* addr, std::size_t len);

// Withdrawn pages (emmi/mach/withdrawn.h), kept for the whole process.
// Records `what` for [lo, hi) (whole pages the ledger just released), then
// maps inaccessible pages over the range in place: a later touch faults, and
// no later mapping can take the addresses unseen.
void withdraw_pages(std::uintptr_t lo, std::uintptr_t hi, const WithdrawnPages& what);
// The pager itself unmaps addresses of withdrawn pages, or maps there again
// (vm_allocate at a fixed address): the records of withdrawn pages
// overlapping [lo, hi) no longer say what lies there and are dropped; with
// `unmap`, the inaccessible pages of [lo, hi) they covered are unmapped too.
void forget_withdrawn(std::uintptr_t lo, std::uintptr_t hi, bool unmap);

// A send right the kernel copied out to `s` on its own (a host or processor
// set name, a proxy), told to the model as an inserted right (lock held).
void report_inserted(Core& core, ThreadRec* t, bool pager, Space* s, mach_port_t name);

inline std::size_t round_up(std::size_t v, std::size_t a) { return (v + a - 1) / a * a; }
constexpr std::size_t kVmPage = 4096;

}  // namespace emmi::mach::detail
