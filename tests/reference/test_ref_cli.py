"""The command line (``python -m conformance.reference``, also ``segjobs-conformance serve``) and the
ways to start the server from Python."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance.cli import main as cli_main
from conformance.reference import FAULTS, ServerSettings, start_in_thread, start_subprocess
from conformance.reference.__main__ import build_parser, main

SETTINGS = ServerSettings.from_env({})


def clean_env(**extra: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("SEGJOBS_")}
    env.update(extra)
    return env


def test_help_documents_options_environment_and_faults(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    for option in ("--host", "--port", "--db", "--job-seconds", "--bulk-unknown", "--cancel-direct"):
        assert option in text
    for option in ("--extra-fields", "--max-limit", "--default-order", "--fault"):
        assert option in text
    assert "SEGJOBS_SEGMENT_IDS" in text and "SEGJOBS_FAILING_SEGMENT_ID" in text
    assert all(name in text for name in FAULTS)


def test_help_documents_the_crowded_sandbox_and_the_access_log(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["serve", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for option in ("--preload N", "--background-creates SECONDS", "--access-log"):
        assert option in text
    assert "SUCCEEDED, FAILED and CANCELLED" in text and "30 days" in text
    assert "a --db file keeps N per sandbox however often the server restarts" in text
    assert "each sandbox (the default one and the second)" in text and "never cancelled" in text
    assert 'CLIENT_HOST:CLIENT_PORT - "METHOD PATH?QUERY HTTP/VERSION" STATUS' in text
    assert '127.0.0.1:54321 - "DELETE /segment/jobs/JOB_ID HTTP/1.1" 204' in text


def test_help_documents_every_variant_of_the_latitude(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["serve", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split()).replace("Retry- After", "Retry-After")  # wrapped
    for option in (
        "--lenient-query",
        "--refuse-filter-paths",
        "--refuse-sort-attributes",
        "--bulk-unknown {omit,error,error-object}",
        "--cancel-delay S",
        "--delete-cancelled S",
        "--listing-lag S",
        "--throttle-every N",
        "--unavailable-every N",
        "--connection-close",
        "--idle-close S",
        "--gzip",
        "--chunked",
        "--path-prefix PATH",
        "--absolute-links",
        "--latency MS",
    ):
        assert option in text
    assert "every answer of the API comes MS milliseconds after its request" in text
    assert "give or take 10%" in text and "random generator seeded with 0" in text
    assert "the server serves other requests meanwhile" in text and "(default: 0, no delay)" in text
    assert '{"id", "error": {"status": 404, "message": "not found"}}' in text
    assert "answered 429 with Retry-After: 1" in text and "answered 503 with Retry-After: 1" in text
    assert "sort only on creationTime and updateTime" in text
    assert "property filters only on segments~segmentId and status" in text
    assert "lenient query (--lenient-query)" in text and "(limit=0, limit=-1): 1" in text
    assert "GET and cancel answer 404, and listings and bulk-get leave it out, all at once" in text


@pytest.mark.parametrize(
    "argv",
    [
        ["--preload", "-1"],
        ["--preload", "many"],
        ["--background-creates", "0"],
        ["--background-creates", "inf"],
        ["--background-creates", "often"],
        ["--port", "http"],
        ["--port", "70000"],
        ["--job-seconds", "0"],
        ["--job-seconds", "soon"],
        ["--max-limit", "0"],
        ["--bulk-unknown", "maybe"],
        ["--default-order", "random"],
        ["--fault", "no-such-fault"],
        ["--no-such-option"],
        ["--bulk-unknown", "errors"],
        ["--cancel-delay", "-1"],
        ["--cancel-delay", "later"],
        ["--delete-cancelled", "inf"],
        ["--listing-lag", "-0.5"],
        ["--throttle-every", "1"],
        ["--throttle-every", "often"],
        ["--unavailable-every", "0"],
        ["--idle-close", "0"],
        ["--path-prefix", "data/core/ups"],
        ["--path-prefix", "/data core"],
        ["--path-prefix", "/data?core"],
        ["--latency", "-1"],
        ["--latency", "soon"],
        ["--latency", "inf"],
        ["--latency", "nan"],
        ["--latency", ""],
    ],
)
def test_bad_arguments_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert "error" in capsys.readouterr().err


def test_parser_defaults() -> None:
    args = build_parser().parse_args([])
    assert (args.host, args.port, args.db, args.job_seconds) == ("127.0.0.1", 8080, None, 1.0)
    assert (args.bulk_unknown, args.cancel_direct, args.extra_fields) == ("omit", False, False)
    assert (args.max_limit, args.default_order, args.fault) == (100, "desc", [])
    assert (args.preload, args.background_creates, args.access_log) == (0, None, False)
    assert (args.lenient_query, args.refuse_filter_paths) == (False, False)
    assert args.refuse_sort_attributes is False
    assert (args.cancel_delay, args.delete_cancelled, args.listing_lag) == (0.0, None, 0.0)
    assert (args.throttle_every, args.unavailable_every, args.connection_close) == (None, None, False)
    assert (args.idle_close, args.gzip, args.chunked) == (None, False, False)
    assert (args.path_prefix, args.absolute_links) == ("", False)
    assert args.latency == 0.0
    assert build_parser().parse_args(["--latency", "250"]).latency == 250.0
    assert build_parser().parse_args(["--latency", "0"]).latency == 0.0
    assert build_parser().parse_args(["--path-prefix", "/data/core/ups/"]).path_prefix == "/data/core/ups"
    assert build_parser().parse_args(["--path-prefix", "/"]).path_prefix == ""


def test_latitude_flags_reach_the_server(tmp_path: Path) -> None:
    args = ["--db", str(tmp_path / "j.db"), "--lenient-query", "--refuse-filter-paths"]
    args += ["--refuse-sort-attributes", "--bulk-unknown", "error-object", "--cancel-delay", "0.2"]
    args += ["--delete-cancelled", "0.3", "--listing-lag", "0.4", "--throttle-every", "50"]
    args += ["--unavailable-every", "60", "--idle-close", "2", "--gzip", "--chunked"]
    args += ["--path-prefix", "/data/core/ups", "--absolute-links"]
    headers = {
        "Authorization": f"Bearer {SETTINGS.access_token}",
        "x-api-key": SETTINGS.api_key,
        "x-gw-ims-org-id": SETTINGS.ims_org,
        "Accept-Encoding": "gzip",
    }
    with start_subprocess(args, env=clean_env()) as server:
        api = f"{server.base_url}/data/core/ups/segment/jobs"
        with httpx.Client(headers=headers) as client:
            job = client.post(api, json=[{"segmentId": SETTINGS.segment_ids[0]}]).json()
            assert job["_links"]["cancel"]["href"] == f"{api}/{job['id']}"
            page = client.get(api, params={"limit": "0", "sort": "creationTime:up"})
            assert page.headers["content-encoding"] == "gzip"
            assert page.headers["transfer-encoding"] == "chunked"
            assert page.json()["_page"]["pageSize"] == 1
            assert client.get(api, params={"sort": "id:asc"}).status_code == 400
            assert client.get(api, params={"property": f"id=={job['id']}"}).status_code == 400
            assert client.post(f"{api}/bulk-get", json={"ids": [{"id": "x"}]}).json()["results"]["x"] == {
                "id": "x",
                "error": {"status": 404, "message": "not found"},
            }
        log = server.log()
    for line in (
        "query values   lenient",
        "cancel applied 0.2 s after the 204",
        "cancelled jobs removed 0.3 s after reaching CANCELLED",
        "listings       show jobs as they were 0.4 s ago",
        "request 50, 100, ... answered 429 (Retry-After: 1); request 60, 120, ... answered 503",
        "connections    keep-alive, closed after 2 s idle",
        "bodies         gzip when accepted, chunked",
        "served under   /data/core/ups (links are absolute URLs",
    ):
        assert line in log


def test_crowding_flags_reach_the_server(tmp_path: Path) -> None:
    headers = {
        "Authorization": f"Bearer {SETTINGS.access_token}",
        "x-api-key": SETTINGS.api_key,
        "x-gw-ims-org-id": SETTINGS.ims_org,
    }
    args = ["--db", str(tmp_path / "j.db"), "--preload", "9", "--background-creates", "0.05"]
    with start_subprocess([*args, "--job-seconds", "0.2"], env=clean_env()) as server:
        time.sleep(0.3)
        for sandbox in ("prod", "dev"):
            page = httpx.get(
                f"{server.base_url}/segment/jobs",
                headers={**headers, "x-sandbox-name": sandbox},
                params={"limit": 100, "sort": "creationTime:asc"},
            ).json()
            statuses = [job["status"] for job in page["children"]]
            assert statuses[:9] == ["SUCCEEDED", "FAILED", "CANCELLED"] * 3
            assert len(statuses) > 9  # and the other client's, newer
        assert "preloaded      9 finished jobs per sandbox" in server.log()


def test_invalid_environment_exits_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEGJOBS_FAILING_SEGMENT_ID", SETTINGS.segment_ids[0])
    assert main(["--port", "0"]) == 2
    assert "failing segment id" in capsys.readouterr().err


def test_a_busy_port_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    with start_in_thread(SETTINGS) as server:
        port = server.base_url.rsplit(":", 1)[1]
        assert main(["--port", port]) == 3
    assert "cannot listen" in capsys.readouterr().err


def test_subprocess_prints_one_line_on_stdout_and_masks_secrets(tmp_path: Path) -> None:
    env = clean_env(SEGJOBS_ACCESS_TOKEN="very-secret-token", SEGJOBS_API_KEY="very-secret-key")
    process = subprocess.Popen(
        [sys.executable, "-m", "conformance.reference", "--port", "0", "--db", str(tmp_path / "j.db")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**env, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith("listening on http://127.0.0.1:") and line.endswith("\n")
    base_url = line.removeprefix("listening on ").strip()
    headers = {"Authorization": "Bearer very-secret-token", "x-api-key": "very-secret-key"}
    headers["x-gw-ims-org-id"] = SETTINGS.ims_org
    assert httpx.get(f"{base_url}/segment/jobs", headers=headers).status_code == 200
    process.terminate()
    stdout, stderr = process.communicate(timeout=10)
    assert process.returncode == 0
    assert stdout == ""  # nothing after the one line
    assert "very-secret" not in stderr
    assert "****** (from the environment)" in stderr
    assert "segment ids" in stderr and SETTINGS.segment_ids[0] in stderr


def test_start_subprocess_passes_flags(tmp_path: Path) -> None:
    args = ["--db", str(tmp_path / "j.db"), "--cancel-direct", "--fault", "create-201"]
    with start_subprocess(args, env=clean_env()) as server:
        assert server.pid > 0
        headers = {
            "Authorization": f"Bearer {SETTINGS.access_token}",
            "x-api-key": SETTINGS.api_key,
            "x-gw-ims-org-id": SETTINGS.ims_org,
        }
        created = httpx.post(
            f"{server.base_url}/segment/jobs", headers=headers, json=[{"segmentId": SETTINGS.segment_ids[0]}]
        )
        assert created.status_code == 201
        assert "FAULTS" in server.log() and "create-201" in server.log()
    assert not server.log_path.exists()  # removed once stopped; the text stays available
    assert "create-201" in server.log()


def test_start_subprocess_reports_a_failed_start() -> None:
    with pytest.raises(RuntimeError, match="did not start"):
        start_subprocess(["--job-seconds", "-1"], env=clean_env())


def test_threaded_server_stops(tmp_path: Any) -> None:
    server = start_in_thread(SETTINGS)
    assert httpx.get(server.base_url + "/segment/jobs").status_code == 403
    server.stop()
    server.stop()  # idempotent
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.base_url + "/segment/jobs")


def test_an_unusable_database_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--port", "0", "--db", str(tmp_path / "missing" / "jobs.db")]) == 2
    not_a_database = tmp_path / "text.db"
    not_a_database.write_text("not a database" * 100)
    assert main(["--port", "0", "--db", str(not_a_database)]) == 2
    assert "cannot use the database" in capsys.readouterr().err


def test_help_names_the_calling_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"], prog="segjobs-conformance serve") == 0
    assert capsys.readouterr().out.startswith("usage: segjobs-conformance serve")
