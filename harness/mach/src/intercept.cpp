// SPDX-License-Identifier: MIT
// The synchronisation and timing calls a C/C++ pager makes, interposed (this
// library precedes the C library in the process's symbol lookup, as it does
// for pthread_create and munmap). For a thread the scheduler controls, each
// call is a scheduling point and blocks through the scheduler, so the suite
// always knows which pager thread can run; every other thread, and the
// suite's own code, goes straight to the C library.
//
// The real lock is always taken as well (with its try form, while the thread
// holds the turn), so the C library's view of every mutex stays true and a
// case can drop to free running at any moment.
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "thread_scheduler.h"

namespace emmi::mach::detail::sched {

namespace {

template <typename F>
F lookup(const char* name, const char* version = nullptr) {
  void* p = version != nullptr ? dlvsym(RTLD_NEXT, name, version) : nullptr;
  if (p == nullptr) p = dlsym(RTLD_NEXT, name);
  if (p == nullptr) {
    std::fprintf(stderr, "emmi-cts: the C library has no %s\n", name);
    std::abort();
  }
  return reinterpret_cast<F>(p);
}

Real load() {
  Real r{};
  r.mutex_lock = lookup<decltype(r.mutex_lock)>("pthread_mutex_lock");
  r.mutex_trylock = lookup<decltype(r.mutex_trylock)>("pthread_mutex_trylock");
  r.mutex_unlock = lookup<decltype(r.mutex_unlock)>("pthread_mutex_unlock");
  r.mutex_timedlock = lookup<decltype(r.mutex_timedlock)>("pthread_mutex_timedlock");
  // The condition variables of glibc 2.3.2 on; dlsym alone may give the old
  // ones, which other code's condition variables are not laid out for.
  r.cond_wait = lookup<decltype(r.cond_wait)>("pthread_cond_wait", "GLIBC_2.3.2");
  r.cond_timedwait = lookup<decltype(r.cond_timedwait)>("pthread_cond_timedwait", "GLIBC_2.3.2");
  r.cond_signal = lookup<decltype(r.cond_signal)>("pthread_cond_signal", "GLIBC_2.3.2");
  r.cond_broadcast = lookup<decltype(r.cond_broadcast)>("pthread_cond_broadcast", "GLIBC_2.3.2");
  r.rwlock_rdlock = lookup<decltype(r.rwlock_rdlock)>("pthread_rwlock_rdlock");
  r.rwlock_wrlock = lookup<decltype(r.rwlock_wrlock)>("pthread_rwlock_wrlock");
  r.rwlock_tryrdlock = lookup<decltype(r.rwlock_tryrdlock)>("pthread_rwlock_tryrdlock");
  r.rwlock_trywrlock = lookup<decltype(r.rwlock_trywrlock)>("pthread_rwlock_trywrlock");
  r.rwlock_timedrdlock = lookup<decltype(r.rwlock_timedrdlock)>("pthread_rwlock_timedrdlock");
  r.rwlock_timedwrlock = lookup<decltype(r.rwlock_timedwrlock)>("pthread_rwlock_timedwrlock");
  r.rwlock_unlock = lookup<decltype(r.rwlock_unlock)>("pthread_rwlock_unlock");
  r.spin_lock = lookup<decltype(r.spin_lock)>("pthread_spin_lock");
  r.spin_trylock = lookup<decltype(r.spin_trylock)>("pthread_spin_trylock");
  r.spin_unlock = lookup<decltype(r.spin_unlock)>("pthread_spin_unlock");
  r.barrier_init = lookup<decltype(r.barrier_init)>("pthread_barrier_init");
  r.barrier_wait = lookup<decltype(r.barrier_wait)>("pthread_barrier_wait");
  r.join = lookup<decltype(r.join)>("pthread_join");
  r.exit = lookup<decltype(r.exit)>("pthread_exit");
  r.sem_wait = lookup<decltype(r.sem_wait)>("sem_wait");
  r.sem_trywait = lookup<decltype(r.sem_trywait)>("sem_trywait");
  r.sem_timedwait = lookup<decltype(r.sem_timedwait)>("sem_timedwait");
  r.sem_post = lookup<decltype(r.sem_post)>("sem_post");
  r.sched_yield = lookup<decltype(r.sched_yield)>("sched_yield");
  r.nanosleep = lookup<decltype(r.nanosleep)>("nanosleep");
  r.syscall = lookup<decltype(r.syscall)>("syscall");
  r.read = lookup<decltype(r.read)>("read");
  r.readv = lookup<decltype(r.readv)>("readv");
  r.recv = lookup<decltype(r.recv)>("recv");
  r.recvfrom = lookup<decltype(r.recvfrom)>("recvfrom");
  r.recvmsg = lookup<decltype(r.recvmsg)>("recvmsg");
  r.poll = lookup<decltype(r.poll)>("poll");
  r.ppoll = lookup<decltype(r.ppoll)>("ppoll");
  r.select = lookup<decltype(r.select)>("select");
  r.pselect = lookup<decltype(r.pselect)>("pselect");
  r.epoll_wait = lookup<decltype(r.epoll_wait)>("epoll_wait");
  r.epoll_pwait = lookup<decltype(r.epoll_pwait)>("epoll_pwait");
  r.eventfd_read = lookup<decltype(r.eventfd_read)>("eventfd_read");
  r.eventfd_write = lookup<decltype(r.eventfd_write)>("eventfd_write");
  r.write = lookup<decltype(r.write)>("write");
  r.writev = lookup<decltype(r.writev)>("writev");
  r.send = lookup<decltype(r.send)>("send");
  r.sendto = lookup<decltype(r.sendto)>("sendto");
  r.sendmsg = lookup<decltype(r.sendmsg)>("sendmsg");
  r.close = lookup<decltype(r.close)>("close");
  r.shutdown = lookup<decltype(r.shutdown)>("shutdown");
  r.cond_clockwait = lookup<decltype(r.cond_clockwait)>("pthread_cond_clockwait");
  r.mutex_clocklock = lookup<decltype(r.mutex_clocklock)>("pthread_mutex_clocklock");
  r.rwlock_clockrdlock = lookup<decltype(r.rwlock_clockrdlock)>("pthread_rwlock_clockrdlock");
  r.rwlock_clockwrlock = lookup<decltype(r.rwlock_clockwrlock)>("pthread_rwlock_clockwrlock");
  r.sem_clockwait = lookup<decltype(r.sem_clockwait)>("sem_clockwait");
  r.clock_nanosleep = lookup<decltype(r.clock_nanosleep)>("clock_nanosleep");
  r.usleep = lookup<decltype(r.usleep)>("usleep");
  r.sleep = lookup<decltype(r.sleep)>("sleep");
  r.clock_gettime = lookup<decltype(r.clock_gettime)>("clock_gettime");
  r.gettimeofday = lookup<decltype(r.gettimeofday)>("gettimeofday");
  r.time = lookup<decltype(r.time)>("time");
  return r;
}

}  // namespace

const Real& real() {
  static const Real r = load();
  return r;
}

namespace {

constexpr std::int64_t kNs = 1'000'000'000;

std::int64_t ns_of(const timespec& ts) { return std::int64_t(ts.tv_sec) * kNs + ts.tv_nsec; }

timespec ts_of(std::int64_t ns) {
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(ns / kNs);
  ts.tv_nsec = static_cast<long>(ns % kNs);
  return ts;
}

// The virtual clock a controlled thread sees, and the virtual deadline of an
// absolute time on that clock (at least 1: 0 means "no deadline").
bool virtual_clock(clockid_t clock) {
  switch (clock) {
    case CLOCK_REALTIME:
    case CLOCK_REALTIME_COARSE:
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_COARSE:
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_BOOTTIME: return true;
    default: return false;
  }
}

int base_of(clockid_t clock) {
  return (clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE) ? CLOCK_REALTIME
                                                                     : CLOCK_MONOTONIC;
}

std::int64_t virtual_time(Scheduler* s, clockid_t clock) {
  return s->clock_base_ns(base_of(clock)) + static_cast<std::int64_t>(s->now_ns());
}

std::uint64_t deadline_of(Scheduler* s, clockid_t clock, const timespec* abstime) {
  std::int64_t v = ns_of(*abstime) - s->clock_base_ns(base_of(clock));
  return v < 1 ? 1 : static_cast<std::uint64_t>(v);
}

std::uint64_t deadline_after(Scheduler* s, std::int64_t ns) {
  if (ns < 1) ns = 1;
  return s->now_ns() + static_cast<std::uint64_t>(ns);
}

// glibc (2.25 on) keeps a condition variable's clock in bit 1 of __wrefs.
clockid_t clock_of(const pthread_cond_t* c) {
  return (c->__data.__wrefs & 2) ? CLOCK_MONOTONIC : CLOCK_REALTIME;
}

bool try_mutex(const void* m) {
  return real().mutex_trylock(static_cast<pthread_mutex_t*>(const_cast<void*>(m))) == 0;
}
bool try_spin(const void* l) {
  return real().spin_trylock(static_cast<pthread_spinlock_t*>(const_cast<void*>(l))) == 0;
}
bool try_rd(const void* l) {
  return real().rwlock_tryrdlock(static_cast<pthread_rwlock_t*>(const_cast<void*>(l))) == 0;
}
bool try_wr(const void* l) {
  return real().rwlock_trywrlock(static_cast<pthread_rwlock_t*>(const_cast<void*>(l))) == 0;
}
bool try_sem(const void* sem) { return real().sem_trywait(const_cast<void*>(sem)) == 0; }
bool joined_exited(const void* t) {
  return static_cast<const SThread*>(t)->state == SThread::State::exited;
}

// Spinlocks are volatile ints: the scheduler keys them by address.
const void* key(pthread_spinlock_t* l) { return const_cast<int*>(l); }

int mutex_kind(const pthread_mutex_t* m) { return m->__data.__kind & 3; }

// Lock `m` for a controlled thread: the C library's try form while it holds
// the turn, else block until the holder unlocks.
int controlled_lock(Scheduler* s, SThread* me, pthread_mutex_t* m, std::uint64_t deadline) {
  for (;;) {
    int rc = real().mutex_trylock(m);
    if (rc == 0) {
      s->note_locked(me, m);
      return 0;
    }
    if (rc != EBUSY) return rc;
    // Locking a mutex one holds already: an error-checking mutex says so; a
    // normal one blocks for ever (and the deadlock report names it).
    if (s->owner_of(m) == me && mutex_kind(m) == PTHREAD_MUTEX_ERRORCHECK) return EDEADLK;
    switch (s->block(me, Wait::mutex, m, deadline, &try_mutex)) {
      case BlockResult::acquired: s->note_locked(me, m); return 0;
      case BlockResult::timed_out: return ETIMEDOUT;
      case BlockResult::woken: break;
    }
  }
}

}  // namespace

}  // namespace emmi::mach::detail::sched

using emmi::mach::detail::sched::BlockResult;
using emmi::mach::detail::sched::Scheduler;
using emmi::mach::detail::sched::SThread;
using emmi::mach::detail::sched::Wait;
namespace sd = emmi::mach::detail::sched;

extern "C" {

// --- Mutexes -------------------------------------------------------------------

int pthread_mutex_lock(pthread_mutex_t* m) {
  SThread* me = Scheduler::intercepting();
  if (me == nullptr) return sd::real().mutex_lock(m);
  Scheduler* s = Scheduler::active();
  s->point(me);
  return sd::controlled_lock(s, me, m, 0);
}

int pthread_mutex_trylock(pthread_mutex_t* m) {
  SThread* me = Scheduler::intercepting();
  if (me == nullptr) return sd::real().mutex_trylock(m);
  Scheduler* s = Scheduler::active();
  s->point(me);
  int rc = sd::real().mutex_trylock(m);
  if (rc == 0)
    s->note_locked(me, m);
  else if (rc == EBUSY)
    s->yield(me);  // a polling loop must let the holder run
  return rc;
}

int pthread_mutex_timedlock(pthread_mutex_t* m, const struct timespec* abstime) {
  SThread* me = Scheduler::intercepting();
  if (me == nullptr) return sd::real().mutex_timedlock(m, abstime);
  Scheduler* s = Scheduler::active();
  s->point(me);
  return sd::controlled_lock(s, me, m, sd::deadline_of(s, CLOCK_REALTIME, abstime));
}

int pthread_mutex_clocklock(pthread_mutex_t* m, clockid_t clock, const struct timespec* abstime) {
  SThread* me = Scheduler::intercepting();
  if (me == nullptr || !sd::virtual_clock(clock))
    return sd::real().mutex_clocklock(m, clock, abstime);
  Scheduler* s = Scheduler::active();
  s->point(me);
  return sd::controlled_lock(s, me, m, sd::deadline_of(s, clock, abstime));
}

int pthread_mutex_unlock(pthread_mutex_t* m) {
  if (sd::tl_internal != 0) return sd::real().mutex_unlock(m);
  int rc = sd::real().mutex_unlock(m);
  // Whoever unlocks (a controlled thread or not), waiters under the
  // scheduler must hear of it.
  if (rc == 0)
    if (Scheduler* s = Scheduler::active()) s->note_unlocked(m);
  return rc;
}

// --- Condition variables ----------------------------------------------------------

int pthread_cond_wait(pthread_cond_t* c, pthread_mutex_t* m) {
  SThread* me = Scheduler::intercepting();
  if (me == nullptr) return sd::real().cond_wait(c, m);
  Scheduler* s = Scheduler::active();
  s->point(me);
  (void)s->cond_block(me, c, m, 0);
  return sd::controlled_lock(s, me, m, 0);
}

namespace {

int controlled_cond_wait_until(SThread* me, pthread_cond_t* c, pthread_mutex_t* m, clockid_t clock,
                               const struct timespec* abstime) {
  Scheduler* s = Scheduler::active();
  s->point(me);
  if (abstime->tv_nsec < 0 || abstime->tv_nsec >= sd::kNs) return EINVAL;
  auto r = s->cond_block(me, c, m, sd::deadline_of(s, clock, abstime));
  int rc = sd::controlled_lock(s, me, m, 0);
  if (rc != 0) return rc;
  return r == BlockResult::timed_out ? ETIMEDOUT : 0;
}

}  // namespace

int pthread_cond_timedwait(pthread_cond_t* c, pthread_mutex_t* m, const struct timespec* abstime) {
  SThread* me = Scheduler::intercepting();
  if (me == nullptr) return sd::real().cond_timedwait(c, m, abstime);
  return controlled_cond_wait_until(me, c, m, sd::clock_of(c), abstime);
}

// std::condition_variable's wait_for and wait_until (libstdc++ on glibc 2.30
// and later) come here, with the clock named per call.
int pthread_cond_clockwait(pthread_cond_t* c, pthread_mutex_t* m, clockid_t clock,
                           const struct timespec* abstime) {
  SThread* me = Scheduler::intercepting();
  if (me == nullptr || !sd::virtual_clock(clock))
    return sd::real().cond_clockwait(c, m, clock, abstime);
  return controlled_cond_wait_until(me, c, m, clock, abstime);
}

int pthread_cond_signal(pthread_cond_t* c) {
  if (sd::tl_internal != 0) return sd::real().cond_signal(c);
  Scheduler* s = Scheduler::active();
  if (s == nullptr) return sd::real().cond_signal(c);
  if (SThread* me = Scheduler::intercepting()) s->point(me);
  s->wake_one(Wait::cond, c);
  return sd::real().cond_signal(c);
}

int pthread_cond_broadcast(pthread_cond_t* c) {
  if (sd::tl_internal != 0) return sd::real().cond_broadcast(c);
  Scheduler* s = Scheduler::active();
  if (s == nullptr) return sd::real().cond_broadcast(c);
  if (SThread* me = Scheduler::intercepting()) s->point(me);
  s->wake_all(Wait::cond, c);
  return sd::real().cond_broadcast(c);
}

// --- Read-write locks and spinlocks ---------------------------------------------------

namespace {

int controlled_rw(pthread_rwlock_t* l, bool write, const struct timespec* abstime,
                  clockid_t clock = CLOCK_REALTIME, bool clocked = false) {
  SThread* me = Scheduler::intercepting();
  const auto& r = sd::real();
  if (me == nullptr || (clocked && !sd::virtual_clock(clock))) {
    if (clocked)
      return write ? r.rwlock_clockwrlock(l, clock, abstime)
                   : r.rwlock_clockrdlock(l, clock, abstime);
    if (abstime != nullptr)
      return write ? r.rwlock_timedwrlock(l, abstime) : r.rwlock_timedrdlock(l, abstime);
    return write ? r.rwlock_wrlock(l) : r.rwlock_rdlock(l);
  }
  Scheduler* s = Scheduler::active();
  s->point(me);
  const std::uint64_t deadline = abstime != nullptr ? sd::deadline_of(s, clock, abstime) : 0;
  for (;;) {
    int rc = write ? r.rwlock_trywrlock(l) : r.rwlock_tryrdlock(l);
    if (rc == 0) {
      if (write) s->note_locked(me, l);
      return 0;
    }
    if (rc != EBUSY) return rc;
    switch (s->block(me, Wait::rwlock, l, deadline, write ? &sd::try_wr : &sd::try_rd)) {
      case BlockResult::acquired:
        if (write) s->note_locked(me, l);
        return 0;
      case BlockResult::timed_out: return ETIMEDOUT;
      case BlockResult::woken: break;
    }
  }
}

int controlled_try_rw(pthread_rwlock_t* l, bool write) {
  SThread* me = Scheduler::intercepting();
  const auto& r = sd::real();
  int rc = write ? r.rwlock_trywrlock(l) : r.rwlock_tryrdlock(l);
  if (me == nullptr) return rc;
  Scheduler* s = Scheduler::active();
  if (rc == 0 && write) s->note_locked(me, l);
  if (rc == EBUSY) s->yield(me);
  return rc;
}

}  // namespace

int pthread_rwlock_rdlock(pthread_rwlock_t* l) { return controlled_rw(l, false, nullptr); }
int pthread_rwlock_wrlock(pthread_rwlock_t* l) { return controlled_rw(l, true, nullptr); }
int pthread_rwlock_timedrdlock(pthread_rwlock_t* l, const struct timespec* t) {
  return controlled_rw(l, false, t);
}
int pthread_rwlock_timedwrlock(pthread_rwlock_t* l, const struct timespec* t) {
  return controlled_rw(l, true, t);
}
int pthread_rwlock_clockrdlock(pthread_rwlock_t* l, clockid_t c, const struct timespec* t) {
  return controlled_rw(l, false, t, c, true);
}
int pthread_rwlock_clockwrlock(pthread_rwlock_t* l, clockid_t c, const struct timespec* t) {
  return controlled_rw(l, true, t, c, true);
}
int pthread_rwlock_tryrdlock(pthread_rwlock_t* l) { return controlled_try_rw(l, false); }
int pthread_rwlock_trywrlock(pthread_rwlock_t* l) { return controlled_try_rw(l, true); }

int pthread_rwlock_unlock(pthread_rwlock_t* l) {
  if (sd::tl_internal != 0) return sd::real().rwlock_unlock(l);
  int rc = sd::real().rwlock_unlock(l);
  if (rc == 0)
    if (Scheduler* s = Scheduler::active()) s->note_unlocked(l);
  return rc;
}

int pthread_spin_lock(pthread_spinlock_t* l) {
  SThread* me = Scheduler::intercepting();
  if (me == nullptr) return sd::real().spin_lock(l);
  Scheduler* s = Scheduler::active();
  s->point(me);
  // A spinning thread would hold the turn for ever: it blocks instead,
  // until the holder unlocks.
  for (;;) {
    int rc = sd::real().spin_trylock(l);
    if (rc == 0) {
      s->note_locked(me, sd::key(l));
      return 0;
    }
    if (rc != EBUSY) return rc;
    if (s->block(me, Wait::spin, sd::key(l), 0, &sd::try_spin) == BlockResult::acquired) {
      s->note_locked(me, sd::key(l));
      return 0;
    }
  }
}

int pthread_spin_trylock(pthread_spinlock_t* l) {
  int rc = sd::real().spin_trylock(l);
  SThread* me = Scheduler::intercepting();
  if (me == nullptr) return rc;
  Scheduler* s = Scheduler::active();
  if (rc == 0) s->note_locked(me, sd::key(l));
  if (rc == EBUSY) s->yield(me);
  return rc;
}

int pthread_spin_unlock(pthread_spinlock_t* l) {
  if (sd::tl_internal != 0) return sd::real().spin_unlock(l);
  int rc = sd::real().spin_unlock(l);
  if (rc == 0)
    if (Scheduler* s = Scheduler::active()) s->note_unlocked(sd::key(l));
  return rc;
}

// --- Barriers, joins, thread exit ------------------------------------------------------

int pthread_barrier_init(pthread_barrier_t* b, const pthread_barrierattr_t* attr, unsigned count) {
  int rc = sd::real().barrier_init(b, attr, count);
  if (rc == 0 && sd::tl_internal == 0)
    if (Scheduler* s = Scheduler::active()) s->barrier_init(b, count);
  return rc;
}

int pthread_barrier_wait(pthread_barrier_t* b) {
  SThread* me = Scheduler::intercepting();
  if (me == nullptr) return sd::real().barrier_wait(b);
  Scheduler* s = Scheduler::active();
  s->point(me);
  return s->barrier_arrive(me, b) ? PTHREAD_BARRIER_SERIAL_THREAD : 0;
}

int pthread_join(pthread_t thread, void** result) {
  SThread* me = Scheduler::intercepting();
  if (me != nullptr) {
    Scheduler* s = Scheduler::active();
    s->point(me);
    if (SThread* target = s->by_handle(thread))
      while (target->state != SThread::State::exited)
        (void)s->block(me, Wait::join, target, 0, &sd::joined_exited);
  }
  return sd::real().join(thread, result);
}

void pthread_exit(void* value) {
  if (SThread* me = Scheduler::self(); me != nullptr && !me->command) me->owner->exit(me);
  sd::real().exit(value);
}

// --- Semaphores ------------------------------------------------------------------------

namespace {

int controlled_sem_wait(sem_t* sem, const struct timespec* abstime,
                        clockid_t clock = CLOCK_REALTIME, bool clocked = false) {
  SThread* me = Scheduler::intercepting();
  if (me == nullptr || (clocked && !sd::virtual_clock(clock))) {
    if (clocked) return sd::real().sem_clockwait(sem, clock, abstime);
    return abstime ? sd::real().sem_timedwait(sem, abstime) : sd::real().sem_wait(sem);
  }
  Scheduler* s = Scheduler::active();
  s->point(me);
  const std::uint64_t deadline = abstime ? sd::deadline_of(s, clock, abstime) : 0;
  for (;;) {
    if (sd::real().sem_trywait(sem) == 0) return 0;
    if (errno != EAGAIN) return -1;
    switch (s->block(me, Wait::sem, sem, deadline, &sd::try_sem)) {
      case BlockResult::acquired: return 0;
      case BlockResult::timed_out: errno = ETIMEDOUT; return -1;
      case BlockResult::woken: break;
    }
  }
}

}  // namespace

int sem_wait(sem_t* sem) { return controlled_sem_wait(sem, nullptr); }
int sem_timedwait(sem_t* sem, const struct timespec* abstime) {
  return controlled_sem_wait(sem, abstime);
}
int sem_clockwait(sem_t* sem, clockid_t clock, const struct timespec* abstime) {
  return controlled_sem_wait(sem, abstime, clock, true);
}

int sem_trywait(sem_t* sem) {
  int rc = sd::real().sem_trywait(sem);
  if (rc != 0)
    if (SThread* me = Scheduler::intercepting()) Scheduler::active()->yield(me);
  return rc;
}

int sem_post(sem_t* sem) {
  int rc = sd::real().sem_post(sem);
  if (rc == 0 && sd::tl_internal == 0)
    if (Scheduler* s = Scheduler::active()) {
      s->wake_all(Wait::sem, sem);
      if (SThread* me = Scheduler::intercepting()) s->point(me);
    }
  return rc;
}

// --- Yielding and sleeping ------------------------------------------------------------------

int sched_yield(void) {
  SThread* me = Scheduler::intercepting();
  if (me == nullptr) return sd::real().sched_yield();
  Scheduler::active()->yield(me);
  return 0;
}

namespace {

// Sleep `ns` of virtual time: the thread blocks until the scheduler lets its
// timer fire.
void virtual_sleep(Scheduler* s, SThread* me, std::uint64_t deadline) {
  while (s->block(me, Wait::sleep, nullptr, deadline) != BlockResult::timed_out) {
  }
}

// A relative sleep of `ns`; none at all is a yield.
void virtual_sleep_for(SThread* me, std::int64_t ns) {
  Scheduler* s = Scheduler::active();
  if (ns <= 0)
    s->yield(me);
  else
    virtual_sleep(s, me, sd::deadline_after(s, ns));
}

}  // namespace

int nanosleep(const struct timespec* req, struct timespec* rem) {
  SThread* me = Scheduler::intercepting();
  if (me == nullptr) return sd::real().nanosleep(req, rem);
  if (req->tv_nsec < 0 || req->tv_nsec >= sd::kNs || req->tv_sec < 0) {
    errno = EINVAL;
    return -1;
  }
  virtual_sleep_for(me, sd::ns_of(*req));
  if (rem != nullptr) *rem = timespec{};
  return 0;
}

int clock_nanosleep(clockid_t clock, int flags, const struct timespec* req, struct timespec* rem) {
  SThread* me = Scheduler::intercepting();
  if (me == nullptr || !sd::virtual_clock(clock))
    return sd::real().clock_nanosleep(clock, flags, req, rem);
  if (req->tv_nsec < 0 || req->tv_nsec >= sd::kNs) return EINVAL;
  Scheduler* s = Scheduler::active();
  const std::uint64_t deadline = (flags & TIMER_ABSTIME) ? sd::deadline_of(s, clock, req)
                                                         : sd::deadline_after(s, sd::ns_of(*req));
  if (deadline <= s->now_ns()) {
    s->yield(me);
  } else {
    virtual_sleep(s, me, deadline);
  }
  if (rem != nullptr) *rem = timespec{};
  return 0;
}

int usleep(useconds_t usec) {
  SThread* me = Scheduler::intercepting();
  if (me == nullptr) return sd::real().usleep(usec);
  virtual_sleep_for(me, std::int64_t(usec) * 1000);
  return 0;
}

unsigned sleep(unsigned seconds) {
  SThread* me = Scheduler::intercepting();
  if (me == nullptr) return sd::real().sleep(seconds);
  virtual_sleep_for(me, std::int64_t(seconds) * sd::kNs);
  return 0;
}

// --- Futexes ---------------------------------------------------------------------------------

// libstdc++ waits on std::atomic, std::counting_semaphore, std::latch and
// std::future with the futex system call through syscall(), not through a
// pthread call. For a controlled thread a FUTEX_WAIT is a block on the
// word's address (after the value check the kernel would make: only the
// thread holding the turn runs, so nothing changes the word in between), and
// a FUTEX_WAKE wakes every controlled waiter on the address (a futex waiter
// may always wake spuriously; the callers re-check the word). Every other
// system call, and every futex call of a thread the scheduler does not
// control, goes to the C library.

namespace {

long controlled_futex_wait(SThread* me, const std::uint32_t* word, std::uint32_t expected, int op,
                           const struct timespec* timeout) {
  Scheduler* s = Scheduler::active();
  s->point(me);
  if (__atomic_load_n(word, __ATOMIC_SEQ_CST) != expected) {
    errno = EAGAIN;
    return -1;
  }
  std::uint64_t deadline = 0;
  if (timeout != nullptr) {
    if (timeout->tv_nsec < 0 || timeout->tv_nsec >= sd::kNs || timeout->tv_sec < 0) {
      errno = EINVAL;
      return -1;
    }
    // FUTEX_WAIT takes a relative time on CLOCK_MONOTONIC; FUTEX_WAIT_BITSET
    // an absolute one, on CLOCK_REALTIME when FUTEX_CLOCK_REALTIME is set.
    if ((op & FUTEX_CMD_MASK) == FUTEX_WAIT_BITSET)
      deadline = sd::deadline_of(s, (op & FUTEX_CLOCK_REALTIME) ? CLOCK_REALTIME : CLOCK_MONOTONIC,
                                 timeout);
    else
      deadline = sd::deadline_after(s, sd::ns_of(*timeout));
    if (deadline <= s->now_ns()) {
      s->yield(me);
      errno = ETIMEDOUT;
      return -1;
    }
  }
  if (s->block(me, Wait::futex, word, deadline) == BlockResult::timed_out) {
    errno = ETIMEDOUT;
    return -1;
  }
  return 0;
}

}  // namespace

long syscall(long number, ...) {
  va_list ap;
  va_start(ap, number);
  long a[6];
  for (long& v : a) v = va_arg(ap, long);
  va_end(ap);
  if (number == SYS_futex && sd::tl_internal == 0) {
    const auto* word = reinterpret_cast<const std::uint32_t*>(a[0]);
    const int op = static_cast<int>(a[1]);
    const int cmd = op & FUTEX_CMD_MASK;
    if (cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET) {
      if (SThread* me = Scheduler::intercepting())
        return controlled_futex_wait(me, word, static_cast<std::uint32_t>(a[2]), op,
                                     reinterpret_cast<const struct timespec*>(a[3]));
    } else if (cmd == FUTEX_WAKE || cmd == FUTEX_WAKE_BITSET) {
      if (Scheduler* s = Scheduler::active()) {
        s->wake_all(Wait::futex, word);
        if (SThread* me = Scheduler::intercepting()) s->point(me);
      }
    }
  }
  return sd::real().syscall(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}

// --- File descriptors -------------------------------------------------------------------------

// Event-loop pagers wait for work on a pipe, an eventfd, a socket or an
// epoll set (the self-pipe trick). For a controlled thread a blocking wait
// on descriptors first asks the C library without waiting (poll with a zero
// timeout); if nothing is ready, the thread blocks through the scheduler
// until some thread writes, sends or closes a descriptor (any descriptor:
// the wait is keyed on them all, and a woken thread asks again), or until
// its timeout runs out in virtual time. A descriptor set O_NONBLOCK, a
// regular file, and every thread the scheduler does not control go straight
// to the C library.

extern "C++" {
namespace {

const char fd_key = 0;  // what every descriptor wait is keyed on

bool nonblocking(int fd) {
  const int flags = fcntl(fd, F_GETFL);
  return flags >= 0 && (flags & O_NONBLOCK) != 0;
}

// Blocks `me` until descriptors change or `deadline` (0: none) passes;
// false when the deadline passed.
bool wait_for_descriptors(Scheduler* s, SThread* me, std::uint64_t deadline) {
  return s->block(me, Wait::fd, &fd_key, deadline) != BlockResult::timed_out;
}

// The deadline of a poll-style timeout in milliseconds (negative: none).
std::uint64_t poll_deadline(Scheduler* s, int timeout_ms) {
  return timeout_ms < 0 ? 0 : sd::deadline_after(s, std::int64_t(timeout_ms) * 1'000'000);
}

// A read-like call on `fd`: waits under the scheduler until the descriptor
// is readable (or hung up, or in error), then makes the call.
template <typename Call>
auto controlled_read(int fd, int flags, Call call) -> decltype(call()) {
  SThread* me = Scheduler::intercepting();
  if (me == nullptr || (flags & MSG_DONTWAIT) != 0 || nonblocking(fd)) return call();
  Scheduler* s = Scheduler::active();
  s->point(me);
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (sd::real().poll(&p, 1, 0) != 0) return call();
    (void)wait_for_descriptors(s, me, 0);
  }
}

// A write-like call: made, then every thread waiting on descriptors asks
// again. No scheduling point: the suite's own records go out this way.
template <typename Call>
auto descriptors_changed(Call call) -> decltype(call()) {
  auto r = call();
  if (sd::tl_internal == 0)
    if (Scheduler* s = Scheduler::active()) s->wake_all(Wait::fd, &fd_key);
  return r;
}

// A poll-like call: asked without waiting, then again each time descriptors
// change, until something is ready or the deadline passes (then 0).
template <typename Ask>
int controlled_poll(SThread* me, std::uint64_t deadline, bool wait_forever, Ask ask) {
  Scheduler* s = Scheduler::active();
  s->point(me);
  for (;;) {
    const int r = ask();
    if (r != 0) return r;
    if (!wait_forever && deadline == 0) return 0;  // a zero timeout: just asked
    if (!wait_for_descriptors(s, me, deadline)) return ask();
  }
}

}  // namespace
}  // extern "C++"

ssize_t read(int fd, void* buf, size_t n) {
  return controlled_read(fd, 0, [&] { return sd::real().read(fd, buf, n); });
}
ssize_t readv(int fd, const struct iovec* iov, int count) {
  return controlled_read(fd, 0, [&] { return sd::real().readv(fd, iov, count); });
}
ssize_t recv(int fd, void* buf, size_t n, int flags) {
  return controlled_read(fd, flags, [&] { return sd::real().recv(fd, buf, n, flags); });
}
ssize_t recvfrom(int fd, void* buf, size_t n, int flags, struct sockaddr* from, socklen_t* len) {
  return controlled_read(fd, flags,
                         [&] { return sd::real().recvfrom(fd, buf, n, flags, from, len); });
}
ssize_t recvmsg(int fd, struct msghdr* msg, int flags) {
  return controlled_read(fd, flags, [&] { return sd::real().recvmsg(fd, msg, flags); });
}
int eventfd_read(int fd, eventfd_t* value) {
  return controlled_read(fd, 0, [&] { return sd::real().eventfd_read(fd, value); });
}

ssize_t write(int fd, const void* buf, size_t n) {
  return descriptors_changed([&] { return sd::real().write(fd, buf, n); });
}
ssize_t writev(int fd, const struct iovec* iov, int count) {
  return descriptors_changed([&] { return sd::real().writev(fd, iov, count); });
}
ssize_t send(int fd, const void* buf, size_t n, int flags) {
  return descriptors_changed([&] { return sd::real().send(fd, buf, n, flags); });
}
ssize_t sendto(int fd, const void* buf, size_t n, int flags, const struct sockaddr* to,
               socklen_t len) {
  return descriptors_changed([&] { return sd::real().sendto(fd, buf, n, flags, to, len); });
}
ssize_t sendmsg(int fd, const struct msghdr* msg, int flags) {
  return descriptors_changed([&] { return sd::real().sendmsg(fd, msg, flags); });
}
int eventfd_write(int fd, eventfd_t value) {
  return descriptors_changed([&] { return sd::real().eventfd_write(fd, value); });
}
int close(int fd) {
  return descriptors_changed([&] { return sd::real().close(fd); });
}
int shutdown(int fd, int how) {
  return descriptors_changed([&] { return sd::real().shutdown(fd, how); });
}

int poll(struct pollfd* fds, nfds_t n, int timeout) {
  SThread* me = Scheduler::intercepting();
  if (me == nullptr) return sd::real().poll(fds, n, timeout);
  Scheduler* s = Scheduler::active();
  return controlled_poll(me, poll_deadline(s, timeout), timeout < 0,
                         [&] { return sd::real().poll(fds, n, 0); });
}

int ppoll(struct pollfd* fds, nfds_t n, const struct timespec* timeout, const sigset_t* mask) {
  SThread* me = Scheduler::intercepting();
  if (me == nullptr) return sd::real().ppoll(fds, n, timeout, mask);
  Scheduler* s = Scheduler::active();
  const timespec zero{};
  return controlled_poll(me, timeout ? sd::deadline_after(s, sd::ns_of(*timeout)) : 0,
                         timeout == nullptr, [&] { return sd::real().ppoll(fds, n, &zero, mask); });
}

extern "C++" {
namespace {

// select and pselect change their sets: each question starts from the
// caller's sets.
struct FdSets {
  fd_set* in[3];
  fd_set saved[3];
  explicit FdSets(fd_set* r, fd_set* w, fd_set* e) : in{r, w, e} {
    for (int i = 0; i < 3; ++i)
      if (in[i] != nullptr) saved[i] = *in[i];
  }
  void restore() {
    for (int i = 0; i < 3; ++i)
      if (in[i] != nullptr) *in[i] = saved[i];
  }
};

}  // namespace
}  // extern "C++"

int select(int nfds, fd_set* r, fd_set* w, fd_set* e, struct timeval* timeout) {
  SThread* me = Scheduler::intercepting();
  if (me == nullptr) return sd::real().select(nfds, r, w, e, timeout);
  Scheduler* s = Scheduler::active();
  FdSets sets(r, w, e);
  const std::uint64_t deadline =
      timeout
          ? sd::deadline_after(s, std::int64_t(timeout->tv_sec) * sd::kNs + timeout->tv_usec * 1000)
          : 0;
  return controlled_poll(me, deadline, timeout == nullptr, [&] {
    sets.restore();
    timeval zero{};
    return sd::real().select(nfds, r, w, e, &zero);
  });
}

int pselect(int nfds, fd_set* r, fd_set* w, fd_set* e, const struct timespec* timeout,
            const sigset_t* mask) {
  SThread* me = Scheduler::intercepting();
  if (me == nullptr) return sd::real().pselect(nfds, r, w, e, timeout, mask);
  Scheduler* s = Scheduler::active();
  FdSets sets(r, w, e);
  const timespec zero{};
  return controlled_poll(me, timeout ? sd::deadline_after(s, sd::ns_of(*timeout)) : 0,
                         timeout == nullptr, [&] {
                           sets.restore();
                           return sd::real().pselect(nfds, r, w, e, &zero, mask);
                         });
}

int epoll_wait(int epfd, struct epoll_event* events, int max, int timeout) {
  SThread* me = Scheduler::intercepting();
  if (me == nullptr) return sd::real().epoll_wait(epfd, events, max, timeout);
  Scheduler* s = Scheduler::active();
  return controlled_poll(me, poll_deadline(s, timeout), timeout < 0,
                         [&] { return sd::real().epoll_wait(epfd, events, max, 0); });
}

int epoll_pwait(int epfd, struct epoll_event* events, int max, int timeout, const sigset_t* mask) {
  SThread* me = Scheduler::intercepting();
  if (me == nullptr) return sd::real().epoll_pwait(epfd, events, max, timeout, mask);
  Scheduler* s = Scheduler::active();
  return controlled_poll(me, poll_deadline(s, timeout), timeout < 0,
                         [&] { return sd::real().epoll_pwait(epfd, events, max, 0, mask); });
}

// --- Clocks ---------------------------------------------------------------------------------

// A clock read is no scheduling point and never waits (sanitizers read the
// clock inside their allocator's lock): the thread's virtual time is read
// as it stands.
int clock_gettime(clockid_t clock, struct timespec* tp) {
  if (Scheduler::clock_reader() == nullptr || !sd::virtual_clock(clock))
    return sd::real().clock_gettime(clock, tp);
  *tp = sd::ts_of(sd::virtual_time(Scheduler::active(), clock));
  return 0;
}

int gettimeofday(struct timeval* tv, void* tz) {
  if (Scheduler::clock_reader() == nullptr) return sd::real().gettimeofday(tv, tz);
  const std::int64_t ns = sd::virtual_time(Scheduler::active(), CLOCK_REALTIME);
  tv->tv_sec = static_cast<time_t>(ns / sd::kNs);
  tv->tv_usec = static_cast<suseconds_t>((ns % sd::kNs) / 1000);
  return 0;
}

time_t time(time_t* out) {
  if (Scheduler::clock_reader() == nullptr) return sd::real().time(out);
  const time_t t = static_cast<time_t>(sd::virtual_time(Scheduler::active(), CLOCK_REALTIME) /
                                       sd::kNs);
  if (out != nullptr) *out = t;
  return t;
}

}  // extern "C"
