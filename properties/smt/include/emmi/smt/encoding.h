// SPDX-License-Identifier: MIT
// The Z3 encoding of the reference model (model/SEMANTICS.md) for a bounded
// world: the protocol state as a flat vector of bit-vector and Boolean terms,
// one deterministic step function for every event kind (parameterised by the
// object, kernel, page, name and thread it touches), the verdicts a step
// reveals, and the constraints that describe a conforming kernel and a
// conforming pager. Proofs (proofs.h) and the concrete evaluator (concrete.h)
// are both built on it, so the formula that is proved is the one that is
// tested against the C++ model.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <z3++.h>

#include "emmi/smt/world.h"

namespace emmi::smt {

// Every state variable. "Ghost" variables are not part of the model's state:
// they record what the kernel really did (its per-port seqno, the messages in
// flight) or what the pager has seen, so that invariants can be stated.
enum class F : std::uint8_t {
  // per (object, kernel) pair, index o * kernels + k
  lc,          // lifecycle (Life)
  ctl,         // control name learnt at the latest init the pager dequeued (a slot)
  nam,         // name-port name learnt at that init
  named,       // ctl/nam are meaningful (an init was dequeued)
  ever_ready,  // some incarnation was made ready (TM6 versus RD1)
  destroyed,   // the pager called memory_object_destroy on the current incarnation
  req,         // per page: outstanding data_request
  res,         // per page: resident (supplied by the pager)
  plive,       // ghost: the pager's latest dequeued init/terminate was init
  pready,      // ghost: the pager made its current incarnation ready
  linit,       // ghost: inits sent minus terminates sent (live inits)
  qlen,        // messages of this pair in flight on the object port
  qreg,        // their kinds (Msg), kMsgBits each, oldest in the low bits
  // per (pair, synchronize slot), OSF pairs only (Bounds::osf_kernels)
  smask,  // pages of an outstanding synchronize (0: the slot is free)
  sorph,  // it belongs to an earlier incarnation (a re-init, IN1): SY5 only
  // per name slot
  recv,      // the pager holds the receive right
  snd,       // send user references
  dead,      // dead-name user references (send rights whose port died)
  ctr,       // the seqno the next dequeue must carry (the model's counter)
  kctr,      // ghost: the kernel's own counter for the port (ip_seqno)
  last,      // seqno of the latest dequeue since the right entered
  has_last,  // a message was dequeued since the right entered (not "fresh")
  role,      // what the name denoted when last given (Role); kept after release
  owner,     // for control/name roles, the pair
  failed,    // control/name of an incarnation whose init handler failed (IN9)
  ended,     // control/name of an incarnation whose terminate was dequeued
  qother,    // messages not about a pair queued on the port
  // per pager thread
  busy,       // handling a message
  tkind,      // its kind (Msg; stray for a message sent outside any incarnation)
  tport,      // the name it was dequeued from
  tpair,      // its pair
  tc,         // rights it carried: control (init, requests: send; terminate: receive)
  tn,         //                    name (init: send; terminate: receive)
  committed,  // ghost: the handler released a right the message carried
};
inline constexpr std::size_t kFieldKinds = static_cast<std::size_t>(F::committed) + 1;

enum class Group : std::uint8_t { pair, page, name, thread, sync };

// Where each variable lives in the flat state vector, and its sort.
class Layout {
 public:
  explicit Layout(const Bounds& b);

  struct Field {
    F kind;
    Group group;
    unsigned index;  // pair, name slot or thread
    unsigned page;   // for Group::page; the slot for Group::sync
    unsigned width;  // 0 for Bool
    bool ghost;
    std::string name;  // e.g. "pair(o0,k1).lc", "name[3].snd"
  };

  const Bounds& bounds() const { return b_; }
  std::size_t size() const { return fields_.size(); }
  const Field& field(std::size_t i) const { return fields_[i]; }
  std::size_t at(F f, unsigned index, unsigned page = 0) const;

  unsigned name_bits() const { return bits_for(b_.names); }
  unsigned pair_bits() const { return bits_for(b_.pairs()); }
  unsigned thread_bits() const { return bits_for(b_.threads); }
  unsigned qlen_bits() const { return bits_for(b_.queue_depth + 1); }
  unsigned qreg_bits() const { return kMsgBits * b_.queue_depth; }

 private:
  Bounds b_;
  std::vector<Field> fields_;
  std::size_t first_[kFieldKinds] = {};
};

// A state: one term per layout field.
class State {
 public:
  State(const Layout& l, std::vector<z3::expr> v) : layout_(&l), v_(std::move(v)) {}
  z3::expr operator()(F f, unsigned index, unsigned page = 0) const {
    return v_[layout_->at(f, index, page)];
  }
  void set(F f, unsigned index, unsigned page, const z3::expr& e) {
    v_[layout_->at(f, index, page)] = e;
  }
  void set(F f, unsigned index, const z3::expr& e) { set(f, index, 0, e); }
  const std::vector<z3::expr>& terms() const { return v_; }
  const Layout& layout() const { return *layout_; }

 private:
  const Layout* layout_;
  std::vector<z3::expr> v_;
};

// An event of the encoded vocabulary. Every parameter is present for every
// kind; a kind reads only the parameters it needs (see Encoding::step).
struct Event {
  z3::expr kind;    // Ev
  z3::expr msg;     // KernelSent / Dequeued: the message kind (Msg)
  z3::expr obj;     // KernelSent: object
  z3::expr ker;     // KernelSent, Dequeued: the sending kernel
  z3::expr page;    // KernelSent request/unlock/return: kernel page
  z3::expr mask;    // ControlCalled: pages covered (bit i = page i)
  z3::expr port;    // KernelSent(other) destination, Dequeued port, control name, port-op name
  z3::expr seqno;   // Dequeued
  z3::expr c;       // Dequeued init/terminate: carried control right's name
  z3::expr n;       // Dequeued init/terminate: carried name right's name
  z3::expr thread;  // Dequeued, HandlerReturned, ControlCalled, PortOperated
  z3::expr code;    // HandlerReturned (Ret)
  z3::expr call;    // ControlCalled (Call)
  z3::expr op;      // PortOperated (Op)
  z3::expr flags;   // KernelSent synchronize: vm_msync flags (kSync*)
  z3::expr attrs;   // ControlCalled change_attributes on an OSF control (Attrs)

  // The parameters in a fixed order, with their names (for substitution and
  // rendering).
  std::vector<z3::expr> terms() const;
  static const std::vector<std::string_view>& names();
};

// A verdict the encoding can reveal: a rule of emmi-rules.md and the party
// that broke it ("kernel" or "pager").
struct VerdictKey {
  std::string_view rule;
  std::string_view party;
  auto operator<=>(const VerdictKey&) const = default;
};

struct Verdicts {
  std::vector<std::pair<VerdictKey, z3::expr>> items;
  // The disjunction of every predicate for `rule` (false if none).
  z3::expr any(z3::context& ctx, std::string_view rule) const;
  // The same, for verdicts against one party only.
  z3::expr any(z3::context& ctx, std::string_view rule, std::string_view party) const;
};

struct Step {
  State post;
  Verdicts verdicts;
  // What the kernel answers, as the model's events report it: a control call
  // reached a live control port (ControlCalled.accepted), a port operation
  // succeeded (PortOperated.result == KERN_SUCCESS).
  z3::expr accepted;
  z3::expr succeeds;
};

// Every rule a verdict of step() or quiescent() can name.
std::span<const std::string_view> encoded_rules();

// Deliberate deviations, so that tests can check a proof notices a broken
// transition without a copy of the encoding.
struct Variant {
  unsigned dequeue_increment = 1;      // the counter after a dequeue is seqno + this
  bool reset_seqno_on_move_in = true;  // SQ5: a receive right moved in starts at 0
  bool terminate_moves_rights = true;  // TM3: terminate gives the pager the receive rights
  // Control calls reach the kernel only on the current incarnation's control
  // port before terminate was sent; false reads SEMANTICS.md's "live pair
  // (initialised, ready, terminating)" literally.
  bool ready_needs_current_control = true;
  // OSF kernels' init carries the control alone and their terminate moves
  // the control's receive right alone; false reads them as GNU Mach's (a
  // name right besides the control).
  bool osf_without_name = true;
};

class Encoding {
 public:
  Encoding(z3::context& ctx, Bounds b = {}, Variant v = {});

  z3::context& ctx() const { return *ctx_; }
  const Layout& layout() const { return layout_; }
  const Bounds& bounds() const { return layout_.bounds(); }
  const Variant& variant() const { return variant_; }

  // Fresh constants named "<prefix><field name>".
  State fresh_state(const std::string& prefix) const;
  Event fresh_event(const std::string& prefix) const;

  // The world after set-up: every kernel attached, every object offered
  // (the pager holds each object's receive right, counter 0, and any number
  // of send references under its name: what start() made, less the one a
  // MOVE_SEND offer gave away), nothing sent.
  z3::expr initial(const State& s) const;

  // Post-state and verdicts of `e` in `pre`. Total: defined for any values.
  Step step(const State& pre, const Event& e) const;

  // Verdicts due at quiescence (model Model::check_quiescent).
  Verdicts quiescent(const State& s) const;

  // Events that can be observed at all: indices in range, a dequeue takes
  // the message at the front of the queue, carried rights get names as GNU
  // Mach's copy-out gives them, at most `queue_depth` messages in flight per
  // pair (the bound of the world).
  z3::expr well_formed(const State& s, const Event& e) const;
  // What a conforming kernel does (gnumach-kernel.md): lifecycle order
  // (IN1, TM8), requests only when ready (RD1/IN10), seqnos from its own
  // per-port counter (SQ1, SQ6).
  z3::expr kernel_conforms(const State& s, const Event& e) const;
  // The assumption needed for strictly increasing seqnos: fewer than 2^32 - 1
  // messages are dequeued from one receive right between two moves of it.
  z3::expr bounded_incarnation(const State& s, const Event& e) const;
  // What a conforming pager does: finishes a message before dequeuing the
  // next, releases only references it owns (V1/V3), and releases every
  // right to the control and name ports before its terminate handler
  // returns (TM4, TM5, V6).
  z3::expr pager_conforms(const State& s, const Event& e) const;

  // Helpers shared with the proofs.
  z3::expr is(const z3::expr& term, unsigned code) const;
  z3::expr bv(std::uint64_t value, unsigned width) const { return ctx_->bv_val(value, width); }
  z3::expr below(const z3::expr& term, unsigned n) const;  // term < n, true when every value fits
  z3::expr held(const State& s, unsigned slot) const;  // the pager holds some right under the slot
  // Field f of the name slot / thread a symbolic index designates.
  z3::expr at_name(const State& s, F f, const z3::expr& slot) const;
  z3::expr at_thread(const State& s, F f, const z3::expr& thread) const;
  z3::expr held_at(const State& s, const z3::expr& slot) const;
  // The slot is the control or name of an incarnation the pager has not seen
  // terminated: GNU Mach cannot give that name to another port.
  z3::expr reserved(const State& s, const z3::expr& slot) const;
  // Pair p's init and terminate carry a name port besides the control (a
  // GNU Mach kernel's, or any with Variant::osf_without_name off).
  bool named_pair(unsigned p) const { return !bounds().osf_pair(p) || !variant_.osf_without_name; }
  // The kernel index / pair index a term designates is a named one.
  z3::expr named_kernel(const z3::expr& ker) const;
  z3::expr named_pair_at(const z3::expr& pair) const;
  // No init of pair p is in flight (the pager's incarnation is the kernel's).
  z3::expr no_init_in_flight(const State& s, unsigned pair, unsigned from = 0) const;
  // Kind of the message at position i of pair p's in-flight queue (0: none).
  z3::expr queued_kind(const State& s, unsigned pair, unsigned i) const;
  unsigned pair_of(unsigned object, unsigned kernel) const {
    return object * bounds().kernels + kernel;
  }

 private:
  z3::context* ctx_;
  Layout layout_;
  Variant variant_;
};

}  // namespace emmi::smt
