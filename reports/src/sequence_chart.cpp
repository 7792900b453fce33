// SPDX-License-Identifier: MIT
// Message-sequence chart of a counterexample's trace as inline SVG: kernels'
// lanes on the left, pager threads' lanes on the right, one row per event in
// trace order. Sizes are fixed per lane and row so the chart never depends on
// font metrics the writer cannot know; long labels are shortened and kept in
// full in each row's tooltip.
#include <algorithm>

#include <fmt/format.h>

#include "emmi/reports/html_report.h"
#include "summary.h"
#include "text.h"

namespace emmi::reports {
namespace {

using detail::xml_escape;

constexpr int kGutter = 44;  // left column with the event index
constexpr int kHeaderTop = 10;
constexpr int kHeaderHeight = 34;
constexpr int kFirstRow = kHeaderTop + kHeaderHeight + 40;
constexpr int kRowHeight = 50;
constexpr int kNoteWidth = 330;
constexpr int kNoteLines = 2;
constexpr double kCharWidth = 7.3;      // 12px monospace, generously
constexpr double kNoteCharWidth = 6.9;  // 12.5px proportional, generously
constexpr std::size_t kMaxEvents = 400;

// Narrower lanes when there are many, so a typical chart (two kernels, three
// pager threads) fits a laptop-width page; the page scales it down at most a
// little further and scrolls beyond that.
int lane_width(std::size_t lanes) { return lanes <= 3 ? 230 : lanes == 4 ? 205 : 185; }

bool is_kernel_lane(std::string_view lane) { return lane.rfind("kernel", 0) == 0; }

// Kernels first, then pager threads (and anything else), each in order of
// first appearance, so arrows from the kernel point right, replies left.
std::vector<std::string> lanes_of(const std::vector<TraceEvent>& trace) {
  std::vector<std::string> kernels, others;
  auto note = [&](const std::string& lane) {
    if (lane.empty()) return;
    auto& list = is_kernel_lane(lane) ? kernels : others;
    if (std::find(kernels.begin(), kernels.end(), lane) == kernels.end() &&
        std::find(others.begin(), others.end(), lane) == others.end()) {
      list.push_back(lane);
    }
  };
  for (const TraceEvent& e : trace) {
    note(e.lane_from);
    note(e.lane_to);
  }
  kernels.insert(kernels.end(), others.begin(), others.end());
  return kernels;
}

std::string shorten(std::string_view text, double pixels, double char_width = kCharWidth) {
  std::size_t max = static_cast<std::size_t>(std::max(4.0, pixels / char_width));
  if (text.size() <= max) return std::string(text);
  // Cut on a UTF-8 character boundary.
  std::size_t cut = max - 1;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + "…";
}

// Breaks a note into at most kNoteLines lines at spaces; the last line is
// shortened if the note is longer still.
std::vector<std::string> wrap_note(const std::string& note) {
  const std::size_t width = static_cast<std::size_t>(kNoteWidth / kNoteCharWidth);
  std::vector<std::string> lines;
  std::string_view rest = note;
  while (!rest.empty() && static_cast<int>(lines.size()) < kNoteLines - 1 && rest.size() > width) {
    std::size_t cut = rest.substr(0, width + 1).rfind(' ');
    if (cut == std::string_view::npos || cut == 0) break;
    lines.emplace_back(rest.substr(0, cut));
    rest.remove_prefix(cut + 1);
  }
  lines.push_back(shorten(rest, kNoteWidth, kNoteCharWidth));
  return lines;
}

std::string seq_and_rights(const TraceEvent& e) {
  std::string s;
  if (e.seqno) s = fmt::format("seq {}", *e.seqno);
  if (!e.rights.empty()) s += (s.empty() ? "" : " · ") + e.rights;
  return s;
}

}  // namespace

std::string sequence_chart_svg(const std::vector<TraceEvent>& full_trace, std::string_view id) {
  std::vector<TraceEvent> trace(full_trace.begin(),
                                full_trace.begin() + static_cast<std::ptrdiff_t>(
                                                         std::min(full_trace.size(), kMaxEvents)));
  for (TraceEvent& e : trace) {
    if (e.lane_from.empty()) e.lane_from = "(unknown)";  // the reader rejects this; callers may not
  }
  std::vector<std::string> lanes = lanes_of(trace);
  bool any_note = std::any_of(trace.begin(), trace.end(),
                              [](const TraceEvent& e) { return !e.note.empty(); });
  const int lane_w = lane_width(lanes.size());
  const int lanes_width = static_cast<int>(lanes.size()) * lane_w;
  const int notes_x = kGutter + lanes_width + 12;
  const int width = notes_x + (any_note ? kNoteWidth : 0) + 8;
  const int rows = static_cast<int>(trace.size()) + (full_trace.size() > trace.size() ? 1 : 0);
  const int height = kFirstRow + rows * kRowHeight;
  auto lane_x = [&](const std::string& lane) {
    auto it = std::find(lanes.begin(), lanes.end(), lane);
    return kGutter + lane_w / 2 + static_cast<int>(it - lanes.begin()) * lane_w;
  };
  // Room for text centred on `mid` without running into the index gutter or
  // the notes column (nothing else shares a row).
  auto room_around = [&](int mid) { return 2 * std::min(mid - kGutter, notes_x - mid) - 12; };
  std::string idx = xml_escape(id, true);

  // min-width: the page may shrink the chart to fit, but not below 80%.
  std::string svg = fmt::format(
      "<svg class=\"msc\" id=\"{0}\" viewBox=\"0 0 {1} {2}\" width=\"{1}\" height=\"{2}\" "
      "style=\"min-width:{3}px\" role=\"img\" aria-label=\"message sequence chart, {4} "
      "events\">\n",
      idx, width, height, width * 4 / 5, trace.size());
  svg += fmt::format(
      "<defs>"
      "<marker id=\"{0}-k\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"9\" "
      "markerHeight=\"9\" orient=\"auto\"><path d=\"M0,0L10,5L0,10z\" class=\"head-k\"/>"
      "</marker>"
      "<marker id=\"{0}-p\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"9\" "
      "markerHeight=\"9\" orient=\"auto\"><path d=\"M0,0L10,5L0,10z\" class=\"head-p\"/>"
      "</marker></defs>\n",
      idx);

  // Row stripes first, so lanes and arrows draw over them.
  for (int r = 0; r < rows; ++r) {
    if (r % 2 == 1) {
      svg += fmt::format("<rect class=\"stripe\" x=\"0\" y=\"{}\" width=\"{}\" height=\"{}\"/>\n",
                         kFirstRow - kRowHeight / 2 - 6 + r * kRowHeight, width, kRowHeight);
    }
  }
  for (const std::string& lane : lanes) {
    int x = lane_x(lane);
    std::string kind = is_kernel_lane(lane) ? "kernel" : "pager";
    svg += fmt::format(
        "<g class=\"lane {0}\"><line class=\"life\" x1=\"{1}\" y1=\"{2}\" x2=\"{1}\" "
        "y2=\"{3}\"/><rect x=\"{4}\" y=\"{5}\" width=\"{6}\" height=\"{7}\" rx=\"7\"/>"
        "<text x=\"{1}\" y=\"{8}\" text-anchor=\"middle\">{9}</text><title>{10}</title></g>\n",
        kind, x, kHeaderTop + kHeaderHeight, height - 4, x - (lane_w - 30) / 2, kHeaderTop,
        lane_w - 30, kHeaderHeight, kHeaderTop + kHeaderHeight / 2 + 5,
        xml_escape(shorten(lane, lane_w - 44)), xml_escape(lane));
  }
  if (any_note) {
    svg += fmt::format("<text class=\"notes-head\" x=\"{}\" y=\"{}\">notes</text>\n", notes_x,
                       kHeaderTop + kHeaderHeight / 2 + 5);
  }

  for (std::size_t i = 0; i < trace.size(); ++i) {
    const TraceEvent& e = trace[i];
    int y = kFirstRow + static_cast<int>(i) * kRowHeight;
    const std::string& to = detail::target_lane(e);
    int x1 = lane_x(e.lane_from);
    int x2 = lane_x(to);
    std::string cls = is_kernel_lane(e.lane_from) ? "k" : "p";
    svg += fmt::format("<g class=\"ev ev-{}\"><title>{}</title>", cls,
                       xml_escape(detail::trace_line(e)));
    svg += fmt::format("<text class=\"idx\" x=\"{}\" y=\"{}\" text-anchor=\"end\">#{}</text>",
                       kGutter - 8, y + 4, e.index);
    std::string below = seq_and_rights(e);
    if (x1 == x2) {
      // Local to one lane (handler return, crash): a small loop to the right.
      int text_x = x1 + 34;
      int room = notes_x - text_x - 8;
      svg += fmt::format(
          "<path class=\"arrow\" d=\"M{0},{1} h26 v16 h-24\" fill=\"none\" "
          "marker-end=\"url(#{2}-{3})\"/>",
          x1, y - 8, idx, cls);
      svg += fmt::format("<text class=\"label\" x=\"{}\" y=\"{}\">{}</text>", text_x, y - 2,
                         xml_escape(shorten(e.label, room)));
      if (!below.empty()) {
        svg += fmt::format("<text class=\"sub\" x=\"{}\" y=\"{}\">{}</text>", text_x, y + 13,
                           xml_escape(shorten(below, room)));
      }
    } else {
      int direction = x2 > x1 ? 1 : -1;
      int mid = (x1 + x2) / 2;
      svg += fmt::format(
          "<line class=\"arrow\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" "
          "marker-end=\"url(#{}-{})\"/>",
          x1 + direction * 4, y, x2 - direction * 5, y, idx, cls);
      svg += fmt::format("<text class=\"label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                         mid, y - 8, xml_escape(shorten(e.label, room_around(mid))));
      if (!below.empty()) {
        svg += fmt::format("<text class=\"sub\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                           mid, y + 17, xml_escape(shorten(below, room_around(mid))));
      }
    }
    if (!e.note.empty()) {
      std::vector<std::string> lines = wrap_note(detail::one_line(e.note));
      int line_y = y + 4 - (static_cast<int>(lines.size()) - 1) * 8;
      svg += fmt::format("<text class=\"note\" x=\"{}\" y=\"{}\">", notes_x, line_y);
      for (std::size_t l = 0; l < lines.size(); ++l) {
        svg += fmt::format("<tspan x=\"{}\" dy=\"{}\">{}</tspan>", notes_x, l == 0 ? 0 : 16,
                           xml_escape(lines[l]));
      }
      svg += "</text>";
    }
    svg += "</g>\n";
  }
  if (full_trace.size() > trace.size()) {
    svg += fmt::format(
        "<text class=\"note\" x=\"{}\" y=\"{}\">… {} more events: see the JSON report</text>\n",
        kGutter, kFirstRow + static_cast<int>(trace.size()) * kRowHeight,
        full_trace.size() - trace.size());
  }
  svg += "</svg>";
  return svg;
}

}  // namespace emmi::reports
