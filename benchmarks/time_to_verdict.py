"""Time to verdict: each profile of the suite, and plain `schemathesis run`, against the reference server.

    python benchmarks/time_to_verdict.py                 # every case, 3 repetitions each
    python benchmarks/time_to_verdict.py --repeat 1 --cases quick-embedded,standard-embedded
    python benchmarks/time_to_verdict.py --json out.json

For each case it prints the median wall time, the requests the suite sent, the jobs it created, the peak
resident memory of the run (largest process), and the verdict. Jobs of the reference server take 0.2, 5 or
20 s (`--job-seconds`); two cases test a crowded server (`--preload 3000`, and with another client creating
jobs, `--background-creates 0.5`); `schemathesis run` (all phases, all checks but use_after_free, same spec
and server) is measured beside the suite. Figures go in the README's performance section.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

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
]


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
        server = None
        with tempfile.TemporaryDirectory() as tmp:
            if case.tool == "suite":
                cmd = [
                    sys.executable,
                    "-m",
                    "conformance",
                    "run",
                    "--profile",
                    str(case.profile),
                    "--report-dir",
                    tmp,
                    "--seed",
                    "1",
                ]
                if case.job_seconds is not None:
                    args = ["--job-seconds", str(case.job_seconds), *case.server_args]
                    server = start_subprocess(args, env=env)
                    cmd += ["--base-url", server.base_url]
                    # what the embedded server would know, so the same requirements are in scope
                    env = {**env, **KNOWN_TO_THE_SERVER}
            else:
                server = start_subprocess(["--job-seconds", str(case.job_seconds or 1.0)], env=env)
                cmd = [
                    sys.executable,
                    "-m",
                    "schemathesis.cli",
                    "run",
                    str(ROOT / "spec" / "segment-jobs.openapi.yaml"),
                    "--url",
                    server.base_url,
                    "--checks",
                    "all",
                    "--exclude-checks",
                    "use_after_free",
                    "-H",
                    f"Authorization: Bearer {DEFAULT_ACCESS_TOKEN}",
                    "-H",
                    f"x-api-key: {DEFAULT_API_KEY}",
                    "-H",
                    f"x-gw-ims-org-id: {DEFAULT_IMS_ORG}",
                    "-H",
                    f"x-sandbox-name: {DEFAULT_SANDBOX}",
                    "--seed",
                    "1",
                    "--no-color",
                ]
            try:
                measured = _measure(cmd, env)
            finally:
                if server is not None:
                    server.stop()
            result.wall_s.append(round(measured["wall"], 2))
            result.exit_codes.append(int(measured["code"]))
            peak = max(peak, measured["maxrss_kb"] / 1024)
            results_file = Path(tmp) / "results.json"
            if case.tool == "suite" and results_file.exists():
                data = json.loads(results_file.read_text())
                result.verdict = data["verdict"]
                result.requests = data.get("stats", {}).get("requests")
                result.jobs = data.get("stats", {}).get("jobs_created")
            elif case.tool == "schemathesis":
                result.verdict = "passed" if measured["code"] == 0 else f"exit {int(measured['code'])}"
    result.median_s = round(statistics.median(result.wall_s), 2)
    result.peak_mb = round(peak, 1)
    return result


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
