"""``run --plan``: collected, never sent; text and JSON; reasons; the budget; the estimate's table in step
with the suite; the markers' accepted counts."""

from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from selftest import ONE_PROCESS

from conformance import _estimate, cli
from conformance._plan import TestInfo
from conformance._profiles import PROFILES
from conformance._spec import load_requirements
from conformance.plugin import info_of

TOKEN = "tok-PLANTED-4b4b4b"
API_KEY = "key-PLANTED-3c3c3c"


def plan_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SEGJOBS_")} | ONE_PROCESS
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "conformance", "run", "--plan", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=environ,
    )


def suite_tests() -> list[TestInfo]:
    """Every test of the suite, as the plugin describes it (collected in this process)."""
    found: list[TestInfo] = []

    class Recorder:
        def pytest_collection_finish(self, session: pytest.Session) -> None:
            found.extend(info_of(item) for item in session.items)

    with contextlib.redirect_stdout(io.StringIO()):
        assert pytest.main([*cli.SUITE_ARGS, "--collect-only", "-q"], plugins=[Recorder()]) == 0
    return found


def test_the_plan_sends_nothing_to_the_target() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.setblocking(False)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        proc = plan_cli("--base-url", url, "--profile", "full")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody connected
    assert f"target:      {url}, profile full" in proc.stdout


def test_the_plan_starts_no_embedded_server(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from conformance import _session
    from conformance.reference import server

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the plan started a server or a client")

    monkeypatch.setattr(server, "start_subprocess", refuse)
    monkeypatch.setattr(_session.SuiteState, "start", refuse)
    monkeypatch.setattr(_session, "ApiClient", refuse)
    for name in [n for n in os.environ if n.startswith("SEGJOBS_")]:
        monkeypatch.delenv(name)
    assert cli.main(["run", "--plan", "--profile", "quick", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["target"] == {"base_url": "(embedded reference server)", "profile": "quick", "embedded": True}


def test_the_json_plan_has_the_results_like_shape_and_no_secret() -> None:
    secrets = {"SEGJOBS_ACCESS_TOKEN": TOKEN, "SEGJOBS_API_KEY": API_KEY}
    proc = plan_cli("--json", "--profile", "standard", "--seed", "3", env=secrets)
    assert proc.returncode == 0, proc.stderr
    assert TOKEN not in proc.stdout + proc.stderr and API_KEY not in proc.stdout + proc.stderr
    plan = json.loads(proc.stdout)
    assert {"suite", "target", "settings", "scope", "jobs", "requests_estimate", "job_timeout_s"} <= set(plan)
    assert plan["suite"]["name"] == "segment-jobs-conformance" and plan["suite"]["seed"] == 3
    assert plan["job_timeout_s"] == PROFILES["standard"].job_timeout
    scope = plan["scope"]
    assert len(scope["requirements"]["in"]) + len(scope["requirements"]["out"]) == len(load_requirements())
    assert not scope["tests"]["out"], "the embedded server leaves nothing out of a standard run"
    assert plan["jobs"]["created"] <= plan["jobs"]["planned"] <= plan["jobs"]["max_jobs"]
    assert plan["requests_estimate"]["total"] == sum(plan["requests_estimate"]["by_group"].values())


def test_narrowing_shows_the_reasons_per_requirement_and_per_test() -> None:
    proc = plan_cli("--json", "--select", "SJ-GET-002", "--read-only", "--base-url", "http://127.0.0.1:9")
    assert proc.returncode == 0, proc.stderr
    plan = json.loads(proc.stdout)
    requirements = plan["scope"]["requirements"]
    assert requirements["in"] == ["SJ-GET-002", "SJ-ERROR-001", "SJ-ERROR-002"]
    assert requirements["out"]["SJ-LIST-001"] == {
        "cause": "--select",
        "reason": "not selected by --select SJ-GET-002",
    }
    tests = plan["scope"]["tests"]
    assert tests["in"] == {"http": ["test_http.py::test_unknown_job_id_answers_404_with_an_error_body"]}
    assert tests["out"]["test_cancel.py::test_cancelling_again_is_harmless"]["cause"] == "--select"
    assert plan["jobs"]["created"] == plan["jobs"]["planned"] == 0
    read_only = plan_cli("--read-only", "--profile", "quick", "--base-url", "http://127.0.0.1:9").stdout
    assert "creates jobs, and the run is --read-only" in read_only
    assert "jobs:        0 on a conformant target" in read_only
    bare = plan_cli("--profile", "quick", "--base-url", "http://127.0.0.1:9").stdout
    assert "needs SEGJOBS_SECOND_SANDBOX_NAME, which is not set" in bare
    assert "needs SEGJOBS_FAILING_SEGMENT_ID, which is not set" in bare


def test_a_budget_below_the_plan_prints_the_plan_and_exits_2() -> None:
    proc = plan_cli("--profile", "quick", "--max-jobs", "3")
    assert proc.returncode == 2
    assert "jobs:        5 on a conformant target" in proc.stdout
    assert "may create up to 10 jobs" in proc.stderr and "--max-jobs is 3" in proc.stderr


def test_json_without_plan_and_an_unknown_select_are_usage_errors(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "conformance", "run", "--json", "--report-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "--json goes with --plan" in proc.stderr
    unknown = plan_cli("--select", "canel")
    assert unknown.returncode == 2 and "did you mean cancel" in unknown.stderr


def test_every_rule_of_the_estimate_names_a_test_of_the_suite() -> None:
    tests = suite_tests()
    names = {(t.base_name, _estimate.param_of(t)) for t in tests}
    for name, prefix in _estimate.COSTS:
        assert any(n == name and p.startswith(prefix) for n, p in names), f"no test {name}[{prefix}…]"
    assert set(_estimate.GROUPS) <= {t.group for t in tests}


def test_every_creates_jobs_marker_accepts_at_most_what_it_may_create() -> None:
    tests = [t for t in suite_tests() if t.creates_jobs]
    refused = [t for t in tests if t.accepted is not None]
    assert refused, "the creates a conformant target refuses are marked accepted=0"
    for test in tests:
        for profile in PROFILES.values():
            raw = test.accepted if test.accepted is not None else test.creates
            assert test.accepted_in(profile) == (
                raw.get(profile.name, 0) if isinstance(raw, dict) else raw
            ), test.nodeid
