"""Lifecycle: a job moves only along the legal transitions, reaches a finished state in time, and then stays.

The subjects are the fleet's jobs (created together, so the waits overlap) and every other job of the run.
Transitions and updateTime are judged on each job's history: what GET showed of it, by any request of the
suite, its create answer, and the reads of the watcher after its first finished status (``_watch``). A
listing or bulk-get may be served from an index that lags GET by a moment, so what they show is judged apart
(``_agree``): never a status GET left behind more than ``LAG_TOLERANCE_S`` seconds before, and once the job
has settled, the status, times and metrics GET shows (ERRATA E-18, E-20, E-27).
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

import pytest

from conformance._checks import ConformanceFailure, require
from conformance._client import ApiClient
from conformance._jobs import JobTracker
from conformance._lifecycle import TERMINAL, compress, illegal_step
from conformance._observed import Observation, TrackedJob
from conformance._outcomes import Undecided
from conformance.suite import _agree

if TYPE_CHECKING:
    from conformance.suite._fleet import Fleet
    from conformance.suite._kit import Kit

pytestmark = pytest.mark.creates_jobs


def _finished(fleet: Fleet, *roles: str) -> list[TrackedJob]:
    """The roles' jobs (those the fleet has, never the cancelled one), once finished."""
    return fleet.wait_finished([r for r in roles if fleet.has(r)])


def _all_finished(fleet: Fleet) -> list[TrackedJob]:
    """Every job of the fleet, once finished; the cancelled one answers for SJ-CANCEL-003."""
    found = fleet.wait_finished(["cancelled"], "SJ-CANCEL-003") if fleet.has("cancelled") else []
    return found + _finished(fleet, "primary", "secondary", "failing")


def _terminal(job: TrackedJob) -> Observation:
    first = next((o for o in job.readings if o.status in TERMINAL), None)
    assert first is not None, f"job {job.id} was not seen finished"
    return first


def _path(job: TrackedJob) -> str:
    return " -> ".join(compress(job.statuses)) or "nothing"


@pytest.mark.fleet("primary", "failing")
@pytest.mark.requirement("SJ-LIFECYCLE-003", "SJ-CREATE-001", "SJ-LIFECYCLE-001", "SJ-ERROR-001")
def test_jobs_reach_a_finished_state(fleet: Fleet) -> None:
    for job in _finished(fleet, "primary", "failing"):
        require(job.finished, "SJ-LIFECYCLE-003", "a finished status", _path(job))


@pytest.mark.fleet("primary", "failing")
@pytest.mark.requirement(
    "SJ-LIFECYCLE-004",
    "SJ-CREATE-001",
    "SJ-GET-001",
    "SJ-GET-003",
    "SJ-LIFECYCLE-001",
    "SJ-LIFECYCLE-003",
    "SJ-ERROR-001",
    "SJ-HTTP-001",
    "SJ-HTTP-002",
)
def test_a_finished_job_keeps_its_status(fleet: Fleet, kit: Kit) -> None:
    for job in _finished(fleet, "primary", "failing"):
        final = _terminal(job).status
        for _ in range(2):
            exchange, body = kit.read(job.id)
            require(
                body["status"] == final,
                "SJ-LIFECYCLE-004",
                f"the finished job still {final}",
                f"status {body['status']} on a later read",
                exchange,
            )


@pytest.mark.fleet("primary", "failing")
@pytest.mark.requirement(
    "SJ-LIFECYCLE-010",
    "SJ-CREATE-001",
    "SJ-GET-001",
    "SJ-GET-003",
    "SJ-LIFECYCLE-001",
    "SJ-LIFECYCLE-003",
    "SJ-ERROR-001",
    "SJ-HTTP-001",
    "SJ-HTTP-002",
)
def test_a_finished_job_content_no_longer_changes(fleet: Fleet, kit: Kit) -> None:
    for job in _finished(fleet, "primary", "failing"):
        first = _terminal(job).body
        for _ in range(2):
            exchange, body = kit.read(job.id)
            changed = sorted(k for k in set(first) | set(body) if first.get(k) != body.get(k))
            require(
                not changed,
                "SJ-LIFECYCLE-010",
                "the same content on every read of a finished job",
                "changed: " + ", ".join(f"{k} {first.get(k)!r} -> {body.get(k)!r}" for k in changed)[:600],
                exchange,
            )


def _succeeded_bodies(jobs: JobTracker) -> list[dict[str, Any]]:
    return [o.body for j in list(jobs.jobs.values()) for o in j.observations if o.status == "SUCCEEDED"]


@pytest.mark.fleet("primary")
@pytest.mark.requirement(
    "SJ-LIFECYCLE-005",
    "SJ-CREATE-001",
    "SJ-LIFECYCLE-001",
    "SJ-LIFECYCLE-003",
    "SJ-ERROR-001",
)
def test_a_succeeded_job_carries_a_batch_id(fleet: Fleet, jobs: JobTracker) -> None:
    _finished(fleet, "primary")
    bodies = _succeeded_bodies(jobs)
    if not bodies:
        raise Undecided(
            f"no job was seen SUCCEEDED (the primary job went {_path(fleet.tracked('primary'))})",
            cause="no job succeeded",
        )
    for body in bodies:
        batch = body.get("batchId")
        require(
            isinstance(batch, str) and batch,
            "SJ-LIFECYCLE-005",
            "a SUCCEEDED job with a batchId",
            f"job {body.get('id')}: batchId {batch!r}",
        )


@pytest.mark.fleet("primary")
@pytest.mark.requirement(
    "SJ-LIFECYCLE-006",
    "SJ-CREATE-001",
    "SJ-LIFECYCLE-001",
    "SJ-LIFECYCLE-003",
    "SJ-ERROR-001",
)
def test_a_succeeded_job_carries_complete_metrics(fleet: Fleet, jobs: JobTracker) -> None:
    _finished(fleet, "primary")
    bodies = _succeeded_bodies(jobs)
    if not bodies:
        raise Undecided(
            f"no job was seen SUCCEEDED (the primary job went {_path(fleet.tracked('primary'))})",
            cause="no job succeeded",
        )
    for body in bodies:
        metrics = body.get("metrics")
        total = metrics.get("totalTime") if isinstance(metrics, dict) else None
        where = f"job {body.get('id')}: metrics.totalTime {total!r}"
        require(isinstance(total, dict), "SJ-LIFECYCLE-006", "metrics.totalTime on a SUCCEEDED job", where)
        assert isinstance(total, dict)
        start, end, span = (total.get(k) for k in ("startTimeInMs", "endTimeInMs", "totalTimeInMs"))
        require(
            all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end, span)),
            "SJ-LIFECYCLE-006",
            "integer startTimeInMs, endTimeInMs and totalTimeInMs",
            where,
        )
        assert isinstance(start, int) and isinstance(end, int) and isinstance(span, int)
        require(start <= end, "SJ-LIFECYCLE-006", "startTimeInMs <= endTimeInMs", where)
        require(
            span == end - start, "SJ-LIFECYCLE-006", "totalTimeInMs == endTimeInMs - startTimeInMs", where
        )


@pytest.mark.fleet("primary")
@pytest.mark.requirement(
    "SJ-LIFECYCLE-011",
    "SJ-CREATE-001",
    "SJ-LIFECYCLE-001",
    "SJ-LIFECYCLE-003",
    "SJ-ERROR-001",
)
def test_a_succeeded_job_reports_its_audience_size(fleet: Fleet, jobs: JobTracker) -> None:
    _finished(fleet, "primary")
    bodies = _succeeded_bodies(jobs)
    if not bodies:
        raise Undecided(
            f"no job was seen SUCCEEDED (the primary job went {_path(fleet.tracked('primary'))})",
            cause="no job succeeded",
        )
    for body in bodies:
        metrics = body.get("metrics")
        metrics = metrics if isinstance(metrics, dict) else {}
        total, counter = metrics.get("totalProfiles"), metrics.get("segmentedProfileCounter")
        require(
            isinstance(total, int) or isinstance(counter, dict),
            "SJ-LIFECYCLE-011",
            "metrics.totalProfiles or metrics.segmentedProfileCounter on a SUCCEEDED job",
            f"job {body.get('id')}: totalProfiles {total!r}, segmentedProfileCounter {counter!r}",
        )


@pytest.mark.needs("failing_segment_id")
@pytest.mark.fleet("failing")
@pytest.mark.requirement(
    "SJ-LIFECYCLE-007",
    "SJ-CREATE-001",
    "SJ-GET-001",
    "SJ-GET-003",
    "SJ-LIFECYCLE-001",
    "SJ-LIFECYCLE-003",
    "SJ-ERROR-001",
    "SJ-HTTP-001",
    "SJ-HTTP-002",
)
def test_a_failed_job_carries_its_errors(fleet: Fleet, kit: Kit) -> None:
    (job,) = _finished(fleet, "failing")
    final = _terminal(job)
    if final.status != "FAILED":
        raise Undecided(
            f"the job on SEGJOBS_FAILING_SEGMENT_ID ended {final.status}, not FAILED",
            cause="no job failed",
        )
    exchange, body = kit.read(job.id)
    errors = body.get("errors")
    require(
        isinstance(errors, list) and errors and all(isinstance(e, dict) for e in errors),
        "SJ-LIFECYCLE-007",
        "a non-empty errors array of objects on a FAILED job",
        f"errors {errors!r}",
        exchange,
    )


@pytest.mark.after_all
@pytest.mark.fleet("primary", "secondary", "failing", "cancelled")
@pytest.mark.requirement(
    "SJ-LIFECYCLE-002",
    "SJ-LIFECYCLE-001",
    "SJ-CREATE-001",
    "SJ-LIFECYCLE-003",
    "SJ-LIFECYCLE-004",
    "SJ-CANCEL-003",
    "SJ-ERROR-001",
)
def test_observed_statuses_follow_the_legal_transitions(fleet: Fleet, jobs: JobTracker) -> None:
    """Run last, over every job of the run, once the reads after each job's first finished status are done
    (``_watch``): a status that changes after it, even for a moment, is seen."""
    _all_finished(fleet)
    jobs.settle()
    for job in list(jobs.jobs.values()):
        step = illegal_step(job.statuses)
        if step is not None:
            requirement = "SJ-LIFECYCLE-004" if step[0] in TERMINAL else "SJ-LIFECYCLE-002"
            raise ConformanceFailure(
                requirement,
                "statuses that follow the lifecycle of ERRATA E-20",
                f"job {job.id}: {step[0]} -> {step[1]} (seen: {_path(job)})",
            )


def _field_series(observations: list[Observation], name: str) -> list[tuple[str, Any]]:
    return [(o.status, o.body[name]) for o in observations if name in o.body]


@pytest.mark.fleet("primary", "secondary", "failing", "cancelled")
@pytest.mark.requirement(
    "SJ-LIFECYCLE-008",
    "SJ-CREATE-001",
    "SJ-CANCEL-003",
    "SJ-LIFECYCLE-001",
    "SJ-LIFECYCLE-003",
    "SJ-ERROR-001",
)
def test_creation_time_never_changes(fleet: Fleet, jobs: JobTracker) -> None:
    _all_finished(fleet)
    for job in list(jobs.jobs.values()):
        values = _field_series(job.observations, "creationTime")  # every source: it never changes
        distinct = list(dict.fromkeys(v for _, v in values))
        require(
            len(distinct) <= 1,
            "SJ-LIFECYCLE-008",
            "the same creationTime on every read",
            f"job {job.id}: creationTime {' -> '.join(map(str, distinct))}",
        )


@pytest.mark.fleet("primary", "secondary", "failing", "cancelled")
@pytest.mark.requirement(
    "SJ-LIFECYCLE-009",
    "SJ-CREATE-001",
    "SJ-CANCEL-003",
    "SJ-LIFECYCLE-001",
    "SJ-LIFECYCLE-003",
    "SJ-ERROR-001",
)
def test_update_time_never_goes_backwards(fleet: Fleet, jobs: JobTracker) -> None:
    _all_finished(fleet)
    for job in list(jobs.jobs.values()):
        values = [(s, v) for s, v in _field_series(job.readings, "updateTime") if isinstance(v, int | float)]
        for (s1, v1), (s2, v2) in itertools.pairwise(values):
            require(
                v2 >= v1,
                "SJ-LIFECYCLE-009",
                "updateTime that never decreases",
                f"job {job.id}: updateTime {v1} ({s1}) then {v2} ({s2})",
            )


@pytest.mark.after_all
@pytest.mark.fleet("primary", "secondary", "failing", "cancelled")
@pytest.mark.requirement(
    "SJ-LIST-018",
    "SJ-BULK-002",
    "SJ-LIFECYCLE-004",
    "SJ-LIFECYCLE-001",
    "SJ-CREATE-001",
    "SJ-LIFECYCLE-003",
    "SJ-CANCEL-003",
    "SJ-ERROR-001",
)
def test_listings_and_bulk_get_agree_with_get_once_a_job_has_settled(
    fleet: Fleet, jobs: JobTracker, api: ApiClient
) -> None:
    """Run last, over every copy of the run's jobs that a listing or bulk-get showed, and those of a listing
    (by segment definition, else by id) and a bulk-get of its own, made once a job has settled
    (``_agree.look_once_settled``: it waits out the lag tolerance only when no job has settled that long
    ago). No copy shows a status GET had left behind longer
    than the tolerance before; every copy lists the segment definitions in the order requested; a copy of a
    settled job shows its status, times, batchId and metrics as GET does (ERRATA E-20). The tracker observes
    what each answer shows; refusals and odd answers are other tests' to judge."""
    _all_finished(fleet)
    jobs.settle()
    _agree.look_once_settled(api, jobs)
    for job in list(jobs.jobs.values()):
        disagreement = _agree.disagreement(job)
        if disagreement is not None:
            raise ConformanceFailure(*disagreement)
    if not _agree.judged_copies(list(jobs.jobs.values())):
        raise Undecided(
            "no listing or bulk-get showed a settled job of the run after the lag tolerance",
            cause="nothing to judge",
        )
