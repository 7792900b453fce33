// SPDX-License-Identifier: MIT
// Self-contained HTML report. Everything is inline (CSS, JS, SVG); the
// Content-Security-Policy forbids every fetch, so the file renders the same
// offline, as a CI artifact, or attached to a mail.
#include "emmi/reports/html_report.h"

#include <fmt/format.h>

#include "emmi/reports/json_report.h"
#include "summary.h"
#include "text.h"

namespace emmi::reports {
namespace {

using detail::one_line;
using detail::xml_escape;

std::string esc(std::string_view text) { return xml_escape(text); }
std::string attr(std::string_view text) { return xml_escape(text, true); }

// A page-unique id made only of characters safe in ids, URLs and CSS.
std::string element_id(std::string_view prefix, std::size_t index, std::string_view rule_id) {
  std::string id = fmt::format("{}-{}-", prefix, index);
  for (char c : rule_id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    id += ok ? c : '_';
  }
  return id;
}

std::string_view outcome_class(RunOutcome outcome) {
  switch (outcome) {
    case RunOutcome::conformant: return "conformant";
    case RunOutcome::not_conformant: return "not-conformant";
    case RunOutcome::incomplete: return "incomplete";
    case RunOutcome::nothing_exercised: return "nothing";
  }
  return "";
}

std::string pill(Verdict v) {
  return fmt::format("<span class=\"pill v-{}\">{}</span>", v.name(), v.label());
}

constexpr std::string_view kStyle = R"CSS(
:root {
  --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #f6f8fa; --card: #ffffff;
  --mono: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, monospace;
  --v-pass: #1a7f37; --v-fail: #cf222e; --v-not-applicable: #6e7781; --v-timeout: #bc4c00;
  --v-crash: #8250df; --v-resource-exhausted: #953800; --v-unresolved: #9a6700;
  --v-waived: #0969da;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: var(--fg); background: var(--bg);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans",
    "Liberation Sans", Arial, sans-serif; }
code, pre, .mono { font-family: var(--mono); font-size: 13px; }
a { color: #0969da; text-decoration: none; } a:hover { text-decoration: underline; }
.wrap { max-width: 1240px; margin: 0 auto; padding: 0 28px; }
.banner { color: #fff; padding: 26px 0 24px; background: #57606a; }
.banner.conformant { background: linear-gradient(120deg, #116329, #1a7f37); }
.banner.not-conformant { background: linear-gradient(120deg, #a40e26, #cf222e); }
.banner.incomplete { background: linear-gradient(120deg, #7d4e00, #9a6700); }
.banner .brand { font-size: 13px; letter-spacing: .08em; text-transform: uppercase; opacity: .85; }
.banner h1 { margin: 4px 0 2px; font-size: 30px; line-height: 1.2; font-weight: 700; }
.banner h1 .pager { font-weight: 400; opacity: .9; }
.banner .sub { margin: 0; font-size: 15px; opacity: .92; }
main { padding: 22px 0 40px; }
section { margin-top: 20px; }
h2 { font-size: 19px; margin: 0 0 10px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; }
.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr));
  gap: 0; padding: 6px 0; margin: 0; }
.facts div { padding: 6px 18px; min-width: 0; }
.facts dt { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .05em; }
.facts dd { margin: 2px 0 0; overflow-wrap: anywhere; }
.facts .wide { grid-column: 1 / -1; }
.facts .hash, .facts .hash code { color: var(--muted); font-size: 12.5px; }
.counts { display: flex; flex-wrap: wrap; gap: 10px; }
.chip { display: inline-flex; align-items: baseline; gap: 8px; padding: 8px 14px;
  border: 1px solid var(--line); border-left: 5px solid var(--c, #999); border-radius: 8px;
  background: var(--card); font: inherit; color: inherit; cursor: pointer; }
.chip .n { font-size: 20px; font-weight: 700; color: var(--c); }
.chip .conf { font-size: 12px; color: var(--muted); }
.chip[aria-pressed="true"] { background: #eef3fa; box-shadow: 0 0 0 2px var(--c) inset; }
.v-pass { --c: var(--v-pass); } .v-fail { --c: var(--v-fail); }
.v-not-applicable { --c: var(--v-not-applicable); } .v-timeout { --c: var(--v-timeout); }
.v-crash { --c: var(--v-crash); } .v-resource-exhausted { --c: var(--v-resource-exhausted); }
.v-unresolved { --c: var(--v-unresolved); } .v-waived { --c: var(--v-waived); }
.pill { display: inline-block; padding: 1px 9px; border-radius: 999px; font-size: 11.5px;
  font-weight: 700; letter-spacing: .04em; color: #fff; background: var(--c); white-space: nowrap; }
.filters { display: flex; flex-wrap: wrap; gap: 14px; align-items: center; margin-bottom: 10px; }
.filters input[type=search] { flex: 1 1 320px; max-width: 460px; padding: 7px 11px; font: inherit;
  border: 1px solid var(--line); border-radius: 7px; background: #fff; }
.filters label { color: var(--muted); user-select: none; }
#shown-count { color: var(--muted); font-size: 13px; margin-left: auto; }
table.rules { width: 100%; border-collapse: separate; border-spacing: 0; overflow: hidden; }
.rules th, .rules td { text-align: left; padding: 8px 12px; border-bottom: 1px solid var(--line);
  vertical-align: top; }
.rules th { font-size: 12px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted);
  background: #f6f8fa; }
.rules tbody tr:last-child td { border-bottom: 0; }
.rules tbody tr:hover td { background: #f6f8fa; }
.rules td.id { font-family: var(--mono); font-weight: 600; white-space: nowrap; }
.rules td.num { text-align: right; font-variant-numeric: tabular-nums; }
.rules td.msg { color: var(--muted); max-width: 420px; overflow-wrap: anywhere; }
.rules tr.bad td.id { box-shadow: inset 4px 0 0 var(--c); }
.cx { padding: 18px 22px 20px; margin-top: 16px; border-top: 4px solid var(--c); }
.cx h3 { display: flex; gap: 10px; align-items: center; margin: 0 0 6px; font-size: 17px; }
.cx h3 .rid { font-family: var(--mono); }
.cx .msg { margin: 0 0 12px; }
.cx .level { margin: 0 0 6px; color: var(--muted); font-size: 13px; }
.legend + .note { margin: 0; padding: 10px 12px; color: var(--muted); font-size: 13px; }
.cx h4 { margin: 16px 0 6px; font-size: 13px; text-transform: uppercase; letter-spacing: .05em;
  color: var(--muted); }
.replay { background: #0d1117; color: #e6edf3; border-radius: 8px; padding: 10px 14px;
  margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.chart { overflow-x: auto; border: 1px solid var(--line); border-radius: 8px; background: #fff;
  padding: 6px 0; }
.cols { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 24px; }
ol.cmds { margin: 0; padding-left: 28px; } ol.cmds li { padding: 1px 0; }
.kv { margin: 0; } .kv dt { color: var(--muted); font-size: 13px; }
.kv dd { margin: 0 0 6px; font-family: var(--mono); font-size: 13px; overflow-wrap: anywhere; }
.legend td, .legend th { padding: 6px 12px; border-bottom: 1px solid var(--line); text-align: left; }
.legend { border-collapse: collapse; width: 100%; }
.legend tr:last-child td { border-bottom: 0; }
footer { color: var(--muted); font-size: 13px; padding: 18px 0 30px; border-top: 1px solid var(--line); }
svg.msc { display: block; max-width: 100%; height: auto; font-family: var(--mono); font-size: 12px; }
svg.msc .stripe { fill: #f6f8fa; }
svg.msc .lane rect { stroke-width: 1.5; }
svg.msc .lane.kernel rect { fill: #ddf4ff; stroke: #54aeff; }
svg.msc .lane.pager rect { fill: #fbefff; stroke: #c297ff; }
svg.msc .lane text { font-weight: 700; fill: #1f2328; font-size: 12.5px; }
svg.msc .life { stroke: #8c959f; stroke-dasharray: 4 4; stroke-width: 1.2; }
svg.msc .arrow { stroke-width: 1.8; fill: none; }
svg.msc .ev-k .arrow { stroke: #0969da; } svg.msc .head-k { fill: #0969da; }
svg.msc .ev-p .arrow { stroke: #8250df; } svg.msc .head-p { fill: #8250df; }
svg.msc .label { fill: #1f2328; font-weight: 600; }
svg.msc .sub { fill: #59636e; font-size: 11px; }
svg.msc .label, svg.msc .sub { paint-order: stroke; stroke: #ffffff; stroke-width: 4px;
  stroke-linejoin: round; }
svg.msc .idx { fill: #8c959f; font-size: 11px; }
svg.msc .note, svg.msc .notes-head { fill: #9a3412; font-family: system-ui, sans-serif; font-size: 12.5px; }
svg.msc .notes-head { fill: #59636e; text-transform: uppercase; letter-spacing: .05em; font-size: 11px; }
svg.msc .ev:hover .label { fill: #0969da; }
@media (max-width: 800px) { .cols { grid-template-columns: 1fr; } .wrap { padding: 0 14px; } }
@media print { .filters, .chip { display: none; } .banner { -webkit-print-color-adjust: exact; } }
)CSS";

// Filters the rule table by text, by verdict chip and by "not passing"; adds a
// marker element last, so a test can tell the script ran to the end.
constexpr std::string_view kScript = R"JS(
(function () {
  'use strict';
  var table = document.getElementById('rules');
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var search = document.getElementById('rule-filter');
  var onlyBad = document.getElementById('only-problems');
  var shown = document.getElementById('shown-count');
  var chips = Array.prototype.slice.call(document.querySelectorAll('.chip[data-verdict]'));
  var chosen = null;
  function apply() {
    var q = search.value.trim().toLowerCase();
    var n = 0;
    rows.forEach(function (row) {
      var v = row.getAttribute('data-verdict');
      var visible = (!q || row.getAttribute('data-search').indexOf(q) >= 0) &&
          (!onlyBad.checked || v !== 'pass') && (chosen === null || v === chosen);
      row.hidden = !visible;
      if (visible) { n += 1; }
    });
    shown.textContent = n + ' of ' + rows.length + ' rules shown';
    chips.forEach(function (chip) {
      chip.setAttribute('aria-pressed', String(chip.getAttribute('data-verdict') === chosen));
    });
  }
  search.addEventListener('input', apply);
  onlyBad.addEventListener('change', apply);
  chips.forEach(function (chip) {
    chip.addEventListener('click', function () {
      var v = chip.getAttribute('data-verdict');
      chosen = chosen === v ? null : v;
      apply();
    });
  });
  apply();
  var ready = document.createElement('div');
  ready.id = 'emmi-report-ready';
  ready.hidden = true;
  document.body.appendChild(ready);
})();
)JS";

void fact(std::ostream& out, std::string_view name, std::string_view html_value,
          bool wide = false) {
  out << "<div" << (wide ? " class=\"wide\"" : "") << "><dt>" << name << "</dt><dd>" << html_value
      << "</dd></div>\n";
}

std::string code(std::string_view text) { return fmt::format("<code>{}</code>", esc(text)); }

void facts(std::ostream& out, const RunReport& r) {
  out << "<section><dl class=\"card facts\">\n";
  fact(out, "Pager", esc(r.pager.name.empty() ? "(unnamed)" : r.pager.name));
  fact(out, "Dialect", code(r.dialect));
  fact(out, "Platform", code(r.platform) + " — " + esc(detail::platform_text(r)), true);
  fact(out, "Profile", code(r.profile));
  fact(out, "Seed", code(std::to_string(r.seed)));
  fact(out, "Mode",
       r.conformance_mode ? "<strong>conformance</strong> (locked parameters, "
                            "no waivers)"
                          : "development");
  if (r.shard) fact(out, "Shard", fmt::format("{} of {}", r.shard->index + 1, r.shard->total));
  if (!r.merged_from.empty()) {
    fact(out, "Merged from", fmt::format("{} shards", r.merged_from.size()));
  }
  fact(out, "Cases run", std::to_string(r.cases_run));
  fact(out, "Duration", fmt::format("{:.1f} s", r.duration_s));
  fact(out, "Started", esc(r.started_at));
  fact(out, "Suite", esc(fmt::format("{} {}", r.suite.name, r.suite.version)));
  fact(out, "Machine",
       esc(fmt::format("{} · {} · {} CPUs", r.machine.hostname, r.machine.os, r.machine.cpus)));
  fact(out, "Pager binary",
       fmt::format("{}<br><span class=\"hash\">sha256 {}</span>", code(r.pager.path),
                   code(r.pager.sha256)),
       true);
  if (!r.parameters.empty()) {
    std::string params;
    for (const auto& [key, value] : r.parameters) {
      params += (params.empty() ? "" : " &nbsp; ") + code(fmt::format("{}={}", key, value));
    }
    fact(out, "Parameters", params, true);
  }
  out << "</dl></section>\n";
}

void counts(std::ostream& out, const RunReport& r) {
  VerdictCounts c = count_verdicts(r, Party::pager);
  out << "<section class=\"counts\" aria-label=\"rules per verdict\">\n";
  for (Verdict v : Verdict::all()) {
    if (c[v] == 0) continue;
    out << fmt::format(
        "<button type=\"button\" class=\"chip v-{0}\" data-verdict=\"{0}\" aria-pressed=\"false\" "
        "title=\"{1}\"><span class=\"n\">{2}</span><span>{0}</span><span class=\"conf\">{3}"
        "</span></button>\n",
        v.name(), attr(v.description()), c[v],
        !v.is_failure()      ? "conformant"
        : v == Verdict::fail ? "fails the run if MUST"
                             : "fails the run");
  }
  out << "</section>\n";
}

void rule_table(std::ostream& out, const RunReport& r) {
  out << "<section id=\"pager-verdicts\"><h2>Pager verdicts</h2>\n<p>"
      << esc(detail::pager_counts_text(r))
      << ".</p>\n<div class=\"filters\">"
         "<input type=\"search\" id=\"rule-filter\" placeholder=\"Filter by rule, group, title "
         "or message\" aria-label=\"filter rules\">"
         "<label><input type=\"checkbox\" id=\"only-problems\"> only rules that did not pass"
         "</label><span id=\"shown-count\"></span></div>\n";
  out << "<table class=\"card rules\" id=\"rules\"><thead><tr><th>Rule</th><th>Group</th>"
         "<th>Title</th><th>Level</th><th>Verdict</th><th>For the run</th><th>Exercised</th>"
         "<th>Message</th></tr></thead><tbody>\n";
  for (std::size_t i = 0; i < r.rules.size(); ++i) {
    const RuleResult& rule = r.rules[i];
    if (rule.party != Party::pager) continue;
    std::string message = rule.verdict == Verdict::waived ? detail::skip_reason(rule)
                                                          : one_line(rule.message);
    if (!rule.portability.empty())
      message = "portability: " + one_line(rule.portability) + "; " + message;
    std::string search = one_line(fmt::format("{} {} {} {} {}", rule.id, rule.group, rule.title,
                                              rule.verdict.name(), message));
    for (char& ch : search) {
      if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    }
    std::string id_cell = esc(rule.id);
    if (rule.counterexample) {
      id_cell = fmt::format("<a href=\"#{}\">{}</a>", element_id("cx", i, rule.id), id_cell);
    }
    out << fmt::format(
        "<tr class=\"v-{0}{1}\" data-verdict=\"{0}\" data-search=\"{2}\"><td class=\"id\">{3}"
        "</td><td>{4}</td><td>{5}</td><td>{6}</td><td>{7}</td><td>{8}</td>"
        "<td class=\"num\">{9}</td><td class=\"msg\">{10}</td></tr>\n",
        rule.verdict.name(), rule.verdict == Verdict::pass ? "" : " bad", attr(search), id_cell,
        esc(rule.group), esc(rule.title), esc(rule.level), pill(rule.verdict),
        esc(detail::consequence(rule)), rule.exercised, esc(message));
  }
  out << "</tbody></table></section>\n";
}

// The suite's self-checks: rules binding the kernel, never pager verdicts.
void self_check_table(std::ostream& out, const RunReport& r) {
  std::vector<const RuleResult*> checks = rules_of(r, Party::kernel);
  if (checks.empty()) return;
  out << "<section id=\"self-checks\"><h2>Suite self-checks</h2>\n<p>"
      << esc(detail::self_checks_text(r)) << ".</p>\n";
  out << "<table class=\"card rules\" id=\"self-check-rules\"><thead><tr><th>Rule</th>"
         "<th>Group</th><th>Title</th><th>Verdict</th><th>Exercised</th><th>Message</th></tr>"
         "</thead><tbody>\n";
  for (const RuleResult* rule : checks) {
    std::string id_cell = esc(rule->id);
    if (rule->counterexample) {
      id_cell = fmt::format("<a href=\"#{}\">{}</a>",
                            element_id("cx", static_cast<std::size_t>(rule - r.rules.data()),
                                       rule->id),
                            id_cell);
    }
    out << fmt::format(
        "<tr class=\"v-{0}{1}\" data-verdict=\"{0}\"><td class=\"id\">{2}</td><td>{3}</td>"
        "<td>{4}</td><td>{5}</td><td class=\"num\">{6}</td><td class=\"msg\">{7}</td></tr>\n",
        rule->verdict.name(), rule->verdict.is_failure() ? " bad" : "", id_cell, esc(rule->group),
        esc(rule->title), pill(rule->verdict), rule->exercised, esc(one_line(rule->message)));
  }
  out << "</tbody></table></section>\n";
}

void counterexample_card(std::ostream& out, const RuleResult& rule, std::size_t index) {
  const Counterexample& c = *rule.counterexample;
  out << fmt::format("<article class=\"card cx v-{}\" id=\"{}\">\n", rule.verdict.name(),
                     element_id("cx", index, rule.id));
  out << fmt::format("<h3>{} <span class=\"rid\">{}</span> <span>{}</span></h3>\n",
                     pill(rule.verdict), esc(rule.id), esc(rule.title));
  out << fmt::format("<p class=\"level\">{} · {} rule · {}</p>\n", esc(rule.level),
                     to_string(rule.party), esc(detail::consequence(rule)));
  out << fmt::format("<p class=\"msg\">{}</p>\n",
                     esc(rule.message.empty() ? rule.verdict.description() : rule.message));
  if (!rule.portability.empty())
    out << fmt::format("<p class=\"msg\"><strong>Portability finding:</strong> {}</p>\n",
                       esc(rule.portability));
  if (!c.replay_command.empty()) {
    out << "<h4>Replay</h4>\n<pre class=\"replay\"><code>" << esc(c.replay_command)
        << "</code></pre>\n";
  }
  if (!c.trace.empty()) {
    out << fmt::format("<h4>Message sequence ({} events)</h4>\n<div class=\"chart\">",
                       c.trace.size())
        << sequence_chart_svg(c.trace, element_id("msc", index, rule.id)) << "</div>\n";
  }
  out << "<div class=\"cols\"><div><h4>Shrunk kernel commands</h4>";
  if (c.commands.empty()) {
    out << "<p>(none recorded)</p>";
  } else {
    out << "<ol class=\"cmds\">";
    for (const std::string& command : c.commands) out << "<li>" << code(command) << "</li>";
    out << "</ol>";
  }
  out << "</div><div><h4>Reproduce</h4><dl class=\"kv\"><dt>seed</dt><dd>" << c.seed << "</dd>";
  if (!c.reproduce.empty()) out << "<dt>RapidCheck</dt><dd>" << esc(c.reproduce) << "</dd>";
  out << "</dl></div></div>\n</article>\n";
}

void legend(std::ostream& out) {
  out << "<section><h2>What the verdicts mean</h2><div class=\"card\"><table class=\"legend\">"
         "<thead><tr><th>Verdict</th><th>Counts as conformant</th><th>Meaning</th></tr></thead>"
         "<tbody>\n";
  for (Verdict v : Verdict::all()) {
    out << fmt::format("<tr class=\"v-{}\"><td>{}</td><td>{}</td><td>{}</td></tr>\n", v.name(),
                       pill(v),
                       !v.is_failure()      ? "yes"
                       : v == Verdict::fail ? "no, if the rule is MUST"
                                            : "no",
                       esc(v.description()));
  }
  out << "</tbody></table><p class=\"note\">Levels: only a MUST rule's <em>fail</em> fails "
         "the run; a SHOULD, MAY or INFO rule's is an advisory finding, shown with its "
         "counterexample. A portability finding (a rule broken under the manual's strict "
         "reading, harmless on the report's platform) is shown the same way and does not fail "
         "the run either. Timeouts, crashes and exhausted resources fail the run at any level. "
         "Rules that bind the kernel are self-checks of the suite's own simulated kernel, "
         "listed apart: a broken one is a suite bug (unresolved), never a pager verdict."
         "</p></div></section>\n";
}

}  // namespace

void HtmlWriter::write(const RunReport& report, std::ostream& out) const {
  RunOutcome outcome = run_outcome(report);
  VerdictCounts c = count_verdicts(report, Party::pager);
  std::size_t failing = 0;
  for (const RuleResult* rule : rules_of(report, Party::pager)) failing += fails_run(*rule) ? 1 : 0;
  const std::size_t advisory = count_advisory(report);
  std::string pager = report.pager.name.empty() ? report.pager.path : report.pager.name;

  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
         "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n";
  out << "<title>" << esc(fmt::format("emmi-cts: {} — {}", outcome_label(outcome), pager))
      << "</title>\n<style>" << kStyle << "</style>\n</head>\n<body>\n";

  out << fmt::format(
      "<header class=\"banner {}\"><div class=\"wrap\"><div class=\"brand\">emmi-cts compliance "
      "report</div><h1 id=\"outcome\">{} <span class=\"pager\">· {}</span></h1>"
      "<p class=\"sub\">{} of {} pager rules fail the run{}{} · {} cases · {:.1f} s · {} · "
      "platform {} · {}</p></div></header>\n",
      outcome_class(outcome), outcome_label(outcome), esc(pager), failing, c.total(),
      advisory == 0 ? std::string() : fmt::format(" · {} advisory", advisory),
      count_portability(report) == 0 ? std::string()
                                     : fmt::format(" · {} portability", count_portability(report)),
      report.cases_run, report.duration_s, esc(report.dialect), esc(report.platform),
      esc(report.profile));

  // Failures first: on a CI page the counterexamples are what people open
  // the report for; the full rule table follows.
  out << "<main class=\"wrap\">\n";
  facts(out, report);
  counts(out, report);
  bool heading = false;
  std::vector<const RuleResult*> with_evidence = detail::non_passing_rules(report, Party::pager);
  for (const RuleResult* rule : detail::non_passing_rules(report, Party::kernel))
    with_evidence.push_back(rule);
  for (const RuleResult* rule : with_evidence) {
    if (!rule->counterexample) continue;
    if (!heading) out << "<section id=\"counterexamples\"><h2>Counterexamples</h2>\n";
    heading = true;
    counterexample_card(out, *rule, static_cast<std::size_t>(rule - report.rules.data()));
  }
  if (heading) out << "</section>\n";
  rule_table(out, report);
  self_check_table(out, report);
  legend(out);
  out << "</main>\n";
  out << fmt::format(
      "<footer><div class=\"wrap\">Generated by {} {} · report format {} v{} · the JSON report "
      "is the canonical record</div></footer>\n",
      esc(report.suite.name), esc(report.suite.version), kReportFormat, kReportFormatVersion);
  out << "<script>" << kScript << "</script>\n</body>\n</html>\n";
}

}  // namespace emmi::reports
