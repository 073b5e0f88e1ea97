"""Bad input: a create (or bulk-get) request the API cannot accept is refused with a 4xx, never a 5xx, and
creates no job.

Every create goes through the job tracker (``create_raw``), so it counts against the job budget and a job a
server creates anyway is cancelled at the end. Whether a refused request created a job all the same is seen
in the newest jobs of the listing, before and after. The JSON error body is a SHOULD, checked on its own at
the end (ERRATA E-03, E-16, E-17, E-24).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

import pytest

from conformance._checks import error_body_problem, require
from conformance._client import ApiClient
from conformance._jobs import JobTracker

if TYPE_CHECKING:
    from conformance.suite.conftest import Kit

GROUP = "bad_input"


def _refused_create(
    jobs: JobTracker,
    kit: Kit,
    body: bytes,
    requirement: str,
    matching: Callable[[dict[str, Any]], bool],
    *,
    content_type: str = "application/json",
    allowed: Collection[int] | range = range(400, 500),
) -> None:
    """The create is refused, and no job like the one it asks for appears (``matching`` tells a job the
    request could have made from those of other clients)."""
    exchange, made = kit.creates_nothing(
        lambda: jobs.create_raw(body, headers={"Content-Type": content_type}), matching
    )
    kit.refused(exchange, allowed, requirement, "createSegmentJob", GROUP)
    require(
        not made,
        requirement,
        "no job created by the refused request",
        f"HTTP {exchange.status}, yet the listing shows {'; '.join(made)}",
        exchange,
    )


def _without_a_known_definition(kit: Kit) -> Callable[[dict[str, Any]], bool]:
    """A job a body without a usable segment id could have made: none of its segments is a definition of
    the target (every job of another client runs one)."""
    known = {*kit.settings.segment_ids, kit.settings.failing_segment_id or ""}
    return lambda job: not known & {str(s) for s in kit.segment_ids_of(job)}


@pytest.mark.creates_jobs(1)
@pytest.mark.requirement("SJ-CREATE-010", "SJ-ERROR-001", "SJ-ERROR-003")
def test_malformed_json_is_refused(jobs: JobTracker, kit: Kit) -> None:
    body = ('[{"segmentId": "' + kit.segment + '",}]').encode()  # the doc's own example (ERRATA E-03)
    _refused_create(jobs, kit, body, "SJ-CREATE-010", lambda j: kit.segment_ids_of(j) == [kit.segment])


@pytest.mark.creates_jobs(1)
@pytest.mark.requirement("SJ-CREATE-011", "SJ-ERROR-001")
def test_a_create_body_not_sent_as_json_is_refused(jobs: JobTracker, kit: Kit) -> None:
    body = json.dumps([{"segmentId": kit.segment}]).encode()
    _refused_create(
        jobs,
        kit,
        body,
        "SJ-CREATE-011",
        lambda j: kit.segment_ids_of(j) == [kit.segment],
        content_type="text/plain",
        allowed={400, 415},
    )


@pytest.mark.requirement("SJ-CREATE-011", "SJ-ERROR-001")
def test_a_bulk_get_body_not_sent_as_json_is_refused(api: ApiClient, kit: Kit) -> None:
    exchange = api.request(
        "POST",
        "/segment/jobs/bulk-get",
        content=json.dumps({"ids": []}).encode(),
        headers={"Content-Type": "text/plain"},
    )
    kit.refused(exchange, {400, 415}, "SJ-CREATE-011", "bulkGetSegmentJobs", GROUP)


@pytest.mark.creates_jobs(1)
@pytest.mark.requirement("SJ-CREATE-008", "SJ-ERROR-001", "SJ-ERROR-003")
def test_an_empty_array_is_refused(jobs: JobTracker, kit: Kit) -> None:
    _refused_create(jobs, kit, b"[]", "SJ-CREATE-008", lambda j: not kit.segment_ids_of(j))


@pytest.mark.profile("standard")
@pytest.mark.creates_jobs(1)
@pytest.mark.requirement("SJ-CREATE-008", "SJ-ERROR-001", "SJ-ERROR-003")
def test_an_element_without_a_segment_id_is_refused(jobs: JobTracker, kit: Kit) -> None:
    body = json.dumps([{"segmentID": kit.segment}]).encode()
    _refused_create(jobs, kit, body, "SJ-CREATE-008", _without_a_known_definition(kit))


@pytest.mark.profile("standard")
@pytest.mark.creates_jobs(1)
@pytest.mark.requirement("SJ-CREATE-008", "SJ-ERROR-001", "SJ-ERROR-003")
def test_a_non_string_segment_id_is_refused(jobs: JobTracker, kit: Kit) -> None:
    _refused_create(jobs, kit, b'[{"segmentId": 5}]', "SJ-CREATE-008", _without_a_known_definition(kit))


@pytest.mark.profile("standard")
@pytest.mark.creates_jobs(1)
@pytest.mark.requirement("SJ-CREATE-008", "SJ-ERROR-001", "SJ-ERROR-003")
def test_a_body_that_is_not_an_array_is_refused(jobs: JobTracker, kit: Kit) -> None:
    body = json.dumps({"segmentId": kit.segment}).encode()
    _refused_create(jobs, kit, body, "SJ-CREATE-008", lambda j: kit.segment_ids_of(j) == [kit.segment])


@pytest.mark.creates_jobs(1)
@pytest.mark.requirement("SJ-CREATE-009", "SJ-ERROR-001", "SJ-ERROR-003")
def test_an_unknown_segment_definition_is_refused(jobs: JobTracker, kit: Kit) -> None:
    unknown = kit.random_id()
    body = json.dumps([{"segmentId": unknown}]).encode()
    _refused_create(jobs, kit, body, "SJ-CREATE-009", lambda j: unknown in kit.segment_ids_of(j))


@pytest.mark.requirement("SJ-ERROR-002")
def test_refused_creates_carry_a_json_error_body(api: ApiClient, kit: Kit) -> None:
    if not kit.refusals_of(GROUP):
        exchange = api.request(
            "POST", "/segment/jobs/bulk-get", content=b"{}", headers={"Content-Type": "text/plain"}
        )
        kit.refused(exchange, {400, 415}, "SJ-CREATE-011", "bulkGetSegmentJobs", GROUP)
    for refusal in kit.refusals_of(GROUP):
        if refusal.exchange.status is None or refusal.exchange.status < 400:
            continue
        problem = error_body_problem(refusal.exchange)
        require(problem is None, "SJ-ERROR-002", "a JSON error body", problem or "", refusal.exchange)
