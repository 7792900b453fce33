// SPDX-License-Identifier: MIT
// Quiescence (SEMANTICS.md, "Quiescence"): what must have happened once
// nothing is left to do.
#include "step.h"

#include "locks.h"
#include "pager_actions.h"
#include "residency.h"

namespace emmi::model::detail {
namespace {

// The checks of one quiescence judgement, in the order they are made.
class Quiet {
 public:
  Quiet(const State& s, Judgement& j) : s_(s), j_(j) {}

  void pairs();
  void pair(const Pair& p);
  void pages(const Pair& p, const Incarnation& inc);
  void unlocks(const Pair& p);
  void readiness(const Pair& p, const Incarnation& inc);
  void synchronizes();
  void completions();
  void terminated(bool progress, bool holdings);
  void regions();
  void foreign_rights();

 private:
  void check(std::string_view rule) {
    auto& c = j_.checked;
    if (std::find(c.begin(), c.end(), rule) == c.end()) c.push_back(rule);
  }
  void report(std::string_view rule, std::string text) {
    check(rule);
    j_.verdicts.push_back(Verdict{rule, Party::pager, std::move(text), s_.events});
  }
  std::string pair_text(const Pair& p) const {
    return cat("object ", dec(p.object), " / kernel ", dec(s_.kernels[p.kernel].id));
  }

  const State& s_;
  Judgement& j_;
};

// Pairs in object order, then kernel id order.
void Quiet::pairs() {
  const std::vector<std::uint32_t> korder = s_.kernels_by_id();
  for (ObjectId o = 0; o < s_.config.objects; ++o)
    for (std::uint32_t k : korder) pair(s_.pair(o, k));
}

void Quiet::pair(const Pair& p) {
  if (p.current == kNoIndex || p.destroy_requested) return;
  if (p.life != Lifecycle::initialised && p.life != Lifecycle::ready) return;
  // A copy whose receive right the pager let die (a refused
  // memory_object_copy) took its queued messages with it: nothing is
  // owed on a port no one receives from (SEMANTICS.md, "Copies").
  if (copies::is_copy(s_, p.object)) {
    const PortRec* port = s_.find_port(s_.objects[p.object].port);
    if (port == nullptr || !port->receive) return;
  }
  const Incarnation& inc = s_.incarnations[p.current];
  check(rule::DR3);
  // Made ready (RD1), or made ready again after terminate (TM6).
  const bool reinit = std::any_of(s_.incarnations.begin(), s_.incarnations.end(),
                                  [&](const Incarnation& other) {
                                    return &other != &inc && other.pair == inc.pair;
                                  });
  check(reinit && p.ever_ready ? rule::TM6 : rule::RD1);
  pages(p, inc);
  unlocks(p);
  readiness(p, inc);
}

// DR3, SC4, ER2: requests still unanswered.
void Quiet::pages(const Pair& p, const Incarnation& inc) {
  Size ps = s_.kernels[p.kernel].page_size;
  for (std::size_t i = 0; i < p.pages.size(); ++i) {
    if (p.pages[i] != PageState::requested) continue;
    const bool dropped = residency::has(p, i, residency::dropped);
    const bool retry = residency::has(p, i, residency::retry);
    report(rule::DR3, cat("data_request at offset ", hex(i * ps), " of ", pair_text(p),
                          " (control ", hex(inc.control), ") is unanswered at quiescence",
                          dropped ? "; the kernel had dropped the clean page silently and "
                                    "asked for it again (RT3)"
                                  : ""));
    // SC4: a supply_completed with KERN_MEMORY_PRESENT said the kernel
    // did not take this page, and the pager never supplied it again.
    if (residency::has(p, i, residency::refused))
      report(rule::SC4, cat("data_request at offset ", hex(i * ps), " of ", pair_text(p),
                            " is unanswered at quiescence although supply_completed reported "
                            "KERN_MEMORY_PRESENT before it: the supply did not reach it"));
    // ER2: the request a client's retry makes after a data_error.
    if (retry)
      report(rule::ER2, cat("data_request at offset ", hex(i * ps), " of ", pair_text(p),
                            ", the retry of a fault the pager failed with data_error, is "
                            "unanswered at quiescence"));
  }
}

// UL2: every data_unlock is answered by a lock_request that relaxes the lock
// (or refused by a flush, UL4) before quiescence.
void Quiet::unlocks(const Pair& p) {
  Size ps = s_.kernels[p.kernel].page_size;
  for (std::size_t i = 0; i < p.pages.size(); ++i) {
    if (p.unlock[i] == 0 || p.pages[i] != PageState::resident) continue;
    check(rule::UL2);
    if (locks::unlock_outstanding(p, i))
      report(rule::UL2, cat("data_unlock at offset ", hex(i * ps), " of ", pair_text(p),
                            " asking for access ", hex(p.unlock[i]),
                            " is unanswered at quiescence: the lock is still ", hex(p.prot[i])));
  }
}

// RD1, TM6: an init answered neither by ready nor by destroy.
void Quiet::readiness(const Pair& p, const Incarnation& inc) {
  if (p.life != Lifecycle::initialised) return;
  std::string state = inc.init_failed ? cat("its init seqno ", dec(inc.init_seqno), " returned ",
                                            code_name(inc.init_code))
                      : inc.init_dequeued ? cat("init seqno ", dec(inc.init_seqno), " was handled")
                                          : std::string("its init is still queued");
  report(p.ever_ready ? rule::TM6 : rule::RD1,
         cat(pair_text(p), " was never made ready (", state, ")",
             p.ever_ready ? " although it was ready before terminate" : ""));
}

// SY5: every synchronize answered (osf.cpp).
void Quiet::synchronizes() {
  osf::Found f = osf::quiescent(s_);
  if (std::any_of(s_.osf.dialects.begin(), s_.osf.dialects.end(),
                  [](Dialect d) { return d == Dialect::osf; }))
    check(rule::SY5);
  for (osf::Finding& v : f.verdicts) report(v.rule, std::move(v.text));
}

// LK5: every lock_completed the kernel owes has been sent (a kernel duty).
void Quiet::completions() {
  for (const PendingCompletion& c : s_.completions) {
    check(rule::LK5);
    j_.verdicts.push_back(
        Verdict{rule::LK5, Party::kernel,
                cat("no lock_completed reached ", hex(c.reply), " for the lock_request at ",
                    hex(c.offset), " size ", hex(c.size)),
                s_.events});
  }
}

// Rights moved by terminate and never released (TM4, TM5, V6).
void Quiet::terminated(bool progress, bool holdings) {
  for (const Incarnation& inc : s_.incarnations) {
    if (!inc.terminate_dequeued) continue;
    const Pair& p = s_.pairs[inc.pair];
    if (progress) {
      check(rule::TM4);
      check(rule::TM5);
    }
    if (holdings) check(rule::V6);
    for (int port = 0; port < 2; ++port) {
      PortName n = port == 0 ? inc.control : inc.name;
      const PortRec* r = s_.find_port(n);
      if (n == kNullPort || r == nullptr) continue;
      std::string what = cat(port == 0 ? "control " : "name port ", hex(n), " of ", pair_text(p));
      if (progress && r->receive)
        report(port == 0 ? rule::TM4 : rule::TM5,
               cat("the pager still holds the receive right of ", what, " after terminate seqno ",
                   dec(inc.terminate_seqno)));
      if (holdings && r->send + r->dead > 0)
        report(rule::V6, cat("the pager still holds ", dec(r->send + r->dead),
                             " send/dead-name reference(s) to ", what, " after terminate seqno ",
                             dec(inc.terminate_seqno)));
    }
  }
}

// Out-of-line memory never released: PR8 for every receiver of out-of-line
// memory, and RT2 besides for the data of a data_return.
void Quiet::regions() {
  for (const RegionRec& r : s_.regions) {
    bool ret = r.msg.kind == MessageKind::data_return;
    check(rule::PR8);
    if (ret) check(rule::RT2);
    if (r.state != RegionState::live) continue;
    std::string text = cat("out-of-line memory ", hex(r.id), " of ", to_string(r.msg.kind),
                           " seqno ", dec(r.seqno), " on port ", hex(r.port),
                           ret ? " (offset " : "", ret ? hex(r.msg.offset) : "", ret ? ")" : "",
                           " was never released");
    if (ret) report(rule::RT2, text);
    report(rule::PR8, std::move(text));
  }
}

// Rights of refused foreign messages never destroyed (V2, demux.cpp).
void Quiet::foreign_rights() {
  demux::Found f = demux::after_stop(s_);
  for (std::string_view r : f.checked) check(r);
  for (osf::Finding& v : f.verdicts) report(v.rule, std::move(v.text));
}

}  // namespace

Judgement judge_quiescent(const State& s, Model::Quiescence which) {
  const bool progress = which != Model::Quiescence::after_stop;
  const bool holdings = which != Model::Quiescence::before_stop;
  Judgement judgement;
  Quiet q(s, judgement);
  if (progress) q.pairs();
  if (progress) q.synchronizes();
  q.completions();
  q.terminated(progress, holdings);
  if (holdings) q.regions();
  if (holdings) q.foreign_rights();
  if (progress) actions::quiescent(s, judgement);
  return judgement;
}

}  // namespace emmi::model::detail
