"""Stateful property test: sequences of requests that follow the spec's OpenAPI links.

The links of ``createSegmentJob`` lead from a created job to GET, cancel and bulk-get of it; schemathesis
builds a state machine from them and Hypothesis walks it. Every answer goes through the property checks,
plus ``ensure_resource_availability`` (a created job is readable) and the cancel semantics (a cancelled job
stays readable, CANCELLING or CANCELLED). See :mod:`conformance.properties`.
"""

from __future__ import annotations

import pytest

from conformance import properties as props
from conformance._client import ApiClient
from conformance._config import Settings
from conformance._jobs import BudgetExhausted, JobTracker
from conformance._outcomes import Judgement
from conformance._profiles import Profile


@pytest.mark.profile("standard")
@pytest.mark.creates_jobs(props.allowance("stateful_creates"))
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
    settings: Settings, api: ApiClient, jobs: JobTracker, profile: Profile, judgement: Judgement
) -> None:
    prober = props.Prober(settings, api, jobs)
    budget = props.CreateBudget(jobs, props.ALLOWANCES[profile.name].stateful_creates)
    props.run_workflows(
        prober, max_examples=profile.stateful_examples, steps=profile.stateful_steps, budget=budget
    )
    if budget.used == 0 and budget.exhausted_by is not None:
        raise BudgetExhausted(budget.exhausted_by)
    prober.finish(judgement)
