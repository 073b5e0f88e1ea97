"""HTTP rules every answer follows: framing, JSON content type, no redirects, answers in time."""

from __future__ import annotations

import uuid

import pytest

from conformance._checks import expect_error_body, expect_json, expect_status, require
from conformance._client import ApiClient
from conformance._outcomes import Disabled


@pytest.mark.requirement(
    "SJ-LIST-001", "SJ-HTTP-001", "SJ-HTTP-002", "SJ-HTTP-005", "SJ-HTTP-006", "SJ-ERROR-001"
)
def test_listing_answers_json_at_the_base_url(api: ApiClient) -> None:
    exchange = api.list_jobs({"limit": "1"})
    expect_status(exchange, {200}, "SJ-LIST-001")
    expect_json(exchange)


@pytest.mark.requirement("SJ-GET-002", "SJ-ERROR-002", "SJ-ERROR-001")
def test_unknown_job_id_answers_404_with_an_error_body(api: ApiClient) -> None:
    exchange = api.get_job(str(uuid.uuid4()))
    expect_status(exchange, {404}, "SJ-GET-002")
    expect_error_body(exchange)


@pytest.mark.requirement("SJ-ERROR-004", "SJ-ERROR-001")
def test_unsupported_method_answers_405_with_allow(api: ApiClient) -> None:
    exchange = api.request("PATCH", "/segment/jobs")
    expect_status(exchange, {405}, "SJ-ERROR-004")
    require(exchange.header("allow"), "SJ-ERROR-004", "an Allow header", "no Allow header", exchange)


@pytest.mark.after_all
@pytest.mark.requirement("SJ-ERROR-005")
def test_every_429_seen_carried_retry_after(api: ApiClient) -> None:
    throttled = list(api.stats.throttled)
    if not throttled:
        raise Disabled("the target answered no request with 429 during this run", cause="no 429 answered")
    for exchange in throttled:
        require(
            exchange.header("retry-after"),
            "SJ-ERROR-005",
            "a Retry-After header on 429",
            "429 without Retry-After",
            exchange,
        )
