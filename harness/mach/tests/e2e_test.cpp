// SPDX-License-Identifier: MIT
// End to end: a pager written only against the GNU Mach API and the
// MIG-generated SEQNOS server, loaded with dlopen() through the entry ABI,
// receives real EMMI messages built by the MIG user stubs. It checks the
// 60-byte memory_object_init of the x86_64 wire format and that the seqno the
// pager's handlers see is the one the simulated kernel stamped at dequeue.
#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <map>

#include "emmi/mach/kernel_driver.h"
#include "emmi/mach/stamp.h"
#include "emmi/pager_abi.h"
#include "test_support.h"

namespace emmi::mach::testing {
namespace {

struct TinyRecord {
  mach_msg_id_t id;
  mach_msg_size_t size;
  mach_port_seqno_t header_seqno;
  mach_port_seqno_t handler_seqno;
  mach_port_t port;
  vm_size_t page_size;
};
using LogFn = unsigned (*)(TinyRecord*, unsigned);

auto soon() { return std::chrono::steady_clock::now() + std::chrono::seconds(20); }

class EndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    handle_ = dlopen(EMMI_TINY_PAGER_PATH, RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(handle_, nullptr) << dlerror();
    auto entry = reinterpret_cast<emmi_pager_entry_fn>(dlsym(handle_, EMMI_PAGER_ENTRY_SYMBOL));
    ASSERT_NE(entry, nullptr);
    log_ = reinterpret_cast<LogFn>(dlsym(handle_, "tiny_pager_log"));
    ASSERT_NE(log_, nullptr);
    pager_ = entry();
    ASSERT_EQ(pager_->abi_version, EMMI_PAGER_ABI_VERSION);
    kernel_.set_observer(&recorder_);
    emmi_pager_config cfg{};
    cfg.abi_version = EMMI_PAGER_ABI_VERSION;
    cfg.dialect = EMMI_DIALECT_GNUMACH;
    cfg.object_count = 2;
    cfg.object_size = 64 * 1024;
    emmi_pager_object objs[2];
    {
      Kernel::ExternalPagerCall as_pager(kernel_);
      ASSERT_EQ(pager_->start(&cfg, objs), KERN_SUCCESS);
    }
    started_ = true;
    for (auto& o : objs) objects_.push_back(driver_.adopt(o.port, o.disposition, cfg.object_size));
  }
  void TearDown() override {
    if (started_) {
      Kernel::ExternalPagerCall as_pager(kernel_);
      pager_->stop();
    }
    kernel_.set_observer(nullptr);
    // Unload, so the next test (or --gtest_repeat) starts a fresh pager.
    if (handle_ != nullptr) dlclose(handle_);
  }
  std::vector<TinyRecord> pager_log() {
    std::vector<TinyRecord> r(256);
    r.resize(log_(r.data(), static_cast<unsigned>(r.size())));
    return r;
  }

  Kernel kernel_;
  Recorder recorder_;
  KernelDriver driver_{kernel_};
  void* handle_ = nullptr;
  LogFn log_ = nullptr;
  const emmi_pager* pager_ = nullptr;
  bool started_ = false;
  std::vector<ObjectId> objects_;
};

TEST_F(EndToEnd, SeqnosInitIsSixtyBytesAndTheSeqnoIsTheKernelsStamp) {
  ASSERT_EQ(objects_.size(), 2u);
  ASSERT_NE(objects_[0], 0u);
  const KernelId k = driver_.attach(4096);
  ASSERT_EQ(driver_.map(k, objects_[0]), KERN_SUCCESS);
  ASSERT_TRUE(kernel_.wait_quiescent(soon()));

  auto log = pager_log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].id, 2200);
  EXPECT_EQ(log[0].size, 60u) << "memory_object_init on x86_64 is 60 bytes";
  EXPECT_EQ(log[0].header_seqno, 0u);
  EXPECT_EQ(log[0].handler_seqno, log[0].header_seqno);
  EXPECT_EQ(log[0].page_size, 4096u);
  EXPECT_EQ(log[0].port, driver_.pager_port(objects_[0]));
  EXPECT_TRUE(driver_.ready(k, objects_[0])) << "the pager answered init with memory_object_ready";

  // Faults on both objects and a second kernel with a larger page size.
  ASSERT_EQ(driver_.fault(k, objects_[0], 0, VM_PROT_READ), KERN_SUCCESS);
  ASSERT_EQ(driver_.fault(k, objects_[0], 8192, VM_PROT_READ), KERN_SUCCESS);
  const KernelId k2 = driver_.attach(16384);
  ASSERT_EQ(driver_.map(k2, objects_[0]), KERN_SUCCESS);
  ASSERT_EQ(driver_.map(k, objects_[1]), KERN_SUCCESS);
  ASSERT_TRUE(kernel_.wait_quiescent(soon()));
  ASSERT_TRUE(driver_.ready(k2, objects_[0]));
  ASSERT_EQ(driver_.fault(k2, objects_[0], 16384, VM_PROT_READ | VM_PROT_WRITE), KERN_SUCCESS);
  ASSERT_TRUE(kernel_.wait_quiescent(soon()));

  // Supplied pages arrived with the pager's contents.
  auto p = driver_.page(k, objects_[0], 8192);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->state, KernelDriver::PageState::resident);
  EXPECT_EQ(p->stamps, std::vector<Stamp>({8192 + 1}));
  auto p2 = driver_.page(k2, objects_[0], 16384);
  ASSERT_TRUE(p2.has_value());
  EXPECT_EQ(p2->stamps, std::vector<Stamp>({16384 + 1, 20480 + 1, 24576 + 1, 28672 + 1}));

  // The tiny pager said may_cache TRUE and both kernels hold pages: the
  // last unmap caches the object (no message, gnumach-kernel.md §3d); the
  // pageout daemon collecting it terminates it.
  ASSERT_EQ(driver_.unmap(k, objects_[0]), KERN_SUCCESS);
  ASSERT_EQ(driver_.unmap(k2, objects_[0]), KERN_SUCCESS);
  EXPECT_TRUE(driver_.cached(k, objects_[0]));
  EXPECT_TRUE(driver_.cached(k2, objects_[0]));
  ASSERT_EQ(driver_.collect(k, objects_[0]), KERN_SUCCESS);
  ASSERT_EQ(driver_.collect(k2, objects_[0]), KERN_SUCCESS);
  EXPECT_FALSE(driver_.mapped(k, objects_[0]));
  ASSERT_TRUE(kernel_.wait_quiescent(soon()));

  // Every message the pager dequeued: the seqno its handler got is the
  // kernel's stamp, and per port they run 0, 1, 2 ... without gaps.
  log = pager_log();
  auto dequeued = recorder_.of<emmi::model::Dequeued>();
  ASSERT_EQ(dequeued.size(), log.size());
  std::map<mach_port_t, mach_port_seqno_t> next;
  for (std::size_t i = 0; i < log.size(); ++i) {
    EXPECT_EQ(log[i].handler_seqno, log[i].header_seqno) << i;
    EXPECT_EQ(dequeued[i].seqno, log[i].header_seqno) << i;
    EXPECT_EQ(dequeued[i].port, log[i].port) << i;
    EXPECT_EQ(log[i].header_seqno, next[log[i].port]++) << "gap on port " << log[i].port;
  }
  // init, 2 requests, init, terminate, terminate on object 0; init on 1.
  const auto count = [&](mach_msg_id_t id) {
    return std::count_if(log.begin(), log.end(), [&](const TinyRecord& r) { return r.id == id; });
  };
  EXPECT_EQ(count(2200), 3);
  EXPECT_EQ(count(2203), 3);
  EXPECT_EQ(count(2201), 2);
  std::vector<vm_size_t> init_sizes;
  for (const auto& r : log)
    if (r.id == 2200 && r.port == driver_.pager_port(objects_[0]))
      init_sizes.push_back(r.page_size);
  EXPECT_EQ(init_sizes, std::vector<vm_size_t>({4096, 16384}));

  // The model saw each kernel send before the pager's dequeue, and the
  // pager's data_supply calls were accepted.
  auto sent = recorder_.of<emmi::model::KernelSent>();
  EXPECT_EQ(sent.size(), dequeued.size());
  auto calls = recorder_.of<emmi::model::ControlCalled>();
  std::size_t supplies = 0;
  for (const auto& c : calls) {
    EXPECT_TRUE(c.accepted);
    if (c.call == emmi::model::ControlCall::data_supply) ++supplies;
  }
  EXPECT_EQ(supplies, 3u);
  auto handled = recorder_.of<emmi::model::HandlerReturned>();
  EXPECT_EQ(handled.size(), log.size());
}

// After terminate the pager holds no rights for the old control and name
// ports, and a control call on the stale control port is not accepted.
TEST_F(EndToEnd, TerminateMovesRightsAndStaleControlCallsAreRejected) {
  const KernelId k = driver_.attach(4096);
  ASSERT_EQ(driver_.map(k, objects_[0]), KERN_SUCCESS);
  ASSERT_TRUE(kernel_.wait_quiescent(soon()));
  const auto init = recorder_.of<emmi::model::Dequeued>().at(0);
  ASSERT_EQ(init.rights.size(), 2u);
  const mach_port_t control = init.rights[0].name;
  EXPECT_EQ(init.rights[0].right, emmi::model::Right::send);
  ASSERT_EQ(driver_.unmap(k, objects_[0]), KERN_SUCCESS);
  ASSERT_TRUE(kernel_.wait_quiescent(soon()));
  auto deq = recorder_.of<emmi::model::Dequeued>();
  ASSERT_EQ(deq.size(), 2u);
  ASSERT_EQ(deq[1].rights.size(), 2u);
  EXPECT_EQ(deq[1].rights[0].name, control)
      << "terminate's receive right joins the send right's name";
  EXPECT_EQ(deq[1].rights[0].right, emmi::model::Right::receive);
  mach_port_type_t type = 0;
  {
    Kernel::ExternalPagerCall as_pager(kernel_);
    EXPECT_EQ(mach_port_type(mach_task_self(), control, &type), KERN_INVALID_NAME)
        << "the tiny pager destroyed every right under the control name";
    recorder_.clear();
    EXPECT_EQ(memory_object_ready(control, TRUE, MEMORY_OBJECT_COPY_NONE), MACH_SEND_INVALID_DEST);
  }
  auto calls = recorder_.of<emmi::model::ControlCalled>();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_FALSE(calls[0].accepted);
  EXPECT_EQ(calls[0].control, control);
}

}  // namespace
}  // namespace emmi::mach::testing
