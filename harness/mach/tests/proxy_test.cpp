// SPDX-License-Identifier: MIT
// Proxy memory objects (memory_object_create_proxy), vm_map, and the
// dispositions a pager offers its objects with, as the model hears them.
#include <mach.h>
extern "C" {
#include <mach/mach4.h>
}

#include <cstring>

#include "emmi/mach/kernel_driver.h"
#include "emmi/model/model.h"
#include "test_support.h"

namespace emmi::mach::testing {
namespace {

using emmi::model::PortOp;
using emmi::model::PortOperated;
using emmi::model::Right;

constexpr vm_prot_t kReadExec = VM_PROT_READ | VM_PROT_EXECUTE;

class Proxy : public ObservedKernel {
 protected:
  // libpager's pager_create_ro_port: one object, offset 0, the whole range.
  static kern_return_t create(mach_port_t object, mach_msg_type_name_t poly, mach_port_t* proxy,
                              vm_prot_t max = kReadExec, vm_offset_t off = 0, vm_offset_t start = 0,
                              vm_size_t len = ~vm_size_t{0}) {
    return memory_object_create_proxy(mach_task_self(), max, &object, poly, 1, &off, 1, &start, 1,
                                      &len, 1, proxy);
  }

  std::vector<PortOperated> ops_on(mach_port_t name) const {
    std::vector<PortOperated> out;
    for (const auto& op : recorder.of<PortOperated>())
      if (op.name == name) out.push_back(op);
    return out;
  }
};

// --- memory_object_create_proxy ---------------------------------------------------

TEST_F(Proxy, ReturnsASendRightThePagerOwnsAndTheModelHears) {
  mach_port_t object = new_receive_right();
  recorder.clear();
  mach_port_t proxy = MACH_PORT_NULL;
  ASSERT_EQ(create(object, MACH_MSG_TYPE_MAKE_SEND, &proxy), KERN_SUCCESS);
  ASSERT_TRUE(MACH_PORT_VALID(proxy));
  EXPECT_NE(proxy, object);
  mach_port_type_t type = 0;
  ASSERT_EQ(mach_port_type(mach_task_self(), proxy, &type), KERN_SUCCESS);
  EXPECT_EQ(type, MACH_PORT_TYPE_SEND);
  EXPECT_EQ(refs(proxy, MACH_PORT_RIGHT_SEND), 1u);
  // The right made from the object went to the kernel, not to the pager.
  ASSERT_EQ(mach_port_type(mach_task_self(), object, &type), KERN_SUCCESS);
  EXPECT_EQ(type, MACH_PORT_TYPE_RECEIVE);
  EXPECT_TRUE(ops_on(object).empty());
  auto ops = ops_on(proxy);
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].op, PortOp::insert_right);
  EXPECT_EQ(ops[0].right, Right::send);
  EXPECT_EQ(ops[0].delta, 1);
  // Messages to the proxy reach a kernel object that serves nothing.
  EXPECT_EQ(send_simple(proxy, MACH_MSG_TYPE_COPY_SEND), MACH_MSG_SUCCESS);
  EXPECT_EQ(mach_port_deallocate(mach_task_self(), proxy), KERN_SUCCESS);
}

TEST_F(Proxy, ChecksItsArgumentsAsGnuMach) {
  mach_port_t object = new_receive_right();
  mach_port_t proxy = MACH_PORT_NULL;
  vm_offset_t zero[2] = {0, 0};
  vm_size_t all[2] = {~vm_size_t{0}, ~vm_size_t{0}};
  mach_port_t two[2] = {object, object};
  // One object only, and as many offsets, starts and lengths as objects.
  EXPECT_EQ(memory_object_create_proxy(mach_task_self(), kReadExec, two, MACH_MSG_TYPE_MAKE_SEND, 2,
                                       zero, 2, zero, 2, all, 2, &proxy),
            KERN_INVALID_ARGUMENT);
  EXPECT_EQ(memory_object_create_proxy(mach_task_self(), kReadExec, two, MACH_MSG_TYPE_MAKE_SEND, 1,
                                       zero, 2, zero, 1, all, 1, &proxy),
            KERN_INVALID_ARGUMENT);
  EXPECT_EQ(memory_object_create_proxy(mach_task_self(), kReadExec, two, MACH_MSG_TYPE_MAKE_SEND, 0,
                                       zero, 0, zero, 0, all, 0, &proxy),
            KERN_INVALID_ARGUMENT);
  EXPECT_EQ(create(MACH_PORT_NULL, MACH_MSG_TYPE_COPY_SEND, &proxy), KERN_INVALID_NAME);
  EXPECT_EQ(create(object, MACH_MSG_TYPE_MAKE_SEND, &proxy, kReadExec, 4096),
            KERN_INVALID_ARGUMENT);  // an offset other than 0
  EXPECT_EQ(create(object, MACH_MSG_TYPE_MAKE_SEND, &proxy, kReadExec, 0, 4096, ~vm_size_t{0}),
            KERN_INVALID_ARGUMENT);  // start + len wraps
  // The message: a task port to send to, rights the pager holds, send rights.
  vm_offset_t off = 0, start = 0;
  vm_size_t len = 1;
  EXPECT_EQ(memory_object_create_proxy(MACH_PORT_NULL, kReadExec, &object, MACH_MSG_TYPE_MAKE_SEND,
                                       1, &off, 1, &start, 1, &len, 1, &proxy),
            MACH_SEND_INVALID_DEST);
  mach_port_t not_a_task = MACH_PORT_NULL;
  ASSERT_EQ(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &not_a_task),
            KERN_SUCCESS);
  ASSERT_EQ(mach_port_insert_right(mach_task_self(), not_a_task, not_a_task,
                                   MACH_MSG_TYPE_MAKE_SEND),
            KERN_SUCCESS);
  EXPECT_EQ(memory_object_create_proxy(not_a_task, kReadExec, &object, MACH_MSG_TYPE_MAKE_SEND, 1,
                                       &off, 1, &start, 1, &len, 1, &proxy),
            KERN_INVALID_TASK);
  EXPECT_EQ(create(object, MACH_MSG_TYPE_COPY_SEND, &proxy), MACH_SEND_INVALID_RIGHT);
  EXPECT_EQ(create(0x7fff0000, MACH_MSG_TYPE_MAKE_SEND, &proxy), MACH_SEND_INVALID_RIGHT);
  EXPECT_EQ(create(object, MACH_MSG_TYPE_MAKE_SEND_ONCE, &proxy), MIG_BAD_ARGUMENTS);
  // The maximum protection is not checked (GNU Mach uses it as a mask).
  EXPECT_EQ(create(object, MACH_MSG_TYPE_MAKE_SEND, &proxy, ~0), KERN_SUCCESS);
}

// MOVE_SEND gives the pager's reference to the kernel, whatever the kernel
// then does with the request: the model hears the reference leave.
TEST_F(Proxy, MoveSendTakesThePagersReferenceEvenWhenRefused) {
  mach_port_t object = new_receive_right();
  ASSERT_EQ(mach_port_insert_right(mach_task_self(), object, object, MACH_MSG_TYPE_MAKE_SEND),
            KERN_SUCCESS);
  ASSERT_EQ(mach_port_mod_refs(mach_task_self(), object, MACH_PORT_RIGHT_SEND, 1), KERN_SUCCESS);
  recorder.clear();
  mach_port_t proxy = MACH_PORT_NULL;
  ASSERT_EQ(create(object, MACH_MSG_TYPE_MOVE_SEND, &proxy), KERN_SUCCESS);
  EXPECT_EQ(refs(object, MACH_PORT_RIGHT_SEND), 1u);
  EXPECT_EQ(create(object, MACH_MSG_TYPE_MOVE_SEND, &proxy, kReadExec, 4096),
            KERN_INVALID_ARGUMENT);
  EXPECT_EQ(refs(object, MACH_PORT_RIGHT_SEND), 0u);
  auto ops = ops_on(object);
  ASSERT_EQ(ops.size(), 2u);
  for (const auto& op : ops) {
    EXPECT_EQ(op.op, PortOp::mod_refs);
    EXPECT_EQ(op.right, Right::send);
    EXPECT_EQ(op.delta, -1);
    EXPECT_EQ(op.result, KERN_SUCCESS);
  }
}

// The proxy holds a send right to the object while it has senders; when
// the last goes, GNU Mach frees it and releases that right, which the pager
// sees as no-senders on its object.
TEST_F(Proxy, LastSendRightGoneReleasesTheObject) {
  mach_port_t object = new_receive_right();
  mach_port_t notify = new_receive_right();
  mach_port_t previous = MACH_PORT_NULL;
  mach_port_t proxy = MACH_PORT_NULL;
  ASSERT_EQ(create(object, MACH_MSG_TYPE_MAKE_SEND, &proxy), KERN_SUCCESS);
  ASSERT_EQ(mach_port_request_notification(mach_task_self(), object, MACH_NOTIFY_NO_SENDERS, 0,
                                           notify, MACH_MSG_TYPE_MAKE_SEND_ONCE, &previous),
            KERN_SUCCESS);
  Buffer buf;
  EXPECT_EQ(receive_now(notify, buf), MACH_RCV_TIMED_OUT) << "the proxy is a sender";
  // Another send right to the proxy keeps it alive.
  ASSERT_EQ(mach_port_mod_refs(mach_task_self(), proxy, MACH_PORT_RIGHT_SEND, 1), KERN_SUCCESS);
  EXPECT_EQ(mach_port_deallocate(mach_task_self(), proxy), KERN_SUCCESS);
  EXPECT_EQ(receive_now(notify, buf), MACH_RCV_TIMED_OUT);
  EXPECT_EQ(mach_port_deallocate(mach_task_self(), proxy), KERN_SUCCESS);
  ASSERT_EQ(receive_now(notify, buf), MACH_MSG_SUCCESS);
  EXPECT_EQ(buf.head.msgh_id, MACH_NOTIFY_NO_SENDERS);
}

// --- vm_map ---------------------------------------------------------------------

TEST_F(Proxy, VmMapOfNoObjectIsZeroFilledMemory) {
  vm_address_t at = 0;
  ASSERT_EQ(vm_map(mach_task_self(), &at, 8192, 0, TRUE, MACH_PORT_NULL, 0, FALSE,
                   VM_PROT_READ | VM_PROT_WRITE, VM_PROT_ALL, VM_INHERIT_COPY),
            KERN_SUCCESS);
  ASSERT_NE(at, 0u);
  auto* bytes = reinterpret_cast<unsigned char*>(at);
  EXPECT_EQ(bytes[0], 0);
  EXPECT_EQ(bytes[8191], 0);
  bytes[100] = 7;
  EXPECT_EQ(vm_deallocate(mach_task_self(), at, 8192), KERN_SUCCESS);
  // An alignment mask is honoured.
  ASSERT_EQ(vm_map(mach_task_self(), &at, 4096, 0xffff, TRUE, MACH_PORT_NULL, 0, FALSE,
                   VM_PROT_READ, VM_PROT_ALL, VM_INHERIT_COPY),
            KERN_SUCCESS);
  EXPECT_EQ(at & 0xffff, 0u);
  EXPECT_EQ(vm_deallocate(mach_task_self(), at, 4096), KERN_SUCCESS);
}

TEST_F(Proxy, VmMapChecksItsArgumentsAsGnuMach) {
  vm_address_t at = 0;
  EXPECT_EQ(vm_map(mach_task_self(), &at, 0, 0, TRUE, MACH_PORT_NULL, 0, FALSE, VM_PROT_READ,
                   VM_PROT_ALL, VM_INHERIT_COPY),
            KERN_INVALID_ARGUMENT);
  EXPECT_EQ(vm_map(mach_task_self(), &at, 4096, 0, TRUE, MACH_PORT_NULL, 0, FALSE, 0x10,
                   VM_PROT_ALL, VM_INHERIT_COPY),
            KERN_INVALID_ARGUMENT);
  EXPECT_EQ(vm_map(mach_task_self(), &at, 4096, 0, TRUE, MACH_PORT_NULL, 0, FALSE, VM_PROT_READ,
                   VM_PROT_ALL, 7),
            KERN_INVALID_ARGUMENT);
  EXPECT_EQ(vm_map(MACH_PORT_NULL, &at, 4096, 0, TRUE, MACH_PORT_NULL, 0, FALSE, VM_PROT_READ,
                   VM_PROT_ALL, VM_INHERIT_COPY),
            MACH_SEND_INVALID_DEST);
  mach_port_t object = new_receive_right();  // no send right to copy
  EXPECT_EQ(vm_map(mach_task_self(), &at, 4096, 0, TRUE, object, 0, FALSE, VM_PROT_READ,
                   VM_PROT_ALL, VM_INHERIT_COPY),
            MACH_SEND_INVALID_RIGHT);
}

// Mapping a memory object would make the simulated kernel a kernel for the
// pager's own task: not simulated, answered with GNU Mach's code for a port
// it cannot enter, after the proxy checks a pager can observe.
TEST_F(Proxy, VmMapOfAMemoryObjectIsRefusedAfterTheProxyChecks) {
  mach_port_t object = new_receive_right();
  ASSERT_EQ(mach_port_insert_right(mach_task_self(), object, object, MACH_MSG_TYPE_MAKE_SEND),
            KERN_SUCCESS);
  vm_address_t at = 0;
  EXPECT_EQ(vm_map(mach_task_self(), &at, 4096, 0, TRUE, object, 0, FALSE, VM_PROT_READ,
                   VM_PROT_ALL, VM_INHERIT_COPY),
            KERN_INVALID_ARGUMENT);
  mach_port_t ro = MACH_PORT_NULL, wo = MACH_PORT_NULL;
  ASSERT_EQ(create(object, MACH_MSG_TYPE_COPY_SEND, &ro, VM_PROT_READ, 0, 0, 4096), KERN_SUCCESS);
  ASSERT_EQ(create(object, MACH_MSG_TYPE_COPY_SEND, &wo, VM_PROT_WRITE), KERN_SUCCESS);
  // A copy needs read access through the proxy.
  EXPECT_EQ(vm_map(mach_task_self(), &at, 4096, 0, TRUE, wo, 0, TRUE, VM_PROT_READ, VM_PROT_ALL,
                   VM_INHERIT_COPY),
            KERN_PROTECTION_FAILURE);
  // The range is the proxy's.
  EXPECT_EQ(vm_map(mach_task_self(), &at, 8192, 0, TRUE, ro, 0, FALSE, VM_PROT_READ, VM_PROT_ALL,
                   VM_INHERIT_COPY),
            KERN_INVALID_ARGUMENT);
  EXPECT_EQ(vm_map(mach_task_self(), &at, 4096, 0, TRUE, ro, 0, FALSE, VM_PROT_READ, VM_PROT_ALL,
                   VM_INHERIT_COPY),
            KERN_INVALID_ARGUMENT);
  // The pager's rights are as they were: vm_map copies the send right.
  EXPECT_EQ(refs(object, MACH_PORT_RIGHT_SEND), 1u);
  EXPECT_EQ(refs(ro, MACH_PORT_RIGHT_SEND), 1u);
}

// --- Dispositions of offered objects, through the kernel driver to the model ----------

class Offer : public ::testing::Test {
 protected:
  Kernel kernel;
  Recorder recorder;
  KernelDriver driver{kernel};
  void SetUp() override { kernel.set_observer(&recorder); }
  void TearDown() override { kernel.set_observer(nullptr); }

  // The verdicts of a model fed everything observed (objects numbered from
  // 0, as the case runner does).
  std::vector<emmi::model::Verdict> judge() const {
    emmi::model::Model m(emmi::model::WorldConfig{1, 1 << 16});
    std::vector<emmi::model::Verdict> out;
    for (emmi::model::Event e : recorder.events()) {
      if (auto* o = std::get_if<emmi::model::ObjectOffered>(&e)) o->object -= 1;
      for (auto& v : m.apply(e)) out.push_back(v);
    }
    return out;
  }
  static bool has(const std::vector<emmi::model::Verdict>& vs, std::string_view rule,
                  emmi::model::Party party) {
    for (const auto& v : vs)
      if (v.rule == rule && v.party == party) return true;
    return false;
  }
  static std::string text(const std::vector<emmi::model::Verdict>& vs) {
    std::string s;
    for (const auto& v : vs) s += emmi::model::to_string(v) + "\n";
    return s;
  }

  mach_port_t object_with_send_right() {
    Kernel::ExternalPagerCall as_pager(kernel);
    mach_port_t object = new_receive_right();
    EXPECT_EQ(mach_port_insert_right(mach_task_self(), object, object, MACH_MSG_TYPE_MAKE_SEND),
              KERN_SUCCESS);
    return object;
  }
};

TEST_F(Offer, MoveSendThenReleaseIsThePagersDoubleRelease) {
  mach_port_t object = object_with_send_right();
  ASSERT_NE(driver.adopt(object, MACH_MSG_TYPE_MOVE_SEND, 1 << 16), 0u);
  auto offered = recorder.of<emmi::model::ObjectOffered>();
  ASSERT_EQ(offered.size(), 1u);
  EXPECT_EQ(offered[0].disposition, emmi::model::Disposition::move_send);
  {
    Kernel::ExternalPagerCall as_pager(kernel);
    EXPECT_EQ(mach_port_deallocate(mach_task_self(), object), KERN_INVALID_RIGHT);
  }
  auto verdicts = judge();
  EXPECT_TRUE(has(verdicts, "V3", emmi::model::Party::pager)) << text(verdicts);
  EXPECT_FALSE(has(verdicts, "V3", emmi::model::Party::suite)) << text(verdicts);
}

TEST_F(Offer, CopySendKeepsThePagersRight) {
  mach_port_t object = object_with_send_right();
  ASSERT_NE(driver.adopt(object, MACH_MSG_TYPE_COPY_SEND, 1 << 16), 0u);
  {
    Kernel::ExternalPagerCall as_pager(kernel);
    EXPECT_EQ(mach_port_deallocate(mach_task_self(), object), KERN_SUCCESS);
  }
  auto verdicts = judge();
  EXPECT_TRUE(verdicts.empty()) << text(verdicts);
}

TEST_F(Offer, AProxyIsNoObjectToOffer) {
  mach_port_t object = object_with_send_right();
  mach_port_t proxy = MACH_PORT_NULL;
  {
    Kernel::ExternalPagerCall as_pager(kernel);
    vm_offset_t off = 0, start = 0;
    vm_size_t len = ~vm_size_t{0};
    ASSERT_EQ(memory_object_create_proxy(mach_task_self(), VM_PROT_READ, &object,
                                         MACH_MSG_TYPE_COPY_SEND, 1, &off, 1, &start, 1, &len, 1,
                                         &proxy),
              KERN_SUCCESS);
  }
  EXPECT_EQ(driver.adopt(proxy, MACH_MSG_TYPE_MOVE_SEND, 1 << 16), 0u);
  Kernel::ExternalPagerCall as_pager(kernel);
  EXPECT_EQ(refs(proxy, MACH_PORT_RIGHT_SEND), 1u) << "refused before anything was taken";
}

}  // namespace
}  // namespace emmi::mach::testing
