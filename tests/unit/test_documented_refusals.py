"""SJ-ERROR-003 and refusals: any 4xx is a documented status of every operation (ERRATA E-17), for the
scenario tests' ``Kit.refused`` and for schemathesis' ``status_code_conformance`` in the property tests
alike; a success status other than the operation's own, or an undeclared 5xx, is not."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from schemathesis import checks as st_checks
from schemathesis.errors import FailureGroup

from conformance._checks import ConformanceFailure
from conformance._client import Exchange
from conformance._spec import load_openapi
from conformance.suite._kit import Kit, documented_statuses

OPERATIONS = {
    "listSegmentJobs": ("GET", "/segment/jobs"),
    "createSegmentJob": ("POST", "/segment/jobs"),
    "getSegmentJob": ("GET", "/segment/jobs/x"),
    "bulkGetSegmentJobs": ("POST", "/segment/jobs/bulk-get"),
    "cancelSegmentJob": ("DELETE", "/segment/jobs/x"),
}
SUCCESS = {
    "listSegmentJobs": 200,
    "createSegmentJob": 200,
    "getSegmentJob": 200,
    "bulkGetSegmentJobs": 207,
    "cancelSegmentJob": 204,
}


def answer(operation: str, status: int) -> Exchange:
    method, path = OPERATIONS[operation]
    body = b"" if status == 204 else b'{"status": %d, "title": "Refused"}' % status
    return Exchange(
        method,
        f"http://127.0.0.1:9{path}",
        (),
        None,
        status=status,
        response_headers=(("content-type", "application/json"),),
        body=body,
    )


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_every_4xx_is_documented_and_no_other_success(operation: str) -> None:
    documented = documented_statuses()[operation]
    assert set(range(400, 500)) <= documented
    assert {500, 503, SUCCESS[operation]} <= documented
    assert not {201, 202, 299, 301, 502, 504} & documented
    assert [s for s in documented if 200 <= s < 300] == [SUCCESS[operation]]


@pytest.mark.parametrize("status", [404, 405, 413, 422, 431])
def test_a_refusal_with_any_4xx_passes_where_any_4xx_is_asked(status: int) -> None:
    Kit.refused(answer("listSegmentJobs", status), range(400, 500), "SJ-LIST-013", "listSegmentJobs")
    Kit.refused(answer("bulkGetSegmentJobs", status), range(400, 500), "SJ-BULK-006", "bulkGetSegmentJobs")


def test_the_requirement_under_test_still_says_which_refusals_it_accepts() -> None:
    with pytest.raises(ConformanceFailure) as failure:
        Kit.refused(answer("getSegmentJob", 422), {404}, "SJ-AUTH-006", "getSegmentJob")
    assert failure.value.requirements == ("SJ-AUTH-006",)
    with pytest.raises(ConformanceFailure) as failure:
        Kit.refused(answer("listSegmentJobs", 502), range(400, 500), "SJ-LIST-013", "listSegmentJobs")
    assert failure.value.requirements == ("SJ-LIST-013", "SJ-ERROR-001")


def _status_code_conformance(operation: str, status: int) -> list[Any]:
    """The failures of schemathesis' status_code_conformance for an answer with ``status``."""
    method, path = OPERATIONS[operation]
    template = "/segment/jobs/{segmentJobId}" if path.endswith("/x") else path
    schema = schemathesis.openapi.from_dict(load_openapi())
    op = schema[template][method]
    case = op.Case(path_parameters={"segmentJobId": "x"}) if "{" in template else op.Case()
    response = answer(operation, status).as_httpx()
    try:
        case.validate_response(response, checks=[st_checks.status_code_conformance])
    except FailureGroup as group:
        return list(group.exceptions)
    return []


@pytest.mark.parametrize("status", [404, 413, 422])
@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_schemathesis_takes_any_4xx_as_documented(operation: str, status: int) -> None:
    assert _status_code_conformance(operation, status) == []


@pytest.mark.parametrize(("operation", "status"), [("createSegmentJob", 201), ("bulkGetSegmentJobs", 200)])
def test_schemathesis_still_fails_a_success_status_the_operation_does_not_answer(
    operation: str, status: int
) -> None:
    assert [type(f).__name__ for f in _status_code_conformance(operation, status)] == ["UndefinedStatusCode"]
