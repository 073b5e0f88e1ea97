"""The scenario modules against the reference server: honest, it is conformant and every scenario passes;
with one planted fault, the run is non-conformant and blames the requirement the fault breaks.

Each run is a separate ``pytest`` process (as ``segjobs-conformance run`` starts one) against a reference
server process, with the second sandbox and the failing segment definition configured so that no scenario
is disabled. Runs of a fault select only the workflow it breaks, in the quick profile.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

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
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SEGJOBS_")}
    environment.update({"SEGJOBS_SECOND_SANDBOX_NAME": "dev", "SEGJOBS_FAILING_SEGMENT_ID": FAILING_SEGMENT})
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
@pytest.mark.parametrize("seed", [1, 2])
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


@pytest.mark.slow
@pytest.mark.parametrize(
    "server",
    [
        (
            "--job-seconds",
            "0.3",
            "--bulk-unknown",
            "error",
            "--cancel-direct",
            "--extra-fields",
            "--max-limit",
            "2",
            "--default-order",
            "asc",
        )
    ],
    indirect=True,
)
def test_every_variant_the_doc_allows_is_conformant(server: Any, tmp_path: Path) -> None:
    results = run_suite(server.base_url, tmp_path, seed=4)
    assert results["verdict"] == "conformant", results["_output"]
    assert not_passed(results) == []


# -- planted faults ----------------------------------------------------------------------------------------
#: fault, the workflow it breaks, the requirement that must fail, server job seconds, extra environment;
#: one or two per workflow by default, the others marked slow
FAULTS: list[tuple[str, str, str, str, dict[str, str]]] = [
    ("cancel-204-body", "cancel", "SJ-CANCEL-002", "0.5", {}),
    ("cancel-ignored", "cancel", "SJ-CANCEL-003", "2", {}),
    ("finished-regresses", "lifecycle", "SJ-LIFECYCLE-004", "0.2", {}),
    ("never-finishes", "lifecycle", "SJ-LIFECYCLE-003", "0.2", {"SEGJOBS_JOB_TIMEOUT": "2"}),
    ("bulk-missing-result", "bulk_get", "SJ-BULK-003", "0.2", {}),
    ("paging-overlap", "listing", "SJ-LIST-006", "0.2", {}),
    ("sandbox-leak", "auth", "SJ-AUTH-006", "2", {}),
    ("empty-array-accepted", "bad_input", "SJ-CREATE-008", "0.2", {}),
]
MORE_FAULTS: list[tuple[str, str, str, str, dict[str, str]]] = [
    ("bulk-200", "bulk_get", "SJ-BULK-001", "0.2", {}),
    ("list-ignores-status-filter", "listing", "SJ-LIST-003", "0.2", {}),
    ("sort-ignored", "listing", "SJ-LIST-009", "0.2", {}),
    ("any-token-accepted", "auth", "SJ-AUTH-002", "0.2", {}),
    ("malformed-body-500", "bad_input", "SJ-ERROR-001", "0.2", {}),
    ("create-201", "create_get", "SJ-CREATE-001", "0.2", {}),
    ("cancel-200-body", "cancel", "SJ-CANCEL-001", "0.5", {}),
    ("cancel-204-body", "cancel", "SJ-CANCEL-009", "0.5", {}),
    ("cancel-204-body", "cancel", "SJ-CANCEL-007", "0.5", {}),
    ("cancel-changes-finished", "cancel", "SJ-CANCEL-005", "0.2", {}),
    ("update-time-backwards", "lifecycle", "SJ-LIFECYCLE-009", "0.2", {}),
    ("status-lowercase", "lifecycle", "SJ-LIFECYCLE-001", "0.2", {}),
    ("bulk-results-list", "bulk_get", "SJ-BULK-001", "0.2", {}),
    ("list-ignores-limit", "listing", "SJ-LIST-004", "0.2", {}),
    ("total-count-wrong", "listing", "SJ-LIST-007", "0.2", {}),
    ("list-ignores-status-filter", "listing", "SJ-LIST-015", "0.2", {}),
    ("no-auth", "auth", "SJ-AUTH-001", "0.2", {}),
    ("sandbox-leak", "auth", "SJ-LIST-012", "0.2", {}),
    ("malformed-body-500", "bad_input", "SJ-CREATE-010", "0.2", {}),
    ("new-not-new", "create_get", "SJ-CREATE-002", "0.2", {}),
    ("duplicate-ids", "create_get", "SJ-CREATE-005", "0.2", {}),
    ("missing-field-id", "create_get", "SJ-CREATE-006", "0.2", {}),
    ("renamed-field", "create_get", "SJ-CREATE-006", "0.2", {}),
    ("wrong-types", "create_get", "SJ-CREATE-006", "0.2", {}),
]


Run = tuple[str, str, str, tuple[tuple[str, str], ...]]  # fault, workflow, job seconds, environment


def _run_of(fault: str, group: str, seconds: str, env: dict[str, str]) -> Run:
    return fault, group, seconds, tuple(sorted(env.items()))


def _one_fault_run(run: Run, tmp_path: Path) -> dict[str, Any]:
    fault, group, seconds, env = run
    process = start_server("--job-seconds", seconds, "--fault", fault)
    try:
        return run_suite(process.base_url, tmp_path, groups=(group,), profile="quick", env=dict(env))
    finally:
        process.stop()


@pytest.fixture(scope="module")
def fault_runs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[Run, Any]:
    """Every fault run the selected tests need, each once, a few at a time (they mostly wait)."""
    wanted: list[Run] = []
    for item in request.session.items:
        params = getattr(item, "callspec", None)
        if getattr(item, "module", None) is not request.module:
            continue  # other modules have parameters named "fault" too
        if params is not None and "fault" in params.params:
            p = params.params
            run = _run_of(p["fault"], p["group"], p["seconds"], p["env"])
            if run not in wanted:
                wanted.append(run)
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {run: pool.submit(_one_fault_run, run, tmp_path_factory.mktemp(run[0])) for run in wanted}
        done: dict[Run, Any] = {}
        for run, future in futures.items():
            try:
                done[run] = future.result()
            except Exception as exc:  # reported by the test that needs the run
                done[run] = exc
    return done


def _check_fault(
    fault_runs: dict[Run, Any], fault: str, group: str, requirement: str, seconds: str, env: dict[str, str]
) -> None:
    results = fault_runs[_run_of(fault, group, seconds, env)]
    if isinstance(results, Exception):
        raise results
    assert results["verdict"] == "nonconformant", results["_output"]
    assert results["_exit"] == 1
    assert outcome(results, requirement) == "fail", results["_output"]


@pytest.mark.parametrize(
    ("fault", "group", "requirement", "seconds", "env"), FAULTS, ids=[f"{f[0]}-{f[2]}" for f in FAULTS]
)
def test_a_planted_fault_fails_its_requirement(
    fault_runs: dict[Run, Any], fault: str, group: str, requirement: str, seconds: str, env: dict[str, str]
) -> None:
    _check_fault(fault_runs, fault, group, requirement, seconds, env)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("fault", "group", "requirement", "seconds", "env"),
    MORE_FAULTS,
    ids=[f"{f[0]}-{f[2]}" for f in MORE_FAULTS],
)
def test_more_planted_faults_fail_their_requirement(
    fault_runs: dict[Run, Any], fault: str, group: str, requirement: str, seconds: str, env: dict[str, str]
) -> None:
    _check_fault(fault_runs, fault, group, requirement, seconds, env)
