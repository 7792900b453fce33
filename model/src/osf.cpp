// SPDX-License-Identifier: MIT
// See osf.h. Every check cites the manual page it follows; the choices the
// pages leave open are recorded in model/SEMANTICS.md, "OSF dialect".
#include "osf.h"

#include <algorithm>

#include "emmi/model/rules.h"
#include "state.h"
#include "text.h"

namespace emmi::model::detail::osf {

namespace {

bool overlaps(Offset a, Size alen, Offset b, Size blen) { return a < b + blen && b < a + alen; }

std::string range_text(Offset o, Size l) { return cat("[", hex(o), ", ", hex(o + l), ")"); }

std::string pair_text(const State& s, std::uint32_t incarnation) {
  const Pair& p = s.pairs[s.incarnations[incarnation].pair];
  return cat("object ", dec(p.object), " / kernel ", dec(s.kernels[p.kernel].id));
}

// The count (in ints) of each flavour's structure on x86_64, or 0 for a
// flavour the pages do not define (MO_change_attributes.html).
std::uint32_t count_of(std::int32_t flavor) {
  switch (flavor) {
    case kFlavorPerformance: return kPerfInfoCount;
    case kFlavorAttributes: return kAttrInfoCount;
    case kFlavorBehavior: return kBehaviorInfoCount;
    default: return 0;
  }
}

}  // namespace

void kernel_attached(State& s, std::uint32_t kidx, Dialect d) {
  if (s.osf.dialects.size() <= kidx) s.osf.dialects.resize(kidx + 1, Dialect::gnumach);
  s.osf.dialects[kidx] = d;
}

bool speaks_osf(const State& s, std::uint32_t kidx) {
  return kidx < s.osf.dialects.size() && s.osf.dialects[kidx] == Dialect::osf;
}

Found kernel_sent(State& s, const KernelSent& e, std::uint32_t incarnation, std::uint32_t sent) {
  Found f;
  if (e.kind != MessageKind::synchronize) return f;
  const Pair& p = s.pairs[s.incarnations[incarnation].pair];
  // vm_msync.html: "Specifying both VM_SYNC_SYNCHRONOUS and
  // VM_SYNC_ASYNCHRONOUS is invalid" (SY10).
  f.check(rule::SY10);
  if ((e.sync_flags & kSyncSynchronous) != 0 && (e.sync_flags & kSyncAsynchronous) != 0)
    f.report(rule::SY10, Party::kernel,
             cat("kernel sent synchronize ", range_text(e.offset, e.length), " for ",
                 pair_text(s, incarnation), " with both SYNCHRONOUS and ASYNCHRONOUS"));
  // memory_object_synchronize.html: "Multiple synchronize requests may be
  // outstanding at a time but they will not overlap" (SY4).
  f.check(rule::SY4);
  for (const Sync& other : s.osf.syncs)
    if (other.incarnation == incarnation &&
        overlaps(other.offset, other.length, e.offset, e.length))
      f.report(rule::SY4, Party::kernel,
               cat("kernel sent synchronize ", range_text(e.offset, e.length), " for ",
                   pair_text(s, incarnation), " while synchronize ",
                   range_text(other.offset, other.length), " is outstanding"));
  // SY1 ("preceded by memory_object_data_return messages cleaning or
  // flushing the specified range") is the driver's to honour: the model
  // knows residency, not dirtiness. It only follows SY9: with INVALIDATE no
  // page of the range stays resident in the kernel.
  if ((e.sync_flags & kSyncInvalidate) != 0) {
    Pair& mp = s.pairs[s.incarnations[incarnation].pair];
    const Size ps = s.kernels[mp.kernel].page_size;
    for (std::size_t i = e.offset / ps; i < mp.pages.size() && i * ps < e.offset + e.length; ++i)
      if (mp.pages[i] == PageState::resident) mp.pages[i] = PageState::absent;
  }
  (void)p;
  s.osf.syncs.push_back(Sync{incarnation, e.object, e.offset, e.length, sent, e.sync_flags});
  return f;
}

void terminated(State& s, std::uint32_t incarnation) {
  auto& v = s.osf.syncs;
  v.erase(std::remove_if(v.begin(), v.end(),
                         [&](const Sync& y) { return y.incarnation == incarnation; }),
          v.end());
}

std::string stale_after_sync(const State& s, ObjectId object, Offset block,
                             std::uint32_t returned_at) {
  for (const Sync& y : s.osf.completed)
    if (y.object == object && y.sent > returned_at && block >= y.offset &&
        block < y.offset + y.length)
      return cat("the pager completed synchronize ", range_text(y.offset, y.length), " of ",
                 pair_text(s, y.incarnation), ", which the kernel sent after returning block ",
                 hex(block), ", so that data_return must be applied");
  return {};
}

Found control_called(State& s, const ControlCalled& e, std::uint32_t incarnation) {
  Found f;
  if (e.call == ControlCall::change_attributes) {
    // MO_change_attributes.html: the flavour selects the structure (CA1)
    // and attributes_count is its size in ints (CA2).
    const std::uint32_t want = count_of(e.flavor);
    f.check(rule::CA1);
    if (want == 0) {
      f.report(rule::CA1, Party::pager,
               cat("change_attributes on ", hex(e.control), " (", pair_text(s, incarnation),
                   ") names flavour ", dec(static_cast<std::uint64_t>(e.flavor)),
                   ", which is none of PERFORMANCE_INFO (11), ATTRIBUTES_INFO (14), "
                   "BEHAVIOR_INFO (15)"));
      return f;
    }
    f.check(rule::CA2);
    if (e.attributes_count != want)
      f.report(rule::CA2, Party::pager,
               cat("change_attributes on ", hex(e.control), " (", pair_text(s, incarnation),
                   ") sends flavour ", dec(static_cast<std::uint64_t>(e.flavor)), " with ",
                   dec(e.attributes_count), " ints; that flavour's structure has ", dec(want)));
    return f;
  }
  if (e.call == ControlCall::get_attributes) {
    // MO_get_attributes.html: attributes_count is "On input, the maximum
    // size of the buffer; on output, the size returned" (CA6). The pager's
    // half (its buffer's size going in) is what the MIG stub it calls sends;
    // the kernel's half is checked: a reply within that maximum, of the
    // flavour's size when it fits.
    f.check(rule::CA6);
    const std::uint32_t want = count_of(e.flavor);
    const bool fits = e.accepted && want != 0 && e.attributes_count >= want;
    if (e.answered_count > e.attributes_count || (fits && e.answered_count != want))
      f.report(rule::CA6, Party::kernel,
               cat("the kernel answered get_attributes on ", hex(e.control), " (",
                   pair_text(s, incarnation), ") for flavour ",
                   dec(static_cast<std::uint64_t>(e.flavor)), " with ", dec(e.answered_count),
                   " ints; the caller's buffer holds ", dec(e.attributes_count),
                   " and the flavour's structure has ", dec(want)));
    return f;
  }
  if (e.call != ControlCall::synchronize_completed) return f;
  // MO_SY_completed.html: "The offset and length must match that of the
  // corresponding memory_object_synchronize call" (SY3).
  f.check(rule::SY3);
  auto& v = s.osf.syncs;
  auto it = std::find_if(v.begin(), v.end(), [&](const Sync& y) {
    return y.incarnation == incarnation && y.offset == e.offset && y.length == e.size;
  });
  if (it == v.end()) {
    std::string outstanding;
    for (const Sync& y : v)
      if (y.incarnation == incarnation)
        outstanding += cat(outstanding.empty() ? "" : ", ", range_text(y.offset, y.length));
    f.report(rule::SY3, Party::pager,
             cat("synchronize_completed ", range_text(e.offset, e.size), " on ", hex(e.control),
                 " (", pair_text(s, incarnation), ") matches no outstanding synchronize",
                 outstanding.empty() ? std::string(" (none is outstanding)")
                                     : cat(" (outstanding: ", outstanding, ")")));
    return f;
  }
  // memory_object_synchronize.html: the manager "waits for the pages to reach
  // the desired state and then replies" (SY2). When its data reached the
  // pager's store is not observable; what is, is a later supply of a block
  // of this range with contents older than a data_return sent before this
  // synchronize (stale_after_sync, SEMANTICS.md "OSF dialect").
  s.osf.completed.push_back(*it);
  s.osf.store_due = *it;
  v.erase(it);
  return f;
}

Found store_at_completion(State& s, const std::vector<Stamp>* supply,
                          const std::vector<Stamp>* backing, StoreViews waited) {
  Found f;
  if (!s.osf.store_due) return f;
  const Sync y = *s.osf.store_due;
  s.osf.store_due.reset();
  if (y.object >= s.objects.size()) return f;
  const std::vector<BlockHistory>& blocks = s.objects[y.object].blocks;
  const bool synchronous = (y.flags & kSyncSynchronous) != 0;
  const std::uint32_t kernel = s.pairs[s.incarnations[y.incarnation].pair].kernel;
  // One view, one rule: read_store is what the pager would supply, which
  // includes data queued for backing storage (MO_SY_completed.html: "has
  // been queued or placed on backing storage", SY8); the backing storage
  // alone answers SYNCHRONOUS (memory_object_synchronize.html: "waits for
  // pages to reach backing storage", SY6).
  // `got` null: the view was wanted but not read at the instant, and the
  // rule is unjudged if a block would have been compared.
  auto judge = [&](const std::vector<Stamp>* got, std::string_view rule, std::string_view view) {
    const std::size_t b0 = y.offset / kBlockSize;
    const std::size_t n = got != nullptr ? got->size() : y.length / kBlockSize;
    bool counted = false;
    for (std::size_t i = 0; i < n && b0 + i < blocks.size(); ++i) {
      const BlockHistory& h = blocks[b0 + i];
      Stamp want = 0;
      // Only blocks this kernel returned before its synchronize (SY1's
      // data_returns, or earlier ones) have contents the completion
      // vouches for; another kernel's return is not this vm_msync's. A
      // later return may already be stored instead; past two returns the
      // history is gone (expected() says so), and the block is not judged.
      if (!h.expected(y.sent, want)) continue;
      const std::uint32_t from = h.last_index < y.sent ? h.last_kernel : h.prev_kernel;
      if (from != kernel) continue;
      if (got == nullptr) {
        f.unjudged.push_back(rule);
        return;
      }
      if (!counted) f.check(rule);  // once, and only where a block is compared
      counted = true;
      const Stamp have = (*got)[i];
      if (have == want || (h.last_index > y.sent && have == h.last)) continue;
      f.report(rule, Party::pager,
               cat("the pager sent synchronize_completed ", range_text(y.offset, y.length), " for ",
                   pair_text(s, y.incarnation), " (",
                   synchronous ? "VM_SYNC_SYNCHRONOUS" : "without VM_SYNC_SYNCHRONOUS",
                   ") while its ", view, " held ", hex(have), " for block ",
                   hex((b0 + i) * kBlockSize), ", not the ", hex(want),
                   " the kernel returned before that synchronize"));
      return;
    }
  };
  if (supply != nullptr || waited.supply)
    judge(supply, rule::SY8, "store (read_store: stored or queued)");
  if (synchronous && (backing != nullptr || waited.backing))
    judge(backing, rule::SY6, "backing storage");
  return f;
}

Found quiescent(const State& s) {
  Found f;
  // vm_msync.html: "The client does not return from this call until the
  // memory manager responds ... with memory_object_synchronize_completed"
  // (SY5).
  for (const Sync& y : s.osf.syncs) {
    f.report(rule::SY5, Party::pager,
             cat("synchronize ", range_text(y.offset, y.length), " of ",
                 pair_text(s, y.incarnation),
                 " is unanswered at quiescence: the client's "
                 "vm_msync still waits"));
  }
  return f;
}

}  // namespace emmi::model::detail::osf
