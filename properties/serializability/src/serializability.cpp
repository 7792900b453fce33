// SPDX-License-Identifier: MIT
// Seqno-serializability of concurrent pager histories; see serializability.h.
#include "emmi/properties/serializability.h"

#include <z3++.h>

#include <algorithm>
#include <deque>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

namespace emmi::properties {

namespace {

constexpr std::uint64_t kPortTag = 1ull << 63;
// A handler that claims an absurd range still only touches this many blocks
// for conflict purposes (enough for any range the driver requests).
constexpr std::uint64_t kMaxBlocksPerEffect = 4096;

struct SentInfo {
  model::MessageKind kind;
  model::ObjectId object;
  model::KernelId kernel;
  model::Offset offset;
  model::Size length;
};

struct Edge {
  std::size_t to;
  bool conflict;
  std::uint64_t resource;
  std::size_t from_event;
  std::size_t to_event;
};

}  // namespace

std::uint64_t resource_of_port(model::PortName name) { return kPortTag | name; }

std::uint64_t resource_of_block(model::ObjectId object, model::Offset block_offset) {
  return (static_cast<std::uint64_t>(object) << 40) | (block_offset / model::kBlockSize);
}

std::string describe_resource(std::uint64_t r) {
  if (r & kPortTag) return fmt::format("port 0x{:x}", static_cast<model::PortName>(r));
  return fmt::format("block 0x{:x} of object {}", (r & ((1ull << 40) - 1)) * model::kBlockSize,
                     r >> 40);
}

namespace {

// The attribution rules of model/SEMANTICS.md ("Attribution"), over the
// trace alone: each effect is charged to the message it answers, with the
// acting thread's own message as the other candidate; an effect whose
// candidates differ is charged to nothing.
class Attributor {
 public:
  explicit Attributor(History& h) : h_(h) {}

  void on(const model::ObjectOffered& e) { object_of_port_[e.port] = e.object; }

  void on(const model::KernelSent& e) {
    // A copy's port (memory_object_copy) is an object port from its init on.
    if (e.kind == model::MessageKind::init && !object_of_port_.contains(e.destination))
      object_of_port_[e.destination] = e.object;
    queued_[e.destination].push_back({e.kind, e.object, e.kernel, e.offset, e.length});
  }

  void on(const model::Dequeued& e, std::size_t at) {
    SentInfo info{model::MessageKind::other, 0, 0, 0, 0};
    if (auto q = queued_.find(e.port); q != queued_.end() && !q->second.empty()) {
      info = q->second.front();
      q->second.pop_front();
    }
    // The default pager: create arrives on the default memory manager port
    // and gives the pager a temporary object's port; both are ports whose
    // messages the pager handles in seqno order, like an offered object's.
    const bool create = info.kind == model::MessageKind::create && e.rights.size() >= 3 &&
                        e.rights[0].right == model::Right::receive;
    if (create) {
      object_of_port_.emplace(e.port, info.object);
      object_of_port_[e.rights[0].name] = info.object;
    }
    const bool from_object = object_of_port_.contains(e.port);
    const std::size_t index = h_.messages.size();
    h_.messages.push_back({e.port, e.seqno, info.kind, at});
    carried_.emplace_back();
    Thread& th = threads_[e.thread];
    // Back to an object port: the thread finished what it handled. From any
    // other port inside a handler (an RPC reply): the message nests.
    if (from_object) th = Thread{};
    if (e.too_large) return;  // no handler runs for it
    if (th.handler) {
      th.nested.push_back(index);
    } else {
      th.handler = index;
    }
    if (!from_object) return;

    const bool about_pair = info.kind == model::MessageKind::init ||
                            info.kind == model::MessageKind::terminate ||
                            info.kind == model::MessageKind::data_request ||
                            info.kind == model::MessageKind::data_unlock ||
                            info.kind == model::MessageKind::data_return ||
                            info.kind == model::MessageKind::synchronize ||
                            info.kind == model::MessageKind::copy;
    const std::uint64_t pair = (std::uint64_t{info.object} << 32) | info.kernel;
    if (info.kind == model::MessageKind::init && !e.rights.empty()) {
      // A new incarnation: its names start with no history. (An OSF init
      // carries the control port alone.)
      const std::size_t names = std::min<std::size_t>(2, e.rights.size());
      for (std::size_t i = 0; i < names; ++i) {
        const model::PortName n = e.rights[i].name;
        carriers_.erase(n);
        terminated_.erase(n);
      }
      init_of_control_[e.rights[0].name] = index;
      names_of_pair_[pair] = {e.rights[0].name, names == 2 ? e.rights[1].name : model::kNullPort};
    }
    if (create) {
      // create is a temporary object's init: control and name come after
      // the object's receive right.
      for (std::size_t i = 1; i < 3; ++i) {
        carriers_.erase(e.rights[i].name);
        terminated_.erase(e.rights[i].name);
      }
      init_of_control_[e.rights[1].name] = index;
      names_of_pair_[pair] = {e.rights[1].name, e.rights[2].name};
    }
    if (about_pair && info.kind != model::MessageKind::terminate && !e.rights.empty())
      object_of_control_[e.rights.front().name] = info.object;
    if (info.kind == model::MessageKind::terminate) {
      // terminate's handling releases whatever is left of the incarnation's
      // names; the receive rights it moves in are its own.
      if (auto it = names_of_pair_.find(pair); it != names_of_pair_.end()) {
        terminated_.insert(it->second.first);
        terminated_.insert(it->second.second);
      }
      for (std::size_t i = 0; i < std::min<std::size_t>(2, e.rights.size()); ++i) {
        if (e.rights[i].right != model::Right::receive) continue;
        terminated_.insert(e.rights[i].name);
        terminate_of_name_[e.rights[i].name] = index;
      }
    }
    for (const model::CarriedRight& cr : e.rights) {
      if (cr.name == model::kNullPort || cr.name == model::kDeadPort) continue;
      if (cr.right != model::Right::send && cr.right != model::Right::send_once) continue;
      Carriers& c = carriers_[cr.name];
      ++c.count;
      c.last = index;
      carried_[index].push_back(cr.name);
    }
    if ((info.kind == model::MessageKind::data_request ||
         info.kind == model::MessageKind::data_unlock) &&
        !e.rights.empty()) {
      auto& table = info.kind == model::MessageKind::data_request ? pending_request_
                                                                  : pending_unlock_;
      const model::PortName control = e.rights.front().name;
      const std::uint64_t blocks = std::min<std::uint64_t>(info.length / model::kBlockSize,
                                                           kMaxBlocksPerEffect);
      for (std::uint64_t b = 0; b < blocks; ++b)
        table[key(control, info.offset / model::kBlockSize + b)] = index;
    }
    if (e.region != 0 && info.kind == model::MessageKind::data_return)
      regions_[e.region] = {index, info};
  }

  void on(const model::HandlerReturned& e) {
    Thread& th = threads_[e.thread];
    auto is = [&](std::size_t m) {
      return h_.messages[m].port == e.port && h_.messages[m].seqno == e.seqno;
    };
    std::optional<std::size_t> finished;
    if (e.port == model::kNullPort || (th.handler && is(*th.handler))) {
      finished = th.handler;
      th = Thread{};
    } else {
      for (std::size_t i = th.nested.size(); i-- > 0;) {
        if (!is(th.nested[i])) continue;
        finished = th.nested[i];
        th.nested.resize(i);
        break;
      }
    }
    // An error return of terminate's handler: mach_msg_server destroyed the
    // receive rights it carried; a later destruction is nobody's.
    if (finished && e.code != model::kKernSuccess && e.code != model::kMigNoReply &&
        h_.messages[*finished].kind == model::MessageKind::terminate)
      std::erase_if(terminate_of_name_, [&](const auto& kv) { return kv.second == *finished; });
  }

  void on(const model::ControlCalled& e, std::size_t at) {
    const bool ranged = e.call == model::ControlCall::data_supply ||
                        e.call == model::ControlCall::data_unavailable ||
                        e.call == model::ControlCall::data_error ||
                        e.call == model::ControlCall::lock_request;
    auto object = object_of_control_.find(e.control);
    const std::optional<model::ObjectId> o = object == object_of_control_.end()
                                                 ? std::nullopt
                                                 : std::optional(object->second);
    if (!ranged) {
      // The first ready / change_attributes answers init.
      Target t;
      const bool lifecycle = e.call == model::ControlCall::ready ||
                             e.call == model::ControlCall::change_attributes;
      auto init = init_of_control_.find(e.control);
      if (lifecycle && init != init_of_control_.end()) {
        t = Target::of(init->second);
        if (e.accepted) init_of_control_.erase(init);
      }
      if (auto m = charge(t, e.thread, o))
        h_.effects.push_back({*m, resource_of_port(e.control), at, false});
      return;
    }
    if (!o) return;
    // Data calls touch only their blocks (answers for different pages
    // commute), each charged to the request it answers.
    auto& table = e.call == model::ControlCall::lock_request ? pending_unlock_ : pending_request_;
    const std::uint64_t blocks = std::min<std::uint64_t>(e.size / model::kBlockSize,
                                                         kMaxBlocksPerEffect);
    for (std::uint64_t b = 0; b < blocks; ++b) {
      const std::uint64_t block = e.offset / model::kBlockSize + b;
      Target t;
      if (auto it = table.find(key(e.control, block)); it != table.end()) {
        t = Target::of(it->second);
        table.erase(it);
      }
      if (auto m = charge(t, e.thread, o))
        h_.effects.push_back({*m, resource_of_block(*o, block * model::kBlockSize), at, false});
    }
  }

  void on(const model::PortOperated& e, std::size_t at) {
    if (e.name == model::kNullPort || e.name == model::kDeadPort) return;
    const bool drops_receive = e.op == model::PortOp::destroy ||
                               (e.op == model::PortOp::mod_refs &&
                                e.right == model::Right::receive && e.delta < 0);
    const bool drops_send = e.op == model::PortOp::deallocate ||
                            (e.op == model::PortOp::mod_refs && e.delta < 0 &&
                             e.right != model::Right::receive && e.right != model::Right::port_set);
    Target t;
    if (auto term = terminate_of_name_.find(e.name);
        drops_receive && term != terminate_of_name_.end()) {
      t = Target::of(term->second);
      terminate_of_name_.erase(term);  // the receive right is gone
    } else if (drops_send) {
      const Thread& th = threads_[e.thread];
      const bool mine = th.handler &&
                        std::find(carried_[*th.handler].begin(), carried_[*th.handler].end(),
                                  e.name) != carried_[*th.handler].end();
      auto c = carriers_.find(e.name);
      if (mine) {
        t = Target::of(*th.handler);
      } else if (terminated_.contains(e.name)) {
        t.ambiguous = true;
      } else if (c != carriers_.end() && c->second.count == 1) {
        t = Target::of(c->second.last);
      } else if (c != carriers_.end() && c->second.count > 1) {
        t.ambiguous = true;
      }
    }
    if (auto m = charge(t, e.thread, std::nullopt))
      h_.effects.push_back({*m, resource_of_port(e.name), at, model::is_uref_arithmetic(e)});
  }

  void on(const model::MemoryReleased& e, std::size_t at) {
    auto r = regions_.find(e.region);
    if (r == regions_.end()) return;
    const SentInfo& info = r->second.second;
    if (auto m = charge(Target::of(r->second.first), e.thread, info.object)) {
      const std::uint64_t blocks = std::min<std::uint64_t>(info.length / model::kBlockSize,
                                                           kMaxBlocksPerEffect);
      for (std::uint64_t b = 0; b < blocks; ++b)
        h_.effects.push_back(
            {*m, resource_of_block(info.object, info.offset + b * model::kBlockSize), at, false});
    }
    regions_.erase(r);
  }

 private:
  struct Thread {
    std::optional<std::size_t> handler;  // the message its handler runs for
    std::vector<std::size_t> nested;     // dequeued inside that handler
  };
  struct Target {
    std::optional<std::size_t> message;
    bool ambiguous = false;
    static Target of(std::size_t m) { return Target{m, false}; }
  };
  struct Carriers {
    std::size_t count = 0;
    std::size_t last = 0;
  };

  static std::uint64_t key(model::PortName control, std::uint64_t block) {
    return (std::uint64_t{control} << 32) | (block & 0xffffffffu);
  }
  std::optional<model::ObjectId> object_of(std::size_t m) const {
    auto it = object_of_port_.find(h_.messages[m].port);
    if (it == object_of_port_.end()) return std::nullopt;
    return it->second;
  }
  // The acting thread's message counts when it came from `object`'s port
  // (any object port when none is given).
  std::optional<std::size_t> charge(const Target& t, model::ThreadId thread,
                                    std::optional<model::ObjectId> object) {
    if (t.ambiguous) return std::nullopt;
    std::optional<std::size_t> mine;
    if (auto th = threads_.find(thread); th != threads_.end() && th->second.handler) {
      auto o = object_of(*th->second.handler);
      if (o && (!object || *o == *object)) mine = th->second.handler;
    }
    if (!t.message) return mine;
    if (object && object_of(*t.message) != object) return std::nullopt;
    if (mine && *mine != *t.message) return std::nullopt;
    return t.message;
  }

  History& h_;
  std::unordered_map<model::PortName, model::ObjectId> object_of_port_;
  std::unordered_map<model::PortName, model::ObjectId> object_of_control_;
  std::unordered_map<model::PortName, std::deque<SentInfo>> queued_;
  std::unordered_map<model::ThreadId, Thread> threads_;
  std::vector<std::vector<model::PortName>> carried_;  // per message: send rights it carried
  std::unordered_map<model::PortName, Carriers> carriers_;
  std::unordered_map<model::PortName, std::size_t> init_of_control_;    // until made ready
  std::unordered_map<model::PortName, std::size_t> terminate_of_name_;  // receive right it moved in
  std::unordered_set<model::PortName> terminated_;
  std::unordered_map<std::uint64_t, std::pair<model::PortName, model::PortName>> names_of_pair_;
  std::unordered_map<std::uint64_t, std::size_t> pending_request_;  // (control, block) -> message
  std::unordered_map<std::uint64_t, std::size_t> pending_unlock_;
  std::unordered_map<model::RegionId, std::pair<std::size_t, SentInfo>> regions_;
};

}  // namespace

History extract_history(const std::vector<model::Event>& trace) {
  History h;
  Attributor a(h);
  for (std::size_t i = 0; i < trace.size(); ++i) {
    std::visit(
        [&](const auto& e) {
          using E = std::decay_t<decltype(e)>;
          if constexpr (std::is_same_v<E, model::ObjectOffered> ||
                        std::is_same_v<E, model::KernelSent> ||
                        std::is_same_v<E, model::HandlerReturned>) {
            a.on(e);
          } else if constexpr (std::is_same_v<E, model::Dequeued> ||
                               std::is_same_v<E, model::ControlCalled> ||
                               std::is_same_v<E, model::PortOperated> ||
                               std::is_same_v<E, model::MemoryReleased>) {
            a.on(e, i);
          }
        },
        trace[i]);
  }
  return h;
}

namespace {

std::vector<std::vector<Edge>> precedence_graph(const History& h) {
  std::vector<std::vector<Edge>> adj(h.messages.size());
  // Seqno order per receive right.
  std::map<model::PortName, std::vector<std::size_t>> per_port;
  for (std::size_t m = 0; m < h.messages.size(); ++m) per_port[h.messages[m].port].push_back(m);
  for (auto& [port, ms] : per_port) {
    std::sort(ms.begin(), ms.end(), [&](std::size_t a, std::size_t b) {
      return h.messages[a].seqno < h.messages[b].seqno;
    });
    for (std::size_t k = 1; k < ms.size(); ++k) adj[ms[k - 1]].push_back({ms[k], false, 0, 0, 0});
  }
  // Observed order of conflicting effects, per resource: an exclusive effect
  // follows the last exclusive one and every shared one since; a shared
  // effect follows the last exclusive one only.
  struct Seen {
    const Effect* exclusive = nullptr;
    std::vector<const Effect*> shared_since;
  };
  std::unordered_map<std::uint64_t, Seen> seen;
  auto edge = [&](const Effect* from, const Effect& to) {
    if (from != nullptr && from->message != to.message)
      adj[from->message].push_back(
          {to.message, true, to.resource, from->event_index, to.event_index});
  };
  for (const Effect& e : h.effects) {
    Seen& s = seen[e.resource];
    if (e.shared) {
      edge(s.exclusive, e);
      s.shared_since.push_back(&e);
      continue;
    }
    if (s.shared_since.empty()) edge(s.exclusive, e);
    for (const Effect* before : s.shared_since) edge(before, e);
    s.exclusive = &e;
    s.shared_since.clear();
  }
  return adj;
}

}  // namespace

SerializabilityResult check_seqno_serializable(const History& h) {
  auto adj = precedence_graph(h);
  const std::size_t n = adj.size();
  // Iterative DFS with colours; on a back edge, walk the stack to recover the cycle.
  std::vector<std::uint8_t> colour(n, 0);
  std::vector<std::pair<std::size_t, std::size_t>> stack;  // node, next edge
  std::vector<const Edge*> via(n, nullptr);
  std::vector<std::size_t> parent(n, SIZE_MAX);
  for (std::size_t root = 0; root < n; ++root) {
    if (colour[root]) continue;
    stack.push_back({root, 0});
    colour[root] = 1;
    while (!stack.empty()) {
      auto& [u, k] = stack.back();
      if (k == adj[u].size()) {
        colour[u] = 2;
        stack.pop_back();
        continue;
      }
      const Edge& e = adj[u][k++];
      if (colour[e.to] == 0) {
        colour[e.to] = 1;
        parent[e.to] = u;
        via[e.to] = &e;
        stack.push_back({e.to, 0});
      } else if (colour[e.to] == 1) {
        // Cycle: e.to -> ... -> u -> e.to. Blame a conflict edge that goes
        // against seqno order (there is one: seqno edges alone are acyclic).
        std::vector<std::pair<std::size_t, const Edge*>> cycle{{u, &e}};
        for (std::size_t v = u; v != e.to; v = parent[v]) cycle.push_back({parent[v], via[v]});
        const Edge* blame = nullptr;
        std::size_t blame_from = 0;
        for (auto& [from, edge] : cycle) {
          if (!edge->conflict) continue;
          bool backwards = h.messages[from].port == h.messages[edge->to].port &&
                           h.messages[from].seqno > h.messages[edge->to].seqno;
          if (!blame || backwards) {
            blame = edge;
            blame_from = from;
            if (backwards) break;
          }
        }
        SerializabilityResult r;
        r.serializable = false;
        Crossing c{blame->to, blame_from, blame->resource, blame->from_event, blame->to_event};
        r.witness = c;
        const auto& a = h.messages[c.earlier];
        const auto& b = h.messages[c.later];
        r.explanation = fmt::format(
            "{} seqno {} on port 0x{:x} touched {} (event {}) before {} seqno {} on port 0x{:x} "
            "did (event {}): not explainable by seqno order",
            model::to_string(b.kind), b.seqno, b.port, describe_resource(c.resource),
            c.later_effect_event, model::to_string(a.kind), a.seqno, a.port,
            c.earlier_effect_event);
        return r;
      }
    }
  }
  return {};
}

std::optional<bool> check_seqno_serializable_z3(const History& h, unsigned rlimit) {
  auto adj = precedence_graph(h);
  thread_local z3::context ctx;
  thread_local z3::solver s(ctx, "QF_IDL");
  thread_local std::vector<z3::expr> t;
  s.set("rlimit", rlimit);
  while (t.size() < adj.size()) t.push_back(ctx.int_const(fmt::format("t{}", t.size()).c_str()));
  s.push();
  for (std::size_t u = 0; u < adj.size(); ++u)
    for (const Edge& e : adj[u]) s.add(t[u] < t[e.to]);
  const z3::check_result answer = s.check();
  s.pop();
  switch (answer) {
    case z3::sat: return true;
    case z3::unsat: return false;
    default: return std::nullopt;
  }
}

}  // namespace emmi::properties
