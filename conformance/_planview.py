"""``run --plan``: what a run would do, from the collected tests and the settings, without sending anything.

:func:`build` makes the plan document (the shape of ``run --plan --json``, like ``results.json``: ``suite``,
``target``, ``settings``, ``scope`` with the reasons per requirement and per test, ``jobs``,
``requests_estimate``, ``job_timeout_s``); :func:`lines` renders it for the terminal. Both are pure: the
command line collects the suite (pytest's ``--collect-only``, through the plugin) and hands over the tests.

Scope follows the run's own rules (:mod:`conformance._plan`): a test is out of scope when ``--select`` left it
out, when it belongs to a higher profile, creates jobs in a ``--read-only`` run, or needs optional
configuration that is not set. A requirement is in scope when a test in scope names it; otherwise it takes the
reason of its first test (as the run's roll-up does). A requirement in scope may still end out of scope or
undecided in the run (no 429 answered, nothing to judge): the plan says what the run will try.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from conformance import _estimate
from conformance._config import Settings
from conformance._plan import TestInfo, budget_problem, job_plan, matches, out_of_scope, select_terms
from conformance._profiles import PROFILES

LEVELS = ("MUST", "SHOULD")
INDENT = " " * 13
WIDTH = 110
#: out-of-scope tests are listed individually up to this many per reason (all with -v), then counted
MAX_TESTS_PER_REASON = 6
ESTIMATE_NOTE = (
    "an estimate for a conformant target whose jobs finish within about a second and whose sandbox holds few "
    "jobs: slower jobs add one GET per waited job every poll interval, crowded listings more pages, 429 "
    "answers their re-sends; a failing target often sends fewer"
)


# -- the document --------------------------------------------------------------------------------------
def _deselected_reason(test: TestInfo, settings: Settings) -> dict[str, str]:
    terms = select_terms(settings.select)
    if terms and not any(matches(test, t) for t in terms):
        return {"cause": "--select", "reason": f"not selected by --select {settings.select}"}
    return {"cause": "deselected", "reason": "deselected by the pytest arguments given after --"}


def build(
    *,
    tests: Sequence[TestInfo],
    deselected: Sequence[TestInfo],
    settings: Settings,
    catalog: Sequence[Mapping[str, Any]],
    suite: Mapping[str, Any],
    embedded: bool,
    job_timeout: tuple[float, str] | None = None,
) -> dict[str, Any]:
    """The plan of a run of ``tests`` (those collected and selected) with ``settings``; ``deselected`` are
    the tests ``--select`` (or pytest's ``-k``) left out; ``job_timeout`` the run's figure and where it comes
    from, if the caller knows them (else the setting, or the profile's). Secrets are masked."""
    profile = PROFILES[settings.profile]
    if job_timeout is None:
        job_timeout = (
            settings.job_timeout or profile.job_timeout,
            settings.sources.get("job_timeout", f"the {profile.name} profile's"),
        )
    out: dict[str, dict[str, str]] = {}  # test id -> cause, reason
    for test in tests:
        disabled = out_of_scope(test, settings, profile)
        if disabled is not None:
            out[test.nodeid] = {"cause": disabled.cause, "reason": disabled.reason}
    kept_out = dict(out)
    for test in deselected:
        out[test.nodeid] = _deselected_reason(test, settings)
    running = [t for t in tests if t.nodeid not in out]
    in_groups: dict[str, list[str]] = {}
    for test in running:
        in_groups.setdefault(test.group, []).append(test.nodeid)

    plan = job_plan(running, settings, profile)
    estimate = _estimate.requests_by_group(running, profile, len(plan.fleet_roles))
    described = {k: v for k, v in settings.describe().items() if k not in ("base_url", "profile", "seed")}
    document: dict[str, Any] = {
        "plan": True,
        "suite": {**suite, "seed": settings.seed if "seed" in settings.sources else None},
        "target": {
            "base_url": settings.base_url or "(embedded reference server)",
            "profile": settings.profile,
            "embedded": embedded,
        },
        "settings": described,
        "scope": {
            "requirements": _requirement_scope(catalog, running, tests, kept_out, deselected, out),
            "tests": {"in": in_groups, "out": out},
        },
        "jobs": {
            "created": plan.expected,
            "planned": plan.total,
            "max_jobs": settings.max_jobs,
            "fleet_roles": list(plan.fleet_roles),
            "by_group": {
                group: {"created": plan.expected_by_group.get(group, 0), "planned": count}
                for group, count in sorted(plan.by_group.items())
                if count
            },
            "problem": budget_problem(plan, settings),
        },
        "requests_estimate": {
            "total": sum(estimate.values()),
            "by_group": estimate,
            "note": ESTIMATE_NOTE,
        },
        "job_timeout_s": job_timeout[0],
        "job_timeout_from": job_timeout[1],
    }
    scope = document["scope"]["requirements"]
    document["scope"]["coverage"] = {
        level: {
            "in": sum(1 for r in catalog if r["level"] == level and r["id"] in scope["in"]),
            "out": sum(1 for r in catalog if r["level"] == level and r["id"] in scope["out"]),
        }
        for level in LEVELS
    }
    masked: dict[str, Any] = settings.redactor.data(document)  # type: ignore[assignment]
    return masked


def _requirement_scope(
    catalog: Sequence[Mapping[str, Any]],
    running: Sequence[TestInfo],
    tests: Sequence[TestInfo],
    kept_out: Mapping[str, Mapping[str, str]],
    deselected: Sequence[TestInfo],
    out: Mapping[str, Mapping[str, str]],
) -> dict[str, Any]:
    """Each requirement in scope (a test in scope names it) or out, with the reason of its first test that
    was kept but will not run, else of its first deselected test."""
    judged = {r for t in running for r in t.requirements}
    reasons: dict[str, dict[str, str]] = {}
    for test in [*(t for t in tests if t.nodeid in kept_out), *deselected]:
        for req in test.requirements:
            if req not in judged:
                reasons.setdefault(req, dict(out[test.nodeid]))
    scope: dict[str, Any] = {"in": [], "out": {}}
    for row in catalog:
        if row["id"] in judged:
            scope["in"].append(row["id"])
        else:
            scope["out"][row["id"]] = reasons.get(
                row["id"], {"cause": "no test", "reason": "no test of the suite judges it"}
            )
    return scope


# -- the terminal --------------------------------------------------------------------------------------
def _wrap(text: str, first: str = INDENT) -> list[str]:
    """``text`` wrapped under the indent, its first line behind ``first`` (a label such as ``jobs:``)."""
    return textwrap.wrap(
        text, WIDTH, initial_indent=f"{first:<13}", subsequent_indent=INDENT, break_on_hyphens=False
    )


def _base(test_id: str) -> str:
    return test_id.split("::", 1)[-1].split("[", 1)[0]


def lines(plan: Mapping[str, Any], *, verbose: bool = False) -> Iterator[str]:
    """The plan for the terminal; ``verbose`` lists every test and every requirement in full."""
    suite, jobs = plan["suite"], plan["jobs"]
    yield f"{suite['name']} {suite['version']}: the plan of a run (nothing was sent)"
    yield from _target_lines(plan)
    yield ""
    yield from _requirement_lines(plan)
    yield ""
    yield from _test_lines(plan, verbose=verbose)
    yield ""
    by_group = jobs["by_group"]
    parts = [f"{len(jobs['fleet_roles'])} shared by the scenario tests"] if jobs["fleet_roles"] else []
    parts += [f"{c['created']} {g}" for g, c in by_group.items() if c["created"]]
    yield from _wrap(
        f"{jobs['created']} on a conformant target" + (f" ({', '.join(parts)})" if parts else ""), "jobs:"
    )
    refused = [
        f"{c['planned'] - c['created']} {g}" for g, c in by_group.items() if c["planned"] > c["created"]
    ]
    at_most = f"at most {jobs['planned']} on any target"
    if refused:
        extra = jobs["planned"] - jobs["created"]
        at_most += (
            f": {extra} more creates, which a conformant target refuses ({', '.join(refused)}), may each "
            "make a job on a faulty one"
        )
    budget = f"--max-jobs {jobs['max_jobs']} covers them" if jobs["problem"] is None else jobs["problem"]
    yield from _wrap(f"{at_most}; {budget}")
    if "workers" in plan:  # each worker its own part of the tests and its own shared jobs
        count, jobs_in_all = plan["workers"]["count"], plan["workers"]["jobs"]
        yield from _wrap(
            f"{count}, each with its own part and shared jobs: up to {jobs_in_all} jobs in all", "workers:"
        )
    estimate = plan["requests_estimate"]
    shown = ", ".join(f"{n} {g}" for g, n in estimate["by_group"].items() if n)
    yield from _wrap(f"about {estimate['total']} ({shown})", "requests:")
    yield from _wrap(estimate["note"])


def _target_lines(plan: Mapping[str, Any]) -> Iterator[str]:
    target, settings = plan["target"], plan["settings"]
    where = "the embedded reference server" if target["embedded"] else target["base_url"]
    yield from _wrap(f"{where}, profile {target['profile']}", "target:")
    shown = []
    for key, value in settings.items():
        if value in (None, [], False):
            continue
        text = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
        shown.append(f"{key.replace('_', ' ')} {text if value is not True else 'on'}")
    yield from _wrap("; ".join(shown))
    yield f"job timeout: {plan['job_timeout_s']:g} s ({plan['job_timeout_from']})"
    seed = plan["suite"]["seed"]
    yield "seed:        " + (f"{seed}" if seed is not None else "random (the run prints the one it draws)")


def _grouped(out: Mapping[str, Mapping[str, str]]) -> dict[str, list[str]]:
    by_reason: dict[str, list[str]] = {}
    for name, why in out.items():
        by_reason.setdefault(why["reason"], []).append(name)
    return by_reason


def _requirement_lines(plan: Mapping[str, Any]) -> Iterator[str]:
    scope = plan["scope"]["requirements"]
    coverage = plan["scope"]["coverage"]
    yield f"requirements: {len(scope['in'])} in scope, {len(scope['out'])} out of scope"
    yield "             " + "; ".join(
        f"{level}: {counts['in']} in scope, {counts['out']} out of scope"
        for level, counts in coverage.items()
    )
    if scope["in"]:
        yield f"IN     {len(scope['in'])}: judged by the tests in scope"
        yield from _wrap(", ".join(scope["in"]))
    for reason, ids in _grouped(scope["out"]).items():
        yield f"OFF    {len(ids)}: {reason}"
        yield from _wrap(", ".join(ids))


def _test_lines(plan: Mapping[str, Any], *, verbose: bool) -> Iterator[str]:
    tests = plan["scope"]["tests"]
    count = sum(len(ids) for ids in tests["in"].values())
    yield f"tests: {count} in scope in {len(tests['in'])} groups, {len(tests['out'])} out of scope"
    for group, ids in tests["in"].items():
        if verbose:
            yield f"IN     {group} ({len(ids)})"
            yield from (INDENT + test_id for test_id in ids)
            continue
        cases: dict[str, int] = {}
        for test_id in ids:
            cases[_base(test_id)] = cases.get(_base(test_id), 0) + 1
        names = [f"{name} ({n})" if n > 1 else name for name, n in cases.items()]
        yield f"IN     {group} ({len(ids)})"
        yield from _wrap(", ".join(names))
    for reason, ids in _grouped(tests["out"]).items():
        shown = ids if verbose or len(ids) <= MAX_TESTS_PER_REASON else ids[:MAX_TESTS_PER_REASON]
        more = f" and {len(ids) - len(shown)} more (-v lists them)" if len(shown) < len(ids) else ""
        yield f"OFF    {len(ids)}: {reason}"
        yield from _wrap(", ".join(shown) + more)
