"""A typed, read-only view of a results dict (the content of ``results.json``), as the writers see it.

The writers never index the raw dict themselves: :func:`load` reads it once, tolerating absent optional
keys (an older ``results.json`` has no ``jobs``, no request excerpts, no ``coverage`` and no ``skip_kind``),
and every writer renders the same :class:`Report`.

Beside it: ``_coverage.py`` (scope and coverage: what counts as out of scope or undecided, the MUST and SHOULD
counts and the causes), ``_message.py`` (:func:`parse_message` splits a failure message of the suite so a
writer can show each part once) and ``_read.py`` (the tolerant readers of the raw values).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

from conformance.reporting import _read
from conformance.reporting._coverage import (
    BUCKET_OF,
    COVERED_LEVELS,
    NO_COVERAGE,
    UNTESTED_REASON,
    Coverage,
    coverage_of,
)

# the writers read these through the model
from conformance.reporting._coverage import BUCKETS as BUCKETS
from conformance.reporting._message import parse_message as parse_message

#: Requirement outcomes, worst first (the order the reports list them in).
REQUIREMENT_OUTCOMES = ("fail", "error", "pass", "skip", "disabled", "untested")
#: Requirement levels, strongest first.
LEVELS = ("MUST", "SHOULD", "MAY")

#: Verdicts of a run: exit codes 0, 1, 4 and 3.
VERDICTS = ("conformant", "nonconformant", "incomplete", "error")

#: Kinds of a skipped test (``skip_kind``): out of scope, or in scope and not judged.
DISABLED = "disabled"
UNDECIDED = "undecided"
SKIP_KINDS = (DISABLED, UNDECIDED)


@dataclass(frozen=True)
class Failure:
    """One failed check of a requirement, with what is needed to reproduce it."""

    test: str
    message: str
    curl: str = ""
    request: str = ""
    response: str = ""


@dataclass(frozen=True)
class Requirement:
    id: str
    level: str
    title: str
    source: str
    quote: str
    outcome: str
    tests: tuple[str, ...]
    failures: tuple[Failure, ...]
    #: why it did not pass or fail (always set by :func:`load` for skip, disabled, error and untested)
    reason: str = ""
    #: the short label of that reason, when results.json gives one
    cause: str = ""

    @property
    def level_rank(self) -> int:
        return LEVELS.index(self.level) if self.level in LEVELS else len(LEVELS)

    @property
    def bucket(self) -> str:
        """``passed``, ``failed``, ``undecided`` or ``out_of_scope`` (what the outcome counts as)."""
        return BUCKET_OF.get(self.outcome, "undecided")

    @property
    def out_of_scope(self) -> bool:
        return self.bucket == "out_of_scope"

    @property
    def undecided(self) -> bool:
        """In scope and not judged: skip, error or untested."""
        return self.bucket == "undecided"


@dataclass(frozen=True)
class TestResult:
    id: str
    name: str
    group: str
    requirements: tuple[str, ...]
    outcome: str
    reason: str | None
    duration_s: float
    message: str
    curl: str
    #: for a skipped test, ``disabled`` (out of scope) or ``undecided`` (in scope, not judged); else ``""``
    skip_kind: str = ""

    @property
    def module(self) -> str:
        """The dotted module of the test node id (``a/b/test_x.py::t`` gives ``a.b.test_x``)."""
        path = self.id.split("::", 1)[0]
        if path.endswith(".py"):
            path = path[: -len(".py")]
        return path.replace("/", ".").replace("\\", ".")

    @property
    def classname(self) -> str:
        return self.group or self.module or "segment-jobs-conformance"

    @property
    def disabled(self) -> bool:
        """Skipped because it is out of scope."""
        return self.outcome == "skipped" and self.skip_kind == DISABLED

    @property
    def undecided(self) -> bool:
        """Skipped in scope: its requirements were not judged."""
        return self.outcome == "skipped" and self.skip_kind != DISABLED

    @property
    def reason_text(self) -> str:
        """The skip reason without an old ``disabled:``/``skip:`` prefix."""
        return _read.strip_skip_prefix(self.reason or "")

    @property
    def skip_message(self) -> str:
        """The reason of a skipped test, prefixed ``disabled:`` (out of scope) or ``skip:`` (undecided)."""
        prefix = _read.DISABLED_PREFIX if self.disabled else _read.SKIP_PREFIX
        return f"{prefix} {self.reason_text or 'no reason given'}"


@dataclass(frozen=True)
class Observation:
    t: float
    status: str


@dataclass(frozen=True)
class Job:
    id: str
    observations: tuple[Observation, ...]


@dataclass(frozen=True)
class Report:
    suite_name: str
    version: str
    spec_sha256: str
    seed: str
    base_url: str
    profile: str
    verdict: str
    started: str
    duration_s: float
    requirement_counts: Mapping[str, int]
    test_counts: Mapping[str, int]
    requirements: tuple[Requirement, ...]
    tests: tuple[TestResult, ...]
    jobs: tuple[Job, ...]
    aborted: str = ""
    coverage: Coverage = NO_COVERAGE

    @property
    def started_display(self) -> str:
        """``started`` as ``YYYY-MM-DD HH:MM:SS UTC`` when it is an ISO 8601 time, else as given."""
        moment = parse_time(self.started)
        if moment is None:
            return self.started
        return moment.strftime("%Y-%m-%d %H:%M:%S UTC")

    @property
    def failed_requirements(self) -> tuple[Requirement, ...]:
        """Requirements that failed or errored: MUST first, failures before errors, else in catalog order."""
        picked = [r for r in self.requirements if r.outcome in ("fail", "error")]
        return tuple(sorted(picked, key=lambda r: (r.level_rank, r.outcome != "fail")))

    @property
    def undecided_requirements(self) -> tuple[Requirement, ...]:
        """MUST and SHOULD requirements in scope that were not judged: MUST first, else in catalog order."""
        picked = [r for r in self.requirements if r.level in COVERED_LEVELS and r.undecided]
        return tuple(sorted(picked, key=lambda r: r.level_rank))

    @property
    def out_of_scope_requirements(self) -> tuple[Requirement, ...]:
        """MUST and SHOULD requirements out of scope: MUST first, else in catalog order."""
        picked = [r for r in self.requirements if r.level in COVERED_LEVELS and r.out_of_scope]
        return tuple(sorted(picked, key=lambda r: r.level_rank))

    def failures_of_test(self, test_id: str) -> tuple[Failure, ...]:
        return tuple(f for r in self.requirements for f in r.failures if f.test == test_id)


def parse_time(value: str) -> datetime | None:
    """An ISO 8601 time in UTC (a trailing ``Z`` is accepted on every Python version), or None."""
    if not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def format_duration(seconds: float) -> str:
    """``0.12 s``, ``12.3 s``, ``2 min 05 s``, ``1 h 02 min``."""
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {(whole % 3600) // 60:02d} min"


def _counts(value: Any, keys: Sequence[str], fallback: Mapping[str, int]) -> dict[str, int]:
    given = _read.mapping(value)
    if not given:
        return dict(fallback)
    counts: dict[str, int] = {}
    for key in keys:
        raw = given.get(key, 0)
        counts[key] = int(raw) if isinstance(raw, int | float) and not isinstance(raw, bool) else 0
    return counts


def _failure(raw: Any) -> Failure:
    data = _read.mapping(raw)
    return Failure(
        test=_read.text(data.get("test")),
        message=_read.text(data.get("message")),
        curl=_read.text(data.get("curl")),
        request=_read.text(data.get("request")),
        response=_read.text(data.get("response")),
    )


def _requirement(raw: Any) -> Requirement:
    data = _read.mapping(raw)
    return Requirement(
        id=_read.text(data.get("id")),
        level=_read.text(data.get("level")).upper(),
        title=_read.text(data.get("title")),
        source=_read.text(data.get("source")),
        quote=_read.text(data.get("quote")),
        outcome=_read.text(data.get("outcome")) or "untested",
        tests=_read.strings(data.get("tests")),
        failures=tuple(_failure(f) for f in _read.items(data.get("failures"))),
        reason=_read.text(data.get("reason")).strip(),
        cause=_read.text(data.get("cause")).strip(),
    )


def _test(raw: Any) -> TestResult:
    data = _read.mapping(raw)
    test_id = _read.text(data.get("id"))
    reason = data.get("reason")
    outcome = _read.text(data.get("outcome"))
    skip_kind = _read.text(data.get("skip_kind")).strip().lower()
    if outcome != "skipped":
        skip_kind = ""
    elif skip_kind not in SKIP_KINDS:
        # results.json before skip_kind: the reason said it
        skip_kind = DISABLED if _read.text(reason).strip().startswith(_read.DISABLED_PREFIX) else UNDECIDED
    return TestResult(
        id=test_id,
        name=_read.text(data.get("name")) or test_id.rsplit("::", 1)[-1],
        group=_read.text(data.get("group")),
        requirements=_read.strings(data.get("requirements")),
        outcome=outcome,
        reason=None if reason is None else _read.text(reason),
        duration_s=_read.number(data.get("duration_s")),
        message=_read.text(data.get("message")),
        curl=_read.text(data.get("curl")),
        skip_kind=skip_kind,
    )


def _job(raw: Any) -> Job:
    data = _read.mapping(raw)
    observations = []
    for item in _read.items(data.get("observations")):
        obs = _read.mapping(item)
        observations.append(
            Observation(t=_read.number(obs.get("t")), status=_read.text(obs.get("status")).upper())
        )
    observations.sort(key=lambda o: o.t)
    return Job(id=_read.text(data.get("id")), observations=tuple(observations))


def _count_requirements(requirements: Sequence[Requirement]) -> dict[str, int]:
    counts = dict.fromkeys(("pass", "fail", "skip", "disabled", "error", "untested"), 0)
    for req in requirements:
        counts[req.outcome] = counts.get(req.outcome, 0) + 1
    return counts


def _count_tests(tests: Sequence[TestResult]) -> dict[str, int]:
    counts = {"passed": 0, "failed": 0, "skipped": 0, "errors": 0}
    for test in tests:
        key = "errors" if test.outcome == "error" else test.outcome
        counts[key] = counts.get(key, 0) + 1
    return counts


def _derived_reason(req: Requirement, tests: Sequence[TestResult]) -> str:
    """Why a requirement was not judged, when results.json does not say: from its tests or its failures."""
    if req.outcome == "error":
        for failure in req.failures:
            if failure.message.strip():
                return parse_message(failure.message).summary
        for test in tests:
            if test.id in req.tests and test.outcome in ("failed", "error") and test.message.strip():
                return parse_message(test.message).summary
    for test in tests:
        mine = test.id in req.tests or req.id in test.requirements
        if mine and test.outcome == "skipped" and test.reason_text:
            return test.reason_text
    if req.outcome == "error":
        return "the suite could not decide"
    if req.outcome == "untested":
        return UNTESTED_REASON
    return "no reason recorded"


def _with_reasons(
    requirements: Sequence[Requirement], tests: Sequence[TestResult], given: Mapping[str, str]
) -> tuple[Requirement, ...]:
    """Each requirement that did not pass or fail gets a reason: its own, the coverage's, or a derived one."""
    out = []
    for req in requirements:
        if req.outcome not in ("pass", "fail") and not req.reason:
            req = replace(req, reason=given.get(req.id) or _derived_reason(req, tests))
        out.append(req)
    return tuple(out)


def load(results: Mapping[str, Any]) -> Report:
    """Reads a results dict into a :class:`Report`; absent optional keys become empty values.

    Every requirement that did not pass or fail gets a ``reason``; ``coverage`` is derived from the
    requirement rows when results.json has none.
    """
    suite = _read.mapping(results.get("suite"))
    target = _read.mapping(results.get("target"))
    summary = _read.mapping(results.get("summary"))
    raw_coverage = _read.mapping(results.get("coverage"))
    tests = tuple(_test(t) for t in _read.items(results.get("tests")))
    given_reasons = _read.reasons(raw_coverage.get("out_of_scope_reasons")) | _read.reasons(
        raw_coverage.get("undecided_reasons")
    )
    requirements = _with_reasons(
        [_requirement(r) for r in _read.items(results.get("requirements"))], tests, given_reasons
    )
    seed = suite.get("seed")
    return Report(
        suite_name=_read.text(suite.get("name")) or "segment-jobs-conformance",
        version=_read.text(suite.get("version")),
        spec_sha256=_read.text(suite.get("spec_sha256")),
        seed="" if seed is None else _read.text(seed),
        base_url=_read.text(target.get("base_url")),
        profile=_read.text(target.get("profile")),
        verdict=_read.text(results.get("verdict")) or "error",
        started=_read.text(results.get("started")),
        duration_s=_read.number(results.get("duration_s")),
        requirement_counts=_counts(
            summary.get("requirements"),
            ("pass", "fail", "skip", "disabled", "error", "untested"),
            _count_requirements(requirements),
        ),
        test_counts=_counts(
            summary.get("tests"), ("passed", "failed", "skipped", "errors"), _count_tests(tests)
        ),
        requirements=requirements,
        tests=tests,
        jobs=tuple(_job(j) for j in _read.items(results.get("jobs"))),
        aborted=_read.text(results.get("aborted")),
        coverage=coverage_of(raw_coverage, requirements),
    )
