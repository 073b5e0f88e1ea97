"""What the schemas and parameter patterns of the OpenAPI document accept and refuse."""

from __future__ import annotations

import re
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from conformance._spec import load_openapi

ROOT = "urn:segment-jobs-conformance:openapi"
DOC = load_openapi()
REGISTRY: Registry[Any] = Registry().with_resource(
    ROOT, Resource.from_contents(DOC, default_specification=DRAFT202012)
)

JOB = {
    "id": "d3b4a50d-dfea-43eb-9fca-557ea53771fd",
    "status": "NEW",
    "segments": [{"segmentId": "4afe34ae-8c98-4513-8a1d-67ccaa54bc05"}],
    "creationTime": 1579304260897,
    "updateTime": 1579304260000,
}


def valid(component: str, instance: Any) -> bool:
    schema = {"$ref": f"{ROOT}#/components/schemas/{component}"}
    return jsonschema.Draft202012Validator(schema, registry=REGISTRY).is_valid(instance)


def pattern(parameter: str) -> re.Pattern[str]:
    schema = DOC["components"]["parameters"][parameter]["schema"]
    return re.compile(schema.get("items", schema)["pattern"])


@pytest.mark.parametrize("field", ["id", "status", "segments", "creationTime", "updateTime"])
def test_a_job_without_a_required_field_is_refused(field: str) -> None:
    assert valid("SegmentJob", JOB)
    assert not valid("SegmentJob", {k: v for k, v in JOB.items() if k != field})


def test_a_job_may_carry_undocumented_fields() -> None:
    assert valid(
        "SegmentJob", {**JOB, "somethingNew": {"a": 1}, "sandbox": {"sandboxName": "prod", "extra": 1}}
    )


@pytest.mark.parametrize("status", ["queued", "DONE", "", 3])
def test_a_status_outside_the_seven_is_refused(status: Any) -> None:
    assert not valid("SegmentJob", {**JOB, "status": status})


@pytest.mark.parametrize(
    ("field", "value"),
    [("creationTime", "1579304260897"), ("updateTime", 1.5), ("segments", {}), ("computeJobId", "8811")],
)
def test_fields_have_their_types(field: str, value: Any) -> None:
    assert not valid("SegmentJob", {**JOB, field: value})


def test_a_failed_job_carries_error_objects() -> None:
    failed = {**JOB, "status": "FAILED", "errors": [{"code": "0100000003", "msg": "boom"}]}
    assert valid("SegmentJob", failed)
    assert not valid("SegmentJob", {**failed, "errors": ["boom"]})


@pytest.mark.parametrize(
    ("next_link", "ok"),
    [
        ({}, True),
        ({"href": "/segment/jobs?start=20&limit=20"}, True),
        ({"href": "/segment/jobs?start=20", "method": "GET"}, True),
        ({"method": "GET"}, False),
        ({"href": ""}, False),
        (None, False),
    ],
)
def test_next_link_is_a_link_or_an_empty_object(next_link: Any, ok: bool) -> None:
    page = {"_page": {"totalCount": 1, "pageSize": 1}, "children": [JOB], "_links": {"next": next_link}}
    assert valid("SegmentJobPage", page) is ok


def test_a_page_requires_its_counts_and_children() -> None:
    assert valid("SegmentJobPage", {"_page": {"totalCount": 0, "pageSize": 0}, "children": []})
    assert not valid("SegmentJobPage", {"children": []})
    assert not valid("SegmentJobPage", {"_page": {"totalCount": 0}, "children": []})
    assert not valid("SegmentJobPage", {"_page": {"totalCount": 0, "pageSize": 0}})


@pytest.mark.parametrize(
    ("body", "ok"),
    [
        ([{"segmentId": "a"}], True),
        ([{"segmentId": "a"}, {"segmentId": "b", "extra": True}], True),
        ([], False),
        ([{}], False),
        ([{"segmentId": ""}], False),
        ([{"segmentId": 4}], False),
        ({"segmentId": "a"}, False),
    ],
)
def test_create_request(body: Any, ok: bool) -> None:
    assert valid("CreateSegmentJobRequest", body) is ok


@pytest.mark.parametrize(
    ("body", "ok"),
    [
        ({"ids": []}, True),
        ({"ids": [{"id": "a"}, {"id": "b"}]}, True),
        ({}, False),
        ({"ids": "a"}, False),
        ({"ids": [{}]}, False),
        ({"ids": [{"id": 1}]}, False),
        ([{"id": "a"}], False),
    ],
)
def test_bulk_get_request(body: Any, ok: bool) -> None:
    assert valid("BulkGetRequest", body) is ok


def test_bulk_get_results_are_jobs_or_error_entries_of_any_shape() -> None:
    """An entry that does not read as a job is an error entry, whatever its shape (ERRATA E-09)."""
    problem = {"id": "x", "status": 404, "title": "NotFound", "detail": "no such job"}
    nested = {"id": "x", "error": {"status": 404, "message": "not found"}}
    assert valid("BulkGetResponse", {"results": {}})
    for entry in (problem, nested, {"id": "x"}, {"id": "x", "found": False}, None, "not found"):
        assert valid("BulkGetResponse", {"results": {JOB["id"]: JOB, "x": entry}}), entry
    assert not valid("BulkGetResponse", {"results": [JOB]})
    assert not valid("BulkGetResponse", {})


@pytest.mark.parametrize(
    "entry",
    [
        {"id": "x", "status": "NEW"},  # a job's status, but not a job: SegmentJob's required fields
        {"id": "x", "status": "NOT_FOUND", "message": "not found"},  # a string status reads as a job
        {**JOB, "status": "new"},  # status-lowercase: a job with a status outside the seven
        {**JOB, "creationTime": "1579304260897"},
    ],
)
def test_an_entry_with_a_string_status_reads_as_a_job_and_must_be_one(entry: dict[str, Any]) -> None:
    assert not valid("BulkGetError", entry)
    assert not valid("BulkGetResponse", {"results": {"x": entry}})


def test_an_error_entry_can_never_pass_as_a_job() -> None:
    assert not valid("SegmentJob", {**JOB, "status": 404})


@pytest.mark.parametrize(
    "body",
    [
        {"error_code": "403010", "message": "Oauth token is missing."},
        {"error_code": "401013", "message": "Oauth token is not valid"},
        {"error_code": "400003", "message": "Missing header x-gw-ims-org-id"},
        {
            "type": "http://ns.adobe.com/aep/errors/x",
            "status": 400,
            "title": "BadRequestError",
            "detail": "d",
        },
        {"status": 404, "title": "NotFound"},
    ],
)
def test_error_bodies_of_the_platform_are_accepted(body: dict[str, Any]) -> None:
    assert valid("ErrorBody", body)


@pytest.mark.parametrize(
    "body", [{}, {"message": "x"}, {"error_code": 403010, "message": "x"}, {"detail": "x"}]
)
def test_bodies_of_neither_shape_are_refused(body: dict[str, Any]) -> None:
    assert not valid("ErrorBody", body)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("creationTime:desc", True),
        ("updateTime:asc", True),
        ("status:asc", True),
        ("id:desc", True),
        # the doc's form whatever the attribute: a server refuses what it does not sort on (ERRATA E-14)
        ("metrics.totalTime.startTimeInMs:asc", True),
        ("creationTime", False),
        ("creationTime:up", False),
        (":asc", False),
        ("", False),
        ("creationTime:ASC", False),
        ("creation time:asc", False),
        ("creationTime:asc\n", False),
        ("creationTime:asc:desc", False),
    ],
)
def test_sort_pattern(value: str, ok: bool) -> None:
    assert (pattern("Sort").search(value) is not None) is ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("segments~segmentId==workInUS", True),
        ("status==NEW", True),
        ("sandbox.sandboxName==prod", True),
        ("segments~segmentId==4afe34ae-8c98-4513-8a1d-67ccaa54bc05", True),
        ("status==a=b", True),
        ("status==NEW\t", True),
        ("status=NEW", False),
        ("==NEW", False),
        ("status==", False),
        ("segments~==x", False),
        ("status==NEW\n", False),
        ("status==NE\rW", False),
        ("status==NEW\u2028", False),
    ],
)
def test_property_pattern(value: str, ok: bool) -> None:
    assert (pattern("Property").search(value) is not None) is ok


def test_the_doc_query_examples_match_their_parameters() -> None:
    """``start=1``, ``limit=20``, ``status=NEW``, ``sort=creationTime:desc``,
    ``property=segments~segmentId==workInUS`` (the doc's query parameter table)."""
    params = DOC["components"]["parameters"]
    assert params["Start"]["examples"]["doc-start"]["value"] == 1
    assert params["Limit"]["examples"]["doc-limit"]["value"] == 20
    assert params["Status"]["examples"]["doc-status"]["value"] == "NEW"
    assert params["Sort"]["examples"]["doc-sort"]["value"] == "creationTime:desc"
    assert params["Property"]["examples"]["doc-property"]["value"] == ["segments~segmentId==workInUS"]
