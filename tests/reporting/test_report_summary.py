"""summary.md: short, plain-text markers, and the failed requirements in a capped table."""

from __future__ import annotations

import re
from typing import Any

from conformance.reporting import render_summary
from conformance.reporting.markdown import MAX_ROWS, cell

Results = dict[str, Any]

# Pictographs, dingbats, symbols and variation selectors: what a marker must not be.
EMOJI = re.compile("[\u2600-\u27bf\u2b00-\u2bff\ufe0f\U0001f000-\U0001faff]")


def _table_rows(text: str) -> list[list[str]]:
    rows = []
    for line in text.splitlines():
        if line.startswith("| ") and not line.startswith("| ID "):
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


def test_cell_escaping() -> None:
    assert cell("a|b") == "a\\|b"
    assert cell("x\n  y") == "x y"
    assert cell("<b>&") == "&lt;b&gt;&amp;"
    assert cell("`code` *em* [link]") == "\\`code\\` \\*em\\* \\[link\\]"
