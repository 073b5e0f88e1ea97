"""Coverage: how many MUST and SHOULD requirements passed, failed, were undecided or out of scope, and why
those not judged were not.

A ``disabled`` requirement is *out of scope*; ``skip``, ``error`` and ``untested`` of a requirement in scope
are *undecided*. :func:`coverage_of` reads the ``coverage`` of results.json, or derives the same from the
requirement rows when a results.json has none; a requirement without a cause label gets one from its
reason (:func:`cause_label`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from conformance.reporting import _read
from conformance.reporting._message import NOTE

if TYPE_CHECKING:
    from conformance.reporting._model import Requirement

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


#: The coverage of a report that records none.
NO_COVERAGE = Coverage((), {}, {}, derived=True)


def cause_label(reason: str) -> str:
    """A short label for a reason (for results.json files that give none): its first clause, shortened."""
    text = " ".join(_read.strip_skip_prefix(reason).split())
    for sep in ("; ", " (", ". "):
        if sep in text:
            text = text.split(sep, 1)[0]
    text = text.rstrip(".")
    return text if len(text) <= 60 else text[:59].rstrip() + "\u2026"


def _derived_cause(req: Requirement) -> str:
    if req.outcome == "untested" and req.reason == UNTESTED_REASON:
        return "not run"
    if req.outcome == "error":
        return "a failure stopped its test" if req.reason.startswith(NOTE) else "suite error"
    return cause_label(req.reason) or "not run"


def _distinct(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def coverage_of(raw: Mapping[str, Any], requirements: Sequence[Requirement]) -> Coverage:
    """The ``coverage`` of results.json, or the same computed from the requirement rows when absent."""
    derived = not any(isinstance(raw.get(level), Mapping) for level in COVERED_LEVELS)
    covered = [r for r in requirements if r.level in COVERED_LEVELS]
    given_causes = {
        bucket: _read.strings(raw.get(f"{bucket}_causes")) for bucket in ("undecided", "out_of_scope")
    }

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
            counts = {b: int(_read.number(given.get(b))) for b in BUCKETS}
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
            reasons[bucket] = _read.reasons(raw.get(f"{bucket}_reasons")) or reasons[bucket]
    return Coverage(
        levels=tuple(levels),
        out_of_scope_reasons=reasons["out_of_scope"],
        undecided_reasons=reasons["undecided"],
        out_of_scope_causes=causes["out_of_scope"],
        undecided_causes=causes["undecided"],
        derived=derived,
    )
