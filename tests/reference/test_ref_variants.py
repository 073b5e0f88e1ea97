"""The honest variants: behaviours the API doc leaves open, each conformant."""

from __future__ import annotations

from typing import Any


def test_bulk_unknown_error_lists_unknown_ids_as_404_entries(make_api: Any, fake_clock: Any) -> None:
    api = make_api(clock=fake_clock, bulk_unknown="error")
    job = api.create()
    foreign = api.in_sandbox("dev").create()
    response = api.bulk_get(job["id"], "no-such-job", foreign["id"])
    assert response.status_code == 207
    results = response.json()["results"]
    assert results[job["id"]] == job
    for missing in ("no-such-job", foreign["id"]):
        entry = results[missing]
        assert entry["id"] == missing and entry["status"] == 404 and entry["title"] == "NotFound"
        assert isinstance(entry["detail"], str)
    assert api.bulk_get().json() == {"results": {}}


def test_cancel_direct_goes_straight_to_cancelled(make_api: Any, fake_clock: Any) -> None:
    api = make_api(clock=fake_clock, cancel_direct=True)
    job = api.create()
    api.advance(0.3)
    assert api.cancel(job["id"]).status_code == 204
    cancelled = api.get(job["id"])
    assert cancelled["status"] == "CANCELLED"
    assert cancelled["updateTime"] == fake_clock.ms
    api.advance(5)
    assert api.get(job["id"]) == cancelled


def test_extra_fields_adds_undocumented_fields_and_keeps_the_documented_ones(
    make_api: Any, fake_clock: Any
) -> None:
    plain = make_api(clock=fake_clock)
    extra = make_api(clock=fake_clock, extra_fields=True)
    plain_job, extra_job = plain.create(), extra.create()
    assert set(plain_job) < set(extra_job)
    plain_page, extra_page = plain.list(), extra.list()
    assert set(plain_page) < set(extra_page)
    assert set(plain_page["_page"]) < set(extra_page["_page"])
    assert extra_page["_page"]["totalCount"] == 1 and extra_page["_page"]["pageSize"] == 1


def test_max_limit_clamps_pages(make_api: Any, fake_clock: Any) -> None:
    api = make_api(clock=fake_clock, max_limit=5)
    for _ in range(7):
        api.create()
    page = api.list(limit=50)
    assert page["_page"] == {"totalCount": 7, "pageSize": 5}
    assert page["_links"]["next"]["href"] == "/segment/jobs?start=5&limit=5"
    assert len(api.walk("/segment/jobs?limit=50")) == 7


def test_default_order_ascending(make_api: Any, fake_clock: Any) -> None:
    api = make_api(clock=fake_clock, default_order="asc")
    created = []
    for _ in range(3):
        created.append(api.create()["id"])
        api.advance(0.01)
    assert [job["id"] for job in api.list()["children"]] == created
    assert [job["id"] for job in api.list(sort="creationTime:desc")["children"]] == created[::-1]


def test_custom_credentials_and_segments_from_the_environment(make_api: Any, fake_clock: Any) -> None:
    from conformance.reference import ServerSettings

    custom = ServerSettings.from_env(
        {
            "SEGJOBS_ACCESS_TOKEN": "t0k",
            "SEGJOBS_API_KEY": "k3y",
            "SEGJOBS_IMS_ORG": "ORG@AdobeOrg",
            "SEGJOBS_SANDBOX_NAME": "main",
            "SEGJOBS_SECOND_SANDBOX_NAME": "other",
            "SEGJOBS_SEGMENT_IDS": "seg-a, seg-b",
            "SEGJOBS_FAILING_SEGMENT_ID": "seg-bad",
        }
    )
    api = make_api(
        clock=fake_clock,
        access_token=custom.access_token,
        api_key=custom.api_key,
        ims_org=custom.ims_org,
        sandboxes=custom.sandboxes,
        segment_ids=custom.segment_ids,
        failing_segment_id=custom.failing_segment_id,
    )
    job = api.create("seg-b", "seg-a")
    assert job["imsOrgId"] == "ORG@AdobeOrg" and job["sandbox"]["sandboxName"] == "main"
    failing = api.create("seg-bad")
    api.advance(1)
    assert api.status(failing["id"]) == "FAILED"
    assert api.in_sandbox("other").list()["_page"]["totalCount"] == 0
    assert (
        api.http.post(
            "/segment/jobs", json=[{"segmentId": "4afe34ae-8c98-4513-8a1d-67ccaa54bc05"}]
        ).status_code
        == 400
    )
