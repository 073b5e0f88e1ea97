"""Cost control: every job the run leaves running is cancelled at the end, and an interrupted run still writes
results.json (and still cleans up)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from selftest import ONE_PROCESS, run_suite

from conformance._config import load_settings

RUNNING = {"NEW", "QUEUED", "PROCESSING"}


def statuses_on(server_url: str) -> dict[str, str]:
    settings = load_settings({}, {})
    page = httpx.get(
        f"{server_url}/segment/jobs", params={"limit": "100"}, headers=settings.auth_headers(), timeout=10
    ).json()
    return {job["id"]: job["status"] for job in page["children"]}


def run_env(extra: dict[str, str]) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SEGJOBS_")} | ONE_PROCESS
    environ.update(extra)
    return environ


@pytest.mark.slow
def test_jobs_left_running_are_cancelled_at_the_end(tmp_path: Path, reference_server: Any) -> None:
    server = reference_server(["--job-seconds", "120"])
    run = run_suite(
        tmp_path, "--profile", "quick", "--base-url", server.base_url, env={"SEGJOBS_JOB_TIMEOUT": "1"}
    )
    assert run.returncode == 1, run.stdout + run.stderr  # the jobs cannot finish within 1 s
    statuses = statuses_on(server.base_url)
    assert statuses, "the run created jobs"
    assert not {s for s in statuses.values() if s in RUNNING}, statuses


@pytest.mark.slow
def test_an_interrupted_run_writes_results_and_cleans_up(tmp_path: Path, reference_server: Any) -> None:
    server = reference_server(["--job-seconds", "120"])
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "conformance",
            "run",
            "--profile",
            "quick",
            "--base-url",
            server.base_url,
            "--report-dir",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=run_env({"SEGJOBS_JOB_TIMEOUT": "100"}),
        # as from a terminal: a pytest-xdist worker ignores SIGINT, and a child inherits an ignored signal
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 60
    while not statuses_on(server.base_url) and time.monotonic() < deadline:  # wait until jobs exist
        time.sleep(0.2)
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=180)  # generous: a loaded CI machine, not a measure of speed
    assert proc.returncode == 3, out + err
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["verdict"] == "error"
    assert results["aborted"] == "the run was interrupted"
    statuses = statuses_on(server.base_url)
    assert not {s for s in statuses.values() if s in RUNNING}, statuses
