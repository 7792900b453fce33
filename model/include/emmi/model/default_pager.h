// SPDX-License-Identifier: MIT
// The default-pager part of the reference model: temporary objects the
// kernels create with memory_object_create and page out with
// data_initialize / data_return. A separate state machine beside Model: the
// harness's recorder routes to it every event it claims() (the create
// message, everything on the default-pager port and on temporary objects'
// ports, their control and name ports, their out-of-line memory), and every
// other event to Model. SEMANTICS.md, "Default pager", states what it checks.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "emmi/model/event.h"
#include "emmi/model/model.h"

namespace emmi::model {

// What a privileged client task got back from a default_pager.defs call on
// the default memory manager port (the engine takes the reply after the
// pager's threads ran; it is no event of the trace).
struct DefaultPagerAnswer {
  enum class Call : std::uint8_t { object_create, info, objects, object_pages, paging_file };
  Call call = Call::info;
  bool answered = false;           // a reply came at all
  KernReturn code = kKernSuccess;  // the reply's return code
  // object_create: a send right came back, and the name of its receive
  // right in the pager task (null when the pager does not hold it).
  bool object_given = false;
  PortName object = kNullPort;
};

class DefaultPagerModel {
 public:
  // Object ids below `first_temporary` are the pager's own (Model's); the
  // kernels number the temporary objects they create from there on.
  explicit DefaultPagerModel(ObjectId first_temporary);

  // Whether `e` belongs to the default-pager side (then judge it here, not
  // in Model). KernelAttached is wanted by both: it returns false for it,
  // but judge() must see it too (the recorder passes it to both).
  bool claims(const Event& e) const;
  Judgement judge(const Event& e);
  // A default_pager.defs answer: default_pager_object_create must return a
  // new object the default pager serves (CR10).
  Judgement judge_answer(const DefaultPagerAnswer& a);
  // Unanswered data_requests of temporary objects (DR3) and out-of-line
  // memory never released (RT2 for data_return, PR8 for data_initialize).
  // `which` splits them as Model::judge_quiescent does: progress (DR3)
  // before the pager's stop(), what it still holds (RT2, PR8) after it: a
  // default pager may keep the pages it was given as its store until then.
  Judgement judge_quiescent(Model::Quiescence which = Model::Quiescence::all) const;

  // Read-only views, for tests.
  bool knows_port(PortName p) const;
  std::optional<Stamp> contents(ObjectId o, Offset block_offset) const;

 private:
  struct Sent {
    MessageKind kind;
    ObjectId object;
    Offset offset;
    Size length;
    std::vector<Stamp> stamps;
  };
  struct Block {
    bool written = false;
    Stamp stamp = 0;             // what the pager must hold
    bool by_initialize = false;  // the last write it had to keep was data_initialize
    std::set<Stamp> ignored;     // contents of data_initialize it had to ignore (DI2)
  };
  struct Temp {
    KernelId kernel = 0;
    Size page_size = 0;
    PortName port = kNullPort;  // once the pager dequeued create
    PortName control = kNullPort;
    PortName name = kNullPort;
    Seqno next = 0;
    bool terminated = false;         // the kernel sent terminate
    std::set<Offset> outstanding;    // data_request offsets not yet answered
    std::map<Offset, Block> blocks;  // by 4 KiB block offset
  };
  struct Region {
    MessageKind kind;
    bool released = false;
  };
  // The rights the pager holds under a temporary object's control or name
  // (create's send rights, one more send reference per request carrying
  // control, terminate's receive rights), as the simulated kernel confirmed
  // each release: what is left after terminate and the pager's stop() is a
  // leak (TM4, TM5, V6).
  struct Held {
    ObjectId object = 0;
    bool control = true;    // else the name port
    std::int64_t send = 0;  // send (or, once the port died, dead-name) references
    bool receive = false;
  };
  struct Handling {
    PortName port;
    MessageKind kind;
    std::vector<CarriedRight> rights;
  };
  void carried(const std::vector<CarriedRight>& rights, int sign);

  Temp* temp_by_control(PortName control);
  void report(Judgement& j, std::string_view rule, Party party, std::string why) const;

  ObjectId first_temporary_;
  std::uint64_t events_ = 0;
  std::map<KernelId, Size> page_sizes_;
  PortName manager_ = kNullPort;
  Seqno manager_next_ = 0;
  std::map<ObjectId, Temp> temps_;
  std::map<PortName, std::vector<Sent>> queued_;  // FIFO per destination port
  std::map<ThreadId, Handling> handling_;
  std::map<PortName, Held> held_;
  std::set<PortName> user_objects_;  // what default_pager_object_create returned
  std::map<RegionId, Region> regions_;
};

}  // namespace emmi::model
