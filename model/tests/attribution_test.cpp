// SPDX-License-Identifier: MIT
// Attribution of effects to messages (SEMANTICS.md, "Attribution"): an
// effect belongs to the message it answers, not to the thread that made it.
// The pagers here are dispatcher/worker pagers in the style of GNU Hurd's
// libpager: one thread receives and queues each request (its demux returns
// MIG_NO_REPLY), worker threads that never dequeue anything make the calls.
#include "verdicts.h"

namespace emmi::model::testing {
namespace {

constexpr ThreadId kDispatcher = 1;
constexpr ThreadId kWorker = 7;
constexpr ThreadId kOtherWorker = 8;
constexpr PortName kReply = 0x4000;

// mach_msg_server's report for the request (port, seqno) it received.
HandlerReturned returned(ThreadId t, KernReturn code, PortName port, Seqno seqno) {
  return HandlerReturned{t, code, port, seqno};
}

// The dispatcher receives the next message of object 0 and queues it for a
// worker: its demux returns MIG_NO_REPLY for exactly that request.
Scenario& dispatch(Scenario& s) {
  const PortName port = s.port(0);
  const Seqno seqno = s.model().next_seqno(port).value_or(0);
  s.dequeue(kDispatcher, 0);
  return s.apply(returned(kDispatcher, kMigNoReply, port, seqno));
}

// (a) The dispatcher dequeues init, then terminate; a worker handles init
// (ready, which the kernel drops: it has sent terminate) and then terminate.
// In seqno order that is init then terminate: no TM8, no verdict.
TEST(Attribution, TM8_Conforming_WorkerReadiesAfterTheDispatcherDequeuedTerminate) {
  Scenario s;
  s.attach(0, 0x1000).offer(0).map(0, 0).unmap(0, 0);
  const PortName control = s.control(0, 0), name = s.name(0, 0);
  dispatch(s);  // init, seqno 0
  dispatch(s);  // terminate, seqno 1
  s.ready(kWorker, 0, 0);
  s.mod_refs(kWorker, control, Right::receive, -1).mod_refs(kWorker, name, Right::receive, -1);
  s.deallocate(kWorker, control).deallocate(kWorker, name).quiesce();
  EXPECT_TRUE(Conforms(s));
}

// ... but once the worker has handled terminate (released what it moved in),
// a call on the control port is a use after terminate.
TEST(Attribution, TM8_Violated_WorkerCallsAfterItHandledTerminate) {
  Scenario s;
  s.attach(0, 0x1000).offer(0).map(0, 0).unmap(0, 0);
  const PortName control = s.control(0, 0), name = s.name(0, 0);
  dispatch(s);
  dispatch(s);
  s.destroy_port(kWorker, control).destroy_port(kWorker, name);
  s.ready(kWorker, 0, 0);
  EXPECT_TRUE(Violates(s, "TM8", Party::pager));
}

// One thread per message: the handler of an earlier request answers it after
// another thread dequeued terminate (and before terminate was handled).
TEST(Attribution, TM8_Conforming_RequestAnsweredWhileAnotherThreadHoldsTerminate) {
  Scenario s = ready_world();
  s.fault(0, 0, 0).unmap(0, 0);
  const PortName control = s.control(0, 0), name = s.name(0, 0);
  s.dequeue(2, 0);  // data_request, seqno 1
  s.dequeue(3, 0);  // terminate, seqno 2
  s.supply(2, 0, 0, 0).ret(2);
  s.destroy_port(3, control).destroy_port(3, name).ret(3).quiesce();
  EXPECT_TRUE(Conforms(s));
}

// (b) A worker pool that runs one object's data_return (seqno 2) and the
// later data_request for the same page (seqno 3) newest first: the request's
// answer comes before the return's data is released.
Scenario return_and_request_dispatched() {
  Scenario s = ready_world();
  s.fault(0, 0, 0).serve(2);        // seqno 1: page 0 supplied
  s.evict(0, 0, 0).fault(0, 0, 0);  // seqno 2: data_return, seqno 3: data_request
  dispatch(s);
  dispatch(s);
  return s;
}

TEST(Attribution, SQ7_Violated_WorkerPoolHandlesAReturnAfterTheLaterRequest) {
  Scenario s = return_and_request_dispatched();
  const RegionId returned_data = s.last_region();
  s.supply(kOtherWorker, 0, 0, 0);    // answers data_request seqno 3
  s.release(kWorker, returned_data);  // data_return seqno 2's data
  ASSERT_TRUE(Violates(s, "SQ7", Party::pager));
  const std::string& text = s.verdicts().back().explanation;
  EXPECT_NE(text.find("data_return seqno 2"), std::string::npos) << text;
  EXPECT_NE(text.find("data_request seqno 3"), std::string::npos) << text;
}

// The same pool delegating each object's requests in FIFO order conforms.
TEST(Attribution, SQ7_Conforming_WorkerPoolKeepsEachObjectsOrder) {
  Scenario s = return_and_request_dispatched();
  const RegionId returned_data = s.last_region();
  s.release(kWorker, returned_data);
  s.supply(kOtherWorker, 0, 0, 0).quiesce();
  EXPECT_TRUE(Conforms(s));
}

// (c) init's handler makes an RPC (get_attributes); the reply, dequeued by
// the same thread from its reply port, nests inside init. init then fails:
// mach_msg_server releases init's rights, not the reply's (it has none).
void init_handler_with_rpc_fails(Scenario& s, bool returned_names_the_request) {
  s.attach(0, 0x1000).offer(0).map(0, 0);
  const PortName control = s.control(0, 0);
  s.dequeue(1, 0);  // init, seqno 0
  s.call_on(1, ControlCall::get_attributes, control);
  s.notify(MessageKind::other, kReply).dequeue_port(1, kReply);  // the RPC's reply
  if (returned_names_the_request)
    s.apply(returned(1, kKernFailure, s.port(0), 0));
  else
    s.ret(1, kKernFailure);
}

TEST(Attribution, V6_Conforming_InitRpcReplyDoesNotCloseTheFailingInit) {
  for (bool named : {true, false}) {
    Scenario s;
    init_handler_with_rpc_fails(s, named);
    const PortName control = s.control(0, 0), name = s.name(0, 0);
    EXPECT_EQ(s.urefs(control, Right::send), 0u) << "named=" << named;
    EXPECT_EQ(s.urefs(name, Right::send), 0u) << "named=" << named;
    // The pager holds nothing of either port: terminate brings new names.
    s.unmap(0, 0).dequeue(2, 0, [](Dequeued& d) {
      d.rights[0].name = 0x9001;
      d.rights[1].name = 0x9002;
    });
    s.mod_refs(2, 0x9001, Right::receive, -1).mod_refs(2, 0x9002, Right::receive, -1).ret(2);
    s.quiesce();
    EXPECT_TRUE(Conforms(s)) << "named=" << named;
  }
}

// A handler return names its request: the return of a nested server loop's
// message (here an error) does not finish the outer message.
TEST(Attribution, V1_Conforming_NestedHandlerReturnLeavesTheOuterRequestOpen) {
  Scenario s;
  s.attach(0, 0x1000).offer(0).map(0, 0);
  const PortName control = s.control(0, 0);
  s.dequeue(1, 0);  // init, seqno 0
  s.notify(MessageKind::other, kReply).dequeue_port(1, kReply);
  s.apply(returned(1, kKernFailure, kReply, 0));  // the nested message's handler failed
  EXPECT_EQ(s.urefs(control, Right::send), 1u);   // init's right is untouched
  s.ready(1, 0, 0).apply(returned(1, kKernSuccess, s.port(0), 0));
  EXPECT_EQ(s.urefs(control, Right::send), 1u);
  s.quiesce();
  EXPECT_TRUE(Conforms(s));
}

// (d) The dispatcher's demux returns MIG_NO_REPLY: the pager owns what each
// request carried. The worker's handler fails and destroys its copy with
// mach_msg_destroy, which the simulated kernel reports as ordinary port
// operations and memory releases.
TEST(Attribution, V3_Conforming_WorkerDestroysItsCopyAfterAnError) {
  Scenario s;
  s.attach(0, 0x1000).offer(0).map(0, 0);
  const PortName control = s.control(0, 0), name = s.name(0, 0);
  dispatch(s);  // init, seqno 0
  s.ready(kWorker, 0, 0);
  s.fault(0, 0, 0);
  dispatch(s);  // data_request, seqno 1: the worker supplies it
  s.supply(kWorker, 0, 0, 0).deallocate(kWorker, control);
  s.evict(0, 0, 0);
  dispatch(s);  // data_return, seqno 2: the worker fails to store it
  const RegionId returned_data = s.last_region();
  s.deallocate(kWorker, control).release(kWorker, returned_data);  // mach_msg_destroy
  s.unmap(0, 0);
  dispatch(s);  // terminate, seqno 3: the worker fails and destroys the copy
  s.mod_refs(kWorker, control, Right::receive, -1).mod_refs(kWorker, name, Right::receive, -1);
  s.deallocate(kWorker, control).deallocate(kWorker, name);  // init's references
  s.quiesce();
  EXPECT_TRUE(Conforms(s));
  EXPECT_EQ(s.urefs(control, Right::dead_name), 0u);
}

// The same worker destroying a copy twice is still a double release.
TEST(Attribution, V3_Violated_WorkerDestroysItsCopyTwice) {
  Scenario s = ready_world();
  const PortName control = s.control(0, 0);
  s.fault(0, 0, 0);
  dispatch(s);
  s.supply(kWorker, 0, 0, 0).deallocate(kWorker, control).deallocate(kWorker, control);
  EXPECT_FALSE(s.has("V3", Party::pager)) << s.summary();  // init's reference and the request's
  s.deallocate(kWorker, control);
  EXPECT_TRUE(Violates(s, "V3", Party::pager));
}

// A reference drop is charged to the one message that carried a send right
// under its name, except on a control or name port whose terminate was
// dequeued: terminate's handling releases every reference left (V6), so the
// drop could be either message's and is charged to neither.
TEST(Attribution, SQ7_Conforming_InitReferencesDroppedByTerminatesWorker) {
  Scenario s;
  s.attach(0, 0x1000).offer(0).map(0, 0);
  const PortName control = s.control(0, 0), name = s.name(0, 0);
  dispatch(s);  // init, seqno 0
  s.ready(kWorker, 0, 0);
  s.unmap(0, 0);
  dispatch(s);  // terminate, seqno 1
  // terminate's worker destroys the receive rights, then drops the send
  // references init brought: all of it is terminate's handling.
  s.mod_refs(kOtherWorker, control, Right::receive, -1);
  s.mod_refs(kOtherWorker, name, Right::receive, -1);
  s.deallocate(kOtherWorker, name).deallocate(kOtherWorker, control).quiesce();
  EXPECT_TRUE(Conforms(s));
}

}  // namespace
}  // namespace emmi::model::testing
