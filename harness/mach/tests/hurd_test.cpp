// SPDX-License-Identifier: MIT
// What Hurd pager code meets on the simulated kernel beyond the EMMI:
// deallocate-on-send of delivered memory (reported like vm_deallocate),
// protected payloads at copyout, the Mach traps and scheduling calls of
// libports, and the glibc-Hurd headers (hurd_headers.c, compiled as C).
#include <hurd.h>
#include <mach.h>
#include <mach/mig_support.h>
#include <pthread.h>

#include <cerrno>

#include "test_support.h"

extern "C" {
int emmi_hurd_probe_reply_id(int id);
int emmi_hurd_probe_static_spin_lock(void);
long emmi_hurd_probe_spin_initializer(void);
}

namespace emmi::mach::testing {
namespace {

class Hurd : public ObservedKernel {
 protected:
  static mach_msg_return_t send_ool(mach_port_t dest, vm_address_t data, std::size_t size,
                                    bool dealloc) {
    OolMsg m{};
    m.head.msgh_bits = MACH_MSGH_BITS_COMPLEX | MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0);
    m.head.msgh_size = sizeof m;
    m.head.msgh_remote_port = dest;
    m.head.msgh_id = 3000;
    m.data_type.msgtl_header.msgt_inline = FALSE;
    m.data_type.msgtl_header.msgt_longform = TRUE;
    m.data_type.msgtl_header.msgt_deallocate = dealloc;
    m.data_type.msgtl_name = MACH_MSG_TYPE_BYTE;
    m.data_type.msgtl_size = 8;
    m.data_type.msgtl_number = static_cast<natural_t>(size);
    m.data = data;
    return mach_msg(&m.head, MACH_SEND_MSG, sizeof m, 0, MACH_PORT_NULL, MACH_MSG_TIMEOUT_NONE,
                    MACH_PORT_NULL);
  }

  // A region of `size` bytes delivered to the pager's task by a message (as
  // a data_return's data is), and its region id.
  std::pair<vm_address_t, emmi::model::RegionId> delivered(std::size_t size) {
    mach_port_t port = new_receive_right();
    std::vector<std::uint8_t> src(size, 0x5a);
    EXPECT_EQ(send_ool(port, reinterpret_cast<vm_address_t>(src.data()), size, false),
              MACH_MSG_SUCCESS);
    Buffer buf;
    EXPECT_EQ(receive_now(port, buf), MACH_MSG_SUCCESS);
    OolMsg got;
    std::memcpy(&got, &buf, sizeof got);
    auto deq = recorder.of<emmi::model::Dequeued>();
    EXPECT_FALSE(deq.empty());
    const vm_address_t address = got.data;  // a copy: the field of the packed message is unaligned
    return {address, deq.empty() ? 0 : deq.back().region};
  }

  std::vector<emmi::model::MemoryReleased> releases() const {
    return recorder.of<emmi::model::MemoryReleased>();
  }
};

// --- Deallocate on send ----------------------------------------------------------

// mach_msg.html: with the deallocate bit "the region is implicitly
// de-allocated from the sender, as if by vm_deallocate". A pager that hands a
// data_return's pages back in a data_supply with dealloc = TRUE has released
// them: the model must hear it (else RT2 reports a leak), and a later
// vm_deallocate of them is the pager's double release (V4), not the kernel's.
TEST_F(Hurd, DeallocOnSendReleasesTheDeliveredRegion) {
  auto [data, region] = delivered(8192);
  ASSERT_NE(region, 0u);
  mach_port_t other = new_receive_right();
  ASSERT_EQ(send_ool(other, data, 8192, true), MACH_MSG_SUCCESS);
  auto rel = releases();
  ASSERT_EQ(rel.size(), 1u);
  EXPECT_EQ(rel[0].region, region);
  EXPECT_EQ(rel[0].result, KERN_SUCCESS);
  EXPECT_EQ(kernel.stats().ool_regions_mapped, 0u);

  // The second release: the model sees a failed release of a released region.
  EXPECT_EQ(vm_deallocate(mach_task_self(), data, 8192), KERN_SUCCESS);
  rel = releases();
  ASSERT_EQ(rel.size(), 2u);
  EXPECT_EQ(rel[1].region, region);
  EXPECT_NE(rel[1].result, KERN_SUCCESS);

  // The receiver of the supply got the bytes.
  Buffer buf;
  ASSERT_EQ(receive_now(other, buf), MACH_MSG_SUCCESS);
  OolMsg got;
  std::memcpy(&got, &buf, sizeof got);
  EXPECT_EQ(reinterpret_cast<const std::uint8_t*>(got.data)[8191], 0x5a);
}

// Part of a region given away on send: the region is released once all of
// its pages are, whichever way.
TEST_F(Hurd, DeallocOnSendOfPartOfARegionCountsItsPages) {
  auto [data, region] = delivered(3 * 4096);
  mach_port_t other = new_receive_right();
  ASSERT_EQ(send_ool(other, data + 4096, 4096, true), MACH_MSG_SUCCESS);
  EXPECT_TRUE(releases().empty()) << "two of the three pages are still the pager's";
  EXPECT_EQ(vm_deallocate(mach_task_self(), data, 4096), KERN_SUCCESS);
  EXPECT_TRUE(releases().empty());
  EXPECT_EQ(vm_deallocate(mach_task_self(), data + 2 * 4096, 4096), KERN_SUCCESS);
  auto rel = releases();
  ASSERT_EQ(rel.size(), 1u);
  EXPECT_EQ(rel[0].region, region);
  EXPECT_EQ(rel[0].result, KERN_SUCCESS);
}

// Sending with dealloc memory the pager already released: GNU Mach cannot
// copy it in (MACH_SEND_INVALID_MEMORY), and it is the pager's second
// release of that region (V4).
TEST_F(Hurd, DeallocOnSendOfReleasedMemoryIsASecondRelease) {
  auto [data, region] = delivered(4096);
  ASSERT_EQ(vm_deallocate(mach_task_self(), data, 4096), KERN_SUCCESS);
  mach_port_t other = new_receive_right();
  EXPECT_EQ(send_ool(other, data, 4096, true), MACH_SEND_INVALID_MEMORY);
  auto rel = releases();
  ASSERT_EQ(rel.size(), 2u);
  EXPECT_EQ(rel[0].result, KERN_SUCCESS);
  EXPECT_EQ(rel[1].region, region);
  EXPECT_NE(rel[1].result, KERN_SUCCESS);

  // Twice with dealloc: the same.
  recorder.clear();
  auto [data2, region2] = delivered(4096);
  ASSERT_EQ(send_ool(other, data2, 4096, true), MACH_MSG_SUCCESS);
  EXPECT_EQ(send_ool(other, data2, 4096, true), MACH_SEND_INVALID_MEMORY);
  rel = releases();
  ASSERT_EQ(rel.size(), 2u);
  EXPECT_EQ(rel[0].region, region2);
  EXPECT_EQ(rel[0].result, KERN_SUCCESS);
  EXPECT_EQ(rel[1].region, region2);
  EXPECT_NE(rel[1].result, KERN_SUCCESS);
}

// Memory the pager allocated itself is no delivered region: nothing to tell.
TEST_F(Hurd, DeallocOnSendOfOwnMemoryIsNotAReleaseOfDeliveredMemory) {
  vm_address_t own = 0;
  ASSERT_EQ(vm_allocate(mach_task_self(), &own, 4096, TRUE), KERN_SUCCESS);
  mach_port_t other = new_receive_right();
  ASSERT_EQ(send_ool(other, own, 4096, true), MACH_MSG_SUCCESS);
  EXPECT_TRUE(releases().empty());
}

// --- Protected payloads ------------------------------------------------------------

// GNU Mach ipc_kmsg_copyout_header: once a payload is set on the port, a
// received message has MACH_MSG_TYPE_PROTECTED_PAYLOAD as its local type and
// the payload where the port's name would be; clearing it restores the name.
TEST_F(Hurd, ProtectedPayloadReplacesTheLocalPortName) {
  mach_port_t port = new_receive_right();
  const unsigned long payload = 0x1234abcdUL;
  ASSERT_EQ(mach_port_set_protected_payload(mach_task_self(), port, payload), KERN_SUCCESS);
  ASSERT_EQ(send_simple(port, MACH_MSG_TYPE_MAKE_SEND, 1234), MACH_MSG_SUCCESS);
  Buffer buf;
  ASSERT_EQ(receive_now(port, buf), MACH_MSG_SUCCESS);
  EXPECT_EQ(MACH_MSGH_BITS_LOCAL(buf.head.msgh_bits),
            static_cast<mach_msg_bits_t>(MACH_MSG_TYPE_PROTECTED_PAYLOAD));
  EXPECT_EQ(buf.head.msgh_protected_payload, payload);
  EXPECT_EQ(buf.head.msgh_id, 1234);

  ASSERT_EQ(mach_port_clear_protected_payload(mach_task_self(), port), KERN_SUCCESS);
  ASSERT_EQ(send_simple(port, MACH_MSG_TYPE_MAKE_SEND, 1235), MACH_MSG_SUCCESS);
  ASSERT_EQ(receive_now(port, buf), MACH_MSG_SUCCESS);
  EXPECT_EQ(MACH_MSGH_BITS_LOCAL(buf.head.msgh_bits),
            static_cast<mach_msg_bits_t>(MACH_MSG_TYPE_PORT_SEND));
  EXPECT_EQ(buf.head.msgh_local_port, port);
}

// --- Traps and scheduling calls -----------------------------------------------------

TEST_F(Hurd, ThreadSwitchChecksItsOptionAndYields) {
  EXPECT_EQ(thread_switch(MACH_PORT_NULL, SWITCH_OPTION_NONE, 0), KERN_SUCCESS);
  EXPECT_EQ(thread_switch(MACH_PORT_NULL, SWITCH_OPTION_DEPRESS, 10), KERN_SUCCESS);
  EXPECT_EQ(thread_switch(MACH_PORT_NULL, SWITCH_OPTION_WAIT, 1), KERN_SUCCESS);
  EXPECT_EQ(thread_switch(MACH_PORT_NULL, 7, 0), KERN_INVALID_ARGUMENT);
  EXPECT_TRUE(swtch());
  EXPECT_TRUE(swtch_pri(0));
}

TEST_F(Hurd, MachReplyPortIsANewReceiveRight) {
  mach_port_t p = mach_reply_port();
  ASSERT_TRUE(MACH_PORT_VALID(p));
  mach_port_type_t type = 0;
  ASSERT_EQ(mach_port_type(mach_task_self(), p, &type), KERN_SUCCESS);
  EXPECT_EQ(type, MACH_PORT_TYPE_RECEIVE);
  EXPECT_NE(mach_reply_port(), p);
}

// GNU Mach kern/thread.c: priorities 0..64, a lower number is a higher
// priority, a user thread starts at 25 with maximum 25.
TEST_F(Hurd, ThreadPriorityFollowsGnuMach) {
  mach_port_t self = mach_thread_self();
  EXPECT_EQ(thread_priority(self, 30, FALSE), KERN_SUCCESS);
  EXPECT_EQ(thread_priority(self, 25, FALSE), KERN_SUCCESS);
  EXPECT_EQ(thread_priority(self, 24, FALSE), KERN_FAILURE) << "above the maximum";
  EXPECT_EQ(thread_priority(self, 65, FALSE), KERN_INVALID_ARGUMENT);
  EXPECT_EQ(thread_priority(self, -1, FALSE), KERN_INVALID_ARGUMENT);
  EXPECT_EQ(thread_priority(MACH_PORT_NULL, 30, FALSE), MACH_SEND_INVALID_DEST);
  EXPECT_EQ(thread_priority(mach_task_self(), 30, FALSE), KERN_INVALID_ARGUMENT)
      << "a task port is not a thread";
  // Lowering the maximum is allowed; going back above it is not.
  EXPECT_EQ(thread_priority(self, 40, TRUE), KERN_SUCCESS);
  EXPECT_EQ(thread_priority(self, 30, FALSE), KERN_FAILURE);
  EXPECT_EQ(thread_priority(self, 45, FALSE), KERN_SUCCESS);
  EXPECT_EQ(mach_port_deallocate(mach_task_self(), self), KERN_SUCCESS);
}

// libports' manager: get_privileged_ports, thread_get_assignment,
// host_processor_set_priv, thread_max_priority, thread_priority. A pager is
// an unprivileged task: it gets no privileged port, and the privileged calls
// fail as GNU Mach fails them for the ports it does have.
TEST_F(Hurd, PrivilegedSchedulingCallsAnswerAsForAnUnprivilegedTask) {
  mach_port_t host_priv = 77, device_master = 78;
  EXPECT_EQ(get_privileged_ports(&host_priv, &device_master), EPERM);
  EXPECT_EQ(host_priv, 77u);
  EXPECT_EQ(device_master, 78u);

  mach_port_t self = mach_thread_self();
  recorder.clear();
  processor_set_name_t pset = MACH_PORT_NULL;
  ASSERT_EQ(thread_get_assignment(self, &pset), KERN_SUCCESS);
  ASSERT_TRUE(MACH_PORT_VALID(pset));
  processor_set_name_t again = MACH_PORT_NULL;
  ASSERT_EQ(thread_get_assignment(self, &again), KERN_SUCCESS);
  EXPECT_EQ(again, pset) << "one name per port in a task";
  EXPECT_EQ(refs(pset, MACH_PORT_RIGHT_SEND), 2u);
  // The model hears of both send rights, so releasing them is no double release.
  auto ops = recorder.of<emmi::model::PortOperated>();
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(ops[0].op, emmi::model::PortOp::insert_right);
  EXPECT_EQ(ops[0].name, pset);
  EXPECT_EQ(ops[0].right, emmi::model::Right::send);
  EXPECT_EQ(thread_get_assignment(MACH_PORT_NULL, &again), MACH_SEND_INVALID_DEST);

  processor_set_t pset_priv = MACH_PORT_NULL;
  EXPECT_EQ(host_processor_set_priv(mach_host_self(), pset, &pset_priv), KERN_INVALID_ARGUMENT);
  EXPECT_EQ(pset_priv, MACH_PORT_NULL);
  EXPECT_EQ(host_processor_set_priv(MACH_PORT_NULL, pset, &pset_priv), MACH_SEND_INVALID_DEST);
  EXPECT_EQ(thread_max_priority(self, pset, 0), KERN_INVALID_ARGUMENT);
  EXPECT_EQ(thread_max_priority(MACH_PORT_NULL, pset, 0), MACH_SEND_INVALID_DEST);

  EXPECT_EQ(mach_port_deallocate(mach_task_self(), pset), KERN_SUCCESS);
  EXPECT_EQ(mach_port_deallocate(mach_task_self(), pset), KERN_SUCCESS);
  EXPECT_EQ(mach_port_deallocate(mach_task_self(), self), KERN_SUCCESS);
}

// GNU Mach's mach_host_self returns a send right each time: Hurd code
// deallocates what it got, and the model must know those references (else
// the pager's release of one reads as a double release, V3).
TEST_F(Hurd, MachHostSelfGivesOneReferencePerCall) {
  recorder.clear();
  mach_port_t host = mach_host_self();
  ASSERT_TRUE(MACH_PORT_VALID(host));
  EXPECT_EQ(mach_host_self(), host);
  EXPECT_EQ(refs(host, MACH_PORT_RIGHT_SEND), 2u);
  auto ops = recorder.of<emmi::model::PortOperated>();
  ASSERT_EQ(ops.size(), 2u) << "one insertion per call";
  EXPECT_EQ(ops[0].op, emmi::model::PortOp::insert_right);
  EXPECT_EQ(ops[0].name, host);
  EXPECT_EQ(ops[1].op, emmi::model::PortOp::insert_right);
  EXPECT_EQ(mach_port_deallocate(mach_task_self(), host), KERN_SUCCESS);
  EXPECT_EQ(mach_port_deallocate(mach_task_self(), host), KERN_SUCCESS);
  // All released: the next call gives a right again.
  mach_port_t again = mach_host_self();
  ASSERT_TRUE(MACH_PORT_VALID(again));
  EXPECT_EQ(refs(again, MACH_PORT_RIGHT_SEND), 1u);
  mach_port_type_t type = 0;
  ASSERT_EQ(mach_port_type(mach_task_self(), again, &type), KERN_SUCCESS);
  EXPECT_EQ(type, MACH_PORT_TYPE_SEND);
}

// --- glibc-Hurd headers and helpers ----------------------------------------------------

TEST_F(Hurd, HurdCodeMayDefineItsOwnMigReplySetup) {
  EXPECT_EQ(emmi_hurd_probe_reply_id(2200), 2300);
}

// PTHREAD_SPINLOCK_INITIALIZER must be an unlocked spin lock of this C
// library: the value pthread_spin_init gives (1 on x86-64 glibc, where 0 is
// a locked lock; libports deadlocks on its first lock with 0).
TEST_F(Hurd, SpinLockInitializerIsAnUnlockedLock) {
  pthread_spinlock_t l;
  ASSERT_EQ(pthread_spin_init(&l, PTHREAD_PROCESS_PRIVATE), 0);
  EXPECT_EQ(static_cast<long>(l), emmi_hurd_probe_spin_initializer());
  EXPECT_EQ(emmi_hurd_probe_static_spin_lock(), 0) << "the static lock was taken";
  pthread_spinlock_t s = PTHREAD_SPINLOCK_INITIALIZER;
  ASSERT_EQ(pthread_spin_trylock(&s), 0);
  EXPECT_EQ(pthread_spin_trylock(&s), EBUSY);
  ASSERT_EQ(pthread_spin_unlock(&s), 0);
  pthread_spin_destroy(&l);
}

TEST_F(Hurd, PthreadHurdCondWaitReturnsZeroWhenWoken) {
  pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
  pthread_mutex_lock(&mu);
  timespec past{0, 0};
  EXPECT_EQ(pthread_hurd_cond_timedwait_np(&cv, &mu, &past), ETIMEDOUT);
  pthread_mutex_unlock(&mu);
}

// glibc's mig_strncpy: at most len - 1 characters, always terminated, the
// count of characters copied.
TEST_F(Hurd, MigStrncpyFollowsGlibc) {
  char buf[8];
  std::memset(buf, 'x', sizeof buf);
  EXPECT_EQ(mig_strncpy(buf, "abc", sizeof buf), 3u);
  EXPECT_STREQ(buf, "abc");
  EXPECT_EQ(mig_strncpy(buf, "abcdefghij", sizeof buf), 7u);
  EXPECT_STREQ(buf, "abcdefg");
  EXPECT_EQ(mig_strncpy(buf, "abc", 0), 0u);
  EXPECT_EQ(__mig_strncpy(buf, "z", 2), 1u);
  EXPECT_STREQ(buf, "z");
}

}  // namespace
}  // namespace emmi::mach::testing
