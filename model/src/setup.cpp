// SPDX-License-Identifier: MIT
// The model's set-up events (SEMANTICS.md, "State"): a kernel attaches, the pager
// offers an object.
#include "step.h"

#include "locks.h"
#include "residency.h"

namespace emmi::model::detail {

void Step::operator()(const KernelAttached& e) {
  if (s_.kernel_index(e.kernel) != kNoIndex) {
    report(rule::PS1, Party::suite, cat("kernel ", dec(e.kernel), " attached twice"));
    return;
  }
  if (e.page_size == 0 || e.page_size % kBlockSize != 0) {
    report(rule::PS1, Party::suite,
           cat("kernel ", dec(e.kernel), " has page size ", hex(e.page_size),
               ", not a positive multiple of 0x1000"));
    return;
  }
  if (s_.config.object_size % e.page_size != 0)
    report(rule::PS1, Party::suite,
           cat("object size ", hex(s_.config.object_size), " is not a multiple of kernel ",
               dec(e.kernel), "'s page size ", hex(e.page_size)));
  auto kidx = static_cast<std::uint32_t>(s_.kernels.size());
  s_.kernels.push_back({e.kernel, e.page_size});
  osf::kernel_attached(s_, kidx, e.dialect);
  std::size_t pages = (s_.config.object_size + e.page_size - 1) / e.page_size;
  for (ObjectId o = 0; o < s_.config.objects; ++o) {
    Pair p;
    p.object = o;
    p.kernel = kidx;
    p.pages.assign(pages, PageState::absent);
    p.prot.assign(pages, 0);
    p.req.assign(pages, 0);
    locks::init_pages(p, pages);
    residency::init_pages(p, pages);
    s_.pairs.push_back(std::move(p));
  }
}

void Step::operator()(const ObjectOffered& e) {
  if (e.object >= s_.config.objects) {
    report(rule::IN7, Party::suite,
           cat("object ", dec(e.object), " offered, but the world has ", dec(s_.config.objects),
               " objects"));
    return;
  }
  ObjectRec& obj = s_.objects[e.object];
  if (obj.offered || e.port == kNullPort || e.port == kDeadPort) {
    report(rule::IN7, Party::suite,
           cat("object ", dec(e.object), " offered ", obj.offered ? "twice" : "with a null port"));
    return;
  }
  PortRec& r = s_.port(e.port);
  if (r.role != Role::none) {
    report(rule::IN7, Party::suite,
           cat("object ", dec(e.object), " offered on ", port_text(e.port)));
    return;
  }
  r.role = Role::object;
  r.owner = e.object;
  if (!r.receive) {  // not reported by an earlier allocate: the counter starts now
    r.receive = true;
    r.next = 0;
    r.fresh = true;
  }
  obj.port = e.port;
  obj.offered = true;
  // What the kernels' send right cost the pager's ledger. MAKE_SEND makes a
  // new right from the receive right: nothing leaves. COPY_SEND and
  // MOVE_SEND need a send right under the name (the simulated kernel took
  // it, so the pager held one); MOVE_SEND takes one user reference away, so
  // a later release of it by the pager is judged as a release of a right it
  // no longer holds.
  if (e.disposition == Disposition::make_send) return;
  if (r.send == 0) {
    report(rule::V3, Party::suite,
           cat("object ", dec(e.object), " offered with ", to_string(e.disposition), " on ",
               hex(e.port), ", but the model saw the pager hold no send right under that name"));
    return;
  }
  if (e.disposition == Disposition::move_send) {
    --r.send;
    r.moved_away = true;
  }
}

}  // namespace emmi::model::detail
