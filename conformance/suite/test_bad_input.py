"""Bad input: a create (or bulk-get) request the API cannot accept is refused with a 4xx, never a 5xx, and
creates no job.

Every create goes through the job tracker (``create_raw``), so it counts against the job budget and a job a
server creates anyway is cancelled at the end. Whether a refused request created a job all the same is seen
in the newest jobs of the listing, before and after. The JSON error body is a SHOULD, checked on its own
(ERRATA E-03, E-16, E-17, E-24): each kind of bad create is sent once, by whichever of its two tests runs
first, and its answer is shared through the module-scoped ``refused_creates`` fixture, so the error-body
check costs no job of its own.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import partial
from string import Template
from typing import TYPE_CHECKING, Any

import pytest

from conformance._checks import require
from conformance._client import ApiClient, Exchange
from conformance._jobs import JobTracker

if TYPE_CHECKING:
    from conformance.suite._kit import Kit
    from conformance.suite._late import LateChecks


@dataclass(frozen=True)
class BadCreate:
    """A create request the API must refuse."""

    #: the body; ``$segment`` is the first configured segment definition, ``$unknown`` an id no job has
    body: str
    requirement: str
    #: which new job the request could have made (see ``MATCHING``), to tell it from other clients' jobs
    matching: str
    content_type: str = "application/json"
    allowed: Collection[int] | range = range(400, 500)
    profile: str = "quick"


BAD_CREATES: dict[str, BadCreate] = {
    # the doc's own example (ERRATA E-03)
    "malformed-json": BadCreate('[{"segmentId": "$segment",}]', "SJ-CREATE-010", "segment"),
    "not-json": BadCreate(
        '[{"segmentId": "$segment"}]',
        "SJ-CREATE-011",
        "segment",
        content_type="text/plain",
        allowed={400, 415},
    ),
    "empty-array": BadCreate("[]", "SJ-CREATE-008", "no-segment"),
    "no-segment-id": BadCreate(
        '[{"segmentID": "$segment"}]', "SJ-CREATE-008", "no-known", profile="standard"
    ),
    "non-string-segment-id": BadCreate('[{"segmentId": 5}]', "SJ-CREATE-008", "no-known", profile="standard"),
    "not-an-array": BadCreate('{"segmentId": "$segment"}', "SJ-CREATE-008", "segment", profile="standard"),
    "unknown-definition": BadCreate('[{"segmentId": "$unknown"}]', "SJ-CREATE-009", "unknown"),
}


def _known_definitions(kit: Kit) -> set[str]:
    return {*kit.settings.segment_ids, kit.settings.failing_segment_id or ""}


#: which new jobs a bad create could have made: name -> (kit, the body's unknown id, a job) -> is it one
MATCHING: dict[str, Callable[[Kit, str, dict[str, Any]], bool]] = {
    "segment": lambda kit, _, job: kit.segment_ids_of(job) == [kit.segment],
    "no-segment": lambda kit, _, job: not kit.segment_ids_of(job),
    # a body without a usable segment id: none of the job's segments is a definition of the target (every
    # job of another client runs one)
    "no-known": lambda kit, _, job: not _known_definitions(kit) & {str(s) for s in kit.segment_ids_of(job)},
    "unknown": lambda kit, unknown, job: unknown in kit.segment_ids_of(job),
}


def _marks(kind: str) -> list[pytest.MarkDecorator]:
    """A kind's profile, and the one job it may cost (shared by its refusal test and its error-body test)."""
    marks = [pytest.mark.creates_jobs(1, shared=f"bad-create:{kind}", accepted=0)]
    if BAD_CREATES[kind].profile != "quick":
        marks.append(pytest.mark.profile(BAD_CREATES[kind].profile))
    return marks


@dataclass(frozen=True)
class Sent:
    """The answer to a bad create, and the jobs that appeared like the one it asks for."""

    exchange: Exchange
    made: list[str]


class RefusedCreates:
    """The module's bad creates, each sent once (it may cost a job), by whichever test asks first."""

    def __init__(self, jobs: JobTracker, kit: Kit, late: LateChecks) -> None:
        self.jobs = jobs
        self.kit = kit
        self.late = late
        self.sent: dict[str, Sent] = {}

    def send(self, kind: str) -> Sent:
        if kind not in self.sent:
            bad, kit = BAD_CREATES[kind], self.kit
            unknown = kit.random_id() if "$unknown" in bad.body else ""
            values = {"segment": kit.segment, "unknown": unknown}
            body = Template(bad.body).substitute({k: json.dumps(v)[1:-1] for k, v in values.items()})
            sent_at = self.jobs.clock()
            exchange, made = kit.creates_nothing(
                lambda: self.jobs.create_raw(body.encode(), headers={"Content-Type": bad.content_type}),
                partial(MATCHING[bad.matching], kit, unknown),
            )
            self.sent[kind] = Sent(exchange, made)
            if unknown and exchange.status is not None and 400 <= exchange.status < 500:
                self.late.add(
                    f"jobs of the unknown segment definition {unknown} after its refused create",
                    partial(_no_job_of_definition, kit, unknown, bad.requirement, exchange),
                    (bad.requirement, *LATE_LISTING),
                    sent_at=sent_at,
                )
        return self.sent[kind]


#: what the late look for a job of a refused create may fail besides its rule: the listing and its jobs
LATE_LISTING = ("SJ-LIST-001", "SJ-LIST-002", "SJ-LIST-014", "SJ-LIFECYCLE-001", "SJ-ERROR-001")


def _no_job_of_definition(kit: Kit, unknown: str, requirement: str, refused: Exchange) -> None:
    """Late check: no job of the refused create's made-up segment definition appeared since (no other client
    runs that id, so any such job is the run's). A server that refuses the filter leaves nothing to judge."""
    exchange = kit.api.list_jobs({"property": f"segments~segmentId=={unknown}", "limit": "100"})
    if exchange.status is not None and 400 <= exchange.status < 500 and exchange.status != 429:
        return
    page = kit.check_page(exchange)
    made = [str(c.get("id")) for c in page["children"] if unknown in kit.segment_ids_of(c)]
    require(
        not made,
        requirement,
        f"no job of the segment definition {unknown}, whose create was refused with HTTP {refused.status}, "
        f"{kit.settings.cancel_timeout:g} s later",
        f"the listing shows job(s) {', '.join(made)}",
        exchange,
    )


@pytest.fixture(scope="module")
def refused_creates(jobs: JobTracker, kit: Kit, late: LateChecks) -> RefusedCreates:
    return RefusedCreates(jobs, kit, late)


def _refused_create(refused_creates: RefusedCreates, kind: str) -> None:
    """The create is refused, and no job like the one it asks for appears."""
    bad, sent = BAD_CREATES[kind], refused_creates.send(kind)
    exchange = sent.exchange
    refused_creates.kit.refused(exchange, bad.allowed, bad.requirement, "createSegmentJob")
    require(
        not sent.made,
        bad.requirement,
        "no job created by the refused request",
        f"HTTP {exchange.status}, yet the listing shows {'; '.join(sent.made)}",
        exchange,
    )


@pytest.mark.creates_jobs(1, shared="bad-create:malformed-json", accepted=0)
@pytest.mark.requirement(
    "SJ-CREATE-010",
    "SJ-ERROR-001",
    "SJ-ERROR-003",
    "SJ-LIST-001",
    "SJ-LIST-002",
    "SJ-LIST-014",
    "SJ-LIFECYCLE-001",
    "SJ-HTTP-001",
    "SJ-HTTP-002",
)
def test_malformed_json_is_refused(refused_creates: RefusedCreates) -> None:
    _refused_create(refused_creates, "malformed-json")


@pytest.mark.creates_jobs(1, shared="bad-create:not-json", accepted=0)
@pytest.mark.requirement(
    "SJ-CREATE-011",
    "SJ-ERROR-001",
    "SJ-LIST-001",
    "SJ-LIST-002",
    "SJ-LIST-014",
    "SJ-LIFECYCLE-001",
    "SJ-ERROR-003",
    "SJ-HTTP-001",
    "SJ-HTTP-002",
)
def test_a_create_body_not_sent_as_json_is_refused(refused_creates: RefusedCreates) -> None:
    _refused_create(refused_creates, "not-json")


def _bulk_get_not_json(api: ApiClient) -> Exchange:
    return api.request(
        "POST",
        "/segment/jobs/bulk-get",
        content=json.dumps({"ids": []}).encode(),
        headers={"Content-Type": "text/plain"},
    )


@pytest.mark.requirement("SJ-CREATE-011", "SJ-ERROR-001", "SJ-ERROR-003")
def test_a_bulk_get_body_not_sent_as_json_is_refused(api: ApiClient, kit: Kit) -> None:
    kit.refused(_bulk_get_not_json(api), {400, 415}, "SJ-CREATE-011", "bulkGetSegmentJobs")


@pytest.mark.creates_jobs(1, shared="bad-create:empty-array", accepted=0)
@pytest.mark.requirement(
    "SJ-CREATE-008",
    "SJ-ERROR-001",
    "SJ-ERROR-003",
    "SJ-LIST-001",
    "SJ-LIST-002",
    "SJ-LIST-014",
    "SJ-LIFECYCLE-001",
    "SJ-HTTP-001",
    "SJ-HTTP-002",
)
def test_an_empty_array_is_refused(refused_creates: RefusedCreates) -> None:
    _refused_create(refused_creates, "empty-array")


@pytest.mark.profile("standard")
@pytest.mark.creates_jobs(1, shared="bad-create:no-segment-id", accepted=0)
@pytest.mark.requirement(
    "SJ-CREATE-008",
    "SJ-ERROR-001",
    "SJ-ERROR-003",
    "SJ-LIST-001",
    "SJ-LIST-002",
    "SJ-LIST-014",
    "SJ-LIFECYCLE-001",
    "SJ-HTTP-001",
    "SJ-HTTP-002",
)
def test_an_element_without_a_segment_id_is_refused(refused_creates: RefusedCreates) -> None:
    _refused_create(refused_creates, "no-segment-id")


@pytest.mark.profile("standard")
@pytest.mark.creates_jobs(1, shared="bad-create:non-string-segment-id", accepted=0)
@pytest.mark.requirement(
    "SJ-CREATE-008",
    "SJ-ERROR-001",
    "SJ-ERROR-003",
    "SJ-LIST-001",
    "SJ-LIST-002",
    "SJ-LIST-014",
    "SJ-LIFECYCLE-001",
    "SJ-HTTP-001",
    "SJ-HTTP-002",
)
def test_a_non_string_segment_id_is_refused(refused_creates: RefusedCreates) -> None:
    _refused_create(refused_creates, "non-string-segment-id")


@pytest.mark.profile("standard")
@pytest.mark.creates_jobs(1, shared="bad-create:not-an-array", accepted=0)
@pytest.mark.requirement(
    "SJ-CREATE-008",
    "SJ-ERROR-001",
    "SJ-ERROR-003",
    "SJ-LIST-001",
    "SJ-LIST-002",
    "SJ-LIST-014",
    "SJ-LIFECYCLE-001",
    "SJ-HTTP-001",
    "SJ-HTTP-002",
)
def test_a_body_that_is_not_an_array_is_refused(refused_creates: RefusedCreates) -> None:
    _refused_create(refused_creates, "not-an-array")


@pytest.mark.creates_jobs(1, shared="bad-create:unknown-definition", accepted=0)
@pytest.mark.requirement(
    "SJ-CREATE-009",
    "SJ-ERROR-001",
    "SJ-ERROR-003",
    "SJ-LIST-001",
    "SJ-LIST-002",
    "SJ-LIST-014",
    "SJ-LIFECYCLE-001",
    "SJ-HTTP-001",
    "SJ-HTTP-002",
)
def test_an_unknown_segment_definition_is_refused(refused_creates: RefusedCreates) -> None:
    _refused_create(refused_creates, "unknown-definition")


@pytest.mark.requirement(
    "SJ-ERROR-002",
    "SJ-LIST-001",
    "SJ-LIST-002",
    "SJ-LIST-014",
    "SJ-LIFECYCLE-001",
    "SJ-ERROR-001",
    "SJ-HTTP-001",
    "SJ-HTTP-002",
)
@pytest.mark.parametrize("kind", [pytest.param(k, marks=_marks(k), id=k) for k in BAD_CREATES])
def test_refused_creates_carry_a_json_error_body(refused_creates: RefusedCreates, kind: str) -> None:
    """The answer to the kind's bad create (sent here unless its refusal test sent it already)."""
    refused_creates.kit.error_bodies([refused_creates.send(kind).exchange])


@pytest.mark.requirement("SJ-ERROR-002")
def test_a_bulk_get_body_not_sent_as_json_carries_a_json_error_body(api: ApiClient, kit: Kit) -> None:
    kit.error_bodies([_bulk_get_not_json(api)])
