// SPDX-License-Identifier: MIT
// The simulated kernel's process-wide state, all in one place. Everything
// else the kernel keeps lives in its Core instance (or, per thread, in the
// thread's binding to it, core.cpp).
//
// Why any of it is global: the pager calls the kernel through the C entry
// points this library interposes (mach_msg, mach_port_*, vm_*, munmap,
// pthread_create, ...). Those calls carry no kernel argument, so they must
// find the one installed kernel through process-wide state. Each item below
// says why it in particular cannot live in the instance.
#include "core.h"

#include <atomic>
#include <memory>
#include <mutex>

namespace emmi::mach::detail {

namespace {

// The installed kernel: what the interposed entry points act on. Global
// because those entry points have no other way to reach it (see above).
struct Installed {
  // Serialises installing and uninstalling (a kernel going while another is
  // installed must not clear the newer one).
  std::mutex mutex;
  // Keeps the installed core alive for a caller that took it while a
  // kernel goes away on another thread (installed_core_shared).
  std::shared_ptr<Core> core_shared;
  // Lock-free reads on every interposed call.
  std::atomic<Core*> core{nullptr};
  std::atomic<Kernel*> kernel{nullptr};
  // The installed core's epoch; moves on when it is uninstalled, so state
  // cached per thread (MIG reply ports, priorities) is seen to be stale.
  std::atomic<std::uint64_t> epoch{0};
};
constinit Installed g_installed;

// The next core's epoch. Global because epochs must differ across every
// core of the process: a thread's binding or cached state left from an
// earlier kernel (even one at the same address) never matches a later one.
constinit std::atomic<std::uint64_t> g_next_epoch{1};

}  // namespace

Core* installed_core() { return g_installed.core.load(std::memory_order_acquire); }

std::shared_ptr<Core> installed_core_shared() {
  std::lock_guard<std::mutex> g(g_installed.mutex);
  return g_installed.core_shared;
}

std::uint64_t next_core_epoch() { return g_next_epoch.fetch_add(1); }

}  // namespace emmi::mach::detail

namespace emmi::mach {

using detail::g_installed;

Kernel::Kernel() : core_(std::make_shared<detail::Core>()) { install(); }

Kernel::~Kernel() {
  std::lock_guard<std::mutex> g(g_installed.mutex);
  if (g_installed.kernel.load() == this) {
    g_installed.kernel.store(nullptr);
    g_installed.core.store(nullptr);
    g_installed.core_shared.reset();
    g_installed.epoch.fetch_add(1);
  }
}

void Kernel::install() {
  std::lock_guard<std::mutex> g(g_installed.mutex);
  g_installed.core_shared = core_;
  g_installed.core.store(core_.get(), std::memory_order_release);
  g_installed.kernel.store(this);
  g_installed.epoch.store(core_->epoch());
}

Kernel* Kernel::installed() { return g_installed.kernel.load(); }

std::uint64_t Kernel::installed_epoch() {
  return g_installed.epoch.load(std::memory_order_acquire);
}

}  // namespace emmi::mach
