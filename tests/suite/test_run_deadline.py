"""``--max-duration``: a run that reaches its deadline ends cleanly, as ``incomplete``, with its reports
written and its jobs cancelled; and a run against a ``--base-url`` target says its timings at the start."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from selftest import run_suite

from conformance._jobs import RUN_DEADLINE_REASON
from conformance.reference.settings import DEFAULT_ACCESS_TOKEN, DEFAULT_API_KEY, DEFAULT_IMS_ORG

HEADERS = {
    "Authorization": f"Bearer {DEFAULT_ACCESS_TOKEN}",
    "x-api-key": DEFAULT_API_KEY,
    "x-gw-ims-org-id": DEFAULT_IMS_ORG,
    "x-sandbox-name": "prod",
}


def test_a_run_that_reaches_max_duration_is_incomplete_with_its_jobs_cancelled(
    tmp_path: Path, reference_server: Any
) -> None:
    # jobs of a minute, and a run allowed 10 s: the first wait on a job is cut short by the deadline
    server = reference_server(["--job-seconds", "60"])
    run = run_suite(
        tmp_path,
        "--base-url",
        server.base_url,
        "--select",
        "lifecycle",
        "--max-duration",
        "10",
        env={"SEGJOBS_FAILING_SEGMENT_ID": "9a1fa11e-d000-4bad-8000-00000000fa11"},
    )
    assert run.returncode == 4, run.stdout + run.stderr
    results = run.results
    assert results is not None
    assert results["verdict"] == "incomplete"
    assert run.failed() == set()
    assert results["stats"]["max_duration_reached"] is True
    undecided = results["coverage"]["undecided_reasons"]
    assert undecided and all(RUN_DEADLINE_REASON in reason for reason in undecided.values()), undecided
    assert "--max-duration" in results["coverage"]["undecided_causes"]
    assert (tmp_path / "reports" / "report.html").is_file()
    assert "the run stops at --max-duration 10 s" in run.stdout
    # every job the run created was cancelled at the end: none is left running on the target
    created = [job["id"] for job in results["jobs"]]
    assert created
    assert results["stats"]["jobs_cancelled_at_end"] == len(created)
    with httpx.Client(base_url=server.base_url, headers=HEADERS) as client:
        statuses = {client.get(f"/segment/jobs/{job_id}").json()["status"] for job_id in created}
    assert statuses <= {"CANCELLING", "CANCELLED"}


def test_a_base_url_run_says_its_real_platform_timings_at_the_start(
    tmp_path: Path, reference_server: Any
) -> None:
    server = reference_server(["--job-seconds", "0.2"])
    run = run_suite(tmp_path, "--base-url", server.base_url, "--select", "SJ-GET-002", target_timings=True)
    assert run.returncode == 0, run.stdout + run.stderr
    first = run.stdout.splitlines()[0]
    assert first == (
        "segjobs: jobs may take 1800 s to finish (default against a --base-url target), "
        "a cancel 60 s to show (default against a --base-url target)"
    )
    assert run.results is not None
    assert (run.results["stats"]["job_timeout_s"], run.results["stats"]["cancel_timeout_s"]) == (1800, 60)
