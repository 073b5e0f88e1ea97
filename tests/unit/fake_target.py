"""A fake Segment Jobs target on a fake clock, for the job tracker's tests: no socket, no sleeping.

Jobs run ``job_seconds`` (NEW, then PROCESSING, then SUCCEEDED). A cancel answers 204 at once and is applied
``cancel_delay`` seconds later (``None``: never, the cancel is ignored); once applied the job is CANCELLED,
and with ``remove_after`` it is gone that many seconds later (404 from GET, absent from list and bulk-get).
Listings and bulk-get show each job as it was ``view_lag`` seconds before. Time passes only when the
tracker sleeps (:class:`FakeClock`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import httpx

from conformance._client import ApiClient
from conformance._jobs import JobTracker
from conformance._redact import Redactor

BASE = "http://target.test/data/core/ups"
HEADERS = {
    "Authorization": "Bearer t",
    "x-api-key": "k",
    "x-gw-ims-org-id": "O@AdobeOrg",
    "x-sandbox-name": "prod",
}


@dataclass
class FakeClock:
    now: float = 1000.0
    slept: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@dataclass
class FakeJob:
    id: str
    created: float
    cancelled_at: float | None = None


@dataclass
class FakeTarget:
    clock: FakeClock
    job_seconds: float = 10.0
    cancel_delay: float | None = 0.0
    remove_after: float | None = None
    view_lag: float = 0.0
    jobs: dict[str, FakeJob] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    # -- the job's state at a time ------------------------------------------------------------------
    def status(self, job: FakeJob, at: float) -> str | None:
        """The job's status at ``at``; None once it is gone."""
        applied = self._applied(job)
        end = job.created + self.job_seconds
        if applied is not None and applied < end and at >= applied:
            if self.remove_after is not None and at >= applied + self.remove_after:
                return None
            return "CANCELLED"
        if at >= end:
            return "SUCCEEDED"
        return "NEW" if at < job.created + 0.1 * self.job_seconds else "PROCESSING"

    def _applied(self, job: FakeJob) -> float | None:
        if job.cancelled_at is None or self.cancel_delay is None:
            return None
        return job.cancelled_at + self.cancel_delay

    def body(self, job: FakeJob, at: float) -> dict[str, Any] | None:
        status = self.status(job, at)
        return None if status is None else {"id": job.id, "status": status, "updateTime": round(at * 1000)}

    # -- HTTP -----------------------------------------------------------------------------------------
    def handler(self, request: httpx.Request) -> httpx.Response:
        now = self.clock.now
        path = request.url.path.removeprefix("/data/core/ups")
        self.requests.append(f"{request.method} {path}")
        if request.headers.get("x-sandbox-name") != "prod":
            return httpx.Response(404, json={"status": 404})
        if path == "/segment/jobs" and request.method == "POST":
            job = FakeJob(f"job-{len(self.jobs) + 1}", now)
            self.jobs[job.id] = job
            return httpx.Response(200, json=self.body(job, now))
        if path == "/segment/jobs" and request.method == "GET":
            children = [b for j in self.jobs.values() if (b := self.body(j, now - self.view_lag))]
            return httpx.Response(200, json={"_page": {"totalCount": len(children)}, "children": children})
        if path == "/segment/jobs/bulk-get":
            ids = [item["id"] for item in json.loads(request.content)["ids"]]
            shown = {i: self.body(self.jobs[i], now - self.view_lag) for i in ids if i in self.jobs}
            return httpx.Response(207, json={"results": {i: b for i, b in shown.items() if b}})
        match = re.fullmatch(r"/segment/jobs/([^/]+)", path)
        found = self.jobs.get(match.group(1)) if match else None
        body = self.body(found, now) if found is not None else None
        if found is None or body is None:
            return httpx.Response(404, json={"status": 404, "title": "not found"})
        if request.method == "DELETE":
            if found.cancelled_at is None:
                found.cancelled_at = now
            return httpx.Response(204)
        return httpx.Response(200, json=body)


def tracked_target(
    *, job_timeout: float = 120.0, cancel_timeout: float = 5.0, **target: Any
) -> tuple[FakeTarget, ApiClient, JobTracker]:
    """The fake target, a client to it and a job tracker hooked to the client, as a run wires them."""
    clock = FakeClock()
    fake = FakeTarget(clock, **target)
    api = ApiClient(BASE, HEADERS, redactor=Redactor(), transport=httpx.MockTransport(fake.handler))
    jobs = JobTracker(
        api,
        max_jobs=20,
        poll_interval=0.25,
        default_sandbox="prod",
        job_timeout=job_timeout,
        cancel_timeout=cancel_timeout,
        clock=clock,
        sleep=clock.sleep,
    )
    api.on_exchange = jobs.observe_exchange
    api.guard = jobs.guard
    return fake, api, jobs


def job_of(api: ApiClient, jobs: JobTracker) -> str:
    """A job created through the tracker: its id."""
    return str(json.loads(jobs.create(["seg-1"]).body)["id"])
