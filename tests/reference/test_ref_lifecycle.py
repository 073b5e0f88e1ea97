"""A job's life: the pure timeline, and the same life seen through the API on a fake clock."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from conformance.reference import lifecycle
from conformance.reference.lifecycle import Status, Timeline

LEGAL_NEXT = {
    "NEW": {"QUEUED", "PROCESSING", "SUCCEEDED", "FAILED", "CANCELLING", "CANCELLED"},
    "QUEUED": {"PROCESSING", "SUCCEEDED", "FAILED", "CANCELLING", "CANCELLED"},
    "PROCESSING": {"SUCCEEDED", "FAILED", "CANCELLING", "CANCELLED"},
    "CANCELLING": {"CANCELLED"},
    "SUCCEEDED": set(),
    "FAILED": set(),
    "CANCELLED": set(),
}


# -- the pure timeline ----------------------------------------------------------------------------------


def test_plan_moves_at_10_25_and_100_percent() -> None:
    timeline = lifecycle.plan(created_ms=1000, duration_ms=1000, outcome=Status.SUCCEEDED)
    assert [(t.status, t.at_ms) for t in timeline.transitions()] == [
        (Status.NEW, 1000),
        (Status.QUEUED, 1100),
        (Status.PROCESSING, 1250),
        (Status.SUCCEEDED, 2000),
    ]
    statuses = {
        ms: lifecycle.progress_at(timeline, ms).status for ms in (1000, 1099, 1100, 1249, 1250, 1999, 2000)
    }
    assert statuses == {
        1000: Status.NEW,
        1099: Status.NEW,
        1100: Status.QUEUED,
        1249: Status.QUEUED,
        1250: Status.PROCESSING,
        1999: Status.PROCESSING,
        2000: Status.SUCCEEDED,
    }


def test_progress_before_creation_is_new() -> None:
    timeline = lifecycle.plan(created_ms=1000, duration_ms=1000, outcome=Status.SUCCEEDED)
    assert lifecycle.progress_at(timeline, 0).status == Status.NEW


def test_progress_is_monotonic_and_a_walk_on_the_legal_graph() -> None:
    timeline = lifecycle.plan(created_ms=0, duration_ms=1000, outcome=Status.FAILED)
    cancelled = lifecycle.cancel(timeline, 500)
    assert cancelled is not None
    for plan in (timeline, cancelled):
        previous = lifecycle.progress_at(plan, 0)
        for now in range(0, 3000, 7):
            current = lifecycle.progress_at(plan, now)
            assert current.since_ms >= previous.since_ms
            assert (
                current.status == previous.status or current.status.value in LEGAL_NEXT[previous.status.value]
            )
            previous = current


def test_cancel_goes_through_cancelling_for_a_tenth_of_the_duration() -> None:
    timeline = lifecycle.plan(created_ms=0, duration_ms=2000, outcome=Status.SUCCEEDED)
    cancelled = lifecycle.cancel(timeline, 700)
    assert cancelled is not None
    assert [(t.status, t.at_ms) for t in cancelled.transitions()] == [
        (Status.NEW, 0),
        (Status.QUEUED, 200),
        (Status.PROCESSING, 500),
        (Status.CANCELLING, 700),
        (Status.CANCELLED, 900),
    ]


def test_cancelling_lasts_at_least_50_ms() -> None:
    assert lifecycle.cancelling_ms(100) == 50
    assert lifecycle.cancelling_ms(10_000) == 1000


def test_direct_cancel_skips_cancelling() -> None:
    timeline = lifecycle.plan(created_ms=0, duration_ms=1000, outcome=Status.SUCCEEDED)
    cancelled = lifecycle.cancel(timeline, 50, direct=True)
    assert cancelled is not None
    assert [t.status for t in cancelled.transitions()] == [Status.NEW, Status.CANCELLED]


def test_cancel_changes_nothing_once_finished_or_cancelling() -> None:
    timeline = lifecycle.plan(created_ms=0, duration_ms=1000, outcome=Status.SUCCEEDED)
    assert lifecycle.cancel(timeline, 1000) is None  # finished exactly now
    cancelled = lifecycle.cancel(timeline, 300)
    assert cancelled is not None
    assert lifecycle.cancel(cancelled, 310) is None  # CANCELLING
    assert lifecycle.cancel(cancelled, 5000) is None  # CANCELLED


def test_a_delayed_cancel_cuts_the_plan_later_and_the_job_no_longer_ends_on_its_own() -> None:
    timeline = lifecycle.plan(created_ms=0, duration_ms=1000, outcome=Status.SUCCEEDED)
    pending = lifecycle.cancel(timeline, 50, delay_ms=1200)  # NEW at 50 ms; planned to end at 1000
    assert pending is not None
    assert [(t.status, t.at_ms) for t in pending.transitions()] == [
        (Status.NEW, 0),
        (Status.QUEUED, 100),
        (Status.PROCESSING, 250),
        (Status.CANCELLING, 1250),
        (Status.CANCELLED, 1350),
    ]
    assert lifecycle.cancel(pending, 60) is None  # pending: a second cancel changes nothing
    assert lifecycle.cancel(pending, 60, delay_ms=10) is None
    direct = lifecycle.cancel(timeline, 50, direct=True, delay_ms=100)
    assert direct is not None
    assert [t.status for t in direct.transitions()] == [Status.NEW, Status.QUEUED, Status.CANCELLED]


def test_cancel_even_finished_reopens_only_succeeded_jobs() -> None:
    succeeded = lifecycle.plan(created_ms=0, duration_ms=1000, outcome=Status.SUCCEEDED)
    reopened = lifecycle.cancel(succeeded, 1500, even_finished=True)
    assert reopened is not None
    assert lifecycle.progress_at(reopened, 9999).status == Status.CANCELLED
    failed = lifecycle.plan(created_ms=0, duration_ms=1000, outcome=Status.FAILED)
    assert lifecycle.cancel(failed, 1500, even_finished=True) is None


def test_a_job_without_outcome_never_ends() -> None:
    timeline = Timeline(created_ms=0, duration_ms=1000, outcome=None)
    assert lifecycle.progress_at(timeline, 10**12).status == Status.PROCESSING


def test_plan_refuses_a_non_final_outcome() -> None:
    with pytest.raises(ValueError, match="SUCCEEDED or FAILED"):
        lifecycle.plan(0, 1000, Status.QUEUED)


# -- the same life through the API ----------------------------------------------------------------------


def test_job_moves_new_queued_processing_succeeded_as_time_passes(api: Any) -> None:
    job = api.create()
    assert job["status"] == "NEW"
    assert "computeGatewayJobId" not in job and "metrics" not in job and "batchId" not in job

    api.advance(0.1)
    queued = api.get(job["id"])
    assert queued["status"] == "QUEUED"
    assert isinstance(queued["computeGatewayJobId"], str)
    assert "computeJobId" not in queued

    api.advance(0.15)
    processing = api.get(job["id"])
    assert processing["status"] == "PROCESSING"
    assert isinstance(processing["computeJobId"], int)
    assert processing["metrics"]["totalTime"] == {"startTimeInMs": processing["updateTime"]}
    assert "batchId" not in processing

    api.advance(0.75)
    done = api.get(job["id"])
    assert done["status"] == "SUCCEEDED"
    total = done["metrics"]["totalTime"]
    assert total["startTimeInMs"] <= total["endTimeInMs"]
    assert total["totalTimeInMs"] == total["endTimeInMs"] - total["startTimeInMs"]
    assert isinstance(done["batchId"], str)
    assert set(done["metrics"]["segmentedProfileCounter"]) == {s["segmentId"] for s in done["segments"]}
    assert done["creationTime"] == job["creationTime"]
    assert "errors" not in done


def test_values_revealed_early_do_not_change_later(api: Any) -> None:
    job = api.create()
    api.advance(0.3)
    processing = api.get(job["id"])
    api.advance(1)
    done = api.get(job["id"])
    for field in ("computeGatewayJobId", "computeJobId", "requestId", "segments", "sandbox", "_links"):
        assert done[field] == processing[field]


def test_failing_segment_definition_ends_failed_with_errors(api: Any) -> None:
    job = api.create(api.settings.segment_ids[0], api.settings.failing_segment_id)
    api.advance(1.0)
    failed = api.get(job["id"])
    assert failed["status"] == "FAILED"
    assert failed["errors"] and all({"code", "msg"} <= set(error) for error in failed["errors"])
    assert api.settings.failing_segment_id in failed["errors"][0]["msg"]
    assert "batchId" not in failed


def test_cancel_moves_to_cancelling_then_cancelled(api: Any) -> None:
    job = api.create()
    api.advance(0.3)
    assert api.cancel(job["id"]).status_code == 204
    cancelling = api.get(job["id"])
    assert cancelling["status"] == "CANCELLING"
    assert cancelling["updateTime"] == api.clock.ms
    api.advance(0.099)
    assert api.status(job["id"]) == "CANCELLING"
    api.advance(0.002)
    cancelled = api.get(job["id"])
    assert cancelled["status"] == "CANCELLED"
    assert cancelled["updateTime"] == cancelling["updateTime"] + 100
    api.advance(10)
    assert api.status(job["id"]) == "CANCELLED"


def test_cancel_of_a_new_job_works(api: Any) -> None:
    job = api.create()
    assert api.cancel(job["id"]).status_code == 204
    assert api.status(job["id"]) == "CANCELLING"
    api.advance(1)
    assert api.status(job["id"]) == "CANCELLED"


def test_cancel_of_a_finished_job_changes_nothing(api: Any) -> None:
    job = api.create()
    api.advance(2)
    before = api.get(job["id"])
    response = api.cancel(job["id"])
    assert response.status_code == 204
    api.advance(1)
    assert api.get(job["id"]) == before


def test_cancel_of_a_cancelling_job_changes_nothing(api: Any) -> None:
    job = api.create()
    api.cancel(job["id"])
    first = api.get(job["id"])
    api.advance(0.01)
    assert api.cancel(job["id"]).status_code == 204
    assert api.get(job["id"]) == first


@pytest.mark.parametrize("segment", ["succeeding", "failing"])
def test_finished_jobs_never_change(api: Any, segment: str) -> None:
    segment_id = api.settings.failing_segment_id if segment == "failing" else api.settings.segment_ids[0]
    job = api.create(segment_id)
    api.advance(1.0)
    finished = api.get(job["id"])
    for _ in range(5):
        api.advance(3600)
        assert api.get(job["id"]) == finished


def test_update_time_never_decreases_and_update_epoch_follows_it(api: Any) -> None:
    jobs = [api.create() for _ in range(3)]
    api.cancel(jobs[1]["id"])
    seen: dict[str, list[dict[str, Any]]] = {job["id"]: [job] for job in jobs}
    for _ in range(30):
        api.advance(0.045)
        for job in jobs:
            seen[job["id"]].append(api.get(job["id"]))
    for observations in seen.values():
        statuses = [o["status"] for o in observations]
        for before, after in itertools.pairwise(observations):
            assert after["updateTime"] >= before["updateTime"]
            assert after["creationTime"] == before["creationTime"]
            assert after["status"] == before["status"] or after["status"] in LEGAL_NEXT[before["status"]]
        for o in observations:
            assert o["updateEpoch"] == o["updateTime"] // 1000
            assert o["updateTime"] >= o["creationTime"]
        assert statuses[-1] in {"SUCCEEDED", "CANCELLED"}


def test_status_never_goes_back_when_the_clock_does(api: Any) -> None:
    job = api.create()
    api.advance(0.5)
    assert api.status(job["id"]) == "PROCESSING"
    api.advance(-0.45)
    assert api.status(job["id"]) == "PROCESSING"


def test_job_duration_is_fixed_at_creation(make_api: Any, fake_clock: Any, tmp_path: Any) -> None:
    """A restart with another --job-seconds does not change the life of the jobs already there."""
    db = str(tmp_path / "shared.db")
    first = make_api(clock=fake_clock, db_path=db, job_seconds=10)
    job = first.create()
    first.server.stop()
    second = make_api(clock=fake_clock, db_path=db, job_seconds=0.1)
    fake_clock.advance(1)
    assert second.status(job["id"]) == "QUEUED"
