"""The command line: exit codes, messages, reports, secrets, cost control."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from selftest import ONE_PROCESS, SuiteRun, run_suite

from conformance._options import OPTIONS
from conformance._spec import load_requirements
from conformance.reference.ims import TOKEN_PATH, TOKEN_PREFIX

TOKEN = "tok-PLANTED-5f0c1e"
API_KEY = "key-PLANTED-91ab77"
CLIENT_ID = "cid-PLANTED-3b9e20"
CLIENT_SECRET = "sec-PLANTED-c41f07"
#: OAuth client credentials alone: the run mints its token (the client id is also the API key)
CLIENT = {"SEGJOBS_CLIENT_ID": CLIENT_ID, "SEGJOBS_CLIENT_SECRET": CLIENT_SECRET}


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance", *args], capture_output=True, text=True, timeout=120
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_spec_prints_the_openapi_document() -> None:
    proc = cli("spec")
    assert proc.returncode == 0
    assert yaml.safe_load(proc.stdout)["openapi"].startswith("3.1")


def test_requirements_lists_the_catalog() -> None:
    proc = cli("requirements")
    assert proc.returncode == 0
    assert "SJ-CANCEL-002" in proc.stdout
    assert proc.stdout.strip().endswith("requirements")


@pytest.mark.slow
def test_quick_run_against_the_embedded_server_is_conformant(tmp_path: Path) -> None:
    run = run_suite(tmp_path, "--profile", "quick")
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.results is not None
    assert run.results["verdict"] == "conformant"
    assert run.results["target"]["embedded"] is True
    assert "verdict: CONFORMANT" in run.stdout
    musts = sum(1 for r in load_requirements() if r["level"] == "MUST")
    assert f"MUST: {musts} passed, 0 failed, 0 undecided, 0 out of scope" in run.stdout
    assert "seed: " in run.stdout
    for name in ("results.json", "junit.xml", "report.html", "summary.md"):
        assert (tmp_path / "reports" / name).is_file()
    assert run.results["stats"]["jobs_created"] <= 10


@pytest.mark.slow
def test_quick_run_against_a_separately_started_server(tmp_path: Path, reference_server: Any) -> None:
    server = reference_server(["--job-seconds", "0.5"])
    run = run_suite(tmp_path, "--profile", "quick", "--base-url", server.base_url)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.results is not None and run.results["target"]["base_url"] == server.base_url


def test_unreachable_target_exits_3_with_a_clear_message(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    run = run_suite(tmp_path, "--profile", "quick", "--base-url", url)
    assert run.returncode == 3
    assert f"the target {url} is unreachable" in run.stdout
    assert run.results is not None and run.results["verdict"] == "error"


def test_wrong_credentials_exit_2_with_a_clear_message(tmp_path: Path, reference_server: Any) -> None:
    server = reference_server()
    run = run_suite(
        tmp_path, "--profile", "quick", "--base-url", server.base_url, env={"SEGJOBS_ACCESS_TOKEN": TOKEN}
    )
    assert run.returncode == 2
    assert "refused the credentials (HTTP 401)" in run.stdout
    assert TOKEN not in run.stdout + run.stderr


@pytest.mark.parametrize(
    ("args", "env", "needle"),
    [
        (["--max-jobs", "zero"], {}, "invalid max_jobs 'zero' (from --max-jobs)"),
        ([], {"SEGJOBS_READ_TIMEOUT": "-1"}, "(from environment variable SEGJOBS_READ_TIMEOUT)"),
        (["--base-url", "127.0.0.1:8080"], {}, "invalid base_url '127.0.0.1:8080' (from --base-url)"),
        (["--config", "/nonexistent/segjobs.toml"], {}, "expected an existing TOML file"),
        ([], {"SEGJOBS_CONFIG": "/nonexistent/segjobs.toml"}, "expected an existing TOML file"),
        (["--job-seconds", "soon"], {}, "invalid --job-seconds 'soon': expected a number"),
        (["--rate-limit", "abc"], {}, "invalid rate_limit 'abc' (from --rate-limit): expected N/s or N/m"),
        (["--rate-limit", "0/s"], {}, "invalid rate_limit '0/s' (from --rate-limit): expected N/s or N/m"),
        (
            [],
            {"SEGJOBS_RATE_LIMIT": "5/h"},
            "invalid rate_limit '5/h' (from environment variable SEGJOBS_RATE",
        ),
        (["--har", "."], {}, "invalid har '.' (from --har): expected the path of a file to write"),
    ],
)
def test_bad_configuration_exits_2_naming_the_value(
    tmp_path: Path, args: list[str], env: dict[str, str], needle: str
) -> None:
    run = run_suite(tmp_path, *args, env=env)
    assert run.returncode == 2
    assert needle in run.stderr


def test_a_planted_fault_exits_1_and_names_the_requirement(tmp_path: Path, reference_server: Any) -> None:
    server = reference_server(["--fault", "unknown-id-500"])
    run = run_suite(tmp_path, "--profile", "quick", "--base-url", server.base_url, "--select", "SJ-GET-002")
    assert run.returncode == 1, run.stdout + run.stderr
    assert run.results is not None and run.results["verdict"] == "nonconformant"
    assert {"SJ-GET-002", "SJ-ERROR-001"} <= run.failed()
    assert "FAIL   MUST   SJ-GET-002" in run.stdout
    failure = next(r for r in run.results["requirements"] if r["id"] == "SJ-GET-002")["failures"][0]
    assert failure["curl"].startswith("curl -X GET ")


def outputs_of(run: SuiteRun, tmp_path: Path) -> dict[str, str]:
    """Everything a run wrote: its stdout and stderr, and every file of its report dir."""
    outputs = {"stdout": run.stdout, "stderr": run.stderr}
    for path in (tmp_path / "reports").rglob("*"):
        if path.is_file():
            outputs[str(path)] = path.read_text(errors="replace")
    return outputs


def test_no_secret_reaches_any_output(tmp_path: Path, reference_server: Any) -> None:
    secrets = {"SEGJOBS_ACCESS_TOKEN": TOKEN, "SEGJOBS_API_KEY": API_KEY}
    server = reference_server(["--fault", "unknown-id-500"], env=secrets)
    run = run_suite(tmp_path, "--profile", "quick", "--base-url", server.base_url, env=secrets)
    assert run.returncode == 1, run.stdout + run.stderr
    outputs = outputs_of(run, tmp_path)
    assert len(outputs) >= 6
    assert any("curl -X" in text for text in outputs.values())
    for name, text in outputs.items():
        for secret in secrets.values():
            assert secret not in text, f"{secret} leaked into {name}"


def test_client_credentials_alone_mint_refresh_and_leak_nothing(
    tmp_path: Path, reference_server: Any
) -> None:
    """A run longer than a token's life (3 s) mints, refreshes, is conformant, and no output holds the
    client secret or a token (every token of the reference starts with TOKEN_PREFIX)."""
    ims = ["--ims-port", "0", "--ims-token-lifetime", "3", "--job-seconds", "3", "--access-log"]
    server = reference_server(ims, env=CLIENT)
    assert server.ims_token_url is not None
    env = {**CLIENT, "SEGJOBS_IMS_TOKEN_URL": server.ims_token_url}
    run = run_suite(tmp_path, "--profile", "quick", "--base-url", server.base_url, env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.results is not None and run.results["verdict"] == "conformant"
    minted = run.results["stats"]["tokens_minted"]
    assert minted >= 2, f"no refresh in a run of {run.results['duration_s']:.1f} s"
    server.stop()
    token_requests = [
        line for line in server.log().splitlines() if f'"POST {TOKEN_PATH} HTTP/1.1" 200' in line
    ]
    assert len(token_requests) == minted
    outputs = outputs_of(run, tmp_path)
    assert len(outputs) >= 6  # stdout, stderr and the four reports
    for name, text in outputs.items():
        for secret in (CLIENT_SECRET, CLIENT_ID, TOKEN_PREFIX):
            assert secret not in text, f"{secret} leaked into {name}"


def test_the_embedded_server_issues_the_tokens_of_client_credentials(tmp_path: Path) -> None:
    run = run_suite(tmp_path, "--profile", "quick", "--select", "SJ-AUTH", env=CLIENT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.results is not None and run.results["stats"]["tokens_minted"] >= 1
    for name, text in outputs_of(run, tmp_path).items():
        for secret in (CLIENT_SECRET, CLIENT_ID, TOKEN_PREFIX):
            assert secret not in text, f"{secret} leaked into {name}"


def test_a_bad_client_secret_exits_2_naming_the_variable(tmp_path: Path, reference_server: Any) -> None:
    server = reference_server(["--ims-port", "0"], env={**CLIENT, "SEGJOBS_CLIENT_SECRET": "the-real-secret"})
    assert server.ims_token_url is not None
    env = {**CLIENT, "SEGJOBS_IMS_TOKEN_URL": server.ims_token_url}
    run = run_suite(tmp_path, "--profile", "quick", "--base-url", server.base_url, env=env)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "refused the client credentials (HTTP 401 invalid_client" in run.stdout
    assert "check SEGJOBS_CLIENT_ID and SEGJOBS_CLIENT_SECRET" in run.stdout
    for name, text in outputs_of(run, tmp_path).items():
        assert CLIENT_SECRET not in text, f"the secret leaked into {name}"


@pytest.mark.slow
def test_read_only_against_an_empty_target_is_incomplete_and_says_why(tmp_path: Path) -> None:
    run = run_suite(tmp_path, "--profile", "quick", "--read-only")
    assert run.returncode == 4, run.stdout + run.stderr
    assert run.results is not None
    assert run.results["verdict"] == "incomplete"
    assert run.results["stats"]["create_requests"] == 0
    coverage = run.results["coverage"]
    assert {"SJ-GET-001", "SJ-GET-003", "SJ-LIST-014", "SJ-BULK-007"} <= set(coverage["undecided_reasons"])
    assert "no job to read" in coverage["undecided_reasons"]["SJ-GET-001"]
    assert coverage["out_of_scope_causes"][0] == "read-only"
    assert "verdict: INCOMPLETE" in run.stdout
    assert "not judged: no job to read" in run.stdout
    assert "out of scope (read-only" in run.stdout
    skipped = {t["reason"] for t in run.results["tests"] if t.get("skip_kind") == "disabled"}
    assert "creates jobs, and the run is --read-only" in skipped


def test_a_job_budget_below_the_selection_is_a_usage_error(tmp_path: Path) -> None:
    run = run_suite(tmp_path, "--profile", "quick", "--max-jobs", "2")
    assert run.returncode == 2, run.stdout + run.stderr
    message = run.stdout + run.stderr
    assert "the selected tests may create up to 10 jobs" in message
    assert "raise --max-jobs" in message and "--select" in message and "--read-only" in message
    assert run.results is None


@pytest.mark.slow
def test_the_planned_budget_is_enough(tmp_path: Path) -> None:
    run = run_suite(tmp_path, "--profile", "quick", "--max-jobs", "10")
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.results is not None
    assert run.results["stats"]["jobs_planned"] == 10
    assert run.results["stats"]["create_requests"] <= 10


@pytest.mark.parametrize(
    ("select", "hint"),
    [
        ("SJ-CANCLE-001", "did you mean SJ-CANCEL-001"),
        ("nosuchgroup", "matches no requirement ID, group or test"),
        ("canel", "did you mean cancel?"),
    ],
)
def test_an_unknown_select_term_is_a_usage_error(tmp_path: Path, select: str, hint: str) -> None:
    run = run_suite(tmp_path, "--select", select)
    assert run.returncode == 2, run.stdout + run.stderr
    assert hint in run.stdout + run.stderr
    assert run.results is None


def test_serve_help_lists_the_server_options() -> None:
    proc = cli("serve", "--help")
    assert proc.returncode == 0
    assert proc.stdout.startswith("usage: segjobs-conformance serve")
    assert "--job-seconds" in proc.stdout and "--db PATH" in proc.stdout


def test_report_rebuilds_the_reports_from_results_json(tmp_path: Path) -> None:
    run = run_suite(tmp_path, "--profile", "quick", "--select", "SJ-GET-002")
    assert run.returncode == 0, run.stdout + run.stderr
    out = tmp_path / "rebuilt"
    proc = cli("report", str(tmp_path / "reports" / "results.json"), "--report-dir", str(out))
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["junit.xml", "report.html", "summary.md"]
    assert (out / "report.html").read_text() == (tmp_path / "reports" / "report.html").read_text()


def test_report_of_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    proc = cli("report", str(tmp_path / "absent.json"))
    assert proc.returncode == 2
    assert "no such file" in proc.stderr


@pytest.mark.slow
def test_the_embedded_server_accepts_credentials_from_a_config_file(tmp_path: Path) -> None:
    config = tmp_path / "segjobs.toml"
    config.write_text(f'[segjobs]\naccess_token = "{TOKEN}"\napi_key = "{API_KEY}"\nsandbox = "staging"\n')
    run = run_suite(tmp_path, "--profile", "quick", "--select", "http", "--config", str(config))
    assert run.returncode == 0, run.stdout + run.stderr
    assert TOKEN not in run.stdout + run.stderr


def test_run_help_lists_every_variable_credentials_first_and_the_exit_codes() -> None:
    proc = cli("run", "--help")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: segjobs-conformance run")
    variables = [o.env for o in OPTIONS if o.env is not None]
    missing = [v for v in variables if f"  {v} " not in proc.stdout]
    assert not missing, f"run --help does not list {missing}"
    first_other = min(proc.stdout.index(f"  {o.env} ") for o in OPTIONS if o.env and not o.credential)
    credentials = ("SEGJOBS_ACCESS_TOKEN", "SEGJOBS_API_KEY", "SEGJOBS_CLIENT_ID", "SEGJOBS_CLIENT_SECRET")
    for name in (*credentials, "SEGJOBS_IMS_ORG", "SEGJOBS_SANDBOX_NAME"):
        assert proc.stdout.index(f"  {name} ") < first_other
    for flag in ("--base-url URL", "--profile NAME", "--report-dir DIR", "--job-seconds S", "--config FILE"):
        assert flag in proc.stdout
    text = " ".join(proc.stdout.split())
    assert "0 conformant, 1 non-conformant, 2 usage or configuration error, 3 the run could not be" in text
    assert "4 incomplete" in text


def test_help_lists_the_exit_codes() -> None:
    proc = cli("--help")
    assert proc.returncode == 0
    text = " ".join(proc.stdout.split())
    assert "Exit codes of run: 0 conformant, 1 non-conformant, 2 usage or configuration error, " in text
    assert "3 the run could not be carried out, 4 incomplete" in text


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["--profile", "quick", "--bogus", "x"], "unrecognized arguments: --bogus x"),
        (["SJ-GET-002"], "unrecognized arguments: SJ-GET-002 (arguments for pytest go after --)"),
        (["--access-token", "x"], "unrecognized arguments: --access-token x"),
        (["--profile", "fast"], "argument --profile: invalid choice: 'fast'"),
    ],
)
def test_a_bad_run_argument_prints_runs_usage_and_exits_2(args: list[str], needle: str) -> None:
    proc = cli("run", *args)
    assert proc.returncode == 2
    assert proc.stderr.startswith("usage: segjobs-conformance run ")
    assert f"segjobs-conformance run: error: {needle}" in proc.stderr


def test_an_unknown_option_of_another_command_prints_that_commands_usage() -> None:
    proc = cli("requirements", "--bogus")
    assert proc.returncode == 2
    assert proc.stderr.startswith("usage: segjobs-conformance requirements ")


def test_arguments_after_the_double_dash_go_to_pytest(tmp_path: Path) -> None:
    run = run_suite(tmp_path, "--", "--segjobs-no-such-option")
    assert run.returncode == 2
    assert "unrecognized arguments: --segjobs-no-such-option" in run.stderr
    assert "usage: segjobs-conformance" not in run.stderr  # pytest's complaint, not run's
    assert run.results is None


def test_run_forwards_its_flags_to_the_suite(tmp_path: Path) -> None:
    run = run_suite(
        tmp_path,
        "--profile",
        "quick",
        "--select",
        "SJ-GET-002",
        "--seed",
        "5",
        "--max-jobs",
        "3",
        "--strict",
        "--",
        "-p",
        "no:randomly",
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.results is not None
    assert run.results["suite"]["seed"] == 5
    assert run.results["target"]["profile"] == "quick"
    assert "seed: 5" in run.stdout
    assert run.outcome("SJ-GET-002") == "pass"
    assert run.results["stats"]["jobs_planned"] <= 3


def test_the_pytest_entry_point_writes_the_same_four_files(tmp_path: Path) -> None:
    """``pytest -p conformance.plugin --pyargs conformance.suite`` is the same run as ``run``."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SEGJOBS_")} | ONE_PROCESS
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "conformance.plugin",
            "--pyargs",
            "conformance.suite",
            "--segjobs-select",
            "SJ-GET-002",
            "-p",
            "no:cacheprovider",
            "-q",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env=environ,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    written = sorted(p.name for p in (tmp_path / "reports").iterdir())
    assert written == ["junit.xml", "report.html", "results.json", "summary.md"]
    assert "reports: reports/" in proc.stdout
