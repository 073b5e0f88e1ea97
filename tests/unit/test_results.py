"""Roll-up of test outcomes per requirement and the verdict."""

from __future__ import annotations

import datetime as dt

import pytest

from conformance._results import TestRecord, build_results, coverage_line, roll_up, verdict_of

CATALOG = [
    {"id": "SJ-A-001", "level": "MUST", "title": "a", "source": "#a", "quote": "qa"},
    {"id": "SJ-A-002", "level": "SHOULD", "title": "b", "source": "#b", "quote": "qb"},
    {"id": "SJ-A-003", "level": "MUST", "title": "c", "source": "#c", "quote": "qc"},
]


def record(name: str, outcome: str, **verdicts: str) -> TestRecord:
    return TestRecord(
        id=f"suite::{name}",
        name=name,
        group="g",
        requirements=tuple(verdicts),
        outcome=outcome,
        verdicts={k.replace("_", "-"): v for k, v in verdicts.items()},
        message=f"msg {name}",
    )


def test_outcome_escalates_and_never_softens() -> None:
    rows = roll_up(
        CATALOG,
        [
            record("t1", "passed", SJ_A_001="pass"),
            record("t2", "failed", SJ_A_001="fail"),
            record("t3", "passed", SJ_A_001="pass"),
            record("t4", "skipped", SJ_A_002="disabled"),
            record("t5", "passed", SJ_A_002="pass"),
        ],
    )
    by_id = {r["id"]: r for r in rows}
    assert by_id["SJ-A-001"]["outcome"] == "fail"
    assert by_id["SJ-A-001"]["tests"] == ["suite::t1", "suite::t2", "suite::t3"]
    assert [f["test"] for f in by_id["SJ-A-001"]["failures"]] == ["suite::t2"]
    assert by_id["SJ-A-002"]["outcome"] == "pass"
    assert by_id["SJ-A-003"]["outcome"] == "untested"


def test_disabled_requirements_carry_their_reason() -> None:
    rows = roll_up(CATALOG, [], disabled={"SJ-A-003": "not selected by --select SJ-A-001"})
    assert rows[2]["outcome"] == "disabled"
    assert rows[2]["reason"].startswith("not selected")


@pytest.mark.parametrize(
    ("outcomes", "strict", "expected"),
    [
        ({"SJ-A-001": "pass", "SJ-A-002": "fail"}, False, "conformant"),
        ({"SJ-A-001": "pass", "SJ-A-002": "fail"}, True, "nonconformant"),
        ({"SJ-A-001": "fail"}, False, "nonconformant"),
        ({"SJ-A-001": "error"}, False, "incomplete"),
        ({"SJ-A-001": "skip"}, False, "incomplete"),
        ({"SJ-A-001": "untested"}, False, "incomplete"),
        ({"SJ-A-002": "skip"}, False, "conformant"),
        ({"SJ-A-002": "skip"}, True, "incomplete"),
        ({"SJ-A-001": "fail", "SJ-A-003": "error"}, False, "nonconformant"),
        ({"SJ-A-001": "disabled"}, False, "conformant"),
        ({"SJ-A-001": "disabled", "SJ-A-003": "disabled"}, False, "incomplete"),  # nothing in scope
    ],
)
def test_verdict(outcomes: dict[str, str], strict: bool, expected: str) -> None:
    rows = [{**r, "outcome": outcomes.get(r["id"], "pass")} for r in CATALOG]
    assert verdict_of(rows, strict=strict) == expected


def test_results_document_has_the_design_shape() -> None:
    records = [record("t1", "passed", SJ_A_001="pass"), record("t2", "skipped", SJ_A_002="skip")]
    results = build_results(
        suite={"name": "segment-jobs-conformance", "version": "0", "spec_sha256": "x", "seed": 1},
        target={"base_url": "http://127.0.0.1:1", "profile": "quick"},
        catalog=CATALOG,
        records=records,
        started=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc),
        duration_s=1.234,
        strict=False,
    )
    assert set(results) >= {"suite", "target", "verdict", "started", "duration_s", "summary", "requirements"}
    assert results["summary"]["requirements"] == {
        "pass": 1,
        "fail": 0,
        "skip": 1,
        "disabled": 0,
        "error": 0,
        "untested": 1,
    }
    assert results["summary"]["tests"] == {"passed": 1, "failed": 0, "skipped": 1, "errors": 0}
    assert results["started"] == "2026-01-01T00:00:00Z"
    assert results["verdict"] == "incomplete"  # SJ-A-003 was never judged
    assert results["coverage"]["MUST"] == {"passed": 1, "failed": 0, "undecided": 1, "out_of_scope": 0}
    assert results["coverage"]["SHOULD"] == {"passed": 0, "failed": 0, "undecided": 1, "out_of_scope": 0}
    assert set(results["coverage"]["undecided_reasons"]) == {"SJ-A-002", "SJ-A-003"}


def _not_judged(name: str, kind: str, cause: str, reason: str, req: str = "SJ-A-001") -> TestRecord:
    test = record(name, "skipped", **{req.replace("-", "_"): "disabled" if kind == "disabled" else "skip"})
    test.skip_kind, test.reason = kind, reason
    test.notes = {req: (cause, reason)}
    return test


def test_what_was_not_judged_is_never_credited_and_says_why() -> None:
    results = build_results(
        suite={},
        target={},
        catalog=CATALOG,
        records=[
            _not_judged("t1", "undecided", "no job to read", "no job to read: the sandbox is empty"),
            _not_judged(
                "t2", "disabled", "read-only", "creates jobs, and the run is --read-only", "SJ-A-003"
            ),
            record("t3", "passed", SJ_A_002="pass"),
        ],
        started=dt.datetime.now(dt.timezone.utc),
        duration_s=0,
        strict=False,
    )
    by_id = {r["id"]: r for r in results["requirements"]}
    assert by_id["SJ-A-001"]["outcome"] == "skip"
    assert by_id["SJ-A-001"]["reason"] == "no job to read: the sandbox is empty"
    assert by_id["SJ-A-003"]["outcome"] == "disabled"
    assert results["verdict"] == "incomplete"
    coverage = results["coverage"]
    assert coverage["MUST"] == {"passed": 0, "failed": 0, "undecided": 1, "out_of_scope": 1}
    assert coverage["undecided_causes"] == ["no job to read"]
    assert coverage["out_of_scope_causes"] == ["read-only"]
    assert coverage["out_of_scope_reasons"] == {"SJ-A-003": "creates jobs, and the run is --read-only"}
    assert results["tests"][0]["skip_kind"] == "undecided"


def test_the_coverage_line_names_the_causes() -> None:
    rows = roll_up(
        CATALOG,
        [record("t1", "passed", SJ_A_001="pass")],
        disabled={"SJ-A-003": "needs SEGJOBS_SECOND_SANDBOX_NAME"},
        disabled_causes={"SJ-A-003": "no second sandbox"},
    )
    assert coverage_line(rows, "MUST") == (
        "MUST: 1 passed, 0 failed, 0 undecided, 1 out of scope (no second sandbox)"
    )
    assert coverage_line(rows, "SHOULD") == (
        "SHOULD: 0 passed, 0 failed, 1 undecided (not run), 0 out of scope"
    )


def test_an_aborted_run_is_never_conformant() -> None:
    results = build_results(
        suite={},
        target={},
        catalog=CATALOG,
        records=[],
        started=dt.datetime.now(dt.timezone.utc),
        duration_s=0,
        strict=False,
        aborted="interrupted",
    )
    assert results["verdict"] == "error"
    assert results["aborted"] == "interrupted"


def test_a_requirement_blocked_by_another_failure_is_error_only_when_nothing_else_decided_it() -> None:
    stopped = record("t1", "failed", SJ_A_001="fail", SJ_A_002="blocked", SJ_A_003="blocked")
    passed = record("t2", "passed", SJ_A_002="pass")
    by_id = {r["id"]: r for r in roll_up(CATALOG, [stopped, passed])}
    assert by_id["SJ-A-001"]["outcome"] == "fail"
    assert by_id["SJ-A-002"]["outcome"] == "pass"
    assert by_id["SJ-A-002"]["failures"] == []
    assert by_id["SJ-A-003"]["outcome"] == "error"
    assert by_id["SJ-A-003"]["failures"][0]["message"].startswith(
        "not decided: the test stopped at a failure of SJ-A-001"
    )
