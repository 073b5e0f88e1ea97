"""From test records to per-requirement outcomes, the verdict and the results.json document.

A requirement's outcome is the most severe of what its tests say (a parent result only escalates):
fail > error > pass > blocked > skip > disabled > untested. ``blocked`` is what a test says of its other
requirements when it stopped at a failure of one: those were not decided by it. A requirement that no other
test decided is reported ``error`` (results.json knows no ``blocked``); one that another test passed stays
``pass``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

SEVERITY = ("untested", "disabled", "skip", "blocked", "pass", "error", "fail")
TEST_OUTCOMES = ("passed", "failed", "skipped", "error")


@dataclass
class TestRecord:
    """What one test said. ``verdicts`` maps each requirement it touched to pass/fail/error/skip/disabled."""

    __test__ = False  # not a pytest test class

    id: str
    name: str
    group: str
    requirements: tuple[str, ...]
    outcome: str  # passed | failed | skipped | error
    verdicts: dict[str, str] = field(default_factory=dict)
    reason: str | None = None
    duration_s: float = 0.0
    message: str = ""
    curl: str = ""
    request: str = ""
    response: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
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


def escalate(current: str, new: str) -> str:
    return new if SEVERITY.index(new) > SEVERITY.index(current) else current


def roll_up(
    catalog: Sequence[Mapping[str, Any]],
    records: Iterable[TestRecord],
    disabled: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """One entry per requirement of the catalog, in catalog order."""
    rows: dict[str, dict[str, Any]] = {}
    for req in catalog:
        rows[req["id"]] = {
            "id": req["id"],
            "level": req["level"],
            "title": req["title"],
            "source": req.get("source", ""),
            "quote": req.get("quote", ""),
            "outcome": "untested",
            "tests": [],
            "failures": [],
        }
    for record in records:
        for req_id, verdict in record.verdicts.items():
            row = rows.get(req_id)
            if row is None:
                continue
            if record.id not in row["tests"]:
                row["tests"].append(record.id)
            row["outcome"] = escalate(row["outcome"], verdict)
            if verdict in ("fail", "error", "blocked"):
                message = record.message
                if verdict == "blocked":
                    stopped = ", ".join(r for r, v in record.verdicts.items() if v == "fail")
                    message = f"not decided: the test stopped at a failure of {stopped}\n{record.message}"
                row["failures"].append(
                    {
                        "test": record.id,
                        "message": message,
                        "curl": record.curl,
                        "request": record.request,
                        "response": record.response,
                        "outcome": verdict,
                    }
                )
    for row in rows.values():
        if row["outcome"] == "blocked":
            row["outcome"] = "error"
        else:
            row["failures"] = [f for f in row["failures"] if f["outcome"] != "blocked"]
    for req_id, reason in (disabled or {}).items():
        row = rows.get(req_id)
        if row is not None and row["outcome"] == "untested":
            row["outcome"] = "disabled"
            row["reason"] = reason
    return list(rows.values())


def verdict_of(requirements: Sequence[Mapping[str, Any]], *, strict: bool, aborted: bool = False) -> str:
    """``nonconformant`` when a MUST (with ``strict`` also a SHOULD) failed; ``error`` when one could not be
    decided or the run was cut short; otherwise ``conformant``."""
    levels = {"MUST", "SHOULD"} if strict else {"MUST"}
    gating = [r for r in requirements if r["level"] in levels]
    if any(r["outcome"] == "fail" for r in gating):
        return "nonconformant"
    if aborted or any(r["outcome"] == "error" for r in gating):
        return "error"
    return "conformant"


EXIT_CODES = {"conformant": 0, "nonconformant": 1, "error": 3}


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
    jobs: Sequence[Mapping[str, Any]] = (),
    stats: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    requirements = roll_up(catalog, records, disabled)
    req_counts = {k: 0 for k in ("pass", "fail", "skip", "disabled", "error", "untested")}
    for row in requirements:
        req_counts[row["outcome"]] += 1
    test_counts = {"passed": 0, "failed": 0, "skipped": 0, "errors": 0}
    for record in records:
        test_counts["errors" if record.outcome == "error" else record.outcome] += 1
    results: dict[str, Any] = {
        "suite": dict(suite),
        "target": dict(target),
        "verdict": verdict_of(requirements, strict=strict, aborted=aborted is not None),
        "started": started.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration_s": round(duration_s, 2),
        "summary": {"requirements": req_counts, "tests": test_counts},
        "requirements": requirements,
        "tests": [r.as_json() for r in records],
        "jobs": list(jobs),
    }
    if aborted is not None:
        results["aborted"] = aborted
    if stats:
        results["stats"] = dict(stats)
    return results
