"""CI output: GitHub workflow commands from a results dict (escaping, masking, levels), the step summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conformance import _ci
from conformance._redact import Redactor

TOKEN = "tok-PLANTED-c1c1c1"
GITHUB = {"GITHUB_ACTIONS": "true"}


def row(req_id: str, level: str, outcome: str, **failure: Any) -> dict[str, Any]:
    failures = [{"test": "test_x.py::test_y", "outcome": "fail", **failure}] if failure else []
    return {
        "id": req_id,
        "level": level,
        "title": f"title of {req_id}",
        "outcome": outcome,
        "failures": failures,
    }


MESSAGE = (
    "[SJ-GET-002] GET of an unknown job id answers 404\n"
    "  expected: HTTP status [404]\n"
    "  got:      HTTP 500 '100% broken, really: yes'\n"
    f"  curl:     curl -X GET http://h/segment/jobs/x -H 'Authorization: Bearer {TOKEN}'"
)
CURL = f"curl -X GET http://h/segment/jobs/x -H 'Authorization: Bearer {TOKEN}'"


def results(*rows: dict[str, Any]) -> dict[str, Any]:
    return {"requirements": list(rows)}


def test_data_escapes_percent_and_line_breaks_only() -> None:
    assert _ci.escape_data("100%\r\nnext: a, b") == "100%25%0D%0Anext: a, b"


def test_properties_also_escape_colon_and_comma() -> None:
    assert _ci.escape_property("SJ-X (MUST): a, b\n%") == "SJ-X (MUST)%3A a%2C b%0A%25"


def test_a_failed_must_is_an_error_with_id_title_expected_got_test_and_curl() -> None:
    (line,) = _ci.workflow_commands(results(row("SJ-GET-002", "MUST", "fail", message=MESSAGE, curl=CURL)))
    assert line.startswith(
        "::error title=SJ-GET-002 (MUST)%3A title of SJ-GET-002::SJ-GET-002 title of SJ-GET-002%0A"
    )
    message = line.split("::", 2)[2]
    assert message.split("%0A") == [
        "SJ-GET-002 title of SJ-GET-002",
        "expected: HTTP status [404]",
        "got: HTTP 500 '100%25 broken, really: yes'",
        "in test_x.py::test_y",
        CURL,
    ]
    assert "\n" not in line and "\r" not in line


def test_levels_decide_the_command_and_only_failures_are_annotated() -> None:
    lines = _ci.workflow_commands(
        results(
            row("SJ-A-001", "MUST", "fail", message="boom"),
            row("SJ-A-002", "SHOULD", "fail", message="boom"),
            row("SJ-A-003", "MAY", "fail", message="boom"),
            row("SJ-A-004", "MUST", "error", message="boom"),
            row("SJ-A-005", "MUST", "pass"),
            row("SJ-A-006", "MUST", "disabled"),
        )
    )
    assert [line.split(" ", 2)[:2] for line in lines] == [
        ["::error", "title=SJ-A-001"],
        ["::warning", "title=SJ-A-002"],
    ]


def test_secrets_are_masked_in_title_and_message() -> None:
    leaky = row("SJ-GET-002", "MUST", "fail", message=MESSAGE, curl=CURL)
    leaky["title"] = f"title with {TOKEN}"
    (line,) = _ci.workflow_commands(results(leaky), Redactor.of([TOKEN]))
    assert TOKEN not in line
    assert "Bearer ***" in line and "title with ***" in line


def test_more_failures_of_one_requirement_are_counted() -> None:
    many = row("SJ-A-001", "MUST", "fail", message="first")
    many["failures"] += [
        dict(many["failures"][0], message="second"),
        dict(many["failures"][0], outcome="blocked"),
    ]
    (line,) = _ci.workflow_commands(results(many))
    assert line.endswith("%0A(and 1 more failures: see report.html)")
    assert "first" in line and "second" not in line


def test_nothing_outside_github_actions(tmp_path: Path) -> None:
    summary = tmp_path / "step.md"
    failed = results(row("SJ-A-001", "MUST", "fail", message="boom"))
    for environ in ({}, {"GITHUB_ACTIONS": "false"}, {"CI": "true", "GITLAB_CI": "true"}):
        assert _ci.at_end(failed, {**environ, "GITHUB_STEP_SUMMARY": str(summary)}, tmp_path) == []
    assert not summary.exists()


def test_the_step_summary_gets_summary_md_appended_and_masked(tmp_path: Path) -> None:
    (tmp_path / "summary.md").write_text(f"## Segment Jobs API conformance\n\ncurl … Bearer {TOKEN}\n")
    step = tmp_path / "step.md"
    step.write_text("earlier step\n")
    environ = {**GITHUB, "GITHUB_STEP_SUMMARY": str(step)}
    lines = _ci.at_end(results(), environ, tmp_path, Redactor.of([TOKEN]))
    assert lines == []
    text = step.read_text()
    assert text.startswith("earlier step\n## Segment Jobs API conformance\n")
    assert TOKEN not in text and "Bearer ***" in text


def test_a_summary_that_cannot_be_written_is_a_warning_not_a_crash(tmp_path: Path) -> None:
    environ = {**GITHUB, "GITHUB_STEP_SUMMARY": str(tmp_path / "no" / "such" / "dir" / "step.md")}
    (tmp_path / "summary.md").write_text("x\n")
    (line,) = _ci.at_end(results(), environ, tmp_path)
    assert line.startswith("::warning title=segment-jobs-conformance::summary.md could not be added")
