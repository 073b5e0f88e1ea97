"""``--rate-limit`` and ``--har`` through the real command line: the HAR a run writes is HAR 1.2 that a real
reader opens, every one-second window of it holds no more requests than the cap, each entry names its test
and requirements, the raw-socket cancel is in it, and no planted secret is, in it or anywhere else.

At 5/s a quick run takes about a minute (the figure in README.md comes from this test's command), so that
case is in the slow set; the default set runs the same checks at 50/s."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from haralyzer import HarParser
from selftest import har_problems, run_suite

TOKEN = "tok-PLANTED-rate-3e1f"
API_KEY = "key-PLANTED-rate-c07a"
SECRETS = {"SEGJOBS_ACCESS_TOKEN": TOKEN, "SEGJOBS_API_KEY": API_KEY}


def started(entry: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(entry["startedDateTime"].replace("Z", "+00:00"))


def most_in_one_second(moments: list[dt.datetime]) -> int:
    """The most requests any window of one second holds (its start counted, its end not)."""
    ordered = sorted(moments)
    most, start = 0, 0
    for end, moment in enumerate(ordered):
        while moment - ordered[start] >= dt.timedelta(seconds=1):
            start += 1
        most = max(most, end - start + 1)
    return most


def no_secret_in(outputs: dict[str, str]) -> None:
    for name, text in outputs.items():
        for secret in SECRETS.values():
            assert secret not in text, f"{secret} leaked into {name}"


@pytest.mark.parametrize(
    "cap",
    [pytest.param(50, id="50-per-second"), pytest.param(5, id="5-per-second", marks=pytest.mark.slow)],
)
def test_a_capped_quick_run_keeps_every_second_within_the_cap_as_its_har_shows(
    tmp_path: Path, cap: int
) -> None:
    har_path = tmp_path / "run.har"
    run = run_suite(
        tmp_path,
        "--profile",
        "quick",
        "--seed",
        "1",
        "--rate-limit",
        f"{cap}/s",
        "--har",
        str(har_path),
        env=SECRETS,
        timeout=400,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.results is not None and run.results["verdict"] == "conformant"
    assert f"har: {har_path} (" in run.stdout
    document = json.loads(har_path.read_text(encoding="utf-8"))
    assert har_problems(document) == []
    entries = document["log"]["entries"]

    # the cap, read from the HAR: no one-second window holds more than the cap
    assert most_in_one_second([started(e) for e in entries]) <= cap
    rate = run.results["stats"]["rate"]
    assert rate["cap"] == f"{cap}/s" and rate["cap_per_s"] == cap
    assert rate["achieved_per_s"] <= cap
    assert 0 < len(entries) <= rate["requests"]  # a request that got no answer has no entry
    assert f"(--rate-limit {cap}/s)" in run.stdout

    # each entry names the test that sent it and that test's requirements (none outside a test's call)
    tests = {t["id"]: t["requirements"] for t in run.results["tests"]}
    tagged = [e["_segjobs"] for e in entries if e["_segjobs"]["test"]]
    assert len(tagged) > len(entries) / 2
    for tag in tagged:
        assert tag["requirements"] == tests[tag["test"]], tag
    assert any(tag["test"].startswith("test_properties.py::") for tag in tagged)

    # the raw-socket cancel: its DELETE and the GET after it on the same connection
    raw = [e for e in entries if e["_segjobs"]["transport"] == "raw socket"]
    assert [e["request"]["method"] for e in raw] == ["DELETE", "GET"]
    assert raw[0]["response"]["status"] == 204 and raw[0]["connection"] == raw[1]["connection"]

    # no planted secret anywhere: the HAR, the reports, the terminal
    outputs = {"stdout": run.stdout, "stderr": run.stderr}
    for path in tmp_path.rglob("*"):
        if path.is_file():
            outputs[str(path)] = path.read_text(errors="replace")
    assert str(har_path) in outputs and len(outputs) >= 7
    no_secret_in(outputs)
    assert any(h["value"] == "Bearer ***" for h in entries[0]["request"]["headers"])

    # and a real HAR reader opens it
    parser = HarParser.from_file(str(har_path))
    opened = [entry for page in parser.pages for entry in page.entries]
    assert len(opened) == len(entries)
    assert all(entry.startTime is not None for entry in opened)


def test_a_run_cut_short_still_writes_its_har(tmp_path: Path, reference_server: Any) -> None:
    """Credentials the target refuses end the run at its first request (exit 2): the HAR holds that
    exchange, masked."""
    server = reference_server()
    har_path = tmp_path / "out" / "refused.har"
    run = run_suite(
        tmp_path, "--profile", "quick", "--base-url", server.base_url, "--har", str(har_path), env=SECRETS
    )
    assert run.returncode == 2, run.stdout + run.stderr
    document = json.loads(har_path.read_text(encoding="utf-8"))
    assert har_problems(document) == []
    (entry,) = document["log"]["entries"]
    assert entry["response"]["status"] == 401 and entry["_segjobs"]["test"] == ""
    assert document["log"]["_segjobs"]["verdict"] == "error"
    assert "refused the credentials" in document["log"]["_segjobs"]["aborted"]
    no_secret_in({str(har_path): har_path.read_text(encoding="utf-8")})
