"""The HTTP client: curl lines without secrets, no redirects, size cap, timeouts, 429 and 503, links."""

from __future__ import annotations

import datetime as dt
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from conformance._checks import ConformanceFailure, expect_status
from conformance._client import (
    MAX_RESPONSE_BYTES,
    ApiClient,
    Exchange,
    ProtocolViolation,
    Redirected,
    TargetTimeout,
    Throttled,
    TransportError,
)
from conformance._config import Settings, load_settings
from conformance._redact import Redactor
from conformance._retry import RetryBudget
from conformance.suite._kit import Kit

TOKEN = "tok-DISTINCTIVE-7731"
KEY = "key-DISTINCTIVE-9912"


NOW = dt.datetime(2025, 3, 1, 12, 0, 0, tzinfo=dt.timezone.utc)


class Sleeps(list[float]):
    """Stands for time.sleep: keeps each wait instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def budget(seconds: float = 600.0, resends: int = 1000) -> tuple[RetryBudget, Sleeps]:
    sleeps = Sleeps()
    return RetryBudget(seconds, resends, sleep=sleeps, clock=lambda: NOW), sleeps


def answers(*responses: httpx.Response) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    """A transport giving ``responses`` in turn, and the requests it got."""
    queue, seen = list(responses), []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return queue.pop(0)

    return httpx.MockTransport(handler), seen


def client(handler: httpx.MockTransport | None, **kw: Any) -> ApiClient:
    headers = {
        "Authorization": f"Bearer {TOKEN}",
        "x-api-key": KEY,
        "x-gw-ims-org-id": "ORG@AdobeOrg",
        "x-sandbox-name": "prod",
    }
    return ApiClient(
        "http://127.0.0.1:9", headers, redactor=Redactor.of([TOKEN, KEY]), transport=handler, **kw
    )


def test_curl_line_reproduces_the_request_with_secrets_masked() -> None:
    api = client(httpx.MockTransport(lambda r: httpx.Response(200, json={"id": "j1", "status": "NEW"})))
    exchange = api.create_job(["seg-1"])
    assert exchange.status == 200
    curl = exchange.curl
    assert curl.startswith("curl -X POST http://127.0.0.1:9/segment/jobs")
    assert "'Authorization: Bearer ***'" in curl
    assert "'x-api-key: ***'" in curl
    assert "x-sandbox-name: prod" in curl
    assert '[{"segmentId": "seg-1"}]' in curl
    assert TOKEN not in curl and KEY not in curl


def test_a_redirect_is_reported_not_followed() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(302, headers={"Location": "http://127.0.0.2:9/segment/jobs"})

    with pytest.raises(Redirected) as info:
        client(httpx.MockTransport(handler)).list_jobs()
    assert seen == ["http://127.0.0.1:9/segment/jobs"]
    assert info.value.requirement == "SJ-HTTP-005"
    assert "127.0.0.2" in str(info.value)


def test_credentials_never_go_to_another_host() -> None:
    sent: list[httpx.Headers] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers)
        return httpx.Response(200, json={})

    client(httpx.MockTransport(handler)).request("GET", "http://127.0.0.2:9/segment/jobs")
    assert "authorization" not in sent[0] and "x-api-key" not in sent[0]


def test_an_oversized_answer_is_cut_and_reported() -> None:
    api = client(
        httpx.MockTransport(lambda r: httpx.Response(200, content=b"x" * 5000)), max_response_bytes=1000
    )
    with pytest.raises(ProtocolViolation, match="exceeds 1000 bytes"):
        api.list_jobs()


def test_a_timeout_names_the_timeout_requirement() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(TargetTimeout) as info:
        client(httpx.MockTransport(handler)).get_job("x")
    assert info.value.requirement == "SJ-HTTP-006"
    assert TOKEN not in str(info.value)


# -- 429 and 503: "later" -------------------------------------------------------------------------------
def test_429_is_sent_again_after_the_seconds_it_asks_for() -> None:
    run, sleeps = budget()
    transport, seen = answers(
        httpx.Response(429, headers={"Retry-After": "2"}), httpx.Response(200, json={"ok": 1})
    )
    api = client(transport, retry_budget=run)
    assert api.list_jobs().status == 200
    assert sleeps == [2.0] and len(seen) == 2 and api.stats.requests == 2
    assert [e.status for e in api.stats.throttled] == [429]  # kept, for SJ-ERROR-005
    assert (run.used, run.spent_s) == (1, 2.0)


def test_503_is_sent_again_at_the_date_its_retry_after_names() -> None:
    run, sleeps = budget()
    later = format_datetime(NOW + dt.timedelta(seconds=7), usegmt=True)
    transport, seen = answers(httpx.Response(503, headers={"Retry-After": later}), httpx.Response(204))
    api = client(transport, retry_budget=run)
    assert api.cancel_job("j1").status == 204
    assert sleeps == [7.0] and len(seen) == 2
    assert api.stats.throttled == []  # SJ-ERROR-005 speaks of 429 only


def test_without_retry_after_the_waits_double() -> None:
    run, sleeps = budget()
    transport, _ = answers(
        httpx.Response(429), httpx.Response(503), httpx.Response(429), httpx.Response(200, json={})
    )
    assert client(transport, retry_budget=run).get_job("j1").status == 200
    assert sleeps == [0.5, 1.0, 2.0]


def test_the_budget_is_shared_by_every_request_of_the_run() -> None:
    run, sleeps = budget(seconds=3.0)
    transport, _ = answers(
        httpx.Response(429, headers={"Retry-After": "2"}),
        httpx.Response(200, json={}),
        httpx.Response(429, headers={"Retry-After": "2"}),
    )
    api = client(transport, retry_budget=run)
    assert api.list_jobs().status == 200
    with pytest.raises(Throttled) as info:
        api.get_job("j1")  # 2 s more would make 4 of the 3 s
    assert sleeps == [2.0]
    assert info.value.exchange.status == 429
    assert "retry budget" in str(info.value) and "/segment/jobs/j1" in str(info.value)
    assert len(api.stats.throttled) == 2


def test_a_spent_budget_of_re_sends_stops_a_target_that_says_retry_now() -> None:
    run, sleeps = budget(resends=3)
    api = client(
        httpx.MockTransport(lambda r: httpx.Response(503, headers={"Retry-After": "0"})), retry_budget=run
    )
    with pytest.raises(Throttled) as info:
        api.list_jobs()
    assert api.stats.requests == 4 and sleeps == []
    assert info.value.exchange.status == 503


def test_throttled_is_no_transport_error_and_names_no_requirement() -> None:
    """Code that turns a TransportError into a failure (the property tests' prober) must let it pass."""
    assert not issubclass(Throttled, TransportError | AssertionError)
    assert not hasattr(Throttled, "requirement")


@pytest.mark.parametrize("status", [500, 502, 504])
def test_other_5xx_are_answers_not_later(status: int) -> None:
    run, sleeps = budget()
    transport, seen = answers(httpx.Response(status, headers={"Retry-After": "1"}))
    assert client(transport, retry_budget=run).list_jobs().status == status
    assert len(seen) == 1 and sleeps == []


def _answer(status: int) -> Exchange:
    run, _ = budget(seconds=0)
    transport, _ = answers(httpx.Response(status, json={"title": "x"}))
    api = client(transport, retry_budget=run)
    try:
        return api.list_jobs()
    except Throttled as exc:
        return exc.exchange


@pytest.mark.parametrize("status", [429, 503])
def test_a_later_answer_is_never_the_expected_refusal_nor_a_failure(status: int) -> None:
    exchange = _answer(status)
    with pytest.raises(Throttled):
        expect_status(exchange, range(400, 500), "SJ-LIST-013")
    with pytest.raises(Throttled):
        expect_status(exchange, {200}, "SJ-LIST-001")
    with pytest.raises(Throttled):
        Kit.refused(exchange, range(400, 500), "SJ-LIST-013", "listSegmentJobs")


def test_a_502_still_fails_the_no_5xx_requirement() -> None:
    with pytest.raises(ConformanceFailure) as info:
        expect_status(_answer(502), {200}, "SJ-LIST-001")
    assert info.value.requirements == ("SJ-LIST-001", "SJ-ERROR-001")


def test_the_retry_budget_is_a_setting() -> None:
    assert load_settings({}, {"SEGJOBS_RETRY_BUDGET": "45"}).retry_budget == 45.0
    assert Settings().retry_budget == RetryBudget().seconds


def test_headers_can_be_removed_per_request() -> None:
    sent: list[httpx.Headers] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers)
        return httpx.Response(403, json={"error_code": "403010"})

    client(httpx.MockTransport(handler)).list_jobs(headers={"Authorization": None})
    assert "authorization" not in sent[0]
    assert sent[0]["x-api-key"] == KEY


def test_every_429_answer_is_kept_for_the_retry_after_check() -> None:
    run, _ = budget(resends=0)
    api = client(httpx.MockTransport(lambda r: httpx.Response(429)), retry_budget=run)
    with pytest.raises(Throttled):
        api.list_jobs()
    assert [e.status for e in api.stats.throttled] == [429]
    assert api.stats.throttled[0].header("retry-after") is None


def test_credentials_never_go_over_another_scheme_to_the_same_host() -> None:
    sent: list[httpx.Headers] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers)
        return httpx.Response(200, json={})

    client(httpx.MockTransport(handler)).request("GET", "https://127.0.0.1:9/segment/jobs")
    assert "authorization" not in sent[0] and "x-api-key" not in sent[0]


def test_an_answer_converts_to_httpx_for_schemathesis_checks() -> None:
    """The decoded body with the headers that describe it; the wire-only encoding headers are left out."""
    api = client(
        httpx.MockTransport(
            lambda r: httpx.Response(
                200, json={"id": "j1"}, headers={"Content-Encoding": "identity", "x-extra": "1"}
            )
        )
    )
    exchange = api.get_job("j1")
    response = exchange.as_httpx()
    assert response.status_code == 200 and response.json() == {"id": "j1"}
    assert response.headers["content-type"] == "application/json"
    assert "content-encoding" not in response.headers and response.headers["x-extra"] == "1"
    assert response.request.url == "http://127.0.0.1:9/segment/jobs/j1"
    assert response.elapsed.total_seconds() >= 0


# -- the size cap ----------------------------------------------------------------------------------------
def test_the_default_cap_takes_answers_the_old_4_mib_cap_cut() -> None:
    body = b" " * (5 * 1024 * 1024)
    api = client(httpx.MockTransport(lambda r: httpx.Response(200, content=body)))
    assert api.max_response_bytes == MAX_RESPONSE_BYTES == 16 * 1024 * 1024 == Settings().max_response_bytes
    assert len(api.list_jobs().body) == len(body)


def test_the_cap_is_a_setting() -> None:
    assert load_settings({}, {"SEGJOBS_MAX_RESPONSE_BYTES": "65536"}).max_response_bytes == 65536


# -- links ---------------------------------------------------------------------------------------------
PREFIXED = "http://h:9/data/core/ups"
PAGE = PREFIXED + "/segment/jobs?limit=1&status=SUCCEEDED"
#: (base URL, href, the URL it leads to from PAGE's listing)
LINKS = [
    # the doc's form (ERRATA E-23): a path below the base URL
    (PREFIXED, "/segment/jobs?start=2&limit=1", PREFIXED + "/segment/jobs?start=2&limit=1"),
    # a path that carries the base URL's prefix already: not prefixed twice
    (PREFIXED, "/data/core/ups/segment/jobs?start=2", PREFIXED + "/segment/jobs?start=2"),
    # relative references, against the page (RFC 3986 section 5)
    (PREFIXED, "?start=2", PREFIXED + "/segment/jobs?start=2"),
    (PREFIXED, "jobs?start=2", PREFIXED + "/segment/jobs?start=2"),
    (PREFIXED, "./jobs/j1", PREFIXED + "/segment/jobs/j1"),
    # absolute, same origin and not
    (PREFIXED, PREFIXED + "/segment/jobs?cursor=x", PREFIXED + "/segment/jobs?cursor=x"),
    (PREFIXED, "https://other.example/segment/jobs?start=2", "https://other.example/segment/jobs?start=2"),
    (PREFIXED, "//other.example:9/segment/jobs", "http://other.example:9/segment/jobs"),
    # no prefix at all
    ("http://h:9", "/segment/jobs?start=2", "http://h:9/segment/jobs?start=2"),
    # a prefix that is itself "/segment": the doc's form still gains it
    ("http://h:9/segment", "/segment/jobs/j1", "http://h:9/segment/segment/jobs/j1"),
]


@pytest.mark.parametrize(("base", "href", "expected"), LINKS)
def test_a_link_resolves_against_the_page_it_came_from(base: str, href: str, expected: str) -> None:
    api = ApiClient(base, {}, redactor=Redactor())
    page = PAGE.replace(PREFIXED, base)
    assert api.link_url(href, page) == expected


def test_a_link_without_its_page_resolves_against_the_listing() -> None:
    api = ApiClient(PREFIXED, {}, redactor=Redactor())
    assert api.link_url("?start=2") == PREFIXED + "/segment/jobs?start=2"


@pytest.mark.parametrize(
    ("url", "credentials"),
    [
        ("http://127.0.0.1:9/segment/jobs?start=2", True),
        ("HTTP://127.0.0.1:9/segment/jobs", True),
        ("http://127.0.0.1:10/segment/jobs", False),
        ("http://127.0.0.2:9/segment/jobs", False),
        ("https://127.0.0.1:9/segment/jobs", False),
    ],
)
def test_a_followed_link_gets_credentials_only_on_the_same_origin(url: str, credentials: bool) -> None:
    transport, seen = answers(httpx.Response(200, json={}))
    api = client(transport)
    api.request("GET", api.link_url(url, "http://127.0.0.1:9/segment/jobs"))
    assert ("authorization" in seen[0].headers) is credentials
    assert ("x-api-key" in seen[0].headers) is credentials


def test_the_default_port_is_the_same_origin() -> None:
    api = ApiClient("http://h.example", {}, redactor=Redactor())
    assert api.same_origin("http://H.example:80/segment/jobs")
    assert not api.same_origin("http://h.example:8080/segment/jobs")
