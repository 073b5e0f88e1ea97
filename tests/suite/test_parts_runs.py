"""A run split into parts, through the real command line: ``--workers N`` (pytest-xdist workers, one merged
results.json) and ``--shard I/N`` + ``merge`` give the same verdict and the same outcome for every requirement
as one process running everything; the job budget holds for the whole run; the rate cap holds across the
workers; shards of different runs are refused."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from selftest import SuiteRun, clean_environment, har_problems, run_suite

SECRETS = {"SEGJOBS_ACCESS_TOKEN": "tok-PLANTED-parts-77c1", "SEGJOBS_API_KEY": "key-PLANTED-parts-19ab"}


def outcomes(run: SuiteRun) -> dict[str, str]:
    assert run.results is not None, run.stdout + run.stderr
    return {r["id"]: r["outcome"] for r in run.results["requirements"]}


def at(tmp: Path, name: str) -> Path:
    (tmp / name).mkdir()
    return tmp / name


def cli(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``segjobs-conformance ARGS`` in a subprocess (a command that starts no run: merge, run --plan)."""
    return subprocess.run(
        [sys.executable, "-m", "conformance", *args],
        cwd=tmp,
        capture_output=True,
        text=True,
        timeout=120,
        env=clean_environment(),
    )


def merge_cli(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return cli(tmp, "merge", *args)


def plan_cli(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return cli(tmp, "run", "--plan", *args)


def test_workers_give_the_verdict_and_outcomes_of_one_process(tmp_path: Path) -> None:
    one = run_suite(at(tmp_path, "one"), "--profile", "quick", "--seed", "2")
    two = run_suite(at(tmp_path, "two"), "--profile", "quick", "--seed", "2", "--workers", "2", env=SECRETS)
    assert one.returncode == two.returncode == 0, two.stdout + two.stderr
    assert outcomes(two) == outcomes(one)
    assert two.results is not None and one.results is not None
    assert two.results["run"]["workers"] == 2
    assert [p["part"] for p in two.results["stats"]["parts"]] == ["1/2", "2/2"]
    assert two.results["stats"]["jobs_created"] <= two.results["stats"]["jobs_planned"] <= 50
    # each test's record once (the test every part runs, once, combined), as in one process
    assert sorted(t["id"] for t in two.results["tests"]) == sorted(t["id"] for t in one.results["tests"])
    for name in ("junit.xml", "report.html", "summary.md"):
        text = (tmp_path / "two" / "reports" / name).read_text(encoding="utf-8")
        assert all(secret not in text for secret in SECRETS.values())
    assert "verdict: CONFORMANT" in two.stdout


def test_the_job_budget_is_for_the_whole_run_over_its_workers(tmp_path: Path) -> None:
    run = run_suite(tmp_path, "--profile", "quick", "--workers", "2", "--max-jobs", "9")
    assert run.returncode == 2, run.stdout + run.stderr
    assert "over the 2 parts of the run" in run.stdout + run.stderr
    assert run.results is None


def test_the_plan_counts_the_shared_jobs_of_every_worker(tmp_path: Path) -> None:
    plan = plan_cli(tmp_path, "--json", "--workers", "4", "--profile", "standard")
    assert plan.returncode == 0, plan.stderr
    shown = json.loads(plan.stdout)
    assert shown["workers"]["count"] == 4
    assert shown["workers"]["jobs"] > shown["jobs"]["planned"]  # four fleets of shared jobs, not one
    refused = plan_cli(
        tmp_path, "--workers", "4", "--profile", "standard", "--max-jobs", str(shown["jobs"]["planned"])
    )
    assert refused.returncode == 2 and "over the 4 parts of the run" in refused.stderr
    auto = plan_cli(
        tmp_path, "--json", "--workers", "auto", "--base-url", "http://127.0.0.1:9", "--max-jobs", "32"
    )
    assert auto.returncode == 0, auto.stderr  # auto: as many workers as the budget covers
    fitted = json.loads(auto.stdout)["workers"]
    assert 1 <= fitted["count"] < 6 and fitted["jobs"] <= 32


@pytest.mark.slow  # five runs and three merges (the merge's rules: tests/unit/test_parts.py)
def test_shards_merged_give_the_verdict_and_outcomes_of_the_whole_run(tmp_path: Path) -> None:
    whole = run_suite(at(tmp_path, "whole"), "--profile", "quick", "--seed", "4")
    shards = [
        run_suite(at(tmp_path, f"s{i}"), "--profile", "quick", "--seed", "4", "--shard", f"{i}/4")
        for i in (1, 2, 3, 4)
    ]
    for shard in shards:
        assert shard.returncode == 0, shard.stdout + shard.stderr
        assert "`segjobs-conformance merge`" in shard.stdout
        assert shard.results is not None and shard.results["run"]["shard"] is not None
    files = [str(tmp_path / f"s{i}" / "reports" / "results.json") for i in (1, 2, 3, 4)]
    merged = merge_cli(tmp_path, *files, "--report-dir", "merged")
    assert merged.returncode == 0, merged.stdout + merged.stderr
    results = json.loads((tmp_path / "merged" / "results.json").read_text(encoding="utf-8"))
    assert results["verdict"] == "conformant" and "verdict: CONFORMANT" in merged.stdout
    assert {r["id"]: r["outcome"] for r in results["requirements"]} == outcomes(whole)
    assert results["run"]["shards"] == ["1/4", "2/4", "3/4", "4/4"]
    assert {p.name for p in (tmp_path / "merged").iterdir()} >= {"junit.xml", "report.html", "summary.md"}

    # refused: a shard missing, a shard of another run (another seed)
    missing = merge_cli(tmp_path, *files[:3])
    assert missing.returncode == 2 and "shard 4/4 is missing" in missing.stderr
    other = run_suite(at(tmp_path, "other"), "--profile", "quick", "--seed", "5", "--shard", "4/4")
    mixed = merge_cli(tmp_path, *files[:3], str(tmp_path / "other" / "reports" / "results.json"))
    assert mixed.returncode == 2 and "different seeds" in mixed.stderr, mixed.stderr
    assert other.returncode == 0


def _started(entry: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(entry["startedDateTime"].replace("Z", "+00:00"))


@pytest.mark.slow
def test_the_rate_cap_holds_across_workers_as_the_merged_har_shows(tmp_path: Path) -> None:
    from test_rate_and_har import most_in_one_second

    har = tmp_path / "run.har"
    run = run_suite(
        tmp_path,
        "--profile",
        "quick",
        "--seed",
        "1",
        "--workers",
        "3",
        "--rate-limit",
        "20/s",
        "--har",
        str(har),
    )
    assert run.returncode == 0, run.stdout + run.stderr
    document = json.loads(har.read_text(encoding="utf-8"))
    assert har_problems(document) == []
    entries = document["log"]["entries"]
    assert len({e["_segjobs"]["test"] for e in entries}) > 10
    assert most_in_one_second([_started(e) for e in entries]) <= 20
    assert run.results is not None and run.results["stats"]["rate"]["achieved_per_s"] <= 20
