"""The token endpoint (``serve --ims-port``): tokens for the configured client, the platform's refusals,
tokens that open the API until they expire, on a port of its own."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import httpx
import pytest

from conformance.reference import ServerSettings, start_in_thread, start_subprocess
from conformance.reference.ims import TOKEN_PATH, TOKEN_PREFIX

CLIENT = {"client_id": "cid-ims-test", "client_secret": "sec-ims-test"}
GRANT = {"grant_type": "client_credentials", **CLIENT, "scope": "openid,AdobeID"}


@dataclass
class Ims:
    base_url: str
    token_url: str
    settings: ServerSettings
    clock: Any  # conftest's FakeClock
    http: httpx.Client

    def token(self, **form: str) -> httpx.Response:
        return self.http.post(self.token_url, data={**GRANT, **form})

    def list_with(self, token: str) -> httpx.Response:
        headers = {**tenant(self.settings), "Authorization": f"Bearer {token}"}
        return self.http.get(self.base_url + "/segment/jobs", params={"limit": "1"}, headers=headers)


def tenant(settings: ServerSettings) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {settings.access_token}",
        "x-api-key": settings.api_key,
        "x-gw-ims-org-id": settings.ims_org,
    }


@pytest.fixture
def ims(tmp_path: Any, fake_clock: Any) -> Iterator[Ims]:
    clock = fake_clock
    settings = replace(
        ServerSettings(),
        db_path=str(tmp_path / "jobs.db"),
        ims_client_id=CLIENT["client_id"],
        ims_client_secret=CLIENT["client_secret"],
        ims_token_lifetime=30,
    )
    with start_in_thread(settings, ims_port=0, clock=clock) as server, httpx.Client(timeout=10) as http:
        assert server.ims_token_url is not None and server.ims_token_url.endswith(TOKEN_PATH)
        yield Ims(server.base_url, server.ims_token_url, settings, clock, http)


def test_the_configured_client_gets_a_short_lived_bearer_token(ims: Ims) -> None:
    answer = ims.token()
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["cache-control"] == "no-store"
    body = answer.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer" and body["expires_in"] == 30
    assert body["access_token"].startswith(TOKEN_PREFIX)
    assert ims.token().json()["access_token"] != body["access_token"]  # a new one each time


@pytest.mark.parametrize(
    ("form", "status", "error", "description"),
    [
        ({"client_secret": "wrong"}, 401, "invalid_client", "invalid client_secret parameter"),
        ({"client_id": "someone-else"}, 401, "invalid_client", "invalid client_id parameter"),
        ({"grant_type": "password"}, 400, "unsupported_grant_type", "only client_credentials"),
        ({"grant_type": "authorization_code"}, 400, "unsupported_grant_type", "only client_credentials"),
        ({"client_secret": ""}, 400, "invalid_request", "missing client_secret"),
    ],
)
def test_others_are_refused_with_the_platforms_error_shape(
    ims: Ims, form: dict[str, str], status: int, error: str, description: str
) -> None:
    answer = ims.token(**form)
    assert answer.status_code == status
    body = answer.json()
    assert set(body) == {"error", "error_description"}
    assert body["error"] == error and description in body["error_description"]


def test_a_request_that_is_no_form_is_invalid(ims: Ims) -> None:
    without_grant = ims.http.post(ims.token_url, data=CLIENT)
    assert without_grant.status_code == 400 and without_grant.json()["error"] == "invalid_request"
    as_json = ims.http.post(ims.token_url, json=GRANT)
    assert as_json.status_code == 400 and as_json.json()["error"] == "invalid_request"
    assert ims.http.get(ims.token_url).status_code == 405


def test_an_issued_token_opens_the_api_until_it_expires(ims: Ims) -> None:
    token = ims.token().json()["access_token"]
    assert ims.list_with(token).status_code == 200
    ims.clock.advance(29.9)
    assert ims.list_with(token).status_code == 200
    ims.clock.advance(0.1)
    expired = ims.list_with(token)
    assert expired.status_code == 401
    assert expired.json() == {"error_code": "401013", "message": "Oauth token is expired"}
    fresh = ims.token().json()["access_token"]
    assert ims.list_with(fresh).status_code == 200


def test_the_static_token_keeps_working_and_others_are_not_valid(ims: Ims) -> None:
    assert ims.list_with(ims.settings.access_token).status_code == 200
    made_up = ims.list_with(TOKEN_PREFIX + "made-up")
    assert made_up.status_code == 401
    assert made_up.json() == {"error_code": "401013", "message": "Oauth token is not valid"}


def test_each_port_serves_only_its_own(ims: Ims) -> None:
    assert ims.http.post(ims.base_url + TOKEN_PATH, data=GRANT).status_code == 404
    on_ims_port = ims.token_url.removesuffix(TOKEN_PATH) + "/segment/jobs"
    assert ims.http.get(on_ims_port, headers=tenant(ims.settings)).status_code == 404


def test_without_an_ims_port_there_is_no_token_endpoint(tmp_path: Any) -> None:
    settings = replace(ServerSettings(), db_path=str(tmp_path / "jobs.db"))
    with start_in_thread(settings) as server:
        assert server.ims_token_url is None
        assert httpx.post(server.base_url + TOKEN_PATH, data=GRANT).status_code == 404


def test_the_client_comes_from_the_environment_and_is_the_api_key() -> None:
    settings = ServerSettings.from_env({"SEGJOBS_CLIENT_ID": "cid-env", "SEGJOBS_CLIENT_SECRET": "sec-env"})
    assert (settings.ims_client_id, settings.ims_client_secret) == ("cid-env", "sec-env")
    assert settings.api_key == "cid-env"
    both = ServerSettings.from_env({"SEGJOBS_CLIENT_ID": "cid-env", "SEGJOBS_API_KEY": "key-env"})
    assert both.api_key == "key-env"
    defaults = ServerSettings.from_env({})
    assert (defaults.ims_client_id, defaults.ims_client_secret, defaults.ims_token_lifetime) == (
        "segjobs-local-client",
        "segjobs-local-secret",
        300,
    )
    with pytest.raises(ValueError, match="ims_token_lifetime must be an integer >= 1"):
        replace(defaults, ims_token_lifetime=0)


def test_serve_prints_the_token_endpoint_and_takes_the_client_from_its_flags() -> None:
    env = {"PATH": "/usr/bin:/bin", "SEGJOBS_CLIENT_SECRET": "sec-from-env"}
    args = ["--ims-port", "0", "--ims-client-id", "cid-flag", "--ims-client-secret", "sec-flag"]
    with start_subprocess([*args, "--ims-token-lifetime", "7"], env=env) as server:
        assert server.ims_token_url is not None and server.ims_token_url.endswith(TOKEN_PATH)
        form = {"grant_type": "client_credentials", "client_id": "cid-flag", "client_secret": "sec-flag"}
        answer = httpx.post(server.ims_token_url, data=form, timeout=10)
        assert answer.status_code == 200 and answer.json()["expires_in"] == 7
        refused = httpx.post(server.ims_token_url, data={**form, "client_secret": "sec-from-env"}, timeout=10)
        assert refused.status_code == 401
    log = server.log()
    assert "sec-flag" not in log and "cid-flag" not in log
