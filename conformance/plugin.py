"""The pytest plugin of the suite.

Load it explicitly: ``pytest -p conformance.plugin --pyargs conformance.suite``.

It adds the ``segjobs`` option group, the ``requirement`` marker and the fixtures the suite's tests use
(``settings``, ``api``, ``jobs``, ``profile``), starts the embedded reference server when no base URL is
given, checks the target answers, rolls test outcomes up per requirement and writes ``results.json``.
It does nothing at all unless loaded, and is cheap to import.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sys
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from conformance import _spec
from conformance._checks import ConformanceFailure, set_redactor
from conformance._client import ApiClient, TransportError
from conformance._config import ConfigError, Settings, for_embedded, load_settings
from conformance._jobs import BudgetExhausted, JobTracker
from conformance._profiles import PROFILES, Profile
from conformance._results import EXIT_CODES, TestRecord, build_results

RESULTS_KEY = pytest.StashKey["SuiteState"]()

#: settings a test may need, the variable that sets it, for `@pytest.mark.needs(...)`
NEEDS = {
    "second_sandbox": "SEGJOBS_SECOND_SANDBOX_NAME",
    "failing_segment_id": "SEGJOBS_FAILING_SEGMENT_ID",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup(
        "segjobs", "segment-jobs-conformance (SEGJOBS_* variables fill what is not given)"
    )
    group.addoption(
        "--segjobs-base-url",
        default=None,
        metavar="URL",
        help="base URL of the implementation, without /segment/jobs (default: the embedded server)",
    )
    group.addoption(
        "--segjobs-profile", default=None, choices=sorted(PROFILES), help="quick, standard (default) or full"
    )
    group.addoption(
        "--segjobs-select",
        default=None,
        metavar="EXPR",
        help="comma-separated requirement IDs or prefixes (SJ-CANCEL), groups (cancel) or test names",
    )
    group.addoption("--segjobs-seed", default=None, metavar="N", help="seed of the generated data")
    group.addoption(
        "--segjobs-strict",
        action="store_true",
        default=None,
        help="a failed SHOULD requirement also makes the run non-conformant",
    )
    group.addoption("--segjobs-config", default=None, metavar="FILE", help="TOML file with settings")
    group.addoption("--segjobs-max-jobs", default=None, metavar="N", help="most jobs the run may create (50)")
    group.addoption(
        "--segjobs-read-only",
        action="store_true",
        default=None,
        help="run only what creates no job (for production targets)",
    )
    group.addoption(
        "--segjobs-results",
        default=None,
        metavar="PATH",
        help="where to write results.json (default: <report dir>/results.json)",
    )
    group.addoption(
        "--segjobs-job-seconds",
        default=None,
        metavar="S",
        help="job duration of the embedded reference server (default 1.0)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "requirement(*ids): the requirement IDs (spec/requirements.yaml) a test verifies"
    )
    config.addinivalue_line(
        "markers",
        "needs(*settings): optional settings the test needs (second_sandbox, "
        "failing_segment_id); the test is disabled when they are missing",
    )
    config.addinivalue_line("markers", "creates_jobs: the test creates jobs (disabled with --read-only)")
    config.addinivalue_line("markers", "after_all: runs after every other test (it judges what the run saw)")
    config.addinivalue_line(
        "markers", "profile(name): the lowest profile the test runs in (quick, standard, full)"
    )
    _keep_hypothesis_files_out_of_the_working_directory()
    opt = config.getoption
    flags = {
        "base_url": opt("--segjobs-base-url"),
        "profile": opt("--segjobs-profile"),
        "select": opt("--segjobs-select"),
        "seed": opt("--segjobs-seed"),
        "strict": opt("--segjobs-strict"),
        "max_jobs": opt("--segjobs-max-jobs"),
        "read_only": opt("--segjobs-read-only"),
    }
    try:
        settings = load_settings(flags, os.environ, opt("--segjobs-config"))
    except ConfigError as exc:
        raise pytest.UsageError(f"segjobs: {exc}") from None
    if settings.seed is None:
        settings = _with_seed(settings, int.from_bytes(os.urandom(4), "big") % 1_000_000)
    config.stash[RESULTS_KEY] = SuiteState(settings, config)


def _keep_hypothesis_files_out_of_the_working_directory() -> None:
    """Property tests run without an example database; Hypothesis still writes a few files, and a run of
    the suite must not leave a ``.hypothesis/`` folder wherever the user happens to be."""
    import tempfile

    from hypothesis.configuration import set_hypothesis_home_dir

    if "HYPOTHESIS_STORAGE_DIRECTORY" not in os.environ:
        set_hypothesis_home_dir(os.path.join(tempfile.gettempdir(), "segjobs-conformance-hypothesis"))


def _with_seed(settings: Settings, seed: int) -> Settings:
    from dataclasses import replace

    return replace(settings, seed=seed)


class SuiteState:
    """Everything the plugin keeps for one session."""

    def __init__(self, settings: Settings, config: pytest.Config) -> None:
        self.settings = settings
        self.config = config
        self.profile: Profile = PROFILES[settings.profile]
        self.catalog = _spec.load_requirements()
        self.known_ids = {r["id"] for r in self.catalog}
        self.records: list[TestRecord] = []
        self.disabled: dict[str, str] = {}
        self.started = dt.datetime.now(dt.timezone.utc)
        self.t0 = time.monotonic()
        self.aborted: str | None = None
        self.exit_code: int | None = None
        self.server: Any = None
        self.embedded = False
        self.client: ApiClient | None = None
        self.tracker: JobTracker | None = None
        self.results_path: Path | None = None
        self.results: dict[str, Any] | None = None

    # -- target ---------------------------------------------------------------------------------------
    def start(self) -> None:
        if self.settings.base_url is None:
            self.server = _start_embedded(self.settings, self.config.getoption("--segjobs-job-seconds"))
            self.embedded = True
            self.settings = for_embedded(self.settings, self.server.base_url)
        assert self.settings.base_url is not None
        self.client = ApiClient(
            self.settings.base_url,
            self.settings.auth_headers(),
            redactor=self.settings.redactor,
            connect_timeout=self.settings.connect_timeout,
            read_timeout=self.settings.read_timeout,
            max_response_bytes=self.settings.max_response_bytes,
        )
        self.tracker = JobTracker(
            self.client,
            max_jobs=self.settings.max_jobs,
            poll_interval=self.settings.poll_interval,
            default_sandbox=self.settings.sandbox,
        )
        self.client.on_exchange = self.tracker.observe_exchange
        set_redactor(self.settings.redactor)

    def reachability(self) -> None:
        """One GET of the listing before any test. Decides exit 2/3 for a target that cannot be tested."""
        assert self.client is not None
        try:
            exchange = self.client.list_jobs({"limit": "1"})
        except TransportError as exc:
            if "ConnectError" in str(exc) or "ConnectTimeout" in str(exc):
                self.abort(f"the target {self.settings.base_url} is unreachable: {exc}", 3)
                return
            # it answered something unusable: that is a verdict about the target, not about the run
            self.records.append(
                TestRecord(
                    id="reachability",
                    name="reachability",
                    group="http",
                    requirements=(exc.requirement,),
                    outcome="failed",
                    verdicts={exc.requirement: "fail"},
                    message=str(exc),
                    curl=exc.exchange.curl,
                    request=exc.exchange.request_line,
                    response=exc.exchange.response_excerpt,
                )
            )
            self.aborted = f"the target did not answer the first request usably: {exc}"
            return
        if exchange.status in (401, 403):
            self.abort(
                f"the target refused the credentials (HTTP {exchange.status}): check SEGJOBS_ACCESS_TOKEN, "
                "SEGJOBS_API_KEY, SEGJOBS_IMS_ORG and SEGJOBS_SANDBOX_NAME",
                2,
            )
        elif exchange.status == 404:
            self.abort(
                f"nothing answers at {self.settings.base_url}/segment/jobs (HTTP 404): check the base URL "
                "(up to and without /segment/jobs)",
                2,
            )

    def abort(self, message: str, code: int) -> None:
        self.aborted = message
        self.exit_code = code

    def stop(self) -> None:
        if self.tracker is not None:
            with contextlib.suppress(Exception):  # clean-up never hides the verdict
                self.tracker.cleanup()
        if self.client is not None:
            self.client.close()
        if self.server is not None:
            self.server.stop()
            self.server = None


def _start_embedded(settings: Settings, job_seconds: str | None) -> Any:
    """The reference server on a free loopback port, accepting exactly what this run will send (settings
    may come from a config file, which the server does not read)."""
    from conformance.reference import server as reference_server

    env = dict(os.environ)
    env.update(
        {
            "SEGJOBS_ACCESS_TOKEN": settings.access_token,
            "SEGJOBS_API_KEY": settings.api_key,
            "SEGJOBS_IMS_ORG": settings.ims_org,
            "SEGJOBS_SANDBOX_NAME": settings.sandbox,
            "SEGJOBS_SEGMENT_IDS": ",".join(settings.segment_ids),
        }
    )
    for name, value in (
        ("SEGJOBS_SECOND_SANDBOX_NAME", settings.second_sandbox),
        ("SEGJOBS_FAILING_SEGMENT_ID", settings.failing_segment_id),
    ):
        if value:
            env[name] = value
    args = ["--job-seconds", str(job_seconds)] if job_seconds else []
    return reference_server.start_subprocess(args, env=env)


def state_of(config: pytest.Config) -> SuiteState:
    return config.stash[RESULTS_KEY]


# -- collection ----------------------------------------------------------------------------------------
def requirements_of(item: pytest.Item) -> tuple[str, ...]:
    ids: list[str] = []
    for mark in item.iter_markers("requirement"):
        ids.extend(str(a) for a in mark.args)
    return tuple(dict.fromkeys(ids))


def _group_of(item: pytest.Item) -> str:
    module = getattr(item, "module", None)
    name = module.__name__.rsplit(".", 1)[-1] if module is not None else item.nodeid.split("::")[0]
    return name.removeprefix("test_").removesuffix(".py")


def _selected(item: pytest.Item, terms: list[str]) -> bool:
    reqs = [r.upper() for r in requirements_of(item)]
    names = {item.name, item.name.split("[", 1)[0], item.name.removeprefix("test_").split("[", 1)[0]}
    for term in terms:
        if term.upper().startswith("SJ-") and any(r.startswith(term.upper()) for r in reqs):
            return True
        if term.lower() == _group_of(item).lower() or term in names:
            return True
    return False


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    state = state_of(config)
    problems = []
    for item in items:
        reqs = requirements_of(item)
        if not reqs:
            problems.append(f"{item.nodeid}: no @pytest.mark.requirement(...)")
        unknown = [r for r in reqs if r not in state.known_ids]
        if unknown:
            problems.append(f"{item.nodeid}: unknown requirement ID(s) {', '.join(unknown)}")
    if problems:
        raise pytest.UsageError("segjobs: requirement markers are wrong:\n  " + "\n  ".join(problems))
    items.sort(
        key=lambda item: item.get_closest_marker("after_all") is not None
    )  # stable: order kept otherwise
    if state.settings.select:
        terms = [t.strip() for t in state.settings.select.split(",") if t.strip()]
        keep = [i for i in items if _selected(i, terms)]
        dropped = [i for i in items if i not in keep]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = keep
        kept_reqs = {r for i in keep for r in requirements_of(i)}
        for item in dropped:
            for req in requirements_of(item):
                if req not in kept_reqs:
                    state.disabled[req] = f"not selected by --select {state.settings.select}"


def pytest_collection_finish(session: pytest.Session) -> None:
    state = state_of(session.config)
    if session.config.option.collectonly or not session.items:
        return
    try:
        state.start()
    except Exception as exc:
        state.abort(f"the embedded reference server did not start: {exc}", 3)
        return
    state.reachability()


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> bool | None:
    state = state_of(session.config)
    if state.aborted is not None:
        return True  # the target cannot be tested: run nothing, report why
    return None


# -- running -------------------------------------------------------------------------------------------
def pytest_runtest_setup(item: pytest.Item) -> None:
    state = state_of(item.config)
    settings = state.settings
    for mark in item.iter_markers("profile"):
        wanted = PROFILES[str(mark.args[0])]
        if state.profile.rank < wanted.rank:
            pytest.skip(
                f"disabled: runs in the {wanted.name} profile and above (this run: {state.profile.name})"
            )
    if settings.read_only and item.get_closest_marker("creates_jobs") is not None:
        pytest.skip("disabled: creates jobs, and the run is --read-only")
    for mark in item.iter_markers("needs"):
        for name in mark.args:
            if not getattr(settings, str(name)):
                pytest.skip(f"disabled: needs {NEEDS.get(str(name), str(name))}, which is not set")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report: pytest.TestReport = yield
    state = state_of(item.config)
    if (
        report.when == "call"
        or (report.when == "setup" and not report.passed)
        or (report.when == "teardown" and report.failed)
    ):
        _record(state, item, report, call)
    return report


def _record(
    state: SuiteState, item: pytest.Item, report: pytest.TestReport, call: pytest.CallInfo[None]
) -> None:
    reqs = requirements_of(item)
    test_id = item.nodeid if not item.nodeid.startswith("::") else f"{_group_of(item)}{item.nodeid}"
    record = TestRecord(
        id=test_id,
        name=item.name,
        group=_group_of(item),
        requirements=reqs,
        outcome="passed",
        duration_s=report.duration,
    )
    # a failed teardown after a passed call replaces that record
    state.records[:] = [r for r in state.records if r.id != test_id]
    if report.passed:
        record.verdicts = dict.fromkeys(reqs, "pass")
    elif report.skipped:
        reason = _skip_reason(report)
        record.outcome, record.reason = "skipped", reason
        kind = "disabled" if reason.startswith("disabled:") else "skip"
        record.verdicts = dict.fromkeys(reqs, kind)
    else:
        exc = call.excinfo.value if call.excinfo is not None else None
        _classify_failure(record, reqs, exc, report)
    state.records.append(record)


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    text = str(longrepr[2]) if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    return text.removeprefix("Skipped: ")


def _classify_failure(
    record: TestRecord, reqs: tuple[str, ...], exc: BaseException | None, report: pytest.TestReport
) -> None:
    failed: tuple[str, ...]
    exchange = None
    if isinstance(exc, ConformanceFailure):
        failed = exc.requirements
        exchange = exc.exchange
        record.message = str(exc)
    elif isinstance(exc, TransportError):
        failed = (exc.requirement,)
        exchange = exc.exchange
        record.message = f"[{exc.requirement}] {exc}"
    elif isinstance(exc, BudgetExhausted):
        record.outcome, record.reason = "skipped", f"disabled: {exc}"
        record.verdicts = dict.fromkeys(reqs, "disabled")
        return
    elif isinstance(exc, AssertionError):
        failed = reqs
        record.message = str(exc) or report.longreprtext
    else:
        record.outcome = "error"
        record.message = (f"{type(exc).__name__}: {exc}" if exc is not None else report.longreprtext)[:4000]
        record.verdicts = dict.fromkeys(reqs, "error")
        return
    record.outcome = "failed" if report.when == "call" else "error"
    record.verdicts = {r: "blocked" for r in reqs}
    record.verdicts.update(dict.fromkeys(failed, "fail"))
    if exchange is not None:
        record.curl = exchange.curl
        record.request = exchange.request_line
        record.response = exchange.response_excerpt
    elif record.message and "curl " in record.message:
        record.curl = record.message[record.message.index("curl ") :].splitlines()[0]


# -- fixtures ------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def settings(request: pytest.FixtureRequest) -> Settings:
    """The validated settings of the run (no secret is ever printed from them)."""
    return state_of(request.config).settings


@pytest.fixture(scope="session")
def profile(request: pytest.FixtureRequest) -> Profile:
    return state_of(request.config).profile


@pytest.fixture(scope="session")
def api(request: pytest.FixtureRequest) -> ApiClient:
    """The run's HTTP client, with the tenant headers of the first sandbox."""
    client = state_of(request.config).client
    if client is None:
        pytest.skip("disabled: no target")
    return client


@pytest.fixture(scope="session")
def jobs(request: pytest.FixtureRequest) -> JobTracker:
    """Creates jobs within the budget, records what is seen of them, cancels leftovers at the end."""
    tracker = state_of(request.config).tracker
    if tracker is None:
        pytest.skip("disabled: no target")
    return tracker


# -- reporting -----------------------------------------------------------------------------------------
def pytest_report_header(config: pytest.Config) -> list[str]:
    state = state_of(config)
    shown = state.settings.describe()
    return ["segjobs: " + ", ".join(f"{k}={v}" for k, v in shown.items() if v not in (None, [], False))]


def finalize(state: SuiteState, session_status: int) -> dict[str, Any]:
    from conformance import __version__

    settings = state.settings
    interrupted = session_status == pytest.ExitCode.INTERRUPTED
    aborted = state.aborted or ("the run was interrupted" if interrupted else None)
    tracker = state.tracker
    stats = {
        "requests": state.client.stats.requests if state.client else 0,
        "jobs_created": len(tracker.jobs) if tracker else 0,
        "create_requests": tracker.attempts if tracker else 0,
    }
    results = build_results(
        suite={
            "name": "segment-jobs-conformance",
            "version": __version__,
            "spec_sha256": _spec.spec_sha256(),
            "seed": settings.seed,
        },
        target={
            "base_url": settings.redactor.text(settings.base_url or "(embedded reference server)"),
            "profile": settings.profile,
            "embedded": state.embedded,
        },
        catalog=state.catalog,
        records=state.records,
        started=state.started,
        duration_s=time.monotonic() - state.t0,
        strict=settings.strict,
        aborted=aborted,
        disabled=state.disabled,
        jobs=tracker.lifecycles() if tracker else [],
        stats=stats,
    )
    redacted: dict[str, Any] = settings.redactor.data(results)  # type: ignore[assignment]
    return redacted


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = state_of(session.config)
    if session.config.option.collectonly:
        return
    state.stop()
    results = finalize(state, int(exitstatus))
    state.results = results
    path_opt = session.config.getoption("--segjobs-results")
    path = Path(path_opt) if path_opt else state.settings.report_dir / "results.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
    state.results_path = path
    if state.exit_code is not None:
        session.exitstatus = state.exit_code
    elif exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.NO_TESTS_COLLECTED):
        session.exitstatus = EXIT_CODES[results["verdict"]]
    elif exitstatus == pytest.ExitCode.INTERRUPTED:
        session.exitstatus = 3


def _summary_notes(row: dict[str, Any]) -> list[str]:
    """Two or three short lines under a requirement that did not pass: what was expected and what came,
    the test, and how to reproduce it."""
    if row.get("reason"):
        return [str(row["reason"])]
    if row["outcome"] == "skip":
        return []
    failure = row["failures"][0] if row["failures"] else None
    if failure is None:
        return []
    lines = [ln.strip() for ln in str(failure["message"]).splitlines() if ln.strip()]
    notes = [ln for ln in lines if ln.startswith(("expected:", "got:", "not decided:"))][:3]
    if not notes and lines:
        notes = [lines[0][:160]]
    notes.append(f"in {failure['test']}")
    if failure.get("curl"):
        notes.append(str(failure["curl"])[:300])
    more = len(row["failures"]) - 1
    if more > 0:
        notes.append(f"(and {more} more: see report.html)")
    return notes


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    state = state_of(config)
    results = state.results
    if results is None:
        return
    tr = terminalreporter
    tr.section("segment-jobs-conformance: requirements")
    marks = {
        "pass": "PASS",
        "fail": "FAIL",
        "error": "ERROR",
        "skip": "SKIP",
        "disabled": "OFF",
        "untested": "-",
    }
    for row in results["requirements"]:
        if row["outcome"] in ("pass", "untested", "disabled") and tr.config.option.verbose <= 0:
            continue
        tr.write_line(f"{marks[row['outcome']]:<6} {row['level']:<6} {row['id']:<18} {row['title']}")
        for line in _summary_notes(row):
            tr.write_line(f"{'':<33}{line}")
    counts = results["summary"]["requirements"]
    tr.write_line("")
    tr.write_line("requirements: " + ", ".join(f"{v} {k}" for k, v in counts.items() if v))
    if results.get("aborted"):
        tr.write_line(f"run stopped: {results['aborted']}")
    verdict = results["verdict"].upper()
    colour = {"CONFORMANT": {"green": True}, "NONCONFORMANT": {"red": True}}.get(verdict, {"yellow": True})
    tr.write_line(f"verdict: {verdict}  (results: {state.results_path})", bold=True, **colour)
    sys.stdout.flush()
