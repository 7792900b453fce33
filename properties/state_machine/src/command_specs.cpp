// SPDX-License-Identifier: MIT
// The table of kernel commands; see command_specs.h.
#include "emmi/properties/command_specs.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <set>

#include "emmi/model/model.h"
#include "emmi/model/types.h"

namespace emmi::properties {

namespace {

// --- Shared pieces of the entries -------------------------------------------------

const PairState& mapping(const CaseModel& m, const Command& c) {
  return m.pair(c.object, c.kernel);
}
PairState& mapping(CaseModel& m, const Command& c) { return m.pair(c.object, c.kernel); }
bool page_in_range(const CaseModel& m, const Command& c) {
  return c.page < m.world.pages(c.kernel);
}
// Whether the kernel may take `kind` on the command's pair (and page): the
// model's preconditions (model::kernel_may) asked of what the generator
// tracks. The generator plays the kernel of a pager that makes every mapping
// ready (the kernel's commands wait for ready otherwise) and takes a fault
// as supplied.
bool kernel_may_on(bool mapped, const std::set<std::uint16_t>& resident, std::uint16_t page,
                   model::KernelActionKind kind) {
  model::PairFacts facts{mapped ? model::Lifecycle::ready : model::Lifecycle::uninitialised};
  facts.page_resident = resident.count(page) != 0;
  return model::kernel_may(kind, facts);
}
bool kernel_may(const CaseModel& m, const Command& c, model::KernelActionKind kind) {
  const PairState& p = mapping(m, c);
  return kernel_may_on(p.mapped, p.resident, c.page, kind);
}
// Mapped: the kernel may unmap it. A held page: the kernel may page it out.
bool mapped(const CaseModel& m, const Command& c) {
  return kernel_may(m, c, model::KernelActionKind::unmap);
}
bool holds_page(const CaseModel& m, const Command& c) {
  return page_in_range(m, c) && kernel_may(m, c, model::KernelActionKind::evict);
}

std::string describe_mapping(std::string_view name, const Command& c) {
  return fmt::format("{} k{} o{}", name, c.kernel, c.object);
}
// "fault k1 o0 page 3 write"; `object` is 'o', or 't' for a temporary object.
std::string describe_fault(std::string_view name, const Command& c, char object) {
  return fmt::format("{} k{} {}{} page {}{}", name, c.kernel, object, c.object, c.page,
                     c.write ? " write" : " read");
}
// "evict k1 o0 page 3 dirty"; `object` as in describe_fault.
std::string describe_page_out(std::string_view name, const Command& c, char object) {
  return fmt::format("{} k{} {}{} page {}{}", name, c.kernel, object, c.object, c.page,
                     c.dirty ? " dirty" : " clean");
}
std::string describe_return(std::string_view name, const Command& c) {
  return describe_page_out(name, c, 'o');
}

void forget_pages(CaseModel& m, const Command& c) { mapping(m, c).resident.clear(); }
// The kernel caches an object with pages when the pager allowed it; the
// generator cannot know whether it did, so a pair left with pages may be
// cached (a collect of one that is not does nothing).
void unmapped(CaseModel& m, const Command& c) {
  mapping(m, c).mapped = false;
  mapping(m, c).cached = !mapping(m, c).resident.empty();
  forget_pages(m, c);
}
bool cached(const CaseModel& m, const Command& c) { return !mapped(m, c) && mapping(m, c).cached; }

// Whole-mapping commands weigh as much as a page command per page, so the
// mix between them does not depend on how many pages an object has.
std::uint32_t per_page(const GenSite& s, std::uint32_t weight) { return weight * s.pages; }
Command at_mapping(CommandKind kind, const GenSite& s) { return {kind, s.kernel, s.object}; }
// Page commands: a page the case already used weighs more (site.locality),
// so that return/re-fault chains on one page (where lost writes show) are
// common. A returned page is dirty unless the entry says otherwise.
Command at_page(CommandKind kind, const GenSite& s, bool write = false, bool dirty = true) {
  return {kind, s.kernel, s.object, 0, s.page, write, dirty};
}

// Temporary objects (the default-pager role): `object` is the index of the
// case's temporary objects, `kernel` the kernel that created it.
const TemporaryState* temporary(const CaseModel& m, const Command& c) {
  if (c.object >= m.temporaries.size() || m.temporaries[c.object].kernel != c.kernel ||
      m.temporaries[c.object].terminated)
    return nullptr;
  return &m.temporaries[c.object];
}
TemporaryState& temporary(CaseModel& m, const Command& c) { return m.temporaries.at(c.object); }
bool holds_temporary_page(const CaseModel& m, const Command& c) {
  const TemporaryState* t = temporary(m, c);
  return t != nullptr && page_in_range(m, c) &&
         kernel_may_on(true, t->resident, c.page, model::KernelActionKind::evict);
}
std::string describe_temporary_page(std::string_view name, const Command& c) {
  return describe_page_out(name, c, 't');
}
void paged_out(CaseModel& m, const Command& c) {
  TemporaryState& t = temporary(m, c);
  t.resident.erase(c.page);
  t.paged_out.insert(c.page);
  t.touched.insert(c.page);
}
Command at_temporary_page(CommandKind kind, const GenSite& s, bool dirty = true) {
  return {kind, s.kernel, s.object, 0, s.page, false, dirty};
}

// The pager's own actions (World::pager_actions): ranges in units of the
// largest page size of the world's kernels, so that every kernel's pages
// tile them.
std::uint64_t unit_size(const World& w) {
  std::uint64_t u = 0;
  for (auto ps : w.kernel_page_sizes) u = std::max<std::uint64_t>(u, ps);
  return u;
}
std::uint16_t units(const World& w) {
  const std::uint64_t u = unit_size(w);
  return static_cast<std::uint16_t>(u == 0 ? 0 : w.object_size / u);
}
bool provides(const CaseModel& m, std::uint32_t action) {
  return (m.world.pager_actions & action) != 0;
}
bool mapped_anywhere(const CaseModel& m, std::size_t object) {
  for (std::size_t k = 0; k < m.world.kernel_page_sizes.size(); ++k)
    if (m.pair(object, k).mapped) return true;
  return false;
}
// Some kernel mapped or (maybe) caches the object: the pager's control port
// for it still works, so its change_attributes and destroy still act.
bool known_anywhere(const CaseModel& m, std::size_t object) {
  for (std::size_t k = 0; k < m.world.kernel_page_sizes.size(); ++k)
    if (m.pair(object, k).mapped || m.pair(object, k).cached) return true;
  return false;
}
bool range_ok(const CaseModel& m, const Command& c) {
  return c.other_kernel >= 1 && std::size_t(c.page) + c.other_kernel <= units(m.world);
}
// The kernel pages of kernel `k` the command's range covers.
std::pair<std::uint16_t, std::uint16_t> kernel_pages(const CaseModel& m, const Command& c,
                                                     std::size_t k) {
  const std::uint64_t per = unit_size(m.world) / m.world.kernel_page_sizes[k];
  return {static_cast<std::uint16_t>(c.page * per),
          static_cast<std::uint16_t>((c.page + c.other_kernel) * per)};
}
bool resident_in_range(const CaseModel& m, const Command& c) {
  for (std::size_t k = 0; k < m.world.kernel_page_sizes.size(); ++k) {
    const PairState& p = m.pair(c.object, k);
    const auto [first, last] = kernel_pages(m, c, k);
    if (p.mapped && p.resident.lower_bound(first) != p.resident.lower_bound(last)) return true;
  }
  return false;
}
std::string describe_range(std::string_view name, const Command& c) {
  return fmt::format("{} o{} units {}+{}", name, c.object, c.page, c.other_kernel);
}
// Offers the whole object, and each unit some kernel holds a page of.
void offer_ranges(const GenSite& s, Offers& offer, CommandKind kind, std::uint32_t action) {
  if (!provides(s.model, action) || !mapped_anywhere(s.model, s.object)) return;
  const std::uint16_t n = units(s.model.world);
  offer(std::max<std::uint32_t>(1, n), {kind, 0, s.object, static_cast<std::uint8_t>(n), 0});
  for (std::uint16_t u = 0; u < n; ++u) {
    const Command one{kind, 0, s.object, 1, u};
    if (resident_in_range(s.model, one)) offer(2, one);
  }
}

// Copies (World::copies): `object` indexes the case's copies.
const CopyState* copy_of(const CaseModel& m, const Command& c) {
  if (c.object >= m.copies.size() || m.copies[c.object].kernel != c.kernel ||
      m.copies[c.object].unmapped)
    return nullptr;
  return &m.copies[c.object];
}
CopyState& copy_of(CaseModel& m, const Command& c) { return m.copies.at(c.object); }
bool copy_page_in_range(const CaseModel& m, const Command& c) {
  const CopyState* copy = copy_of(m, c);
  return copy != nullptr && c.page < copy->pages;
}
bool holds_copy_page(const CaseModel& m, const Command& c) {
  return copy_page_in_range(m, c) &&
         kernel_may_on(true, copy_of(m, c)->resident, c.page, model::KernelActionKind::evict);
}
Command at_copy_page(CommandKind kind, const GenSite& s, bool write = false) {
  return {kind, s.kernel, s.object, 0, s.page, write, false};
}
bool may_copy(const CaseModel& m) {
  return m.world.copies() && m.copies.size() < World::kMaxCopies;
}
// The kernel's copy c<n> of `pages` pages of c.object (n: the next index).
void copied(CaseModel& m, const Command& c, std::uint16_t pages) {
  CopyState copy;
  copy.kernel = c.kernel;
  copy.pages = pages;
  m.copies.push_back(copy);
}

// --- The table -------------------------------------------------------------------------

constexpr std::array kSpecs{
    // A message that is no EMMI message, from an unrelated task holding a
    // send right to the object: the pager's demux must reject it (G5) and a
    // seqno-ordering pager must still count its seqno (gnumach-kernel.md §2).
    CommandSpec{CommandKind::stray, "stray-message",
                [](std::string_view name, const Command& c) {
                  return fmt::format("{} o{}", name, c.object);
                },
                [](const CaseModel&, const Command&) { return true; },
                [](CaseModel&, const Command&) {}, GenScope::object,
                [](const GenSite& s, Offers& offer) {
                  offer(std::max<std::uint32_t>(1, 2 * s.model.world.pages(0)),
                        {CommandKind::stray, 0, s.object});
                },
                [](const Command& c, KernelActions& k) { k.stray(c.object); }},
    CommandSpec{CommandKind::map, "map", describe_mapping,
                [](const CaseModel& m, const Command& c) {
                  return kernel_may(m, c, model::KernelActionKind::map);
                },
                [](CaseModel& m, const Command& c) {
                  mapping(m, c).mapped = true;
                  mapping(m, c).cached = false;
                  forget_pages(m, c);
                },
                GenScope::mapping,
                [](const GenSite& s, Offers& offer) {
                  offer(per_page(s, 6), at_mapping(CommandKind::map, s));
                },
                [](const Command& c, KernelActions& k) { k.map(c.kernel, c.object); }},
    // terminate (after returning the dirty pages, as GNU Mach does)
    CommandSpec{CommandKind::unmap, "unmap", describe_mapping, mapped, unmapped, GenScope::mapping,
                [](const GenSite& s, Offers& offer) {
                  offer(per_page(s, 1), at_mapping(CommandKind::unmap, s));
                },
                [](const Command& c, KernelActions& k) { k.unmap(c.kernel, c.object); }},
    // The object cache: a cached object's pages are reclaimed and it is
    // terminated (gnumach-kernel.md §3d, trigger 2). Offered only where an
    // unmap may have left the object cached.
    CommandSpec{CommandKind::cache_collect, "collect", describe_mapping, cached,
                [](CaseModel& m, const Command& c) { mapping(m, c).cached = false; },
                GenScope::mapping,
                [](const GenSite& s, Offers& offer) {
                  const Command c = at_mapping(CommandKind::cache_collect, s);
                  if (cached(s.model, c)) offer(per_page(s, 1), c);
                },
                [](const Command& c, KernelActions& k) { k.collect(c.kernel, c.object); }},
    // Bursts: several messages queued before the pager may run, so that the
    // pager sees them together and seqno order decides the outcome.
    CommandSpec{CommandKind::unmap_then_remap, "unmap+remap", describe_mapping, mapped,
                forget_pages, GenScope::mapping,
                [](const GenSite& s, Offers& offer) {
                  offer(per_page(s, 1), at_mapping(CommandKind::unmap_then_remap, s));
                },
                [](const Command& c, KernelActions& k) {
                  k.unmap(c.kernel, c.object);
                  k.map(c.kernel, c.object);
                }},
    CommandSpec{
        CommandKind::map_while_unmap, "unmap+map-other",
        [](std::string_view, const Command& c) {
          return fmt::format("unmap k{} o{} + map k{} o{}", c.kernel, c.object, c.other_kernel,
                             c.object);
        },
        [](const CaseModel& m, const Command& c) {
          return mapped(m, c) && c.other_kernel < m.world.kernel_page_sizes.size() &&
                 c.other_kernel != c.kernel && !m.pair(c.object, c.other_kernel).mapped;
        },
        [](CaseModel& m, const Command& c) {
          unmapped(m, c);
          m.pair(c.object, c.other_kernel).mapped = true;
          m.pair(c.object, c.other_kernel).resident.clear();
        },
        GenScope::mapping,
        [](const GenSite& s, Offers& offer) {
          const auto kernels = static_cast<std::uint8_t>(s.model.world.kernel_page_sizes.size());
          for (std::uint8_t other = 0; other < kernels; ++other)
            offer(per_page(s, 1), {CommandKind::map_while_unmap, s.kernel, s.object, other});
        },
        [](const Command& c, KernelActions& k) {
          k.unmap(c.kernel, c.object);
          k.map(c.other_kernel, c.object);
        }},
    CommandSpec{
        CommandKind::fault, "fault",
        [](std::string_view name, const Command& c) { return describe_fault(name, c, 'o'); },
        [](const CaseModel& m, const Command& c) {
          return page_in_range(m, c) && kernel_may(m, c, model::KernelActionKind::fault);
        },
        [](CaseModel& m, const Command& c) {
          mapping(m, c).resident.insert(c.page);
          mapping(m, c).touched.insert(c.page);
        },
        GenScope::page,
        [](const GenSite& s, Offers& offer) {
          offer(2 * s.locality, at_page(CommandKind::fault, s, false, false));
          offer(2 * s.locality, at_page(CommandKind::fault, s, true, false));
        },
        [](const Command& c, KernelActions& k) { k.fault(c.kernel, c.object, c.page, c.write); }},
    CommandSpec{CommandKind::evict, "evict", describe_return, holds_page,
                [](CaseModel& m, const Command& c) {
                  mapping(m, c).resident.erase(c.page);
                  mapping(m, c).touched.insert(c.page);
                },
                GenScope::page,
                [](const GenSite& s, Offers& offer) {
                  offer(3 * s.locality, at_page(CommandKind::evict, s));
                  offer(1 * s.locality, at_page(CommandKind::evict, s, false, false));
                },
                [](const Command& c, KernelActions& k) {
                  k.evict(c.kernel, c.object, c.page, c.dirty);
                }},
    // data_return of the page, then data_request of the same page.
    CommandSpec{CommandKind::evict_then_refault, "evict+refault", describe_return, holds_page,
                [](CaseModel& m, const Command& c) { mapping(m, c).touched.insert(c.page); },
                GenScope::page,
                [](const GenSite& s, Offers& offer) {
                  offer(2 * s.locality, at_page(CommandKind::evict_then_refault, s));
                },
                [](const Command& c, KernelActions& k) {
                  k.evict(c.kernel, c.object, c.page, c.dirty);
                  k.fault(c.kernel, c.object, c.page, c.write);
                }},
    // data_return of the page, then terminate.
    CommandSpec{CommandKind::evict_then_unmap, "evict+unmap", describe_return, holds_page, unmapped,
                GenScope::page,
                [](const GenSite& s, Offers& offer) {
                  offer(1 * s.locality, at_page(CommandKind::evict_then_unmap, s));
                },
                [](const Command& c, KernelActions& k) {
                  k.evict(c.kernel, c.object, c.page, c.dirty);
                  k.unmap(c.kernel, c.object);
                }},
    // The kernel writes a resident page. A page the pager supplied
    // write-locked is not written: the kernel sends data_unlock and the
    // write waits for the pager's lock_request (UL2) or refusal (UL4).
    CommandSpec{CommandKind::write_page, "write",
                [](std::string_view name, const Command& c) {
                  return fmt::format("{} k{} o{} page {}", name, c.kernel, c.object, c.page);
                },
                holds_page,
                [](CaseModel& m, const Command& c) { mapping(m, c).touched.insert(c.page); },
                GenScope::page,
                [](const GenSite& s, Offers& offer) {
                  offer(2 * s.locality, at_page(CommandKind::write_page, s, false, false));
                },
                [](const Command& c, KernelActions& k) { k.write(c.kernel, c.object, c.page); }},
    // A client retries a fault the pager failed with data_error: the kernel
    // requests the page again (ER2: the pager must expect it). Offered on
    // every page the generator thinks faulted in; the kernel does nothing
    // for a page that did not fail.
    CommandSpec{CommandKind::retry_fault, "retry",
                [](std::string_view name, const Command& c) {
                  return fmt::format("{} k{} o{} page {}", name, c.kernel, c.object, c.page);
                },
                holds_page,
                [](CaseModel& m, const Command& c) { mapping(m, c).touched.insert(c.page); },
                GenScope::page,
                [](const GenSite& s, Offers& offer) {
                  offer(1 * s.locality, at_page(CommandKind::retry_fault, s, false, false));
                },
                [](const Command& c, KernelActions& k) { k.retry(c.kernel, c.object, c.page); }},
    // --- The default memory manager (World::default_pager only) -----------------
    // memory_object_create: the kernel makes temporary object t<object>
    // (the next index) and hands it to the default memory manager.
    CommandSpec{CommandKind::create_temporary, "create-temporary",
                [](std::string_view name, const Command& c) {
                  return fmt::format("{} k{} t{}", name, c.kernel, c.object);
                },
                [](const CaseModel& m, const Command& c) {
                  return c.object == m.temporaries.size() &&
                         m.temporaries.size() < CaseModel::kMaxTemporaries;
                },
                [](CaseModel& m, const Command& c) {
                  m.temporaries.push_back({c.kernel, {}, {}, {}});
                },
                GenScope::kernel,
                [](const GenSite& s, Offers& offer) {
                  const auto next = static_cast<std::uint8_t>(s.model.temporaries.size());
                  offer(next == 0 ? 8 : 2, {CommandKind::create_temporary, s.kernel, next});
                },
                [](const Command& c, KernelActions& k) { k.create_temporary(c.kernel); }},
    // data_request of a page of a temporary object: data_unavailable for a
    // page never paged out (CR2, UN2), its contents otherwise (DI3, DI2).
    CommandSpec{
        CommandKind::temporary_fault, "fault-temporary",
        [](std::string_view name, const Command& c) { return describe_fault(name, c, 't'); },
        [](const CaseModel& m, const Command& c) {
          const TemporaryState* t = temporary(m, c);
          return t != nullptr && page_in_range(m, c) &&
                 kernel_may_on(true, t->resident, c.page, model::KernelActionKind::fault);
        },
        [](CaseModel& m, const Command& c) {
          temporary(m, c).resident.insert(c.page);
          temporary(m, c).touched.insert(c.page);
        },
        GenScope::temporary_page,
        [](const GenSite& s, Offers& offer) {
          Command read = at_temporary_page(CommandKind::temporary_fault, s, false);
          Command write = read;
          write.write = true;
          offer(2 * s.locality, read);
          offer(1 * s.locality, write);
        },
        [](const Command& c, KernelActions& k) { k.temporary_fault(c.object, c.page, c.write); }},
    // Pageout: data_initialize the first time the kernel pages the page out,
    // data_return later (gnumach-kernel.md 3c).
    CommandSpec{CommandKind::temporary_page_out, "page-out", describe_temporary_page,
                holds_temporary_page, paged_out, GenScope::temporary_page,
                [](const GenSite& s, Offers& offer) {
                  offer(3 * s.locality, at_temporary_page(CommandKind::temporary_page_out, s));
                  offer(1 * s.locality,
                        at_temporary_page(CommandKind::temporary_page_out, s, false));
                },
                [](const Command& c, KernelActions& k) {
                  k.temporary_page_out(c.object, c.page, c.dirty, false);
                }},
    // data_initialize of a page the pager already holds, with new contents:
    // the pager must ignore it (DI2) and keep what it had.
    CommandSpec{CommandKind::temporary_reinitialize, "reinitialize", describe_temporary_page,
                [](const CaseModel& m, const Command& c) {
                  return holds_temporary_page(m, c) &&
                         temporary(m, c)->paged_out.count(c.page) != 0;
                },
                paged_out, GenScope::temporary_page,
                [](const GenSite& s, Offers& offer) {
                  offer(2 * s.locality, at_temporary_page(CommandKind::temporary_reinitialize, s));
                },
                [](const Command& c, KernelActions& k) {
                  k.temporary_page_out(c.object, c.page, true, true);
                }},
    // A burst: the pageout and the next data_request of the page queued
    // together, so that the pager must keep the kernel's order.
    CommandSpec{CommandKind::temporary_page_out_then_refault, "page-out+refault",
                describe_temporary_page, holds_temporary_page,
                [](CaseModel& m, const Command& c) {
                  temporary(m, c).paged_out.insert(c.page);
                  temporary(m, c).touched.insert(c.page);
                },
                GenScope::temporary_page,
                [](const GenSite& s, Offers& offer) {
                  offer(2 * s.locality,
                        at_temporary_page(CommandKind::temporary_page_out_then_refault, s));
                },
                [](const Command& c, KernelActions& k) {
                  k.temporary_page_out(c.object, c.page, c.dirty, false);
                  k.temporary_fault(c.object, c.page, false);
                }},
    // The last reference to a temporary object goes (vm_object_terminate of
    // an internal object: pages freed, none paged out, then terminate with
    // the receive rights of control and name; gnumach-kernel.md 3d).
    CommandSpec{CommandKind::temporary_terminate, "terminate-temporary",
                [](std::string_view name, const Command& c) {
                  return fmt::format("{} k{} t{}", name, c.kernel, c.object);
                },
                [](const CaseModel& m, const Command& c) { return temporary(m, c) != nullptr; },
                [](CaseModel& m, const Command& c) {
                  TemporaryState& t = temporary(m, c);
                  t.terminated = true;
                  t.resident.clear();
                },
                GenScope::temporary,
                [](const GenSite& s, Offers& offer) {
                  offer(1, {CommandKind::temporary_terminate, s.kernel, s.object});
                },
                [](const Command& c, KernelActions& k) { k.temporary_terminate(c.object); }},
    // A common-interface message on the default memory manager port, from
    // another task: the default demux must refuse it (G6).
    CommandSpec{CommandKind::manager_stray, "stray-to-manager",
                [](std::string_view name, const Command&) { return std::string(name); },
                // After a create, when the model knows the manager port from it.
                [](const CaseModel& m, const Command& c) {
                  return c.kernel == 0 && !m.temporaries.empty();
                },
                [](CaseModel&, const Command&) {}, GenScope::kernel,
                [](const GenSite& s, Offers& offer) {
                  offer(1, {CommandKind::manager_stray, s.kernel, 0});
                },
                [](const Command&, KernelActions& k) { k.manager_stray(); }},
    // default_pager.defs from a privileged client task (CR10 on
    // object_create's answer; the rest exercise the demux and the ticket of
    // the manager port between creates, SQ3).
    CommandSpec{
        CommandKind::default_pager_call, "default-pager",
        [](std::string_view name, const Command& c) {
          static constexpr std::array<std::string_view, 5> kCalls{"object_create", "info",
                                                                  "objects", "object_pages",
                                                                  "paging_file"};
          return fmt::format("{}_{}", name, c.page < kCalls.size() ? kCalls[c.page] : "?");
        },
        [](const CaseModel& m, const Command& c) {
          return c.kernel == 0 && c.page < 5 && !m.temporaries.empty();
        },
        [](CaseModel&, const Command&) {}, GenScope::kernel,
        [](const GenSite& s, Offers& offer) {
          for (std::uint16_t call = 0; call < 5; ++call)
            offer(call == 0 ? 2 : 1, {CommandKind::default_pager_call, s.kernel, 0, 0, call});
        },
        [](const Command& c, KernelActions& k) { k.default_pager_call(c.page); }},
    // --- The pager's own actions (World::pager_actions; emmi/pager_abi.h) ------
    // sync(): the pager writes back what the kernels modified in the range
    // (lock_request returning dirty pages, then lock_completed; LK2, LK8);
    // then the suite reads its store (RT5).
    CommandSpec{CommandKind::pager_sync, "pager-sync", describe_range,
                [](const CaseModel& m, const Command& c) {
                  return provides(m, kPagerSync) && range_ok(m, c) && mapped_anywhere(m, c.object);
                },
                [](CaseModel&, const Command&) {}, GenScope::object,
                [](const GenSite& s, Offers& offer) {
                  offer_ranges(s, offer, CommandKind::pager_sync, kPagerSync);
                },
                [](const Command& c, KernelActions& k) {
                  k.pager_sync(c.object, c.page, c.other_kernel);
                }},
    // flush(): the kernels drop the range (LK3, LK8).
    CommandSpec{CommandKind::pager_flush, "pager-flush", describe_range,
                [](const CaseModel& m, const Command& c) {
                  return provides(m, kPagerFlush) && range_ok(m, c) && mapped_anywhere(m, c.object);
                },
                [](CaseModel& m, const Command& c) {
                  for (std::size_t k = 0; k < m.world.kernel_page_sizes.size(); ++k) {
                    PairState& p = m.pair(c.object, k);
                    const auto [first, last] = kernel_pages(m, c, k);
                    p.resident.erase(p.resident.lower_bound(first), p.resident.lower_bound(last));
                  }
                },
                GenScope::object,
                [](const GenSite& s, Offers& offer) {
                  offer_ranges(s, offer, CommandKind::pager_flush, kPagerFlush);
                },
                [](const Command& c, KernelActions& k) {
                  k.pager_flush(c.object, c.page, c.other_kernel);
                }},
    // change_attributes(): may_cache and a copy strategy (any of GNU Mach's
    // four); the pager keeps the strategy it made the object ready with (CP1)
    // and, turning caching off, waits for change_completed (CA3).
    CommandSpec{
        CommandKind::pager_change_attributes, "pager-change-attributes",
        [](std::string_view name, const Command& c) {
          return fmt::format("{} o{} may_cache {} copy_strategy {}", name, c.object,
                             c.write ? 1 : 0, c.page);
        },
        [](const CaseModel& m, const Command& c) {
          return provides(m, kPagerChangeAttributes) && c.page < 4 && known_anywhere(m, c.object);
        },
        [](CaseModel& m, const Command& c) {
          // Caching off ends a cached object (terminate, then change_completed).
          if (!c.write)
            for (std::size_t k = 0; k < m.world.kernel_page_sizes.size(); ++k)
              m.pair(c.object, k).cached = false;
        },
        GenScope::object,
        [](const GenSite& s, Offers& offer) {
          if (!provides(s.model, kPagerChangeAttributes) || !known_anywhere(s.model, s.object))
            return;
          const std::uint32_t w = std::max<std::uint32_t>(1, units(s.model.world) / 4);
          for (std::uint16_t strategy = 0; strategy < 4; ++strategy)
            for (bool may_cache : {false, true})
              offer(w, {CommandKind::pager_change_attributes, 0, s.object, 0, strategy, may_cache});
        },
        [](const Command& c, KernelActions& k) {
          k.pager_change_attributes(c.object, c.write, c.page);
        }},
    // shutdown(): flush with a write lock, then memory_object_destroy to
    // every kernel (DS3); each answers with terminate.
    CommandSpec{CommandKind::pager_shutdown, "pager-shutdown",
                [](std::string_view name, const Command& c) {
                  return fmt::format("{} o{}", name, c.object);
                },
                [](const CaseModel& m, const Command& c) {
                  return provides(m, kPagerShutdown) && known_anywhere(m, c.object);
                },
                [](CaseModel& m, const Command& c) {
                  for (std::size_t k = 0; k < m.world.kernel_page_sizes.size(); ++k) {
                    m.pair(c.object, k).mapped = false;
                    m.pair(c.object, k).cached = false;
                    m.pair(c.object, k).resident.clear();
                  }
                },
                GenScope::object,
                [](const GenSite& s, Offers& offer) {
                  if (provides(s.model, kPagerShutdown) && known_anywhere(s.model, s.object))
                    offer(std::max<std::uint32_t>(1, units(s.model.world) / 2),
                          {CommandKind::pager_shutdown, 0, s.object});
                },
                [](const Command& c, KernelActions& k) { k.pager_shutdown(c.object); }},
    // --- The OSF dialect (World::osf only) -------------------------------------
    // The kernel's vm_msync of one page (memory_object_synchronize.html):
    // dirty contents go back first (SY1), then synchronize; the client waits
    // for synchronize_completed (SY5). `dirty`: SYNCHRONOUS, else
    // ASYNCHRONOUS; `write`: INVALIDATE too, and the page leaves the kernel.
    CommandSpec{CommandKind::synchronize, "synchronize",
                [](std::string_view name, const Command& c) {
                  return fmt::format("{} k{} o{} page {}{}{}", name, c.kernel, c.object, c.page,
                                     c.dirty ? " sync" : " async", c.write ? " invalidate" : "");
                },
                [](const CaseModel& m, const Command& c) {
                  return m.world.osf && mapped(m, c) && page_in_range(m, c);
                },
                [](CaseModel& m, const Command& c) {
                  mapping(m, c).touched.insert(c.page);
                  if (c.write) mapping(m, c).resident.erase(c.page);
                },
                GenScope::page,
                [](const GenSite& s, Offers& offer) {
                  if (!s.model.world.osf) return;
                  offer(2 * s.locality, at_page(CommandKind::synchronize, s, false, true));
                  offer(1 * s.locality, at_page(CommandKind::synchronize, s, false, false));
                  offer(1 * s.locality, at_page(CommandKind::synchronize, s, true, true));
                },
                [](const Command& c, KernelActions& k) {
                  k.synchronize(c.kernel, c.object, c.page,
                                (c.dirty ? model::kSyncSynchronous : model::kSyncAsynchronous) |
                                    (c.write ? model::kSyncInvalidate : 0));
                }},
    // The kernel's vm_msync of the whole object (memory_object_synchronize
    // .html): every dirty page of the mapping comes back, then one
    // synchronize for the object's range, so that one completion vouches
    // for many blocks (SY6, SY8). `dirty`: SYNCHRONOUS; `write`: INVALIDATE.
    CommandSpec{CommandKind::synchronize_object, "synchronize-object",
                [](std::string_view name, const Command& c) {
                  return fmt::format("{} k{} o{}{}{}", name, c.kernel, c.object,
                                     c.dirty ? " sync" : " async", c.write ? " invalidate" : "");
                },
                [](const CaseModel& m, const Command& c) { return m.world.osf && mapped(m, c); },
                [](CaseModel& m, const Command& c) {
                  auto& mp = mapping(m, c);
                  mp.touched.insert(mp.resident.begin(), mp.resident.end());
                  if (c.write) mp.resident.clear();
                },
                GenScope::mapping,
                [](const GenSite& s, Offers& offer) {
                  if (!s.model.world.osf) return;
                  Command c = at_mapping(CommandKind::synchronize_object, s);
                  c.dirty = true;
                  offer(per_page(s, 1), c);
                },
                [](const Command& c, KernelActions& k) {
                  k.synchronize_object(c.kernel, c.object,
                                       (c.dirty ? model::kSyncSynchronous
                                                : model::kSyncAsynchronous) |
                                           (c.write ? model::kSyncInvalidate : 0));
                }},
    // --- Copies of COPY_CALL objects (World::copies, gnumach-kernel.md §1a) -----
    // A task copies a range of a mapped object (vm_map with copy TRUE): for
    // a COPY_CALL object GNU Mach sends memory_object_copy, write-locks the
    // range's resident pages and inits the new object, copy c<n>. Offered
    // for the whole object and for each page the kernel holds.
    CommandSpec{CommandKind::copy_range, "copy",
                [](std::string_view name, const Command& c) {
                  return fmt::format("{} k{} o{} pages {}+{}", name, c.kernel, c.object, c.page,
                                     c.other_kernel);
                },
                [](const CaseModel& m, const Command& c) {
                  return may_copy(m) && mapped(m, c) && c.other_kernel >= 1 &&
                         std::size_t(c.page) + c.other_kernel <= m.world.pages(c.kernel);
                },
                [](CaseModel& m, const Command& c) { copied(m, c, c.other_kernel); },
                GenScope::mapping,
                [](const GenSite& s, Offers& offer) {
                  if (!may_copy(s.model)) return;
                  const auto all = static_cast<std::uint8_t>(std::min<std::uint16_t>(s.pages, 255));
                  // Offered only to a pager that copies by call (World::copy_call),
                  // as often as a mapping: copies are what such a pager is about.
                  offer(per_page(s, 2), {CommandKind::copy_range, s.kernel, s.object, all, 0});
                  for (std::uint16_t pg : s.model.pair(s.object, s.kernel).resident)
                    offer(6, {CommandKind::copy_range, s.kernel, s.object, 1, pg});
                },
                [](const Command& c, KernelActions& k) {
                  k.copy(c.kernel, c.object, c.page, c.other_kernel);
                }},
    CommandSpec{CommandKind::copy_then_write, "copy+write",
                [](std::string_view name, const Command& c) {
                  return fmt::format("{} k{} o{} page {}", name, c.kernel, c.object, c.page);
                },
                [](const CaseModel& m, const Command& c) {
                  return may_copy(m) && holds_page(m, c);
                },
                [](CaseModel& m, const Command& c) {
                  copied(m, c, 1);
                  mapping(m, c).touched.insert(c.page);
                },
                GenScope::page,
                [](const GenSite& s, Offers& offer) {
                  if (!may_copy(s.model)) return;
                  offer(6 * s.locality, at_page(CommandKind::copy_then_write, s, true, false));
                },
                [](const Command& c, KernelActions& k) {
                  k.copy(c.kernel, c.object, c.page, 1);
                  k.write(c.kernel, c.object, c.page);
                }},
    // A fault on a copy's page: data_request to the pager on the copy's port;
    // a data_unavailable makes the kernel read the original's page.
    CommandSpec{
        CommandKind::copy_fault, "fault-copy",
        [](std::string_view name, const Command& c) { return describe_fault(name, c, 'c'); },
        [](const CaseModel& m, const Command& c) {
          return copy_page_in_range(m, c) && kernel_may_on(true, copy_of(m, c)->resident, c.page,
                                                           model::KernelActionKind::fault);
        },
        [](CaseModel& m, const Command& c) {
          copy_of(m, c).resident.insert(c.page);
          copy_of(m, c).touched.insert(c.page);
        },
        GenScope::copy_page,
        [](const GenSite& s, Offers& offer) {
          // A copy exists to be read: its pages weigh more than an object's.
          offer(12 * s.locality, at_copy_page(CommandKind::copy_fault, s));
          offer(3 * s.locality, at_copy_page(CommandKind::copy_fault, s, true));
        },
        [](const Command& c, KernelActions& k) { k.copy_fault(c.object, c.page, c.write); }},
    CommandSpec{CommandKind::copy_write, "write-copy",
                [](std::string_view name, const Command& c) {
                  return fmt::format("{} k{} c{} page {}", name, c.kernel, c.object, c.page);
                },
                holds_copy_page,
                [](CaseModel& m, const Command& c) { copy_of(m, c).touched.insert(c.page); },
                GenScope::copy_page,
                [](const GenSite& s, Offers& offer) {
                  offer(1 * s.locality, at_copy_page(CommandKind::copy_write, s));
                },
                [](const Command& c, KernelActions& k) { k.copy_write(c.object, c.page); }},
    // The copy's last mapping goes: its dirty pages come back, then
    // terminate; the original it shadowed is let go (kept until then).
    CommandSpec{CommandKind::copy_unmap, "unmap-copy",
                [](std::string_view name, const Command& c) {
                  return fmt::format("{} k{} c{}", name, c.kernel, c.object);
                },
                [](const CaseModel& m, const Command& c) { return copy_of(m, c) != nullptr; },
                [](CaseModel& m, const Command& c) {
                  copy_of(m, c).unmapped = true;
                  copy_of(m, c).resident.clear();
                },
                GenScope::copy,
                [](const GenSite& s, Offers& offer) {
                  offer(1, {CommandKind::copy_unmap, s.kernel, s.object});
                },
                [](const Command& c, KernelActions& k) { k.copy_unmap(c.object); }},
};

// Every kind has exactly one entry, and the table has no other entries: the
// replay-token decoder sizes itself from the table.
constexpr bool one_spec_per_kind() {
  if (kSpecs.size() != static_cast<std::size_t>(CommandKind::kind_count)) return false;
  for (std::size_t kind = 0; kind < kSpecs.size(); ++kind) {
    std::size_t n = 0;
    for (const CommandSpec& s : kSpecs) n += static_cast<std::size_t>(s.kind) == kind;
    if (n != 1) return false;
  }
  return true;
}
static_assert(one_spec_per_kind(), "every CommandKind needs exactly one entry in kSpecs");

// The table's index of every kind.
constexpr std::array<std::uint8_t, kSpecs.size()> kIndexOfKind = [] {
  std::array<std::uint8_t, kSpecs.size()> index{};
  for (std::size_t i = 0; i < kSpecs.size(); ++i)
    index[static_cast<std::size_t>(kSpecs[i].kind)] = static_cast<std::uint8_t>(i);
  return index;
}();

}  // namespace

std::span<const CommandSpec> command_specs() { return kSpecs; }

const CommandSpec* find_spec(CommandKind kind) {
  const auto k = static_cast<std::size_t>(kind);
  return k < kIndexOfKind.size() ? &kSpecs[kIndexOfKind[k]] : nullptr;
}

}  // namespace emmi::properties
