"""The property tests' cancel check on a fake target: an asynchronous cancel is waited for, a job removed
after its cancel fails only the SHOULD of staying readable, a cancel that never shows fails SJ-CANCEL-003."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from fake_target import job_of, tracked_target

from conformance.properties.checks import CancelTakesEffect


def cancel_case(job_id: str) -> Any:
    return SimpleNamespace(
        method="DELETE", path="/segment/jobs/{segmentJobId}", path_parameters={"segmentJobId": job_id}
    )


def cancel_and_check(**target: Any) -> tuple[Any, set[str]]:
    fake, api, jobs = tracked_target(**target)
    job_id = job_of(api, jobs)
    fake.clock.now += 2.0  # PROCESSING
    api.get_job(job_id)
    answer = api.cancel_job(job_id)
    judged: set[str] = set()
    return CancelTakesEffect(api, jobs, judged)(cancel_case(job_id), answer), judged


@pytest.mark.parametrize("delay", [0.0, 0.6, 4.0])
def test_a_cancel_applied_within_the_deadline_passes(delay: float) -> None:
    finding, judged = cancel_and_check(cancel_delay=delay, cancel_timeout=5.0)
    assert finding is None
    assert {"SJ-CANCEL-003", "SJ-CANCEL-008"} <= judged


def test_a_cancel_applied_after_the_deadline_fails_sj_cancel_003() -> None:
    finding, _ = cancel_and_check(cancel_delay=8.0, job_seconds=30.0, cancel_timeout=5.0)
    assert finding is not None
    assert finding.requirements == ("SJ-CANCEL-003",)
    assert "within 5 s of the 204" in finding.expected
    assert "PROCESSING" in finding.actual
    assert finding.exchange is not None and finding.exchange.status == 200


def test_an_ignored_cancel_of_a_job_that_then_succeeds_fails_sj_cancel_003() -> None:
    finding, _ = cancel_and_check(cancel_delay=None, job_seconds=4.0)
    assert finding is not None
    assert finding.requirements == ("SJ-CANCEL-003",)
    assert finding.actual.endswith("PROCESSING -> SUCCEEDED")


def test_a_job_removed_after_its_cancel_fails_only_the_should_of_staying_readable() -> None:
    finding, judged = cancel_and_check(cancel_delay=0.0, remove_after=0.0)
    assert finding is not None
    assert finding.requirements == ("SJ-CANCEL-008",)
    assert "SHOULD" in finding.expected
    assert "SJ-CANCEL-003" in judged


def test_a_job_finished_before_the_cancel_stays_as_it_finished() -> None:
    fake, api, jobs = tracked_target(job_seconds=1.0)
    job_id = job_of(api, jobs)
    fake.clock.now += 2.0
    api.get_job(job_id)  # SUCCEEDED
    answer = api.cancel_job(job_id)
    judged: set[str] = set()
    assert CancelTakesEffect(api, jobs, judged)(cancel_case(job_id), answer) is None
    assert "SJ-CANCEL-003" not in judged
