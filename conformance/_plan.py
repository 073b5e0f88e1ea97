"""What a run will do, decided before it sends anything: the tests in scope, and how many jobs they need.

The plugin describes each collected test as a :class:`TestInfo` (its markers, read once); everything here is
plain data, so the same rules serve the run, the fleet of the scenario modules and the self-tests.

Scope
    A test is out of scope (:class:`~conformance._outcomes.Disabled`, with a short cause) when ``--select``
    leaves it out, when it belongs to a higher profile, when it creates jobs in a ``--read-only`` run, or
    when it needs optional configuration that is not set. An unknown ``--select`` term is a usage error that
    names the close matches: a typo must never narrow a run to nothing and call it conformant.

Jobs
    Each test declares the jobs it may create with ``@pytest.mark.creates_jobs(n)`` (``n`` a number, or a
    mapping of profile name to number); tests drawing on one shared allowance name it
    (``creates_jobs(n, shared="...")``) and the allowance counts once, at its largest. The jobs of the shared
    fleet (``@pytest.mark.fleet(*roles)``) count once per role. When ``--max-jobs`` is smaller than the sum
    the run stops before it starts, with the figure and how to narrow the run.

    That sum is the most jobs the run may bring about: a create the target must refuse counts, since a
    faulty target may accept it. ``accepted=`` says how many of a test's creates a conformant target accepts
    (``creates_jobs(1, accepted=0)`` for a create that must be refused; by default all of them), so the plan
    also knows how many jobs a run against a conformant target ends up with (``JobPlan.expected``).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from conformance._config import Settings
from conformance._outcomes import Disabled
from conformance._profiles import PROFILES, Profile

#: optional settings a test may need (``@pytest.mark.needs(...)``): the variable that sets each, and the cause
NEEDS: Mapping[str, tuple[str, str]] = {
    "second_sandbox": ("SEGJOBS_SECOND_SANDBOX_NAME", "no second sandbox"),
    "failing_segment_id": ("SEGJOBS_FAILING_SEGMENT_ID", "no failing segment definition"),
}
#: fleet roles that exist only with an optional setting
ROLE_NEEDS: Mapping[str, str] = {"failing": "failing_segment_id", "other": "second_sandbox"}


@dataclass(frozen=True)
class TestInfo:
    """One collected test, as far as scope and jobs go."""

    __test__ = False  # not a pytest test class

    nodeid: str
    name: str
    group: str
    requirements: tuple[str, ...]
    profile: str = "quick"  # the lowest profile it runs in
    creates_jobs: bool = False
    creates: int | Mapping[str, int] = 0
    #: how many of ``creates`` a conformant target accepts (same forms); None: all of them
    accepted: int | Mapping[str, int] | None = None
    shared: str | None = None
    needs: tuple[str, ...] = ()
    fleet: tuple[str, ...] = ()

    @property
    def base_name(self) -> str:
        return self.name.split("[", 1)[0]

    def jobs_in(self, profile: Profile) -> int:
        """The most jobs the test may bring about in the profile (every create it may send)."""
        return _in_profile(self.creates, profile)

    def accepted_in(self, profile: Profile) -> int:
        """The jobs a conformant target creates for the test in the profile."""
        if self.accepted is None:
            return self.jobs_in(profile)
        return min(_in_profile(self.accepted, profile), self.jobs_in(profile))


def _in_profile(count: int | Mapping[str, int], profile: Profile) -> int:
    if isinstance(count, Mapping):
        return int(count.get(profile.name, 0))
    return int(count)


class SelectionError(ValueError):
    """A ``--select`` term matches nothing the suite has."""


def select_terms(expr: str | None) -> list[str]:
    return [t.strip() for t in (expr or "").split(",") if t.strip()]


def _names(test: TestInfo) -> set[str]:
    return {test.name, test.base_name, test.base_name.removeprefix("test_")}


def matches(test: TestInfo, term: str) -> bool:
    if term.upper().startswith("SJ-"):
        return any(r.upper().startswith(term.upper()) for r in test.requirements)
    return term.lower() == test.group.lower() or term in _names(test)


def check_selection(terms: Sequence[str], tests: Sequence[TestInfo], catalog_ids: Iterable[str]) -> None:
    """Raises :class:`SelectionError` for the first term that matches no requirement, group or test."""
    ids = sorted(catalog_ids)
    groups = sorted({t.group for t in tests})
    names = sorted({n for t in tests for n in _names(t)})
    for term in terms:
        if any(matches(t, term) for t in tests):
            continue
        if term.upper().startswith("SJ-"):
            known = [i for i in ids if i.startswith(term.upper())]
            if known:
                raise SelectionError(f"--select {term}: no test of the suite judges {', '.join(known[:5])}")
            close = difflib.get_close_matches(term.upper(), ids, n=3, cutoff=0.6)
        else:
            close = difflib.get_close_matches(term, [*groups, *names], n=3, cutoff=0.6)
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        raise SelectionError(
            f"--select {term} matches no requirement ID, group or test{hint} "
            f"(groups: {', '.join(groups)}; `segjobs-conformance requirements` lists the IDs)"
        )


def out_of_scope(test: TestInfo, settings: Settings, profile: Profile) -> Disabled | None:
    """Why the test does not run in this run (profile, --read-only, missing optional settings), or None."""
    wanted = PROFILES[test.profile]
    if profile.rank < wanted.rank:
        return Disabled(
            f"runs in the {wanted.name} profile and above (this run: {profile.name})",
            cause=f"profile {profile.name}",
        )
    if settings.read_only and test.creates_jobs:
        return Disabled("creates jobs, and the run is --read-only", cause="read-only")
    for name in test.needs:
        if not getattr(settings, name):
            variable, cause = NEEDS.get(name, (name, f"no {name}"))
            return Disabled(f"needs {variable}, which is not set", cause=cause)
    return None


@dataclass
class JobPlan:
    """The jobs a selection may create, by group; ``fleet`` counts the shared jobs once per role.

    ``by_group`` and :attr:`total` count every create the tests may send (what ``--max-jobs`` must cover);
    ``expected_by_group`` and :attr:`expected` only those a conformant target accepts."""

    by_group: dict[str, int] = field(default_factory=dict)
    fleet_roles: tuple[str, ...] = ()
    expected_by_group: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of_parts(cls, plans: Sequence[JobPlan]) -> JobPlan:
        """The plans of the parts of a split run as one (each part's fleet counted)."""
        whole = cls()
        for plan in plans:
            for group, n in plan.by_group.items():
                whole.by_group[group] = whole.by_group.get(group, 0) + n
            for group, n in plan.expected_by_group.items():
                whole.expected_by_group[group] = whole.expected_by_group.get(group, 0) + n
            whole.fleet_roles += plan.fleet_roles
        return whole

    @property
    def total(self) -> int:
        return sum(self.by_group.values()) + len(self.fleet_roles)

    @property
    def expected(self) -> int:
        """The jobs a run against a conformant target ends up with (each fleet role's job included)."""
        return sum(self.expected_by_group.values()) + len(self.fleet_roles)

    def describe(self) -> str:
        parts = [f"{len(self.fleet_roles)} shared by the scenario tests"] if self.fleet_roles else []
        parts += [f"{n} {group}" for group, n in sorted(self.by_group.items(), key=lambda kv: -kv[1]) if n]
        return ", ".join(parts)


def job_plan(tests: Iterable[TestInfo], settings: Settings, profile: Profile) -> JobPlan:
    """The most jobs the tests that will run may create (tests out of scope count nothing)."""
    plan = JobPlan()
    shared: dict[str, tuple[str, int, int]] = {}
    roles: set[str] = set()

    def add(group: str, count: int, accepted: int) -> None:
        plan.by_group[group] = plan.by_group.get(group, 0) + count
        plan.expected_by_group[group] = plan.expected_by_group.get(group, 0) + accepted

    for test in tests:
        if out_of_scope(test, settings, profile) is not None:
            continue
        roles |= {r for r in test.fleet if r not in ROLE_NEEDS or getattr(settings, ROLE_NEEDS[r])}
        count, accepted = test.jobs_in(profile), test.accepted_in(profile)
        if test.shared is not None:
            group, known, known_accepted = shared.get(test.shared, (test.group, 0, 0))
            shared[test.shared] = (group, max(known, count), max(known_accepted, accepted))
        else:
            add(test.group, count, accepted)
    for group, count, accepted in shared.values():
        add(group, count, accepted)
    plan.fleet_roles = tuple(sorted(roles))
    return plan


def budget_problem(plan: JobPlan, settings: Settings, *, parts: int = 1) -> str | None:
    """The message that stops a run whose ``--max-jobs`` is below what its selection needs, or None
    (``parts``: the run is split into so many, each with its own shared jobs)."""
    if plan.total <= settings.max_jobs:
        return None
    split = (
        f" over the {parts} parts of the run (--workers, --shard: each part creates its own shared jobs; "
        "fewer workers need fewer)"
        if parts > 1
        else ""
    )
    return (
        f"the selected tests may create up to {plan.total} jobs ({plan.describe()}){split}, but "
        f"--max-jobs is {settings.max_jobs}: raise --max-jobs (or SEGJOBS_MAX_JOBS) to {plan.total}, or "
        "narrow the run with --select (a group such as listing, or requirement IDs) or --read-only (creates "
        "no job)"
    )
