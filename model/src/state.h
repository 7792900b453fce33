// SPDX-License-Identifier: MIT
// The model's internal state (see SEMANTICS.md, "State"). Flat vectors
// indexed by small dense ids, with FlatIndex for the sparse keys (port names,
// threads, regions), so applying an event allocates nothing in steady state
// and copying a Model is a plain member-wise copy.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "coherence.h"
#include "copies.h"
#include "demux.h"
#include "emmi/model/event.h"
#include "emmi/model/model.h"
#include "flat_index.h"
#include "osf.h"
#include "supply.h"

namespace emmi::model::detail {

enum class PageState : std::uint8_t { absent, requested, resident };
enum class Role : std::uint8_t { none, object, control, name };
enum class RegionState : std::uint8_t { live, released, freed_by_server };

// What a handler did to a resource; only used to word SQ7 explanations.
enum class Verb : std::uint8_t {
  supplied,
  answered_unavailable,
  answered_error,
  locked,
  released_data,
  called,
  operated,
};

// The latest handler (by seqno on the owning object's port) that touched a
// resource: SQ7 compares the next toucher against it.
struct Touch {
  std::uint32_t seqno_plus1 = 0;  // 0: not touched by any attributed handler
  PortName port = kNullPort;      // the object port that seqno counts on
  MessageKind kind = MessageKind::other;
  Verb verb = Verb::called;
};

struct KernelRec {
  KernelId id;
  Size page_size;
};

// One init of one (object, kernel) pair, from init to terminate. Messages
// queued for the pair remember their incarnation, so a re-init queued behind
// a terminate never confuses the old control port with the new one.
struct Incarnation {
  std::uint32_t pair;
  PortName control = kNullPort;
  PortName name = kNullPort;
  Seqno init_seqno = 0;
  Seqno terminate_seqno = 0;
  PortName init_port = kNullPort;  // where init and terminate were dequeued
  PortName terminate_port = kNullPort;
  // SQ7 attribution (SEMANTICS.md, "Attribution"): per 4 KiB block, seqno+1
  // of the dequeued data_request (data_unlock) an answer (lock_request) on
  // this control would answer; 0 for none. Sized on first use.
  std::vector<std::uint32_t> pending_request{};
  std::vector<std::uint32_t> pending_unlock{};
  PortName pending_port = kNullPort;  // the port those requests came from
  bool readied = false;               // a live ready/change_attributes was accepted
  KernReturn init_code = kKernSuccess;
  bool init_dequeued = false;
  bool init_failed = false;  // init's handler returned an error (IN9)
  bool terminate_sent = false;
  bool terminate_dequeued = false;
};

struct Pair {
  ObjectId object = 0;
  std::uint32_t kernel = 0;  // index into State::kernels
  Lifecycle life = Lifecycle::uninitialised;
  std::uint32_t current = kNoIndex;  // incarnation
  bool ever_ready = false;
  bool destroy_requested = false;  // of the current incarnation (DS2)
  std::vector<PageState> pages;    // per kernel page
  std::vector<Prot> prot;          // requested access, or supplied lock value
  std::vector<std::uint32_t> req;  // send index of the page's outstanding request
  // Page locks (locks.h): per kernel page, the access a data_unlock asked
  // for and the pager has not granted, and whether a lock_request just
  // flushed the page (its write-back may follow).
  std::vector<Prot> unlock;
  std::vector<std::uint8_t> flushing;
  // Residency (residency.h): per kernel page, precious / dropped silently /
  // failed by data_error / retried after it.
  std::vector<std::uint8_t> life_flags;
};

// A lock_completed the kernel owes (LK5) to the pager's receive right
// `reply`, echoing the request's offset and size (LK9).
struct PendingCompletion {
  PortName reply;
  Offset offset;
  Size size;
};

struct Queued {
  MessageKind kind;
  std::uint32_t incarnation;  // kNoIndex for messages not about a pair
  ObjectId object;
  Offset offset;
  Size length;
};

// A name in the pager task: its rights, its receive right's seqno counter and
// queue, and what the model knows it denotes.
struct PortRec {
  PortName name = kNullPort;
  std::uint32_t send = 0;
  std::uint32_t send_once = 0;
  std::uint32_t dead = 0;
  bool receive = false;
  bool fresh = true;  // no dequeue since the counter (re)started (SQ5)
  Role role = Role::none;
  std::uint32_t owner = kNoIndex;  // object id (object) or incarnation (control, name)
  // A control or name right that a failed init carried (mach_msg_server
  // released it), or the same port under the name terminate later gave it.
  bool init_failed = false;
  // An object port the pager offered with MOVE_SEND: its send right went to
  // the kernels, so a later release of a send reference it no longer holds
  // under the name is a double release (V3) even where only the receive
  // right is left (GNU Mach answers KERN_INVALID_RIGHT).
  bool moved_away = false;
  // A port set the pager allocated (mach_port_allocate of
  // MACH_PORT_RIGHT_PORT_SET) and has not destroyed yet.
  bool port_set = false;
  Seqno next = 0;
  std::uint32_t head = 0;  // queue[head..] are still queued
  std::vector<Queued> queue;
  Touch touch;            // SQ7: handlers that operated on this name
  Touch touch_exclusive;  // ... with anything but user-reference arithmetic
  // SQ7 attribution of a send-right release: how many messages dequeued from
  // an object port carried a send (or send-once) right under this name, and
  // the latest of them.
  std::uint32_t carriers = 0;
  PortName carrier_port = kNullPort;
  Seqno carrier_seqno = 0;
  MessageKind carrier_kind = MessageKind::other;

  // The receive right (re)enters the pager task: a new queue, whose counter
  // starts at 0 (SQ5).
  void take_receive() {
    receive = true;
    next = 0;
    fresh = true;
    queue.clear();
    head = 0;
  }
};

// The message a pager thread is handling.
struct Current {
  bool busy = false;
  Queued msg{MessageKind::other, kNoIndex, 0, 0, 0};
  PortName port = kNullPort;
  Seqno seqno = 0;
  RegionId region = 0;
  std::vector<CarriedRight> rights;
};

// `cur` is the message the thread handles at the outermost level (the
// request a demux runs a handler for); `nested` are messages it dequeued from
// other than object ports while handling it (RPC replies, a nested server
// loop's requests), innermost last.
struct ThreadRec {
  ThreadId id;
  Current cur;
  std::vector<Current> nested;
};

struct RegionRec {
  RegionId id;
  RegionState state;
  Queued msg;
  PortName port;
  Seqno seqno;
};

// The last two contents the kernel returned for one 4 KiB block, each with
// the send index of its data_return (0: none). A supply answers a request
// sent at index q and must carry the latest contents returned before q.
struct BlockHistory {
  Stamp last = 0;
  Stamp prev = 0;
  std::uint32_t last_index = 0;
  std::uint32_t prev_index = 0;
  std::uint32_t last_kernel = 0;  // kernel index of each return (SY6, SY8)
  std::uint32_t prev_kernel = 0;

  void record(std::uint32_t index, Stamp stamp, std::uint32_t kernel) {
    prev = last;
    prev_index = last_index;
    prev_kernel = last_kernel;
    last = stamp;
    last_index = index;
    last_kernel = kernel;
  }
  // The contents a supply for a request sent at `q` must carry; false when
  // nothing was returned before q (or that history is no longer kept).
  bool expected(std::uint32_t q, Stamp& out) const {
    if (last_index != 0 && last_index < q) {
      out = last;
      return true;
    }
    if (prev_index != 0 && prev_index < q) {
      out = prev;
      return true;
    }
    return false;
  }
};

struct ObjectRec {
  PortName port = kNullPort;
  bool offered = false;
  std::uint32_t sent = 0;            // send index of the latest message about this object
  std::vector<BlockHistory> blocks;  // RT4, per 4 KiB block
  std::vector<Touch> touch;          // SQ7, per 4 KiB block
};

// --- The pager's own actions (pager_actions.cpp) ---------------------------------
// A data_return queued on an object port and not yet dequeued: when the
// pager dequeues it, its contents (if dirty) become what the pager's store
// must hold (RT5).
struct ReturnInFlight {
  PortName port;
  ObjectId object;
  Offset offset;
  Size length;
  bool dirty;
  std::vector<Stamp> stamps;
};

// A completion (lock_completed, change_completed) an action's call asked for.
struct AwaitedCompletion {
  MessageKind kind;
  PortName reply;
  std::uint32_t pair = 0;  // State::pairs index of the call's control port
  Offset offset = 0;
  Size size = 0;
  bool sent = false;      // the kernel queued it
  bool dequeued = false;  // the pager took it
};

struct ActionState {
  bool active = false;
  PagerAction action{};
  // Per pair (State::pairs index): the kernel pages the action must reach,
  // and those an accepted call of the action did reach.
  std::vector<std::vector<std::uint8_t>> required;
  std::vector<std::vector<std::uint8_t>> reached;
  // Per pair: a lock_request of the action without a reply port.
  std::vector<std::uint8_t> unreplied;
  // Per pair: change_attributes calls of the action (may_cache off without
  // a reply port, CA3).
  std::vector<std::uint8_t> changed_without_reply;
  std::vector<AwaitedCompletion> awaited;
};

struct StoreState {
  std::vector<ReturnInFlight> in_flight;  // send order
  // Per object, per 4 KiB block: the latest dirty contents the pager
  // dequeued (has = 1), which its store must hold.
  std::vector<std::vector<Stamp>> expect;
  std::vector<std::vector<std::uint8_t>> has;
};

// What the kernels saw of each COPY_DELAY object's own data (contents.h).
struct ContentState {
  // Per object, per 4 KiB block: the contents a kernel was last told the
  // block holds (known = 1) while the object is COPY_DELAY, and whether a
  // data_return for the block was ever sent (then RT4 / RT5 follow it).
  std::vector<std::vector<Stamp>> seen;
  std::vector<std::vector<std::uint8_t>> known;
  std::vector<std::vector<std::uint8_t>> returned;
  // Per incarnation: the copy strategy of its latest accepted ready or
  // change_attributes (+1; 0 = none yet).
  std::vector<std::int32_t> strategy_now_plus1;
};

struct State {
  WorldConfig config;
  ActionState action;
  StoreState store;
  ContentState contents;
  // LK11: the should_return (+1) of the lock_request whose data_returns may
  // follow now, and its pair (State::pairs index); 0: none. The window
  // lasts while each event is the next one (events) after the one that set
  // or extended it: any other event ends it.
  std::int32_t return_window = 0;
  std::uint32_t return_window_pair = 0;
  std::uint64_t return_window_event = 0;
  // CA4: reply ports owed a change_completed, one entry per accepted
  // change_attributes that named one (oldest first); for an OSF kernel the
  // flavour changed, which the completion echoes (CA5; 0 for GNU Mach).
  struct ChangeOwed {
    PortName reply = 0;
    std::int32_t flavor = 0;
  };
  std::vector<ChangeOwed> change_owed;
  // CP1: per incarnation, the copy strategy of its first accepted ready or
  // change_attributes (+1; 0 = not yet).
  std::vector<std::int32_t> strategy_plus1;
  std::uint64_t events = 0;
  // The pager's stop() has begun: nothing it does answers a message.
  bool stopping = false;
  std::vector<KernelRec> kernels;
  std::vector<ObjectRec> objects;
  std::vector<Pair> pairs;  // index: kernel index * config.objects + object
  std::vector<Incarnation> incarnations;
  std::vector<PendingCompletion> completions;  // oldest first
  std::vector<PortRec> ports;
  FlatIndex<PortName> port_index;
  std::vector<ThreadRec> threads;
  FlatIndex<ThreadId> thread_index;
  std::vector<RegionRec> regions;
  FlatIndex<RegionId> region_index;
  osf::OsfState osf;  // the OSF dialect's own state (osf.cpp)
  // SU3, MK3: who holds which block writable (coherence.cpp).
  coherence::CoherenceState coherence;
  // V2: the rights foreign messages carried in (demux.cpp).
  std::vector<demux::ForeignRight> foreign_rights;
  // SU11: the supply_completed messages owed (supply.cpp).
  supply::SupplyState supply;
  copies::CopyState copies;

  std::uint32_t kernel_index(KernelId k) const {
    for (std::uint32_t i = 0; i < kernels.size(); ++i)
      if (kernels[i].id == k) return i;
    return kNoIndex;
  }
  // Kernel indexes in kernel id order.
  std::vector<std::uint32_t> kernels_by_id() const {
    std::vector<std::uint32_t> order(kernels.size());
    for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](auto a, auto b) { return kernels[a].id < kernels[b].id; });
    return order;
  }
  Pair& pair(ObjectId o, std::uint32_t kidx) { return pairs[kidx * config.objects + o]; }
  const Pair& pair(ObjectId o, std::uint32_t kidx) const {
    return pairs[kidx * config.objects + o];
  }
  Size page_size_of(const Pair& p) const { return kernels[p.kernel].page_size; }

  PortRec* find_port(PortName n) {
    std::uint32_t i = port_index.find(n);
    return i == kNoIndex ? nullptr : &ports[i];
  }
  const PortRec* find_port(PortName n) const {
    std::uint32_t i = port_index.find(n);
    return i == kNoIndex ? nullptr : &ports[i];
  }
  PortRec& port(PortName n) {
    std::uint32_t i = port_index.insert(n, static_cast<std::uint32_t>(ports.size()));
    if (i == ports.size()) {
      ports.emplace_back();
      ports.back().name = n;
    }
    return ports[i];
  }
  ThreadRec& thread(ThreadId t) {
    std::uint32_t i = thread_index.insert(t, static_cast<std::uint32_t>(threads.size()));
    if (i == threads.size()) threads.push_back(ThreadRec{t, {}, {}});
    return threads[i];
  }
  RegionRec* find_region(RegionId r) {
    std::uint32_t i = region_index.find(r);
    return i == kNoIndex ? nullptr : &regions[i];
  }
};

}  // namespace emmi::model::detail
