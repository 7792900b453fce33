// SPDX-License-Identifier: MIT
// Names of the encoding's codes, for counterexamples and test messages.
#include "emmi/smt/world.h"

namespace emmi::smt {

std::string_view to_string(Life l) {
  switch (l) {
    case Life::uninitialised: return "uninitialised";
    case Life::initialised: return "initialised";
    case Life::ready: return "ready";
    case Life::terminating: return "terminating";
    case Life::terminated: return "terminated";
  }
  return "?";
}

std::string_view to_string(Ev e) {
  switch (e) {
    case Ev::kernel_sent: return "KernelSent";
    case Ev::dequeued: return "Dequeued";
    case Ev::handler_returned: return "HandlerReturned";
    case Ev::control_called: return "ControlCalled";
    case Ev::port_operated: return "PortOperated";
  }
  return "?";
}

std::string_view to_string(Msg m) {
  switch (m) {
    case Msg::none: return "none";
    case Msg::init: return "init";
    case Msg::terminate: return "terminate";
    case Msg::data_request: return "data_request";
    case Msg::data_unlock: return "data_unlock";
    case Msg::data_return: return "data_return";
    case Msg::synchronize: return "synchronize";
    case Msg::other: return "other";
    case Msg::stray: return "stray";
  }
  return "?";
}

std::string_view to_string(Ret r) {
  switch (r) {
    case Ret::success: return "KERN_SUCCESS";
    case Ret::no_reply: return "MIG_NO_REPLY";
    case Ret::error: return "error";
  }
  return "?";
}

std::string_view to_string(Call c) {
  switch (c) {
    case Call::ready: return "ready";
    case Call::change_attributes: return "change_attributes";
    case Call::data_supply: return "data_supply";
    case Call::data_unavailable: return "data_unavailable";
    case Call::data_error: return "data_error";
    case Call::lock_request: return "lock_request";
    case Call::destroy: return "destroy";
    case Call::get_attributes: return "get_attributes";
    case Call::synchronize_completed: return "synchronize_completed";
  }
  return "?";
}

std::string_view to_string(Op o) {
  switch (o) {
    case Op::deallocate: return "deallocate";
    case Op::mod_refs_send: return "mod_refs(send,-1)";
    case Op::mod_refs_receive: return "mod_refs(receive,-1)";
    case Op::destroy: return "destroy";
    case Op::allocate: return "allocate(receive)";
    case Op::insert_send: return "insert_right(make_send)";
  }
  return "?";
}

std::string_view to_string(Role r) {
  switch (r) {
    case Role::none: return "none";
    case Role::control: return "control";
    case Role::name: return "name";
    case Role::other: return "other";
  }
  return "?";
}

std::string_view to_string(Attrs a) {
  switch (a) {
    case Attrs::ok: return "attributes ok";
    case Attrs::wrong_count: return "wrong attributes_count";
    case Attrs::unknown_flavor: return "unknown flavour";
  }
  return "?";
}

}  // namespace emmi::smt
