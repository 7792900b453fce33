// SPDX-License-Identifier: MIT
// Kernel actions on the simulated kernel; see kernel_actions.h.
#include "kernel_actions.h"

namespace emmi::engine {

void SimulatedKernelActions::execute(const Command& c) {
  if (const CommandSpec* spec = find_spec(c.kind)) spec->run(c, *this);
}

void SimulatedKernelActions::map(std::size_t k, std::size_t o) {
  if (valid(k, o) && !d_.mapped(kernels_[k], objects_[o])) d_.map(kernels_[k], objects_[o]);
}

void SimulatedKernelActions::unmap(std::size_t k, std::size_t o) {
  if (valid(k, o) && d_.mapped(kernels_[k], objects_[o])) d_.unmap(kernels_[k], objects_[o]);
}

std::optional<SimulatedKernelActions::PageAt> SimulatedKernelActions::page_at(
    std::size_t kernel, std::size_t object, std::uint16_t page) const {
  if (!valid(kernel, object)) return std::nullopt;
  return PageAt{kernels_[kernel], objects_[object],
                model::Offset(page) * world_.kernel_page_sizes[kernel]};
}

void SimulatedKernelActions::fault(std::size_t kernel, std::size_t object, std::uint16_t page,
                                   bool write) {
  const auto at = page_at(kernel, object, page);
  // A conforming kernel faults only on a ready object, and only for a page
  // it neither holds nor already waits for.
  if (!at || !d_.ready(at->kernel, at->object) || d_.page(at->kernel, at->object, at->offset)) return;
  d_.fault(at->kernel, at->object, at->offset, write ? (VM_PROT_READ | VM_PROT_WRITE) : VM_PROT_READ);
}

void SimulatedKernelActions::evict(std::size_t kernel, std::size_t object, std::uint16_t page,
                                   bool dirty) {
  const auto at = page_at(kernel, object, page);
  if (!at) return;
  auto held = d_.page(at->kernel, at->object, at->offset);
  if (!held || held->state != mach::KernelDriver::PageState::resident) return;
  // A dirty eviction writes the page first, unless its lock forbids
  // writing: then it returns the page as it is (no write ever dirties a
  // write-locked page).
  if (dirty && (held->lock & VM_PROT_WRITE) == 0 && !held->pending_write) {
    d_.write(at->kernel, at->object, at->offset, fresh_stamps(held->stamps.size()));
    held = d_.page(at->kernel, at->object, at->offset);
  }
  d_.return_data(at->kernel, at->object, at->offset, held->stamps, held->dirty, false);
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
  const auto at = page_at(kernel, object, page);
  if (!at) return;
  auto held = d_.page(at->kernel, at->object, at->offset);
  if (!held || held->state != mach::KernelDriver::PageState::resident) return;
  d_.write(at->kernel, at->object, at->offset, fresh_stamps(held->stamps.size()));
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

// OSF: a conforming kernel syncs only a ready object, and never a range a
// synchronize still waits for (SY4): the driver refuses those, and the
// command does nothing then.
void SimulatedKernelActions::synchronize(std::size_t kernel, std::size_t object,
                                         std::uint16_t page, std::int32_t sync_flags) {
  const auto at = page_at(kernel, object, page);
  if (!at || !d_.ready(at->kernel, at->object)) return;
  (void)d_.synchronize(at->kernel, at->object, at->offset, world_.kernel_page_sizes[kernel],
                       sync_flags);
}

void SimulatedKernelActions::stray(std::size_t o) {
  if (o >= objects_.size()) return;
  if (!stranger_) {
    stranger_ = kernel_.create_task("stranger");
    pager_task_ = kernel_.task_port_in(*stranger_, kernel_.pager_task());
  }
  mach::Kernel::TaskScope as_stranger(kernel_, *stranger_);
  mach_port_t send = MACH_PORT_NULL;
  mach_msg_type_name_t type = 0;
  if (mach_port_extract_right(pager_task_, d_.pager_port(objects_[o]), MACH_MSG_TYPE_MAKE_SEND,
                              &send, &type) != KERN_SUCCESS)
    return;
  mach_msg_header_t h{};
  h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND, 0);
  h.msgh_size = sizeof h;
  h.msgh_remote_port = send;
  h.msgh_local_port = MACH_PORT_NULL;
  h.msgh_id = kStrayMessageId;
  mach_msg(&h, MACH_SEND_MSG, sizeof h, 0, MACH_PORT_NULL, MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
}

}  // namespace emmi::engine
