// SPDX-License-Identifier: MIT
// The scenario harness of the reference pager's tests: a pager shared object
// loaded through the entry ABI into a fresh simulated GNU Mach kernel, kernels
// played by the kernel driver, every observed event judged by the reference
// model; plus the mutant manifest the build writes.
#pragma once

#include <mach.h>
#include <mach/notify.h>

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "emmi/mach/kernel.h"
#include "emmi/mach/kernel_driver.h"
#include "emmi/model/model.h"
#include "emmi/pager_abi.h"

namespace emmi::reference_tests {

namespace model = emmi::model;
using emmi::mach::HookPoint;
using emmi::mach::Kernel;
using emmi::mach::KernelDriver;
using model::KernelId;
using model::ObjectId;
using model::Stamp;
using model::Verdict;
using namespace std::chrono_literals;

constexpr model::Size kObjectSize = 64 * 1024;
// Copies a scenario may make (object slots the model keeps for them).
constexpr std::uint32_t kCopySlots = 24;
constexpr model::Size k4K = 4096;
constexpr model::Size k16K = 16384;
// Larger than the reference pager serves by default (16 KiB), and a divisor
// of the object size, so the model accepts such a kernel: init is refused.
constexpr model::Size k32K = 32768;
constexpr model::Prot kRead = VM_PROT_READ;
constexpr model::Prot kReadWrite = VM_PROT_READ | VM_PROT_WRITE;

// --- The mutant manifest the build writes (library paths included) ----------

struct MutantEntry {
  std::string id;
  std::string library;
  std::vector<std::string> rules;  // rules[0]: the one the suite must report
  std::string verdict;             // fail | crash | timeout
  std::string options;             // emmi_pager_config.options, may be empty
  std::string source;              // relative to reference_impl/
};

inline void PrintTo(const MutantEntry& m, std::ostream* os) { *os << m.id; }

inline const nlohmann::json& manifest() {
  static const nlohmann::json j = [] {
    std::ifstream in(EMMI_MUTANTS_MANIFEST);
    return nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  }();
  return j;
}

inline std::vector<MutantEntry> mutants(const std::string& verdict_kind = "") {
  std::vector<MutantEntry> out;
  if (!manifest().is_object() || !manifest().contains("mutants")) return out;
  for (const auto& m : manifest()["mutants"]) {
    MutantEntry e{m.value("id", ""),
                  m.value("library", ""),
                  m.value("rules", std::vector<std::string>{}),
                  m.value("verdict", ""),
                  m.value("options", ""),
                  m.value("source", "reference_pager.c")};
    if (verdict_kind.empty() || e.verdict == verdict_kind) out.push_back(std::move(e));
  }
  return out;
}

inline std::string reference_library() {
  return manifest().is_object() ? manifest().value("reference", "") : "";
}

// --- Known gaps of the suite itself ------------------------------------------------

// Verdicts the model currently gives against the simulated KERNEL for what
// GNU Mach really does. They are printed, not failed on, and match only the
// exact kernel-party verdict; any other verdict fails the test. Remove an
// entry when the model is fixed.
struct KnownGap {
  std::string_view rule;
  std::string_view text;  // in the verdict's explanation
  std::string_view why;
};
inline constexpr KnownGap kKnownGaps[] = {
    {"RT1", "which it does not hold",
     "the model treats a page answered by data_unavailable as absent; GNU Mach zero-fills it "
     "and holds it, so it can be paged out (gnumach-kernel.md 3e)"},
    {"TM3", "does not move the receive rights of control",
     "after an init error return the pager holds no right to the old control and name, so "
     "terminate's receive rights arrive under new names"},
};

inline const KnownGap* known_gap(const Verdict& v) {
  if (v.party != model::Party::kernel) return nullptr;
  for (const KnownGap& g : kKnownGaps)
    if (v.rule == g.rule && v.explanation.find(g.text) != std::string::npos) return &g;
  return nullptr;
}

// --- Observation ----------------------------------------------------------------

// Collects the kernel's events for the model, and lets a schedule hook wait
// for a handler of another thread to return. Called under the kernel's lock:
// it only appends and notifies.
class EventLog : public emmi::mach::Observer {
 public:
  void on_event(const model::Event& e) override {
    std::lock_guard<std::mutex> g(mu_);
    pending_.push_back(e);
    if (std::holds_alternative<model::HandlerReturned>(e)) {
      ++handler_returns_;
      cv_.notify_all();
    }
    if (const auto* d = std::get_if<model::Dequeued>(&e)) dequeuers_.push_back(d->thread);
  }
  std::vector<model::Event> take() {
    std::lock_guard<std::mutex> g(mu_);
    std::vector<model::Event> out;
    out.swap(pending_);
    return out;
  }
  std::uint64_t handler_returns() {
    std::lock_guard<std::mutex> g(mu_);
    return handler_returns_;
  }
  std::size_t dequeues() {
    std::lock_guard<std::mutex> g(mu_);
    return dequeuers_.size();
  }
  // The thread that made dequeue number `index` (0-based), if it happened.
  std::optional<model::ThreadId> dequeuer(std::size_t index) {
    std::lock_guard<std::mutex> g(mu_);
    if (index >= dequeuers_.size()) return std::nullopt;
    return dequeuers_[index];
  }
  // Until a handler returns after `seen` had, or `deadline`.
  bool wait_handler_return(std::uint64_t seen, std::chrono::steady_clock::time_point deadline) {
    std::unique_lock<std::mutex> lk(mu_);
    return cv_.wait_until(lk, deadline, [&] { return handler_returns_ > seen; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<model::Event> pending_;
  std::uint64_t handler_returns_ = 0;
  std::vector<model::ThreadId> dequeuers_;
};

// A schedule hook that makes a seqno race happen on purpose: the pager thread
// that dequeues the first message after arm() is held (before mach_msg hands
// it the message) until some other thread's handler has returned. Threads
// reach the hook after the kernel's lock is dropped, so the thread to hold is
// found from the Dequeued events, not from who reaches the hook first. A
// pager that honours seqnos cannot return that other handler first, so
// `guard` bounds the hold: a failure guard, not synchronisation.
class HoldFirstDequeue {
 public:
  explicit HoldFirstDequeue(EventLog& log) : log_(log) {}
  void arm(std::chrono::milliseconds guard) {
    std::lock_guard<std::mutex> g(mu_);
    armed_ = true;
    mark_ = log_.dequeues();
    guard_ = guard;
    held_ = false;
  }
  bool held() {
    std::lock_guard<std::mutex> g(mu_);
    return held_;
  }
  static void hook(void* context, HookPoint point, model::ThreadId thread) {
    static_cast<HoldFirstDequeue*>(context)->on_hook(point, thread);
  }

 private:
  void on_hook(HookPoint point, model::ThreadId thread) {
    if (point != HookPoint::dequeue) return;
    std::chrono::milliseconds guard;
    {
      std::lock_guard<std::mutex> g(mu_);
      if (!armed_ || log_.dequeuer(mark_) != thread) return;
      armed_ = false;
      held_ = true;
      guard = guard_;
    }
    std::uint64_t seen = log_.handler_returns();
    log_.wait_handler_return(seen, std::chrono::steady_clock::now() + guard);
  }

  EventLog& log_;
  std::mutex mu_;
  bool armed_ = false;
  bool held_ = false;
  std::size_t mark_ = 0;
  std::chrono::milliseconds guard_{0};
};

// --- One pager under test, its kernels and the model ---------------------------------

class Scenario {
 public:
  ~Scenario() { unload(); }

  // dlopen() the pager, check its entry ABI, start it with `objects` memory
  // objects and let the driver adopt them.
  void load(const std::string& library, std::uint32_t objects, const std::string& options = "",
            kern_return_t expected_start = KERN_SUCCESS) {
    ASSERT_FALSE(library.empty()) << "no library path in " << EMMI_MUTANTS_MANIFEST;
    // The driver numbers objects from 1 and the model from 0: a world one
    // object larger holds either numbering; the copies a scenario makes
    // (KernelDriver::copy) take the ids after the pager's objects.
    model_ = model::Model(model::WorldConfig{objects + 1 + kCopySlots, kObjectSize});
    kernel_.set_observer(&log_);
    handle_ = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(handle_, nullptr) << dlerror();
    auto entry = reinterpret_cast<emmi_pager_entry_fn>(dlsym(handle_, EMMI_PAGER_ENTRY_SYMBOL));
    ASSERT_NE(entry, nullptr) << library << " exports no " << EMMI_PAGER_ENTRY_SYMBOL;
    pager_ = entry();
    ASSERT_NE(pager_, nullptr);
    ASSERT_EQ(pager_->abi_version, EMMI_PAGER_ABI_VERSION);

    emmi_pager_config config{};
    config.abi_version = EMMI_PAGER_ABI_VERSION;
    config.dialect = EMMI_DIALECT_GNUMACH;
    config.object_count = objects;
    config.object_size = kObjectSize;
    config.options = options.empty() ? nullptr : options.c_str();
    std::vector<emmi_pager_object> offered(objects);
    kern_return_t kr;
    {
      Kernel::ExternalPagerCall as_pager(kernel_);
      kr = pager_->start(&config, offered.data());
    }
    ASSERT_EQ(kr, expected_start) << "start() with options '" << options << "'";
    if (kr != KERN_SUCCESS) return;
    started_ = true;
    for (const emmi_pager_object& o : offered) {
      ObjectId id = driver_.adopt(o.port, o.disposition, kObjectSize);
      ASSERT_NE(id, 0u);
      objects_.push_back(id);
    }
  }

  KernelDriver& kernel() { return driver_; }
  // The pager's own change_attributes (entry ABI version 2) for object
  // index `index`, called from the pager's task as the engine calls it.
  kern_return_t change_attributes(std::uint32_t index, bool may_cache, int copy_strategy) {
    if (pager_ == nullptr || pager_->change_attributes == nullptr) return KERN_FAILURE;
    Kernel::ExternalPagerCall as_pager(kernel_);
    return pager_->change_attributes(index, may_cache ? 1 : 0, copy_strategy);
  }
  // The rights the pager's task holds under the name of object `o`'s port
  // (mach_port_type; 0 when it holds none).
  mach_port_type_t pager_rights(ObjectId o) {
    Kernel::ExternalPagerCall as_pager(kernel_);
    mach_port_type_t t = 0;
    if (mach_port_type(mach_task_self(), driver_.pager_port(o), &t) != KERN_SUCCESS) return 0;
    return t;
  }
  // Every name in the pager's task: its rights (mach_port_type) and its send
  // user references, to compare what the pager holds before and after a
  // step.
  struct Held {
    mach_port_type_t type = 0;
    mach_port_urefs_t send_refs = 0;
    bool operator==(const Held&) const = default;
  };
  std::map<mach_port_t, Held> pager_names() {
    Kernel::ExternalPagerCall as_pager(kernel_);
    std::map<mach_port_t, Held> out;
    mach_port_array_t names = nullptr;
    mach_port_type_array_t types = nullptr;
    mach_msg_type_number_t n = 0, nt = 0;
    if (mach_port_names(mach_task_self(), &names, &n, &types, &nt) != KERN_SUCCESS) return out;
    for (mach_msg_type_number_t i = 0; i < n && i < nt; ++i) {
      Held h;
      h.type = types[i];
      if ((types[i] & MACH_PORT_TYPE_SEND) != 0)
        (void)mach_port_get_refs(mach_task_self(), names[i], MACH_PORT_RIGHT_SEND, &h.send_refs);
      out[names[i]] = h;
    }
    // Out-of-line arrays, at least one word each.
    vm_deallocate(mach_task_self(), reinterpret_cast<vm_address_t>(names),
                  std::max<vm_size_t>(n * sizeof *names, sizeof *names));
    vm_deallocate(mach_task_self(), reinterpret_cast<vm_address_t>(types),
                  std::max<vm_size_t>(nt * sizeof *types, sizeof *types));
    return out;
  }
  ObjectId object(std::size_t i) const { return objects_.at(i); }
  KernelId attach(model::Size page_size) { return driver_.attach(page_size); }
  const char* name() const { return pager_ != nullptr ? pager_->name : "?"; }

  void hold_first_dequeue(std::chrono::milliseconds guard) {
    kernel_.set_schedule_hook(&HoldFirstDequeue::hook, &hold_);
    hold_.arm(guard);
  }
  bool held_a_dequeue() { return hold_.held(); }

  // A no-senders notification (notify.defs, id 70) with count 0, laid out
  // as GNU Mach builds it, but sent to the object's port by the pager's own
  // task: the kernel reports it as `other`, not as a notification the pager
  // asked for (a real one comes when the last send right goes, e.g. after
  // kernel().release_objects()).
  void notify_no_senders(ObjectId o) {
    mach_no_senders_notification_t n{};
    n.not_header.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0);
    n.not_header.msgh_size = sizeof n;
    n.not_header.msgh_remote_port = driver_.pager_port(o);
    n.not_header.msgh_id = MACH_NOTIFY_NO_SENDERS;
    n.not_type = mach_msg_type_t{MACH_MSG_TYPE_INTEGER_32, 32, 1, TRUE, FALSE, FALSE, 0};
    n.not_count = 0;
    Kernel::ExternalPagerCall as_pager(kernel_);
    ASSERT_EQ(mach_msg(&n.not_header, MACH_SEND_MSG, sizeof n, 0, MACH_PORT_NULL,
                       MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL),
              MACH_MSG_SUCCESS);
  }

  // Waits until the pager can make no more progress (bounded by `bound`: a
  // pager that blocks outside the kernel keeps the step open that long), and
  // judges what happened. True if the pager became quiescent.
  bool settle(std::chrono::milliseconds bound = 10s) {
    // A pager already found stuck gets no longer than it had then.
    if (stuck_bound_) bound = std::min(bound, *stuck_bound_);
    const auto deadline = std::chrono::steady_clock::now() + bound;
    bool quiet = kernel_.wait_quiescent(deadline);
    judge();
    // The kernel counts a pager thread from its first mach_msg on; until all
    // of them have reached their receive, a message queued for the port set
    // can look quiescent. The model knows what is still queued.
    while (quiet && messages_queued() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
      quiet = kernel_.wait_quiescent(deadline);
      judge();
    }
    quiet = quiet && !messages_queued();
    if (!quiet) stuck_bound_ = bound;
    return quiet;
  }

  // The verdicts of the whole run: every event judged, then quiescence.
  std::vector<Verdict> finish(std::chrono::milliseconds bound = 10s) {
    settle(bound);
    for (Verdict& v : model_.check_quiescent()) keep(std::move(v));
    return verdicts_;
  }

  const std::vector<Verdict>& verdicts() const { return verdicts_; }
  std::string trace() const {
    std::ostringstream out;
    for (const std::string& line : trace_) out << "  " << line << "\n";
    return out.str();
  }

 private:
  void judge() {
    for (const model::Event& e : log_.take()) {
      trace_.push_back(model::describe(e));
      for (Verdict& v : model_.apply(e)) keep(std::move(v));
    }
  }
  void keep(Verdict v) {
    if (const KnownGap* g = known_gap(v)) {
      std::cout << "[ known gap ] " << model::to_string(v) << "\n              (" << g->why
                << ")\n";
      return;
    }
    verdicts_.push_back(std::move(v));
  }
  bool messages_queued() const {
    for (ObjectId o : objects_)
      if (model_.queued(driver_.pager_port(o)) != 0) return true;
    return false;
  }
  void unload() {
    // What stop() does is not judged: the scenario is over.
    kernel_.set_observer(nullptr);
    kernel_.set_schedule_hook(nullptr, nullptr);
    if (started_) {
      Kernel::ExternalPagerCall as_pager(kernel_);
      pager_->stop();
      started_ = false;
    }
    if (handle_ != nullptr) dlclose(handle_);
    handle_ = nullptr;
  }

  Kernel kernel_;
  EventLog log_;
  HoldFirstDequeue hold_{log_};
  KernelDriver driver_{kernel_};
  model::Model model_;
  void* handle_ = nullptr;
  const emmi_pager* pager_ = nullptr;
  bool started_ = false;
  std::vector<ObjectId> objects_;
  std::optional<std::chrono::milliseconds> stuck_bound_;
  std::vector<Verdict> verdicts_;
  std::vector<std::string> trace_;
};

inline std::string describe(const std::vector<Verdict>& vs) {
  std::ostringstream out;
  for (const Verdict& v : vs) out << "  " << model::to_string(v) << "\n";
  return out.str();
}

inline std::vector<Stamp> stamps_of(const std::optional<KernelDriver::Page>& p) {
  return p ? p->stamps : std::vector<Stamp>{};
}

inline bool resident(const std::optional<KernelDriver::Page>& p) {
  return p && p->state == KernelDriver::PageState::resident;
}

}  // namespace emmi::reference_tests
