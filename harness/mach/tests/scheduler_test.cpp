// SPDX-License-Identifier: MIT
// Controlled scheduling (emmi/mach/scheduler.h): pager threads that wait on
// their own condition variables, mutexes, semaphores, barriers and timers are
// seen exactly; the same seed gives the same interleaving; a wait-for cycle is
// named; a thread that never reaches a scheduling point is let run free.
#include <dlfcn.h>
#include <mach.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <semaphore>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "emmi/mach/kernel.h"
#include "emmi/mach/scheduler.h"
#include "test_support.h"

using namespace emmi::mach;
using emmi::mach::testing::Buffer;
using emmi::mach::testing::new_receive_right;
using emmi::mach::testing::send_simple;

// Globals so that the deadlock report can name them (the test exports its
// symbols).
extern "C" {
pthread_mutex_t emmi_test_lock_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t emmi_test_lock_b = PTHREAD_MUTEX_INITIALIZER;
}

namespace {

ScheduleOptions options(std::uint64_t seed, Strategy strategy = Strategy::random_walk) {
  ScheduleOptions o;
  o.seed = seed;
  o.strategy = strategy;
  o.pct_steps = 200;
  return o;
}

pthread_t spawn(void* (*fn)(void*), void* arg) {
  pthread_t t;
  EXPECT_EQ(pthread_create(&t, nullptr, fn, arg), 0);
  return t;
}

// --- A dispatcher and a worker, as Hurd's libpager builds them -------------------
// The receiving thread queues each message id and signals a condition
// variable; the worker, waiting on it, "handles" the id.
struct Dispatch {
  mach_port_t port = MACH_PORT_NULL;
  pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t work = PTHREAD_COND_INITIALIZER;
  std::deque<int> queue;
  std::vector<int> handled;  // under lock
  bool stopping = false;
  int expected = 0;
};

void* receiver(void* p) {
  auto* d = static_cast<Dispatch*>(p);
  for (;;) {
    Buffer buf{};
    if (mach_msg(&buf.head, MACH_RCV_MSG, 0, sizeof buf, d->port, MACH_MSG_TIMEOUT_NONE,
                 MACH_PORT_NULL) != MACH_MSG_SUCCESS)
      break;
    pthread_mutex_lock(&d->lock);
    d->queue.push_back(buf.head.msgh_id);
    pthread_cond_signal(&d->work);
    pthread_mutex_unlock(&d->lock);
  }
  pthread_mutex_lock(&d->lock);
  d->stopping = true;
  pthread_cond_broadcast(&d->work);
  pthread_mutex_unlock(&d->lock);
  return nullptr;
}

void* worker(void* p) {
  auto* d = static_cast<Dispatch*>(p);
  pthread_mutex_lock(&d->lock);
  for (;;) {
    while (d->queue.empty() && !d->stopping) pthread_cond_wait(&d->work, &d->lock);
    if (d->queue.empty()) break;
    int id = d->queue.front();
    d->queue.pop_front();
    pthread_mutex_unlock(&d->lock);
    sched_yield();  // "work": a scheduling point between taking and recording
    pthread_mutex_lock(&d->lock);
    d->handled.push_back(id);
  }
  pthread_mutex_unlock(&d->lock);
  return nullptr;
}

struct DispatchRun {
  std::vector<int> handled;
  std::uint64_t digest = 0;
  bool uncontrolled = false;
  std::string why;
};

DispatchRun run_dispatch(std::uint64_t seed, Strategy strategy, int workers, int messages) {
  Kernel kernel;
  ControlledScheduling sched(kernel, options(seed, strategy));
  Dispatch d;
  std::vector<pthread_t> threads;
  {
    Kernel::ExternalPagerCall as_pager(kernel);
    ControlledScheduling::PagerCode pager_code(sched);
    d.port = new_receive_right();
    threads.push_back(spawn(receiver, &d));
    for (int i = 0; i < workers; ++i) threads.push_back(spawn(worker, &d));
  }
  EXPECT_EQ(sched.settle(std::chrono::milliseconds(2000)), Settled::quiescent);
  {
    Kernel::ExternalPagerCall as_pager(kernel);
    for (int i = 0; i < messages; ++i)
      EXPECT_EQ(send_simple(d.port, MACH_MSG_TYPE_MAKE_SEND, 1000 + i), MACH_MSG_SUCCESS);
  }
  // Quiescent means: the worker has handled everything the receiver queued.
  EXPECT_EQ(sched.settle(std::chrono::milliseconds(2000)), Settled::quiescent);
  DispatchRun out;
  pthread_mutex_lock(&d.lock);
  out.handled = d.handled;
  pthread_mutex_unlock(&d.lock);
  auto states = sched.threads();
  for (const auto& t : states) EXPECT_TRUE(t.blocked) << t.state;
  // The end: destroying the port ends the receiver, which ends the workers.
  {
    Kernel::ExternalPagerCall as_pager(kernel);
    ControlledScheduling::PagerCode pager_code(sched);
    EXPECT_EQ(mach_port_destroy(mach_task_self(), d.port), KERN_SUCCESS);
    for (pthread_t t : threads) EXPECT_EQ(pthread_join(t, nullptr), 0);
  }
  out.digest = sched.decision_digest();
  out.uncontrolled = sched.uncontrolled();
  out.why = sched.uncontrolled_reason();
  return out;
}

TEST(ControlledScheduling, CondvarWorkerIsQuiescentOnlyWhenItsWorkIsDone) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    for (Strategy strategy : {Strategy::random_walk, Strategy::pct}) {
      DispatchRun r = run_dispatch(seed, strategy, 2, 5);
      std::vector<int> sorted = r.handled;
      std::sort(sorted.begin(), sorted.end());
      EXPECT_EQ(sorted, (std::vector<int>{1000, 1001, 1002, 1003, 1004}))
          << "seed " << seed << " " << to_string(strategy);
      EXPECT_FALSE(r.uncontrolled) << r.why;
    }
  }
}

// --- The same dispatcher written with C11 <threads.h> ------------------------------
// glibc builds thrd_create, mtx_lock and cnd_wait on its pthread internals,
// past the pthread_* calls the scheduler interposes; they are interposed too,
// or the worker would be a thread nobody saw start, blocked where nobody
// looks, and every settle a false quiescence.
struct C11Dispatch {
  mach_port_t port = MACH_PORT_NULL;
  mtx_t lock;
  cnd_t work;
  std::deque<int> queue;
  std::vector<int> handled;  // under lock
  bool stopping = false;
};

int c11_receiver(void* p) {
  auto* d = static_cast<C11Dispatch*>(p);
  for (;;) {
    Buffer buf{};
    if (mach_msg(&buf.head, MACH_RCV_MSG, 0, sizeof buf, d->port, MACH_MSG_TIMEOUT_NONE,
                 MACH_PORT_NULL) != MACH_MSG_SUCCESS)
      break;
    mtx_lock(&d->lock);
    d->queue.push_back(buf.head.msgh_id);
    cnd_signal(&d->work);
    mtx_unlock(&d->lock);
  }
  mtx_lock(&d->lock);
  d->stopping = true;
  cnd_broadcast(&d->work);
  mtx_unlock(&d->lock);
  return 0;
}

int c11_worker(void* p) {
  auto* d = static_cast<C11Dispatch*>(p);
  mtx_lock(&d->lock);
  for (;;) {
    while (d->queue.empty() && !d->stopping) cnd_wait(&d->work, &d->lock);
    if (d->queue.empty()) break;
    int id = d->queue.front();
    d->queue.pop_front();
    mtx_unlock(&d->lock);
    thrd_yield();
    mtx_lock(&d->lock);
    d->handled.push_back(id);
  }
  mtx_unlock(&d->lock);
  return 7;
}

TEST(ControlledScheduling, C11ThreadsWorkerIsQuiescentOnlyWhenItsWorkIsDone) {
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    for (Strategy strategy : {Strategy::random_walk, Strategy::pct}) {
      Kernel kernel;
      ControlledScheduling sched(kernel, options(seed, strategy));
      C11Dispatch d;
      ASSERT_EQ(mtx_init(&d.lock, mtx_plain), thrd_success);
      ASSERT_EQ(cnd_init(&d.work), thrd_success);
      thrd_t threads[3];
      {
        Kernel::ExternalPagerCall as_pager(kernel);
        ControlledScheduling::PagerCode pager_code(sched);
        d.port = new_receive_right();
        ASSERT_EQ(thrd_create(&threads[0], c11_receiver, &d), thrd_success);
        ASSERT_EQ(thrd_create(&threads[1], c11_worker, &d), thrd_success);
        ASSERT_EQ(thrd_create(&threads[2], c11_worker, &d), thrd_success);
      }
      EXPECT_EQ(sched.settle(std::chrono::milliseconds(2000)), Settled::quiescent);
      {
        Kernel::ExternalPagerCall as_pager(kernel);
        for (int i = 0; i < 5; ++i)
          EXPECT_EQ(send_simple(d.port, MACH_MSG_TYPE_MAKE_SEND, 1000 + i), MACH_MSG_SUCCESS);
      }
      EXPECT_EQ(sched.settle(std::chrono::milliseconds(2000)), Settled::quiescent);
      mtx_lock(&d.lock);
      std::vector<int> sorted = d.handled;
      mtx_unlock(&d.lock);
      std::sort(sorted.begin(), sorted.end());
      EXPECT_EQ(sorted, (std::vector<int>{1000, 1001, 1002, 1003, 1004}))
          << "seed " << seed << " " << to_string(strategy);
      for (const auto& t : sched.threads()) EXPECT_TRUE(t.blocked) << t.state;
      EXPECT_EQ(sched.threads().size(), 3u);
      EXPECT_FALSE(sched.uncontrolled()) << sched.uncontrolled_reason();
      EXPECT_EQ(sched.foreign_threads(), "");
      {
        Kernel::ExternalPagerCall as_pager(kernel);
        ControlledScheduling::PagerCode pager_code(sched);
        EXPECT_EQ(mach_port_destroy(mach_task_self(), d.port), KERN_SUCCESS);
        int result = -1;
        EXPECT_EQ(thrd_join(threads[0], &result), thrd_success);
        EXPECT_EQ(result, 0);
        for (int i = 1; i < 3; ++i) {
          EXPECT_EQ(thrd_join(threads[i], &result), thrd_success);
          EXPECT_EQ(result, 7);
        }
      }
      cnd_destroy(&d.work);
      mtx_destroy(&d.lock);
    }
  }
}

// A pager thread started past every interposed call (here the C library's
// own pthread_create; clone() or a library's private threads alike) cannot
// be seen to block: once it acts as a pager thread, no settle is quiescent,
// and the case says why.
TEST(ControlledScheduling, AThreadStartedPastTheInterposedCallsMakesTheCaseUnobservable) {
#if defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "ThreadSanitizer cannot run a thread started past its own pthread_create";
#endif
  using Create = int (*)(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);
  void* libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
  ASSERT_NE(libc, nullptr);
  auto libc_create = reinterpret_cast<Create>(dlsym(libc, "pthread_create"));
  ASSERT_NE(libc_create, nullptr);
  Kernel kernel;
  ControlledScheduling sched(kernel, options(1));
  Dispatch d;
  pthread_t unseen;
  {
    Kernel::ExternalPagerCall as_pager(kernel);
    d.port = new_receive_right();
    ASSERT_EQ(libc_create(&unseen, nullptr, receiver, &d), 0);
  }
  // Its first kernel call (the receive) gives it away; nothing before it can.
  while (sched.foreign_threads().empty()) std::this_thread::yield();
  EXPECT_EQ(sched.settle(std::chrono::milliseconds(2000)), Settled::unobservable);
  EXPECT_TRUE(sched.uncontrolled());
  EXPECT_NE(sched.foreign_threads().find("not started by pthread_create"), std::string::npos)
      << sched.foreign_threads();
  {
    Kernel::ExternalPagerCall as_pager(kernel);
    EXPECT_EQ(mach_port_destroy(mach_task_self(), d.port), KERN_SUCCESS);
  }
  EXPECT_EQ(pthread_join(unseen, nullptr), 0);
  dlclose(libc);
}

// --- Two threads polling with sched_yield ----------------------------------------
// With only each other to run, each yield sleeps a virtual nanosecond, so
// the step settles once the timer budget is spent; they used to hand each
// other the turn until the settle's bound let the case run free.
struct Polling {
  std::atomic<int> polls{0};
  std::atomic<bool> stop{false};
};

void* yield_poller(void* p) {
  auto* s = static_cast<Polling*>(p);
  while (!s->stop.load()) {
    s->polls.fetch_add(1);
    sched_yield();
  }
  return nullptr;
}

TEST(ControlledScheduling, TwoYieldPollersSettleUnderControl) {
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    Kernel kernel;
    ControlledScheduling sched(kernel, options(seed));
    Polling s;
    pthread_t a, b;
    {
      Kernel::ExternalPagerCall as_pager(kernel);
      ControlledScheduling::PagerCode pager_code(sched);
      a = spawn(yield_poller, &s);
      b = spawn(yield_poller, &s);
    }
    EXPECT_EQ(sched.settle(std::chrono::milliseconds(2000)), Settled::quiescent);
    EXPECT_FALSE(sched.uncontrolled()) << sched.uncontrolled_reason();
    EXPECT_GT(s.polls.load(), 2);
    s.stop.store(true);
    {
      Kernel::ExternalPagerCall as_pager(kernel);
      ControlledScheduling::PagerCode pager_code(sched);
      EXPECT_EQ(pthread_join(a, nullptr), 0);
      EXPECT_EQ(pthread_join(b, nullptr), 0);
    }
  }
}

TEST(ControlledScheduling, SameSeedSameInterleaving) {
  std::set<std::vector<int>> orders;
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    DispatchRun a = run_dispatch(seed, Strategy::random_walk, 3, 6);
    DispatchRun b = run_dispatch(seed, Strategy::random_walk, 3, 6);
    EXPECT_EQ(a.handled, b.handled) << "seed " << seed;
    EXPECT_EQ(a.digest, b.digest) << "seed " << seed;
    orders.insert(a.handled);
  }
  // Three workers racing: the seeds do not all give one order.
  EXPECT_GT(orders.size(), 1u);
}

// --- A lock-order inversion ------------------------------------------------------------

void* a_then_b(void*) {
  pthread_mutex_lock(&emmi_test_lock_a);
  sched_yield();
  pthread_mutex_lock(&emmi_test_lock_b);
  pthread_mutex_unlock(&emmi_test_lock_b);
  pthread_mutex_unlock(&emmi_test_lock_a);
  return nullptr;
}

void* b_then_a(void*) {
  pthread_mutex_lock(&emmi_test_lock_b);
  sched_yield();
  pthread_mutex_lock(&emmi_test_lock_a);
  pthread_mutex_unlock(&emmi_test_lock_a);
  pthread_mutex_unlock(&emmi_test_lock_b);
  return nullptr;
}

TEST(ControlledScheduling, LockOrderInversionIsACycleNamingBothMutexesAndThreads) {
#if defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "ThreadSanitizer reports the deliberate lock-order inversion itself";
#endif
  int deadlocks = 0, clean = 0;
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    // Fresh mutexes each time: a deadlocked pair keeps its locks for ever.
    emmi_test_lock_a = PTHREAD_MUTEX_INITIALIZER;
    emmi_test_lock_b = PTHREAD_MUTEX_INITIALIZER;
    Kernel kernel;
    ControlledScheduling sched(kernel, options(seed));
    pthread_t t1, t2;
    {
      Kernel::ExternalPagerCall as_pager(kernel);
      ControlledScheduling::PagerCode pager_code(sched);
      t1 = spawn(a_then_b, nullptr);
      t2 = spawn(b_then_a, nullptr);
    }
    ASSERT_EQ(sched.settle(std::chrono::milliseconds(2000)), Settled::quiescent);
    auto cycles = sched.deadlock_cycles();
    if (cycles.empty()) {
      ++clean;
      Kernel::ExternalPagerCall as_pager(kernel);
      ControlledScheduling::PagerCode pager_code(sched);
      EXPECT_EQ(pthread_join(t1, nullptr), 0);
      EXPECT_EQ(pthread_join(t2, nullptr), 0);
      continue;
    }
    ++deadlocks;
    ASSERT_EQ(cycles.size(), 1u);
    const std::string& c = cycles.front();
    EXPECT_NE(c.find("emmi_test_lock_a"), std::string::npos) << c;
    EXPECT_NE(c.find("emmi_test_lock_b"), std::string::npos) << c;
    auto threads = sched.threads();
    ASSERT_EQ(threads.size(), 2u);
    for (const auto& t : threads) {
      EXPECT_NE(c.find("t" + std::to_string(t.lane)), std::string::npos) << c;
      EXPECT_FALSE(t.in_receive);
    }
    // The two threads stay blocked for ever (parked when the scheduler goes).
    pthread_detach(t1);
    pthread_detach(t2);
  }
  EXPECT_GT(deadlocks, 0);
  EXPECT_GT(clean, 0);
}

// --- Virtual time ------------------------------------------------------------------------

struct Timed {
  std::atomic<int> slept{0};
  pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t never = PTHREAD_COND_INITIALIZER;
  int timed_wait_result = -1;
};

void* sleeper(void* p) {
  auto* t = static_cast<Timed*>(p);
  timespec ten{10, 0};
  nanosleep(&ten, nullptr);
  usleep(500'000);
  t->slept = 1;
  return nullptr;
}

void* long_waiter(void* p) {
  auto* t = static_cast<Timed*>(p);
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  timespec until = now;
  until.tv_sec += 3600;  // beyond the horizon: it must not keep the pager busy
  pthread_mutex_lock(&t->lock);
  t->timed_wait_result = pthread_cond_timedwait(&t->never, &t->lock, &until);
  pthread_mutex_unlock(&t->lock);
  return nullptr;
}

TEST(ControlledScheduling, TimersFireInVirtualTime) {
  Kernel kernel;
  ScheduleOptions o = options(7);
  o.timer_horizon = std::chrono::milliseconds(60'000);
  ControlledScheduling sched(kernel, o);
  Timed t;
  pthread_t a, b;
  {
    Kernel::ExternalPagerCall as_pager(kernel);
    ControlledScheduling::PagerCode pager_code(sched);
    a = spawn(sleeper, &t);
    b = spawn(long_waiter, &t);
  }
  const auto wall = std::chrono::steady_clock::now();
  ASSERT_EQ(sched.settle(std::chrono::milliseconds(2000)), Settled::quiescent);
  EXPECT_EQ(t.slept.load(), 1);
  // 10.5 s of sleeping passed in virtual time, and far less on the wall.
  EXPECT_GE(sched.virtual_now_ns(), 10'500'000'000ull);
  EXPECT_LT(std::chrono::steady_clock::now() - wall, std::chrono::seconds(10));
  // The hour-long wait is still pending: quiescent does not wait for it.
  auto threads = sched.threads();
  ASSERT_EQ(threads.size(), 1u);
  EXPECT_NE(threads.front().state.find("condition"), std::string::npos) << threads.front().state;
  EXPECT_EQ(t.timed_wait_result, -1);
  {
    Kernel::ExternalPagerCall as_pager(kernel);
    ControlledScheduling::PagerCode pager_code(sched);
    EXPECT_EQ(pthread_join(a, nullptr), 0);
    pthread_mutex_lock(&t.lock);
    pthread_cond_signal(&t.never);
    pthread_mutex_unlock(&t.lock);
    EXPECT_EQ(pthread_join(b, nullptr), 0);
  }
  EXPECT_EQ(t.timed_wait_result, 0);
}

TEST(ControlledScheduling, ReceiveTimeoutFiresInVirtualTime) {
  Kernel kernel;
  ControlledScheduling sched(kernel, options(3));
  struct Rx {
    mach_port_t port;
    mach_msg_return_t result = 0;
  } rx;
  pthread_t t;
  {
    Kernel::ExternalPagerCall as_pager(kernel);
    ControlledScheduling::PagerCode pager_code(sched);
    rx.port = new_receive_right();
    t = spawn(
        [](void* p) -> void* {
          auto* r = static_cast<Rx*>(p);
          Buffer buf{};
          r->result = mach_msg(&buf.head, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof buf, r->port,
                               5000, MACH_PORT_NULL);
          return nullptr;
        },
        &rx);
  }
  ASSERT_EQ(sched.settle(std::chrono::milliseconds(2000)), Settled::quiescent);
  EXPECT_EQ(rx.result, MACH_RCV_TIMED_OUT);
  EXPECT_GE(sched.virtual_now_ns(), 5'000'000'000ull);
  Kernel::ExternalPagerCall as_pager(kernel);
  ControlledScheduling::PagerCode pager_code(sched);
  EXPECT_EQ(pthread_join(t, nullptr), 0);
}

// --- Semaphores, read-write locks, barriers ----------------------------------------------

struct Sync {
  sem_t items;
  pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
  pthread_barrier_t barrier;
  pthread_spinlock_t spin;
  std::atomic<int> consumed{0};
  std::atomic<int> serial{0};
  int shared = 0;
};

void* consumer(void* p) {
  auto* s = static_cast<Sync*>(p);
  for (int i = 0; i < 3; ++i) {
    sem_wait(&s->items);
    ++s->consumed;
  }
  if (pthread_barrier_wait(&s->barrier) == PTHREAD_BARRIER_SERIAL_THREAD) ++s->serial;
  return nullptr;
}

void* producer(void* p) {
  auto* s = static_cast<Sync*>(p);
  for (int i = 0; i < 6; ++i) {
    pthread_rwlock_wrlock(&s->rw);
    pthread_spin_lock(&s->spin);
    ++s->shared;
    pthread_spin_unlock(&s->spin);
    pthread_rwlock_unlock(&s->rw);
    sem_post(&s->items);
  }
  if (pthread_barrier_wait(&s->barrier) == PTHREAD_BARRIER_SERIAL_THREAD) ++s->serial;
  return nullptr;
}

TEST(ControlledScheduling, SemaphoresRwlocksSpinlocksAndBarriers) {
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    Kernel kernel;
    ControlledScheduling sched(kernel,
                               options(seed, seed % 2 ? Strategy::pct : Strategy::random_walk));
    Sync s;
    sem_init(&s.items, 0, 0);
    pthread_spin_init(&s.spin, PTHREAD_PROCESS_PRIVATE);
    std::vector<pthread_t> threads;
    {
      Kernel::ExternalPagerCall as_pager(kernel);
      ControlledScheduling::PagerCode pager_code(sched);
      pthread_barrier_init(&s.barrier, nullptr, 3);
      threads.push_back(spawn(consumer, &s));
      threads.push_back(spawn(consumer, &s));
      threads.push_back(spawn(producer, &s));
    }
    ASSERT_EQ(sched.settle(std::chrono::milliseconds(2000)), Settled::quiescent);
    EXPECT_EQ(s.consumed.load(), 6);
    EXPECT_EQ(s.shared, 6);
    EXPECT_EQ(s.serial.load(), 1);  // exactly one serial thread per barrier round
    Kernel::ExternalPagerCall as_pager(kernel);
    ControlledScheduling::PagerCode pager_code(sched);
    for (pthread_t t : threads) EXPECT_EQ(pthread_join(t, nullptr), 0);
    EXPECT_FALSE(sched.uncontrolled());
  }
}

// --- The escape hatch ------------------------------------------------------------------------

std::atomic<int> g_flag{0};

void* spins_until_flag(void*) {
  pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
  pthread_mutex_lock(&m);  // a scheduling point first: then it holds the turn
  pthread_mutex_unlock(&m);
  while (g_flag.load() == 0) {
  }
  return nullptr;
}

void* sets_flag(void*) {
  pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
  pthread_mutex_lock(&m);
  pthread_mutex_unlock(&m);
  g_flag = 1;
  return nullptr;
}

TEST(ControlledScheduling, ThreadWithoutSchedulingPointsRunsFreeAndIsReported) {
  bool saw_uncontrolled = false;
  for (std::uint64_t seed = 1; seed <= 8 && !saw_uncontrolled; ++seed) {
    g_flag = 0;
    Kernel kernel;
    ScheduleOptions o = options(seed);
    o.run_free_after = std::chrono::milliseconds(50);
    ControlledScheduling sched(kernel, o);
    pthread_t a, b;
    {
      Kernel::ExternalPagerCall as_pager(kernel);
      ControlledScheduling::PagerCode pager_code(sched);
      a = spawn(spins_until_flag, nullptr);
      b = spawn(sets_flag, nullptr);
    }
    EXPECT_EQ(sched.settle(std::chrono::milliseconds(5000)), Settled::quiescent);
    EXPECT_EQ(g_flag.load(), 1);
    {
      Kernel::ExternalPagerCall as_pager(kernel);
      ControlledScheduling::PagerCode pager_code(sched);
      EXPECT_EQ(pthread_join(a, nullptr), 0);
      EXPECT_EQ(pthread_join(b, nullptr), 0);
    }
    if (sched.uncontrolled()) {
      saw_uncontrolled = true;
      EXPECT_NE(sched.uncontrolled_reason().find("without reaching a scheduling point"),
                std::string::npos)
          << sched.uncontrolled_reason();
    }
  }
  EXPECT_TRUE(saw_uncontrolled);
}

// --- A suite call into the pager that can never return ------------------------------------------

TEST(ControlledSchedulingDeathTest, StopJoiningABlockedThreadStallsAndIsReported) {
  EXPECT_EXIT(
      {
        Kernel kernel;
        ControlledScheduling sched(kernel, options(1));
        sched.on_stall([](const std::string& why) {
          std::fprintf(stderr, "stalled: %s\n", why.c_str());
          std::_Exit(7);
        });
        static Timed t;
        Kernel::ExternalPagerCall as_pager(kernel);
        ControlledScheduling::PagerCode pager_code(sched);
        pthread_t w = spawn(
            [](void*) -> void* {
              pthread_mutex_lock(&t.lock);
              pthread_cond_wait(&t.never, &t.lock);
              pthread_mutex_unlock(&t.lock);
              return nullptr;
            },
            nullptr);
        pthread_join(w, nullptr);
      },
      ::testing::ExitedWithCode(7), "stalled: .*joins t[0-9]+");
}

}  // namespace

namespace {

// start() waiting for a thread that sleeps first (a pager that waits for its
// server threads to be ready): timers fire while the suite's call into the
// pager waits, before any settle.
struct Ready {
  pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
  bool ready = false;
};

void* sleeps_then_ready(void* p) {
  auto* r = static_cast<Ready*>(p);
  sleep(120);  // beyond any horizon
  pthread_mutex_lock(&r->lock);
  r->ready = true;
  pthread_cond_signal(&r->changed);
  pthread_mutex_unlock(&r->lock);
  return nullptr;
}

TEST(ControlledScheduling, StartWaitingForASleepingThreadIsNoStall) {
  Kernel kernel;
  ControlledScheduling sched(kernel, options(5));
  sched.on_stall([](const std::string& why) {
    ADD_FAILURE() << "stalled: " << why;
    std::_Exit(1);
  });
  Ready r;
  pthread_t t;
  {
    Kernel::ExternalPagerCall as_pager(kernel);
    ControlledScheduling::PagerCode pager_code(sched);
    t = spawn(sleeps_then_ready, &r);
    pthread_mutex_lock(&r.lock);
    while (!r.ready) pthread_cond_wait(&r.changed, &r.lock);
    pthread_mutex_unlock(&r.lock);
    EXPECT_EQ(pthread_join(t, nullptr), 0);
  }
  EXPECT_TRUE(r.ready);
  EXPECT_GE(sched.virtual_now_ns(), 120'000'000'000ull);
}

// A pager thread that polls on a 1 ms timer until told to stop, as polling
// pagers' workers do. The settle spends its whole timer budget on the
// poller's ticks; stop()'s join of the poller must still get the ticks it
// needs to see the flag, not be taken for a stall.
struct Poller {
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> ticks{0};
};

void* polls_until_stopped(void* p) {
  auto* r = static_cast<Poller*>(p);
  const timespec interval{0, 1'000'000};
  while (!r->stop.load()) {
    r->ticks.fetch_add(1);
    nanosleep(&interval, nullptr);
  }
  return nullptr;
}

TEST(ControlledScheduling, StopJoiningAPollerAfterASettleSpentItsTimersIsNoStall) {
  Kernel kernel;
  ScheduleOptions o = options(7);
  o.max_timer_firings = 64;
  ControlledScheduling sched(kernel, o);
  sched.on_stall([](const std::string& why) {
    ADD_FAILURE() << "stalled: " << why;
    std::_Exit(1);
  });
  Poller r;
  pthread_t t;
  {
    Kernel::ExternalPagerCall as_pager(kernel);
    ControlledScheduling::PagerCode pager_code(sched);
    t = spawn(polls_until_stopped, &r);
  }
  ASSERT_EQ(sched.settle(std::chrono::milliseconds(2000)), Settled::quiescent);
  const std::uint64_t after_settle = r.ticks.load();
  EXPECT_GE(after_settle, 64u);  // the settle let the poller tick its whole budget
  {
    Kernel::ExternalPagerCall as_pager(kernel);
    ControlledScheduling::PagerCode pager_code(sched);
    r.stop.store(true);
    EXPECT_EQ(pthread_join(t, nullptr), 0);
  }
}

// C++ standard-library waits: libstdc++ blocks std::counting_semaphore in
// the futex system call (through syscall()) and std::condition_variable's
// wait_for in pthread_cond_clockwait. Both must block through the
// scheduler: the producer can only run if the consumer's wait hands the turn
// on, and the timed wait must time out in virtual time.
struct CxxWaits {
  std::counting_semaphore<> items{0};
  std::mutex lock;
  std::condition_variable changed;
  bool timed_out = false;
  int consumed = 0;
};

TEST(ControlledScheduling, CxxSemaphoreAndTimedConditionWaitBlockThroughTheScheduler) {
  Kernel kernel;
  ControlledScheduling sched(kernel, options(11));
  sched.on_stall([](const std::string& why) {
    ADD_FAILURE() << "stalled: " << why;
    std::_Exit(1);
  });
  CxxWaits w;
  pthread_t consumer, producer;
  {
    Kernel::ExternalPagerCall as_pager(kernel);
    ControlledScheduling::PagerCode pager_code(sched);
    consumer = spawn(
        [](void* p) -> void* {
          auto* w = static_cast<CxxWaits*>(p);
          for (int i = 0; i < 3; ++i) {
            w->items.acquire();
            ++w->consumed;
          }
          std::unique_lock lk(w->lock);
          // Nobody notifies: only the virtual clock ends this wait.
          w->timed_out = !w->changed.wait_for(lk, std::chrono::seconds(30), [] { return false; });
          return nullptr;
        },
        &w);
    producer = spawn(
        [](void* p) -> void* {
          auto* w = static_cast<CxxWaits*>(p);
          for (int i = 0; i < 3; ++i) w->items.release();
          return nullptr;
        },
        &w);
  }
  ASSERT_EQ(sched.settle(std::chrono::milliseconds(5000)), Settled::quiescent);
  EXPECT_EQ(w.consumed, 3);
  EXPECT_TRUE(w.timed_out);
  EXPECT_GE(sched.virtual_now_ns(), 30'000'000'000ull);
  EXPECT_FALSE(sched.uncontrolled());
  Kernel::ExternalPagerCall as_pager(kernel);
  ControlledScheduling::PagerCode pager_code(sched);
  EXPECT_EQ(pthread_join(consumer, nullptr), 0);
  EXPECT_EQ(pthread_join(producer, nullptr), 0);
}

// Event-loop waits: a worker blocked in read(2) on a pipe, in epoll_wait on
// an eventfd, and in a poll that nothing ends but its timeout. Each must
// block through the scheduler (the writer can only run if the reader hands
// the turn on), be ended by the write, and the timeout must run out in
// virtual time, with the case staying controlled.
struct Descriptors {
  int pipe_fds[2] = {-1, -1};
  int event = -1;
  int epoll = -1;
  char got = 0;
  std::uint64_t counted = 0;
  int poll_result = -1;
};

TEST(ControlledScheduling, PipeEventfdAndEpollWaitsBlockThroughTheScheduler) {
  Kernel kernel;
  ControlledScheduling sched(kernel, options(13));
  sched.on_stall([](const std::string& why) {
    ADD_FAILURE() << "stalled: " << why;
    std::_Exit(1);
  });
  Descriptors d;
  ASSERT_EQ(pipe(d.pipe_fds), 0);
  d.event = eventfd(0, 0);
  d.epoll = epoll_create1(0);
  ASSERT_GE(d.event, 0);
  ASSERT_GE(d.epoll, 0);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ASSERT_EQ(epoll_ctl(d.epoll, EPOLL_CTL_ADD, d.event, &ev), 0);
  pthread_t reader, writer;
  {
    Kernel::ExternalPagerCall as_pager(kernel);
    ControlledScheduling::PagerCode pager_code(sched);
    reader = spawn(
        [](void* p) -> void* {
          auto* d = static_cast<Descriptors*>(p);
          if (read(d->pipe_fds[0], &d->got, 1) != 1) return nullptr;
          epoll_event out{};
          if (epoll_wait(d->epoll, &out, 1, -1) != 1) return nullptr;
          if (eventfd_read(d->event, &d->counted) != 0) return nullptr;
          pollfd never{d->pipe_fds[0], POLLIN, 0};
          d->poll_result = poll(&never, 1, 20'000);  // nothing writes again
          return nullptr;
        },
        &d);
    writer = spawn(
        [](void* p) -> void* {
          auto* d = static_cast<Descriptors*>(p);
          const char byte = 'x';
          if (write(d->pipe_fds[1], &byte, 1) != 1) return nullptr;
          (void)eventfd_write(d->event, 5);
          return nullptr;
        },
        &d);
  }
  ASSERT_EQ(sched.settle(std::chrono::milliseconds(5000)), Settled::quiescent);
  EXPECT_EQ(d.got, 'x');
  EXPECT_EQ(d.counted, 5u);
  EXPECT_EQ(d.poll_result, 0);
  EXPECT_GE(sched.virtual_now_ns(), 20'000'000'000ull);
  EXPECT_FALSE(sched.uncontrolled());
  {
    Kernel::ExternalPagerCall as_pager(kernel);
    ControlledScheduling::PagerCode pager_code(sched);
    EXPECT_EQ(pthread_join(reader, nullptr), 0);
    EXPECT_EQ(pthread_join(writer, nullptr), 0);
  }
  for (int fd : {d.pipe_fds[0], d.pipe_fds[1], d.event, d.epoll}) close(fd);
}

// A busy wait the scheduler cannot see as waiting: a thread that takes and
// drops a mutex in a loop until a flag is set. Every lock is a scheduling
// point, so the case stays controlled and makes progress, but the pager
// never settles: past the settle's bound the case is let run free and the
// settle reports busy (the engine's unresolved), instead of waiting until
// the case's wall-clock limit takes it for a hang.
struct BusyWait {
  pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
  std::atomic<bool> stop{false};
};

TEST(ControlledScheduling, AStepThatNeverSettlesIsGivenUpAfterTheSettleBound) {
  Kernel kernel;
  ControlledScheduling sched(kernel, options(17));
  BusyWait b;
  pthread_t t;
  {
    Kernel::ExternalPagerCall as_pager(kernel);
    ControlledScheduling::PagerCode pager_code(sched);
    t = spawn(
        [](void* p) -> void* {
          auto* b = static_cast<BusyWait*>(p);
          while (!b->stop.load()) {
            pthread_mutex_lock(&b->lock);
            pthread_mutex_unlock(&b->lock);
          }
          return nullptr;
        },
        &b);
  }
  const auto began = std::chrono::steady_clock::now();
  EXPECT_EQ(sched.settle(std::chrono::milliseconds(300)), Settled::busy);
  EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(30));
  EXPECT_TRUE(sched.uncontrolled());
  EXPECT_NE(sched.uncontrolled_reason().find("kept running"), std::string::npos)
      << sched.uncontrolled_reason();
  b.stop.store(true);
  Kernel::ExternalPagerCall as_pager(kernel);
  ControlledScheduling::PagerCode pager_code(sched);
  EXPECT_EQ(pthread_join(t, nullptr), 0);
}

}  // namespace

namespace {

// glibc hands a joined thread's descriptor to the next thread it creates, so
// a pthread_t can name an exited pager thread and, later, a live one (the
// thread-per-request pagers join one request thread and create the next).
// A join of the live thread must wait through the scheduler for that thread,
// not take the exited record for it and block for ever in the real join
// while the thread it joins waits for a turn.
struct Gate {
  pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t opened = PTHREAD_COND_INITIALIZER;
  bool open = false;
  bool passed = false;
};

void* returns_at_once(void*) { return nullptr; }

void* waits_for_the_gate(void* p) {
  auto* g = static_cast<Gate*>(p);
  pthread_mutex_lock(&g->lock);
  while (!g->open) pthread_cond_wait(&g->opened, &g->lock);
  g->passed = true;
  pthread_mutex_unlock(&g->lock);
  return nullptr;
}

TEST(ControlledSchedulingDeathTest, JoinOfAThreadWhoseHandleAnExitedThreadHadWaitsForIt) {
  EXPECT_EXIT(
      {
        alarm(30);  // a hang ends the child with SIGALRM, not the test run
        // Under some seeds the waiting thread runs before the join; the
        // others give the join the turn while that thread still waits.
        bool reused = false;
        for (std::uint64_t seed = 1; seed <= 32; ++seed) {
          Kernel kernel;
          ControlledScheduling sched(kernel, options(seed));
          sched.on_stall([](const std::string& why) {
            std::fprintf(stderr, "stalled: %s\n", why.c_str());
            std::_Exit(7);
          });
          auto* g = new Gate;  // a thread that outlived its case may still read it
          Kernel::ExternalPagerCall as_pager(kernel);
          ControlledScheduling::PagerCode pager_code(sched);
          pthread_t first = spawn(returns_at_once, nullptr);
          if (pthread_join(first, nullptr) != 0) std::_Exit(5);
          pthread_t second = spawn(waits_for_the_gate, g);
          reused = reused || pthread_equal(first, second);
          pthread_mutex_lock(&g->lock);
          g->open = true;
          pthread_cond_signal(&g->opened);
          pthread_mutex_unlock(&g->lock);
          if (pthread_join(second, nullptr) != 0) std::_Exit(6);
          if (!g->passed) std::_Exit(4);
        }
        std::fprintf(stderr, "handles %s\n", reused ? "reused" : "never reused");
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(0), "handles reused");
}

}  // namespace
