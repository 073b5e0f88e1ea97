"""The plugin's side of a run split into parts (:mod:`conformance._shard`): over pytest-xdist workers
(``--workers N``) and over machines (``--shard I/N``).

Every process of a run collects every test and computes the same split, keeps its own part and deselects the
rest (:func:`keep_my_part`); so each also knows the job plan of every part, and the whole run's plan must fit
``--max-jobs`` before anything is sent. Each part's job tracker may create its own plan's jobs and an even
share of what the budget leaves over, no more: the parts together stay within the budget.

With workers, pytest-xdist runs the processes (``--dist each``: each worker gets the whole collection and
runs its part). The controller (the process ``run`` started) sends nothing to the target: it starts the
embedded server when there is one and hands each worker the run's seed, target and its lane of the rate
limit (:class:`Controller`); each worker is a run of its own part and hands its results, HAR entries and
rate figures back (:func:`hand_over`); the controller merges them into the run's one ``results.json``, the
same four reports and one HAR (:mod:`conformance._merge`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from conformance._config import Settings
from conformance._estimate import cost_of
from conformance._merge import merge
from conformance._plan import JobPlan, TestInfo, job_plan, out_of_scope
from conformance._profiles import Profile
from conformance._ratelimit import from_monotonic, summary_of
from conformance._session import SuiteState
from conformance._shard import SHARD_CAUSE, leaf_index, leaves

#: the key of the run's data in pytest-xdist's workerinput and workeroutput
KEY = "segjobs"


def worker_input(config: pytest.Config) -> dict[str, Any] | None:
    """What the controller handed this worker, or None outside a worker of a run."""
    raw = getattr(config, "workerinput", {}).get(KEY)
    return json.loads(raw) if raw else None


def is_controller(config: pytest.Config) -> bool:
    """Whether this process hands the tests to pytest-xdist workers (and runs none itself)."""
    return (
        not hasattr(config, "workerinput")
        and getattr(config.option, "dist", "no") != "no"
        and not config.option.collectonly
    )


def split(
    infos: list[TestInfo], after: set[str], settings: Settings, profile: Profile, workers: int, *, auto: bool
) -> tuple[int, list[list[TestInfo]], list[JobPlan]]:
    """The workers a machine uses, every part of the run and its job plan (``after``: the node ids of the
    tests that run after all others). ``auto``: fewer workers while the parts' plans exceed ``--max-jobs``."""

    def weight(test: TestInfo) -> int:
        return cost_of(test).of(test, profile) if out_of_scope(test, settings, profile) is None else 0

    def parts_of(count: int) -> tuple[list[list[TestInfo]], list[JobPlan]]:
        parts = leaves(infos, settings.shard, count, weight, lambda t: t.nodeid in after)
        return parts, [job_plan(part, settings, profile) for part in parts]

    parts, plans = parts_of(workers)
    while auto and workers > 1 and JobPlan.of_parts(plans).total > settings.max_jobs:
        workers -= 1  # fewer parts, fewer fleets of shared jobs; this machine's other workers idle
        parts, plans = parts_of(workers)
    return workers, parts, plans


def keep_my_part(
    state: SuiteState,
    items: list[pytest.Item],
    info_of: Callable[[pytest.Item], TestInfo],
    deselect: Callable[[list[pytest.Item]], None],
) -> list[JobPlan] | None:
    """Keeps the items of this process's part (the others deselected, their requirements out of scope
    unless a kept test judges them); returns every part's job plan, or None for a run in one part."""
    settings = state.settings
    if settings.shard is None and state.workers <= 1:
        return None
    infos = [info_of(item) for item in items]
    after = {item.nodeid for item in items if item.get_closest_marker("after_all") is not None}
    workers, parts, plans = split(
        infos, after, settings, state.profile, state.workers, auto=state.auto_workers
    )
    state.active_workers = workers
    index = leaf_index(settings.shard, workers, state.worker)
    mine = {t.nodeid for t in parts[index]} if state.worker < workers else set()
    keep = [item for item in items if item.nodeid in mine]
    dropped = [item for item in items if item.nodeid not in mine]
    if dropped:
        deselect(dropped)
        items[:] = keep
    kept_reqs = {r for item in keep for r in info_of(item).requirements}
    where = f"shard {settings.shard}" if settings.shard is not None else "this worker"
    for test in (info_of(item) for item in dropped):
        for req in test.requirements:
            if req not in kept_reqs and req not in state.disabled:
                state.disabled[req] = (SHARD_CAUSE, f"judged by another part of the run (not by {where})")
    state.part = (index, len(parts)) if state.worker < workers else None
    return plans


class Controller:
    """The controller of a run over workers: the embedded server, each worker's input, their results."""

    def __init__(self, state: SuiteState) -> None:
        self.state = state
        #: the workers' output by worker id
        self.outputs: dict[str, dict[str, Any]] = {}
        #: workers that stopped without handing results over: worker id -> why
        self.lost: dict[str, str] = {}
        #: why the workers refused the run (each computes the same plan, so each says the same)
        self.usage_error: str | None = None
        #: the moment the rate limit's lanes start (time.monotonic_ns, shared by the machine's processes)
        self.origin = time.monotonic_ns()

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        state = self.state
        if state.embedded and state.server is None:
            state.start_server()
        node.workerinput[KEY] = json.dumps(
            {
                "seed": state.settings.seed,
                "base_url": state.settings.base_url,
                "ims_token_url": state.settings.ims_token_url,
                "embedded": state.embedded,
                "workers": state.workers,
                "auto": state.settings.auto_workers,
                "worker": int(str(node.workerinput["workerid"]).removeprefix("gw")),
                "rate_origin_ns": self.origin,
            }
        )

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        worker = str(node.workerinput["workerid"])
        raw = getattr(node, "workeroutput", {}).get(KEY)
        output = json.loads(raw) if raw else None
        if output is None:
            self.lost[worker] = f"worker {worker} stopped without results" + (f": {error}" if error else "")
        elif "usage_error" in output:
            self.usage_error = output["usage_error"]
        else:
            self.outputs[worker] = output

    def results(self, *, interrupted: bool) -> dict[str, Any] | None:
        """The merged results of the workers (None when none handed results over)."""
        state = self.state
        outputs = [self.outputs[w] for w in sorted(self.outputs, key=lambda w: int(w.removeprefix("gw")))]
        if not outputs:
            return None
        aborted = "; ".join(self.lost.values()) or ("the run was interrupted" if interrupted else None)
        results = merge(
            [o["results"] for o in outputs],
            catalog=state.catalog,
            run=state.run_entry(),
            duration_s=time.monotonic() - state.t0,
            aborted=aborted,
        )
        rates = [o["rate"] for o in outputs]
        firsts = [r["first"] for r in rates if r["first"] is not None]
        lasts = [r["last"] for r in rates if r["last"] is not None]
        results["stats"]["rate"] = summary_of(
            state.settings.rate_limit,
            sum(r["granted"] for r in rates),
            min(firsts) if firsts else None,
            max(lasts) if lasts else None,
        )
        results["stats"]["workers"] = sum(1 for o in outputs if o["results"]["run"].get("part"))
        codes = [o["exit_code"] for o in outputs if o.get("exit_code") is not None]
        if codes and state.exit_code is None:  # a worker could not carry out its part (3) or was refused (2)
            state.exit_code = max(codes)
        if state.har is not None:
            state.har.extend([tuple(pair) for o in outputs for pair in o["har"]])
        redacted: dict[str, Any] = state.settings.redactor.data(results)  # type: ignore[assignment]
        state.results = redacted
        return redacted


def attach(state: SuiteState, given: dict[str, Any]) -> None:
    """A worker's state: the controller's target, seed, and this worker's lane of the rate limit."""
    state.settings = replace(state.settings, base_url=given["base_url"], ims_token_url=given["ims_token_url"])
    state.embedded = bool(given["embedded"])
    state.workers, state.worker = int(given["workers"]), int(given["worker"])
    state.auto_workers = bool(given["auto"])
    state.rate_lane = ((state.worker, state.workers), from_monotonic(int(given["rate_origin_ns"])))


def hand_over(config: pytest.Config, state: SuiteState) -> None:
    """A worker's results, HAR entries and rate figures, to the controller."""
    assert state.results is not None
    limiter = state.client.rate_limiter if state.client is not None else None
    config.workeroutput[KEY] = json.dumps(  # type: ignore[attr-defined]
        {
            "results": state.results,
            "exit_code": state.exit_code,
            "har": state.har.pairs() if state.har is not None else [],
            "rate": {
                "granted": limiter.granted if limiter else 0,
                "first": limiter.first_ns if limiter else None,
                "last": limiter.last_ns if limiter else None,
            },
        }
    )
