// SPDX-License-Identifier: MIT
// The scheduler: see thread_scheduler.h and emmi/mach/scheduler.h.
#include "thread_scheduler.h"

#include <dlfcn.h>
#include <time.h>

#include <unistd.h>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

#include <fmt/format.h>

#include "core.h"
#include "emmi/mach/kernel.h"
#include "emmi/mix.h"

namespace emmi::mach::detail::sched {

thread_local int tl_internal = 0;
std::atomic<Scheduler*> Scheduler::g_active{nullptr};

}  // namespace emmi::mach::detail::sched

// ThreadSanitizer's annotation interface; null unless its runtime is loaded.
extern "C" {
__attribute__((weak)) void __tsan_acquire(void* addr);
__attribute__((weak)) void __tsan_release(void* addr);
}

namespace emmi::mach::detail::sched {

void SchedLock::taken() {
  if (__tsan_acquire != nullptr) __tsan_acquire(lk_.mutex());
}
void SchedLock::released() {
  if (__tsan_release != nullptr) __tsan_release(lk_.mutex());
}

namespace {

std::int64_t real_clock_ns(clockid_t clock) {
  // The C library's clock, past this library's interposer.
  timespec ts{};
  real().clock_gettime(clock, &ts);
  return std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

// The state and CPU time of one of this process's threads, from procfs.
TaskSample sample_task(pid_t tid) {
  TaskSample out;
  if (tid <= 0) return out;
  char path[64];
  std::snprintf(path, sizeof path, "/proc/self/task/%d/stat", static_cast<int>(tid));
  std::FILE* f = std::fopen(path, "re");
  if (f == nullptr) return out;
  char buf[1024];
  const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[n] = '\0';
  // "tid (comm) S ppid ... utime stime": comm may hold spaces; it ends at
  // the last ')'.
  const char* close = std::strrchr(buf, ')');
  if (close == nullptr || close[1] == '\0') return out;
  char state = close[2];
  unsigned long long utime = 0, stime = 0;
  // After the state: fields 4 .. 13, then utime (14) and stime (15).
  if (std::sscanf(close + 3, "%*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) !=
      2)
    return out;
  out.ok = true;
  out.sleeping = state == 'S' || state == 'D';
  out.cpu_ticks = utime + stime;
  out.ticks_per_s = static_cast<std::uint64_t>(sysconf(_SC_CLK_TCK));
  return out;
}

Scheduler::Scheduler(const ScheduleOptions& options, std::uint32_t command_lane)
    : options_(options), rng_(options.seed ^ 0x5eed5c4edull) {
  Internal in;
  // start() runs before the first settle: it gets a horizon of its own.
  horizon_end_ = static_cast<std::uint64_t>(options_.timer_horizon.count()) * 1'000'000;
  realtime_base_ = real_clock_ns(CLOCK_REALTIME);
  monotonic_base_ = real_clock_ns(CLOCK_MONOTONIC);
  if (options_.strategy == Strategy::pct && options_.pct_depth > 1) {
    const std::uint64_t k = std::max<std::uint64_t>(options_.pct_steps, 1);
    for (std::uint32_t i = 1; i < options_.pct_depth; ++i)
      change_points_.push_back(1 + next_random() % k);
  }
  threads_.emplace_back();
  command_ = &threads_.back();
  command_->index = 0;
  command_->lane = command_lane;
  command_->command = true;
  command_->owner = this;
  command_->entered = true;
  command_->pager_code = false;
  command_->state = SThread::State::running;
  command_->priority = std::int64_t(options_.pct_depth) + std::int64_t(next_random() >> 33);
  tl_self = command_;
  Scheduler* expected = nullptr;
  if (!g_active.compare_exchange_strong(expected, this)) {
    std::fprintf(stderr, "emmi-cts: a second ControlledScheduling in one process\n");
    std::abort();
  }
}

Scheduler::~Scheduler() { retire(); }

void Scheduler::retire() {
  Internal in;
  // The case is over. Threads parked here stay parked (the process ends
  // with the case, as it did before scheduling was controlled); a thread
  // still running goes on with the C library's own primitives.
  Scheduler* self = this;
  g_active.compare_exchange_strong(self, nullptr);
  tl_self = nullptr;
}

std::uint64_t Scheduler::next_random() { return emmi::splitmix_next(rng_); }

// ---------------------------------------------------------------------------
// Threads

SThread* Scheduler::add_thread(std::uint32_t lane) {
  Internal in;
  Lock lk(mu_);
  threads_.emplace_back();
  SThread* t = &threads_.back();
  t->index = static_cast<std::uint32_t>(threads_.size() - 1);
  t->lane = lane;
  t->owner = this;
  t->priority = std::int64_t(options_.pct_depth) + std::int64_t(next_random() >> 33);
  if (free_) {
    t->state = SThread::State::running;
    t->go = true;
  } else {
    t->state = SThread::State::runnable;
  }
  return t;
}

void Scheduler::set_handle(SThread* t, pthread_t handle) {
  Internal in;
  Lock lk(mu_);
  t->handle = handle;
  t->has_handle = true;
}

SThread* Scheduler::by_handle(pthread_t handle) {
  Internal in;
  Lock lk(mu_);
  // glibc reuses the descriptor of a joined thread for the next one it
  // creates, so equal handles can name an exited record and a live one:
  // the newest record is the thread the handle names now.
  for (auto t = threads_.rbegin(); t != threads_.rend(); ++t)
    if (t->has_handle && pthread_equal(t->handle, handle)) return &*t;
  return nullptr;
}

void Scheduler::enter(SThread* t) {
  Internal in;
  Lock lk(mu_);
  t->entered = true;
  wait_for_turn(t, lk);
}

void Scheduler::abandon(SThread* t) {
  Internal in;
  Lock lk(mu_);
  t->state = SThread::State::exited;
  t->entered = true;
}

void Scheduler::exit(SThread* t) {
  Internal in;
  // A thread that never reached a scheduling point still waits for its turn
  // before it may end (its end wakes joiners).
  if (!t->entered) enter(t);
  Lock lk(mu_);
  t->state = SThread::State::exited;
  t->wait = Wait::none;
  tl_self = nullptr;
  for (SThread& o : threads_)
    if (o.state == SThread::State::blocked && o.wait == Wait::join && o.object == t)
      make_runnable(&o);
  if (free_) {
    if (command_->state == SThread::State::blocked && all_pager_blocked())
      command_->cv.notify_one();
    return;
  }
  SThread* next = choose();
  if (next == nullptr && idle(lk)) next = choose();
  if (next != nullptr) hand_to(next);
}

void Scheduler::set_pager_code(bool on) {
  Internal in;
  Lock lk(mu_);
  command_->pager_code = on;
  // A call into the pager (start(), stop(), a pager action) is a phase of
  // its own with a timer budget of its own: a pager thread that polls on a
  // timer may have spent the last settle's whole budget, and the call may
  // be waiting for exactly that thread (stop() joining its poller).
  if (on) firings_ = 0;
}

// ---------------------------------------------------------------------------
// Scheduling

SThread* Scheduler::choose() {
  SThread* best = nullptr;
  std::uint32_t count = 0;
  for (SThread& t : threads_)
    if (t.state == SThread::State::runnable) ++count;
  if (count == 0) return nullptr;
  if (options_.strategy == Strategy::random_walk) {
    std::uint64_t pick = next_random() % count;
    for (SThread& t : threads_)
      if (t.state == SThread::State::runnable && pick-- == 0) return &t;
  }
  for (SThread& t : threads_)
    if (t.state == SThread::State::runnable && (best == nullptr || t.priority > best->priority))
      best = &t;
  return best;
}

void Scheduler::hand_to(SThread* next) {
  next->state = SThread::State::running;
  next->go = true;
  next->cv.notify_one();
}

void Scheduler::make_runnable(SThread* t) {
  t->wait = Wait::none;
  t->object = nullptr;
  if (free_) {
    t->state = SThread::State::running;
    t->go = true;
    t->cv.notify_one();
  } else {
    t->state = SThread::State::runnable;
  }
}

void Scheduler::wait_for_turn(SThread* me, Lock& lk) {
  std::uint64_t seen = points_;
  TaskSample watch{};
  auto watch_since = std::chrono::steady_clock::now();  // when `watch` was taken
  bool slept_before = false;
  while (!me->go) {
    if (free_ && me->state == SThread::State::blocked && me->timed) {
      const std::uint64_t v = now_ns();
      const auto real = std::chrono::steady_clock::now() +
                        std::chrono::nanoseconds(me->deadline > v ? me->deadline - v : 0);
      if (lk.wait_until(me->cv, real) == std::cv_status::timeout && !me->go &&
          me->state == SThread::State::blocked) {
        me->timed_out = true;
        me->state = SThread::State::running;
        me->wait = Wait::none;
        break;
      }
      continue;
    }
    if (!me->command || free_) {
      lk.wait(me->cv);
      continue;
    }
    // The command thread watches over the token. A thread that holds it
    // and reaches no scheduling point is let run free when it is seen to
    // spin (it used at least half the window's CPU time: an atomics spin
    // loop) or to sleep in the kernel for two windows in a row (a raw
    // futex, a pipe, a system call the scheduler does not know). A thread
    // that merely waits for a CPU on a loaded machine keeps the token.
    if (lk.wait_for(me->cv, options_.run_free_after) == std::cv_status::timeout && !me->go) {
      if (points_ != seen) {
        seen = points_;
        watch = {};
        slept_before = false;
        // Progress, but no end to it: a pager whose threads keep reaching
        // scheduling points (a busy wait on a lock it takes and drops, a
        // message it keeps sending itself) never lets a step settle. Past
        // the settle's bound the case is let run free, and a step that does
        // not settle then is unresolved, not a hang of the pager's making.
        if (me->wait == Wait::quiescence && settle_bound_.count() > 0 &&
            std::chrono::steady_clock::now() - settle_since_ > settle_bound_) {
          go_free(
              fmt::format("the pager's threads kept running for {} ms ({} scheduling points "
                          "so far) without settling",
                          settle_bound_.count(), points_));
          return;  // settle() goes on waiting in free mode
        }
        continue;
      }
      SThread* holder = nullptr;
      for (SThread& t : threads_)
        if (t.state == SThread::State::running && &t != me) holder = &t;
      const pid_t tid = holder != nullptr ? holder->tid.load(std::memory_order_relaxed) : 0;
      const TaskSample now = sample_task(tid);
      std::string why;
      const std::string who = holder == nullptr ? std::string("a pager thread")
                              : holder->lane    ? fmt::format("t{}", holder->lane)
                                                : fmt::format("pager thread #{}", holder->index);
      if (!now.ok) {
        why = fmt::format("{} holds the turn and cannot be observed", who);
      } else if (watch.ok && watch.tid == tid) {
        // CPU time since the thread was first seen holding the turn without
        // progress: a spinning thread piles it up however loaded the
        // machine is; a thread starved of CPU does not.
        const std::uint64_t window_ticks =
            std::max<std::uint64_t>(1, static_cast<std::uint64_t>(options_.run_free_after.count()) *
                                           now.ticks_per_s / 1000);
        if (now.cpu_ticks - watch.cpu_ticks >= window_ticks)
          why = fmt::format("{} ran {} ms of CPU time without reaching a scheduling point", who,
                            (now.cpu_ticks - watch.cpu_ticks) * 1000 / now.ticks_per_s);
        else if (now.sleeping && slept_before)
          why = fmt::format(
              "{} slept in the kernel for {} ms outside every call the scheduler "
              "intercepts",
              who, 2 * options_.run_free_after.count());
        else if (const auto held = std::chrono::steady_clock::now() - watch_since;
                 options_.run_free_wall.count() > 0 && held >= options_.run_free_wall)
          why = fmt::format(
              "{} held the turn for {} ms without reaching a scheduling point (spinning, or "
              "starved of CPU on a loaded machine)",
              who, std::chrono::duration_cast<std::chrono::milliseconds>(held).count());
      }
      if (why.empty()) {
        if (!watch.ok || watch.tid != tid) {
          watch = now;
          watch.tid = tid;
          watch_since = std::chrono::steady_clock::now();
        }
        slept_before = now.ok && now.sleeping;
        continue;
      }
      go_free(why);
      if (me->state != SThread::State::blocked || me->wait != Wait::quiescence) continue;
      return;  // settle() goes on waiting in free mode
    }
  }
  me->go = false;
}

void Scheduler::decide(SThread* me, Lock& lk) {
  ++points_;
  if (free_) return;
  // A snapshot's look keeps the turn: the pager's threads stand still.
  if (snapshot_looking_ && me->command) return;
  // PCT's steps are the choice points: where some other thread could run
  // instead. Points where the running thread is alone do not use up the
  // change points (k stays the number of real decisions).
  bool alone = true;
  for (SThread& t : threads_)
    if (&t != me && t.state == SThread::State::runnable) alone = false;
  if (alone) return;
  ++choices_;
  for (std::size_t i = 0; i < change_points_.size(); ++i)
    if (change_points_[i] == choices_) me->priority = std::int64_t(i + 1);
  me->state = SThread::State::runnable;
  SThread* next = choose();
  digest_ = emmi::splitmix_next(digest_) ^ (next ? next->index : 0xffff) ^ (points_ << 20);
  if (next == me || next == nullptr) {
    me->state = SThread::State::running;
    return;
  }
  ++preemptions_;
  if (switches_.size() < 4096) switches_.push_back({points_, me->lane, next->lane});
  hand_to(next);
  wait_for_turn(me, lk);
}

void Scheduler::point(SThread* me) {
  Internal in;
  Lock lk(mu_);
  decide(me, lk);
}

void Scheduler::yield(SThread* me) {
  Internal in;
  Lock lk(mu_);
  if (options_.strategy == Strategy::pct) me->priority = --yield_floor_ - 1'000'000;
  me->polls = true;
  if (!free_ && !me->command && only_pollers_can_run(me)) {
    // Yielding with nobody else to run but other pollers (a sched_yield or
    // failed-trylock poll loop, in one thread or several): the thread
    // waits for time to pass, as if it slept for a nanosecond. Its timer
    // fires only when the pager is otherwise idle and counts against the
    // step's timer budget, so a pager that polls for ever still settles,
    // and the step's verdicts are taken at a state the pollers have seen.
    // Without the other pollers, two of them would hand each other the
    // turn for ever.
    me->wait = Wait::sleep;
    me->object = nullptr;
    me->cond_mutex = nullptr;
    me->timed = true;
    me->deadline = vnow_.load() + 1;
    (void)block_locked(me, lk);
    return;
  }
  decide(me, lk);
}

bool Scheduler::only_pollers_can_run(const SThread* me) const {
  for (const SThread& t : threads_)
    if (&t != me && !t.polls &&
        (t.state == SThread::State::runnable || t.state == SThread::State::running))
      return false;
  return true;
}

BlockResult Scheduler::block(SThread* me, Wait wait, const void* object, std::uint64_t deadline_ns,
                             TryAcquire try_acquire) {
  Internal in;
  Lock lk(mu_);
  if (wait == Wait::receive && me->receive_wake) {
    me->receive_wake = false;
    return BlockResult::woken;
  }
  if (try_acquire != nullptr && try_acquire(object)) return BlockResult::acquired;
  if (wait != Wait::sleep) me->polls = false;
  me->wait = wait;
  me->object = object;
  me->cond_mutex = nullptr;
  me->timed = deadline_ns != 0;
  me->deadline = deadline_ns;
  return block_locked(me, lk);
}

BlockResult Scheduler::cond_block(SThread* me, const void* cond, pthread_mutex_t* mutex,
                                  std::uint64_t deadline_ns) {
  Internal in;
  Lock lk(mu_);
  me->polls = false;
  me->wait = Wait::cond;
  me->object = cond;
  me->cond_mutex = mutex;
  me->timed = deadline_ns != 0;
  me->deadline = deadline_ns;
  // A waiter from here on: a signal sent after the mutex is given up finds it.
  me->state = SThread::State::blocked;
  real().mutex_unlock(mutex);
  note_unlocked_locked(mutex);
  return block_locked(me, lk);
}

BlockResult Scheduler::block_locked(SThread* me, Lock& lk) {
  ++points_;
  if (me->object != nullptr)
    object_ids_.try_emplace(me->object, static_cast<std::uint32_t>(object_ids_.size() + 1));
  if (me->cond_mutex != nullptr)
    object_ids_.try_emplace(me->cond_mutex, static_cast<std::uint32_t>(object_ids_.size() + 1));
  me->state = SThread::State::blocked;
  me->block_seq = ++block_seq_;
  me->timed_out = false;
  me->go = false;
  // The look must wait for a pager thread: what it sees is no longer the
  // instant it was asked for.
  if (snapshot_looking_ && me->command) snapshot_broken_ = true;
  if (free_) {
    if (!me->command && command_->state == SThread::State::blocked && all_pager_blocked())
      command_->cv.notify_one();
    wait_for_turn(me, lk);
  } else {
    SThread* next = choose();
    if (next == nullptr && idle(lk)) next = choose();
    digest_ = emmi::splitmix_next(digest_) ^ (next ? next->index : 0xffff) ^ (points_ << 20);
    if (next == nullptr) {
      // Nothing can run and the command thread itself is blocked here, in
      // pager code: the pager can never go on.
      auto handler = stall_handler_;
      std::string why = fmt::format(
          "every pager thread is blocked, and so is the suite's call "
          "into the pager, which {}",
          state_of(*command_));
      lk.unlock();
      if (handler) handler(why);
      std::fprintf(stderr, "emmi-cts: %s\n", why.c_str());
      std::abort();
    }
    if (next == me) {
      me->go = false;
    } else {
      hand_to(next);
      wait_for_turn(me, lk);
    }
  }
  me->state = SThread::State::running;
  me->wait = Wait::none;
  me->object = nullptr;
  me->timed = false;
  const bool timed_out = me->timed_out;
  me->timed_out = false;
  return timed_out ? BlockResult::timed_out : BlockResult::woken;
}

bool Scheduler::idle(Lock&) {
  // A timer that falls due within the horizon fires first. While the
  // command thread itself waits in pager code (start() waiting for its
  // threads), the horizon does not apply: nothing else could end the wait.
  SThread* timer = nullptr;
  for (SThread& t : threads_)
    if (t.state == SThread::State::blocked && t.timed && !t.command &&
        (timer == nullptr || t.deadline < timer->deadline))
      timer = &t;
  const bool command_in_pager_code = command_->state == SThread::State::blocked &&
                                     command_->wait != Wait::quiescence;
  if (timer != nullptr && (timer->deadline <= horizon_end_ || command_in_pager_code) &&
      firings_ < options_.max_timer_firings) {
    vnow_.store(std::max(vnow_.load(), timer->deadline));
    ++firings_;
    timer->timed_out = true;
    make_runnable(timer);
    return true;
  }
  if (command_->state == SThread::State::blocked) {
    if (command_->timed && command_->wait != Wait::quiescence) {
      // The command thread's own timed wait in pager code.
      vnow_.store(std::max(vnow_.load(), command_->deadline));
      command_->timed_out = true;
    }
    if (command_->wait == Wait::quiescence || command_->timed) {
      make_runnable(command_);
      return true;
    }
  }
  return false;
}

void Scheduler::wake_all(Wait wait, const void* object) {
  Internal in;
  Lock lk(mu_);
  for (SThread& t : threads_)
    if (t.state == SThread::State::blocked && t.wait == wait && t.object == object)
      make_runnable(&t);
}

void Scheduler::wake_one(Wait wait, const void* object) {
  Internal in;
  Lock lk(mu_);
  SThread* first = nullptr;
  for (SThread& t : threads_)
    if (t.state == SThread::State::blocked && t.wait == wait && t.object == object &&
        (first == nullptr || t.block_seq < first->block_seq))
      first = &t;
  if (first != nullptr) make_runnable(first);
}

bool Scheduler::has_waiters(Wait wait, const void* object) {
  Internal in;
  Lock lk(mu_);
  for (SThread& t : threads_)
    if (t.state == SThread::State::blocked && t.wait == wait && t.object == object) return true;
  return false;
}

void Scheduler::wake_receiver(SThread* t) {
  Internal in;
  Lock lk(mu_);
  if (t->state == SThread::State::blocked && t->wait == Wait::receive)
    make_runnable(t);
  else if (t->state != SThread::State::exited)
    t->receive_wake = true;
}

void Scheduler::note_locked(SThread* me, const void* mutex) {
  Internal in;
  Lock lk(mu_);
  object_ids_.try_emplace(mutex, static_cast<std::uint32_t>(object_ids_.size() + 1));
  auto& o = owners_[mutex];
  if (o.first == me) {
    ++o.second;
  } else {
    o = {me, 1};
  }
}

void Scheduler::note_unlocked(const void* mutex) {
  Internal in;
  Lock lk(mu_);
  note_unlocked_locked(mutex);
}

void Scheduler::note_unlocked_locked(const void* mutex) {
  auto it = owners_.find(mutex);
  if (it != owners_.end() && --it->second.second == 0) owners_.erase(it);
  for (SThread& t : threads_)
    if (t.state == SThread::State::blocked &&
        (t.wait == Wait::mutex || t.wait == Wait::rwlock || t.wait == Wait::spin) &&
        t.object == mutex)
      make_runnable(&t);
}

SThread* Scheduler::owner_of(const void* mutex) {
  Internal in;
  Lock lk(mu_);
  auto it = owners_.find(mutex);
  return it == owners_.end() ? nullptr : it->second.first;
}

void Scheduler::barrier_init(const void* b, unsigned count) {
  Internal in;
  Lock lk(mu_);
  barriers_[b] = Barrier{count, 0, 0};
}

bool Scheduler::barrier_arrive(SThread* me, const void* b) {
  std::uint64_t generation;
  {
    Internal in;
    Lock lk(mu_);
    auto& bar = barriers_[b];
    if (++bar.arrived >= bar.count) {
      bar.arrived = 0;
      ++bar.generation;
      for (SThread& t : threads_)
        if (t.state == SThread::State::blocked && t.wait == Wait::barrier && t.object == b)
          make_runnable(&t);
      return true;
    }
    generation = bar.generation;
  }
  for (;;) {
    (void)block(me, Wait::barrier, b);
    Internal in;
    Lock lk(mu_);
    if (barriers_[b].generation != generation) return false;
  }
}

// ---------------------------------------------------------------------------
// Virtual time

std::uint64_t Scheduler::now_ns() const {
  if (!free_.load(std::memory_order_acquire)) return vnow_.load(std::memory_order_relaxed);
  const std::int64_t since = real_clock_ns(CLOCK_MONOTONIC) -
                             free_real_base_ns_.load(std::memory_order_relaxed);
  return free_virtual_base_.load(std::memory_order_relaxed) +
         static_cast<std::uint64_t>(since > 0 ? since : 0);
}

std::int64_t Scheduler::clock_base_ns(int clock) const {
  return clock == CLOCK_REALTIME ? realtime_base_ : monotonic_base_;
}

// ---------------------------------------------------------------------------
// The command thread

bool Scheduler::all_pager_blocked() const {
  for (const SThread& t : threads_)
    if (!t.command && (t.state == SThread::State::running || t.state == SThread::State::runnable))
      return false;
  return true;
}

void Scheduler::go_free(const std::string& why) {
  if (free_) return;
  free_reason_ = why;
  free_virtual_base_.store(vnow_.load());
  free_real_base_ns_.store(real_clock_ns(CLOCK_MONOTONIC));
  free_ = true;
  for (SThread& t : threads_) {
    if (t.state == SThread::State::runnable) {
      t.state = SThread::State::running;
      t.go = true;
    }
    t.cv.notify_one();  // timed waiters re-arm on the real clock
  }
}

Settled Scheduler::settle(std::chrono::milliseconds wall_bound) {
  Internal in;
  Lock lk(mu_);
  SThread* me = command_;
  horizon_end_ = vnow_.load() +
                 static_cast<std::uint64_t>(options_.timer_horizon.count()) * 1'000'000;
  firings_ = 0;
  settle_since_ = std::chrono::steady_clock::now();
  settle_bound_ = wall_bound;
  me->state = SThread::State::blocked;
  me->wait = Wait::quiescence;
  me->timed = false;
  while (!free_) {
    ++points_;
    SThread* next = choose();
    if (next == nullptr && idle(lk)) next = choose();
    if (next != nullptr && next != me) {
      hand_to(next);
      wait_for_turn(me, lk);
    }
    if (!snapshot_asked_ || free_) break;
    // A pager thread stopped for a snapshot (snapshot()): look, then let
    // the pager go on settling.
    snapshot_asked_ = false;
    me->state = SThread::State::running;
    me->wait = Wait::none;
    me->go = false;
    snapshot_looking_ = true;
    snapshot_broken_ = false;
    const std::function<void()> look = snapshot_look_;
    lk.unlock();
    {
      // The look is suite code that calls pager code: its calls are
      // intercepted like the pager's, not the scheduler's own.
      const int internal = std::exchange(tl_internal, 0);
      look();
      tl_internal = internal;
    }
    lk.lock();
    snapshot_looking_ = false;
    me->state = SThread::State::blocked;
    me->wait = Wait::quiescence;
    me->timed = false;
  }
  // A foreign thread made the case free (foreign_thread): threads the
  // scheduler cannot see may still run, and no wait can tell.
  Settled result = foreign_ ? Settled::unobservable : Settled::quiescent;
  if (!foreign_ && free_ && !free_noticed_ && free_notice_) {
    free_noticed_ = true;
    const std::function<void()> notice = free_notice_;
    lk.unlock();
    notice();
    lk.lock();
  }
  if (!foreign_ && free_) {
    const auto deadline = std::chrono::steady_clock::now() + wall_bound;
    while (!all_pager_blocked()) {
      if (lk.wait_until(me->cv, deadline) == std::cv_status::timeout && !all_pager_blocked()) {
        result = Settled::busy;
        break;
      }
    }
  }
  me->state = SThread::State::running;
  me->wait = Wait::none;
  me->go = false;
  return result;
}

void Scheduler::snapshot(SThread* me) {
  Internal in;
  Lock lk(mu_);
  if (free_ || !snapshot_look_ || me->command || snapshot_looking_ ||
      command_->state != SThread::State::blocked || command_->wait != Wait::quiescence)
    return;
  // The command thread takes the turn at once; `me` stays runnable and
  // goes on when the strategy picks it again.
  ++points_;
  snapshot_asked_ = true;
  me->state = SThread::State::runnable;
  command_->wait = Wait::none;
  hand_to(command_);
  wait_for_turn(me, lk);
}

std::string Scheduler::describe_object(Wait wait, const void* object) {
  // Names that stay the same from run to run (a replay gives the same
  // words): a symbol, else the offset in its file, else the order in which
  // the case first met the object.
  std::string where;
  Dl_info info{};
  if (object != nullptr && dladdr(object, &info) != 0 && info.dli_fname != nullptr) {
    if (info.dli_sname != nullptr) {
      const auto off = reinterpret_cast<std::uintptr_t>(object) -
                       reinterpret_cast<std::uintptr_t>(info.dli_saddr);
      where = off ? fmt::format("{}+0x{:x}", info.dli_sname, off) : std::string(info.dli_sname);
    } else {
      std::string_view file = info.dli_fname;
      if (auto slash = file.rfind('/'); slash != std::string_view::npos)
        file.remove_prefix(slash + 1);
      where = fmt::format("in {}+0x{:x}", file,
                          reinterpret_cast<std::uintptr_t>(object) -
                              reinterpret_cast<std::uintptr_t>(info.dli_fbase));
    }
  } else {
    auto [it, fresh] = object_ids_.try_emplace(object,
                                               static_cast<std::uint32_t>(object_ids_.size() + 1));
    (void)fresh;
    where = fmt::format("#{} (on the heap or stack)", it->second);
  }
  switch (wait) {
    case Wait::mutex: return "mutex " + where;
    case Wait::rwlock: return "rwlock " + where;
    case Wait::spin: return "spinlock " + where;
    case Wait::cond: return "condition " + where;
    case Wait::sem: return "semaphore " + where;
    case Wait::barrier: return "barrier " + where;
    case Wait::futex: return "futex word " + where;
    case Wait::fd: return "file descriptors";
    default: return where;
  }
}

namespace {
std::string lane_name(const SThread& t) {
  if (t.command) return "the suite's command thread";
  return t.lane ? fmt::format("t{}", t.lane) : fmt::format("pager thread #{}", t.index);
}
}  // namespace

std::string Scheduler::state_of(const SThread& t) {
  switch (t.state) {
    case SThread::State::running: return "running";
    case SThread::State::runnable: return "runnable";
    case SThread::State::exited: return "exited";
    case SThread::State::blocked: break;
  }
  std::string timed = t.timed ? fmt::format(" (until virtual {} ms)", t.deadline / 1'000'000) : "";
  switch (t.wait) {
    case Wait::receive: return "waits in a mach_msg receive" + timed;
    case Wait::sleep: return "sleeps" + timed;
    case Wait::join: {
      auto* target = static_cast<const SThread*>(t.object);
      return "joins " + (target ? lane_name(*target) : std::string("a thread"));
    }
    case Wait::mutex:
    case Wait::rwlock:
    case Wait::spin: {
      std::string s = "waits for " + describe_object(t.wait, t.object);
      auto it = owners_.find(t.object);
      if (it != owners_.end()) s += " held by " + lane_name(*it->second.first);
      return s + timed;
    }
    case Wait::cond: {
      std::string s = "waits on " + describe_object(t.wait, t.object);
      if (t.cond_mutex) s += " (with " + describe_object(Wait::mutex, t.cond_mutex) + ")";
      return s + timed;
    }
    case Wait::quiescence: return "waits for the pager to settle";
    default: return "waits on " + describe_object(t.wait, t.object) + timed;
  }
}

std::vector<ThreadState> Scheduler::threads_state() {
  Internal in;
  Lock lk(mu_);
  std::vector<ThreadState> out;
  for (SThread& t : threads_) {
    if (t.command || t.state == SThread::State::exited) continue;
    ThreadState s;
    s.lane = t.lane;
    s.state = state_of(t);
    s.in_receive = t.state == SThread::State::blocked && t.wait == Wait::receive;
    s.blocked = t.state == SThread::State::blocked;
    s.timed = s.blocked && t.timed;
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<std::string> Scheduler::cycles() {
  Internal in;
  Lock lk(mu_);
  // Wait-for edges: a thread waiting for a lock points at its holder, a
  // joiner at the thread it joins.
  auto next_of = [&](const SThread& t) -> const SThread* {
    if (t.state != SThread::State::blocked) return nullptr;
    if (t.wait == Wait::join) return static_cast<const SThread*>(t.object);
    if (t.wait == Wait::mutex || t.wait == Wait::rwlock || t.wait == Wait::spin) {
      auto it = owners_.find(t.object);
      return it == owners_.end() ? nullptr : it->second.first;
    }
    return nullptr;
  };
  std::vector<std::string> out;
  std::vector<const SThread*> reported;
  for (const SThread& start : threads_) {
    std::vector<const SThread*> path;
    const SThread* cur = &start;
    while (cur != nullptr && std::find(path.begin(), path.end(), cur) == path.end()) {
      path.push_back(cur);
      cur = next_of(*cur);
    }
    if (cur == nullptr) continue;
    auto first = std::find(path.begin(), path.end(), cur);
    std::vector<const SThread*> cycle(first, path.end());
    if (std::any_of(cycle.begin(), cycle.end(), [&](const SThread* t) {
          return std::find(reported.begin(), reported.end(), t) != reported.end();
        }))
      continue;
    std::string text = "deadlock:";
    for (const SThread* t : cycle) {
      reported.push_back(t);
      // Sorted: the same words in every run, whatever the addresses.
      std::vector<std::string> names;
      for (auto& [m, o] : owners_)
        if (o.first == t) names.push_back(describe_object(Wait::mutex, m));
      std::sort(names.begin(), names.end());
      std::string held;
      for (const std::string& n : names) held += (held.empty() ? "" : ", ") + n;
      text += fmt::format(" {}{} {};", lane_name(*t), held.empty() ? "" : " holds " + held + " and",
                          state_of(*t));
    }
    text.pop_back();
    out.push_back(std::move(text));
  }
  return out;
}

template <typename T>
T Scheduler::read(const T& field) {
  Internal in;
  Lock lk(mu_);
  return field;
}

std::string Scheduler::free_reason() { return read(free_reason_); }
std::string Scheduler::foreign_reason() { return read(foreign_reason_); }

void Scheduler::foreign_thread(const std::string& why) {
  Internal in;
  Lock lk(mu_);
  if (foreign_) return;
  foreign_ = true;
  foreign_reason_ = why;
  go_free(why);
}
std::uint64_t Scheduler::points() { return read(points_); }
std::uint64_t Scheduler::choices() { return read(choices_); }
std::uint64_t Scheduler::preemptions() { return read(preemptions_); }
std::uint64_t Scheduler::digest() { return read(digest_); }
std::vector<ControlledScheduling::Switch> Scheduler::switches() { return read(switches_); }

}  // namespace emmi::mach::detail::sched

// ---------------------------------------------------------------------------
// The public face

namespace emmi::mach {

using detail::sched::Scheduler;

std::string_view to_string(Strategy s) {
  switch (s) {
    case Strategy::random_walk: return "random";
    case Strategy::pct: return "pct";
  }
  return "?";
}

namespace {
// Pager threads may still touch their record after the case let them go
// (a thread stop() never joined): schedulers are retired, never freed.
std::mutex g_retired_mutex;
// Never destroyed: the retired schedulers stay reachable to the end.
std::vector<Scheduler*>* const g_retired = new std::vector<Scheduler*>();
Scheduler* g_current = nullptr;
}  // namespace

ControlledScheduling::ControlledScheduling(Kernel& kernel, const ScheduleOptions& options) {
  g_current = new Scheduler(options, kernel.current_thread_id());
}

ControlledScheduling::~ControlledScheduling() {
  g_current->retire();
  detail::sched::Internal in;
  std::lock_guard g(g_retired_mutex);
  g_retired->push_back(g_current);
  g_current = nullptr;
}

Settled ControlledScheduling::settle(std::chrono::milliseconds wall_bound) {
  return g_current->settle(wall_bound);
}

ControlledScheduling::PagerCode::PagerCode(ControlledScheduling&) {
  g_current->set_pager_code(true);
}
ControlledScheduling::PagerCode::~PagerCode() { g_current->set_pager_code(false); }

void ControlledScheduling::on_stall(std::function<void(const std::string&)> handler) {
  g_current->set_stall_handler(std::move(handler));
}

void ControlledScheduling::on_run_free(std::function<void()> notice) {
  g_current->set_free_notice(std::move(notice));
}

void ControlledScheduling::on_snapshot(std::function<void()> look) {
  g_current->set_snapshot_look(std::move(look));
}
bool ControlledScheduling::snapshot_intact() const { return g_current->snapshot_intact(); }

std::vector<ThreadState> ControlledScheduling::threads() const {
  return g_current->threads_state();
}
std::vector<std::string> ControlledScheduling::deadlock_cycles() const {
  return g_current->cycles();
}
bool ControlledScheduling::uncontrolled() const { return g_current->free_running(); }
std::string ControlledScheduling::foreign_threads() const { return g_current->foreign_reason(); }
std::string ControlledScheduling::uncontrolled_reason() const { return g_current->free_reason(); }
std::uint64_t ControlledScheduling::scheduling_points() const { return g_current->points(); }
std::uint64_t ControlledScheduling::choice_points() const { return g_current->choices(); }
std::uint64_t ControlledScheduling::preemptions() const { return g_current->preemptions(); }
std::uint64_t ControlledScheduling::virtual_now_ns() const { return g_current->now_ns(); }
std::uint64_t ControlledScheduling::decision_digest() const { return g_current->digest(); }
std::vector<ControlledScheduling::Switch> ControlledScheduling::switches() const {
  return g_current->switches();
}

}  // namespace emmi::mach
