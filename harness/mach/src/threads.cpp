// Pager threads are known to the kernel from the moment they are created:
// pthread_create is interposed so a thread started by a pager thread (or by
// the pager's start(), called through ExternalPagerCall) counts as a running
// pager thread before pthread_create returns. Without this a thread that has
// not yet reached its first mach_msg would be invisible, and the kernel could
// declare quiescence while it is about to act.
#include <dlfcn.h>
#include <pthread.h>

#include "core.h"

namespace emmi::mach::detail {

namespace {

struct Start {
  void* (*fn)(void*);
  void* arg;
  std::shared_ptr<Core> core;
  ThreadRec* rec;
};

void* trampoline(void* p) {
  Start s = *static_cast<Start*>(p);
  delete static_cast<Start*>(p);
  ThreadBinding& b = binding();
  b.core = s.core;
  b.epoch = s.core->epoch;
  b.rec = s.rec;
  b.task_override = nullptr;
  b.external = false;
  return s.fn(s.arg);
}

using CreateFn = int (*)(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);

CreateFn real_create() {
  static CreateFn real = reinterpret_cast<CreateFn>(dlsym(RTLD_NEXT, "pthread_create"));
  return real;
}

}  // namespace

ThreadRec* Core::preregister_pager_thread() {
  Lock lk(*this);
  threads.emplace_back();
  ThreadRec* t = &threads.back();
  t->id = static_cast<emmi::model::ThreadId>(threads.size());
  t->counted = true;
  t->running = true;
  ++running_pager_threads;
  return t;
}

}  // namespace emmi::mach::detail

extern "C" int pthread_create(pthread_t* thread, const pthread_attr_t* attr,
                              void* (*fn)(void*), void* arg) {
  using namespace emmi::mach::detail;
  CreateFn real = real_create();
  Core* core = installed_core();
  ThreadBinding& b = binding();
  const bool pager_creator =
      core != nullptr && b.core.get() == core && b.epoch == core->epoch &&
      core->current_space() == core->pager_space() &&
      (b.external || (b.rec != nullptr && b.rec->counted));
  if (!pager_creator) return real(thread, attr, fn, arg);
  ThreadRec* rec = core->preregister_pager_thread();
  auto* start = new Start{fn, arg, b.core, rec};
  int rc = real(thread, attr, trampoline, start);
  if (rc != 0) {
    delete start;
    core->thread_exit(rec);
  }
  return rc;
}
