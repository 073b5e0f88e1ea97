"""Only our own jobs: no request of a run cancels or changes a job the run did not create.

The target holds jobs of "other clients" before the run (preloaded finished ones, and a few running ones
planted over HTTP just before it) and keeps getting new ones while it runs (``--background-creates``), the
newest of which is always at the top of the listing. Every request the server saw is in its access log.
After the run: no DELETE named a job that the run did not create, no foreign job ended CANCELLING or
CANCELLED, and every foreign job that was finished before the run is exactly as it was (status, updateTime).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from selftest import run_suite

from conformance._config import DEFAULT_SECOND_SANDBOX, load_settings
from conformance._jobs import UNKNOWN_PREFIX

SETTINGS = load_settings({}, {})
SANDBOXES = (SETTINGS.sandbox, DEFAULT_SECOND_SANDBOX)
SERVER_ARGS = ("--job-seconds", "0.5", "--preload", "30", "--background-creates", "0.3", "--access-log")
DELETE_LINE = re.compile(r'"DELETE (\S+) HTTP/[0-9.]+"')
JOBS_PATH = "/segment/jobs/"


def all_jobs(base_url: str) -> dict[str, dict[str, Any]]:
    """Every job of both sandboxes, by id (walking the pages of the oldest first)."""
    found: dict[str, dict[str, Any]] = {}
    with httpx.Client(base_url=base_url, timeout=10) as client:
        for sandbox in SANDBOXES:
            start = 0
            while True:
                page = client.get(
                    "/segment/jobs",
                    params={"limit": "100", "start": str(start), "sort": "creationTime:asc"},
                    headers=SETTINGS.auth_headers(sandbox),
                ).json()
                for job in page["children"]:
                    found[job["id"]] = job
                start += len(page["children"])
                if not page["children"] or start >= page["_page"]["totalCount"]:
                    break
    return found


def plant(base_url: str, count: int) -> list[str]:
    """Jobs created by "another client" right before the run (still running when it starts)."""
    ids = []
    with httpx.Client(base_url=base_url, timeout=10) as client:
        for _ in range(count):
            answer = client.post(
                "/segment/jobs",
                json=[{"segmentId": SETTINGS.segment_ids[0]}],
                headers=SETTINGS.auth_headers(),
            )
            ids.append(answer.json()["id"])
    return ids


def deleted_ids(log: str) -> list[str]:
    return [
        unquote(path.split("?", 1)[0].split(JOBS_PATH, 1)[1])
        for path in DELETE_LINE.findall(log)
        if JOBS_PATH in path
    ]


def assert_foreign_jobs_untouched(server: Any, tmp_path: Path, *args: str) -> dict[str, Any]:
    before = all_jobs(server.base_url)
    planted = plant(server.base_url, 3)
    run = run_suite(tmp_path, "--base-url", server.base_url, "--seed", "1", *args)
    output = run.stdout + run.stderr
    assert run.results is not None, output[-3000:]
    assert "Traceback (most recent call last)" not in output, output[-3000:]
    after = all_jobs(server.base_url)
    server.stop()  # the whole access log
    ours = {job["id"] for job in run.results["jobs"]}
    foreign = set(after) - ours
    assert set(planted) <= foreign and set(before) <= foreign
    deletes = deleted_ids(server.log())
    named = [i for i in deletes if i in foreign]
    assert not named, f"DELETE of jobs the run did not create: {named}"
    for job_id in deletes:  # every other DELETE named a job of ours or an id that cannot exist
        assert job_id in ours or job_id.startswith(UNKNOWN_PREFIX) or job_id not in after, job_id
    cancelled = {i: after[i]["status"] for i in foreign if after[i]["status"] in ("CANCELLING", "CANCELLED")}
    cancelled = {i: s for i, s in cancelled.items() if i not in before}  # preloaded CANCELLED ones were so
    assert not cancelled, f"foreign jobs cancelled: {cancelled}"
    for job_id, job in before.items():
        if job["status"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            now = after[job_id]
            assert (now["status"], now["updateTime"]) == (job["status"], job["updateTime"]), job_id
    return run.results


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(("--profile", "quick"), id="quick"),
        pytest.param(("--profile", "quick", "--read-only"), id="read-only"),
    ],
)
def test_a_run_touches_only_its_own_jobs(
    reference_server: Any, tmp_path: Path, args: tuple[str, ...]
) -> None:
    server = reference_server(list(SERVER_ARGS))
    results = assert_foreign_jobs_untouched(server, tmp_path, *args)
    assert results["verdict"] in ("conformant", "incomplete"), results["verdict"]


@pytest.mark.slow
@pytest.mark.parametrize("profile", ["standard", "full"])
def test_every_profile_touches_only_its_own_jobs(reference_server: Any, tmp_path: Path, profile: str) -> None:
    server = reference_server(list(SERVER_ARGS))
    results = assert_foreign_jobs_untouched(server, tmp_path, "--profile", profile)
    assert results["verdict"] == "conformant", results["coverage"]


def test_a_run_whose_own_create_is_not_answered_200_cancels_no_other_job(
    reference_server: Any, tmp_path: Path
) -> None:
    """The property tests' cancel needs a job of the run; when the create is not answered 200 it has none, and
    the newest job of the listing (another client's, just created) must not take its place."""
    server = reference_server([*SERVER_ARGS, "--fault", "create-201"])
    results = assert_foreign_jobs_untouched(
        server, tmp_path, "--profile", "quick", "--select", "test_cancel_with_valid_ids", "--max-jobs", "1"
    )
    cancel = next(r for r in results["requirements"] if r["id"] == "SJ-CANCEL-003")
    assert cancel["outcome"] == "skip", cancel
    assert "no running job of the run was cancelled" in cancel["reason"]


def test_a_budget_below_the_selection_stops_before_anything_is_sent(
    reference_server: Any, tmp_path: Path
) -> None:
    server = reference_server(["--access-log"])
    requests_before = server.log().count(" HTTP/1.1")
    run = run_suite(
        tmp_path,
        "--base-url",
        server.base_url,
        "--max-jobs",
        "1",
        "--select",
        "test_a_create_body_not_sent_as_json_is_refused,test_cancel_with_valid_ids",
    )
    assert run.returncode == 2, run.stdout + run.stderr
    assert "may create up to 2 jobs" in run.stdout + run.stderr
    assert "--read-only" in run.stdout + run.stderr
    server.stop()
    assert server.log().count(" HTTP/1.1") == requests_before
