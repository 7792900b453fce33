// SPDX-License-Identifier: MIT
// One CommandSpec per kind of kernel command, all in one table: its name and
// description, its precondition on the generator's abstract state, its
// update of that state, how the generator offers it, and how it runs against
// a kernel. (RapidCheck's state::Command keeps the same four things together
// for one command object; here they are kept together per command kind.)
//
// Adding a kernel command is one CommandKind value (command.h) and one entry
// in the table (command_specs.cpp). The replay-token decoder accepts exactly
// the kinds the table holds.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "emmi/properties/command.h"
#include "emmi/properties/generator.h"

namespace emmi::properties {

// What a command needs of the kernel it runs on. Kernels and objects are the
// case's indices (Command::kernel, Command::object); pages are in units of
// that kernel's page size. Every action is one a conforming kernel may take
// in the kernel's current state: an implementation does nothing when the
// kernel is not in that state (a page already held, an object not mapped).
class KernelActions {
 public:
  virtual ~KernelActions() = default;
  // memory_object_init from `kernel` on `object`, if it is not mapped there.
  virtual void map(std::size_t kernel, std::size_t object) = 0;
  // The last mapping goes, if it is mapped there: memory_object_terminate,
  // or nothing when the kernel keeps the object in its cache (may_cache).
  virtual void unmap(std::size_t kernel, std::size_t object) = 0;
  // A cached object is collected: its pages reclaimed, then terminate.
  virtual void collect(std::size_t kernel, std::size_t object) = 0;
  // memory_object_data_request for a page the kernel neither holds nor waits for.
  virtual void fault(std::size_t kernel, std::size_t object, std::uint16_t page, bool write) = 0;
  // memory_object_data_return of a resident page (written first if `dirty`).
  virtual void evict(std::size_t kernel, std::size_t object, std::uint16_t page, bool dirty) = 0;
  // A message no EMMI interface defines, from an unrelated task, to `object`.
  virtual void stray(std::size_t object) = 0;
  // The kernel writes a resident page (data_unlock first if it is write-locked).
  virtual void write(std::size_t kernel, std::size_t object, std::uint16_t page) = 0;
  // memory_object_data_request again for a page whose last request the
  // pager failed with data_error (a client retries, ER2); nothing otherwise.
  virtual void retry(std::size_t kernel, std::size_t object, std::uint16_t page) = 0;

  // The default memory manager. memory_object_create from `kernel`: a new
  // temporary object, the next index of the case's temporary objects.
  virtual void create_temporary(std::size_t kernel) = 0;
  // data_request for a page of temporary object `temporary` it neither
  // holds nor waits for.
  virtual void temporary_fault(std::size_t temporary, std::uint16_t page, bool write) = 0;
  // A resident page of temporary object `temporary` paged out (written with
  // fresh contents first if `dirty`): data_initialize the first time,
  // data_return later; with `initialize`, data_initialize again.
  virtual void temporary_page_out(std::size_t temporary, std::uint16_t page, bool dirty,
                                  bool initialize) = 0;
  // The kernel drops its last reference to temporary object `temporary`:
  // terminate, its pages discarded, none paged out.
  virtual void temporary_terminate(std::size_t temporary) = 0;
  // Another task sends memory_object_data_request to the default memory
  // manager port.
  virtual void manager_stray() = 0;
  // A privileged client task sends default_pager.defs routine `call` (see
  // CommandKind::default_pager_call) to the default memory manager port.
  virtual void default_pager_call(std::uint16_t call) = 0;

  // The pager's own actions (entry ABI version 2, emmi/pager_abi.h): the
  // suite calls the pager's function, in the pager's task, under the
  // controlled scheduler. Ranges are `units` units from unit `first`, a
  // unit being the largest page size of the world's kernels. A pager
  // without the function never gets the command (World::pager_actions).
  virtual void pager_sync(std::size_t /*object*/, std::uint16_t /*first*/,
                          std::uint16_t /*units*/) {}
  virtual void pager_flush(std::size_t /*object*/, std::uint16_t /*first*/,
                           std::uint16_t /*units*/) {}
  virtual void pager_change_attributes(std::size_t /*object*/, bool /*may_cache*/,
                                       int /*copy_strategy*/) {}
  virtual void pager_shutdown(std::size_t /*object*/) {}
  // Copies (World::copies). A task copies `pages` pages from page `first`
  // of `object` mapped by `kernel`: memory_object_copy and init of the new
  // object when the object is COPY_CALL, nothing otherwise; the copy gets
  // the case's next copy index. Then, on copy `copy`: a data_request for a
  // page it neither holds nor waits for, a write of a resident page, and
  // the last unmapping (terminate).
  virtual void copy(std::size_t /*kernel*/, std::size_t /*object*/, std::uint16_t /*first*/,
                    std::uint16_t /*pages*/) {}
  virtual void copy_fault(std::size_t /*copy*/, std::uint16_t /*page*/, bool /*write*/) {}
  virtual void copy_write(std::size_t /*copy*/, std::uint16_t /*page*/) {}
  virtual void copy_unmap(std::size_t /*copy*/) {}
  // OSF: vm_msync of one page of a mapped, ready object with `sync_flags`
  // (VM_SYNC_*): returns, then memory_object_synchronize.
  virtual void synchronize(std::size_t kernel, std::size_t object, std::uint16_t page,
                           std::int32_t sync_flags) = 0;
  // OSF: vm_msync of the whole object, as synchronize for every page.
  virtual void synchronize_object(std::size_t kernel, std::size_t object,
                                  std::int32_t sync_flags) = 0;
};

// Where in its loops the generator offers a command: once per object, once
// per (object, kernel) mapping, or once per page of a mapping; and, only in
// a world with the default-pager role, once per kernel and once per page of
// a temporary object (after all the others, so that an ordinary pager's
// world offers what it always did).
// Copies (World::copies) are offered once per page and once per copy.
enum class GenScope : std::uint8_t {
  object,
  mapping,
  page,
  kernel,
  temporary_page,
  temporary,
  copy_page,
  copy
};

// The point of the generator's loops a command is offered at.
struct GenSite {
  const CaseModel& model;
  std::uint8_t object = 0;     // temporary_page scope: the temporary object's index
  std::uint8_t kernel = 0;     // mapping and page scopes
  std::uint16_t pages = 0;     // pages of the object in that kernel's page size
  std::uint16_t page = 0;      // page scope
  std::uint32_t locality = 1;  // page scope: weight factor of a page the case already used
};

// Collects the commands a spec offers, keeping the enabled ones.
class Offers {
 public:
  Offers(const CaseModel& m, std::vector<Weighted>& out) : m_(m), out_(out) {}
  void operator()(std::uint32_t weight, const Command& c) {
    if (enabled(m_, c)) out_.push_back({weight, c});
  }

 private:
  const CaseModel& m_;
  std::vector<Weighted>& out_;
};

struct CommandSpec {
  CommandKind kind;
  std::string_view name;  // to_string(kind)
  // "fault k1 o0 page 3 write": what counterexamples print.
  std::string (*describe)(std::string_view name, const Command& c);
  // Whether a conforming kernel may issue `c` in `m`; called only once the
  // command's kernel and object exist in the world.
  bool (*precondition)(const CaseModel& m, const Command& c);
  // The abstract state after `c` (the generator's model of the kernel).
  void (*apply)(CaseModel& m, const Command& c);
  // The generator offers the command at every site of `scope`, with weights.
  GenScope scope;
  void (*generate)(const GenSite& site, Offers& offer);
  // The messages the kernel sends for it.
  void (*run)(const Command& c, KernelActions& kernel);
};

// Every spec, in the order the generator offers them within a scope (the
// order is part of what a seed generates: keep it).
std::span<const CommandSpec> command_specs();
// The spec of `kind`; nullptr for a value that is no command kind.
const CommandSpec* find_spec(CommandKind kind);

}  // namespace emmi::properties
