// mach_msg round trip on the simulated kernel against the cheapest possible
// thread handoff (a mutex and condition variables), in one run so the ratio
// is meaningful on any machine. Target: round trip <= 1.5 x raw handoff.
// Run: mach_roundtrip_bench --benchmark_repetitions=5
#include <mach.h>

#include <benchmark/benchmark.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "emmi/mach/kernel.h"

namespace {

// Client: send a request carrying a send-once reply right and wait for the
// reply on the same call (MACH_SEND_MSG|MACH_RCV_MSG), as a MIG RPC does.
// Server: receive, then reply and receive the next request in one call, as
// mach_msg_server does.
void BM_MachRoundTrip(benchmark::State& state) {
  emmi::mach::Kernel kernel;
  mach_port_t service = MACH_PORT_NULL;
  mach_port_t reply = MACH_PORT_NULL;
  mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &service);
  mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &reply);
  mach_port_insert_right(mach_task_self(), service, service, MACH_MSG_TYPE_MAKE_SEND);

  std::thread server([&] {
    mach_msg_header_t in{};
    mach_msg_return_t mr =
        mach_msg(&in, MACH_RCV_MSG, 0, sizeof in, service, 0, MACH_PORT_NULL);
    while (mr == MACH_MSG_SUCCESS) {
      mach_msg_header_t out{};
      out.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);
      out.msgh_size = sizeof out;
      out.msgh_remote_port = in.msgh_remote_port;
      out.msgh_id = in.msgh_id + 100;
      in = out;
      mr = mach_msg(&in, MACH_SEND_MSG | MACH_RCV_MSG, sizeof in, sizeof in, service, 0,
                    MACH_PORT_NULL);
    }
  });

  for (auto _ : state) {
    mach_msg_header_t m{};
    m.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    m.msgh_size = sizeof m;
    m.msgh_remote_port = service;
    m.msgh_local_port = reply;
    m.msgh_id = 500;
    mach_msg_return_t mr = mach_msg(&m, MACH_SEND_MSG | MACH_RCV_MSG, sizeof m, sizeof m, reply,
                                    0, MACH_PORT_NULL);
    if (mr != MACH_MSG_SUCCESS || m.msgh_id != 600) {
      state.SkipWithError("round trip failed");
      break;
    }
  }
  mach_port_destroy(mach_task_self(), service);
  server.join();
  mach_port_destroy(mach_task_self(), reply);
}
BENCHMARK(BM_MachRoundTrip)->UseRealTime();

// The same ping-pong with nothing but a mutex and two condition variables.
void BM_CondvarHandoff(benchmark::State& state) {
  std::mutex mu;
  std::condition_variable to_server;
  std::condition_variable to_client;
  bool request = false;
  bool response = false;
  bool stop = false;

  std::thread server([&] {
    std::unique_lock<std::mutex> lk(mu);
    for (;;) {
      to_server.wait(lk, [&] { return request || stop; });
      if (stop) return;
      request = false;
      response = true;
      lk.unlock();
      to_client.notify_one();
      lk.lock();
    }
  });

  for (auto _ : state) {
    std::unique_lock<std::mutex> lk(mu);
    request = true;
    lk.unlock();
    to_server.notify_one();
    lk.lock();
    to_client.wait(lk, [&] { return response; });
    response = false;
  }
  {
    std::lock_guard<std::mutex> g(mu);
    stop = true;
  }
  to_server.notify_one();
  server.join();
}
BENCHMARK(BM_CondvarHandoff)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
