// SPDX-License-Identifier: MIT
// mach_msg: copyin of a message (header rights atomically, then the typed
// body: inline rights, out-of-line memory and port arrays), delivery, and
// receive with seqno stamping and copyout into the receiver's task; plus
// glibc's mach_msg_server loop and mach_msg_destroy.
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "control_decode.h"
#include "core.h"
#include "emmi/model/rules.h"
#include "thread_scheduler.h"

namespace emmi::mach::detail {

void report_released(Core& core, ThreadRec* t, bool pager,
                     const std::vector<emmi::model::RegionId>& released,
                     emmi::model::RegionId double_free);

namespace {

// A message body item descriptor as GNU Mach reads it (pack(4) layout of the
// x86_64 MIG of gnumach-dev 2022: 4-byte aligned items, 8-byte OOL pointers,
// 32-bit port names).
struct Descriptor {
  mach_msg_type_name_t name = 0;
  std::uint64_t size = 0;
  std::uint64_t number = 0;
  bool is_inline = false;
  bool longform = false;
  bool dealloc = false;
  bool unused = false;
  std::size_t header_bytes = 0;
};

bool read_descriptor(const std::uint8_t* p, std::size_t avail, Descriptor& d) {
  if (avail < sizeof(mach_msg_type_t)) return false;
  mach_msg_type_t t;
  std::memcpy(&t, p, sizeof t);
  d.is_inline = t.msgt_inline;
  d.longform = t.msgt_longform;
  d.dealloc = t.msgt_deallocate;
  d.unused = t.msgt_unused;
  if (d.longform) {
    if (avail < sizeof(mach_msg_type_long_t)) return false;
    mach_msg_type_long_t l;
    std::memcpy(&l, p, sizeof l);
    d.name = l.msgtl_name;
    d.size = l.msgtl_size;
    d.number = l.msgtl_number;
    d.header_bytes = sizeof(mach_msg_type_long_t);
  } else {
    d.name = t.msgt_name;
    d.size = t.msgt_size;
    d.number = t.msgt_number;
    d.header_bytes = sizeof(mach_msg_type_t);
  }
  return true;
}

void write_descriptor_name(std::uint8_t* p, mach_msg_type_name_t name) {
  mach_msg_type_t t;
  std::memcpy(&t, p, sizeof t);
  if (t.msgt_longform) {
    mach_msg_type_long_t l;
    std::memcpy(&l, p, sizeof l);
    l.msgtl_name = static_cast<unsigned short>(name);
    std::memcpy(p, &l, sizeof l);
  } else {
    t.msgt_name = name;
    std::memcpy(p, &t, sizeof t);
  }
}

// Reads `size` bytes of the caller's memory at `addr` without faulting on a
// bad pointer: mach_msg.html, MACH_SEND_INVALID_MEMORY "The message body
// specified out-of-line data that was not readable."
bool read_memory(std::uintptr_t addr, std::size_t size, std::uint8_t* out) {
  std::size_t done = 0;
  while (done < size) {
    iovec local{out + done, size - done};
    iovec remote{reinterpret_cast<void*>(addr + done), size - done};
    ssize_t n = ::process_vm_readv(::getpid(), &local, 1, &remote, 1, 0);
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

// Out-of-line regions larger than this are refused (a simulation limit, far
// above anything the EMMI sends: one object range).
constexpr std::uint64_t kMaxOol = 64ull << 20;

mach_msg_type_name_t received_type(mach_msg_type_name_t d) {
  switch (d) {
    case MACH_MSG_TYPE_MOVE_RECEIVE: return MACH_MSG_TYPE_PORT_RECEIVE;
    case MACH_MSG_TYPE_MAKE_SEND_ONCE:
    case MACH_MSG_TYPE_MOVE_SEND_ONCE: return MACH_MSG_TYPE_PORT_SEND_ONCE;
    default: return MACH_MSG_TYPE_PORT_SEND;
  }
}

bool consumes(mach_msg_type_name_t d) {
  return d == MACH_MSG_TYPE_MOVE_SEND || d == MACH_MSG_TYPE_MOVE_SEND_ONCE;
}

// Can `name` in `s` supply a right with disposition `d`? (Pre-check so the
// header copyin is atomic: on failure nothing has changed.)
bool header_right_ok(Core& core, Space* s, mach_port_name_t name, mach_msg_type_name_t d,
                     bool allow_dead, mach_port_urefs_t needed_urefs) {
  Entry* e = core.lookup(s, name);
  if (e == nullptr) return false;
  const bool dead = (e->type & MACH_PORT_TYPE_DEAD_NAME) != 0;
  switch (d) {
    case MACH_MSG_TYPE_COPY_SEND:
    case MACH_MSG_TYPE_MOVE_SEND:
      if (e->type & MACH_PORT_TYPE_SEND) return e->urefs >= needed_urefs;
      return allow_dead && dead && e->urefs >= needed_urefs;
    case MACH_MSG_TYPE_MAKE_SEND:
    case MACH_MSG_TYPE_MAKE_SEND_ONCE: return (e->type & MACH_PORT_TYPE_RECEIVE) != 0;
    case MACH_MSG_TYPE_MOVE_SEND_ONCE:
      if (e->type & MACH_PORT_TYPE_SEND_ONCE) return needed_urefs <= 1;
      return allow_dead && dead && e->urefs >= needed_urefs;
    default: return false;
  }
}

emmi::model::Right model_right(mach_msg_type_name_t t) {
  switch (t) {
    case MACH_MSG_TYPE_PORT_RECEIVE: return emmi::model::Right::receive;
    case MACH_MSG_TYPE_PORT_SEND_ONCE: return emmi::model::Right::send_once;
    default: return emmi::model::Right::send;
  }
}

thread_local bool tl_quiet = false;  // mach_msg_server's own destruction

void emit_rejected_control(Core& core, ThreadRec* t, const std::uint8_t* data, std::size_t size,
                           mach_port_name_t dest_name) {
  if (!core.observing()) return;
  ControlMessage cm;
  if (!decode_control(data, size, cm)) return;
  emmi::model::ControlCalled ev;
  ev.thread = t->id;
  ev.call = cm.call;
  ev.control = dest_name;
  ev.offset = cm.offset;
  ev.size = cm.size;
  ev.lock_value = static_cast<emmi::model::Prot>(cm.lock_value);
  ev.precious = cm.precious;
  ev.may_cache = cm.may_cache;
  ev.copy_strategy = cm.copy_strategy;
  ev.reply_to = cm.has_reply_to ? cm.reply_to_name : MACH_PORT_NULL;
  ev.accepted = false;
  core.emit(std::move(ev));
}

}  // namespace

bool quiet_events() { return tl_quiet; }

namespace {

// An out-of-line region sent with dealloc that was not readable: if it is a
// delivered region the pager released before, this send is its second
// release (lock held).
void report_redealloc(Core& core, ThreadRec* t, bool pager, std::uint64_t addr) {
  const emmi::model::RegionId region = core.released_region_at(static_cast<std::uintptr_t>(addr) &
                                                               ~(kVmPage - 1));
  if (region != 0) report_released(core, t, pager, {}, region);
}

// What a record of withdrawn pages says about the message that took them:
// its id, and the control call with its offset and size when it is one (a
// supply's data breaks SU10 when touched). The engine words it.
emmi::mach::WithdrawnPages withdrawn_by(const std::uint8_t* data, std::size_t size,
                                        std::uintptr_t addr, std::size_t length) {
  emmi::mach::WithdrawnPages w;
  mach_msg_header_t h;
  std::memcpy(&h, data, sizeof h);
  w.msg_id = h.msgh_id;
  w.data = addr;
  w.data_size = length;
  ControlMessage cm;
  if (decode_control(data, size, cm)) {
    w.has_offset = true;
    w.call = cm.call;
    w.offset = cm.offset;
    w.size = cm.size;
    if (cm.call == emmi::model::ControlCall::data_supply) {
      constexpr std::string_view rule = emmi::model::rule::SU10;
      static_assert(rule.size() < sizeof w.rule);
      std::memcpy(w.rule, rule.data(), rule.size());
      w.rule[rule.size()] = '\0';
    }
  }
  return w;
}

thread_local bool tl_snapshot_after_send = false;

}  // namespace

void want_snapshot_after_send() { tl_snapshot_after_send = true; }
bool take_snapshot_after_send() { return std::exchange(tl_snapshot_after_send, false); }

mach_msg_return_t msg_send(Core& core, mach_msg_header_t* msg, mach_msg_option_t option,
                           mach_msg_size_t send_size) {
  (void)option;
  // A new controlled thread waits for its first turn before it acts.
  (void)sched::Scheduler::self();
  ThreadRec* t = core.thread();
  Space* s = core.current_space();
  const bool pager = core.acting_as_pager();
  core.count_pager_thread(t, core.counts_as_pager_thread());

  if (send_size < sizeof(mach_msg_header_t) || (send_size & 3) != 0) return MACH_SEND_MSG_TOO_SMALL;

  const auto* raw = reinterpret_cast<const std::uint8_t*>(msg);
  const bool control_id = control_call_of(msg->msgh_id).has_value();
  if (pager && control_id) core.run_hook(HookPoint::control_call);

  Core::Lock lk(core);
  KMsg* m = core.alloc_kmsg();
  m->data.assign(raw, raw + send_size);
  mach_msg_header_t* h = m->header();
  h->msgh_size = send_size;

  const mach_msg_bits_t bits = h->msgh_bits;
  const mach_msg_type_name_t dest_type = MACH_MSGH_BITS_REMOTE(bits);
  const mach_msg_type_name_t reply_type = MACH_MSGH_BITS_LOCAL(bits);
  const mach_port_name_t dest_name = h->msgh_remote_port;
  const mach_port_name_t reply_name = h->msgh_local_port;

  auto fail = [&](mach_msg_return_t mr) {
    core.free_kmsg(m);
    return mr;
  };

  // --- Header (atomic: checked completely before any right moves) ---
  if (!MACH_MSG_TYPE_PORT_ANY_SEND(dest_type)) return fail(MACH_SEND_INVALID_HEADER);
  if (reply_type == 0 ? reply_name != MACH_PORT_NULL && reply_name != MACH_PORT_DEAD
                      : !MACH_MSG_TYPE_PORT_ANY_SEND(reply_type))
    return fail(MACH_SEND_INVALID_HEADER);
  const bool same = reply_name == dest_name;
  const bool reply_valid = MACH_PORT_VALID(reply_name) && reply_type != 0;
  mach_port_urefs_t dest_need = consumes(dest_type) ? 1 : 0;
  mach_port_urefs_t reply_need = consumes(reply_type) ? 1 : 0;
  if (same && reply_valid) {
    dest_need += reply_need;
    reply_need = dest_need;
  }
  if (!header_right_ok(core, s, dest_name, dest_type, false,
                       std::max<mach_port_urefs_t>(dest_need, 1))) {
    if (pager && control_id) emit_rejected_control(core, t, m->data.data(), send_size, dest_name);
    return fail(MACH_SEND_INVALID_DEST);
  }
  if (reply_valid && !header_right_ok(core, s, reply_name, reply_type, true,
                                      std::max<mach_port_urefs_t>(reply_need, 1)))
    return fail(MACH_SEND_INVALID_REPLY);
  {
    // Rights that only copy go first, so "MOVE_SEND dest, COPY_SEND reply,
    // one uref" succeeds as mach_msg.html's Atomicity section requires.
    const bool reply_first = reply_valid && !consumes(reply_type) && consumes(dest_type);
    if (reply_first) core.copyin_right(s, reply_name, reply_type, m->reply);
    core.copyin_right(s, dest_name, dest_type, m->dest);
    if (reply_valid && !reply_first) core.copyin_right(s, reply_name, reply_type, m->reply);
    if (reply_name == MACH_PORT_DEAD && reply_type != 0) m->reply.kind = RightRef::dead_name;
  }

  // --- Body ---
  bool complex = false;
  if (bits & MACH_MSGH_BITS_COMPLEX) {
    std::size_t at = sizeof(mach_msg_header_t);
    const std::size_t end = send_size;
    mach_msg_return_t err = MACH_MSG_SUCCESS;
    while (at < end) {
      Descriptor d;
      if (!read_descriptor(m->data.data() + at, end - at, d)) {
        err = MACH_SEND_MSG_TOO_SMALL;
        break;
      }
      const bool is_port = MACH_MSG_TYPE_PORT_ANY(d.name);
      if ((is_port && d.size != 32) || d.unused || (d.dealloc && d.is_inline)) {
        err = MACH_SEND_INVALID_TYPE;
        break;
      }
      const std::uint32_t type_offset = static_cast<std::uint32_t>(at);
      at += d.header_bytes;
      const std::uint64_t length = (d.number * d.size + 7) >> 3;
      Item it;
      it.type_offset = type_offset;
      it.data_offset = static_cast<std::uint32_t>(at);
      it.number = static_cast<std::uint32_t>(d.number);
      it.is_inline = d.is_inline;
      it.longform = d.longform;
      it.is_port = is_port;
      it.first_right = static_cast<std::uint32_t>(m->rights.size());
      // The item's port names, inline or out of line alike, copied in as
      // rights (a dead name stays dead, a null name null) until one fails.
      auto copyin_names = [&](const std::uint8_t* names) {
        for (std::uint64_t i = 0; i < d.number && err == MACH_MSG_SUCCESS; ++i) {
          mach_port_name_t n;
          std::memcpy(&n, names + 4 * i, 4);
          RightRef r;
          if (n == MACH_PORT_DEAD) {
            r.kind = RightRef::dead_name;
          } else if (n != MACH_PORT_NULL && core.copyin_right(s, n, d.name, r) != KERN_SUCCESS) {
            err = MACH_SEND_INVALID_RIGHT;
          }
          if (err == MACH_MSG_SUCCESS) m->rights.push_back(r);
        }
      };
      if (d.is_inline) {
        if (end - at < length) {
          err = MACH_SEND_MSG_TOO_SMALL;
          break;
        }
        if (is_port) {
          copyin_names(m->data.data() + at);
          complex = true;
        }
        at += length;
      } else {
        if (end - at < sizeof(std::uint64_t)) {
          err = MACH_SEND_MSG_TOO_SMALL;
          break;
        }
        std::uint64_t addr;
        std::memcpy(&addr, m->data.data() + at, 8);
        if (length > kMaxOol) {
          err = MACH_SEND_INVALID_MEMORY;
          break;
        }
        OolBuffer buf;
        buf.size = static_cast<std::size_t>(length);
        buf.sender_address = static_cast<std::uintptr_t>(addr);
        if (length > 0) {
          buf.bytes.reset(new (std::nothrow) std::uint8_t[buf.size]);
          if (!buf.bytes ||
              !read_memory(static_cast<std::uintptr_t>(addr), buf.size, buf.bytes.get())) {
            // Deallocating on send memory the pager already released
            // (vm_deallocate, or an earlier send with dealloc) is a second
            // release of that delivered region: V4, as for vm_deallocate.
            if (d.dealloc) report_redealloc(core, t, pager && s == core.pager_space(), addr);
            err = MACH_SEND_INVALID_MEMORY;
            break;
          }
        }
        if (is_port) {
          copyin_names(buf.bytes.get());
        }
        if (err != MACH_MSG_SUCCESS) break;
        if (d.dealloc && length > 0) {
          // "If the option is set and the out-of-line memory region is not
          // null, then the region is implicitly de-allocated from the
          // sender, as if by vm_deallocate" (mach_msg.html). Only memory the
          // simulated kernel mapped can be taken away safely. As for
          // vm_deallocate, the pager's release of delivered regions (a
          // data_return's pages handed back in a data_supply) is reported.
          //
          // GNU Mach (ipc_kmsg_copyin_body) copies the region in with
          // vm_map_copyin and src_destroy TRUE: the whole pages holding it
          // leave the sender's map. For the pager's own messages the pages
          // are withdrawn rather than unmapped (withdraw_pages): they stay
          // reserved and inaccessible, so a later touch faults and is
          // charged to this message (SU10 for a supply), and no later
          // mapping reuses the addresses unseen. Memory the simulated
          // kernel did not map (malloc'd, static) stays where it is: it
          // shares pages with the suite's own data.
          std::vector<emmi::model::RegionId> released;
          emmi::model::RegionId double_free = 0;
          const bool own = pager && s == core.pager_space();
          std::vector<std::pair<std::uintptr_t, std::uintptr_t>> cuts;
          core.vm_release(s, static_cast<std::uintptr_t>(addr), buf.size, &released, &double_free,
                          !own, own ? &cuts : nullptr);
          if (!cuts.empty()) {
            const emmi::mach::WithdrawnPages what = withdrawn_by(m->data.data(), send_size,
                                                                 static_cast<std::uintptr_t>(addr),
                                                                 buf.size);
            std::uintptr_t covered = static_cast<std::uintptr_t>(addr) & ~(kVmPage - 1);
            for (const auto& [lo, hi] : cuts) {
              withdraw_pages(lo, hi, what);
              if (lo == covered) covered = hi;
            }
            buf.withdrawn = covered >=
                            round_up(static_cast<std::uintptr_t>(addr) + buf.size, kVmPage);
          }
          report_released(core, t, own, released, double_free);
        }
        it.ool = static_cast<std::int32_t>(m->ools.size());
        m->ools.push_back(std::move(buf));
        at += 8;
        complex = true;
      }
      // The type the receiver sees (GNU Mach ipc_object_copyin_type).
      if (is_port) it.name = received_type(d.name);
      m->items.push_back(it);
      at = round_up(at, 4);
    }
    if (err != MACH_MSG_SUCCESS) {
      // mach_msg.html: these codes "imply that some or all of the message
      // was destroyed": GNU Mach's ipc_kmsg_clean_partial releases the
      // header rights and the rights taken so far.
      core.destroy_kmsg(m);
      return err;
    }
  }
  m->complex = complex;
  if (!complex) m->header()->msgh_bits &= ~MACH_MSGH_BITS_COMPLEX;
  m->from_pager = pager;
  m->sender_dest_name = dest_name;
  if (SendInfo* info = binding().send_info) m->info = *info;

  if (pager && control_id && m->dest.kind == RightRef::right &&
      m->dest.port->kobject != KObject::control)
    emit_rejected_control(core, t, m->data.data(), send_size, dest_name);

  KMsg* k = core.deliver(m);
  lk.unlock();
  if (k != nullptr) core.serve_kobject(k);
  return MACH_MSG_SUCCESS;
}

namespace {

// Protected payloads (GNU Mach ipc_kmsg_copyout_header and _copyout_dest):
// once the receiver has set one on the port (mach_port_set_protected_payload),
// a message received from it carries the payload where the port's name
// would be, and says so with MACH_MSG_TYPE_PROTECTED_PAYLOAD as its local
// type; otherwise the receiver's name for the port and the destination type.
mach_msg_type_name_t local_type_of(const Port* q, mach_msg_type_name_t dest_type) {
  return q->has_payload ? MACH_MSG_TYPE_PROTECTED_PAYLOAD : dest_type;
}

void set_local_port(mach_msg_header_t* h, const Port* q) {
  if (q->has_payload) {
    h->msgh_protected_payload = q->payload;
  } else {
    h->msgh_protected_payload = 0;  // the union's upper bytes
    h->msgh_local_port = q->receiver_name;
  }
}

// Copy a dequeued message out into `s` and into the caller's buffer.
void copyout(Core& core, KMsg* m, Port* q, Space* s, mach_msg_header_t* out,
             mach_port_seqno_t seqno, ThreadRec* t) {
  const std::size_t size = m->data.size();
  std::memcpy(out, m->data.data(), size);
  auto* bytes = reinterpret_cast<std::uint8_t*>(out);
  const bool observe = core.observing() && s->is_pager;
  emmi::model::Dequeued ev;

  const mach_msg_type_name_t reply_type = m->reply.kind == RightRef::right ? m->reply.type
                                          : m->reply.kind == RightRef::dead_name
                                              ? MACH_MSGH_BITS_LOCAL(m->header()->msgh_bits)
                                              : 0;
  const mach_msg_type_name_t reply_rcv_type = reply_type == 0 ? 0
                                              : (reply_type == MACH_MSG_TYPE_PORT_SEND_ONCE ||
                                                 reply_type == MACH_MSG_TYPE_MOVE_SEND_ONCE ||
                                                 reply_type == MACH_MSG_TYPE_MAKE_SEND_ONCE)
                                                  ? MACH_MSG_TYPE_PORT_SEND_ONCE
                                                  : MACH_MSG_TYPE_PORT_SEND;
  const bool reply_is_right = m->reply.kind == RightRef::right;
  const mach_port_name_t reply_name = core.copyout_right(s, m->reply);
  if (observe && reply_is_right && MACH_PORT_VALID(reply_name))
    ev.rights.push_back({reply_name, model_right(reply_rcv_type)});

  // Receiving consumes the destination right (mach_msg.html: "the act of
  // receiving the message consumes the send or send-once right for the
  // destination port"). Releasing the last send right generates the
  // no-senders notification now, after this message (section 3d).
  const mach_msg_type_name_t dest_type = m->dest.type;
  RightRef dest = m->dest;
  m->dest = RightRef{};
  if (dest_type == MACH_MSG_TYPE_PORT_SEND) {
    core.release_send(dest.port);
  } else {
    if (dest.port->sorights > 0) --dest.port->sorights;
    core.port_unref(dest.port);
  }

  out->msgh_bits = MACH_MSGH_BITS(reply_rcv_type, local_type_of(q, dest_type)) |
                   (m->complex ? MACH_MSGH_BITS_COMPLEX : 0);
  out->msgh_size = static_cast<mach_msg_size_t>(size);
  out->msgh_remote_port = reply_name;
  set_local_port(out, q);
  out->msgh_seqno = seqno;

  for (Item& it : m->items) {
    if (it.is_port) write_descriptor_name(bytes + it.type_offset, it.name);
    if (it.is_inline) {
      if (!it.is_port) continue;
      for (std::uint32_t i = 0; i < it.number; ++i) {
        RightRef& r = m->rights[it.first_right + i];
        const bool is_right = r.kind == RightRef::right;
        const mach_msg_type_name_t rt = r.type;
        mach_port_name_t n = core.copyout_right(s, r);
        std::memcpy(bytes + it.data_offset + 4 * i, &n, 4);
        if (observe && is_right && MACH_PORT_VALID(n)) ev.rights.push_back({n, model_right(rt)});
      }
      continue;
    }
    OolBuffer& buf = m->ools[static_cast<std::size_t>(it.ool)];
    std::uint64_t addr = 0;
    if (buf.size > 0) {
      emmi::model::RegionId rid = 0;
      addr = core.vm_map_fresh(s, buf.size, !it.is_port, &rid);
      if (addr != 0) {
        if (it.is_port) {
          for (std::uint32_t i = 0; i < it.number; ++i) {
            RightRef& r = m->rights[it.first_right + i];
            const bool is_right = r.kind == RightRef::right;
            const mach_msg_type_name_t rt = r.type;
            mach_port_name_t n = core.copyout_right(s, r);
            std::memcpy(reinterpret_cast<std::uint8_t*>(addr) + 4 * i, &n, 4);
            if (observe && is_right && MACH_PORT_VALID(n))
              ev.rights.push_back({n, model_right(rt)});
          }
        } else {
          std::memcpy(reinterpret_cast<void*>(addr), buf.bytes.get(), buf.size);
          if (ev.region == 0) {
            ev.region = rid;
            ev.region_size = buf.size;
          }
        }
      } else if (it.is_port) {
        for (std::uint32_t i = 0; i < it.number; ++i)
          core.destroy_right(m->rights[it.first_right + i]);
      }
    }
    std::memcpy(bytes + it.data_offset, &addr, 8);
  }

  if (observe) {
    ev.thread = t->id;
    ev.port = q->receiver_name;
    ev.seqno = seqno;
    core.emit(std::move(ev));
  }
  core.count_received();
  core.free_kmsg(m);
}

// Without MACH_RCV_LARGE a message too large for the buffer is dequeued and
// destroyed; the caller gets the header with the destination, no reply port
// (mach_msg.html, MACH_RCV_LARGE) and the seqno is used up (section 2).
// A message dequeued into a buffer too small for it (without MACH_RCV_LARGE)
// is destroyed by the kernel: its seqno is used, the pager never sees it.
void report_lost(Core& core, Port* q, Space* s, mach_port_seqno_t seqno, ThreadRec* t) {
  if (!core.observing() || !s->is_pager) return;
  emmi::model::Dequeued ev;
  ev.thread = t->id;
  ev.port = q->receiver_name;
  ev.seqno = seqno;
  ev.too_large = true;
  core.emit(std::move(ev));
}

void copyout_too_large(Core& core, KMsg* m, Port* q, Space* s, mach_msg_header_t* out,
                       mach_port_seqno_t seqno, ThreadRec* t) {
  mach_msg_header_t h;
  std::memcpy(&h, m->data.data(), sizeof h);
  const mach_msg_type_name_t dest_type = m->dest.type;
  const std::size_t size = m->data.size();
  h.msgh_bits = MACH_MSGH_BITS(0, local_type_of(q, dest_type));
  h.msgh_size = static_cast<mach_msg_size_t>(size);
  h.msgh_remote_port = MACH_PORT_NULL;
  set_local_port(&h, q);
  h.msgh_seqno = seqno;
  std::memcpy(out, &h, sizeof h);
  report_lost(core, q, s, seqno, t);
  core.destroy_kmsg(m);
}

}  // namespace

mach_msg_return_t msg_receive(Core& core, mach_msg_header_t* msg, mach_msg_option_t option,
                              mach_msg_size_t rcv_size, mach_port_name_t rcv_name,
                              mach_msg_timeout_t timeout) {
  ThreadRec* t = core.thread();
  Space* s = core.current_space();
  const bool pager = core.acting_as_pager();
  core.count_pager_thread(t, core.counts_as_pager_thread());
  const bool timed = (option & MACH_RCV_TIMEOUT) != 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout);
  sched::SThread* controlled = sched::Scheduler::self();
  const std::uint64_t virtual_deadline =
      controlled != nullptr && timed
          ? sched::Scheduler::active()->now_ns() +
                std::max<std::uint64_t>(1, std::uint64_t(timeout) * 1'000'000)
          : 0;

  Core::Lock lk(core);
  for (;;) {
    Entry* e = core.lookup(s, rcv_name);
    if (e == nullptr) return MACH_RCV_INVALID_NAME;
    Port* port = nullptr;
    PortSet* set = nullptr;
    if (e->type & MACH_PORT_TYPE_RECEIVE) {
      port = e->port;
      if (port->pset != nullptr) return MACH_RCV_IN_SET;
    } else if (e->type & MACH_PORT_TYPE_PORT_SET) {
      set = e->pset;
    } else {
      return MACH_RCV_INVALID_NAME;
    }

    // The oldest message: of the port, or across the set's members
    // (a member with messages is never starved).
    Port* q = nullptr;
    if (port != nullptr) {
      if (port->head != nullptr) q = port;
    } else {
      for (Port* mbr : set->members)
        if (mbr->head != nullptr && (q == nullptr || mbr->head->serial < q->head->serial)) q = mbr;
    }

    if (q != nullptr) {
      KMsg* m = q->head;
      if (m->data.size() > rcv_size) {
        if (option & MACH_RCV_LARGE) {
          // "the message remains queued ... with the actual size of the
          // message returned in the msgh_size field" (mach_msg.html).
          if (rcv_size >= sizeof(mach_msg_size_t) * 2)
            msg->msgh_size = static_cast<mach_msg_size_t>(m->data.size());
          return MACH_RCV_TOO_LARGE;
        }
      }
      q->head = m->next;
      if (q->head == nullptr) q->tail = nullptr;
      --q->msgcount;
      m->next = nullptr;
      for (RightRef& r : m->rights)
        if (r.kind == RightRef::right && r.type == MACH_MSG_TYPE_PORT_RECEIVE)
          r.port->transit_dest = nullptr;
      // Stamp, then increment, under the kernel lock: atomic with the
      // dequeue (section 2).
      const mach_port_seqno_t seqno = q->seqno++;
      mach_msg_return_t mr = MACH_MSG_SUCCESS;
      if (m->data.size() > rcv_size) {
        if (rcv_size >= sizeof(mach_msg_header_t)) {
          copyout_too_large(core, m, q, s, msg, seqno, t);
        } else {
          report_lost(core, q, s, seqno, t);
          core.destroy_kmsg(m);
        }
        mr = MACH_RCV_TOO_LARGE;
      } else {
        copyout(core, m, q, s, msg, seqno, t);
      }
      lk.unlock();
      if (pager) core.run_hook(HookPoint::dequeue);
      return mr;
    }

    // A controlled thread's receive with a zero timeout that finds nothing
    // blocks with a deadline a nanosecond away: the scheduler lets it time
    // out when the pager is otherwise idle, so a thread that polls its port
    // in a loop still lets the pager settle (and may receive what another
    // thread sends meanwhile, as if sent before it looked).
    if (timed && controlled == nullptr && std::chrono::steady_clock::now() >= deadline)
      return MACH_RCV_TIMED_OUT;

    // Block until a sender (or a change to the port) wakes us.
    if (port != nullptr) {
      core.port_ref(port);
      port->waiters.push_back(t);
      t->wait_port = port;
    } else {
      ++set->refs;
      set->waiters.push_back(t);
      t->wait_set = set;
    }
    t->signalled = false;
    core.thread_blocks(t);
    bool timed_out = false;
    while (!t->signalled) {
      if (controlled != nullptr) {
        // Under controlled scheduling the scheduler parks the thread and
        // decides when a receive timeout fires (virtual time).
        t->sched = controlled;
        lk.unlock();
        const auto r = sched::Scheduler::active()->block(controlled, sched::Wait::receive, t,
                                                         timed ? virtual_deadline : 0);
        lk.relock();
        t->sched = nullptr;
        if (r == sched::BlockResult::timed_out && !t->signalled) {
          timed_out = true;
          break;
        }
        continue;
      }
      if (timed) {
        if (t->cv.wait_until(lk.raw(), deadline) == std::cv_status::timeout && !t->signalled) {
          timed_out = true;
          break;
        }
      } else {
        t->cv.wait(lk.raw());
      }
    }
    t->signalled = false;
    core.thread_unblocks(t);
    if (port != nullptr) {
      auto& w = port->waiters;
      w.erase(std::find(w.begin(), w.end(), t));
      t->wait_port = nullptr;
      const bool died = !port->active || port->receiver != s;
      const bool changed = port->pset != nullptr;
      const bool has_msg = port->head != nullptr;
      core.port_unref(port);
      if (died) return MACH_RCV_PORT_DIED;
      if (changed) return MACH_RCV_PORT_CHANGED;
      if (timed_out && !has_msg) return MACH_RCV_TIMED_OUT;
    } else {
      auto& w = set->waiters;
      w.erase(std::find(w.begin(), w.end(), t));
      t->wait_set = nullptr;
      const bool died = !set->active;
      core.pset_unref(set);
      if (died) return MACH_RCV_PORT_DIED;
      if (timed_out) {
        bool any = false;
        Entry* again = core.lookup(s, rcv_name);
        if (again != nullptr && (again->type & MACH_PORT_TYPE_PORT_SET))
          for (Port* mbr : again->pset->members) any = any || mbr->head != nullptr;
        if (!any) return MACH_RCV_TIMED_OUT;
      }
    }
  }
}

}  // namespace emmi::mach::detail

// ---------------------------------------------------------------------------
// C API

using emmi::mach::detail::Core;

namespace {

Core* core_or_null() { return emmi::mach::detail::installed_core(); }

}  // namespace

extern "C" {

mach_msg_return_t mach_msg(mach_msg_header_t* msg, mach_msg_option_t option,
                           mach_msg_size_t send_size, mach_msg_size_t rcv_size,
                           mach_port_name_t rcv_name, mach_msg_timeout_t timeout,
                           mach_port_name_t notify) {
  (void)notify;
  Core* core = core_or_null();
  if (core == nullptr)
    return (option & MACH_SEND_MSG) ? MACH_SEND_INVALID_DEST : MACH_RCV_INVALID_NAME;
  if (option & MACH_SEND_MSG) {
    mach_msg_return_t mr = emmi::mach::detail::msg_send(*core, msg, option, send_size);
    if (emmi::mach::detail::take_snapshot_after_send()) {
      namespace sched = emmi::mach::detail::sched;
      if (sched::SThread* me = sched::Scheduler::self(); me != nullptr && !me->command)
        sched::Scheduler::active()->snapshot(me);
    }
    if (mr != MACH_MSG_SUCCESS) return mr;
  }
  if (option & MACH_RCV_MSG)
    return emmi::mach::detail::msg_receive(*core, msg, option, rcv_size, rcv_name, timeout);
  return MACH_MSG_SUCCESS;
}

mach_msg_return_t __mach_msg(mach_msg_header_t* msg, mach_msg_option_t option,
                             mach_msg_size_t send_size, mach_msg_size_t rcv_size,
                             mach_port_name_t rcv_name, mach_msg_timeout_t timeout,
                             mach_port_name_t notify) {
  return mach_msg(msg, option, send_size, rcv_size, rcv_name, timeout, notify);
}

mach_msg_return_t mach_msg_trap(mach_msg_header_t* msg, mach_msg_option_t option,
                                mach_msg_size_t send_size, mach_msg_size_t rcv_size,
                                mach_port_name_t rcv_name, mach_msg_timeout_t timeout,
                                mach_port_name_t notify) {
  return mach_msg(msg, option, send_size, rcv_size, rcv_name, timeout, notify);
}

mach_msg_return_t __mach_msg_trap(mach_msg_header_t* msg, mach_msg_option_t option,
                                  mach_msg_size_t send_size, mach_msg_size_t rcv_size,
                                  mach_port_name_t rcv_name, mach_msg_timeout_t timeout,
                                  mach_port_name_t notify) {
  return mach_msg(msg, option, send_size, rcv_size, rcv_name, timeout, notify);
}

mach_msg_return_t mach_msg_send(mach_msg_header_t* msg) {
  return mach_msg(msg, MACH_SEND_MSG, msg->msgh_size, 0, MACH_PORT_NULL, MACH_MSG_TIMEOUT_NONE,
                  MACH_PORT_NULL);
}

mach_msg_return_t mach_msg_receive(mach_msg_header_t* msg) {
  return mach_msg(msg, MACH_RCV_MSG, 0, msg->msgh_size, msg->msgh_local_port, MACH_MSG_TIMEOUT_NONE,
                  MACH_PORT_NULL);
}

// glibc mach/msg-destroy.c semantics: release the reply right, every right in
// the body and every out-of-line region of a received message.
void mach_msg_destroy(mach_msg_header_t* msg) {
  auto destroy_port = [](mach_port_t port, mach_msg_type_name_t type) {
    if (!MACH_PORT_VALID(port)) return;
    switch (type) {
      case MACH_MSG_TYPE_PORT_SEND:
      case MACH_MSG_TYPE_PORT_SEND_ONCE: (void)mach_port_deallocate(mach_task_self(), port); break;
      case MACH_MSG_TYPE_PORT_RECEIVE:
        (void)mach_port_mod_refs(mach_task_self(), port, MACH_PORT_RIGHT_RECEIVE, -1);
        break;
      default: break;
    }
  };
  const mach_msg_bits_t mbits = msg->msgh_bits;
  // The local port holds no right: receiving consumed the destination right.
  destroy_port(msg->msgh_remote_port, MACH_MSGH_BITS_REMOTE(mbits));
  if (!(mbits & MACH_MSGH_BITS_COMPLEX)) return;
  auto* base = reinterpret_cast<std::uint8_t*>(msg);
  std::size_t at = sizeof(mach_msg_header_t);
  const std::size_t end = msg->msgh_size;
  while (at < end) {
    emmi::mach::detail::Descriptor d;
    if (!emmi::mach::detail::read_descriptor(base + at, end - at, d)) break;
    at += d.header_bytes;
    const std::uint64_t length = ((((d.number * d.size) + 7) >> 3) + 3) & ~std::uint64_t{3};
    std::uint8_t* addr = base + at;
    if (!d.is_inline) {
      std::uint64_t p;
      std::memcpy(&p, base + at, 8);
      addr = reinterpret_cast<std::uint8_t*>(p);
    }
    if (MACH_MSG_TYPE_PORT_ANY(d.name) && addr != nullptr) {
      for (std::uint64_t i = 0; i < d.number; ++i) {
        mach_port_t n;
        std::memcpy(&n, addr + 4 * i, 4);
        destroy_port(n, d.name);
      }
    }
    if (d.is_inline) {
      at += length;
    } else {
      if (length > 0)
        (void)vm_deallocate(mach_task_self(), reinterpret_cast<vm_address_t>(addr), length);
      at += 8;
    }
  }
}

mach_msg_return_t mach_msg_server_timeout(boolean_t (*demux)(mach_msg_header_t* request,
                                                             mach_msg_header_t* reply),
                                          mach_msg_size_t max_size, mach_port_t rcv_name,
                                          mach_msg_option_t option, mach_msg_timeout_t timeout) {
  using emmi::mach::detail::tl_quiet;
  for (;;) {
    if (max_size == 0) {
      // glibc: "two pages, with MACH_RCV_LARGE".
      option |= MACH_RCV_LARGE;
      max_size = 2 * static_cast<mach_msg_size_t>(vm_page_size);
    }
    std::vector<std::uint64_t> buf_a((max_size + 7) / 8 + 1);
    std::vector<std::uint64_t> buf_b((max_size + 7) / 8 + 1);
    auto* request = reinterpret_cast<mig_reply_header_t*>(buf_a.data());
    auto* reply = reinterpret_cast<mig_reply_header_t*>(buf_b.data());
    mach_msg_return_t mr;
    bool grow = false;
    for (;;) {
      mr = mach_msg(&request->Head, MACH_RCV_MSG | option, 0, max_size, rcv_name, timeout,
                    MACH_PORT_NULL);
      bool next_request = false;
      while (mr == MACH_MSG_SUCCESS) {
        // The request this handler runs for, before the demux can touch it.
        const mach_port_t request_port = request->Head.msgh_local_port;
        const mach_port_seqno_t request_seqno = request->Head.msgh_seqno;
        // glibc's loop ignores what the demux returns (the reply's RetCode
        // decides), but the model judges it: TRUE for the interface's own
        // messages, FALSE for a foreign one (G5, SQ4).
        const boolean_t handled = (*demux)(&request->Head, &reply->Head);
        if (Core* core = core_or_null()) {
          const emmi::model::ThreadId self = core->thread()->id;
          const bool pager = core->acting_as_pager();
          Core::Lock lk(*core);
          if (core->observing() && pager) {
            emmi::model::HandlerReturned ev;
            ev.thread = self;
            ev.code = reply->RetCode;
            ev.port = request_port;
            ev.seqno = request_seqno;
            ev.handled = handled != FALSE;
            core->emit(std::move(ev));
          }
        }
        if (reply->RetCode == MIG_NO_REPLY) {
          next_request = true;
          break;
        }
        if (reply->RetCode != KERN_SUCCESS) {
          // "Some error; destroy the request message to release any port
          // rights or VM it holds. Don't destroy the reply port right, so we
          // can send an error message." The model derives this release from
          // HandlerReturned; no separate events.
          request->Head.msgh_remote_port = MACH_PORT_NULL;
          tl_quiet = true;
          mach_msg_destroy(&request->Head);
          tl_quiet = false;
        }
        if (reply->Head.msgh_remote_port == MACH_PORT_NULL) {
          if (reply->Head.msgh_bits & MACH_MSGH_BITS_COMPLEX) {
            tl_quiet = true;
            mach_msg_destroy(&reply->Head);
            tl_quiet = false;
          }
          next_request = true;
          break;
        }
        std::swap(request, reply);
        mr = mach_msg(&request->Head, MACH_SEND_MSG | MACH_RCV_MSG | option,
                      request->Head.msgh_size, max_size, rcv_name, timeout, MACH_PORT_NULL);
      }
      if (next_request) continue;
      if (mr == MACH_RCV_TOO_LARGE && (option & MACH_RCV_LARGE)) {
        // The message stays queued; retry with a buffer of its size.
        max_size = request->Head.msgh_size;
        grow = true;
        break;
      }
      if (mr == MACH_RCV_TOO_LARGE) continue;  // the kernel destroyed it
      if (mr == MACH_SEND_INVALID_DEST) {
        tl_quiet = true;
        mach_msg_destroy(&request->Head);
        tl_quiet = false;
        continue;
      }
      return mr;
    }
    if (!grow) return mr;
  }
}

mach_msg_return_t mach_msg_server(boolean_t (*demux)(mach_msg_header_t* request,
                                                     mach_msg_header_t* reply),
                                  mach_msg_size_t max_size, mach_port_t rcv_name) {
  return mach_msg_server_timeout(demux, max_size, rcv_name, MACH_MSG_OPTION_NONE,
                                 MACH_MSG_TIMEOUT_NONE);
}

}  // extern "C"
