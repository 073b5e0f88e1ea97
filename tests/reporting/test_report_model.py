"""The typed view of results.json: coverage (read or derived), skip kinds, reasons, and failure messages."""

from __future__ import annotations

from typing import Any

import pytest
from results_factory import (
    ALSO_CURL,
    NO_JOB,
    PROPERTY_DETAIL,
    SCHEMA_TEXT,
    UNTESTED_REASON,
    checks_results,
)

from conformance._checks import ConformanceFailure
from conformance._client import Exchange
from conformance.reporting._coverage import cause_label
from conformance.reporting._message import GOT_CHARS, parse_message
from conformance.reporting._model import load

Results = dict[str, Any]


def _exchange() -> Exchange:
    return Exchange(
        method="GET",
        url="http://127.0.0.1:8765/segment/jobs/abc",
        request_headers=(("Authorization", "Bearer tok"), ("x-sandbox-name", "prod")),
        request_body=None,
        status=500,
        response_headers=(("content-type", "application/json"),),
        body=b'{\n  "title": "InternalServerError"\n}',
    )


def test_a_conformance_failure_of_the_suite_is_split_into_its_parts() -> None:
    exchange = _exchange()
    reqs = ["SJ-GET-002", "SJ-ERROR-001"]
    failure = ConformanceFailure(reqs, "HTTP status [404]", "HTTP 500 '...'", exchange)
    message = parse_message(str(failure))
    assert message.structured
    assert message.requirements == ("SJ-GET-002", "SJ-ERROR-001")
    assert message.expected == "HTTP status [404]"
    assert message.got == "HTTP 500 '...'"
    assert message.request == exchange.request_line
    assert message.response == exchange.response_excerpt
    assert message.curl == exchange.curl
    assert message.detail == ""
    assert message.notes == ()
    assert message.summary == "expected HTTP status [404]; got HTTP 500 '...'"


def test_a_property_test_message_keeps_its_extra_findings_as_detail() -> None:
    # the shape of Findings.raise_if_any: further findings and the seed continue the "got" value
    actual = "\n            ".join([SCHEMA_TEXT, *PROPERTY_DETAIL])
    message = parse_message(str(ConformanceFailure("SJ-LIST-004", "a conforming body", actual, _exchange())))
    assert message.structured
    assert len(SCHEMA_TEXT) > GOT_CHARS
    assert message.got == "Response violates schema: \u2026"
    detail = message.detail.splitlines()
    assert detail[0] == SCHEMA_TEXT
    assert detail[1:] == PROPERTY_DETAIL
    assert ALSO_CURL in message.detail
    assert message.curl == _exchange().curl  # the first finding's exchange, not the "also" one


def test_a_blocked_failure_has_a_note_and_the_same_core() -> None:
    plain = str(ConformanceFailure("SJ-GET-002", "HTTP status [404]", "HTTP 500", _exchange()))
    blocked = parse_message(f"not decided: the test stopped at a failure of SJ-GET-002\n{plain}")
    assert blocked.notes == ("not decided: the test stopped at a failure of SJ-GET-002",)
    assert blocked.core == parse_message(plain).core == plain
    assert blocked.summary == blocked.notes[0]


@pytest.mark.parametrize(
    "text",
    [
        "SJ-CANCEL-001: expected status 204 with an empty body, got 200",
        "[SJ-HTTP-006] GET /segment/jobs: the answer's head took longer than 4.0s",
        "TypeError: 'NoneType' object is not subscriptable\nexpected: not a header line",
        "",
    ],
)
def test_other_messages_are_kept_whole(text: str) -> None:
    message = parse_message(text)
    assert not message.structured
    assert message.core == text.strip()
    assert message.detail == ""


def test_coverage_is_read_from_results(incomplete: Results) -> None:
    coverage = load(incomplete).coverage
    assert not coverage.derived
    must, should = coverage.levels
    assert (must.level, must.passed, must.failed, must.undecided, must.out_of_scope) == ("MUST", 5, 0, 2, 9)
    assert (should.passed, should.failed, should.undecided, should.out_of_scope) == (2, 0, 1, 0)
    assert must.line == (
        "MUST: 5 passed, 0 failed, 2 undecided (no job to read; suite error), "
        "9 out of scope (read-only; no failing segment; no second sandbox)"
    )
    assert should.line == "SHOULD: 2 passed, 0 failed, 1 undecided (not run), 0 out of scope"
    assert coverage.undecided_reasons["SJ-GET-001"] == NO_JOB
    assert coverage.undecided_causes == ("no job to read", "suite error", "not run")
    assert coverage.out_of_scope_causes == ("read-only", "no failing segment", "no second sandbox")


def test_coverage_is_derived_for_an_old_results_file(nonconformant: Results) -> None:
    assert "coverage" not in nonconformant
    report = load(nonconformant)
    coverage = report.coverage
    assert coverage.derived
    assert coverage.lines == (
        "MUST: 9 passed, 4 failed, 1 undecided (suite error), 2 out of scope "
        "(SEGJOBS_FAILING_SEGMENT_ID is not set; SEGJOBS_SECOND_SANDBOX_NAME is not set)",
        "SHOULD: 2 passed, 0 failed, 1 undecided (not run), 0 out of scope",
    )
    assert coverage.out_of_scope_reasons == {
        "SJ-LIFE-003": "SEGJOBS_FAILING_SEGMENT_ID is not set",
        "SJ-SANDBOX-001": "SEGJOBS_SECOND_SANDBOX_NAME is not set",
    }
    assert coverage.undecided_reasons == {
        "SJ-BULK-001": "SJ-BULK-001: timed out after 10.0 s waiting for the response",
        "SJ-META-001": UNTESTED_REASON,
    }
    # the same rules as the producer: derived from the current format, it is what the producer wrote
    current = checks_results()
    written = load(current).coverage
    del current["coverage"]
    again = load(current).coverage
    assert again.derived
    assert [(c.passed, c.failed, c.undecided, c.out_of_scope) for c in again.levels] == [
        (c.passed, c.failed, c.undecided, c.out_of_scope) for c in written.levels
    ]
    assert again.lines == written.lines
    assert again.undecided_reasons == written.undecided_reasons


def test_every_requirement_not_passed_nor_failed_has_a_reason(any_results: Results) -> None:
    for req in load(any_results).requirements:
        if req.outcome in ("skip", "disabled", "error", "untested"):
            assert req.reason, req.id


def test_skip_kind_is_read_and_the_old_prefix_is_a_fallback(incomplete: Results) -> None:
    tests = {t.name: t for t in load(incomplete).tests}
    assert tests["test_get_returns_the_job"].undecided
    assert tests["test_get_returns_the_job"].skip_message == f"skip: {NO_JOB}"
    assert tests["test_jobs_invisible_from_other_sandbox"].disabled
    assert tests["test_list_answers_a_page"].skip_kind == ""
    old = load(
        {
            "tests": [
                {"id": "a", "outcome": "skipped", "reason": "disabled: not selected"},
                {"id": "b", "outcome": "skipped", "reason": "skip: server says no"},
                {"id": "c", "outcome": "skipped", "reason": "disabled: but", "skip_kind": "undecided"},
            ]
        }
    )
    a, b, c = old.tests
    assert a.disabled and a.skip_message == "disabled: not selected"
    assert b.undecided and b.skip_message == "skip: server says no"
    assert c.undecided and c.skip_message == "skip: but"  # skip_kind wins over the prefix


def test_cause_labels_are_short() -> None:
    label = cause_label("disabled: SEGJOBS_SECOND_SANDBOX_NAME is not set")
    assert label == "SEGJOBS_SECOND_SANDBOX_NAME is not set"
    assert cause_label("no job to read; the sandbox is empty") == "no job to read"
    assert len(cause_label("x" * 200)) == 60
