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
from collections.abc import Mapping
from typing import TYPE_CHECKING

import pytest

from conformance._checks import error_body_problem, expect_json, expect_status, require
from conformance._client import ApiClient, Exchange
from conformance._config import Settings
from conformance._jobs import JobTracker
from conformance._lifecycle import STATUSES, illegal_step
from conformance._outcomes import Disabled

if TYPE_CHECKING:
    from conformance.suite.conftest import Fleet, Kit

GROUP = "auth"
CREDENTIAL = (401, 403)
OPERATIONS = {
    "list": "listSegmentJobs",
    "get": "getSegmentJob",
    "bulk-get": "bulkGetSegmentJobs",
    "cancel": "cancelSegmentJob",
    "create": "createSegmentJob",
}
OPS = [
    "list",
    "get",
    "bulk-get",
    "cancel",
    pytest.param(
        "create",
        marks=[
            pytest.mark.profile("standard"),
            pytest.mark.creates_jobs(1),
            pytest.mark.requirement("SJ-AUTH-007"),
        ],
    ),
]


def _invalid_token() -> str:
    return f"segjobs-invalid-{uuid.uuid4().hex}"


def _send(op: str, headers: Mapping[str, str | None], api: ApiClient, jobs: JobTracker, kit: Kit) -> Exchange:
    """One request of the operation with ``headers`` changed; a create is also checked to have made no job."""
    if op == "list":
        return api.list_jobs({"limit": "1"}, headers=headers)
    if op == "get":
        return api.get_job(kit.random_id(), headers=headers)
    if op == "bulk-get":
        return api.bulk_get([kit.random_id()], headers=headers)
    if op == "cancel":
        return api.cancel_job(kit.random_id(), headers=headers)
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


@pytest.mark.requirement("SJ-AUTH-001")
@pytest.mark.parametrize("op", OPS)
def test_a_request_without_a_token_is_refused(op: str, api: ApiClient, jobs: JobTracker, kit: Kit) -> None:
    exchange = _send(op, {"Authorization": None}, api, jobs, kit)
    kit.refused(exchange, CREDENTIAL, "SJ-AUTH-001", OPERATIONS[op], GROUP)


@pytest.mark.requirement("SJ-AUTH-002")
@pytest.mark.parametrize("op", OPS)
def test_a_request_with_an_invalid_token_is_refused(
    op: str, api: ApiClient, jobs: JobTracker, kit: Kit
) -> None:
    exchange = _send(op, {"Authorization": f"Bearer {_invalid_token()}"}, api, jobs, kit)
    kit.refused(exchange, CREDENTIAL, "SJ-AUTH-002", OPERATIONS[op], GROUP)


@pytest.mark.requirement("SJ-AUTH-003")
@pytest.mark.parametrize("op", OPS)
def test_a_request_without_an_api_key_is_refused(op: str, api: ApiClient, jobs: JobTracker, kit: Kit) -> None:
    exchange = _send(op, {"x-api-key": None}, api, jobs, kit)
    kit.refused(exchange, CREDENTIAL, "SJ-AUTH-003", OPERATIONS[op], GROUP)


@pytest.mark.requirement("SJ-AUTH-009")
@pytest.mark.parametrize("op", OPS)
def test_a_request_with_an_invalid_api_key_is_refused(
    op: str, api: ApiClient, jobs: JobTracker, kit: Kit
) -> None:
    exchange = _send(op, {"x-api-key": f"segjobs-invalid-{uuid.uuid4().hex}"}, api, jobs, kit)
    kit.refused(exchange, CREDENTIAL, "SJ-AUTH-009", OPERATIONS[op], GROUP)


@pytest.mark.requirement("SJ-AUTH-004")
@pytest.mark.parametrize("op", OPS)
def test_a_request_without_the_org_header_is_refused(
    op: str, api: ApiClient, jobs: JobTracker, kit: Kit
) -> None:
    exchange = _send(op, {"x-gw-ims-org-id": None}, api, jobs, kit)
    kit.refused(exchange, range(400, 500), "SJ-AUTH-004", OPERATIONS[op], GROUP)


@pytest.mark.requirement("SJ-AUTH-008")
@pytest.mark.parametrize("op", OPS)
def test_a_request_naming_an_unknown_sandbox_is_refused(
    op: str, api: ApiClient, jobs: JobTracker, kit: Kit
) -> None:
    exchange = _send(
        op, {"x-sandbox-name": f"segjobs-no-such-sandbox-{uuid.uuid4().hex[:12]}"}, api, jobs, kit
    )
    kit.refused(exchange, range(400, 500), "SJ-AUTH-008", OPERATIONS[op], GROUP)


@pytest.mark.creates_jobs
@pytest.mark.fleet("secondary")
@pytest.mark.requirement("SJ-AUTH-007", "SJ-AUTH-002")
def test_a_refused_cancel_changes_nothing(fleet: Fleet, api: ApiClient, kit: Kit) -> None:
    job_id = fleet.job_id("secondary")
    _, before = kit.read(job_id)
    exchange = api.cancel_job(job_id, headers={"Authorization": f"Bearer {_invalid_token()}"})
    kit.refused(exchange, CREDENTIAL, "SJ-AUTH-002", "cancelSegmentJob", GROUP)
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


@pytest.mark.requirement("SJ-AUTH-005")
def test_a_request_without_a_sandbox_name_is_refused_or_served(
    api: ApiClient, kit: Kit, request: pytest.FixtureRequest
) -> None:
    exchange = api.list_jobs({"limit": "1"}, headers={"x-sandbox-name": None})
    if exchange.status is not None and 400 <= exchange.status < 500:
        request.node.user_properties.append(
            ("missing x-sandbox-name", f"refused with HTTP {exchange.status}")
        )
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


@pytest.mark.creates_jobs
@pytest.mark.needs("second_sandbox")
@pytest.mark.fleet("secondary")
@pytest.mark.requirement("SJ-AUTH-006", "SJ-LIST-012")
def test_a_job_is_not_listed_from_another_sandbox(
    fleet: Fleet, api: ApiClient, kit: Kit, settings: Settings
) -> None:
    job_id = fleet.job_id("secondary")
    headers = _other(settings, api)
    for params in ({"property": f"id=={job_id}"}, {"limit": "100", "sort": "creationTime:desc"}):
        exchange, page = kit.page(params, headers=headers)
        ids = [c.get("id") for c in page["children"]]
        require(
            job_id not in ids,
            ["SJ-AUTH-006", "SJ-LIST-012"],
            f"the job {job_id} of the sandbox {settings.sandbox} not listed in {settings.second_sandbox}",
            "it is listed there",
            exchange,
        )


@pytest.mark.creates_jobs
@pytest.mark.needs("second_sandbox")
@pytest.mark.fleet("secondary")
@pytest.mark.requirement("SJ-AUTH-006")
def test_a_job_is_not_readable_from_another_sandbox(
    fleet: Fleet, api: ApiClient, kit: Kit, settings: Settings
) -> None:
    job_id = fleet.job_id("secondary")
    exchange = api.get_job(job_id, headers=_other(settings, api))
    kit.refused(exchange, {404}, "SJ-AUTH-006", "getSegmentJob", GROUP)


@pytest.mark.creates_jobs
@pytest.mark.needs("second_sandbox")
@pytest.mark.fleet("secondary")
@pytest.mark.requirement("SJ-AUTH-006")
def test_a_job_is_not_bulk_read_from_another_sandbox(
    fleet: Fleet, api: ApiClient, settings: Settings
) -> None:
    job_id = fleet.job_id("secondary")
    exchange = api.bulk_get([job_id], headers=_other(settings, api))
    expect_status(exchange, {207}, "SJ-BULK-001")
    body = expect_json(exchange)
    results = body.get("results") if isinstance(body, dict) else None
    entry = results.get(job_id) if isinstance(results, dict) else None
    shown = entry.get("status") if isinstance(entry, dict) else None
    require(
        not (isinstance(shown, str) and shown in STATUSES),
        "SJ-AUTH-006",
        f"the job {job_id} left out, or an error entry, from the sandbox {settings.second_sandbox}",
        f"the job: {json.dumps(entry)[:200]}",
        exchange,
    )


@pytest.mark.creates_jobs
@pytest.mark.needs("second_sandbox")
@pytest.mark.fleet("secondary")
@pytest.mark.requirement("SJ-AUTH-006")
def test_a_job_cannot_be_cancelled_from_another_sandbox(
    fleet: Fleet, api: ApiClient, kit: Kit, settings: Settings
) -> None:
    job_id = fleet.job_id("secondary")
    headers = _other(settings, api)
    _, before = kit.read(job_id)
    exchange = api.cancel_job(job_id, headers=headers)
    kit.refused(exchange, {404}, "SJ-AUTH-006", "cancelSegmentJob", GROUP)
    read, after = kit.read(job_id)
    _require_not_cancelled(before, after, "SJ-AUTH-006", read)


@pytest.mark.requirement("SJ-ERROR-002")
def test_gateway_refusals_carry_a_json_error_body(api: ApiClient, kit: Kit) -> None:
    if not kit.refusals_of(GROUP):
        kit.refused(
            api.list_jobs({"limit": "1"}, headers={"Authorization": None}),
            CREDENTIAL,
            "SJ-AUTH-001",
            "listSegmentJobs",
            GROUP,
        )
    for refusal in kit.refusals_of(GROUP):
        if refusal.exchange.status is None or refusal.exchange.status < 400:
            continue
        problem = error_body_problem(refusal.exchange)
        require(problem is None, "SJ-ERROR-002", "a JSON error body", problem or "", refusal.exchange)
