"""Whether the listing and bulk-get show the run's jobs as GET does (``test_lifecycle.py``, ERRATA E-20).

The tracker keeps every copy of a job any answer showed, with its source and time. A copy from a listing or
bulk-get is *stale* when GET had left its status behind longer than the lag tolerance before
(``_lifecycle.stale_views``); once the job has *settled* (GET showed it finished longer than the tolerance
before), a copy shows what one of GET's reads since showed (:data:`SAME`); and every copy lists the job's
segment definitions in the order they were requested. Each endpoint answers for its own copies: the listing
for SJ-LIST-018, bulk-get for SJ-BULK-002.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from conformance._client import ApiClient, Exchange
from conformance._jobs import JobTracker
from conformance._lifecycle import LAG_TOLERANCE_S, TERMINAL, stale_views
from conformance._observed import TrackedJob
from conformance.suite._kit import segment_ids_of
from conformance.suite._listing import _newest_of_segment, _refused

#: the requirement each source's copies answer for
REQUIREMENT = {"list": "SJ-LIST-018", "bulk-get": "SJ-BULK-002"}
SHOWN_BY = {"list": "a listing", "bulk-get": "bulk-get"}
#: what a settled job's copy shows as GET does, each field compared where both carry it
SAME = ("status", "creationTime", "updateTime", "batchId", "metrics")
#: a disagreement: the requirements it fails, what was expected, what came
Problem = tuple[list[str], str, str]
#: the most jobs looked for one by one (``property=id==``) when the listings of their segment definitions
#: did not show them
ID_LOOKUPS = 10


def look_up(api: ApiClient, jobs: Sequence[TrackedJob]) -> None:
    """Shows ``jobs`` to the tracker through the listing and bulk-get: the newest 100 jobs of each segment
    definition they were created for, then (for those not among them) ``property=id==<id>``, until the
    server refuses that path (it may, ERRATA E-25); and one bulk-get per 20 jobs. Judges nothing: the
    answers are the tracker's to read, and other tests judge the answers themselves."""
    segments = dict.fromkeys(
        j.segment_ids[0] for j in jobs if j.segment_ids and isinstance(j.segment_ids[0], str)
    )
    listed: set[str] = set()
    for segment in segments:
        listed |= _ids_of(api.list_jobs(_newest_of_segment(segment)), "children")
    for job in [j for j in jobs if j.id not in listed][:ID_LOOKUPS]:
        if _refused(api.list_jobs({"property": f"id=={job.id}"})):
            break
    ids = [j.id for j in jobs]
    for start in range(0, len(ids), 20):
        api.bulk_get(ids[start : start + 20])


def look_once_settled(api: ApiClient, tracker: JobTracker) -> None:
    """Has the run's live jobs looked up (:func:`look_up`) once one of them has settled: after the lag
    tolerance has passed since the first of them did (no wait when it has), and again, once the tolerance has
    run out for them, for the jobs whose copies showed them behind GET. When still no copy was made after its
    job settled (the job that settled first could not be shown: gone since, removed once cancelled as ERRATA
    E-19 allows, or in the other sandbox), the same once more for the next job to settle."""
    looked_at = -math.inf
    for _ in range(2):
        live = [j for j in list(tracker.jobs.values()) if not j.gone]
        ends = [j.finished_at + LAG_TOLERANCE_S for j in live if j.finished_at is not None]
        due = [t for t in ends if t > looked_at]
        if looked_at > -math.inf and not due:
            return
        if due:
            tracker.sleep_until(min(due) + 0.05)
        looked_at = tracker.now()
        look_up(api, live)
        behind = catching_up(live, looked_at)
        if behind:  # copies behind GET, within the tolerance so far: looked at again once it has run out
            tracker.sleep_until(max(behind.values()) + 0.05)
            look_up(api, [tracker.jobs[i] for i in behind])
        if judged_copies(list(tracker.jobs.values())):
            return


def judged_copies(jobs: Iterable[TrackedJob], tolerance: float = LAG_TOLERANCE_S) -> int:
    """How many copies of the jobs were made longer than the tolerance after their job settled."""
    settled = [(job, job.finished_at) for job in jobs]
    return sum(1 for job, since in settled if since is not None for o in job.views if o.t > since + tolerance)


def catching_up(jobs: Iterable[TrackedJob], since: float) -> dict[str, float]:
    """The jobs of which a copy made at ``since`` or later shows a status GET had left before it, not yet for
    longer than the tolerance (a lag, honest so far); each with when the tolerance runs out."""
    due: dict[str, float] = {}
    for job in jobs:
        history = [(o.t, o.status) for o in job.readings]
        views = [(o.t, o.status) for o in job.views if o.t >= since]
        for _, _, seen_at, _ in stale_views(history, views, tolerance=0.0):
            due[job.id] = max(due.get(job.id, 0.0), seen_at + LAG_TOLERANCE_S)
    return due


def _ids_of(exchange: Exchange, key: str) -> set[str]:
    try:
        body = exchange.json()
    except ValueError:
        return set()
    children = body.get(key) if isinstance(body, dict) else None
    return (
        {str(c.get("id")) for c in children if isinstance(c, dict)} if isinstance(children, list) else set()
    )


def stale_copy(job: TrackedJob, tolerance: float = LAG_TOLERANCE_S) -> Problem | None:
    """The first copy of ``job`` older than the tolerance, as (requirements, expected, got), or None: its
    endpoint's requirement, and SJ-LIFECYCLE-004 when the status GET had left was a finished one."""
    history = [(o.t, o.status) for o in job.readings]
    views = [(o.t, o.status) for o in job.views]
    found = stale_views(history, views, tolerance)
    if not found:
        return None
    t, shown, seen_at, seen = found[0]
    view = next(o for o in job.views if o.t == t and o.status == shown)
    return (
        [REQUIREMENT.get(view.source, "SJ-LIST-018"), *(["SJ-LIFECYCLE-004"] if seen in TERMINAL else [])],
        f"job {job.id} at most {tolerance:g} s behind GET: {seen} or a later status {tolerance:g} s after "
        f"GET showed it {seen}",
        f"{SHOWN_BY.get(view.source, view.source)} showed it {shown} {t - seen_at:.1f} s after GET showed it "
        f"{seen}",
    )


def segments_of(job: TrackedJob) -> list[Any]:
    """The job's segment definitions as GET (or the create answer) last showed them, else as requested (the
    order of the request: SJ-CREATE-003 holds GET to it)."""
    shown = [segment_ids_of(o.body) for o in job.readings if "segments" in o.body]
    return shown[-1] if shown else list(job.segment_ids)


def misordered(job: TrackedJob) -> Problem | None:
    """A copy from a listing or bulk-get whose segment definitions are not the job's, in the same order."""
    wanted = segments_of(job)
    if not wanted:
        return None
    for view in job.views:
        shown = segment_ids_of(view.body)
        if "segments" in view.body and shown != wanted:
            return (
                [REQUIREMENT.get(view.source, "SJ-LIST-018")],
                f"job {job.id} with its segment definitions as GET shows them (as requested): {wanted}",
                f"{SHOWN_BY.get(view.source, view.source)} showed {shown}",
            )
    return None


def differing_fields(copy: dict[str, Any], read: dict[str, Any]) -> list[str]:
    """The fields of :data:`SAME` that both carry with different values."""
    return [k for k in SAME if k in copy and k in read and copy[k] != read[k]]


def unlike_get(job: TrackedJob, tolerance: float = LAG_TOLERANCE_S) -> Problem | None:
    """A copy of the settled job, made longer than the tolerance after it settled, that shows what no read of
    GET since it finished showed (described against the last of those reads); None when every one agrees."""
    since = job.finished_at
    if since is None:
        return None
    reads = [o.body for o in job.readings if o.t >= since]
    for view in job.views:
        if view.t > since + tolerance and all(differing_fields(view.body, read) for read in reads):
            last = reads[-1]
            shown = [
                f"{k} {view.body.get(k)!r} where GET shows {last.get(k)!r}"
                for k in differing_fields(view.body, last)
            ]
            return (
                [REQUIREMENT.get(view.source, "SJ-LIST-018")],
                f"job {job.id}, settled, as GET shows it ({', '.join(SAME)})",
                f"{SHOWN_BY.get(view.source, view.source)} showed " + "; ".join(shown)[:600],
            )
    return None


def disagreement(job: TrackedJob) -> Problem | None:
    """The first disagreement of the job's copies with GET: a stale copy, segment definitions out of order,
    a settled copy unlike GET's."""
    return stale_copy(job) or misordered(job) or unlike_get(job)
