"""``report.html``: one self-contained page for people, the kind a certification reviewer reads.

The verdict first, then the target and the run, the MUST and SHOULD coverage (passed, failed, undecided, out
of scope) and the counts, the requirement table (filterable by outcome and level with a little inline script;
complete and readable without it; each requirement that was not judged says why in its row), every failure
with what reproduces it, and a lifecycle chart per observed job.

Each failure appears once, in the suite's words: expected, got, request, response excerpt, curl line (the
failure section is ``_html_failures.py``; ``_markup.py`` holds the escaping and badges the sections share).

The page loads nothing: inline style and script, no external reference, and a Content-Security-Policy that
forbids any fetch. Every value is escaped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from conformance.reporting import _masking
from conformance.reporting._assets import CSP, CSS, JS
from conformance.reporting._html_failures import _failures
from conformance.reporting._lifecycle import story
from conformance.reporting._markup import OUTCOME_LABELS, _badge, _e, _slug
from conformance.reporting._model import (
    BUCKETS,
    LEVELS,
    REQUIREMENT_OUTCOMES,
    Report,
    Requirement,
    format_duration,
    load,
)
from conformance.reporting._svg import render_lifecycle

#: verdict -> (word shown big, short mark, CSS class)
VERDICTS = {
    "conformant": ("CONFORMANT", "PASS", "verdict-conformant"),
    "nonconformant": ("NON-CONFORMANT", "FAIL", "verdict-nonconformant"),
    "incomplete": ("INCOMPLETE", "UNDECIDED", "verdict-incomplete"),
    "error": ("ERROR", "NO VERDICT", "verdict-error"),
}

BUCKET_LABELS = {
    "passed": "Passed",
    "failed": "Failed",
    "undecided": "Undecided",
    "out_of_scope": "Out of scope",
}

#: Sections of the Segment Jobs API documentation, by anchor.
DOC_SECTIONS = {
    "segment-jobs-endpoint": "Segment jobs endpoint",
    "getting-started": "Getting started",
    "retrieve-list": "Retrieve a list of segment jobs",
    "create": "Create a new segment job",
    "get": "Retrieve a specific segment job",
    "bulk-get": "Bulk retrieve segment jobs",
    "delete": "Cancel or delete a specific segment job",
}

_FRAGMENT = re.compile(r"^#([A-Za-z][A-Za-z0-9._~-]*)$")
_OWN_IDS = ("verdict", "filters", "requirements-table", "shown")
_OWN_PREFIXES = ("sec-", "req-", "failure-", "job-", "test-")


def _anchor(source: str) -> str | None:
    """The in-page anchor of a documentation source (``#bulk-get``), or None for any other source."""
    match = _FRAGMENT.match(source.strip())
    if not match:
        return None
    name = match.group(1)
    if name in _OWN_IDS or name.startswith(_OWN_PREFIXES):
        return None
    return name


def _verdict_note(report: Report) -> str:
    failed = [r for r in report.requirements if r.outcome == "fail"]
    must = sum(1 for r in failed if r.level == "MUST")
    should = sum(1 for r in failed if r.level == "SHOULD")
    errors = sum(1 for r in report.requirements if r.outcome == "error")
    total = len(report.requirements)
    passed = sum(1 for r in report.requirements if r.outcome == "pass")

    def plural(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    if report.verdict == "conformant":
        return f"No MUST requirement failed. {passed} of {plural(total, 'requirement')} passed."
    if report.verdict == "nonconformant":
        parts = []
        if must:
            parts.append(f"{plural(must, 'MUST requirement')} failed")
        if should:
            parts.append(f"{plural(should, 'SHOULD requirement')} failed")
        if errors:
            parts.append(f"{plural(errors, 'requirement')} in error")
        return ("; ".join(parts) or "The target violated the specification") + "."
    if report.verdict == "incomplete":
        return f"No requirement in scope failed, but {report.coverage.undecided_note}."
    if report.verdict == "error":
        if report.aborted:
            return f"The run stopped: {report.aborted}"
        return f"The run could not be carried out ({plural(errors, 'requirement')} in error)."
    return ""


def _masthead(report: Report) -> str:
    word, mark, css = VERDICTS.get(report.verdict, (report.verdict.upper(), "?", "verdict-other"))
    meta = [
        ("Target", f'<code class="mono">{_e(report.base_url) or "(not recorded)"}</code>', "wide"),
        ("Profile", _e(report.profile) or "&ndash;", ""),
        ("Started", _e(report.started_display) or "&ndash;", ""),
        ("Spec SHA-256", f'<code class="mono">{_e(report.spec_sha256) or "&ndash;"}</code>', "wide"),
        ("Suite version", _e(report.version) or "&ndash;", ""),
        ("Duration", _e(format_duration(report.duration_s)), ""),
        ("Seed", f'<code class="mono">{_e(report.seed) or "&ndash;"}</code>', ""),
        ("Requirements", _e(len(report.requirements)), ""),
        ("Tests", _e(len(report.tests)), ""),
        ("Jobs observed", _e(len(report.jobs)), ""),
    ]
    cells = "".join(
        f'<div class="{cls}"><dt>{label}</dt><dd>{value}</dd></div>'
        if cls
        else f"<div><dt>{label}</dt><dd>{value}</dd></div>"
        for label, value, cls in meta
    )
    return (
        '<header class="masthead">'
        f'<div class="kicker">Conformance report &middot; {_e(report.suite_name)} {_e(report.version)}</div>'
        "<h1>Segment Jobs API</h1>"
        f'<div class="verdict {css}" id="verdict" data-verdict="{_e(report.verdict)}">'
        f'<span class="verdict-mark">{_e(mark)}</span>'
        f'<div><div class="verdict-word">{_e(word)}</div>'
        f'<div class="verdict-note">{_e(_verdict_note(report))}</div></div></div>'
        f'<dl class="meta">{cells}</dl>'
        "</header>"
    )


def _counts(report: Report) -> str:
    counts = report.requirement_counts
    total = sum(counts.get(k, 0) for k in REQUIREMENT_OUTCOMES) or 1
    cards = "".join(
        f'<div class="count c-{k}{"" if counts.get(k, 0) else " zero"}">'
        f'<div class="n">{_e(counts.get(k, 0))}</div>'
        f'<div class="l">{_e(OUTCOME_LABELS[k])}</div></div>'
        for k in REQUIREMENT_OUTCOMES
    )
    bar = "".join(
        f'<span class="b-{k}" style="width:{100 * counts.get(k, 0) / total:.2f}%" '
        f'title="{_e(OUTCOME_LABELS[k])}: {_e(counts.get(k, 0))}"></span>'
        for k in REQUIREMENT_OUTCOMES
        if counts.get(k, 0)
    )
    tests = report.test_counts
    disabled = sum(1 for t in report.tests if t.disabled)
    return (
        '<section id="sec-summary"><h2>Results</h2>'
        f"{_coverage(report)}"
        f'<p class="subtle">Requirements by outcome ({_e(sum(counts.values()))} in the catalog):</p>'
        f'<div class="counts">{cards}</div><div class="bar">{bar}</div>'
        f"{_by_level(report)}"
        f'<p class="subtle tests-line">Tests: <strong>{_e(tests.get("passed", 0))}</strong> passed, '
        f"<strong>{_e(tests.get('failed', 0))}</strong> failed, "
        f"<strong>{_e(tests.get('errors', 0))}</strong> errors, "
        f"<strong>{_e(tests.get('skipped', 0))}</strong> skipped "
        f"(of which {_e(disabled)} disabled by configuration or profile).</p>"
        "</section>"
    )


def _coverage(report: Report) -> str:
    """MUST and SHOULD coverage (passed, failed, undecided, out of scope), the causes, the undecided ones."""
    coverage = report.coverage
    head = "".join(f"<th>{_e(BUCKET_LABELS[b])}</th>" for b in BUCKETS)
    rows = []
    for item in coverage.levels:
        cells = "".join(
            f'<td class="{f"n-{b}" if item.count(b) else "n-zero"}" data-bucket="{_e(b)}">'
            f"{item.count(b)}</td>"
            for b in BUCKETS
        )
        rows.append(
            f'<tr data-level="{_e(item.level)}"><th scope="row">{_e(item.level)}</th>'
            f"{cells}<td>{item.in_scope}</td></tr>"
        )
    lines = "".join(f'<li data-level="{_e(item.level)}">{_e(item.line)}</li>' for item in coverage.levels)
    derived = (
        '<p class="subtle">Computed from the requirement outcomes: this results.json records no coverage.</p>'
        if coverage.derived
        else ""
    )
    undecided = report.undecided_requirements
    listed = ""
    if undecided:
        items = "".join(
            f'<li><a href="#req-{_e(_slug(r.id))}"><code>{_e(r.id)}</code></a> '
            f'<span class="level">{_e(r.level)}</span> {_e(r.reason)}</li>'
            for r in undecided
        )
        listed = (
            f'<p class="subtle">Undecided: in scope, but not judged ({_e(len(undecided))}):</p>'
            f'<ul class="undecided-list">{items}</ul>'
        )
    return (
        '<div class="coverage" id="coverage"><h3>Coverage of MUST and SHOULD requirements</h3>'
        '<p class="subtle">Undecided: in scope but not judged (skipped, in error or untested). '
        "Out of scope: disabled by the profile, the selection, read-only mode or missing optional "
        "configuration.</p>"
        f'<table class="levels coverage-table"><thead><tr><th>Level</th>{head}<th>In scope</th></tr></thead>'
        f'<tbody>{"".join(rows)}</tbody></table><ul class="coverage-lines">{lines}</ul>{derived}{listed}'
        "</div>"
    )


def _by_level(report: Report) -> str:
    """A level-by-outcome matrix of the requirements (MUST, SHOULD, MAY rows)."""
    levels = [lvl for lvl in LEVELS if any(r.level == lvl for r in report.requirements)]
    levels += sorted({r.level for r in report.requirements} - set(LEVELS))
    if not levels:
        return ""
    head = "".join(f"<th>{_e(OUTCOME_LABELS[k])}</th>" for k in REQUIREMENT_OUTCOMES)
    rows = []
    for level in levels:
        mine = [r for r in report.requirements if r.level == level]
        cells = []
        for k in REQUIREMENT_OUTCOMES:
            n = sum(1 for r in mine if r.outcome == k)
            cells.append(f'<td class="{f"n-{k}" if n else "n-zero"}">{n}</td>')
        rows.append(f'<tr><th scope="row">{_e(level)}</th>{"".join(cells)}<td>{len(mine)}</td></tr>')
    return (
        '<table class="levels"><thead><tr><th>Level</th>'
        f"{head}<th>Total</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _source(source: str) -> str:
    anchor = _anchor(source)
    if anchor is None:
        return _e(source) or "&ndash;"
    title = DOC_SECTIONS.get(anchor, "Segment Jobs API documentation")
    return f'<a href="#{_e(anchor)}" title="{_e(title)}">#{_e(anchor)}</a>'


def _reason(req: Requirement) -> str:
    """The reason line of a requirement that did not pass or fail, shown in its row."""
    if req.outcome in ("pass", "fail") or not req.reason:
        return ""
    kind, css = ("Out of scope", "r-out") if req.out_of_scope else ("Undecided", "r-undecided")
    return f'<div class="reason {css}"><span class="reason-kind">{kind}:</span> {_e(req.reason)}</div>'


def _requirement_rows(report: Report) -> str:
    failing = {r.id for r in report.failed_requirements}
    rows = []
    for req in report.requirements:
        target = f"failure-{_slug(req.id)}" if req.id in failing else None
        extra = f'<div class="quote">{_e(req.quote)}</div>' if req.quote else ""
        extra += _reason(req)
        rows.append(
            f'<tr id="req-{_e(_slug(req.id))}" class="o-{_e(req.outcome)}" data-outcome="{_e(req.outcome)}" '
            f'data-level="{_e(req.level)}" data-scope="{_e(req.bucket)}" data-requirement="{_e(req.id)}">'
            f'<td class="id"><code>{_e(req.id)}</code></td>'
            f'<td class="level">{_e(req.level)}</td>'
            f'<td><div class="req-title">{_e(req.title)}</div>{extra}</td>'
            f'<td class="src">{_source(req.source)}</td>'
            f"<td>{_badge(req.outcome, target)}</td>"
            "</tr>"
        )
    return "".join(rows)


def _filters(report: Report) -> str:
    counts: dict[str, int] = {}
    for req in report.requirements:
        counts[req.outcome] = counts.get(req.outcome, 0) + 1
    outcomes = [o for o in REQUIREMENT_OUTCOMES if counts.get(o)] + sorted(
        o for o in counts if o not in REQUIREMENT_OUTCOMES
    )
    boxes = "".join(
        f'<label><input type="checkbox" name="outcome" value="{_e(o)}" checked> '
        f"{_e(OUTCOME_LABELS.get(o, o))} ({_e(counts[o])})</label>"
        for o in outcomes
    )
    levels = [lvl for lvl in LEVELS if any(r.level == lvl for r in report.requirements)]
    options = '<option value="">All levels</option>' + "".join(
        f'<option value="{_e(lvl)}">{_e(lvl)} only</option>' for lvl in levels
    )
    return (
        '<form class="filters" id="filters" hidden>'
        f"<fieldset><legend>Outcome</legend>{boxes}</fieldset>"
        f'<label>Level <select name="level">{options}</select></label>'
        '<span class="shown" id="shown"></span>'
        "</form>"
    )


def _requirements(report: Report) -> str:
    if not report.requirements:
        return (
            '<section id="sec-requirements"><h2>Requirements</h2><p>No requirements recorded.</p></section>'
        )
    return (
        '<section id="sec-requirements"><h2>Requirements</h2>'
        f"{_filters(report)}"
        '<table id="requirements-table"><thead><tr><th>ID</th><th>Level</th><th>Requirement</th>'
        "<th>Source</th><th>Outcome</th></tr></thead>"
        f"<tbody>{_requirement_rows(report)}</tbody></table>"
        "</section>"
    )


def _jobs(report: Report) -> str:
    if not report.jobs:
        return (
            '<section id="sec-jobs"><h2>Job lifecycles</h2>'
            "<p>No job lifecycles were recorded in this run.</p></section>"
        )
    legend = (
        '<p class="legend">Status over time, in lifecycle order from top to bottom (terminal statuses '
        "shaded): the line steps down as a job progresses."
        '<i style="background:#2457a6"></i>observed path'
        '<i style="background:#c81e1e"></i>transition the lifecycle forbids (e.g. a regression)'
        '<i class="dot" style="border:2.5px solid #c27c0e"></i>last seen, not terminal</p>'
    )
    figures = []
    for index, job in enumerate(report.jobs, start=1):
        told = story(job)
        if told.illegal_moves:
            css, flag = "j-illegal", '<span class="flag f-illegal">illegal transition</span>'
        elif not told.finished:
            css, flag = "j-stuck", '<span class="flag f-stuck">not terminal</span>'
        else:
            css, flag = "", '<span class="flag f-ok">ok</span>'
        figures.append(
            f'<figure class="job {css}" id="job-{index}" data-job="{_e(job.id)}">'
            f"<figcaption><strong>Job</strong> <code>{_e(job.id)}</code>{flag}<br>"
            f'<span class="subtle">{_e(told.summary())}</span></figcaption>'
            f"{render_lifecycle(told, f'job-{index}-chart')}</figure>"
        )
    charts = f'<div class="jobs">{"".join(figures)}</div>'
    return f'<section id="sec-jobs"><h2>Job lifecycles</h2>{legend}{charts}</section>'


def _sources(report: Report) -> str:
    cited: dict[str, list[str]] = {}
    for req in report.requirements:
        anchor = _anchor(req.source)
        if anchor is not None:
            cited.setdefault(anchor, []).append(req.id)
    if not cited:
        return ""
    items = "".join(
        f'<li id="{_e(anchor)}"><code>#{_e(anchor)}</code> {_e(DOC_SECTIONS.get(anchor, ""))} &mdash; '
        + ", ".join(f'<a href="#req-{_e(_slug(r))}">{_e(r)}</a>' for r in ids)
        + "</li>"
        for anchor, ids in cited.items()
    )
    return (
        '<section id="sec-sources"><h2>Documentation sections cited</h2>'
        '<p class="subtle">Anchors of the Segment Jobs API documentation (<code>segment-jobs.md</code>) '
        f'and the requirements that quote them.</p><ul class="sources">{items}</ul></section>'
    )


def render_html(results: Mapping[str, Any]) -> str:
    """The text of ``report.html`` for one results dict."""
    report = load(_masking.clean(results))
    word = VERDICTS.get(report.verdict, (report.verdict.upper(), "", ""))[0]
    title = f"Conformance: {word} \u2013 {report.base_url or report.suite_name}"
    toc = (
        '<nav class="toc"><a href="#sec-summary">Results</a><a href="#sec-requirements">Requirements</a>'
        '<a href="#sec-failures">Failures</a><a href="#sec-jobs">Job lifecycles</a></nav>'
    )
    footer = (
        f"<footer>{_e(report.suite_name)} {_e(report.version)} &middot; spec {_e(report.spec_sha256[:12])} "
        f"&middot; seed {_e(report.seed)} &middot; results.json is the machine-readable record of this run; "
        "secrets are masked as ***.</footer>"
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_e(CSP)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="{_e(report.suite_name)} {_e(report.version)}">'
        '<link rel="icon" href="data:,">'
        f"<title>{_e(title)}</title><style>{CSS}</style></head>"
        '<body><div class="page">'
        f"{_masthead(report)}{toc}{_counts(report)}{_requirements(report)}{_failures(report)}"
        f"{_jobs(report)}{_sources(report)}{footer}"
        f"</div><script>{JS}</script></body></html>\n"
    )
