"""OAuth client credentials: minting, refresh before expiry, renewal on a 401 "expired", refusals, and where
the secret and the tokens go."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from conformance._client import ApiClient, Exchange
from conformance._config import load_settings
from conformance._oauth import (
    CredentialsRefused,
    TokenSource,
    TokenUnavailable,
    refresh_margin,
    says_expired,
)
from conformance._redact import MASK, Redactor
from conformance.reference import ServerSettings, start_in_thread

BASE = "https://api.example"
TOKEN_URL = "https://ims.example/ims/token/v3"
CLIENT_ID = "client-PLANTED-4e21"
SECRET = "secret-PLANTED-8d3a"
EXPIRED = {"error_code": "401013", "message": "Oauth token is expired"}
NOT_VALID = {"error_code": "401013", "message": "Oauth token is not valid"}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Platform:
    """A token endpoint and an API on one mock transport, recording every request (any host)."""

    lifetime: float | None = 100.0
    #: answers of the token endpoint, in turn, before it issues tokens (status, body)
    token_refusals: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    #: the API answers the first this many tokens with 401 "expired" (-1: every token)
    expired_tokens: int = 0
    issued: list[str] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/ims/token/v3":
            if self.token_refusals:
                status, body = self.token_refusals.pop(0)
                return httpx.Response(status, json=body)
            token = f"minted-{len(self.issued) + 1}-{'x' * 12}"
            self.issued.append(token)
            answer: dict[str, object] = {"access_token": token, "token_type": "bearer"}
            if self.lifetime is not None:
                answer["expires_in"] = self.lifetime
            return httpx.Response(200, json=answer)
        sent = request.headers.get("authorization", "").removeprefix("Bearer ")
        if sent not in self.issued:
            return httpx.Response(401, json=NOT_VALID)
        if self.expired_tokens < 0 or self.issued.index(sent) < self.expired_tokens:
            return httpx.Response(401, json=EXPIRED)
        return httpx.Response(200, json={"_page": {"totalCount": 0, "pageSize": 0}, "children": []})

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)

    def to(self, url_start: str) -> list[httpx.Request]:
        return [r for r in self.requests if str(r.url).startswith(url_start)]


def source(platform: Platform, clock: Callable[[], float] = time.monotonic) -> TokenSource:
    return TokenSource(
        TOKEN_URL,
        CLIENT_ID,
        SECRET,
        ("openid", "AdobeID", "read_organizations"),
        placeholder="segjobs-local-token",
        transport=platform.transport,
        clock=clock,
    )


@pytest.fixture
def platform() -> Platform:
    return Platform()


def api_client(platform: Platform, tokens: TokenSource) -> ApiClient:
    headers = {
        "Authorization": "Bearer segjobs-local-token",
        "x-api-key": CLIENT_ID,
        "x-gw-ims-org-id": "ORG@AdobeOrg",
        "x-sandbox-name": "prod",
    }
    redactor = Redactor.of([SECRET, CLIENT_ID])
    return ApiClient(BASE, headers, redactor=redactor, transport=platform.transport, token_source=tokens)


# -- minting -------------------------------------------------------------------------------------------
def test_a_token_is_minted_with_the_client_credentials_grant(platform: Platform) -> None:
    tokens = source(platform)
    token = tokens()
    assert token == platform.issued[0] and tokens.minted == 1
    (request,) = platform.requests
    assert request.method == "POST" and str(request.url) == TOKEN_URL
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
    assert form == {
        "grant_type": "client_credentials",
        "client_id": CLIENT_ID,
        "client_secret": SECRET,
        "scope": "openid,AdobeID,read_organizations",
    }
    assert tokens() == token and tokens.minted == 1  # good for now: not minted again


def test_a_minted_token_is_masked_by_every_redactor_even_one_made_before() -> None:
    earlier = Redactor()
    platform = Platform()
    token = source(platform)()
    assert earlier.text(f"Bearer {token}.") == f"Bearer {MASK}."
    assert Redactor.of(["unrelated-secret"]).data({"a": [token]}) == {"a": [MASK]}
    assert json.dumps(token)[1:-1] not in earlier.text(json.dumps({"t": token}))


def test_the_source_of_a_run_takes_the_settings() -> None:
    settings = load_settings(
        {}, {"SEGJOBS_CLIENT_ID": CLIENT_ID, "SEGJOBS_CLIENT_SECRET": SECRET, "SEGJOBS_SCOPES": "a, b"}
    )
    assert settings.mints_token and settings.api_key == CLIENT_ID
    platform = Platform()
    tokens = TokenSource.of(settings, transport=platform.transport)
    tokens()
    assert tokens.token_url == "https://ims-na1.adobelogin.com/ims/token/v3"
    form = parse_qs(platform.requests[0].content.decode())
    assert form["scope"] == ["a,b"] and form["client_id"] == [CLIENT_ID]


# -- refresh -------------------------------------------------------------------------------------------
def test_the_refresh_margin_is_the_smaller_of_a_tenth_and_a_minute() -> None:
    assert refresh_margin(3) == pytest.approx(0.3)
    assert refresh_margin(300) == pytest.approx(30)
    assert refresh_margin(86399) == 60


@pytest.mark.parametrize(("lifetime", "replaced_after"), [(100, 90.0), (3, 2.7), (86399, 86339.0)])
def test_a_token_is_replaced_before_it_expires(lifetime: float, replaced_after: float) -> None:
    clock = Clock()
    platform = Platform(lifetime=lifetime)
    tokens = source(platform, clock)
    first = tokens()
    clock.now += replaced_after - 0.01
    assert tokens() == first
    clock.now += 0.01
    second = tokens()
    assert second != first and tokens.minted == 2
    assert platform.issued == [first, second]


def test_a_token_without_expires_in_is_kept_until_refused_as_expired() -> None:
    clock = Clock()
    tokens = source(Platform(lifetime=None), clock)
    first = tokens()
    clock.now += 10**9
    assert tokens() == first and tokens.minted == 1


def test_the_lifetime_counts_from_when_the_token_was_asked_for() -> None:
    clock = Clock()
    platform = Platform(lifetime=10)

    def slow(request: httpx.Request) -> httpx.Response:
        clock.now += 5  # the endpoint takes 5 s to answer
        return platform.handler(request)

    tokens = TokenSource(
        TOKEN_URL, CLIENT_ID, SECRET, ["s"], transport=httpx.MockTransport(slow), clock=clock
    )
    first = tokens()  # asked for at 1000, answered at 1005: good until 1010, replaced from 1009 on
    clock.now += 3.9
    assert tokens() == first
    clock.now += 0.1
    assert tokens() != first


def test_concurrent_requests_share_one_minting() -> None:
    platform = Platform()
    entered = threading.Event()

    def slow(request: httpx.Request) -> httpx.Response:
        entered.set()
        time.sleep(0.2)
        return platform.handler(request)

    tokens = TokenSource(TOKEN_URL, CLIENT_ID, SECRET, ["s"], transport=httpx.MockTransport(slow))
    got: list[str] = []
    threads = [threading.Thread(target=lambda: got.append(tokens())) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert tokens.minted == 1 and set(got) == {platform.issued[0]}


# -- renewal on a 401 that says the token expired ------------------------------------------------------
def test_a_401_saying_expired_renews_the_token_and_sends_the_request_once_more() -> None:
    platform = Platform(expired_tokens=1)
    tokens = source(platform)
    client = api_client(platform, tokens)
    exchange = client.list_jobs({"limit": "1"})
    assert exchange.status == 200
    sent = [r.headers["authorization"] for r in platform.to(BASE)]
    assert sent == [f"Bearer {platform.issued[0]}", f"Bearer {platform.issued[1]}"]
    assert tokens.minted == 2 and tokens.renewed_after_expiry == 1
    assert client.headers["Authorization"] == f"Bearer {platform.issued[1]}"  # the defaults stay current


def test_a_request_is_sent_again_once_only() -> None:
    platform = Platform(expired_tokens=-1)
    tokens = source(platform)
    exchange = api_client(platform, tokens).get_job("3d0c4b2e-0000-4000-8000-000000000000")
    assert exchange.status == 401 and len(platform.to(BASE)) == 2 and tokens.minted == 2


def test_another_401_is_an_answer_like_any_other() -> None:
    platform = Platform()
    tokens = source(platform)
    client = api_client(platform, tokens)
    exchange = client.list_jobs(headers={"Authorization": "Bearer segjobs-invalid-token"})
    assert exchange.status == 401 and tokens.minted == 0  # a test's own token: never replaced
    assert platform.to(BASE)[0].headers["authorization"] == "Bearer segjobs-invalid-token"
    client.list_jobs(headers={"Authorization": None})
    assert "authorization" not in platform.to(BASE)[1].headers
    assert not tokens.expired("anything", exchange)


def test_expiry_is_read_from_the_body_or_www_authenticate() -> None:
    def answer(status: int, body: bytes, *headers: tuple[str, str]) -> Exchange:
        return Exchange("GET", BASE, (), None, status=status, response_headers=headers, body=body)

    assert says_expired(answer(401, json.dumps(EXPIRED).encode()))
    rfc6750 = (
        "WWW-Authenticate",
        'Bearer error="invalid_token", error_description="The access token expired"',
    )
    assert says_expired(answer(401, b"", rfc6750))
    assert not says_expired(answer(401, json.dumps(NOT_VALID).encode()))
    assert not says_expired(answer(403, b'{"message": "expired"}'))


def test_a_copy_of_the_headers_made_before_a_refresh_goes_out_with_the_current_token() -> None:
    clock = Clock()
    platform = Platform(lifetime=10)
    tokens = source(platform, clock)
    client = api_client(platform, tokens)
    client.list_jobs()
    copied = dict(client.headers)  # as schemathesis pins the tenant headers in every case
    clock.now += 20
    client.list_jobs(headers=copied)
    client.list_jobs(headers={"Authorization": "Bearer segjobs-local-token"})  # the placeholder
    sent = [r.headers["authorization"] for r in platform.to(BASE)]
    assert sent == [f"Bearer {platform.issued[0]}"] + [f"Bearer {platform.issued[1]}"] * 2


# -- where the secret and the tokens go ----------------------------------------------------------------
def test_the_secret_goes_only_to_the_token_url_and_the_tokens_only_to_the_base_urls_origin() -> None:
    clock = Clock()
    platform = Platform(lifetime=10)
    tokens = source(platform, clock)
    client = api_client(platform, tokens)
    client.list_jobs()
    clock.now += 20  # a second token
    client.get_job("3d0c4b2e-0000-4000-8000-000000000000")
    for elsewhere in (
        "https://other.example/segment/jobs",
        "http://api.example/segment/jobs",
        "https://api.example:8443/segment/jobs",
        TOKEN_URL + "/segment/jobs",
    ):
        client.request("GET", elsewhere)
    assert len(platform.issued) == 2
    for request in platform.requests:
        wire = " ".join([str(request.url), *(f"{k}: {v}" for k, v in request.headers.items())])
        wire += " " + request.content.decode("utf-8", "replace")
        same_origin = urlsplit(str(request.url))[:2] == ("https", "api.example")
        to_token_url = str(request.url) == TOKEN_URL
        assert (SECRET in wire) == to_token_url, request.url
        for token in platform.issued:
            assert token not in wire or same_origin, f"a token went to {request.url}"
    assert sum(SECRET in r.content.decode() for r in platform.requests) == 2  # each minting


def test_no_redirect_of_the_token_endpoint_is_followed() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(307, headers={"Location": "https://evil.example/token"})

    tokens = TokenSource(TOKEN_URL, CLIENT_ID, SECRET, ["s"], transport=httpx.MockTransport(handler))
    with pytest.raises(CredentialsRefused, match="SEGJOBS_IMS_TOKEN_URL"):
        tokens()
    assert seen == [TOKEN_URL]


# -- refusals ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "body", "names"),
    [
        (
            401,
            {"error": "invalid_client", "error_description": "invalid client_secret parameter"},
            "check SEGJOBS_CLIENT_ID and SEGJOBS_CLIENT_SECRET",
        ),
        (
            400,
            {"error": "invalid_client", "error_description": f"bad {SECRET}"},
            "check SEGJOBS_CLIENT_ID and SEGJOBS_CLIENT_SECRET",
        ),
        (400, {"error": "invalid_scope", "error_description": "no such scope"}, "check SEGJOBS_SCOPES"),
        (404, {}, "check SEGJOBS_IMS_TOKEN_URL"),
    ],
)
def test_a_refusal_is_a_configuration_error_naming_the_variables(
    status: int, body: dict[str, str], names: str
) -> None:
    tokens = source(Platform(token_refusals=[(status, body)]))
    with pytest.raises(CredentialsRefused) as raised:
        tokens()
    message = str(raised.value)
    assert raised.value.exit_code == 2
    assert names in message and f"HTTP {status}" in message
    assert SECRET not in message and CLIENT_ID not in message


def test_a_bad_secret_refused_at_the_reference_server() -> None:
    settings = ServerSettings(ims_client_id=CLIENT_ID, ims_client_secret=SECRET)
    with start_in_thread(settings, ims_port=0) as server:
        assert server.ims_token_url is not None
        tokens = TokenSource(server.ims_token_url, CLIENT_ID, "not-the-secret", ["openid"])
        with pytest.raises(CredentialsRefused, match=r"HTTP 401 invalid_client: invalid client_secret"):
            tokens()
        tokens.close()


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(500, text="oops"),
        httpx.Response(200, text="not json"),
        httpx.Response(200, json={"access_token": "abcd1234", "token_type": "mac"}),
        httpx.Response(200, json={"token_type": "bearer", "expires_in": 5}),
    ],
)
def test_an_answer_that_is_no_bearer_token_is_unavailable(answer: httpx.Response) -> None:
    tokens = TokenSource(TOKEN_URL, CLIENT_ID, SECRET, ["s"], transport=httpx.MockTransport(lambda r: answer))
    with pytest.raises(TokenUnavailable) as raised:
        tokens()
    assert raised.value.exit_code == 3


def test_an_unreachable_token_endpoint_is_unavailable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    tokens = TokenSource(TOKEN_URL, CLIENT_ID, SECRET, ["s"], transport=httpx.MockTransport(refuse))
    with pytest.raises(TokenUnavailable, match=r"could not be reached .*SEGJOBS_IMS_TOKEN_URL"):
        tokens()


# -- with the reference server on loopback -------------------------------------------------------------
class ServerClock:
    """The reference server's clock (epoch seconds), moved by the test."""

    def __init__(self) -> None:
        self.now = 1_767_225_600.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def reference() -> Iterator[tuple[str, str, ServerClock]]:
    clock = ServerClock()
    settings = replace(
        ServerSettings(), ims_client_id=CLIENT_ID, ims_client_secret=SECRET, ims_token_lifetime=60
    )
    with start_in_thread(settings, ims_port=0, clock=clock) as server:
        assert server.ims_token_url is not None
        yield server.base_url, server.ims_token_url, clock


def test_against_the_reference_a_token_refused_as_expired_is_renewed(
    reference: tuple[str, str, ServerClock],
) -> None:
    base_url, token_url, server_clock = reference
    tokens = TokenSource(token_url, CLIENT_ID, SECRET, ["openid"], placeholder="segjobs-local-token")
    tenant = {"x-api-key": ServerSettings().api_key, "x-gw-ims-org-id": ServerSettings().ims_org}
    client = ApiClient(
        base_url,
        {"Authorization": "Bearer segjobs-local-token", **tenant},
        redactor=Redactor(),
        token_source=tokens,
    )
    try:
        assert client.list_jobs({"limit": "1"}).status == 200
        first = tokens()
        server_clock.now += 61  # the server's token expired; ours has not yet, by our clock
        assert client.list_jobs({"limit": "1"}).status == 200
        assert (tokens.minted, tokens.renewed_after_expiry) == (2, 1)
        assert tokens() != first
        with httpx.Client() as raw:  # the first token: refused now, with a body that says it expired
            refused = raw.get(
                base_url + "/segment/jobs", headers={"Authorization": f"Bearer {first}", **tenant}
            )
        assert refused.status_code == 401
        assert refused.json() == {"error_code": "401013", "message": "Oauth token is expired"}
    finally:
        client.close()
        tokens.close()
