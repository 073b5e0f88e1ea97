"""Dense observation where statuses change: waits poll faster around a create, a cancel and a change of
status, and the watcher reads a job a few times more after GET first showed it finished (``_watch``)."""

from __future__ import annotations

import threading
import time

from fake_target import job_of, tracked_target

from conformance._jobs import DENSE_FACTOR, DENSE_S
from conformance._watch import Watcher


# -- the interval of a wait ------------------------------------------------------------------------------
def test_a_wait_polls_faster_right_after_a_create_and_a_cancel_then_at_the_usual_pace() -> None:
    fake, api, jobs = tracked_target(job_seconds=60.0)
    job = jobs.jobs[job_of(api, jobs)]
    dense = jobs.poll_interval / DENSE_FACTOR
    assert jobs.interval([job]) == dense
    fake.clock.now += DENSE_S + 0.1
    assert jobs.interval([job]) == jobs.poll_interval
    api.cancel_job(job.id)
    assert job.cancel_sent_at is not None
    assert jobs.interval([job]) == dense
    fake.clock.now += DENSE_S + 0.1
    assert jobs.interval([job]) == jobs.poll_interval


def test_a_change_of_status_seen_by_get_makes_the_wait_dense_for_a_moment() -> None:
    fake, api, jobs = tracked_target(job_seconds=60.0)
    job = jobs.jobs[job_of(api, jobs)]
    fake.clock.now += 7.0  # PROCESSING by now
    api.get_job(job.id)
    assert job.changed_at == jobs.now()
    assert jobs.interval([job]) == jobs.poll_interval / DENSE_FACTOR
    fake.clock.now += DENSE_S + 0.1
    api.get_job(job.id)  # the same status again: no change
    assert jobs.interval([job]) == jobs.poll_interval


def test_the_first_finished_status_seen_by_get_hands_the_job_to_the_watcher_once() -> None:
    fake, api, jobs = tracked_target(job_seconds=1.0)
    followed: list[str] = []
    jobs.watcher = Watcher(lambda _: None, jobs.now)
    jobs.watcher.follow = followed.append  # type: ignore[method-assign]
    job_id = job_of(api, jobs)
    api.list_jobs()  # a listing is no reading of the history
    fake.clock.now += 2.0
    api.list_jobs()
    assert followed == []
    api.get_job(job_id)
    api.get_job(job_id)
    assert followed == [job_id]


# -- the watcher -----------------------------------------------------------------------------------------
def _watcher(reads: list[str], fail: set[str] | None = None, **kw: float) -> Watcher:
    def read(job_id: str) -> None:
        reads.append(job_id)
        if job_id in (fail or set()):
            raise OSError("connection refused")

    return Watcher(read, time.monotonic, reads=int(kw.get("reads", 3)), every=kw.get("every", 0.01))


def test_the_watcher_reads_each_job_its_number_of_times_and_drain_waits_for_them() -> None:
    reads: list[str] = []
    watcher = _watcher(reads)
    watcher.follow("a")
    watcher.follow("b")
    watcher.follow("a")  # once per job
    watcher.drain()
    assert sorted(reads) == ["a", "a", "a", "b", "b", "b"]
    assert watcher.sent == 6 and watcher.following() == []
    watcher.stop()


def test_a_failed_read_ends_the_jobs_window_and_stop_ends_the_thread() -> None:
    reads: list[str] = []
    watcher = _watcher(reads, fail={"a"})
    watcher.follow("a")
    watcher.drain(["a"])
    assert reads == ["a"]
    watcher.stop()
    watcher.follow("b")  # after the run's end: nothing more
    assert reads == ["a"]
    assert not any(t.name == "segjobs-watcher" and t.is_alive() for t in threading.enumerate())


def test_nothing_is_read_past_the_runs_deadline() -> None:
    reads: list[str] = []
    watcher = Watcher(reads.append, time.monotonic, reads=3, every=0.01, deadline=lambda: 0.0)
    watcher.follow("a")
    watcher.drain()
    assert reads == []
    watcher.stop()
