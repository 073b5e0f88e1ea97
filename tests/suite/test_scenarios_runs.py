"""The scenario modules against the honest reference server: it is conformant, every scenario passes, and
the quick profile keeps its job budget.

Each run is a separate ``pytest`` process (as ``segjobs-conformance run`` starts one) against a reference
server process, with the second sandbox and the failing segment definition configured so that no scenario
is disabled. Planted faults (one or more per workflow) and the honest variants the doc allows live in
``tests/mutants``: one catalog, run through the command line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from selftest import ONE_PROCESS, SELFTEST_TIMINGS

import conformance.suite
from conformance.reference import server as reference_server

SUITE_INI = Path(conformance.suite.__file__).with_name("pytest.ini")
GROUPS = ("auth", "bad_input", "bulk_get", "cancel", "create_get", "lifecycle", "listing")
FAILING_SEGMENT = "9a1fa11e-d000-4bad-8000-00000000fa11"
#: jobs the scenario modules may create per profile (the property tests get the rest of the run's budget)
BUDGET = {"quick": 8, "standard": 20}


def start_server(*args: str) -> Any:
    start = getattr(reference_server, "start_process", None) or reference_server.start_subprocess
    return start(list(args))


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A reference server process; parametrize indirectly with its command-line arguments."""
    args: Sequence[str] = getattr(request, "param", ("--job-seconds", "0.2"))
    process = start_server(*args)
    try:
        yield process
    finally:
        process.stop()


def run_suite(
    base_url: str,
    tmp_path: Path,
    *,
    groups: Sequence[str] = GROUPS,
    profile: str = "standard",
    seed: int = 1,
    env: dict[str, str] | None = None,
    timeout: float = 50.0,
) -> dict[str, Any]:
    results = tmp_path / "results.json"
    modules = [f"conformance.suite.test_{g}" for g in groups]
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "conformance.plugin",
        "--pyargs",
        *modules,
        "--segjobs-base-url",
        base_url,
        "--segjobs-results",
        str(results),
        "--segjobs-profile",
        profile,
        "--segjobs-seed",
        str(seed),
        "-q",
        "-p",
        "no:cacheprovider",
        "-c",
        str(SUITE_INI),
    ]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SEGJOBS_")} | ONE_PROCESS
    environment.update({"SEGJOBS_SECOND_SANDBOX_NAME": "dev", "SEGJOBS_FAILING_SEGMENT_ID": FAILING_SEGMENT})
    environment.update(SELFTEST_TIMINGS)  # the reference server's cancel deadline (the late checks wait it)
    environment.update(env or {})
    proc = subprocess.run(
        command, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=timeout
    )
    assert results.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    data: dict[str, Any] = json.loads(results.read_text())
    data["_output"] = proc.stdout[-6000:] + proc.stderr[-2000:]
    data["_exit"] = proc.returncode
    return data


def outcome(results: dict[str, Any], requirement: str) -> str:
    return str(next(r["outcome"] for r in results["requirements"] if r["id"] == requirement))


def not_passed(results: dict[str, Any]) -> list[str]:
    return [
        f"{t['id']}: {t['outcome']} {t.get('reason') or ''} {t.get('message', '')[:300]}"
        for t in results["tests"]
        if t["outcome"] != "passed"
    ]


# -- honest ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [1, pytest.param(2, marks=pytest.mark.slow)])
def test_an_honest_server_is_conformant_and_every_scenario_passes(
    server: Any, tmp_path: Path, seed: int
) -> None:
    results = run_suite(server.base_url, tmp_path, seed=seed)
    assert results["verdict"] == "conformant", results["_output"]
    assert results["_exit"] == 0
    assert not_passed(results) == []
    assert len(results["tests"]) >= 100
    assert results["stats"]["create_requests"] <= BUDGET["standard"]


def test_the_quick_profile_stays_within_its_job_budget(server: Any, tmp_path: Path) -> None:
    results = run_suite(server.base_url, tmp_path, profile="quick")
    assert results["verdict"] == "conformant", results["_output"]
    assert results["stats"]["create_requests"] <= BUDGET["quick"]
    assert [t for t in results["tests"] if t["outcome"] == "failed"] == []


@pytest.mark.slow
@pytest.mark.parametrize("server", [("--job-seconds", "3")], indirect=True)
def test_an_honest_server_with_slow_jobs_is_conformant(server: Any, tmp_path: Path) -> None:
    results = run_suite(server.base_url, tmp_path, seed=3)
    assert results["verdict"] == "conformant", results["_output"]
    assert not_passed(results) == []
    # the waiting tests share the jobs: about one job's time in all, not one per test
    assert results["duration_s"] < 3 * 3, results["duration_s"]
