"""Every test of the suite names known requirement IDs, and every MUST requirement has a test."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from conformance import load_requirements
from conformance.cli import suite_tests_by_requirement


def test_every_must_requirement_has_at_least_one_test() -> None:
    covering = suite_tests_by_requirement()
    untested = [r["id"] for r in load_requirements() if r["level"] == "MUST" and not covering.get(r["id"])]
    assert untested == []


def test_an_unknown_requirement_id_fails_collection(tmp_path: Path) -> None:
    (tmp_path / "test_bogus.py").write_text(
        textwrap.dedent("""
        import pytest

        @pytest.mark.requirement("SJ-NOPE-999")
        def test_x():
            pass

        def test_without_marker():
            pass
    """)
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "conformance.plugin",
            "-p",
            "no:cacheprovider",
            "--collect-only",
            "--segjobs-base-url",
            "http://127.0.0.1:9",
            str(tmp_path / "test_bogus.py"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert "unknown requirement ID(s) SJ-NOPE-999" in proc.stderr
    assert "test_without_marker: no @pytest.mark.requirement" in proc.stderr
