"""Stateful property test: sequences of requests that follow the spec's OpenAPI links.

The links of ``createSegmentJob`` lead from a created job to GET, cancel and bulk-get of it; schemathesis
builds a state machine from them and Hypothesis walks it. Every answer goes through the property checks,
plus ``ensure_resource_availability`` (a created job is readable) and the cancel semantics (a cancelled job
stays readable, CANCELLING or CANCELLED). See :mod:`conformance.properties`.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance import properties as props
from conformance._client import ApiClient
from conformance._config import Settings
from conformance._jobs import BudgetExhausted, JobTracker
from conformance._outcomes import Judgement
from conformance._profiles import Profile

#: the stateful test runs as so many independent runs, each with its share of the profile's sequences and of
#: its job allowance, so that workers (``--workers``) run them in parallel
RUNS = 3


def share(total: int, run: int) -> int:
    """Run ``run``'s (from 1) share of ``total``: the runs' shares add up to it."""
    return total // RUNS + (1 if run <= total % RUNS else 0)


def _run(run: int) -> Any:
    allowance = {name: share(n, run) for name, n in props.allowance("stateful_creates").items()}
    return pytest.param(run, marks=pytest.mark.creates_jobs(allowance), id=f"run-{run}-of-{RUNS}")


@pytest.mark.profile("standard")
@pytest.mark.parametrize("run", [_run(r) for r in range(1, RUNS + 1)])
@pytest.mark.requirement(
    "SJ-CREATE-001",
    "SJ-CREATE-006",
    "SJ-CREATE-007",
    "SJ-GET-001",
    "SJ-GET-003",
    "SJ-BULK-001",
    "SJ-BULK-007",
    "SJ-CANCEL-001",
    "SJ-CANCEL-003",
    "SJ-CANCEL-008",
    "SJ-HTTP-001",
    "SJ-HTTP-002",
    "SJ-ERROR-001",
    "SJ-ERROR-003",
)
def test_linked_operations(
    run: int, settings: Settings, api: ApiClient, jobs: JobTracker, profile: Profile, judgement: Judgement
) -> None:
    prober = props.Prober(settings, api, jobs)
    budget = props.CreateBudget(jobs, share(props.ALLOWANCES[profile.name].stateful_creates, run))
    props.run_workflows(
        prober,
        max_examples=max(1, share(profile.stateful_examples, run)),
        steps=profile.stateful_steps,
        budget=budget,
        seed_offset=run - 1,
    )
    if budget.used == 0 and budget.exhausted_by is not None:
        raise BudgetExhausted(budget.exhausted_by)
    prober.finish(judgement)
