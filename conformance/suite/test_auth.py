"""Credentials and isolation: every operation refuses a request without valid credentials, a refused request
creates and changes nothing, and a job is invisible from another sandbox.

One request per operation and credential problem is enough; get and cancel aim at random ids, so a server
that ignores credentials cannot do harm. Any 401 or 403 is conformant for a credential problem, any 4xx for a
missing organization header; a request without ``x-sandbox-name`` may be refused or served from the default
sandbox (ERRATA E-12, E-17, E-26).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from conformance._checks import expect_job, expect_json, expect_status, require
from conformance._client import ApiClient, Exchange
from conformance._config import Settings
from conformance._jobs import JobTracker
from conformance._lifecycle import CANCEL_EFFECT, STATUSES, compress, illegal_step
from conformance._outcomes import Disabled
from conformance.suite._listing import _newest_of_segment, _refused

if TYPE_CHECKING:
    from conformance.suite._fleet import Fleet
    from conformance.suite._kit import Kit
    from conformance.suite._late import LateChecks

CREDENTIAL = (401, 403)
Headers = Mapping[str, str | None]


def _invalid_token() -> str:
    return f"segjobs-invalid-{uuid.uuid4().hex}"


@dataclass(frozen=True)
class Problem:
    """A credential problem: the header change that makes it, the statuses allowed, the requirement."""

    headers: Callable[[], Headers]
    allowed: Collection[int] | range
    requirement: str


PROBLEMS: dict[str, Problem] = {
    "without-token": Problem(lambda: {"Authorization": None}, CREDENTIAL, "SJ-AUTH-001"),
    "invalid-token": Problem(
        lambda: {"Authorization": f"Bearer {_invalid_token()}"}, CREDENTIAL, "SJ-AUTH-002"
    ),
    "without-api-key": Problem(lambda: {"x-api-key": None}, CREDENTIAL, "SJ-AUTH-003"),
    "invalid-api-key": Problem(lambda: {"x-api-key": _invalid_token()}, CREDENTIAL, "SJ-AUTH-009"),
    "without-org": Problem(lambda: {"x-gw-ims-org-id": None}, range(400, 500), "SJ-AUTH-004"),
    "unknown-sandbox": Problem(
        lambda: {"x-sandbox-name": f"segjobs-no-such-sandbox-{uuid.uuid4().hex[:12]}"},
        range(400, 500),
        "SJ-AUTH-008",
    ),
}

#: the operations that create nothing, each sent with some headers changed; get and cancel aim at random ids
REQUESTS: dict[str, Callable[[ApiClient, Kit, Headers], Exchange]] = {
    "list": lambda api, kit, headers: api.list_jobs({"limit": "1"}, headers=headers),
    "get": lambda api, kit, headers: api.get_job(kit.random_id(), headers=headers),
    "bulk-get": lambda api, kit, headers: api.bulk_get([kit.random_id()], headers=headers),
    "cancel": lambda api, kit, headers: api.cancel_job(kit.random_id(), headers=headers),
}
OPERATIONS = {
    "list": "listSegmentJobs",
    "get": "getSegmentJob",
    "bulk-get": "bulkGetSegmentJobs",
    "cancel": "cancelSegmentJob",
    "create": "createSegmentJob",
}
OPS = [
    *REQUESTS,
    pytest.param(
        "create",
        marks=[
            pytest.mark.profile("standard"),
            pytest.mark.creates_jobs(1, accepted=0),
            # and the listings that look for a job the refused create made
            pytest.mark.requirement(
                "SJ-AUTH-007",
                "SJ-LIST-001",
                "SJ-LIST-002",
                "SJ-LIST-014",
                "SJ-LIFECYCLE-001",
                "SJ-HTTP-001",
                "SJ-HTTP-002",
            ),
        ],
    ),
]


def _create(headers: Headers, jobs: JobTracker, kit: Kit) -> Exchange:
    """A create with ``headers`` changed, checked to have made no job when it is refused."""
    body = json.dumps([{"segmentId": kit.segment}]).encode()
    sandbox = headers.get("x-sandbox-name")  # where a job created anyway would have to be cancelled
    exchange, made = kit.creates_nothing(
        lambda: jobs.create_raw(
            body, headers={"Content-Type": "application/json", **headers}, sandbox=sandbox
        ),
        lambda job: kit.segment_ids_of(job) == [kit.segment],
    )
    if exchange.status is not None and exchange.status >= 400:
        require(
            not made,
            "SJ-AUTH-007",
            "no job created by a refused create",
            f"HTTP {exchange.status}, yet the listing shows {'; '.join(made)}",
            exchange,
        )
    return exchange


@pytest.mark.requirement("SJ-ERROR-001", "SJ-ERROR-003")
@pytest.mark.parametrize(
    "problem",
    [pytest.param(p, marks=pytest.mark.requirement(p.requirement), id=name) for name, p in PROBLEMS.items()],
)
@pytest.mark.parametrize("op", OPS)
def test_a_request_without_valid_credentials_is_refused(
    op: str, problem: Problem, api: ApiClient, jobs: JobTracker, kit: Kit
) -> None:
    headers = problem.headers()
    exchange = _create(headers, jobs, kit) if op == "create" else REQUESTS[op](api, kit, headers)
    kit.refused(exchange, problem.allowed, problem.requirement, OPERATIONS[op])


@pytest.mark.creates_jobs
@pytest.mark.fleet("secondary")
@pytest.mark.requirement(
    "SJ-AUTH-007",
    "SJ-AUTH-002",
    "SJ-CREATE-001",
    "SJ-GET-001",
    "SJ-GET-003",
    "SJ-LIFECYCLE-001",
    "SJ-ERROR-001",
    "SJ-ERROR-003",
    "SJ-HTTP-001",
    "SJ-HTTP-002",
)
def test_a_refused_cancel_changes_nothing(fleet: Fleet, api: ApiClient, kit: Kit) -> None:
    job_id = fleet.job_id("secondary")
    _, before = kit.read(job_id)
    exchange = api.cancel_job(job_id, headers={"Authorization": f"Bearer {_invalid_token()}"})
    kit.refused(exchange, CREDENTIAL, "SJ-AUTH-002", "cancelSegmentJob")
    read, after = kit.read(job_id)
    _require_not_cancelled(before, after, "SJ-AUTH-007", read)


def _require_not_cancelled(
    before: dict[str, object], after: dict[str, object], requirement: str, exchange: Exchange
) -> None:
    was, now = str(before["status"]), str(after["status"])
    cancelled = now in ("CANCELLING", "CANCELLED") and was not in ("CANCELLING", "CANCELLED")
    require(
        not cancelled and illegal_step([was, now]) is None,
        requirement,
        f"the job unchanged by the refused cancel ({was}, or a later status of its own run)",
        f"{was} -> {now}",
        exchange,
    )


@pytest.mark.requirement(
    "SJ-AUTH-005",
    "SJ-LIST-002",
    "SJ-LIST-014",
    "SJ-LIFECYCLE-001",
    "SJ-ERROR-001",
    "SJ-HTTP-001",
    "SJ-HTTP-002",
)
def test_a_request_without_a_sandbox_name_is_refused_or_served(
    api: ApiClient, kit: Kit, request: pytest.FixtureRequest
) -> None:
    exchange = api.list_jobs({"limit": "1"}, headers={"x-sandbox-name": None})
    if exchange.status is not None and 400 <= exchange.status < 500:
        request.node.user_properties.append(
            ("missing x-sandbox-name", f"refused with HTTP {exchange.status}")
        )
        kit.no_page()
        return
    kit.check_page(exchange, "SJ-AUTH-005")
    request.node.user_properties.append(("missing x-sandbox-name", "served (from the default sandbox)"))


# -- isolation between sandboxes --------------------------------------------------------------------------
def _other(settings: Settings, api: ApiClient) -> dict[str, str | None]:
    """Headers of the second sandbox; disables the test when the credentials do not reach it."""
    assert settings.second_sandbox is not None
    headers: dict[str, str | None] = {"x-sandbox-name": settings.second_sandbox}
    probe = api.list_jobs({"limit": "1"}, headers=headers)
    if probe.status in CREDENTIAL:
        raise Disabled(
            f"the second sandbox {settings.second_sandbox!r} is refused (HTTP {probe.status}); "
            "check SEGJOBS_SECOND_SANDBOX_NAME",
            cause="second sandbox refused",
        )
    return headers


@dataclass(frozen=True)
class Crossing:
    """A job of one sandbox, and the headers of its own sandbox and of the other one."""

    job_id: str
    home: dict[str, str | None]
    away: dict[str, str | None]
    home_name: str
    away_name: str


def _crossing(direction: str, fleet: Fleet, api: ApiClient, settings: Settings) -> Crossing:
    """The fleet's secondary job seen from the second sandbox, or its job of the second sandbox seen from
    the first. That job runs the first configured segment definition; a target whose second sandbox does
    not know it refuses the create, which leaves this direction out of scope."""
    second = _other(settings, api)
    assert settings.second_sandbox is not None
    first: dict[str, str | None] = {"x-sandbox-name": settings.sandbox}
    if direction == "first-sandbox-job":
        return Crossing(fleet.job_id("secondary"), first, second, settings.sandbox, settings.second_sandbox)
    created = fleet.member("other").exchange
    status = None if created is None else created.status
    if status is not None and 400 <= status < 500 and status != 429:
        raise Disabled(
            f"the second sandbox {settings.second_sandbox!r} refused the run's create (HTTP "
            f"{status}): the segment definition {settings.segment_ids[0]} may not exist there",
            cause="no job in the second sandbox",
        )
    return Crossing(fleet.job_id("other"), second, first, settings.second_sandbox, settings.sandbox)


#: both directions: the first sandbox's job seen from the second, the second's (standard) from the first
DIRECTIONS = [
    pytest.param("first-sandbox-job", marks=pytest.mark.fleet("secondary")),
    pytest.param("second-sandbox-job", marks=[pytest.mark.fleet("other"), pytest.mark.profile("standard")]),
]


@pytest.mark.creates_jobs
@pytest.mark.needs("second_sandbox")
@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.requirement(
    "SJ-AUTH-006",
    "SJ-LIST-012",
    "SJ-LIST-001",
    "SJ-LIST-002",
    "SJ-LIST-014",
    "SJ-CREATE-001",
    "SJ-LIFECYCLE-001",
    "SJ-ERROR-001",
    "SJ-HTTP-001",
    "SJ-HTTP-002",
)
def test_a_job_is_not_listed_from_another_sandbox(
    direction: str, fleet: Fleet, api: ApiClient, kit: Kit, settings: Settings
) -> None:
    crossing = _crossing(direction, fleet, api, settings)
    job_id = crossing.job_id
    looks: list[list[tuple[str, str]]] = [
        [("property", f"id=={job_id}")],
        _newest_of_segment(kit.segment),
        [("limit", "100"), ("sort", "creationTime:desc")],
    ]
    for params in looks:
        exchange = api.list_jobs(params, headers=crossing.away)
        if params == looks[0] and _refused(exchange):
            continue  # no filter on id, which a server need not support (ERRATA E-25): the others look
        page = kit.check_page(exchange)
        ids = [c.get("id") for c in page["children"]]
        require(
            job_id not in ids,
            ["SJ-AUTH-006", "SJ-LIST-012"],
            f"the job {job_id} of the sandbox {crossing.home_name} not listed in {crossing.away_name}",
            "it is listed there",
            exchange,
        )


@pytest.mark.creates_jobs
@pytest.mark.needs("second_sandbox")
@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.requirement("SJ-AUTH-006", "SJ-CREATE-001", "SJ-ERROR-001", "SJ-ERROR-003")
def test_a_job_is_not_readable_from_another_sandbox(
    direction: str, fleet: Fleet, api: ApiClient, kit: Kit, settings: Settings
) -> None:
    crossing = _crossing(direction, fleet, api, settings)
    exchange = api.get_job(crossing.job_id, headers=crossing.away)
    kit.refused(exchange, {404}, "SJ-AUTH-006", "getSegmentJob")


@pytest.mark.creates_jobs
@pytest.mark.needs("second_sandbox")
@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.requirement(
    "SJ-AUTH-006", "SJ-CREATE-001", "SJ-BULK-001", "SJ-ERROR-001", "SJ-HTTP-001", "SJ-HTTP-002"
)
def test_a_job_is_not_bulk_read_from_another_sandbox(
    direction: str, fleet: Fleet, api: ApiClient, settings: Settings
) -> None:
    crossing = _crossing(direction, fleet, api, settings)
    job_id = crossing.job_id
    exchange = api.bulk_get([job_id], headers=crossing.away)
    expect_status(exchange, {207}, "SJ-BULK-001")
    body = expect_json(exchange)
    results = body.get("results") if isinstance(body, dict) else None
    entry = results.get(job_id) if isinstance(results, dict) else None
    shown = entry.get("status") if isinstance(entry, dict) else None
    require(
        not (isinstance(shown, str) and shown in STATUSES),
        "SJ-AUTH-006",
        f"the job {job_id} left out, or an error entry, from the sandbox {crossing.away_name}",
        f"the job: {json.dumps(entry)[:200]}",
        exchange,
    )


@pytest.mark.creates_jobs
@pytest.mark.needs("second_sandbox")
@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.requirement(
    "SJ-AUTH-006",
    "SJ-CREATE-001",
    "SJ-GET-001",
    "SJ-GET-003",
    "SJ-LIFECYCLE-001",
    "SJ-ERROR-001",
    "SJ-ERROR-003",
    "SJ-HTTP-001",
    "SJ-HTTP-002",
)
def test_a_job_cannot_be_cancelled_from_another_sandbox(
    direction: str, fleet: Fleet, api: ApiClient, kit: Kit, settings: Settings, late: LateChecks
) -> None:
    """Refused at once, and not applied later either: the job of the second sandbox, which no test
    cancels, is read again once the cancel timeout has passed (the first sandbox's job, the secondary, is
    judged at its end by the cancel tests: it must not end cancelled)."""
    crossing = _crossing(direction, fleet, api, settings)
    job_id = crossing.job_id
    _, before = kit.read(job_id, headers=crossing.home)
    sent = fleet.jobs.clock()
    exchange = api.cancel_job(job_id, headers=crossing.away)
    kit.refused(exchange, {404}, "SJ-AUTH-006", "cancelSegmentJob")
    read, after = kit.read(job_id, headers=crossing.home)
    _require_not_cancelled(before, after, "SJ-AUTH-006", read)
    if direction == "second-sandbox-job":
        late.add(
            f"the job {job_id} of {crossing.home_name} after a cancel from {crossing.away_name}",
            lambda: _not_cancelled_later(kit, job_id, crossing),
            ("SJ-AUTH-006", "SJ-GET-001", "SJ-GET-003", "SJ-HTTP-001", "SJ-HTTP-002"),
            sent_at=sent,
        )


def _not_cancelled_later(kit: Kit, job_id: str, crossing: Crossing) -> None:
    """Late check: the job whose cancel from the other sandbox was refused is still readable in its own, and
    neither it nor any earlier read of it showed CANCELLING or CANCELLED."""
    exchange = kit.api.get_job(job_id, headers=crossing.home)
    require(
        exchange.status != 404,
        "SJ-AUTH-006",
        f"the job {job_id} still in {crossing.home_name} after its cancel from {crossing.away_name} was "
        "refused",
        "HTTP 404: it is gone",
        exchange,
    )
    expect_status(exchange, {200}, "SJ-GET-001")
    expect_job(exchange, "SJ-GET-003")
    tracked = kit.jobs.jobs[job_id]
    require(
        not set(tracked.statuses) & CANCEL_EFFECT,
        "SJ-AUTH-006",
        f"a job whose only cancel, from {crossing.away_name}, was refused never cancelled "
        f"(read {kit.settings.cancel_timeout:g} s after that cancel)",
        " -> ".join(compress(tracked.statuses)),
        exchange,
    )


@pytest.mark.requirement("SJ-ERROR-002")
def test_gateway_refusals_carry_a_json_error_body(api: ApiClient, kit: Kit) -> None:
    """Each credential problem again, on every operation that creates nothing, judged for its body only."""
    kit.error_bodies(
        send(api, kit, problem.headers()) for problem in PROBLEMS.values() for send in REQUESTS.values()
    )


@pytest.mark.creates_jobs
@pytest.mark.needs("second_sandbox")
@pytest.mark.fleet("secondary")
@pytest.mark.requirement("SJ-ERROR-002", "SJ-CREATE-001", "SJ-ERROR-001")
def test_cross_sandbox_refusals_carry_a_json_error_body(
    fleet: Fleet, api: ApiClient, kit: Kit, settings: Settings
) -> None:
    """A read of a job from another sandbox, judged for the body of its refusal only."""
    job_id = fleet.job_id("secondary")
    kit.error_bodies([api.get_job(job_id, headers=_other(settings, api))])
