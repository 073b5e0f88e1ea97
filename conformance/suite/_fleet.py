"""The fleet: the long-running jobs the waiting tests share, created together before the first test.

A test that uses long-running jobs names their roles with ``@pytest.mark.fleet(*roles)`` and asks for the
``fleet`` fixture (``conftest.py``). The run's first test creates, together and at once, the jobs of every
role that some selected test will use; every later test finds them running or finished. Against a server whose
jobs take T seconds, all the waiting tests together then take about T seconds, not T per test; and the first
of them to finish starts, as early as can be, the clock of the checks that need a job long settled.

=========  ===========================================================================================
primary    a plain job left to run to its end: the subject of the lifecycle checks
secondary  a plain job left to run to its end: refused and cross-sandbox cancels aim at it, and it is
           cancelled once finished (a cancel that must change nothing)
failing    a job on ``SEGJOBS_FAILING_SEGMENT_ID`` (created only when that is set)
other      a plain job of the second sandbox (``SEGJOBS_SECOND_SANDBOX_NAME``; created only when that is
           set): the isolation tests look for it, and cancel it, from the first sandbox
cancelled  a job cancelled right after it was created, over a raw socket (``_wire.py``), so the 204
           is seen as it is on the wire (a 429 or 503 to it is waited for within the run's retry budget,
           as the client does, and each 429 kept for SJ-ERROR-005; each request takes a slot of the
           run's rate limiter, and each exchange goes to the HAR of the run, with --har)
=========  ===========================================================================================

Plain jobs share the first configured segment definition, so listing tests find them with
``property=segments~segmentId==<it>``. Every job must finish within the job timeout (``SEGJOBS_JOB_TIMEOUT``;
by default the profile's on the embedded server, 30 minutes against a ``--base-url`` target) of its creation,
whichever test waits for it; one that has not fails the requirement the wait serves (SJ-LIFECYCLE-003, or
SJ-CANCEL-003 for the cancelled job), with the statuses seen. The cancelled job may also be gone once its
cancel is applied (a 404: ERRATA E-19), which ends a wait as its end would; its cancel must show within the
cancel timeout (``SEGJOBS_CANCEL_TIMEOUT``) of the 204 (:meth:`Fleet.cancel_effect`).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from conformance._checks import ConformanceFailure, describe_status
from conformance._client import ApiClient, Exchange, Inconclusive, Throttled, TransportError
from conformance._config import Settings
from conformance._har import RAW_SOCKET, HarRecorder
from conformance._jobs import BudgetExhausted, JobTracker
from conformance._lifecycle import STATUSES, compress
from conformance._observed import CancelEffect, TrackedJob
from conformance._plan import ROLE_NEEDS
from conformance._profiles import Profile
from conformance.suite import _wire

ROLES = ("primary", "secondary", "failing", "other", "cancelled")
JOBS_PATH = "/segment/jobs"


@dataclass(frozen=True)
class Member:
    """One job of the fleet: how its create request went."""

    role: str
    segment_ids: tuple[str, ...]
    exchange: Exchange | None = None
    problem: Exception | None = None  # a TransportError or BudgetExhausted instead of an answer
    sent_at: float = 0.0  # tracker clock
    answered_at: float = 0.0

    @property
    def body(self) -> dict[str, Any] | None:
        """The job of a 2xx answer with an id, else None."""
        exchange = self.exchange
        if exchange is None or exchange.status is None or not 200 <= exchange.status < 300:
            return None
        try:
            body = json.loads(exchange.body)
        except ValueError:
            return None
        if isinstance(body, dict) and isinstance(body.get("id"), str) and body["id"]:
            return body
        return None


@dataclass(frozen=True)
class EarlyCancel:
    """The cancel of the ``cancelled`` job, sent over a raw socket right after it was created."""

    job_id: str
    answer: Exchange | None  # the answer to the DELETE (body: any bytes after the head of a 204)
    follow: Exchange | None  # the GET sent next on the same connection, when it got an answer
    wire: _wire.WireResult | None
    connect_error: str | None  # no connection could be opened (the cancel was then sent by the client)
    sent_at: float
    answered_at: float


def wire_exchange(
    method: str,
    url: str,
    request_headers: tuple[tuple[str, str], ...],
    response: _wire.RawResponse | None,
    body: bytes,
    settings: Settings,
    elapsed_s: float = 0.0,
    started_ns: int = 0,
) -> Exchange:
    """An :class:`Exchange` of a request sent over the raw socket, for the failure format (and the HAR)."""
    return Exchange(
        method,
        url,
        request_headers,
        None,
        status=None if response is None else response.status,
        response_headers=() if response is None else response.headers,
        body=body,
        elapsed_s=elapsed_s,
        redactor=settings.redactor,
        started_ns=started_ns,
    )


class Fleet:
    """The jobs waiting tests share; see the module docstring."""

    def __init__(
        self,
        api: ApiClient,
        jobs: JobTracker,
        settings: Settings,
        profile: Profile,
        roles: Iterable[str],
        *,
        har: HarRecorder | None = None,
    ) -> None:
        self.api = api
        self.har = har
        self.jobs = jobs
        self.settings = settings
        self.timeout = settings.job_timeout or profile.job_timeout
        self.members: dict[str, Member] = {}
        self.early_cancel: EarlyCancel | None = None
        self.add(roles)

    # -- creation ------------------------------------------------------------------------------------
    def add(self, roles: Iterable[str]) -> None:
        """Creates the jobs of the roles the fleet does not have yet, one right after the other; the
        ``cancelled`` job last, cancelled as soon as it is created."""
        wanted = [r for r in ROLES if r in set(roles) and r not in self.members]
        wanted = [r for r in wanted if r not in ROLE_NEEDS or getattr(self.settings, ROLE_NEEDS[r])]
        for role in wanted:
            self.members[role] = self._create(role)
        if "cancelled" in wanted:
            self.early_cancel = self._cancel_early(self.members["cancelled"])

    def _segments(self, role: str) -> tuple[str, ...]:
        if role == "failing":
            assert self.settings.failing_segment_id is not None
            return (self.settings.failing_segment_id,)
        return (self.settings.segment_ids[0],)

    def _create(self, role: str) -> Member:
        segments = self._segments(role)
        sandbox = self.settings.second_sandbox if role == "other" else None
        sent = self.jobs.clock()
        try:
            exchange = self.jobs.create(segments, sandbox=sandbox)
        except (TransportError, Inconclusive, BudgetExhausted) as exc:
            return Member(role, segments, problem=exc, sent_at=sent, answered_at=self.jobs.clock())
        return Member(role, segments, exchange, sent_at=sent, answered_at=self.jobs.clock())

    def _cancel_early(self, member: Member) -> EarlyCancel | None:
        body = member.body
        if body is None:
            return None
        job_id = str(body["id"])
        self.jobs.check_cancel(job_id)
        tracked = self.jobs.jobs.get(job_id)
        if tracked is not None:  # counted as accepted whatever its answer: the cancel tests judge that
            tracked.cancel_requested = tracked.cancel_accepted = True
        path = f"{JOBS_PATH}/{_wire_segment(job_id)}"
        headers = self.settings.auth_headers()
        if self.api.token_source is not None:  # a token minted during the run: the current one
            self.api.token_source.authorize(headers)
        sent = self.jobs.clock()
        try:
            result = _wire.request_then_follow(
                self.api.base_url,
                ("DELETE", path),
                ("GET", path),
                headers,
                connect_timeout=self.settings.connect_timeout,
                read_timeout=self.settings.read_timeout,
                retry=self.api.retry_budget,
                limiter=self.api.rate_limiter,
            )
        except OSError as exc:
            # no connection at all: cancel through the client so the job still gets cancelled
            error = self.settings.redactor.text(f"{type(exc).__name__}: {exc}")
            try:
                answer: Exchange | None = self.api.cancel_job(job_id)
            except (TransportError, Throttled) as transport:
                answer = transport.exchange
            return EarlyCancel(job_id, answer, None, None, error, sent, self.jobs.clock())
        for attempt in (*result.earlier, result):
            self._record_wire(attempt)
        for later in result.later:
            self.api.stats.seen(
                wire_exchange("DELETE", result.url, result.request_headers, later, later.body, self.settings)
            )
        answered = sent + result.elapsed_s
        first_body = (
            result.trailing
            if result.first is not None and result.first.status in (204, 304)
            else (b"" if result.first is None else result.first.body)
        )
        answer = wire_exchange(
            "DELETE",
            result.url,
            result.request_headers,
            result.first,
            first_body,
            self.settings,
            result.elapsed_s,
        )
        self.api.stats.seen(answer)
        follow = None
        if result.follow is not None:
            follow = wire_exchange(
                "GET",
                result.follow_url,
                result.follow_request_headers,
                result.follow,
                result.follow.body,
                self.settings,
            )
            self.api.stats.seen(follow)
            if 200 <= result.follow.status < 300:
                with contextlib.suppress(ValueError):
                    self.jobs.observe(json.loads(result.follow.body))
        return EarlyCancel(job_id, answer, follow, result, None, sent, answered)

    def _record_wire(self, attempt: _wire.WireResult) -> None:
        """One connection of the raw cancel in the HAR: the DELETE, and the GET after it when it got an
        answer. A 204's body stays empty, as HTTP frames it; the bytes after its head, and what became of
        the next request, go to the entry's ``_segjobs``."""
        if self.har is None or attempt.first is None:
            return
        end_ns = attempt.sent_ns + round(attempt.elapsed_s * 1e9)
        answered_ns = attempt.follow_sent_ns or end_ns
        connection = None if attempt.port is None else str(attempt.port)
        notes = {}
        if attempt.trailing:
            notes["bytes_after_head"] = attempt.trailing.decode("latin-1")
        for what, text in (
            ("next_request_not_sent", attempt.follow_skipped),
            ("next_request_unanswered", attempt.follow_closed),
            ("next_request_problem", attempt.follow_problem),
        ):
            if text:
                notes[what] = text
        first = attempt.first
        body = b"" if first.status in (204, 304) else first.body
        self.har.record(
            wire_exchange(
                "DELETE",
                attempt.url,
                attempt.request_headers,
                first,
                body,
                self.settings,
                (answered_ns - attempt.sent_ns) / 1e9,
                attempt.sent_ns,
            ),
            transport=RAW_SOCKET,
            connection=connection,
            http_version=f"HTTP/{first.version}",
            status_text=first.reason,
            notes=notes,
        )
        follow = attempt.follow
        if follow is not None:
            self.har.record(
                wire_exchange(
                    "GET",
                    attempt.follow_url,
                    attempt.follow_request_headers,
                    follow,
                    follow.body,
                    self.settings,
                    max(0, end_ns - attempt.follow_sent_ns) / 1e9,
                    attempt.follow_sent_ns,
                ),
                transport=RAW_SOCKET,
                connection=connection,
                http_version=f"HTTP/{follow.version}",
                status_text=follow.reason,
                notes={"connection": "the one of the DELETE before it (kept alive)"},
            )

    # -- use -----------------------------------------------------------------------------------------
    def has(self, role: str) -> bool:
        return role in self.members

    def member(self, role: str) -> Member:
        if role not in self.members:
            raise LookupError(f"the fleet has no {role!r} job: mark the test @pytest.mark.fleet({role!r})")
        return self.members[role]

    def job_id(self, role: str) -> str:
        """The id of the role's job; fails the test the way its creation failed when there is none."""
        member = self.member(role)
        if member.problem is not None:
            raise member.problem
        body = member.body
        if body is None:
            exchange = member.exchange
            server_error = exchange is not None and exchange.status is not None and exchange.status >= 500
            raise ConformanceFailure(
                ["SJ-CREATE-001", "SJ-ERROR-001"] if server_error else "SJ-CREATE-001",
                "HTTP 200 with the new job (this test needs it)",
                describe_status(exchange) if exchange is not None else "no answer",
                exchange,
            )
        return str(body["id"])

    def tracked(self, role: str) -> TrackedJob:
        return self.jobs.jobs[self.job_id(role)]

    def remaining(self, roles: Iterable[str]) -> float:
        """Seconds left until the roles' jobs must have finished (the deadline counts from the creation)."""
        latest = max(self.member(r).sent_at for r in roles)
        return latest + self.timeout - self.jobs.clock()

    def wait_finished(self, roles: Iterable[str], requirement: str = "SJ-LIFECYCLE-003") -> list[TrackedJob]:
        """Waits until the roles' jobs are seen finished (one shared deadline); else fails ``requirement``."""
        roles = list(roles)
        ids = list(dict.fromkeys(self.job_id(r) for r in roles))
        remaining = self.remaining(roles)
        if remaining > 0:
            # a status outside the seven ends the wait too: such a job can never be seen finished
            self.jobs.wait(ids, lambda j: j.finished or _odd_status(j), remaining)
        else:  # past the deadline: one more look, so a job that did finish is seen finished
            for job_id in ids:
                job = self.jobs.jobs[job_id]
                if not job.finished:
                    self.jobs.poll_once(job.id, job.sandbox)
        tracked = [self.jobs.jobs[i] for i in ids]
        odd = [t for t in tracked if _odd_status(t)]
        if odd:
            raise ConformanceFailure(
                "SJ-LIFECYCLE-001",
                f"a status among {', '.join(STATUSES)}",
                f"job {odd[0].id}: {' -> '.join(compress(odd[0].statuses))}",
            )
        late = [t for t in tracked if not t.finished]
        if late:
            seen = "; ".join(f"job {t.id}: {' -> '.join(compress(t.statuses)) or 'nothing'}" for t in late)
            raise ConformanceFailure(
                requirement,
                f"the job finished (SUCCEEDED, FAILED or CANCELLED) within {self.timeout:g} s of its "
                "creation (SEGJOBS_JOB_TIMEOUT)",
                f"still running at the deadline; statuses seen: {seen}",
                self._last_read(late[0]),
            )
        return tracked

    def cancel_effect(self) -> CancelEffect:
        """What the cancelled job showed after its cancel's 204: polled until it shows CANCELLING or
        CANCELLED, is gone or finished otherwise, or the cancel timeout after the 204 passes (never later than
        its job timeout). Judges nothing: the tests say what each outcome means."""
        cancel = self.early_cancel
        assert cancel is not None, "the fleet did not cancel its cancelled job"
        return self.jobs.wait_cancel_effect(cancel.job_id, cancel.answered_at - self.jobs.t0)

    def _last_read(self, job: TrackedJob) -> Exchange | None:
        try:
            return self.jobs.poll_once(job.id, job.sandbox)
        except TransportError:
            return None


def _odd_status(job: TrackedJob) -> bool:
    last = job.last
    return last is not None and last.status not in STATUSES


def _wire_segment(job_id: str) -> str:
    from urllib.parse import quote

    return quote(job_id, safe="-._~!$&'()*+,;=:@")
