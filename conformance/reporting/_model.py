"""A typed, read-only view of a results dict (the content of ``results.json``), as the writers see it.

The writers never index the raw dict themselves: :func:`load` reads it once, tolerating absent optional
keys (an older ``results.json`` has no ``jobs``, no request excerpts, no ``coverage`` and no ``skip_kind``),
and every writer renders the same :class:`Report`.

Scope and coverage: a ``disabled`` requirement is *out of scope*; ``skip``, ``error`` and ``untested`` of a
requirement in scope are *undecided*. :class:`Coverage` counts MUST and SHOULD requirements so (read from
``coverage``, or derived from the requirement rows when a results.json has none). :func:`parse_message`
splits a failure message of the suite (``[ID] title``, ``expected:``, ``got:``, ``request:``, ``response:``,
``curl:``) so a writer can show each part once.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

#: Requirement outcomes, worst first (the order the reports list them in).
REQUIREMENT_OUTCOMES = ("fail", "error", "pass", "skip", "disabled", "untested")
#: Requirement levels, strongest first.
LEVELS = ("MUST", "SHOULD", "MAY")

#: Verdicts of a run: exit codes 0, 1, 4 and 3.
VERDICTS = ("conformant", "nonconformant", "incomplete", "error")
#: Levels the coverage counts.
COVERED_LEVELS = ("MUST", "SHOULD")
#: Coverage buckets, in the order of the one-line summary.
BUCKETS = ("passed", "failed", "undecided", "out_of_scope")
#: What each requirement outcome counts as in the coverage.
BUCKET_OF = {
    "pass": "passed",
    "fail": "failed",
    "skip": "undecided",
    "error": "undecided",
    "untested": "undecided",
    "disabled": "out_of_scope",
}
#: The reason of an in-scope requirement no test judged, when none is recorded.
UNTESTED_REASON = "no test of this run judged it"

#: Kinds of a skipped test (``skip_kind``): out of scope, or in scope and not judged.
DISABLED = "disabled"
UNDECIDED = "undecided"
SKIP_KINDS = (DISABLED, UNDECIDED)

#: Prefixes of a skip reason in results.json files written before ``skip_kind`` (read as a fallback).
DISABLED_PREFIX = "disabled:"
SKIP_PREFIX = "skip:"


def strip_skip_prefix(reason: str) -> str:
    """A skip reason without the ``disabled:`` or ``skip:`` prefix of older results.json files."""
    text = reason.strip()
    for prefix in (DISABLED_PREFIX, SKIP_PREFIX):
        if text.startswith(prefix):
            return text[len(prefix) :].strip()
    return text


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
        return strip_skip_prefix(self.reason or "")

    @property
    def skip_message(self) -> str:
        """The reason of a skipped test, prefixed ``disabled:`` (out of scope) or ``skip:`` (undecided)."""
        prefix = DISABLED_PREFIX if self.disabled else SKIP_PREFIX
        return f"{prefix} {self.reason_text or 'no reason given'}"


@dataclass(frozen=True)
class Observation:
    t: float
    status: str


@dataclass(frozen=True)
class Job:
    id: str
    observations: tuple[Observation, ...]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@dataclass(frozen=True)
class LevelCoverage:
    """The coverage of one level: how many requirements passed, failed, were undecided or out of scope."""

    level: str
    passed: int = 0
    failed: int = 0
    undecided: int = 0
    out_of_scope: int = 0
    #: short labels of why requirements of this level were not judged, in order of first appearance
    undecided_causes: tuple[str, ...] = ()
    out_of_scope_causes: tuple[str, ...] = ()

    def count(self, bucket: str) -> int:
        value = getattr(self, bucket, 0) if bucket in BUCKETS else 0
        return value if isinstance(value, int) else 0

    @property
    def in_scope(self) -> int:
        return self.passed + self.failed + self.undecided

    @property
    def total(self) -> int:
        return self.in_scope + self.out_of_scope

    @property
    def line(self) -> str:
        """``MUST: 52 passed, 0 failed, 1 undecided (no job to read), 9 out of scope (read-only)``."""

        def part(count: int, label: str, causes: tuple[str, ...]) -> str:
            shown = f"{count} {label}"
            return f"{shown} ({'; '.join(causes)})" if count and causes else shown

        return (
            f"{self.level}: {self.passed} passed, {self.failed} failed, "
            f"{part(self.undecided, 'undecided', self.undecided_causes)}, "
            f"{part(self.out_of_scope, 'out of scope', self.out_of_scope_causes)}"
        )


@dataclass(frozen=True)
class Coverage:
    """MUST and SHOULD coverage of a run, with the reason of every requirement that was not judged.

    ``derived`` is true when results.json had no ``coverage`` and it was computed from the requirement rows.
    """

    levels: tuple[LevelCoverage, ...]
    out_of_scope_reasons: Mapping[str, str]
    undecided_reasons: Mapping[str, str]
    out_of_scope_causes: tuple[str, ...] = ()
    undecided_causes: tuple[str, ...] = ()
    derived: bool = False

    def level(self, name: str) -> LevelCoverage:
        for item in self.levels:
            if item.level == name:
                return item
        return LevelCoverage(name)

    @property
    def lines(self) -> tuple[str, ...]:
        """One line per covered level (MUST, SHOULD)."""
        return tuple(item.line for item in self.levels)

    def total(self, bucket: str) -> int:
        return sum(item.count(bucket) for item in self.levels)

    @property
    def undecided_note(self) -> str:
        """Why an ``incomplete`` run is not conformant, in a sentence without its final period."""
        must = self.level("MUST").undecided
        should = self.level("SHOULD").undecided
        causes = f" ({'; '.join(self.undecided_causes)})" if self.undecided_causes else ""
        if must or should:
            parts = []
            if must:
                parts.append(_plural(must, "MUST requirement"))
            if should:
                parts.append(_plural(should, "SHOULD requirement"))
            return f"{' and '.join(parts)} in scope could not be judged{causes}"
        if self.level("MUST").in_scope == 0:
            return f"no MUST requirement was in scope{causes}"
        return f"not every requirement in scope could be judged{causes}"


@dataclass(frozen=True)
class Message:
    """A failure message of the suite, split into its parts (see :func:`parse_message`).

    ``structured`` is true when the message has an ``expected:`` and a ``got:`` line; otherwise only
    ``text`` (the whole message) and ``notes`` mean anything.
    """

    text: str
    notes: tuple[str, ...] = ()
    heading: str = ""
    requirements: tuple[str, ...] = ()
    expected: str = ""
    got: str = ""
    request: str = ""
    response: str = ""
    curl: str = ""
    detail: str = ""
    structured: bool = False
    #: the message without its notes: the same check, blocked under another requirement, has the same core
    core: str = ""

    @property
    def summary(self) -> str:
        """One short line: the note, else ``expected ...; got ...``, else the first line."""
        if self.notes:
            return self.notes[0]
        if self.structured:
            return f"expected {self.expected}; got {self.got}"
        return next((line.strip() for line in self.text.splitlines() if line.strip()), "")


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
    coverage: Coverage = Coverage((), {}, {}, derived=True)

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


#: A field line of a ConformanceFailure message: ``  expected: ...`` (at most three spaces before the name).
_FIELD = re.compile(r"^( {0,3})(expected|got|request|response|curl):( *)(.*)$")
_HEADING = re.compile(r"^\s*\[[A-Za-z0-9][\w.-]*\]")
_HEADING_ID = re.compile(r"\[([A-Za-z0-9][\w.-]*)\]")
_NOTE = "not decided:"
#: A ``got`` line longer than this is shortened in :attr:`Message.got`; the whole line goes to the detail.
GOT_CHARS = 240


def _shorten_got(line: str) -> str:
    cut = line.find(": ")
    if 0 < cut <= 80:  # a finding's title (``Response violates schema: ...``)
        return line[: cut + 1] + " \u2026"
    head = line[: GOT_CHARS - 1]
    if " " in head[GOT_CHARS // 2 :]:
        head = head.rsplit(" ", 1)[0]
    return head.rstrip() + " \u2026"


def _trim(lines: Sequence[str]) -> list[str]:
    out = list(lines)
    while out and not out[-1].strip():
        out.pop()
    while out and not out[0].strip():
        out.pop(0)
    return out


def parse_message(text: str) -> Message:
    """Splits a failure message of the suite into its parts.

    The suite writes (``conformance._checks.ConformanceFailure``)::

        not decided: the test stopped at a failure of SJ-A     <- a note, when blocked (optional)
        [SJ-A] title; [SJ-B] title
          expected: ...
          got:      first line
                    further lines (``also [...]`` findings, their requests, the seed)
          request:  ...
          response: ...
          curl:     ...

    ``got`` keeps the first line (shortened past :data:`GOT_CHARS`); its further lines, and any line that
    is none of these, make ``detail``. A message without ``expected:`` and ``got:`` lines is not
    ``structured``: only its leading ``not decided:`` lines are taken as notes.
    """
    lines = _trim(text.splitlines())
    notes: list[str] = []
    heading = ""
    fields: dict[str, list[str]] = {}
    extra: list[str] = []
    current: str | None = None
    column = 0
    started = False
    core_start = len(lines)
    for index, line in enumerate(lines):
        match = _FIELD.match(line)
        if match and match.group(2) not in fields:
            current = match.group(2)
            column = len(match.group(1)) + len(current) + 1 + len(match.group(3))
            fields[current] = [match.group(4)]
            if not started:
                started, core_start = True, index
            continue
        if current is not None and (not line.strip() or line.startswith("    ")):
            lead = len(line) - len(line.lstrip(" "))
            fields[current].append(line[min(lead, column) :])
            continue
        current = None
        if not started and _HEADING.match(line):
            heading, started, core_start = line.strip(), True, index
            continue
        if not started:
            notes.append(line.strip())
            continue
        extra.append(line)
    structured = "expected" in fields and "got" in fields
    if not structured:
        # not the suite's format: only leading "not decided:" lines are notes, the rest is the message
        notes = []
        core_start = len(lines)
        for index, line in enumerate(lines):
            if not line.strip().startswith(_NOTE):
                core_start = index
                break
            notes.append(line.strip())
    notes = [n for n in notes if n]
    core = "\n".join(lines[core_start:]).strip()

    def value(name: str) -> str:
        return "\n".join(_trim(fields.get(name, []))).strip()

    detail: list[str] = []
    got = ""
    if structured:
        got_lines = _trim(fields["got"])
        first = got_lines[0].strip() if got_lines else ""
        got = first
        if len(first) > GOT_CHARS:
            got = _shorten_got(first)
            detail.append(first)
        detail += got_lines[1:]
        detail += _trim(extra)
    return Message(
        text=text.strip(),
        notes=tuple(notes),
        heading=heading,
        requirements=tuple(dict.fromkeys(_HEADING_ID.findall(heading))),
        expected=value("expected") if structured else "",
        got=got,
        request=value("request"),
        response=value("response"),
        curl=value("curl"),
        detail="\n".join(_trim(detail)),
        structured=structured,
        core=core,
    )


def cause_label(reason: str) -> str:
    """A short label for a reason (for results.json files that give none): its first clause, shortened."""
    text = " ".join(strip_skip_prefix(reason).split())
    for sep in ("; ", " (", ". "):
        if sep in text:
            text = text.split(sep, 1)[0]
    text = text.rstrip(".")
    return text if len(text) <= 60 else text[:59].rstrip() + "\u2026"


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
        reason=_text(data.get("reason")).strip(),
        cause=_text(data.get("cause")).strip(),
    )


def _test(raw: Any) -> TestResult:
    data = _mapping(raw)
    test_id = _text(data.get("id"))
    reason = data.get("reason")
    outcome = _text(data.get("outcome"))
    skip_kind = _text(data.get("skip_kind")).strip().lower()
    if outcome != "skipped":
        skip_kind = ""
    elif skip_kind not in SKIP_KINDS:
        # results.json before skip_kind: the reason said it
        skip_kind = DISABLED if _text(reason).strip().startswith(DISABLED_PREFIX) else UNDECIDED
    return TestResult(
        id=test_id,
        name=_text(data.get("name")) or test_id.rsplit("::", 1)[-1],
        group=_text(data.get("group")),
        requirements=_strings(data.get("requirements")),
        outcome=outcome,
        reason=None if reason is None else _text(reason),
        duration_s=_number(data.get("duration_s")),
        message=_text(data.get("message")),
        curl=_text(data.get("curl")),
        skip_kind=skip_kind,
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


def _reasons(value: Any) -> dict[str, str]:
    return {_text(k): _text(v).strip() for k, v in _mapping(value).items() if _text(v).strip()}


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


def _derived_cause(req: Requirement) -> str:
    if req.outcome == "untested" and req.reason == UNTESTED_REASON:
        return "not run"
    if req.outcome == "error":
        return "a failure stopped its test" if req.reason.startswith(_NOTE) else "suite error"
    return cause_label(req.reason) or "not run"


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


def _distinct(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def _coverage(raw: Mapping[str, Any], requirements: Sequence[Requirement]) -> Coverage:
    """The ``coverage`` of results.json, or the same computed from the requirement rows when absent."""
    derived = not any(isinstance(raw.get(level), Mapping) for level in COVERED_LEVELS)
    covered = [r for r in requirements if r.level in COVERED_LEVELS]
    given_causes = {bucket: _strings(raw.get(f"{bucket}_causes")) for bucket in ("undecided", "out_of_scope")}

    def cause(req: Requirement, bucket: str) -> str:
        if req.cause:
            return req.cause
        if not derived and len(given_causes[bucket]) == 1:
            return given_causes[bucket][0]
        return _derived_cause(req)

    all_causes = {
        bucket: _distinct(cause(r, bucket) for r in covered if r.bucket == bucket)
        for bucket in ("undecided", "out_of_scope")
    }
    causes = {
        bucket: given_causes[bucket] if not derived and given_causes[bucket] else all_causes[bucket]
        for bucket in given_causes
    }
    levels = []
    for level in COVERED_LEVELS:
        mine = [r for r in covered if r.level == level]
        given = raw.get(level)
        counts = {b: sum(1 for r in mine if r.bucket == b) for b in BUCKETS}
        if isinstance(given, Mapping):
            counts = {b: int(_number(given.get(b))) for b in BUCKETS}
        per_level = {}
        for bucket in ("undecided", "out_of_scope"):
            found = _distinct(cause(r, bucket) for r in mine if r.bucket == bucket)
            per_level[bucket] = found if found or not counts[bucket] else causes[bucket]
        levels.append(
            LevelCoverage(
                level=level,
                passed=counts["passed"],
                failed=counts["failed"],
                undecided=counts["undecided"],
                out_of_scope=counts["out_of_scope"],
                undecided_causes=per_level["undecided"],
                out_of_scope_causes=per_level["out_of_scope"],
            )
        )
    reasons = {
        bucket: {r.id: r.reason for r in covered if r.bucket == bucket}
        for bucket in ("undecided", "out_of_scope")
    }
    if not derived:
        for bucket in reasons:
            reasons[bucket] = _reasons(raw.get(f"{bucket}_reasons")) or reasons[bucket]
    return Coverage(
        levels=tuple(levels),
        out_of_scope_reasons=reasons["out_of_scope"],
        undecided_reasons=reasons["undecided"],
        out_of_scope_causes=causes["out_of_scope"],
        undecided_causes=causes["undecided"],
        derived=derived,
    )


def load(results: Mapping[str, Any]) -> Report:
    """Reads a results dict into a :class:`Report`; absent optional keys become empty values.

    Every requirement that did not pass or fail gets a ``reason``; ``coverage`` is derived from the
    requirement rows when results.json has none.
    """
    suite = _mapping(results.get("suite"))
    target = _mapping(results.get("target"))
    summary = _mapping(results.get("summary"))
    raw_coverage = _mapping(results.get("coverage"))
    tests = tuple(_test(t) for t in _items(results.get("tests")))
    given_reasons = _reasons(raw_coverage.get("out_of_scope_reasons")) | _reasons(
        raw_coverage.get("undecided_reasons")
    )
    requirements = _with_reasons(
        [_requirement(r) for r in _items(results.get("requirements"))], tests, given_reasons
    )
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
        coverage=_coverage(raw_coverage, requirements),
    )
