"""The ``segjobs-conformance`` command: run, serve, requirements, spec, report.

``run`` drives pytest with the suite's plugin, so ``segjobs-conformance run`` and
``pytest -p conformance.plugin --pyargs conformance.suite`` are the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from conformance import __version__, _spec
from conformance._config import PROFILES, ConfigError, load_settings

EXIT_USAGE = 2
EXIT_RUN_ERROR = 3

#: pytest arguments that make "the suite": its own ini (no user config leaks in), the plugin, the test package
SUITE_ARGS = (
    "-c",
    str(Path(__file__).with_name("suite") / "pytest.ini"),
    "-p",
    "conformance.plugin",
    "--pyargs",
    "conformance.suite",
    "-p",
    "no:cacheprovider",
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="segjobs-conformance",
        description="Conformance suite for the Segment Jobs API (/segment/jobs).",
        epilog="Exit codes of run: 0 conformant, 1 non-conformant, 2 usage or configuration error, "
        "3 the run could not be carried out, 4 incomplete (nothing failed, but a MUST could not be judged).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="run the suite against an implementation (default: the embedded server)",
        description="Run the suite. Without --base-url (and SEGJOBS_BASE_URL) the embedded "
        "reference server is started on a free loopback port and tested.",
    )
    run.add_argument("--base-url", help="base URL up to and without /segment/jobs (env SEGJOBS_BASE_URL)")
    run.add_argument(
        "--profile", choices=PROFILES, help="quick, standard (default) or full (env SEGJOBS_PROFILE)"
    )
    run.add_argument(
        "--select",
        metavar="EXPR",
        help="comma-separated requirement IDs or prefixes (SJ-CANCEL), groups (cancel) or test names",
    )
    run.add_argument("--report-dir", metavar="DIR", help="where the reports go (default: reports/)")
    run.add_argument("--seed", help="seed of generated data, to reproduce a run (env SEGJOBS_SEED)")
    run.add_argument(
        "--strict",
        action="store_true",
        default=None,
        help="a failed SHOULD requirement also makes the run non-conformant",
    )
    run.add_argument("--config", metavar="FILE", help="TOML file with settings (env SEGJOBS_CONFIG)")
    run.add_argument("--max-jobs", metavar="N", help="most jobs the run may create (default 50)")
    run.add_argument(
        "--read-only",
        action="store_true",
        default=None,
        help="run only what creates no job (for production targets)",
    )
    run.add_argument(
        "--job-seconds", metavar="S", help="job duration of the embedded reference server (default 1.0)"
    )
    run.add_argument("-v", "--verbose", action="store_true", help="list every test and every requirement")
    run.add_argument(
        "pytest_args", nargs=argparse.REMAINDER, help="after --, extra arguments passed to pytest as they are"
    )

    sub.add_parser("serve", help="run the reference server (serve --help lists its options)")

    reqs = sub.add_parser("requirements", help="list the requirement catalog")
    reqs.add_argument("--format", choices=("text", "json", "yaml"), default="text")
    reqs.add_argument("--tests", action="store_true", help="also list the tests that verify each requirement")
    sub.add_parser("spec", help="print the OpenAPI document").add_argument(
        "--file",
        default=_spec.OPENAPI_FILE,
        choices=(_spec.OPENAPI_FILE, _spec.REQUIREMENTS_FILE, _spec.ERRATA_FILE),
        help="which file of spec/ to print",
    )
    report = sub.add_parser(
        "report", help="rebuild junit.xml, report.html and summary.md from a results.json"
    )
    report.add_argument("results", help="path of a results.json")
    report.add_argument("--report-dir", metavar="DIR", help="where to write (default: next to results.json)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["serve"]:  # the reference server parses its own options (and --help)
        from conformance.reference.__main__ import main as serve_main

        return serve_main(argv[1:], prog="segjobs-conformance serve")
    args = _parser().parse_args(argv)
    if args.command == "run":
        return _run(args)
    if args.command == "requirements":
        return _requirements(args.format, with_tests=args.tests)
    if args.command == "spec":
        sys.stdout.write(_spec.spec_text(args.file))
        return 0
    if args.command == "report":
        return _report(Path(args.results), Path(args.report_dir) if args.report_dir else None)
    _parser().print_help()
    return EXIT_USAGE


def _requirements(fmt: str, *, with_tests: bool = False) -> int:
    catalog = _spec.load_requirements()
    if with_tests:
        covering = suite_tests_by_requirement()
        for req in catalog:
            req["tests"] = covering.get(req["id"], [])
    if fmt == "json":
        print(json.dumps(catalog, indent=2))
    elif fmt == "yaml":
        sys.stdout.write(_spec.spec_text(_spec.REQUIREMENTS_FILE))
    else:
        for req in catalog:
            print(f"{req['id']:<18} {req['level']:<6} {req['title']}  ({req['source']})")
            for test in req.get("tests", []):
                print(f"{'':<26}{test}")
        print(f"\n{len(catalog)} requirements")
    return 0


def suite_tests_by_requirement() -> dict[str, list[str]]:
    """Collects the suite (nothing is run, no server is started) and maps requirement IDs to test ids."""
    import contextlib
    import io

    import pytest

    from conformance.plugin import requirements_of

    found: dict[str, list[str]] = {}

    class Recorder:
        def pytest_collection_finish(self, session: pytest.Session) -> None:
            for item in session.items:
                for req in requirements_of(item):
                    found.setdefault(req, []).append(item.nodeid)

    args = [*SUITE_ARGS, "--collect-only", "-q"]
    with contextlib.redirect_stdout(io.StringIO()) as out:
        code = pytest.main(args, plugins=[Recorder()])
    if code != 0:
        raise RuntimeError(f"the suite could not be collected (pytest exit {int(code)}):\n{out.getvalue()}")
    return found


def _report(results_path: Path, report_dir: Path | None) -> int:
    from conformance import reporting

    try:
        written = reporting.rebuild(results_path, report_dir)
    except FileNotFoundError:
        print(f"segjobs-conformance: error: no such file {results_path}", file=sys.stderr)
        return EXIT_USAGE
    except (ValueError, KeyError) as exc:
        print(f"segjobs-conformance: error: {results_path} is not a results.json ({exc})", file=sys.stderr)
        return EXIT_USAGE
    for path in written:
        print(path)
    return 0


def _run(args: argparse.Namespace) -> int:
    flags = {
        "base_url": args.base_url,
        "profile": args.profile,
        "select": args.select,
        "seed": args.seed,
        "strict": args.strict,
        "max_jobs": args.max_jobs,
        "read_only": args.read_only,
        "report_dir": args.report_dir,
    }
    try:  # validate once here, so that a bad value is exit 2 with one clear line
        settings = load_settings(flags, os.environ, args.config)
        if args.job_seconds is not None:
            float(args.job_seconds)
    except ConfigError as exc:
        print(f"segjobs-conformance: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ValueError:
        print(
            f"segjobs-conformance: error: invalid --job-seconds {args.job_seconds!r}: expected a number",
            file=sys.stderr,
        )
        return EXIT_USAGE
    report_dir = settings.report_dir
    report_dir.mkdir(parents=True, exist_ok=True)
    results_path = report_dir / "results.json"
    results_path.unlink(missing_ok=True)  # what is there afterwards is this run's
    pytest_args = [
        *SUITE_ARGS,
        "--tb=no",
        "-rN",  # the per-requirement summary replaces pytest's short summary
        "-q" if not args.verbose else "-v",
        "--segjobs-results",
        str(results_path),
    ]
    for option, value in (
        ("--segjobs-base-url", args.base_url),
        ("--segjobs-profile", args.profile),
        ("--segjobs-select", args.select),
        ("--segjobs-seed", args.seed),
        ("--segjobs-config", args.config),
        ("--segjobs-max-jobs", args.max_jobs),
        ("--segjobs-job-seconds", args.job_seconds),
    ):
        if value is not None:
            pytest_args += [option, str(value)]
    if args.strict:
        pytest_args.append("--segjobs-strict")
    if args.read_only:
        pytest_args.append("--segjobs-read-only")
    extra = [a for a in args.pytest_args if a != "--"]
    code = _pytest_main(pytest_args + extra)
    if not results_path.exists():
        # no verdict: a usage error (pytest printed it), or the suite could not even be collected
        return EXIT_USAGE if code in (EXIT_USAGE, 4) else EXIT_RUN_ERROR
    try:
        from conformance import reporting

        results = json.loads(results_path.read_text(encoding="utf-8"))
        reporting.write_reports(results, report_dir, redactor=settings.redactor)
        print(f"reports: {report_dir}/ (results.json, junit.xml, report.html, summary.md)")
    except Exception as exc:
        print(f"segjobs-conformance: warning: the reports could not be written: {exc}", file=sys.stderr)
    return code


def _pytest_main(args: list[str]) -> int:
    import pytest

    return int(pytest.main(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
