"""--background-creates: another client creates jobs in every sandbox for the server's whole life; they run
their normal life, are never cancelled, and stop being created when the server stops."""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance.reference import ServerSettings
from conformance.reference.background import rotation

Api = Any  # the fixtures of conftest.py
ServerFactory = Any

INTERVAL = 0.05
JOB_SECONDS = 0.3


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def count_jobs(db: Path) -> int:
    with sqlite3.connect(db) as connection:
        (count,) = connection.execute("SELECT COUNT(*) FROM jobs").fetchone()
    return int(count)


@pytest.fixture
def busy(make_api: ServerFactory, tmp_path: Path) -> Api:
    """A server on the real clock whose other client creates a job per sandbox every 50 ms."""
    return make_api(
        clock=None,
        db_path=str(tmp_path / "busy.db"),
        background_create_seconds=INTERVAL,
        job_seconds=JOB_SECONDS,
    )


def test_jobs_appear_over_time_in_every_sandbox(busy: Api) -> None:
    wait_for(lambda: busy.list()["_page"]["totalCount"] >= 3)
    first = busy.list()["_page"]["totalCount"]
    wait_for(lambda: busy.list()["_page"]["totalCount"] >= first + 3)
    assert busy.in_sandbox("dev").list()["_page"]["totalCount"] >= 3


def test_the_segment_definitions_take_turns(busy: Api) -> None:
    turn = rotation(busy.settings)
    assert turn == (*busy.settings.segment_ids, busy.settings.failing_segment_id)
    wait_for(lambda: busy.list()["_page"]["totalCount"] >= 2 * len(turn))
    oldest = busy.list(sort="creationTime:asc", limit=2 * len(turn))["children"]
    assert [job["segments"][0]["segmentId"] for job in oldest] == [*turn, *turn]
    assert all(len(job["segments"]) == 1 for job in oldest)


def test_jobs_run_their_life_and_are_never_cancelled(busy: Api) -> None:
    seen: dict[str, list[str]] = {}
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:
        for job in busy.list(limit=100)["children"]:
            statuses = seen.setdefault(job["id"], [])
            if not statuses or statuses[-1] != job["status"]:
                statuses.append(job["status"])
        time.sleep(0.02)
    failing = busy.settings.failing_segment_id
    finished = 0
    for job_id, statuses in seen.items():
        assert "CANCELLING" not in statuses and "CANCELLED" not in statuses
        assert statuses == sorted(statuses, key=["NEW", "QUEUED", "PROCESSING", "SUCCEEDED", "FAILED"].index)
        if statuses[-1] in ("SUCCEEDED", "FAILED"):
            finished += 1
            job = busy.get(job_id)
            assert statuses[-1] == ("FAILED" if job["segments"][0]["segmentId"] == failing else "SUCCEEDED")
            assert job["updateTime"] - job["creationTime"] == pytest.approx(JOB_SECONDS * 1000, abs=1)
    assert finished >= 5
    assert Counter(status for statuses in seen.values() for status in statuses)["PROCESSING"] >= 1


def test_jobs_look_like_jobs_created_by_a_post(busy: Api) -> None:
    posted = busy.create(busy.settings.segment_ids[0])
    wait_for(lambda: busy.list()["_page"]["totalCount"] >= 5)
    time.sleep(JOB_SECONDS + 0.05)
    posted = busy.get(posted["id"])
    other = next(
        job
        for job in busy.list(status="SUCCEEDED", limit=100)["children"]
        if job["id"] != posted["id"] and job["segments"] == posted["segments"]
    )
    assert other.keys() == posted.keys()
    assert other["metrics"].keys() == posted["metrics"].keys()
    assert other["sandbox"] == posted["sandbox"]


def test_no_job_is_created_once_the_server_stops(busy: Api, tmp_path: Path) -> None:
    wait_for(lambda: busy.list()["_page"]["totalCount"] >= 2)
    began = time.monotonic()
    busy.server.stop()
    assert time.monotonic() - began < 2.0
    assert not busy.server._thread.is_alive()
    stored = count_jobs(tmp_path / "busy.db")
    time.sleep(5 * INTERVAL)
    assert count_jobs(tmp_path / "busy.db") == stored


def test_requests_are_served_while_the_other_client_creates(busy: Api) -> None:
    began = time.monotonic()
    for _ in range(50):
        assert busy.create()["status"] == "NEW"
        busy.list(limit=5)
    assert time.monotonic() - began < 5.0


def test_off_by_default(make_api: ServerFactory) -> None:
    api = make_api(clock=None, job_seconds=JOB_SECONDS)
    time.sleep(0.3)
    assert api.list()["_page"]["totalCount"] == 0
    assert ServerSettings.from_env({}).background_create_seconds is None


@pytest.mark.parametrize("seconds", [0.0, -1.0, float("inf"), float("nan")])
def test_the_interval_must_be_a_positive_number(seconds: float) -> None:
    with pytest.raises(ValueError, match="background_create_seconds"):
        ServerSettings(background_create_seconds=seconds)


def test_preload_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="preload"):
        ServerSettings(preload=-1)
