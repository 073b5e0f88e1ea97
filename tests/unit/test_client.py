"""The HTTP client: curl lines without secrets, no redirects, size cap, timeouts, 429 handling."""

from __future__ import annotations

import httpx
import pytest

from conformance._client import ApiClient, ProtocolViolation, Redirected, TargetTimeout, retry_after_seconds
from conformance._redact import Redactor

TOKEN = "tok-DISTINCTIVE-7731"
KEY = "key-DISTINCTIVE-9912"


def client(handler: httpx.MockTransport | None, **kw: object) -> ApiClient:
    headers = {
        "Authorization": f"Bearer {TOKEN}",
        "x-api-key": KEY,
        "x-gw-ims-org-id": "ORG@AdobeOrg",
        "x-sandbox-name": "prod",
    }
    return ApiClient(
        "http://127.0.0.1:9", headers, redactor=Redactor.of([TOKEN, KEY]), transport=handler, **kw
    )  # type: ignore[arg-type]


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


def test_429_is_retried_after_the_delay_it_asks_for() -> None:
    answers = iter([httpx.Response(429, headers={"Retry-After": "0"}), httpx.Response(200, json={"ok": 1})])
    api = client(httpx.MockTransport(lambda r: next(answers)))
    assert api.list_jobs().status == 200
    assert api.stats.requests == 2
    assert len(api.stats.throttled) == 1  # seen, for SJ-ERROR-005


def test_headers_can_be_removed_per_request() -> None:
    sent: list[httpx.Headers] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers)
        return httpx.Response(403, json={"error_code": "403010"})

    client(httpx.MockTransport(handler)).list_jobs(headers={"Authorization": None})
    assert "authorization" not in sent[0]
    assert sent[0]["x-api-key"] == KEY


@pytest.mark.parametrize(
    ("value", "expected"), [(None, 1.0), ("2", 2.0), ("99", 10.0), ("soon", 1.0), ("-4", 0.0)]
)
def test_retry_after(value: str | None, expected: float) -> None:
    assert retry_after_seconds(value, default=1.0, cap=10.0) == expected


def test_every_429_answer_is_kept_for_the_retry_after_check() -> None:
    api = client(httpx.MockTransport(lambda r: httpx.Response(429)), max_429_retries=0)
    assert api.list_jobs().status == 429
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
