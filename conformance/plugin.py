"""The pytest plugin of the suite.

Load it explicitly: ``pytest -p conformance.plugin --pyargs conformance.suite``.

It adds the ``segjobs`` option group, the markers and the fixtures the suite's tests use (``settings``,
``api``, ``jobs``, ``profile``, ``judgement``), decides before anything is sent what is in scope and how many
jobs the selection needs (:mod:`conformance._plan`), starts the embedded reference server when no base URL is
given (:mod:`conformance._session`), turns each test outcome into per-requirement verdicts, and writes
``results.json``. It does nothing at all unless loaded, and is cheap to import.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Generator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from conformance import _options, _options_wiring, _parts, _summary
from conformance._client import ApiClient
from conformance._config import ConfigError, Settings, for_embedded, load_settings
from conformance._har import HarRecorder
from conformance._jobs import RUN_DEADLINE_CAUSE, RUN_DEADLINE_REASON, JobTracker
from conformance._outcomes import CURRENT, Judgement, NotJudged, Undecided
from conformance._plan import (
    JobPlan,
    SelectionError,
    TestInfo,
    budget_problem,
    check_selection,
    job_plan,
    matches,
    out_of_scope,
    select_terms,
)
from conformance._profiles import Profile
from conformance._records import JUDGEMENT_KEY, SCOPE_KEY, group_of, id_of, record_of, requirements_of
from conformance._results import EXIT_CODES
from conformance._session import SuiteState

STATE_KEY = pytest.StashKey[SuiteState]()
#: the name of the controller plugin of a run over workers
CONTROLLER = "segjobs-controller"
INFO_KEY = pytest.StashKey[TestInfo]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """The ``--segjobs-*`` options, from the options table (:mod:`conformance._options`)."""
    group = parser.getgroup(
        "segjobs", "segment-jobs-conformance (SEGJOBS_* variables fill what is not given)"
    )
    _options_wiring.add_pytest_options(group.addoption)


MARKERS = (
    "requirement(*ids): the requirement IDs (spec/requirements.yaml) a test verifies",
    "needs(*settings): optional settings the test needs (second_sandbox, failing_segment_id); the test is "
    "out of scope when they are missing",
    "creates_jobs(count=0, shared=None, accepted=count): the test creates jobs (out of scope with "
    "--read-only); count: the most it creates itself (a number, or a mapping of profile to number); shared: "
    "the name of an allowance several tests draw on; accepted: how many of them a conformant target accepts",
    "after_all: runs after every other test (it judges what the run saw)",
    "profile(name): the lowest profile the test runs in (standard or full; quick is the default)",
)


def _settings(config: pytest.Config) -> Settings:
    opt = config.getoption
    try:
        return load_settings(
            _options_wiring.pytest_flags(opt), os.environ, opt(_options.pytest_option("config"))
        )
    except ConfigError as exc:
        raise pytest.UsageError(f"segjobs: {exc}") from None


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """A run over workers (``--workers`` above 1, or pytest-xdist's ``-n``): pytest-xdist starts them, and
    each runs its own part of the whole collection (``--dist each``; :mod:`conformance._parts`)."""
    if hasattr(config, "workerinput") or config.option.collectonly:
        return
    workers = _settings(config).worker_count
    if not hasattr(config.option, "numprocesses"):
        if workers > 1:
            raise pytest.UsageError(f"segjobs: --workers {workers} needs pytest-xdist, which is not loaded")
        return
    if workers > 1 and not config.option.numprocesses:
        config.option.numprocesses = workers
        config.option.tx = ["popen"] * workers  # (pytest-xdist's own hook may have run before this one)
    if config.option.numprocesses:
        config.option.dist = "each"


def pytest_configure(config: pytest.Config) -> None:
    for line in MARKERS:
        config.addinivalue_line("markers", line)
    _keep_hypothesis_files_out_of_the_working_directory()
    settings = _settings(config)
    given = _parts.worker_input(config)
    if given is not None:  # a worker: the controller drew the seed
        settings = replace(settings, seed=given["seed"])
    if settings.seed is None:
        settings = replace(settings, seed=int.from_bytes(os.urandom(4), "big") % 1_000_000)
    if settings.base_url is None:
        settings = for_embedded(settings)
    state = SuiteState(settings, config.getoption(_options.pytest_option("job_seconds")))
    state.progress = lambda line: _say(config, line)  # the job tracker's progress lines while it waits
    config.stash[STATE_KEY] = state
    if given is not None:
        _parts.attach(state, given)
    elif _parts.is_controller(config):
        state.workers = len(config.option.tx)  # pytest-xdist's processes (-n), whatever asked for them
        config.pluginmanager.register(_parts.Controller(state), CONTROLLER)
    elif config.option.collectonly:
        state.workers = 1  # the plan of a run shows the whole selection
    if state.embedded and given is None and not config.option.collectonly:
        state.launch_server()  # it starts while pytest collects; the run waits for it at its start


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(STATE_KEY, None)
    if state is not None:
        state.close()  # the embedded server, asked to stop once the run ended, has stopped


def _keep_hypothesis_files_out_of_the_working_directory() -> None:
    """Property tests run without an example database; Hypothesis still writes a few files, and a run of
    the suite must not leave a ``.hypothesis/`` folder wherever the user happens to be."""
    import tempfile

    from hypothesis.configuration import set_hypothesis_home_dir

    if "HYPOTHESIS_STORAGE_DIRECTORY" not in os.environ:
        set_hypothesis_home_dir(os.path.join(tempfile.gettempdir(), "segjobs-conformance-hypothesis"))


def state_of(config: pytest.Config) -> SuiteState:
    return config.stash[STATE_KEY]


def _say(config: pytest.Config, line: str) -> None:
    """A line of its own on the terminal at once, also while a test runs (whose output pytest captures)."""
    if config.pluginmanager.get_plugin("terminalreporter") is None:
        return
    writer = config.get_terminal_writer()
    capture = config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture is not None else contextlib.nullcontext():
        if writer.width_of_current_line:
            writer.line()  # after pytest's progress characters
        writer.line(line)


# -- collection ----------------------------------------------------------------------------------------
def info_of(item: pytest.Item) -> TestInfo:
    """The test's markers, read once (cached on the item)."""
    if INFO_KEY in item.stash:
        return item.stash[INFO_KEY]
    creates = item.get_closest_marker("creates_jobs")
    count: int | Mapping[str, int] = 0
    if creates is not None:
        count = creates.args[0] if creates.args else creates.kwargs.get("count", 0)
    profile = item.get_closest_marker("profile")
    info = TestInfo(
        nodeid=item.nodeid,
        name=item.name,
        group=group_of(item),
        requirements=requirements_of(item),
        profile=str(profile.args[0]) if profile is not None else "quick",
        creates_jobs=creates is not None,
        creates=count,
        accepted=creates.kwargs.get("accepted") if creates is not None else None,
        shared=creates.kwargs.get("shared") if creates is not None else None,
        needs=tuple(str(n) for mark in item.iter_markers("needs") for n in mark.args),
        fleet=tuple(str(r) for mark in item.iter_markers("fleet") for r in mark.args),
    )
    item.stash[INFO_KEY] = info
    return info


def will_run(item: pytest.Item) -> bool:
    """Whether the item is in scope for this run (the scenario fleet plans its jobs with it)."""
    state = state_of(item.config)
    return out_of_scope(info_of(item), state.settings, state.profile) is None


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    try:
        _collection_modifyitems(session, config, items)
    except pytest.UsageError as exc:
        if _parts.worker_input(config) is None:
            raise
        # a worker cannot stop the run from its collection: it runs nothing and tells the controller why
        state_of(config).usage_error = str(exc)
        config.hook.pytest_deselected(items=list(items))
        items[:] = []


def _collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    state = state_of(config)
    problems = []
    for item in items:
        reqs = requirements_of(item)
        if not reqs:
            problems.append(f"{item.nodeid}: no @pytest.mark.requirement(...)")
        unknown = [r for r in reqs if r not in state.known_ids]
        if unknown:
            problems.append(f"{item.nodeid}: unknown requirement ID(s) {', '.join(unknown)}")
    from conformance._traceability import unknown_literals  # an ID literal of a collected module

    problems += unknown_literals({item.path for item in items}, state.known_ids)
    if problems:
        raise pytest.UsageError("segjobs: requirement markers are wrong:\n  " + "\n  ".join(problems))
    items.sort(key=lambda item: item.get_closest_marker("after_all") is not None)  # stable otherwise
    collected = {r for item in items for r in requirements_of(item)}
    for req in sorted(state.known_ids - collected):  # pytest was pointed at some modules only
        state.disabled[req] = ("not collected", "no test collected in this session judges it")
    _select(state, config, items)
    plans = _parts.keep_my_part(
        state, items, info_of, lambda dropped: config.hook.pytest_deselected(items=dropped)
    )
    if config.option.collectonly:
        return
    plan = job_plan((info_of(i) for i in items), state.settings, state.profile)
    whole = JobPlan.of_parts(plans) if plans else plan
    problem = budget_problem(whole, state.settings, parts=len(plans or [1]))
    if problem is not None:
        raise pytest.UsageError(f"segjobs: {problem}")
    state.planned_jobs = plan.total
    if plans:  # this part's share of the budget: its own plan and an even share of what is left over
        state.job_cap = plan.total + (state.settings.max_jobs - whole.total) // len(plans)


def _select(state: SuiteState, config: pytest.Config, items: list[pytest.Item]) -> None:
    terms = select_terms(state.settings.select)
    if not terms:
        return
    infos = [info_of(i) for i in items]
    try:
        check_selection(terms, infos, state.known_ids)
    except SelectionError as exc:
        raise pytest.UsageError(f"segjobs: {exc}") from None
    keep = [i for i, info in zip(items, infos, strict=True) if any(matches(info, t) for t in terms)]
    dropped = [i for i in items if i not in keep]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep
    kept_reqs = {r for i in keep for r in requirements_of(i)}
    reason = f"not selected by --select {state.settings.select}"
    for item in dropped:
        for req in requirements_of(item):
            if req not in kept_reqs:
                state.disabled[req] = ("--select", reason)


def pytest_collection_finish(session: pytest.Session) -> None:
    state = state_of(session.config)
    if session.config.option.collectonly or not session.items or state.planned_jobs is None:
        return  # (None: the selection was refused; pytest calls this hook all the same)
    try:
        state.start()
    except Exception as exc:
        state.abort(f"the embedded reference server did not start: {exc}", 3)
        return
    state.reachability()
    if state.aborted is None and (not state.embedded or state.settings.max_duration is not None):
        _say(session.config, state.start_line())


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> bool | None:
    state = state_of(session.config)
    if state.aborted is not None:
        return True  # the target cannot be tested: run nothing, report why
    return None


# -- running -------------------------------------------------------------------------------------------
def pytest_runtest_setup(item: pytest.Item) -> None:
    state = state_of(item.config)
    disabled = out_of_scope(info_of(item), state.settings, state.profile)
    if disabled is not None:
        item.stash[SCOPE_KEY] = disabled
        pytest.skip(disabled.reason)
    if state.past_deadline():  # --max-duration: what is not run yet is undecided, never failed
        if not state.deadline_said:
            state.deadline_said = True
            _say(item.config, f"segjobs: {RUN_DEADLINE_REASON}: the tests not run yet are undecided")
        raise Undecided(RUN_DEADLINE_REASON, cause=RUN_DEADLINE_CAUSE)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report: pytest.TestReport = yield
    exc = call.excinfo.value if call.excinfo is not None else None
    if isinstance(exc, NotJudged) and report.failed:
        # the test could judge nothing: a skip, with its kind and reason (not a failure)
        report.outcome = "skipped"
        report.longrepr = (str(item.path), item.location[1] or 0, f"Skipped: {exc.reason}")
    state = state_of(item.config)
    if (
        report.when == "call"
        or (report.when == "setup" and not report.passed)
        or (report.when == "teardown" and report.failed)
    ):
        record = record_of(item, report, exc)
        # a failed teardown after a passed call replaces that record
        state.records[:] = [r for r in state.records if r.id != record.id]
        state.records.append(record)
    return report


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
        raise NotJudged("no target to test", cause="no target")
    return client


@pytest.fixture(scope="session")
def jobs(request: pytest.FixtureRequest) -> JobTracker:
    """Creates jobs within the budget, records what is seen of them, cancels leftovers at the end."""
    tracker = state_of(request.config).tracker
    if tracker is None:
        raise NotJudged("no target to test", cause="no target")
    return tracker


def _judgement_of(item: pytest.Item) -> Judgement:
    found = item.stash.get(JUDGEMENT_KEY, None)
    if found is None:
        found = item.stash[JUDGEMENT_KEY] = Judgement(requirements_of(item), test=id_of(item))
    return found


@pytest.fixture
def judgement(request: pytest.FixtureRequest) -> Judgement:
    """Where a test says which of its requirements it could not judge, and why."""
    return _judgement_of(request.node)


@pytest.fixture(scope="session")
def har(request: pytest.FixtureRequest) -> HarRecorder | None:
    """The run's HAR (``--har``), for exchanges sent outside the client (the raw socket); None without it."""
    return state_of(request.config).har


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """While a test runs, shared checks tell its judgement what they found (:func:`_outcomes.evidence`),
    and the HAR of the run tags what it sends with its id and requirements (the judgement's)."""
    token = CURRENT.set(_judgement_of(item))
    try:
        return (yield)
    finally:
        CURRENT.reset(token)


# -- reporting -----------------------------------------------------------------------------------------
def pytest_report_header(config: pytest.Config) -> list[str]:
    state = state_of(config)
    shown = state.settings.describe()
    return [
        "segjobs: " + ", ".join(f"{k}={v}" for k, v in shown.items() if v not in (None, [], False)),
        f"segjobs: {state.timings.line()}",
    ]


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = state_of(session.config)
    if session.config.option.collectonly or exitstatus == pytest.ExitCode.USAGE_ERROR:
        return
    state.stop()
    interrupted = exitstatus == pytest.ExitCode.INTERRUPTED
    controller = session.config.pluginmanager.get_plugin(CONTROLLER)
    if state.usage_error is not None:  # a worker that refused the run: it tells the controller
        session.config.workeroutput[_parts.KEY] = json.dumps({"usage_error": state.usage_error})  # type: ignore[attr-defined]
        return
    if controller is None:
        results = state.finalize(interrupted=interrupted)
    elif controller.usage_error is not None:
        sys.stderr.write(f"ERROR: {controller.usage_error}\n")
        session.exitstatus = pytest.ExitCode.USAGE_ERROR
        return
    else:
        merged = controller.results(interrupted=interrupted)
        if merged is None:  # no worker handed results over (each said why)
            return
        results = merged
    if _parts.worker_input(session.config) is not None:
        _parts.hand_over(session.config, state)  # the controller writes the run's files
        return
    path_opt = session.config.getoption(_options.pytest_option("results"))
    state.write_results(Path(path_opt) if path_opt else state.settings.report_dir / "results.json")
    state.write_reports()
    state.write_har()
    if state.exit_code is not None:
        session.exitstatus = state.exit_code
    elif exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.NO_TESTS_COLLECTED):
        session.exitstatus = EXIT_CODES[results["verdict"]]
    elif exitstatus == pytest.ExitCode.INTERRUPTED:
        session.exitstatus = EXIT_CODES["error"]


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    state = state_of(config)
    results = state.results
    if results is None:
        return
    tr = terminalreporter
    tr.section("segment-jobs-conformance: requirements")
    for line in _summary.lines(results, verbose=tr.config.option.verbose > 0):
        tr.write_line(line)
    verdict = results["verdict"]
    colour = {"conformant": {"green": True}, "nonconformant": {"red": True}}.get(verdict, {"yellow": True})
    tr.write_line(_summary.verdict_line(results, state.results_path), bold=True, **colour)
    if state.reports_problem is not None:
        tr.write_line(f"warning: the reports could not be written: {state.reports_problem}", yellow=True)
    elif state.results_path is not None:
        tr.write_line(
            f"reports: {state.results_path.parent}/ (results.json, junit.xml, report.html, summary.md)"
        )
    if state.har_problem is not None:
        tr.write_line(f"warning: the HAR could not be written: {state.har_problem}", yellow=True)
    elif state.har_path is not None and state.har is not None:
        tr.write_line(f"har: {state.har_path} ({len(state.har)} exchanges)")
    from conformance import _ci  # GitHub Actions: annotations, and summary.md in the step summary

    report_dir = state.results_path.parent if state.results_path is not None else None
    for line in _ci.at_end(results, os.environ, report_dir, state.settings.redactor):
        tr.write_line(line)
    sys.stdout.flush()
