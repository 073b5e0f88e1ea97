"""Realistic results dicts (the content of ``results.json``) for the report writer tests."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

Results = dict[str, Any]

SPEC_SHA = "9f2c4e1d0b7a65f3c8e2d4b6a1f09e7c3d5b8a2f6e4c1d0b9a8f7e6d5c4b3a21"
JOB_A = "5b1a6a7e-3c3e-4a55-9d0c-0e6f3b0f2a11"
JOB_B = "0d4f2a9c-81b2-4d6e-a3f1-7c9e5b2d4f22"
JOB_REGRESS = "c0ffee00-1234-4bad-8bad-0000000000aa"
JOB_STUCK = "deadbeef-5678-4ace-9ace-0000000000bb"
JOB_CANCEL = "7a7a7a7a-9b9b-4c4c-8d8d-0000000000cc"

# (id, level, title, source, quote)
CATALOG = [
    (
        "SJ-LIST-001",
        "MUST",
        "Listing answers 200 with a page of jobs",
        "#retrieve-list",
        "A successful response returns HTTP status 200 with a list of segment jobs.",
    ),
    (
        "SJ-LIST-002",
        "MUST",
        "_page.totalCount counts every match, not only the page",
        "#retrieve-list",
        "totalCount: the total number of segment jobs that match the request.",
    ),
    (
        "SJ-LIST-003",
        "SHOULD",
        "A limit above the cap is clamped, not refused",
        "#retrieve-list",
        "limit: the number of segment jobs returned. The default is 20.",
    ),
    (
        "SJ-LIST-004",
        "MUST",
        "An invalid query parameter is refused with a 400 problem",
        "RFC 9457 \u00a73",
        "A problem details object can have the following members: type, status, title, detail.",
    ),
    (
        "SJ-LIST-005",
        "MAY",
        "Listing can be sorted by status",
        "#retrieve-list",
        "sort: orders the results by the given attribute, ascending or descending.",
    ),
    (
        "SJ-CREATE-001",
        "MUST",
        "Create answers 200 with a NEW job",
        "#create",
        "A successful response returns HTTP status 200 with details of your newly created segment job.",
    ),
    (
        "SJ-CREATE-002",
        "MUST",
        "The requested segment ids are echoed in order",
        "#create",
        "segments.segment.id: the ID of the segment definition.",
    ),
    (
        "SJ-CREATE-003",
        "MUST",
        "An empty array is refused with 400 and creates nothing",
        "#create",
        "The request body is an array of objects that each contain a segmentId.",
    ),
    (
        "SJ-GET-001",
        "MUST",
        "Get returns the job with the requested id",
        "#get",
        "A successful response returns HTTP status 200 with detailed information about the specified job.",
    ),
    (
        "SJ-GET-002",
        "MUST",
        "An unknown job id answers 404",
        "#get",
        "The ID of the segment job you want to access.",
    ),
    (
        "SJ-BULK-001",
        "MUST",
        "Bulk-get answers 207 with results keyed by id",
        "#bulk-get",
        "A successful response returns HTTP status 207 with the requested segment jobs.",
    ),
    (
        "SJ-BULK-002",
        "MAY",
        "Unknown ids may be listed as error entries",
        "#bulk-get",
        "The full response will list the full details for the segment jobs requested.",
    ),
    (
        "SJ-CANCEL-001",
        "MUST",
        "Cancel answers 204 with no content",
        "#delete",
        "A successful response returns HTTP status 204 with no content.",
    ),
    (
        "SJ-CANCEL-002",
        "MUST",
        "A cancelled job ends CANCELLED",
        "#delete",
        "You can delete a specific segment job by making a DELETE request.",
    ),
    (
        "SJ-LIFE-001",
        "MUST",
        "Observed statuses walk the lifecycle graph",
        "#get",
        "Potential values for the status include NEW, PROCESSING, CANCELLING, CANCELLED, FAILED, "
        "and SUCCEEDED.",
    ),
    (
        "SJ-LIFE-002",
        "MUST",
        "A terminal status never changes",
        "#get",
        "The current status for the segment job.",
    ),
    (
        "SJ-LIFE-003",
        "MUST",
        "A FAILED job carries a non-empty errors array",
        "#get",
        "An object that contains diagnostic information about the segment job.",
    ),
    (
        "SJ-SANDBOX-001",
        "MUST",
        "Jobs are invisible from another sandbox",
        "#get",
        "x-sandbox-name: the name of the sandbox in which the operation takes place.",
    ),
    (
        "SJ-AUTH-001",
        "MUST",
        "A request without a bearer token is refused with 401 or 403",
        "RFC 6750 \u00a73.1",
        "The request requires higher privileges than provided by the access token.",
    ),
    (
        "SJ-ERR-001",
        "SHOULD",
        "Errors carry an RFC 9457 problem body",
        "RFC 9457 \u00a73",
        "A problem details object is a JSON object.",
    ),
    (
        "SJ-META-001",
        "SHOULD",
        "updateEpoch is floor(updateTime / 1000)",
        "#get",
        "updateEpoch: the epoch second of the last update.",
    ),
]

BASE_URL = "http://127.0.0.1:8765"
CURL = (
    "curl -X {method} '" + BASE_URL + "/segment/jobs{path}' -H 'Authorization: Bearer ***' "
    "-H 'x-api-key: ***' -H 'x-gw-ims-org-id: 0000000000000000000000AA@AdobeOrg' -H 'x-sandbox-name: prod'"
)


def _module(group: str) -> str:
    return f"conformance/suite/test_{group}.py"


def _test(
    name: str,
    group: str,
    reqs: list[str],
    outcome: str = "passed",
    *,
    reason: str | None = None,
    message: str = "",
    curl: str = "",
    duration: float = 0.05,
) -> dict[str, Any]:
    return {
        "id": f"{_module(group)}::{name}",
        "name": name,
        "group": group,
        "requirements": reqs,
        "outcome": outcome,
        "reason": reason,
        "duration_s": duration,
        "message": message,
        "curl": curl,
    }


def _passing_tests() -> list[dict[str, Any]]:
    return [
        _test("test_list_answers_a_page", "listing", ["SJ-LIST-001"], duration=0.031),
        _test("test_total_count_counts_all_matches", "listing", ["SJ-LIST-002"], duration=0.212),
        _test("test_limit_above_cap_is_clamped", "listing", ["SJ-LIST-003"], duration=0.044),
        _test("test_invalid_query_is_refused", "bad_input", ["SJ-LIST-004", "SJ-ERR-001"], duration=0.101),
        _test("test_sort_by_status", "listing", ["SJ-LIST-005"], duration=0.02),
        _test("test_create_answers_new_job", "lifecycle", ["SJ-CREATE-001"], duration=0.018),
        _test("test_create_echoes_segment_ids", "lifecycle", ["SJ-CREATE-002"], duration=0.022),
        _test("test_empty_create_is_refused", "bad_input", ["SJ-CREATE-003"], duration=0.015),
        _test("test_get_returns_the_job", "lifecycle", ["SJ-GET-001"], duration=0.012),
        _test("test_unknown_id_is_404", "bad_input", ["SJ-GET-002"], duration=0.009),
        _test("test_bulk_get_answers_207", "bulk_get", ["SJ-BULK-001"], duration=0.025),
        _test("test_bulk_get_unknown_ids", "bulk_get", ["SJ-BULK-002"], duration=0.027),
        _test("test_cancel_answers_204", "cancel", ["SJ-CANCEL-001"], duration=0.019),
        _test("test_cancelled_job_ends_cancelled", "cancel", ["SJ-CANCEL-002"], duration=1.204),
        _test("test_statuses_walk_the_graph", "lifecycle", ["SJ-LIFE-001", "SJ-LIFE-002"], duration=2.5),
        _test(
            "test_failed_job_has_errors",
            "lifecycle",
            ["SJ-LIFE-003"],
            "skipped",
            reason="disabled: SEGJOBS_FAILING_SEGMENT_ID is not set",
            duration=0.0,
        ),
        _test(
            "test_jobs_invisible_from_other_sandbox",
            "isolation",
            ["SJ-SANDBOX-001"],
            "skipped",
            reason="disabled: SEGJOBS_SECOND_SANDBOX_NAME is not set",
            duration=0.0,
        ),
        _test("test_missing_token_is_refused", "auth", ["SJ-AUTH-001"], duration=0.007),
    ]


def _jobs_ok() -> list[dict[str, Any]]:
    return [
        {
            "id": JOB_A,
            "observations": [
                {"t": 0.0, "status": "NEW"},
                {"t": 0.05, "status": "NEW"},
                {"t": 0.16, "status": "QUEUED"},
                {"t": 0.31, "status": "PROCESSING"},
                {"t": 0.62, "status": "PROCESSING"},
                {"t": 1.04, "status": "SUCCEEDED"},
                {"t": 1.2, "status": "SUCCEEDED"},
            ],
        },
        {
            "id": JOB_CANCEL,
            "observations": [
                {"t": 0.0, "status": "NEW"},
                {"t": 0.2, "status": "QUEUED"},
                {"t": 0.3, "status": "CANCELLING"},
                {"t": 0.45, "status": "CANCELLED"},
            ],
        },
    ]


def _summary(requirements: list[dict[str, Any]], tests: list[dict[str, Any]]) -> dict[str, Any]:
    reqs = dict.fromkeys(("pass", "fail", "skip", "disabled", "error", "untested"), 0)
    for r in requirements:
        reqs[r["outcome"]] += 1
    counts = {"passed": 0, "failed": 0, "skipped": 0, "errors": 0}
    for t in tests:
        counts["errors" if t["outcome"] == "error" else t["outcome"]] += 1
    return {"requirements": reqs, "tests": counts}


def _requirements(
    tests: list[dict[str, Any]], failures: dict[str, list[dict[str, str]]]
) -> list[dict[str, Any]]:
    """Requirement entries rolled up from the tests, as the run does it."""
    out = []
    for rid, level, title, source, quote in CATALOG:
        mine = [t for t in tests if rid in t["requirements"]]
        outcomes = {t["outcome"] for t in mine}
        if not mine:
            outcome = "untested"
        elif "error" in outcomes:
            outcome = "error"
        elif "failed" in outcomes:
            outcome = "fail"
        elif outcomes == {"skipped"}:
            disabled = all((t["reason"] or "").startswith("disabled:") for t in mine)
            outcome = "disabled" if disabled else "skip"
        else:
            outcome = "pass"
        out.append(
            {
                "id": rid,
                "level": level,
                "title": title,
                "source": source,
                "quote": quote,
                "outcome": outcome,
                "tests": [t["id"] for t in mine],
                "failures": failures.get(rid, []),
            }
        )
    return out


def build(
    tests: list[dict[str, Any]],
    failures: dict[str, list[dict[str, str]]],
    jobs: list[dict[str, Any]],
    verdict: str,
    *,
    base_url: str = BASE_URL,
) -> Results:
    requirements = _requirements(tests, failures)
    return {
        "suite": {
            "name": "segment-jobs-conformance",
            "version": "0.1.0",
            "spec_sha256": SPEC_SHA,
            "seed": 20261129,
        },
        "target": {"base_url": base_url, "profile": "standard"},
        "verdict": verdict,
        "started": "2026-11-29T16:00:00Z",
        "duration_s": 14.73,
        "summary": _summary(requirements, tests),
        "requirements": requirements,
        "tests": tests,
        "jobs": jobs,
    }


def conformant_results() -> Results:
    return build(_passing_tests(), {}, _jobs_ok(), "conformant")


def nonconformant_results() -> Results:
    tests = _passing_tests()
    by_name = {t["name"]: t for t in tests}

    def fail(name: str, message: str, curl: str, outcome: str = "failed") -> None:
        by_name[name].update(outcome=outcome, message=message, curl=curl)

    cancel_curl = CURL.format(method="DELETE", path="/" + JOB_B)
    fail(
        "test_cancel_answers_204",
        "SJ-CANCEL-001: expected status 204 with an empty body, got 200 with "
        '33 bytes ({"status": "CANCELLING"})',
        cancel_curl,
    )
    total_curl = CURL.format(method="GET", path="?start=0&limit=2&status=SUCCEEDED")
    fail(
        "test_total_count_counts_all_matches",
        "SJ-LIST-002: _page.totalCount is 2 (the page size), "
        "but 7 jobs match status==SUCCEEDED | seen across pages",
        total_curl,
    )
    graph_curl = CURL.format(method="GET", path="/" + JOB_REGRESS)
    fail(
        "test_statuses_walk_the_graph",
        "SJ-LIFE-002: job c0ffee00-1234-4bad-8bad-0000000000aa went "
        "SUCCEEDED -> PROCESSING at 1.31 s; a terminal status never changes",
        graph_curl,
    )
    bulk_curl = (
        CURL.format(method="POST", path="/bulk-get") + " -H 'Content-Type: application/json' "
        '-d \'{"ids": [{"id": "' + JOB_A + "\"}]}'"
    )
    fail(
        "test_bulk_get_answers_207",
        "SJ-BULK-001: timed out after 10.0 s waiting for the response",
        bulk_curl,
        outcome="error",
    )
    by_name["test_sort_by_status"].update(
        outcome="skipped", reason="skip: the target answered 400 'sort by status is not supported'"
    )
    tests.append(
        _test(
            "test_list_is_newest_first",
            "listing",
            [],
            "failed",
            message="expected creationTime desc order, got ascending",
            curl=CURL.format(method="GET", path=""),
        )
    )

    failures = {
        "SJ-CANCEL-001": [
            {
                "test": by_name["test_cancel_answers_204"]["id"],
                "message": by_name["test_cancel_answers_204"]["message"],
                "curl": cancel_curl,
                "request": f"DELETE /segment/jobs/{JOB_B}",
                "response": 'HTTP 200\ncontent-type: application/json\n\n{"status": "CANCELLING"}',
            }
        ],
        "SJ-LIST-002": [
            {
                "test": by_name["test_total_count_counts_all_matches"]["id"],
                "message": by_name["test_total_count_counts_all_matches"]["message"],
                "curl": total_curl,
                "request": "GET /segment/jobs?start=0&limit=2&status=SUCCEEDED",
                "response": 'HTTP 200\n\n{"_page": {"totalCount": 2, "pageSize": 2}, "children": [...]}',
            }
        ],
        "SJ-LIFE-002": [
            {
                "test": by_name["test_statuses_walk_the_graph"]["id"],
                "message": by_name["test_statuses_walk_the_graph"]["message"],
                "curl": graph_curl,
                "request": f"GET /segment/jobs/{JOB_REGRESS}",
                "response": (
                    'HTTP 200\n\n{"id": "c0ffee00-...", "status": "PROCESSING", "updateTime": 1795968001310}'
                ),
            }
        ],
        "SJ-BULK-001": [
            {
                "test": by_name["test_bulk_get_answers_207"]["id"],
                "message": by_name["test_bulk_get_answers_207"]["message"],
                "curl": bulk_curl,
                "request": "POST /segment/jobs/bulk-get",
                "response": "(no response: read timeout)",
            }
        ],
    }
    jobs = [
        *_jobs_ok(),
        {
            "id": JOB_REGRESS,
            "observations": [
                {"t": 0.0, "status": "NEW"},
                {"t": 0.12, "status": "QUEUED"},
                {"t": 0.3, "status": "PROCESSING"},
                {"t": 1.02, "status": "SUCCEEDED"},
                {"t": 1.31, "status": "PROCESSING"},
                {"t": 1.6, "status": "SUCCEEDED"},
            ],
        },
        {
            "id": JOB_STUCK,
            "observations": [
                {"t": 0.0, "status": "NEW"},
                {"t": 0.4, "status": "QUEUED"},
                {"t": 1.0, "status": "PROCESSING"},
                {"t": 5.0, "status": "PROCESSING"},
                {"t": 10.0, "status": "PROCESSING"},
            ],
        },
    ]
    return build(tests, failures, jobs, "nonconformant")


def many_failures_results(count: int = 80) -> Results:
    """A target that fails everything, with more failed requirements than the summary table shows."""
    results = nonconformant_results()
    extra_tests = []
    extra_reqs = []
    for i in range(count):
        rid = f"SJ-EXTRA-{i:03d}"
        test = _test(
            f"test_extra_{i:03d}",
            "extra",
            [rid],
            "failed",
            message=f"check {i} | expected 200, got 500\nsecond line of the message",
            curl=CURL.format(method="GET", path=f"?start={i}"),
        )
        extra_tests.append(test)
        extra_reqs.append(
            {
                "id": rid,
                "level": "MUST" if i % 3 else "SHOULD",
                "title": f"Extra requirement number {i}",
                "source": "#retrieve-list",
                "quote": "A quote.",
                "outcome": "fail",
                "tests": [test["id"]],
                "failures": [{"test": test["id"], "message": test["message"], "curl": test["curl"]}],
            }
        )
    results["tests"] += extra_tests
    results["requirements"] += extra_reqs
    results["summary"] = _summary(results["requirements"], results["tests"])
    return results


@pytest.fixture
def conformant() -> Results:
    return conformant_results()


@pytest.fixture
def nonconformant() -> Results:
    return nonconformant_results()


@pytest.fixture
def many_failures() -> Results:
    return many_failures_results()


@pytest.fixture(params=["conformant", "nonconformant", "many_failures"])
def any_results(request: pytest.FixtureRequest) -> Results:
    makers: dict[str, Callable[[], Results]] = {
        "conformant": conformant_results,
        "nonconformant": nonconformant_results,
        "many_failures": many_failures_results,
    }
    return copy.deepcopy(makers[request.param]())
