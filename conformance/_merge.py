"""The parts of one run made one: the workers of a machine (``--workers``), the shards of a fleet
(``--shard I/N``, then ``segjobs-conformance merge``).

Each part's ``results.json`` holds its test records with the verdict each gave every requirement, so the
merged outcomes are rolled up from all records at once, exactly as one process running every test would have
rolled them up (:func:`conformance._results.build_results`). A record several parts hold (a test every part
runs, the record of every answer) is combined: each requirement gets the most severe verdict any part gave,
the test the worst outcome with that part's message. A requirement out of scope in every part is out of scope
with the reason a part gave that is not "another shard".

Only parts of one run merge: the same suite version and spec, seed, target, profile, strictness and number of
shards, each shard exactly once. Anything else is a :class:`MergeError` naming the difference.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from conformance._results import SEVERITY, TestRecord, build_results
from conformance._shard import SHARD_CAUSE

#: what must be equal in every part: (where in results.json, what it is called in an error)
SAME: tuple[tuple[tuple[str, str], str], ...] = (
    (("suite", "version"), "suite versions"),
    (("suite", "spec_sha256"), "spec versions"),
    (("suite", "seed"), "seeds"),
    (("target", "base_url"), "targets"),
    (("target", "profile"), "profiles"),
    (("run", "strict"), "--strict settings"),
)
#: test outcomes, least to most severe
OUTCOMES = ("skipped", "passed", "error", "failed")
#: stats that add up over the parts
SUMMED = (
    "requests",
    "jobs_planned",
    "jobs_created",
    "create_requests",
    "jobs_cancelled_at_end",
    "answers_judged",
    "tokens_minted",
    "tokens_renewed_after_expiry",
)


class MergeError(ValueError):
    """The files are not parts of one run."""


def combine(records: Sequence[TestRecord]) -> list[TestRecord]:
    """One record per test id, in order of first appearance (see the module's docstring)."""
    by_id: dict[str, TestRecord] = {}
    for record in records:
        known = by_id.get(record.id)
        if known is None:
            by_id[record.id] = record
            continue
        worse = record if OUTCOMES.index(record.outcome) > OUTCOMES.index(known.outcome) else known
        verdicts = dict(known.verdicts)
        for req, verdict in record.verdicts.items():
            mine = verdicts.get(req)
            verdicts[req] = (
                verdict if mine is None or SEVERITY.index(verdict) > SEVERITY.index(mine) else mine
            )
        by_id[record.id] = TestRecord(
            id=worse.id,
            name=worse.name,
            group=worse.group,
            requirements=tuple(dict.fromkeys((*known.requirements, *record.requirements))),
            outcome=worse.outcome,
            verdicts=verdicts,
            reason=worse.reason,
            skip_kind=worse.skip_kind,
            notes={**record.notes, **known.notes, **worse.notes},
            duration_s=max(known.duration_s, record.duration_s),
            message=worse.message,
            curl=worse.curl,
            request=worse.request,
            response=worse.response,
        )
    return list(by_id.values())


def _get(results: Mapping[str, Any], path: tuple[str, str]) -> Any:
    if path == ("target", "base_url") and (results.get("target") or {}).get("embedded"):
        return "(embedded reference server)"  # each shard started its own, on a port of its own
    return (results.get(path[0]) or {}).get(path[1])


def check_parts(parts: Sequence[Mapping[str, Any]], names: Sequence[str]) -> None:
    """Raises :class:`MergeError` unless the parts are the shards of one run, each exactly once."""
    if not parts:
        raise MergeError("nothing to merge")
    for path, what in SAME:
        values = {repr(_get(p, path)) for p in parts}
        if len(values) > 1:
            shown = ", ".join(f"{n}: {_get(p, path)}" for n, p in zip(names, parts, strict=True))
            raise MergeError(f"these are not parts of one run: different {what} ({shown})")
    shards = [_get(p, ("run", "shard")) for p in parts]
    if any(s is None for s in shards):
        unsharded = [n for n, s in zip(names, shards, strict=True) if s is None]
        raise MergeError(f"{', '.join(unsharded)}: not a shard (run with --shard I/N)")
    counts = {str(s).split("/")[1] for s in shards}
    if len(counts) > 1:
        raise MergeError(f"the shards split the run differently: {', '.join(str(s) for s in shards)}")
    count = int(counts.pop())
    seen: dict[str, str] = {}
    for name, shard in zip(names, shards, strict=True):
        if shard in seen:
            raise MergeError(f"shard {shard} is given twice: {seen[shard]} and {name}")
        seen[str(shard)] = name
    missing = [f"{i}/{count}" for i in range(1, count + 1) if f"{i}/{count}" not in seen]
    if missing:
        raise MergeError(f"shard {', '.join(missing)} is missing: a merged run needs every shard")


def _disabled(parts: Sequence[Mapping[str, Any]]) -> dict[str, tuple[str, str]]:
    """Requirement -> (cause, reason) of those out of scope in some part; a reason other than "another
    shard" wins."""
    found: dict[str, tuple[str, str]] = {}
    for part in parts:
        for row in part.get("requirements", ()):
            if row.get("outcome") != "disabled":
                continue
            cause = str(row.get("cause") or row.get("reason") or "")
            known = found.get(row["id"])
            if known is None or (known[0] == SHARD_CAUSE and cause != SHARD_CAUSE):
                found[row["id"]] = (cause, str(row.get("reason") or cause))
    return found


def _stats(parts: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    stats: dict[str, Any] = {}
    for part in parts:
        for key, value in (part.get("stats") or {}).items():
            if key in SUMMED and isinstance(value, int):
                stats[key] = stats.get(key, 0) + value
            elif key == "max_duration_reached":
                stats[key] = bool(stats.get(key)) or bool(value)
            else:
                stats.setdefault(key, value)
    stats["parts"] = [
        {
            "part": (p.get("run") or {}).get("part"),
            **{k: (p.get("stats") or {}).get(k) for k in ("requests", "rate")},
        }
        for p in parts
    ]
    return stats


def merge(
    parts: Sequence[Mapping[str, Any]],
    *,
    catalog: Sequence[Mapping[str, Any]],
    run: Mapping[str, Any],
    duration_s: float | None = None,
    aborted: str | None = None,
) -> dict[str, Any]:
    """One ``results.json`` of the parts (already checked to be parts of one run). ``run`` is the merged
    run's own ``run`` entry; ``duration_s`` its wall time (default: the longest part's)."""
    first = parts[0]
    records = combine([TestRecord.from_json(t) for p in parts for t in p.get("tests", ())])
    disabled = _disabled(parts)
    started = min(dt.datetime.strptime(p["started"], "%Y-%m-%dT%H:%M:%SZ") for p in parts)
    aborted = aborted or next((str(p["aborted"]) for p in parts if p.get("aborted")), None)
    results = build_results(
        suite=first["suite"],
        target=first["target"],
        catalog=catalog,
        records=records,
        started=started.replace(tzinfo=dt.timezone.utc),
        duration_s=duration_s
        if duration_s is not None
        else max(float(p.get("duration_s", 0)) for p in parts),
        strict=bool(_get(first, ("run", "strict"))),
        aborted=aborted,
        disabled={req: reason for req, (_, reason) in disabled.items()},
        disabled_causes={req: cause for req, (cause, _) in disabled.items()},
        jobs=[job for p in parts for job in p.get("jobs", ())],
        stats=_stats(parts),
    )
    results["run"] = dict(run)
    return results
