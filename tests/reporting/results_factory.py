"""Realistic results dicts (the content of ``results.json``) for the report writer tests.

``conformant_results``, ``nonconformant_results`` and ``many_failures_results`` are in the format written
before the coverage (no ``coverage``, no ``skip_kind``, ``disabled:``/``skip:`` reason prefixes): old files
must still render. ``incomplete_results`` and ``checks_results`` are in the current format: ``coverage``,
``skip_kind``, a ``reason`` (and ``cause``) on every requirement that did not pass or fail, and failure
messages as the suite writes them (``[ID] title``, ``expected:``, ``got:``, ``request:``, ``response:``,
``curl:``).
"""

from __future__ import annotations

from typing import Any

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
    skip_kind: str | None = None,
) -> dict[str, Any]:
    test = {
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
    if skip_kind is not None:
        test["skip_kind"] = skip_kind
    return test


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
            disabled = all(
                t.get("skip_kind") == "disabled" or (t["reason"] or "").startswith("disabled:") for t in mine
            )
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


# -- the current format: coverage, skip_kind, reasons on rows, structured failure messages ------------------
CATALOG_TITLES = {rid: title for rid, _, title, _, _ in CATALOG}
UNTESTED_REASON = "no test of this run judged it"
COVERAGE_OF = {
    "pass": "passed",
    "fail": "failed",
    "skip": "undecided",
    "error": "undecided",
    "untested": "undecided",
    "disabled": "out_of_scope",
}

NO_JOB = "no job to read: the sandbox is empty and the run is read-only"
READ_ONLY = "the run is read-only (--read-only): it creates and cancels no job"
NO_SANDBOX = "needs SEGJOBS_SECOND_SANDBOX_NAME, which is not set"
NO_FAILING = "needs SEGJOBS_FAILING_SEGMENT_ID, which is not set"
#: the short label of each reason (the producer gives them with the reasons)
CAUSES = {
    NO_JOB: "no job to read",
    READ_ONLY: "read-only",
    NO_SANDBOX: "no second sandbox",
    NO_FAILING: "no failing segment",
}


def suite_message(
    reqs: list[str],
    expected: str,
    got: str,
    exchange: tuple[str, str, str] | None = None,
) -> str:
    """A failure message as ``ConformanceFailure`` writes it (``exchange`` is request, response, curl)."""
    head = "; ".join(f"[{r}] {CATALOG_TITLES.get(r, '')}".rstrip() for r in reqs)
    lines = [head, f"  expected: {expected}", f"  got:      {got}"]
    if exchange is not None:
        request, response, curl = exchange
        lines += [
            "  request:  " + request.replace("\n", "\n            "),
            "  response: " + response[:600].replace("\n", "\n            "),
            "  curl:     " + curl,
        ]
    return "\n".join(lines)


def coverage_of(requirements: list[dict[str, Any]]) -> dict[str, Any]:
    """The ``coverage`` object of results.json, as the producer computes it."""
    coverage: dict[str, Any] = {
        level: {"passed": 0, "failed": 0, "undecided": 0, "out_of_scope": 0} for level in ("MUST", "SHOULD")
    }
    reasons: dict[str, dict[str, str]] = {"out_of_scope": {}, "undecided": {}}
    causes: dict[str, list[str]] = {"out_of_scope": [], "undecided": []}
    for row in requirements:
        if row["level"] not in ("MUST", "SHOULD"):
            continue
        bucket = COVERAGE_OF[row["outcome"]]
        coverage[row["level"]][bucket] += 1
        if bucket in reasons:
            reasons[bucket][row["id"]] = row["reason"]
            if row["cause"] not in causes[bucket]:
                causes[bucket].append(row["cause"])
    coverage["out_of_scope_reasons"] = reasons["out_of_scope"]
    coverage["undecided_reasons"] = reasons["undecided"]
    coverage["out_of_scope_causes"] = causes["out_of_scope"]
    coverage["undecided_causes"] = causes["undecided"]
    return coverage


def _current_format(results: Results) -> Results:
    """Adds what the current producer writes: a reason and cause on rows that did not pass or fail, the
    coverage, and failures recorded under the requirements a failing test did not get to (``error``)."""
    tests = {t["id"]: t for t in results["tests"]}
    for row in results["requirements"]:
        if row["outcome"] in ("pass", "fail"):
            continue
        mine = [tests[t] for t in row["tests"] if t in tests]
        if row["outcome"] == "error":
            message = row["failures"][0]["message"] if row["failures"] else mine[0]["message"]
            reason = message.splitlines()[0]
            cause = "a failure stopped its test" if reason.startswith("not decided:") else "suite error"
        elif mine:
            reason = mine[0]["reason"]
            cause = CAUSES.get(reason, reason)
        else:
            reason, cause = UNTESTED_REASON, "not run"
        row["reason"], row["cause"] = reason, cause
    results["coverage"] = coverage_of(results["requirements"])
    results["summary"] = _summary(results["requirements"], results["tests"])
    return results


def _skip(test: dict[str, Any], reason: str, kind: str) -> None:
    test.update(outcome="skipped", reason=reason, skip_kind=kind, duration_s=0.0)


def incomplete_results() -> Results:
    """A read-only run against an empty sandbox: nothing failed, two MUSTs and a SHOULD not judged."""
    tests = _passing_tests()
    by_name = {t["name"]: t for t in tests}
    _skip(by_name["test_get_returns_the_job"], NO_JOB, "undecided")
    for name in (
        "test_create_answers_new_job",
        "test_create_echoes_segment_ids",
        "test_empty_create_is_refused",
        "test_cancel_answers_204",
        "test_cancelled_job_ends_cancelled",
        "test_statuses_walk_the_graph",
    ):
        _skip(by_name[name], READ_ONLY, "disabled")
    _skip(by_name["test_jobs_invisible_from_other_sandbox"], NO_SANDBOX, "disabled")
    _skip(by_name["test_failed_job_has_errors"], NO_FAILING, "disabled")
    by_name["test_bulk_get_answers_207"].update(
        outcome="error",
        message="TypeError: 'NoneType' object is not subscriptable",
        duration_s=0.004,
    )
    results = build(tests, {}, [], "incomplete")
    return _current_format(results)


GET_404_EXCHANGE = (
    "GET /segment/jobs/29ba4897-f516-4d82-a6c5-2bc23c92e056",
    'HTTP 500 (application/json)\n{"title":"InternalServerError","detail":"Lookup failed."}',
    CURL.format(method="GET", path="/29ba4897-f516-4d82-a6c5-2bc23c92e056"),
)
GET_404_EXPECTED = "HTTP status [404] to an id no job has"
GET_404_GOT = 'HTTP 500 \'{"title":"InternalServerError","detail":"Lookup failed."}\''

SCHEMA_TEXT = (
    "Response violates schema: 'totalCount' is a required property. Schema at /properties/_page: "
    + "{'type': 'object', 'required': ['totalCount', 'pageSize'], 'properties': {'totalCount': "
    + "{'type': 'integer', 'minimum': 0}, 'pageSize': {'type': 'integer', 'minimum': 0}}} "
    + "Value: {'pageSize': 2, 'count': 2, 'children': [{'id': 'a'}, {'id': 'b'}]}"
)
LIST_EXCHANGE = (
    "GET /segment/jobs?limit=2&start=0",
    'HTTP 200 (application/json)\n{"_page": {"pageSize": 2, "count": 2}, "children": [{"id": "a"}]}',
    CURL.format(method="GET", path="?limit=2&start=0"),
)
ALSO_CURL = CURL.format(method="GET", path="?bogus=1")
PROPERTY_DETAIL = [
    "also [SJ-LIST-004] HTTP 200 to an unknown query parameter",
    "    request: GET /segment/jobs?bogus=1",
    "    curl:    " + ALSO_CURL,
    "generated with seed 7 (rerun with --segjobs-seed 7)",
]


def checks_results() -> Results:
    """A nonconformant run whose failures are in the suite's words.

    - one check decides two requirements (SJ-GET-002 and SJ-ERR-001) and stops its test before a third
      (SJ-BULK-001, ``error`` with a ``not decided:`` note);
    - a property test found a schema violation (schemathesis' own long text) and a second finding
      (``also [...]``), with the seed.
    """
    tests = _passing_tests()
    by_name = {t["name"]: t for t in tests}
    by_name["test_unknown_id_is_404"]["requirements"] = ["SJ-GET-002", "SJ-ERR-001", "SJ-BULK-001"]
    by_name["test_bulk_get_answers_207"]["requirements"] = []
    by_name["test_invalid_query_is_refused"]["requirements"] = ["SJ-LIST-004"]
    get_message = suite_message(["SJ-GET-002", "SJ-ERR-001"], GET_404_EXPECTED, GET_404_GOT, GET_404_EXCHANGE)
    by_name["test_unknown_id_is_404"].update(outcome="failed", message=get_message, curl=GET_404_EXCHANGE[2])
    property_message = suite_message(
        ["SJ-LIST-004"],
        "a body that conforms to the spec's response schema of GET /segment/jobs; a 4xx answer to data the "
        "spec does not allow",
        "\n            ".join([SCHEMA_TEXT, *PROPERTY_DETAIL]),
        LIST_EXCHANGE,
    )
    by_name["test_invalid_query_is_refused"].update(
        outcome="failed", message=property_message, curl=LIST_EXCHANGE[2]
    )
    _skip(by_name["test_jobs_invisible_from_other_sandbox"], NO_SANDBOX, "disabled")
    _skip(by_name["test_failed_job_has_errors"], NO_FAILING, "disabled")

    def failure(test: dict[str, Any], exchange: tuple[str, str, str], message: str) -> dict[str, str]:
        request, response, curl = exchange
        return {
            "test": test["id"],
            "message": message,
            "curl": curl,
            "request": request,
            "response": response,
        }

    get_test = by_name["test_unknown_id_is_404"]
    blocked = f"not decided: the test stopped at a failure of SJ-GET-002, SJ-ERR-001\n{get_message}"
    failures = {
        "SJ-GET-002": [failure(get_test, GET_404_EXCHANGE, get_message)],
        "SJ-ERR-001": [failure(get_test, GET_404_EXCHANGE, get_message)],
        "SJ-BULK-001": [failure(get_test, GET_404_EXCHANGE, blocked)],
        "SJ-LIST-004": [
            failure(by_name["test_invalid_query_is_refused"], LIST_EXCHANGE, property_message),
        ],
    }
    results = build(tests, failures, _jobs_ok(), "nonconformant")
    bulk = next(r for r in results["requirements"] if r["id"] == "SJ-BULK-001")
    bulk["outcome"] = "error"  # blocked: the test stopped before it
    return _current_format(results)
