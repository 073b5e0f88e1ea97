"""The kit: checks several scenario modules share, without state of their own.

A listing page, a read, a refusal (4xx, a status the spec documents), the error bodies of refusals
(SJ-ERROR-002: each module's error-body test sends its own refused requests), snapshots of the newest jobs
(did a refused request create one?). The ``kit`` fixture (``conftest.py``) hands the scenario tests one.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from conformance._checks import (
    describe_status,
    expect_error_body,
    expect_job,
    expect_json,
    expect_schema,
    expect_status,
    require,
)
from conformance._client import ApiClient, Exchange
from conformance._config import Settings
from conformance._jobs import BudgetExhausted, JobTracker
from conformance._lifecycle import STATUSES
from conformance._outcomes import Undecided, evidence
from conformance._spec import load_openapi

#: why a test that named SJ-LIST-014 does not credit it: none of its pages held a job
NO_JOB_ON_A_PAGE = "no listing page held a job to check against the schema"


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
        evidence("SJ-LIST-014", bool(body["children"]), NO_JOB_ON_A_PAGE)
        page: dict[str, Any] = body
        return page

    @staticmethod
    def no_page() -> None:
        """The listing was refused (a choice the doc leaves open): no page, no job on it to judge."""
        evidence("SJ-LIST-014", False, NO_JOB_ON_A_PAGE)

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
        ``operation`` (SJ-ERROR-003). Every operation documents any 4xx (``4XX``, ERRATA E-17), so a 404, 413
        or 422 where ``requirement`` accepts any 4xx is a documented refusal."""
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
    """operationId -> the response statuses the OpenAPI document declares for it (a range such as ``4XX``
    stands for its hundred codes)."""
    if not _DOCUMENTED:
        for item in load_openapi().get("paths", {}).values():
            for operation in item.values():
                if isinstance(operation, dict) and "operationId" in operation:
                    codes = set().union(*map(_codes, operation.get("responses", {})))
                    _DOCUMENTED[str(operation["operationId"])] = frozenset(codes)
    return _DOCUMENTED


def _codes(key: object) -> set[int]:
    """The statuses a response key of the OpenAPI document declares: ``404`` one, ``4XX`` a hundred."""
    text = str(key).upper()
    if text.isdigit():
        return {int(text)}
    if len(text) == 3 and text[0] in "12345" and text[1:] == "XX":
        return set(range(int(text[0]) * 100, int(text[0]) * 100 + 100))
    return set()  # "default" declares nothing in particular
