// SPDX-License-Identifier: MIT
// Pager threads are known to the kernel from the moment they are created:
// pthread_create is interposed so a thread started by a pager thread (or by
// the pager's start(), called through ExternalPagerCall) counts as a running
// pager thread before pthread_create returns. Without this a thread that has
// not yet reached its first mach_msg would be invisible, and the kernel could
// declare quiescence while it is about to act.
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>

#include <string_view>

#include "core.h"
#include "thread_scheduler.h"

namespace emmi::mach::detail {

namespace {

struct Start {
  void* (*fn)(void*);
  void* arg;
  std::shared_ptr<Core> core;
  ThreadRec* rec;
  sched::SThread* controlled = nullptr;  // its record, when scheduling is controlled
  bool adopted = false;
};

// Set while this library's pthread_create runs: a sanitizer's interceptor
// may call back into it (its "real" pthread_create is ours); only the
// outermost call wraps the thread.
thread_local bool tl_creating = false;

// Set before the thread's own function runs; consumed by the first kernel
// call of the thread (Core::thread) or, if it never calls in, at its end.
thread_local Start* tl_adopt = nullptr;

void finish(Start* s) {
  tl_adopt = nullptr;
  if (s->controlled != nullptr) s->controlled->owner->exit(s->controlled);
  if (!s->adopted) s->core->thread_exit(s->rec);
  delete s;
}

// Under ThreadSanitizer this runs before the sanitizer has set the thread
// up (its pthread_create interceptor calls ours with its own start
// function): it must not be instrumented, and it only stores a pointer.
__attribute__((no_sanitize("thread"))) void* trampoline(void* p) {
  auto* s = static_cast<Start*>(p);
  tl_adopt = s;
  // Only a pointer store: the thread waits for its first turn at its first
  // scheduling act (see sched::Scheduler::self).
  if (s->controlled != nullptr) sched::Scheduler::adopt(s->controlled);
  void* result = s->fn(s->arg);
  finish(s);
  return result;
}

}  // namespace

// The record pthread_create prepared for the calling thread, if any.
bool adopt_preregistered(Core* core, ThreadBinding& b) {
  Start* s = tl_adopt;
  if (s == nullptr || s->adopted || s->core.get() != core) return false;
  s->adopted = true;
  core->thread_started(s->rec);
  b.core = s->core;
  b.epoch = core->epoch();
  b.rec = s->rec;
  b.task_override = nullptr;
  b.external = false;
  return true;
}

namespace {

using CreateFn = int (*)(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);

CreateFn real_create() {
  static CreateFn real = reinterpret_cast<CreateFn>(dlsym(RTLD_NEXT, "pthread_create"));
  return real;
}

}  // namespace

ThreadRec* Core::preregister_pager_thread() {
  Lock lk(*this);
  threads_.emplace_back();
  ThreadRec* t = &threads_.back();
  t->id = static_cast<emmi::model::ThreadId>(threads_.size());
  t->counted = true;
  t->running = false;
  t->starting = true;
  ++starting_pager_threads_;
  return t;
}

void Core::thread_started(ThreadRec* t) {
  Lock lk(*this);
  if (!t->starting || t->exited) return;
  t->starting = false;
  t->running = true;
  --starting_pager_threads_;
  ++running_pager_threads_;
}

}  // namespace emmi::mach::detail

namespace emmi::mach::detail {
namespace {

// A sanitizer runtime starts threads of its own (ThreadSanitizer's
// background thread) through the same pthread_create, possibly from a pager
// thread's call. A call that comes from a sanitizer runtime, but not from
// its pthread_create interceptor (which forwards the pager's own calls), is
// such a thread: it is never a pager thread.
enum class Caller { other, sanitizer_interceptor, sanitizer_internal };

Caller sanitizer_caller(const void* return_address) {
  Dl_info info{};
  void* extra = nullptr;
  if (dladdr1(return_address, &info, &extra, RTLD_DL_SYMENT) == 0 || info.dli_fname == nullptr)
    return Caller::other;
  const std::string_view file = info.dli_fname;
  if (file.find("libtsan") == std::string_view::npos &&
      file.find("libasan") == std::string_view::npos &&
      file.find("liblsan") == std::string_view::npos)
    return Caller::other;
  const auto* sym = static_cast<const ElfW(Sym)*>(extra);
  if (sym == nullptr || info.dli_sname == nullptr) return Caller::sanitizer_internal;
  const auto start = reinterpret_cast<std::uintptr_t>(info.dli_saddr);
  const auto at = reinterpret_cast<std::uintptr_t>(return_address);
  const std::string_view name = info.dli_sname;
  const bool in_interceptor = at >= start && at < start + sym->st_size &&
                              (name == "__interceptor_pthread_create" || name == "pthread_create");
  return in_interceptor ? Caller::sanitizer_interceptor : Caller::sanitizer_internal;
}

}  // namespace
}  // namespace emmi::mach::detail

extern "C" int pthread_create(pthread_t* thread, const pthread_attr_t* attr, void* (*fn)(void*),
                              void* arg) {
  using namespace emmi::mach::detail;
  CreateFn real = real_create();
  if (tl_creating) return real(thread, attr, fn, arg);
  const Caller caller = sanitizer_caller(__builtin_return_address(0));
  if (caller == Caller::sanitizer_internal) return real(thread, attr, fn, arg);
  Core* core = installed_core();
  ThreadBinding& b = binding();
  const bool pager_creator = core != nullptr && b.core.get() == core && b.epoch == core->epoch() &&
                             core->current_space() == core->pager_space() &&
                             (b.external || (b.rec != nullptr && b.rec->counted));
  if (!pager_creator) return real(thread, attr, fn, arg);
  ThreadRec* rec = core->preregister_pager_thread();
  auto* start = new Start{fn, arg, b.core, rec};
  sched::Scheduler* scheduler = sched::Scheduler::active();
  if (scheduler != nullptr) start->controlled = scheduler->add_thread(rec->id);
  tl_creating = true;
  int rc = real(thread, attr, trampoline, start);
  tl_creating = false;
  if (rc != 0) {
    if (start->controlled != nullptr) scheduler->abandon(start->controlled);
    delete start;
    core->thread_exit(rec);
    return rc;
  }
  if (start->controlled != nullptr) {
    scheduler->set_handle(start->controlled, *thread);
    // Creating a thread is a scheduling point: the new one may run first.
    // Not when a sanitizer's interceptor called us: its start function
    // holds the new thread until that interceptor returns, so the new
    // thread could not take a turn given here; the creator's next
    // scheduling act is the point instead.
    if (caller == Caller::other)
      if (sched::SThread* me = sched::Scheduler::intercepting()) scheduler->point(me);
  }
  return rc;
}
