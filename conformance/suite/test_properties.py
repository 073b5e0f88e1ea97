"""Property tests: requests generated from the spec, valid and invalid, for each operation.

One test per operation and kind of data, so a failure names the operation and the requirement the failed
check stands for. The machinery, the checks in use and those left out (with the reasons) are described in
:mod:`conformance.properties`.
"""

from __future__ import annotations

import json

import pytest

from conformance import properties as props
from conformance._client import ApiClient, TransportError
from conformance._config import Settings
from conformance._jobs import BudgetExhausted, JobTracker
from conformance._outcomes import Judgement
from conformance._profiles import Profile
from conformance.properties import latitude

#: the valid creates of this module share one allowance: the create test's, and the job the cancel test needs
POSITIVE_CREATES = props.allowance("positive_creates")
NEGATIVE_CREATES = props.allowance("negative_creates")


# -- fixtures ----------------------------------------------------------------------------------------------
@pytest.fixture
def prober(settings: Settings, api: ApiClient, jobs: JobTracker) -> props.Prober:
    return props.Prober(settings, api, jobs)


@pytest.fixture(scope="module")
def allowance(profile: Profile) -> props.JobAllowance:
    return props.ALLOWANCES[profile.name]


@pytest.fixture(scope="module")
def valid_creates(jobs: JobTracker, allowance: props.JobAllowance) -> props.CreateBudget:
    """Valid creates of this module: the create test's, and the job the get/bulk-get/cancel tests need."""
    return props.CreateBudget(jobs, allowance.positive_creates)


@pytest.fixture(scope="module")
def own_jobs() -> list[str]:
    """IDs of the jobs this module created, oldest first."""
    return []


@pytest.fixture
def own_job_id(
    settings: Settings,
    api: ApiClient,
    jobs: JobTracker,
    own_jobs: list[str],
    valid_creates: props.CreateBudget,
) -> str | None:
    """A job of this run to pin as ``segmentJobId`` of a cancel: one of this module's, else one created now
    within the allowance, else None (then only ids that cannot exist are cancelled). Never another's job."""
    if own_jobs:
        return own_jobs[0]
    if settings.read_only or not valid_creates.take():
        return None
    try:
        exchange = api.create_job(settings.segment_ids[:1])
    except TransportError:
        return None
    jobs.track_answer(exchange, settings.sandbox, settings.segment_ids[:1])
    created = _job_id(exchange.body) if exchange.status == 200 else None
    if created is not None:
        own_jobs.append(created)
    return created


@pytest.fixture
def readable_job_id(api: ApiClient, jobs: JobTracker, own_jobs: list[str]) -> str | None:
    """A job to pin as ``segmentJobId`` of a read: one of this module's that no test cancelled (a cancelled
    job may be gone, E-19), else the newest of the listing (reading another's job is harmless), else None
    (generated IDs only)."""
    live = [j for j in own_jobs if j in jobs.jobs and not jobs.jobs[j].cancel_requested]
    if live:
        return live[0]
    try:
        listing = api.list_jobs({"limit": "1"})
    except TransportError:
        return None
    return _first_child_id(listing.body) if listing.status == 200 else None


def _first_child_id(body: bytes) -> str | None:
    try:
        children = json.loads(body).get("children")
    except (ValueError, AttributeError):
        return None
    if isinstance(children, list) and children and isinstance(children[0], dict):
        value = children[0].get("id")
        return value if isinstance(value, str) else None
    return None


def _job_id(body: bytes) -> str | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    value = data.get("id") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


# -- valid data --------------------------------------------------------------------------------------------
@pytest.mark.creates_jobs(POSITIVE_CREATES, shared="properties")
@pytest.mark.requirement(
    "SJ-CREATE-001", "SJ-CREATE-006", "SJ-HTTP-001", "SJ-HTTP-002", "SJ-ERROR-001", "SJ-ERROR-003"
)
def test_create_with_valid_bodies(
    prober: props.Prober,
    settings: Settings,
    profile: Profile,
    valid_creates: props.CreateBudget,
    own_jobs: list[str],
    judgement: Judgement,
) -> None:
    checks = props.checks.positive(prober.jobs, prober.judged)

    def handle(case: props.AnyCase) -> None:
        if not valid_creates.take():
            prober.stopped = True
            return
        exchange = prober.exercise(case, props.CREATE, checks)
        if exchange is not None and exchange.status is not None and 200 <= exchange.status < 300:
            created = _job_id(exchange.body)
            if created is not None:
                own_jobs.append(created)

    prober.explore(props.create_cases(prober.schema, settings.segment_ids), profile.property_examples, handle)
    if valid_creates.used == 0 and valid_creates.exhausted_by is not None:
        raise BudgetExhausted(valid_creates.exhausted_by)
    prober.finish(judgement)


# Right after the creates, so that the pinned job still runs when it is cancelled.
@pytest.mark.creates_jobs(1, shared="properties")
@pytest.mark.requirement(
    "SJ-CANCEL-001", "SJ-CANCEL-003", "SJ-CANCEL-008", "SJ-ERROR-001", "SJ-ERROR-002", "SJ-ERROR-003"
)
def test_cancel_with_valid_ids(
    prober: props.Prober, profile: Profile, own_job_id: str | None, judgement: Judgement
) -> None:
    job_id = own_job_id
    checks = props.checks.cancel(prober.api, prober.jobs, prober.judged, [job_id] if job_id else [])
    prober.explore_operation(
        props.job_cases(prober.schema, props.CANCEL, job_id), profile.property_examples, props.CANCEL, checks
    )
    prober.finish(judgement)


@pytest.mark.requirement(
    "SJ-LIST-001", "SJ-LIST-014", "SJ-HTTP-001", "SJ-HTTP-002", "SJ-ERROR-001", "SJ-ERROR-003"
)
def test_listing_with_valid_queries(prober: props.Prober, profile: Profile, judgement: Judgement) -> None:
    checks = props.checks.positive(prober.jobs, prober.judged)
    prober.explore_operation(
        props.listing_cases(prober.schema), profile.property_examples, props.LIST, checks
    )
    prober.finish(judgement)


@pytest.mark.requirement(
    "SJ-GET-001", "SJ-GET-003", "SJ-HTTP-001", "SJ-HTTP-002", "SJ-ERROR-001", "SJ-ERROR-002", "SJ-ERROR-003"
)
def test_get_with_valid_ids(
    prober: props.Prober, profile: Profile, readable_job_id: str | None, judgement: Judgement
) -> None:
    job_id = readable_job_id
    checks = props.checks.positive(prober.jobs, prober.judged, [job_id] if job_id else [])
    prober.explore_operation(
        props.job_cases(prober.schema, props.GET, job_id), profile.property_examples, props.GET, checks
    )
    prober.finish(judgement)


@pytest.mark.requirement(
    "SJ-BULK-001", "SJ-BULK-007", "SJ-HTTP-001", "SJ-HTTP-002", "SJ-ERROR-001", "SJ-ERROR-003"
)
def test_bulk_get_with_valid_bodies(
    prober: props.Prober, profile: Profile, readable_job_id: str | None, judgement: Judgement
) -> None:
    checks = props.checks.positive(prober.jobs, prober.judged)
    prober.explore_operation(
        props.bulk_get_cases(prober.schema, readable_job_id),
        profile.property_examples,
        props.BULK_GET,
        checks,
    )
    prober.finish(judgement)


# -- invalid data ------------------------------------------------------------------------------------------
@pytest.mark.requirement("SJ-LIST-013", "SJ-ERROR-001", "SJ-ERROR-002", "SJ-ERROR-003")
def test_listing_refuses_invalid_queries(
    prober: props.Prober, profile: Profile, judgement: Judgement
) -> None:
    # an invalid query value may be refused or ignored with a correct answer (ERRATA E-30): judged by content
    prober.explore_operation(
        props.negative_cases(prober.schema, props.LIST),
        profile.property_examples,
        props.LIST,
        latitude.negative_listing(prober.api, prober.judged),
    )
    prober.finish(judgement)


@pytest.mark.creates_jobs(NEGATIVE_CREATES, accepted=0)
@pytest.mark.requirement("SJ-CREATE-008", "SJ-ERROR-001", "SJ-ERROR-002", "SJ-ERROR-003")
def test_create_refuses_invalid_bodies(
    prober: props.Prober,
    profile: Profile,
    jobs: JobTracker,
    allowance: props.JobAllowance,
    judgement: Judgement,
) -> None:
    # A conformant server creates nothing here. One job is reserved for a server that accepts invalid data:
    # generation stops at the first create it accepts, so at most that one job comes into being.
    budget = props.CreateBudget(jobs, allowance.negative_creates)
    if not budget.take():
        raise BudgetExhausted(budget.exhausted_by or "no job budget left")

    def handle(case: props.AnyCase) -> None:
        exchange = prober.exercise(case, props.CREATE, props.checks.NEGATIVE)
        if exchange is not None and exchange.status is not None and 200 <= exchange.status < 300:
            prober.stopped = True

    prober.explore(props.negative_cases(prober.schema, props.CREATE), profile.property_examples, handle)
    prober.finish(judgement)


@pytest.mark.requirement("SJ-BULK-006", "SJ-ERROR-001", "SJ-ERROR-002", "SJ-ERROR-003")
def test_bulk_get_refuses_invalid_bodies(
    prober: props.Prober, profile: Profile, judgement: Judgement
) -> None:
    prober.explore_operation(
        props.negative_cases(prober.schema, props.BULK_GET),
        profile.property_examples,
        props.BULK_GET,
        props.checks.NEGATIVE,
    )
    prober.finish(judgement)


# -- credentials -------------------------------------------------------------------------------------------
@pytest.mark.requirement("SJ-AUTH-001", "SJ-AUTH-002")
def test_credentials_are_enforced(prober: props.Prober, api: ApiClient, judgement: Judgement) -> None:
    """One listing with valid credentials, then the same without credentials, and with an invalid bearer
    token and every other credential right."""
    case = props.listing_case(prober.schema, prober.headers)
    exchange = prober.exercise(case, props.LIST, props.checks.credentials(api, prober.judged))
    if exchange is not None and exchange.status is not None and not 200 <= exchange.status < 300:
        prober.findings.add(
            props.Finding(
                ("SJ-LIST-001",),
                "HTTP 200 to a listing with valid credentials (needed to probe the credentials)",
                f"HTTP {exchange.status}",
                exchange,
            )
        )
    prober.finish(judgement)
