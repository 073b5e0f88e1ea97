"""Helpers of the self-tests: the suite run in a subprocess, reference servers in subprocesses.

Import them as ``from selftest import run_suite`` (``tests/`` is on the path, see pyproject.toml)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

from conformance.reference.server import ServerProcess, start_subprocess

#: the JSON Schema of HAR 1.2 the HAR of a run is held against (written from the HAR 1.2 spec's fields)
HAR_SCHEMA = Path(__file__).with_name("har-1.2.schema.json")

SUITE_INI = Path(__import__("conformance").__file__).with_name("suite") / "pytest.ini"


@dataclass
class SuiteRun:
    returncode: int
    stdout: str
    stderr: str
    results: dict[str, Any] | None

    def outcome(self, requirement: str) -> str:
        assert self.results is not None, self.stdout + self.stderr
        return next(r["outcome"] for r in self.results["requirements"] if r["id"] == requirement)

    def failed(self) -> set[str]:
        assert self.results is not None, self.stdout + self.stderr
        return {r["id"] for r in self.results["requirements"] if r["outcome"] == "fail"}


#: variables of the machine running the self-tests that a run under test must not see
CI_VARIABLES = ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY")


#: a run of the self-tests is one process unless the test is about workers (against a --base-url the
#: default is --workers auto)
ONE_PROCESS = {"SEGJOBS_WORKERS": "1"}


def clean_environment() -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SEGJOBS_") and k not in CI_VARIABLES}
    return {**environ, **ONE_PROCESS}


#: the cancel timeout of the reference servers the self-tests start (a --base-url run's default is 60 s,
#: which the late checks of refused requests would wait out)
SELFTEST_TIMINGS = {"SEGJOBS_CANCEL_TIMEOUT": "3"}


def run_suite(
    tmp: Path,
    *args: str,
    env: dict[str, str] | None = None,
    timeout: float = 240,
    target_timings: bool = False,
) -> SuiteRun:
    """``segjobs-conformance run`` in a subprocess with a clean SEGJOBS_* environment (plus ``env``); the
    self-tests' own CI (GitHub Actions) never gets annotations from the runs it makes, unless ``env`` asks.
    The cancel timeout is the reference server's (:data:`SELFTEST_TIMINGS`) unless ``target_timings``."""
    environ = clean_environment()
    if not target_timings:
        environ.update(SELFTEST_TIMINGS)
    environ.update(env or {})
    report_dir = tmp / "reports"
    proc = subprocess.run(
        [sys.executable, "-m", "conformance", "run", "--report-dir", str(report_dir), *args],
        cwd=tmp,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environ,
    )
    results_path = report_dir / "results.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else None
    return SuiteRun(proc.returncode, proc.stdout, proc.stderr, results)


def start_reference(args: Sequence[str] = (), env: dict[str, str] | None = None) -> ServerProcess:
    """A reference server in a subprocess with a clean SEGJOBS_* environment (plus ``env``)."""
    environ = clean_environment()
    environ.update(env or {})
    return start_subprocess(list(args), env=environ)


def har_problems(document: Any) -> list[str]:
    """What in a HAR document breaks HAR 1.2: the schema (``tests/har-1.2.schema.json``), and an entry whose
    ``time`` is not the sum of its timings (the -1 of a timing that does not apply left out)."""
    schema = json.loads(HAR_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    problems = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)
    ]
    for index, entry in enumerate(document.get("log", {}).get("entries", [])):
        timings = entry.get("timings", {})
        total = sum(v for k, v in timings.items() if not k.startswith("_") and k != "comment" and v != -1)
        if abs(total - entry.get("time", 0)) > 0.01:
            problems.append(
                f"log/entries/{index}: time {entry.get('time')} is not the sum of its timings {total}"
            )
    return problems
