// SPDX-License-Identifier: MIT
// The simulated kernel's facade (Core): its lock, tasks and threads, and
// observation; and the public C++ interface (emmi::mach::Kernel). Rights,
// messages, notifications, kernel objects and quiescence live in files named
// after GNU Mach's (ipc_right.cpp, ipc_kmsg.cpp, ipc_notify.cpp,
// ipc_kobject.cpp, quiescence.cpp); the process-wide state in
// process_globals.cpp.
#include "core.h"
#include "thread_scheduler.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>

namespace emmi::mach::detail {

namespace {

// Wake-ups queued by the lock holder (see Core::Lock).
// With the scheduler's record of a receiver blocked under control, taken
// while the lock is held.
thread_local std::vector<std::pair<ThreadRec*, void*>> tl_wakeups;

}  // namespace

bool adopt_preregistered(Core* core, ThreadBinding& b);  // threads.cpp

ThreadBinding& binding() {
  thread_local ThreadBinding b;
  return b;
}

ThreadBinding::~ThreadBinding() {
  if (core && rec != nullptr) core->thread_exit(rec);
}

// ---------------------------------------------------------------------------
// Lock

// The kernel's own lock is never a scheduling point: while it is held, every
// intercepted call of the thread passes straight through.
Core::Lock::Lock(Core& core) : lock_(core.mutex_, std::defer_lock) {
  ++sched::tl_internal;
  lock_.lock();
}

void Core::Lock::relock() {
  ++sched::tl_internal;
  lock_.lock();
}

Core::Lock::~Lock() {
  if (lock_.owns_lock()) unlock();
}

void Core::Lock::unlock() {
  // Deliver wake-ups after releasing the mutex: the woken receiver can take
  // the lock at once instead of blocking on it.
  static thread_local std::vector<std::pair<ThreadRec*, void*>> batch;
  batch.clear();
  batch.swap(tl_wakeups);
  lock_.unlock();
  for (auto [t, controlled] : batch) {
    // A receiver blocked under the scheduler is woken through it.
    if (controlled != nullptr) {
      auto* st = static_cast<sched::SThread*>(controlled);
      st->owner->wake_receiver(st);
    } else {
      t->cv.notify_one();
    }
  }
  --sched::tl_internal;
}

void Core::run_hook(HookPoint point) {
  // Kernel boundaries are scheduling points of a controlled pager thread.
  if (sched::SThread* me = sched::Scheduler::self(); me != nullptr && !me->command)
    sched::Scheduler::active()->point(me);
  ScheduleHook h = hook_.load(std::memory_order_acquire);
  if (h != nullptr) h(hook_ctx_, point, thread()->id);
}

void Core::wake(ThreadRec* t) {
  t->signalled = true;
  tl_wakeups.emplace_back(t, t->sched);
}

// ---------------------------------------------------------------------------
// Construction, tasks, threads

Core::Core() {
  epoch_ = next_core_epoch();
  pager_ = create_space("pager", true);
}

Core::~Core() {
  // The instance is gone: free what is left without notifications.
  for (Port* p : all_ports_) {
    while (p->head != nullptr) {
      KMsg* m = p->head;
      p->head = m->next;
      delete m;
    }
  }
  for (Port* p : all_ports_) delete p;
  for (PortSet* s : all_psets_) delete s;
  while (free_kmsgs_ != nullptr) {
    KMsg* n = free_kmsgs_->next;
    delete free_kmsgs_;
    free_kmsgs_ = n;
  }
  for (auto& [addr, r] : vm_) real_munmap(reinterpret_cast<void*>(r.start), r.size);
}

Space* Core::create_space(const std::string& label, bool is_pager) {
  auto sp = std::make_unique<Space>();
  sp->id = next_task_++;
  sp->label = label;
  sp->is_pager = is_pager;
  // Pager names start small, like GNU Mach's; other tasks get disjoint
  // ranges so a name used in the wrong task is invalid there.
  sp->base = is_pager ? 0x100 : (static_cast<mach_port_name_t>(sp->id) << 24) + 0x100;
  Space* s = sp.get();
  spaces_.push_back(std::move(sp));

  Port* tp = new_port();
  tp->kobject = KObject::task;
  tp->ktask = s;
  tp->srights = 1;
  port_ref(tp);  // the kernel's own reference to the task port
  s->task_port = tp;
  s->self_name = alloc_name(s);
  Entry& e = s->entries.back();
  e.type = MACH_PORT_TYPE_SEND;
  e.urefs = 1;
  e.port = tp;
  port_ref(tp);
  s->by_port[tp] = s->self_name;
  return s;
}

Space* Core::space_by_id(TaskId id) {
  for (auto& sp : spaces_)
    if (sp->id == id) return sp.get();
  return nullptr;
}

ThreadRec* Core::thread() {
  ThreadBinding& b = binding();
  if (b.core.get() == this && b.epoch == epoch_ && b.rec != nullptr) return b.rec;
  if (b.core && b.rec != nullptr && b.core.get() != this) b.core->thread_exit(b.rec);
  if (adopt_preregistered(this, b)) return b.rec;
  Lock lk(*this);
  threads_.emplace_back();
  ThreadRec* t = &threads_.back();
  t->id = static_cast<emmi::model::ThreadId>(threads_.size());
  lk.unlock();
  b.core = shared_from_this();
  b.epoch = epoch_;
  b.rec = t;
  b.task_override = nullptr;
  b.external = false;
  return t;
}

Space* Core::current_space() {
  ThreadBinding& b = binding();
  if (b.core.get() == this && b.task_override != nullptr) return b.task_override;
  return pager_;
}

bool Core::acting_as_pager() { return current_space() == pager_; }

bool Core::counts_as_pager_thread() {
  ThreadBinding& b = binding();
  return current_space() == pager_ && !(b.core.get() == this && b.external);
}

void Core::thread_exit(ThreadRec* rec) {
  Lock lk(*this);
  if (rec->exited) return;
  rec->exited = true;
  if (rec->starting) {
    rec->starting = false;
    --starting_pager_threads_;
  }
  if (rec->counted && rec->running) {
    --running_pager_threads_;
    rec->running = false;
  }
  if (quiescence_waiters_ > 0) quiescent_cv_.notify_all();
}

// ---------------------------------------------------------------------------
// Observation

void Core::emit(emmi::model::Event&& e) {
  if (observer_ != nullptr) observer_->on_event(e);
  if (arrived_.empty()) return;
  std::vector<Port*> ports;
  ports.swap(arrived_);
  for (Port* p : ports) {
    if (p->receiver != nullptr && p->receiver->is_pager && observer_ != nullptr)
      for (KMsg* q = p->head; q != nullptr; q = q->next)
        if (!q->observed) observe_sent(p, q);
    port_unref(p);
  }
}

Kernel::Stats Core::stats() const {
  Kernel::Stats s = stats_;
  s.ports_alive = ports_alive_;
  s.ool_regions_mapped = ool_pages_left_.size();
  std::uint32_t n = 0;
  for (const ThreadRec& t : threads_)
    if (t.counted && !t.exited) ++n;
  s.pager_threads = n;
  return s;
}

}  // namespace emmi::mach::detail

// ---------------------------------------------------------------------------
// Public C++ interface

namespace emmi::mach {

using detail::Core;

TaskId Kernel::pager_task() const { return core_->pager_space()->id; }

TaskId Kernel::create_task(const std::string& label) {
  Core::Lock lk(*core_);
  return core_->create_space(label, false)->id;
}

unsigned Kernel::task_port_in(TaskId holder, TaskId target) {
  Core::Lock lk(*core_);
  detail::Space* h = core_->space_by_id(holder);
  detail::Space* t = core_->space_by_id(target);
  if (h == nullptr || t == nullptr) return MACH_PORT_NULL;
  detail::Port* tp = t->task_port;
  ++tp->srights;
  core_->port_ref(tp);
  detail::RightRef r{detail::RightRef::right, MACH_MSG_TYPE_PORT_SEND, tp};
  return core_->copyout_right(h, r);
}

unsigned Kernel::fresh_name(TaskId task) {
  Core::Lock lk(*core_);
  detail::Space* s = core_->space_by_id(task);
  if (s == nullptr) return MACH_PORT_NULL;
  return s->base + static_cast<mach_port_name_t>(s->entries.size());
}

Kernel::TaskScope::TaskScope(Kernel& kernel, TaskId task) {
  Core& c = kernel.core();
  (void)c.thread();
  detail::ThreadBinding& b = detail::binding();
  saved_task_ = b.task_override;
  saved_external_ = b.external;
  detail::Space* s = nullptr;
  {
    Core::Lock lk(c);
    s = c.space_by_id(task);
  }
  b.task_override = s;
  b.external = s == c.pager_space() ? b.external : false;
}

Kernel::TaskScope::~TaskScope() {
  detail::ThreadBinding& b = detail::binding();
  b.task_override = static_cast<detail::Space*>(saved_task_);
  b.external = saved_external_;
}

Kernel::ExternalPagerCall::ExternalPagerCall(Kernel& kernel) {
  Core& c = kernel.core();
  (void)c.thread();
  detail::ThreadBinding& b = detail::binding();
  saved_task_ = b.task_override;
  saved_external_ = b.external;
  b.task_override = c.pager_space();
  b.external = true;
}

Kernel::ExternalPagerCall::~ExternalPagerCall() {
  detail::ThreadBinding& b = detail::binding();
  b.task_override = static_cast<detail::Space*>(saved_task_);
  b.external = saved_external_;
}

void Kernel::set_observer(Observer* observer) {
  Core::Lock lk(*core_);
  core_->set_observer(observer);
}

void Kernel::set_schedule_hook(ScheduleHook hook, void* context) { core_->set_hook(hook, context); }

emmi::model::ThreadId Kernel::current_thread_id() { return core_->thread()->id; }

bool Kernel::wait_quiescent(std::chrono::steady_clock::time_point deadline) {
  return core_->wait_quiescent(deadline);
}

Kernel::Stats Kernel::stats() const {
  Core::Lock lk(*core_);
  return core_->stats();
}

}  // namespace emmi::mach
