// SPDX-License-Identifier: MIT
// The control plane: the kernel side of the pager's control calls, checked
// against spec/gnumach-kernel.md section 3e. The test plays the pager by
// hand, with the MIG-generated control-call stubs.
#include <chrono>

#include "emmi/mach/kernel_driver.h"
#include "emmi/mach/stamp.h"
#include "test_support.h"

namespace emmi::mach::testing {
namespace {

using emmi::model::ControlCall;
using emmi::model::MessageKind;

#pragma pack(push, 4)
struct InitMsg {
  mach_msg_header_t head;
  mach_msg_type_t control_type;
  mach_port_t control;
  mach_msg_type_t name_type;
  mach_port_t name;
  mach_msg_type_t page_size_type;
  vm_size_t page_size;
};
struct CompletedMsg {  // supply_completed
  mach_msg_header_t head;
  mach_msg_type_t control_type;
  mach_port_t control;
  mach_msg_type_t offset_type;
  vm_offset_t offset;
  mach_msg_type_t length_type;
  vm_size_t length;
  mach_msg_type_t result_type;
  kern_return_t result;
  mach_msg_type_t error_offset_type;
  vm_offset_t error_offset;
};
#pragma pack(pop)

class ControlPlane : public ::testing::Test {
 protected:
  void SetUp() override {
    kernel.set_observer(&recorder);
    Kernel::ExternalPagerCall as_pager(kernel);
    object = new_receive_right();
    oid = driver.adopt(object, MACH_MSG_TYPE_MAKE_SEND, 1 << 20);
    ASSERT_NE(oid, 0u);
    kid = driver.attach(4096);
    ASSERT_EQ(driver.map(kid, oid), KERN_SUCCESS);
    Buffer buf;
    ASSERT_EQ(receive_now(object, buf), MACH_MSG_SUCCESS);
    ASSERT_EQ(buf.head.msgh_id, 2200);
    ASSERT_EQ(buf.head.msgh_size, 60u);
    InitMsg init;
    std::memcpy(&init, &buf, sizeof init);
    control = init.control;
    name = init.name;
    const vm_size_t page_size = init.page_size;  // packed field
    EXPECT_EQ(page_size, 4096u);
  }
  void TearDown() override { kernel.set_observer(nullptr); }

  // Make the object ready and bring the page at `offset` to "requested".
  void ready_and_request(vm_offset_t offset) {
    Kernel::ExternalPagerCall as_pager(kernel);
    ASSERT_EQ(memory_object_ready(control, TRUE, MEMORY_OBJECT_COPY_DELAY), KERN_SUCCESS);
    ASSERT_TRUE(driver.ready(kid, oid));
    ASSERT_EQ(driver.fault(kid, oid, offset, VM_PROT_READ), KERN_SUCCESS);
    Buffer buf;
    ASSERT_EQ(receive_now(object, buf), MACH_MSG_SUCCESS);
    ASSERT_EQ(buf.head.msgh_id, 2203);
  }

  kern_return_t supply(vm_offset_t offset, std::vector<Stamp> stamps, mach_port_t reply_to) {
    vm_address_t data = 0;
    const vm_size_t size = stamps.size() * 4096;
    EXPECT_EQ(vm_allocate(mach_task_self(), &data, size, TRUE), KERN_SUCCESS);
    fill_blocks({reinterpret_cast<std::uint8_t*>(data), size}, stamps);
    return memory_object_data_supply(control, offset, data, size, TRUE, VM_PROT_NONE, FALSE,
                                     reply_to);
  }

  Kernel kernel;
  Recorder recorder;
  KernelDriver driver{kernel};
  mach_port_t object = MACH_PORT_NULL;
  mach_port_t control = MACH_PORT_NULL;
  mach_port_t name = MACH_PORT_NULL;
  ObjectId oid = 0;
  KernelId kid = 0;
};

TEST_F(ControlPlane, SupplyFillsTheRequestedPageAndCompletesOnce) {
  ready_and_request(0);
  Kernel::ExternalPagerCall as_pager(kernel);
  ASSERT_EQ(supply(0, {11}, object), KERN_SUCCESS);
  auto page = driver.page(kid, oid, 0);
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(page->state, KernelDriver::PageState::resident);
  EXPECT_EQ(page->stamps, std::vector<Stamp>{11});
  Buffer buf;
  ASSERT_EQ(receive_now(object, buf), MACH_MSG_SUCCESS);
  ASSERT_EQ(buf.head.msgh_id, 2207);
  CompletedMsg done;
  std::memcpy(&done, &buf, sizeof done);
  EXPECT_EQ(done.result, KERN_SUCCESS);
  EXPECT_EQ(done.control, control);

  // Supplying the same page again: KERN_MEMORY_PRESENT in exactly one
  // supply_completed; GNU Mach's second destruction of reply_to (a
  // send-once notification after the completion) is not copied.
  ASSERT_EQ(supply(0, {12}, object), KERN_SUCCESS);
  ASSERT_EQ(receive_now(object, buf), MACH_MSG_SUCCESS);
  ASSERT_EQ(buf.head.msgh_id, 2207);
  std::memcpy(&done, &buf, sizeof done);
  EXPECT_EQ(done.result, KERN_MEMORY_PRESENT);
  const vm_offset_t error_offset = done.error_offset;  // packed field
  EXPECT_EQ(error_offset, 0u);
  EXPECT_EQ(receive_now(object, buf), MACH_RCV_TIMED_OUT);
  EXPECT_EQ(driver.page(kid, oid, 0)->stamps, std::vector<Stamp>{11});

  auto calls = recorder.of<emmi::model::ControlCalled>();
  ASSERT_EQ(calls.size(), 3u);  // ready, two supplies
  EXPECT_EQ(calls[1].call, ControlCall::data_supply);
  EXPECT_TRUE(calls[1].accepted);
  EXPECT_EQ(calls[1].stamps, std::vector<Stamp>{11});
  EXPECT_EQ(calls[1].reply_to, object);
  EXPECT_EQ(calls[1].control, control);
}

// "data size a multiple of PAGE_SIZE": a bad size is rejected, the message
// destroyed, and the send-once reply_to becomes a send-once notification
// (msgh_id 71) instead of a supply_completed.
TEST_F(ControlPlane, BadSizeIsRejectedAndReplyToYieldsSendOnceNotification) {
  ready_and_request(0);
  Kernel::ExternalPagerCall as_pager(kernel);
  vm_address_t data = 0;
  ASSERT_EQ(vm_allocate(mach_task_self(), &data, 4096, TRUE), KERN_SUCCESS);
  ASSERT_EQ(memory_object_data_supply(control, 0, data, 100, FALSE, VM_PROT_NONE, FALSE, object),
            KERN_SUCCESS) << "a simpleroutine: the pager never sees the error";
  Buffer buf;
  ASSERT_EQ(receive_now(object, buf), MACH_MSG_SUCCESS);
  EXPECT_EQ(buf.head.msgh_id, MACH_NOTIFY_SEND_ONCE);
  EXPECT_EQ(receive_now(object, buf), MACH_RCV_TIMED_OUT);
  EXPECT_EQ(driver.page(kid, oid, 0)->state, KernelDriver::PageState::requested);
  auto calls = recorder.of<emmi::model::ControlCalled>();
  ASSERT_FALSE(calls.empty());
  EXPECT_EQ(calls.back().call, ControlCall::data_supply);
  EXPECT_FALSE(calls.back().accepted);
  auto sent = recorder.of<emmi::model::KernelSent>();
  EXPECT_EQ(sent.back().kind, MessageKind::send_once);
  EXPECT_EQ(sent.back().destination, object);
}

TEST_F(ControlPlane, ChangeAttributesCompletesOnceEvenWithABadStrategy) {
  Kernel::ExternalPagerCall as_pager(kernel);
  ASSERT_EQ(memory_object_change_attributes(control, TRUE, 42, object), KERN_SUCCESS);
  EXPECT_FALSE(driver.ready(kid, oid));
  Buffer buf;
  ASSERT_EQ(receive_now(object, buf), MACH_MSG_SUCCESS);
  EXPECT_EQ(buf.head.msgh_id, 2209);
  EXPECT_EQ(receive_now(object, buf), MACH_RCV_TIMED_OUT) << "no second destruction of reply_to";
  EXPECT_FALSE(recorder.of<emmi::model::ControlCalled>().back().accepted);

  ASSERT_EQ(memory_object_change_attributes(control, FALSE, MEMORY_OBJECT_COPY_NONE, object),
            KERN_SUCCESS);
  EXPECT_TRUE(driver.ready(kid, oid));
  ASSERT_EQ(receive_now(object, buf), MACH_MSG_SUCCESS);
  EXPECT_EQ(buf.head.msgh_id, 2209);

  boolean_t ready = FALSE;
  boolean_t may_cache = TRUE;
  memory_object_copy_strategy_t strategy = -1;
  ASSERT_EQ(memory_object_get_attributes(control, &ready, &may_cache, &strategy), KERN_SUCCESS);
  EXPECT_TRUE(ready);
  EXPECT_FALSE(may_cache);
  EXPECT_EQ(strategy, MEMORY_OBJECT_COPY_NONE);
}

TEST_F(ControlPlane, UnavailableZeroFillsAndErrorFailsOnlyRequestedPages) {
  ready_and_request(0);
  {
    Kernel::ExternalPagerCall as_pager(kernel);
    ASSERT_EQ(driver.fault(kid, oid, 4096, VM_PROT_READ), KERN_SUCCESS);
    ASSERT_EQ(memory_object_data_unavailable(control, 0, 4096), KERN_SUCCESS);
    ASSERT_EQ(memory_object_data_error(control, 4096, 4096, KERN_FAILURE), KERN_SUCCESS);
    ASSERT_EQ(memory_object_data_error(control, 8192, 10, KERN_FAILURE), KERN_SUCCESS);
  }
  EXPECT_EQ(driver.page(kid, oid, 0)->state, KernelDriver::PageState::resident);
  EXPECT_EQ(driver.page(kid, oid, 0)->stamps, std::vector<Stamp>{0});
  EXPECT_EQ(driver.page(kid, oid, 4096)->state, KernelDriver::PageState::error);
  EXPECT_FALSE(driver.page(kid, oid, 8192).has_value());
  auto calls = recorder.of<emmi::model::ControlCalled>();
  ASSERT_GE(calls.size(), 3u);
  EXPECT_TRUE(calls[calls.size() - 3].accepted);
  EXPECT_TRUE(calls[calls.size() - 2].accepted);
  EXPECT_FALSE(calls.back().accepted) << "size 10 is not a page multiple";
}

// lock_request: data_return clusters first, then lock_completed; a flush
// drops the pages.
TEST_F(ControlPlane, LockRequestReturnsDirtyPagesThenCompletes) {
  ready_and_request(0);
  Kernel::ExternalPagerCall as_pager(kernel);
  ASSERT_EQ(supply(0, {5}, MACH_PORT_NULL), KERN_SUCCESS);
  ASSERT_EQ(driver.write(kid, oid, 0, std::vector<Stamp>{6}), KERN_SUCCESS);
  ASSERT_EQ(memory_object_lock_request(control, 0, 4096, MEMORY_OBJECT_RETURN_DIRTY, TRUE,
                                       VM_PROT_NO_CHANGE, object),
            KERN_SUCCESS);
  Buffer buf;
  ASSERT_EQ(receive_now(object, buf), MACH_MSG_SUCCESS);
  EXPECT_EQ(buf.head.msgh_id, 2208);
  auto sent = recorder.of<emmi::model::KernelSent>();
  EXPECT_EQ(sent[sent.size() - 2].kind, MessageKind::data_return);
  EXPECT_EQ(sent[sent.size() - 2].stamps, std::vector<Stamp>{6});
  EXPECT_TRUE(sent[sent.size() - 2].dirty);
  EXPECT_FALSE(sent[sent.size() - 2].kernel_copy);
  mach_msg_destroy(&buf.head);
  ASSERT_EQ(receive_now(object, buf), MACH_MSG_SUCCESS);
  EXPECT_EQ(buf.head.msgh_id, 2206);
  EXPECT_FALSE(driver.page(kid, oid, 0).has_value());
}

// memory_object_destroy: the kernel sends terminate with all the rights
// (section 3b); afterwards the old control port is stale.
TEST_F(ControlPlane, DestroyLeadsToTerminateAndStaleControl) {
  Kernel::ExternalPagerCall as_pager(kernel);
  ASSERT_EQ(memory_object_destroy(control, KERN_SUCCESS), KERN_SUCCESS);
  EXPECT_FALSE(driver.mapped(kid, oid));
  EXPECT_EQ(driver.destroyed_by_pager(kid, oid), 1u);
  Buffer buf;
  ASSERT_EQ(receive_now(object, buf), MACH_MSG_SUCCESS);
  EXPECT_EQ(buf.head.msgh_id, 2201);
  InitMsg term;  // same first fields: control and name
  std::memcpy(&term, &buf, sizeof term);
  EXPECT_EQ(term.control, control);
  EXPECT_EQ(term.control_type.msgt_name, static_cast<unsigned>(MACH_MSG_TYPE_PORT_RECEIVE));
  EXPECT_EQ(term.name, name);
  EXPECT_EQ(refs(control, MACH_PORT_RIGHT_RECEIVE), 1u);
  EXPECT_EQ(refs(control, MACH_PORT_RIGHT_SEND), 1u);

  // The pager now holds the receive right: a control call is queued on its
  // own port, not served, and reported as not accepted.
  recorder.clear();
  ASSERT_EQ(memory_object_ready(control, TRUE, MEMORY_OBJECT_COPY_NONE), KERN_SUCCESS);
  EXPECT_EQ(status_of(control).mps_msgcount, 1u);
  auto calls = recorder.of<emmi::model::ControlCalled>();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_FALSE(calls[0].accepted);
  EXPECT_EQ(calls[0].call, ControlCall::ready);
  ASSERT_EQ(mach_port_destroy(mach_task_self(), control), KERN_SUCCESS);
  ASSERT_EQ(mach_port_destroy(mach_task_self(), name), KERN_SUCCESS);
}

}  // namespace
}  // namespace emmi::mach::testing
