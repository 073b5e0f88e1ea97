"""Listing: filters (status, both property forms), sorting, paging with totalCount and next links."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest


@pytest.fixture
def jobs(api: Any) -> list[dict[str, Any]]:
    """Seven jobs created 250 ms apart (jobs of 1 s), the sixth cancelled at the end, so they stand at
    SUCCEEDED, FAILED, SUCCEEDED, PROCESSING, PROCESSING, CANCELLING and QUEUED."""
    first, second, third = api.settings.segment_ids
    failing = api.settings.failing_segment_id
    created = []
    for index, segment in enumerate([first, failing, first, second, third, first, second]):
        created.append(api.create(segment))
        api.advance(0.25 if index < 6 else 0.15)
    api.cancel(created[5]["id"])
    return [api.get(job["id"]) for job in created]


def ids(page_or_jobs: Any) -> list[str]:
    jobs = page_or_jobs["children"] if isinstance(page_or_jobs, dict) else page_or_jobs
    return [job["id"] for job in jobs]


def test_jobs_fixture_covers_several_statuses(jobs: list[dict[str, Any]]) -> None:
    assert [job["status"] for job in jobs] == [
        "SUCCEEDED",
        "FAILED",
        "SUCCEEDED",
        "PROCESSING",
        "PROCESSING",
        "CANCELLING",
        "QUEUED",
    ]


def test_empty_listing(api: Any) -> None:
    assert api.list() == {"_page": {"totalCount": 0, "pageSize": 0}, "children": [], "_links": {"next": {}}}


def test_default_order_is_newest_first(api: Any, jobs: list[dict[str, Any]]) -> None:
    page = api.list()
    assert ids(page) == ids(jobs)[::-1]
    assert page["_page"] == {"totalCount": 7, "pageSize": 7}
    assert page["_links"] == {"next": {}}


def test_listed_jobs_equal_the_jobs_read_one_by_one(api: Any, jobs: list[dict[str, Any]]) -> None:
    assert api.list(sort="creationTime:asc")["children"] == jobs


@pytest.mark.parametrize("attribute", ["creationTime", "updateTime", "status", "id"])
@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_sort(api: Any, jobs: list[dict[str, Any]], attribute: str, direction: str) -> None:
    listed = api.list(sort=f"{attribute}:{direction}")["children"]
    values = [job[attribute] for job in listed]
    assert values == sorted(values, reverse=direction == "desc")
    assert sorted(ids(listed)) == sorted(ids(jobs))


def test_sort_on_update_time_differs_from_creation_order(api: Any, jobs: list[dict[str, Any]]) -> None:
    by_update = ids(api.list(sort="updateTime:desc"))
    assert by_update[0] == jobs[5]["id"]  # the cancel is the latest change
    assert by_update != ids(api.list(sort="creationTime:desc"))


def test_status_filter(api: Any, jobs: list[dict[str, Any]]) -> None:
    page = api.list(status="SUCCEEDED")
    assert set(ids(page)) == {jobs[0]["id"], jobs[2]["id"]}
    assert page["_page"]["totalCount"] == 2
    assert ids(api.list(status="CANCELLING")) == [jobs[5]["id"]]
    assert api.list(status="CANCELLED")["_page"]["totalCount"] == 0


def test_status_filter_sees_the_current_status(api: Any, jobs: list[dict[str, Any]]) -> None:
    api.advance(5)  # nobody has read the jobs since: the listing itself must see them finished
    assert api.list(status="SUCCEEDED")["_page"]["totalCount"] == 5
    assert ids(api.list(status="CANCELLED")) == [jobs[5]["id"]]


def test_property_filter_on_an_object_path(api: Any, jobs: list[dict[str, Any]]) -> None:
    assert ids(api.list(property="status==SUCCEEDED", sort="creationTime:asc")) == ids([jobs[0], jobs[2]])
    assert len(ids(api.list(property="sandbox.sandboxName==prod"))) == 7
    assert ids(api.list(property="sandbox.sandboxName==dev")) == []
    assert ids(api.list(property=f"id=={jobs[4]['id']}")) == [jobs[4]["id"]]


def test_property_filter_matches_numbers_and_booleans_by_their_json_text(
    api: Any, jobs: list[dict[str, Any]]
) -> None:
    assert ids(api.list(property=f"creationTime=={jobs[2]['creationTime']}")) == [jobs[2]["id"]]
    assert len(ids(api.list(property="sandbox.default==true"))) == 7
    assert ids(api.list(property="sandbox.default==True")) == []


def test_property_filter_within_an_array(api: Any, jobs: list[dict[str, Any]]) -> None:
    segment = api.settings.segment_ids[0]
    expected = [job["id"] for job in jobs if job["segments"][0]["segmentId"] == segment]
    assert sorted(ids(api.list(property=f"segments~segmentId=={segment}"))) == sorted(expected)
    assert ids(api.list(property="segments~segmentId==workInUS")) == []
    assert ids(api.list(property="status~segmentId==x")) == []  # not an array: no match


def test_property_filters_repeat_and_all_apply(api: Any, jobs: list[dict[str, Any]]) -> None:
    segment = api.settings.segment_ids[0]
    both = api.http.get(
        "/segment/jobs",
        params=[("property", f"segments~segmentId=={segment}"), ("property", "status==SUCCEEDED")],
    ).json()
    expected = [
        j["id"] for j in jobs if j["status"] == "SUCCEEDED" and j["segments"][0]["segmentId"] == segment
    ]
    assert sorted(ids(both)) == sorted(expected)
    assert both["_page"]["totalCount"] == len(expected)


def test_property_and_status_filters_combine(api: Any, jobs: list[dict[str, Any]]) -> None:
    page = api.list(status="SUCCEEDED", property="sandbox.sandboxName==prod")
    assert page["_page"]["totalCount"] == 2


def test_property_filter_on_a_missing_path_matches_nothing(api: Any, jobs: list[dict[str, Any]]) -> None:
    assert api.list(property="nothing.here==x")["_page"]["totalCount"] == 0
    assert api.list(property="batchId==x")["_page"]["totalCount"] == 0


@pytest.mark.parametrize("limit", [1, 2, 3, 7, 8, 100])
def test_paging_walk_visits_every_job_once(api: Any, jobs: list[dict[str, Any]], limit: int) -> None:
    visited: list[str] = []
    href: str | None = f"/segment/jobs?limit={limit}"
    pages = 0
    while href:
        page = api.http.get(href).json()
        assert page["_page"]["totalCount"] == 7
        assert page["_page"]["pageSize"] == len(page["children"]) <= limit
        visited += ids(page)
        href = page["_links"]["next"].get("href")
        assert page["_links"]["next"] == ({"href": href} if href else {})
        pages += 1
    assert visited == ids(jobs)[::-1]
    assert pages == -(-7 // limit)


def test_next_link_carries_the_same_filters(api: Any, jobs: list[dict[str, Any]]) -> None:
    segment = api.settings.segment_ids[0]
    params = [
        ("limit", "1"),
        ("status", "SUCCEEDED"),
        ("sort", "updateTime:asc"),
        ("property", "sandbox.sandboxName==prod"),
        ("property", f"segments~segmentId=={segment}"),
    ]
    page = api.http.get("/segment/jobs", params=params).json()
    href = page["_links"]["next"]["href"]
    parts = urlsplit(href)
    assert parts.path == "/segment/jobs" and not parts.netloc
    assert parse_qsl(parts.query) == [("start", "1"), *params]
    assert api.walk(href)  # the link works


def test_start_offsets_into_the_sorted_result(api: Any, jobs: list[dict[str, Any]]) -> None:
    page = api.list(start=2, limit=3, sort="creationTime:asc")
    assert ids(page) == ids(jobs[2:5])
    assert page["_page"] == {"totalCount": 7, "pageSize": 3}
    assert "start=5&limit=3" in page["_links"]["next"]["href"]


def test_start_past_the_end_answers_an_empty_page(api: Any, jobs: list[dict[str, Any]]) -> None:
    page = api.list(start=7)
    assert page == {"_page": {"totalCount": 7, "pageSize": 0}, "children": [], "_links": {"next": {}}}
    assert api.list(start="99999999999999999999999")["children"] == []


def test_default_page_size_is_20(api: Any) -> None:
    for _ in range(21):
        api.create()
    page = api.list()
    assert page["_page"] == {"totalCount": 21, "pageSize": 20}
    assert page["_links"]["next"]["href"] == "/segment/jobs?start=20&limit=20"


def test_large_limits_are_clamped_to_100(api: Any) -> None:
    for _ in range(101):
        api.create()
    page = api.list(limit=1000)
    assert page["_page"] == {"totalCount": 101, "pageSize": 100}
    assert page["_links"]["next"]["href"] == "/segment/jobs?start=100&limit=100"
    assert api.list(limit="1" + "0" * 40)["_page"]["pageSize"] == 100


def test_paging_with_property_filters(api: Any, jobs: list[dict[str, Any]]) -> None:
    found = api.walk("/segment/jobs?limit=2&property=sandbox.sandboxName==prod&sort=id:asc")
    assert ids(found) == sorted(ids(jobs))
