"""The end of a run in the terminal: every requirement that did not pass with why, the coverage of MUST and
SHOULD, the seed and the verdict. Pure text from a results dict (the plugin prints it)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from conformance._results import coverage_line

MARKS = {"pass": "PASS", "fail": "FAIL", "error": "ERROR", "skip": "SKIP", "disabled": "OFF", "untested": "-"}
INDENT = " " * 33
#: out-of-scope requirements are listed individually up to this many per reason, then counted
MAX_IDS_PER_REASON = 8


def notes_of(row: Mapping[str, Any]) -> list[str]:
    """Two or three short lines under a requirement that did not pass: what was expected and what came,
    the test, and how to reproduce it; or why it was not judged."""
    failure = row["failures"][0] if row["failures"] else None
    if failure is None or row["outcome"] not in ("fail", "error"):
        return [f"not judged: {row['reason']}"] if row.get("reason") else []
    lines = [ln.strip() for ln in str(failure["message"]).splitlines() if ln.strip()]
    notes = [ln for ln in lines if ln.startswith(("expected:", "got:", "not decided:"))][:3]
    if not notes and lines:
        notes = [lines[0][:160]]
    notes.append(f"in {failure['test']}")
    if failure.get("curl"):
        notes.append(str(failure["curl"])[:300])
    more = len(row["failures"]) - 1
    if more > 0:
        notes.append(f"(and {more} more: see report.html)")
    return notes


def _row_line(row: Mapping[str, Any]) -> str:
    return f"{MARKS[row['outcome']]:<6} {row['level']:<6} {row['id']:<18} {row['title']}"


def lines(results: Mapping[str, Any], *, verbose: bool = False) -> Iterator[str]:
    """The summary, line by line (without the verdict line, which the caller styles)."""
    rows = results["requirements"]
    for row in rows:
        if row["outcome"] in ("fail", "error", "skip", "untested") or (verbose and row["outcome"] == "pass"):
            if row["outcome"] == "untested" and row["level"] == "MAY":
                continue
            yield _row_line(row)
            for note in notes_of(row):
                yield INDENT + note
    yield from _out_of_scope(rows, verbose=verbose)
    counts = results["summary"]["requirements"]
    yield ""
    yield "requirements: " + ", ".join(f"{v} {k}" for k, v in counts.items() if v)
    for level in ("MUST", "SHOULD"):
        yield coverage_line(rows, level)
    seed = results.get("suite", {}).get("seed")
    if seed is not None:
        yield f"seed: {seed} (the same --seed reproduces the generated data)"
    judged = results.get("stats", {}).get("answers_judged")
    if judged:
        yield f"answers: {judged} judged by the rules of every answer (no 5xx; JSON declared and parsed)"
    rate = results.get("stats", {}).get("rate") or {}
    if rate.get("cap"):
        achieved = rate.get("achieved_per_s")
        shown = f"{achieved:g}/s" if achieved is not None else "no rate (fewer than two requests)"
        active = f"{rate['requests']} requests in {rate['active_s']:g} s"
        yield f"rate: {active}, {shown} (--rate-limit {rate['cap']})"
    shard = (results.get("run") or {}).get("shard")
    if shard:
        yield (
            f"shard: {shard} of a run (the other shards' requirements are out of scope here): "
            "`segjobs-conformance merge` of every shard's results.json gives the run's verdict"
        )
    if results.get("aborted"):
        yield f"run stopped: {results['aborted']}"


def _out_of_scope(rows: list[Mapping[str, Any]], *, verbose: bool) -> Iterator[str]:
    """Out-of-scope requirements grouped by reason, so a narrowed run stays readable."""
    by_reason: dict[str, list[str]] = {}
    for row in rows:
        if row["outcome"] == "disabled":
            by_reason.setdefault(str(row.get("reason") or "out of scope"), []).append(row["id"])
    for reason, ids in by_reason.items():
        shown = ids if verbose or len(ids) <= MAX_IDS_PER_REASON else ids[:MAX_IDS_PER_REASON]
        more = f" and {len(ids) - len(shown)} more" if len(shown) < len(ids) else ""
        yield f"{MARKS['disabled']:<6} {len(ids)} out of scope: {reason}"
        yield INDENT + ", ".join(shown) + more


def verdict_line(results: Mapping[str, Any], results_path: object) -> str:
    return f"verdict: {results['verdict'].upper()}  (results: {results_path})"
