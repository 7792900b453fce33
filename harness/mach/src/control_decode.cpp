// SPDX-License-Identifier: MIT
// See control_decode.h. Field lists follow mach.defs; sizes are those of the
// MIG user stubs built with -D__x86_64__ (pack(4), 32-byte header).
#include "control_decode.h"

#include <cstring>
#include <initializer_list>

namespace emmi::mach::detail {

namespace {

using emmi::model::ControlCall;

enum class F : std::uint8_t { i64, i32, boolean, poly_port, ool_bytes };

struct Layout {
  mach_msg_id_t id;
  ControlCall call;
  std::uint32_t size;
  int complex;  // 1 required, 0 forbidden, -1 not checked (polymorphic only)
  std::initializer_list<F> fields;
};

const Layout kLayouts[] = {
    {2039, ControlCall::data_unavailable, 56, 0, {F::i64, F::i64}},
    {2040, ControlCall::get_attributes, 32, 0, {}},
    {2044, ControlCall::lock_request, 88, -1,
     {F::i64, F::i64, F::i32, F::boolean, F::i32, F::poly_port}},
    {2090, ControlCall::data_error, 64, 0, {F::i64, F::i64, F::i32}},
    {2092, ControlCall::destroy, 40, 0, {F::i32}},
    {2093, ControlCall::data_supply, 88, 1,
     {F::i64, F::ool_bytes, F::i32, F::boolean, F::poly_port}},
    {2094, ControlCall::ready, 48, 0, {F::boolean, F::i32}},
    {2095, ControlCall::change_attributes, 56, -1, {F::boolean, F::i32, F::poly_port}},
};

const Layout* layout_of(mach_msg_id_t id) {
  for (const Layout& l : kLayouts)
    if (l.id == id) return &l;
  return nullptr;
}

std::uint32_t word(const mach_msg_type_t& t) {
  std::uint32_t w;
  std::memcpy(&w, &t, sizeof w);
  return w;
}

bool scalar_ok(const std::uint8_t* p, unsigned name, unsigned bits) {
  mach_msg_type_t t;
  std::memcpy(&t, p, sizeof t);
  mach_msg_type_t want{name, bits, 1, TRUE, FALSE, FALSE, 0};
  return word(t) == word(want);
}

}  // namespace

std::optional<ControlCall> control_call_of(mach_msg_id_t id) {
  if (const Layout* l = layout_of(id)) return l->call;
  return std::nullopt;
}

bool decode_control(const std::uint8_t* msg, std::size_t size, ControlMessage& out) {
  out = ControlMessage{};
  if (size < sizeof(mach_msg_header_t)) return false;
  mach_msg_header_t h;
  std::memcpy(&h, msg, sizeof h);
  const Layout* l = layout_of(h.msgh_id);
  if (l == nullptr) return false;
  out.call = l->call;
  if (size != l->size || h.msgh_size != l->size) return true;
  const bool complex = (h.msgh_bits & MACH_MSGH_BITS_COMPLEX) != 0;
  if ((l->complex == 1 && !complex) || (l->complex == 0 && complex)) return true;

  std::size_t at = sizeof(mach_msg_header_t);
  int i64_seen = 0;
  int i32_seen = 0;
  int bool_seen = 0;
  for (F f : l->fields) {
    const std::uint8_t* p = msg + at;
    switch (f) {
      case F::i64: {
        if (!scalar_ok(p, MACH_MSG_TYPE_INTEGER_64, 64)) return true;
        std::uint64_t v;
        std::memcpy(&v, p + 4, 8);
        (i64_seen++ == 0 ? out.offset : out.size) = v;
        at += 12;
        break;
      }
      case F::i32: {
        if (!scalar_ok(p, MACH_MSG_TYPE_INTEGER_32, 32)) return true;
        std::int32_t v;
        std::memcpy(&v, p + 4, 4);
        switch (out.call) {
          case ControlCall::lock_request:
            (i32_seen == 0 ? out.should_return : out.lock_value) = v;
            break;
          case ControlCall::data_error: out.error_value = v; break;
          case ControlCall::destroy: out.reason = v; break;
          case ControlCall::data_supply: out.lock_value = v; break;
          default: out.copy_strategy = v; break;
        }
        ++i32_seen;
        at += 8;
        break;
      }
      case F::boolean: {
        if (!scalar_ok(p, MACH_MSG_TYPE_BOOLEAN, 32)) return true;
        std::int32_t v;
        std::memcpy(&v, p + 4, 4);
        switch (out.call) {
          case ControlCall::lock_request: out.should_flush = v != 0; break;
          case ControlCall::data_supply: out.precious = v != 0; break;
          default: out.may_cache = v != 0; break;
        }
        ++bool_seen;
        at += 8;
        break;
      }
      case F::poly_port: {
        mach_msg_type_t t;
        std::memcpy(&t, p, sizeof t);
        if (!t.msgt_inline || t.msgt_longform || t.msgt_number != 1 || t.msgt_size != 32 ||
            !MACH_MSG_TYPE_PORT_ANY(t.msgt_name))
          return true;
        out.has_reply_to = true;
        out.reply_to_type_offset = static_cast<std::uint32_t>(at);
        out.reply_to_disposition = t.msgt_name;
        std::memcpy(&out.reply_to_name, p + 4, 4);
        at += 8;
        break;
      }
      case F::ool_bytes: {
        mach_msg_type_long_t t;
        std::memcpy(&t, p, sizeof t);
        if (t.msgtl_header.msgt_inline || !t.msgtl_header.msgt_longform ||
            t.msgtl_name != MACH_MSG_TYPE_BYTE || t.msgtl_size != 8)
          return true;
        out.has_data = true;
        out.data_type_offset = static_cast<std::uint32_t>(at);
        out.data_count = t.msgtl_number;
        out.size = t.msgtl_number;
        at += sizeof(mach_msg_type_long_t) + 8;
        break;
      }
    }
  }
  (void)bool_seen;
  out.well_formed = at == size;
  return true;
}

}  // namespace emmi::mach::detail
