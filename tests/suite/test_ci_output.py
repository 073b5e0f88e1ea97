"""On GitHub Actions a run annotates its failed requirements and appends summary.md to the step summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from selftest import run_suite

TOKEN = "tok-PLANTED-9e9e9e"
API_KEY = "key-PLANTED-7d7d7d"


def test_a_planted_fault_is_an_error_annotation_and_the_summary_lands_in_the_step_summary(
    tmp_path: Path, reference_server: Any
) -> None:
    secrets = {"SEGJOBS_ACCESS_TOKEN": TOKEN, "SEGJOBS_API_KEY": API_KEY}
    server = reference_server(["--fault", "unknown-id-500"], env=secrets)
    step_summary = tmp_path / "step-summary.md"
    step_summary.write_text("### an earlier step\n")
    github = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(step_summary)}
    run = run_suite(
        tmp_path, "--base-url", server.base_url, "--select", "SJ-GET-002", env={**secrets, **github}
    )
    assert run.returncode == 1, run.stdout + run.stderr

    commands = [line for line in run.stdout.splitlines() if line.startswith("::")]
    errors = {line.split("::", 2)[1]: line.split("::", 2)[2] for line in commands}
    assert set(errors) == {
        "error title=SJ-GET-002 (MUST)%3A GET of an unknown job id answers 404",
        "error title=SJ-ERROR-001 (MUST)%3A No request%2C however malformed%2C is answered with a 5xx",
    }, commands
    message = errors["error title=SJ-GET-002 (MUST)%3A GET of an unknown job id answers 404"].split("%0A")
    assert message[0] == "SJ-GET-002 GET of an unknown job id answers 404"
    # the first failing test of SJ-GET-002 speaks (an unknown id, or a near miss of a known one)
    assert any(part.startswith("expected: HTTP status ") for part in message), message
    assert any(part.startswith("got: HTTP 500") for part in message)
    assert any(part.startswith("in test_") and "_id" in part for part in message), message
    (curl,) = [part for part in message if part.startswith("curl ")]
    assert curl.startswith(f"curl -X GET {server.base_url}/segment/jobs/")
    assert "-H 'Authorization: Bearer ***' -H 'x-api-key: ***'" in curl

    summary_md = (tmp_path / "reports" / "summary.md").read_text()
    assert step_summary.read_text() == "### an earlier step\n" + summary_md
    assert "NON-CONFORMANT" in summary_md
    for text in (run.stdout, run.stderr, step_summary.read_text()):
        assert TOKEN not in text and API_KEY not in text


def test_without_github_actions_there_is_no_workflow_command(tmp_path: Path) -> None:
    step_summary = tmp_path / "step-summary.md"
    run = run_suite(
        tmp_path,
        "--select",
        "SJ-GET-002",
        env={"GITHUB_ACTIONS": "", "GITHUB_STEP_SUMMARY": str(step_summary)},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert not [line for line in run.stdout.splitlines() if line.startswith("::")]
    assert not step_summary.exists()
