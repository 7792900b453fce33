// SPDX-License-Identifier: MIT
// Helpers shared by the simulated-kernel tests: small typed messages built
// the way MIG lays them out, and an observer that records model events.
#pragma once

#include <mach.h>

#include <gtest/gtest.h>

#include <cstring>
#include <mutex>
#include <vector>

#include "emmi/mach/kernel.h"

namespace emmi::mach::testing {

inline mach_msg_type_t type_of(mach_msg_type_name_t name, unsigned bits, unsigned number = 1) {
  return mach_msg_type_t{name, bits, number, TRUE, FALSE, FALSE, 0};
}

#pragma pack(push, 4)
// A message carrying one port right in its body.
struct PortMsg {
  mach_msg_header_t head;
  mach_msg_type_t port_type;
  mach_port_t port;
};
// A message carrying one out-of-line byte region.
struct OolMsg {
  mach_msg_header_t head;
  mach_msg_type_long_t data_type;
  vm_offset_t data;
};
// A receive buffer large enough for the tests' messages.
struct Buffer {
  mach_msg_header_t head;
  std::uint8_t body[512];
};
#pragma pack(pop)

// Sends a header-only message to `dest` (disposition `disp`), id `id`.
inline mach_msg_return_t send_simple(mach_port_t dest, mach_msg_type_name_t disp,
                                     mach_msg_id_t id = 1000, mach_port_t reply = MACH_PORT_NULL,
                                     mach_msg_type_name_t reply_disp = 0) {
  mach_msg_header_t h{};
  h.msgh_bits = MACH_MSGH_BITS(disp, reply_disp);
  h.msgh_size = sizeof h;
  h.msgh_remote_port = dest;
  h.msgh_local_port = reply;
  h.msgh_id = id;
  return mach_msg(&h, MACH_SEND_MSG, sizeof h, 0, MACH_PORT_NULL, MACH_MSG_TIMEOUT_NONE,
                  MACH_PORT_NULL);
}

// Sends a message to `dest` carrying `right` with disposition `right_disp`.
// `dest_disp` is MAKE_SEND when the caller holds the receive right of dest.
inline mach_msg_return_t send_port(mach_port_t dest, mach_port_t right,
                                   mach_msg_type_name_t right_disp, mach_msg_id_t id = 1001,
                                   mach_msg_type_name_t dest_disp = MACH_MSG_TYPE_MAKE_SEND) {
  PortMsg m{};
  m.head.msgh_bits = MACH_MSGH_BITS_COMPLEX | MACH_MSGH_BITS(dest_disp, 0);
  m.head.msgh_size = sizeof m;
  m.head.msgh_remote_port = dest;
  m.head.msgh_id = id;
  m.port_type = type_of(right_disp, 32);
  m.port = right;
  return mach_msg(&m.head, MACH_SEND_MSG, sizeof m, 0, MACH_PORT_NULL, MACH_MSG_TIMEOUT_NONE,
                  MACH_PORT_NULL);
}

// Receives without blocking (timeout 0).
inline mach_msg_return_t receive_now(mach_port_t from, Buffer& buf, mach_msg_option_t extra = 0,
                                     mach_msg_size_t size = sizeof(Buffer)) {
  std::memset(&buf, 0, sizeof buf);
  return mach_msg(&buf.head, MACH_RCV_MSG | MACH_RCV_TIMEOUT | extra, 0, size, from, 0,
                  MACH_PORT_NULL);
}

inline mach_port_t new_receive_right() {
  mach_port_t p = MACH_PORT_NULL;
  EXPECT_EQ(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p), KERN_SUCCESS);
  return p;
}

inline mach_port_urefs_t refs(mach_port_t name, mach_port_right_t right) {
  mach_port_urefs_t n = 0;
  EXPECT_EQ(mach_port_get_refs(mach_task_self(), name, right, &n), KERN_SUCCESS);
  return n;
}

inline mach_port_status_t status_of(mach_port_t name) {
  mach_port_status_t st{};
  EXPECT_EQ(mach_port_get_receive_status(mach_task_self(), name, &st), KERN_SUCCESS);
  return st;
}

// Records every event, thread-safely.
class Recorder : public Observer {
 public:
  void on_event(const emmi::model::Event& e) override {
    std::lock_guard<std::mutex> g(mu_);
    events_.push_back(e);
  }
  std::vector<emmi::model::Event> events() const {
    std::lock_guard<std::mutex> g(mu_);
    return events_;
  }
  template <typename T>
  std::vector<T> of() const {
    std::vector<T> out;
    for (const auto& e : events())
      if (const T* t = std::get_if<T>(&e)) out.push_back(*t);
    return out;
  }
  void clear() {
    std::lock_guard<std::mutex> g(mu_);
    events_.clear();
  }

 private:
  mutable std::mutex mu_;
  std::vector<emmi::model::Event> events_;
};

// A fixture with a simulated kernel whose events `recorder` records while
// the test runs.
class ObservedKernel : public ::testing::Test {
 protected:
  Kernel kernel;
  Recorder recorder;
  void SetUp() override { kernel.set_observer(&recorder); }
  void TearDown() override { kernel.set_observer(nullptr); }
};

}  // namespace emmi::mach::testing
