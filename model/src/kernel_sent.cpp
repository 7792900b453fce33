// SPDX-License-Identifier: MIT
// KernelSent (SEMANTICS.md, "Kernel → pager"): what the kernel may send, and
// what each message does to the pages the kernel holds.
#include "step.h"

#include "contents.h"
#include "locks.h"
#include "pager_actions.h"
#include "residency.h"
#include "supply.h"

namespace emmi::model::detail {

// The index of another kernel mapping the same object whose page size makes
// (off, size) whole pages although `p`'s page size does not (MK4, PS2), or
// kNoIndex.
std::uint32_t Step::other_kernel_unit(const Pair& p, Offset off, Size size) const {
  for (std::uint32_t k = 0; k < s_.kernels.size(); ++k) {
    if (k == p.kernel) continue;
    Size ps = s_.kernels[k].page_size;
    if (ps == s_.page_size_of(p)) continue;
    if (s_.pair(p.object, k).current == kNoIndex) continue;
    if (off % ps == 0 && size % ps == 0 && size != 0) return k;
  }
  return kNoIndex;
}

namespace {

bool about_pair(MessageKind k) {
  return k == MessageKind::init || k == MessageKind::terminate || k == MessageKind::data_request ||
         k == MessageKind::data_unlock || k == MessageKind::data_return ||
         k == MessageKind::synchronize || k == MessageKind::copy;
}

// The kernel forgets every page of the pair.
void clear_pages(Pair& p) {
  std::fill(p.pages.begin(), p.pages.end(), PageState::absent);
  std::fill(p.prot.begin(), p.prot.end(), Prot{0});
  locks::clear(p);
  residency::clear(p);
}

}  // namespace

void Step::operator()(const KernelSent& e) {
  if (!about_pair(e.kind)) {
    sent_elsewhere(e, s_.find_port(e.destination));
    return;
  }
  std::uint32_t kidx = s_.kernel_index(e.kernel);
  PortRec* dest = object_destination(e, kidx);
  if (dest == nullptr) return;

  const std::uint32_t sent = ++s_.objects[e.object].sent;  // FIFO position on the object port
  Pair& p = s_.pair(e.object, kidx);
  std::uint32_t inc = p.current;
  switch (e.kind) {
    case MessageKind::init: sent_init(e, p, inc); break;
    case MessageKind::terminate: sent_terminate(e, p, inc); break;
    case MessageKind::copy: sent_copy(e, p, kidx); break;
    default: sent_data(e, p, kidx, sent, inc); break;  // data_request, data_unlock, data_return
  }
  dest->queue.push_back(Queued{e.kind, inc, e.object, e.offset, e.length});
  sent_hook(e);
}

void Step::sent_elsewhere(const KernelSent& e, PortRec* dest) {
  // Completions and notifications: the kernel can only send where the
  // pager holds a receive right. A reply port the model has not seen
  // allocated (e.g. from mach_reply_port) is adopted with a fresh counter.
  PortRec& r = dest != nullptr ? *dest : s_.port(e.destination);
  if (!r.receive) {
    r.receive = true;
    r.next = 0;
    r.fresh = true;
  }
  r.queue.push_back(Queued{e.kind, kNoIndex, e.object, e.offset, e.length});
  if (e.kind == MessageKind::lock_completed) lock_completed(e);
  absorb(supply::sent(s_, e));  // SU11
  sent_hook(e);
}

PortRec* Step::object_destination(const KernelSent& e, std::uint32_t kidx) {
  PortRec* dest = s_.find_port(e.destination);
  if (kidx == kNoIndex || e.object >= s_.config.objects) {
    report(kidx == kNoIndex ? rule::IN1 : rule::IN7, Party::suite,
           cat(to_string(e.kind), " from kernel ", dec(e.kernel), " for object ", dec(e.object),
               ": ", kidx == kNoIndex ? "that kernel never attached" : "no such object"));
    return nullptr;
  }
  // The first message for a copy object names the port the pager took
  // with memory_object_copy (copies.h).
  if (copies::bind(s_, e)) dest = s_.find_port(e.destination);
  check(rule::IN7);
  if (dest == nullptr || !dest->receive) {
    // IN7: the kernel sends on its send right to the object port; it cannot
    // address a port the pager no longer has.
    report(rule::IN7, Party::kernel,
           cat("kernel ", dec(e.kernel), " sent ", to_string(e.kind), " for object ", dec(e.object),
               " to ", port_text(e.destination), ", for which the pager holds no receive right"));
    return nullptr;
  }
  const ObjectRec& obj = s_.objects[e.object];
  if (obj.port != e.destination)
    report(rule::IN7, Party::kernel,
           cat("kernel ", dec(e.kernel), " sent ", to_string(e.kind), " for object ", dec(e.object),
               " to ", port_text(e.destination), ", not to its object port ", hex(obj.port)));
  return dest;
}

void Step::sent_init(const KernelSent& e, Pair& p, std::uint32_t& inc) {
  // IN1: one init per (object, kernel) until terminate; GNU Mach queues a
  // re-init behind the terminate (gnumach-kernel.md, 3a).
  check(rule::IN1);
  if (p.life == Lifecycle::initialised || p.life == Lifecycle::ready)
    report(rule::IN1, Party::kernel,
           cat("kernel ", dec(e.kernel), " sent a second init for ", pair_text(p), " while it is ",
               to_string(p.life)));
  const auto pair_index = static_cast<std::uint32_t>(&p - s_.pairs.data());
  inc = static_cast<std::uint32_t>(s_.incarnations.size());
  s_.incarnations.push_back(Incarnation{pair_index});
  p.current = inc;
  p.life = Lifecycle::initialised;
  p.destroy_requested = false;
  clear_pages(p);
}

void Step::sent_terminate(const KernelSent& e, Pair& p, std::uint32_t& inc) {
  check(rule::IN1);
  check(rule::TM8);
  if (p.life == Lifecycle::uninitialised) {
    report(rule::IN1, Party::kernel,
           cat("kernel ", dec(e.kernel), " sent terminate for ", pair_text(p), " before any init"));
    inc = kNoIndex;
    return;
  }
  if (p.life == Lifecycle::terminating || p.life == Lifecycle::terminated) {
    report(rule::TM8, Party::kernel,
           cat("kernel ", dec(e.kernel), " sent a second terminate for ", pair_text(p)));
    inc = kNoIndex;
    return;
  }
  // The kernel forgets the mapping: outstanding requests are no longer
  // waited for and resident pages are gone (all returns came first, 3d).
  p.life = Lifecycle::terminating;
  s_.incarnations[inc].terminate_sent = true;
  osf::terminated(s_, inc);
  clear_pages(p);
}

void Step::sent_copy(const KernelSent& e, Pair& p, std::uint32_t kidx) {
  // GNU Mach copies only a ready object (vm_object_copy_strategically
  // waits for pager_ready).
  check(rule::RD1);
  if (p.life != Lifecycle::ready)
    report(rule::RD1, Party::kernel,
           cat("kernel ", dec(e.kernel), " sent memory_object_copy for ", pair_text(p),
               " while it is ", to_string(p.life)));
  absorb(copies::made(s_, e, kidx));
  // The range's resident pages are write-locked (vm_object_copy_call),
  // so a write to one asks the pager to unlock it (UL3).
  const Size ps = s_.page_size_of(p);
  if (e.offset % ps == 0)
    for (std::size_t i = e.offset / ps;
         i < std::min<std::size_t>(p.pages.size(), sat_add(e.offset, e.length) / ps); ++i)
      if (p.pages[i] == PageState::resident) p.prot[i] |= kProtWrite;
}

bool Step::data_lifecycle_ok(const KernelSent& e, const Pair& p) {
  check(rule::IN1);
  check(rule::TM8);
  if (p.life == Lifecycle::uninitialised) {
    report(rule::IN1, Party::kernel,
           cat("kernel ", dec(e.kernel), " sent ", to_string(e.kind), " for ", pair_text(p),
               " before init"));
    return false;
  }
  if (p.life == Lifecycle::terminating || p.life == Lifecycle::terminated) {
    report(rule::TM8, Party::kernel,
           cat("kernel ", dec(e.kernel), " sent ", to_string(e.kind), " for ", pair_text(p),
               " after terminate"));
    return false;
  }
  return true;
}

void Step::sent_data(const KernelSent& e, Pair& p, std::uint32_t kidx, std::uint32_t sent,
                     std::uint32_t& inc) {
  if (!data_lifecycle_ok(e, p)) {
    inc = kNoIndex;
    return;
  }
  const Size ps = s_.page_size_of(p);
  check(rule::PS1);
  if (s_.kernels.size() > 1) check(rule::PS2);
  if (e.kind != MessageKind::data_return) {
    check(rule::RD1);
    check(rule::DR1);
  } else {
    check(rule::RT1);
  }
  if (e.kind != MessageKind::data_return && p.life == Lifecycle::initialised)
    report(rule::RD1, Party::kernel,
           cat("kernel ", dec(e.kernel), " sent ", to_string(e.kind), " at offset ", hex(e.offset),
               " for ", pair_text(p), " before the pager made it ready"));
  if (e.kind == MessageKind::data_unlock) check(rule::UL6);
  if (e.offset % ps != 0 || e.length % ps != 0 || e.length == 0) {
    std::uint32_t other = other_kernel_unit(p, e.offset, e.length);
    const std::string_view unit_rule = e.kind == MessageKind::data_unlock ? rule::UL6 : rule::PS1;
    report(other != kNoIndex ? rule::PS2 : unit_rule, Party::kernel,
           cat("kernel ", dec(e.kernel), " sent ", to_string(e.kind), " offset ", hex(e.offset),
               " length ", hex(e.length), " for ", pair_text(p),
               ": not whole pages of its page size ", hex(ps),
               other != kNoIndex ? cat(" (whole pages of kernel ", kernel_text(other), "'s)")
                                 : std::string()));
  }
  Size end = sat_add(e.offset, e.length);
  if (end > s_.config.object_size && e.kind != MessageKind::data_return)
    report(rule::DR1, Party::kernel,
           cat("kernel ", dec(e.kernel), " sent ", to_string(e.kind), " for [", hex(e.offset), ", ",
               hex(end), ") of ", pair_text(p), ", beyond the object's size ",
               hex(s_.config.object_size)));
  std::size_t first = e.offset / ps;
  std::size_t last = std::min<std::size_t>(p.pages.size(), (end + ps - 1) / ps);
  if (e.kind != MessageKind::data_return) locks::end_flush_window(p);
  if (e.kind == MessageKind::data_unlock) data_unlock(e, p, first, last);
  if (e.kind == MessageKind::data_request)
    sent_data_request(e, p, first, last, sent);
  else if (e.kind == MessageKind::data_return)
    sent_data_return(e, p, first, last, sent);
  // OSF: data_returns a synchronize must find handled, and synchronize.
  if (osf::speaks_osf(s_, kidx)) absorb(osf::kernel_sent(s_, e, inc, sent));
}

void Step::sent_data_request(const KernelSent& e, Pair& p, std::size_t first, std::size_t last,
                             std::uint32_t sent) {
  const Size ps = s_.page_size_of(p);
  for (std::size_t i = first; i < last; ++i) {
    // A page the model thinks resident was dropped silently (RT3),
    // which the kernel may do only to a page that is not precious
    // (SU7); a page a data_error failed is retried (ER2).
    if (p.pages[i] == PageState::resident) check(rule::SU7);
    if (residency::request(p, i))
      report(rule::SU7, Party::kernel,
             cat("kernel ", dec(e.kernel), " requested page ", hex(i * ps), " of ", pair_text(p),
                 " again without returning it, but the pager supplied it "
                 "precious"));
    if (residency::has(p, i, residency::retry)) check(rule::ER2);
    // A page already requested merges (GNU Mach never sends one).
    if (p.pages[i] == PageState::requested) {
      p.prot[i] |= e.access;
    } else {
      p.prot[i] = e.access;
      p.req[i] = sent;
    }
    p.pages[i] = PageState::requested;
  }
}

void Step::sent_data_return(const KernelSent& e, Pair& p, std::size_t first, std::size_t last,
                            std::uint32_t sent) {
  const Size ps = s_.page_size_of(p);
  const Size end = sat_add(e.offset, e.length);
  // RT1: the kernel writes back only pages it holds.
  Offset not_held = ~Offset{0};
  for (std::size_t i = first; i < last; ++i) {
    if (p.pages[i] != PageState::resident) {
      // The write-back of a page the lock_request just flushed.
      if (locks::take_flushed(p, i)) continue;
      not_held = std::min<Offset>(not_held, i * ps);
      continue;
    }
    // With kernel_copy the kernel keeps a clean copy (lock_request
    // without a flush, gnumach-kernel.md §3c).
    if (e.kernel_copy) continue;
    p.pages[i] = PageState::absent;
    p.prot[i] = 0;
    p.unlock[i] = 0;
    residency::left(p, i);
  }
  if (not_held == ~Offset{0} && end > s_.config.object_size)
    not_held = std::max<Offset>(e.offset, s_.config.object_size);
  if (not_held != ~Offset{0})
    report(rule::RT1, Party::kernel,
           cat("kernel ", dec(e.kernel), " returned page ", hex(not_held), " of ", pair_text(p),
               ", which it does not hold"));
  // The latest contents of each block, as the kernel sent them (RT4).
  if (e.offset % kBlockSize == 0 && e.length % kBlockSize == 0) {
    std::size_t blocks = e.length / kBlockSize;
    if (e.stamps.size() != blocks)
      report(rule::RT4, Party::suite,
             cat("data_return of ", pair_text(p), " at ", hex(e.offset), " carries ",
                 dec(e.stamps.size()), " block stamps for ", dec(blocks), " blocks"));
    ObjectRec& o = s_.objects[e.object];
    copies::returned(s_, e);
    std::size_t b0 = e.offset / kBlockSize;
    for (std::size_t i = 0; i < std::min(blocks, e.stamps.size()); ++i) {
      if (b0 + i >= o.blocks.size()) break;
      o.blocks[b0 + i].record(sent, e.stamps[i], p.kernel);
    }
  }
}

// --- page locks (locks.h; SEMANTICS.md, "Page locks") ------------------------------

void Step::data_unlock(const KernelSent& e, Pair& p, std::size_t first, std::size_t last) {
  // UL1: the kernel asks about data it caches; UL3: for an access the
  // page's lock forbids (a thread needs it). Both are kernel duties.
  check(rule::UL1);
  check(rule::UL3);
  if (auto f = locks::unlock_fault(p, first, last, e.access)) {
    const Size ps = s_.page_size_of(p);
    if (f->not_cached)
      report(rule::UL1, Party::kernel,
             cat("kernel ", dec(e.kernel), " sent data_unlock for page ", hex(f->page * ps), " of ",
                 pair_text(p), ", which it does not cache"));
    else
      report(rule::UL3, Party::kernel,
             cat("kernel ", dec(e.kernel), " sent data_unlock for page ", hex(f->page * ps), " of ",
                 pair_text(p), " asking for access ", hex(e.access), ", which its lock ",
                 hex(p.prot[f->page]), " does not forbid"));
  }
  locks::record_unlock(p, first, last, e.access);
}

void Step::lock_completed(const KernelSent& e) {
  // Only completions the model expects are judged: a send-once right the
  // pager made under another name cannot be told from an unrelated one.
  const bool owed = std::any_of(s_.completions.begin(), s_.completions.end(),
                                [&](const PendingCompletion& c) {
                                  return c.reply == e.destination;
                                });
  if (!owed) return;
  check(rule::LK5);
  check(rule::LK9);
  if (locks::complete(s_, e.destination, e.offset, e.length) == locks::Completion::wrong_range)
    report(rule::LK9, Party::kernel,
           cat("lock_completed to ", port_text(e.destination), " for offset ", hex(e.offset),
               " size ", hex(e.length), " echoes no lock_request made with that reply port"));
}

}  // namespace emmi::model::detail
