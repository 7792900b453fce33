// SPDX-License-Identifier: MIT
// The control plane: the kernel's server for messages to control ports,
// run in the sending pager thread like GNU Mach's ipc_kobject_server. Checks
// and behaviour follow spec/gnumach-kernel.md section 3e; a rejected call's
// message is destroyed (so a send-once reply_to yields a send-once
// notification) and each completion is sent exactly once.
#include <algorithm>
#include <cstddef>
#include <cstring>

#include "control_decode.h"
#include "emmi/mach/stamp.h"
#include "kernel_vm.h"
#include "osf_kernel.h"

extern "C" {
#include "memory_object_kernel.h"
}

namespace emmi::mach::detail {

namespace {

using emmi::model::ControlCall;
using PageState = KernelDriver::PageState;

bool valid_copy_strategy(int s) {
  return s == MEMORY_OBJECT_COPY_NONE || s == MEMORY_OBJECT_COPY_CALL ||
         s == MEMORY_OBJECT_COPY_DELAY || s == MEMORY_OBJECT_COPY_TEMPORARY;
}

// The item of `m` whose type descriptor starts at `type_offset`.
Item* item_at(KMsg* m, std::uint32_t type_offset) {
  for (Item& it : m->items)
    if (it.type_offset == type_offset) return &it;
  return nullptr;
}

// The OSF attribute flavours as ints on the wire (x86_64 layouts of
// <emmi/osf/memory_object_types.h>; defs/osf/README.md).
namespace osf_attr {
constexpr int kPerformance = 11;
constexpr int kAttributes = 14;
constexpr int kBehavior = 15;
// The count each flavour takes, or 0 for a flavour the kernel does not know.
std::uint32_t count_of(int flavor) {
  switch (flavor) {
    case kPerformance: return 4;  // cluster_size (8 bytes), may_cache_object, padding
    case kAttributes: return 6;   // copy_strategy, padding, cluster_size (8), may_cache, temporary
    case kBehavior: return 3;     // copy_strategy, temporary, invalidate
    default: return 0;
  }
}
// The ints the OSF get_attributes reply carries (MO_get_attributes.html,
// CA6): the flavour's whole structure when the caller's maximum holds it,
// else none (the call fails).
std::uint32_t get_attributes_count(bool accepted, int flavor, std::uint32_t max) {
  const std::uint32_t want = osf_attr::count_of(flavor);
  return accepted && want != 0 && max >= want ? want : 0;
}

std::uint64_t u64_at(const std::int32_t* a, int i) {
  return static_cast<std::uint32_t>(a[i]) |
         (static_cast<std::uint64_t>(static_cast<std::uint32_t>(a[i + 1])) << 32);
}
}  // namespace osf_attr

#pragma pack(push, 4)
struct OsfGetAttributesReply {
  mach_msg_header_t Head;
  mach_msg_type_t RetCodeType;
  kern_return_t RetCode;
  mach_msg_type_t attributesType;
  std::int32_t attributes[6];
};
struct GetAttributesReply {
  mach_msg_header_t Head;
  mach_msg_type_t RetCodeType;
  kern_return_t RetCode;
  mach_msg_type_t object_readyType;
  boolean_t object_ready;
  mach_msg_type_t may_cacheType;
  boolean_t may_cache;
  mach_msg_type_t copy_strategyType;
  memory_object_copy_strategy_t copy_strategy;
};
#pragma pack(pop)

}  // namespace

void KernelVm::serve(KMsg* m, KObject kind, std::uint64_t c) {
  ThreadRec* t = core.thread();
  ControlMessage cm;
  bool known = kind == KObject::control && decode_control(m->data.data(), m->data.size(), cm);

  std::lock_guard<std::recursive_mutex> g(mu);
  KernelId kid = 0;
  ObjectId oid = 0;
  if (auto it = by_cookie.find(c); it != by_cookie.end()) {
    kid = it->second.first;
    oid = it->second.second;
  }
  KernelRec* k = kernel_rec(kid);
  ObjectRec* o = object_rec(oid);
  Mapping* mp = mapping(kid, oid);
  const bool live = k != nullptr && o != nullptr && mp != nullptr && mp->mapped;
  // Each kernel serves its own dialect's ids only: to a GNU Mach kernel an
  // OSF call is an unknown routine (MIG_BAD_ID), and the other way round.
  if (known && k != nullptr && cm.osf != k->osf()) known = false;

  // Take the reply_to right and the data out of the message.
  RightRef reply_to;
  std::optional<bool> reply_to_received_by_pager;
  const OolBuffer* data = nullptr;
  {
    Core::Lock lk(core);
    if (known && cm.well_formed && cm.has_reply_to) {
      if (Item* it = item_at(m, cm.reply_to_type_offset); it != nullptr && it->is_port) {
        reply_to = m->rights[it->first_right];
        m->rights[it->first_right] = RightRef{};
        if (reply_to.kind == RightRef::right && reply_to.port != nullptr &&
            reply_to.port->receiver != nullptr)
          reply_to_received_by_pager = reply_to.port->receiver == core.pager_space();
      }
    }
    if (known && cm.well_formed && cm.has_data) {
      if (Item* it = item_at(m, cm.data_type_offset); it != nullptr && it->ool >= 0)
        data = &m->ools[static_cast<std::size_t>(it->ool)];
    }
  }

  // GNU Mach's checks (section 3e).
  bool accepted = known && cm.well_formed && live;
  const Size page = live ? k->page_size : 0;
  if (accepted) {
    switch (cm.call) {
      case ControlCall::data_supply:
        accepted = (cm.lock_value & ~VM_PROT_ALL) == 0 && cm.size % page == 0;
        break;
      case ControlCall::data_error:
      case ControlCall::data_unavailable: accepted = cm.size % page == 0; break;
      case ControlCall::lock_request:
        accepted = (cm.lock_value & ~VM_PROT_ALL) == 0 || cm.lock_value == VM_PROT_NO_CHANGE;
        break;
      case ControlCall::ready: accepted = valid_copy_strategy(cm.copy_strategy); break;
      case ControlCall::synchronize_completed: {
        // SY3: the completion names the range of a synchronize still
        // waiting; anything else completes no vm_msync and is refused.
        accepted = std::any_of(mp->syncs.begin(), mp->syncs.end(), [&](const auto& s) {
          return s.offset == cm.offset && s.length == cm.size;
        });
        break;
      }
      case ControlCall::change_attributes:
        if (cm.osf) {
          // CA1, CA2: a flavour the kernel knows, with exactly its count.
          const std::uint32_t want = osf_attr::count_of(cm.flavor);
          accepted = want != 0 && cm.attributes_count == want;
          if (accepted && cm.flavor != osf_attr::kPerformance)
            accepted = valid_copy_strategy(cm.attributes[0]);
        }
        break;
      default: break;
    }
  }
  // GNU Mach's change_attributes sends change_completed even with an invalid
  // strategy. The OSF kernel refuses a change it cannot make (a flavour and
  // count that disagree, a bad strategy) and sends no completion: nothing
  // was changed (model/SEMANTICS.md, "OSF dialect").
  const bool completes_anyway = known && cm.well_formed && live && !cm.osf &&
                                cm.call == ControlCall::change_attributes;
  if (cm.call == ControlCall::change_attributes && accepted && !cm.osf)
    accepted = valid_copy_strategy(cm.copy_strategy);

  std::vector<Stamp> supplied;
  if (data != nullptr && data->size > 0) supplied = read_blocks(data->bytes.get(), data->size);

  if (m->from_pager && known) {
    Core::Lock lk(core);
    if (core.observing()) {
      emmi::model::ControlCalled ev;
      ev.thread = t->id;
      ev.call = cm.call;
      ev.control = m->sender_dest_name;
      ev.offset = cm.offset;
      ev.size = cm.size;
      ev.lock_value = static_cast<emmi::model::Prot>(cm.lock_value);
      ev.should_return = cm.should_return;
      ev.should_flush = cm.should_flush;
      if (cm.call == ControlCall::data_error) ev.error_value = cm.error_value;
      // data_supply stops at the first page already present (§3e).
      if (cm.call == ControlCall::data_supply && accepted)
        for (Size done = 0; done < cm.size; done += page)
          if (auto it = mp->pages.find(cm.offset + done);
              it != mp->pages.end() && it->second.state == PageState::resident) {
            ev.present_at = cm.offset + done;
            break;
          }
      ev.copy_strategy = cm.copy_strategy;
      ev.precious = cm.precious;
      ev.may_cache = cm.may_cache;
      ev.stamps = supplied;
      // A copy object's data_unavailable reads the original's page: what the
      // kernel reads, block by block, as long as the original's pages are
      // resident (copy.cpp); nothing when one is not (it is requested).
      if (cm.call == ControlCall::data_unavailable && accepted && mp->shadow != 0)
        ev.stamps = shadow_contents(*k, *mp, cm.offset, cm.size);
      // SU9: where the data lay in the pager's space, and that space's page.
      if (data != nullptr && data->size > 0) {
        ev.data_address = data->sender_address;
        ev.data_page_size = kVmPage;
        // SU10: its pages left the pager's space (mach_msg.cpp).
        ev.data_withdrawn = data->withdrawn;
      }
      ev.reply_to = cm.has_reply_to ? cm.reply_to_name : MACH_PORT_NULL;
      ev.reply_to_received_by_pager = reply_to_received_by_pager;
      ev.accepted = accepted;
      ev.flavor = cm.flavor;
      ev.attributes_count = cm.attributes_count;
      if (cm.osf && cm.call == ControlCall::get_attributes)
        ev.answered_count = osf_attr::get_attributes_count(accepted, cm.flavor,
                                                           cm.attributes_count);
      if (cm.osf && cm.call == ControlCall::change_attributes && accepted &&
          cm.flavor != osf_attr::kBehavior)
        ev.may_cache = cm.attributes[cm.flavor == osf_attr::kAttributes ? 4 : 2] != 0;
      // memory_object_attr_info and memory_object_behave_info begin with the
      // copy strategy; memory_object_perf_info has none (CP1, CP4, CP6).
      if (cm.osf && cm.call == ControlCall::change_attributes) {
        ev.names_copy_strategy = cm.attributes_count >= 1 && (cm.flavor == osf_attr::kAttributes ||
                                                              cm.flavor == osf_attr::kBehavior);
        ev.copy_strategy = ev.names_copy_strategy ? cm.attributes[0] : 0;
      }
      core.emit(std::move(ev));
    }
  }

  // The OSF get_attributes RPC: the flavour's attributes, at most as many
  // ints as the caller's buffer holds (CA6).
  if (known && cm.osf && cm.call == ControlCall::get_attributes) {
    Core::Lock lk(core);
    RightRef reply = m->reply;
    m->reply = RightRef{};
    core.destroy_kmsg(m);
    if (reply.kind == RightRef::right) {
      const std::uint32_t n = osf_attr::get_attributes_count(accepted, cm.flavor,
                                                             cm.attributes_count);
      const bool ok = n != 0;
      std::int32_t a[6] = {};
      if (ok) {
        const std::uint64_t cluster = mp->cluster_size;
        switch (cm.flavor) {
          case osf_attr::kPerformance:
            a[0] = static_cast<std::int32_t>(cluster);
            a[1] = static_cast<std::int32_t>(cluster >> 32);
            a[2] = mp->may_cache ? 1 : 0;
            break;
          case osf_attr::kAttributes:
            a[0] = mp->copy_strategy;
            a[2] = static_cast<std::int32_t>(cluster);
            a[3] = static_cast<std::int32_t>(cluster >> 32);
            a[4] = mp->may_cache ? 1 : 0;
            a[5] = mp->temporary_attr ? 1 : 0;
            break;
          default:
            a[0] = mp->copy_strategy;
            a[1] = mp->temporary_attr ? 1 : 0;
            a[2] = mp->invalidate ? 1 : 0;
            break;
        }
      }
      const std::uint32_t bytes =
          static_cast<std::uint32_t>(offsetof(OsfGetAttributesReply, attributes)) + 4 * n;
      KMsg* r = core.alloc_kmsg();
      r->data.assign(bytes, 0);
      OsfGetAttributesReply out{};
      out.Head.msgh_bits = MACH_MSGH_BITS(reply.type, 0);
      out.Head.msgh_size = bytes;
      out.Head.msgh_id = 3455 + 100;
      out.RetCodeType = mach_msg_type_t{MACH_MSG_TYPE_INTEGER_32, 32, 1, TRUE, FALSE, FALSE, 0};
      out.RetCode = ok ? KERN_SUCCESS : KERN_INVALID_ARGUMENT;
      out.attributesType = mach_msg_type_t{MACH_MSG_TYPE_INTEGER_32, 32, n, TRUE, FALSE, FALSE, 0};
      std::memcpy(out.attributes, a, sizeof a);
      std::memcpy(r->data.data(), &out, bytes);
      r->dest = reply;
      if (KMsg* k2 = core.deliver(r)) core.destroy_kmsg(k2);
    }
    return;
  }

  // The get_attributes RPC answers on the header's reply right.
  if (known && cm.call == ControlCall::get_attributes) {
    Core::Lock lk(core);
    RightRef reply = m->reply;
    m->reply = RightRef{};
    core.destroy_kmsg(m);
    if (reply.kind == RightRef::right) {
      KMsg* r = core.alloc_kmsg();
      r->data.assign(sizeof(GetAttributesReply), 0);
      auto* out = reinterpret_cast<GetAttributesReply*>(r->data.data());
      out->Head.msgh_bits = MACH_MSGH_BITS(reply.type, 0);
      out->Head.msgh_size = sizeof(GetAttributesReply);
      out->Head.msgh_id = 2040 + 100;
      out->RetCodeType = mach_msg_type_t{MACH_MSG_TYPE_INTEGER_32, 32, 1, TRUE, FALSE, FALSE, 0};
      out->RetCode = accepted ? KERN_SUCCESS : KERN_INVALID_ARGUMENT;
      out->object_readyType = mach_msg_type_t{MACH_MSG_TYPE_BOOLEAN, 32, 1, TRUE, FALSE, FALSE, 0};
      out->object_ready = accepted && mp->ready;
      out->may_cacheType = out->object_readyType;
      out->may_cache = accepted && mp->may_cache;
      out->copy_strategyType = out->RetCodeType;
      out->copy_strategy = accepted ? mp->copy_strategy : 0;
      r->dest = reply;
      if (KMsg* k2 = core.deliver(r)) core.destroy_kmsg(k2);
    }
    return;
  }

  if (!accepted && !completes_anyway) {
    // ipc_kobject_server destroys a request whose routine failed: its rights
    // (reply_to included) and its out-of-line memory.
    Core::Lock lk(core);
    if (reply_to.kind == RightRef::right) core.destroy_right(reply_to);
    RightRef reply = m->reply;
    m->reply = RightRef{};
    const mach_msg_id_t id = m->id();
    core.destroy_kmsg(m);
    if (!known && reply.kind == RightRef::right) {
      core.reply_bad_id(reply, id);
    } else {
      core.destroy_right(reply);
    }
    return;
  }

  // Accepted (or change_attributes with a bad strategy): act, then complete.
  mach_port_t reply_name = MACH_PORT_NULL;
  mach_msg_type_name_t reply_poly = MACH_MSG_TYPE_MOVE_SEND_ONCE;
  {
    Core::Lock lk(core);
    if (reply_to.kind == RightRef::right && reply_to.type != MACH_MSG_TYPE_PORT_RECEIVE) {
      reply_poly = reply_to.type == MACH_MSG_TYPE_PORT_SEND ? MACH_MSG_TYPE_MOVE_SEND
                                                            : MACH_MSG_TYPE_MOVE_SEND_ONCE;
      reply_name = core.copyout_right(k->space, reply_to);
    } else {
      core.destroy_right(reply_to);
    }
  }
  SendInfo info;
  info.kernel = kid;
  info.object = oid;
  info.offset = cm.offset;
  info.length = cm.size;

  switch (cm.call) {
    case ControlCall::change_attributes:
      if (cm.osf) {
        // MO_change_attributes.html: the flavour says which fields change;
        // any accepted change is the object's confirmation (RD1).
        const std::int32_t* a = cm.attributes;
        mp->ready = true;
        switch (cm.flavor) {
          case osf_attr::kPerformance:
            mp->cluster_size = osf_attr::u64_at(a, 0);
            mp->may_cache = a[2] != 0;
            break;
          case osf_attr::kAttributes:
            mp->copy_strategy = a[0];
            mp->cluster_size = osf_attr::u64_at(a, 2);
            mp->may_cache = a[4] != 0;
            mp->temporary_attr = a[5] != 0;
            break;
          default:
            mp->copy_strategy = a[0];
            mp->temporary_attr = a[1] != 0;
            mp->invalidate = a[2] != 0;
            break;
        }
        // CA4, CA5: change_completed echoes the flavour.
        if (MACH_PORT_VALID(reply_name)) {
          info.flavor = cm.flavor;
          SpaceScope in_kernel(k->space);
          SendInfoScope si(&info);
          (void)osf::change_completed(reply_name, reply_poly, mp->control, cm.flavor);
        }
        // Caching turned off on a cached object ends it (CA3). The OSF
        // completion names the control port, so it goes first, while the
        // port is still the kernel's.
        if (mp->cached && !mp->may_cache) terminate(*k, *o, *mp);
        break;
      }
      [[fallthrough]];
    case ControlCall::ready:
      if (accepted) {
        mp->ready = true;
        mp->may_cache = cm.may_cache;
        mp->copy_strategy = cm.copy_strategy;
        // may_cache FALSE on a cached object: vm_object_lookup took it out
        // of the cache, and dropping that reference terminates it, before
        // change_completed is sent: the completion is how the pager knows
        // the terminate is already queued ahead of it (gnumach-kernel.md
        // §3d, trigger 4; CMU Mach's memory_object_change_attributes says
        // so, and the completion carries no control port for that reason).
        if (mp->cached && !mp->may_cache) terminate(*k, *o, *mp);
      }
      if (cm.call == ControlCall::change_attributes && MACH_PORT_VALID(reply_name)) {
        SpaceScope in_kernel(k->space);
        SendInfoScope si(&info);
        (void)memory_object_change_completed(reply_name, reply_poly, cm.may_cache ? TRUE : FALSE,
                                             cm.copy_strategy);
      }
      break;

    case ControlCall::data_supply: {
      // Fill requested pages; unrequested ones are inserted too (supplying in
      // advance is allowed); a page already present stops the supply with
      // KERN_MEMORY_PRESENT, keeping what was supplied before it.
      kern_return_t result = KERN_SUCCESS;
      Offset error_offset = 0;
      const std::size_t blocks = page / kBlockSize;
      std::vector<Offset> filled;
      for (Size done = 0; done < cm.size; done += page) {
        const Offset off = cm.offset + done;
        auto it = mp->pages.find(off);
        if (it != mp->pages.end() && it->second.state == PageState::resident) {
          result = KERN_MEMORY_PRESENT;
          error_offset = off;
          break;
        }
        KernelDriver::Page p;
        if (it != mp->pages.end() && it->second.state == PageState::requested) {
          // The fault waiting for this page keeps what it asked for.
          p.requested_access = it->second.requested_access;
          p.pending_write = it->second.pending_write;
          p.pending_stamps = std::move(it->second.pending_stamps);
        }
        p.offset = off;
        p.state = PageState::resident;
        p.lock = static_cast<Prot>(cm.lock_value);
        p.precious = cm.precious;
        const std::size_t first = done / kBlockSize;
        for (std::size_t b = 0; b < blocks; ++b)
          p.stamps.push_back(first + b < supplied.size() ? supplied[first + b] : 0);
        mp->pages[off] = std::move(p);
        filled.push_back(off);
      }
      if (MACH_PORT_VALID(reply_name)) {
        SpaceScope in_kernel(k->space);
        SendInfoScope si(&info);
        if (k->osf())
          (void)osf::supply_completed(reply_name, reply_poly, mp->control, cm.offset, cm.size,
                                      result, error_offset);
        else
          (void)memory_object_supply_completed(reply_name, reply_poly, mp->control, cm.offset,
                                               cm.size, result, error_offset);
      }
      // The faulting threads wake up: a write the lock forbids asks to
      // unlock (gnumach-kernel.md §3c).
      for (Offset off : filled) after_fill(*k, *o, *mp, mp->pages[off]);
      break;
    }

    case ControlCall::data_unavailable:
    case ControlCall::data_error:
      // Only busy, absent (requested) pages change: unavailable ones are
      // zero-filled by the fault (a waiting write then happens), errors fail
      // it (and the write waiting on it, UL5).
      for (auto& [off, p] : mp->pages) {
        if (off < cm.offset || off >= cm.offset + cm.size || p.state != PageState::requested)
          continue;
        if (cm.call == ControlCall::data_error) {
          p.state = PageState::error;
          p.pending_write = false;
          p.pending_stamps.clear();
          p.unlock_access = 0;
          shadow_filled(*k, o->id, p);  // a copy reading through it fails too
        } else if (mp->shadow != 0) {
          // A copy object: the fault goes on in the original (copy.cpp).
          read_through(*k, *mp, p);
          if (p.state == PageState::resident) after_fill(*k, *o, *mp, p);
        } else {
          p.state = PageState::resident;
          p.lock = 0;
          p.stamps.assign(page / kBlockSize, 0);
          after_fill(*k, *o, *mp, p);
        }
      }
      break;

    case ControlCall::lock_request:
      // Return, flush and lock the range, then lock_completed (page_locks.cpp).
      lock_request(*k, *o, *mp, cm.offset, cm.size, cm.should_return, cm.should_flush,
                   static_cast<Prot>(cm.lock_value), reply_name, reply_poly);
      break;

    case ControlCall::destroy:
      // The kernel removes the associations and sends terminate with all the
      // rights; `reason` is ignored (section 3b).
      ++mp->destroyed_by_pager;
      terminate(*k, *o, *mp);
      break;

    case ControlCall::synchronize_completed:
      // The client's vm_msync returns (vm_msync.html).
      for (auto it = mp->syncs.begin(); it != mp->syncs.end(); ++it) {
        if (it->offset == cm.offset && it->length == cm.size) {
          mp->syncs.erase(it);
          ++mp->syncs_completed;
          // The client's vm_msync returns now: the suite may look at the
          // pager's store at this instant (SY6, SY8).
          if (m->from_pager) want_snapshot_after_send();
          break;
        }
      }
      break;

    case ControlCall::get_attributes: break;
  }

  Core::Lock lk(core);
  core.destroy_kmsg(m);
}

}  // namespace emmi::mach::detail
