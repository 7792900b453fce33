// SPDX-License-Identifier: MIT
// Command execution: the kernel actions commands are made of
// (KernelActions, properties/state_machine's command_specs.h), played on the
// simulated kernel through its mach::KernelDriver. What a command does is its
// entry in the command table; this is only how each action reaches the
// kernel.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "emmi/engine/profile.h"
#include "emmi/mach/kernel.h"
#include "emmi/mach/kernel_driver.h"
#include "emmi/model/default_pager.h"
#include "emmi/model/model.h"
#include "emmi/properties/command_specs.h"

namespace emmi::engine {

// The kernel actions of the command table on the simulated kernel.
class SimulatedKernelActions final : public properties::KernelActions {
 public:
  SimulatedKernelActions(mach::Kernel& kernel, mach::KernelDriver& driver, const World& world,
                         std::vector<model::KernelId> kernels, std::vector<model::ObjectId> objects)
      : kernel_(kernel),
        d_(driver),
        world_(world),
        kernels_(std::move(kernels)),
        objects_(std::move(objects)) {}

  // Runs `c` (its entry in the command table).
  void execute(const properties::Command& c);

  void map(std::size_t k, std::size_t o) override;
  void unmap(std::size_t k, std::size_t o) override;
  void collect(std::size_t k, std::size_t o) override;
  void fault(std::size_t kernel, std::size_t object, std::uint16_t page, bool write) override;
  void evict(std::size_t kernel, std::size_t object, std::uint16_t page, bool dirty) override;
  // An unrelated task, holding a send right to the object made from the
  // pager's receive right, sends a message no EMMI interface defines.
  void stray(std::size_t o) override;
  void write(std::size_t kernel, std::size_t object, std::uint16_t page) override;
  void retry(std::size_t kernel, std::size_t object, std::uint16_t page) override;

  // The default memory manager: temporary objects in creation order (0
  // where the kernel could not create one, so that later indices still
  // match the generator's).
  void create_temporary(std::size_t kernel) override;
  void temporary_fault(std::size_t t, std::uint16_t page, bool write) override;
  void temporary_page_out(std::size_t t, std::uint16_t page, bool dirty, bool initialize) override;
  void temporary_terminate(std::size_t t) override;
  // The unrelated task, given a send right to the default memory manager
  // port, sends memory_object_data_request there (its own port as control).
  void manager_stray() override;
  void default_pager_call(std::uint16_t call) override;
  // The replies to the client's default_pager.defs calls that came, each
  // given to `sink`; with `final`, the calls still unanswered too (the case
  // is over: no reply will come).
  void collect_answers(const std::function<void(const model::DefaultPagerAnswer&)>& sink,
                       bool final = false);

  // The pager's own actions: converted to bytes and handed to the hook
  // child_main installs, which calls the pager's function (a no-op without
  // a hook or for an object the case does not have).
  using PagerActionHook = std::function<void(const model::PagerAction&)>;
  void set_pager_action_hook(PagerActionHook hook) { pager_action_ = std::move(hook); }
  void pager_sync(std::size_t object, std::uint16_t first, std::uint16_t units) override;
  void pager_flush(std::size_t object, std::uint16_t first, std::uint16_t units) override;
  void pager_change_attributes(std::size_t object, bool may_cache, int copy_strategy) override;
  void pager_shutdown(std::size_t object) override;
  void synchronize(std::size_t kernel, std::size_t object, std::uint16_t page,
                   std::int32_t sync_flags) override;
  void synchronize_object(std::size_t kernel, std::size_t object, std::int32_t sync_flags) override;
  // Copies in the order the commands made them (0 where the kernel made
  // none: the object was not COPY_CALL), so later indices still match.
  void copy(std::size_t kernel, std::size_t object, std::uint16_t first,
            std::uint16_t pages) override;
  void copy_fault(std::size_t copy, std::uint16_t page, bool write) override;
  void copy_write(std::size_t copy, std::uint16_t page) override;
  void copy_unmap(std::size_t copy) override;

 private:
  struct Copy {
    std::size_t kernel;
    model::ObjectId object;  // the driver's id; 0: not made
  };
  std::vector<Copy> copies_;
  struct Temporary {
    std::size_t kernel;
    model::ObjectId object;  // the driver's id; 0: not created
  };

  bool valid(std::size_t k, std::size_t o) const {
    return k < kernels_.size() && o < objects_.size();
  }
  // Mapped by a task (ready and not in the object cache).
  bool in_use(model::KernelId k, model::ObjectId o) const;
  // The kernel's and the object's IDs and the page's offset, for a kernel
  // and an object the case has.
  struct PageAt {
    model::KernelId kernel;
    model::ObjectId object;
    model::Offset offset;
  };
  std::optional<PageAt> page_at(std::size_t kernel, std::size_t object, std::uint16_t page) const;
  // Page `page` of copy `copy`, when the kernel made it and still maps it.
  std::optional<PageAt> copy_page_at(std::size_t copy, std::uint16_t page) const;
  // A fault on / a write to the page at `at` (of an object or of a copy),
  // when a conforming kernel may make it there.
  void fault_at(const std::optional<PageAt>& at, bool write);
  void write_at(const std::optional<PageAt>& at);

  // Outside every subsystem a pager serves (memory_object 2200.., notify 64..).
  static constexpr mach_msg_id_t kStrayMessageId = mach::kForeignMessageId;
  static constexpr model::Stamp kFreshStampTag = 0x4000'0000'0000'0000ull;
  mach::Kernel& kernel_;
  // The unrelated task (made on first use) and its name for the pager task.
  void meet_stranger();
  std::optional<mach::TaskId> stranger_;
  // The client's calls waiting for their reply, and the name ports objects
  // answers gave it (for object_pages).
  struct PendingCall {
    mach::KernelDriver::DefaultPagerCall call;
    mach_port_t reply;
  };
  std::vector<PendingCall> pending_calls_;
  std::vector<mach_port_t> object_names_;
  mach_port_t client_manager_ = MACH_PORT_NULL;
  unsigned pager_task_ = 0;
  mach::KernelDriver& d_;
  const World& world_;
  std::vector<model::KernelId> kernels_;
  std::vector<model::ObjectId> objects_;
  std::vector<Temporary> temporaries_;
  std::vector<model::Stamp> fresh_stamps(std::size_t n);
  std::uint64_t writes_ = 0;
  PagerActionHook pager_action_;
  void pager_range(model::PagerActionKind kind, std::size_t object, std::uint16_t first,
                   std::uint16_t units);
};

}  // namespace emmi::engine