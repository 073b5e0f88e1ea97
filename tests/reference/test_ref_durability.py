"""Durability: a job acknowledged with 200 survives kill -9 of the server, and its life resumes where
time says. Runs the server as a separate process on a --db file."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance.reference import ServerSettings, start_subprocess

pytestmark = pytest.mark.slow

SETTINGS = ServerSettings.from_env({})
HEADERS = {
    "Authorization": f"Bearer {SETTINGS.access_token}",
    "x-api-key": SETTINGS.api_key,
    "x-gw-ims-org-id": SETTINGS.ims_org,
}


def clean_env() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if not name.startswith("SEGJOBS_")}


def expected_statuses(job: dict[str, Any], now_ms: float, job_ms: int, cancelled: bool) -> set[str]:
    """The statuses time allows for ``job`` at ``now_ms`` (1 ms of slack for rounding)."""
    if cancelled:
        return {"CANCELLING", "CANCELLED"}
    final = "FAILED" if job["segments"][0]["segmentId"] == SETTINGS.failing_segment_id else "SUCCEEDED"

    def status(age: float) -> str:
        if age < job_ms // 10:
            return "NEW"
        if age < job_ms // 4:
            return "QUEUED"
        return "PROCESSING" if age < job_ms else final

    age = now_ms - job["creationTime"]
    return {status(age - 1), status(age + 1)}


def test_acknowledged_jobs_survive_kill_9_and_resume(tmp_path: Path) -> None:
    db = tmp_path / "jobs.db"
    job_seconds = 3.0
    job_ms = int(job_seconds * 1000)
    args = ["--db", str(db), "--job-seconds", str(job_seconds)]

    server = start_subprocess(args, env=clean_env())
    acknowledged: list[dict[str, Any]] = []
    cancelled: set[str] = set()
    try:
        with httpx.Client(base_url=server.base_url, headers=HEADERS, timeout=10) as client:
            segments = [*SETTINGS.segment_ids, SETTINGS.failing_segment_id]
            for index in range(60):
                response = client.post("/segment/jobs", json=[{"segmentId": segments[index % 4]}])
                assert response.status_code == 200
                acknowledged.append(response.json())
                if index % 10 == 3:
                    assert client.delete(f"/segment/jobs/{acknowledged[-1]['id']}").status_code == 204
                    cancelled.add(acknowledged[-1]["id"])
                time.sleep(0.01)
        os.kill(server.pid, signal.SIGKILL)
        assert server.process.wait(10) == -signal.SIGKILL
    finally:
        server.kill()

    assert db.exists()
    restarted = start_subprocess(args, env=clean_env())
    with restarted, httpx.Client(base_url=restarted.base_url, headers=HEADERS, timeout=10) as client:
        listed = client.get("/segment/jobs", params={"limit": 100}).json()
        assert listed["_page"]["totalCount"] == len(acknowledged)
        assert {job["id"] for job in listed["children"]} == {job["id"] for job in acknowledged}
        for job in acknowledged:
            before = time.time() * 1000
            now = client.get(f"/segment/jobs/{job['id']}").json()
            after = time.time() * 1000
            assert now["creationTime"] == job["creationTime"]
            assert now["segments"] == job["segments"]
            allowed = expected_statuses(job, before, job_ms, job["id"] in cancelled)
            allowed |= expected_statuses(job, after, job_ms, job["id"] in cancelled)
            assert now["status"] in allowed, (now["status"], allowed)

        time.sleep(job_seconds + 0.2)  # after a restart, jobs keep moving and all finish
        for job in acknowledged:
            final = client.get(f"/segment/jobs/{job['id']}").json()
            assert final["status"] in expected_statuses(
                job, time.time() * 1000, job_ms, job["id"] in cancelled
            )
            assert final["status"] in {"SUCCEEDED", "FAILED", "CANCELLED"}


def test_temporary_database_is_deleted_on_stop() -> None:
    server = start_subprocess([], env=clean_env())
    try:
        log = server.log()
        line = next(line for line in log.splitlines() if line.strip().startswith("database"))
        db = Path(line.split()[-1])
        assert db.exists()
        with httpx.Client(base_url=server.base_url, headers=HEADERS) as client:
            assert (
                client.post("/segment/jobs", json=[{"segmentId": SETTINGS.segment_ids[0]}]).status_code == 200
            )
    finally:
        code = server.stop()
    assert code == 0
    assert not db.exists()
    assert not Path(f"{db}-wal").exists()
