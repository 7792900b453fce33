// SPDX-License-Identifier: MIT
// Kernel actions on the simulated kernel; see kernel_actions.h.
#include "kernel_actions.h"

#include <algorithm>

namespace emmi::engine {

void SimulatedKernelActions::execute(const properties::Command& c) {
  if (const properties::CommandSpec* spec = properties::find_spec(c.kind)) spec->run(c, *this);
}

// A cached object is mapped again without an init; unmapping may cache it
// (KernelDriver::unmap).
void SimulatedKernelActions::map(std::size_t k, std::size_t o) {
  if (valid(k, o) && (!d_.mapped(kernels_[k], objects_[o]) || d_.cached(kernels_[k], objects_[o])))
    d_.map(kernels_[k], objects_[o]);
}

void SimulatedKernelActions::unmap(std::size_t k, std::size_t o) {
  if (valid(k, o) && d_.mapped(kernels_[k], objects_[o]) && !d_.cached(kernels_[k], objects_[o]))
    d_.unmap(kernels_[k], objects_[o]);
}

void SimulatedKernelActions::collect(std::size_t k, std::size_t o) {
  if (valid(k, o) && d_.cached(kernels_[k], objects_[o])) d_.collect(kernels_[k], objects_[o]);
}

// No task maps a cached object: nothing faults on it or writes to it.
// Nor one kept only for the copies that shadow it.
bool SimulatedKernelActions::in_use(model::KernelId k, model::ObjectId o) const {
  return d_.ready(k, o) && !d_.cached(k, o) && !d_.kept(k, o);
}

std::optional<SimulatedKernelActions::PageAt> SimulatedKernelActions::page_at(
    std::size_t kernel, std::size_t object, std::uint16_t page) const {
  if (!valid(kernel, object)) return std::nullopt;
  return PageAt{kernels_[kernel], objects_[object],
                model::Offset(page) * world_.kernel_page_sizes[kernel]};
}

void SimulatedKernelActions::fault(std::size_t kernel, std::size_t object, std::uint16_t page,
                                   bool write) {
  fault_at(page_at(kernel, object, page), write);
}

void SimulatedKernelActions::fault_at(const std::optional<PageAt>& at, bool write) {
  // A conforming kernel faults only on a ready object, and only for a page
  // it neither holds nor already waits for (a page whose last request
  // failed with data_error is neither: the fault is a retry, ER2).
  if (!at || !in_use(at->kernel, at->object)) return;
  if (auto held = d_.page(at->kernel, at->object, at->offset);
      held && held->state != mach::KernelDriver::PageState::error)
    return;
  d_.fault(at->kernel, at->object, at->offset,
           write ? (VM_PROT_READ | VM_PROT_WRITE) : VM_PROT_READ);
}

void SimulatedKernelActions::evict(std::size_t kernel, std::size_t object, std::uint16_t page,
                                   bool dirty) {
  const auto at = page_at(kernel, object, page);
  if (!at) return;
  auto held = d_.page(at->kernel, at->object, at->offset);
  if (!held || held->state != mach::KernelDriver::PageState::resident) return;
  // A dirty eviction writes the page first, unless its lock forbids
  // writing (no write ever dirties a write-locked page). Then the pageout
  // daemon takes it as GNU Mach's does: a dirty or precious page comes back
  // in a data_return, a clean one that is not precious is dropped silently
  // (RT3) and faulted in again later (gnumach-kernel.md §3c).
  if (dirty && (held->lock & VM_PROT_WRITE) == 0 && !held->pending_write)
    d_.write(at->kernel, at->object, at->offset, fresh_stamps(held->stamps.size()));
  (void)d_.evict(at->kernel, at->object, at->offset);
}

// Data integrity oracle: every write the kernel returns is unique.
std::vector<model::Stamp> SimulatedKernelActions::fresh_stamps(std::size_t n) {
  std::vector<model::Stamp> stamps(n);
  for (auto& s : stamps) s = kFreshStampTag | ++writes_;
  return stamps;
}

// The kernel writes a resident page; on a write-locked page the write waits
// for the pager (data_unlock).
void SimulatedKernelActions::write(std::size_t kernel, std::size_t object, std::uint16_t page) {
  write_at(page_at(kernel, object, page));
}

void SimulatedKernelActions::write_at(const std::optional<PageAt>& at) {
  if (!at) return;
  auto held = d_.page(at->kernel, at->object, at->offset);
  if (!held || held->state != mach::KernelDriver::PageState::resident) return;
  d_.write(at->kernel, at->object, at->offset, fresh_stamps(held->stamps.size()));
}

// A client retries a fault that failed (gnumach-kernel.md §3e, data_error:
// the fault got a memory error): the page is requested again with the
// access the failed fault asked for.
void SimulatedKernelActions::retry(std::size_t kernel, std::size_t object, std::uint16_t page) {
  const auto at = page_at(kernel, object, page);
  if (!at || !in_use(at->kernel, at->object)) return;
  auto held = d_.page(at->kernel, at->object, at->offset);
  if (!held || held->state != mach::KernelDriver::PageState::error) return;
  d_.fault(at->kernel, at->object, at->offset, held->requested_access);
}

// --- Copies of COPY_CALL objects -------------------------------------------------

void SimulatedKernelActions::copy(std::size_t kernel, std::size_t object, std::uint16_t first,
                                  std::uint16_t pages) {
  model::ObjectId made = 0;
  if (valid(kernel, object) && in_use(kernels_[kernel], objects_[object])) {
    const auto ps = world_.kernel_page_sizes[kernel];
    made = d_.copy(kernels_[kernel], objects_[object], model::Offset(first) * ps,
                   model::Size(pages) * ps);
  }
  copies_.push_back({kernel, made});
}

std::optional<SimulatedKernelActions::PageAt> SimulatedKernelActions::copy_page_at(
    std::size_t copy, std::uint16_t page) const {
  if (copy >= copies_.size() || copies_[copy].object == 0) return std::nullopt;
  const auto [kernel, o] = copies_[copy];
  if (!in_use(kernels_[kernel], o)) return std::nullopt;
  return PageAt{kernels_[kernel], o, model::Offset(page) * world_.kernel_page_sizes[kernel]};
}

void SimulatedKernelActions::copy_fault(std::size_t copy, std::uint16_t page, bool write) {
  fault_at(copy_page_at(copy, page), write);
}

void SimulatedKernelActions::copy_write(std::size_t copy, std::uint16_t page) {
  write_at(copy_page_at(copy, page));
}

void SimulatedKernelActions::copy_unmap(std::size_t copy) {
  if (copy >= copies_.size() || copies_[copy].object == 0) return;
  const auto [kernel, o] = copies_[copy];
  if (d_.mapped(kernels_[kernel], o) && !d_.cached(kernels_[kernel], o))
    d_.unmap(kernels_[kernel], o);
}

void SimulatedKernelActions::create_temporary(std::size_t kernel) {
  if (kernel >= kernels_.size()) return;
  temporaries_.push_back({kernel, d_.create_temporary(kernels_[kernel], world_.object_size)});
}

void SimulatedKernelActions::temporary_fault(std::size_t t, std::uint16_t page, bool write) {
  if (t >= temporaries_.size() || temporaries_[t].object == 0) return;
  const auto [kernel, o] = temporaries_[t];
  const auto k = kernels_[kernel];
  const model::Offset offset = model::Offset(page) * world_.kernel_page_sizes[kernel];
  if (offset >= world_.object_size || d_.page(k, o, offset)) return;
  d_.fault(k, o, offset, write ? (VM_PROT_READ | VM_PROT_WRITE) : VM_PROT_READ);
}

// Pageout of a temporary object's page: data_initialize the first time,
// data_return later (the driver knows which), written first if `dirty` as
// an eviction is (never through a lock that forbids writing).
void SimulatedKernelActions::temporary_page_out(std::size_t t, std::uint16_t page, bool dirty,
                                                bool initialize) {
  if (t >= temporaries_.size() || temporaries_[t].object == 0) return;
  const auto [kernel, o] = temporaries_[t];
  const auto k = kernels_[kernel];
  const model::Offset offset = model::Offset(page) * world_.kernel_page_sizes[kernel];
  auto held = d_.page(k, o, offset);
  if (!held || held->state != mach::KernelDriver::PageState::resident) return;
  if (dirty && (held->lock & VM_PROT_WRITE) == 0 && !held->pending_write)
    d_.write(k, o, offset, fresh_stamps(held->stamps.size()));
  d_.page_out(k, o, offset, initialize);
}

void SimulatedKernelActions::pager_range(model::PagerActionKind kind, std::size_t object,
                                         std::uint16_t first, std::uint16_t units) {
  if (!pager_action_ || object >= objects_.size()) return;
  std::uint64_t unit = 0;
  for (auto ps : world_.kernel_page_sizes) unit = std::max<std::uint64_t>(unit, ps);
  model::PagerAction a;
  a.kind = kind;
  a.object = static_cast<model::ObjectId>(object);
  a.offset = first * unit;
  a.length = std::min<std::uint64_t>(units * unit,
                                     world_.object_size - std::min(a.offset, world_.object_size));
  pager_action_(a);
}

void SimulatedKernelActions::pager_sync(std::size_t object, std::uint16_t first,
                                        std::uint16_t units) {
  pager_range(model::PagerActionKind::sync, object, first, units);
}

void SimulatedKernelActions::pager_flush(std::size_t object, std::uint16_t first,
                                         std::uint16_t units) {
  pager_range(model::PagerActionKind::flush, object, first, units);
}

void SimulatedKernelActions::pager_change_attributes(std::size_t object, bool may_cache,
                                                     int copy_strategy) {
  if (!pager_action_ || object >= objects_.size()) return;
  model::PagerAction a;
  a.kind = model::PagerActionKind::change_attributes;
  a.object = static_cast<model::ObjectId>(object);
  a.may_cache = may_cache;
  a.copy_strategy = copy_strategy;
  pager_action_(a);
}

void SimulatedKernelActions::pager_shutdown(std::size_t object) {
  if (!pager_action_ || object >= objects_.size()) return;
  model::PagerAction a;
  a.kind = model::PagerActionKind::shutdown;
  a.object = static_cast<model::ObjectId>(object);
  a.length = world_.object_size;
  pager_action_(a);
}

// OSF: a conforming kernel syncs only a ready object, and never a range a
// synchronize still waits for (SY4): the driver refuses those, and the
// command does nothing then.
void SimulatedKernelActions::synchronize(std::size_t kernel, std::size_t object, std::uint16_t page,
                                         std::int32_t sync_flags) {
  const auto at = page_at(kernel, object, page);
  if (!at || !in_use(at->kernel, at->object)) return;
  (void)d_.synchronize(at->kernel, at->object, at->offset, world_.kernel_page_sizes[kernel],
                       sync_flags);
}

void SimulatedKernelActions::synchronize_object(std::size_t kernel, std::size_t object,
                                                std::int32_t sync_flags) {
  const auto at = page_at(kernel, object, 0);
  if (!at || !in_use(at->kernel, at->object)) return;
  (void)d_.synchronize(at->kernel, at->object, 0, world_.object_size, sync_flags);
}

void SimulatedKernelActions::meet_stranger() {
  if (!stranger_) {
    stranger_ = kernel_.create_task("stranger");
    pager_task_ = kernel_.task_port_in(*stranger_, kernel_.pager_task());
  }
}

void SimulatedKernelActions::temporary_terminate(std::size_t t) {
  if (t >= temporaries_.size() || temporaries_[t].object == 0) return;
  const auto [kernel, o] = temporaries_[t];
  if (!d_.mapped(kernels_[kernel], o)) return;
  d_.destroy_temporary(kernels_[kernel], o);
}

void SimulatedKernelActions::manager_stray() {
  const mach_port_t manager = d_.default_manager_port();
  if (!MACH_PORT_VALID(manager)) return;
  meet_stranger();
  mach::Kernel::TaskScope as_stranger(kernel_, *stranger_);
  mach_port_t send = MACH_PORT_NULL, control = MACH_PORT_NULL;
  mach_msg_type_name_t type = 0;
  if (mach_port_extract_right(pager_task_, manager, MACH_MSG_TYPE_MAKE_SEND, &send, &type) !=
          KERN_SUCCESS ||
      mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &control) != KERN_SUCCESS)
    return;
  // memory_object.defs' stub, as the kernels send it (MOVE_SEND of the
  // request port, MAKE_SEND of control).
  (void)mach::KernelDriver::send_data_request(send, control, 0, world_.kernel_page_sizes.front(),
                                              VM_PROT_READ);
}

void SimulatedKernelActions::default_pager_call(std::uint16_t call) {
  using Call = mach::KernelDriver::DefaultPagerCall;
  if (call > static_cast<std::uint16_t>(Call::paging_file)) return;
  const mach_port_t manager = d_.default_manager_port();
  if (!MACH_PORT_VALID(manager)) return;
  meet_stranger();
  mach::Kernel::TaskScope as_client(kernel_, *stranger_);
  // The client holds a send right to the default memory manager port, as a
  // privileged task that asked vm_set_default_memory_manager would (CR11).
  mach_msg_type_name_t type = 0;
  if (!MACH_PORT_VALID(client_manager_) &&
      mach_port_extract_right(pager_task_, manager, MACH_MSG_TYPE_MAKE_SEND, &client_manager_,
                              &type) != KERN_SUCCESS)
    return;
  const auto which = static_cast<Call>(call);
  const mach_port_t name = object_names_.empty() ? MACH_PORT_NULL : object_names_.front();
  if (which == Call::object_pages && !MACH_PORT_VALID(name)) return;
  mach_port_t reply = MACH_PORT_NULL;
  if (mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &reply) != KERN_SUCCESS) return;
  if (mach::KernelDriver::default_pager_request(which, client_manager_, reply, name,
                                                world_.object_size) != KERN_SUCCESS) {
    (void)mach_port_destroy(mach_task_self(), reply);
    return;
  }
  pending_calls_.push_back({which, reply});
}

void SimulatedKernelActions::collect_answers(
    const std::function<void(const model::DefaultPagerAnswer&)>& sink, bool final) {
  if (pending_calls_.empty() || !stranger_) return;
  using Call = mach::KernelDriver::DefaultPagerCall;
  mach::Kernel::TaskScope as_client(kernel_, *stranger_);
  std::vector<PendingCall> waiting;
  for (const PendingCall& p : pending_calls_) {
    const mach::KernelDriver::DefaultPagerReply r =
        mach::KernelDriver::default_pager_reply(p.call, p.reply);
    if (!r.answered && !final) {
      waiting.push_back(p);
      continue;
    }
    model::DefaultPagerAnswer a;
    a.call = static_cast<model::DefaultPagerAnswer::Call>(p.call);
    a.answered = r.answered;
    a.code = r.code;
    a.object_given = MACH_PORT_VALID(r.object);
    a.object = r.object_in_pager;
    if (p.call == Call::objects)
      for (mach_port_t n : r.names) object_names_.push_back(n);
    sink(a);
    (void)mach_port_destroy(mach_task_self(), p.reply);
  }
  pending_calls_ = std::move(waiting);
}

void SimulatedKernelActions::stray(std::size_t o) {
  if (o >= objects_.size()) return;
  meet_stranger();
  mach::Kernel::TaskScope as_stranger(kernel_, *stranger_);
  mach_port_t send = MACH_PORT_NULL, carried = MACH_PORT_NULL;
  mach_msg_type_name_t type = 0;
  if (mach_port_extract_right(pager_task_, d_.pager_port(objects_[o]), MACH_MSG_TYPE_MAKE_SEND,
                              &send, &type) != KERN_SUCCESS)
    return;
  // The message carries a send right to a port of the stranger's (a fresh
  // one each time), as a request of some other interface would: a demux
  // that refuses the message makes mach_msg_server destroy it with that
  // right (V2); a receive loop of the pager's own must destroy it itself.
  if (mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &carried) != KERN_SUCCESS)
    carried = MACH_PORT_NULL;
  struct {
    mach_msg_header_t head;
    mach_msg_type_t port_type;
    std::uint32_t port;
  } msg{};
  static_assert(sizeof msg.port == sizeof(mach_port_name_t));
  msg.head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
  msg.head.msgh_size = sizeof msg;
  msg.head.msgh_remote_port = send;
  msg.head.msgh_local_port = MACH_PORT_NULL;
  msg.head.msgh_id = kStrayMessageId;
  msg.port_type.msgt_name = MACH_MSG_TYPE_MAKE_SEND;
  msg.port_type.msgt_size = 32;
  msg.port_type.msgt_number = 1;
  msg.port_type.msgt_inline = TRUE;
  msg.port_type.msgt_longform = FALSE;
  msg.port_type.msgt_deallocate = FALSE;
  msg.port = carried;
  mach_msg(&msg.head, MACH_SEND_MSG, sizeof msg, 0, MACH_PORT_NULL, MACH_MSG_TIMEOUT_NONE,
           MACH_PORT_NULL);
}

}  // namespace emmi::engine
