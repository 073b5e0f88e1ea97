"""Detection power: our suite and plain schemathesis side by side, on every mutant and honest variant.

    python benchmarks/detection.py [--quick] [--json out.json] [--workers N]

For each mutant (tests/mutants/mutant_catalog.py: a reference server with one fault planted) and each honest
variant (a reference server making doc-compatible choices), a fresh reference server is started for each
tool, and

* ``segjobs-conformance run`` runs the whole profile against it (``standard``; ``quick`` with ``--quick``),
  no ``--select``: a fault counts as caught only when the run exits 1 (non-conformant) *and* one of the
  mutant's expected requirement IDs failed (the table also counts exit 1 for any reason);
* ``schemathesis run`` runs on ``spec/segment-jobs.openapi.yaml`` with every check except
  ``use_after_free``, the tenant headers (``-H``) and a bounded ``--max-examples``: a fault counts as caught
  when it exits non-zero. Because it also reports findings against the unmodified reference server, the
  table adds how many mutants it tells apart from that baseline (a finding, code and operation, that the
  baseline run did not have).

An honest variant passes our suite only when it exits 0 with every in-scope MUST requirement judged and
passed (a run that is merely not failed, or incomplete, does not count); for schemathesis, when it exits 0.
The honest servers include the crowded ones (thousands of older jobs, another client creating jobs, small
pages). ``--quick`` takes the representative mutants and four honest servers (a few minutes); the full run
takes every live mutant and every variant.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "mutants")]

from mutant_catalog import (  # noqa: E402
    ALL_LATITUDE,
    CROWDED_VARIANTS,
    HONEST_VARIANTS,
    LATITUDE_VARIANTS,
    RUN_ENV,
    live_mutants,
)

from conformance._config import load_settings  # noqa: E402
from conformance.reference.server import start_subprocess  # noqa: E402

SPEC = ROOT / "spec" / "segment-jobs.openapi.yaml"
BIN = Path(sys.executable).parent
SCHEMATHESIS = str(BIN / "schemathesis") if (BIN / "schemathesis").exists() else "schemathesis"
QUICK_HONEST = ("reference", "bulk-unknown-error", "cancel-direct", "all-variants")
RUN_BOUND_S = 600


@dataclass(frozen=True)
class Target:
    kind: str  # mutant | honest
    name: str
    server_args: tuple[str, ...]
    server_env: Mapping[str, str]
    run_env: Mapping[str, str]
    expected: tuple[str, ...] = ()
    strict: bool = False  # the fault breaks a SHOULD only: our run passes --strict
    profile: str = "quick"  # the lowest profile of ours that can see the fault
    base_path: str = ""  # what the run's --base-url adds to the server's URL
    misses: tuple[str, ...] = ()  # SHOULDs an honest choice does not follow


PROFILE_RANK = {"quick": 0, "standard": 1, "full": 2}


@dataclass
class Outcome:
    tool: str
    target: str
    kind: str
    exit_code: int | None
    seconds: float
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def flagged(self) -> bool:
        """The tool said the server is wrong."""
        return self.exit_code not in (0, None)

    @property
    def caught(self) -> bool:
        """Ours: exit 1 naming one of the mutant's expected requirements (schemathesis: flagged)."""
        if self.tool != "segjobs-conformance":
            return self.flagged
        return self.exit_code == 1 and bool(self.detail.get("expected_failed"))

    @property
    def honest_pass(self) -> bool:
        """Ours: exit 0 with every in-scope MUST judged and passed (schemathesis: exit 0)."""
        if self.tool != "segjobs-conformance":
            return self.exit_code == 0
        return self.exit_code == 0 and self.detail.get("must_not_passed") == []


#: every honest server: the doc-compatible choices, crowded sandboxes, and the latitude of ERRATA and HTTP
HONEST_VARIANTS_ALL = (*HONEST_VARIANTS, *CROWDED_VARIANTS, *LATITUDE_VARIANTS, ALL_LATITUDE)


def targets(quick: bool) -> list[Target]:
    mutants = [m for m in live_mutants() if m.representative or not quick]
    found = [
        Target("mutant", m.name, m.server_args, {}, m.run_env, m.expected, m.strict, m.profile)
        for m in mutants
    ]
    honest = [Target("honest", "reference", (), {}, dict(RUN_ENV))]
    honest += [
        Target("honest", v.name, v.flags, dict(v.env), v.run_env, base_path=v.base_path, misses=v.misses)
        for v in HONEST_VARIANTS_ALL
    ]
    if quick:
        honest = [t for t in honest if t.name in QUICK_HONEST]
    return honest[:1] + found + honest[1:]


def _clean_env(extra: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEGJOBS_")}
    env["SEGJOBS_WORKERS"] = "1"  # one process per run, as in the mutant self-tests (a URL's default: auto)
    env.update(extra)
    return env


def run_ours(target: Target, base_url: str, profile: str, work: Path, seed: int = 1) -> Outcome:
    started = time.monotonic()
    if PROFILE_RANK[target.profile] > PROFILE_RANK[profile]:
        profile = target.profile
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "conformance",
            "run",
            "--base-url",
            base_url + target.base_path,
            "--profile",
            profile,
            "--seed",
            str(seed),
            "--report-dir",
            str(work / "reports"),
            *(["--strict"] if target.strict else []),
        ],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=RUN_BOUND_S,
        env=_clean_env(target.run_env),
    )
    seconds = time.monotonic() - started
    results_path = work / "reports" / "results.json"
    detail: dict[str, Any] = {"verdict": None, "failed": []}
    if results_path.exists():
        results = json.loads(results_path.read_text())
        detail["verdict"] = results["verdict"]
        detail["failed"] = [r["id"] for r in results["requirements"] if r["outcome"] == "fail"]
        detail["messages"] = {
            r["id"]: r["failures"][0]["message"][:400]
            for r in results["requirements"]
            if r["outcome"] == "fail" and r["failures"]
        }
        detail["aborted"] = results.get("aborted")
        detail["must_not_passed"] = [
            r["id"]
            for r in results["requirements"]
            if r["level"] == "MUST" and r["outcome"] not in ("pass", "disabled")
        ]
    detail["expected_failed"] = sorted(set(detail["failed"]) & set(target.expected))
    return Outcome("segjobs-conformance", target.name, target.kind, proc.returncode, seconds, detail)


def run_schemathesis(target: Target, base_url: str, max_examples: int, work: Path) -> Outcome:
    headers = load_settings({}, _clean_env(target.run_env)).auth_headers()
    report = work / "schemathesis.json"
    command = [
        SCHEMATHESIS,
        "run",
        str(SPEC),
        "--url",
        base_url,
        "--checks",
        "all",
        "--exclude-checks",
        "use_after_free",
        "--max-examples",
        str(max_examples),
        "--seed",
        "1",
        "--generation-database",
        "none",
        "--request-timeout",
        "15",
        "--no-color",
        "--report",
        "json",
        "--report-json-path",
        str(report),
    ]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    started = time.monotonic()
    proc = subprocess.run(
        command, cwd=work, capture_output=True, text=True, timeout=RUN_BOUND_S, env=_clean_env({})
    )
    seconds = time.monotonic() - started
    findings: list[str] = []
    if report.exists():
        data = json.loads(report.read_text())
        findings = sorted(
            f"{f['code']} {operation}" for f in data.get("failures", []) for operation in f["operations"]
        )
        codes = sorted({f"{f['code']} {f['title']}" for f in data.get("failures", [])})
    else:
        codes = [f"no report (exit {proc.returncode}): {proc.stderr[-300:]}"]
    return Outcome(
        "schemathesis",
        target.name,
        target.kind,
        proc.returncode,
        seconds,
        {"findings": findings, "codes": codes},
    )


def measure(target: Target, tool: str, profile: str, max_examples: int, seed: int = 1) -> Outcome:
    env = _clean_env(dict(target.server_env))
    with tempfile.TemporaryDirectory(prefix="segjobs-detection-") as tmp:
        server = start_subprocess(list(target.server_args), env=env)
        try:
            if tool == "ours":
                return run_ours(target, server.base_url, profile, Path(tmp), seed)
            return run_schemathesis(target, server.base_url, max_examples, Path(tmp))
        except subprocess.TimeoutExpired:
            name = "segjobs-conformance" if tool == "ours" else "schemathesis"
            return Outcome(name, target.name, target.kind, None, RUN_BOUND_S, {"timeout": True})
        finally:
            server.stop()


# -- the report ------------------------------------------------------------------------------------------
def summarise(
    all_targets: Sequence[Target],
    ours: Mapping[str, Outcome],
    st: Mapping[str, Outcome],
    wall: Mapping[str, float],
) -> dict[str, Any]:
    baseline = set(st["reference"].detail["findings"]) if "reference" in st else set()
    for outcome in st.values():
        outcome.detail["beyond_baseline"] = sorted(set(outcome.detail["findings"]) - baseline)
    mutants = [t for t in all_targets if t.kind == "mutant"]
    honest = [t for t in all_targets if t.kind == "honest"]
    return {
        "mutants": len(mutants),
        "honest": len(honest),
        "ours": {
            "caught": sum(ours[t.name].caught for t in mutants),
            "exit_1": sum(ours[t.name].exit_code == 1 for t in mutants),
            "honest_passed": sum(ours[t.name].honest_pass for t in honest),
            "run_seconds": round(sum(ours[t.name].seconds for t in all_targets), 1),
            "wall_seconds": round(wall["ours"], 1),
        },
        "schemathesis": {
            "caught": sum(st[t.name].flagged for t in mutants),
            "caught_beyond_baseline": sum(bool(st[t.name].detail["beyond_baseline"]) for t in mutants),
            "honest_passed": sum(st[t.name].exit_code == 0 for t in honest),
            "honest_without_new_findings": sum(not st[t.name].detail["beyond_baseline"] for t in honest),
            "run_seconds": round(sum(st[t.name].seconds for t in all_targets), 1),
            "wall_seconds": round(wall["st"], 1),
            "baseline_findings": sorted(baseline),
        },
    }


def print_table(
    all_targets: Sequence[Target],
    ours: Mapping[str, Outcome],
    st: Mapping[str, Outcome],
    summary: Mapping[str, Any],
    command: str,
) -> None:
    n, m = summary["mutants"], summary["honest"]
    o, s = summary["ours"], summary["schemathesis"]
    rows = [
        ("tool", "faults caught", "honest variants passed", "wall time", "sum of runs"),
        (
            "segjobs-conformance",
            f"{o['caught']}/{n} (exit 1 on an expected ID; {o['exit_1']} exit 1 in all)",
            f"{o['honest_passed']}/{m}",
            f"{o['wall_seconds']:.0f} s",
            f"{o['run_seconds']:.0f} s",
        ),
        (
            "schemathesis",
            f"{s['caught']}/{n} ({s['caught_beyond_baseline']} beyond its baseline)",
            f"{s['honest_passed']}/{m} ({s['honest_without_new_findings']} without new findings)",
            f"{s['wall_seconds']:.0f} s",
            f"{s['run_seconds']:.0f} s",
        ),
    ]
    print(f"\n{command}\n")
    for row in rows:
        print(f"{row[0]:<21} {row[1]:<36} {row[2]:<40} {row[3]:>9} {row[4]:>11}")
    baseline = ", ".join(s["baseline_findings"]) or "none"
    print(f"\nschemathesis baseline (its findings on the unmodified reference server): {baseline}\n")
    print(
        f"{'kind':<7} {'target':<40} {'ours':<7} {'ours: expected IDs failed':<36} {'st':<7} "
        "st: findings beyond baseline"
    )
    for target in all_targets:
        mine, theirs = ours[target.name], st[target.name]
        expected = ", ".join(mine.detail.get("expected_failed", [])) or "-"
        beyond = "; ".join(theirs.detail.get("beyond_baseline", [])) or "-"
        print(
            f"{target.kind:<7} {target.name:<40} {_mark(target, mine):<7} {expected:<36} "
            f"{_mark(target, theirs):<7} {beyond}"
        )


def _mark(target: Target, outcome: Outcome) -> str:
    if outcome.exit_code is None:
        return "TIMEOUT"
    if target.kind == "mutant":
        return "caught" if outcome.caught else "MISSED"
    return "pass" if outcome.honest_pass else "FALSE+"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="representative mutants, four honest servers, profile quick, 10 examples",
    )
    parser.add_argument("--json", metavar="PATH", help="also write every result to this file")
    parser.add_argument(
        "--profile",
        choices=("quick", "standard", "full"),
        help="profile of our suite (default: standard; quick with --quick)",
    )
    parser.add_argument(
        "--max-examples", type=int, help="schemathesis --max-examples (default 25; 10 with --quick)"
    )
    parser.add_argument("--workers", type=int, default=2, help="runs at a time (default 2)")
    parser.add_argument("--only", metavar="NAMES", help="comma-separated target names (debugging)")
    parser.add_argument(
        "--honest-seeds",
        type=int,
        metavar="N",
        help="instead: our suite only, against every honest server with seeds 1..N (no false positive)",
    )
    args = parser.parse_args(argv)
    if args.honest_seeds:
        return honest_sweep(args.honest_seeds, args.profile or "standard", args.workers, args.only, args.json)
    profile = args.profile or ("quick" if args.quick else "standard")
    max_examples = args.max_examples or (10 if args.quick else 25)
    chosen = targets(args.quick)
    if args.only:
        names = set(args.only.split(","))
        chosen = [t for t in chosen if t.name in names or t.name == "reference"]
    print(
        f"{len(chosen)} targets; our suite: profile {profile}; schemathesis: --max-examples {max_examples}; "
        f"{args.workers} at a time",
        flush=True,
    )

    ours: dict[str, Outcome] = {}
    st: dict[str, Outcome] = {}
    wall = {"ours": 0.0, "st": 0.0}
    for tool, into, key in (("ours", ours, "ours"), ("st", st, "st")):
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=max(1, args.workers)) as pool:
            futures = {t.name: pool.submit(measure, t, tool, profile, max_examples) for t in chosen}
            for name, future in futures.items():
                into[name] = future.result()
                print(
                    f"  {key:<5} {name:<40} exit {into[name].exit_code}  {into[name].seconds:6.1f} s",
                    flush=True,
                )
        wall[key] = time.monotonic() - started

    summary = summarise(chosen, ours, st, wall)
    command = "python benchmarks/detection.py " + " ".join(argv if argv is not None else sys.argv[1:])
    print_table(chosen, ours, st, summary, command.strip())
    if args.json:
        document = {
            "command": command.strip(),
            "profile": profile,
            "max_examples": max_examples,
            "summary": summary,
            "targets": [asdict(t) for t in chosen],
            "results": [asdict(o) for o in [*ours.values(), *st.values()]],
        }
        Path(args.json).write_text(json.dumps(document, indent=2, default=str) + "\n")
    return 0


def honest_sweep(seeds: int, profile: str, workers: int, only: str | None, json_path: str | None) -> int:
    """Every honest server, seeds 1..N, our suite only: each must pass every time (exit 0, every in-scope MUST
    judged and passed)."""
    chosen = [t for t in targets(quick=False) if t.kind == "honest"]
    if only:
        chosen = [t for t in chosen if t.name in set(only.split(","))]
    print(
        f"{len(chosen)} honest servers x seeds 1..{seeds}; profile {profile}; {workers} at a time", flush=True
    )
    started = time.monotonic()
    runs = [(t, seed) for t in chosen for seed in range(1, seeds + 1)]
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = [(t, seed, pool.submit(measure, t, "ours", profile, 0, seed)) for t, seed in runs]
        outcomes = [(t, seed, f.result()) for t, seed, f in futures]
    wall = time.monotonic() - started
    print(f"\npython benchmarks/detection.py --honest-seeds {seeds} --profile {profile}\n")
    print(f"{'honest server':<28} {'passed':>8}  failed seeds (what failed)")
    passed_all = 0
    for target in chosen:
        mine = [(seed, o) for t, seed, o in outcomes if t is target]
        bad = [(seed, o) for seed, o in mine if not o.honest_pass]
        passed_all += not bad
        shown = "; ".join(f"{seed}: exit {o.exit_code} {o.detail.get('must_not_passed')}" for seed, o in bad)
        print(f"{target.name:<28} {len(mine) - len(bad):>4}/{len(mine):<3}  {shown or '-'}")
    print(f"\n{passed_all}/{len(chosen)} honest servers passed every seed; wall {wall:.0f} s")
    if json_path:
        document = {
            "seeds": seeds,
            "profile": profile,
            "wall_seconds": round(wall, 1),
            "results": [{"seed": seed, **asdict(o)} for _, seed, o in outcomes],
        }
        Path(json_path).write_text(json.dumps(document, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
