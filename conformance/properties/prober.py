"""Sending generated cases through the run's client and judging the answers.

A case is sent with :class:`~conformance._client.ApiClient` (the run's timeouts, whole-exchange deadline,
size cap, no redirects, credentials only to the target, the guard that lets no DELETE name another's job);
schemathesis' checks judge the answer through its public API (``Case.validate_response`` on the answer as an
``httpx.Response``), one check at a time so that each failure names its check; the suite's own checks follow.
Nothing is raised inside Hypothesis: findings and suite errors are collected and raised once it is done, so
no example is ever replayed and every request is sent once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import hypothesis
from schemathesis.errors import FailureGroup

from conformance._client import ApiClient, Exchange, TargetTimeout, TransportError
from conformance._config import Settings
from conformance._jobs import BudgetExhausted, JobTracker
from conformance._outcomes import Judgement
from conformance.properties.checks import Checks, judged_by
from conformance.properties.findings import Finding, Findings
from conformance.properties.rules import (
    CREATE,
    NOT_JUDGED,
    NOTHING_TO_JUDGE,
    OperationRules,
    blamed,
    expected,
)
from conformance.properties.strategies import (
    AnyCase,
    CaseStrategy,
    hypothesis_settings,
    job_id_of,
    load_schema,
)

#: headers schemathesis adds for its own transport; the run's client sends its own
_TRANSPORT_HEADERS = frozenset(
    {"user-agent", "accept-encoding", "accept", "connection", "x-schemathesis-testcaseid"}
)
_MESSAGE_CHARS = 700


class Prober:
    """Sends generated cases to the target and turns failed checks into findings."""

    def __init__(self, settings: Settings, api: ApiClient, jobs: JobTracker) -> None:
        self.settings = settings
        self.api = api
        self.jobs = jobs
        self.schema = load_schema(settings)
        self.headers = settings.auth_headers()
        self.redactor = settings.redactor
        self.seed = settings.seed if settings.seed is not None else 0
        self.findings = Findings(self.seed)
        self.stopped = False
        #: suite errors met while Hypothesis ran: raised once it is done, so no example is replayed
        self.errors: list[BaseException] = []
        #: the requirements some answer gave something to judge (see :func:`judged_by`)
        self.judged: set[str] = set()

    # -- sending -------------------------------------------------------------------------------------
    def send(self, case: AnyCase) -> Exchange:
        """Sends ``case`` through the run's client; raises :class:`TransportError` without a usable answer."""
        if case.method.upper() == "DELETE":
            job_id = job_id_of(case) or ""
            self.jobs.check_cancel(job_id)
            if job_id in self.jobs.jobs:
                self.jobs.jobs[job_id].cancel_requested = True
        kwargs = case.as_transport_kwargs(base_url=self.api.base_url)
        headers: dict[str, str | None] = {
            str(k): str(v)
            for k, v in kwargs.get("headers", {}).items()
            if str(k).lower() not in _TRANSPORT_HEADERS
        }
        exchange = self.api.request(
            str(kwargs["method"]),
            str(kwargs["url"]),
            params=kwargs.get("params") or None,
            content=_content(kwargs),
            headers=headers,
        )
        if case.method.upper() == CREATE.method and case.path == CREATE.path:
            self.jobs.track_answer(exchange, self.settings.sandbox, _segment_ids_of(case.body))
        return exchange

    # -- judging -------------------------------------------------------------------------------------
    def check(
        self, case: AnyCase, exchange: Exchange, rules: OperationRules, checks: Checks
    ) -> list[Finding]:
        """Runs ``checks`` on the answer: schemathesis' one at a time, so each failure names its check."""
        found: list[Finding] = []
        response = exchange.as_httpx()
        for check in checks.schemathesis:
            try:
                case.validate_response(response, checks=[check])
            except FailureGroup as group:
                name = getattr(check, "__name__", "check")
                found += [self._finding(name, failure, rules, exchange) for failure in group.exceptions]
        for own in checks.own:
            finding = own(case, exchange)
            if finding is not None:
                found.append(finding)
        return found

    def _finding(self, check: str, failure: Any, rules: OperationRules, exchange: Exchange) -> Finding:
        title = str(getattr(failure, "title", type(failure).__name__))
        text = " ".join(f"{title}: {getattr(failure, 'message', '')}".split())
        if len(text) > _MESSAGE_CHARS:
            text = text[:_MESSAGE_CHARS] + " ..."
        status = exchange.status or 0
        return Finding(
            blamed(check, type(failure).__name__, rules, status),
            expected(check, rules, title),
            self.redactor.text(text),
            exchange,
        )

    def exercise(
        self,
        case: AnyCase,
        rules: OperationRules,
        checks: Checks,
        on_answer: Callable[[Exchange], None] | None = None,
    ) -> Exchange | None:
        """Sends ``case`` and checks the answer; every problem becomes a finding. Returns the answer."""
        try:
            exchange = self.send(case)
        except TransportError as exc:
            expected_answer = "a complete HTTP answer within the timeouts"
            self.findings.add(Finding((exc.requirement,), expected_answer, str(exc), exc.exchange))
            if isinstance(exc, TargetTimeout):
                self.stopped = True  # every further example would wait out the same deadline
            return None
        if on_answer is not None:
            on_answer(exchange)
        for finding in self.check(case, exchange, rules, checks):
            self.findings.add(finding)
        self.judged |= judged_by(rules, exchange, checks)
        return exchange

    # -- generating ----------------------------------------------------------------------------------
    def explore(self, strategy: CaseStrategy, max_examples: int, handle: Callable[[AnyCase], None]) -> None:
        """Runs ``handle`` on generated cases. Nothing raised inside Hypothesis: no example is replayed."""

        @hypothesis.seed(self.seed)
        @hypothesis_settings(max_examples)
        @hypothesis.given(strategy)
        def run(case: AnyCase) -> None:
            if self.stopped or self.errors:
                return
            try:
                handle(case)
            except Exception as exc:  # re-raised once Hypothesis is done
                self.errors.append(exc)

        run()
        if self.errors:
            raise self.errors[0]

    def explore_operation(
        self, strategy: CaseStrategy, max_examples: int, rules: OperationRules, checks: Checks
    ) -> None:
        """Sends generated cases of one operation and checks every answer."""

        def handle(case: AnyCase) -> None:
            self.exercise(case, rules, checks)

        self.explore(strategy, max_examples, handle)

    def finish(self, judgement: Judgement | None = None) -> None:
        """Says which of the test's requirements no answer gave anything to judge, then raises the findings
        of the test, if any."""
        if judgement is not None:
            judgement.judged_only(self.judged, NOT_JUDGED, default=NOTHING_TO_JUDGE, cause="nothing to judge")
        self.findings.raise_if_any()


def _content(kwargs: dict[str, Any]) -> bytes | None:
    """The body schemathesis serialized for the case (JSON, or raw data), as bytes."""
    if "json" in kwargs:
        return json.dumps(kwargs["json"]).encode()
    data = kwargs.get("data")
    if data is None:
        return None
    return data if isinstance(data, bytes) else str(data).encode("utf-8", "surrogatepass")


def _segment_ids_of(body: object) -> tuple[str, ...]:
    if not isinstance(body, list):
        return ()
    return tuple(str(item["segmentId"]) for item in body if isinstance(item, dict) and "segmentId" in item)


@dataclass
class CreateBudget:
    """Creates of one test: the profile's allowance, and the run's budget (``--max-jobs``) behind it."""

    jobs: JobTracker
    allowance: int
    used: int = 0
    exhausted_by: str | None = None

    def take(self) -> bool:
        """Reserves one create; False once either budget is used up."""
        if self.used >= self.allowance:
            self.exhausted_by = self.exhausted_by or f"the profile allows {self.allowance} such job(s)"
            return False
        try:
            self.jobs.reserve()
        except BudgetExhausted as exc:
            self.exhausted_by = str(exc)
            return False
        self.used += 1
        return True
