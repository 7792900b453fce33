// SPDX-License-Identifier: MIT
// A fluent builder of EMMI traces for tests: it plays a conforming GNU Mach
// kernel (port names, seqnos, the rights each message carries, out-of-line
// regions, the kernel's answers to port operations) so that a test reads like
// a protocol trace and only spells out where it deviates. Free of any test
// framework, so property tests and benchmarks can reuse it.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "emmi/model/model.h"

namespace emmi::model::testing {

inline constexpr PortName kObjectPortBase = 0x100;
inline constexpr PortName kFirstKernelName = 0x1a00;

class Scenario {
 public:
  using Tweak = std::function<void(Dequeued&)>;

  explicit Scenario(WorldConfig config = {}) : model_(config), config_(config) {}

  // --- the world -------------------------------------------------------------
  Scenario& attach(KernelId k, Size page_size) {
    page_sizes_[k] = page_size;
    return apply(KernelAttached{k, page_size});
  }
  // A kernel of the OSF dialect: init and terminate carry no name port.
  Scenario& attach_osf(KernelId k, Size page_size) {
    page_sizes_[k] = page_size;
    osf_.insert(k);
    return apply(KernelAttached{k, page_size, Dialect::osf});
  }
  Scenario& offer(ObjectId o) { return offer(o, kObjectPortBase + o); }
  Scenario& offer(ObjectId o, PortName port, Disposition d = Disposition::make_send) {
    ports_[o] = port;
    seqnos_[port] = 0;
    return apply(ObjectOffered{o, port, d});
  }
  // The pager's start(): allocate the object's receive right, make `sends`
  // send rights under its name (mach_port_insert_right), offer it with `d`.
  Scenario& offer_with(ObjectId o, Disposition d, std::uint32_t sends, ThreadId t = 99) {
    const PortName port = kObjectPortBase + o;
    allocate(t, port);
    for (std::uint32_t i = 0; i < sends; ++i)
      apply(PortOperated{t, PortOp::insert_right, port, Right::send, 1});
    return offer(o, port, d);
  }

  // --- the kernel (what a conforming GNU Mach kernel sends) --------------------
  // init: the kernel makes a fresh control port and name port for this map.
  Scenario& map(ObjectId o, KernelId k) {
    PairView& pv = pairs_[{o, k}];
    pv.control = next_name_++;
    pv.name = osf_.count(k) != 0 ? kNullPort : next_name_++;
    pv.live = true;
    return send(KernelSent{MessageKind::init, port(o), k, o});
  }
  Scenario& fault(ObjectId o, KernelId k, Offset off, Prot access = kProtRead) {
    return fault_range(o, k, off, page_size(k), access);
  }
  Scenario& fault_range(ObjectId o, KernelId k, Offset off, Size len, Prot access = kProtRead) {
    KernelSent m{MessageKind::data_request, port(o), k, o, off, len, access};
    return send(std::move(m));
  }
  Scenario& unlock(ObjectId o, KernelId k, Offset off, Prot access = kProtRead | kProtWrite) {
    return send(KernelSent{MessageKind::data_unlock, port(o), k, o, off, page_size(k), access});
  }
  // data_return of one kernel page: dirty pages carry fresh contents, clean
  // ones what the kernel was supplied.
  Scenario& evict(ObjectId o, KernelId k, Offset off, bool dirty = true) {
    std::vector<Stamp> stamps;
    for (Size b = 0; b < page_size(k); b += kBlockSize)
      stamps.push_back(dirty ? next_stamp_++ : held(o, k, off + b));
    return evict_with(o, k, off, std::move(stamps), dirty);
  }
  Scenario& evict_with(ObjectId o, KernelId k, Offset off, std::vector<Stamp> stamps,
                       bool dirty = true) {
    KernelSent m{MessageKind::data_return, port(o), k, o, off, stamps.size() * kBlockSize};
    m.dirty = dirty;
    m.stamps = std::move(stamps);
    for (Size b = 0; b < m.length; b += kBlockSize) held_.erase({o, k, off + b});
    return send(std::move(m));
  }
  Scenario& unmap(ObjectId o, KernelId k) {
    PairView& pv = pairs_[{o, k}];
    Scenario& s = send(KernelSent{MessageKind::terminate, port(o), k, o});
    pv.live = false;
    for (auto it = held_.begin(); it != held_.end();)
      it = (std::get<0>(it->first) == o && std::get<1>(it->first) == k) ? held_.erase(it)
                                                                        : std::next(it);
    return s;
  }
  // A completion to a reply port the pager named (lock/supply carry control).
  Scenario& complete(MessageKind kind, PortName reply, ObjectId o, KernelId k, Offset off = 0,
                     Size len = 0) {
    return send(KernelSent{kind, reply, k, o, off, len});
  }
  Scenario& notify(MessageKind kind, PortName port) { return send(KernelSent{kind, port}); }
  // OSF: the kernel's vm_msync of [off, off+len) (after its returns).
  Scenario& synchronize(ObjectId o, KernelId k, Offset off, Size len,
                        std::int32_t flags = kSyncSynchronous) {
    KernelSent m{MessageKind::synchronize, port(o), k, o, off, len};
    m.sync_flags = flags;
    return send(std::move(m));
  }
  // GNU Mach's memory_object_copy of [off, off+len) of object o, made by
  // kernel k: copy object `c` (a slot beyond the offered objects) gets the
  // receive right `port`. `stamps`/`resident`: what the kernel held of the
  // range (empty: nothing resident). Its init follows with map(c, k).
  Scenario& copy(ObjectId o, KernelId k, Offset off, Size len, ObjectId c, PortName port,
                 std::vector<Stamp> stamps = {}, std::vector<std::uint8_t> resident = {}) {
    KernelSent m{MessageKind::copy, this->port(o), k, o, off, len};
    m.copy_object = c;
    stamps.resize(len / kBlockSize, 0);
    resident.resize(len / kBlockSize, 0);
    m.stamps = std::move(stamps);
    m.resident = std::move(resident);
    ports_[c] = port;
    seqnos_[port] = 0;
    return send(std::move(m));
  }
  // The kernel's data_unavailable of a copy's page read the original's
  // resident page: `read` is what it read (ControlCalled::stamps).
  Scenario& unavailable_read(ThreadId t, ObjectId o, KernelId k, Offset off,
                             std::vector<Stamp> read) {
    ControlCalled c{t, ControlCall::data_unavailable, control(o, k), off, page_size(k)};
    c.stamps = std::move(read);
    return call(std::move(c));
  }
  // Any message; the rights it will carry follow from its kind and the pair.
  Scenario& send(KernelSent m) {
    Pending p{m, 0, 0};
    auto it = pairs_.find({m.object, m.kernel});
    if (it != pairs_.end()) {
      p.control = it->second.control;
      p.name = it->second.name;
    }
    queues_[m.destination].push_back(std::move(p));
    return apply(std::move(m));
  }
  // Performs one action of Model::enabled_kernel_actions().
  Scenario& perform(const KernelAction& a) {
    switch (a.kind) {
      case KernelActionKind::map: return map(a.object, a.kernel);
      case KernelActionKind::fault: return fault(a.object, a.kernel, a.offset, a.access);
      case KernelActionKind::evict: return evict(a.object, a.kernel, a.offset, a.dirty);
      case KernelActionKind::unmap: return unmap(a.object, a.kernel);
    }
    return *this;
  }

  // --- dequeue and handler return ------------------------------------------------
  // The pager's thread `t` receives the oldest message of object o's port,
  // stamped and with rights as GNU Mach would; `tweak` may then change it.
  Scenario& dequeue(ThreadId t, ObjectId o, Tweak tweak = {}) {
    return dequeue_port(t, port(o), std::move(tweak));
  }
  Scenario& dequeue_port(ThreadId t, PortName port, Tweak tweak = {}) {
    Dequeued d{t, port, seqnos_[port]++, {}};
    auto& q = queues_[port];
    if (!q.empty()) {
      Pending p = std::move(q.front());
      q.pop_front();
      const KernelSent& m = p.msg;
      switch (m.kind) {
        case MessageKind::init:
          d.rights = {{p.control, Right::send}, {p.name, Right::send}};
          if (p.name == kNullPort) d.rights.pop_back();  // OSF
          break;
        case MessageKind::terminate:
          d.rights = {{p.control, Right::receive}, {p.name, Right::receive}};
          if (p.name == kNullPort) d.rights.pop_back();  // OSF
          seqnos_[p.control] = 0;                        // receive rights moved in start at 0
          seqnos_[p.name] = 0;
          break;
        case MessageKind::copy:
          // The old control port (made send) and the new object's receive
          // right.
          d.rights = {{p.control, Right::send}, {ports_[m.copy_object], Right::receive}};
          break;
        case MessageKind::data_request:
        case MessageKind::data_unlock:
        case MessageKind::lock_completed:
        case MessageKind::supply_completed:
        case MessageKind::synchronize:
          if (p.control != kNullPort) d.rights = {{p.control, Right::send}};
          break;
        case MessageKind::data_return:
          if (p.control != kNullPort) d.rights = {{p.control, Right::send}};
          d.region = next_region_++;
          d.region_size = m.length;
          for (std::size_t i = 0; i < m.stamps.size(); ++i)
            store_[{m.object, m.offset + i * kBlockSize}] = m.stamps[i];
          break;
        default: break;
      }
    }
    if (tweak) tweak(d);
    if (d.region != 0) last_region_ = d.region;
    handling_region_[t] = d.region;
    return apply(std::move(d));
  }
  Scenario& ret(ThreadId t, KernReturn code = kKernSuccess) {
    // mach_msg_server frees the request's out-of-line memory on an error.
    if (code != kKernSuccess && code != kMigNoReply && handling_region_[t] != 0)
      freed_.insert(handling_region_[t]);
    handling_region_[t] = 0;
    return apply(HandlerReturned{t, code});
  }
  Scenario& handle(ThreadId t, ObjectId o) { return dequeue(t, o).ret(t); }

  // --- the pager's control calls (on the control port of pair (o, k)) -----------
  Scenario& ready(ThreadId t, ObjectId o, KernelId k) {
    return call_on(t, ControlCall::ready, control(o, k));
  }
  Scenario& change_attributes(ThreadId t, ObjectId o, KernelId k) {
    return call_on(t, ControlCall::change_attributes, control(o, k));
  }
  // OSF: synchronize_completed and flavoured change_attributes.
  Scenario& sync_completed(ThreadId t, ObjectId o, KernelId k, Offset off, Size len) {
    return call_on(t, ControlCall::synchronize_completed, control(o, k), off, len);
  }
  // An OSF change_attributes; ATTRIBUTES_INFO and BEHAVIOR_INFO name
  // `strategy` (their first int), as the simulated kernel reports them.
  Scenario& change_flavored(ThreadId t, ObjectId o, KernelId k, std::int32_t flavor,
                            std::uint32_t count, std::int32_t strategy = 0) {
    ControlCalled c{t, ControlCall::change_attributes, control(o, k)};
    c.flavor = flavor;
    c.attributes_count = count;
    c.names_copy_strategy = count >= 1 &&
                            (flavor == kFlavorAttributes || flavor == kFlavorBehavior);
    c.copy_strategy = c.names_copy_strategy ? strategy : 0;
    return call(std::move(c));
  }
  // An OSF get_attributes with a buffer of `max` ints, which the kernel
  // answered with `answered` (CA6).
  Scenario& get_flavored(ThreadId t, ObjectId o, KernelId k, std::int32_t flavor, std::uint32_t max,
                         std::uint32_t answered) {
    ControlCalled c{t, ControlCall::get_attributes, control(o, k)};
    c.flavor = flavor;
    c.attributes_count = max;
    c.answered_count = answered;
    return call(std::move(c));
  }
  Scenario& destroy_object(ThreadId t, ObjectId o, KernelId k) {
    return call_on(t, ControlCall::destroy, control(o, k));
  }
  // Supplies what the pager knows (the contents returned to it), unless told.
  Scenario& supply(ThreadId t, ObjectId o, KernelId k, Offset off, Size size = 0,
                   std::vector<Stamp> stamps = {}) {
    return supply_on(t, control(o, k), o, off, size ? size : page_size(k), std::move(stamps));
  }
  Scenario& unavailable(ThreadId t, ObjectId o, KernelId k, Offset off, Size size = 0) {
    return call_on(t, ControlCall::data_unavailable, control(o, k), off,
                   size ? size : page_size(k));
  }
  Scenario& error(ThreadId t, ObjectId o, KernelId k, Offset off, Size size = 0) {
    return call_on(t, ControlCall::data_error, control(o, k), off, size ? size : page_size(k));
  }
  Scenario& lock(ThreadId t, ObjectId o, KernelId k, Offset off, Size size = 0) {
    return call_on(t, ControlCall::lock_request, control(o, k), off, size ? size : page_size(k));
  }
  Scenario& supply_on(ThreadId t, PortName control, ObjectId o, Offset off, Size size,
                      std::vector<Stamp> stamps = {}, Prot lock_value = 0) {
    if (stamps.empty())
      for (Size b = 0; b < size; b += kBlockSize) {
        auto it = store_.find({o, off + b});
        stamps.push_back(it == store_.end() ? 0 : it->second);
      }
    ControlCalled c{t, ControlCall::data_supply, control, off, size};
    c.stamps = std::move(stamps);
    c.lock_value = lock_value;
    return call(std::move(c));
  }
  Scenario& call_on(ThreadId t, ControlCall what, PortName control, Offset off = 0, Size size = 0) {
    return call(ControlCalled{t, what, control, off, size});
  }
  // Any control call; `accepted` is what a GNU Mach kernel would do (a live
  // control port the pager holds a right to, sizes in whole pages).
  Scenario& call(ControlCalled c) {
    c.accepted = kernel_accepts(c);
    return call_as(std::move(c));
  }
  // ... or exactly as given.
  Scenario& call_as(ControlCalled c) {
    if (c.accepted && c.call == ControlCall::data_supply) {
      auto owner = owner_of(c.control);
      for (std::size_t i = 0; i < c.stamps.size() && owner; ++i)
        held_[{owner->first, owner->second, c.offset + i * kBlockSize}] = c.stamps[i];
    }
    return apply(std::move(c));
  }

  // --- the pager's port operations, answered as GNU Mach would --------------------
  Scenario& deallocate(ThreadId t, PortName n) {
    PortOperated op{t, PortOp::deallocate, n};
    std::uint32_t refs = urefs(n, Right::send) + urefs(n, Right::dead_name) +
                         urefs(n, Right::send_once);
    op.result = refs > 0                       ? kKernSuccess
                : urefs(n, Right::receive) > 0 ? kKernInvalidRight
                                               : kKernInvalidName;
    return apply(op);
  }
  Scenario& mod_refs(ThreadId t, PortName n, Right r, std::int32_t delta) {
    PortOperated op{t, PortOp::mod_refs, n, r, delta};
    std::int64_t have = urefs(n, r);
    op.result = (delta < 0 && have < -static_cast<std::int64_t>(delta)) ? kKernInvalidValue
                : (delta > 0 && have == 0)                              ? kKernInvalidRight
                                                                        : kKernSuccess;
    return apply(op);
  }
  Scenario& destroy_port(ThreadId t, PortName n) {
    PortOperated op{t, PortOp::destroy, n};
    std::uint32_t any = urefs(n, Right::send) + urefs(n, Right::dead_name) +
                        urefs(n, Right::send_once) + urefs(n, Right::receive);
    op.result = any > 0 ? kKernSuccess : kKernInvalidName;
    return apply(op);
  }
  Scenario& allocate(ThreadId t, PortName n, Right r = Right::receive) {
    if (r == Right::receive) seqnos_[n] = 0;
    return apply(PortOperated{t, PortOp::allocate, n, r, 1});
  }
  Scenario& release(ThreadId t, RegionId r) {
    return apply(
        MemoryReleased{t, r, freed_.insert(r).second ? kKernSuccess : kKernInvalidArgument});
  }
  Scenario& release_last(ThreadId t) { return release(t, last_region_); }

  // --- a conforming pager --------------------------------------------------------------
  // Thread `t` handles the oldest message queued on `port` as a correct pager
  // would: ready after init, supply what it was last returned, release
  // returned data, destroy both ports on terminate, return KERN_SUCCESS.
  Scenario& serve_one(ThreadId t, PortName port) {
    auto& q = queues_[port];
    if (q.empty()) return *this;
    Pending p = q.front();
    const KernelSent& m = p.msg;
    dequeue_port(t, port);
    switch (m.kind) {
      case MessageKind::init: call_on(t, ControlCall::ready, p.control); break;
      case MessageKind::data_request:
        // Read-only copies (write-locked): a pager that serves several
        // kernels and never grants write needs no recall (MK3).
        supply_on(t, p.control, m.object, m.offset, m.length, {}, kProtWrite);
        break;
      case MessageKind::data_unlock:
        call_on(t, ControlCall::lock_request, p.control, m.offset, m.length);
        break;
      case MessageKind::data_return: release(t, last_region_); break;
      case MessageKind::terminate:
        destroy_port(t, p.control);
        destroy_port(t, p.name);
        break;
      default: break;
    }
    return ret(t);
  }
  // Serves every queued message, object ports first, until nothing is queued.
  Scenario& serve(ThreadId t = 99) {
    for (auto ports = pending_ports(); !ports.empty(); ports = pending_ports())
      serve_one(t, ports.front());
    return *this;
  }
  std::vector<PortName> pending_ports() const {
    std::vector<PortName> out;
    for (const auto& [o, port] : ports_)
      if (auto it = queues_.find(port); it != queues_.end() && !it->second.empty())
        out.push_back(port);
    for (const auto& [port, q] : queues_)
      if (!q.empty() && !is_object_port(port)) out.push_back(port);
    return out;
  }

  // --- the pager's own actions (entry ABI version 2) -------------------------------------
  Scenario& begin_action(const PagerAction& a) { return absorb(model_.begin_pager_action(a)); }
  Scenario& end_action(KernReturn result = kKernSuccess) {
    return absorb(model_.end_pager_action(result));
  }
  // read_store of object o from `offset` gave `stamps` (one per 4 KiB block).
  Scenario& store_read(ObjectId o, Offset offset, std::vector<Stamp> stamps,
                       bool after_action = false) {
    return absorb(model_.judge_store(o, offset, stamps, after_action));
  }

  // --- verdicts ---------------------------------------------------------------------------
  Scenario& quiesce() {
    for (Verdict& v : model_.check_quiescent()) verdicts_.push_back(std::move(v));
    return *this;
  }
  Scenario& forget_verdicts() {
    verdicts_.clear();
    return *this;
  }
  const std::vector<Verdict>& verdicts() const { return verdicts_; }
  bool has(std::string_view rule, Party party) const {
    for (const Verdict& v : verdicts_)
      if (v.rule == rule && v.party == party) return true;
    return false;
  }
  bool has_party(Party party) const {
    for (const Verdict& v : verdicts_)
      if (v.party == party) return true;
    return false;
  }
  std::string summary() const {
    if (verdicts_.empty()) return "no verdicts";
    std::string out;
    for (const Verdict& v : verdicts_) out += to_string(v) + "\n";
    return out;
  }

  // --- names and views -----------------------------------------------------------------
  PortName port(ObjectId o) const {
    auto it = ports_.find(o);
    return it == ports_.end() ? kObjectPortBase + o : it->second;
  }
  // The control and name ports of the latest init the kernel sent for (o, k).
  PortName control(ObjectId o, KernelId k) const {
    auto it = pairs_.find({o, k});
    return it == pairs_.end() ? kNullPort : it->second.control;
  }
  PortName name(ObjectId o, KernelId k) const {
    auto it = pairs_.find({o, k});
    return it == pairs_.end() ? kNullPort : it->second.name;
  }
  Size page_size(KernelId k) const {
    auto it = page_sizes_.find(k);
    return it == page_sizes_.end() ? 4096 : it->second;
  }
  RegionId last_region() const { return last_region_; }
  const Model& model() const { return model_; }
  const std::vector<Event>& trace() const { return trace_; }
  std::uint32_t urefs(PortName n, Right r) const { return model_.urefs(n, r); }

  // The store reads at the instant of the latest synchronize_completed
  // (SY6, SY8): the range due, and the judgement of what was read.
  std::optional<Model::StoreDue> store_due() const { return model_.store_due_at_completion(); }
  Scenario& store_at_completion(const std::vector<Stamp>* supply, const std::vector<Stamp>* backing,
                                StoreViews waited = {}) {
    Judgement j = model_.judge_store_at_completion(supply, backing, waited);
    for (std::string_view r : j.checked) checked_.insert(std::string(r));
    for (std::string_view r : j.unjudged) unjudged_.insert(std::string(r));
    return absorb(std::move(j));
  }
  Scenario& absorb(Judgement j) {
    for (Verdict& v : j.verdicts) verdicts_.push_back(std::move(v));
    return *this;
  }
  // Applies any event as is.
  Scenario& apply(Event e) {
    Judgement j = model_.judge(e);
    for (Verdict& v : j.verdicts) verdicts_.push_back(std::move(v));
    for (std::string_view r : j.checked) checked_.insert(std::string(r));
    if (record_trace_) trace_.push_back(std::move(e));
    return *this;
  }
  // Whether the model checked `rule` on some event so far.
  bool checked(std::string_view rule) const { return checked_.count(std::string(rule)) != 0; }
  // A check that was due and could not be made (Judgement::unjudged).
  bool unjudged(std::string_view rule) const { return unjudged_.count(std::string(rule)) != 0; }
  Scenario& record_trace(bool on) {
    record_trace_ = on;
    return *this;
  }

 private:
  struct PairView {
    PortName control = kNullPort;
    PortName name = kNullPort;
    bool live = false;  // init sent, terminate not yet
  };
  struct Pending {
    KernelSent msg;
    PortName control;  // names of the pair's incarnation when it was sent
    PortName name;
  };

  bool is_object_port(PortName p) const {
    for (const auto& [o, port] : ports_)
      if (port == p) return true;
    return false;
  }
  std::optional<std::pair<ObjectId, KernelId>> owner_of(PortName control) const {
    for (const auto& [key, pv] : pairs_)
      if (pv.control == control) return key;
    return std::nullopt;
  }
  bool kernel_accepts(const ControlCalled& c) const {
    auto owner = owner_of(c.control);
    if (!owner) return false;
    const PairView& pv = pairs_.at(*owner);
    if (!pv.live || urefs(c.control, Right::send) == 0) return false;
    bool sized = c.call == ControlCall::data_supply || c.call == ControlCall::data_unavailable ||
                 c.call == ControlCall::data_error;
    Size ps = page_size(owner->second);
    return !sized || (c.size % ps == 0 && c.offset % ps == 0);
  }
  Stamp held(ObjectId o, KernelId k, Offset block) const {
    auto it = held_.find({o, k, block});
    return it == held_.end() ? 0 : it->second;
  }

  Model model_;
  WorldConfig config_;
  std::vector<Verdict> verdicts_;
  std::set<std::string> checked_;
  std::set<std::string> unjudged_;
  std::vector<Event> trace_;
  bool record_trace_ = false;

  std::map<KernelId, Size> page_sizes_;
  std::set<KernelId> osf_;  // kernels of the OSF dialect
  std::map<ObjectId, PortName> ports_;
  std::map<std::pair<ObjectId, KernelId>, PairView> pairs_;
  std::map<PortName, std::deque<Pending>> queues_;
  std::map<PortName, Seqno> seqnos_;
  std::map<ThreadId, RegionId> handling_region_;                  // region of each thread's message
  std::map<std::tuple<ObjectId, KernelId, Offset>, Stamp> held_;  // kernel's page contents
  std::map<std::pair<ObjectId, Offset>, Stamp> store_;            // pager's backing store
  std::set<RegionId> freed_;  // released by the pager or by mach_msg_server
  PortName next_name_ = kFirstKernelName;
  RegionId next_region_ = 0x70000000;
  Stamp next_stamp_ = 0x5000;
  RegionId last_region_ = 0;
};

}  // namespace emmi::model::testing
