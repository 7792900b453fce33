// SPDX-License-Identifier: MIT
// Port-right semantics of the simulated kernel, each test checking a sentence
// of the manual (spec/xnu-osfmk-man/mach_msg.html, mach_port_deallocate.html)
// or a GNU Mach behaviour from spec/gnumach-kernel.md.
#include <sys/mman.h>

#include <thread>

#include "emmi/model/model.h"
#include "test_support.h"

namespace emmi::mach::testing {
namespace {

class Rights : public ObservedKernel {};

// mach_msg.html: "When a task receives a send right which it already holds,
// the kernel increments the right's user-reference count. When a task
// de-allocates a send right, the kernel decrements its user-reference count,
// and the task only loses the send right when the count goes to zero."
TEST_F(Rights, SendRightUrefsCountUpAndDown) {
  mach_port_t port = new_receive_right();
  mach_port_t holder = new_receive_right();
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(send_port(holder, port, MACH_MSG_TYPE_MAKE_SEND), MACH_MSG_SUCCESS);
  Buffer buf;
  mach_port_t got = MACH_PORT_NULL;
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(receive_now(holder, buf), MACH_MSG_SUCCESS);
    std::memcpy(&got, buf.body + sizeof(mach_msg_type_t), sizeof got);
    // "If the receiving task already has send and/or receive rights for the
    // port, then that name for the port will be reused."
    EXPECT_EQ(got, port);
  }
  EXPECT_EQ(refs(port, MACH_PORT_RIGHT_SEND), 3u);
  EXPECT_EQ(mach_port_deallocate(mach_task_self(), port), KERN_SUCCESS);
  EXPECT_EQ(refs(port, MACH_PORT_RIGHT_SEND), 2u);
  EXPECT_EQ(mach_port_deallocate(mach_task_self(), port), KERN_SUCCESS);
  EXPECT_EQ(mach_port_deallocate(mach_task_self(), port), KERN_SUCCESS);
  EXPECT_EQ(refs(port, MACH_PORT_RIGHT_SEND), 0u);
  // The receive right under the same name is untouched.
  EXPECT_EQ(refs(port, MACH_PORT_RIGHT_RECEIVE), 1u);
  EXPECT_EQ(mach_port_deallocate(mach_task_self(), port), KERN_INVALID_RIGHT);
}

// GNU Mach copies message rights out with overflow allowed: urefs stop at
// MACH_PORT_UREFS_MAX - 1 (spec/gnumach-kernel.md 3f); mach_port_mod_refs
// past the maximum fails with KERN_UREFS_OVERFLOW.
TEST_F(Rights, UrefsAreCappedOnReceiveAndRefusedByModRefs) {
  mach_port_t port = new_receive_right();
  ASSERT_EQ(mach_port_insert_right(mach_task_self(), port, port, MACH_MSG_TYPE_MAKE_SEND),
            KERN_SUCCESS);
  ASSERT_EQ(mach_port_mod_refs(mach_task_self(), port, MACH_PORT_RIGHT_SEND, 0xfffc), KERN_SUCCESS);
  EXPECT_EQ(refs(port, MACH_PORT_RIGHT_SEND), 0xfffdu);
  mach_port_t holder = new_receive_right();
  Buffer buf;
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(send_port(holder, port, MACH_MSG_TYPE_MAKE_SEND), MACH_MSG_SUCCESS);
    ASSERT_EQ(receive_now(holder, buf), MACH_MSG_SUCCESS);
  }
  EXPECT_EQ(refs(port, MACH_PORT_RIGHT_SEND), 0xfffeu);
  EXPECT_EQ(mach_port_mod_refs(mach_task_self(), port, MACH_PORT_RIGHT_SEND, 2),
            KERN_UREFS_OVERFLOW);
  EXPECT_EQ(refs(port, MACH_PORT_RIGHT_SEND), 0xfffeu);
  // The capped rights were dropped, not leaked: after all urefs go, there
  // are no senders left.
  ASSERT_EQ(mach_port_mod_refs(mach_task_self(), port, MACH_PORT_RIGHT_SEND, -0xfffe),
            KERN_SUCCESS);
  EXPECT_FALSE(status_of(port).mps_srights);
}

// mach_msg.html: MAKE_SEND "The send right is created from the receive right,
// and the receive right's make-send count is incremented." COPY_SEND "The user
// reference count for the supplied send right is not changed." MOVE_SEND "The
// user reference count for the supplied send right is decremented, and the
// right is destroyed if the count becomes zero."
TEST_F(Rights, MakeSendCopySendAndMoveSendDiffer) {
  mach_port_t port = new_receive_right();
  mach_port_t sink = new_receive_right();
  EXPECT_EQ(status_of(port).mps_mscount, 0u);
  ASSERT_EQ(send_port(sink, port, MACH_MSG_TYPE_MAKE_SEND), MACH_MSG_SUCCESS);
  EXPECT_EQ(status_of(port).mps_mscount, 1u);
  EXPECT_EQ(refs(port, MACH_PORT_RIGHT_SEND), 0u);

  ASSERT_EQ(mach_port_insert_right(mach_task_self(), port, port, MACH_MSG_TYPE_MAKE_SEND),
            KERN_SUCCESS);
  EXPECT_EQ(status_of(port).mps_mscount, 2u);
  ASSERT_EQ(mach_port_mod_refs(mach_task_self(), port, MACH_PORT_RIGHT_SEND, 1), KERN_SUCCESS);
  ASSERT_EQ(refs(port, MACH_PORT_RIGHT_SEND), 2u);

  ASSERT_EQ(send_port(sink, port, MACH_MSG_TYPE_COPY_SEND), MACH_MSG_SUCCESS);
  EXPECT_EQ(refs(port, MACH_PORT_RIGHT_SEND), 2u);
  EXPECT_EQ(status_of(port).mps_mscount, 2u);

  ASSERT_EQ(send_port(sink, port, MACH_MSG_TYPE_MOVE_SEND), MACH_MSG_SUCCESS);
  EXPECT_EQ(refs(port, MACH_PORT_RIGHT_SEND), 1u);
  ASSERT_EQ(send_port(sink, port, MACH_MSG_TYPE_MOVE_SEND), MACH_MSG_SUCCESS);
  EXPECT_EQ(refs(port, MACH_PORT_RIGHT_SEND), 0u);
  EXPECT_EQ(send_port(sink, port, MACH_MSG_TYPE_MOVE_SEND), MACH_SEND_INVALID_RIGHT);
  // Four send rights are in transit in sink's queue.
  EXPECT_TRUE(status_of(port).mps_srights);
  EXPECT_EQ(status_of(sink).mps_msgcount, 4u);
}

// mach_msg.html: "Each send-once right generated guarantees the receipt of a
// single message, either a message sent to that send-once right or, if the
// send-once right is in any way destroyed, a send-once notification."
TEST_F(Rights, DestroyedSendOnceRightProducesSendOnceNotification) {
  mach_port_t port = new_receive_right();
  mach_port_t so = MACH_PORT_NULL;
  mach_msg_type_name_t got_type = 0;
  ASSERT_EQ(mach_port_extract_right(mach_task_self(), port, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so,
                                    &got_type),
            KERN_SUCCESS);
  EXPECT_EQ(got_type, static_cast<mach_msg_type_name_t>(MACH_MSG_TYPE_PORT_SEND_ONCE));
  EXPECT_NE(so, port);  // "Each send-once right held by a task has a different name."
  EXPECT_EQ(status_of(port).mps_sorights, 1u);
  Buffer buf;
  EXPECT_EQ(receive_now(port, buf), MACH_RCV_TIMED_OUT);
  EXPECT_EQ(mach_port_deallocate(mach_task_self(), so), KERN_SUCCESS);
  ASSERT_EQ(receive_now(port, buf), MACH_MSG_SUCCESS);
  EXPECT_EQ(buf.head.msgh_id, MACH_NOTIFY_SEND_ONCE);
  EXPECT_EQ(MACH_MSGH_BITS_LOCAL(buf.head.msgh_bits),
            static_cast<mach_msg_bits_t>(MACH_MSG_TYPE_PORT_SEND_ONCE));
  EXPECT_EQ(status_of(port).mps_sorights, 0u);

  // A send-once right used for a message produces no notification.
  ASSERT_EQ(mach_port_extract_right(mach_task_self(), port, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so,
                                    &got_type),
            KERN_SUCCESS);
  ASSERT_EQ(send_simple(so, MACH_MSG_TYPE_MOVE_SEND_ONCE, 4242), MACH_MSG_SUCCESS);
  ASSERT_EQ(receive_now(port, buf), MACH_MSG_SUCCESS);
  EXPECT_EQ(buf.head.msgh_id, 4242);
  EXPECT_EQ(receive_now(port, buf), MACH_RCV_TIMED_OUT);
}

// The no-senders notification is generated the moment the last send right
// goes (spec/gnumach-kernel.md 3d), carrying the make-send count.
TEST_F(Rights, NoSendersFiresWhenTheLastSendRightGoes) {
  mach_port_t port = new_receive_right();
  mach_port_t previous = MACH_PORT_NULL;
  ASSERT_EQ(mach_port_insert_right(mach_task_self(), port, port, MACH_MSG_TYPE_MAKE_SEND),
            KERN_SUCCESS);
  ASSERT_EQ(mach_port_request_notification(mach_task_self(), port, MACH_NOTIFY_NO_SENDERS, 0, port,
                                           MACH_MSG_TYPE_MAKE_SEND_ONCE, &previous),
            KERN_SUCCESS);
  EXPECT_EQ(previous, static_cast<mach_port_t>(MACH_PORT_NULL));
  EXPECT_TRUE(status_of(port).mps_nsrequest);
  mach_port_t other = MACH_PORT_NULL;
  mach_msg_type_name_t t = 0;
  ASSERT_EQ(mach_port_extract_right(mach_task_self(), port, MACH_MSG_TYPE_COPY_SEND, &other, &t),
            KERN_SUCCESS);
  EXPECT_EQ(other, port);
  EXPECT_EQ(refs(port, MACH_PORT_RIGHT_SEND), 2u);
  Buffer buf;
  ASSERT_EQ(mach_port_deallocate(mach_task_self(), port), KERN_SUCCESS);
  EXPECT_EQ(receive_now(port, buf), MACH_RCV_TIMED_OUT) << "a send uref remains";
  ASSERT_EQ(mach_port_deallocate(mach_task_self(), port), KERN_SUCCESS);
  ASSERT_EQ(receive_now(port, buf), MACH_MSG_SUCCESS);
  EXPECT_EQ(buf.head.msgh_id, MACH_NOTIFY_NO_SENDERS);
  mach_no_senders_notification_t n;
  std::memcpy(&n, &buf, sizeof n);
  EXPECT_EQ(n.not_count, 1u);  // one MAKE_SEND happened
  EXPECT_FALSE(status_of(port).mps_nsrequest);
}

// mach_msg.html: "When a message is de-queued from the port, it is stamped
// with the port's sequence number and the port's sequence number is then
// incremented ... Newly created ports start with a zero sequence number, and
// the sequence number is reset to zero whenever the port's receive right
// moves between tasks."
TEST_F(Rights, SeqnosAreGapFreeAndResetWhenTheReceiveRightMoves) {
  mach_port_t port = new_receive_right();
  mach_port_t send = MACH_PORT_NULL;
  mach_msg_type_name_t t = 0;
  ASSERT_EQ(mach_port_extract_right(mach_task_self(), port, MACH_MSG_TYPE_MAKE_SEND, &send, &t),
            KERN_SUCCESS);
  Buffer buf;
  for (mach_port_seqno_t i = 0; i < 5; ++i)
    ASSERT_EQ(send_simple(send, MACH_MSG_TYPE_COPY_SEND), MACH_MSG_SUCCESS);
  for (mach_port_seqno_t i = 0; i < 3; ++i) {
    ASSERT_EQ(receive_now(port, buf), MACH_MSG_SUCCESS);
    EXPECT_EQ(buf.head.msgh_seqno, i);
  }
  EXPECT_EQ(status_of(port).mps_seqno, 3u);

  // Move the receive right to another task, with two messages still queued.
  TaskId peer = kernel.create_task("peer");
  mach_port_t inbox = MACH_PORT_NULL;
  {
    Kernel::TaskScope scope(kernel, peer);
    inbox = new_receive_right();
  }
  const mach_port_t peer_task = kernel.task_port_in(kernel.pager_task(), peer);
  mach_port_t to_inbox = MACH_PORT_NULL;
  ASSERT_EQ(mach_port_extract_right(peer_task, inbox, MACH_MSG_TYPE_MAKE_SEND, &to_inbox, &t),
            KERN_SUCCESS);
  ASSERT_EQ(send_port(to_inbox, port, MACH_MSG_TYPE_MOVE_RECEIVE, 1001, MACH_MSG_TYPE_COPY_SEND),
            MACH_MSG_SUCCESS);
  // The pager keeps its send right under the same name, now to a port whose
  // receive right is elsewhere.
  EXPECT_EQ(refs(port, MACH_PORT_RIGHT_RECEIVE), 0u);
  EXPECT_EQ(refs(port, MACH_PORT_RIGHT_SEND), 1u);
  {
    Kernel::TaskScope scope(kernel, peer);
    ASSERT_EQ(receive_now(inbox, buf), MACH_MSG_SUCCESS);
    PortMsg got;
    std::memcpy(&got, &buf, sizeof got);
    EXPECT_EQ(got.port_type.msgt_name, static_cast<unsigned>(MACH_MSG_TYPE_PORT_RECEIVE));
    const mach_port_t moved = got.port;
    EXPECT_EQ(status_of(moved).mps_seqno, 0u);
    EXPECT_EQ(status_of(moved).mps_msgcount, 2u);
    for (mach_port_seqno_t i = 0; i < 2; ++i) {
      ASSERT_EQ(receive_now(moved, buf), MACH_MSG_SUCCESS);
      EXPECT_EQ(buf.head.msgh_seqno, i);
    }
  }
}

// mach_port_destroy removes every right under the name: receive and all send
// urefs. mach_msg.html: "When a port dies, send and send-once rights for the
// port turn into dead names."
TEST_F(Rights, DestroyRemovesEveryRightUnderTheName) {
  mach_port_t port = new_receive_right();
  ASSERT_EQ(mach_port_insert_right(mach_task_self(), port, port, MACH_MSG_TYPE_MAKE_SEND),
            KERN_SUCCESS);
  ASSERT_EQ(mach_port_mod_refs(mach_task_self(), port, MACH_PORT_RIGHT_SEND, 2), KERN_SUCCESS);
  TaskId peer = kernel.create_task("peer");
  const mach_port_t peer_task = kernel.task_port_in(kernel.pager_task(), peer);
  const mach_port_t in_peer = kernel.fresh_name(peer);
  ASSERT_EQ(mach_port_insert_right(peer_task, in_peer, port, MACH_MSG_TYPE_MAKE_SEND),
            KERN_SUCCESS);

  ASSERT_EQ(mach_port_destroy(mach_task_self(), port), KERN_SUCCESS);
  mach_port_type_t type = 0;
  EXPECT_EQ(mach_port_type(mach_task_self(), port, &type), KERN_INVALID_NAME);
  EXPECT_EQ(mach_port_deallocate(mach_task_self(), port), KERN_INVALID_NAME);
  {
    Kernel::TaskScope scope(kernel, peer);
    ASSERT_EQ(mach_port_type(mach_task_self(), in_peer, &type), KERN_SUCCESS);
    EXPECT_EQ(type, MACH_PORT_TYPE_DEAD_NAME);
    EXPECT_EQ(refs(in_peer, MACH_PORT_RIGHT_DEAD_NAME), 1u);
    EXPECT_EQ(send_simple(in_peer, MACH_MSG_TYPE_COPY_SEND), MACH_SEND_INVALID_DEST);
  }
}

// mach_port_deallocate of a name the task does not hold: GNU Mach returns
// KERN_INVALID_NAME (mach_port_deallocate.html says "returns success"; the
// suite follows GNU Mach) and the attempt is reported as a port operation.
TEST_F(Rights, DeallocateOfAnUnheldNameIsAnErrorAndIsReported) {
  mach_port_t port = new_receive_right();
  ASSERT_EQ(mach_port_insert_right(mach_task_self(), port, port, MACH_MSG_TYPE_MAKE_SEND),
            KERN_SUCCESS);
  recorder.clear();
  EXPECT_EQ(mach_port_deallocate(mach_task_self(), port), KERN_SUCCESS);
  EXPECT_EQ(mach_port_deallocate(mach_task_self(), port), KERN_INVALID_RIGHT);
  EXPECT_EQ(mach_port_deallocate(mach_task_self(), port + 1000), KERN_INVALID_NAME);
  EXPECT_EQ(mach_port_deallocate(mach_task_self(), MACH_PORT_NULL), KERN_SUCCESS);
  auto ops = recorder.of<emmi::model::PortOperated>();
  ASSERT_EQ(ops.size(), 4u);
  EXPECT_EQ(ops[0].result, KERN_SUCCESS);
  EXPECT_EQ(ops[1].result, KERN_INVALID_RIGHT);
  EXPECT_EQ(ops[2].name, port + 1000);
  EXPECT_EQ(ops[2].result, KERN_INVALID_NAME);
  EXPECT_EQ(ops[0].op, emmi::model::PortOp::deallocate);
  EXPECT_EQ(ops[0].thread, kernel.current_thread_id());
}

// mach_port_set_seqno: the next message dequeued carries the number set,
// and the observer hears of it (the model's seqno check follows it).
TEST_F(Rights, SetSeqnoNumbersTheNextMessageAndIsReported) {
  mach_port_t port = new_receive_right();
  recorder.clear();
  ASSERT_EQ(mach_port_set_seqno(mach_task_self(), port, 41), KERN_SUCCESS);
  EXPECT_EQ(mach_port_set_seqno(mach_task_self(), port + 1000, 3), KERN_INVALID_NAME);
  ASSERT_EQ(send_simple(port, MACH_MSG_TYPE_MAKE_SEND, 1), MACH_MSG_SUCCESS);
  Buffer buf;
  ASSERT_EQ(receive_now(port, buf), MACH_MSG_SUCCESS);
  EXPECT_EQ(buf.head.msgh_seqno, 41u);
  auto ops = recorder.of<emmi::model::PortOperated>();
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(ops[0].op, emmi::model::PortOp::set_seqno);
  EXPECT_EQ(ops[0].name, port);
  EXPECT_EQ(ops[0].delta, 41);
  EXPECT_EQ(ops[0].result, KERN_SUCCESS);
  EXPECT_EQ(ops[1].result, KERN_INVALID_NAME);
}

// A second no-senders request hands back the first one's send-once right
// (libports releases it with mach_port_deallocate). The observer hears of
// both rights the pager's ledger gains and loses, so that release is not a
// double release.
TEST_F(Rights, ARepeatedNotificationRequestHandsBackThePreviousSendOnceRight) {
  mach_port_t port = new_receive_right();
  mach_port_t notify = new_receive_right();
  mach_port_t previous = MACH_PORT_NULL;
  ASSERT_EQ(mach_port_request_notification(mach_task_self(), port, MACH_NOTIFY_NO_SENDERS, 1,
                                           notify, MACH_MSG_TYPE_MAKE_SEND_ONCE, &previous),
            KERN_SUCCESS);
  ASSERT_EQ(previous, static_cast<mach_port_t>(MACH_PORT_NULL));
  recorder.clear();
  ASSERT_EQ(mach_port_request_notification(mach_task_self(), port, MACH_NOTIFY_NO_SENDERS, 1,
                                           notify, MACH_MSG_TYPE_MAKE_SEND_ONCE, &previous),
            KERN_SUCCESS);
  ASSERT_NE(previous, static_cast<mach_port_t>(MACH_PORT_NULL));
  EXPECT_EQ(refs(previous, MACH_PORT_RIGHT_SEND_ONCE), 1u);
  EXPECT_EQ(mach_port_deallocate(mach_task_self(), previous), KERN_SUCCESS);

  auto ops = recorder.of<emmi::model::PortOperated>();
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(ops[0].op, emmi::model::PortOp::insert_right);
  EXPECT_EQ(ops[0].name, previous);
  EXPECT_EQ(ops[0].right, emmi::model::Right::send_once);
  EXPECT_EQ(ops[1].op, emmi::model::PortOp::deallocate);
  EXPECT_EQ(ops[1].name, previous);

  // The model, given the same operations, holds the right and sees one
  // release of it, not a double release.
  emmi::model::Model m(emmi::model::WorldConfig{1, 0x10000});
  std::vector<emmi::model::Verdict> verdicts;
  for (const auto& op : ops)
    for (auto& v : m.apply(op)) verdicts.push_back(v);
  EXPECT_TRUE(verdicts.empty()) << verdicts.front().rule << ": " << verdicts.front().explanation;
}

}  // namespace
}  // namespace emmi::mach::testing
