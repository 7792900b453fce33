// SPDX-License-Identifier: MIT
// Controlled scheduling of the pager's threads, in the manner of systematic
// concurrency testers (CHESS, Coyote, shuttle, Relacy): while a
// ControlledScheduling is alive, the pager's threads and the suite's command
// thread run one at a time, and at every scheduling point (a pthread
// synchronisation call, a sleep, a yield, a Mach receive, a kernel boundary)
// a seeded strategy picks who runs next. Timed waits fire in virtual time.
// The pager is quiescent when no pager thread can run and no timer is due
// within the horizon: an exact answer, whatever the pager waits on.
//
// What is intercepted, and what a pager must not do, is listed in
// harness/mach/README.md ("Controlled scheduling").
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace emmi::mach {

class Kernel;

enum class Strategy : std::uint8_t {
  // At every scheduling point, the next thread is drawn uniformly from the
  // runnable ones.
  random_walk = 0,
  // Probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi,
  // Nagarakatte, ASPLOS 2010): random distinct thread priorities, the
  // highest-priority runnable thread runs, and at d-1 random steps out of
  // an estimated k the running thread drops below every other. A bug of
  // depth d among n threads is found by one run with probability at least
  // 1 / (n * k^(d-1)).
  pct = 1,
};

std::string_view to_string(Strategy s);

struct ScheduleOptions {
  Strategy strategy = Strategy::pct;
  std::uint64_t seed = 0;
  std::uint32_t pct_depth = 3;     // d
  std::uint64_t pct_steps = 2000;  // k, the estimated choice points of a case
  // Timers (timed waits, sleeps, receive timeouts) that fall due within this
  // much virtual time after a settle began fire while the pager is
  // otherwise idle; later ones do not keep it from being quiescent.
  std::chrono::milliseconds timer_horizon{60000};
  // At most this many timers fire in one settle (a pager polling in a
  // tight timed loop still settles).
  std::uint32_t max_timer_firings = 4096;
  // A thread that holds the turn without reaching a scheduling point is let
  // run free (and the case reported as uncontrolled) once it has used this
  // much CPU time, or slept in the kernel through two such windows...
  std::chrono::milliseconds run_free_after{1000};
  // ... or, whatever CPU time it got, once it has held the turn this long
  // (0: never). On a loaded machine a spinning thread may gather its CPU
  // time too slowly for the case's own wall-clock limit.
  std::chrono::milliseconds run_free_wall{0};
};

// How a settle ended.
enum class Settled : std::uint8_t {
  quiescent,  // no pager thread can run; no timer due within the horizon
  busy,       // uncontrolled, and some pager thread still ran at the wall bound
  // A pager thread the scheduler never saw start took part
  // (ControlledScheduling::foreign_threads): whether the pager is idle
  // cannot be known.
  unobservable,
};

// One pager thread as the scheduler saw it at the end of a settle.
struct ThreadState {
  std::uint32_t lane = 0;  // the thread id events report (t<lane>); 0: never called in
  std::string state;       // "waits in mach_msg receive", "waits for mutex m (held by t3)", ...
  bool in_receive = false;
  bool blocked = true;  // false: running (uncontrolled) or runnable
  bool timed = false;   // blocked until a timer fires
};

class ControlledScheduling {
 public:
  // The calling thread becomes the command thread: it runs (and the pager's
  // threads do not) until it calls settle(). Only one instance at a time per
  // process.
  ControlledScheduling(Kernel& kernel, const ScheduleOptions& options);
  ~ControlledScheduling();
  ControlledScheduling(const ControlledScheduling&) = delete;
  ControlledScheduling& operator=(const ControlledScheduling&) = delete;

  // Let the pager run until it is quiescent. `wall_bound` matters only once
  // the case is uncontrolled: then it is how long to wait for every pager
  // thread to block.
  Settled settle(std::chrono::milliseconds wall_bound);

  // While alive, the command thread runs pager code (start(), stop()): its
  // synchronisation calls are scheduling points like a pager thread's.
  class PagerCode {
   public:
    explicit PagerCode(ControlledScheduling& s);
    ~PagerCode();
    PagerCode(const PagerCode&) = delete;
    PagerCode& operator=(const PagerCode&) = delete;
  };

  // Called (on the command thread) when it blocks in pager code and no
  // thread can ever run again; must not return (the case ends there).
  void on_stall(std::function<void(const std::string& why)> handler);
  // Called once, on the command thread in settle(), no lock held, when the
  // case has gone free (uncontrolled() turned true): before the settle's
  // wall-clock wait, so what the case was can be told even if it never
  // ends.
  void on_run_free(std::function<void()> notice);

  // A look at the pager at one instant. While settle() waits, a pager
  // thread that asks for one (the simulated kernel does, right after it
  // served a synchronize_completed, before the sending thread goes on) stops
  // there and `look` runs on the command thread, every pager thread
  // standing where it is; then the settle goes on. `look` may call pager
  // code (under PagerCode): at its scheduling points it keeps the turn, and
  // if it must block (a mutex a stopped thread holds) the others run again
  // and snapshot_intact() turns false. Not while the case runs
  // uncontrolled, nor while the command thread is itself in pager code.
  void on_snapshot(std::function<void()> look);
  // Inside `look`: no pager thread has run since the snapshot began.
  bool snapshot_intact() const;

  // After a settle: every pager thread's state, and the wait-for cycles
  // among them (each a readable sentence naming threads and objects).
  std::vector<ThreadState> threads() const;
  std::vector<std::string> deadlock_cycles() const;

  bool uncontrolled() const;  // some thread was let run free
  std::string uncontrolled_reason() const;
  // Why a pager thread the scheduler never saw start acted (not started by
  // pthread_create, thrd_create or std::thread: clone(), say); empty when
  // none did. Such a case runs free and no settle is quiescent.
  std::string foreign_threads() const;
  std::uint64_t scheduling_points() const;
  std::uint64_t choice_points() const;  // where another thread could have run (PCT's steps)
  std::uint64_t preemptions() const;    // switches away from a thread that could go on
  std::uint64_t virtual_now_ns() const;
  // A fingerprint of every decision made so far (equal runs, equal values).
  std::uint64_t decision_digest() const;

  // Called with the lane and the event index the scheduler switched at, for
  // the message-sequence chart: (from lane, to lane). Lane 0 is the command
  // thread.
  struct Switch {
    std::uint64_t point;
    std::uint32_t from, to;
  };
  std::vector<Switch> switches() const;
};

}  // namespace emmi::mach
