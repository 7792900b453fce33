// SPDX-License-Identifier: MIT
// The control plane: the kernel side of the pager's control calls, checked
// against spec/gnumach-kernel.md section 3e. The test plays the pager by
// hand, with the MIG-generated control-call stubs.
#include <chrono>

#include "emmi/mach/kernel_driver.h"
#include "emmi/mach/stamp.h"
#include "emmi/mach/withdrawn.h"
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

  kern_return_t supply_locked(vm_offset_t offset, std::vector<Stamp> stamps, vm_prot_t lock,
                              boolean_t precious = FALSE) {
    vm_address_t data = 0;
    const vm_size_t size = stamps.size() * 4096;
    EXPECT_EQ(vm_allocate(mach_task_self(), &data, size, TRUE), KERN_SUCCESS);
    fill_blocks({reinterpret_cast<std::uint8_t*>(data), size}, stamps);
    return memory_object_data_supply(control, offset, data, size, TRUE, lock, precious,
                                     MACH_PORT_NULL);
  }

  // The ids of every message queued on the object port, oldest first
  // (their rights and memory released).
  std::vector<mach_msg_id_t> drain() {
    std::vector<mach_msg_id_t> ids;
    Buffer buf;
    while (receive_now(object, buf) == MACH_MSG_SUCCESS) {
      ids.push_back(buf.head.msgh_id);
      mach_msg_destroy(&buf.head);
    }
    return ids;
  }

  // The kernel's messages to the pager of kind `kind`, in send order.
  std::vector<emmi::model::KernelSent> sent(MessageKind kind) {
    std::vector<emmi::model::KernelSent> out;
    for (auto& e : recorder.of<emmi::model::KernelSent>())
      if (e.kind == kind) out.push_back(e);
    return out;
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
  // The event says where the kernel stopped (§3e), for the model to follow.
  EXPECT_FALSE(calls[1].present_at.has_value());
  EXPECT_EQ(calls[2].present_at, std::optional<emmi::model::Offset>{0});
}

// §3e: the kernel checks a supply's size, not where its data lay; it copies
// the out-of-line data when the message is sent. The event says where the
// data lay in the sender's space, and that space's page size, for the model
// to judge SU9 (data page aligned in the sender's space).
TEST_F(ControlPlane, SupplyRecordsWhereItsDataLayInTheSendersSpace) {
  ready_and_request(0);
  Kernel::ExternalPagerCall as_pager(kernel);
  vm_address_t data = 0;
  ASSERT_EQ(vm_allocate(mach_task_self(), &data, 2 * 4096, TRUE), KERN_SUCCESS);
  const std::vector<Stamp> stamps{21};
  fill_blocks({reinterpret_cast<std::uint8_t*>(data + 8), 4096}, stamps);
  ASSERT_EQ(memory_object_data_supply(control, 0, data + 8, 4096, FALSE, VM_PROT_NONE, FALSE,
                                      MACH_PORT_NULL),
            KERN_SUCCESS);
  auto page = driver.page(kid, oid, 0);
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(page->state, KernelDriver::PageState::resident);
  EXPECT_EQ(page->stamps, std::vector<Stamp>{21});
  auto calls = recorder.of<emmi::model::ControlCalled>();
  ASSERT_FALSE(calls.empty());
  EXPECT_TRUE(calls.back().accepted);
  EXPECT_EQ(calls.back().data_address, std::optional<std::uint64_t>{data + 8});
  EXPECT_EQ(calls.back().data_page_size, 4096u);
}

// memory_object_data_supply.html: with deallocate TRUE "the pages to be
// copied (starting at data) will be deallocated from the memory manager's
// address space" (mach_msg.html: as if by vm_deallocate; GNU Mach:
// vm_map_copyin with src_destroy). The kernel took the data first; the
// pager's pages are withdrawn with a record naming the supply (SU10), and
// the event says so for the model to count SU10. Data sent without
// deallocate stays the pager's.
TEST_F(ControlPlane, SupplyWithDeallocateWithdrawsItsPagesAndSaysSo) {
  ready_and_request(0);
  Kernel::ExternalPagerCall as_pager(kernel);
  vm_address_t data = 0;
  ASSERT_EQ(vm_allocate(mach_task_self(), &data, 4096, TRUE), KERN_SUCCESS);
  fill_blocks({reinterpret_cast<std::uint8_t*>(data), 4096}, std::vector<Stamp>{31});
  ASSERT_EQ(memory_object_data_supply(control, 0, data, 4096, TRUE, VM_PROT_NONE, FALSE,
                                      MACH_PORT_NULL),
            KERN_SUCCESS);
  EXPECT_EQ(driver.page(kid, oid, 0)->stamps, std::vector<Stamp>{31});
  auto calls = recorder.of<emmi::model::ControlCalled>();
  ASSERT_FALSE(calls.empty());
  EXPECT_TRUE(calls.back().accepted);
  EXPECT_TRUE(calls.back().data_withdrawn);
  emmi::mach::WithdrawnPages w;
  ASSERT_TRUE(emmi::mach::withdrawn_pages_at(data + 8, &w));
  EXPECT_EQ(w.start, data);
  EXPECT_EQ(w.end, data + 4096);
  EXPECT_EQ(w.call, emmi::model::ControlCall::data_supply);
  EXPECT_STREQ(w.rule, "SU10");
  EXPECT_TRUE(w.has_offset);
  EXPECT_EQ(w.offset, 0u);
  EXPECT_EQ(w.size, 4096u);

  // The next page, supplied without deallocate: the pager keeps it.
  ASSERT_EQ(driver.fault(kid, oid, 0x1000, VM_PROT_READ), KERN_SUCCESS);
  vm_address_t kept = 0;
  ASSERT_EQ(vm_allocate(mach_task_self(), &kept, 4096, TRUE), KERN_SUCCESS);
  fill_blocks({reinterpret_cast<std::uint8_t*>(kept), 4096}, std::vector<Stamp>{32});
  ASSERT_EQ(memory_object_data_supply(control, 0x1000, kept, 4096, FALSE, VM_PROT_NONE, FALSE,
                                      MACH_PORT_NULL),
            KERN_SUCCESS);
  EXPECT_FALSE(recorder.of<emmi::model::ControlCalled>().back().data_withdrawn);
  EXPECT_FALSE(emmi::mach::withdrawn_pages_at(kept, nullptr));
  EXPECT_EQ(read_blocks(reinterpret_cast<void*>(kept), 4096), std::vector<Stamp>{32});
  EXPECT_EQ(vm_deallocate(mach_task_self(), kept, 4096), KERN_SUCCESS);
}

// §3e, X6: a supply reaching beyond the requested page (a read-ahead) stops
// at the first page the kernel already holds, before the requested page
// here: nothing is taken, the requested page stays requested, and the one
// supply_completed, at the reply port the pager named (SU11), says
// KERN_MEMORY_PRESENT with that error_offset and echoes the supply's offset
// and length (SC4, SC6).
TEST_F(ControlPlane, SupplyInAdvanceStopsAtAPresentPageBeforeTheRequestedOne) {
  ready_and_request(0x1000);
  Kernel::ExternalPagerCall as_pager(kernel);
  // Page 0 supplied in advance, unrequested: GNU Mach inserts it.
  ASSERT_EQ(supply(0, {30}, MACH_PORT_NULL), KERN_SUCCESS);
  ASSERT_EQ(driver.page(kid, oid, 0)->state, KernelDriver::PageState::resident);
  // Pages 0..2 with a reply port: page 0 is present.
  ASSERT_EQ(supply(0, {40, 41, 42}, object), KERN_SUCCESS);
  EXPECT_EQ(driver.page(kid, oid, 0)->stamps, std::vector<Stamp>{30});
  EXPECT_EQ(driver.page(kid, oid, 0x1000)->state, KernelDriver::PageState::requested);
  EXPECT_FALSE(driver.page(kid, oid, 0x2000).has_value());
  Buffer buf;
  ASSERT_EQ(receive_now(object, buf), MACH_MSG_SUCCESS);
  ASSERT_EQ(buf.head.msgh_id, 2207);
  CompletedMsg done;
  std::memcpy(&done, &buf, sizeof done);
  EXPECT_EQ(done.result, KERN_MEMORY_PRESENT);
  const vm_offset_t error_offset = done.error_offset;  // packed fields
  const vm_offset_t offset = done.offset;
  const vm_size_t length = done.length;
  EXPECT_EQ(error_offset, 0u);
  EXPECT_EQ(offset, 0u);
  EXPECT_EQ(length, 0x3000u);
  EXPECT_EQ(receive_now(object, buf), MACH_RCV_TIMED_OUT);
  auto calls = recorder.of<emmi::model::ControlCalled>();
  ASSERT_FALSE(calls.empty());
  EXPECT_EQ(calls.back().present_at, std::optional<emmi::model::Offset>{0});
  EXPECT_EQ(calls.back().reply_to, object);
  auto completions = sent(MessageKind::supply_completed);
  ASSERT_EQ(completions.size(), 1u);
  EXPECT_EQ(completions[0].destination, object);

  // The requested page, supplied again alone, is taken.
  ASSERT_EQ(supply(0x1000, {41}, MACH_PORT_NULL), KERN_SUCCESS);
  EXPECT_EQ(driver.page(kid, oid, 0x1000)->state, KernelDriver::PageState::resident);
  EXPECT_EQ(driver.page(kid, oid, 0x1000)->stamps, std::vector<Stamp>{41});
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
            KERN_SUCCESS)
      << "a simpleroutine: the pager never sees the error";
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

// --- Page locks (gnumach-kernel.md §3c, §3e) ---------------------------------

// §3c: a write to a page whose lock forbids writing sends one data_unlock for
// that page with the union of the access asked so far, and the write waits:
// the page is not dirtied. The pager's lock_request lifting the lock lets the
// write happen; with MACH_PORT_NULL as reply_to no lock_completed is sent.
TEST_F(ControlPlane, WriteToAWriteLockedPageWaitsForTheUnlock) {
  ready_and_request(0);
  Kernel::ExternalPagerCall as_pager(kernel);
  ASSERT_EQ(supply_locked(0, {5}, VM_PROT_WRITE), KERN_SUCCESS);
  EXPECT_EQ(driver.page(kid, oid, 0)->lock, Prot{VM_PROT_WRITE});
  ASSERT_EQ(driver.write(kid, oid, 0, std::vector<Stamp>{6}), KERN_SUCCESS);
  auto page = driver.page(kid, oid, 0);
  EXPECT_FALSE(page->dirty);
  EXPECT_TRUE(page->pending_write);
  EXPECT_EQ(page->stamps, std::vector<Stamp>{5});
  // A second write while the first waits asks for nothing new.
  ASSERT_EQ(driver.write(kid, oid, 0, std::vector<Stamp>{7}), KERN_SUCCESS);
  EXPECT_EQ(drain(), std::vector<mach_msg_id_t>{2204});
  auto unlocks = sent(MessageKind::data_unlock);
  ASSERT_EQ(unlocks.size(), 1u);
  EXPECT_EQ(unlocks[0].offset, 0u);
  EXPECT_EQ(unlocks[0].length, 4096u);
  EXPECT_EQ(unlocks[0].access, Prot{VM_PROT_READ | VM_PROT_WRITE});

  ASSERT_EQ(memory_object_lock_request(control, 0, 4096, MEMORY_OBJECT_RETURN_NONE, FALSE,
                                       VM_PROT_NONE, MACH_PORT_NULL),
            KERN_SUCCESS);
  page = driver.page(kid, oid, 0);
  EXPECT_TRUE(page->dirty);
  EXPECT_FALSE(page->pending_write);
  EXPECT_EQ(page->stamps, std::vector<Stamp>{7});
  EXPECT_EQ(page->lock, Prot{VM_PROT_NONE});
  EXPECT_TRUE(drain().empty());  // no completion asked for
}

// UL4/UL5 as the kernel lives them: the pager refuses by flushing the page;
// the waiting write faults it in again (data_request with the write access)
// and a data_error answering that fails the write.
TEST_F(ControlPlane, AFlushRefusingAnUnlockMakesTheWriteFaultAgain) {
  ready_and_request(0);
  Kernel::ExternalPagerCall as_pager(kernel);
  ASSERT_EQ(supply_locked(0, {5}, VM_PROT_WRITE), KERN_SUCCESS);
  ASSERT_EQ(driver.write(kid, oid, 0, std::vector<Stamp>{6}), KERN_SUCCESS);
  ASSERT_EQ(memory_object_lock_request(control, 0, 4096, MEMORY_OBJECT_RETURN_NONE, TRUE,
                                       VM_PROT_NO_CHANGE, object),
            KERN_SUCCESS);
  // unlock, lock_completed, then the fault's data_request.
  EXPECT_EQ(drain(), (std::vector<mach_msg_id_t>{2204, 2206, 2203}));
  auto requests = sent(MessageKind::data_request);
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].access, Prot{VM_PROT_READ | VM_PROT_WRITE});
  EXPECT_TRUE(sent(MessageKind::data_return).empty());  // the page was clean
  EXPECT_EQ(driver.page(kid, oid, 0)->state, KernelDriver::PageState::requested);
  ASSERT_EQ(memory_object_data_error(control, 0, 4096, KERN_MEMORY_ERROR), KERN_SUCCESS);
  auto page = driver.page(kid, oid, 0);
  EXPECT_EQ(page->state, KernelDriver::PageState::error);
  EXPECT_FALSE(page->pending_write);
}

// §3c (vm_fault_page): a fault for write answered with a page whose lock
// forbids writing asks to unlock it.
TEST_F(ControlPlane, AWriteFaultSuppliedWriteLockedAsksToUnlock) {
  Kernel::ExternalPagerCall as_pager(kernel);
  ASSERT_EQ(memory_object_ready(control, TRUE, MEMORY_OBJECT_COPY_DELAY), KERN_SUCCESS);
  ASSERT_EQ(driver.fault(kid, oid, 0, VM_PROT_READ | VM_PROT_WRITE), KERN_SUCCESS);
  ASSERT_EQ(supply_locked(0, {5}, VM_PROT_WRITE), KERN_SUCCESS);
  EXPECT_EQ(drain(), (std::vector<mach_msg_id_t>{2203, 2204}));
  // A read fault answered the same way asks for nothing.
  ASSERT_EQ(driver.fault(kid, oid, 4096, VM_PROT_READ), KERN_SUCCESS);
  ASSERT_EQ(supply_locked(4096, {8}, VM_PROT_WRITE), KERN_SUCCESS);
  EXPECT_EQ(drain(), std::vector<mach_msg_id_t>{2203});
}

// §3c (PAGEOUT_PAGES): lock_request returns contiguous dirty pages in
// clusters of at most 32 pages, kernel_copy = !should_flush, keeps clean
// copies without a flush, sets the lock value on every cached page of the
// range (LK4, LK7), then completes with the request's offset and size (LK9).
TEST_F(ControlPlane, LockRequestReturnsClustersOfAtMost32PagesThenCompletes) {
  Kernel::ExternalPagerCall as_pager(kernel);
  ASSERT_EQ(memory_object_ready(control, TRUE, MEMORY_OBJECT_COPY_DELAY), KERN_SUCCESS);
  std::vector<Stamp> stamps(34);
  for (std::size_t i = 0; i < stamps.size(); ++i) stamps[i] = 100 + i;
  // Supplying in advance is allowed (§3e): 34 pages, then one not cached.
  ASSERT_EQ(supply_locked(0, stamps, VM_PROT_NONE), KERN_SUCCESS);
  for (std::size_t i = 0; i < 34; ++i)
    ASSERT_EQ(driver.write(kid, oid, i * 4096, std::vector<Stamp>{200 + i}), KERN_SUCCESS);
  ASSERT_EQ(memory_object_lock_request(control, 0, 36 * 4096 - 1, MEMORY_OBJECT_RETURN_DIRTY, FALSE,
                                       VM_PROT_WRITE, object),
            KERN_SUCCESS);
  EXPECT_EQ(drain(), (std::vector<mach_msg_id_t>{2208, 2208, 2206}));
  auto returns = sent(MessageKind::data_return);
  ASSERT_EQ(returns.size(), 2u);
  EXPECT_EQ(returns[0].offset, 0u);
  EXPECT_EQ(returns[0].length, 32u * 4096);
  EXPECT_EQ(returns[1].offset, 32u * 4096);
  EXPECT_EQ(returns[1].length, 2u * 4096);
  EXPECT_EQ(returns[1].stamps, (std::vector<Stamp>{232, 233}));
  EXPECT_TRUE(returns[0].dirty);
  EXPECT_TRUE(returns[0].kernel_copy);
  auto done = sent(MessageKind::lock_completed);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].offset, 0u);
  EXPECT_EQ(done[0].length, 36u * 4096 - 1);
  auto page = driver.page(kid, oid, 33 * 4096);
  ASSERT_TRUE(page.has_value());
  EXPECT_FALSE(page->dirty);
  EXPECT_EQ(page->lock, Prot{VM_PROT_WRITE});
  EXPECT_FALSE(driver.page(kid, oid, 34 * 4096).has_value());  // LK7: nothing to lock

  // VM_PROT_NO_CHANGE keeps the lock; RETURN_NONE with a flush drops every
  // page without writing anything back (LK14).
  ASSERT_EQ(driver.write(kid, oid, 0, std::vector<Stamp>{300}), KERN_SUCCESS);
  EXPECT_TRUE(driver.page(kid, oid, 0)->pending_write);
  ASSERT_EQ(memory_object_lock_request(control, 4096, 33 * 4096, MEMORY_OBJECT_RETURN_NONE, TRUE,
                                       VM_PROT_NO_CHANGE, MACH_PORT_NULL),
            KERN_SUCCESS);
  EXPECT_EQ(drain(), std::vector<mach_msg_id_t>{2204});
  EXPECT_EQ(sent(MessageKind::data_return).size(), 2u);
  EXPECT_EQ(driver.pages(kid, oid).size(), 1u);
  EXPECT_EQ(driver.page(kid, oid, 0)->lock, Prot{VM_PROT_WRITE});
}

// LK12: RETURN_ALL returns precious pages even when clean (dirty FALSE);
// RETURN_DIRTY does not (LK11: the kernel stays responsible for them).
TEST_F(ControlPlane, ReturnAllReturnsCleanPreciousPagesReturnDirtyDoesNot) {
  ready_and_request(0);
  Kernel::ExternalPagerCall as_pager(kernel);
  ASSERT_EQ(supply_locked(0, {9}, VM_PROT_NONE, TRUE), KERN_SUCCESS);
  ASSERT_EQ(memory_object_lock_request(control, 0, 4096, MEMORY_OBJECT_RETURN_DIRTY, FALSE,
                                       VM_PROT_NO_CHANGE, MACH_PORT_NULL),
            KERN_SUCCESS);
  EXPECT_TRUE(drain().empty());
  ASSERT_EQ(memory_object_lock_request(control, 0, 4096, MEMORY_OBJECT_RETURN_ALL, FALSE,
                                       VM_PROT_NO_CHANGE, MACH_PORT_NULL),
            KERN_SUCCESS);
  EXPECT_EQ(drain(), std::vector<mach_msg_id_t>{2208});
  auto returns = sent(MessageKind::data_return);
  ASSERT_EQ(returns.size(), 1u);
  EXPECT_FALSE(returns[0].dirty);
  EXPECT_EQ(returns[0].stamps, std::vector<Stamp>{9});
}

}  // namespace
}  // namespace emmi::mach::testing

// --- Pageout (residency.cpp, gnumach-kernel.md §3c) ------------------------------

namespace emmi::mach::testing {
namespace {

// §3c, vm_pageout_page: a clean page that is not precious is freed without a
// message (RT3); a dirty one comes back with dirty TRUE and no kernel copy.
TEST_F(ControlPlane, PageoutDropsACleanPageSilentlyAndReturnsADirtyOne) {
  ready_and_request(0);
  Kernel::ExternalPagerCall as_pager(kernel);
  ASSERT_EQ(driver.fault(kid, oid, 4096, VM_PROT_READ), KERN_SUCCESS);
  drain();
  ASSERT_EQ(supply(0, {5}, MACH_PORT_NULL), KERN_SUCCESS);
  ASSERT_EQ(supply(4096, {7}, MACH_PORT_NULL), KERN_SUCCESS);
  recorder.clear();
  EXPECT_EQ(driver.evict(kid, oid, 0), KernelDriver::Eviction::dropped);
  EXPECT_FALSE(driver.page(kid, oid, 0).has_value());
  EXPECT_TRUE(sent(MessageKind::data_return).empty()) << "no notice of a dropped clean page";
  EXPECT_TRUE(drain().empty());

  ASSERT_EQ(driver.write(kid, oid, 4096, std::vector<Stamp>{8}), KERN_SUCCESS);
  EXPECT_EQ(driver.evict(kid, oid, 4096), KernelDriver::Eviction::returned);
  auto returns = sent(MessageKind::data_return);
  ASSERT_EQ(returns.size(), 1u);
  EXPECT_EQ(returns[0].offset, 4096u);
  EXPECT_EQ(returns[0].stamps, std::vector<Stamp>{8});
  EXPECT_TRUE(returns[0].dirty);
  EXPECT_FALSE(returns[0].kernel_copy);
  EXPECT_EQ(drain(), std::vector<mach_msg_id_t>{2208});
  // A page not resident is not the pageout's to take; the dropped page is
  // faulted in again with a new data_request.
  EXPECT_EQ(driver.evict(kid, oid, 0), KernelDriver::Eviction::none);
  EXPECT_EQ(driver.fault(kid, oid, 0, VM_PROT_READ), KERN_SUCCESS);
  EXPECT_EQ(drain(), std::vector<mach_msg_id_t>{2203});
}

// §3c: "dirty is TRUE unless the page is precious and clean": a clean
// precious page comes back (SU7) with dirty FALSE and no kernel copy.
TEST_F(ControlPlane, PageoutReturnsACleanPreciousPageAsNotDirty) {
  ready_and_request(0);
  Kernel::ExternalPagerCall as_pager(kernel);
  ASSERT_EQ(supply_locked(0, {9}, VM_PROT_NONE, TRUE), KERN_SUCCESS);
  ASSERT_TRUE(driver.page(kid, oid, 0)->precious);
  recorder.clear();
  EXPECT_EQ(driver.evict(kid, oid, 0), KernelDriver::Eviction::returned);
  auto returns = sent(MessageKind::data_return);
  ASSERT_EQ(returns.size(), 1u);
  EXPECT_EQ(returns[0].stamps, std::vector<Stamp>{9});
  EXPECT_FALSE(returns[0].dirty);
  EXPECT_FALSE(returns[0].kernel_copy);
  EXPECT_FALSE(driver.page(kid, oid, 0).has_value());
  EXPECT_EQ(drain(), std::vector<mach_msg_id_t>{2208});
}

// §3c (vm_fault_page waits on the page): a page a write is waiting on, for
// the pager's unlock, is not paged out.
TEST_F(ControlPlane, PageoutLeavesAPageAWriteWaitsOn) {
  ready_and_request(0);
  Kernel::ExternalPagerCall as_pager(kernel);
  ASSERT_EQ(supply_locked(0, {5}, VM_PROT_WRITE), KERN_SUCCESS);
  ASSERT_EQ(driver.write(kid, oid, 0, std::vector<Stamp>{6}), KERN_SUCCESS);
  ASSERT_TRUE(driver.page(kid, oid, 0)->pending_write);
  EXPECT_EQ(driver.evict(kid, oid, 0), KernelDriver::Eviction::none);
  EXPECT_TRUE(driver.page(kid, oid, 0).has_value());
}

// gnumach-kernel.md §3d, trigger 1: when the last mapping goes, an object
// made ready with may_cache TRUE that still has pages goes into the object
// cache, with no message to the pager. Mapping it again takes it out of the
// cache as it is: no init, its pages and control port still the kernel's.
// The pageout daemon collecting it (trigger 2) returns its dirty pages and
// terminates it.
TEST_F(ControlPlane, UnmapCachesAMayCacheObjectWithPagesAndMapTakesItBackWithoutInit) {
  ready_and_request(0);  // ready(may_cache TRUE)
  Kernel::ExternalPagerCall as_pager(kernel);
  ASSERT_EQ(supply(0, {5}, MACH_PORT_NULL), KERN_SUCCESS);
  ASSERT_EQ(driver.write(kid, oid, 0, std::vector<Stamp>{6}), KERN_SUCCESS);
  drain();
  ASSERT_EQ(driver.unmap(kid, oid), KERN_SUCCESS);
  EXPECT_TRUE(driver.cached(kid, oid));
  EXPECT_TRUE(drain().empty()) << "caching the object sends nothing";
  EXPECT_EQ(driver.fault(kid, oid, 4096, VM_PROT_READ), KERN_INVALID_ARGUMENT)
      << "no task maps a cached object";
  EXPECT_EQ(driver.unmap(kid, oid), KERN_INVALID_ARGUMENT);
  // The pager's control port still works on a cached object.
  ASSERT_EQ(supply(4096, {7}, MACH_PORT_NULL), KERN_SUCCESS);

  ASSERT_EQ(driver.map(kid, oid), KERN_SUCCESS);
  EXPECT_FALSE(driver.cached(kid, oid));
  EXPECT_TRUE(driver.ready(kid, oid));
  EXPECT_TRUE(drain().empty()) << "a cached object is reused without a new init";
  EXPECT_EQ(driver.page(kid, oid, 0)->stamps, std::vector<Stamp>{6});
  EXPECT_EQ(driver.page(kid, oid, 4096)->stamps, std::vector<Stamp>{7});

  EXPECT_EQ(driver.collect(kid, oid), KERN_INVALID_ARGUMENT) << "only a cached object is collected";
  ASSERT_EQ(driver.unmap(kid, oid), KERN_SUCCESS);
  ASSERT_TRUE(driver.cached(kid, oid));
  recorder.clear();
  ASSERT_EQ(driver.collect(kid, oid), KERN_SUCCESS);
  EXPECT_FALSE(driver.mapped(kid, oid));
  auto returns = sent(MessageKind::data_return);
  ASSERT_EQ(returns.size(), 1u) << "the dirty page comes back, the clean one is freed";
  EXPECT_EQ(returns[0].stamps, std::vector<Stamp>{6});
  EXPECT_EQ(drain(), (std::vector<mach_msg_id_t>{2208, 2201}));
  // A later mapping is a new object: init again.
  ASSERT_EQ(driver.map(kid, oid), KERN_SUCCESS);
  EXPECT_EQ(drain(), std::vector<mach_msg_id_t>{2200});
}

// §3d, trigger 2: the pageout daemon reclaims a cached object's pages one
// by one (a dirty one comes back, a clean one is freed); when the last one
// goes, the object is collected: terminate.
TEST_F(ControlPlane, ACachedObjectLosingItsLastPageIsTerminated) {
  ready_and_request(0);
  Kernel::ExternalPagerCall as_pager(kernel);
  ASSERT_EQ(driver.fault(kid, oid, 4096, VM_PROT_READ), KERN_SUCCESS);
  ASSERT_EQ(supply(0, {5}, MACH_PORT_NULL), KERN_SUCCESS);
  ASSERT_EQ(supply(4096, {6}, MACH_PORT_NULL), KERN_SUCCESS);
  ASSERT_EQ(driver.write(kid, oid, 4096, std::vector<Stamp>{7}), KERN_SUCCESS);
  drain();
  ASSERT_EQ(driver.unmap(kid, oid), KERN_SUCCESS);
  ASSERT_TRUE(driver.cached(kid, oid));
  EXPECT_EQ(driver.evict(kid, oid, 0), KernelDriver::Eviction::dropped);
  EXPECT_TRUE(driver.cached(kid, oid)) << "a page is left";
  EXPECT_TRUE(drain().empty());
  EXPECT_EQ(driver.evict(kid, oid, 4096), KernelDriver::Eviction::returned);
  EXPECT_FALSE(driver.mapped(kid, oid));
  EXPECT_EQ(drain(), (std::vector<mach_msg_id_t>{2208, 2201}));
}

// §3d: only a page the pageout daemon reclaims triggers the collection. A
// cached object the pager's lock_request flushed bare stays cached (and a
// later mapping reuses it, without init).
TEST_F(ControlPlane, ACachedObjectFlushedBareStaysCached) {
  ready_and_request(0);
  Kernel::ExternalPagerCall as_pager(kernel);
  ASSERT_EQ(supply(0, {5}, MACH_PORT_NULL), KERN_SUCCESS);
  drain();
  ASSERT_EQ(driver.unmap(kid, oid), KERN_SUCCESS);
  ASSERT_TRUE(driver.cached(kid, oid));
  ASSERT_EQ(memory_object_lock_request(control, 0, 4096, MEMORY_OBJECT_RETURN_NONE, TRUE,
                                       VM_PROT_NO_CHANGE, MACH_PORT_NULL),
            KERN_SUCCESS);
  EXPECT_FALSE(driver.page(kid, oid, 0).has_value());
  EXPECT_TRUE(driver.cached(kid, oid));
  EXPECT_EQ(driver.collect(kid, oid), KERN_FAILURE) << "no page left to reclaim";
  EXPECT_TRUE(drain().empty());
  ASSERT_EQ(driver.map(kid, oid), KERN_SUCCESS);
  EXPECT_TRUE(drain().empty()) << "reused without init";
}

// §3d, trigger 1: an object that may not be cached, or has no pages, is
// terminated by its last unmap.
TEST_F(ControlPlane, UnmapTerminatesAnObjectWithoutPagesOrWithoutMayCache) {
  {
    Kernel::ExternalPagerCall as_pager(kernel);
    ASSERT_EQ(memory_object_ready(control, TRUE, MEMORY_OBJECT_COPY_DELAY), KERN_SUCCESS);
  }
  ASSERT_EQ(driver.unmap(kid, oid), KERN_SUCCESS);
  EXPECT_FALSE(driver.mapped(kid, oid));
  EXPECT_EQ(drain(), std::vector<mach_msg_id_t>{2201});

  ASSERT_EQ(driver.map(kid, oid), KERN_SUCCESS);
  Buffer buf;
  ASSERT_EQ(receive_now(object, buf), MACH_MSG_SUCCESS);
  InitMsg init;
  std::memcpy(&init, &buf, sizeof init);
  Kernel::ExternalPagerCall as_pager(kernel);
  ASSERT_EQ(memory_object_ready(init.control, FALSE, MEMORY_OBJECT_COPY_DELAY), KERN_SUCCESS);
  ASSERT_EQ(driver.fault(kid, oid, 0, VM_PROT_READ), KERN_SUCCESS);
  drain();
  ASSERT_EQ(memory_object_data_unavailable(init.control, 0, 4096), KERN_SUCCESS);
  ASSERT_TRUE(driver.page(kid, oid, 0).has_value());
  ASSERT_EQ(driver.unmap(kid, oid), KERN_SUCCESS);
  EXPECT_FALSE(driver.cached(kid, oid));
  EXPECT_EQ(drain(), std::vector<mach_msg_id_t>{2201});
}

// §3d, trigger 4: change_attributes with may_cache FALSE on a cached object
// takes it out of the cache and terminates it, before change_completed (the
// completion tells the pager the terminate is already queued ahead of it).
// On an object a task still maps, it only changes the attribute.
TEST_F(ControlPlane, TurningCachingOffTerminatesACachedObjectBeforeChangeCompleted) {
  ready_and_request(0);
  Kernel::ExternalPagerCall as_pager(kernel);
  ASSERT_EQ(supply(0, {5}, MACH_PORT_NULL), KERN_SUCCESS);
  drain();
  ASSERT_EQ(memory_object_change_attributes(control, FALSE, MEMORY_OBJECT_COPY_DELAY, object),
            KERN_SUCCESS);
  EXPECT_EQ(drain(), std::vector<mach_msg_id_t>{2209}) << "a mapped object is not terminated";
  ASSERT_EQ(memory_object_change_attributes(control, TRUE, MEMORY_OBJECT_COPY_DELAY, object),
            KERN_SUCCESS);
  EXPECT_EQ(drain(), std::vector<mach_msg_id_t>{2209});
  ASSERT_EQ(driver.unmap(kid, oid), KERN_SUCCESS);
  ASSERT_TRUE(driver.cached(kid, oid));

  ASSERT_EQ(memory_object_change_attributes(control, FALSE, MEMORY_OBJECT_COPY_DELAY, object),
            KERN_SUCCESS);
  EXPECT_FALSE(driver.mapped(kid, oid));
  EXPECT_EQ(drain(), (std::vector<mach_msg_id_t>{2201, 2209}));
}

// gnumach-kernel.md §3d: terminate moves the kernel's send right to the
// memory object, and it is released when terminate is copied out to the
// pager; if that was the last send right, GNU Mach (ipc_port_release_send)
// generates the no-senders notification the pager asked for there and then,
// after terminate, with the port's make-send count. The client that mapped
// the object lets go of its own right when it is done (release_objects); an
// object no kernel maps then has no sender left at once.
TEST(NoSenders, ComesAfterTheLastTerminateOnceTheClientLetGo) {
  Kernel kernel;
  KernelDriver driver(kernel);
  Kernel::ExternalPagerCall as_pager(kernel);
  auto ask = [](mach_port_t port) {
    // As Hurd's libports: sync 1, the make-send count once the offer's
    // MAKE_SEND has been made; the notification comes to the port itself.
    mach_port_t previous = MACH_PORT_NULL;
    ASSERT_EQ(mach_port_request_notification(mach_task_self(), port, MACH_NOTIFY_NO_SENDERS, 1,
                                             port, MACH_MSG_TYPE_MAKE_SEND_ONCE, &previous),
              KERN_SUCCESS);
    ASSERT_EQ(previous, static_cast<mach_port_t>(MACH_PORT_NULL));
  };
  const mach_port_t mapped = new_receive_right();
  const mach_port_t unmapped = new_receive_right();
  ask(mapped);
  ask(unmapped);
  const ObjectId o = driver.adopt(mapped, MACH_MSG_TYPE_MAKE_SEND, 1 << 16);
  const ObjectId never = driver.adopt(unmapped, MACH_MSG_TYPE_MAKE_SEND, 1 << 16);
  ASSERT_NE(o, 0u);
  ASSERT_NE(never, 0u);
  const KernelId a = driver.attach(4096);
  const KernelId b = driver.attach(8192);
  ASSERT_EQ(driver.map(a, o), KERN_SUCCESS);
  ASSERT_EQ(driver.map(b, o), KERN_SUCCESS);
  Buffer buf;
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(receive_now(mapped, buf), MACH_MSG_SUCCESS);
    EXPECT_EQ(buf.head.msgh_id, 2200);
  }

  driver.release_objects();
  // The object no kernel maps: the client's right was the last one.
  ASSERT_EQ(receive_now(unmapped, buf), MACH_MSG_SUCCESS);
  EXPECT_EQ(buf.head.msgh_id, MACH_NOTIFY_NO_SENDERS);
  mach_no_senders_notification_t n;
  std::memcpy(&n, &buf, sizeof n);
  EXPECT_EQ(n.not_count, 1u) << "one MAKE_SEND (the offer); the kernels' rights are copies";
  // The mapped one: each kernel still holds the right its init copied.
  EXPECT_EQ(receive_now(mapped, buf), MACH_RCV_TIMED_OUT);
  EXPECT_TRUE(status_of(mapped).mps_srights);
  EXPECT_EQ(driver.map(driver.attach(4096), o), KERN_FAILURE) << "the client let go";

  ASSERT_EQ(driver.unmap(a, o), KERN_SUCCESS);
  ASSERT_EQ(receive_now(mapped, buf), MACH_MSG_SUCCESS);
  EXPECT_EQ(buf.head.msgh_id, 2201);
  EXPECT_EQ(receive_now(mapped, buf), MACH_RCV_TIMED_OUT) << "kernel b still holds its right";

  ASSERT_EQ(driver.unmap(b, o), KERN_SUCCESS);
  ASSERT_EQ(receive_now(mapped, buf), MACH_MSG_SUCCESS);
  EXPECT_EQ(buf.head.msgh_id, 2201);
  const mach_port_seqno_t terminate_seqno = buf.head.msgh_seqno;
  ASSERT_EQ(receive_now(mapped, buf), MACH_MSG_SUCCESS);
  EXPECT_EQ(buf.head.msgh_id, MACH_NOTIFY_NO_SENDERS);
  EXPECT_EQ(buf.head.msgh_seqno, terminate_seqno + 1) << "it takes the next seqno (§2)";
  std::memcpy(&n, &buf, sizeof n);
  EXPECT_EQ(n.not_count, 1u);
  EXPECT_FALSE(status_of(mapped).mps_srights);
  EXPECT_FALSE(status_of(mapped).mps_nsrequest);
}

// --- Copies of COPY_CALL objects (gnumach-kernel.md §1a, 2202) -----------------

#pragma pack(push, 4)
struct CopyMsg {  // memory_object_copy as the kernel's stub builds it
  mach_msg_header_t head;
  mach_msg_type_t control_type;
  mach_port_t old_control;
  mach_msg_type_t offset_type;
  vm_offset_t offset;
  mach_msg_type_t length_type;
  vm_size_t length;
  mach_msg_type_t object_type;
  mach_port_t new_object;
};
#pragma pack(pop)

// vm_object_copy_call: memory_object_copy with the old control made send
// and the new object's receive right, the range's resident pages of the
// original write-locked, then init on the new object, which shadows the
// original: a data_unavailable for its page reads the original's page, or
// faults the original when it is not resident.
TEST_F(ControlPlane, ACopyCallObjectIsCopiedAsGnuMachDoes) {
  Kernel::ExternalPagerCall as_pager(kernel);
  ASSERT_EQ(memory_object_ready(control, FALSE, MEMORY_OBJECT_COPY_CALL), KERN_SUCCESS);
  ASSERT_EQ(driver.fault(kid, oid, 0, VM_PROT_READ | VM_PROT_WRITE), KERN_SUCCESS);
  ASSERT_EQ(supply(0, {0x11}, MACH_PORT_NULL), KERN_SUCCESS);
  drain();

  const ObjectId copy = driver.copy(kid, oid, 0, 8192);
  ASSERT_NE(copy, 0u);
  ASSERT_NE(copy, oid);
  EXPECT_EQ(driver.shadow_of(copy), oid);
  ASSERT_TRUE(driver.page(kid, oid, 0).has_value());
  EXPECT_NE(driver.page(kid, oid, 0)->lock & VM_PROT_WRITE, 0)
      << "the original's page is write-locked";

  Buffer buf;
  ASSERT_EQ(receive_now(object, buf), MACH_MSG_SUCCESS);
  ASSERT_EQ(buf.head.msgh_id, 2202);
  CopyMsg m;
  std::memcpy(&m, &buf, sizeof m);
  EXPECT_EQ(m.old_control, control) << "the old control, made send, merges with the pager's right";
  const vm_offset_t offset = m.offset;
  const vm_size_t length = m.length;
  EXPECT_EQ(offset, 0u);
  EXPECT_EQ(length, 8192u);
  const mach_port_t copy_port = m.new_object;
  ASSERT_TRUE(MACH_PORT_VALID(copy_port));
  auto sent_copy = sent(MessageKind::copy);
  ASSERT_EQ(sent_copy.size(), 1u);
  EXPECT_EQ(sent_copy[0].copy_object, copy);
  EXPECT_EQ(sent_copy[0].resident, (std::vector<std::uint8_t>{1, 0}));
  EXPECT_EQ(sent_copy[0].stamps, (std::vector<Stamp>{0x11, 0}));

  // The init queued on the new port while its receive right was in the
  // message is reported once the pager holds the right.
  ASSERT_EQ(receive_now(copy_port, buf), MACH_MSG_SUCCESS);
  ASSERT_EQ(buf.head.msgh_id, 2200);
  auto inits = sent(MessageKind::init);
  ASSERT_FALSE(inits.empty());
  EXPECT_EQ(inits.back().destination, copy_port);
  EXPECT_EQ(inits.back().object, copy);
  InitMsg init;
  std::memcpy(&init, &buf, sizeof init);
  ASSERT_EQ(memory_object_ready(init.control, FALSE, MEMORY_OBJECT_COPY_DELAY), KERN_SUCCESS);

  // Page 0: the original's resident page is read through.
  ASSERT_EQ(driver.fault(kid, copy, 0, VM_PROT_READ), KERN_SUCCESS);
  ASSERT_EQ(receive_now(copy_port, buf), MACH_MSG_SUCCESS);
  ASSERT_EQ(buf.head.msgh_id, 2203);
  mach_msg_destroy(&buf.head);
  ASSERT_EQ(memory_object_data_unavailable(init.control, 0, 4096), KERN_SUCCESS);
  ASSERT_TRUE(driver.page(kid, copy, 0).has_value());
  EXPECT_EQ(driver.page(kid, copy, 0)->state, KernelDriver::PageState::resident);
  EXPECT_EQ(driver.page(kid, copy, 0)->stamps, std::vector<Stamp>{0x11});
  auto calls = recorder.of<emmi::model::ControlCalled>();
  ASSERT_FALSE(calls.empty());
  EXPECT_EQ(calls.back().call, ControlCall::data_unavailable);
  EXPECT_EQ(calls.back().stamps, std::vector<Stamp>{0x11}) << "what the kernel read through";

  // Page 1: the original does not hold it, so it is requested there.
  ASSERT_EQ(driver.fault(kid, copy, 4096, VM_PROT_READ), KERN_SUCCESS);
  ASSERT_EQ(receive_now(copy_port, buf), MACH_MSG_SUCCESS);
  mach_msg_destroy(&buf.head);
  ASSERT_EQ(memory_object_data_unavailable(init.control, 4096, 4096), KERN_SUCCESS);
  EXPECT_EQ(driver.page(kid, copy, 4096)->state, KernelDriver::PageState::requested);
  ASSERT_EQ(receive_now(object, buf), MACH_MSG_SUCCESS);
  ASSERT_EQ(buf.head.msgh_id, 2203) << "the fault goes on in the original";
  mach_msg_destroy(&buf.head);
  ASSERT_EQ(supply(4096, {0x22}, MACH_PORT_NULL), KERN_SUCCESS);
  EXPECT_EQ(driver.page(kid, copy, 4096)->state, KernelDriver::PageState::resident);
  EXPECT_EQ(driver.page(kid, copy, 4096)->stamps, std::vector<Stamp>{0x22});

  // The copy holds the original: unmapping the original keeps it, and the
  // copy's terminate lets it go.
  ASSERT_EQ(driver.unmap(kid, oid), KERN_SUCCESS);
  EXPECT_TRUE(driver.kept(kid, oid));
  EXPECT_TRUE(drain().empty()) << "no terminate while the copy lives";
  ASSERT_EQ(driver.unmap(kid, copy), KERN_SUCCESS);
  ASSERT_EQ(receive_now(copy_port, buf), MACH_MSG_SUCCESS);
  EXPECT_EQ(buf.head.msgh_id, 2201) << "the copy is terminated";
  mach_msg_destroy(&buf.head);
  EXPECT_FALSE(driver.mapped(kid, oid));
  EXPECT_EQ(drain(), std::vector<mach_msg_id_t>{2201}) << "then the original";
}

// Only a ready COPY_CALL object of a GNU Mach kernel is copied by call.
TEST_F(ControlPlane, OnlyACopyCallObjectIsCopiedByCall) {
  EXPECT_EQ(driver.copy(kid, oid, 0, 4096), 0u) << "not ready";
  Kernel::ExternalPagerCall as_pager(kernel);
  ASSERT_EQ(memory_object_ready(control, FALSE, MEMORY_OBJECT_COPY_DELAY), KERN_SUCCESS);
  EXPECT_EQ(driver.copy(kid, oid, 0, 4096), 0u) << "COPY_DELAY";
  EXPECT_TRUE(drain().empty());
  ASSERT_EQ(memory_object_ready(control, FALSE, MEMORY_OBJECT_COPY_CALL), KERN_SUCCESS);
  EXPECT_EQ(driver.copy(kid, oid, 100, 4096), 0u) << "not page aligned";
  EXPECT_EQ(driver.copy(kid, oid, 0, 0), 0u) << "empty";
  EXPECT_EQ(driver.copy(kid, oid, 0, 2u << 20), 0u) << "beyond the object";
  EXPECT_NE(driver.copy(kid, oid, 0, 4096), 0u);
}

}  // namespace
}  // namespace emmi::mach::testing
