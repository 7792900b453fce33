// SPDX-License-Identifier: MIT
// SQ7: a concurrent history is acceptable only if explainable by processing
// each object's messages in seqno order. The explicit search and the Z3
// formulation must agree, and a violation names the two messages that crossed.
#include "emmi/properties/serializability.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "random_history.h"

using namespace emmi;
using namespace emmi::properties;
using model::MessageKind;

namespace {

constexpr model::PortName kObjectPort = 0x100;
constexpr model::PortName kControl = 0x200;

// A trace in which data_return (seqno 1) and data_request (seqno 2) for block 0
// are handled by two threads; `return_first` decides whose effect comes first.
std::vector<model::Event> return_then_request(bool return_first) {
  std::vector<model::Event> t;
  t.push_back(model::ObjectOffered{0, kObjectPort});
  t.push_back(model::KernelSent{MessageKind::init, kObjectPort, 0, 0});
  t.push_back(model::Dequeued{
      1, kObjectPort, 0, {{kControl, model::Right::send}, {0x201, model::Right::send}}});
  t.push_back(model::ControlCalled{1, model::ControlCall::ready, kControl});
  t.push_back(model::HandlerReturned{1, model::kKernSuccess});
  model::KernelSent ret{MessageKind::data_return, kObjectPort, 0, 0, 0, 4096};
  ret.stamps = {42};
  t.push_back(ret);
  t.push_back(model::KernelSent{MessageKind::data_request, kObjectPort, 0, 0, 0, 4096, 3});
  t.push_back(model::Dequeued{1, kObjectPort, 1, {{kControl, model::Right::send}}, 77, 4096});
  t.push_back(model::Dequeued{2, kObjectPort, 2, {{kControl, model::Right::send}}});
  model::ControlCalled supply{2, model::ControlCall::data_supply, kControl, 0, 4096};
  supply.stamps = {42};
  model::MemoryReleased release{1, 77};
  if (return_first) {
    t.push_back(release);
    t.push_back(supply);
  } else {
    t.push_back(supply);
    t.push_back(release);
  }
  t.push_back(model::HandlerReturned{1, model::kKernSuccess});
  t.push_back(model::HandlerReturned{2, model::kKernSuccess});
  return t;
}

}  // namespace

TEST(Serializability, EffectsInSeqnoOrderAreSerializable) {
  auto h = extract_history(return_then_request(true));
  ASSERT_EQ(h.messages.size(), 3u);
  auto r = check_seqno_serializable(h);
  EXPECT_TRUE(r.serializable) << r.explanation;
  EXPECT_EQ(check_seqno_serializable_z3(h), std::optional<bool>(true));
}

TEST(Serializability, SupplyBeforeTheEarlierReturnIsACrossingNamingBothMessages) {
  auto h = extract_history(return_then_request(false));
  auto r = check_seqno_serializable(h);
  ASSERT_FALSE(r.serializable);
  ASSERT_TRUE(r.witness.has_value());
  EXPECT_EQ(h.messages[r.witness->earlier].seqno, 1u);
  EXPECT_EQ(h.messages[r.witness->later].seqno, 2u);
  EXPECT_NE(r.explanation.find("data_request seqno 2"), std::string::npos) << r.explanation;
  EXPECT_NE(r.explanation.find("data_return seqno 1"), std::string::npos) << r.explanation;
  EXPECT_NE(r.explanation.find("block 0x0 of object 0"), std::string::npos) << r.explanation;
  EXPECT_EQ(check_seqno_serializable_z3(h), std::optional<bool>(false));
}

TEST(Serializability, EffectsOnDifferentBlocksMayInterleaveFreely) {
  // Two requests for different pages answered in reverse order: they commute.
  std::vector<model::Event> t;
  t.push_back(model::ObjectOffered{0, kObjectPort});
  t.push_back(model::KernelSent{MessageKind::init, kObjectPort, 0, 0});
  t.push_back(model::Dequeued{1, kObjectPort, 0, {{kControl, model::Right::send}}});
  t.push_back(model::HandlerReturned{1, model::kKernSuccess});
  t.push_back(model::KernelSent{MessageKind::data_request, kObjectPort, 0, 0, 0, 4096, 1});
  t.push_back(model::KernelSent{MessageKind::data_request, kObjectPort, 0, 0, 4096, 4096, 1});
  t.push_back(model::Dequeued{1, kObjectPort, 1, {}});
  t.push_back(model::Dequeued{2, kObjectPort, 2, {}});
  model::ControlCalled second{2, model::ControlCall::data_unavailable, kControl, 4096, 4096};
  model::ControlCalled first{1, model::ControlCall::data_unavailable, kControl, 0, 4096};
  t.push_back(second);
  t.push_back(first);
  auto h = extract_history(t);
  ASSERT_EQ(h.effects.size(), 2u);
  auto r = check_seqno_serializable(h);
  EXPECT_TRUE(r.serializable) << r.explanation;
  EXPECT_EQ(check_seqno_serializable_z3(h), std::optional<bool>(true));
}

TEST(Serializability, LifecycleEffectsOnOneControlPortAreOrdered) {
  // ready by the handler of seqno 2 before destroy by the handler of seqno 1,
  // both on the same control port: crossed.
  std::vector<model::Event> t;
  t.push_back(model::ObjectOffered{0, kObjectPort});
  t.push_back(model::Dequeued{1, kObjectPort, 1, {}});
  t.push_back(model::Dequeued{2, kObjectPort, 2, {}});
  t.push_back(model::ControlCalled{2, model::ControlCall::ready, kControl});
  t.push_back(model::ControlCalled{1, model::ControlCall::destroy, kControl});
  auto h = extract_history(t);
  auto r = check_seqno_serializable(h);
  EXPECT_FALSE(r.serializable);
  EXPECT_NE(r.explanation.find("port 0x200"), std::string::npos) << r.explanation;
  EXPECT_EQ(check_seqno_serializable_z3(h), std::optional<bool>(false));
}

namespace {

constexpr model::PortName kName = 0x201;
constexpr model::ThreadId kDispatcher = 1;

// A dispatcher/worker pager (libpager's design): thread 1 receives each
// message and queues it, its demux returning MIG_NO_REPLY; workers 7 and 8,
// which never dequeue, act. Object 0 is ready; page 0 was supplied (seqno 1),
// returned (data_return seqno 2, region 77) and faulted again (data_request
// seqno 3).
std::vector<model::Event> dispatched_return_and_request() {
  std::vector<model::Event> t;
  auto dispatch = [&](model::Seqno seqno, std::vector<model::CarriedRight> rights,
                      model::RegionId region = 0) {
    t.push_back(model::Dequeued{kDispatcher, kObjectPort, seqno, std::move(rights), region,
                                region ? 4096u : 0u});
    t.push_back(model::HandlerReturned{kDispatcher, model::kMigNoReply, kObjectPort, seqno});
  };
  t.push_back(model::ObjectOffered{0, kObjectPort});
  t.push_back(model::KernelSent{MessageKind::init, kObjectPort, 0, 0});
  dispatch(0, {{kControl, model::Right::send}, {kName, model::Right::send}});
  t.push_back(model::ControlCalled{7, model::ControlCall::ready, kControl});
  t.push_back(model::KernelSent{MessageKind::data_request, kObjectPort, 0, 0, 0, 4096, 1});
  dispatch(1, {{kControl, model::Right::send}});
  t.push_back(model::ControlCalled{7, model::ControlCall::data_supply, kControl, 0, 4096});
  model::KernelSent ret{MessageKind::data_return, kObjectPort, 0, 0, 0, 4096};
  ret.stamps = {42};
  t.push_back(ret);
  t.push_back(model::KernelSent{MessageKind::data_request, kObjectPort, 0, 0, 0, 4096, 1});
  dispatch(2, {{kControl, model::Right::send}}, 77);
  dispatch(3, {{kControl, model::Right::send}});
  return t;
}

}  // namespace

// Workers run one object's data_return and the later data_request for the
// same page newest first: the answer to seqno 3 comes before seqno 2's data is
// released. Charged by what they answer, the effects cross.
TEST(Serializability, WorkerPoolHandlingOneObjectNewestFirstIsACrossing) {
  auto t = dispatched_return_and_request();
  t.push_back(model::ControlCalled{8, model::ControlCall::data_supply, kControl, 0, 4096});
  t.push_back(model::MemoryReleased{7, 77});
  auto h = extract_history(t);
  auto r = check_seqno_serializable(h);
  ASSERT_FALSE(r.serializable);
  EXPECT_NE(r.explanation.find("data_request seqno 3"), std::string::npos) << r.explanation;
  EXPECT_NE(r.explanation.find("data_return seqno 2"), std::string::npos) << r.explanation;
  EXPECT_EQ(check_seqno_serializable_z3(h), std::optional<bool>(false));
}

// The same pool delegating each object's messages in FIFO order.
TEST(Serializability, WorkerPoolKeepingEachObjectsOrderIsSerializable) {
  auto t = dispatched_return_and_request();
  t.push_back(model::MemoryReleased{7, 77});
  t.push_back(model::ControlCalled{8, model::ControlCall::data_supply, kControl, 0, 4096});
  auto h = extract_history(t);
  // ready (init), the first supply (seqno 1), the release (2), the supply (3).
  ASSERT_EQ(h.effects.size(), 4u);
  EXPECT_EQ(h.messages[h.effects[0].message].seqno, 0u);
  EXPECT_EQ(h.messages[h.effects[1].message].seqno, 1u);
  EXPECT_EQ(h.messages[h.effects[2].message].seqno, 2u);
  EXPECT_EQ(h.messages[h.effects[3].message].seqno, 3u);
  auto r = check_seqno_serializable(h);
  EXPECT_TRUE(r.serializable) << r.explanation;
  EXPECT_EQ(check_seqno_serializable_z3(h), std::optional<bool>(true));
}

// The dispatcher dequeues init and terminate; a worker makes the object ready
// (init's work) and then handles terminate: init's effect, then terminate's.
TEST(Serializability, WorkerReadyAfterTheDispatcherDequeuedTerminateIsInitsEffect) {
  std::vector<model::Event> t;
  t.push_back(model::ObjectOffered{0, kObjectPort});
  t.push_back(model::KernelSent{MessageKind::init, kObjectPort, 0, 0});
  t.push_back(model::KernelSent{MessageKind::terminate, kObjectPort, 0, 0});
  t.push_back(model::Dequeued{
      kDispatcher, kObjectPort, 0, {{kControl, model::Right::send}, {kName, model::Right::send}}});
  t.push_back(model::HandlerReturned{kDispatcher, model::kMigNoReply, kObjectPort, 0});
  t.push_back(model::Dequeued{kDispatcher,
                              kObjectPort,
                              1,
                              {{kControl, model::Right::receive}, {kName, model::Right::receive}}});
  t.push_back(model::HandlerReturned{kDispatcher, model::kMigNoReply, kObjectPort, 1});
  t.push_back(model::ControlCalled{
      7, model::ControlCall::ready, kControl, 0, 0, 0, false, false, {}, 0, false});
  t.push_back(model::PortOperated{7, model::PortOp::mod_refs, kControl, model::Right::receive, -1});
  t.push_back(model::PortOperated{7, model::PortOp::mod_refs, kName, model::Right::receive, -1});
  t.push_back(model::PortOperated{7, model::PortOp::deallocate, kControl});
  auto h = extract_history(t);
  // ready -> init; the two receive rights -> terminate; the last reference
  // drop could be init's or terminate's: charged to neither.
  ASSERT_EQ(h.effects.size(), 3u);
  EXPECT_EQ(h.messages[h.effects[0].message].kind, MessageKind::init);
  EXPECT_EQ(h.messages[h.effects[1].message].kind, MessageKind::terminate);
  EXPECT_EQ(h.messages[h.effects[2].message].kind, MessageKind::terminate);
  EXPECT_TRUE(check_seqno_serializable(h).serializable);

  // Terminate's handling first, then init's ready: crossed.
  std::swap(t[7], t[8]);
  h = extract_history(t);
  EXPECT_FALSE(check_seqno_serializable(h).serializable);
}

// A handler that makes an RPC dequeues the reply on its own thread: the
// reply nests, and the handler's later effects are still its request's.
TEST(Serializability, AnRpcReplyInsideAHandlerDoesNotEndIt) {
  constexpr model::PortName kReply = 0x4000;
  std::vector<model::Event> t;
  t.push_back(model::ObjectOffered{0, kObjectPort});
  t.push_back(model::KernelSent{MessageKind::init, kObjectPort, 0, 0});
  t.push_back(model::Dequeued{
      1, kObjectPort, 0, {{kControl, model::Right::send}, {kName, model::Right::send}}});
  t.push_back(model::ControlCalled{1, model::ControlCall::get_attributes, kControl});
  t.push_back(model::KernelSent{MessageKind::other, kReply});
  t.push_back(model::Dequeued{1, kReply, 0, {}});
  t.push_back(model::ControlCalled{1, model::ControlCall::destroy, kControl});
  t.push_back(model::HandlerReturned{1, model::kKernSuccess, kObjectPort, 0});
  t.push_back(model::ControlCalled{1, model::ControlCall::lock_request, kControl, 0, 4096});
  auto h = extract_history(t);
  ASSERT_EQ(h.messages.size(), 2u);
  ASSERT_EQ(h.effects.size(), 2u);  // the call after the handler returned is nobody's
  EXPECT_EQ(h.effects[0].message, 0u);
  EXPECT_EQ(h.effects[1].message, 0u);
}

// A thread handling seqno 2 answers the page seqno 1 requested: either
// message could own the answer, so it is charged to neither.
TEST(Serializability, AnEffectTwoMessagesCouldOwnIsChargedToNeither) {
  std::vector<model::Event> t;
  t.push_back(model::ObjectOffered{0, kObjectPort});
  t.push_back(model::KernelSent{MessageKind::init, kObjectPort, 0, 0});
  t.push_back(model::Dequeued{
      1, kObjectPort, 0, {{kControl, model::Right::send}, {kName, model::Right::send}}});
  t.push_back(model::HandlerReturned{1, model::kKernSuccess});
  t.push_back(model::KernelSent{MessageKind::data_request, kObjectPort, 0, 0, 0, 4096, 1});
  t.push_back(model::KernelSent{MessageKind::data_request, kObjectPort, 0, 0, 4096, 4096, 1});
  t.push_back(model::Dequeued{1, kObjectPort, 1, {{kControl, model::Right::send}}});
  t.push_back(model::Dequeued{2, kObjectPort, 2, {{kControl, model::Right::send}}});
  t.push_back(model::ControlCalled{2, model::ControlCall::data_supply, kControl, 0, 4096});
  t.push_back(model::ControlCalled{2, model::ControlCall::data_supply, kControl, 4096, 4096});
  auto h = extract_history(t);
  ASSERT_EQ(h.effects.size(), 1u);
  EXPECT_EQ(h.messages[h.effects[0].message].seqno, 2u);
}

// Random histories: the explicit search and Z3 always agree.
RC_GTEST_PROP(Serializability, ExplicitSearchAndZ3Agree, ()) {
  const History h = random_history();
  auto explicit_result = check_seqno_serializable(h);
  auto z3_result = check_seqno_serializable_z3(h);
  RC_ASSERT(z3_result.has_value());
  RC_ASSERT(*z3_result == explicit_result.serializable);
  if (!explicit_result.serializable) RC_ASSERT(explicit_result.witness.has_value());
}

// Two handlers dropping user references of one name commute; a drop and a
// destroy of it do not.
TEST(Serializability, ReferenceDropsCommuteButNotWithADestroy) {
  History h;
  h.messages.push_back({0x100, 1, MessageKind::data_request, 0});
  h.messages.push_back({0x100, 2, MessageKind::data_request, 1});
  const auto control = resource_of_port(kControl);
  h.effects.push_back({1, control, 2, true});  // seqno 2 drops its reference first
  h.effects.push_back({0, control, 3, true});  // then seqno 1
  EXPECT_TRUE(check_seqno_serializable(h).serializable);
  EXPECT_EQ(check_seqno_serializable_z3(h), std::optional<bool>(true));

  h.effects.front().shared = false;  // seqno 2 destroys the name instead
  auto r = check_seqno_serializable(h);
  EXPECT_FALSE(r.serializable);
  EXPECT_EQ(check_seqno_serializable_z3(h), std::optional<bool>(false));

  h.effects.front().shared = true;  // seqno 1 destroys it after seqno 2's drop
  h.effects.back().shared = false;
  EXPECT_FALSE(check_seqno_serializable(h).serializable);
}
