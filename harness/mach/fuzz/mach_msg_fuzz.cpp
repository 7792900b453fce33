// SPDX-License-Identifier: MIT
// libFuzzer target: mach_msg send of arbitrary message bytes on the simulated
// kernel. The world holds receive, send, send-once and dead names, a port set,
// a peer task and a live control port (an object mapped by a kernel), so
// header and body rights resolve often. Each input is sent, then every queue
// is drained and each received message destroyed, so state stays bounded.
// Success: no crash, no sanitizer report, the kernel stays consistent.
#include <mach.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "emmi/mach/kernel.h"
#include "emmi/mach/kernel_driver.h"

namespace {

struct World {
  std::unique_ptr<emmi::mach::Kernel> kernel;
  std::unique_ptr<emmi::mach::KernelDriver> driver;
  std::vector<mach_port_t> names;      // candidates for header and body ports
  std::vector<mach_port_t> receivers;  // what we drain
  mach_port_t set = MACH_PORT_NULL;
  unsigned runs = 0;
};

World* world = nullptr;

void drain(World& w) {
  alignas(8) std::uint8_t buf[8192];
  auto* h = reinterpret_cast<mach_msg_header_t*>(buf);
  std::vector<mach_port_t> from = w.receivers;
  from.push_back(w.set);
  for (mach_port_t p : from) {
    for (int i = 0; i < 64; ++i) {
      std::memset(buf, 0, sizeof(mach_msg_header_t));
      mach_msg_return_t mr = mach_msg(h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof buf, p, 0,
                                      MACH_PORT_NULL);
      if (mr == MACH_RCV_TOO_LARGE) continue;  // destroyed by the kernel
      if (mr != MACH_MSG_SUCCESS) break;
      mach_msg_destroy(h);
    }
  }
}

void build(World& w) {
  w.kernel = std::make_unique<emmi::mach::Kernel>();
  w.driver = std::make_unique<emmi::mach::KernelDriver>(*w.kernel);
  w.names.clear();
  w.receivers.clear();
  emmi::mach::Kernel::ExternalPagerCall as_pager(*w.kernel);
  const mach_port_t self = mach_task_self();
  for (int i = 0; i < 4; ++i) {
    mach_port_t p = MACH_PORT_NULL;
    mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &p);
    w.receivers.push_back(p);
    w.names.push_back(p);
  }
  mach_port_insert_right(self, w.receivers[0], w.receivers[0], MACH_MSG_TYPE_MAKE_SEND);
  mach_port_allocate(self, MACH_PORT_RIGHT_PORT_SET, &w.set);
  mach_port_move_member(self, w.receivers[3], w.set);
  w.names.push_back(w.set);
  mach_port_t dead = MACH_PORT_NULL;
  mach_port_allocate(self, MACH_PORT_RIGHT_DEAD_NAME, &dead);
  w.names.push_back(dead);
  mach_port_t so = MACH_PORT_NULL;
  mach_msg_type_name_t t = 0;
  mach_port_extract_right(self, w.receivers[1], MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &t);
  w.names.push_back(so);
  // A memory object mapped by one kernel: its control port (a kernel object)
  // becomes a destination too.
  mach_port_t object = w.receivers[2];
  const auto oid = w.driver->adopt(object, MACH_MSG_TYPE_MAKE_SEND, 1 << 16);
  const auto kid = w.driver->attach(4096);
  w.driver->map(kid, oid);
  alignas(8) std::uint8_t buf[256];
  auto* h = reinterpret_cast<mach_msg_header_t*>(buf);
  if (mach_msg(h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof buf, object, 0, MACH_PORT_NULL) ==
      MACH_MSG_SUCCESS) {
    mach_port_t control;
    std::memcpy(&control, buf + sizeof(mach_msg_header_t) + 4, sizeof control);
    w.names.push_back(control);
  }
  w.names.push_back(self);
  w.names.push_back(MACH_PORT_NULL);
  w.names.push_back(MACH_PORT_DEAD);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (world == nullptr) world = new World();
  World& w = *world;
  // Names are never reused, so the name table grows: start afresh now and
  // then.
  if (w.kernel == nullptr || ++w.runs % 5000 == 0) {
    w.driver.reset();
    w.kernel.reset();
    build(w);
  }
  if (size < 3) return 0;
  const std::uint8_t how = data[0];
  const std::uint8_t dest = data[1];
  const std::uint8_t reply = data[2];
  data += 3;
  size -= 3;

  alignas(8) std::uint8_t msg[4096 + 64] = {};
  const std::size_t n = std::min<std::size_t>(size, 4096);
  std::memcpy(msg, data, n);
  auto* h = reinterpret_cast<mach_msg_header_t*>(msg);
  // Most of the time, point the header at names that exist.
  if ((how & 1) && n >= sizeof(mach_msg_header_t))
    h->msgh_remote_port = w.names[dest % w.names.size()];
  if ((how & 2) && n >= sizeof(mach_msg_header_t))
    h->msgh_local_port = w.names[reply % w.names.size()];
  // The send size: the message as given, or what its header claims.
  mach_msg_size_t send_size = static_cast<mach_msg_size_t>(n);
  if ((how & 4) && n >= sizeof(mach_msg_header_t))
    send_size = std::min<mach_msg_size_t>(h->msgh_size, 4096);

  emmi::mach::Kernel::ExternalPagerCall as_pager(*w.kernel);
  (void)mach_msg(h, MACH_SEND_MSG, send_size, 0, MACH_PORT_NULL, MACH_MSG_TIMEOUT_NONE,
                 MACH_PORT_NULL);
  drain(w);
  return 0;
}
