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

from conformance.reference.server import ServerProcess, start_subprocess

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


def clean_environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("SEGJOBS_") and k not in CI_VARIABLES}


def run_suite(tmp: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 240) -> SuiteRun:
    """``segjobs-conformance run`` in a subprocess with a clean SEGJOBS_* environment (plus ``env``); the
    self-tests' own CI (GitHub Actions) never gets annotations from the runs it makes, unless ``env`` asks."""
    environ = clean_environment()
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
