"""Before the run: scope (select, profile, read-only, optional settings), the job plan and its refusal."""

from __future__ import annotations

from dataclasses import replace

import pytest

from conformance._config import load_settings
from conformance._outcomes import DISABLED
from conformance._plan import (
    SelectionError,
    TestInfo,
    budget_problem,
    check_selection,
    job_plan,
    matches,
    out_of_scope,
)
from conformance._profiles import PROFILES

SETTINGS = load_settings({}, {})
CATALOG = ("SJ-CANCEL-001", "SJ-CANCEL-002", "SJ-GET-001", "SJ-LIST-001")


def info(name: str, group: str, *reqs: str, **kw: object) -> TestInfo:
    return TestInfo(nodeid=f"{group}::{name}", name=name, group=group, requirements=reqs, **kw)  # type: ignore[arg-type]


TESTS = [
    info("test_cancel_answers_204", "cancel", "SJ-CANCEL-001", creates_jobs=True, fleet=("cancelled",)),
    info("test_get_of_a_job[a]", "create_get", "SJ-GET-001"),
    info("test_listing_pages", "listing", "SJ-LIST-001", creates_jobs=True, fleet=("primary", "failing")),
]


@pytest.mark.parametrize(
    ("term", "selected"),
    [
        ("SJ-CANCEL", ["test_cancel_answers_204"]),
        ("sj-get-001", ["test_get_of_a_job[a]"]),
        ("listing", ["test_listing_pages"]),
        ("test_get_of_a_job", ["test_get_of_a_job[a]"]),
        ("get_of_a_job", ["test_get_of_a_job[a]"]),
    ],
)
def test_a_term_selects_by_requirement_group_or_name(term: str, selected: list[str]) -> None:
    assert [t.name for t in TESTS if matches(t, term)] == selected


@pytest.mark.parametrize(
    ("term", "message"),
    [
        ("SJ-CANCLE-001", "did you mean SJ-CANCEL-001"),
        ("canel", "did you mean cancel?"),
        ("nothing-like-it", "matches no requirement ID, group or test (groups: cancel, create_get, listing"),
        ("SJ-CANCEL-002", "no test of the suite judges SJ-CANCEL-002"),
    ],
)
def test_a_term_that_matches_nothing_is_refused_with_the_close_matches(term: str, message: str) -> None:
    with pytest.raises(SelectionError, match=message.replace("?", r"\?").replace("(", r"\(")):
        check_selection([term], TESTS, CATALOG)


def test_scope_follows_profile_read_only_and_optional_settings() -> None:
    quick = PROFILES["quick"]
    standard_only = info("t", "g", "SJ-GET-001", profile="standard")
    gone = out_of_scope(standard_only, SETTINGS, quick)
    assert gone is not None and gone.kind == DISABLED and gone.cause == "profile quick"
    assert out_of_scope(standard_only, SETTINGS, PROFILES["full"]) is None
    creating = info("t", "g", "SJ-GET-001", creates_jobs=True)
    read_only = out_of_scope(creating, replace(SETTINGS, read_only=True), quick)
    assert read_only is not None and read_only.cause == "read-only"
    needing = info("t", "g", "SJ-GET-001", needs=("second_sandbox",))
    missing = out_of_scope(needing, SETTINGS, quick)
    assert missing is not None and missing.cause == "no second sandbox"
    assert "SEGJOBS_SECOND_SANDBOX_NAME" in missing.reason
    assert out_of_scope(needing, replace(SETTINGS, second_sandbox="dev"), quick) is None


def test_the_job_plan_counts_own_creates_shared_allowances_and_fleet_roles_once() -> None:
    tests = [
        *TESTS,
        info("test_bad_a", "bad_input", "SJ-GET-001", creates_jobs=True, creates=1),
        info("test_bad_b", "bad_input", "SJ-GET-001", creates_jobs=True, creates=1),
        info(
            "test_create",
            "properties",
            "SJ-GET-001",
            creates_jobs=True,
            creates={"quick": 1, "standard": 3},
            shared="p",
        ),
        info("test_cancel", "properties", "SJ-GET-001", creates_jobs=True, creates=1, shared="p"),
        info("test_workflows", "stateful", "SJ-GET-001", profile="standard", creates_jobs=True, creates=6),
    ]
    quick = job_plan(tests, SETTINGS, PROFILES["quick"])
    assert quick.fleet_roles == ("cancelled", "primary")  # no failing segment definition configured
    assert quick.by_group == {"bad_input": 2, "properties": 1, "cancel": 0, "create_get": 0, "listing": 0}
    assert quick.total == 5
    with_failing = replace(SETTINGS, failing_segment_id="x")
    standard = job_plan(tests, with_failing, PROFILES["standard"])
    assert standard.fleet_roles == ("cancelled", "failing", "primary")
    assert standard.total == 3 + 2 + 3 + 6
    read_only = job_plan(tests, replace(SETTINGS, read_only=True), PROFILES["standard"])
    assert read_only.total == 0


def test_a_budget_below_the_plan_is_refused_with_the_figure_and_the_ways_out() -> None:
    plan = job_plan(
        [info("t", "bad_input", "SJ-GET-001", creates_jobs=True, creates=3)], SETTINGS, PROFILES["quick"]
    )
    assert budget_problem(plan, replace(SETTINGS, max_jobs=3)) is None
    problem = budget_problem(plan, replace(SETTINGS, max_jobs=2))
    assert problem is not None
    assert "may create up to 3 jobs (3 bad_input)" in problem
    assert "--max-jobs is 2" in problem and "--select" in problem and "--read-only" in problem


def test_the_plan_knows_the_jobs_a_conformant_target_creates_apart_from_the_most_it_may() -> None:
    tests = [
        info("test_cancel", "cancel", "SJ-CANCEL-001", creates_jobs=True, fleet=("cancelled", "primary")),
        info(
            "test_refused_a", "bad_input", "SJ-GET-001", creates_jobs=True, creates=1, accepted=0, shared="a"
        ),
        info(
            "test_refused_b", "bad_input", "SJ-GET-001", creates_jobs=True, creates=1, accepted=0, shared="a"
        ),
        info("test_refused_c", "auth", "SJ-GET-001", creates_jobs=True, creates=1, accepted=0),
        info(
            "test_valid", "properties", "SJ-GET-001", creates_jobs=True, creates={"quick": 1, "standard": 3}
        ),
        info(
            "test_some_refused",
            "properties",
            "SJ-GET-001",
            creates_jobs=True,
            creates={"quick": 2, "standard": 4},
            accepted={"standard": 1},
        ),
    ]
    quick = job_plan(tests, SETTINGS, PROFILES["quick"])
    assert quick.expected_by_group == {"cancel": 0, "bad_input": 0, "auth": 0, "properties": 1}
    assert (quick.expected, quick.total) == (2 + 1, 2 + 1 + 1 + 1 + 2)
    standard = job_plan(tests, SETTINGS, PROFILES["standard"])
    assert (standard.expected, standard.total) == (2 + 3 + 1, 2 + 1 + 1 + 3 + 4)
    read_only = job_plan(tests, replace(SETTINGS, read_only=True), PROFILES["standard"])
    assert (read_only.expected, read_only.total) == (0, 0)


def test_accepted_never_exceeds_what_the_test_may_create() -> None:
    odd = info("t", "g", "SJ-GET-001", creates_jobs=True, creates=1, accepted=5)
    assert odd.accepted_in(PROFILES["quick"]) == 1
    assert info("t", "g", "SJ-GET-001", creates_jobs=True, creates=2).accepted_in(PROFILES["quick"]) == 2
