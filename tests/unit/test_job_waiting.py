"""The tracker's shared waiting on a fake clock: a cancel's effect polled for until its deadline, progress
lines while it waits, and the run's deadline (``--max-duration``) cutting a wait short."""

from __future__ import annotations

import itertools

import pytest
from fake_target import job_of, tracked_target

from conformance._jobs import (
    PROGRESS_AFTER_S,
    PROGRESS_EVERY_S,
    RUN_DEADLINE_CAUSE,
    RUN_DEADLINE_REASON,
    progress_line,
)
from conformance._outcomes import Undecided


# -- a cancel's effect -------------------------------------------------------------------------------
def test_a_cancel_applied_later_is_waited_for() -> None:
    fake, api, jobs = tracked_target(cancel_delay=0.6)
    job_id = job_of(api, jobs)
    fake.clock.now += 1.5  # PROCESSING
    assert api.cancel_job(job_id).status == 204
    effect = jobs.wait_cancel_effect(job_id, jobs.now())
    assert effect.outcome == "cancelled"
    assert effect.ran_on  # GET still showed it running just after the 204
    assert effect.seen[0] == "PROCESSING" and effect.seen[-1] == "CANCELLED"
    assert 0.6 <= effect.waited_s < jobs.cancel_timeout


def test_a_cancel_that_never_shows_is_judged_at_the_cancel_deadline() -> None:
    _fake, api, jobs = tracked_target(cancel_delay=None, job_seconds=20.0, cancel_timeout=5.0)
    job_id = job_of(api, jobs)
    api.cancel_job(job_id)
    effect = jobs.wait_cancel_effect(job_id, jobs.now())
    assert effect.outcome == "running"
    assert effect.path == "NEW -> PROCESSING"
    assert effect.waited_s == pytest.approx(5.0)


def test_a_job_that_runs_on_after_the_204_and_succeeds_is_told_apart() -> None:
    fake, api, jobs = tracked_target(cancel_delay=None, job_seconds=2.0)
    job_id = job_of(api, jobs)
    fake.clock.now += 0.5
    api.cancel_job(job_id)
    effect = jobs.wait_cancel_effect(job_id, jobs.now())
    assert (effect.outcome, effect.ran_on) == ("finished", True)
    assert effect.path == "PROCESSING -> SUCCEEDED"


def test_a_job_removed_after_its_cancel_is_an_effect_too() -> None:
    _fake, api, jobs = tracked_target(cancel_delay=0.3, remove_after=0.2)
    job_id = job_of(api, jobs)
    api.cancel_job(job_id)
    effect = jobs.wait_cancel_effect(job_id, jobs.now() + 0.4)  # from after CANCELLED: only the 404 is left
    assert effect.outcome == "gone"
    assert effect.path == "gone (404)"


def test_the_cancel_wait_never_outlives_the_jobs_own_timeout() -> None:
    _fake, api, jobs = tracked_target(
        cancel_delay=None, job_seconds=100.0, job_timeout=3.0, cancel_timeout=60.0
    )
    job_id = job_of(api, jobs)
    api.cancel_job(job_id)
    effect = jobs.wait_cancel_effect(job_id, jobs.now())
    assert effect.outcome == "running"
    assert effect.waited_s == pytest.approx(3.0)


def test_past_the_cancel_deadline_get_is_asked_once_more() -> None:
    fake, api, jobs = tracked_target(cancel_delay=0.0)
    job_id = job_of(api, jobs)
    api.cancel_job(job_id)
    since = jobs.now()
    fake.clock.now += 30.0  # the test comes long after the 204; nothing read the job since
    effect = jobs.wait_cancel_effect(job_id, since)
    assert effect.outcome == "cancelled"
    assert fake.requests[-1] == f"GET /segment/jobs/{job_id}"


# -- progress ----------------------------------------------------------------------------------------
def test_a_long_wait_says_what_it_waits_for_but_not_too_often() -> None:
    fake, api, jobs = tracked_target(job_seconds=60.0)
    lines: list[tuple[float, str]] = []
    jobs.on_progress = lambda line: lines.append((fake.clock.now, line))
    first, second = job_of(api, jobs), job_of(api, jobs)
    start = fake.clock.now
    assert jobs.wait_finished([first, second], timeout=120.0)
    offsets = [t - start for t, _ in lines]
    assert offsets, "a wait of a minute said nothing"
    assert offsets[0] >= PROGRESS_AFTER_S
    assert all(b - a >= PROGRESS_EVERY_S for a, b in itertools.pairwise(offsets))
    assert len(lines) <= 60.0 / PROGRESS_EVERY_S + 1
    assert f"{first} NEW, {second} NEW" in lines[0][1]  # NEW for the first 6 s
    assert f"{first} PROCESSING, {second} PROCESSING" in lines[-1][1]
    assert "for 2 jobs to finish" in lines[0][1]


def test_a_short_wait_says_nothing() -> None:
    _fake, api, jobs = tracked_target(job_seconds=PROGRESS_AFTER_S / 2)
    lines: list[str] = []
    jobs.on_progress = lines.append
    assert jobs.wait_finished([job_of(api, jobs)], timeout=60.0)
    assert lines == []


def test_a_progress_line_names_a_few_jobs_and_counts_the_rest() -> None:
    _fake, api, jobs = tracked_target()
    pending = [jobs.jobs[job_of(api, jobs)] for _ in range(6)]
    line = progress_line(pending, 12.4, 107.6, "to finish")
    assert line.startswith("segjobs: waiting 12 s for 6 jobs to finish (at most 108 s more): ")
    assert line.endswith("job-4 NEW, and 2 more")


# -- the run's deadline ------------------------------------------------------------------------------
def test_a_wait_cut_by_the_runs_deadline_is_undecided_not_failed() -> None:
    fake, api, jobs = tracked_target(job_seconds=100.0)
    job_id = job_of(api, jobs)
    jobs.run_deadline = fake.clock.now + 3.0
    with pytest.raises(Undecided) as info:
        jobs.wait_finished([job_id], timeout=60.0)
    assert info.value.cause == RUN_DEADLINE_CAUSE
    assert info.value.reason.startswith(RUN_DEADLINE_REASON)
    assert fake.clock.now == pytest.approx(jobs.run_deadline)


def test_a_wait_that_ends_before_the_runs_deadline_is_judged_as_usual() -> None:
    fake, api, jobs = tracked_target(job_seconds=100.0)
    job_id = job_of(api, jobs)
    jobs.run_deadline = fake.clock.now + 300.0
    assert jobs.wait_finished([job_id], timeout=2.0) is False
