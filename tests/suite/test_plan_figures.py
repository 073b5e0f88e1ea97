"""``run --plan`` prints the job count the run then creates: the plan's figures against ``stats`` of a real
run on the embedded reference server (a conformant target), and its request estimate near the real count."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from selftest import ONE_PROCESS, run_suite

#: how far the request estimate may be from a real run's count (it is an estimate: polls depend on timing)
ESTIMATE_TOLERANCE = 0.25


def plan_of(*args: str) -> tuple[dict[str, object], str]:
    """The plan as JSON and as text, with a clean SEGJOBS_* environment."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SEGJOBS_")} | ONE_PROCESS
    outputs = []
    for extra in (["--json"], []):
        proc = subprocess.run(
            [sys.executable, "-m", "conformance", "run", "--plan", *extra, *args],
            capture_output=True,
            text=True,
            timeout=120,
            env=environ,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        outputs.append(proc.stdout)
    return json.loads(outputs[0]), outputs[1]


@pytest.mark.parametrize(
    ("profile", "seed"),
    [
        ("quick", "1"),
        pytest.param("quick", "7", marks=pytest.mark.slow, id="quick-7"),
        pytest.param("standard", "1", marks=pytest.mark.slow),
        pytest.param("full", "1", marks=pytest.mark.slow),
    ],
)
def test_the_plan_says_how_many_jobs_the_run_creates(tmp_path: Path, profile: str, seed: str) -> None:
    plan, text = plan_of("--profile", profile, "--seed", seed)
    jobs = plan["jobs"]
    assert isinstance(jobs, dict)
    run = run_suite(tmp_path, "--profile", profile, "--seed", seed)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.results is not None
    stats = run.results["stats"]
    assert stats["jobs_created"] == jobs["created"], (stats, jobs)
    assert stats["jobs_planned"] == jobs["planned"], (stats, jobs)
    assert f"jobs:        {stats['jobs_created']} on a conformant target" in text
    assert f"at most {stats['jobs_planned']} on any target" in text
    estimate = plan["requests_estimate"]
    assert isinstance(estimate, dict)
    assert abs(estimate["total"] - stats["requests"]) <= ESTIMATE_TOLERANCE * stats["requests"], (
        estimate,
        stats,
    )
