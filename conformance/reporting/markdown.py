"""``summary.md``: a short Markdown summary for a CI step summary or a pull-request comment.

The verdict with a plain-text marker, the target, the counts, and the failed (and errored) requirements
with their first failure message; the table is capped so the whole stays under about sixty lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from conformance.reporting import _masking
from conformance.reporting._model import Report, Requirement, format_duration, load

#: Rows of the failure table before the rest is only counted.
MAX_ROWS = 25
MESSAGE_CHARS = 160

REQUIREMENT_COUNTS = ("pass", "fail", "error", "skip", "disabled", "untested")
TEST_COUNTS = ("passed", "failed", "errors", "skipped")

MARKERS = {
    "conformant": ("[PASS]", "CONFORMANT"),
    "nonconformant": ("[FAIL]", "NON-CONFORMANT"),
    "error": ("[ERROR]", "ERROR: the run could not be carried out completely"),
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
    for failure in req.failures:
        if failure.message.strip():
            return failure.message
    for test in report.tests:
        if test.id in req.tests and test.outcome in ("failed", "error") and test.message.strip():
            return test.message
    return "(no message recorded)"


def render_summary(results: Mapping[str, Any]) -> str:
    """The text of ``summary.md`` for one results dict."""
    report = load(_masking.clean(results))
    marker, word = MARKERS.get(report.verdict, ("[?]", report.verdict.upper()))
    reqs = report.requirement_counts
    tests = report.test_counts
    target = code(report.base_url) if report.base_url else "(not recorded)"
    lines = [
        "## Segment Jobs API conformance",
        "",
        f"**{marker} {word}**",
        "",
        *([f"Run stopped: {cell(report.aborted, 300)}", ""] if report.aborted else []),
        f"- Target: {target}, profile {code(report.profile)}",
        f"- Suite {cell(report.version or '-')}, spec sha256 {code(report.spec_sha256[:12])}, "
        f"seed {code(report.seed)}, started {cell(report.started_display or '-')}, "
        f"took {format_duration(report.duration_s)}",
        "- Requirements: " + ", ".join(f"{reqs.get(k, 0)} {k}" for k in REQUIREMENT_COUNTS),
        "- Tests: " + ", ".join(f"{tests.get(k, 0)} {k}" for k in TEST_COUNTS),
        "",
    ]
    failed = report.failed_requirements
    if failed:
        lines += [
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
                f"... and {more} more failed requirement{'s' if more != 1 else ''}, "
                "listed in the full report.",
            ]
        lines.append("")
    else:
        lines += ["No requirement failed or errored.", ""]
    lines.append(
        "Full report: `report.html` in the same folder as this summary (with `results.json` and "
        "`junit.xml`); each failure there has its request, response excerpt and a curl line to reproduce it."
    )
    return "\n".join(lines) + "\n"
