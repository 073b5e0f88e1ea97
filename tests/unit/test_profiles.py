"""The run's timings: short on the embedded server, real-platform long against a --base-url target, and
whatever SEGJOBS_JOB_TIMEOUT and SEGJOBS_CANCEL_TIMEOUT say when set."""

from __future__ import annotations

import pytest

from conformance._profiles import (
    EMBEDDED_CANCEL_TIMEOUT,
    PROFILES,
    TARGET_CANCEL_TIMEOUT,
    TARGET_JOB_TIMEOUT,
    timings,
)


@pytest.mark.parametrize("name", list(PROFILES))
def test_the_embedded_server_keeps_the_profiles_short_timeouts(name: str) -> None:
    found = timings(PROFILES[name], embedded=True)
    assert found.job_timeout == PROFILES[name].job_timeout
    assert found.cancel_timeout == EMBEDDED_CANCEL_TIMEOUT
    assert f"the {name} profile's" in found.line()


@pytest.mark.parametrize("name", list(PROFILES))
def test_a_base_url_target_gets_real_platform_timeouts(name: str) -> None:
    found = timings(PROFILES[name], embedded=False)
    assert (found.job_timeout, found.cancel_timeout) == (TARGET_JOB_TIMEOUT, TARGET_CANCEL_TIMEOUT)
    assert TARGET_JOB_TIMEOUT >= 778.460 * 2  # the doc's own example job ran 778,460 ms
    assert found.line().startswith("jobs may take 1800 s to finish (default against a --base-url target)")


def test_set_values_win_and_say_where_they_came_from() -> None:
    found = timings(
        PROFILES["quick"],
        embedded=False,
        job_timeout=45.0,
        cancel_timeout=2.5,
        sources={"job_timeout": "environment variable SEGJOBS_JOB_TIMEOUT"},
    )
    assert (found.job_timeout, found.cancel_timeout) == (45.0, 2.5)
    assert found.line() == (
        "jobs may take 45 s to finish (environment variable SEGJOBS_JOB_TIMEOUT), "
        "a cancel 2.5 s to show (SEGJOBS_CANCEL_TIMEOUT)"
    )
