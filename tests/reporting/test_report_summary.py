"""summary.md: short, plain-text markers, the coverage, and the failed and undecided requirements in capped
tables."""

from __future__ import annotations

import re
from typing import Any

from results_factory import NO_JOB, UNTESTED_REASON, incomplete_results

from conformance.reporting import render_summary
from conformance.reporting.markdown import MAX_ROWS, MIN_UNDECIDED_ROWS, cell

Results = dict[str, Any]

# Pictographs, dingbats, symbols and variation selectors: what a marker must not be.
EMOJI = re.compile("[\u2600-\u27bf\u2b00-\u2bff\ufe0f\U0001f000-\U0001faff]")


def _table_rows(text: str, section: str = "### Failed requirements") -> list[list[str]]:
    """The rows of the table under the heading that starts with ``section``."""
    rows = []
    inside = False
    for line in text.splitlines():
        if line.startswith("### "):
            inside = line.startswith(section)
        if inside and line.startswith("| ") and not line.startswith("| ID "):
            cells = re.split(r"(?<!\\)\|", line.strip())[1:-1]
            rows.append([c.strip() for c in cells])
    return rows


def test_a_conformant_run(conformant: Results) -> None:
    text = render_summary(conformant)
    assert "**[PASS] CONFORMANT**" in text
    assert "No requirement failed or errored." in text
    assert "`http://127.0.0.1:8765`" in text
    assert "Requirements: 18 pass, 0 fail, 0 error, 0 skip, 2 disabled, 1 untested" in text
    assert "Tests: 16 passed, 0 failed, 0 errors, 2 skipped" in text
    assert "report.html" in text
    assert not EMOJI.search(text)


def test_a_nonconformant_run_lists_what_failed(nonconformant: Results) -> None:
    text = render_summary(nonconformant)
    assert "**[FAIL] NON-CONFORMANT**" in text
    assert not EMOJI.search(text)
    rows = _table_rows(text)
    failed = [r for r in nonconformant["requirements"] if r["outcome"] in ("fail", "error")]
    assert sorted(r[0].strip("`") for r in rows) == sorted(r["id"] for r in failed)
    assert all(len(r) == 5 for r in rows)
    # failures before errors within a level
    assert [r[2] for r in rows] == sorted((r[2] for r in rows), key=lambda o: o != "fail")
    cancel = next(r for r in rows if r[0] == "`SJ-CANCEL-001`")
    assert cancel[1] == "MUST"
    assert cancel[3] == "Cancel answers 204 with no content"
    assert cancel[4].startswith("SJ-CANCEL-001: expected status 204 with an empty body, got 200")
    # the pipe inside a message is escaped, so the table keeps its columns
    total = next(r for r in rows if r[0] == "`SJ-LIST-002`")
    assert "status==SUCCEEDED \\| seen across pages" in total[4]
    assert "Full report: `report.html`" in text


def test_the_table_is_capped(many_failures: Results) -> None:
    text = render_summary(many_failures)
    lines = text.splitlines()
    assert len(lines) < 60
    failed = [r for r in many_failures["requirements"] if r["outcome"] in ("fail", "error")]
    assert len(_table_rows(text)) == MAX_ROWS
    assert f"... and {len(failed) - MAX_ROWS} more failed requirements" in text
    assert f"### Failed requirements ({len(failed)})" in text
    # MUST rows come first
    levels = [r[1] for r in _table_rows(text)]
    assert levels == sorted(levels, key=["MUST", "SHOULD", "MAY"].index)


def test_messages_are_one_line_and_inert(nonconformant: Results) -> None:
    req = next(r for r in nonconformant["requirements"] if r["id"] == "SJ-CANCEL-001")
    req["failures"][0]["message"] = "line one\nline two | <script>x</script> " + "y" * 400
    text = render_summary(nonconformant)
    row = next(line for line in text.splitlines() if line.startswith("| `SJ-CANCEL-001`"))
    assert "line one line two \\| &lt;script&gt;x&lt;/script&gt;" in row
    assert row.endswith("\u2026 |")
    assert len(row) < 400


def test_an_error_run_says_why(conformant: Results) -> None:
    conformant.update(verdict="error", aborted="the target did not answer")
    text = render_summary(conformant)
    assert "**[ERROR]" in text
    assert "Run stopped: the target did not answer" in text


def test_an_incomplete_run(incomplete: Results) -> None:
    text = render_summary(incomplete)
    assert not EMOJI.search(text)
    assert (
        "**[INCOMPLETE] INCOMPLETE: no requirement in scope failed, but 2 MUST requirements and "
        "1 SHOULD requirement in scope could not be judged (no job to read; suite error; not run)**"
    ) in text
    lines = text.splitlines()
    assert (
        "- MUST: 5 passed, 0 failed, 2 undecided (no job to read; suite error), "
        "9 out of scope (read-only; no failing segment; no second sandbox)"
    ) in lines
    assert "- SHOULD: 2 passed, 0 failed, 1 undecided (not run), 0 out of scope" in lines
    out = next(line for line in lines if line.startswith("- Out of scope:"))
    assert "9 MUST or SHOULD requirements" in out
    assert "read-only; no failing segment; no second sandbox" in out
    assert len(lines) < 60


def test_undecided_requirements_are_listed_with_their_reasons(incomplete: Results) -> None:
    text = render_summary(incomplete)
    assert "### Undecided requirements (3)" in text
    assert "In scope, but not judged: no job to read; suite error; not run." in text
    rows = _table_rows(text, "### Undecided requirements")
    assert [r[0] for r in rows] == ["`SJ-GET-001`", "`SJ-BULK-001`", "`SJ-META-001`"]  # MUST first
    by_id = {r[0].strip("`"): r for r in rows}
    assert by_id["SJ-GET-001"][1:3] == ["MUST", "skip"]
    assert by_id["SJ-GET-001"][4] == NO_JOB
    assert by_id["SJ-BULK-001"][4] == "TypeError: 'NoneType' object is not subscriptable"
    assert by_id["SJ-META-001"][4] == UNTESTED_REASON
    # out-of-scope requirements are counted, not listed
    assert "SJ-SANDBOX-001" not in text


def test_the_undecided_table_is_capped(many_failures: Results) -> None:
    many = incomplete_results()
    extra = [
        {
            "id": f"SJ-MORE-{i:03d}",
            "level": "MUST",
            "title": f"More {i}",
            "outcome": "untested",
            "tests": [],
            "failures": [],
            "reason": UNTESTED_REASON,
        }
        for i in range(40)
    ]
    many["requirements"] += extra
    del many["coverage"]  # derived again, with the new rows
    text = render_summary(many)
    undecided = 3 + len(extra)
    assert f"### Undecided requirements ({undecided})" in text
    shown = len(_table_rows(text, "### Undecided requirements"))
    assert shown == MAX_ROWS - 1  # what the one failed (errored) requirement left
    assert f"... and {undecided - shown} more undecided requirements" in text
    assert len(text.splitlines()) < 70
    # with a full failure table, a few undecided rows still show
    text = render_summary(many_failures)
    assert len(_table_rows(text, "### Undecided requirements")) <= MIN_UNDECIDED_ROWS
    assert len(text.splitlines()) < 70


def test_an_old_results_file_gets_its_coverage_derived(nonconformant: Results) -> None:
    assert "coverage" not in nonconformant
    lines = render_summary(nonconformant).splitlines()
    assert (
        "- MUST: 9 passed, 4 failed, 1 undecided (suite error), 2 out of scope "
        "(SEGJOBS_FAILING_SEGMENT_ID is not set; SEGJOBS_SECOND_SANDBOX_NAME is not set)"
    ) in lines
    assert "- SHOULD: 2 passed, 0 failed, 1 undecided (not run), 0 out of scope" in lines


def test_a_failure_of_the_suite_is_summarised_as_expected_and_got(checks: Results) -> None:
    rows = {r[0].strip("`"): r for r in _table_rows(render_summary(checks))}
    assert rows["SJ-GET-002"][4] == (
        "expected HTTP status \\[404\\] to an id no job has; "
        'got HTTP 500 \'{"title":"InternalServerError","detail":"Lookup failed."}\''
    )
    assert rows["SJ-BULK-001"][4] == "not decided: the test stopped at a failure of SJ-GET-002, SJ-ERR-001"


def test_cell_escaping() -> None:
    assert cell("a|b") == "a\\|b"
    assert cell("x\n  y") == "x y"
    assert cell("<b>&") == "&lt;b&gt;&amp;"
    assert cell("`code` *em* [link]") == "\\`code\\` \\*em\\* \\[link\\]"
