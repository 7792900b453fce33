// SPDX-License-Identifier: MIT
// See control_decode.h. Field lists follow mach.defs; sizes are those of the
// MIG user stubs built with -D__x86_64__ (pack(4), 32-byte header).
#include "control_decode.h"

#include <cstring>
#include <initializer_list>

namespace emmi::mach::detail {

namespace {

using emmi::model::ControlCall;

// int_array: an inline array of 32-bit ints (at most 32), the message
// growing by 4 bytes per element (OSF attributes).
enum class F : std::uint8_t { i64, i32, boolean, poly_port, ool_bytes, int_array };

struct Layout {
  mach_msg_id_t id;
  ControlCall call;
  std::uint32_t size;  // with an int_array: the size without its elements
  int complex;         // 1 required, 0 forbidden, -1 not checked (polymorphic only)
  std::initializer_list<F> fields;
  bool osf = false;
};

const Layout kLayouts[] = {
    {2039, ControlCall::data_unavailable, 56, 0, {F::i64, F::i64}},
    {2040, ControlCall::get_attributes, 32, 0, {}},
    {2044,
     ControlCall::lock_request,
     88,
     -1,
     {F::i64, F::i64, F::i32, F::boolean, F::i32, F::poly_port}},
    {2090, ControlCall::data_error, 64, 0, {F::i64, F::i64, F::i32}},
    {2092, ControlCall::destroy, 40, 0, {F::i32}},
    {2093,
     ControlCall::data_supply,
     88,
     1,
     {F::i64, F::ool_bytes, F::i32, F::boolean, F::poly_port}},
    {2094, ControlCall::ready, 48, 0, {F::boolean, F::i32}},
    {2095, ControlCall::change_attributes, 56, -1, {F::boolean, F::i32, F::poly_port}},
    // OSF (defs/osf/README.md): the same layouts where the routine is the
    // same; flavoured attributes and synchronize_completed are new.
    {3450,
     ControlCall::data_supply,
     88,
     1,
     {F::i64, F::ool_bytes, F::i32, F::boolean, F::poly_port},
     true},
    {3451, ControlCall::data_unavailable, 56, 0, {F::i64, F::i64}, true},
    {3452, ControlCall::data_error, 64, 0, {F::i64, F::i64, F::i32}, true},
    {3453,
     ControlCall::lock_request,
     88,
     -1,
     {F::i64, F::i64, F::i32, F::boolean, F::i32, F::poly_port},
     true},
    {3454, ControlCall::change_attributes, 52, -1, {F::i32, F::int_array, F::poly_port}, true},
    {3455, ControlCall::get_attributes, 48, 0, {F::i32, F::i32}, true},
    {3456, ControlCall::synchronize_completed, 56, 0, {F::i64, F::i64}, true},
    {3457, ControlCall::destroy, 40, 0, {F::i32}, true},
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
  out.osf = l->osf;
  std::uint32_t want = l->size;
  for (F f : l->fields) {
    if (f != F::int_array) continue;
    // The array's descriptor sits after the fields before it; its count
    // says how big the message must be.
    std::size_t at = sizeof(mach_msg_header_t);
    for (F g : l->fields) {
      if (g == F::int_array) break;
      at += g == F::i64 ? 12 : 8;
    }
    if (size < at + 4) return true;
    mach_msg_type_t t;
    std::memcpy(&t, msg + at, sizeof t);
    if (t.msgt_number > 32) return true;
    want += 4 * t.msgt_number;
  }
  if (size != want || h.msgh_size != want) return true;
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
          case ControlCall::get_attributes:
            if (i32_seen == 0)
              out.flavor = v;
            else
              out.attributes_count = static_cast<std::uint32_t>(v);
            break;
          case ControlCall::change_attributes:
            if (out.osf)
              out.flavor = v;
            else
              out.copy_strategy = v;
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
      case F::int_array: {
        mach_msg_type_t t;
        std::memcpy(&t, p, sizeof t);
        if (!t.msgt_inline || t.msgt_longform || t.msgt_name != MACH_MSG_TYPE_INTEGER_32 ||
            t.msgt_size != 32 || t.msgt_number > 32)
          return true;
        out.attributes_count = t.msgt_number;
        std::memcpy(out.attributes, p + 4, 4 * t.msgt_number);
        at += 4 + 4 * t.msgt_number;
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
