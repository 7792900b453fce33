// SPDX-License-Identifier: MIT
// What a pager's demux said about a message (model/SEMANTICS.md, "Demux"):
// G5 and SQ4 (the memory_object demux, plain or SEQNOS, routes its own
// interface's messages and refuses a foreign one), V2 (a refused request
// is destroyed with the rights it carried) and V5 (a notification the pager
// asked for reaches a handler). The step calls these hooks (dequeued.cpp,
// handler_returned.cpp, quiescence.cpp).
#pragma once

#include "emmi/model/event.h"
#include "osf.h"

namespace emmi::model::detail {

struct State;
struct Current;

namespace demux {

using Found = osf::Found;

// A right a foreign message carried into the pager task (V2).
struct ForeignRight {
  PortName name;
  Right right;
  PortName port;  // the object port the message came to
  Seqno seqno;
};

// A message dequeued: remembers the rights of a foreign one.
void dequeued(State& s, const Dequeued& e, MessageKind kind);

// HandlerReturned `e` for message `c` (dequeued from `port`, an object port
// when `object_port`), before the model lets mach_msg_server destroy it.
Found returned(State& s, const Current& c, const HandlerReturned& e, bool object_port);

// After the pager's stop(): rights a foreign message carried that the pager
// still holds (V2): neither mach_msg_server nor the pager's own receive
// loop destroyed the refused request.
Found after_stop(const State& s);

}  // namespace demux
}  // namespace emmi::model::detail
