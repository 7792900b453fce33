// SPDX-License-Identifier: MIT
// Ports, rights, name spaces, message delivery and notifications of the
// simulated kernel. Rules cite GNU Mach (spec/gnumach-kernel.md) and the
// mach_msg manual page (spec/xnu-osfmk-man/mach_msg.html).
#include "core.h"
#include "thread_scheduler.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>

namespace emmi::mach::detail {

namespace {

// GNU Mach keeps user references in 16 bits (ipc/ipc_entry.h).
constexpr mach_port_urefs_t kUrefsMax = 0xffff;

std::atomic<Core*> g_core{nullptr};
std::atomic<Kernel*> g_kernel{nullptr};
std::atomic<std::uint64_t> g_epoch{0};
std::atomic<std::uint64_t> g_next_epoch{1};
std::mutex g_install_mutex;
std::shared_ptr<Core> g_core_shared;

// Wake-ups queued by the lock holder (see Core::Lock).
// With the scheduler's record of a receiver blocked under control, taken
// while the lock is held.
thread_local std::vector<std::pair<ThreadRec*, void*>> tl_wakeups;

}  // namespace

Core* installed_core() { return g_core.load(std::memory_order_acquire); }

std::shared_ptr<Core> installed_core_shared() {
  std::lock_guard<std::mutex> g(g_install_mutex);
  return g_core_shared;
}

bool adopt_preregistered(Core* core, ThreadBinding& b);

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
Core::Lock::Lock(Core& core) : lock_(core.mutex, std::defer_lock) {
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
  epoch = g_next_epoch.fetch_add(1);
  pager_ = create_space("pager", true);
}

Core::~Core() {
  // The instance is gone: free what is left without notifications.
  for (Port* p : all_ports) {
    while (p->head != nullptr) {
      KMsg* m = p->head;
      p->head = m->next;
      delete m;
    }
  }
  for (Port* p : all_ports) delete p;
  for (PortSet* s : all_psets) delete s;
  while (free_kmsgs_ != nullptr) {
    KMsg* n = free_kmsgs_->next;
    delete free_kmsgs_;
    free_kmsgs_ = n;
  }
  for (auto& [addr, r] : vm) real_munmap(reinterpret_cast<void*>(r.start), r.size);
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
  spaces.push_back(std::move(sp));

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
  for (auto& sp : spaces)
    if (sp->id == id) return sp.get();
  return nullptr;
}

ThreadRec* Core::thread() {
  ThreadBinding& b = binding();
  if (b.core.get() == this && b.epoch == epoch && b.rec != nullptr) return b.rec;
  if (b.core && b.rec != nullptr && b.core.get() != this) b.core->thread_exit(b.rec);
  if (adopt_preregistered(this, b)) return b.rec;
  Lock lk(*this);
  threads.emplace_back();
  ThreadRec* t = &threads.back();
  t->id = static_cast<emmi::model::ThreadId>(threads.size());
  lk.unlock();
  b.core = shared_from_this();
  b.epoch = epoch;
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
    --starting_pager_threads;
  }
  if (rec->counted && rec->running) {
    --running_pager_threads;
    rec->running = false;
  }
  if (quiescence_waiters > 0) quiescent_cv.notify_all();
}

// ---------------------------------------------------------------------------
// Ports and names

Port* Core::new_port() {
  Port* p = new Port();
  p->serial = next_serial++;
  ++ports_alive;
  all_ports.insert(p);
  return p;
}

PortSet* Core::new_pset() {
  auto* s = new PortSet();
  s->serial = next_serial++;
  all_psets.insert(s);
  return s;
}

void Core::port_unref(Port* p) {
  if (--p->refs == 0) {
    --ports_alive;
    all_ports.erase(p);
    delete p;
  }
}

void Core::pset_unref(PortSet* s) {
  if (--s->refs == 0) {
    all_psets.erase(s);
    delete s;
  }
}

mach_port_name_t Core::alloc_name(Space* s) {
  mach_port_name_t name = s->base + static_cast<mach_port_name_t>(s->entries.size());
  s->entries.emplace_back();
  return name;
}

Entry* Core::lookup(Space* s, mach_port_name_t name) {
  if (!MACH_PORT_VALID(name) || name < s->base) return nullptr;
  std::size_t idx = name - s->base;
  if (idx >= s->entries.size()) return nullptr;
  Entry* e = &s->entries[idx];
  if (e->type == MACH_PORT_TYPE_NONE) return nullptr;
  // A send or send-once right whose port died is a dead name from then on
  // (GNU Mach converts lazily in ipc_right_check; so do we).
  if ((e->type & (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_SEND_ONCE)) && !e->port->active) {
    Port* p = e->port;
    if (e->type & MACH_PORT_TYPE_SEND) {
      s->by_port.erase(p);
      if (p->srights > 0) --p->srights;
    } else {
      e->urefs = 1;
      if (p->sorights > 0) --p->sorights;
    }
    e->type = MACH_PORT_TYPE_DEAD_NAME;
    e->port = nullptr;
    port_unref(p);
  }
  return e;
}

void Core::free_entry_if_empty(Space* s, mach_port_name_t name, Entry* e) {
  (void)s;
  (void)name;
  if (e->type == MACH_PORT_TYPE_NONE) {
    e->urefs = 0;
    e->port = nullptr;
    e->pset = nullptr;
  }
}

kern_return_t Core::copyin_right(Space* s, mach_port_name_t name,
                                 mach_msg_type_name_t disposition, RightRef& out) {
  out = RightRef{};
  Entry* e = lookup(s, name);
  if (e == nullptr) return KERN_INVALID_NAME;
  const bool dead = (e->type & MACH_PORT_TYPE_DEAD_NAME) != 0;
  switch (disposition) {
    case MACH_MSG_TYPE_MOVE_RECEIVE: {
      if (!(e->type & MACH_PORT_TYPE_RECEIVE)) return KERN_INVALID_RIGHT;
      Port* p = e->port;
      if (p->pset != nullptr) {
        auto& m = p->pset->members;
        m.erase(std::remove(m.begin(), m.end(), p), m.end());
        p->pset = nullptr;
      }
      p->receiver = nullptr;
      p->receiver_name = MACH_PORT_NULL;
      // mach_msg.html, MACH_MSG_TYPE_MOVE_RECEIVE: "The make-send count and
      // sequence number of the receive right are reset to zero and
      // no-more-senders notification requests are cancelled (with a
      // send-once notification being sent to the no-more-senders
      // notification right)".
      p->mscount = 0;
      p->seqno = 0;
      if (p->nsrequest != nullptr) {
        Port* so = p->nsrequest;
        p->nsrequest = nullptr;
        release_send_once(so);
      }
      for (ThreadRec* w : p->waiters)
        if (!w->signalled) wake(w);
      e->type &= ~MACH_PORT_TYPE_RECEIVE;
      if (e->type & MACH_PORT_TYPE_SEND) {
        port_ref(p);  // the entry keeps its send right
      } else {
        s->by_port.erase(p);
        e->type = MACH_PORT_TYPE_NONE;
        e->port = nullptr;
      }
      out = RightRef{RightRef::right, MACH_MSG_TYPE_PORT_RECEIVE, p};
      return KERN_SUCCESS;
    }
    case MACH_MSG_TYPE_COPY_SEND:
      if (e->type & MACH_PORT_TYPE_SEND) {
        ++e->port->srights;
        port_ref(e->port);
        out = RightRef{RightRef::right, MACH_MSG_TYPE_PORT_SEND, e->port};
        return KERN_SUCCESS;
      }
      if (dead) {
        out.kind = RightRef::dead_name;
        return KERN_SUCCESS;
      }
      return KERN_INVALID_RIGHT;
    case MACH_MSG_TYPE_MOVE_SEND:
      if (e->type & MACH_PORT_TYPE_SEND) {
        Port* p = e->port;
        if (e->urefs > 1) {
          --e->urefs;
          ++p->srights;
          port_ref(p);
        } else {
          e->type &= ~MACH_PORT_TYPE_SEND;
          e->urefs = 0;
          if (e->type & MACH_PORT_TYPE_RECEIVE) {
            port_ref(p);
          } else {
            s->by_port.erase(p);
            e->type = MACH_PORT_TYPE_NONE;
            e->port = nullptr;
          }
        }
        out = RightRef{RightRef::right, MACH_MSG_TYPE_PORT_SEND, p};
        return KERN_SUCCESS;
      }
      if (dead) {
        if (--e->urefs == 0) e->type = MACH_PORT_TYPE_NONE;
        out.kind = RightRef::dead_name;
        return KERN_SUCCESS;
      }
      return KERN_INVALID_RIGHT;
    case MACH_MSG_TYPE_MAKE_SEND:
      if (!(e->type & MACH_PORT_TYPE_RECEIVE)) return KERN_INVALID_RIGHT;
      ++e->port->mscount;
      ++e->port->srights;
      port_ref(e->port);
      out = RightRef{RightRef::right, MACH_MSG_TYPE_PORT_SEND, e->port};
      return KERN_SUCCESS;
    case MACH_MSG_TYPE_MAKE_SEND_ONCE:
      if (!(e->type & MACH_PORT_TYPE_RECEIVE)) return KERN_INVALID_RIGHT;
      ++e->port->sorights;
      port_ref(e->port);
      out = RightRef{RightRef::right, MACH_MSG_TYPE_PORT_SEND_ONCE, e->port};
      return KERN_SUCCESS;
    case MACH_MSG_TYPE_MOVE_SEND_ONCE:
      if (e->type & MACH_PORT_TYPE_SEND_ONCE) {
        out = RightRef{RightRef::right, MACH_MSG_TYPE_PORT_SEND_ONCE, e->port};
        e->type = MACH_PORT_TYPE_NONE;
        e->urefs = 0;
        e->port = nullptr;
        return KERN_SUCCESS;
      }
      if (dead) {
        if (--e->urefs == 0) e->type = MACH_PORT_TYPE_NONE;
        out.kind = RightRef::dead_name;
        return KERN_SUCCESS;
      }
      return KERN_INVALID_RIGHT;
    default:
      return KERN_INVALID_VALUE;
  }
}

mach_port_name_t Core::copyout_right(Space* s, RightRef& r) {
  if (r.kind == RightRef::null_name) return MACH_PORT_NULL;
  if (r.kind == RightRef::dead_name) {
    r = RightRef{};
    return MACH_PORT_DEAD;
  }
  Port* p = r.port;
  const mach_msg_type_name_t type = r.type;
  r = RightRef{};
  switch (type) {
    case MACH_MSG_TYPE_PORT_SEND: {
      if (!p->active) {
        // mach_msg.html: "If a message carries a send or send-once right,
        // and the port dies while the message is in transit, then the
        // receiving task will get MACH_PORT_DEAD instead of a right."
        if (p->srights > 0) --p->srights;
        port_unref(p);
        return MACH_PORT_DEAD;
      }
      auto it = s->by_port.find(p);
      if (it != s->by_port.end()) {
        Entry& e = s->entries[it->second - s->base];
        if (e.type & MACH_PORT_TYPE_SEND) {
          // GNU Mach copies message rights out with overflow allowed: the
          // count stops at MACH_PORT_UREFS_MAX - 1 and the extra right is
          // dropped (spec/gnumach-kernel.md section 3f).
          if (e.urefs < kUrefsMax - 1) {
            ++e.urefs;
            --p->srights;  // merged into the right the entry already counts
          } else {
            --p->srights;
          }
        } else {
          e.type |= MACH_PORT_TYPE_SEND;
          e.urefs = 1;
        }
        port_unref(p);  // the entry already holds a reference
        return it->second;
      }
      mach_port_name_t name = alloc_name(s);
      Entry& e = s->entries[name - s->base];
      e.type = MACH_PORT_TYPE_SEND;
      e.urefs = 1;
      e.port = p;
      s->by_port[p] = name;
      return name;
    }
    case MACH_MSG_TYPE_PORT_SEND_ONCE: {
      if (!p->active) {
        if (p->sorights > 0) --p->sorights;
        port_unref(p);
        return MACH_PORT_DEAD;
      }
      mach_port_name_t name = alloc_name(s);
      Entry& e = s->entries[name - s->base];
      e.type = MACH_PORT_TYPE_SEND_ONCE;
      e.urefs = 1;
      e.port = p;
      return name;
    }
    case MACH_MSG_TYPE_PORT_RECEIVE: {
      p->receiver = s;
      p->transit_dest = nullptr;
      auto it = s->by_port.find(p);
      if (it != s->by_port.end()) {
        Entry& e = s->entries[it->second - s->base];
        e.type |= MACH_PORT_TYPE_RECEIVE;
        p->receiver_name = it->second;
        port_unref(p);
        return it->second;
      }
      mach_port_name_t name = alloc_name(s);
      Entry& e = s->entries[name - s->base];
      e.type = MACH_PORT_TYPE_RECEIVE;
      e.port = p;
      s->by_port[p] = name;
      p->receiver_name = name;
      // Messages queued while the right was in transit (a new object's init
      // behind memory_object_copy or memory_object_create) reach the pager
      // now: they are reported as sent to the name it gets, right after the
      // event that gave the pager the right (the dequeue of the message
      // carrying it), so the model knows the receive right first.
      if (observer_ != nullptr && s->is_pager && p->head != nullptr) {
        port_ref(p);
        arrived_.push_back(p);
      }
      return name;
    }
    default:
      port_unref(p);
      return MACH_PORT_NULL;
  }
}

void Core::destroy_right(RightRef& r) {
  if (r.kind != RightRef::right) {
    r = RightRef{};
    return;
  }
  Port* p = r.port;
  const mach_msg_type_name_t type = r.type;
  r = RightRef{};
  switch (type) {
    case MACH_MSG_TYPE_PORT_SEND:
      release_send(p);
      break;
    case MACH_MSG_TYPE_PORT_SEND_ONCE:
      release_send_once(p);
      break;
    case MACH_MSG_TYPE_PORT_RECEIVE:
      destroy_receive(p);
      break;
    default:
      port_unref(p);
  }
}

void Core::release_send(Port* p) {
  if (p->srights > 0) --p->srights;
  if (p->srights == 0 && p->kobject == KObject::pager_proxy) {
    release_proxy(p);
    port_unref(p);
    return;
  }
  // The no-senders notification is generated the moment the last send right
  // goes (GNU Mach ipc_port_release_send).
  if (p->srights == 0 && p->active && p->nsrequest != nullptr) {
    Port* so = p->nsrequest;
    p->nsrequest = nullptr;
    notify_no_senders(so, p->mscount);
  }
  port_unref(p);
}

void Core::release_proxy(Port* p) {
  std::unique_ptr<ProxyRec> rec = std::move(p->proxy);
  p->kobject = KObject::none;
  p->active = false;
  if (rec != nullptr && rec->object != nullptr) release_send(rec->object);
  port_unref(p);  // the kernel's own reference (ipc_port_alloc_kernel)
}

void Core::release_send_once(Port* p) {
  // mach_msg.html: "Each send-once right generated guarantees the receipt of
  // a single message, either a message sent to that send-once right or, if
  // the send-once right is in any way destroyed, a send-once notification."
  if (p->active) {
    notify_send_once(p);  // the notification consumes the right
    return;
  }
  if (p->sorights > 0) --p->sorights;
  port_unref(p);
}

void Core::destroy_receive(Port* p) {
  if (p->pset != nullptr) {
    auto& m = p->pset->members;
    m.erase(std::remove(m.begin(), m.end(), p), m.end());
    p->pset = nullptr;
  }
  p->receiver = nullptr;
  p->receiver_name = MACH_PORT_NULL;
  p->transit_dest = nullptr;
  for (ThreadRec* w : p->waiters)
    if (!w->signalled) wake(w);

  if (p->pdrequest != nullptr) {
    // A port-destroyed request turns destruction into a transfer of the
    // receive right to the requester (GNU Mach ipc_port_destroy).
    Port* so = p->pdrequest;
    p->pdrequest = nullptr;
    p->mscount = 0;
    p->seqno = 0;
    notify_port_destroyed(so, p);  // takes over the caller's reference
    return;
  }

  p->active = false;
  if (p->nsrequest != nullptr) {
    Port* so = p->nsrequest;
    p->nsrequest = nullptr;
    release_send_once(so);
  }
  std::vector<DeadNameRequest> dn;
  dn.swap(p->dnrequests);
  for (const DeadNameRequest& r : dn) notify_dead_name(r.notify, r.name);
  // mach_msg.html: "Any messages queued at the port are destroyed, which
  // de-allocates the port rights and out-of-line memory in the messages."
  while (p->head != nullptr) {
    KMsg* m = p->head;
    p->head = m->next;
    if (p->head == nullptr) p->tail = nullptr;
    --p->msgcount;
    destroy_kmsg(m);
  }
  port_unref(p);
}

void Core::destroy_pset(PortSet* s) {
  s->active = false;
  for (Port* m : s->members) m->pset = nullptr;
  s->members.clear();
  for (ThreadRec* w : s->waiters)
    if (!w->signalled) wake(w);
  pset_unref(s);
}

// ---------------------------------------------------------------------------
// Messages

KMsg* Core::alloc_kmsg() {
  KMsg* m = free_kmsgs_;
  if (m != nullptr) {
    free_kmsgs_ = m->next;
    m->next = nullptr;
    return m;
  }
  return new KMsg();
}

void Core::free_kmsg(KMsg* m) {
  m->data.clear();
  m->dest = RightRef{};
  m->reply = RightRef{};
  m->rights.clear();
  m->items.clear();
  m->ools.clear();
  m->complex = false;
  m->circular = false;
  m->from_pager = false;
  m->observed = false;
  m->sender_dest_name = MACH_PORT_NULL;
  m->info.reset();
  if (m->data.capacity() > 4096) {
    delete m;
    return;
  }
  m->next = free_kmsgs_;
  free_kmsgs_ = m;
}

void Core::destroy_kmsg(KMsg* m) {
  ++stats.messages_destroyed;
  destroy_right(m->dest);
  destroy_right(m->reply);
  for (RightRef& r : m->rights) destroy_right(r);
  free_kmsg(m);
}

namespace {

// True when queueing a message that carries `moved`'s receive right on
// `dest` would make the receive right unreachable (GNU Mach
// ipc_port_check_circularity): dest is moved itself, or dest's receive
// right travels (directly or through a chain of messages) towards moved.
bool circular(Port* moved, Port* dest) {
  for (Port* p = dest; p != nullptr; p = p->transit_dest) {
    if (p == moved) return true;
    if (p->receiver != nullptr || !p->active) return false;
  }
  return false;
}

}  // namespace

KMsg* Core::deliver(KMsg* m) {
  Port* p = m->dest.port;
  if (!p->active) {
    // GNU Mach ipc_mqueue_send: a message sent to a port that died after the
    // copyin is destroyed and the send still succeeds.
    destroy_kmsg(m);
    return nullptr;
  }
  // Kernel objects (task, host, thread, live control and name ports) are
  // served in the sender's thread, never queued (ipc_kobject_server). The
  // control plane clears a control port's kind before terminate moves it.
  if (p->kobject != KObject::none) return m;
  for (RightRef& r : m->rights) {
    if (r.kind == RightRef::right && r.type == MACH_MSG_TYPE_PORT_RECEIVE && circular(r.port, p)) {
      m->circular = true;
    }
  }
  if (m->circular) {
    destroy_kmsg(m);
    return nullptr;
  }
  for (RightRef& r : m->rights)
    if (r.kind == RightRef::right && r.type == MACH_MSG_TYPE_PORT_RECEIVE) r.port->transit_dest = p;

  m->serial = msg_serial++;
  m->next = nullptr;
  if (p->tail != nullptr) {
    p->tail->next = m;
  } else {
    p->head = m;
  }
  p->tail = m;
  ++p->msgcount;
  ++stats.messages_sent;

  if (observer_ != nullptr && p->receiver != nullptr && p->receiver->is_pager) observe_sent(p, m);

  for (ThreadRec* w : p->waiters) {
    if (!w->signalled) {
      wake(w);
      return nullptr;
    }
  }
  if (p->pset != nullptr) {
    for (ThreadRec* w : p->pset->waiters) {
      if (!w->signalled) {
        wake(w);
        break;
      }
    }
  }
  return nullptr;
}

void Core::observe_sent(Port* p, KMsg* m) {
  m->observed = true;
  emmi::model::KernelSent ev;
  ev.kind = m->from_pager ? emmi::model::MessageKind::other : kind_of(m->id());
  ev.destination = p->receiver_name;
  if (m->info) {
    ev.kernel = m->info->kernel;
    ev.object = m->info->object;
    ev.offset = m->info->offset;
    ev.length = m->info->length;
    ev.access = m->info->access;
    ev.dirty = m->info->dirty;
    ev.kernel_copy = m->info->kernel_copy;
    ev.stamps = m->info->stamps;
    ev.sync_flags = m->info->sync_flags;
    ev.flavor = m->info->flavor;
    ev.copy_object = m->info->copy_object;
    ev.resident = m->info->resident;
  }
  emit(std::move(ev));
}

emmi::model::MessageKind Core::kind_of(mach_msg_id_t id) {
  using emmi::model::MessageKind;
  switch (id) {
    case 2200: return MessageKind::init;
    case 2201: return MessageKind::terminate;
    case 2203: return MessageKind::data_request;
    case 2204: return MessageKind::data_unlock;
    case 2206: return MessageKind::lock_completed;
    case 2207: return MessageKind::supply_completed;
    case 2208: return MessageKind::data_return;
    case 2209: return MessageKind::change_completed;
    case 2202: return MessageKind::copy;
    case 2250: return MessageKind::create;
    case 2251: return MessageKind::data_initialize;
    case MACH_NOTIFY_NO_SENDERS: return MessageKind::no_senders;
    case MACH_NOTIFY_SEND_ONCE: return MessageKind::send_once;
    case MACH_NOTIFY_DEAD_NAME: return MessageKind::dead_name;
    case MACH_NOTIFY_PORT_DESTROYED: return MessageKind::port_destroyed;
    // The OSF dialect (defs/osf/osf_memory_object.defs, subsystem 3400): the
    // routines GNU Mach also has keep its offsets.
    case 3400: return MessageKind::init;
    case 3401: return MessageKind::terminate;
    case 3403: return MessageKind::data_request;
    case 3404: return MessageKind::data_unlock;
    case 3406: return MessageKind::lock_completed;
    case 3407: return MessageKind::supply_completed;
    case 3408: return MessageKind::data_return;
    case 3409: return MessageKind::change_completed;
    case 3410: return MessageKind::synchronize;
    case kForeignMessageId: return MessageKind::foreign;
    default: return MessageKind::other;
  }
}

namespace {

// The notification messages are built the way GNU Mach's ipc_notify.c builds
// them: the structures of <mach/notify.h>, sent to a send-once right.
template <typename T>
KMsg* notification(Core& core, Port* so, mach_msg_id_t id, T** body) {
  KMsg* m = core.alloc_kmsg();
  m->data.assign(sizeof(T), 0);
  auto* h = reinterpret_cast<mach_msg_header_t*>(m->data.data());
  h->msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_PORT_SEND_ONCE, 0);
  h->msgh_size = sizeof(T);
  h->msgh_id = id;
  h->msgh_seqno = 0;
  m->dest = RightRef{RightRef::right, MACH_MSG_TYPE_PORT_SEND_ONCE, so};
  *body = reinterpret_cast<T*>(m->data.data());
  return m;
}

void post(Core& core, KMsg* m) {
  if (KMsg* k = core.deliver(m)) core.destroy_kmsg(k);  // never served by a kernel object
}

}  // namespace

void Core::notify_no_senders(Port* so, mach_port_mscount_t mscount) {
  mach_no_senders_notification_t* n;
  KMsg* m = notification(*this, so, MACH_NOTIFY_NO_SENDERS, &n);
  n->not_type = mach_msg_type_t{MACH_MSG_TYPE_INTEGER_32, 32, 1, TRUE, FALSE, FALSE, 0};
  n->not_count = mscount;
  post(*this, m);
}

void Core::notify_send_once(Port* so) {
  mach_send_once_notification_t* n;
  KMsg* m = notification(*this, so, MACH_NOTIFY_SEND_ONCE, &n);
  (void)n;
  post(*this, m);
}

void Core::notify_dead_name(Port* so, mach_port_name_t name) {
  mach_dead_name_notification_t* n;
  KMsg* m = notification(*this, so, MACH_NOTIFY_DEAD_NAME, &n);
  n->not_type = mach_msg_type_t{MACH_MSG_TYPE_PORT_NAME, 32, 1, TRUE, FALSE, FALSE, 0};
  n->not_port = name;
  post(*this, m);
}

void Core::notify_port_destroyed(Port* so, Port* receive) {
  mach_port_destroyed_notification_t* n;
  KMsg* m = notification(*this, so, MACH_NOTIFY_PORT_DESTROYED, &n);
  n->not_header.msgh_bits |= MACH_MSGH_BITS_COMPLEX;
  n->not_type = mach_msg_type_t{MACH_MSG_TYPE_PORT_RECEIVE, 32, 1, TRUE, FALSE, FALSE, 0};
  n->not_port = MACH_PORT_NULL;
  m->complex = true;
  m->rights.push_back(RightRef{RightRef::right, MACH_MSG_TYPE_PORT_RECEIVE, receive});
  Item it;
  it.type_offset = offsetof(mach_port_destroyed_notification_t, not_type);
  it.data_offset = offsetof(mach_port_destroyed_notification_t, not_port);
  it.name = MACH_MSG_TYPE_PORT_RECEIVE;
  it.number = 1;
  it.is_port = true;
  it.first_right = 0;
  m->items.push_back(it);
  post(*this, m);
}

void Core::serve_kobject(KMsg* m) {
  Lock lk(*this);
  Port* p = m->dest.port;
  const KObject kind = p->kobject;
  const std::uint64_t cookie = p->kcookie;
  KObjectServer* server = kserver;
  if ((kind == KObject::control || kind == KObject::name) && server != nullptr) {
    lk.unlock();
    // The control plane is the kernel's code: its locks are no scheduling
    // points of the pager thread that called.
    sched::Internal internal;
    server->serve(m, kind, cookie);
    return;
  }
  // Task, host and thread ports: the simulation serves those calls as
  // direct functions, not messages. Like ipc_kobject_server for an unknown
  // routine: reply MIG_BAD_ID when there is a reply right, destroy the rest.
  RightRef reply = m->reply;
  m->reply = RightRef{};
  const mach_msg_id_t id = m->id();
  destroy_kmsg(m);
  if (reply.kind == RightRef::right) {
    KMsg* r = alloc_kmsg();
    r->data.assign(sizeof(mig_reply_header_t), 0);
    auto* out = reinterpret_cast<mig_reply_header_t*>(r->data.data());
    out->Head.msgh_bits = MACH_MSGH_BITS(reply.type, 0);
    out->Head.msgh_size = sizeof(mig_reply_header_t);
    out->Head.msgh_id = id + 100;
    out->RetCodeType = mach_msg_type_t{MACH_MSG_TYPE_INTEGER_32, 32, 1, TRUE, FALSE, FALSE, 0};
    out->RetCode = MIG_BAD_ID;
    r->dest = reply;
    post(*this, r);
  }
}

// ---------------------------------------------------------------------------
// Observation and quiescence

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

void Core::thread_blocks(ThreadRec* t) {
  if (t->counted && t->running) {
    t->running = false;
    --running_pager_threads;
    // Wake the waiters only when this block makes the pager quiescent: with
    // several server threads, every other block would wake them for nothing.
    if (quiescence_waiters > 0 && quiescent_locked()) quiescent_cv.notify_all();
  }
}

void Core::thread_unblocks(ThreadRec* t) {
  if (t->counted && !t->running) {
    t->running = true;
    ++running_pager_threads;
  }
}

bool Core::quiescent_locked() {
  if (running_pager_threads != 0) return false;
  // A thread still starting might yet receive what sits on a pager port
  // that no blocked thread waits on; with nothing pending it cannot matter
  // (and a thread the pager started that never calls in cannot hold the
  // step open forever).
  if (starting_pager_threads != 0)
    for (Port* p : all_ports)
      if (p->head != nullptr && p->receiver == pager_) return false;
  for (ThreadRec& t : threads) {
    if (!t.counted || t.exited) continue;
    if (t.wait_port != nullptr && t.wait_port->head != nullptr) return false;
    if (t.wait_set != nullptr)
      for (Port* m : t.wait_set->members)
        if (m->head != nullptr) return false;
  }
  return true;
}

bool Core::wait_quiescent(std::chrono::steady_clock::time_point deadline) {
  Lock lk(*this);
  ++quiescence_waiters;
  bool ok = quiescent_cv.wait_until(lk.raw(), deadline, [&] { return quiescent_locked(); });
  --quiescence_waiters;

  return ok;
}

}  // namespace emmi::mach::detail

// ---------------------------------------------------------------------------
// Public C++ interface

namespace emmi::mach {

using detail::Core;

Kernel::Kernel() : core_(std::make_shared<Core>()) { install(); }

Kernel::~Kernel() {
  std::lock_guard<std::mutex> g(detail::g_install_mutex);
  if (detail::g_kernel.load() == this) {
    detail::g_kernel.store(nullptr);
    detail::g_core.store(nullptr);
    detail::g_core_shared.reset();
    detail::g_epoch.fetch_add(1);
  }
}

void Kernel::install() {
  std::lock_guard<std::mutex> g(detail::g_install_mutex);
  detail::g_core_shared = core_;
  detail::g_core.store(core_.get(), std::memory_order_release);
  detail::g_kernel.store(this);
  detail::g_epoch.store(core_->epoch);
}

Kernel* Kernel::installed() { return detail::g_kernel.load(); }

std::uint64_t Kernel::installed_epoch() { return detail::g_epoch.load(std::memory_order_acquire); }

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

void Kernel::set_schedule_hook(ScheduleHook hook, void* context) {
  core_->set_hook(hook, context);
}

emmi::model::ThreadId Kernel::current_thread_id() { return core_->thread()->id; }

bool Kernel::wait_quiescent(std::chrono::steady_clock::time_point deadline) {
  return core_->wait_quiescent(deadline);
}

Kernel::Stats Kernel::stats() const {
  Core::Lock lk(*core_);
  Stats s = core_->stats;
  s.ports_alive = core_->ports_alive;
  std::uint64_t mapped = 0;
  for (auto& [addr, r] : core_->vm)
    if (r.whole_id != 0) ++mapped;
  s.ool_regions_mapped = core_->ool_pages_left.size();
  (void)mapped;
  std::uint32_t n = 0;
  for (auto& t : core_->threads)
    if (t.counted && !t.exited) ++n;
  s.pager_threads = n;
  return s;
}

}  // namespace emmi::mach
