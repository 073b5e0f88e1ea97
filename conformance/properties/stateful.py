"""Stateful workflows: the spec's links (create -> get, cancel, bulk-get) as a schemathesis state machine.

The machine is schemathesis' own (``schema.as_state_machine()``); the suite overrides its documented hooks:
``step`` (a create within the job budget names a configured segment definition; a cancel names only a job
this run created, else the step is not sent), ``call`` (the case goes through the run's client) and
``validate_response`` (the suite's checks, as in the other property tests). Nothing raises inside Hypothesis:
problems become findings of the prober, and suite errors are raised once the machine is done.
"""

from __future__ import annotations

import contextlib
import itertools
from typing import Any

from schemathesis import Response

from conformance._client import Exchange
from conformance.properties.checks import stateful as stateful_checks
from conformance.properties.prober import CreateBudget, Prober
from conformance.properties.rules import CANCEL, CREATE, rules_of
from conformance.properties.strategies import AnyCase, hypothesis_settings, job_id_of


class _NoAnswer(Exception):
    """The step got no usable answer (a finding of the prober says why)."""


def workflow_machine(prober: Prober, budget: CreateBudget) -> type[Any]:
    """The state machine of the spec's links, sending through ``prober``.

    Every create names a configured segment definition and takes one job of ``budget``; once the budget is
    used up a create step is not sent (the step yields nothing, the scenario goes on).
    """
    base: type[Any] = prober.schema.as_state_machine()
    checks = stateful_checks(prober.api, prober.jobs, prober.judged)
    segment_ids = prober.settings.segment_ids
    creates = itertools.count()

    class Workflow(base):  # type: ignore[misc]
        last: Exchange | None = None

        def step(self, input: Any) -> Any:
            if prober.stopped or prober.errors:
                return None
            case: AnyCase = input.case
            rules = rules_of(case.method, case.path)
            if rules is CREATE:
                if not budget.take():
                    return None
                case.body = [{"segmentId": segment_ids[next(creates) % len(segment_ids)]}]
            if rules is CANCEL and not prober.jobs.may_cancel(job_id_of(case) or ""):
                return None  # not fed by a create of this run: the run cancels only its own jobs
            try:
                return super().step(input)
            except _NoAnswer:
                return None
            except Exception as exc:  # re-raised once Hypothesis is done
                prober.errors.append(exc)
                return None

        def call(self, case: AnyCase, **kwargs: Any) -> Response:
            rules = rules_of(case.method, case.path)
            self.last = prober.exercise(case, rules, checks)
            if self.last is None:
                raise _NoAnswer
            return Response.from_httpx(self.last.as_httpx(), verify=True)

        def validate_response(self, response: Response, case: AnyCase, *args: Any, **kwargs: Any) -> None:
            """Done in :meth:`call`, by the prober: the answer is judged once, by the suite's checks."""

    return Workflow


def run_workflows(
    prober: Prober, *, max_examples: int, steps: int, budget: CreateBudget, seed_offset: int = 0
) -> None:
    """Runs the stateful workflows; problems are collected in ``prober.findings``. ``seed_offset`` tells
    independent runs of one seed apart (the stateful test runs as several, which workers run in parallel)."""
    import hypothesis.errors

    machine = workflow_machine(prober, budget)
    hypothesis.seed(prober.seed + seed_offset)(machine)
    # A step's fate depends on the target and the job budget (a create is not sent once the budget is used
    # up), so Hypothesis may see a replayed sequence go another way; it then stops generating. What the
    # steps sent so far was judged, and stands.
    with contextlib.suppress(hypothesis.errors.FlakyStrategyDefinition):
        machine.run(settings=hypothesis_settings(max_examples, stateful_step_count=steps))
    if prober.errors:
        raise prober.errors[0]
