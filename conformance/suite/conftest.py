"""Fixtures of the scenario modules: the fleet of jobs tests wait on, and the kit of shared checks.

The fleet
    A test that uses long-running jobs names their roles with ``@pytest.mark.fleet(*roles)`` and asks for
    the ``fleet`` fixture. The first such test creates, together and at once, the jobs of every role that
    some selected test will use; every later test finds them running or finished. Against a server whose
    jobs take T seconds, all the waiting tests together then take about T seconds, not T per test.

    =========  ===========================================================================================
    primary    a plain job left to run to its end: the subject of the lifecycle checks
    secondary  a plain job left to run to its end: refused and cross-sandbox cancels aim at it, and it is
               cancelled once finished (a cancel that must change nothing)
    failing    a job on ``SEGJOBS_FAILING_SEGMENT_ID`` (created only when that is set)
    cancelled  a job cancelled right after it was created, over a raw socket (``_wire.py``), so the 204
               is seen as it is on the wire
    =========  ===========================================================================================

    Plain jobs share the first configured segment definition, so listing tests find them with
    ``property=segments~segmentId==<it>``. Every job must finish within the job timeout (``--job-timeout``,
    or the profile's) of its creation, whichever test waits for it; one that has not fails the requirement
    the wait serves (SJ-LIFECYCLE-003, or SJ-CANCEL-003 for the cancelled job), with the statuses seen.

The kit
    Checks several modules share, without state of their own: a listing page, a read, a refusal (4xx, a
    status the spec documents), the error bodies of refusals (SJ-ERROR-002: each module's error-body test
    sends its own refused requests), snapshots of the newest jobs (did a refused request create one?).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from conformance._checks import (
    ConformanceFailure,
    describe_status,
    expect_error_body,
    expect_job,
    expect_json,
    expect_schema,
    expect_status,
    require,
)
from conformance._client import ApiClient, Exchange, TransportError
from conformance._config import Settings
from conformance._jobs import BudgetExhausted, JobTracker, TrackedJob
from conformance._lifecycle import STATUSES, compress
from conformance._outcomes import Undecided
from conformance._profiles import Profile
from conformance._spec import load_openapi
from conformance.plugin import will_run
from conformance.suite import _wire

ROLES = ("primary", "secondary", "failing", "cancelled")
JOBS_PATH = "/segment/jobs"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "fleet(*roles): the fleet jobs the test uses (primary, secondary, failing, cancelled)"
    )


# -- the fleet ---------------------------------------------------------------------------------------------
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
) -> Exchange:
    """An :class:`Exchange` of a request sent over the raw socket, for the failure format."""
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
    )


class Fleet:
    """The jobs waiting tests share; see the module docstring."""

    def __init__(
        self, api: ApiClient, jobs: JobTracker, settings: Settings, profile: Profile, roles: Iterable[str]
    ) -> None:
        self.api = api
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
        if not self.settings.failing_segment_id and "failing" in wanted:
            wanted.remove("failing")
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
        sent = self.jobs.clock()
        try:
            exchange = self.jobs.create(segments)
        except (TransportError, BudgetExhausted) as exc:
            return Member(role, segments, problem=exc, sent_at=sent, answered_at=self.jobs.clock())
        return Member(role, segments, exchange, sent_at=sent, answered_at=self.jobs.clock())

    def _cancel_early(self, member: Member) -> EarlyCancel | None:
        body = member.body
        if body is None:
            return None
        job_id = str(body["id"])
        self.jobs.check_cancel(job_id)
        tracked = self.jobs.jobs.get(job_id)
        if tracked is not None:
            tracked.cancel_requested = True
        path = f"{JOBS_PATH}/{_wire_segment(job_id)}"
        headers = self.settings.auth_headers()
        sent = self.jobs.clock()
        try:
            result = _wire.request_then_follow(
                self.api.base_url,
                ("DELETE", path),
                ("GET", path),
                headers,
                connect_timeout=self.settings.connect_timeout,
                read_timeout=self.settings.read_timeout,
            )
        except OSError as exc:
            # no connection at all: cancel through the client so the job still gets cancelled
            error = self.settings.redactor.text(f"{type(exc).__name__}: {exc}")
            try:
                answer: Exchange | None = self.api.cancel_job(job_id)
            except TransportError as transport:
                answer = transport.exchange
            return EarlyCancel(job_id, answer, None, None, error, sent, self.jobs.clock())
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
            if 200 <= result.follow.status < 300:
                with contextlib.suppress(ValueError):
                    self.jobs.observe(json.loads(result.follow.body))
        return EarlyCancel(job_id, answer, follow, result, None, sent, answered)

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
                f"the job finished (SUCCEEDED, FAILED or CANCELLED) {self.timeout:g} s after its creation",
                f"still running at the deadline; statuses seen: {seen}",
                self._last_read(late[0]),
            )
        return tracked

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


def _roles_of(item: pytest.Item) -> set[str]:
    return {str(role) for mark in item.iter_markers("fleet") for role in mark.args}


@pytest.fixture(scope="session")
def _fleet_holder() -> dict[str, Fleet]:
    return {}


@pytest.fixture
def fleet(
    request: pytest.FixtureRequest,
    _fleet_holder: dict[str, Fleet],
    api: ApiClient,
    jobs: JobTracker,
    settings: Settings,
    profile: Profile,
) -> Fleet:
    """The fleet, created on first use with the roles of every selected test that will run."""
    if "fleet" not in _fleet_holder:
        roles = _roles_of(request.node)
        for item in request.session.items:
            if will_run(item):
                roles |= _roles_of(item)
        _fleet_holder["fleet"] = Fleet(api, jobs, settings, profile, roles)
    found = _fleet_holder["fleet"]
    found.add(_roles_of(request.node))  # a test whose run was not foreseen gets its jobs now
    return found


@pytest.fixture(autouse=True)
def _fleet_before_other_jobs(request: pytest.FixtureRequest) -> None:
    """A test that creates jobs of its own runs after the fleet exists, so the fleet's jobs start first and
    their waits overlap everything else (a selection without fleet roles creates no fleet job)."""
    node = request.node
    if node.get_closest_marker("creates_jobs") is not None and node.get_closest_marker("fleet") is None:
        request.getfixturevalue("fleet")


# -- the kit -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Snapshot:
    """The newest jobs of the listing, to tell whether a request created one."""

    total: int
    ids: frozenset[str]


@dataclass(frozen=True)
class Kit:
    """Checks the scenario modules share; it keeps no state between tests."""

    api: ApiClient
    jobs: JobTracker
    settings: Settings

    @property
    def segment(self) -> str:
        """The segment definition the fleet's plain jobs run."""
        return self.settings.segment_ids[0]

    def random_id(self) -> str:
        """An id no job has (any request may name it, a cancel included)."""
        return self.jobs.unknown_id()

    @staticmethod
    def segment_ids_of(job: Mapping[str, Any]) -> list[Any]:
        return segment_ids_of(job)

    def page(
        self,
        params: Mapping[str, str] | list[tuple[str, str]],
        requirement: str = "SJ-LIST-001",
        headers: Mapping[str, str | None] | None = None,
    ) -> tuple[Exchange, dict[str, Any]]:
        """One listing page: 200, JSON, the page schema (SJ-LIST-002) and the job schema (SJ-LIST-014)."""
        exchange = self.api.list_jobs(params, headers=headers)
        return exchange, self.check_page(exchange, requirement)

    def check_page(self, exchange: Exchange, requirement: str = "SJ-LIST-001") -> dict[str, Any]:
        expect_status(exchange, {200}, requirement)
        body = expect_json(exchange)
        require(
            isinstance(body, dict),
            "SJ-LIST-002",
            "a JSON object with _page and children",
            type(body).__name__,
            exchange,
        )
        expect_schema(body, "SegmentJobPage", "SJ-LIST-002", exchange)
        for child in body["children"]:
            require(
                child.get("status") in STATUSES,
                "SJ-LIFECYCLE-001",
                f"status in {', '.join(STATUSES)}",
                f"job {child.get('id')}: status {child.get('status')!r}",
                exchange,
            )
            expect_schema(child, "SegmentJob", "SJ-LIST-014", exchange)
        page: dict[str, Any] = body
        return page

    def read(
        self, job_id: str, requirement: str = "SJ-GET-001", headers: Mapping[str, str | None] | None = None
    ) -> tuple[Exchange, dict[str, Any]]:
        """GET of a job: 200 and a job of the schema (SJ-GET-003) with that id."""
        exchange = self.api.get_job(job_id, headers=headers)
        expect_status(exchange, {200}, requirement)
        job = expect_job(exchange, "SJ-GET-003")
        require(job.get("id") == job_id, requirement, f"the job {job_id}", f"id {job.get('id')!r}", exchange)
        return exchange, job

    # -- refusals ------------------------------------------------------------------------------------
    @staticmethod
    def refused(
        exchange: Exchange, allowed: Collection[int] | range, requirement: str | list[str], operation: str
    ) -> None:
        """A refusal: a status in ``allowed`` (a 5xx also fails SJ-ERROR-001) that the spec documents for
        ``operation`` (SJ-ERROR-003)."""
        expect_status(exchange, allowed, requirement)
        documented = documented_statuses().get(operation, frozenset())
        require(
            exchange.status in documented,
            "SJ-ERROR-003",
            f"a status the spec documents for {operation} ({', '.join(map(str, sorted(documented)))})",
            describe_status(exchange),
            exchange,
        )

    @staticmethod
    def error_bodies(answers: Iterable[Exchange]) -> None:
        """Every error answer (4xx or 5xx) among ``answers`` carries a JSON error body (SJ-ERROR-002).

        ``answers`` may be a generator that sends each request as it is checked. An answer that is no error
        is passed over (the test of that refusal judges it); when none was, nothing is judged."""
        refused = 0
        for exchange in answers:
            if exchange.status is None or exchange.status < 400:
                continue
            refused += 1
            expect_error_body(exchange)
        if not refused:
            raise Undecided("no request was refused: no error body to judge", cause="nothing refused")

    # -- did a refused request create a job? -----------------------------------------------------------
    def _newest(self) -> dict[str, Any]:
        """The newest jobs (the plain listing where the server does not sort by creationTime)."""
        exchange = self.api.list_jobs({"sort": "creationTime:desc", "limit": "20"})
        if exchange.status is not None and 400 <= exchange.status < 500:
            exchange = self.api.list_jobs({"limit": "20"})
        return self.check_page(exchange)

    def snapshot(self) -> Snapshot:
        page = self._newest()
        return Snapshot(int(page["_page"]["totalCount"]), frozenset(str(c["id"]) for c in page["children"]))

    def created_since(self, before: Snapshot, matching: Callable[[dict[str, Any]], bool]) -> list[str]:
        """The jobs that appeared since ``before`` and that ``matching`` takes for the request's."""
        page = self._newest()
        new = [c for c in page["children"] if str(c["id"]) not in before.ids and matching(c)]
        return [f"job {c['id']} with segments {segment_ids_of(c)}" for c in new]

    def creates_nothing(
        self, send: Callable[[], Exchange], matching: Callable[[dict[str, Any]], bool], attempts: int = 3
    ) -> tuple[Exchange, list[str]]:
        """Sends a request that must create no job; returns its answer and the jobs it created.

        In a shared sandbox other clients create jobs too, possibly for the same segment definition: a job
        that appears and matches what was sent is only a suspect. The request is then sent again (up to
        ``attempts`` times in all, within the job budget); a request that really creates jobs does so every
        time, so it is blamed only when every attempt was followed by a new matching job. A request that was
        not refused is not sent again."""
        before = self.snapshot()
        exchange = send()
        made = self.created_since(before, matching)
        if exchange.status is None or exchange.status < 400:
            return exchange, made  # not refused: the caller's refusal check speaks; nothing is sent again
        for _ in range(attempts - 1):
            if not made:
                break
            before = self.snapshot()
            try:
                send()
            except BudgetExhausted as exc:
                raise Undecided(
                    f"new jobs like the request's appeared ({'; '.join(made)}), possibly another client's, "
                    f"and the job budget leaves no room to send it again ({exc})",
                    cause="job budget",
                ) from None
            made = self.created_since(before, matching)
        return exchange, made


def segment_ids_of(job: Mapping[str, Any]) -> list[Any]:
    segments = job.get("segments")
    if not isinstance(segments, list):
        return []
    return [s.get("segmentId") if isinstance(s, dict) else s for s in segments]


_DOCUMENTED: dict[str, frozenset[int]] = {}


def documented_statuses() -> dict[str, frozenset[int]]:
    """operationId -> the response statuses the OpenAPI document declares for it."""
    if not _DOCUMENTED:
        for item in load_openapi().get("paths", {}).values():
            for operation in item.values():
                if isinstance(operation, dict) and "operationId" in operation:
                    codes = {int(c) for c in operation.get("responses", {}) if str(c).isdigit()}
                    _DOCUMENTED[str(operation["operationId"])] = frozenset(codes)
    return _DOCUMENTED


@pytest.fixture(scope="session")
def kit(api: ApiClient, jobs: JobTracker, settings: Settings) -> Kit:
    return Kit(api, jobs, settings)
