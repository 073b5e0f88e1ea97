"""Run profiles: how much each run does. ``quick`` for every commit, ``standard`` by default, ``full`` for
certification runs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    name: str
    rank: int  # tests marked for a profile run in it and every higher one
    property_examples: int  # hypothesis examples per operation and generation mode
    stateful_steps: int  # steps of each stateful run
    stateful_examples: int
    job_timeout: float  # seconds a job may take to finish, unless --job-timeout says otherwise
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
