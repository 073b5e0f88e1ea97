"""Every job the suite creates: the budget (``--max-jobs``), what was observed of it, waiting, and clean-up.

Waiting is shared: one tracker polls every job that some test waits on, so tests that wait on jobs created
together overlap instead of adding up. A wait longer than a few seconds says on the progress line
(``on_progress``) which jobs it waits for and what they showed, at most every :data:`PROGRESS_EVERY_S`; no
wait outlives the run's deadline (``--max-duration``): one cut by it is undecided, never failed.

Every status seen, by any request of the suite, is recorded with its time and its source (``create``,
``get``, ``list``, ``bulk-get``, ``wire``); the reports draw the lifecycle from it. What GET showed (with the
create answer) is the job's history, on which transitions are judged; listings and bulk-get may lag it
(``_lifecycle.LAG_TOLERANCE_S``). A cancelled job may be removed once its cancel is applied (ERRATA E-19): a
GET of it by its owner that answers 404 marks it gone, which counts as finished for waiting.

Observation is dense where statuses change: a wait polls every ``poll_interval / DENSE_FACTOR`` while one of
its jobs was created, cancelled or seen changing status less than :data:`DENSE_S` ago, and GET's first
finished status of a job has the :class:`~conformance._watch.Watcher` read it a few times more in the
background, so that a brief illegal status, or an end that changes, is seen.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import unquote, urlsplit

from conformance._client import ApiClient, Exchange
from conformance._lifecycle import GET_SOURCES, TERMINAL
from conformance._observed import CancelEffect, Observation, TrackedJob, cancel_effect, cancel_shown
from conformance._outcomes import Undecided
from conformance._watch import Watcher

JOBS_SEGMENT = "/segment/jobs/"
BULK_GET = "bulk-get"
#: a wait says which jobs it waits for once it has lasted this long, then at most this often
PROGRESS_AFTER_S = 5.0
PROGRESS_EVERY_S = 10.0
#: the most jobs a progress line names one by one
PROGRESS_JOBS = 4
#: why a test, or a wait, was cut short by the run's deadline
RUN_DEADLINE_REASON = "the run reached --max-duration"
RUN_DEADLINE_CAUSE = "--max-duration"
#: a wait polls DENSE_FACTOR times as often while one of its jobs was created, cancelled or seen changing
#: status less than DENSE_S seconds ago
DENSE_S = 0.5
DENSE_FACTOR = 2.0


#: ids the suite makes up for requests that must not find a job start with this (a server never issues one)
UNKNOWN_PREFIX = "segjobs-unknown-"


class BudgetExhausted(Exception):
    """The run may not create more jobs (``--max-jobs``)."""


class UnsafeRequest(Exception):
    """The suite was about to cancel a job this run did not create. Never sent: a bug of the suite."""


class JobTracker:
    """Creates jobs within a budget, records their observed statuses, waits on them, cancels leftovers."""

    def __init__(
        self,
        client: ApiClient,
        *,
        max_jobs: int,
        poll_interval: float,
        default_sandbox: str,
        job_timeout: float = 120.0,
        cancel_timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        settle: bool = False,
    ) -> None:
        self.client = client
        self.max_jobs = max_jobs
        self.poll_interval = poll_interval
        self.default_sandbox = default_sandbox
        #: how long a job may take to finish from its creation; no wait on a job outlives it
        self.job_timeout = job_timeout
        #: how long after a 204 a cancel may take to show (CANCELLING or CANCELLED, or the job gone)
        self.cancel_timeout = cancel_timeout
        self.clock = clock
        self.sleep = sleep
        self.t0 = clock()
        #: the run's deadline (``--max-duration``) on ``clock``; a wait it cuts raises Undecided
        self.run_deadline: float | None = None
        #: where a long wait says which jobs it waits for (the plugin writes it on the terminal)
        self.on_progress: Callable[[str], None] | None = None
        self._progress_at: float | None = None
        #: leftover jobs the clean-up could not cancel, and why
        self.cleanup_problems: list[str] = []
        self.jobs: dict[str, TrackedJob] = {}
        self.attempts = 0
        #: ids made up by the suite, which no job has: the only others a DELETE may name
        self.unknown_ids: set[str] = set()
        self._lock = threading.RLock()
        #: with ``settle``: reads each job a few times more after GET first showed it finished (``_watch``)
        self.watcher = Watcher(self._reread, self.now, deadline=self._deadline_now) if settle else None

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
            self.observe(body, "create")

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
            job_id = unquote(rest)
            self.check_cancel(job_id)
            with self._lock:
                if job_id in self.jobs:
                    self.jobs[job_id].cancel_requested = True
                    self.jobs[job_id].cancel_sent_at = self.now()

    # -- observation ---------------------------------------------------------------------------------
    def now(self) -> float:
        """Seconds since the tracker started: the time scale of observations."""
        return self.clock() - self.t0

    def sleep_until(self, t: float) -> None:
        """Returns at ``t`` seconds since the tracker started (at once when that has passed)."""
        self.sleep(max(0.0, t - self.now()))

    def observe(self, body: Any, source: str = "get") -> None:
        """Records the status of a tracked job seen in an answer, with where it was seen."""
        if not isinstance(body, dict):
            return
        job_id, status = body.get("id"), body.get("status")
        if not isinstance(job_id, str) or not isinstance(status, str):
            return
        with self._lock:
            job = self.jobs.get(job_id)
            if job is None:
                return
            first_end = source in GET_SOURCES and status in TERMINAL and not job.finished
            job.observations.append(Observation(self.now(), status, body, source))
        if first_end and self.watcher is not None:
            self.watcher.follow(job_id)

    def observe_exchange(self, exchange: Exchange) -> None:
        """Feeds every job found in an answer to :meth:`observe`, tagged with its source, and notes a
        cancelled job gone when its owner's GET of it answers 404 (hooked to the client)."""
        if exchange.status is None or not self.jobs:
            return
        source, job_id = route(exchange.method, exchange.url)
        if exchange.method.upper() == "DELETE" and job_id in self.jobs and 200 <= exchange.status < 300:
            self.jobs[job_id].cancel_accepted = True
        if source == "get" and job_id is not None:
            self._note_read(job_id, exchange)
            if exchange.status == 404:
                return
        try:
            body = json.loads(exchange.body) if exchange.body else None
        except ValueError:
            return
        if not isinstance(body, dict) or source is None:
            return
        if source == "list" and isinstance(body.get("children"), list):
            for child in body["children"]:
                self.observe(child, source)
        elif source == "bulk-get" and isinstance(body.get("results"), dict):
            for child in body["results"].values():
                self.observe(child, source)
        elif source in ("get", "create"):
            self.observe(body, source)

    def _note_read(self, job_id: str, exchange: Exchange) -> None:
        """A GET of a tracked job sent as its owner (the run's credentials, the job's sandbox): kept as the
        last read; a 404 to it after the run cancelled the job marks the job gone."""
        with self._lock:
            job = self.jobs.get(job_id)
            if job is None:
                return
            sent = {k.lower(): v for k, v in exchange.request_headers}
            owner = {k.lower(): v for k, v in self.client.headers.items()}
            owner["x-sandbox-name"] = job.sandbox
            if any(sent.get(name) != value for name, value in owner.items()):
                return
            job.last_get = exchange
            if exchange.status == 404 and job.cancel_requested and not job.gone:
                job.gone_at = self.now()

    # -- waiting -------------------------------------------------------------------------------------
    def poll_once(self, job_id: str, sandbox: str | None = None) -> Exchange:
        headers = {"x-sandbox-name": sandbox} if sandbox else None
        exchange = self.client.get_job(job_id, headers=headers)
        return exchange

    def wait(
        self,
        job_ids: Iterable[str],
        until: Callable[[TrackedJob], bool],
        timeout: float,
        *,
        what: str = "to finish",
    ) -> bool:
        """Polls the jobs until ``until`` holds for each, or ``timeout`` passes. Returns True on success.

        Polls every job in one sweep per interval, so waiting on many jobs costs one interval, not many.
        A read answered 429 or 503 is sent again by the client after its Retry-After, which stretches the
        sweep (past the run's retry budget the client raises ``Throttled``: the wait is undecided).
        A wait that lasts says so on the progress line (``what``: what it waits for). A wait that the run's
        deadline (``--max-duration``) cuts short raises :class:`Undecided`: nothing was judged.
        """
        pending = [self.jobs[j] for j in job_ids]
        started = self.clock()
        deadline = started + timeout
        cut = self.run_deadline is not None and self.run_deadline < deadline
        if cut:
            assert self.run_deadline is not None
            deadline = self.run_deadline
        while True:
            pending = [j for j in pending if not until(j)]
            if not pending:
                return True
            if self.clock() >= deadline:
                if cut:
                    raise Undecided(
                        f"{RUN_DEADLINE_REASON} while the suite waited for {len(pending)} job(s) {what}",
                        cause=RUN_DEADLINE_CAUSE,
                    )
                return False
            self._progress(pending, started, deadline, what)
            for job in pending:
                self.poll_once(job.id, job.sandbox)
            pending = [j for j in pending if not until(j)]
            if not pending:
                return True
            self.sleep(max(0.0, min(self.interval(pending), deadline - self.clock())))

    def interval(self, pending: Sequence[TrackedJob]) -> float:
        """How long a wait sleeps between two sweeps: shorter while a job of ``pending`` was created,
        cancelled or seen changing status less than :data:`DENSE_S` ago (statuses change around then)."""
        now = self.now()
        for job in pending:
            moments = (job.created_at - self.t0, job.cancel_sent_at, job.changed_at)
            if any(m is not None and now - m < DENSE_S for m in moments):
                return self.poll_interval / DENSE_FACTOR
        return self.poll_interval

    def settle(self, job_ids: Iterable[str] | None = None) -> None:
        """Returns once the jobs' reads after their first finished status are done (default: every job's)."""
        if self.watcher is not None:
            self.watcher.drain(job_ids)

    def _reread(self, job_id: str) -> None:
        job = self.jobs[job_id]
        self.poll_once(job.id, job.sandbox)

    def _deadline_now(self) -> float | None:
        """The run's deadline on the scale of :meth:`now`."""
        return None if self.run_deadline is None else self.run_deadline - self.t0

    def wait_finished(self, job_ids: Iterable[str], timeout: float) -> bool:
        return self.wait(job_ids, lambda j: j.finished, timeout)

    def wait_cancel_effect(self, job_id: str, since: float, timeout: float | None = None) -> CancelEffect:
        """Polls a job whose cancel was answered 204 at ``since`` (seconds since the tracker started) until
        GET shows the cancel's effect (CANCELLING or CANCELLED, or a 404: gone) or another finished status.

        The deadline is ``timeout`` (default: the cancel timeout) after the 204, and never later than the
        job's own timeout from its creation; past it, GET is asked once more before the effect is judged."""
        job = self.jobs[job_id]
        shown = cancel_shown(since)
        limit = self.cancel_timeout if timeout is None else timeout
        left = min(limit - (self.now() - since), job.created_at + self.job_timeout - self.clock())
        started = self.clock()
        if left > 0:
            self.wait([job_id], shown, left, what="to show their cancel")
        elif not shown(job):
            self.poll_once(job.id, job.sandbox)
        return cancel_effect(job, since, self.clock() - started)

    def _progress(self, pending: Sequence[TrackedJob], started: float, deadline: float, what: str) -> None:
        """A progress line once the wait has lasted PROGRESS_AFTER_S, then at most every PROGRESS_EVERY_S."""
        now = self.clock()
        if self.on_progress is None or now - started < PROGRESS_AFTER_S:
            return
        if self._progress_at is not None and now - self._progress_at < PROGRESS_EVERY_S:
            return
        self._progress_at = now
        self.on_progress(progress_line(pending, now - started, deadline - now, what))

    # -- clean-up ------------------------------------------------------------------------------------
    def cleanup(self) -> list[str]:
        """Cancels every tracked job not seen finished (or gone); returns their ids. Never raises: a job that
        could not be cancelled is named in ``cleanup_problems``.

        A 404 to the cancel of a job the run had cancelled before is no problem: the job is gone (E-19)."""
        cancelled = []
        if self.watcher is not None:
            self.watcher.stop()
        for job in list(self.jobs.values()):
            if job.finished:
                continue
            already = job.cancel_requested
            job.cancel_requested = True
            try:
                exchange = self.client.cancel_job(job.id, headers={"x-sandbox-name": job.sandbox})
            except Exception as exc:  # it stays as it is; the verdict stands
                self.cleanup_problems.append(f"job {job.id}: {type(exc).__name__}: {exc}")
                continue
            if exchange.status is not None and exchange.status < 300:
                cancelled.append(job.id)
            elif exchange.status == 404 and already:
                job.gone_at = job.gone_at if job.gone_at is not None else self.now()
            else:
                self.cleanup_problems.append(f"job {job.id}: the cancel answered HTTP {exchange.status}")
        return cancelled

    def lifecycles(self) -> list[dict[str, Any]]:
        """The observed statuses of each job over time, for results.json."""
        with self._lock:
            return [
                {
                    "id": job.id,
                    "observations": [
                        {"t": round(o.t, 3), "status": o.status, "source": o.source} for o in job.observations
                    ],
                    **({"gone_at": round(job.gone_at, 3)} if job.gone_at is not None else {}),
                }
                for job in self.jobs.values()
            ]


def route(method: str, url: str) -> tuple[str | None, str | None]:
    """Which operation a request was, as a source of observations, and the job id it names:
    ``("create", None)``, ``("list", None)``, ``("bulk-get", None)``, ``("get", id)``, else ``(None, id)``."""
    path = urlsplit(url).path.rstrip("/")
    method = method.upper()
    marker = path.rfind(JOBS_SEGMENT)
    if marker < 0:
        if path.endswith(JOBS_SEGMENT.rstrip("/")):
            return {"GET": "list", "POST": "create"}.get(method), None
        return None, None
    rest = unquote(path[marker + len(JOBS_SEGMENT) :])
    if rest == BULK_GET:
        return ("bulk-get" if method == "POST" else None), None
    return ("get" if method == "GET" else None), rest


def progress_line(pending: Sequence[TrackedJob], waited_s: float, left_s: float, what: str) -> str:
    """``waiting 15 s for 2 jobs to finish (at most 105 s more): ID PROCESSING, ID QUEUED``."""
    shown = [f"{job.id} {job.last.status if job.last is not None else 'not read yet'}" for job in pending]
    if len(shown) > PROGRESS_JOBS:
        shown = [*shown[:PROGRESS_JOBS], f"and {len(shown) - PROGRESS_JOBS} more"]
    jobs = f"{len(pending)} job{'s' if len(pending) != 1 else ''}"
    return (
        f"segjobs: waiting {waited_s:.0f} s for {jobs} {what} (at most {max(left_s, 0.0):.0f} s more): "
        + ", ".join(shown)
    )
