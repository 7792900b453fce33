// SPDX-License-Identifier: MIT
// What the kernel saw of a COPY_DELAY object's own data; see contents.h.
#include "contents.h"

#include <algorithm>

#include "emmi/model/rules.h"
#include "text.h"

namespace emmi::model::detail::contents {

namespace {

void forget(State& s, ObjectId o) {
  if (o < s.contents.known.size())
    std::fill(s.contents.known[o].begin(), s.contents.known[o].end(), std::uint8_t{0});
}

bool delay(const State& s, std::uint32_t inc) {
  const auto& v = s.contents.strategy_now_plus1;
  return inc < v.size() && v[inc] == kCopyDelay + 1;
}

std::string stamp_text(Stamp st) { return st == 0 ? std::string("zeros") : hex(st); }

}  // namespace

void init(State& s) {
  const std::size_t blocks = (s.config.object_size + kBlockSize - 1) / kBlockSize;
  s.contents.seen.assign(s.config.objects, std::vector<Stamp>(blocks, 0));
  s.contents.known.assign(s.config.objects, std::vector<std::uint8_t>(blocks, 0));
  s.contents.returned.assign(s.config.objects, std::vector<std::uint8_t>(blocks, 0));
}

bool temporary(const State& s, std::uint32_t inc) {
  const auto& v = s.contents.strategy_now_plus1;
  return inc < v.size() && v[inc] == kCopyTemporary + 1;
}

void on_sent(State& s, const KernelSent& e) {
  if (e.object >= s.contents.known.size()) return;
  if (e.kind == MessageKind::terminate) {
    // The kernel gives the object up: once the pager takes the terminate,
    // nothing it promised that kernel binds it any more.
    forget(s, e.object);
    return;
  }
  if (e.kind != MessageKind::data_return) return;
  auto& known = s.contents.known[e.object];
  auto& returned = s.contents.returned[e.object];
  const std::size_t b0 = e.offset / kBlockSize;
  const std::size_t b1 = std::min<std::size_t>(known.size(),
                                               (e.offset + e.length + kBlockSize - 1) / kBlockSize);
  for (std::size_t b = b0; b < b1; ++b) {
    returned[b] = 1;  // from now on the kernel's contents (RT4, RT5)
    known[b] = 0;
  }
}

void on_accepted(State& s, const ControlCalled& e, const Pair& p, std::uint32_t inc,
                 const Check& check, const Report& report) {
  ContentState& c = s.contents;
  if (e.call == ControlCall::ready || e.call == ControlCall::change_attributes) {
    if (!e.names_copy_strategy) return;  // an OSF flavour without one changes nothing
    if (c.strategy_now_plus1.size() <= inc) c.strategy_now_plus1.resize(inc + 1, 0);
    c.strategy_now_plus1[inc] = e.copy_strategy + 1;
    // Another strategy promises nothing about external changes.
    if (e.copy_strategy != kCopyDelay) forget(s, p.object);
    return;
  }
  if (e.call == ControlCall::destroy) {
    forget(s, p.object);
    return;
  }
  const bool supply = e.call == ControlCall::data_supply;
  if (!supply && e.call != ControlCall::data_unavailable) return;
  if (p.object >= c.known.size() || !delay(s, inc) || e.offset % kBlockSize != 0) return;
  auto& seen = c.seen[p.object];
  auto& known = c.known[p.object];
  const auto& returned = c.returned[p.object];
  const Size ps = s.page_size_of(p);
  const std::size_t b0 = e.offset / kBlockSize;
  const std::size_t b1 = std::min<std::size_t>(known.size(), (e.offset + e.size) / kBlockSize);
  bool reported = false;
  for (std::size_t b = b0; b < b1; ++b) {
    const Offset at = b * kBlockSize;
    if (supply) {
      // GNU Mach stops at the first page it already holds (§3e).
      if (e.present_at && at >= *e.present_at) break;
      const std::size_t j = b - b0;
      if (j >= e.stamps.size()) break;
      if (returned[b]) continue;
      if (known[b]) {
        check(rule::CP4);
        if (seen[b] != e.stamps[j] && !reported) {
          reported = true;
          report(rule::CP4, cat("data_supply on control ", hex(e.control), " gives block ", hex(at),
                                " of object ", dec(p.object), " as ", stamp_text(e.stamps[j]),
                                ", but the pager told a kernel it holds ", stamp_text(seen[b]),
                                " and no kernel returned other contents since: the object is "
                                "MEMORY_OBJECT_COPY_DELAY, whose data the pager must never modify "
                                "externally"));
        }
      }
      seen[b] = e.stamps[j];
      known[b] = 1;
      continue;
    }
    // data_unavailable: the kernel zero-fills the pages it requested (UN3),
    // but a copy's page reads the original's (copies.h): what it holds is
    // what the kernel read, when it said.
    const std::size_t page = at / ps;
    if (page >= p.pages.size() || p.pages[page] != PageState::requested) continue;
    if (returned[b]) continue;
    if (copies::is_copy(s, p.object)) {
      const std::size_t j = b - b0;
      known[b] = j < e.stamps.size() ? 1 : 0;
      seen[b] = j < e.stamps.size() ? e.stamps[j] : 0;
      continue;
    }
    if (known[b]) {
      check(rule::UN1);
      check(rule::UN3);
      if (seen[b] != 0 && !reported) {
        reported = true;
        std::string text =
            cat("data_unavailable on control ", hex(e.control), " for block ", hex(at),
                " of object ", dec(p.object), ", whose contents the pager gave a kernel as ",
                hex(seen[b]),
                " (the object is MEMORY_OBJECT_COPY_DELAY and no kernel returned other "
                "contents since): the pager can provide the data, and the kernel zero-fills "
                "a user object's page, so the data is lost");
        report(rule::UN3, text);
        report(rule::UN1, std::move(text));
      }
    }
    seen[b] = 0;
    known[b] = 1;
  }
}

void store(const State& s, ObjectId o, Offset offset, const std::vector<Stamp>& stamps,
           bool after_action, Judgement& out) {
  if (o >= s.contents.known.size() || offset % kBlockSize != 0) return;
  const auto& seen = s.contents.seen[o];
  const auto& known = s.contents.known[o];
  const auto& returned = s.contents.returned[o];
  const std::size_t b0 = offset / kBlockSize;
  for (std::size_t i = 0; i < stamps.size() && b0 + i < known.size(); ++i) {
    const std::size_t b = b0 + i;
    if (returned[b] || !known[b]) continue;
    if (std::find(out.checked.begin(), out.checked.end(), rule::CP4) == out.checked.end())
      out.checked.push_back(rule::CP4);
    if (stamps[i] == seen[b]) continue;
    out.verdicts.push_back(
        Verdict{rule::CP4, Party::pager,
                cat("the pager's store holds ", stamp_text(stamps[i]), " for block ",
                    hex(b * kBlockSize), " of object ", dec(o),
                    after_action ? " right after the pager's sync or flush returned"
                                 : " at quiescence",
                    ", but it told a kernel the block holds ", stamp_text(seen[b]),
                    seen[b] == 0 ? " (data_unavailable)" : " (data_supply)",
                    " and no kernel returned other contents since: the object is "
                    "MEMORY_OBJECT_COPY_DELAY, whose data the pager must never modify externally",
                    seen[b] == 0 ? " (or the data_unavailable was wrong, UN1)" : ""),
                s.events});
    break;
  }
}

}  // namespace emmi::model::detail::contents
