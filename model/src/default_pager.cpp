// SPDX-License-Identifier: MIT
// The default-pager part of the reference model; see default_pager.h and
// SEMANTICS.md, "Default pager".
#include "emmi/model/default_pager.h"

#include <algorithm>
#include <string>

#include "emmi/model/rules.h"
#include "text.h"

namespace emmi::model {

using detail::cat;
using detail::dec;
using detail::hex;

namespace {
void note(Judgement& j, std::string_view rule) {
  if (std::find(j.checked.begin(), j.checked.end(), rule) == j.checked.end())
    j.checked.push_back(rule);
}
}  // namespace

DefaultPagerModel::DefaultPagerModel(ObjectId first_temporary)
    : first_temporary_(first_temporary) {}

void DefaultPagerModel::report(Judgement& j, std::string_view rule, Party party,
                               std::string why) const {
  j.verdicts.push_back(Verdict{rule, party, std::move(why), events_});
}

bool DefaultPagerModel::knows_port(PortName p) const {
  if (p == kNullPort) return false;
  if (p == manager_ || held_.count(p) != 0) return true;
  for (const auto& [o, t] : temps_)
    if (t.port == p || t.control == p || t.name == p) return true;
  return false;
}

std::optional<Stamp> DefaultPagerModel::contents(ObjectId o, Offset off) const {
  auto t = temps_.find(o);
  if (t == temps_.end()) return std::nullopt;
  auto b = t->second.blocks.find(off);
  if (b == t->second.blocks.end() || !b->second.written) return std::nullopt;
  return b->second.stamp;
}

DefaultPagerModel::Temp* DefaultPagerModel::temp_by_control(PortName control) {
  for (auto& [o, t] : temps_)
    if (t.control == control && control != kNullPort) return &t;
  return nullptr;
}

// Rights a message added to (sign +1) or, destroyed by mach_msg_server
// after an error return, took back from (-1) the pager's task, where they
// fall under a temporary object's control or name.
void DefaultPagerModel::carried(const std::vector<CarriedRight>& rights, int sign) {
  for (const CarriedRight& r : rights) {
    auto h = held_.find(r.name);
    if (h == held_.end()) continue;
    if (r.right == Right::send) h->second.send = std::max<std::int64_t>(0, h->second.send + sign);
    if (r.right == Right::receive) h->second.receive = sign > 0;
  }
}

bool DefaultPagerModel::claims(const Event& e) const {
  return std::visit(
      [&](const auto& ev) -> bool {
        using T = std::decay_t<decltype(ev)>;
        if constexpr (std::is_same_v<T, KernelSent>) {
          return ev.kind == MessageKind::create || ev.kind == MessageKind::data_initialize ||
                 knows_port(ev.destination) || (ev.object >= first_temporary_ && ev.kernel != 0);
        } else if constexpr (std::is_same_v<T, Dequeued>) {
          return knows_port(ev.port) || queued_.count(ev.port) != 0;
        } else if constexpr (std::is_same_v<T, HandlerReturned>) {
          if (ev.port != kNullPort) return knows_port(ev.port);
          return handling_.count(ev.thread) != 0;
        } else if constexpr (std::is_same_v<T, ControlCalled>) {
          return knows_port(ev.control);
        } else if constexpr (std::is_same_v<T, PortOperated>) {
          // Also whatever a handler of a manager-port message does to its
          // ports (default_pager.defs: the objects it makes, the rights the
          // request carried), which Model never saw arrive.
          auto h = handling_.find(ev.thread);
          if (h != handling_.end() && manager_ != kNullPort && h->second.port == manager_)
            return true;
          return ev.name != manager_ && knows_port(ev.name);
        } else if constexpr (std::is_same_v<T, MemoryReleased>) {
          return regions_.count(ev.region) != 0;
        } else {
          return false;
        }
      },
      e);
}

Judgement DefaultPagerModel::judge(const Event& e) {
  Judgement j;
  if (const auto* a = std::get_if<KernelAttached>(&e)) {
    page_sizes_[a->kernel] = a->page_size;
  } else if (const auto* s = std::get_if<KernelSent>(&e)) {
    if (s->kind == MessageKind::create) {
      // CR1: create goes to the one default memory manager; SQ3 then
      // numbers it on that port.
      note(j, rule::CR1);
      if (manager_ == kNullPort) manager_ = s->destination;
      if (s->destination != manager_)
        report(j, rule::CR1, Party::kernel,
               cat("kernel ", dec(s->kernel), " sent memory_object_create to ", hex(s->destination),
                   ", not to the default memory manager ", hex(manager_)));
      Temp& t = temps_[s->object];
      t.kernel = s->kernel;
      t.page_size = page_sizes_.count(s->kernel) ? page_sizes_[s->kernel] : 0;
    } else {
      // DI1: data_initialize only for objects the kernel created.
      if (s->kind == MessageKind::data_initialize) note(j, rule::DI1);
      // Anything but create on the manager port comes from some task, not
      // about a temporary object (the engine's stray-to-manager): queued
      // only, for the G6 check of how the pager's demux takes it.
      const bool foreign = manager_ != kNullPort && s->destination == manager_;
      auto it = foreign ? temps_.end() : temps_.find(s->object);
      if (foreign) {
        // nothing to record
      } else if (it == temps_.end()) {
        if (s->kind == MessageKind::data_initialize)
          report(j, rule::DI1, Party::kernel,
                 cat("kernel ", dec(s->kernel), " sent data_initialize for object ", dec(s->object),
                     ", which it did not create"));
      } else {
        Temp& t = it->second;
        // CR3: no ready is awaited; requests may follow create at once
        // (nothing to check: the model simply never waits for ready here).
        if (s->kind == MessageKind::data_request) t.outstanding.insert(s->offset);
        // GNU Mach's vm_object_terminate of an internal object: nothing is
        // paged out and no request of the object is answered any more.
        if (s->kind == MessageKind::terminate) {
          t.terminated = true;
          t.outstanding.clear();
        }
        if (s->kind == MessageKind::data_initialize || s->kind == MessageKind::data_return) {
          // What the pager must hold from now on: data_return always
          // replaces (RT4); data_initialize only where nothing was written
          // (DI3), and is otherwise ignored (DI2).
          for (std::size_t i = 0; i < s->stamps.size(); ++i) {
            Block& b = t.blocks[s->offset + i * kBlockSize];
            if (s->kind == MessageKind::data_initialize && b.written) {
              if (s->stamps[i] != b.stamp) b.ignored.insert(s->stamps[i]);
              continue;
            }
            b.written = true;
            b.stamp = s->stamps[i];
            b.by_initialize = s->kind == MessageKind::data_initialize;
            b.ignored.erase(b.stamp);
          }
        }
      }
    }
    queued_[s->destination].push_back(Sent{s->kind, s->object, s->offset, s->length, s->stamps});
  } else if (const auto* d = std::get_if<Dequeued>(&e)) {
    auto q = queued_.find(d->port);
    std::optional<Sent> m;
    if (q != queued_.end() && !q->second.empty()) {
      m = q->second.front();
      q->second.erase(q->second.begin());
    }
    if (d->port == manager_) {
      note(j, rule::SQ3);
      if (d->seqno != manager_next_)
        report(j, rule::SQ3, Party::kernel,
               cat("message dequeued from the default-pager port ", hex(d->port), " has seqno ",
                   dec(d->seqno), ", expected ", dec(manager_next_)));
      manager_next_ = d->seqno + 1;
    } else {
      for (auto& [o, t] : temps_)
        if (t.port == d->port) t.next = d->seqno + 1;
    }
    if (m && m->kind == MessageKind::create && !d->too_large) {
      // CR6: the new object's receive right, then send rights for control
      // and name (memory_object_default.defs, 2250).
      note(j, rule::CR6);
      const auto& r = d->rights;
      if (r.size() != 3 || r[0].right != Right::receive || r[1].right != Right::send ||
          r[2].right != Right::send) {
        report(j, rule::CR6, Party::kernel,
               cat("memory_object_create dequeued on ", hex(d->port), " carried ", dec(r.size()),
                   " rights, not receive, send, send"));
      } else {
        Temp& t = temps_[m->object];
        t.port = r[0].name;
        t.control = r[1].name;
        t.name = r[2].name;
        t.next = 0;
        held_[t.control] = Held{m->object, true, 0, false};
        held_[t.name] = Held{m->object, false, 0, false};
      }
    }
    if (m && !d->too_large) carried(d->rights, +1);
    if (m) handling_[d->thread] = Handling{d->port, m->kind, d->rights};
    if (m && d->region != 0) regions_[d->region] = Region{m->kind, false};
  } else if (const auto* h = std::get_if<HandlerReturned>(&e)) {
    auto it = handling_.find(h->thread);
    if (it != handling_.end()) {
      const Handling& hd = it->second;
      const bool served = h->code == kKernSuccess || h->code == kMigNoReply;
      note(j, rule::G6);
      if (hd.port == manager_ && hd.kind != MessageKind::create) {
        // G6: on the default memory manager port only
        // memory_object_default.defs (create) belongs; a message of the
        // common interface there must be refused, not served.
        const bool common = hd.kind != MessageKind::other && hd.kind != MessageKind::foreign &&
                            hd.kind != MessageKind::data_initialize;
        if (common && served)
          report(j, rule::G6, Party::pager,
                 cat("the pager served ", to_string(hd.kind),
                     " on the default memory manager port ", hex(hd.port), " (returned ",
                     h->code == kMigNoReply ? "MIG_NO_REPLY" : "KERN_SUCCESS",
                     "): only memory_object_default_server's messages belong there, the common "
                     "interface goes to memory_object_server on object ports"));
      } else if (h->code == kMigBadId) {
        // G6: the default demux serves create and data_initialize, the
        // common demux everything else on a temporary object's port;
        // MIG_BAD_ID means no demux knew the routine.
        report(j, rule::G6, Party::pager,
               cat("the pager's demux did not know ", to_string(hd.kind), " on ", hex(hd.port),
                   " (MIG_BAD_ID)"));
      }
      // mach_msg_server destroyed the request and the rights it carried.
      if (!served) carried(hd.rights, -1);
      // A data_initialize or data_return the server destroyed: its memory
      // went with it.
      if (h->code != kKernSuccess && h->code != kMigNoReply)
        for (auto& [id, r] : regions_)
          if (!r.released &&
              (r.kind == MessageKind::data_initialize || r.kind == MessageKind::data_return))
            r.released = true;
      handling_.erase(it);
    }
  } else if (const auto* c = std::get_if<ControlCalled>(&e)) {
    Temp* t = temp_by_control(c->control);
    const bool answer = c->call == ControlCall::data_supply ||
                        c->call == ControlCall::data_unavailable ||
                        c->call == ControlCall::data_error;
    if (t != nullptr && answer && c->accepted && t->page_size != 0) {
      for (Offset at = c->offset; at < c->offset + c->size; at += t->page_size)
        t->outstanding.erase(at);
      for (Offset at = c->offset; at < c->offset + c->size; at += kBlockSize) {
        auto b = t->blocks.find(at);
        const bool written = b != t->blocks.end() && b->second.written;
        if (c->call == ControlCall::data_supply) {
          note(j, rule::CR2);
          if (!written) {
            report(j, rule::CR2, Party::pager,
                   cat("data_supply for block ", hex(at),
                       " of a created object the kernel never "
                       "wrote; the default pager must answer data_unavailable"));
            break;
          }
          const std::size_t i = (at - c->offset) / kBlockSize;
          if (i < c->stamps.size() && c->stamps[i] != b->second.stamp) {
            const bool di2 = b->second.ignored.count(c->stamps[i]) != 0;
            std::string_view r = di2 ? rule::DI2 : rule::DI3;
            note(j, r);
            report(j, r, Party::pager,
                   cat("data_supply at ", hex(at), " carries ", hex(c->stamps[i]),
                       ", but the pager must hold ", hex(b->second.stamp),
                       di2 ? " (it took a data_initialize for a page it already held)"
                           : " (the contents the kernel paged out)"));
            break;
          }
          if (b->second.by_initialize) note(j, rule::DI3);
          if (!b->second.ignored.empty()) note(j, rule::DI2);
        } else {
          note(j, rule::UN2);
          if (!written && c->call == ControlCall::data_error) {
            report(j, rule::UN2, Party::pager,
                   cat("data_error for never-written block ", hex(at),
                       " of a created object; the default pager must answer data_unavailable"));
            break;
          }
          if (written && c->call == ControlCall::data_unavailable) {
            std::string_view r = b->second.by_initialize ? rule::DI3 : rule::UN2;
            note(j, r);
            report(j, r, Party::pager,
                   cat("data_unavailable for block ", hex(at), ", which the kernel paged out (",
                       hex(b->second.stamp), "); its contents were lost"));
            break;
          }
        }
      }
    }
  } else if (const auto* p = std::get_if<PortOperated>(&e)) {
    auto h = held_.find(p->name);
    if (h != held_.end() && p->result == kKernSuccess) {
      Held& held = h->second;
      switch (p->op) {
        case PortOp::deallocate:
          if (held.send > 0) --held.send;
          break;
        case PortOp::destroy:
          held.send = 0;
          held.receive = false;
          break;
        case PortOp::mod_refs:
          if (p->right == Right::receive && p->delta < 0) held.receive = false;
          if (p->right == Right::send || p->right == Right::dead_name)
            held.send = std::max<std::int64_t>(0, held.send + p->delta);
          break;
        case PortOp::insert_right:
          if (p->right == Right::send) ++held.send;
          break;
        default: break;
      }
      // Everything under the name released after terminate: the name may
      // be reused for something else (another object's control).
      auto t = temps_.find(held.object);
      if (held.send == 0 && !held.receive && t != temps_.end() && t->second.terminated) {
        if (held.control)
          t->second.control = kNullPort;
        else
          t->second.name = kNullPort;
        held_.erase(h);
      }
    }
  } else if (const auto* r = std::get_if<MemoryReleased>(&e)) {
    auto it = regions_.find(r->region);
    if (it != regions_.end()) it->second.released = true;
  }
  ++events_;
  return j;
}

Judgement DefaultPagerModel::judge_answer(const DefaultPagerAnswer& a) {
  Judgement j;
  if (a.call != DefaultPagerAnswer::Call::object_create) return j;
  // CR10: a new object, zero-filled and temporary. What the client can see
  // without mapping it: an answer, and on success a send right to a port
  // the default pager receives, none it served before (the manager port, a
  // temporary object, an object it already returned). The pager may refuse
  // (an error code) and stay conforming.
  note(j, rule::CR10);
  if (!a.answered) {
    report(j, rule::CR10, Party::pager,
           "default_pager_object_create got no reply (a routine: mach_msg_server replies unless "
           "the handler returned MIG_NO_REPLY)");
  } else if (a.code == kKernSuccess) {
    bool served_before = a.object == manager_ || user_objects_.count(a.object) != 0;
    for (const auto& [o, t] : temps_) served_before = served_before || t.port == a.object;
    if (!a.object_given)
      report(j, rule::CR10, Party::pager,
             "default_pager_object_create returned KERN_SUCCESS without a memory object");
    else if (a.object == kNullPort)
      report(j, rule::CR10, Party::pager,
             "default_pager_object_create returned a port whose receive right the default pager "
             "does not hold: not an object it serves");
    else if (served_before)
      report(j, rule::CR10, Party::pager,
             cat("default_pager_object_create returned ", hex(a.object),
                 ", a port the default pager already served (",
                 a.object == manager_ ? "its default memory manager port" : "an existing object",
                 "), not a new object"));
    if (a.object != kNullPort) user_objects_.insert(a.object);
  }
  ++events_;
  return j;
}

Judgement DefaultPagerModel::judge_quiescent(Model::Quiescence which) const {
  const bool progress = which != Model::Quiescence::after_stop;
  const bool holdings = which != Model::Quiescence::before_stop;
  Judgement j;
  for (const auto& [o, t] : temps_) {
    if (!progress) break;
    if (t.port == kNullPort) continue;
    note(j, rule::DR3);
    for (Offset off : t.outstanding)
      report(j, rule::DR3, Party::pager,
             cat("data_request at ", hex(off), " of created object ", dec(o), " on ", hex(t.port),
                 " never answered"));
  }
  // After terminate and the pager's stop(): nothing may be left under a
  // temporary object's control or name (TM4, TM5, V6), as for an ordinary
  // object's terminate.
  for (const auto& [o, t] : temps_) {
    if (!holdings) break;
    if (!t.terminated || t.port == kNullPort) continue;
    note(j, rule::TM4);
    note(j, rule::TM5);
    note(j, rule::V6);
  }
  for (const auto& [name, h] : held_) {
    if (!holdings) break;
    auto t = temps_.find(h.object);
    if (t == temps_.end() || !t->second.terminated) continue;
    if (h.receive)
      report(j, h.control ? rule::TM4 : rule::TM5, Party::pager,
             cat("after terminate of created object ", dec(h.object), " the pager still holds the ",
                 h.control ? "control" : "name", " port's receive right ", hex(name)));
    if (h.send > 0)
      report(j, rule::V6, Party::pager,
             cat("after terminate of created object ", dec(h.object), " the pager still holds ",
                 dec(static_cast<std::uint64_t>(h.send)), " send reference(s) to its ",
                 h.control ? "control" : "name", " port ", hex(name),
                 " (create's, and those every request carrying control made)"));
  }
  for (const auto& [id, r] : regions_) {
    if (!holdings) break;
    const bool ret = r.kind == MessageKind::data_return;
    note(j, rule::PR8);
    if (ret) note(j, rule::RT2);
    if (r.released) continue;
    std::string text = cat("out-of-line memory of a ", to_string(r.kind), " was never released");
    if (ret) report(j, rule::RT2, Party::pager, text);
    report(j, rule::PR8, Party::pager, std::move(text));
  }
  return j;
}

}  // namespace emmi::model
