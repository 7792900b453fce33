// SPDX-License-Identifier: MIT
// The reference model of the EMMI protocol (GNU Mach dialects): a pure,
// deterministic state machine. apply(event) returns the verdicts the event
// reveals; check_quiescent() returns the liveness and leak verdicts due when
// the pager can make no more progress; enabled_kernel_actions() lists what a
// conforming kernel may do next. No I/O, threads, clock, RapidCheck or Z3.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "emmi/model/event.h"
#include "emmi/model/verdict.h"

namespace emmi::model {

// Lifecycle of one (object, kernel) pair, from the kernel's side.
enum class Lifecycle : std::uint8_t {
  uninitialised,  // never mapped by this kernel
  initialised,    // init sent; the pager has not yet made the object ready
  ready,          // the pager called memory_object_ready / change_attributes
  terminating,    // terminate sent (after unmap, or after the pager's destroy)
  terminated,     // the pager dequeued terminate; a new map sends a new init
};

std::string_view to_string(Lifecycle l);

// Things a conforming kernel may do next (generators draw from these).
enum class KernelActionKind : std::uint8_t {
  map,    // send init (first map, or re-map after terminate was sent)
  fault,  // send data_request for one kernel page not resident nor requested
  evict,  // send data_return for one resident page (dirty or clean)
  unmap,  // send terminate (the driver first returns the pages it dirtied:
          // the model knows residency, not dirtiness)
};

std::string_view to_string(KernelActionKind k);

struct KernelAction {
  KernelActionKind kind;
  KernelId kernel;
  ObjectId object;
  Offset offset = 0;   // fault/evict: page-aligned for that kernel
  Prot access = 0;     // fault: desired access
  bool dirty = false;  // evict: whether the page was written
};

std::string describe(const KernelAction& a);

// What a kernel knows of one (object, kernel) pair, and of one page of it
// for fault and evict: enough to say what it may do next.
struct PairFacts {
  Lifecycle life = Lifecycle::uninitialised;
  bool destroying = false;      // the pager asked to destroy the object
  bool page_resident = false;   // fault/evict: the kernel holds the page
  bool page_requested = false;  // fault: a data_request for it is unanswered
};

// Whether a conforming kernel may take an action of `kind` on such a pair:
// the one statement of the kernel actions' preconditions. The model's
// enabled_kernel_actions() lists what it allows on the model's own state;
// the command generator (properties/state_machine) asks it of the
// kernel-side state it tracks for the commands that are these actions (map,
// unmap, fault, evict).
bool kernel_may(KernelActionKind kind, const PairFacts& facts);

// How the model reads an X-note of emmi-rules.md on which the manual pages
// and GNU Mach disagree (the catalogue's decisions say which reading each
// target platform takes).
enum class Reading : std::uint8_t {
  manual,   // the manual pages' strict reading: the act is a violation
  gnumach,  // GNU Mach's (and the OSF kernels', platform osf): the act is
            // harmless there. The model still reports
            // it, marked Verdict::portability, so that a report can call it a
            // portability finding (breaks the manual, harmless on GNU Mach)
            // instead of a failure, and never drop it silently.
};

std::string_view to_string(Reading r);

// --- The pager's own actions (entry ABI version 2, emmi/pager_abi.h) ----------
// The suite asks the pager to act on its own: the harness tells the model
// when such a call begins and ends (it runs on the suite's command thread,
// between kernel commands) and what the pager's store holds afterwards. What
// each action must put on the wire is in pager_abi.h; the checks are in
// src/pager_actions.cpp.
enum class PagerActionKind : std::uint8_t { sync, flush, change_attributes, shutdown };

std::string_view to_string(PagerActionKind k);

struct PagerAction {
  PagerActionKind kind = PagerActionKind::sync;
  ObjectId object = 0;  // the index of the object in start()'s objects[]
  Offset offset = 0;    // sync, flush: the range, in bytes
  Size length = 0;
  bool may_cache = false;          // change_attributes
  std::int32_t copy_strategy = 0;  // change_attributes: the strategy the suite asked for
};

struct Readings {
  // X6: a data_supply of pages the kernel did not request (SU1) or already
  // holds (SU2). GNU Mach inserts unrequested pages and ignores resident ones.
  Reading unsolicited_supply = Reading::manual;
  // X18: releasing a right the pager does not hold (V1 for init's rights
  // after its error return, V3 otherwise). GNU Mach returns
  // KERN_INVALID_NAME (or KERN_INVALID_RIGHT) and changes nothing.
  Reading unknown_name_release = Reading::manual;

  friend bool operator==(const Readings&, const Readings&) = default;
};

// Shape of the world: how many objects, how big each is, and the readings
// of the X-notes. Kernels and their page sizes arrive as KernelAttached
// events. The default readings are the manual's (the strictest).
struct WorldConfig {
  std::uint32_t objects = 1;
  Size object_size = 4 * 16384;  // bytes; a multiple of every kernel page size
  Readings readings{};
};

// What the model did with one event (or at quiescence): the verdicts it
// reveals and every rule whose check ran, each once, in the order first
// checked. A rule counts as checked when the model evaluated the condition
// whose failure it reports under that rule, whether or not it failed, and
// only for checks of a party's duty (the pager's or the kernel's): the
// suite's consistency checks of its own trace exercise nothing. This is the
// coverage column of the report; nothing else decides it.
struct Judgement {
  std::vector<Verdict> verdicts;
  std::vector<std::string_view> checked;  // rule IDs from rule_table() (static storage)
  // Rules whose check was due here and could not be made: what it compares
  // could not be read at the instant it is about (SY6, SY8: the read had
  // to wait for a pager thread). Neither checked nor failed; the report
  // says why a rule never exercised was not.
  std::vector<std::string_view> unjudged;
};

// The two views of a pager's store at a synchronize's completion (OSF).
struct StoreViews {
  bool supply = false;   // read_store: stored or queued (SY8)
  bool backing = false;  // the backing storage alone (SY6)
};

class Model {
 public:
  explicit Model(WorldConfig config = {});
  // Copies are independent snapshots (engines fork the model). A moved-from
  // Model may only be assigned to or destroyed.
  Model(const Model&);
  Model& operator=(const Model&);
  Model(Model&&) noexcept;
  Model& operator=(Model&&) noexcept;
  ~Model();

  // Apply one observed event; returns the verdicts it reveals (usually none).
  std::vector<Verdict> apply(const Event& e);
  // The same, with the rules checked on the event.
  Judgement judge(const Event& e);

  // The pager's stop() begins: what the pager does from here on (releasing
  // the pages it kept as its store, its ports) is shutting down, not the
  // handling of any message, so none of it is charged to one (SQ7).
  void pager_stopping();

  // Verdicts due at quiescence: unanswered data requests (DR3), init never
  // made ready (RD1, TM6 for a re-init), terminate rights still held (TM4,
  // TM5, V6), out-of-line memory never released (RT2, PR8).
  std::vector<Verdict> check_quiescent() const;
  // Which of those verdicts: a pager that keeps what it received (returned
  // pages as its store, a right it still uses) has not leaked it until it
  // stops serving, so a harness that stops the pager judges progress and
  // the receive rights of terminate (DR3, RD1, TM6, TM4, TM5) before the
  // pager's stop() and what it still holds (V6, RT2, PR8) after it.
  enum class Quiescence : std::uint8_t { all, before_stop, after_stop };
  // The same, with the rules checked at quiescence.
  Judgement judge_quiescent(Quiescence which = Quiescence::all) const;

  // The pager's own actions (PagerAction). begin_pager_action: the call is
  // about to be made (the pager is quiescent); end_pager_action: it returned
  // `result`, and what it had to do by then is judged (LK2, LK3, LK8, CA3).
  Judgement begin_pager_action(const PagerAction& a);
  Judgement end_pager_action(KernReturn result);
  // The pager's store (read_store) holds `stamps`, one per 4 KiB block from
  // `offset`: each block the kernel returned dirty, and the pager dequeued,
  // must hold the latest such contents (RT5). `after_action`: read right
  // after a sync or flush returned, not at quiescence (worded so).
  Judgement judge_store(ObjectId o, Offset offset, const std::vector<Stamp>& stamps,
                        bool after_action);
  // The instant a pager thread sent an accepted synchronize_completed (OSF):
  // the range whose store the engine may read now, and whether that
  // synchronize was VM_SYNC_SYNCHRONOUS; empty when none is due.
  struct StoreDue {
    ObjectId object = 0;
    Offset offset = 0;
    Size length = 0;
    bool synchronous = false;
  };
  std::optional<StoreDue> store_due_at_completion() const;
  // What the store held at that instant, one stamp per 4 KiB block of the
  // range: `supply` from read_store (SY8: queued or stored), `backing` from
  // the backing storage (SY6, SYNCHRONOUS only); null: not read. A view in
  // `waited` was to be read and could not be at that instant (the read had
  // to wait for a pager thread): its rule is unjudged (Judgement) where a
  // block would have been compared. Either way the due check is done with.
  Judgement judge_store_at_completion(const std::vector<Stamp>* supply,
                                      const std::vector<Stamp>* backing, StoreViews waited = {});

  // What a conforming kernel may do next, in a deterministic order.
  std::vector<KernelAction> enabled_kernel_actions() const;

  // --- Read-only views (for generators, the harness and tests) ---------------
  std::uint64_t events_applied() const;
  Lifecycle lifecycle(ObjectId o, KernelId k) const;
  std::optional<Size> page_size(KernelId k) const;
  // User references the pager task holds for `name` of kind `r` (0 if none).
  std::uint32_t urefs(PortName name, Right r) const;
  // Seqno the next dequeue from receive right `port` must carry.
  std::optional<Seqno> next_seqno(PortName port) const;
  // Messages queued on `port` and not yet dequeued.
  std::size_t queued(PortName port) const;
  // Data requests of (o, k) not yet answered, as page offsets.
  std::vector<Offset> outstanding_requests(ObjectId o, KernelId k) const;
  // The latest contents the kernel returned for the 4 KiB block at `offset`.
  std::optional<Stamp> latest_contents(ObjectId o, Offset offset) const;
  // Out-of-line regions delivered and not yet released.
  std::size_t live_regions() const;
  // The control and name port names (in the pager task) of the current
  // incarnation of (o, k), once the pager has dequeued its init.
  std::optional<PortName> control_port(ObjectId o, KernelId k) const;
  std::optional<PortName> name_port(ObjectId o, KernelId k) const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace emmi::model
