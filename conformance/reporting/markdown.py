"""``summary.md``: a short Markdown summary for a CI step summary or a pull-request comment.

The verdict with a plain-text marker, the target, the MUST and SHOULD coverage in one line each, the counts,
the failed (and errored) requirements with their first failure message, and the undecided requirements (in
scope, not judged) with their reasons; the tables are capped so the whole stays under about sixty lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from conformance.reporting import _masking
from conformance.reporting._model import Report, Requirement, format_duration, load, parse_message

#: Rows of the failure table before the rest is only counted.
MAX_ROWS = 25
#: Rows of the undecided table: what the failure table left of MAX_ROWS, but at least this many.
MIN_UNDECIDED_ROWS = 5
MESSAGE_CHARS = 160

REQUIREMENT_COUNTS = ("pass", "fail", "error", "skip", "disabled", "untested")
TEST_COUNTS = ("passed", "failed", "errors", "skipped")

MARKERS = {
    "conformant": ("[PASS]", "CONFORMANT"),
    "nonconformant": ("[FAIL]", "NON-CONFORMANT"),
    "incomplete": ("[INCOMPLETE]", "INCOMPLETE"),
    "error": ("[ERROR]", "ERROR: the run could not be carried out"),
}


def _line(value: str, limit: int) -> str:
    line = " ".join(value.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "\u2026"


def cell(value: str, limit: int = MESSAGE_CHARS) -> str:
    """Plain text for one line or table cell: shortened, with Markdown and HTML syntax made inert."""
    line = _line(value, limit).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    line = line.replace("\\", "\\\\")
    for char in "|`*[]":
        line = line.replace(char, "\\" + char)
    return line


def code(value: str, limit: int = 200) -> str:
    """A code span (literal inside, so only ``|`` is escaped and a backtick becomes ``'``)."""
    text = _line(value, limit).replace("`", "'").replace("|", "\\|")
    return f"`{text}`" if text else "`-`"


def _first_message(report: Report, req: Requirement) -> str:
    """The first failure of a requirement in one line (``expected ...; got ...`` for the suite's messages)."""
    for failure in req.failures:
        if failure.message.strip():
            return _one_line(failure.message)
    for test in report.tests:
        if test.id in req.tests and test.outcome in ("failed", "error") and test.message.strip():
            return _one_line(test.message)
    return "(no message recorded)"


def _one_line(text: str) -> str:
    message = parse_message(text)
    return message.summary if message.structured or message.notes else text


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _verdict_word(report: Report) -> str:
    marker, word = MARKERS.get(report.verdict, ("[?]", report.verdict.upper()))
    if report.verdict == "incomplete":
        word += f": no requirement in scope failed, but {report.coverage.undecided_note}"
    return f"{marker} {cell(word, 300)}"


def _coverage_lines(report: Report) -> list[str]:
    coverage = report.coverage
    lines = [f"- {cell(line, 300)}" for line in coverage.lines]
    out = coverage.total("out_of_scope")
    if out:
        causes = "; ".join(coverage.out_of_scope_causes) or "no reason recorded"
        lines.append(
            f"- Out of scope: {_plural(out, 'MUST or SHOULD requirement')} ({cell(causes, 300)}); "
            "each reason is in the full report"
        )
    return lines


def _failure_table(report: Report, failed: tuple[Requirement, ...]) -> list[str]:
    lines = [
        f"### Failed requirements ({len(failed)})",
        "",
        "| ID | Level | Outcome | Requirement | First failure |",
        "|---|---|---|---|---|",
    ]
    for req in failed[:MAX_ROWS]:
        lines.append(
            f"| {code(req.id, 60)} | {cell(req.level, 10)} | {cell(req.outcome, 10)} | "
            f"{cell(req.title, 100)} | {cell(_first_message(report, req))} |"
        )
    if len(failed) > MAX_ROWS:
        more = len(failed) - MAX_ROWS
        lines += [
            "",
            f"... and {more} more failed requirement{'s' if more != 1 else ''}, listed in the full report.",
        ]
    return [*lines, ""]


def _undecided_table(report: Report, limit: int) -> list[str]:
    undecided = report.undecided_requirements
    if not undecided:
        return []
    causes = report.coverage.undecided_causes
    lines = [f"### Undecided requirements ({len(undecided)})", ""]
    if causes:
        lines += [f"In scope, but not judged: {cell('; '.join(causes), 300)}.", ""]
    lines += ["| ID | Level | Outcome | Requirement | Reason |", "|---|---|---|---|---|"]
    for req in undecided[:limit]:
        lines.append(
            f"| {code(req.id, 60)} | {cell(req.level, 10)} | {cell(req.outcome, 10)} | "
            f"{cell(req.title, 100)} | {cell(req.reason or 'no reason recorded')} |"
        )
    if len(undecided) > limit:
        more = len(undecided) - limit
        lines += [
            "",
            f"... and {more} more undecided requirement{'s' if more != 1 else ''}, "
            "listed in the full report.",
        ]
    return [*lines, ""]


def render_summary(results: Mapping[str, Any]) -> str:
    """The text of ``summary.md`` for one results dict."""
    report = load(_masking.clean(results))
    reqs = report.requirement_counts
    tests = report.test_counts
    target = code(report.base_url) if report.base_url else "(not recorded)"
    lines = [
        "## Segment Jobs API conformance",
        "",
        f"**{_verdict_word(report)}**",
        "",
        *([f"Run stopped: {cell(report.aborted, 300)}", ""] if report.aborted else []),
        f"- Target: {target}, profile {code(report.profile)}",
        f"- Suite {cell(report.version or '-')}, spec sha256 {code(report.spec_sha256[:12])}, "
        f"seed {code(report.seed)}, started {cell(report.started_display or '-')}, "
        f"took {format_duration(report.duration_s)}",
        *_coverage_lines(report),
        "- Requirements: " + ", ".join(f"{reqs.get(k, 0)} {k}" for k in REQUIREMENT_COUNTS),
        "- Tests: " + ", ".join(f"{tests.get(k, 0)} {k}" for k in TEST_COUNTS),
        "",
    ]
    failed = report.failed_requirements
    if failed:
        lines += _failure_table(report, failed)
    else:
        lines += ["No requirement failed or errored.", ""]
    lines += _undecided_table(report, max(MIN_UNDECIDED_ROWS, MAX_ROWS - len(failed)))
    lines.append(
        "Full report: `report.html` in the same folder as this summary (with `results.json` and "
        "`junit.xml`); each failure there has its request, response excerpt and a curl line to reproduce it."
    )
    return "\n".join(lines) + "\n"
