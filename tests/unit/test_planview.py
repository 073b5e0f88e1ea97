"""``run --plan``'s document and text, and the request estimate, from test descriptions and settings."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from conformance import _estimate, _planview
from conformance._config import load_settings
from conformance._plan import TestInfo
from conformance._profiles import PROFILES
from conformance._watch import SETTLE_READS

CATALOG = [
    {"id": "SJ-GET-001", "level": "MUST", "title": "get"},
    {"id": "SJ-LIST-001", "level": "MUST", "title": "list"},
    {"id": "SJ-CREATE-009", "level": "MUST", "title": "unknown definition refused"},
    {"id": "SJ-AUTH-005", "level": "SHOULD", "title": "isolation"},
    {"id": "SJ-CREATE-012", "level": "MUST", "title": "several definitions"},
    {"id": "SJ-HTTP-009", "level": "MAY", "title": "nobody tests it"},
]
SUITE = {"name": "segment-jobs-conformance", "version": "9.9", "spec_sha256": "abc"}
TOKEN = "tok-PLANTED-5a5a5a"


def info(name: str, group: str, *reqs: str, **kw: Any) -> TestInfo:
    return TestInfo(nodeid=f"test_{group}.py::{name}", name=name, group=group, requirements=reqs, **kw)


TESTS = [
    info("test_get", "create_get", "SJ-GET-001", creates_jobs=True, fleet=("primary",)),
    info("test_list[a]", "listing", "SJ-LIST-001"),
    info("test_list[b]", "listing", "SJ-LIST-001"),
    info("test_unknown", "bad_input", "SJ-CREATE-009", creates_jobs=True, creates=1, accepted=0, shared="u"),
    info(
        "test_unknown_body",
        "bad_input",
        "SJ-CREATE-009",
        creates_jobs=True,
        creates=1,
        accepted=0,
        shared="u",
    ),
    info("test_isolation", "auth", "SJ-AUTH-005", needs=("second_sandbox",)),
    info("test_several", "create_get", "SJ-CREATE-012", profile="standard", creates_jobs=True, creates=1),
    info(
        "test_create_with_valid_bodies",
        "properties",
        "SJ-GET-001",
        creates_jobs=True,
        creates={"quick": 1, "standard": 3},
    ),
]


def build(tests: list[TestInfo] = TESTS, deselected: list[TestInfo] | None = None, **settings: Any) -> Any:
    base = replace(load_settings({}, {"SEGJOBS_ACCESS_TOKEN": TOKEN}), **{"profile": "quick", **settings})
    return _planview.build(
        tests=tests, deselected=deselected or [], settings=base, catalog=CATALOG, suite=SUITE, embedded=False
    )


def test_scope_per_test_and_per_requirement_with_the_reasons() -> None:
    plan = build()
    tests = plan["scope"]["tests"]
    assert tests["in"] == {
        "create_get": ["test_create_get.py::test_get"],
        "listing": ["test_listing.py::test_list[a]", "test_listing.py::test_list[b]"],
        "bad_input": ["test_bad_input.py::test_unknown", "test_bad_input.py::test_unknown_body"],
        "properties": ["test_properties.py::test_create_with_valid_bodies"],
    }
    assert tests["out"] == {
        "test_auth.py::test_isolation": {
            "cause": "no second sandbox",
            "reason": "needs SEGJOBS_SECOND_SANDBOX_NAME, which is not set",
        },
        "test_create_get.py::test_several": {
            "cause": "profile quick",
            "reason": "runs in the standard profile and above (this run: quick)",
        },
    }
    requirements = plan["scope"]["requirements"]
    assert requirements["in"] == ["SJ-GET-001", "SJ-LIST-001", "SJ-CREATE-009"]
    assert requirements["out"]["SJ-AUTH-005"]["cause"] == "no second sandbox"
    assert requirements["out"]["SJ-CREATE-012"]["cause"] == "profile quick"
    assert requirements["out"]["SJ-HTTP-009"] == {
        "cause": "no test",
        "reason": "no test of the suite judges it",
    }
    assert plan["scope"]["coverage"] == {"MUST": {"in": 3, "out": 1}, "SHOULD": {"in": 0, "out": 1}}


def test_read_only_and_select_take_tests_and_their_requirements_out() -> None:
    kept = [t for t in TESTS if t.group != "listing"]
    dropped = [t for t in TESTS if t.group == "listing"]
    plan = build(kept, dropped, read_only=True, select="SJ-GET,SJ-CREATE")
    out = plan["scope"]["tests"]["out"]
    assert out["test_listing.py::test_list[a]"] == {
        "cause": "--select",
        "reason": "not selected by --select SJ-GET,SJ-CREATE",
    }
    assert out["test_create_get.py::test_get"]["cause"] == "read-only"
    requirements = plan["scope"]["requirements"]
    assert requirements["out"]["SJ-LIST-001"]["cause"] == "--select"
    assert requirements["out"]["SJ-GET-001"]["cause"] == "read-only"
    assert plan["jobs"]["created"] == plan["jobs"]["planned"] == 0


def test_a_kept_tests_reason_wins_over_a_deselected_ones() -> None:
    kept = [info("test_several", "create_get", "SJ-LIST-001", profile="full")]
    dropped = [info("test_list[a]", "listing", "SJ-LIST-001")]
    plan = build(kept, dropped, select="test_several")
    assert plan["scope"]["requirements"]["out"]["SJ-LIST-001"]["cause"] == "profile quick"


def test_jobs_a_conformant_target_creates_and_the_most_the_run_may_create() -> None:
    quick = build()["jobs"]
    assert quick["fleet_roles"] == ["primary"]
    assert quick["by_group"] == {
        "bad_input": {"created": 0, "planned": 1},
        "properties": {"created": 1, "planned": 1},
    }
    assert (quick["created"], quick["planned"], quick["problem"]) == (2, 3, None)
    standard = build(profile="standard")["jobs"]
    assert (standard["created"], standard["planned"]) == (1 + 1 + 3, 1 + 1 + 1 + 3)
    refused = build(profile="standard", max_jobs=5)["jobs"]
    assert refused["problem"] is not None and "may create up to 6 jobs" in refused["problem"]


def test_target_settings_seed_and_job_timeout_are_shown_without_secrets() -> None:
    plan = build(segment_ids=("seg-a", TOKEN), base_url="http://127.0.0.1:9")
    assert plan["target"] == {"base_url": "http://127.0.0.1:9", "profile": "quick", "embedded": False}
    assert plan["settings"]["segment_ids"] == ["seg-a", "***"]
    assert TOKEN not in repr(plan)
    assert plan["suite"] == {**SUITE, "seed": None}  # not given: the run draws one
    assert plan["job_timeout_s"] == PROFILES["quick"].job_timeout
    given = build(seed=7, job_timeout=33.0, sources={"seed": "--seed", "job_timeout": "SEGJOBS_JOB_TIMEOUT"})
    assert given["suite"]["seed"] == 7
    assert (given["job_timeout_s"], given["job_timeout_from"]) == (33.0, "SEGJOBS_JOB_TIMEOUT")


def test_the_text_names_scope_reasons_jobs_and_the_estimate() -> None:
    text = "\n".join(_planview.lines(build(max_jobs=2)))
    assert text.startswith("segment-jobs-conformance 9.9: the plan of a run (nothing was sent)\n")
    assert "requirements: 3 in scope, 3 out of scope" in text
    assert "OFF    1: needs SEGJOBS_SECOND_SANDBOX_NAME, which is not set\n             SJ-AUTH-005" in text
    assert "IN     listing (2)\n             test_list (2)\n" in text
    assert "jobs:        2 on a conformant target (1 shared by the scenario tests, 1 properties)" in text
    assert "at most 3 on any target: 1 more creates, which a conformant target refuses (1 bad_input)" in text
    assert "--max-jobs is 2" in text
    assert "requests:    about " in text and "an estimate" in text
    assert "job timeout: 60 s (the quick profile's)" in text
    assert "seed:        random" in text


def test_the_text_names_the_workers_and_their_jobs_in_all() -> None:
    plan = build(max_jobs=2)
    assert "workers:" not in "\n".join(_planview.lines(plan))
    text = "\n".join(_planview.lines({**plan, "workers": {"count": 4, "jobs": 11}}))
    assert "workers:     4, each with its own part and shared jobs: up to 11 jobs in all" in text


def test_verbose_text_lists_every_test() -> None:
    many = [info(f"test_case[{i}]", "listing", "SJ-LIST-001", profile="full") for i in range(10)]
    short = " ".join(" ".join(_planview.lines(build(many))).split())  # wrapping undone
    assert "test_listing.py::test_case[5] and 4 more (-v lists them)" in short
    full = "\n".join(_planview.lines(build(many), verbose=True))
    assert all(f"test_case[{i}]" in full for i in range(10))


# -- the estimate ------------------------------------------------------------------------------------------
def test_a_test_costs_its_own_rule_else_its_groups_else_one_request() -> None:
    quick, standard = PROFILES["quick"], PROFILES["standard"]
    refused = info(
        "test_a_request_without_valid_credentials_is_refused[create-without-token]", "auth", "SJ-X"
    )
    listed = info("test_a_request_without_valid_credentials_is_refused[list-without-token]", "auth", "SJ-X")
    assert _estimate.cost_of(refused).of(refused, quick) == 3
    assert _estimate.cost_of(listed).of(listed, quick) == 1
    generated = info("test_listing_with_valid_queries", "properties", "SJ-X")
    assert _estimate.cost_of(generated).of(generated, standard) == standard.property_examples
    creating = TESTS[-1]
    assert _estimate.cost_of(creating).of(creating, quick) == 1
    assert _estimate.cost_of(creating).of(creating, standard) == 3
    stateful = info("test_linked_operations", "stateful", "SJ-X")
    steps = standard.stateful_examples * standard.stateful_steps
    assert _estimate.cost_of(stateful).of(stateful, standard) == steps // 3  # one of the three runs
    plain = info("test_something_new", "listing", "SJ-X")
    assert _estimate.cost_of(plain) == _estimate.DEFAULT


def test_the_estimate_adds_the_run_and_its_fleet() -> None:
    tests = [info("test_something_new", "listing", "SJ-X"), info("test_other", "listing", "SJ-X")]
    by_group = _estimate.requests_by_group(tests, PROFILES["quick"], fleet_roles=4)
    # each fleet job: its create, and the watcher's reads after its end
    assert by_group == {"run": _estimate.RUN_REQUESTS + 4 * (1 + SETTLE_READS), "listing": 2}
