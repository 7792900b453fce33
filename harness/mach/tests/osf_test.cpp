// SPDX-License-Identifier: MIT
// A kernel attached with the OSF dialect: the messages it sends and the
// control calls it serves follow the manual pages (spec/xnu-osfmk-man/) as
// encoded in defs/osf/ (README.md there). The test plays the pager by
// hand, with the OSF control-call stubs MIG generated from
// osf_memory_object_control.defs (emmi_mig_pager_osf).
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <chrono>

#include "emmi/mach/kernel_driver.h"
#include "emmi/mach/scheduler.h"
#include "emmi/mach/stamp.h"
#include "test_support.h"

extern "C" {
#include <emmi/osf/osf_memory_object_control.h>
}

namespace emmi::mach::testing {
namespace {

using emmi::model::ControlCall;
using emmi::model::Dialect;
using emmi::model::MessageKind;

#pragma pack(push, 4)
struct OsfInitMsg {  // 3400: control, page size; no name port
  mach_msg_header_t head;
  mach_msg_type_t control_type;
  mach_port_t control;
  mach_msg_type_t page_size_type;
  vm_size_t page_size;
};
struct OsfTerminateMsg {  // 3401: the control port's receive right only
  mach_msg_header_t head;
  mach_msg_type_t control_type;
  mach_port_t control;
};
struct SynchronizeMsg {  // 3410
  mach_msg_header_t head;
  mach_msg_type_t control_type;
  mach_port_t control;
  mach_msg_type_t offset_type;
  vm_offset_t offset;
  mach_msg_type_t length_type;
  vm_size_t length;
  mach_msg_type_t flags_type;
  vm_sync_t flags;
};
struct ChangeCompletedMsg {  // 3409
  mach_msg_header_t head;
  mach_msg_type_t control_type;
  mach_port_t control;
  mach_msg_type_t flavor_type;
  memory_object_flavor_t flavor;
};
#pragma pack(pop)

class Osf : public ::testing::Test {
 protected:
  void SetUp() override {
    kernel.set_observer(&recorder);
    Kernel::ExternalPagerCall as_pager(kernel);
    object = new_receive_right();
    oid = driver.adopt(object, MACH_MSG_TYPE_MAKE_SEND, 1 << 20);
    ASSERT_NE(oid, 0u);
    kid = driver.attach(4096, Dialect::osf);
    ASSERT_EQ(driver.map(kid, oid), KERN_SUCCESS);
    Buffer buf;
    ASSERT_EQ(receive_now(object, buf), MACH_MSG_SUCCESS);
    ASSERT_EQ(buf.head.msgh_id, 3400);
    // memory_object_init.html: object, control, page size; 52 bytes.
    ASSERT_EQ(buf.head.msgh_size, sizeof(OsfInitMsg));
    OsfInitMsg init;
    std::memcpy(&init, &buf, sizeof init);
    control = init.control;
    const vm_size_t page_size = init.page_size;
    EXPECT_EQ(page_size, 4096u);
  }
  void TearDown() override { kernel.set_observer(nullptr); }

  kern_return_t change(memory_object_flavor_t flavor, std::vector<int> attrs, mach_port_t reply) {
    return memory_object_change_attributes(control, flavor, attrs.data(),
                                           static_cast<mach_msg_type_number_t>(attrs.size()),
                                           reply);
  }
  // ATTRIBUTES_INFO: copy delay, cluster 4 KiB, may_cache, not temporary.
  static std::vector<int> attr_info() {
    memory_object_attr_info a{};
    a.copy_strategy = MEMORY_OBJECT_COPY_DELAY;
    a.cluster_size = 4096;
    a.may_cache = TRUE;
    a.temporary = FALSE;
    std::vector<int> v(MEMORY_OBJECT_ATTR_INFO_COUNT);
    std::memcpy(v.data(), &a, sizeof a);
    return v;
  }
  void make_ready() {
    Kernel::ExternalPagerCall as_pager(kernel);
    ASSERT_EQ(change(MEMORY_OBJECT_ATTRIBUTES_INFO, attr_info(), MACH_PORT_NULL), KERN_SUCCESS);
    ASSERT_TRUE(driver.ready(kid, oid));
  }
  kern_return_t supply(vm_offset_t offset, std::vector<Stamp> stamps, boolean_t precious = FALSE) {
    vm_address_t data = 0;
    const vm_size_t size = stamps.size() * 4096;
    EXPECT_EQ(vm_allocate(mach_task_self(), &data, size, TRUE), KERN_SUCCESS);
    fill_blocks({reinterpret_cast<std::uint8_t*>(data), size}, stamps);
    return memory_object_data_supply(control, offset, data, size, TRUE, VM_PROT_NONE, precious,
                                     MACH_PORT_NULL);
  }
  // Fault the page at `offset` in and supply `stamp` for it.
  void resident(vm_offset_t offset, Stamp stamp, boolean_t precious = FALSE) {
    ASSERT_EQ(driver.fault(kid, oid, offset, VM_PROT_READ | VM_PROT_WRITE), KERN_SUCCESS);
    Buffer buf;
    ASSERT_EQ(receive_now(object, buf), MACH_MSG_SUCCESS);
    // memory_object_data_request.html, OSF id 3403.
    ASSERT_EQ(buf.head.msgh_id, 3403);
    mach_msg_destroy(&buf.head);
    Kernel::ExternalPagerCall as_pager(kernel);
    ASSERT_EQ(supply(offset, {stamp}, precious), KERN_SUCCESS);
    ASSERT_EQ(driver.page(kid, oid, offset)->state, KernelDriver::PageState::resident);
  }
  std::vector<mach_msg_id_t> drain() {
    std::vector<mach_msg_id_t> ids;
    Buffer buf;
    while (receive_now(object, buf) == MACH_MSG_SUCCESS) {
      ids.push_back(buf.head.msgh_id);
      mach_msg_destroy(&buf.head);
    }
    return ids;
  }
  std::vector<emmi::model::ControlCalled> calls(ControlCall c) {
    std::vector<emmi::model::ControlCalled> out;
    for (auto& e : recorder.of<emmi::model::ControlCalled>())
      if (e.call == c) out.push_back(e);
    return out;
  }

  Kernel kernel;
  Recorder recorder;
  KernelDriver driver{kernel};
  mach_port_t object = MACH_PORT_NULL;
  mach_port_t control = MACH_PORT_NULL;
  ObjectId oid = 0;
  KernelId kid = 0;
};

// memory_object_init.html: "memory_object_init(memory_object, memory_control,
// memory_object_page_size)": one send right, no name port.
TEST_F(Osf, InitCarriesOnlyTheControlPort) {
  auto attached = recorder.of<emmi::model::KernelAttached>();
  ASSERT_EQ(attached.size(), 1u);
  EXPECT_EQ(attached[0].dialect, Dialect::osf);
  EXPECT_EQ(driver.dialect(kid), Dialect::osf);
  auto deq = recorder.of<emmi::model::Dequeued>();
  ASSERT_EQ(deq.size(), 1u);
  ASSERT_EQ(deq[0].rights.size(), 1u);
  EXPECT_EQ(deq[0].rights[0].right, emmi::model::Right::send);
  EXPECT_EQ(deq[0].rights[0].name, control);
  auto sent = recorder.of<emmi::model::KernelSent>();
  ASSERT_FALSE(sent.empty());
  EXPECT_EQ(sent[0].kind, MessageKind::init);
}

// memory_object_terminate.html: object and the control port's receive right.
TEST_F(Osf, TerminateMovesOnlyTheControlReceiveRight) {
  ASSERT_EQ(driver.unmap(kid, oid), KERN_SUCCESS);
  Buffer buf;
  ASSERT_EQ(receive_now(object, buf), MACH_MSG_SUCCESS);
  ASSERT_EQ(buf.head.msgh_id, 3401);
  ASSERT_EQ(buf.head.msgh_size, sizeof(OsfTerminateMsg));
  OsfTerminateMsg t;
  std::memcpy(&t, &buf, sizeof t);
  EXPECT_EQ(t.control, control);
  EXPECT_EQ(status_of(control).mps_srights, TRUE);  // the pager's send right made it a receiver
  auto deq = recorder.of<emmi::model::Dequeued>();
  ASSERT_EQ(deq.size(), 2u);
  ASSERT_EQ(deq[1].rights.size(), 1u);
  EXPECT_EQ(deq[1].rights[0].right, emmi::model::Right::receive);
}

// MO_change_attributes.html / MO_change_completed.html (CA4, CA5): an
// accepted change readies the object and change_completed echoes the
// flavour to the reply port.
TEST_F(Osf, ChangeAttributesReadiesAndCompletesWithTheFlavor) {
  mach_port_t reply = MACH_PORT_NULL;
  {
    Kernel::ExternalPagerCall as_pager(kernel);
    reply = new_receive_right();
    ASSERT_EQ(change(MEMORY_OBJECT_ATTRIBUTES_INFO, attr_info(), reply), KERN_SUCCESS);
  }
  EXPECT_TRUE(driver.ready(kid, oid));
  auto a = driver.attributes(kid, oid);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->copy_strategy, MEMORY_OBJECT_COPY_DELAY);
  EXPECT_EQ(a->cluster_size, 4096u);
  EXPECT_TRUE(a->may_cache);
  Buffer buf;
  ASSERT_EQ(receive_now(reply, buf), MACH_MSG_SUCCESS);
  ASSERT_EQ(buf.head.msgh_id, 3409);
  ChangeCompletedMsg done;
  std::memcpy(&done, &buf, sizeof done);
  EXPECT_EQ(done.flavor, MEMORY_OBJECT_ATTRIBUTES_INFO);
  auto called = calls(ControlCall::change_attributes);
  ASSERT_EQ(called.size(), 1u);
  EXPECT_TRUE(called[0].accepted);
  EXPECT_EQ(called[0].flavor, MEMORY_OBJECT_ATTRIBUTES_INFO);
  EXPECT_EQ(called[0].attributes_count, MEMORY_OBJECT_ATTR_INFO_COUNT);
  EXPECT_TRUE(called[0].may_cache);
}

// MO_change_attributes.html (CA1, CA2): the flavour selects the structure
// and attributes_count is its size; a count that disagrees is refused.
TEST_F(Osf, ChangeAttributesWithAMismatchedCountIsRefused) {
  mach_port_t reply = MACH_PORT_NULL;
  {
    Kernel::ExternalPagerCall as_pager(kernel);
    reply = new_receive_right();
    std::vector<int> perf(MEMORY_OBJECT_PERF_INFO_COUNT);
    ASSERT_EQ(change(MEMORY_OBJECT_ATTRIBUTES_INFO, perf, reply), KERN_SUCCESS);
  }
  EXPECT_FALSE(driver.ready(kid, oid));
  Buffer buf;
  // No change_completed; the send-once right dies unused.
  ASSERT_EQ(receive_now(reply, buf), MACH_MSG_SUCCESS);
  EXPECT_EQ(buf.head.msgh_id, MACH_NOTIFY_SEND_ONCE);
  auto called = calls(ControlCall::change_attributes);
  ASSERT_EQ(called.size(), 1u);
  EXPECT_FALSE(called[0].accepted);
  EXPECT_EQ(called[0].attributes_count, MEMORY_OBJECT_PERF_INFO_COUNT);
}

// MO_get_attributes.html (CA6): attributes_count is the buffer's size in,
// the size used out.
TEST_F(Osf, GetAttributesReturnsTheFlavorsCount) {
  make_ready();
  Kernel::ExternalPagerCall as_pager(kernel);
  int buf[32] = {};
  mach_msg_type_number_t count = 32;
  ASSERT_EQ(memory_object_get_attributes(control, MEMORY_OBJECT_PERFORMANCE_INFO, buf, &count),
            KERN_SUCCESS);
  ASSERT_EQ(count, MEMORY_OBJECT_PERF_INFO_COUNT);
  memory_object_perf_info perf;
  std::memcpy(&perf, buf, sizeof perf);
  EXPECT_EQ(perf.cluster_size, 4096u);
  EXPECT_TRUE(perf.may_cache_object);
  count = 1;  // too small for the flavour
  EXPECT_EQ(memory_object_get_attributes(control, MEMORY_OBJECT_PERFORMANCE_INFO, buf, &count),
            KERN_INVALID_ARGUMENT);
}

// memory_object_data_supply.html and MO_supply_completed.html on the OSF ids.
TEST_F(Osf, DataRequestAndSupplyUseTheOsfIds) {
  make_ready();
  resident(0, 7);
  EXPECT_EQ(driver.page(kid, oid, 0)->stamps, std::vector<Stamp>{7});
  auto sent = recorder.of<emmi::model::KernelSent>();
  EXPECT_TRUE(std::any_of(sent.begin(), sent.end(),
                          [](const auto& e) { return e.kind == MessageKind::data_request; }));
}

// memory_object_synchronize.html (SY1): the range's dirty pages come back
// before synchronize; MO_SY_completed.html (SY3) and vm_msync.html (SY5):
// the client waits for a completion naming the same range.
TEST_F(Osf, SynchronizeFollowsTheReturnsAndWaitsForAMatchingCompletion) {
  make_ready();
  resident(0, 1);
  resident(4096, 2);
  ASSERT_EQ(driver.write(kid, oid, 4096, std::vector<Stamp>{9}), KERN_SUCCESS);
  ASSERT_EQ(driver.synchronize(kid, oid, 0, 8192, VM_SYNC_SYNCHRONOUS), KERN_SUCCESS);
  EXPECT_EQ(drain(), (std::vector<mach_msg_id_t>{3408, 3410}));
  auto sent = recorder.of<emmi::model::KernelSent>();
  auto sync = std::find_if(sent.begin(), sent.end(),
                           [](const auto& e) { return e.kind == MessageKind::synchronize; });
  ASSERT_NE(sync, sent.end());
  EXPECT_EQ(sync->offset, 0u);
  EXPECT_EQ(sync->length, 8192u);
  EXPECT_EQ(sync->sync_flags, VM_SYNC_SYNCHRONOUS);
  EXPECT_FALSE(driver.page(kid, oid, 4096)->dirty);  // cleaned, kept
  ASSERT_EQ(driver.pending_syncs(kid, oid).size(), 1u);
  {
    Kernel::ExternalPagerCall as_pager(kernel);
    // A different range completes nothing.
    ASSERT_EQ(memory_object_synchronize_completed(control, 0, 4096), KERN_SUCCESS);
    EXPECT_EQ(driver.pending_syncs(kid, oid).size(), 1u);
    ASSERT_EQ(memory_object_synchronize_completed(control, 0, 8192), KERN_SUCCESS);
  }
  EXPECT_TRUE(driver.pending_syncs(kid, oid).empty());
  EXPECT_EQ(driver.completed_syncs(kid, oid), 1u);
  auto done = calls(ControlCall::synchronize_completed);
  ASSERT_EQ(done.size(), 2u);
  EXPECT_FALSE(done[0].accepted);
  EXPECT_TRUE(done[1].accepted);
  EXPECT_EQ(done[1].size, 8192u);
}

// vm_msync.html (SY10): both SYNCHRONOUS and ASYNCHRONOUS is invalid;
// memory_object_synchronize.html (SY4): outstanding requests never overlap;
// with INVALIDATE alone only precious pages go back (SY9).
TEST_F(Osf, SynchronizeRefusesWhatTheKernelNeverSends) {
  make_ready();
  resident(0, 1);
  resident(4096, 2, TRUE);
  EXPECT_EQ(driver.synchronize(kid, oid, 0, 4096, VM_SYNC_SYNCHRONOUS | VM_SYNC_ASYNCHRONOUS),
            KERN_INVALID_ARGUMENT);
  ASSERT_EQ(driver.write(kid, oid, 0, std::vector<Stamp>{5}), KERN_SUCCESS);
  ASSERT_EQ(driver.synchronize(kid, oid, 0, 8192, VM_SYNC_INVALIDATE), KERN_SUCCESS);
  EXPECT_EQ(drain(), (std::vector<mach_msg_id_t>{3408, 3410}));  // the precious page only
  EXPECT_FALSE(driver.page(kid, oid, 0).has_value());
  EXPECT_FALSE(driver.page(kid, oid, 4096).has_value());
  EXPECT_EQ(driver.synchronize(kid, oid, 4096, 4096, VM_SYNC_ASYNCHRONOUS), KERN_FAILURE);
  EXPECT_EQ(driver.synchronize(kid, oid, 8192, 4096, VM_SYNC_ASYNCHRONOUS), KERN_SUCCESS);
}

// The look at the pager the instant a synchronize_completed is accepted
// (ControlledScheduling::on_snapshot; SY6, SY8 judge the store there): the
// sending thread stands right after its mach_msg, before its next
// statement; a look that needs a lock the sender holds must let it run,
// and says so.
struct Completer {
  mach_port_t control = MACH_PORT_NULL;
  pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
  bool hold = false;         // send the completion with `lock` held
  std::atomic<int> sent{0};  // set right after the send
};

void* complete_sync(void* p) {
  auto* c = static_cast<Completer*>(p);
  if (c->hold) pthread_mutex_lock(&c->lock);
  EXPECT_EQ(memory_object_synchronize_completed(c->control, 0, 8192), KERN_SUCCESS);
  c->sent = 1;
  if (c->hold) pthread_mutex_unlock(&c->lock);
  return nullptr;
}

class OsfSnapshot : public Osf, public ::testing::WithParamInterface<bool> {};

TEST_P(OsfSnapshot, TheLookSeesTheInstantOfTheCompletionOrSaysItCouldNot) {
  const bool hold = GetParam();
  make_ready();
  resident(0, 1);
  ASSERT_EQ(driver.synchronize(kid, oid, 0, 8192, VM_SYNC_SYNCHRONOUS), KERN_SUCCESS);
  EXPECT_EQ(drain(), (std::vector<mach_msg_id_t>{3410}));
  ScheduleOptions o;
  o.seed = 7;
  ControlledScheduling sched(kernel, o);
  Completer c;
  c.control = control;
  c.hold = hold;
  int looks = 0;
  int seen = -1;
  bool intact = false;
  std::size_t pending_then = 99;
  sched.on_snapshot([&] {
    ++looks;
    pending_then = driver.pending_syncs(kid, oid).size();
    {
      Kernel::ExternalPagerCall as_pager(kernel);
      ControlledScheduling::PagerCode pager_code(sched);
      pthread_mutex_lock(&c.lock);
      seen = c.sent.load();
      pthread_mutex_unlock(&c.lock);
    }
    intact = sched.snapshot_intact();
  });
  pthread_t t{};
  {
    Kernel::ExternalPagerCall as_pager(kernel);
    ControlledScheduling::PagerCode pager_code(sched);
    ASSERT_EQ(pthread_create(&t, nullptr, complete_sync, &c), 0);
  }
  EXPECT_EQ(sched.settle(std::chrono::milliseconds(2000)), Settled::quiescent);
  {
    Kernel::ExternalPagerCall as_pager(kernel);
    ControlledScheduling::PagerCode pager_code(sched);
    EXPECT_EQ(pthread_join(t, nullptr), 0);
  }
  EXPECT_EQ(looks, 1);
  EXPECT_EQ(pending_then, 0u);  // the vm_msync had returned
  EXPECT_EQ(c.sent.load(), 1);
  if (hold) {
    // The lock was the sender's: the look waited for it to go on.
    EXPECT_FALSE(intact);
    EXPECT_EQ(seen, 1);
  } else {
    EXPECT_TRUE(intact);
    EXPECT_EQ(seen, 0);  // the sender had not gone past its mach_msg
  }
}

INSTANTIATE_TEST_SUITE_P(SenderHoldsTheLookedAtLock, OsfSnapshot, ::testing::Bool());

// The control calls of the pager's own actions, on an OSF kernel.
#pragma pack(push, 4)
struct LockCompletedMsg {  // 3406: control, offset, length
  mach_msg_header_t head;
  mach_msg_type_t control_type;
  mach_port_t control;
  mach_msg_type_t offset_type;
  vm_offset_t offset;
  mach_msg_type_t length_type;
  vm_size_t length;
};
#pragma pack(pop)

// memory_object_lock_request.html (LK2, LK5): with should_return the
// modified page comes back (data_return, 3408) before MO_lock_completed.html's
// completion (3406) on the reply port, which echoes offset and length (LK9);
// should_flush drops the range (LK3).
TEST_F(Osf, LockRequestReturnsThenCompletesOnTheOsfIds) {
  make_ready();
  resident(0, 1);
  ASSERT_EQ(driver.write(kid, oid, 0, std::vector<Stamp>{6}), KERN_SUCCESS);
  {
    Kernel::ExternalPagerCall as_pager(kernel);
    ASSERT_EQ(memory_object_lock_request(control, 0, 0x4000, MEMORY_OBJECT_RETURN_DIRTY, TRUE,
                                         VM_PROT_NO_CHANGE, object),
              KERN_SUCCESS);
  }
  EXPECT_FALSE(driver.page(kid, oid, 0).has_value());  // flushed
  Buffer buf;
  ASSERT_EQ(receive_now(object, buf), MACH_MSG_SUCCESS);
  EXPECT_EQ(buf.head.msgh_id, 3408);
  mach_msg_destroy(&buf.head);
  ASSERT_EQ(receive_now(object, buf), MACH_MSG_SUCCESS);
  ASSERT_EQ(buf.head.msgh_id, 3406);
  LockCompletedMsg done;
  std::memcpy(&done, &buf, sizeof done);
  // The message is packed to 4 bytes: copy the 8-byte fields out before
  // EXPECT_EQ binds references to them (a misaligned reference is UB).
  const vm_offset_t offset = done.offset;
  const vm_size_t length = done.length;
  EXPECT_EQ(offset, 0u);
  EXPECT_EQ(length, 0x4000u);
  mach_msg_destroy(&buf.head);
  auto called = calls(ControlCall::lock_request);
  ASSERT_EQ(called.size(), 1u);
  EXPECT_TRUE(called[0].accepted);
  EXPECT_TRUE(called[0].should_flush);
}

// MO_change_attributes.html (CA3): turning caching off on a cached object
// ends it. The OSF change_completed (MO_change_completed.html) names the
// control port, so the kernel sends it while the port is still its own,
// before the terminate that gives the port's receive right away; it echoes
// the flavour (CA5). The PERFORMANCE_INFO structure
// (memory_object_perf_info.html) holds the caching attribute.
TEST_F(Osf, UncachingACachedObjectCompletesThenTerminates) {
  make_ready();    // may_cache TRUE
  resident(0, 3);  // an object with pages goes into the cache
  ASSERT_EQ(driver.unmap(kid, oid), KERN_SUCCESS);
  ASSERT_TRUE(driver.cached(kid, oid));
  {
    Kernel::ExternalPagerCall as_pager(kernel);
    memory_object_perf_info perf{};
    perf.cluster_size = 4096;
    perf.may_cache_object = FALSE;
    std::vector<int> v(MEMORY_OBJECT_PERF_INFO_COUNT);
    std::memcpy(v.data(), &perf, sizeof perf);
    ASSERT_EQ(change(MEMORY_OBJECT_PERFORMANCE_INFO, v, object), KERN_SUCCESS);
  }
  EXPECT_FALSE(driver.cached(kid, oid));
  Buffer buf;
  ASSERT_EQ(receive_now(object, buf), MACH_MSG_SUCCESS);
  ASSERT_EQ(buf.head.msgh_id, 3409);
  ChangeCompletedMsg done;
  std::memcpy(&done, &buf, sizeof done);
  EXPECT_EQ(done.flavor, MEMORY_OBJECT_PERFORMANCE_INFO);
  mach_msg_destroy(&buf.head);
  EXPECT_EQ(drain(), (std::vector<mach_msg_id_t>{3401}));
  auto called = calls(ControlCall::change_attributes);
  ASSERT_EQ(called.size(), 2u);
  EXPECT_TRUE(called[1].accepted);
  EXPECT_FALSE(called[1].may_cache);
}

// memory_object_destroy.html (DS2): the kernel ends its use of the object
// and answers with memory_object_terminate (3401).
TEST_F(Osf, DestroyIsAnsweredWithTerminate) {
  make_ready();
  {
    Kernel::ExternalPagerCall as_pager(kernel);
    ASSERT_EQ(memory_object_destroy(control, KERN_SUCCESS), KERN_SUCCESS);
  }
  EXPECT_EQ(drain(), (std::vector<mach_msg_id_t>{3401}));
  auto called = calls(ControlCall::destroy);
  ASSERT_EQ(called.size(), 1u);
  EXPECT_TRUE(called[0].accepted);
}

// A GNU Mach kernel has no synchronize, and the OSF ids are unknown on its
// control ports.
TEST(OsfDialect, GnuMachKernelsDoNotSynchronize) {
  Kernel kernel;
  KernelDriver driver{kernel};
  Kernel::ExternalPagerCall as_pager(kernel);
  mach_port_t object = new_receive_right();
  ObjectId oid = driver.adopt(object, MACH_MSG_TYPE_MAKE_SEND, 1 << 20);
  KernelId kid = driver.attach(4096);
  ASSERT_EQ(driver.map(kid, oid), KERN_SUCCESS);
  EXPECT_EQ(driver.synchronize(kid, oid, 0, 4096, VM_SYNC_SYNCHRONOUS), KERN_INVALID_ARGUMENT);
  Buffer buf;
  ASSERT_EQ(receive_now(object, buf), MACH_MSG_SUCCESS);
  ASSERT_EQ(buf.head.msgh_id, 2200);
  mach_port_t control = 0;
  std::memcpy(&control, buf.body + 4, sizeof control);
  // An OSF call on a GNU Mach control port: an unknown routine.
  int attrs[32] = {};
  mach_msg_type_number_t count = 32;
  EXPECT_EQ(memory_object_get_attributes(control, MEMORY_OBJECT_ATTRIBUTES_INFO, attrs, &count),
            MIG_BAD_ID);
}

}  // namespace
}  // namespace emmi::mach::testing
