"""A run split into parts: the split (conformance._shard), the merge (conformance._merge), the rate limit's
lanes (conformance._ratelimit)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from conformance._merge import MergeError, check_parts, combine, merge
from conformance._plan import TestInfo
from conformance._ratelimit import LANE_MARGIN_NS, NS_PER_S, Rate, RateLimiter
from conformance._results import TestRecord, build_results
from conformance._shard import SHARD_CAUSE, Shard, leaf_index, leaves, parse_shard, split


def _test(name: str, module: str = "test_auth.py", **kw: Any) -> TestInfo:
    return TestInfo(nodeid=f"{module}::{name}", name=name, group="g", requirements=("SJ-GET-001",), **kw)


SUITE = [
    *(_test(f"test_a{i}", "test_auth.py", fleet=("secondary",)) for i in range(4)),
    *(_test(f"test_l{i}", "test_listing.py") for i in range(3)),
    _test("test_create_with_valid_bodies", "test_properties.py", shared="properties", creates_jobs=True),
    _test("test_cancel_with_valid_ids", "test_properties.py", shared="properties", creates_jobs=True),
    *(_test(f"test_p{i}", "test_properties.py") for i in range(5)),
    _test("test_every_429_seen", "test_http.py"),
    _test("test_settled_agree", "test_lifecycle.py", fleet=("primary",), creates_jobs=True),
]
AFTER_ALL = {"test_http.py::test_every_429_seen", "test_lifecycle.py::test_settled_agree"}


def _after_all(test: TestInfo) -> bool:
    return test.nodeid in AFTER_ALL


def _weight(test: TestInfo) -> int:
    return 3 if "properties" in test.nodeid else 1


def _module(test: TestInfo) -> str:
    return test.nodeid.split("::")[0]


@pytest.mark.parametrize(
    ("text", "shard"), [("1/4", Shard(1, 4)), (" 4 / 4 ", Shard(4, 4)), ("1/1", Shard(1, 1))]
)
def test_a_shard_is_i_of_n(text: str, shard: Shard) -> None:
    assert parse_shard(text) == shard
    assert str(shard) == text.replace(" ", "")


@pytest.mark.parametrize("text", ["0/4", "5/4", "4", "a/b", "1/0", "-1/2", ""])
def test_anything_else_is_not_a_shard(text: str) -> None:
    with pytest.raises(ValueError, match=r"shard|expected"):
        parse_shard(text)


@pytest.mark.parametrize("count", [1, 2, 3, 4, 7])
def test_every_test_runs_in_exactly_one_part_except_those_every_part_runs(count: int) -> None:
    parts = split(SUITE, count, _weight, _after_all)
    assert len(parts) == count
    seen = [t.nodeid for part in parts for t in part]
    for test in SUITE:
        expected = count if test.nodeid == "test_http.py::test_every_429_seen" else 1
        assert seen.count(test.nodeid) == expected, test.nodeid


def test_a_scenario_module_and_a_shared_allowance_stay_in_one_part() -> None:
    parts = split(SUITE, 4, _weight, _after_all)
    for module in ("test_auth.py", "test_listing.py", "test_lifecycle.py"):
        assert sum(1 for part in parts if any(_module(t) == module for t in part)) == 1, module
    holding = [
        i
        for i, part in enumerate(parts)
        for t in part
        if t.name in ("test_create_with_valid_bodies", "test_cancel_with_valid_ids")
    ]
    assert len(holding) == 2 and holding[0] == holding[1]
    # the other property tests spread: each is a unit of its own
    assert len({i for i, part in enumerate(parts) for t in part if t.name.startswith("test_p")}) > 1


def test_the_split_is_the_same_in_every_process_and_keeps_the_collected_order() -> None:
    first = split(SUITE, 3, _weight, _after_all)
    again = split(list(SUITE), 3, _weight, _after_all)
    assert first == again
    order = {t.nodeid: i for i, t in enumerate(SUITE)}
    for part in first:
        assert [order[t.nodeid] for t in part] == sorted(order[t.nodeid] for t in part)


def test_the_heaviest_units_go_first_to_the_lightest_part() -> None:
    parts = split(SUITE, 2, _weight, _after_all)
    loads = [sum(_weight(t) for t in part if t.nodeid not in AFTER_ALL) for part in parts]
    assert abs(loads[0] - loads[1]) <= 3  # within one property test of each other


def test_a_shard_split_among_workers_does_not_depend_on_other_machines_workers() -> None:
    shard = Shard(2, 3)
    of_shard = split(SUITE, 3, _weight, _after_all)[1]
    for workers in (1, 2, 4):
        parts = leaves(SUITE, shard, workers, _weight, _after_all)
        mine = [parts[leaf_index(shard, workers, w)] for w in range(workers)]
        kept = {t.nodeid for part in mine for t in part}
        assert kept == {t.nodeid for t in of_shard}


# -- merge ---------------------------------------------------------------------------------------------
CATALOG = [
    {"id": "SJ-A", "level": "MUST", "title": "a"},
    {"id": "SJ-B", "level": "MUST", "title": "b"},
    {"id": "SJ-C", "level": "MUST", "title": "c"},
    {"id": "SJ-D", "level": "SHOULD", "title": "d"},
]


def _record(test: str, outcome: str, **verdicts: str) -> TestRecord:
    ids = {k.replace("_", "-"): v for k, v in verdicts.items()}
    return TestRecord(id=test, name=test, group="g", requirements=tuple(ids), outcome=outcome, verdicts=ids)


def _part(
    shard: str, records: list[TestRecord], disabled: dict[str, tuple[str, str]], **over: Any
) -> dict[str, Any]:
    results = build_results(
        suite={"name": "s", "version": "1", "spec_sha256": "abc", "seed": 7, **over.pop("suite", {})},
        target={"base_url": "http://127.0.0.1:9", "profile": "quick", "embedded": False},
        catalog=CATALOG,
        records=records,
        started=dt.datetime(2026, 12, 3, tzinfo=dt.timezone.utc),
        duration_s=2.0,
        strict=False,
        disabled={r: reason for r, (_, reason) in disabled.items()},
        disabled_causes={r: cause for r, (cause, _) in disabled.items()},
        stats={"requests": 10, "jobs_created": 2},
    )
    results["run"] = {"strict": False, "shard": shard, "workers": 1, "part": shard}
    return results


def test_a_record_comes_back_from_results_json_as_it_was() -> None:
    record = TestRecord(
        id="t",
        name="t",
        group="g",
        requirements=("SJ-A", "SJ-B"),
        outcome="failed",
        verdicts={"SJ-A": "fail", "SJ-B": "skip"},
        notes={"SJ-B": ("no job", "no job to read")},
        message="m",
        curl="curl x",
        request="GET /",
        response="HTTP/1.1 500",
    )
    assert TestRecord.from_json(record.as_json()) == record


def test_a_record_several_parts_hold_keeps_the_worst_of_each() -> None:
    merged = combine(
        [
            _record("every", "skipped", SJ_A="disabled"),
            _record("every", "passed", SJ_A="pass", SJ_B="pass"),
            _record("every", "failed", SJ_B="fail"),
        ]
    )
    assert len(merged) == 1
    assert merged[0].outcome == "failed"
    assert merged[0].verdicts == {"SJ-A": "pass", "SJ-B": "fail"}


def test_merged_outcomes_are_those_of_one_run_of_every_record() -> None:
    shard_cause = (SHARD_CAUSE, "judged by another part of the run")
    one = _part(
        "1/2",
        [_record("t1", "passed", SJ_A="pass"), _record("t3", "failed", SJ_D="fail")],
        {"SJ-B": shard_cause, "SJ-C": ("no second sandbox", "needs it")},
    )
    two = _part(
        "2/2",
        [_record("t2", "passed", SJ_B="pass")],
        {"SJ-A": shard_cause, "SJ-C": shard_cause, "SJ-D": shard_cause},
    )
    merged = merge([one, two], catalog=CATALOG, run={"strict": False})
    whole = build_results(
        suite=one["suite"],
        target=one["target"],
        catalog=CATALOG,
        records=[
            _record("t1", "passed", SJ_A="pass"),
            _record("t3", "failed", SJ_D="fail"),
            _record("t2", "passed", SJ_B="pass"),
        ],
        started=dt.datetime(2026, 12, 3, tzinfo=dt.timezone.utc),
        duration_s=2.0,
        strict=False,
        disabled={"SJ-C": "needs it"},
        disabled_causes={"SJ-C": "no second sandbox"},
    )
    assert [(r["id"], r["outcome"], r.get("reason")) for r in merged["requirements"]] == [
        (r["id"], r["outcome"], r.get("reason")) for r in whole["requirements"]
    ]
    assert merged["verdict"] == whole["verdict"] == "conformant"  # a failed SHOULD, not --strict
    assert merged["stats"]["requests"] == 20 and merged["stats"]["jobs_created"] == 4


def test_a_requirement_blocked_in_one_part_and_passed_in_another_passes() -> None:
    one = _part("1/2", [_record("t1", "failed", SJ_A="fail", SJ_B="blocked")], {})
    two = _part("2/2", [_record("t2", "passed", SJ_B="pass")], {})
    outcomes = {r["id"]: r["outcome"] for r in merge([one, two], catalog=CATALOG, run={})["requirements"]}
    assert outcomes["SJ-A"] == "fail" and outcomes["SJ-B"] == "pass"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"suite": {"seed": 8}}, "different seeds"),
        ({"suite": {"spec_sha256": "other"}}, "different spec versions"),
        ({"suite": {"version": "2"}}, "different suite versions"),
    ],
)
def test_parts_of_different_runs_are_refused(change: dict[str, Any], message: str) -> None:
    with pytest.raises(MergeError, match=message):
        check_parts([_part("1/2", [], {}), _part("2/2", [], {}, **change)], ["a.json", "b.json"])


def test_a_different_target_profile_or_strictness_is_refused() -> None:
    for key, value, message in (
        ("target", {"base_url": "http://127.0.0.1:10", "profile": "quick"}, "different targets"),
        ("target", {"base_url": "http://127.0.0.1:9", "profile": "full"}, "different profiles"),
        ("run", {"strict": True, "shard": "2/2"}, "--strict"),
    ):
        other = _part("2/2", [], {})
        other[key] = value
        with pytest.raises(MergeError, match=message):
            check_parts([_part("1/2", [], {}), other], ["a.json", "b.json"])


@pytest.mark.parametrize(
    ("shards", "message"),
    [
        (["1/3", "2/3"], "shard 3/3 is missing"),
        (["1/2", "1/2"], "given twice"),
        (["1/2", "2/3"], "differently"),
        (["1/2", None], "not a shard"),
    ],
)
def test_a_missing_repeated_or_foreign_shard_is_refused(shards: list[str | None], message: str) -> None:
    parts = [_part(s or "x", [], {}) for s in shards]
    for part, shard in zip(parts, shards, strict=True):
        part["run"]["shard"] = shard
    with pytest.raises(MergeError, match=message):
        check_parts(parts, [f"{i}.json" for i in range(len(parts))])


# -- the rate limit's lanes ----------------------------------------------------------------------------
class FakeClock:
    def __init__(self) -> None:
        self.now = 5 * NS_PER_S

    def __call__(self) -> int:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(1, int(seconds * NS_PER_S))


def test_lanes_of_workers_together_never_exceed_the_rate() -> None:
    rate, lanes, origin = Rate(5, "s"), 3, 5 * NS_PER_S
    clock = FakeClock()
    limiters = [
        RateLimiter(rate, clock=clock, sleep=clock.sleep, lane=(k, lanes), origin_ns=origin)
        for k in range(lanes)
    ]
    slots = sorted(limiter.acquire() for _ in range(7) for limiter in limiters)
    assert len(set(slots)) == len(slots)
    for i in range(len(slots) - rate.count):
        assert slots[i + rate.count] - slots[i] > rate.period_ns  # no second holds more than 5
    for k, limiter in enumerate(limiters):  # each lane keeps to its own slots
        step = rate.interval_ns + LANE_MARGIN_NS
        assert (limiter.first_ns - origin) % step == 0
        assert ((limiter.first_ns - origin) // step) % lanes == k


def test_one_lane_grants_as_before() -> None:
    clock = FakeClock()
    limiter = RateLimiter(Rate(2, "s"), clock=clock, sleep=clock.sleep)
    start = clock.now
    assert limiter.acquire() == start
    assert limiter.acquire() == start + Rate(2, "s").interval_ns
