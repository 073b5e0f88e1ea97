"""The job tracker: where each status was seen, a job's GET history, a cancelled job gone, clean-up."""

from __future__ import annotations

import pytest
from fake_target import job_of, tracked_target

from conformance._jobs import route


@pytest.mark.parametrize(
    ("method", "url", "expected"),
    [
        ("POST", "http://t/api/segment/jobs", ("create", None)),
        ("GET", "http://t/api/segment/jobs?limit=5", ("list", None)),
        ("GET", "http://t/api/segment/jobs/", ("list", None)),
        ("POST", "http://t/api/segment/jobs/bulk-get", ("bulk-get", None)),
        ("GET", "http://t/api/segment/jobs/abc", ("get", "abc")),
        ("GET", "http://t/api/segment/jobs/a%20b", ("get", "a b")),
        ("DELETE", "http://t/api/segment/jobs/abc", (None, "abc")),
        ("GET", "http://t/api/other", (None, None)),
    ],
)
def test_route_names_the_source_and_the_job(method: str, url: str, expected: tuple[str | None, ...]) -> None:
    assert route(method, url) == expected


def test_each_observation_carries_where_it_was_seen() -> None:
    _fake, api, jobs = tracked_target()
    job_id = job_of(api, jobs)
    api.get_job(job_id)
    api.list_jobs()
    api.bulk_get([job_id])
    assert [o.source for o in jobs.jobs[job_id].observations] == ["create", "get", "list", "bulk-get"]
    (record,) = jobs.lifecycles()
    assert [o["source"] for o in record["observations"]] == ["create", "get", "list", "bulk-get"]
    assert "gone_at" not in record


def test_the_history_is_what_get_showed_and_a_lagging_listing_does_not_unfinish_a_job() -> None:
    fake, api, jobs = tracked_target(job_seconds=1.0, view_lag=3.0)
    job_id = job_of(api, jobs)
    fake.clock.now += 2.0
    api.get_job(job_id)  # SUCCEEDED
    api.list_jobs()  # the listing still shows it as it was 3 s ago: NEW
    job = jobs.jobs[job_id]
    assert [o.status for o in job.observations] == ["NEW", "SUCCEEDED", "NEW"]
    assert job.statuses == ["NEW", "SUCCEEDED"]
    assert [o.status for o in job.views] == ["NEW"]
    assert job.finished
    assert job.last is not None and job.last.status == "SUCCEEDED"


def test_a_cancelled_job_that_get_no_longer_finds_is_gone_and_counts_as_finished() -> None:
    fake, api, jobs = tracked_target(remove_after=0.5)
    job_id = job_of(api, jobs)
    api.cancel_job(job_id)  # the guard notes the cancel
    fake.clock.now += 1.0
    assert api.get_job(job_id).status == 404
    job = jobs.jobs[job_id]
    assert job.cancel_requested and job.gone and job.finished
    assert job.last_get is not None and job.last_get.status == 404
    assert jobs.lifecycles()[0]["gone_at"] == pytest.approx(1.0)


def test_a_404_is_no_removal_when_the_job_was_not_cancelled_or_another_sandbox_asked() -> None:
    fake, api, jobs = tracked_target(remove_after=0.0)
    kept, other = job_of(api, jobs), job_of(api, jobs)
    api.cancel_job(other)
    fake.clock.now += 1.0
    assert api.get_job(other, headers={"x-sandbox-name": "dev"}).status == 404
    fake.jobs.pop(kept)  # a job the run never cancelled answers 404: a failure elsewhere, never "gone"
    assert api.get_job(kept).status == 404
    assert not jobs.jobs[other].gone
    assert not jobs.jobs[kept].gone and not jobs.jobs[kept].finished


def test_cleanup_cancels_leftovers_and_takes_a_404_of_a_cancelled_job_for_gone() -> None:
    fake, api, jobs = tracked_target(job_seconds=1.0, remove_after=0.0)
    finished, running, cancelled = job_of(api, jobs), job_of(api, jobs), job_of(api, jobs)
    fake.clock.now += 0.5
    api.cancel_job(cancelled)
    fake.clock.now += 1.0
    api.get_job(finished)  # seen SUCCEEDED: no clean-up
    fake.jobs[running].created = fake.clock.now  # still running at the end
    assert jobs.cleanup() == [running]
    assert jobs.jobs[cancelled].gone
    assert jobs.cleanup_problems == []
    assert [r for r in fake.requests if r.startswith("DELETE")] == [
        f"DELETE /segment/jobs/{cancelled}",
        f"DELETE /segment/jobs/{running}",
        f"DELETE /segment/jobs/{cancelled}",
    ]


def test_cleanup_names_a_leftover_it_could_not_cancel() -> None:
    fake, api, jobs = tracked_target()
    job_id = job_of(api, jobs)
    fake.jobs.pop(job_id)  # never cancelled by the run, and now unknown to the target
    assert jobs.cleanup() == []
    assert jobs.cleanup_problems == [f"job {job_id}: the cancel answered HTTP 404"]
