"""Time to verdict: each profile of the suite, and plain `schemathesis run`, against the reference server.

    python benchmarks/time_to_verdict.py                 # every case, 3 repetitions each
    python benchmarks/time_to_verdict.py --repeat 1 --cases quick-embedded,standard-embedded
    python benchmarks/time_to_verdict.py --json out.json
    python benchmarks/time_to_verdict.py --cases standard-latency-100ms,schemathesis-latency-100ms-workers-4

For each case it prints the median wall time, the requests the suite sent, the jobs it created, the peak
resident memory of the run (largest process), and the verdict. Jobs of the reference server take 0.2, 5 or
20 s (`--job-seconds`); two cases test a crowded server (`--preload 3000`, and with another client creating
jobs, `--background-creates 0.5`); `schemathesis run` (all phases, all checks but use_after_free, same spec
and server) is measured beside the suite.

A distant target: `serve --latency 100` and `--latency 300` delay every answer by 100 or 300 ms (+/- 10 %);
`standard` runs against each in one process (`--workers 1`) and over workers (`--workers auto`, the default
against a URL; `full` too at 300 ms), and so does `schemathesis run --workers 4`.

A target that hangs: the reference server behind a proxy (:class:`HangOnNonJson`) that never answers a
create (``POST /segment/jobs``) whose body is not JSON (a server stuck on a body it cannot parse), and
passes every other request on. The run keeps the default timeouts (read 15 s); the case shows how long the run
takes, which requirements did not pass and which tests took longest, to see that only the hanging
operation's requirements are reported and that its generated tests stop at the first timeout.

Figures go in the README's performance section.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "hostile"))  # the raw-socket servers of the hostile self-tests

from hostile_server import RawServer, Received, head_bytes  # noqa: E402

from conformance._config import (  # noqa: E402
    DEFAULT_ACCESS_TOKEN,
    DEFAULT_API_KEY,
    DEFAULT_FAILING_SEGMENT_ID,
    DEFAULT_IMS_ORG,
    DEFAULT_SANDBOX,
    DEFAULT_SECOND_SANDBOX,
)
from conformance.reference.server import start_subprocess  # noqa: E402

KNOWN_TO_THE_SERVER = {
    "SEGJOBS_SECOND_SANDBOX_NAME": DEFAULT_SECOND_SANDBOX,
    "SEGJOBS_FAILING_SEGMENT_ID": DEFAULT_FAILING_SEGMENT_ID,
    # the reference server's cancel deadline, the embedded run's (the late checks wait it out)
    "SEGJOBS_CANCEL_TIMEOUT": "3",
}

# Runs a command and prints the largest resident set of its process tree's members (kB), as JSON.
_WRAPPER = (
    "import json, resource, subprocess, sys, time\n"
    "t = time.monotonic()\n"
    "code = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
    "print(json.dumps({'code': code, 'wall': time.monotonic() - t,\n"
    "                  'maxrss_kb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))\n"
)


@dataclass
class Case:
    name: str
    tool: str  # suite | schemathesis
    profile: str | None = None
    job_seconds: float | None = None  # None: the embedded server (its default job time)
    server_args: tuple[str, ...] = ()  # more flags of the separately started server
    tool_args: tuple[str, ...] = ()  # more flags of the tool (schemathesis run, or the suite's run)
    hang: str | None = None  # "METHOD PATH": behind a proxy that never answers its bodies that are not JSON


@dataclass
class Result:
    case: str
    tool: str
    runs: int
    wall_s: list[float] = field(default_factory=list)
    median_s: float = 0.0
    requests: int | None = None
    jobs: int | None = None
    peak_mb: float = 0.0
    verdict: str = ""
    exit_codes: list[int] = field(default_factory=list)
    #: the suite's requirements that did not pass, nor were out of scope, with their outcome (last run)
    not_passed: dict[str, str] = field(default_factory=dict)
    #: with ``hang``: the requests the proxy never answered, per run
    held: list[int] = field(default_factory=list)
    #: the suite's tests that took longest (name, seconds; last run)
    slowest_tests: list[tuple[str, float]] = field(default_factory=list)


CASES = [
    Case("quick-embedded", "suite", "quick"),
    Case("standard-embedded", "suite", "standard"),
    Case("full-embedded", "suite", "full"),
    Case("standard-jobs-0.2s", "suite", "standard", 0.2),
    Case("standard-jobs-5s", "suite", "standard", 5.0),
    Case("standard-jobs-20s", "suite", "standard", 20.0),
    Case("standard-preload-3000", "suite", "standard", 1.0, ("--preload", "3000")),
    Case(
        "standard-crowded-busy",
        "suite",
        "standard",
        1.0,
        ("--preload", "3000", "--background-creates", "0.5"),
    ),
    Case("schemathesis-run", "schemathesis", None, 1.0),
    Case("standard-latency-100ms", "suite", "standard", 1.0, ("--latency", "100"), ("--workers", "1")),
    Case("standard-latency-300ms", "suite", "standard", 1.0, ("--latency", "300"), ("--workers", "1")),
    Case(
        "standard-latency-100ms-workers-auto",
        "suite",
        "standard",
        1.0,
        ("--latency", "100"),
        ("--workers", "auto"),
    ),
    Case(
        "standard-latency-300ms-workers-auto",
        "suite",
        "standard",
        1.0,
        ("--latency", "300"),
        ("--workers", "auto"),
    ),
    Case(
        "full-latency-300ms-workers-auto", "suite", "full", 1.0, ("--latency", "300"), ("--workers", "auto")
    ),
    Case(
        "schemathesis-latency-100ms-workers-4",
        "schemathesis",
        None,
        1.0,
        ("--latency", "100"),
        ("--workers", "4"),
    ),
    Case(
        "schemathesis-latency-300ms-workers-4",
        "schemathesis",
        None,
        1.0,
        ("--latency", "300"),
        ("--workers", "4"),
    ),
    Case(
        "standard-create-hangs-on-non-json",
        "suite",
        "standard",
        1.0,
        tool_args=("--workers", "1"),
        hang="POST /segment/jobs",
    ),
    Case(
        "standard-create-hangs-on-non-json-workers-auto",
        "suite",
        "standard",
        1.0,
        tool_args=("--workers", "auto"),
        hang="POST /segment/jobs",
    ),
]
SCHEMATHESIS_HEADERS = (
    f"Authorization: Bearer {DEFAULT_ACCESS_TOKEN}",
    f"x-api-key: {DEFAULT_API_KEY}",
    f"x-gw-ims-org-id: {DEFAULT_IMS_ORG}",
    f"x-sandbox-name: {DEFAULT_SANDBOX}",
)
#: outcomes of results.json that are neither a pass nor out of scope
_NOT_PASSED = ("fail", "error", "skip", "untested")
#: headers about one connection or one framing, which the proxy sets itself (RFC 9110 section 7.6.1)
_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-length", "te", "trailer", "upgrade", "host"}
)


class HangOnNonJson(RawServer):
    """Passes every request on to ``upstream`` and its answer back, except a request of ``only`` ("METHOD
    PATH") whose body is not JSON: that one is never answered, its connection held open and silent until the
    proxy stops."""

    def __init__(self, upstream: str, only: str) -> None:
        super().__init__()
        parts = urllib.parse.urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.only = only
        self.held = 0  # requests never answered

    def answer(self, conn: socket.socket, request: Received) -> bool:
        if f"{request.method} {request.path.rstrip('/')}" == self.only and not _is_json(request.body):
            with self._lock:
                self.held += 1
            self.wait(3600)
            return False
        upstream = http.client.HTTPConnection(*self.upstream, timeout=60)
        try:
            headers = {k: v for k, v in request.headers if k.lower() not in _HOP_BY_HOP}
            upstream.request(request.method, request.target, body=request.body or None, headers=headers)
            response = upstream.getresponse()
            status, reason, body = response.status, response.reason, response.read()
            fields = {k: v for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP}
        finally:
            upstream.close()
        if status not in (204, 304) and request.method != "HEAD":
            fields["Content-Length"] = str(len(body))
        conn.sendall(head_bytes(status, reason, fields) + body)
        return True


def _is_json(body: bytes) -> bool:
    try:
        json.loads(body)
    except ValueError:  # UnicodeDecodeError included
        return False
    return True


@contextmanager
def _target(case: Case, env: dict[str, str]) -> Iterator[tuple[str | None, HangOnNonJson | None]]:
    """The base URL of the case's server (None: the embedded server), and its proxy if it has one, started
    for one run."""
    if case.job_seconds is None:
        yield None, None
        return
    server = start_subprocess(["--job-seconds", str(case.job_seconds), *case.server_args], env=env)
    proxy = None if case.hang is None else HangOnNonJson(server.base_url, case.hang).start()
    try:
        yield (server.base_url, None) if proxy is None else (proxy.base_url, proxy)
    finally:
        if proxy is not None:
            proxy.stop()
        server.stop()


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("SEGJOBS_")}


def _measure(cmd: list[str], env: dict[str, str]) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", _WRAPPER, *cmd],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=1800,
    )
    data: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return data


def run_case(case: Case, repeat: int) -> Result:
    result = Result(case.name, case.tool, repeat)
    peak = 0.0
    for _ in range(repeat):
        env = _clean_env()
        with tempfile.TemporaryDirectory() as tmp, _target(case, env) as (base_url, proxy):
            if case.tool == "suite":
                cmd = [sys.executable, "-m", "conformance", "run", "--profile", str(case.profile)]
                cmd += ["--report-dir", tmp, "--seed", "1"]
                cmd += list(case.tool_args)
                if base_url is not None:
                    cmd += ["--base-url", base_url]
                    # what the embedded server would know, so the same requirements are in scope
                    env = {**env, **KNOWN_TO_THE_SERVER}
            else:
                assert base_url is not None
                cmd = [sys.executable, "-m", "schemathesis.cli", "run"]
                cmd += [str(ROOT / "spec" / "segment-jobs.openapi.yaml"), "--url", base_url]
                cmd += ["--checks", "all", "--exclude-checks", "use_after_free"]
                for header in SCHEMATHESIS_HEADERS:
                    cmd += ["-H", header]
                cmd += ["--seed", "1", "--no-color", *case.tool_args]
            measured = _measure(cmd, env)
            if proxy is not None:
                result.held.append(proxy.held)
            result.wall_s.append(round(measured["wall"], 2))
            result.exit_codes.append(int(measured["code"]))
            peak = max(peak, measured["maxrss_kb"] / 1024)
            results_file = Path(tmp) / "results.json"
            if case.tool == "suite" and results_file.exists():
                data = json.loads(results_file.read_text())
                result.verdict = data["verdict"]
                result.requests = data.get("stats", {}).get("requests")
                result.jobs = data.get("stats", {}).get("jobs_created")
                rows = data["requirements"]
                result.not_passed = {r["id"]: _why(r) for r in rows if r["outcome"] in _NOT_PASSED}
                tests = sorted(data["tests"], key=lambda t: -float(t.get("duration_s") or 0))
                result.slowest_tests = [
                    (t["name"], round(float(t.get("duration_s") or 0), 1)) for t in tests[:5]
                ]
            elif case.tool == "schemathesis":
                result.verdict = "passed" if measured["code"] == 0 else f"exit {int(measured['code'])}"
    result.median_s = round(statistics.median(result.wall_s), 2)
    result.peak_mb = round(peak, 1)
    return result


def _why(row: dict[str, Any]) -> str:
    """The outcome of a requirement that did not pass, with the first line of its first failure or reason."""
    failures = row.get("failures") or []
    text = str(failures[0].get("message", "")) if failures else str(row.get("reason") or "")
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    test = f" in {failures[0].get('test')}" if failures else ""
    return f"{row['outcome']}: {first[:200]}{test}" if first else str(row["outcome"])


def table(results: list[Result]) -> str:
    lines = [
        "| case | tool | median wall (s) | runs | requests | jobs created | peak RSS (MB) | verdict |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.case} | {r.tool} | {r.median_s} | {r.runs} | {'-' if r.requests is None else r.requests} "
            f"| {'-' if r.jobs is None else r.jobs} | {r.peak_mb} | {r.verdict} |"
        )
    for r in results:
        if r.not_passed:
            lines.append(f"{r.case}: not passed: " + ", ".join(f"{k} ({v})" for k, v in r.not_passed.items()))
        if r.held:
            lines.append(f"{r.case}: requests never answered, per run: {r.held}")
        if r.slowest_tests and r.not_passed:
            lines.append(f"{r.case}: slowest tests: " + ", ".join(f"{n} {d} s" for n, d in r.slowest_tests))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per case (the median is shown)")
    parser.add_argument("--cases", help="comma-separated case names (default: all)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON to this file")
    args = parser.parse_args()
    wanted = set(args.cases.split(",")) if args.cases else None
    cases = [c for c in CASES if wanted is None or c.name in wanted]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    results = []
    for case in cases:
        started = time.monotonic()
        results.append(run_case(case, args.repeat))
        print(f"  {case.name}: done in {time.monotonic() - started:.1f}s", file=sys.stderr)
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
