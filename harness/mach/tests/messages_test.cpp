// SPDX-License-Identifier: MIT
// Message semantics: out-of-line memory, MACH_RCV_LARGE, port sets, the
// mach_msg_server loop, dead-name and port-destroyed notifications, blocking
// receives and quiescence. Manual quotes are from
// spec/xnu-osfmk-man/mach_msg.html unless said otherwise.
#include <signal.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include <mach.h>
#include <mach/mig_support.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "emmi/mach/stamp.h"
#include "emmi/mach/withdrawn.h"
#include "test_support.h"

namespace emmi::mach::testing {
namespace {

using namespace std::chrono_literals;

class Messages : public ObservedKernel {
 protected:
  mach_msg_return_t send_ool(mach_port_t dest, const void* data, std::size_t size, bool dealloc,
                             mach_msg_id_t id = 3000) {
    OolMsg m{};
    m.head.msgh_bits = MACH_MSGH_BITS_COMPLEX | MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0);
    m.head.msgh_size = sizeof m;
    m.head.msgh_remote_port = dest;
    m.head.msgh_id = id;
    m.data_type.msgtl_header.msgt_inline = FALSE;
    m.data_type.msgtl_header.msgt_longform = TRUE;
    m.data_type.msgtl_header.msgt_deallocate = dealloc;
    m.data_type.msgtl_name = MACH_MSG_TYPE_BYTE;
    m.data_type.msgtl_size = 8;
    m.data_type.msgtl_number = static_cast<natural_t>(size);
    m.data = reinterpret_cast<vm_offset_t>(data);
    return mach_msg(&m.head, MACH_SEND_MSG, sizeof m, 0, MACH_PORT_NULL, MACH_MSG_TIMEOUT_NONE,
                    MACH_PORT_NULL);
  }
};

// "Allocated out-of-line memory arrives somewhere in the receiver's address
// space as new memory ... The receiver has the responsibility of
// de-allocating (with vm_deallocate) the memory when it is no longer needed."
// With the de-allocate option "the region is implicitly de-allocated from the
// sender, as if by vm_deallocate."
TEST_F(Messages, OutOfLineMemoryIsDeliveredFreshAndFreedOnce) {
  mach_port_t port = new_receive_right();
  vm_address_t src = 0;
  ASSERT_EQ(vm_allocate(mach_task_self(), &src, 8192, TRUE), KERN_SUCCESS);
  fill_block(reinterpret_cast<void*>(src), 7);
  fill_block(reinterpret_cast<void*>(src + 4096), 9);
  ASSERT_EQ(send_ool(port, reinterpret_cast<void*>(src), 8192, true), MACH_MSG_SUCCESS);
  // The sender's region is gone (the ledger unmapped it); a second
  // vm_deallocate of it is harmless, as in GNU Mach.
  EXPECT_EQ(vm_deallocate(mach_task_self(), src, 8192), KERN_SUCCESS);

  Buffer buf;
  ASSERT_EQ(receive_now(port, buf), MACH_MSG_SUCCESS);
  OolMsg got;
  std::memcpy(&got, &buf, sizeof got);
  const vm_offset_t data = got.data;  // a packed (4-byte aligned) field
  const natural_t count = got.data_type.msgtl_number;
  ASSERT_NE(data, 0u);
  EXPECT_EQ(data % 4096, 0u) << "fresh page-aligned mapping";
  EXPECT_EQ(count, 8192u);
  EXPECT_EQ(read_blocks(reinterpret_cast<void*>(data), 8192), (std::vector<Stamp>{7, 9}));
  auto deq = recorder.of<emmi::model::Dequeued>();
  ASSERT_EQ(deq.size(), 1u);
  EXPECT_NE(deq[0].region, 0u);
  EXPECT_EQ(deq[0].region_size, 8192u);
  EXPECT_EQ(kernel.stats().ool_regions_mapped, 1u);

  EXPECT_EQ(vm_deallocate(mach_task_self(), data, 8192), KERN_SUCCESS);
  EXPECT_EQ(kernel.stats().ool_regions_mapped, 0u);
  EXPECT_EQ(vm_deallocate(mach_task_self(), data, 8192), KERN_SUCCESS);
  auto rel = recorder.of<emmi::model::MemoryReleased>();
  ASSERT_EQ(rel.size(), 2u);
  EXPECT_EQ(rel[0].region, deq[0].region);
  EXPECT_EQ(rel[0].result, KERN_SUCCESS);
  EXPECT_EQ(rel[1].region, deq[0].region);
  EXPECT_NE(rel[1].result, KERN_SUCCESS) << "a second release is a double free";
}

namespace {

// Whether `size` bytes at `addr` of this process can be read (without
// faulting: process_vm_readv reports EFAULT instead).
bool readable(std::uintptr_t addr, std::size_t size) {
  std::vector<std::uint8_t> out(size);
  iovec local{out.data(), size};
  iovec remote{reinterpret_cast<void*>(addr), size};
  return ::process_vm_readv(::getpid(), &local, 1, &remote, 1, 0) == static_cast<ssize_t>(size);
}

}  // namespace

// The deallocate option takes the sender's pages away: "the region is
// implicitly de-allocated from the sender, as if by vm_deallocate" (GNU
// Mach: ipc_kmsg_copyin_body's vm_map_copyin with src_destroy TRUE removes
// the whole pages holding the region from the sender's map). The pager's
// pages are withdrawn rather than unmapped: they stay reserved and
// inaccessible, with a record of the message that took them (SU10), so a
// later touch faults and is charged to it, and no later mapping reuses them.
TEST_F(Messages, DeallocateOnSendWithdrawsThePagesAndRecordsTheMessage) {
  mach_port_t port = new_receive_right();
  vm_address_t src = 0;
  ASSERT_EQ(vm_allocate(mach_task_self(), &src, 3 * 4096, TRUE), KERN_SUCCESS);
  fill_block(reinterpret_cast<void*>(src + 4096), 5);
  // Data from inside the second page, reaching into the third: both leave.
  ASSERT_EQ(send_ool(port, reinterpret_cast<void*>(src + 4096 + 16), 4096, true, 3001),
            MACH_MSG_SUCCESS);
  EXPECT_TRUE(readable(src, 4096)) << "the first page was not sent";
  EXPECT_FALSE(readable(src + 4096, 4096));
  EXPECT_FALSE(readable(src + 2 * 4096, 4096));
  emmi::mach::WithdrawnPages w;
  ASSERT_TRUE(emmi::mach::withdrawn_pages_at(src + 2 * 4096 + 100, &w));
  EXPECT_EQ(w.start, src + 4096);
  EXPECT_EQ(w.end, src + 3 * 4096);
  EXPECT_EQ(w.data, src + 4096 + 16);
  EXPECT_EQ(w.data_size, 4096u);
  EXPECT_EQ(w.msg_id, 3001);
  EXPECT_FALSE(w.has_offset) << "no control call: the engine names it by its id";
  EXPECT_STREQ(w.rule, "") << "only a supply's pages are SU10's";
  EXPECT_FALSE(emmi::mach::withdrawn_pages_at(src + 100, nullptr));
  // A touch faults. The death test's child takes the fault's default
  // action, as a case's child does (isolation.cpp): a sanitizer runtime's
  // own SIGSEGV handler (ASan's) would report and exit 1 instead.
  EXPECT_EXIT(
      {
        ::signal(SIGSEGV, SIG_DFL);
        (void)*reinterpret_cast<volatile char*>(src + 4096);
      },
      ::testing::KilledBySignal(SIGSEGV), "");
  // The receiver got the data all the same.
  Buffer buf;
  ASSERT_EQ(receive_now(port, buf), MACH_MSG_SUCCESS);
  OolMsg got;
  std::memcpy(&got, &buf, sizeof got);
  const vm_offset_t data = got.data;
  std::uint64_t first_word;
  std::memcpy(&first_word, reinterpret_cast<void*>(data), sizeof first_word);
  EXPECT_EQ(first_word, 5u) << "the block's stamp, copied before the pages left";
  // No later mapping lands on the withdrawn pages; sending from them again
  // is refused as unreadable memory, as in GNU Mach where nothing is there.
  for (int i = 0; i < 8; ++i) {
    vm_address_t fresh = 0;
    ASSERT_EQ(vm_allocate(mach_task_self(), &fresh, 4096, TRUE), KERN_SUCCESS);
    EXPECT_TRUE(fresh + 4096 <= src + 4096 || fresh >= src + 3 * 4096) << std::hex << fresh;
  }
  EXPECT_EQ(send_ool(port, reinterpret_cast<void*>(src + 4096), 4096, false),
            MACH_SEND_INVALID_MEMORY);
  // vm_deallocate of them changes nothing (nothing is mapped there).
  EXPECT_EQ(vm_deallocate(mach_task_self(), src + 4096, 2 * 4096), KERN_SUCCESS);
  EXPECT_TRUE(emmi::mach::withdrawn_pages_at(src + 4096, nullptr));
  EXPECT_EQ(vm_deallocate(mach_task_self(), src, 4096), KERN_SUCCESS);
  EXPECT_EQ(vm_deallocate(mach_task_self(), data, 4096), KERN_SUCCESS);
}

// Once the pager maps there again itself (vm_allocate at a fixed address,
// which GNU Mach allows on free addresses) or unmaps the addresses, the
// record no longer says what lies there and is dropped: a later fault there
// is no touch of what a message took.
TEST_F(Messages, WithdrawnPagesTheSenderMapsAgainOrUnmapsAreForgotten) {
  mach_port_t port = new_receive_right();
  vm_address_t src = 0;
  ASSERT_EQ(vm_allocate(mach_task_self(), &src, 2 * 4096, TRUE), KERN_SUCCESS);
  ASSERT_EQ(send_ool(port, reinterpret_cast<void*>(src), 2 * 4096, true), MACH_MSG_SUCCESS);
  ASSERT_TRUE(emmi::mach::withdrawn_pages_at(src, nullptr));
  vm_address_t again = src;
  ASSERT_EQ(vm_allocate(mach_task_self(), &again, 4096, FALSE), KERN_SUCCESS);
  EXPECT_EQ(again, src);
  EXPECT_TRUE(readable(src, 4096));
  EXPECT_FALSE(emmi::mach::withdrawn_pages_at(src, nullptr));
  EXPECT_FALSE(emmi::mach::withdrawn_pages_at(src + 4096, nullptr)) << "the whole record goes";
  EXPECT_EQ(vm_deallocate(mach_task_self(), again, 4096), KERN_SUCCESS);

  vm_address_t other = 0;
  ASSERT_EQ(vm_allocate(mach_task_self(), &other, 4096, TRUE), KERN_SUCCESS);
  ASSERT_EQ(send_ool(port, reinterpret_cast<void*>(other), 4096, true), MACH_MSG_SUCCESS);
  ASSERT_TRUE(emmi::mach::withdrawn_pages_at(other, nullptr));
  EXPECT_EQ(munmap(reinterpret_cast<void*>(other), 4096), 0);
  EXPECT_FALSE(emmi::mach::withdrawn_pages_at(other, nullptr));

  Buffer buf;
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(receive_now(port, buf), MACH_MSG_SUCCESS);
    OolMsg got;
    std::memcpy(&got, &buf, sizeof got);
    const vm_offset_t data = got.data;
    const natural_t count = got.data_type.msgtl_number;
    EXPECT_EQ(vm_deallocate(mach_task_self(), data, count), KERN_SUCCESS);
  }
}

// Memory the simulated kernel did not map (malloc'd, static) shares pages
// with the suite's own data: sent with deallocate it stays where it is, and
// no record is made (SU10 is not checked there).
TEST_F(Messages, DeallocateOnSendLeavesMemoryTheKernelDidNotMap) {
  mach_port_t port = new_receive_right();
  std::vector<std::uint8_t> heap(4096, 0x5a);
  ASSERT_EQ(send_ool(port, heap.data(), heap.size(), true), MACH_MSG_SUCCESS);
  EXPECT_EQ(heap[100], 0x5a);
  EXPECT_FALSE(
      emmi::mach::withdrawn_pages_at(reinterpret_cast<std::uintptr_t>(heap.data()), nullptr));
  Buffer buf;
  ASSERT_EQ(receive_now(port, buf), MACH_MSG_SUCCESS);
  OolMsg got;
  std::memcpy(&got, &buf, sizeof got);
  const vm_offset_t data = got.data;
  EXPECT_EQ(vm_deallocate(mach_task_self(), data, 4096), KERN_SUCCESS);
}

// Hurd pagers release out-of-line data with munmap too (libpager's
// data_return does); the kernel sees that release as well.
TEST_F(Messages, MunmapOfOutOfLineMemoryIsSeen) {
  mach_port_t port = new_receive_right();
  std::vector<std::uint8_t> src(4096, 0xab);
  ASSERT_EQ(send_ool(port, src.data(), src.size(), false), MACH_MSG_SUCCESS);
  Buffer buf;
  ASSERT_EQ(receive_now(port, buf), MACH_MSG_SUCCESS);
  OolMsg got;
  std::memcpy(&got, &buf, sizeof got);
  void* data = reinterpret_cast<void*>(got.data);
  EXPECT_EQ(static_cast<std::uint8_t*>(data)[100], 0xab);
  EXPECT_EQ(munmap(data, 4096), 0);
  EXPECT_EQ(kernel.stats().ool_regions_mapped, 0u);
  auto rel = recorder.of<emmi::model::MemoryReleased>();
  ASSERT_EQ(rel.size(), 1u);
  EXPECT_EQ(rel[0].region, recorder.of<emmi::model::Dequeued>().at(0).region);
  EXPECT_EQ(rel[0].result, KERN_SUCCESS);
}

// Unreadable out-of-line memory: "MACH_SEND_INVALID_MEMORY The message body
// specified out-of-line data that was not readable", and the message's
// rights are destroyed.
TEST_F(Messages, UnreadableOutOfLineMemoryIsRefused) {
  mach_port_t port = new_receive_right();
  void* hole = mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(hole, MAP_FAILED);
  EXPECT_EQ(send_ool(port, hole, 4096, false), MACH_SEND_INVALID_MEMORY);
  munmap(hole, 4096);
  EXPECT_EQ(status_of(port).mps_msgcount, 0u);
  EXPECT_FALSE(status_of(port).mps_srights) << "the MAKE_SEND destination right was destroyed";
}

// MACH_RCV_LARGE: "If the message is larger than receive_limit ... the
// message remains queued"; without it "messages too large will be de-queued
// and then destroyed", and (GNU Mach) the seqno is used up.
TEST_F(Messages, TooLargeMessagesWithAndWithoutRcvLarge) {
  mach_port_t port = new_receive_right();
  mach_port_t carried = new_receive_right();
  ASSERT_EQ(send_port(port, carried, MACH_MSG_TYPE_MAKE_SEND), MACH_MSG_SUCCESS);
  ASSERT_EQ(send_simple(port, MACH_MSG_TYPE_MAKE_SEND, 1), MACH_MSG_SUCCESS);
  Buffer buf;
  ASSERT_EQ(receive_now(port, buf, MACH_RCV_LARGE, sizeof(mach_msg_header_t)), MACH_RCV_TOO_LARGE);
  EXPECT_EQ(buf.head.msgh_size, sizeof(PortMsg));
  EXPECT_EQ(status_of(port).mps_msgcount, 2u);
  EXPECT_EQ(status_of(port).mps_seqno, 0u);
  EXPECT_TRUE(status_of(carried).mps_srights);

  ASSERT_EQ(receive_now(port, buf, 0, sizeof(mach_msg_header_t)), MACH_RCV_TOO_LARGE);
  EXPECT_EQ(buf.head.msgh_seqno, 0u);
  EXPECT_EQ(buf.head.msgh_local_port, port);
  EXPECT_EQ(buf.head.msgh_remote_port, static_cast<mach_port_t>(MACH_PORT_NULL));
  EXPECT_EQ(status_of(port).mps_seqno, 1u) << "the dequeued message used up a seqno";
  EXPECT_FALSE(status_of(carried).mps_srights) << "its rights were destroyed";
  ASSERT_EQ(receive_now(port, buf), MACH_MSG_SUCCESS);
  EXPECT_EQ(buf.head.msgh_seqno, 1u);

  // The observer hears of the destroyed message as a dequeue the pager never
  // saw (the model then expects no handler and no rights for it).
  auto dequeued = recorder.of<emmi::model::Dequeued>();
  ASSERT_EQ(dequeued.size(), 2u);
  EXPECT_TRUE(dequeued[0].too_large);
  EXPECT_EQ(dequeued[0].seqno, 0u);
  EXPECT_TRUE(dequeued[0].rights.empty());
  EXPECT_FALSE(dequeued[1].too_large);
  EXPECT_EQ(dequeued[1].seqno, 1u);
}

// Even a buffer too small for a header takes the message off the queue.
TEST_F(Messages, AMessageLostToABufferSmallerThanAHeaderIsReported) {
  mach_port_t port = new_receive_right();
  ASSERT_EQ(send_simple(port, MACH_MSG_TYPE_MAKE_SEND, 1), MACH_MSG_SUCCESS);
  Buffer buf;
  ASSERT_EQ(receive_now(port, buf, 0, sizeof(mach_msg_header_t) / 2), MACH_RCV_TOO_LARGE);
  EXPECT_EQ(status_of(port).mps_seqno, 1u);
  EXPECT_EQ(status_of(port).mps_msgcount, 0u);
  auto dequeued = recorder.of<emmi::model::Dequeued>();
  ASSERT_EQ(dequeued.size(), 1u);
  EXPECT_TRUE(dequeued[0].too_large);
}

// "A receive operation on a port set blocks waiting for a message sent to any
// of the constituent ports ... The msgh_local_port field in the received
// message header specifies from which port in the port set the message
// came." Seqnos are the member port's. Receiving from a member directly is
// MACH_RCV_IN_SET.
TEST_F(Messages, PortSetsReceiveFromMembersInArrivalOrder) {
  mach_port_t set = MACH_PORT_NULL;
  ASSERT_EQ(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_PORT_SET, &set), KERN_SUCCESS);
  mach_port_t a = new_receive_right();
  mach_port_t b = new_receive_right();
  ASSERT_EQ(send_simple(a, MACH_MSG_TYPE_MAKE_SEND, 1), MACH_MSG_SUCCESS);
  ASSERT_EQ(mach_port_move_member(mach_task_self(), a, set), KERN_SUCCESS);
  ASSERT_EQ(mach_port_move_member(mach_task_self(), b, set), KERN_SUCCESS);
  ASSERT_EQ(send_simple(b, MACH_MSG_TYPE_MAKE_SEND, 2), MACH_MSG_SUCCESS);
  ASSERT_EQ(send_simple(a, MACH_MSG_TYPE_MAKE_SEND, 3), MACH_MSG_SUCCESS);
  Buffer buf;
  EXPECT_EQ(receive_now(a, buf), MACH_RCV_IN_SET);
  const std::pair<mach_port_t, mach_msg_id_t> want[] = {{a, 1}, {b, 2}, {a, 3}};
  const mach_port_seqno_t seq[] = {0, 0, 1};
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(receive_now(set, buf), MACH_MSG_SUCCESS);
    EXPECT_EQ(buf.head.msgh_local_port, want[i].first);
    EXPECT_EQ(buf.head.msgh_id, want[i].second);
    EXPECT_EQ(buf.head.msgh_seqno, seq[i]);
  }
  EXPECT_EQ(status_of(a).mps_pset, set);
}

namespace {
std::atomic<int> g_calls{0};
std::atomic<kern_return_t> g_result{KERN_SUCCESS};
boolean_t test_demux(mach_msg_header_t* in, mach_msg_header_t* out) {
  ++g_calls;
  auto* reply = reinterpret_cast<mig_reply_header_t*>(out);
  mig_reply_setup(in, out);
  reply->Head.msgh_remote_port = MACH_PORT_NULL;  // a simpleroutine: no reply
  reply->RetCode = g_result.load();
  return TRUE;
}
}  // namespace

namespace {
// A demux that knows no message, as a MIG server does for an id outside
// its subsystem: MIG_BAD_ID in the reply, FALSE returned.
boolean_t refusing_demux(mach_msg_header_t* in, mach_msg_header_t* out) {
  auto* reply = reinterpret_cast<mig_reply_header_t*>(out);
  mig_reply_setup(in, out);
  reply->RetCode = MIG_BAD_ID;
  return FALSE;
}
}  // namespace

// glibc's mach_msg_server ignores what the demux returns; the simulated
// kernel reports it with the handler return (memory_object_server.html:
// FALSE when "the message did not apply to this memory management
// interface"), and names the engine's stray id a foreign message.
TEST_F(Messages, ServerReportsWhatTheDemuxReturned) {
  mach_port_t port = new_receive_right();
  ASSERT_EQ(send_simple(port, MACH_MSG_TYPE_MAKE_SEND, emmi::mach::kForeignMessageId),
            MACH_MSG_SUCCESS);
  recorder.clear();
  EXPECT_EQ(mach_msg_server_timeout(refusing_demux, 0, port, MACH_RCV_TIMEOUT, 0),
            MACH_RCV_TIMED_OUT);
  g_result = KERN_SUCCESS;
  ASSERT_EQ(send_simple(port, MACH_MSG_TYPE_MAKE_SEND, 7), MACH_MSG_SUCCESS);
  EXPECT_EQ(mach_msg_server_timeout(test_demux, 0, port, MACH_RCV_TIMEOUT, 0), MACH_RCV_TIMED_OUT);
  auto handled = recorder.of<emmi::model::HandlerReturned>();
  ASSERT_EQ(handled.size(), 2u);
  EXPECT_EQ(handled[0].code, MIG_BAD_ID);
  EXPECT_EQ(handled[0].handled, std::optional<bool>(false));
  EXPECT_EQ(handled[1].handled, std::optional<bool>(true));
}

// glibc mach_msg_server: "Some error; destroy the request message to release
// any port rights or VM it holds." A handler result of KERN_SUCCESS keeps
// them (the handler owns them).
TEST_F(Messages, ServerDestroysTheRequestOnError) {
  mach_port_t port = new_receive_right();
  mach_port_t carried = new_receive_right();
  vm_address_t src = 0;
  ASSERT_EQ(vm_allocate(mach_task_self(), &src, 4096, TRUE), KERN_SUCCESS);

  // Handler fails: the send right and the OOL region are released.
  g_result = KERN_FAILURE;
  g_calls = 0;
  ASSERT_EQ(send_port(port, carried, MACH_MSG_TYPE_MAKE_SEND), MACH_MSG_SUCCESS);
  ASSERT_EQ(send_ool(port, reinterpret_cast<void*>(src), 4096, false), MACH_MSG_SUCCESS);
  recorder.clear();
  EXPECT_EQ(mach_msg_server_timeout(test_demux, 0, port, MACH_RCV_TIMEOUT, 0), MACH_RCV_TIMED_OUT);
  EXPECT_EQ(g_calls.load(), 2);
  EXPECT_FALSE(status_of(carried).mps_srights);
  EXPECT_EQ(refs(carried, MACH_PORT_RIGHT_SEND), 0u);
  EXPECT_EQ(kernel.stats().ool_regions_mapped, 0u);
  auto handled = recorder.of<emmi::model::HandlerReturned>();
  ASSERT_EQ(handled.size(), 2u);
  EXPECT_EQ(handled[0].code, KERN_FAILURE);
  // Each return names the request mach_msg_server received for it.
  auto dequeued = recorder.of<emmi::model::Dequeued>();
  ASSERT_EQ(dequeued.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(handled[i].port, dequeued[i].port);
    EXPECT_EQ(handled[i].seqno, dequeued[i].seqno);
  }
  // The destruction is implied by HandlerReturned, not reported again.
  EXPECT_TRUE(recorder.of<emmi::model::PortOperated>().empty());
  EXPECT_TRUE(recorder.of<emmi::model::MemoryReleased>().empty());

  // Handler succeeds: the right stays with the receiver.
  g_result = KERN_SUCCESS;
  ASSERT_EQ(send_port(port, carried, MACH_MSG_TYPE_MAKE_SEND), MACH_MSG_SUCCESS);
  EXPECT_EQ(mach_msg_server_timeout(test_demux, 0, port, MACH_RCV_TIMEOUT, 0), MACH_RCV_TIMED_OUT);
  EXPECT_TRUE(status_of(carried).mps_srights);
  EXPECT_EQ(refs(carried, MACH_PORT_RIGHT_SEND), 1u);

  // MIG_NO_REPLY keeps them too.
  g_result = MIG_NO_REPLY;
  ASSERT_EQ(send_port(port, carried, MACH_MSG_TYPE_MAKE_SEND), MACH_MSG_SUCCESS);
  EXPECT_EQ(mach_msg_server_timeout(test_demux, 0, port, MACH_RCV_TIMEOUT, 0), MACH_RCV_TIMED_OUT);
  EXPECT_EQ(refs(carried, MACH_PORT_RIGHT_SEND), 2u);
}

// A dead-name request fires when the port dies: "When a port dies, send and
// send-once rights for the port turn into dead names."
TEST_F(Messages, DeadNameNotificationWhenThePortDies) {
  mach_port_t watched = new_receive_right();
  mach_port_t notify = new_receive_right();
  TaskId peer = kernel.create_task("peer");
  const mach_port_t peer_task = kernel.task_port_in(kernel.pager_task(), peer);
  // Hand the peer our receive right: it will destroy it.
  const mach_port_t in_peer = kernel.fresh_name(peer);
  ASSERT_EQ(mach_port_insert_right(mach_task_self(), watched, watched, MACH_MSG_TYPE_MAKE_SEND),
            KERN_SUCCESS);
  mach_port_t previous = MACH_PORT_NULL;
  ASSERT_EQ(mach_port_request_notification(mach_task_self(), watched, MACH_NOTIFY_DEAD_NAME, 0,
                                           notify, MACH_MSG_TYPE_MAKE_SEND_ONCE, &previous),
            KERN_SUCCESS);
  ASSERT_EQ(mach_port_insert_right(peer_task, in_peer, watched, MACH_MSG_TYPE_MOVE_RECEIVE),
            KERN_SUCCESS);
  {
    Kernel::TaskScope scope(kernel, peer);
    ASSERT_EQ(mach_port_mod_refs(mach_task_self(), in_peer, MACH_PORT_RIGHT_RECEIVE, -1),
              KERN_SUCCESS);
  }
  Buffer buf;
  ASSERT_EQ(receive_now(notify, buf), MACH_MSG_SUCCESS);
  EXPECT_EQ(buf.head.msgh_id, MACH_NOTIFY_DEAD_NAME);
  mach_dead_name_notification_t n;
  std::memcpy(&n, &buf, sizeof n);
  EXPECT_EQ(n.not_port, watched);
  mach_port_type_t type = 0;
  ASSERT_EQ(mach_port_type(mach_task_self(), watched, &type), KERN_SUCCESS);
  EXPECT_EQ(type, MACH_PORT_TYPE_DEAD_NAME);
  auto sent = recorder.of<emmi::model::KernelSent>();
  ASSERT_FALSE(sent.empty());
  EXPECT_EQ(sent.back().kind, emmi::model::MessageKind::dead_name);
  EXPECT_EQ(sent.back().destination, notify);
}

// A port-destroyed request turns destruction of the receive right into its
// transfer to the requester (mach_port_request_notification,
// MACH_NOTIFY_PORT_DESTROYED).
TEST_F(Messages, PortDestroyedNotificationCarriesTheReceiveRight) {
  mach_port_t port = new_receive_right();
  mach_port_t notify = new_receive_right();
  ASSERT_EQ(send_simple(port, MACH_MSG_TYPE_MAKE_SEND, 5), MACH_MSG_SUCCESS);
  mach_port_t previous = MACH_PORT_NULL;
  ASSERT_EQ(mach_port_request_notification(mach_task_self(), port, MACH_NOTIFY_PORT_DESTROYED, 0,
                                           notify, MACH_MSG_TYPE_MAKE_SEND_ONCE, &previous),
            KERN_SUCCESS);
  ASSERT_EQ(mach_port_mod_refs(mach_task_self(), port, MACH_PORT_RIGHT_RECEIVE, -1), KERN_SUCCESS);
  Buffer buf;
  ASSERT_EQ(receive_now(notify, buf), MACH_MSG_SUCCESS);
  EXPECT_EQ(buf.head.msgh_id, MACH_NOTIFY_PORT_DESTROYED);
  mach_port_destroyed_notification_t n;
  std::memcpy(&n, &buf, sizeof n);
  EXPECT_EQ(n.not_type.msgt_name, static_cast<unsigned>(MACH_MSG_TYPE_PORT_RECEIVE));
  ASSERT_TRUE(MACH_PORT_VALID(n.not_port));
  EXPECT_NE(n.not_port, port) << "names are never reused";
  ASSERT_EQ(receive_now(n.not_port, buf), MACH_MSG_SUCCESS) << "the queued message survived";
  EXPECT_EQ(buf.head.msgh_id, 5);
  EXPECT_EQ(buf.head.msgh_seqno, 0u);
}

// A receive blocks until a message arrives, and the kernel knows it: with
// the receiver blocked and nothing queued, the pager is quiescent.
TEST_F(Messages, BlockedReceiverWakesAndQuiescenceFollowsIt) {
  mach_port_t port = new_receive_right();
  mach_port_t to_port = MACH_PORT_NULL;
  mach_msg_type_name_t t = 0;
  ASSERT_EQ(mach_port_extract_right(mach_task_self(), port, MACH_MSG_TYPE_MAKE_SEND, &to_port, &t),
            KERN_SUCCESS);
  std::atomic<int> received{0};
  std::atomic<bool> release{false};
  std::thread server;
  {
    Kernel::ExternalPagerCall as_pager(kernel);
    server = std::thread([&] {
      Buffer buf;
      for (int i = 0; i < 2; ++i) {
        std::memset(&buf, 0, sizeof buf);
        if (mach_msg(&buf.head, MACH_RCV_MSG, 0, sizeof buf, port, 0, MACH_PORT_NULL) ==
            MACH_MSG_SUCCESS)
          ++received;
        // Stay busy (not in a receive) until the test says so.
        while (i == 0 && !release.load()) std::this_thread::yield();
      }
    });
  }
  const auto deadline = [] { return std::chrono::steady_clock::now() + 10s; };
  ASSERT_TRUE(kernel.wait_quiescent(deadline()));
  {
    Kernel::ExternalPagerCall as_pager(kernel);
    ASSERT_EQ(send_simple(to_port, MACH_MSG_TYPE_COPY_SEND), MACH_MSG_SUCCESS);
  }
  // The server dequeued and is spinning: not quiescent until released.
  EXPECT_FALSE(kernel.wait_quiescent(std::chrono::steady_clock::now() + 50ms));
  release = true;
  ASSERT_TRUE(kernel.wait_quiescent(deadline()));
  EXPECT_EQ(received.load(), 1);
  {
    Kernel::ExternalPagerCall as_pager(kernel);
    ASSERT_EQ(send_simple(to_port, MACH_MSG_TYPE_COPY_SEND), MACH_MSG_SUCCESS);
  }
  server.join();
  EXPECT_EQ(received.load(), 2);
  ASSERT_TRUE(kernel.wait_quiescent(deadline())) << "an exited thread does not hold quiescence";
}

// Destroying the port a thread waits on ends its receive with
// MACH_RCV_PORT_DIED (how a pager's stop() ends its threads).
TEST_F(Messages, DestroyingTheWaitedPortEndsTheReceive) {
  mach_port_t port = new_receive_right();
  mach_port_t to_port = MACH_PORT_NULL;
  mach_msg_type_name_t t = 0;
  ASSERT_EQ(mach_port_extract_right(mach_task_self(), port, MACH_MSG_TYPE_MAKE_SEND, &to_port, &t),
            KERN_SUCCESS);
  std::atomic<mach_msg_return_t> first{MACH_MSG_SUCCESS};
  std::atomic<mach_msg_return_t> second{MACH_MSG_SUCCESS};
  std::thread server;
  {
    Kernel::ExternalPagerCall as_pager(kernel);
    server = std::thread([&] {
      Buffer buf;
      first = mach_msg(&buf.head, MACH_RCV_MSG, 0, sizeof buf, port, 0, MACH_PORT_NULL);
      second = mach_msg(&buf.head, MACH_RCV_MSG, 0, sizeof buf, port, 0, MACH_PORT_NULL);
    });
    // A pending message keeps the step open until the new thread has taken
    // it and waits again.
    ASSERT_EQ(send_simple(to_port, MACH_MSG_TYPE_COPY_SEND), MACH_MSG_SUCCESS);
  }
  ASSERT_TRUE(kernel.wait_quiescent(std::chrono::steady_clock::now() + 10s));
  ASSERT_EQ(mach_port_destroy(mach_task_self(), port), KERN_SUCCESS);
  server.join();
  EXPECT_EQ(first.load(), MACH_MSG_SUCCESS);
  EXPECT_EQ(second.load(), MACH_RCV_PORT_DIED);
}

namespace {
struct HookLog {
  std::atomic<int> dequeue{0};
  std::atomic<int> port_op{0};
};
void hook(void* ctx, HookPoint point, emmi::model::ThreadId) {
  auto* log = static_cast<HookLog*>(ctx);
  if (point == HookPoint::dequeue) ++log->dequeue;
  if (point == HookPoint::port_operation) ++log->port_op;
}
}  // namespace

TEST_F(Messages, ScheduleHookRunsAtDequeueAndPortOperations) {
  HookLog log;
  kernel.set_schedule_hook(hook, &log);
  mach_port_t port = new_receive_right();
  ASSERT_EQ(send_simple(port, MACH_MSG_TYPE_MAKE_SEND), MACH_MSG_SUCCESS);
  Buffer buf;
  ASSERT_EQ(receive_now(port, buf), MACH_MSG_SUCCESS);
  EXPECT_EQ(log.dequeue.load(), 1);
  EXPECT_EQ(log.port_op.load(), 1);  // the allocate
  kernel.set_schedule_hook(nullptr, nullptr);
  ASSERT_EQ(mach_port_destroy(mach_task_self(), port), KERN_SUCCESS);
  EXPECT_EQ(log.port_op.load(), 1);
}

// Header rights are handled atomically: "consider sending a message with the
// destination port specified as MACH_MSG_TYPE_MOVE_SEND and the reply port
// specified as MACH_MSG_TYPE_COPY_SEND. The same send right, with one
// user-reference, is supplied for both ... this succeeds."
TEST_F(Messages, HeaderRightsAreCopiedInAtomically) {
  mach_port_t port = new_receive_right();
  ASSERT_EQ(mach_port_insert_right(mach_task_self(), port, port, MACH_MSG_TYPE_MAKE_SEND),
            KERN_SUCCESS);
  EXPECT_EQ(send_simple(port, MACH_MSG_TYPE_MOVE_SEND, 9, port, MACH_MSG_TYPE_COPY_SEND),
            MACH_MSG_SUCCESS);
  EXPECT_EQ(refs(port, MACH_PORT_RIGHT_SEND), 0u);
  // Both MOVE_SEND with one uref fails, and changes nothing.
  ASSERT_EQ(mach_port_insert_right(mach_task_self(), port, port, MACH_MSG_TYPE_MAKE_SEND),
            KERN_SUCCESS);
  EXPECT_NE(send_simple(port, MACH_MSG_TYPE_MOVE_SEND, 9, port, MACH_MSG_TYPE_MOVE_SEND),
            MACH_MSG_SUCCESS);
  EXPECT_EQ(refs(port, MACH_PORT_RIGHT_SEND), 1u);
  Buffer buf;
  ASSERT_EQ(receive_now(port, buf), MACH_MSG_SUCCESS);
  EXPECT_EQ(buf.head.msgh_remote_port, port) << "the reply right merged into our name";
  EXPECT_EQ(MACH_MSGH_BITS_REMOTE(buf.head.msgh_bits),
            static_cast<mach_msg_bits_t>(MACH_MSG_TYPE_PORT_SEND));
  EXPECT_EQ(receive_now(port, buf), MACH_RCV_TIMED_OUT);
}

// A message to the task port (a kernel object whose calls the simulation
// serves as functions, not messages) names a routine the port does not
// serve: as GNU Mach's ipc_kobject_server does for an unknown routine
// (gnumach-kernel.md section 3e), the kernel replies MIG_BAD_ID to the reply
// right, with the reply's id (the request's + 100).
TEST_F(Messages, UnknownRoutineOnAKernelObjectGetsMigBadId) {
  mach_port_t reply = new_receive_right();
  ASSERT_EQ(send_simple(mach_task_self(), MACH_MSG_TYPE_COPY_SEND, 4242, reply,
                        MACH_MSG_TYPE_MAKE_SEND_ONCE),
            MACH_MSG_SUCCESS);
  Buffer buf;
  ASSERT_EQ(receive_now(reply, buf), MACH_MSG_SUCCESS);
  EXPECT_EQ(buf.head.msgh_id, 4342);
  ASSERT_EQ(buf.head.msgh_size, sizeof(mig_reply_header_t));
  mig_reply_header_t r;
  std::memcpy(&r, &buf, sizeof r);
  EXPECT_EQ(r.RetCode, MIG_BAD_ID);
  Buffer none;
  EXPECT_EQ(receive_now(reply, none), MACH_RCV_TIMED_OUT);  // one reply only
}

}  // namespace
}  // namespace emmi::mach::testing
