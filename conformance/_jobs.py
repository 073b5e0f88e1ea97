"""Every job the suite creates: the budget (``--max-jobs``), what was observed of it, waiting, and clean-up.

Waiting is shared: one tracker polls every job that some test waits on, so tests that wait on jobs created
together overlap instead of adding up. Every status seen, by any request of the suite, is recorded with its
time; the reports draw the lifecycle from it.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from conformance._client import ApiClient, Exchange, TransportError
from conformance._lifecycle import TERMINAL

JOBS_SEGMENT = "/segment/jobs/"


#: ids the suite makes up for requests that must not find a job start with this (a server never issues one)
UNKNOWN_PREFIX = "segjobs-unknown-"


class BudgetExhausted(Exception):
    """The run may not create more jobs (``--max-jobs``)."""


class UnsafeRequest(Exception):
    """The suite was about to cancel a job this run did not create. Never sent: a bug of the suite."""


@dataclass
class Observation:
    t: float
    status: str
    body: dict[str, Any]


@dataclass
class TrackedJob:
    id: str
    sandbox: str
    segment_ids: tuple[str, ...]
    created_at: float
    observations: list[Observation] = field(default_factory=list)
    cancel_requested: bool = False

    @property
    def statuses(self) -> list[str]:
        return [o.status for o in self.observations]

    @property
    def last(self) -> Observation | None:
        return self.observations[-1] if self.observations else None

    @property
    def finished(self) -> bool:
        return bool(self.observations) and self.observations[-1].status in TERMINAL


class JobTracker:
    """Creates jobs within a budget, records their observed statuses, waits on them, cancels leftovers."""

    def __init__(
        self,
        client: ApiClient,
        *,
        max_jobs: int,
        poll_interval: float,
        default_sandbox: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.max_jobs = max_jobs
        self.poll_interval = poll_interval
        self.default_sandbox = default_sandbox
        self.clock = clock
        self.t0 = clock()
        self.jobs: dict[str, TrackedJob] = {}
        self.attempts = 0
        #: ids made up by the suite, which no job has: the only others a DELETE may name
        self.unknown_ids: set[str] = set()
        self._lock = threading.RLock()

    # -- creation ------------------------------------------------------------------------------------
    def reserve(self, count: int = 1) -> None:
        with self._lock:
            if self.attempts + count > self.max_jobs:
                raise BudgetExhausted(
                    f"the job budget is used up ({self.attempts} of --max-jobs {self.max_jobs} "
                    "jobs requested)"
                )
            self.attempts += count

    def create(self, segment_ids: Sequence[str], *, sandbox: str | None = None, **kw: Any) -> Exchange:
        """POSTs a create request within the budget; a 2xx answer with an id is tracked."""
        self.reserve()
        headers = dict(kw.pop("headers", None) or {})
        if sandbox is not None:
            headers["x-sandbox-name"] = sandbox
        exchange = self.client.create_job(segment_ids, headers=headers or None, **kw)
        self.track_answer(exchange, sandbox or self.default_sandbox, tuple(segment_ids))
        return exchange

    def create_raw(
        self, content: bytes | None, headers: dict[str, str | None] | None = None, sandbox: str | None = None
    ) -> Exchange:
        """A create request with any body (bad-input tests); budgeted too, since a server may accept it."""
        self.reserve()
        exchange = self.client.request("POST", "/segment/jobs", content=content, headers=headers)
        self.track_answer(exchange, sandbox or self.default_sandbox, ())
        return exchange

    def track_answer(self, exchange: Exchange, sandbox: str, segment_ids: tuple[str, ...]) -> None:
        if exchange.status is None or not 200 <= exchange.status < 300:
            return
        try:
            body = json.loads(exchange.body)
        except ValueError:
            return
        if isinstance(body, dict) and isinstance(body.get("id"), str):
            with self._lock:
                if body["id"] not in self.jobs:
                    self.jobs[body["id"]] = TrackedJob(body["id"], sandbox, segment_ids, self.clock())
            self.observe(body)

    # -- only our own jobs ---------------------------------------------------------------------------
    def unknown_id(self) -> str:
        """An id no job has (a fresh UUID), which requests may name, a cancel included."""
        made_up = str(uuid.uuid4())
        with self._lock:
            self.unknown_ids.add(made_up)
        return made_up

    def may_cancel(self, job_id: str) -> bool:
        """Only a job this run created, or an id that cannot exist, may be named by a cancel."""
        with self._lock:
            return job_id in self.jobs or job_id in self.unknown_ids or job_id.startswith(UNKNOWN_PREFIX)

    def check_cancel(self, job_id: str) -> None:
        if not self.may_cancel(job_id):
            raise UnsafeRequest(
                f"refused to send DELETE for job {job_id!r}: this run did not create it (a suite bug; "
                "the suite never cancels a job it did not create)"
            )

    def guard(self, method: str, url: str) -> None:
        """Called before every request of the client: a DELETE of a job must name one of ours."""
        if method.upper() != "DELETE":
            return
        path = urlsplit(url).path
        marker = path.rfind(JOBS_SEGMENT)
        if marker < 0:
            return
        rest = path[marker + len(JOBS_SEGMENT) :]
        if rest:
            self.check_cancel(unquote(rest))

    # -- observation ---------------------------------------------------------------------------------
    def observe(self, body: Any) -> None:
        """Records the status of a tracked job seen in any answer (get, list, bulk-get, create)."""
        if not isinstance(body, dict):
            return
        job_id, status = body.get("id"), body.get("status")
        if not isinstance(job_id, str) or not isinstance(status, str):
            return
        with self._lock:
            job = self.jobs.get(job_id)
            if job is not None:
                job.observations.append(Observation(self.clock() - self.t0, status, body))

    def observe_exchange(self, exchange: Exchange) -> None:
        """Feeds every job found in an answer to :meth:`observe` (hooked to the client)."""
        if exchange.status is None or not exchange.body or not self.jobs:
            return
        try:
            body = json.loads(exchange.body)
        except ValueError:
            return
        if isinstance(body, dict):
            if isinstance(body.get("children"), list):
                for child in body["children"]:
                    self.observe(child)
            elif isinstance(body.get("results"), dict):
                for child in body["results"].values():
                    self.observe(child)
            else:
                self.observe(body)

    # -- waiting -------------------------------------------------------------------------------------
    def poll_once(self, job_id: str, sandbox: str | None = None) -> Exchange:
        headers = {"x-sandbox-name": sandbox} if sandbox else None
        exchange = self.client.get_job(job_id, headers=headers)
        return exchange

    def wait(self, job_ids: Iterable[str], until: Callable[[TrackedJob], bool], timeout: float) -> bool:
        """Polls the jobs until ``until`` holds for each, or ``timeout`` passes. Returns True on success.

        Polls every job in one sweep per interval, so waiting on many jobs costs one interval, not many.
        A read answered 429 or 503 is sent again by the client after its Retry-After, which stretches the
        sweep (past the run's retry budget the client raises ``Throttled``: the wait is undecided).
        """
        pending = [self.jobs[j] for j in job_ids]
        deadline = self.clock() + timeout
        while True:
            pending = [j for j in pending if not until(j)]
            if not pending:
                return True
            if self.clock() >= deadline:
                return False
            for job in pending:
                self.poll_once(job.id, job.sandbox)
            time.sleep(max(0.0, min(self.poll_interval, deadline - self.clock())))

    def wait_finished(self, job_ids: Iterable[str], timeout: float) -> bool:
        return self.wait(job_ids, lambda j: j.finished, timeout)

    # -- clean-up ------------------------------------------------------------------------------------
    def cleanup(self) -> list[str]:
        """Cancels every tracked job not seen finished; returns their ids. Never raises."""
        cancelled = []
        for job in list(self.jobs.values()):
            if job.finished:
                continue
            try:
                exchange = self.client.cancel_job(job.id, headers={"x-sandbox-name": job.sandbox})
            except TransportError:
                continue
            if exchange.status is not None and exchange.status < 300:
                cancelled.append(job.id)
        return cancelled

    def lifecycles(self) -> list[dict[str, Any]]:
        """The observed statuses of each job over time, for results.json."""
        with self._lock:
            return [
                {
                    "id": job.id,
                    "observations": [{"t": round(o.t, 3), "status": o.status} for o in job.observations],
                }
                for job in self.jobs.values()
            ]
