"""The stylesheet and the script inlined into ``report.html`` (the page loads nothing else)."""

from __future__ import annotations

#: Content-Security-Policy of the page: inline style and script only, no fetch of any kind.
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'"
)

CSS = """
:root {
  --ink: #1f2933; --muted: #52606d; --faint: #7b8794; --line: #d9e2ec; --paper: #ffffff; --wash: #f5f7fa;
  --pass: #1b7f4c; --pass-bg: #e3f4ea; --fail: #b42318; --fail-bg: #fdecea; --error: #a15c07;
  --error-bg: #fdf3dc; --skip: #2f5f8a; --skip-bg: #e6eef6; --disabled: #616e7c; --disabled-bg: #eceff3;
  --untested: #7b8794; --untested-bg: #ffffff; --accent: #243b53; --incomplete: #5b3fa0;
  --incomplete-bg: #f0ebfa;
}
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body {
  margin: 0; background: var(--wash); color: var(--ink);
  font: 14px/1.5 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
.page { max-width: 1180px; margin: 0 auto; padding: 28px 32px 48px; }
code, pre, .mono {
  font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace;
}
code { font-size: 12.5px; }
a { color: #1d4f91; }
h1, h2, h3 { color: var(--accent); line-height: 1.25; }
h2 { font-size: 19px; margin: 0 0 14px; padding-bottom: 8px; border-bottom: 2px solid var(--accent); }
h3 { font-size: 15px; margin: 0 0 10px; }
section, header.masthead { background: var(--paper); border: 1px solid var(--line); border-radius: 6px;
  padding: 22px 26px; margin-bottom: 20px; }
.kicker { text-transform: uppercase; letter-spacing: .12em; font-size: 12px; color: var(--muted);
  font-weight: 600; }
.masthead h1 { font-size: 24px; margin: 4px 0 18px; }
.verdict { display: flex; align-items: center; gap: 22px; border-radius: 6px; padding: 18px 24px;
  color: #fff; margin-bottom: 20px; }
.verdict-conformant { background: var(--pass); }
.verdict-nonconformant { background: var(--fail); }
.verdict-incomplete { background: var(--incomplete); }
.verdict-error { background: var(--error); }
.verdict-other { background: var(--disabled); }
.verdict-mark { font-size: 15px; font-weight: 700; border: 2px solid rgba(255,255,255,.85);
  border-radius: 4px; padding: 4px 10px; letter-spacing: .08em; white-space: nowrap; }
.verdict-word { font-size: 40px; font-weight: 800; letter-spacing: .04em; line-height: 1.1; }
.verdict-note { font-size: 15px; opacity: .95; }
dl.meta { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 12px 24px; margin: 0; }
dl.meta div { min-width: 0; }
dl.meta .wide { grid-column: span 2; }
dl.meta dt { font-size: 11px; text-transform: uppercase; letter-spacing: .08em; color: var(--muted);
  font-weight: 600; }
dl.meta dd { margin: 2px 0 0; overflow-wrap: anywhere; }
nav.toc { font-size: 13px; margin: -6px 0 18px; color: var(--muted); }
nav.toc a { margin-right: 16px; }
.counts { display: grid; grid-template-columns: repeat(6, minmax(0, 1fr)); gap: 10px; }
.count { border: 1px solid var(--line); border-top: 4px solid var(--c, var(--line)); border-radius: 4px;
  padding: 8px 12px; background: var(--paper); }
.count .n { font-size: 26px; font-weight: 700; color: var(--c, var(--ink)); line-height: 1.2; }
.count.zero .n { color: #bcccdc; }
.count .l { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .06em; }
.c-pass { --c: var(--pass); } .c-fail { --c: var(--fail); } .c-error { --c: var(--error); }
.c-skip { --c: var(--skip); } .c-disabled { --c: var(--disabled); } .c-untested { --c: var(--untested); }
.bar { display: flex; height: 10px; border-radius: 5px; overflow: hidden; margin: 14px 0 6px;
  background: var(--line); }
.bar span { display: block; height: 100%; }
.bar .b-pass { background: var(--pass); } .bar .b-fail { background: var(--fail); }
.bar .b-error { background: var(--error); } .bar .b-skip { background: var(--skip); }
.bar .b-disabled { background: #9aa5b1; } .bar .b-untested { background: #cbd2d9; }
.subtle { color: var(--muted); font-size: 13px; }
table.levels { width: auto; margin: 14px 0 4px; font-size: 13px; }
table.levels th, table.levels td { padding: 4px 14px; text-align: right; border-bottom: 1px solid var(--line);
  font-variant-numeric: tabular-nums; }
table.levels th:first-child { text-align: left; padding-left: 0; }
table.levels tbody th { color: var(--ink); font-size: 12px; }
table.levels td.n-zero { color: #bcccdc; }
table.levels td.n-fail { color: var(--fail); font-weight: 700; }
table.levels td.n-error { color: var(--error); font-weight: 700; }
table.levels td.n-pass { color: var(--pass); }
table.levels td.n-passed { color: var(--pass); }
table.levels td.n-failed { color: var(--fail); font-weight: 700; }
table.levels td.n-undecided { color: var(--incomplete); font-weight: 700; }
table.levels td.n-out_of_scope { color: var(--disabled); }
.coverage { margin-bottom: 18px; padding-bottom: 10px; border-bottom: 1px solid var(--line); }
.coverage h3 { margin-bottom: 4px; }
.coverage-lines { margin: 6px 0; padding-left: 18px; font-size: 13px; }
.undecided-list { margin: 4px 0; padding-left: 18px; font-size: 13px; }
.undecided-list .level { color: var(--muted); font-size: 11px; font-weight: 600; margin: 0 4px; }
.reason { font-size: 12.5px; margin-top: 4px; color: var(--ink); }
.reason .reason-kind { font-weight: 700; text-transform: uppercase; font-size: 11px; letter-spacing: .05em; }
.reason.r-undecided .reason-kind { color: var(--incomplete); }
.reason.r-out .reason-kind { color: var(--disabled); }
.tests-line { margin-top: 10px; }
.filters { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 18px; margin-bottom: 12px;
  padding: 10px 12px; background: var(--wash); border: 1px solid var(--line); border-radius: 4px;
  font-size: 13px; }
.filters[hidden] { display: none; }
.filters fieldset { border: 0; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 4px 12px;
  align-items: center; }
.filters legend { float: left; font-weight: 600; margin-right: 8px; }
.filters label { white-space: nowrap; cursor: pointer; }
.filters select { font: inherit; }
.filters .shown { margin-left: auto; color: var(--muted); }
table { width: 100%; border-collapse: collapse; }
th { text-align: left; font-size: 11px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted);
  border-bottom: 2px solid var(--line); padding: 6px 8px; }
td { border-bottom: 1px solid var(--line); padding: 8px; vertical-align: top; }
tr.o-fail td { background: #fff8f7; }
tr.o-error td { background: #fffbf2; }
td.id { white-space: nowrap; font-weight: 600; }
td.level { white-space: nowrap; font-size: 12px; font-weight: 600; color: var(--muted); }
td.src { white-space: nowrap; font-size: 12px; }
.req-title { font-weight: 600; }
.quote { color: var(--muted); font-size: 12.5px; margin-top: 3px; font-style: italic; }
.quote::before { content: "\\201C"; } .quote::after { content: "\\201D"; }
.badge { display: inline-block; min-width: 64px; text-align: center; font-size: 11px; font-weight: 700;
  letter-spacing: .06em; text-transform: uppercase; padding: 2px 8px; border-radius: 10px;
  border: 1px solid currentColor; text-decoration: none; }
.b-pass-t { color: var(--pass); background: var(--pass-bg); }
.b-fail-t { color: var(--fail); background: var(--fail-bg); }
.b-error-t { color: var(--error); background: var(--error-bg); }
.b-skip-t { color: var(--skip); background: var(--skip-bg); }
.b-disabled-t { color: var(--disabled); background: var(--disabled-bg); }
.b-untested-t { color: var(--untested); background: var(--untested-bg); border-style: dashed; }
.failure { border: 1px solid var(--line); border-left: 4px solid var(--fail); border-radius: 4px;
  padding: 14px 16px; margin-bottom: 14px; break-inside: avoid; }
.failure.k-error { border-left-color: var(--error); }
.failure h3 .badge { margin-right: 8px; vertical-align: 1px; }
.failure .level { color: var(--muted); font-size: 12px; font-weight: 600; margin-left: 6px; }
.check { margin-top: 10px; padding-top: 10px; border-top: 1px dashed var(--line); }
.check:first-of-type { border-top: 0; padding-top: 0; }
.check dl { display: grid; grid-template-columns: 110px minmax(0, 1fr); gap: 6px 12px; margin: 0; }
.check dt { font-size: 11px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted);
  font-weight: 600; padding-top: 3px; }
.check dd { margin: 0; min-width: 0; }
pre { margin: 0; padding: 8px 10px; background: #f7f9fb; border: 1px solid var(--line); border-radius: 4px;
  font-size: 12px; line-height: 1.45; white-space: pre-wrap; overflow-wrap: anywhere; }
pre.msg { background: var(--fail-bg); border-color: #f3c7c2; color: #7a1a12; }
pre.expected { background: var(--pass-bg); border-color: #bfe3cd; color: #14532d; }
.check p.note, .check p.same { margin: 0; padding-top: 2px; }
.check p.note { font-weight: 600; color: var(--error); }
.check details summary { cursor: pointer; color: var(--muted); font-size: 12.5px; padding-top: 2px; }
.check details pre { margin-top: 6px; }
.k-error pre.msg { background: var(--error-bg); border-color: #f0dcb0; color: #6b3e05; }
.jobs { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 14px; }
.job { border: 1px solid var(--line); border-radius: 4px; padding: 10px 12px 4px; break-inside: avoid; }
.job svg { display: block; }
.job.j-illegal { border-left: 4px solid var(--fail); }
.job.j-stuck { border-left: 4px solid var(--error); }
.job figcaption { font-size: 13px; margin-bottom: 4px; }
.job figcaption .flag { font-size: 11px; font-weight: 700; text-transform: uppercase; letter-spacing: .06em;
  margin-left: 8px; }
.job .flag.f-illegal { color: var(--fail); } .job .flag.f-stuck { color: var(--error); }
.job .flag.f-ok { color: var(--pass); }
figure { margin: 0; }
.legend { font-size: 12.5px; color: var(--muted); margin: -4px 0 14px; }
.legend i { display: inline-block; width: 18px; height: 3px; vertical-align: middle; margin: 0 4px 0 12px; }
.legend i.dot { width: 10px; height: 10px; border-radius: 50%; }
.sources li { margin-bottom: 4px; }
.sources li:target { background: #fff7d6; }
footer { color: var(--faint); font-size: 12px; text-align: center; margin-top: 8px; }
@media (max-width: 820px) {
  .counts { grid-template-columns: repeat(3, minmax(0, 1fr)); }
  dl.meta { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  .verdict { flex-wrap: wrap; }
  .jobs { grid-template-columns: minmax(0, 1fr); }
}
@media print {
  @page { margin: 14mm; }
  body { background: #fff; font-size: 11px; }
  .page { max-width: none; padding: 0; }
  section, header.masthead { border: 0; padding: 0; margin-bottom: 18px; }
  nav.toc, .filters { display: none !important; }
  tr[hidden] { display: table-row !important; }
  details > summary { list-style: none; }
  tr { break-inside: avoid; }
  h2 { break-after: avoid; }
  a { color: inherit; text-decoration: none; }
  pre { white-space: pre-wrap; }
  .jobs { grid-template-columns: minmax(0, 1fr); }
  .job svg { max-width: 150mm; }
}
"""

#: Filters of the requirement table. The table is complete without it; the controls appear only with JS.
JS = """
(function () {
  var form = document.getElementById("filters");
  var table = document.getElementById("requirements-table");
  if (!form || !table) { return; }
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var shown = document.getElementById("shown");
  function apply() {
    var outcomes = {};
    form.querySelectorAll("input[name=outcome]").forEach(function (box) {
      outcomes[box.value] = box.checked;
    });
    var level = form.querySelector("select[name=level]").value;
    var count = 0;
    rows.forEach(function (row) {
      var visible = outcomes[row.getAttribute("data-outcome")] !== false &&
        (level === "" || row.getAttribute("data-level") === level);
      row.hidden = !visible;
      if (visible) { count += 1; }
    });
    shown.textContent = "Showing " + count + " of " + rows.length + " requirements";
  }
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  form.hidden = false;
  apply();
})();
"""
