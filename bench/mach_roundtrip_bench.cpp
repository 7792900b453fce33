// SPDX-License-Identifier: MIT
// mach_msg round trip on the simulated kernel against the cheapest possible
// thread handoff (a mutex and condition variables), in one run so the ratio
// is meaningful on any machine. Target: round trip <= 1.5 x raw handoff.
// Run: mach_roundtrip_bench --benchmark_repetitions=5
#include <mach.h>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "emmi/mach/kernel.h"

namespace {

// A mach_msg service thread on the simulated kernel (see BM_MachRoundTrip).
class MachPeer {
 public:
  MachPeer() {
    mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &service_);
    mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &reply_);
    mach_port_insert_right(mach_task_self(), service_, service_, MACH_MSG_TYPE_MAKE_SEND);
    server_ = std::thread([this] {
      mach_msg_header_t in{};
      mach_msg_return_t mr = mach_msg(&in, MACH_RCV_MSG, 0, sizeof in, service_, 0, MACH_PORT_NULL);
      while (mr == MACH_MSG_SUCCESS) {
        mach_msg_header_t out{};
        out.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);
        out.msgh_size = sizeof out;
        out.msgh_remote_port = in.msgh_remote_port;
        out.msgh_id = in.msgh_id + 100;
        in = out;
        mr = mach_msg(&in, MACH_SEND_MSG | MACH_RCV_MSG, sizeof in, sizeof in, service_, 0,
                      MACH_PORT_NULL);
      }
    });
  }
  ~MachPeer() {
    mach_port_destroy(mach_task_self(), service_);
    server_.join();
    mach_port_destroy(mach_task_self(), reply_);
  }
  bool round_trip() {
    mach_msg_header_t m{};
    m.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    m.msgh_size = sizeof m;
    m.msgh_remote_port = service_;
    m.msgh_local_port = reply_;
    m.msgh_id = 500;
    return mach_msg(&m, MACH_SEND_MSG | MACH_RCV_MSG, sizeof m, sizeof m, reply_, 0,
                    MACH_PORT_NULL) == MACH_MSG_SUCCESS &&
           m.msgh_id == 600;
  }

 private:
  mach_port_t service_ = MACH_PORT_NULL;
  mach_port_t reply_ = MACH_PORT_NULL;
  std::thread server_;
};

// The same ping-pong with nothing but a mutex and two condition variables.
class CondvarPeer {
 public:
  CondvarPeer() {
    server_ = std::thread([this] {
      std::unique_lock<std::mutex> lk(mu_);
      for (;;) {
        to_server_.wait(lk, [&] { return request_ || stop_; });
        if (stop_) return;
        request_ = false;
        response_ = true;
        lk.unlock();
        to_client_.notify_one();
        lk.lock();
      }
    });
  }
  ~CondvarPeer() {
    {
      std::lock_guard<std::mutex> g(mu_);
      stop_ = true;
    }
    to_server_.notify_one();
    server_.join();
  }
  void round_trip() {
    std::unique_lock<std::mutex> lk(mu_);
    request_ = true;
    lk.unlock();
    to_server_.notify_one();
    lk.lock();
    to_client_.wait(lk, [&] { return response_; });
    response_ = false;
  }

 private:
  std::mutex mu_;
  std::condition_variable to_server_;
  std::condition_variable to_client_;
  bool request_ = false;
  bool response_ = false;
  bool stop_ = false;
  std::thread server_;
};

// Client: send a request carrying a send-once reply right and wait for the
// reply on the same call (MACH_SEND_MSG|MACH_RCV_MSG), as a MIG RPC does.
// Server: receive, then reply and receive the next request in one call, as
// mach_msg_server does.
void BM_MachRoundTrip(benchmark::State& state) {
  emmi::mach::Kernel kernel;
  MachPeer peer;
  for (auto _ : state) {
    if (!peer.round_trip()) {
      state.SkipWithError("round trip failed");
      break;
    }
  }
}
BENCHMARK(BM_MachRoundTrip)->UseRealTime();

void BM_CondvarHandoff(benchmark::State& state) {
  CondvarPeer peer;
  for (auto _ : state) peer.round_trip();
}
BENCHMARK(BM_CondvarHandoff)->UseRealTime();

// Both, alternating iteration by iteration, so a noisy machine slows them
// alike; reports the median of each and their ratio (target: <= 1.5).
void BM_InterleavedRatio(benchmark::State& state) {
  emmi::mach::Kernel kernel;
  MachPeer mach;
  CondvarPeer condvar;
  std::vector<double> m;
  std::vector<double> c;
  using clock = std::chrono::steady_clock;
  for (auto _ : state) {
    const auto t0 = clock::now();
    if (!mach.round_trip()) {
      state.SkipWithError("round trip failed");
      break;
    }
    const auto t1 = clock::now();
    condvar.round_trip();
    const auto t2 = clock::now();
    m.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count());
    c.push_back(std::chrono::duration<double, std::nano>(t2 - t1).count());
  }
  if (m.empty()) return;
  auto median = [](std::vector<double>& v) {
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    return v[v.size() / 2];
  };
  const double mm = median(m);
  const double cm = median(c);
  state.counters["mach_ns"] = mm;
  state.counters["condvar_ns"] = cm;
  state.counters["ratio"] = mm / cm;
}
BENCHMARK(BM_InterleavedRatio)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
