"""Requests per second of the reference server on loopback.

Starts ``python -m conformance.reference`` as a separate process on a temporary database, stores 1,000 jobs,
then for each operation runs several concurrent httpx clients (one thread and one connection each) for a
fixed time and counts the answers. Prints a table, then the same figures as JSON.

    python benchmarks/server_throughput.py [--clients 8] [--seconds 5] [--jobs 1000] [--json out.json]
    python benchmarks/server_throughput.py --preload 3000 --jobs 100      # a crowded sandbox

``--preload N`` starts the server with ``--preload N`` (N old finished jobs in each of its two sandboxes,
on top of the ``--jobs`` stored through the API in the default one).

Operations measured: get (one job by id), list (first page of 20, default order), the listings of a crowded
sandbox (a status filter, a sort, each property filter the suite uses, and a combination of them, each on
a page of 20), bulk-get (10 ids), create (last, so the listings above see exactly the stored jobs).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conformance.reference import ServerSettings, start_subprocess
from conformance.reference.preload import preloaded_id

SETTINGS = ServerSettings.from_env({})
HEADERS = {
    "Authorization": f"Bearer {SETTINGS.access_token}",
    "x-api-key": SETTINGS.api_key,
    "x-gw-ims-org-id": SETTINGS.ims_org,
    "x-sandbox-name": SETTINGS.default_sandbox.name,
}
CREATE_BODY = [{"segmentId": SETTINGS.segment_ids[0]}]

Request = Callable[[httpx.Client, random.Random], httpx.Response]

Params = list[tuple[str, str]]

PROPERTY_STATUS: Params = [("property", "status==SUCCEEDED"), ("limit", "20")]
#: The listings of a crowded sandbox, each a page of 20 (the property filters are the ones the suite uses).
CROWDED_LISTINGS: list[tuple[str, Params]] = [
    ("list, status=FAILED", [("status", "FAILED")]),
    ("list, sort=updateTime:asc", [("sort", "updateTime:asc")]),
    ("list, property segments~segmentId", [("property", f"segments~segmentId=={SETTINGS.segment_ids[1]}")]),
    (
        "list, property sandbox.sandboxName",
        [("property", f"sandbox.sandboxName=={SETTINGS.default_sandbox.name}")],
    ),
    (
        "list, status+sort+2 properties, start=40",
        [
            ("status", "SUCCEEDED"),
            ("sort", "creationTime:asc"),
            ("property", f"segments~segmentId=={SETTINGS.segment_ids[0]}"),
            ("property", f"sandbox.sandboxName=={SETTINGS.default_sandbox.name}"),
            ("start", "40"),
        ],
    ),
]


@dataclass
class Result:
    operation: str
    requests: int
    errors: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float


def store_jobs(base_url: str, count: int, clients: int) -> list[str]:
    def create(_: int) -> str:
        with httpx.Client(base_url=base_url, headers=HEADERS) as client:
            response = client.post("/segment/jobs", json=CREATE_BODY)
            response.raise_for_status()
            return str(response.json()["id"])

    with ThreadPoolExecutor(max_workers=clients) as pool:
        return list(pool.map(create, range(count)))


def measure(base_url: str, operation: str, request: Request, clients: int, seconds: float) -> Result:
    """Run ``request`` in a loop on ``clients`` threads for ``seconds``; count the answers."""
    start_barrier = threading.Barrier(clients + 1)
    deadline = 0.0
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    max_requests = 1_000_000  # a bound on each loop, whatever the clock does

    def run(index: int) -> None:
        rng = random.Random(index)
        with httpx.Client(base_url=base_url, headers=HEADERS, timeout=30) as client:
            request(client, rng)  # open the connection before the clock starts
            start_barrier.wait()
            for _ in range(max_requests):
                began = time.perf_counter()
                if began >= deadline:
                    break
                response = request(client, rng)
                latencies[index].append(time.perf_counter() - began)
                if response.status_code >= 400:
                    errors[index] += 1

    threads = [threading.Thread(target=run, args=(index,)) for index in range(clients)]
    for thread in threads:
        thread.start()
    deadline = time.perf_counter() + seconds + 0.05
    started = time.perf_counter()
    start_barrier.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    all_latencies = sorted(itertools.chain.from_iterable(latencies))
    count = len(all_latencies)
    return Result(
        operation=operation,
        requests=count,
        errors=sum(errors),
        seconds=round(elapsed, 2),
        rps=round(count / elapsed, 1),
        p50_ms=round(statistics.median(all_latencies) * 1000, 2) if count else 0.0,
        p99_ms=round(all_latencies[min(count - 1, int(count * 0.99))] * 1000, 2) if count else 0.0,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default: %(default)s)")
    parser.add_argument(
        "--seconds", type=float, default=5.0, help="time per operation (default: %(default)s)"
    )
    parser.add_argument(
        "--jobs", type=int, default=1000, help="jobs stored before measuring (default: %(default)s)"
    )
    parser.add_argument(
        "--preload",
        type=int,
        default=0,
        help="old finished jobs the server holds in each sandbox from start-up (default: %(default)s)",
    )
    parser.add_argument("--json", metavar="PATH", help="also write the JSON figures to PATH")
    args = parser.parse_args(argv)
    in_sandbox = args.jobs + args.preload

    environment = {name: value for name, value in os.environ.items() if not name.startswith("SEGJOBS_")}
    with tempfile.TemporaryDirectory(prefix="segjobs-bench-") as folder:
        db = str(Path(folder) / "jobs.db")
        server_args = ["--db", db, "--job-seconds", "1", "--preload", str(args.preload)]
        with start_subprocess(server_args, env=environment) as server:
            job_ids = store_jobs(server.base_url, args.jobs, args.clients)
            job_ids += [
                preloaded_id(SETTINGS.ims_org, SETTINGS.default_sandbox.name, index)
                for index in range(args.preload)
            ]
            time.sleep(1.2)  # let the stored jobs finish, so every read sees settled jobs

            def listing(params: Params) -> Request:
                return lambda client, rng: client.get("/segment/jobs", params=tuple(params))

            operations: list[tuple[str, Request]] = [
                ("get", lambda client, rng: client.get(f"/segment/jobs/{rng.choice(job_ids)}")),
                ("list (limit 20)", listing([])),
                (f"list, property filter ({in_sandbox} jobs)", listing(PROPERTY_STATUS)),
                *((name, listing(params)) for name, params in CROWDED_LISTINGS),
                (
                    "list, property id==X",
                    lambda client, rng: client.get(
                        "/segment/jobs", params={"property": f"id=={rng.choice(job_ids)}"}
                    ),
                ),
                (
                    "bulk-get (10 ids)",
                    lambda client, rng: client.post(
                        "/segment/jobs/bulk-get", json={"ids": [{"id": i} for i in rng.sample(job_ids, 10)]}
                    ),
                ),
                ("create", lambda client, rng: client.post("/segment/jobs", json=CREATE_BODY)),
            ]
            results = [
                measure(server.base_url, name, request, args.clients, args.seconds)
                for name, request in operations
            ]

    print(
        f"reference server, {args.jobs} jobs stored, {args.preload} preloaded per sandbox, "
        f"{args.clients} clients, {args.seconds:g} s per operation"
    )
    print(f"{'operation':<42} {'requests':>9} {'errors':>7} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
    for r in results:
        print(
            f"{r.operation:<42} {r.requests:>9} {r.errors:>7} {r.rps:>9.1f} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f}"
        )
    report = {
        "benchmark": "server_throughput",
        "command": "python benchmarks/server_throughput.py "
        + " ".join(argv if argv is not None else sys.argv[1:]),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "jobs_stored": args.jobs,
        "jobs_preloaded_per_sandbox": args.preload,
        "clients": args.clients,
        "seconds_per_operation": args.seconds,
        "results": [asdict(r) for r in results],
    }
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    return 1 if any(r.errors for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
