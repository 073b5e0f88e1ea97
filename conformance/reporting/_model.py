"""A typed, read-only view of a results dict (the content of ``results.json``), as the writers see it.

The writers never index the raw dict themselves: :func:`load` reads it once, tolerating absent optional
keys (an older ``results.json`` has no ``jobs`` nor request excerpts), and every writer renders the same
:class:`Report`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

#: Requirement outcomes, worst first (the order the reports list them in).
REQUIREMENT_OUTCOMES = ("fail", "error", "pass", "skip", "disabled", "untested")
#: Requirement levels, strongest first.
LEVELS = ("MUST", "SHOULD", "MAY")

DISABLED_PREFIX = "disabled:"
SKIP_PREFIX = "skip:"


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
    reason: str = ""

    @property
    def level_rank(self) -> int:
        return LEVELS.index(self.level) if self.level in LEVELS else len(LEVELS)


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
        return self.outcome == "skipped" and (self.reason or "").startswith(DISABLED_PREFIX)

    @property
    def skip_message(self) -> str:
        """The reason of a skipped test, always prefixed ``disabled:`` or ``skip:``."""
        reason = (self.reason or "").strip()
        if reason.startswith((DISABLED_PREFIX, SKIP_PREFIX)):
            return reason
        return f"{SKIP_PREFIX} {reason or 'no reason given'}"


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


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return 0.0
    try:
        number = float(value)
    except ValueError:
        return 0.0
    return number if math.isfinite(number) and number >= 0 else 0.0


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _items(value: Any) -> Sequence[Any]:
    return value if isinstance(value, list | tuple) else ()


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(_text(v) for v in _items(value))


def _counts(value: Any, keys: Sequence[str], fallback: Mapping[str, int]) -> dict[str, int]:
    given = _mapping(value)
    if not given:
        return dict(fallback)
    counts: dict[str, int] = {}
    for key in keys:
        raw = given.get(key, 0)
        counts[key] = int(raw) if isinstance(raw, int | float) and not isinstance(raw, bool) else 0
    return counts


def _failure(raw: Any) -> Failure:
    data = _mapping(raw)
    return Failure(
        test=_text(data.get("test")),
        message=_text(data.get("message")),
        curl=_text(data.get("curl")),
        request=_text(data.get("request")),
        response=_text(data.get("response")),
    )


def _requirement(raw: Any) -> Requirement:
    data = _mapping(raw)
    return Requirement(
        id=_text(data.get("id")),
        level=_text(data.get("level")).upper(),
        title=_text(data.get("title")),
        source=_text(data.get("source")),
        quote=_text(data.get("quote")),
        outcome=_text(data.get("outcome")) or "untested",
        tests=_strings(data.get("tests")),
        failures=tuple(_failure(f) for f in _items(data.get("failures"))),
        reason=_text(data.get("reason")),
    )


def _test(raw: Any) -> TestResult:
    data = _mapping(raw)
    test_id = _text(data.get("id"))
    reason = data.get("reason")
    return TestResult(
        id=test_id,
        name=_text(data.get("name")) or test_id.rsplit("::", 1)[-1],
        group=_text(data.get("group")),
        requirements=_strings(data.get("requirements")),
        outcome=_text(data.get("outcome")),
        reason=None if reason is None else _text(reason),
        duration_s=_number(data.get("duration_s")),
        message=_text(data.get("message")),
        curl=_text(data.get("curl")),
    )


def _job(raw: Any) -> Job:
    data = _mapping(raw)
    observations = []
    for item in _items(data.get("observations")):
        obs = _mapping(item)
        observations.append(Observation(t=_number(obs.get("t")), status=_text(obs.get("status")).upper()))
    observations.sort(key=lambda o: o.t)
    return Job(id=_text(data.get("id")), observations=tuple(observations))


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


def load(results: Mapping[str, Any]) -> Report:
    """Reads a results dict into a :class:`Report`; absent optional keys become empty values."""
    suite = _mapping(results.get("suite"))
    target = _mapping(results.get("target"))
    summary = _mapping(results.get("summary"))
    requirements = tuple(_requirement(r) for r in _items(results.get("requirements")))
    tests = tuple(_test(t) for t in _items(results.get("tests")))
    seed = suite.get("seed")
    return Report(
        suite_name=_text(suite.get("name")) or "segment-jobs-conformance",
        version=_text(suite.get("version")),
        spec_sha256=_text(suite.get("spec_sha256")),
        seed="" if seed is None else _text(seed),
        base_url=_text(target.get("base_url")),
        profile=_text(target.get("profile")),
        verdict=_text(results.get("verdict")) or "error",
        started=_text(results.get("started")),
        duration_s=_number(results.get("duration_s")),
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
        jobs=tuple(_job(j) for j in _items(results.get("jobs"))),
        aborted=_text(results.get("aborted")),
    )
