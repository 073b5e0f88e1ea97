"""Every error answer: the gateway's, 405 with Allow, 404, the 400s, 413, and the catch-all 500."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

# -- the gateway ----------------------------------------------------------------------------------------

GATEWAY_CASES = [
    # (what is wrong, header changes (None removes), status, error_code, message)
    ("no token", {"Authorization": None}, 403, "403010", "Oauth token is missing."),
    ("not a bearer token", {"Authorization": "Basic dXNlcjpwYXNz"}, 403, "403010", "Oauth token is missing."),
    ("bearer without token", {"Authorization": "Bearer"}, 403, "403010", "Oauth token is missing."),
    ("wrong token", {"Authorization": "Bearer nope"}, 401, "401013", "Oauth token is not valid"),
    ("no api key", {"x-api-key": None}, 403, "403000", "Api Key is required"),
    ("wrong api key", {"x-api-key": "nope"}, 403, "403003", "Api Key is invalid"),
    ("no org", {"x-gw-ims-org-id": None}, 400, "400003", "Missing header x-gw-ims-org-id"),
    (
        "wrong org",
        {"x-gw-ims-org-id": "1111111111111111111111BB@AdobeOrg"},
        403,
        "403025",
        "Profile is not valid",
    ),
    # checked in order: the first broken rule answers
    (
        "no token and no key",
        {"Authorization": None, "x-api-key": None},
        403,
        "403010",
        "Oauth token is missing.",
    ),
    ("wrong token and no key", {"Authorization": "Bearer x", "x-api-key": None}, 401, "401013", None),
    ("no key and no org", {"x-api-key": None, "x-gw-ims-org-id": None}, 403, "403000", None),
    ("wrong key and wrong org", {"x-api-key": "x", "x-gw-ims-org-id": "x"}, 403, "403003", None),
]

OPERATIONS = [
    ("GET", "/segment/jobs", None),
    ("POST", "/segment/jobs", [{"segmentId": "4afe34ae-8c98-4513-8a1d-67ccaa54bc05"}]),
    ("GET", "/segment/jobs/some-id", None),
    ("DELETE", "/segment/jobs/some-id", None),
    ("POST", "/segment/jobs/bulk-get", {"ids": []}),
]


@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS])
@pytest.mark.parametrize(
    ("case", "changes", "status", "code", "message"), GATEWAY_CASES, ids=[c[0] for c in GATEWAY_CASES]
)
def test_gateway_errors(
    shared_api: Any,
    method: str,
    path: str,
    body: Any,
    case: str,
    changes: dict[str, str | None],
    status: int,
    code: str,
    message: str | None,
) -> None:
    headers = {**shared_api.headers, **changes}
    sent = {name: value for name, value in headers.items() if value is not None}
    response = httpx.request(method, shared_api.base_url + path, headers=sent, json=body)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    error = response.json()
    assert error["error_code"] == code
    assert set(error) == {"error_code", "message"}
    if message is not None:
        assert error["message"] == message


def test_the_gateway_accepts_a_lowercase_bearer_scheme(shared_api: Any) -> None:
    headers = {**shared_api.headers, "Authorization": f"bearer {shared_api.settings.access_token}"}
    assert httpx.get(shared_api.base_url + "/segment/jobs", headers=headers).status_code == 200


def test_a_refused_create_creates_nothing(shared_api: Any) -> None:
    before = shared_api.list()["_page"]["totalCount"]
    httpx.post(
        shared_api.base_url + "/segment/jobs", json=[{"segmentId": shared_api.settings.segment_ids[0]}]
    )
    assert shared_api.list()["_page"]["totalCount"] == before


# -- methods and paths ----------------------------------------------------------------------------------

ALLOW = {
    "/segment/jobs": "GET, HEAD, POST",
    "/segment/jobs/some-id": "GET, HEAD, DELETE",
    "/segment/jobs/bulk-get": "POST",
}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/segment/jobs"),
        ("PATCH", "/segment/jobs"),
        ("DELETE", "/segment/jobs"),
        ("OPTIONS", "/segment/jobs"),
        ("TRACE", "/segment/jobs"),
        ("QUERY", "/segment/jobs"),
        ("POST", "/segment/jobs/some-id"),
        ("PUT", "/segment/jobs/some-id"),
        ("PATCH", "/segment/jobs/some-id"),
        ("GET", "/segment/jobs/bulk-get"),
        ("DELETE", "/segment/jobs/bulk-get"),
        ("PUT", "/segment/jobs/bulk-get"),
    ],
)
def test_unsupported_methods_are_405_with_allow(shared_api: Any, method: str, path: str) -> None:
    response = shared_api.http.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == ALLOW[path]
    body = response.json()
    assert body["status"] == 405 and body["title"] == "MethodNotAllowedError"


@pytest.mark.parametrize("path", ["/", "/segment", "/segment/jobs/", "/segment/jobs/a/b", "/segment/job"])
def test_unknown_paths_are_404_problem(shared_api: Any, path: str) -> None:
    response = shared_api.http.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json()["status"] == 404


# -- bad bodies -----------------------------------------------------------------------------------------

BAD_CREATE_BODIES = [
    ("not JSON", b"[{"),
    ("trailing comma (the doc's example)", b'[{"segmentId": "4afe34ae-8c98-4513-8a1d-67ccaa54bc05",}]'),
    ("empty body", b""),
    ("not UTF-8", b"\xff\xfe\xfa"),
    ("an object", b'{"segmentId": "4afe34ae-8c98-4513-8a1d-67ccaa54bc05"}'),
    ("a string", b'"4afe34ae-8c98-4513-8a1d-67ccaa54bc05"'),
    ("null", b"null"),
    ("empty array", b"[]"),
    ("element not an object", b'["4afe34ae-8c98-4513-8a1d-67ccaa54bc05"]'),
    ("no segmentId", b'[{"id": "4afe34ae-8c98-4513-8a1d-67ccaa54bc05"}]'),
    ("segmentId a number", b'[{"segmentId": 7}]'),
    ("segmentId null", b'[{"segmentId": null}]'),
    ("unknown segment definition", b'[{"segmentId": "00000000-0000-4000-8000-000000000000"}]'),
    (
        "one unknown among known",
        b'[{"segmentId": "4afe34ae-8c98-4513-8a1d-67ccaa54bc05"}, {"segmentId": "x"}]',
    ),
    ("deep nesting", b"[" * 100_000 + b"]" * 100_000),
    ("huge number", b'[{"segmentId": ' + b"9" * 5000 + b"}]"),
]


@pytest.mark.parametrize("body", [b for _, b in BAD_CREATE_BODIES], ids=[n for n, _ in BAD_CREATE_BODIES])
def test_bad_create_bodies_are_400_and_create_nothing(shared_api: Any, body: bytes) -> None:
    before = shared_api.list()["_page"]["totalCount"]
    response = shared_api.http.post(
        "/segment/jobs", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text
    problem = response.json()
    assert problem["status"] == 400 and problem["title"] == "BadRequestError" and problem["detail"]
    assert shared_api.list()["_page"]["totalCount"] == before


BAD_BULK_BODIES = [
    ("not JSON", b"{"),
    ("an array", b'[{"id": "x"}]'),
    ("no ids", b"{}"),
    ("ids not an array", b'{"ids": {"id": "x"}}'),
    ("element not an object", b'{"ids": ["x"]}'),
    ("element without id", b'{"ids": [{"segmentId": "x"}]}'),
    ("id not a string", b'{"ids": [{"id": 1}]}'),
]


@pytest.mark.parametrize("body", [b for _, b in BAD_BULK_BODIES], ids=[n for n, _ in BAD_BULK_BODIES])
def test_bad_bulk_get_bodies_are_400(shared_api: Any, body: bytes) -> None:
    response = shared_api.http.post(
        "/segment/jobs/bulk-get", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert response.json()["status"] == 400


@pytest.mark.parametrize("path", ["/segment/jobs", "/segment/jobs/bulk-get"])
@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/xml", "multipart/form-data", "json"]
)
def test_post_without_json_content_type_is_400(shared_api: Any, path: str, content_type: str | None) -> None:
    body = (
        b'[{"segmentId": "4afe34ae-8c98-4513-8a1d-67ccaa54bc05"}]'
        if path == "/segment/jobs"
        else b'{"ids": []}'
    )
    headers = {} if content_type is None else {"Content-Type": content_type}
    response = shared_api.http.post(path, content=body, headers=headers)
    assert response.status_code == 400
    assert "application/json" in response.json()["detail"]


def test_json_content_type_with_charset_is_accepted(shared_api: Any) -> None:
    response = shared_api.http.post(
        "/segment/jobs",
        content=b'[{"segmentId": "4afe34ae-8c98-4513-8a1d-67ccaa54bc05"}]',
        headers={"Content-Type": "Application/JSON; charset=utf-8"},
    )
    assert response.status_code == 200


def test_oversized_bodies_are_413(make_api: Any, fake_clock: Any) -> None:
    api = make_api(clock=fake_clock, max_body_bytes=1000)
    big = b'{"ids": [' + b",".join([b'{"id": "x"}'] * 200) + b"]}"
    response = api.http.post(
        "/segment/jobs/bulk-get", content=big, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["status"] == 413

    def chunks() -> Any:  # no Content-Length: the limit is enforced while reading
        yield big

    response = api.http.post(
        "/segment/jobs/bulk-get", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413


def test_default_body_limit_is_one_mebibyte(shared_api: Any) -> None:
    big = b'{"ids": [' + b",".join([b'{"id": "x"}'] * 100_000) + b"]}"
    assert len(big) > 1024 * 1024
    response = shared_api.http.post(
        "/segment/jobs/bulk-get", content=big, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413


# -- bad queries ----------------------------------------------------------------------------------------

BAD_QUERIES = [
    "start=-1",
    "start=a",
    "start=1.5",
    "start=",
    "start=%2B1",
    "limit=0",
    "limit=-5",
    "limit=ten",
    "limit=",
    "status=done",
    "status=new",
    "status=",
    "sort=creationTime",
    "sort=creationTime:up",
    "sort=name:asc",
    "sort=:asc",
    "sort=",
    "property=status",
    "property=status=NEW",
    "property===NEW",
    "property=status==",
    "property=1status==NEW",
    "property=segments~==x",
    "property=segments~segment.id==x",
    "property=a b==c",
    "start=1&start=2",
    "limit=1&limit=2",
    "status=NEW&status=QUEUED",
    "sort=id:asc&sort=id:desc",
    "property=status==NEW&property=bad",
]


@pytest.mark.parametrize("query", BAD_QUERIES)
def test_bad_list_queries_are_400(shared_api: Any, query: str) -> None:
    response = shared_api.http.get(f"/segment/jobs?{query}")
    assert response.status_code == 400, response.text
    problem = response.json()
    assert problem["status"] == 400 and problem["title"] == "BadRequestError" and problem["detail"]


def test_unknown_query_parameters_are_ignored(shared_api: Any) -> None:
    assert shared_api.http.get("/segment/jobs?colour=blue").status_code == 200


# -- the catch-all --------------------------------------------------------------------------------------


def test_an_unexpected_error_is_still_a_problem_body(api: Any) -> None:
    api.server._server.config.app.state.store.close()  # break the server from inside
    response = api.http.get("/segment/jobs")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    problem = response.json()
    assert problem["status"] == 500 and problem["title"] == "InternalServerError"
    assert "Traceback" not in response.text
