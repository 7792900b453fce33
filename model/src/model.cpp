// SPDX-License-Identifier: MIT
// The reference model's public API (emmi/model/model.h): the rule table, the
// Model class and its queries, and the dispatch of each event to the step
// (step.h, which lists the file of each event family). SEMANTICS.md states
// in prose what each handler does, and the SMT encoding in properties/smt
// mirrors it.
#include "emmi/model/model.h"

#include <algorithm>
#include <array>
#include <span>

#include "contents.h"
#include "emmi/model/rules.h"
#include "pager_actions.h"
#include "state.h"
#include "step.h"

namespace emmi::model {

std::span<const std::string_view> checked_rules() {
#define EMMI_MODEL_RULE_ENTRY(id, binds, what) rule::id,
  static constexpr std::array kRules{EMMI_MODEL_RULES(EMMI_MODEL_RULE_ENTRY)};
#undef EMMI_MODEL_RULE_ENTRY
  return kRules;
}

std::span<const RuleInfo> rule_table() {
#define EMMI_MODEL_RULE_INFO(id, binds, what) RuleInfo{rule::id, Binds::binds, what},
  static constexpr std::array kTable{EMMI_MODEL_RULES(EMMI_MODEL_RULE_INFO)};
#undef EMMI_MODEL_RULE_INFO
  return kTable;
}

const RuleInfo* find_rule(std::string_view id) {
  for (const RuleInfo& r : rule_table())
    if (r.id == id) return &r;
  return nullptr;
}

bool binds_pager(std::string_view id) {
  const RuleInfo* r = find_rule(id);
  return r != nullptr && r->binds != Binds::kernel;
}

std::string_view to_string(Binds b) {
  switch (b) {
    case Binds::pager: return "pager";
    case Binds::kernel: return "kernel";
    case Binds::both: return "both";
  }
  return "?";
}

namespace detail {

std::string Step::port_text(PortName n) const {
  const PortRec* r = s_.find_port(n);
  if (r != nullptr) {
    if (r->role == Role::object) return cat("object port ", hex(n), " of object ", dec(r->owner));
    if (r->role == Role::control || r->role == Role::name) {
      const Pair& p = s_.pairs[s_.incarnations[r->owner].pair];
      return cat(r->role == Role::control ? "control " : "name port ", hex(n), " of ",
                 pair_text(p));
    }
  }
  return cat("port ", hex(n));
}

void Step::sent_hook(const KernelSent& e) {
  contents::on_sent(s_, e);
  coherence::on_sent(s_, e);
  actions::on_sent(
      s_, e, [&](std::string_view r) { check(r); },
      [&](std::string_view r, std::string text) { report(r, Party::kernel, std::move(text)); });
}

}  // namespace detail

// --- Model -----------------------------------------------------------------------------

using detail::kNoIndex;
using detail::PageState;

// The pimpl is the detail state itself; the nested name keeps model.h free
// of the internals.
struct Model::State : detail::State {};

Model::Model(WorldConfig config) : s_(std::make_unique<State>()) {
  s_->config = config;
  std::size_t blocks = (config.object_size + kBlockSize - 1) / kBlockSize;
  s_->objects.resize(config.objects);
  for (detail::ObjectRec& o : s_->objects) {
    o.blocks.assign(blocks, detail::BlockHistory{});
    o.touch.assign(blocks, detail::Touch{});
  }
  s_->store.expect.assign(config.objects, std::vector<Stamp>(blocks, 0));
  s_->store.has.assign(config.objects, std::vector<std::uint8_t>(blocks, 0));
  s_->copies.of.resize(config.objects);
  detail::contents::init(*s_);
}

Model::Model(const Model& o) : s_(std::make_unique<State>(*o.s_)) {}
Model& Model::operator=(const Model& o) {
  if (this != &o) s_ = std::make_unique<State>(*o.s_);
  return *this;
}
Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;
Model::~Model() = default;

std::vector<Verdict> Model::apply(const Event& e) { return judge(e).verdicts; }

Judgement Model::judge(const Event& e) {
  Judgement out;
  detail::Step step(*s_, out);
  std::visit(step, e);
  ++s_->events;
  return out;
}

void Model::pager_stopping() { s_->stopping = true; }

Judgement Model::begin_pager_action(const PagerAction& a) { return detail::actions::begin(*s_, a); }
Judgement Model::end_pager_action(KernReturn result) { return detail::actions::end(*s_, result); }
Judgement Model::judge_store(ObjectId o, Offset offset, const std::vector<Stamp>& stamps,
                             bool after_action) {
  Judgement out = detail::actions::store(*s_, o, offset, stamps, after_action);
  detail::contents::store(*s_, o, offset, stamps, after_action, out);
  return out;
}

std::optional<Model::StoreDue> Model::store_due_at_completion() const {
  const auto& due = s_->osf.store_due;
  if (!due) return std::nullopt;
  return StoreDue{due->object, due->offset, due->length, (due->flags & kSyncSynchronous) != 0};
}

Judgement Model::judge_store_at_completion(const std::vector<Stamp>* supply,
                                           const std::vector<Stamp>* backing, StoreViews waited) {
  detail::osf::Found f = detail::osf::store_at_completion(*s_, supply, backing, waited);
  Judgement out;
  out.checked = std::move(f.checked);
  out.unjudged = std::move(f.unjudged);
  for (detail::osf::Finding& v : f.verdicts)
    out.verdicts.push_back(Verdict{v.rule, v.party, std::move(v.text), s_->events});
  return out;
}

std::vector<Verdict> Model::check_quiescent() const { return judge_quiescent().verdicts; }

Judgement Model::judge_quiescent(Quiescence which) const {
  return detail::judge_quiescent(*s_, which);
}
std::vector<KernelAction> Model::enabled_kernel_actions() const {
  const detail::State& s = *s_;
  std::vector<KernelAction> out;
  const std::vector<std::uint32_t> korder = s.kernels_by_id();
  for (ObjectId o = 0; o < s.config.objects; ++o) {
    const detail::ObjectRec& obj = s.objects[o];
    const detail::PortRec* port = obj.offered ? s.find_port(obj.port) : nullptr;
    if (port == nullptr || !port->receive) continue;  // nothing to map, or nobody to send to
    for (std::uint32_t k : korder) {
      const detail::Pair& p = s.pair(o, k);
      KernelId kid = s.kernels[k].id;
      Size ps = s.kernels[k].page_size;
      // The preconditions are kernel_may's (kernel_may.cpp), which the
      // command generator (properties/state_machine) asks too.
      PairFacts facts{p.life, p.destroy_requested};
      if (kernel_may(KernelActionKind::map, facts)) out.push_back({KernelActionKind::map, kid, o});
      auto page_facts = [&](std::size_t i) {
        PairFacts f = facts;
        f.page_resident = p.pages[i] == PageState::resident;
        f.page_requested = p.pages[i] == PageState::requested;
        return f;
      };
      for (std::size_t i = 0; i < p.pages.size(); ++i)
        if (kernel_may(KernelActionKind::fault, page_facts(i))) {
          out.push_back({KernelActionKind::fault, kid, o, i * ps, kProtRead});
          out.push_back({KernelActionKind::fault, kid, o, i * ps, kProtRead | kProtWrite});
        }
      for (std::size_t i = 0; i < p.pages.size(); ++i)
        if (kernel_may(KernelActionKind::evict, page_facts(i))) {
          out.push_back({KernelActionKind::evict, kid, o, i * ps, 0, true});
          out.push_back({KernelActionKind::evict, kid, o, i * ps, 0, false});
        }
      if (kernel_may(KernelActionKind::unmap, facts))
        out.push_back({KernelActionKind::unmap, kid, o});
    }
  }
  return out;
}

std::uint64_t Model::events_applied() const { return s_->events; }

Lifecycle Model::lifecycle(ObjectId o, KernelId k) const {
  std::uint32_t kidx = s_->kernel_index(k);
  if (kidx == kNoIndex || o >= s_->config.objects) return Lifecycle::uninitialised;
  return s_->pair(o, kidx).life;
}

std::optional<Size> Model::page_size(KernelId k) const {
  std::uint32_t kidx = s_->kernel_index(k);
  if (kidx == kNoIndex) return std::nullopt;
  return s_->kernels[kidx].page_size;
}

std::uint32_t Model::urefs(PortName name, Right r) const {
  const detail::PortRec* p = s_->find_port(name);
  if (p == nullptr) return 0;
  switch (r) {
    case Right::send: return p->send;
    case Right::receive: return p->receive ? 1 : 0;
    case Right::send_once: return p->send_once;
    case Right::dead_name: return p->dead;
    case Right::port_set: return 0;
  }
  return 0;
}

std::optional<Seqno> Model::next_seqno(PortName port) const {
  const detail::PortRec* p = s_->find_port(port);
  if (p == nullptr || !p->receive) return std::nullopt;
  return p->next;
}

std::size_t Model::queued(PortName port) const {
  const detail::PortRec* p = s_->find_port(port);
  return p == nullptr ? 0 : p->queue.size() - p->head;
}

std::vector<Offset> Model::outstanding_requests(ObjectId o, KernelId k) const {
  std::vector<Offset> out;
  std::uint32_t kidx = s_->kernel_index(k);
  if (kidx == kNoIndex || o >= s_->config.objects) return out;
  const detail::Pair& p = s_->pair(o, kidx);
  for (std::size_t i = 0; i < p.pages.size(); ++i)
    if (p.pages[i] == PageState::requested) out.push_back(i * s_->kernels[kidx].page_size);
  return out;
}

std::optional<Stamp> Model::latest_contents(ObjectId o, Offset offset) const {
  if (o >= s_->config.objects) return std::nullopt;
  const detail::ObjectRec& obj = s_->objects[o];
  std::size_t b = offset / kBlockSize;
  if (b >= obj.blocks.size() || obj.blocks[b].last_index == 0) return std::nullopt;
  return obj.blocks[b].last;
}

std::size_t Model::live_regions() const {
  return static_cast<std::size_t>(
      std::count_if(s_->regions.begin(), s_->regions.end(), [](const detail::RegionRec& r) {
        return r.state == detail::RegionState::live;
      }));
}

namespace {
std::optional<PortName> incarnation_port(const detail::State& s, ObjectId o, KernelId k,
                                         bool control) {
  std::uint32_t kidx = s.kernel_index(k);
  if (kidx == kNoIndex || o >= s.config.objects) return std::nullopt;
  const detail::Pair& p = s.pair(o, kidx);
  if (p.current == kNoIndex || !s.incarnations[p.current].init_dequeued) return std::nullopt;
  const detail::Incarnation& inc = s.incarnations[p.current];
  PortName n = control ? inc.control : inc.name;
  if (n == kNullPort) return std::nullopt;
  return n;
}
}  // namespace

std::optional<PortName> Model::control_port(ObjectId o, KernelId k) const {
  return incarnation_port(*s_, o, k, true);
}
std::optional<PortName> Model::name_port(ObjectId o, KernelId k) const {
  return incarnation_port(*s_, o, k, false);
}

}  // namespace emmi::model
