// SPDX-License-Identifier: MIT
// Kernel commands: what a kernel does to the pager in one step of a test
// case. A case is a sequence of them; RapidCheck generates and shrinks the
// sequence (generator.h), and the harness's replay token encodes it exactly
// with its schedule (replay_token.h in harness/engine).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace emmi::properties {

// The kinds of kernel command. What each one does, when a kernel may issue
// it and how it is generated and run is its entry in the command table
// (src/command_specs.cpp); adding a kind is one value here, before
// kind_count, and one entry there. The values are part of the replay token:
// never renumber them.
enum class CommandKind : std::uint8_t {
  map,    // init from `kernel` on `object` (first map or re-map)
  fault,  // data_request for page `page` (read, or write if `write`)
  evict,  // data_return of page `page` (with fresh contents if `dirty`)
  unmap,  // terminate (after returning the dirty pages, as GNU Mach does)
  // Bursts: several messages queued before the pager may run, so that the
  // pager sees them together and seqno order decides the outcome.
  evict_then_unmap,    // data_return of `page`, then terminate
  evict_then_refault,  // data_return of `page`, then data_request of the same page
  map_while_unmap,     // terminate from `kernel`, then init from `other_kernel`
  unmap_then_remap,    // terminate, then init again from the same kernel
  // A message that is no EMMI message, from an unrelated task holding a send
  // right to the object: the pager's demux must reject it (G5) and a seqno
  // ordering pager must still count its seqno (gnumach-kernel.md §2).
  stray,
  // The kernel writes to resident page `page`. A page the pager supplied
  // write-locked is not written: the kernel sends data_unlock and the write
  // waits for the pager's lock_request (UL2) or refusal (UL4).
  write_page,
  // The default memory manager (only against a pager declaring the
  // default-pager role, World::default_pager). `object` indexes the
  // temporary objects in creation order; `kernel` is the kernel that
  // created it, the only one that maps it.
  create_temporary,        // memory_object_create from `kernel`
  temporary_fault,         // data_request for `page` of temporary `object`
  temporary_page_out,      // data_initialize (first pageout) or data_return of `page`
                           // (written with fresh contents first if `dirty`)
  temporary_reinitialize,  // fresh contents, then data_initialize of a page paged out before
  temporary_page_out_then_refault,  // page_out of `page`, then data_request of it
  temporary_terminate,              // the last reference to temporary `object` goes: terminate
                                    // without paging anything out (internal objects)
  // Another task holding a send right to the default memory manager port
  // sends it memory_object_data_request, a message of the common interface
  // that does not belong there: the demux must refuse it (G6).
  manager_stray,
  // A privileged client task calls default_pager.defs on the default memory
  // manager port: `page` selects the routine (0 object_create, 1 info,
  // 2 objects, 3 object_pages of a name an earlier objects call gave,
  // 4 paging_file); the reply is taken after the pager ran.
  default_pager_call,
  // A client thread retries a fault that failed with a memory error (the
  // pager answered data_error): data_request for `page` again (ER2). Nothing
  // when the page did not fail.
  retry_fault,
  // The pager's own actions (entry ABI version 2; only against a pager
  // providing them, World::pager_actions). The suite calls the pager's
  // function for object `object`. A range is `other_kernel` units from unit
  // `page`, a unit being the largest page size of the world's kernels.
  pager_sync,               // sync(object, range)
  pager_flush,              // flush(object, range)
  pager_change_attributes,  // change_attributes(object, may_cache = `write`,
                            //   copy_strategy = `page`)
  pager_shutdown,           // shutdown(object)
  // OSF dialect only (World::osf): the kernel's vm_msync of page `page`:
  // the page's dirty (and precious) contents returned, then synchronize,
  // which waits for the pager's synchronize_completed. VM_SYNC_SYNCHRONOUS
  // if `dirty`, else ASYNCHRONOUS; with `write`, also VM_SYNC_INVALIDATE.
  synchronize,
  // The object cache (gnumach-kernel.md §3d): the pageout daemon reclaims
  // the pages of object `object`, which `kernel` keeps cached after its
  // last unmap (may_cache), and the object is terminated. Nothing when the
  // object is not cached.
  cache_collect,
  // Copies of an object the pager made ready with MEMORY_OBJECT_COPY_CALL
  // (GNU Mach platform only, World::copies): a task copies `other_kernel`
  // pages from page `page` of `object` mapped by `kernel` (vm_map with copy
  // TRUE): memory_object_copy, then init of the new object, copy c<n> (the
  // case's next copy index). Nothing is sent for an object of another
  // strategy. The commands on a copy name it by that index in `object`.
  copy_range,
  copy_fault,  // data_request for page `page` of copy `object` (read, or write if `write`)
  copy_write,  // the kernel writes resident page `page` of copy `object`
  copy_unmap,  // the copy's last mapping goes: terminate
  // A burst: a copy of resident page `page` of `object`, and at once a
  // write to that page of the original: its data_unlock queues behind the
  // copy, so a pager must not grant it before the copy has its contents.
  copy_then_write,
  // OSF dialect only (World::osf): the kernel's vm_msync of the whole object
  // as `kernel` maps it: every dirty (and precious) resident page returned,
  // then one synchronize for the object's range (flags as `synchronize`).
  // Nothing while a synchronize of the object still waits (SY4).
  synchronize_object,

  kind_count  // not a command: how many kinds there are
};

std::string_view to_string(CommandKind k);

struct Command {
  CommandKind kind;
  std::uint8_t kernel = 0;
  std::uint8_t object = 0;
  std::uint8_t other_kernel = 0;
  std::uint16_t page = 0;  // index in units of that kernel's page size
  bool write = false;
  bool dirty = false;

  friend bool operator==(const Command&, const Command&) = default;
};

// "fault k1 o0 page 3 write" — what counterexamples print.
std::string describe(const Command& c);

}  // namespace emmi::properties
