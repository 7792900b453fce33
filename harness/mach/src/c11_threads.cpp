// SPDX-License-Identifier: MIT
// C11 <threads.h>, interposed. glibc builds thrd_create, mtx_lock, cnd_wait
// and the rest on its own pthread internals, not on the pthread_* symbols
// this library interposes: a pager written with them would have threads the
// kernel never saw start and waits the scheduler never saw block, and the
// suite would judge it at a quiescence that was not one. Each call here is
// the pthread call it stands for, made through this library's interposers
// (threads.cpp, intercept.cpp). glibc lays mtx_t and cnd_t out as
// pthread_mutex_t and pthread_cond_t (mtx_init and cnd_init, left to it,
// initialise them as such), and a thrd_t is a pthread_t.
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <threads.h>
#include <time.h>

#include <cstdint>
#include <new>

namespace {

static_assert(sizeof(mtx_t) == sizeof(pthread_mutex_t));
static_assert(sizeof(cnd_t) == sizeof(pthread_cond_t));
static_assert(sizeof(thrd_t) == sizeof(pthread_t));

pthread_mutex_t* as_mutex(mtx_t* m) { return reinterpret_cast<pthread_mutex_t*>(m); }
pthread_cond_t* as_cond(cnd_t* c) { return reinterpret_cast<pthread_cond_t*>(c); }

// The C11 result of a pthread error number, as glibc maps it.
int c11_result(int rc) {
  switch (rc) {
    case 0: return thrd_success;
    case EBUSY: return thrd_busy;
    case ETIMEDOUT: return thrd_timedout;
    case ENOMEM: return thrd_nomem;
    default: return thrd_error;
  }
}

struct Start {
  thrd_start_t fn;
  void* arg;
};

// A C11 thread's int result travels as the pthread's void* result, as in
// glibc; thrd_join and thrd_exit below convert it back and forth.
void* run_c11_thread(void* p) {
  const Start s = *static_cast<Start*>(p);
  delete static_cast<Start*>(p);
  return reinterpret_cast<void*>(static_cast<std::intptr_t>(s.fn(s.arg)));
}

}  // namespace

extern "C" {

int thrd_create(thrd_t* thread, thrd_start_t fn, void* arg) {
  auto* s = new (std::nothrow) Start{fn, arg};
  if (s == nullptr) return thrd_nomem;
  pthread_t t{};
  const int rc = pthread_create(&t, nullptr, run_c11_thread, s);
  if (rc != 0) {
    delete s;
    return c11_result(rc);
  }
  *thread = t;
  return thrd_success;
}

int thrd_join(thrd_t thread, int* result) {
  void* value = nullptr;
  const int rc = pthread_join(thread, &value);
  if (rc == 0 && result != nullptr)
    *result = static_cast<int>(reinterpret_cast<std::intptr_t>(value));
  return c11_result(rc);
}

void thrd_exit(int result) {
  pthread_exit(reinterpret_cast<void*>(static_cast<std::intptr_t>(result)));
}

void thrd_yield(void) { (void)sched_yield(); }

// 0 when the whole duration elapsed, -1 when a signal cut it short, another
// negative value on error (C11 7.26.5.7).
int thrd_sleep(const struct timespec* duration, struct timespec* remaining) {
  if (nanosleep(duration, remaining) == 0) return 0;
  return errno == EINTR ? -1 : -2;
}

int mtx_lock(mtx_t* m) { return c11_result(pthread_mutex_lock(as_mutex(m))); }
int mtx_trylock(mtx_t* m) { return c11_result(pthread_mutex_trylock(as_mutex(m))); }
int mtx_timedlock(mtx_t* __restrict m, const struct timespec* __restrict abstime) {
  return c11_result(pthread_mutex_timedlock(as_mutex(m), abstime));
}
int mtx_unlock(mtx_t* m) { return c11_result(pthread_mutex_unlock(as_mutex(m))); }

int cnd_wait(cnd_t* c, mtx_t* m) { return c11_result(pthread_cond_wait(as_cond(c), as_mutex(m))); }
int cnd_timedwait(cnd_t* __restrict c, mtx_t* __restrict m,
                  const struct timespec* __restrict abstime) {
  return c11_result(pthread_cond_timedwait(as_cond(c), as_mutex(m), abstime));
}
int cnd_signal(cnd_t* c) { return c11_result(pthread_cond_signal(as_cond(c))); }
int cnd_broadcast(cnd_t* c) { return c11_result(pthread_cond_broadcast(as_cond(c))); }

}  // extern "C"
