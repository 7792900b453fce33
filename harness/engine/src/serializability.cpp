// Seqno-serializability of concurrent pager histories; see serializability.h.
#include "emmi/engine/serializability.h"

#include <z3++.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <deque>
#include <map>
#include <unordered_map>

#include <fmt/format.h>

namespace emmi::engine {

namespace {

constexpr std::uint64_t kPortTag = 1ull << 63;
// A handler that claims an absurd range still only touches this many blocks
// for conflict purposes (enough for any range the driver requests).
constexpr std::uint64_t kMaxBlocksPerEffect = 4096;

struct SentInfo {
  model::MessageKind kind;
  model::ObjectId object;
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

History extract_history(const std::vector<model::Event>& trace) {
  History h;
  std::unordered_map<model::PortName, model::ObjectId> object_of_port;      // object ports
  std::unordered_map<model::PortName, model::ObjectId> object_of_control;   // control names
  std::unordered_map<model::PortName, std::deque<SentInfo>> queued;
  std::unordered_map<model::ThreadId, std::size_t> current;  // thread -> message index
  std::unordered_map<model::RegionId, SentInfo> regions;

  auto attribute = [&](model::ThreadId t, std::uint64_t resource, std::size_t at, bool shared = false) {
    auto it = current.find(t);
    if (it != current.end()) h.effects.push_back({it->second, resource, at, shared});
  };
  auto attribute_range = [&](model::ThreadId t, model::ObjectId o, model::Offset off,
                             model::Size size, std::size_t at) {
    std::uint64_t blocks = std::min<std::uint64_t>(size / model::kBlockSize, kMaxBlocksPerEffect);
    for (std::uint64_t b = 0; b < blocks; ++b)
      attribute(t, resource_of_block(o, off + b * model::kBlockSize), at);
  };

  for (std::size_t i = 0; i < trace.size(); ++i) {
    std::visit(
        [&](const auto& e) {
          using E = std::decay_t<decltype(e)>;
          if constexpr (std::is_same_v<E, model::ObjectOffered>) {
            object_of_port[e.port] = e.object;
          } else if constexpr (std::is_same_v<E, model::KernelSent>) {
            queued[e.destination].push_back({e.kind, e.object, e.offset, e.length});
          } else if constexpr (std::is_same_v<E, model::Dequeued>) {
            SentInfo info{model::MessageKind::other, 0, 0, 0};
            auto q = queued.find(e.port);
            if (q != queued.end() && !q->second.empty()) {
              info = q->second.front();
              q->second.pop_front();
            }
            if (info.kind == model::MessageKind::init && !e.rights.empty())
              object_of_control[e.rights.front().name] = info.object;
            if (e.region != 0) regions[e.region] = info;
            current[e.thread] = h.messages.size();
            h.messages.push_back({e.port, e.seqno, info.kind, i});
          } else if constexpr (std::is_same_v<E, model::HandlerReturned>) {
            current.erase(e.thread);
          } else if constexpr (std::is_same_v<E, model::ControlCalled>) {
            // Data calls touch only their blocks (answers for different pages
            // commute); lifecycle calls touch the control port.
            bool ranged = e.call == model::ControlCall::data_supply ||
                          e.call == model::ControlCall::data_unavailable ||
                          e.call == model::ControlCall::data_error ||
                          e.call == model::ControlCall::lock_request;
            if (!ranged) {
              attribute(e.thread, resource_of_port(e.control), i);
            } else if (auto o = object_of_control.find(e.control); o != object_of_control.end()) {
              attribute_range(e.thread, o->second, e.offset, e.size, i);
            }
          } else if constexpr (std::is_same_v<E, model::PortOperated>) {
            attribute(e.thread, resource_of_port(e.name), i, model::is_uref_arithmetic(e));
          } else if constexpr (std::is_same_v<E, model::MemoryReleased>) {
            auto r = regions.find(e.region);
            if (r != regions.end() && r->second.kind == model::MessageKind::data_return)
              attribute_range(e.thread, r->second.object, r->second.offset, r->second.length, i);
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
      adj[from->message].push_back({to.message, true, to.resource, from->event_index, to.event_index});
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

std::string encode_history(const History& h) {
  // "port seqno kind event;...|message resource event shared;..."
  std::string out;
  for (const HistoryMessage& m : h.messages)
    out += fmt::format("{} {} {} {};", m.port, m.seqno, static_cast<unsigned>(m.kind), m.event_index);
  out += '|';
  for (const Effect& e : h.effects)
    out += fmt::format("{} {} {} {};", e.message, e.resource, e.event_index, e.shared ? 1 : 0);
  return out;
}

namespace {

// The unsigned integers of one ';'-terminated item, or nothing if malformed.
template <std::size_t N>
std::optional<std::array<std::uint64_t, N>> parse_item(std::string_view item) {
  std::array<std::uint64_t, N> v{};
  const char* p = item.data();
  const char* end = item.data() + item.size();
  for (std::size_t i = 0; i < N; ++i) {
    while (p < end && *p == ' ') ++p;
    auto [next, ec] = std::from_chars(p, end, v[i]);
    if (ec != std::errc{} || next == p) return std::nullopt;
    p = next;
  }
  if (p != end) return std::nullopt;
  return v;
}

template <std::size_t N, class Add>
bool parse_list(std::string_view text, Add add) {
  while (!text.empty()) {
    auto semi = text.find(';');
    if (semi == std::string_view::npos) return false;
    auto v = parse_item<N>(text.substr(0, semi));
    if (!v || !add(*v)) return false;
    text.remove_prefix(semi + 1);
  }
  return true;
}

}  // namespace

std::optional<History> decode_history(std::string_view text) {
  auto bar = text.find('|');
  if (bar == std::string_view::npos) return std::nullopt;
  History h;
  bool ok = parse_list<4>(text.substr(0, bar), [&](const std::array<std::uint64_t, 4>& v) {
    if (v[2] > static_cast<std::uint64_t>(model::MessageKind::other)) return false;
    h.messages.push_back({static_cast<model::PortName>(v[0]), static_cast<model::Seqno>(v[1]),
                          static_cast<model::MessageKind>(v[2]), static_cast<std::size_t>(v[3])});
    return true;
  });
  ok = ok && parse_list<4>(text.substr(bar + 1), [&](const std::array<std::uint64_t, 4>& v) {
    if (v[0] >= h.messages.size() || v[3] > 1) return false;
    h.effects.push_back({static_cast<std::size_t>(v[0]), v[1], static_cast<std::size_t>(v[2]), v[3] == 1});
    return true;
  });
  if (!ok) return std::nullopt;
  return h;
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

}  // namespace emmi::engine
