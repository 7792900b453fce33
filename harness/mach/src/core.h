// SPDX-License-Identifier: MIT
// Internals of the simulated GNU Mach kernel: ports, port sets, task name
// spaces, messages in transit and the per-thread state. Everything here is
// guarded by Core::mutex (one lock per kernel instance: rights move between
// spaces and ports join sets, so a single lock keeps every transition atomic,
// which is also what makes seqno stamping atomic with the dequeue).
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

namespace emmi::mach::detail {

struct Port;
struct PortSet;
struct Space;
struct KMsg;
struct ThreadRec;
class Core;

// Kernel objects a port can stand for. Messages to them are served in the
// sender's thread (GNU Mach's ipc_kobject_server), never queued.
enum class KObject : std::uint8_t {
  none, task, host, thread, control, name, pset_name, pager_proxy,
  host_priv,  // the privileged host port (get_privileged_ports, default pager only)
};

// What a proxy memory object port stands for (memory_object_create_proxy):
// a send right to the real memory object, held by the kernel for the
// proxy's lifetime, and the limits a mapping through the proxy gets.
struct ProxyRec {
  Port* object = nullptr;  // one send right (srights and a reference)
  vm_prot_t max_protection = 0;
  vm_offset_t start = 0;
  vm_size_t len = 0;
};

// One port right carried by a message (or held by the kernel).
struct RightRef {
  enum Kind : std::uint8_t { null_name, dead_name, right };
  Kind kind = null_name;
  mach_msg_type_name_t type = 0;  // MACH_MSG_TYPE_PORT_SEND / _SEND_ONCE / _RECEIVE
  Port* port = nullptr;
};

struct DeadNameRequest {
  Space* space;
  mach_port_name_t name;
  Port* notify;  // a send-once right the request holds
};

struct Port {
  std::uint64_t serial = 0;
  std::uint32_t refs = 0;
  bool active = true;
  Space* receiver = nullptr;  // null while the receive right is in a message
  mach_port_name_t receiver_name = MACH_PORT_NULL;
  Port* transit_dest = nullptr;  // where the message carrying the receive right is queued
  std::uint32_t srights = 0;
  std::uint32_t sorights = 0;
  mach_port_mscount_t mscount = 0;
  mach_port_seqno_t seqno = 0;
  mach_port_msgcount_t qlimit = MACH_PORT_QLIMIT_DEFAULT;
  KMsg* head = nullptr;
  KMsg* tail = nullptr;
  std::uint32_t msgcount = 0;
  PortSet* pset = nullptr;
  Port* nsrequest = nullptr;  // send-once right for the no-senders notification
  mach_port_mscount_t ns_sync = 0;
  Port* pdrequest = nullptr;  // send-once right for port-destroyed
  std::vector<DeadNameRequest> dnrequests;
  std::vector<ThreadRec*> waiters;  // receivers blocked on this port
  KObject kobject = KObject::none;
  Space* ktask = nullptr;        // KObject::task: the task it names
  std::uint64_t kcookie = 0;     // KObject::control/name: the control plane's key
  bool has_payload = false;
  unsigned long payload = 0;
  std::unique_ptr<ProxyRec> proxy;  // KObject::pager_proxy
};

struct PortSet {
  std::uint64_t serial = 0;
  std::uint32_t refs = 0;
  bool active = true;
  Space* space = nullptr;
  mach_port_name_t name = MACH_PORT_NULL;
  std::vector<Port*> members;
  std::vector<ThreadRec*> waiters;
};

// One name in a task's space.
struct Entry {
  mach_port_type_t type = MACH_PORT_TYPE_NONE;  // right bits; NONE: name unused now
  mach_port_urefs_t urefs = 0;  // send / dead-name user references
  Port* port = nullptr;
  PortSet* pset = nullptr;
};

struct Space {
  TaskId id = 0;
  std::string label;
  bool is_pager = false;
  mach_port_name_t base = 0;         // names are base, base+1, ...: never reused
  std::vector<Entry> entries;
  std::unordered_map<Port*, mach_port_name_t> by_port;  // send/receive name per port
  Port* task_port = nullptr;
  mach_port_name_t self_name = MACH_PORT_NULL;  // send right to task_port
  mach_port_name_t host_name = MACH_PORT_NULL;
};

// Out-of-line memory carried by a message (a kernel copy).
struct OolBuffer {
  std::unique_ptr<std::uint8_t[]> bytes;
  std::size_t size = 0;
  // Where the data lay in the sender's address space (SU9: a supply's data
  // must be page aligned there).
  std::uintptr_t sender_address = 0;
  // Sent with deallocate TRUE, and every page of it was memory the simulated
  // kernel mapped, which it took out of the sender's space (SU10).
  bool withdrawn = false;
};

// A typed item of the body that carries rights or out-of-line memory.
struct Item {
  std::uint32_t type_offset = 0;  // of the type descriptor, from the message start
  std::uint32_t data_offset = 0;  // of the inline data or of the OOL pointer
  mach_msg_type_name_t name = 0;  // after copyin: PORT_SEND etc. for rights
  std::uint32_t number = 0;
  bool is_inline = true;
  bool longform = false;
  bool is_port = false;
  std::uint32_t first_right = 0;
  std::int32_t ool = -1;  // index into KMsg::ools
};

// What an EMMI message the kernel sends is about (for KernelSent events).
struct SendInfo {
  emmi::model::KernelId kernel = 0;
  emmi::model::ObjectId object = 0;
  emmi::model::Offset offset = 0;
  emmi::model::Size length = 0;
  emmi::model::Prot access = 0;
  bool dirty = false;
  bool kernel_copy = false;
  std::vector<emmi::model::Stamp> stamps;
  std::int32_t sync_flags = 0;  // OSF synchronize
  std::int32_t flavor = 0;      // OSF change_completed
  // memory_object_copy: the new object and which blocks of `stamps` were
  // resident in the kernel at the copy.
  emmi::model::ObjectId copy_object = 0;
  std::vector<std::uint8_t> resident;
};

struct KMsg {
  KMsg* next = nullptr;
  std::vector<std::uint8_t> data;  // header + body as sent (msgh_size bytes)
  RightRef dest;
  RightRef reply;
  std::vector<RightRef> rights;  // body rights in message order
  std::vector<Item> items;
  std::vector<OolBuffer> ools;
  bool complex = false;
  bool circular = false;
  bool from_pager = false;
  mach_port_name_t sender_dest_name = MACH_PORT_NULL;
  std::uint64_t serial = 0;  // global enqueue order (port-set fairness)
  std::optional<SendInfo> info;
  // A KernelSent event reported it (the pager held the receive right when it
  // was queued, or took the right while it was still queued).
  bool observed = false;

  mach_msg_header_t* header() { return reinterpret_cast<mach_msg_header_t*>(data.data()); }
  mach_msg_id_t id() const {
    return reinterpret_cast<const mach_msg_header_t*>(data.data())->msgh_id;
  }
};

// A thread as the kernel knows it.
struct ThreadRec {
  emmi::model::ThreadId id = 0;
  bool counted = false;   // a pager thread (quiescence considers it)
  bool starting = false;  // created by a pager thread, not yet called in
  bool running = true;    // not blocked in a receive
  bool exited = false;
  bool signalled = false; // a wake-up is on its way
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

  // ---- Locking --------------------------------------------------------------
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
  std::mutex mutex;

  // ---- Tasks and threads ----------------------------------------------------
  Space* pager_space() { return pager_; }
  Space* create_space(const std::string& label, bool is_pager);
  Space* space_by_id(TaskId id);
  // The calling thread's record and current task (thread-local fast path).
  ThreadRec* thread();
  Space* current_space();
  bool acting_as_pager();  // current task is the pager's (events are reported)
  bool counts_as_pager_thread();  // ... and not a suite thread calling start/stop
  void thread_exit(ThreadRec* rec);
  // A thread a pager thread is creating: "starting" until its first call
  // into the kernel (thread_started) or its end.
  ThreadRec* preregister_pager_thread();
  void thread_started(ThreadRec* rec);

  // ---- Rights (lock held) ---------------------------------------------------
  Port* new_port();
  PortSet* new_pset();
  void port_ref(Port* p) { ++p->refs; }
  void port_unref(Port* p);
  void pset_unref(PortSet* s);
  mach_port_name_t alloc_name(Space* s);
  Entry* lookup(Space* s, mach_port_name_t name);  // converts dead ports lazily
  void free_entry_if_empty(Space* s, mach_port_name_t name, Entry* e);

  // Copy a right out of a space into transit (the disposition is a
  // MACH_MSG_TYPE_* send-side value). Returns KERN_SUCCESS or
  // KERN_INVALID_NAME / KERN_INVALID_RIGHT / KERN_INVALID_VALUE.
  kern_return_t copyin_right(Space* s, mach_port_name_t name,
                             mach_msg_type_name_t disposition, RightRef& out);
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

  // ---- Messages (lock held unless said otherwise) ----------------------------
  KMsg* alloc_kmsg();
  void free_kmsg(KMsg* m);
  void destroy_kmsg(KMsg* m);  // releases every right and buffer, frees it
  // Queue `m` on its destination, or return it (non-null) when the
  // destination is a kernel object to serve outside the lock.
  KMsg* deliver(KMsg* m);
  void serve_kobject(KMsg* m);  // no lock held
  void notify_no_senders(Port* so, mach_port_mscount_t mscount);
  void notify_send_once(Port* so);
  void notify_dead_name(Port* so, mach_port_name_t name);
  void notify_port_destroyed(Port* so, Port* receive);

  // ---- Observation ----------------------------------------------------------
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

  // ---- Quiescence -------------------------------------------------------------
  void thread_blocks(ThreadRec* t);   // lock held
  void thread_unblocks(ThreadRec* t); // lock held
  bool quiescent_locked();
  bool wait_quiescent(std::chrono::steady_clock::time_point deadline);
  void wake(ThreadRec* t);  // lock held: deliver after unlock

  // ---- VM ledger (lock held) ----------------------------------------------------
  std::map<std::uintptr_t, VmRegion> vm;  // by start address
  std::map<std::uintptr_t, emmi::model::RegionId> released_ool;  // start -> region
  std::unordered_map<emmi::model::RegionId, std::size_t> ool_pages_left;
  emmi::model::RegionId next_region = 1;
  // Map fresh zeroed pages for `size` bytes in `s`; returns the address (0 on
  // failure). `ool` marks memory delivered by a message.
  std::uintptr_t vm_map_fresh(Space* s, std::size_t size, bool ool,
                              emmi::model::RegionId* region);
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

  // ---- State ---------------------------------------------------------------------
  KObjectServer* kserver = nullptr;
  // The default memory manager (vm_set_default_memory_manager): one send
  // right the kernel holds (srights and a reference), or null. Whether the
  // pager task gets the host-priv port from get_privileged_ports, and that
  // port once made. See default_pager_kernel.cpp.
  Port* default_manager = nullptr;
  Port* host_priv = nullptr;
  bool pager_privileged = false;
  std::uint64_t epoch = 0;
  std::uint64_t next_serial = 1;
  std::uint64_t msg_serial = 1;
  Kernel::Stats stats{};
  std::uint64_t ports_alive = 0;

  std::vector<std::unique_ptr<Space>> spaces;
  // Every live port and set, so the instance frees them when it goes.
  std::unordered_set<Port*> all_ports;
  std::unordered_set<PortSet*> all_psets;
  std::deque<ThreadRec> threads;  // stable addresses; never freed before the core
  std::uint32_t running_pager_threads = 0;
  std::uint32_t starting_pager_threads = 0;
  std::uint32_t quiescence_waiters = 0;
  std::condition_variable quiescent_cv;
  std::vector<ThreadRec*> pending_wakeups;

 private:
  Space* pager_ = nullptr;
  Observer* observer_ = nullptr;
  // Receive rights the pager just took with messages queued on them while
  // they were in transit: reported after the event being built (emit).
  std::vector<Port*> arrived_;
  std::atomic<ScheduleHook> hook_{nullptr};
  void* hook_ctx_ = nullptr;
  KMsg* free_kmsgs_ = nullptr;
  TaskId next_task_ = 1;
};

// The installed instance (null when none).
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
mach_msg_return_t msg_send(Core& core, mach_msg_header_t* msg,
                           mach_msg_option_t option, mach_msg_size_t send_size);
mach_msg_return_t msg_receive(Core& core, mach_msg_header_t* msg,
                              mach_msg_option_t option, mach_msg_size_t rcv_size,
                              mach_port_name_t rcv_name, mach_msg_timeout_t timeout);

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
