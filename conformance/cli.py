"""The ``segjobs-conformance`` command: run, serve, requirements, spec, report.

``run`` drives pytest with the suite's plugin, so ``segjobs-conformance run`` and
``pytest -p conformance.plugin --pyargs conformance.suite`` are the same run. ``run``'s settings flags, the
plugin's ``--segjobs-*`` options and the variables listed by ``run --help`` all come from the options table
(:mod:`conformance._options`); only pytest's own switches live here: ``-v`` (pytest's verbosity) and the
arguments after ``--`` (handed to pytest as they are).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

from conformance import __version__, _options, _options_wiring, _spec
from conformance._config import ConfigError, Settings, load_settings

EXIT_USAGE = 2
EXIT_RUN_ERROR = 3

EXIT_CODES_HELP = (
    "Exit codes of run: 0 conformant, 1 non-conformant, 2 usage or configuration error, "
    "3 the run could not be carried out, 4 incomplete (nothing failed, but a MUST could not be judged)."
)

#: pytest arguments that make "the suite": its own ini (no user config leaks in), the plugin, the tests;
#: no cache folder where the user happens to be, and no hunt for unraisable exceptions at the end (pytest's
#: plugin for them runs the garbage collector over the whole heap several times as the run ends, about 0.3 s
#: of every run; an exception ignored during the run is still printed on stderr, by Python itself)
SUITE_ARGS = (
    "-c",
    str(Path(__file__).with_name("suite") / "pytest.ini"),
    "-p",
    "conformance.plugin",
    "--pyargs",
    "conformance.suite",
    "-p",
    "no:cacheprovider",
    "-p",
    "no:unraisableexception",
)


class _UsageError(Exception):
    """A bad value given to ``run``: one line on stderr, exit 2."""


def _parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The top-level parser, and each command's own (whose usage an error of that command prints)."""
    parser = argparse.ArgumentParser(
        prog="segjobs-conformance",
        description="Conformance suite for the Segment Jobs API (/segment/jobs).",
        epilog=EXIT_CODES_HELP,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _run_parser(sub)
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
    merge = sub.add_parser(
        "merge",
        help="make one run of the shards' results.json files (run --shard I/N): results.json and the reports",
        description="Merge the results.json of every shard of one run (run --shard I/N on N machines) into "
        "one results.json, junit.xml, report.html and summary.md, with one verdict. Shards of different "
        "suite or spec versions, targets, profiles, seeds or --strict settings are refused, and so is a "
        "missing or repeated shard (exit 2). "
        + EXIT_CODES_HELP.replace("Exit codes of run", "Otherwise the exit code is run's"),
    )
    merge.add_argument("results", nargs="+", help="the results.json of each shard")
    merge.add_argument(
        "--report-dir", metavar="DIR", default="reports", help="where to write (default: reports/)"
    )
    return parser, dict(sub.choices)


def _run_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``run``: the table's flags, pytest's ``-v`` and passthrough; its help ends with every variable."""
    base_url = _options.option("base_url")
    description = (
        f"Run the suite. Without {base_url.flag} (and {base_url.env}) the embedded reference server is "
        "started on a free loopback port and tested. Against your implementation, set the credentials below "
        "first."
    )
    run = sub.add_parser(
        "run",
        help="run the suite against an implementation (default: the embedded server)",
        description=textwrap.fill(description, 100),
        epilog=_options_wiring.variables_epilog() + "\n\n" + textwrap.fill(EXIT_CODES_HELP, 100),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _options_wiring.add_run_options(run.add_argument)
    run.add_argument("-v", "--verbose", action="store_true", help="list every test and every requirement")
    run.add_argument(
        "pytest_args",
        nargs="*",
        metavar="-- PYTEST_ARG",
        help="after --, extra arguments passed to pytest as they are",
    )


def _split_passthrough(argv: list[str]) -> tuple[list[str], list[str]]:
    """``run``'s own arguments, and those after its first ``--`` (for pytest, as they are)."""
    if argv[:1] != ["run"] or "--" not in argv:
        return argv, []
    cut = argv.index("--")
    return argv[:cut], argv[cut + 1 :]


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["serve"]:  # the reference server parses its own options (and --help)
        from conformance.reference.__main__ import main as serve_main

        return serve_main(argv[1:], prog="segjobs-conformance serve")
    parser, commands = _parser()
    own, passthrough = _split_passthrough(argv)
    args, unknown = parser.parse_known_args(own)
    command_parser = commands.get(args.command, parser)
    if args.command == "run" and args.pytest_args:
        unknown += args.pytest_args
        command_parser.error(
            f"unrecognized arguments: {' '.join(unknown)} (arguments for pytest go after --)"
        )
    if unknown:  # the usage of the command they were given to, not the top-level one
        command_parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if args.command == "run":
        args.pytest_args = passthrough
        return _run(args)
    if args.command == "requirements":
        return _requirements(args.format, with_tests=args.tests)
    if args.command == "spec":
        sys.stdout.write(_spec.spec_text(args.file))
        return 0
    if args.command == "report":
        return _report(Path(args.results), Path(args.report_dir) if args.report_dir else None)
    if args.command == "merge":
        return _merge(args.results, Path(args.report_dir))
    parser.print_help()
    return EXIT_USAGE


def _merge(paths: Sequence[str], report_dir: Path) -> int:
    """``merge``: one results.json and the reports of the shards of one run; exit as ``run`` would."""
    from conformance import _merge, _summary, reporting
    from conformance._results import EXIT_CODES

    parts = []
    for path in paths:
        try:
            parts.append(json.loads(Path(path).read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            print(f"segjobs-conformance: error: {path}: not a readable results.json ({exc})", file=sys.stderr)
            return EXIT_USAGE
    try:
        _merge.check_parts(parts, paths)
    except _merge.MergeError as exc:
        print(f"segjobs-conformance: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    run = {**parts[0]["run"], "shard": None, "part": None, "shards": [p["run"]["shard"] for p in parts]}
    results = _merge.merge(parts, catalog=_spec.load_requirements(), run=run)
    report_dir.mkdir(parents=True, exist_ok=True)
    target = report_dir / "results.json"
    target.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    reporting.write_reports(results, report_dir)
    for line in _summary.lines(results):
        print(line)
    print(_summary.verdict_line(results, target))
    return EXIT_CODES[results["verdict"]]


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

    from conformance._records import requirements_of

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
    """``run``: check the settings and run pytest on the suite (its plugin writes results and reports)."""
    try:
        settings = _checked_settings(args)
    except (ConfigError, _UsageError) as exc:
        print(f"segjobs-conformance: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.plan:
        return _plan(args)
    results_path = _fresh_results_path(settings.report_dir)
    code = _pytest_main(_pytest_args(args, results_path))
    if not results_path.exists():
        # no verdict: a usage error (pytest printed it), or the suite could not even be collected
        return EXIT_USAGE if code in (EXIT_USAGE, 4) else EXIT_RUN_ERROR
    return code


def _checked_settings(args: argparse.Namespace) -> Settings:
    """The settings, validated once here so that a bad value is exit 2 with one clear line (the plugin
    reads them again from the same flags, environment and file)."""
    settings = load_settings(_options_wiring.run_flags(vars(args)), os.environ, args.config)
    if args.job_seconds is not None:
        try:
            float(args.job_seconds)
        except ValueError:
            raise _UsageError(f"invalid --job-seconds {args.job_seconds!r}: expected a number") from None
    if args.json and not args.plan:
        raise _UsageError("--json goes with --plan (the run itself writes results.json)")
    return settings


def _plan(args: argparse.Namespace) -> int:
    """``run --plan``: the suite collected as the run would collect it (pytest's ``--collect-only``: no
    request is sent and no server started), and what the run would do printed as text or JSON. Exit 0, or 2
    when the selection needs more jobs than ``--max-jobs`` allows (the run would refuse to start)."""
    import contextlib
    import io

    import pytest

    from conformance import _planview
    from conformance._plan import JobPlan, TestInfo, budget_problem
    from conformance._session import SuiteState
    from conformance.plugin import info_of, state_of

    class Recorder:
        def __init__(self) -> None:
            self.kept: list[TestInfo] = []
            self.dropped: list[TestInfo] = []
            self.state: SuiteState | None = None
            self.after: set[str] = set()

        def pytest_deselected(self, items: Sequence[pytest.Item]) -> None:
            self.dropped += [info_of(item) for item in items]

        @pytest.hookimpl(trylast=True)
        def pytest_collection_finish(self, session: pytest.Session) -> None:
            self.state = state_of(session.config)
            self.kept = [info_of(item) for item in session.items]
            self.after = {i.nodeid for i in session.items if i.get_closest_marker("after_all") is not None}

    recorder = Recorder()
    pytest_args = [*SUITE_ARGS, "--collect-only", "-q", *_options_wiring.forwarded_to_pytest(vars(args))]
    with contextlib.redirect_stdout(io.StringIO()) as out:
        code = int(pytest.main([*pytest_args, *args.pytest_args], plugins=[recorder]))
    state = recorder.state
    if state is None or code not in (0, int(pytest.ExitCode.NO_TESTS_COLLECTED)):
        sys.stderr.write(out.getvalue())  # pytest's complaint (a usage error went to stderr already)
        return EXIT_USAGE if code in (EXIT_USAGE, int(pytest.ExitCode.USAGE_ERROR)) else EXIT_RUN_ERROR
    plan = _planview.build(
        tests=recorder.kept,
        deselected=recorder.dropped,
        settings=state.settings,
        catalog=state.catalog,
        suite={
            "name": "segment-jobs-conformance",
            "version": __version__,
            "spec_sha256": _spec.spec_sha256(),
        },
        embedded=state.embedded,
        job_timeout=(state.timings.job_timeout, state.timings.job_timeout_from),
    )
    settings = state.settings
    if settings.worker_count > 1:  # each worker its own part of this machine's tests, and its own fleet
        from conformance import _parts

        workers, _, plans = _parts.split(
            recorder.kept,
            recorder.after,
            settings,
            state.profile,
            settings.worker_count,
            auto=settings.auto_workers,
        )
        whole = JobPlan.of_parts(plans)
        plan["workers"] = {"count": workers, "jobs": whole.total}
        if whole.total > settings.max_jobs and plan["jobs"]["problem"] is None:
            plan["jobs"]["problem"] = budget_problem(whole, settings, parts=len(plans))
    if args.json:
        print(json.dumps(plan, indent=2))
    else:
        print("\n".join(_planview.lines(plan, verbose=args.verbose)))
    if plan["jobs"]["problem"] is not None:
        print(f"segjobs-conformance: error: {plan['jobs']['problem']}", file=sys.stderr)
        return EXIT_USAGE
    return 0


def _fresh_results_path(report_dir: Path) -> Path:
    """``results.json`` in the report dir (created), with no earlier run's file: what is there afterwards
    is this run's."""
    report_dir.mkdir(parents=True, exist_ok=True)
    results_path = report_dir / "results.json"
    results_path.unlink(missing_ok=True)
    return results_path


def _pytest_args(args: argparse.Namespace, results_path: Path) -> list[str]:
    """The suite, quiet or verbose, writing ``results_path``; ``run``'s flags as the plugin's options; then
    the arguments given after ``--``."""
    return [
        *SUITE_ARGS,
        "--tb=no",
        "-rN",  # the per-requirement summary replaces pytest's short summary
        "-q" if not args.verbose else "-v",
        _options.pytest_option("results"),
        str(results_path),
        *_options_wiring.forwarded_to_pytest(vars(args)),
        *args.pytest_args,
    ]


def _pytest_main(args: list[str]) -> int:
    import pytest

    return int(pytest.main(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
