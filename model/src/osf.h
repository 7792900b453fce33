// SPDX-License-Identifier: MIT
// The OSF dialect's own transitions (model/SEMANTICS.md, "OSF dialect"):
// which kernels speak it, memory_object_synchronize and its completion
// (SY1-SY5, SY10), and flavoured change_attributes (CA1, CA2; the
// flavour its change_completed echoes, CA5, is checked with CA4 in
// pager_actions.cpp). The
// rest of the protocol is shared with GNU Mach and stays in the step's
// files (step.h lists them), which call these hooks; init and terminate
// without a name port are decided there from speaks_osf()
// (kernel_sent.cpp, dequeued.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "emmi/model/event.h"
#include "emmi/model/model.h"
#include "emmi/model/verdict.h"

namespace emmi::model::detail {

struct State;
struct Queued;

namespace osf {

// A synchronize the kernel sent and the pager has not completed.
struct Sync {
  std::uint32_t incarnation;
  ObjectId object;
  Offset offset;
  Size length;
  std::uint32_t sent;  // FIFO position on the object port (ObjectRec::sent)
  std::int32_t flags;
};

struct OsfState {
  std::vector<Dialect> dialects;  // by kernel index
  std::vector<Sync> syncs;        // outstanding, oldest first
  std::vector<Sync> completed;    // answered by a matching synchronize_completed
  // The synchronize the latest synchronize_completed answered, until the
  // store is judged at that instant (store_at_completion): the engine may
  // read the store before the sending thread goes on.
  std::optional<Sync> store_due;
};

// What a hook found: the rules it checked and the verdicts it reached.
struct Finding {
  std::string_view rule;
  Party party;
  std::string text;
};
struct Found {
  std::vector<std::string_view> checked;
  std::vector<Finding> verdicts;
  std::vector<std::string_view> unjudged;  // see Judgement::unjudged
  void check(std::string_view r) { checked.push_back(r); }
  void report(std::string_view r, Party p, std::string t) {
    checked.push_back(r);
    verdicts.push_back(Finding{r, p, std::move(t)});
  }
};

void kernel_attached(State& s, std::uint32_t kidx, Dialect d);
bool speaks_osf(const State& s, std::uint32_t kidx);

// KernelSent for a live OSF pair: a synchronize (the kernel's duties SY4,
// SY10 checked; SY9's flush followed).
Found kernel_sent(State& s, const KernelSent& e, std::uint32_t incarnation, std::uint32_t sent);
// The kernel sent terminate: its vm_msyncs are abandoned.
void terminated(State& s, std::uint32_t incarnation);
// SY2: block `block` (byte offset) of `object`, whose latest contents the
// kernel returned at send index `returned_at`, is being served: if a
// synchronize sent after that return and covering the block was completed,
// what the served contents must honour (the SY2 explanation), else empty.
std::string stale_after_sync(const State& s, ObjectId object, Offset block,
                             std::uint32_t returned_at);
// SY8 and SY6: at the instant the pager sent the synchronize_completed of
// s.osf.store_due, `supply` (read_store; null: not read) and `backing`
// (its backing storage, for a SYNCHRONOUS synchronize; null: not read)
// hold, per 4 KiB block of the synchronize's range, what the kernel last
// returned for the block before the synchronize, or a later return. A view
// in `waited` was wanted and not read at that instant: where it would have
// been compared, its rule is unjudged.
Found store_at_completion(State& s, const std::vector<Stamp>* supply,
                          const std::vector<Stamp>* backing, StoreViews waited);
// A control call on the live control port of OSF incarnation `incarnation`.
Found control_called(State& s, const ControlCalled& e, std::uint32_t incarnation);
// Quiescence: synchronize requests never answered (SY5).
Found quiescent(const State& s);

}  // namespace osf
}  // namespace emmi::model::detail
