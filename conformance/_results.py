"""From test records to per-requirement outcomes, the coverage, the verdict and the results.json document.

A requirement's outcome is the most severe of what its tests say (a parent result only escalates):
fail > error > pass > blocked > skip > disabled > untested. ``blocked`` is what a test says of its other
requirements when it stopped at a failure of one: those were not decided by it. A requirement that no other
test decided is reported ``error`` (results.json knows no ``blocked``); one that another test passed stays
``pass``.

Scope and evidence
    ``disabled`` is *out of scope* (the user narrowed the run, optional configuration is missing, or the
    occasion never arose); ``skip``, ``error`` and ``untested`` of a requirement in scope are *undecided*:
    nothing is credited that was not judged. The verdict is ``conformant`` only when every in-scope MUST (with
    ``strict``, every SHOULD too) passed, ``nonconformant`` when one failed, ``incomplete`` when none failed
    but one is undecided (or nothing is in scope at all), and ``error`` when the run could not be carried out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

SEVERITY = ("untested", "disabled", "skip", "blocked", "pass", "error", "fail")
#: what each outcome of an in-scope requirement counts as in the coverage
COVERAGE_OF = {
    "pass": "passed",
    "fail": "failed",
    "skip": "undecided",
    "error": "undecided",
    "untested": "undecided",
    "disabled": "out_of_scope",
}
COVERED_LEVELS = ("MUST", "SHOULD")
EXIT_CODES = {"conformant": 0, "nonconformant": 1, "incomplete": 4, "error": 3}
NOTHING_IN_SCOPE = "nothing in scope"
UNTESTED_REASON = "no test of this run judged it"


@dataclass
class TestRecord:
    """What one test said. ``verdicts`` maps each requirement it touched to pass/fail/error/skip/disabled;
    ``notes`` gives, for a requirement it did not judge, the short cause and the reason."""

    __test__ = False  # not a pytest test class

    id: str
    name: str
    group: str
    requirements: tuple[str, ...]
    outcome: str  # passed | failed | skipped | error
    verdicts: dict[str, str] = field(default_factory=dict)
    reason: str | None = None
    skip_kind: str | None = None  # disabled | undecided, for a skipped test
    notes: dict[str, tuple[str, str]] = field(default_factory=dict)
    duration_s: float = 0.0
    message: str = ""
    curl: str = ""
    request: str = ""
    response: str = ""

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "group": self.group,
            "requirements": list(self.requirements),
            "outcome": self.outcome,
            "reason": self.reason,
            "duration_s": round(self.duration_s, 3),
            "message": self.message,
            "curl": self.curl,
        }
        if self.skip_kind is not None:
            data["skip_kind"] = self.skip_kind
        if self.notes:
            data["not_judged"] = {req: reason for req, (_, reason) in self.notes.items()}
            data["not_judged_causes"] = {req: cause for req, (cause, _) in self.notes.items()}
        # what the parts of a split run are merged from (conformance._merge)
        data["verdicts"] = dict(self.verdicts)
        if self.request or self.response:
            data["request"], data["response"] = self.request, self.response
        return data

    @classmethod
    def from_json(cls, test: Mapping[str, Any]) -> TestRecord:
        """The record back from its ``results.json`` entry (:meth:`as_json`), as the parts of a split run
        are merged (:mod:`conformance._merge`)."""
        causes = test.get("not_judged_causes") or {}
        notes = test.get("not_judged") or {}
        return cls(
            id=str(test["id"]),
            name=str(test.get("name", test["id"])),
            group=str(test.get("group", "")),
            requirements=tuple(test.get("requirements", ())),
            outcome=str(test["outcome"]),
            verdicts=dict(test.get("verdicts") or {}),
            reason=test.get("reason"),
            skip_kind=test.get("skip_kind"),
            notes={req: (str(causes.get(req, why)), str(why)) for req, why in notes.items()},
            duration_s=float(test.get("duration_s") or 0.0),
            message=str(test.get("message") or ""),
            curl=str(test.get("curl") or ""),
            request=str(test.get("request") or ""),
            response=str(test.get("response") or ""),
        )


def escalate(current: str, new: str) -> str:
    return new if SEVERITY.index(new) > SEVERITY.index(current) else current


def _row(req: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": req["id"],
        "level": req["level"],
        "title": req["title"],
        "source": req.get("source", ""),
        "quote": req.get("quote", ""),
        "outcome": "untested",
        "tests": [],
        "failures": [],
    }


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def roll_up(
    catalog: Sequence[Mapping[str, Any]],
    records: Iterable[TestRecord],
    disabled: Mapping[str, str] | None = None,
    disabled_causes: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """One entry per requirement of the catalog, in catalog order. A requirement that did not pass or fail
    carries a ``reason`` (and, internally, a short ``cause``) taken from the tests that gave its outcome."""
    rows = {req["id"]: _row(req) for req in catalog}
    why: dict[str, dict[str, tuple[str, str]]] = {}  # id -> outcome -> (cause, reason), first one wins
    for record in records:
        for req_id, verdict in record.verdicts.items():
            row = rows.get(req_id)
            if row is None:
                continue
            if record.id not in row["tests"]:
                row["tests"].append(record.id)
            row["outcome"] = escalate(row["outcome"], verdict)
            if verdict in ("skip", "disabled", "error"):
                cause, reason = record.notes.get(req_id) or _record_reason(record, verdict)
                why.setdefault(req_id, {}).setdefault(verdict, (cause, reason))
            if verdict in ("fail", "error", "blocked"):
                row["failures"].append(_failure(record, verdict))
    for row in rows.values():
        if row["outcome"] == "blocked":
            row["outcome"] = "error"
            blocked = row["failures"][0]["message"] if row["failures"] else "a test stopped before it"
            why.setdefault(row["id"], {}).setdefault("error", ("a failure stopped its test", blocked))
        else:
            row["failures"] = [f for f in row["failures"] if f["outcome"] != "blocked"]
    for req_id, reason in (disabled or {}).items():
        row = rows.get(req_id)
        if row is not None and row["outcome"] == "untested":
            row["outcome"] = "disabled"
            cause = (disabled_causes or {}).get(req_id, reason)
            why.setdefault(req_id, {})["disabled"] = (cause, reason)
    for row in rows.values():
        outcome = row["outcome"]
        if outcome in ("pass", "fail"):
            continue
        cause, reason = why.get(row["id"], {}).get(outcome, ("not run", UNTESTED_REASON))
        row["reason"], row["cause"] = _first_line(reason) or reason, cause
    return list(rows.values())


def _record_reason(record: TestRecord, verdict: str) -> tuple[str, str]:
    if verdict == "error":
        text = _first_line(record.message) or "the test could not decide"
        return "suite error", text
    reason = record.reason or "the test had nothing to judge"
    return reason, reason


def _failure(record: TestRecord, verdict: str) -> dict[str, Any]:
    message = record.message
    if verdict == "blocked":
        stopped = ", ".join(r for r, v in record.verdicts.items() if v == "fail")
        message = f"not decided: the test stopped at a failure of {stopped}\n{record.message}"
    return {
        "test": record.id,
        "message": message,
        "curl": record.curl,
        "request": record.request,
        "response": record.response,
        "outcome": verdict,
    }


def coverage_of(requirements: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """MUST and SHOULD counts (passed, failed, undecided, out of scope) and the reasons of what was not
    judged, with their short causes in order of first appearance."""
    coverage: dict[str, Any] = {
        level: {"passed": 0, "failed": 0, "undecided": 0, "out_of_scope": 0} for level in COVERED_LEVELS
    }
    reasons: dict[str, dict[str, str]] = {"out_of_scope": {}, "undecided": {}}
    causes: dict[str, list[str]] = {"out_of_scope": [], "undecided": []}
    for row in requirements:
        if row["level"] not in COVERED_LEVELS:
            continue
        bucket = COVERAGE_OF[row["outcome"]]
        coverage[row["level"]][bucket] += 1
        if bucket in reasons:
            reasons[bucket][row["id"]] = str(row.get("reason") or UNTESTED_REASON)
            cause = str(row.get("cause") or row.get("reason") or "not run")
            if cause not in causes[bucket]:
                causes[bucket].append(cause)
    coverage["out_of_scope_reasons"] = reasons["out_of_scope"]
    coverage["undecided_reasons"] = reasons["undecided"]
    coverage["out_of_scope_causes"] = causes["out_of_scope"]
    coverage["undecided_causes"] = causes["undecided"]
    return coverage


def verdict_of(requirements: Sequence[Mapping[str, Any]], *, strict: bool, aborted: bool = False) -> str:
    """``nonconformant`` when a MUST (with ``strict`` also a SHOULD) failed; ``error`` when the run was cut
    short; ``incomplete`` when one in scope was not judged, or none is in scope; otherwise ``conformant``."""
    levels = {"MUST", "SHOULD"} if strict else {"MUST"}
    gating = [r for r in requirements if r["level"] in levels]
    if any(r["outcome"] == "fail" for r in gating):
        return "nonconformant"
    if aborted:
        return "error"
    in_scope = [r for r in gating if r["outcome"] != "disabled"]
    if not any(r["level"] == "MUST" for r in in_scope):
        return "incomplete"
    if any(COVERAGE_OF[r["outcome"]] == "undecided" for r in in_scope):
        return "incomplete"
    return "conformant"


def coverage_line(requirements: Sequence[Mapping[str, Any]], level: str) -> str:
    """``MUST: 52 passed, 0 failed, 0 undecided, 9 out of scope (no second sandbox; read-only)``: the
    counts of one level, with the causes of what was not judged."""
    counts = {"passed": 0, "failed": 0, "undecided": 0, "out_of_scope": 0}
    causes: dict[str, list[str]] = {"undecided": [], "out_of_scope": []}
    for row in requirements:
        if row["level"] != level:
            continue
        bucket = COVERAGE_OF[row["outcome"]]
        counts[bucket] += 1
        cause = str(row.get("cause") or row.get("reason") or "not run")
        if bucket in causes and cause not in causes[bucket]:
            causes[bucket].append(cause)

    def part(bucket: str, label: str) -> str:
        shown = f"{counts[bucket]} {label}"
        return f"{shown} ({'; '.join(causes[bucket])})" if causes[bucket] else shown

    return (
        f"{level}: {counts['passed']} passed, {counts['failed']} failed, {part('undecided', 'undecided')}, "
        f"{part('out_of_scope', 'out of scope')}"
    )


def build_results(
    *,
    suite: Mapping[str, Any],
    target: Mapping[str, Any],
    catalog: Sequence[Mapping[str, Any]],
    records: Sequence[TestRecord],
    started: dt.datetime,
    duration_s: float,
    strict: bool,
    aborted: str | None = None,
    disabled: Mapping[str, str] | None = None,
    disabled_causes: Mapping[str, str] | None = None,
    jobs: Sequence[Mapping[str, Any]] = (),
    stats: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    requirements = roll_up(catalog, records, disabled, disabled_causes)
    req_counts = {k: 0 for k in ("pass", "fail", "skip", "disabled", "error", "untested")}
    for row in requirements:
        req_counts[row["outcome"]] += 1
    test_counts = {"passed": 0, "failed": 0, "skipped": 0, "errors": 0}
    for record in records:
        test_counts["errors" if record.outcome == "error" else record.outcome] += 1
    verdict = verdict_of(requirements, strict=strict, aborted=aborted is not None)
    coverage = coverage_of(requirements)
    if verdict == "incomplete" and not coverage["undecided_causes"]:
        coverage["undecided_causes"].append(NOTHING_IN_SCOPE)
    results: dict[str, Any] = {
        "suite": dict(suite),
        "target": dict(target),
        "verdict": verdict,
        "started": started.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration_s": round(duration_s, 2),
        "summary": {"requirements": req_counts, "tests": test_counts},
        "coverage": coverage,
        "requirements": requirements,
        "tests": [r.as_json() for r in records],
        "jobs": list(jobs),
    }
    if aborted is not None:
        results["aborted"] = aborted
    if stats:
        results["stats"] = dict(stats)
    return results
