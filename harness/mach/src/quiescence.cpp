// SPDX-License-Identifier: MIT
// Quiescence: the pager is quiescent when none of its threads runs and no
// message waits on a port one of its blocked threads receives from. The
// kernel counts the pager's running and starting threads and wakes whoever
// waits for quiescence when the last one blocks.
#include <fmt/format.h>

#include "core.h"
#include "thread_scheduler.h"

namespace emmi::mach::detail {

void Core::count_pager_thread(ThreadRec* t, bool pager) {
  if (!pager || t->counted) return;
  {
    Lock lk(*this);
    if (t->counted || t->exited) return;
    t->counted = true;
    t->running = true;
    ++running_pager_threads_;
  }
  // Counted only at its first call as a pager thread: it was not started by
  // pthread_create (threads.cpp counts those from their creation). While
  // the scheduler controls the case, it is a thread it cannot see block.
  if (sched::Scheduler* s = sched::Scheduler::active();
      s != nullptr && !sched::Scheduler::controls_caller())
    s->foreign_thread(
        fmt::format("pager thread {} was not started by pthread_create, thrd_create or std::thread "
                    "(clone()?): the suite cannot see it block, nor tell when the pager is idle",
                    t->id));
}

void Core::thread_blocks(ThreadRec* t) {
  if (t->counted && t->running) {
    t->running = false;
    --running_pager_threads_;
    // Wake the waiters only when this block makes the pager quiescent: with
    // several server threads, every other block would wake them for nothing.
    if (quiescence_waiters_ > 0 && quiescent_locked()) quiescent_cv_.notify_all();
  }
}

void Core::thread_unblocks(ThreadRec* t) {
  if (t->counted && !t->running) {
    t->running = true;
    ++running_pager_threads_;
  }
}

bool Core::quiescent_locked() {
  if (running_pager_threads_ != 0) return false;
  // A thread still starting might yet receive what sits on a pager port
  // that no blocked thread waits on; with nothing pending it cannot matter
  // (and a thread the pager started that never calls in cannot hold the
  // step open forever).
  if (starting_pager_threads_ != 0)
    for (Port* p : all_ports_)
      if (p->head != nullptr && p->receiver == pager_) return false;
  for (ThreadRec& t : threads_) {
    if (!t.counted || t.exited) continue;
    if (t.wait_port != nullptr && t.wait_port->head != nullptr) return false;
    if (t.wait_set != nullptr)
      for (Port* m : t.wait_set->members)
        if (m->head != nullptr) return false;
  }
  return true;
}

bool Core::wait_quiescent(std::chrono::steady_clock::time_point deadline) {
  Lock lk(*this);
  ++quiescence_waiters_;
  bool ok = quiescent_cv_.wait_until(lk.raw(), deadline, [&] { return quiescent_locked(); });
  --quiescence_waiters_;

  return ok;
}

}  // namespace emmi::mach::detail
