"""The five operations on their happy paths, and tenancy by sandbox."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

JOB_FIELDS_AT_CREATION = {
    "id",
    "imsOrgId",
    "sandbox",
    "profileInstanceId",
    "source",
    "status",
    "segments",
    "requestId",
    "schema",
    "_links",
    "updateTime",
    "creationTime",
    "updateEpoch",
}


def test_create_answers_200_with_a_new_job(api: Any) -> None:
    response = api.http.post("/segment/jobs", json=[{"segmentId": api.settings.segment_ids[0]}])
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    job = response.json()
    assert set(job) == JOB_FIELDS_AT_CREATION
    assert uuid.UUID(job["id"])
    assert job["status"] == "NEW"
    assert job["imsOrgId"] == api.settings.ims_org
    assert job["sandbox"] == api.settings.default_sandbox.to_json()
    assert job["sandbox"]["sandboxName"] == "prod" and job["sandbox"]["default"] is True
    assert job["source"] == "api" and job["profileInstanceId"] == "ups"
    assert job["creationTime"] == job["updateTime"] == api.clock.ms
    assert job["updateEpoch"] == job["updateTime"] // 1000
    assert job["_links"] == {
        "cancel": {"href": f"/segment/jobs/{job['id']}", "method": "DELETE"},
        "checkStatus": {"href": f"/segment/jobs/{job['id']}", "method": "GET"},
    }


def test_create_echoes_every_segment_in_order(api: Any) -> None:
    ids = [api.settings.segment_ids[2], api.settings.segment_ids[0], api.settings.segment_ids[1]]
    job = api.create(*ids)
    assert [s["segmentId"] for s in job["segments"]] == ids
    for entry in job["segments"]:
        segment = entry["segment"]
        assert segment["id"] == entry["segmentId"]
        assert segment["expression"]["type"] == "PQL" and segment["expression"]["format"] == "pql/text"
        assert segment["mergePolicy"] == {"id": segment["mergePolicyId"], "version": 1}


def test_created_jobs_have_distinct_ids(api: Any) -> None:
    assert len({api.create()["id"] for _ in range(20)}) == 20


def test_get_answers_the_job(api: Any) -> None:
    job = api.create()
    response = api.http.get(f"/segment/jobs/{job['id']}")
    assert response.status_code == 200
    assert response.json() == job


def test_head_answers_like_get_without_body(api: Any) -> None:
    job = api.create()
    response = api.http.head(f"/segment/jobs/{job['id']}")
    assert response.status_code == 200
    assert response.content == b""
    assert api.http.head("/segment/jobs").status_code == 200


def test_get_of_an_unknown_id_is_404_problem(api: Any) -> None:
    response = api.http.get("/segment/jobs/4d1e6c1e-0000-4000-8000-000000000000")
    assert response.status_code == 404
    body = response.json()
    assert body["status"] == 404 and body["title"] == "NotFoundError"
    assert body["type"].startswith("http://ns.adobe.com/aep/errors/")
    assert "4d1e6c1e-0000-4000-8000-000000000000" in body["detail"]


def test_bulk_get_answers_207_keyed_by_id(api: Any) -> None:
    first, second = api.create(), api.create()
    response = api.bulk_get(first["id"], second["id"])
    assert response.status_code == 207
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"results": {first["id"]: first, second["id"]: second}}


def test_bulk_get_omits_unknown_ids(api: Any) -> None:
    job = api.create()
    response = api.bulk_get("unknown-1", job["id"], "unknown-2")
    assert response.status_code == 207
    assert list(response.json()["results"]) == [job["id"]]


def test_bulk_get_with_no_ids_answers_empty_results(api: Any) -> None:
    response = api.bulk_get()
    assert response.status_code == 207
    assert response.json() == {"results": {}}


def test_bulk_get_of_a_repeated_id_answers_it_once(api: Any) -> None:
    job = api.create()
    assert list(api.bulk_get(job["id"], job["id"]).json()["results"]) == [job["id"]]


def test_bulk_get_shows_current_status(api: Any) -> None:
    job = api.create()
    api.advance(2)
    assert api.bulk_get(job["id"]).json()["results"][job["id"]]["status"] == "SUCCEEDED"


def test_cancel_answers_204_with_no_content_at_all(api: Any) -> None:
    job = api.create()
    response = api.cancel(job["id"])
    assert response.status_code == 204
    assert response.content == b""
    assert "content-type" not in response.headers
    # RFC 9110 section 8.6: a server must not send Content-Length in a 204.
    assert response.headers.get("content-length", "0") == "0"


def test_cancel_of_an_unknown_id_is_404(api: Any) -> None:
    response = api.cancel("no-such-job")
    assert response.status_code == 404
    assert response.json()["status"] == 404


def test_cancelled_job_stays_readable_and_listed(api: Any) -> None:
    job = api.create()
    api.cancel(job["id"])
    api.advance(1)
    assert api.status(job["id"]) == "CANCELLED"
    assert [j["id"] for j in api.list()["children"]] == [job["id"]]


# -- tenancy ------------------------------------------------------------------------------------------------


def test_jobs_of_one_sandbox_are_invisible_from_another(api: Any) -> None:
    prod = api
    dev = api.in_sandbox("dev")
    job = prod.create()
    other = dev.create()
    assert other["sandbox"]["sandboxName"] == "dev" and other["sandbox"]["type"] == "development"
    assert other["sandbox"]["default"] is False

    assert [j["id"] for j in dev.list()["children"]] == [other["id"]]
    assert dev.http.get(f"/segment/jobs/{job['id']}").status_code == 404
    assert dev.bulk_get(job["id"]).json() == {"results": {}}
    assert dev.cancel(job["id"]).status_code == 404
    assert prod.status(job["id"]) == "NEW"  # the foreign cancel did nothing
    assert [j["id"] for j in prod.list()["children"]] == [job["id"]]


def test_without_sandbox_header_the_default_sandbox_is_used(api: Any) -> None:
    job = api.create()
    headers = {k: v for k, v in api.headers.items() if k != "x-sandbox-name"}
    response = httpx.get(f"{api.base_url}/segment/jobs/{job['id']}", headers=headers)
    assert response.status_code == 200
    created = httpx.post(
        f"{api.base_url}/segment/jobs", headers=headers, json=[{"segmentId": api.settings.segment_ids[0]}]
    )
    assert created.json()["sandbox"]["sandboxName"] == "prod"


def test_an_unknown_sandbox_is_403_problem(api: Any) -> None:
    response = api.in_sandbox("nowhere").http.get("/segment/jobs")
    assert response.status_code == 403
    body = response.json()
    assert body["status"] == 403 and body["title"] == "ForbiddenError" and "nowhere" in body["detail"]


def test_an_empty_sandbox_name_is_403(api: Any) -> None:
    assert api.in_sandbox("").http.get("/segment/jobs").status_code == 403
