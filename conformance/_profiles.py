"""Run profiles: how much each run does. ``quick`` for every commit, ``standard`` by default, ``full`` for
certification runs. And the run's timings: how long a job may take to finish, how long a cancel may take to
show, on the embedded server (short: its jobs take a second) and against a ``--base-url`` target (the doc's
own example job ran 778,460 ms, 13 minutes)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    name: str
    rank: int  # tests marked for a profile run in it and every higher one
    property_examples: int  # hypothesis examples per operation and generation mode
    stateful_steps: int  # steps of each stateful run
    stateful_examples: int
    job_timeout: float  # seconds a job of the embedded server may take to finish (SEGJOBS_JOB_TIMEOUT wins)
    description: str


PROFILES: dict[str, Profile] = {
    "quick": Profile(
        "quick", 0, 8, 6, 3, 60.0, "every requirement once, few generated examples; creates at most 10 jobs"
    ),
    "standard": Profile(
        "standard",
        1,
        25,
        10,
        6,
        120.0,
        "every scenario, property tests of every operation, stateful sequences",
    ),
    "full": Profile(
        "full", 2, 100, 20, 25, 600.0, "everything, with many generated examples; for certification runs"
    ),
}


#: against a --base-url target: seconds a job may take to finish (the doc's example job took 13 minutes)
TARGET_JOB_TIMEOUT = 1800.0
#: seconds a cancel answered 204 may take to show (CANCELLING, CANCELLED, or the job gone): the embedded
#: server's cancel is immediate; a real target applies it asynchronously ("the actual deletion of the segment
#: job is asynchronous")
EMBEDDED_CANCEL_TIMEOUT = 3.0
TARGET_CANCEL_TIMEOUT = 60.0


@dataclass(frozen=True)
class Timings:
    """How long the run waits on jobs, and where each figure comes from."""

    job_timeout: float
    cancel_timeout: float
    job_timeout_from: str
    cancel_timeout_from: str

    def line(self) -> str:
        """``jobs may take 1800 s to finish (default against a --base-url target), a cancel 60 s …``"""
        return (
            f"jobs may take {self.job_timeout:g} s to finish ({self.job_timeout_from}), "
            f"a cancel {self.cancel_timeout:g} s to show ({self.cancel_timeout_from})"
        )


def timings(
    profile: Profile,
    *,
    embedded: bool,
    job_timeout: float | None = None,
    cancel_timeout: float | None = None,
    sources: Mapping[str, str] | None = None,
) -> Timings:
    """The run's timings: ``job_timeout`` and ``cancel_timeout`` as set (``sources`` says where from), else
    the defaults of the embedded server (the profile's job timeout) or of a ``--base-url`` target."""
    sources = sources or {}
    where = "the embedded server" if embedded else "a --base-url target"
    if job_timeout is not None:
        job, job_from = job_timeout, sources.get("job_timeout", "SEGJOBS_JOB_TIMEOUT")
    elif embedded:
        job, job_from = profile.job_timeout, f"the {profile.name} profile's, on {where}"
    else:
        job, job_from = TARGET_JOB_TIMEOUT, f"default against {where}"
    if cancel_timeout is not None:
        cancel, cancel_from = cancel_timeout, sources.get("cancel_timeout", "SEGJOBS_CANCEL_TIMEOUT")
    else:
        cancel = EMBEDDED_CANCEL_TIMEOUT if embedded else TARGET_CANCEL_TIMEOUT
        cancel_from = f"default on {where}" if embedded else f"default against {where}"
    return Timings(job, cancel, job_from, cancel_from)
