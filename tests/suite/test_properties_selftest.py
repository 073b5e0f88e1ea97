"""The property and stateful tests against the reference server: honest, and with planted faults.

The group ``properties,stateful`` runs in a subprocess (``pytest -p conformance.plugin``), as a user runs it,
against a reference server in another subprocess. Honest, the verdict is conformant with several seeds (no
false positive) and the job budget holds; with a fault, the verdict is nonconformant and names the
requirement the fault breaks, with a masked curl line and the seed.

The runs the selected tests read start together, side by side; each test waits for its own run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from selftest import ONE_PROCESS, start_reference

import conformance
from conformance.properties import ALLOWANCES

SUITE_INI = Path(conformance.__file__).with_name("suite") / "pytest.ini"
TOKEN = "segjobs-local-token"  # the local default, which no report may show
FAULT_SEED = 5

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Run:
    """One run of the group: a reference server (``faults``), a profile and a seed."""

    profile: str
    seed: int
    faults: tuple[str, ...] = ()


HONEST = [Run("standard", seed) for seed in (1, 2, 3)]
QUICK = Run("quick", 4)
FAULTS = {
    "wrong-types": "SJ-LIST-014",
    "missing-field-id": "SJ-CREATE-006",
    "create-201": "SJ-CREATE-001",
    "bulk-200": "SJ-BULK-001",
    "malformed-body-500": "SJ-ERROR-001",
    "status-lowercase": "SJ-GET-003",
    "cancel-ignored": "SJ-CANCEL-003",
    "no-auth": "SJ-AUTH-001",
    "any-token-accepted": "SJ-AUTH-002",
}
RUNS = [*HONEST, QUICK, *(Run("quick", FAULT_SEED, (fault,)) for fault in FAULTS)]


def run_group(tmp: Path, run: Run) -> dict[str, Any]:
    """Runs the property group against a fresh reference server; returns results.json (plus the output)."""
    args = [arg for fault in run.faults for arg in ("--fault", fault)]
    server = start_reference(args)
    try:
        results = tmp / f"results-{'-'.join(run.faults) or 'honest'}-{run.profile}-{run.seed}.json"
        environ = {k: v for k, v in os.environ.items() if not k.startswith("SEGJOBS_")} | ONE_PROCESS
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-c",
                str(SUITE_INI),
                "-p",
                "conformance.plugin",
                "--pyargs",
                "conformance.suite",
                "--segjobs-select",
                "properties,stateful",
                "--segjobs-results",
                str(results),
                "-q",
                "-p",
                "no:cacheprovider",
                "--segjobs-base-url",
                server.base_url,
                "--segjobs-profile",
                run.profile,
                "--segjobs-seed",
                str(run.seed),
            ],
            cwd=tmp,
            capture_output=True,
            text=True,
            timeout=300,
            env=environ,
        )
    finally:
        server.stop()
    assert results.exists(), proc.stdout + proc.stderr
    data: dict[str, Any] = json.loads(results.read_text())
    data["_output"] = proc.stdout[-4000:] + proc.stderr[-4000:]
    return data


def run_of(item: pytest.Item) -> Run | None:
    """The run a collected test of this module reads."""
    callspec = getattr(item, "callspec", None)
    params = callspec.params if callspec is not None else {}
    if "run" in params:
        run: Run = params["run"]
        return run
    if "fault" in params:
        return Run("quick", FAULT_SEED, (params["fault"],))
    return QUICK if item.name == "test_quick_profile_creates_at_most_two_jobs" else None


@pytest.fixture(scope="module")
def runs(request: pytest.FixtureRequest) -> Iterator[dict[Run, Future[dict[str, Any]]]]:
    """The runs the selected tests read, started together."""
    items = [item for item in request.session.items if getattr(item, "module", None) is request.module]
    wanted = {run for run in map(run_of, items) if run is not None}
    with (
        tempfile.TemporaryDirectory(prefix="segjobs-properties-") as tmp,
        ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool,
    ):
        yield {run: pool.submit(run_group, Path(tmp), run) for run in RUNS if run in wanted}


def failed(results: dict[str, Any]) -> set[str]:
    return {r["id"] for r in results["requirements"] if r["outcome"] == "fail"}


def outcomes(results: dict[str, Any]) -> dict[str, str]:
    return {t["name"]: t["outcome"] for t in results["tests"]}


@pytest.mark.parametrize("run", HONEST, ids=lambda run: f"seed-{run.seed}")
def test_honest_server_is_conformant(runs: dict[Run, Future[dict[str, Any]]], run: Run) -> None:
    results = runs[run].result()
    assert results["verdict"] == "conformant", (failed(results), results["_output"])
    tests = outcomes(results)
    assert set(tests.values()) == {"passed"}, tests
    assert any(name.startswith("test_linked_operations[") for name in tests)  # each of its runs
    assert ALLOWANCES["standard"].total == 10
    assert results["stats"]["create_requests"] <= ALLOWANCES["standard"].total
    assert results["stats"]["jobs_created"] <= ALLOWANCES["standard"].total


def test_quick_profile_creates_at_most_two_jobs(runs: dict[Run, Future[dict[str, Any]]]) -> None:
    results = runs[QUICK].result()
    assert results["verdict"] == "conformant", (failed(results), results["_output"])
    stateful = {
        name: o for name, o in outcomes(results).items() if name.startswith("test_linked_operations[")
    }
    assert stateful and set(stateful.values()) == {"skipped"}
    assert ALLOWANCES["quick"].total == 2
    assert results["stats"]["create_requests"] <= ALLOWANCES["quick"].total
    assert results["stats"]["jobs_created"] <= ALLOWANCES["quick"].total
    # every job the group created was seen, so the run's clean-up could cancel it
    assert all(job["observations"] for job in results["jobs"])


@pytest.mark.parametrize(("fault", "requirement"), sorted(FAULTS.items()))
def test_planted_fault_is_found(
    runs: dict[Run, Future[dict[str, Any]]], fault: str, requirement: str
) -> None:
    results = runs[Run("quick", FAULT_SEED, (fault,))].result()
    assert results["verdict"] == "nonconformant", results["_output"]
    assert requirement in failed(results), (failed(results), results["_output"])
    row = next(r for r in results["requirements"] if r["id"] == requirement)
    failure = row["failures"][0]
    assert failure["curl"].startswith("curl -X "), failure
    assert f"--segjobs-seed {FAULT_SEED}" in failure["message"], failure["message"]
    text = json.dumps({k: v for k, v in results.items() if k != "_output"})
    assert TOKEN not in text
    # every bearer token a curl line shows is masked, but for the suite's own invalid one
    curls = " ".join(f["curl"] for r in results["requirements"] for f in r["failures"])
    shown = set(re.findall(r"Authorization: Bearer ([^']+)'", curls))
    assert shown <= {"***", "segjobs-invalid-token"}, shown
