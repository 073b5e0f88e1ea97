"""Concurrent clients: no create is lost, and a cancel racing a job's progress is never lost."""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.slow


def test_200_concurrent_creates_give_200_distinct_listed_jobs(make_api: Any) -> None:
    api = make_api()  # real clock
    segment = api.settings.segment_ids[0]

    def create_many(count: int) -> list[str]:
        with httpx.Client(base_url=api.base_url, headers=api.headers, timeout=30) as client:
            ids = []
            for _ in range(count):
                response = client.post("/segment/jobs", json=[{"segmentId": segment}])
                assert response.status_code == 200, response.text
                ids.append(response.json()["id"])
            return ids

    with ThreadPoolExecutor(max_workers=8) as pool:
        batches = list(pool.map(create_many, [25] * 8))
    created = [job_id for batch in batches for job_id in batch]
    assert len(created) == len(set(created)) == 200

    listed = [job["id"] for job in api.walk("/segment/jobs?limit=100")]
    assert len(listed) == len(set(listed)) == 200
    assert set(listed) == set(created)
    assert api.list()["_page"]["totalCount"] == 200


def test_a_cancel_racing_progress_is_never_lost(make_api: Any) -> None:
    """Jobs of 0.3 s are cancelled around the moment they finish while other clients poll them.

    A 204 cancel either found the job finished (then the job finished no later than the cancel's answer)
    or it did not (then the job ends CANCELLED, its cancel inside the cancel request's time window).
    """
    job_seconds = 0.3
    api = make_api(job_seconds=job_seconds)
    rng = random.Random(1234)
    stop = threading.Event()
    created: list[dict[str, Any]] = []

    def poll() -> None:
        with httpx.Client(base_url=api.base_url, headers=api.headers, timeout=30) as client:
            while not stop.is_set():
                for job in list(created[-5:]):
                    assert client.get(f"/segment/jobs/{job['id']}").status_code == 200
                client.get("/segment/jobs", params={"limit": 5})

    def cancel_near_the_end(job: dict[str, Any], delay: float) -> tuple[float, float, int]:
        with httpx.Client(base_url=api.base_url, headers=api.headers, timeout=30) as client:
            time.sleep(max(0.0, job["creationTime"] / 1000 + delay - time.time()))
            sent = time.time()
            status = client.delete(f"/segment/jobs/{job['id']}").status_code
            return sent, time.time(), status

    pollers = [threading.Thread(target=poll) for _ in range(3)]
    for poller in pollers:
        poller.start()
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            futures = []
            for _ in range(40):
                job = api.create()
                created.append(job)
                delay = job_seconds + rng.uniform(-0.03, 0.03)
                futures.append((job, pool.submit(cancel_near_the_end, job, delay)))
                time.sleep(0.01)
            outcomes = [(job, future.result()) for job, future in futures]
    finally:
        stop.set()
        for poller in pollers:
            poller.join()

    time.sleep(0.5)  # let every CANCELLING job reach CANCELLED
    seen = {"SUCCEEDED": 0, "CANCELLED": 0}
    for job, (sent, answered, status) in outcomes:
        assert status == 204
        final = api.get(job["id"])
        seen[final["status"]] += 1
        if final["status"] == "SUCCEEDED":
            assert final["updateTime"] <= answered * 1000 + 1, (
                "the job finished after a cancel that found it running"
            )
        else:
            assert final["status"] == "CANCELLED"
            cancel_ms = final["updateTime"] - 50  # CANCELLING lasts max(50 ms, 10 % of 0.3 s) = 50 ms
            assert sent * 1000 - 1 <= cancel_ms <= answered * 1000 + 1
            assert cancel_ms < job["creationTime"] + job_seconds * 1000
    assert seen["CANCELLED"] > 0
