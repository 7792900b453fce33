// SPDX-License-Identifier: MIT
// The kernel's side of the default memory manager, each behaviour checked
// against the section of spec/gnumach-kernel.md it follows. The test plays
// the default pager by hand in the pager task.
#include <hurd.h>

#include <cerrno>
#include <cstring>

#include "emmi/mach/kernel_driver.h"
#include "emmi/mach/stamp.h"
#include "test_support.h"

namespace emmi::mach::testing {
namespace {

using emmi::model::MessageKind;

#pragma pack(push, 4)
// memory_object_create (2250), as memory_object_default.defs lays it out.
struct CreateMsg {
  mach_msg_header_t head;
  mach_msg_type_t object_type;
  mach_port_t object;
  mach_msg_type_t size_type;
  vm_size_t size;
  mach_msg_type_t control_type;
  mach_port_t control;
  mach_msg_type_t name_type;
  mach_port_t name;
  mach_msg_type_t page_size_type;
  vm_size_t page_size;
};
// memory_object_data_initialize (2251) and data_return (2208) begin alike.
struct DataMsg {
  mach_msg_header_t head;
  mach_msg_type_t control_type;
  mach_port_t control;
  mach_msg_type_t offset_type;
  vm_offset_t offset;
  mach_msg_type_long_t data_type;
  vm_offset_t data;
};
#pragma pack(pop)

class DefaultPager : public ::testing::Test {
 protected:
  void SetUp() override { kernel.set_observer(&recorder); }
  void TearDown() override { kernel.set_observer(nullptr); }

  // The pager becomes the default memory manager with its port `manager`.
  void become_default() {
    kernel.set_pager_privileged(true);
    Kernel::ExternalPagerCall as_pager(kernel);
    ASSERT_EQ(get_privileged_ports(&host_priv, nullptr), KERN_SUCCESS);
    manager = new_receive_right();
    mach_port_t old = manager;
    ASSERT_EQ(vm_set_default_memory_manager(host_priv, &old), KERN_SUCCESS);
    EXPECT_EQ(old, MACH_PORT_NULL);
  }

  Kernel kernel;
  Recorder recorder;
  KernelDriver driver{kernel};
  mach_port_t host_priv = MACH_PORT_NULL;
  mach_port_t manager = MACH_PORT_NULL;
};

// harness/mach/README.md: a pager is unprivileged unless it plays the
// default pager; the host name port is not host-priv (1c, 2041 is on
// host_priv: GNU Mach's conversion gives HOST_NULL, KERN_INVALID_HOST).
TEST_F(DefaultPager, OnlyAPrivilegedPagerGetsHostPrivAndTheHostPortIsRefused) {
  Kernel::ExternalPagerCall as_pager(kernel);
  mach_port_t hp = MACH_PORT_NULL;
  EXPECT_EQ(get_privileged_ports(&hp, nullptr), EPERM);
  EXPECT_EQ(hp, MACH_PORT_NULL);
  mach_port_t mine = new_receive_right();
  mach_port_t arg = mine;
  EXPECT_EQ(vm_set_default_memory_manager(mach_host_self(), &arg), KERN_INVALID_HOST);
  EXPECT_FALSE(kernel.has_default_manager());
  // The send right MAKE_SEND made for the refused request was released.
  EXPECT_EQ(refs(mine, MACH_PORT_RIGHT_SEND), 0u);
}

// 1c (2041, inout default_manager : mach_port_make_send_t) and CR9: a new
// manager replaces the old one, whose send right comes back moved; a null
// argument only queries, giving a copy of the current send right.
TEST_F(DefaultPager, SetReturnsTheOldManagerAndNullQueries) {
  become_default();
  Kernel::ExternalPagerCall as_pager(kernel);
  EXPECT_TRUE(kernel.has_default_manager());
  mach_port_t query = MACH_PORT_NULL;
  ASSERT_EQ(vm_set_default_memory_manager(host_priv, &query), KERN_SUCCESS);
  EXPECT_EQ(query, manager);  // a send right under the receive right's name
  EXPECT_EQ(refs(manager, MACH_PORT_RIGHT_SEND), 1u);
  mach_port_t second = new_receive_right();
  mach_port_t arg = second;
  ASSERT_EQ(vm_set_default_memory_manager(host_priv, &arg), KERN_SUCCESS);
  EXPECT_EQ(arg, manager);  // the kernel's right to the first one, moved back
  EXPECT_EQ(refs(manager, MACH_PORT_RIGHT_SEND), 2u);
  EXPECT_EQ(refs(second, MACH_PORT_RIGHT_SEND), 0u);  // the kernel holds it
}

// 1b (2250) and 3a: memory_object_create goes to the default memory manager
// with the new object's receive right, send rights to a fresh control and
// name port, the object size and the kernel's page size; the new port's
// seqno starts at 0 (section 2). CR3: the object is ready at once.
TEST_F(DefaultPager, CreateMovesTheObjectsReceiveRightAndMakesControlAndName) {
  KernelId k = driver.attach(8192);
  EXPECT_EQ(driver.create_temporary(k, 4 * 8192), 0u);  // no default manager yet
  become_default();
  ObjectId o = driver.create_temporary(k, 4 * 8192);
  ASSERT_NE(o, 0u);
  EXPECT_TRUE(driver.temporary(o));
  EXPECT_TRUE(driver.ready(k, o));
  Kernel::ExternalPagerCall as_pager(kernel);
  Buffer buf;
  ASSERT_EQ(receive_now(manager, buf), MACH_MSG_SUCCESS);
  ASSERT_EQ(buf.head.msgh_id, 2250);
  CreateMsg create;
  std::memcpy(&create, &buf, sizeof create);
  const vm_size_t size = create.size, page_size = create.page_size;  // packed fields
  EXPECT_EQ(size, 4u * 8192);
  EXPECT_EQ(page_size, 8192u);
  EXPECT_EQ(status_of(create.object).mps_seqno, 0u);
  EXPECT_EQ(refs(create.object, MACH_PORT_RIGHT_RECEIVE), 1u);
  EXPECT_EQ(refs(create.object, MACH_PORT_RIGHT_SEND), 0u);
  EXPECT_EQ(refs(create.control, MACH_PORT_RIGHT_SEND), 1u);
  EXPECT_EQ(refs(create.name, MACH_PORT_RIGHT_SEND), 1u);
  EXPECT_EQ(driver.temporary_port(o), create.object);
  auto sent = recorder.of<emmi::model::KernelSent>();
  ASSERT_FALSE(sent.empty());
  EXPECT_EQ(sent.back().kind, MessageKind::create);
  EXPECT_EQ(sent.back().destination, manager);
  EXPECT_EQ(sent.back().object, o);
}

// 3c: data_request for an absent page; the first pageout of a page is
// data_initialize, later ones data_return (dirty, no kernel copy).
TEST_F(DefaultPager, FirstPageoutInitializesLaterOnesReturn) {
  KernelId k = driver.attach(4096);
  become_default();
  ObjectId o = driver.create_temporary(k, 4 * 4096);
  ASSERT_NE(o, 0u);
  Kernel::ExternalPagerCall as_pager(kernel);
  Buffer buf;
  ASSERT_EQ(receive_now(manager, buf), MACH_MSG_SUCCESS);
  CreateMsg create;
  std::memcpy(&create, &buf, sizeof create);
  EXPECT_EQ(driver.page_out(k, o, 0), KERN_FAILURE);  // nothing resident yet
  ASSERT_EQ(driver.fault(k, o, 0, VM_PROT_READ | VM_PROT_WRITE), KERN_SUCCESS);
  ASSERT_EQ(receive_now(create.object, buf), MACH_MSG_SUCCESS);
  EXPECT_EQ(buf.head.msgh_id, 2203);
  EXPECT_EQ(buf.head.msgh_seqno, 0u);
  ASSERT_EQ(memory_object_data_unavailable(create.control, 0, 4096), KERN_SUCCESS);
  ASSERT_TRUE(driver.page(k, o, 0).has_value());
  const std::vector<Stamp> first{7};
  ASSERT_EQ(driver.write(k, o, 0, first), KERN_SUCCESS);
  ASSERT_EQ(driver.page_out(k, o, 0), KERN_SUCCESS);
  EXPECT_FALSE(driver.page(k, o, 0).has_value());
  ASSERT_EQ(receive_now(create.object, buf), MACH_MSG_SUCCESS);
  EXPECT_EQ(buf.head.msgh_id, 2251);
  EXPECT_EQ(buf.head.msgh_seqno, 1u);
  DataMsg data;
  std::memcpy(&data, &buf, sizeof data);
  EXPECT_EQ(data.control, create.control);
  EXPECT_EQ(read_block(reinterpret_cast<const std::uint8_t*>(data.data)), 7u);
  // Fault it back, then page it out again: data_return this time.
  ASSERT_EQ(driver.fault(k, o, 0, VM_PROT_READ), KERN_SUCCESS);
  ASSERT_EQ(receive_now(create.object, buf), MACH_MSG_SUCCESS);
  EXPECT_EQ(buf.head.msgh_id, 2203);
  ASSERT_EQ(memory_object_data_unavailable(create.control, 0, 4096), KERN_SUCCESS);
  ASSERT_EQ(driver.page_out(k, o, 0), KERN_SUCCESS);
  ASSERT_EQ(receive_now(create.object, buf), MACH_MSG_SUCCESS);
  EXPECT_EQ(buf.head.msgh_id, 2208);
  auto sent = recorder.of<emmi::model::KernelSent>();
  ASSERT_GE(sent.size(), 2u);
  EXPECT_EQ(sent[sent.size() - 1].kind, MessageKind::data_return);
  EXPECT_EQ(sent[sent.size() - 3].kind, MessageKind::data_initialize);
}

}  // namespace
}  // namespace emmi::mach::testing
