// SPDX-License-Identifier: MIT
// The scheduler behind ControlledScheduling (emmi/mach/scheduler.h): the
// state of every controlled thread, who holds the token, virtual time, and
// the blocking primitives the interposed pthread calls (intercept.cpp) and
// the simulated kernel's receive are built on.
//
// One lock (Scheduler::mu_) guards it all. In controlled mode exactly one
// controlled thread holds the token and runs; every other one waits on its
// own condition variable. In free mode (after a thread ran too long without
// a scheduling point) the token is gone and threads run at once, but every
// block and wake-up still goes through this bookkeeping, so quiescence stays
// exact for whatever blocks in an intercepted call.
#pragma once

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "emmi/mach/scheduler.h"

namespace emmi::mach::detail::sched {

// While > 0, the calling thread runs the suite's own code (the simulated
// kernel under its lock, the scheduler itself): intercepted calls pass
// straight through to the C library.
extern thread_local int tl_internal;
class Internal {
 public:
  Internal() { ++tl_internal; }
  ~Internal() { --tl_internal; }
  Internal(const Internal&) = delete;
  Internal& operator=(const Internal&) = delete;
};

// The scheduler's lock. Under ThreadSanitizer the scheduler often runs inside
// one of the sanitizer's blocking interceptors (a pager's
// pthread_cond_wait reaches ours through it), where the sanitizer ignores
// nested lock calls: it would not see this lock at all, and every hand-over
// of the turn would look like a race. So the lock also tells the sanitizer
// itself, through its annotation interface, whenever it is taken and
// released (weak symbols: nothing happens in other builds). This is what
// orders the pager threads' turns for the sanitizer, as it orders them in
// fact.
class SchedLock {
 public:
  explicit SchedLock(std::mutex& m) : lk_(m) { taken(); }
  ~SchedLock() {
    if (lk_.owns_lock()) released();
  }
  SchedLock(const SchedLock&) = delete;
  SchedLock& operator=(const SchedLock&) = delete;

  void lock() {
    lk_.lock();
    taken();
  }
  void unlock() {
    released();
    lk_.unlock();
  }
  void wait(std::condition_variable& cv) {
    released();
    cv.wait(lk_);
    taken();
  }
  template <typename Clock, typename Duration>
  std::cv_status wait_until(std::condition_variable& cv,
                            const std::chrono::time_point<Clock, Duration>& when) {
    released();
    const std::cv_status st = cv.wait_until(lk_, when);
    taken();
    return st;
  }
  template <typename Rep, typename Period>
  std::cv_status wait_for(std::condition_variable& cv,
                          const std::chrono::duration<Rep, Period>& d) {
    return wait_until(cv, std::chrono::steady_clock::now() + d);
  }

 private:
  void taken();
  void released();
  std::unique_lock<std::mutex> lk_;
};

enum class Wait : std::uint8_t {
  none,
  mutex,
  rwlock,
  spin,
  cond,
  sem,
  barrier,
  join,
  sleep,
  receive,
  quiescence,
  futex,  // a futex word waited on with the futex system call (C++ atomic waits)
  fd,     // a blocking read or poll of file descriptors (pipes, sockets, eventfd, epoll)
};

class Scheduler;

enum class BlockResult : std::uint8_t { woken, timed_out, acquired };

// Checked under the scheduler's lock just before a thread blocks: true when
// what it waits for is already there (the lock was taken, the semaphore
// decremented), so a wake-up between a failed try and the block is never lost.
using TryAcquire = bool (*)(const void* object);

struct SThread {
  enum class State : std::uint8_t { runnable, running, blocked, exited };
  std::uint32_t index = 0;  // creation order; 0 is the command thread
  std::uint32_t lane = 0;   // the kernel's thread id (t<lane> in events)
  State state = State::runnable;
  Wait wait = Wait::none;
  const void* object = nullptr;      // what it waits on
  const void* cond_mutex = nullptr;  // Wait::cond: the mutex it gave up
  std::uint64_t block_seq = 0;       // FIFO order among waiters
  bool timed = false;
  std::uint64_t deadline = 0;  // virtual ns
  bool timed_out = false;
  bool receive_wake = false;  // a receive wake-up that came before the block
  bool go = false;            // it may run now
  bool entered = false;       // has waited for its first turn
  bool polls = false;         // yielded since it last waited for an event (a poll loop)
  Scheduler* owner = nullptr;
  bool command = false;
  bool pager_code = true;     // the command thread: only inside PagerCode
  std::int64_t priority = 0;  // PCT
  pthread_t handle{};
  bool has_handle = false;
  std::atomic<pid_t> tid{0};  // the kernel's id, for the watchdog
  std::condition_variable cv;
};

struct TaskSample {
  bool ok = false;
  bool sleeping = false;        // in the kernel (S or D)
  std::uint64_t cpu_ticks = 0;  // user + system
  std::uint64_t ticks_per_s = 100;
  pid_t tid = 0;
};
TaskSample sample_task(pid_t tid);

class Scheduler {
 public:
  Scheduler(const ScheduleOptions& options, std::uint32_t command_lane);
  ~Scheduler();
  // The case is over: every thread runs free, and the scheduler is no
  // longer the active one (its records stay valid).
  void retire();

  static Scheduler* active() { return g_active.load(std::memory_order_acquire); }
  // The calling thread's record while it is controlled, else null. A new
  // thread waits for its first turn here, at its first scheduling act (not
  // in its start routine, which under ThreadSanitizer runs before the
  // sanitizer knows the thread).
  // Whether the calling thread is one this scheduler controls, without
  // waiting for its turn (self() would).
  static bool controls_caller() {
    SThread* s = tl_self;
    Scheduler* a = g_active.load(std::memory_order_acquire);
    return s != nullptr && a != nullptr && s->owner == a;
  }
  static SThread* self() {
    SThread* s = tl_self;
    Scheduler* a = g_active.load(std::memory_order_acquire);
    if (s == nullptr || a == nullptr || s->owner != a) return nullptr;
    if (!s->entered) a->enter(s);
    return s;
  }
  // The record of a thread the clocks lie to (virtual time), without
  // waiting for a turn: a clock read is no scheduling point.
  static SThread* clock_reader() {
    SThread* s = tl_self;
    Scheduler* a = g_active.load(std::memory_order_acquire);
    if (tl_internal != 0 || s == nullptr || a == nullptr || s->owner != a || !s->pager_code)
      return nullptr;
    return s;
  }
  // The record if intercepted calls of this thread are scheduling points.
  static SThread* intercepting() {
    if (tl_internal != 0 || tl_self == nullptr) return nullptr;
    SThread* s = self();
    return (s != nullptr && s->pager_code) ? s : nullptr;
  }
  // Set by the thread's start routine: the record it enters with. Under
  // ThreadSanitizer that routine runs before the sanitizer knows the
  // thread, so this must be inlined into it, uninstrumented.
  __attribute__((always_inline)) static inline void adopt(SThread* t) {
    tl_self = t;
    t->tid.store(gettid(), std::memory_order_relaxed);
  }

  // --- Threads ---------------------------------------------------------------
  SThread* add_thread(std::uint32_t lane);  // a pager thread being created
  void set_handle(SThread* t, pthread_t handle);
  SThread* by_handle(pthread_t handle);
  void enter(SThread* t);        // waits for the thread's first turn
  void exit(SThread* t);         // last scheduling act of a thread
  void abandon(SThread* t);      // pthread_create failed
  void set_pager_code(bool on);  // command thread

  // --- Scheduling --------------------------------------------------------------
  // A scheduling point: the strategy may run another thread first.
  void point(SThread* me);
  // sched_yield or a failed trylock: under PCT the thread also drops below
  // every other, so a polling loop cannot starve the thread it waits for.
  void yield(SThread* me);
  // Block until woken or until the virtual deadline passes. `deadline_ns`
  // 0: no deadline. `try_acquire`, if given, is tried under the lock first.
  BlockResult block(SThread* me, Wait wait, const void* object, std::uint64_t deadline_ns = 0,
                    TryAcquire try_acquire = nullptr);
  // pthread_cond_wait: become a waiter of `cond`, then give up `mutex`
  // (atomically, as far as signallers can tell), then block.
  BlockResult cond_block(SThread* me, const void* cond, pthread_mutex_t* mutex,
                         std::uint64_t deadline_ns);
  void wake_all(Wait wait, const void* object);
  void wake_one(Wait wait, const void* object);
  void wake_receiver(SThread* t);
  bool has_waiters(Wait wait, const void* object);

  // Mutex bookkeeping, for wait-for cycles.
  void note_locked(SThread* me, const void* mutex);
  void note_unlocked(const void* mutex);
  void note_unlocked_locked(const void* mutex);
  SThread* owner_of(const void* mutex);

  // Barriers: the count given at init.
  void barrier_init(const void* b, unsigned count);
  bool barrier_arrive(SThread* me, const void* b);  // true: the serial thread

  // --- Virtual time ----------------------------------------------------------------
  std::uint64_t now_ns() const;  // virtual ns since the scheduler began; never waits
  // CLOCK_REALTIME / CLOCK_MONOTONIC as seen by controlled threads.
  std::int64_t clock_base_ns(int clock) const;

  // --- The command thread -------------------------------------------------------------
  Settled settle(std::chrono::milliseconds wall_bound);
  // A pager thread asks for a snapshot (ControlledScheduling::on_snapshot):
  // if one is wanted and the command thread waits in settle(), `me` stops
  // here while the command thread looks.
  void snapshot(SThread* me);
  void set_snapshot_look(std::function<void()> look) {
    SchedLock g(mu_);
    snapshot_look_ = std::move(look);
  }
  bool snapshot_intact() {
    SchedLock g(mu_);
    return !snapshot_broken_;
  }
  std::vector<ThreadState> threads_state();
  std::vector<std::string> cycles();

  // Called when the command thread blocks in pager code and nothing else can
  // run (stop() joining a thread that never ends). Must not return.
  void set_stall_handler(std::function<void(const std::string&)> handler) {
    SchedLock g(mu_);
    stall_handler_ = std::move(handler);
  }
  void set_free_notice(std::function<void()> notice) {
    SchedLock g(mu_);
    free_notice_ = std::move(notice);
  }

  bool free_running() const { return free_.load(std::memory_order_relaxed); }
  std::string free_reason();
  // A thread the scheduler never saw start acts as a pager thread (created
  // by clone(), or by a library on calls this library does not interpose):
  // the case runs free, and no settle can say the pager is idle any more.
  void foreign_thread(const std::string& why);
  std::string foreign_reason();  // empty: none seen
  std::uint64_t points();
  std::uint64_t choices();
  std::uint64_t preemptions();
  std::uint64_t digest();
  std::vector<ControlledScheduling::Switch> switches();

  std::string describe_object(Wait wait, const void* object);  // lock held

 private:
  using Lock = SchedLock;
  template <typename T>
  T read(const T& field);  // a copy, under the lock
  std::uint64_t next_random();
  void decide(SThread* me, Lock& lk);  // me stays runnable
  BlockResult block_locked(SThread* me, Lock& lk);
  SThread* choose();
  bool idle(Lock& lk);
  void hand_to(SThread* next);
  void wait_for_turn(SThread* me, Lock& lk);
  void make_runnable(SThread* t);
  void go_free(const std::string& why);
  bool all_pager_blocked() const;
  // With mu_ held: no thread but `me` can run, or only threads that yielded
  // since they last waited for an event (SThread::polls).
  bool only_pollers_can_run(const SThread* me) const;
  std::string state_of(const SThread& t);

  static std::atomic<Scheduler*> g_active;
  // constinit: read straight from TLS, with no wrapper function (the start
  // routine may not call instrumented code).
  static inline constinit thread_local SThread* tl_self = nullptr;
  friend class emmi::mach::ControlledScheduling;

  ScheduleOptions options_;
  mutable std::mutex mu_;
  std::deque<SThread> threads_;
  SThread* command_ = nullptr;
  std::uint64_t rng_;
  std::uint64_t points_ = 0;
  std::uint64_t choices_ = 0;  // points where another thread could have run
  std::uint64_t preemptions_ = 0;
  std::uint64_t digest_ = 0;
  std::uint64_t block_seq_ = 0;
  std::vector<std::uint64_t> change_points_;
  std::int64_t yield_floor_ = 0;
  // Read without the lock by the clocks (a sanitizer's allocator reads the
  // clock while holding its own lock: the clock must never wait).
  std::atomic<std::uint64_t> vnow_{0};
  std::uint64_t horizon_end_ = 0;
  std::uint32_t firings_ = 0;
  std::atomic<bool> free_{false};
  std::string free_reason_;
  bool foreign_ = false;  // foreign_thread() was called; under mu_
  std::string foreign_reason_;
  // While the command thread waits for the pager to settle: since when, and
  // for how long the pager may keep running before the step is given up as
  // one the scheduler cannot settle.
  std::chrono::steady_clock::time_point settle_since_{};
  std::chrono::milliseconds settle_bound_{0};
  std::atomic<std::int64_t> free_real_base_ns_{0};  // steady clock when the case went free
  std::atomic<std::uint64_t> free_virtual_base_{0};
  std::int64_t realtime_base_ = 0, monotonic_base_ = 0;
  std::unordered_map<const void*, std::pair<SThread*, std::uint32_t>> owners_;
  struct Barrier {
    unsigned count = 0, arrived = 0;
    std::uint64_t generation = 0;
  };
  std::unordered_map<const void*, Barrier> barriers_;
  std::unordered_map<const void*, std::uint32_t> object_ids_;  // in the order first met
  std::vector<ControlledScheduling::Switch> switches_;
  std::function<void(const std::string&)> stall_handler_;
  std::function<void()> free_notice_;  // ControlledScheduling::on_run_free
  bool free_noticed_ = false;
  // Snapshots: the look to run, whether a pager thread asked for one that
  // settle() has not taken yet, whether the command thread is looking (it
  // keeps the turn at its scheduling points) and whether it had to block
  // (other threads ran).
  std::function<void()> snapshot_look_;
  bool snapshot_asked_ = false;
  bool snapshot_looking_ = false;
  bool snapshot_broken_ = false;
};

// The C library's own functions, looked up past this library's interposers.
struct Real {
  int (*mutex_lock)(pthread_mutex_t*);
  int (*mutex_trylock)(pthread_mutex_t*);
  int (*mutex_unlock)(pthread_mutex_t*);
  int (*mutex_timedlock)(pthread_mutex_t*, const struct timespec*);
  int (*cond_wait)(pthread_cond_t*, pthread_mutex_t*);
  int (*cond_timedwait)(pthread_cond_t*, pthread_mutex_t*, const struct timespec*);
  int (*cond_signal)(pthread_cond_t*);
  int (*cond_broadcast)(pthread_cond_t*);
  int (*rwlock_rdlock)(pthread_rwlock_t*);
  int (*rwlock_wrlock)(pthread_rwlock_t*);
  int (*rwlock_tryrdlock)(pthread_rwlock_t*);
  int (*rwlock_trywrlock)(pthread_rwlock_t*);
  int (*rwlock_timedrdlock)(pthread_rwlock_t*, const struct timespec*);
  int (*rwlock_timedwrlock)(pthread_rwlock_t*, const struct timespec*);
  int (*rwlock_unlock)(pthread_rwlock_t*);
  int (*spin_lock)(pthread_spinlock_t*);
  int (*spin_trylock)(pthread_spinlock_t*);
  int (*spin_unlock)(pthread_spinlock_t*);
  int (*barrier_init)(pthread_barrier_t*, const pthread_barrierattr_t*, unsigned);
  int (*barrier_wait)(pthread_barrier_t*);
  int (*join)(pthread_t, void**);
  void (*exit)(void*) __attribute__((noreturn));
  int (*sem_wait)(void*);
  int (*sem_trywait)(void*);
  int (*sem_timedwait)(void*, const struct timespec*);
  int (*sem_post)(void*);
  int (*sched_yield)();
  int (*nanosleep)(const struct timespec*, struct timespec*);
  long (*syscall)(long, ...);
  // File descriptors: blocking waits, and the calls that may end them.
  ssize_t (*read)(int, void*, size_t);
  ssize_t (*readv)(int, const struct iovec*, int);
  ssize_t (*recv)(int, void*, size_t, int);
  ssize_t (*recvfrom)(int, void*, size_t, int, struct sockaddr*, socklen_t*);
  ssize_t (*recvmsg)(int, struct msghdr*, int);
  int (*poll)(struct pollfd*, nfds_t, int);
  int (*ppoll)(struct pollfd*, nfds_t, const struct timespec*, const sigset_t*);
  int (*select)(int, fd_set*, fd_set*, fd_set*, struct timeval*);
  int (*pselect)(int, fd_set*, fd_set*, fd_set*, const struct timespec*, const sigset_t*);
  int (*epoll_wait)(int, struct epoll_event*, int, int);
  int (*epoll_pwait)(int, struct epoll_event*, int, int, const sigset_t*);
  int (*eventfd_read)(int, std::uint64_t*);
  int (*eventfd_write)(int, std::uint64_t);
  ssize_t (*write)(int, const void*, size_t);
  ssize_t (*writev)(int, const struct iovec*, int);
  ssize_t (*send)(int, const void*, size_t, int);
  ssize_t (*sendto)(int, const void*, size_t, int, const struct sockaddr*, socklen_t);
  ssize_t (*sendmsg)(int, const struct msghdr*, int);
  int (*close)(int);
  int (*shutdown)(int, int);
  // The clock-taking forms (glibc 2.30 on) libstdc++ uses for timed waits.
  int (*cond_clockwait)(pthread_cond_t*, pthread_mutex_t*, clockid_t, const struct timespec*);
  int (*mutex_clocklock)(pthread_mutex_t*, clockid_t, const struct timespec*);
  int (*rwlock_clockrdlock)(pthread_rwlock_t*, clockid_t, const struct timespec*);
  int (*rwlock_clockwrlock)(pthread_rwlock_t*, clockid_t, const struct timespec*);
  int (*sem_clockwait)(void*, clockid_t, const struct timespec*);
  int (*clock_nanosleep)(clockid_t, int, const struct timespec*, struct timespec*);
  int (*usleep)(useconds_t);
  unsigned (*sleep)(unsigned);
  int (*clock_gettime)(clockid_t, struct timespec*);
  int (*gettimeofday)(struct timeval*, void*);
  time_t (*time)(time_t*);
};
const Real& real();

}  // namespace emmi::mach::detail::sched
