"""Property-based testing of the spec with schemathesis: strategies, checks, requirement mapping, workflows.

The property tests (``suite/test_properties.py``) and the stateful test (``suite/test_stateful.py``) generate
requests from ``spec/segment-jobs.openapi.yaml`` with schemathesis 4 and Hypothesis, send them through
schemathesis (``case.call``: no redirects, the run's timeouts, a session that ignores proxy variables) and run
schemathesis' checks on every answer. Each failed check becomes a finding that names the requirement IDs it
proves violated; a test raises one :class:`~conformance._checks.ConformanceFailure` with all of them, the
masked curl line of the request and the seed.

Generation
    Hypothesis runs with ``max_examples`` from the profile, ``@seed(--segjobs-seed)``, no database, no
    deadline and no shrink phase (the server's state moves with time, so a shrunk or replayed example would
    not fail the same way). Failures are collected instead of raised inside Hypothesis, so no example is ever
    replayed and every request is sent once. The four tenant headers (``Authorization``, ``x-api-key``,
    ``x-gw-ims-org-id``, ``x-sandbox-name``) are pinned in every case, positive and negative: they come from
    the schemathesis configuration (explicit values are never generated nor negated) and are sent again with
    every call. Strings in generated values never hold NUL characters.

    Positive data must be *semantically* valid, since a check blames the server for refusing it:

    - listing: ``sort`` names one of the attributes the spec lists (``creationTime``, ``updateTime``,
      ``status``, ``id``) and ``property`` filters on ``status``, ``sandbox.sandboxName`` or
      ``segments~segmentId``; the spec's patterns admit other names, which a conformant server may refuse
      with 400 (ERRATA E-14, E-25);
    - create: the body names one configured segment definition (``SEGJOBS_SEGMENT_IDS``); generated IDs are
      unknown definitions (400), and several definitions in one job are optional (E-24);
    - get and cancel: a job is pinned as ``segmentJobId`` next to generated IDs; the acceptance check only
      judges the pinned one (a generated ID is unknown: 404). A read may pin any job (the run's, else the
      newest of the listing); a cancel pins only a job of the run, and its generated IDs carry the prefix
      ``segjobs-unknown-`` so that none can name a job; a stateful cancel step not fed by a create of the run
      is not sent. ``bulk-get`` is never generated as an ID: ``/segment/jobs/bulk-get`` is another resource,
      whose 405 the spec cannot declare (E-15);
    - bulk-get: generated bodies are valid as they are (unknown IDs still answer 207); a job of the run is
      added to some of them so that results hold a real job.

    Negative data is schemathesis' own. It never negates ``minItems`` of the create body (an empty array), so
    that case is left to the scenario tests.

Checks used, and the requirement a failure of each blames (each verified on the reference server)
    =============================  ==========================================================================
    not_a_server_error             SJ-ERROR-001
    status_code_conformance        SJ-ERROR-003
    content_type_conformance       SJ-HTTP-001 for a 2xx answer, SJ-ERROR-002 for an error answer
    response_headers_conformance   SJ-ERROR-005 (only ``Retry-After`` of 429 and 503 is declared), else the
                                   operation's schema requirement
    response_schema_conformance    for a 2xx answer the operation's schema requirement (SJ-LIST-014,
                                   SJ-CREATE-006, SJ-GET-003, SJ-BULK-007), SJ-HTTP-002 when the body is no
                                   JSON; SJ-ERROR-002 for the body of an error answer
    negative_data_rejection        SJ-LIST-013, SJ-CREATE-008, SJ-BULK-006 (expected: any 4xx)
    positive_data_acceptance       SJ-LIST-001 (200), SJ-CREATE-001 (200), SJ-GET-001 (200), SJ-BULK-001
                                   (207), SJ-CANCEL-001 (204, or 409 for a job cancelling or finished);
                                   429 is accepted everywhere
    ensure_resource_availability   SJ-CREATE-007 (stateful: a created job is readable through the links)
    ignored_auth                   SJ-AUTH-001 (no credentials), SJ-AUTH-002 (an invalid one); a single
                                   listing in a dedicated test, as it adds four requests per 2xx answer
    cancel_takes_effect (own)      after a 204 to the cancel of a job of the run, GET of it answers 200
                                   (SJ-CANCEL-008) with CANCELLING or CANCELLED (SJ-CANCEL-003), or with
                                   the finished status it had before (SJ-CANCEL-005)
    invalid_token_refused (own)    the listing with a wrong bearer token, every other credential right, is
                                   refused with 401 or 403 (SJ-AUTH-002): the probes of ``ignored_auth``
                                   drop the other credentials too, so a server taking any token passes them
    =============================  ==========================================================================

    A failure of a check that maps to nothing else is blamed on the operation's schema requirement. A request
    that gets no usable answer fails SJ-HTTP-006 (timeout) or SJ-HTTP-004; a redirect fails SJ-HTTP-005.

    A check credits only what it had to judge (:func:`judged_by`, and the acceptance and cancel checks note
    it themselves): a listing without jobs judges no job schema, a generated unknown id no acceptance. What a
    test names but no answer gave anything to judge is reported undecided with the reason of
    :data:`NOT_JUDGED`, never passed.

Checks not used
    use_after_free
        fails a correct server: a cancelled job stays readable (``DELETE`` is a cancel, ERRATA E-19).
        Verified: after cancel, GET of the job answers 200 on the reference server and the check reports
        ``UseAfterFree``. ``cancel_takes_effect`` checks the cancel semantics instead.
    missing_required_header
        expects exactly 401 to a request without ``Authorization``, where the platform (and the reference
        server) answer 403 ``403010``; it also runs only in schemathesis' coverage phase, which is not used.
        SJ-AUTH-001 is checked by ``ignored_auth`` and the scenario tests.
    unsupported_method, allow_header_conformance
        coverage-phase checks of undeclared methods; SJ-ERROR-004 has a scenario test.
    object_level_authorization
        needs several identities; sandbox isolation (SJ-AUTH-006) has scenario tests.
    max_response_time
        the run's connect and read timeouts decide SJ-HTTP-006.

Jobs
    Every create reserves budget with ``JobTracker.reserve()`` before it is sent; none is sent once the budget
    is used up. Every 2xx answer to a create goes through ``JobTracker.track_answer``, so the job is followed
    and cancelled at the end of the run. Together the property and stateful tests create at most the jobs of
    :data:`ALLOWANCES`: 2 in ``quick``, 10 in ``standard`` and ``full``. The test of invalid creates reserves
    one job for all its requests: a conformant server creates none, and generation stops at the first create
    a server accepts.
"""

from __future__ import annotations

import itertools
import json
import threading
import zlib
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import hypothesis
import requests
import schemathesis
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode, Response
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.core.failures import (
    ContentTypeServerError,
    Failure,
    FailureGroup,
    MalformedJson,
    ServerError,
)
from schemathesis.engine.recorder import ScenarioRecorder
from schemathesis.generation.stateful.state_machine import APIStateMachine, StepInput, StepOutput
from schemathesis.openapi.checks import (
    AuthScenario,
    ContentDeserializationError,
    IgnoredAuth,
    MissingContentType,
)
from schemathesis.specs.openapi import checks as openapi_checks

from conformance._checks import ConformanceFailure
from conformance._client import ApiClient, Exchange, ProtocolViolation, TargetTimeout, TransportError
from conformance._config import Settings
from conformance._jobs import UNKNOWN_PREFIX, BudgetExhausted, JobTracker
from conformance._lifecycle import RUNNING, STATUSES, TERMINAL
from conformance._outcomes import Judgement
from conformance._redact import Redactor
from conformance._spec import load_openapi

AnyCase = Case[Any]
CaseStrategy = st.SearchStrategy[AnyCase]

#: Sort attributes and filter paths the spec names (ERRATA E-14, E-25); others may be refused with 400.
SORT_ATTRIBUTES = ("creationTime", "updateTime", "status", "id")
FILTER_PATHS = ("status", "sandbox.sandboxName", "segments~segmentId")
#: ``/segment/jobs/bulk-get`` is its own resource: GET and DELETE on it answer 405, never a job.
RESERVED_JOB_IDS = frozenset({"bulk-get"})


@dataclass(frozen=True)
class OperationRules:
    """What the suite expects of one operation, and which requirement each kind of failure violates."""

    operation_id: str
    method: str
    path: str
    schema_requirement: str
    acceptance_requirement: str
    accepted_statuses: tuple[int, ...]
    rejection_requirement: str | None = None

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


LIST = OperationRules(
    "listSegmentJobs",
    "GET",
    "/segment/jobs",
    schema_requirement="SJ-LIST-014",
    acceptance_requirement="SJ-LIST-001",
    accepted_statuses=(200,),
    rejection_requirement="SJ-LIST-013",
)
CREATE = OperationRules(
    "createSegmentJob",
    "POST",
    "/segment/jobs",
    schema_requirement="SJ-CREATE-006",
    acceptance_requirement="SJ-CREATE-001",
    accepted_statuses=(200,),
    rejection_requirement="SJ-CREATE-008",
)
GET = OperationRules(
    "getSegmentJob",
    "GET",
    "/segment/jobs/{segmentJobId}",
    schema_requirement="SJ-GET-003",
    acceptance_requirement="SJ-GET-001",
    accepted_statuses=(200,),
)
BULK_GET = OperationRules(
    "bulkGetSegmentJobs",
    "POST",
    "/segment/jobs/bulk-get",
    schema_requirement="SJ-BULK-007",
    acceptance_requirement="SJ-BULK-001",
    accepted_statuses=(207,),
    rejection_requirement="SJ-BULK-006",
)
# cancel documents no body: what its answer carries beyond the status falls under "204, no content"
CANCEL = OperationRules(
    "cancelSegmentJob",
    "DELETE",
    "/segment/jobs/{segmentJobId}",
    schema_requirement="SJ-CANCEL-002",
    acceptance_requirement="SJ-CANCEL-001",
    accepted_statuses=(204, 409),
)
OPERATIONS: Mapping[str, OperationRules] = {r.operation_id: r for r in (LIST, CREATE, GET, BULK_GET, CANCEL)}
#: A rate-limited answer says nothing about the data it answers.
RATE_LIMITED = 429


@dataclass(frozen=True)
class JobAllowance:
    """How many jobs the generated tests may create in a profile (the scenario tests use the rest)."""

    positive_creates: int  # test_properties: valid creates; the first job also serves get, bulk-get, cancel
    negative_creates: int  # test_properties: invalid creates a faulty server might accept (it stops at one)
    stateful_creates: int  # test_stateful

    @property
    def total(self) -> int:
        return self.positive_creates + self.negative_creates + self.stateful_creates


ALLOWANCES: Mapping[str, JobAllowance] = {
    "quick": JobAllowance(positive_creates=1, negative_creates=1, stateful_creates=0),
    "standard": JobAllowance(positive_creates=3, negative_creates=1, stateful_creates=6),
    "full": JobAllowance(positive_creates=3, negative_creates=1, stateful_creates=6),
}


# -- the schema ------------------------------------------------------------------------------------------
_SCHEMAS: dict[tuple[tuple[str, str], ...], schemathesis.BaseSchema] = {}
_SCHEMAS_LOCK = threading.Lock()


def load_schema(settings: Settings) -> schemathesis.BaseSchema:
    """The spec as a schemathesis schema, with the tenant headers of ``settings`` pinned in every case."""
    headers = settings.auth_headers()
    key = tuple(sorted(headers.items()))
    with _SCHEMAS_LOCK:
        schema = _SCHEMAS.get(key)
        if schema is None:
            schema = schemathesis.openapi.from_dict(load_openapi(), config=_config(headers))
            _SCHEMAS[key] = schema
        return schema


def _config(headers: Mapping[str, str]) -> schemathesis.Config:
    operations = [
        {
            "include-operation-id": rules.operation_id,
            "checks": {
                "positive_data_acceptance": {
                    "expected-statuses": [*rules.accepted_statuses, RATE_LIMITED],
                }
            },
        }
        for rules in OPERATIONS.values()
    ]
    return schemathesis.Config.from_dict(
        {
            "headers": dict(headers),
            # the stateful workflows send valid data only; the negative mode has tests of its own
            "generation": {"mode": "positive", "allow-x00": False},
            "checks": {"negative_data_rejection": {"expected-statuses": ["4XX"]}},
            "operations": operations,
        }
    )


def operation(schema: schemathesis.BaseSchema, rules: OperationRules) -> Any:
    """The schemathesis operation of ``rules``."""
    return schema[rules.path][rules.method]


def hypothesis_settings(max_examples: int, *, stateful_step_count: int | None = None) -> hypothesis.settings:
    """Generation without database, deadline, shrinking or replay; health checks about speed and filtering off
    (every example waits on the network, and semantically valid data is drawn through filters)."""
    extra: dict[str, Any] = {}
    if stateful_step_count is not None:
        extra["stateful_step_count"] = stateful_step_count
    return hypothesis.settings(
        max_examples=max_examples,
        database=None,
        deadline=None,
        derandomize=False,
        phases=(hypothesis.Phase.explicit, hypothesis.Phase.generate),
        suppress_health_check=(
            hypothesis.HealthCheck.too_slow,
            hypothesis.HealthCheck.filter_too_much,
            hypothesis.HealthCheck.data_too_large,
            hypothesis.HealthCheck.large_base_example,
        ),
        report_multiple_bugs=False,
        print_blob=False,
        verbosity=hypothesis.Verbosity.quiet,
        **extra,
    )


# -- semantically valid positive data --------------------------------------------------------------------
def _pick(options: Sequence[str], seed_text: str) -> str:
    return options[zlib.crc32(seed_text.encode("utf-8", "surrogatepass")) % len(options)]


def valid_listing(case: AnyCase) -> AnyCase:
    """The listing case with ``sort`` and ``property`` moved onto attributes the spec names."""
    query = dict(case.query)
    sort = query.get("sort")
    if isinstance(sort, str) and ":" in sort:
        attribute, _, direction = sort.rpartition(":")
        if attribute not in SORT_ATTRIBUTES:
            query["sort"] = f"{_pick(SORT_ATTRIBUTES, attribute)}:{direction}"
    filters = query.get("property")
    if isinstance(filters, str):
        filters = [filters]
    if isinstance(filters, list):
        fixed = []
        for item in filters:
            path, separator, value = str(item).partition("==")
            if separator and path not in FILTER_PATHS:
                path = _pick(FILTER_PATHS, path)
            fixed.append(f"{path}{separator}{value}")
        query["property"] = fixed
    case.query = query
    return case


def listing_cases(schema: schemathesis.BaseSchema) -> CaseStrategy:
    strategy: CaseStrategy = operation(schema, LIST).as_strategy(GenerationMode.POSITIVE)
    return strategy.map(valid_listing)


def create_cases(schema: schemathesis.BaseSchema, segment_ids: Sequence[str]) -> CaseStrategy:
    """Valid creates: one configured segment definition per job."""
    op = operation(schema, CREATE)

    def with_body(segment_id: str) -> CaseStrategy:
        strategy: CaseStrategy = op.as_strategy(GenerationMode.POSITIVE, body=[{"segmentId": segment_id}])
        return strategy

    return st.sampled_from(list(segment_ids)).flatmap(with_body)


def job_id_of(case: AnyCase) -> str | None:
    value = case.path_parameters.get("segmentJobId")
    return unquote(str(value)) if value is not None else None


def never_a_job(case: AnyCase) -> AnyCase:
    """A generated cancel names an id no job can have (the generated text after the suite's prefix): the
    suite never cancels a job it did not create."""
    generated = str(case.path_parameters.get("segmentJobId", ""))  # as schemathesis holds it
    case.path_parameters = {**case.path_parameters, "segmentJobId": UNKNOWN_PREFIX + generated}
    return case


def job_cases(schema: schemathesis.BaseSchema, rules: OperationRules, job_id: str | None) -> CaseStrategy:
    """Get or cancel: the job ``job_id`` (when there is one), then generated IDs (for a cancel, IDs that
    cannot exist)."""
    op = operation(schema, rules)
    generated: CaseStrategy = op.as_strategy(GenerationMode.POSITIVE)
    generated = generated.filter(lambda case: job_id_of(case) not in RESERVED_JOB_IDS)
    if rules is CANCEL:
        generated = generated.map(never_a_job)
    if job_id is None:
        return generated
    pinned: CaseStrategy = op.as_strategy(GenerationMode.POSITIVE, path_parameters={"segmentJobId": job_id})
    return st.one_of(pinned, generated)


def bulk_get_cases(schema: schemathesis.BaseSchema, job_id: str | None) -> CaseStrategy:
    """Generated bulk-get bodies; with ``job_id``, some of them ask for that job first."""
    generated: CaseStrategy = operation(schema, BULK_GET).as_strategy(GenerationMode.POSITIVE)
    if job_id is None:
        return generated

    def with_job(pair: tuple[AnyCase, bool]) -> AnyCase:
        case, add = pair
        body = case.body
        ids = body.get("ids") if isinstance(body, dict) else None
        if add and isinstance(body, dict) and isinstance(ids, list):
            case.body = {**body, "ids": [{"id": job_id}, *ids]}
        return case

    return st.tuples(generated, st.booleans()).map(with_job)


def listing_case(schema: schemathesis.BaseSchema, headers: Mapping[str, str]) -> AnyCase:
    """One plain listing request (``limit=1``), for checks that probe variations of a successful request."""
    case: AnyCase = operation(schema, LIST).Case(query={"limit": 1}, headers=dict(headers))
    return case


def negative_cases(schema: schemathesis.BaseSchema, rules: OperationRules) -> CaseStrategy:
    strategy: CaseStrategy = operation(schema, rules).as_strategy(GenerationMode.NEGATIVE)
    return strategy


# -- findings ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Finding:
    """One violation: the requirements it proves violated, what was expected, what came, the exchange."""

    requirements: tuple[str, ...]
    expected: str
    actual: str
    exchange: Exchange | None = None


@dataclass
class Findings:
    """The findings of one test; raised together, once generation is over."""

    seed: int
    items: list[Finding] = field(default_factory=list)
    limit: int = 5

    def add(self, finding: Finding) -> None:
        key = (finding.requirements, finding.expected)
        if any((f.requirements, f.expected) == key for f in self.items):
            return
        if len(self.items) < self.limit:
            self.items.append(finding)

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if not self.items:
            return
        first = self.items[0]
        requirements = list(dict.fromkeys(r for f in self.items for r in f.requirements))
        expected = "; ".join(dict.fromkeys(f.expected for f in self.items))
        lines = [first.actual]
        for other in self.items[1:]:
            lines.append(f"also [{', '.join(other.requirements)}] {other.actual}")
            if other.exchange is not None and other.exchange is not first.exchange:
                lines.append("    request: " + other.exchange.request_line.split("\n", 1)[0])
                lines.append("    curl:    " + other.exchange.curl)
        lines.append(f"generated with seed {self.seed} (rerun with --segjobs-seed {self.seed})")
        raise ConformanceFailure(requirements, expected, "\n            ".join(lines), first.exchange)


# -- custom checks -----------------------------------------------------------------------------------------
class SuiteFailure(Failure):
    """A failure of a check of the suite's own: it names its requirements and the exchange that proves it."""

    code = "ST901"
    kind_title = "Conformance check failed"

    def __init__(
        self,
        *,
        operation: str,
        requirements: Sequence[str],
        expected: str,
        message: str,
        exchange: Exchange | None = None,
    ) -> None:
        super().__init__(operation=operation, title=expected, message=message)
        self.requirements = tuple(requirements)
        self.expected = expected
        self.exchange = exchange


class CancelTakesEffect:
    """After a 204 to the cancel of a job of the run, the job stays readable: cancelled, or as it finished.

    Jobs of other tests and clients are left alone: their state before the cancel is unknown.
    """

    __name__ = "cancel_takes_effect"

    def __init__(self, api: ApiClient, jobs: JobTracker, judged: set[str] | None = None) -> None:
        self.api = api
        self.jobs = jobs
        #: the requirements it has judged so far (a test reports the others as not judged)
        self.judged = judged if judged is not None else set()

    def __call__(self, ctx: Any, response: Response, case: AnyCase) -> bool | None:
        if case.method.upper() != "DELETE" or response.status_code != 204:
            return None
        job_id = job_id_of(case)
        tracked = self.jobs.jobs.get(job_id) if job_id is not None else None
        if job_id is None or tracked is None:
            return None
        before = tracked.last.status if tracked.last is not None else None
        try:
            exchange = self.api.get_job(job_id)
        except TransportError as exc:
            raise SuiteFailure(
                operation=case.operation.label,
                requirements=[exc.requirement],
                expected="an answer to GET of the cancelled job",
                message=str(exc),
                exchange=exc.exchange,
            ) from None
        if exchange.status != 200:
            raise SuiteFailure(
                operation=case.operation.label,
                requirements=["SJ-CANCEL-008"],
                expected="GET of a job just cancelled (204) answers 200 with the job",
                message=f"GET answered HTTP {exchange.status}",
                exchange=exchange,
            )
        try:
            status = json.loads(exchange.body).get("status")
        except (ValueError, AttributeError):
            status = None
        if status not in STATUSES:
            raise SuiteFailure(
                operation=case.operation.label,
                requirements=["SJ-LIFECYCLE-001"],
                expected=f"a job status, one of {', '.join(STATUSES)}",
                message=f"after the 204 the job reads {status!r}",
                exchange=exchange,
            )
        if before in TERMINAL and status != before:
            raise SuiteFailure(
                operation=case.operation.label,
                requirements=["SJ-CANCEL-005"],
                expected=f"a job that was {before} before the cancel stays {before}",
                message=f"after the 204 the job reads {status!r}",
                exchange=exchange,
            )
        self.judged.add("SJ-CANCEL-008")
        if before in RUNNING:
            self.judged.add("SJ-CANCEL-003")
        if status in RUNNING:
            raise SuiteFailure(
                operation=case.operation.label,
                requirements=["SJ-CANCEL-003"],
                expected="after a 204 the job reads CANCELLING or CANCELLED",
                message=f"after the 204 the job still reads {status}",
                exchange=exchange,
            )
        return None


class InvalidTokenRefused:
    """The listing with a wrong bearer token, every other credential right, is refused with 401 or 403."""

    __name__ = "invalid_token_refused"

    def __init__(self, api: ApiClient) -> None:
        self.api = api

    def __call__(self, ctx: Any, response: Response, case: AnyCase) -> bool | None:
        if not 200 <= response.status_code < 300:
            return None
        try:
            exchange = self.api.list_jobs(
                {"limit": "1"}, headers={"Authorization": "Bearer segjobs-invalid-token"}
            )
        except TransportError as exc:
            raise SuiteFailure(
                operation=case.operation.label,
                requirements=[exc.requirement],
                expected="an answer to a request with an invalid token",
                message=str(exc),
                exchange=exc.exchange,
            ) from None
        if exchange.status not in (401, 403):
            raise SuiteFailure(
                operation=case.operation.label,
                requirements=["SJ-AUTH-002"],
                expected="401 or 403 to a request with an invalid bearer token",
                message=f"HTTP {exchange.status}",
                exchange=exchange,
            )
        return None


class JobAcceptance:
    """``positive_data_acceptance`` where the data is valid in fact: get and cancel judged for known jobs only
    (jobs of the run, and ``extra_ids``); a generated ID is unknown, and 404 is its right answer."""

    __name__ = "positive_data_acceptance"

    def __init__(
        self, jobs: JobTracker, extra_ids: Collection[str] = (), judged: set[str] | None = None
    ) -> None:
        self.jobs = jobs
        self.extra_ids = frozenset(extra_ids)
        self.judged = judged if judged is not None else set()

    def __call__(self, ctx: Any, response: Response, case: AnyCase) -> bool | None:
        if "{segmentJobId}" in case.path:
            job_id = job_id_of(case)
            if job_id is None or (job_id not in self.extra_ids and job_id not in self.jobs.jobs):
                return None
        self.judged.add(_rules_of(case).acceptance_requirement)
        result: bool | None = openapi_checks.positive_data_acceptance(ctx, response, case)
        return result


#: Checks of every answer.
RESPONSE_CHECKS: tuple[CheckFunction, ...] = (
    not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.response_schema_conformance,
)
NEGATIVE_CHECKS: tuple[CheckFunction, ...] = (*RESPONSE_CHECKS, openapi_checks.negative_data_rejection)


def positive_checks(
    jobs: JobTracker, known_ids: Collection[str] = (), judged: set[str] | None = None
) -> tuple[CheckFunction, ...]:
    """Checks of answers to valid data: those of every answer, and acceptance (noted in ``judged`` when it
    had a known job to judge)."""
    return (*RESPONSE_CHECKS, JobAcceptance(jobs, known_ids, judged))


def cancel_checks(
    api: ApiClient, jobs: JobTracker, known_ids: Collection[str] = (), judged: set[str] | None = None
) -> tuple[CheckFunction, ...]:
    """Checks of answers to valid cancels: those of valid data, and the cancel semantics."""
    return (*positive_checks(jobs, known_ids, judged), CancelTakesEffect(api, jobs, judged))


def credential_checks(api: ApiClient) -> tuple[CheckFunction, ...]:
    """Probes of a successful request: without credentials, with invalid ones."""
    return (openapi_checks.ignored_auth, InvalidTokenRefused(api))


def requirements_of(check: str, failure: Failure, rules: OperationRules, status: int) -> tuple[str, ...]:
    """The requirements a failed check proves violated (the operation's schema requirement by default)."""
    error = status >= 400
    if isinstance(failure, SuiteFailure):
        return failure.requirements
    if check == "not_a_server_error" or isinstance(failure, ServerError | ContentTypeServerError):
        return ("SJ-ERROR-001",)
    if check == "status_code_conformance":
        return ("SJ-ERROR-003",)
    if check == "content_type_conformance" or isinstance(failure, MissingContentType):
        return ("SJ-ERROR-002",) if error else ("SJ-HTTP-001",)
    if check == "response_headers_conformance":
        return ("SJ-ERROR-005",) if status in (429, 503) else (rules.schema_requirement,)
    if check == "response_schema_conformance":
        if error:
            return ("SJ-ERROR-002",)
        if isinstance(failure, MalformedJson | ContentDeserializationError):
            return ("SJ-HTTP-002",)
        return (rules.schema_requirement,)
    if check == "negative_data_rejection" and rules.rejection_requirement is not None:
        return (rules.rejection_requirement,)
    if check == "positive_data_acceptance":
        return (rules.acceptance_requirement,)
    if check == "ensure_resource_availability":
        return ("SJ-CREATE-007",)
    if check == "ignored_auth" and isinstance(failure, IgnoredAuth):
        return ("SJ-AUTH-001",) if failure.scenario == AuthScenario.NO_AUTH else ("SJ-AUTH-002",)
    return (rules.schema_requirement,)


_EXPECTED = {
    "not_a_server_error": "no 5xx answer, however malformed the request",
    "status_code_conformance": "a status code the spec documents for {label}",
    "content_type_conformance": "a Content-Type the spec documents for {label}",
    "response_headers_conformance": "the response headers the spec documents for {label}",
    "response_schema_conformance": "a body that conforms to the spec's response schema of {label}",
    "negative_data_rejection": "a 4xx answer to data the spec does not allow",
    "positive_data_acceptance": "HTTP {accepted} to valid data",
    "ensure_resource_availability": "a job just created is readable through the spec's links",
    "ignored_auth": "401 or 403 to a request without valid credentials",
}


def _expected(check: str, failure: Failure, rules: OperationRules) -> str:
    if isinstance(failure, SuiteFailure):
        return failure.expected
    accepted = " or ".join(str(s) for s in rules.accepted_statuses)
    return _EXPECTED.get(check, failure.title).format(label=rules.label, accepted=accepted)


# -- evidence: what an answer gave to judge ---------------------------------------------------------------
def _body_of(response: Response) -> Any:
    try:
        return json.loads(response.content) if response.content else None
    except ValueError:
        return None


def _holds_a_job(rules: OperationRules, body: Any) -> bool:
    """Whether a 2xx answer carries what the operation's schema requirement speaks of."""
    if rules is LIST:
        return isinstance(body, dict) and bool(body.get("children"))
    if rules is BULK_GET:
        return isinstance(body, dict) and bool(body.get("results"))
    return rules is not CANCEL and isinstance(body, dict)


def judged_by(
    rules: OperationRules,
    case: AnyCase,
    response: Response,
    checks: Sequence[CheckFunction],
    jobs: JobTracker,
) -> set[str]:
    """The requirements an answer gave something to judge, whatever the verdict: a check that had nothing
    to look at (no job in a listing, an unknown id) credits nothing."""
    status = response.status_code
    names = {getattr(check, "__name__", "") for check in checks}
    judged = {"SJ-ERROR-001", "SJ-ERROR-003"}  # any answer: no 5xx, a documented status
    if status >= 400:
        judged.add("SJ-ERROR-002")
    elif response.content:
        judged |= {"SJ-HTTP-001", "SJ-HTTP-002"}
    if "negative_data_rejection" in names and rules.rejection_requirement is not None:
        judged.add(rules.rejection_requirement)
    # acceptance: JobAcceptance notes it when it judges (a generated, unknown id is not judged)
    if 200 <= status < 300 and (status == 204 or _holds_a_job(rules, _body_of(response))):
        judged.add(rules.schema_requirement)
    if "ignored_auth" in names and 200 <= status < 300:
        judged |= {"SJ-AUTH-001", "SJ-AUTH-002"}
    if "ensure_resource_availability" in names and rules is GET and job_id_of(case) in jobs.jobs:
        judged.add("SJ-CREATE-007")
    return judged


#: Why a requirement of a property test was not judged, when no answer gave it anything.
NOTHING_TO_JUDGE = "no generated request gave it anything to judge"
NOT_JUDGED: Mapping[str, str] = {
    "SJ-GET-001": "no job to read: the run created none and the listing showed none",
    "SJ-GET-003": "no job to read: the run created none and the listing showed none",
    "SJ-LIST-014": "no listing answer held a job to check against the schema",
    "SJ-BULK-007": "no bulk-get answer held a result to check against the schema",
    "SJ-CANCEL-001": "no job of the run to cancel",
    "SJ-CANCEL-003": "no running job of the run was cancelled",
    "SJ-CANCEL-008": "no job of the run was cancelled",
    "SJ-CREATE-001": "no create was sent",
    "SJ-CREATE-006": "no create was answered with a job",
    "SJ-CREATE-007": "no created job was read through the spec's links",
    "SJ-ERROR-002": "no answer was an error",
    "SJ-AUTH-001": "the listing with valid credentials did not succeed, so credentials were not probed",
    "SJ-AUTH-002": "the listing with valid credentials did not succeed, so credentials were not probed",
}


# -- exchanges ---------------------------------------------------------------------------------------------
def _body_bytes(body: object) -> bytes | None:
    if body is None:
        return None
    if isinstance(body, bytes):
        return body
    return str(body).encode("utf-8", "surrogateescape")


def _sent_headers(headers: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    # schemathesis' correlation header is no part of the API: the curl line leaves it out
    return tuple(
        (str(k), str(v)) for k, v in headers.items() if str(k).lower() != "x-schemathesis-testcaseid"
    )


def exchange_of(response: Response, redactor: Redactor) -> Exchange:
    """The suite's record of a schemathesis answer (masked curl line, request line, response excerpt)."""
    request = response.request
    response_headers = tuple((name, value) for name, values in response.headers.items() for value in values)
    return Exchange(
        method=str(request.method),
        url=str(request.url),
        request_headers=_sent_headers(request.headers),
        request_body=_body_bytes(request.body),
        status=response.status_code,
        response_headers=response_headers,
        body=response.content,
        elapsed_s=response.elapsed,
        redactor=redactor,
    )


def _exchange_of_request(request: Any, fallback_url: str, method: str, redactor: Redactor) -> Exchange:
    if request is None:
        return Exchange(method, fallback_url, (), None, redactor=redactor)
    headers = getattr(request, "headers", None) or {}
    return Exchange(
        method=str(getattr(request, "method", method)),
        url=str(getattr(request, "url", fallback_url)),
        request_headers=_sent_headers(headers),
        request_body=_body_bytes(getattr(request, "body", None)),
        redactor=redactor,
    )


def _new_session() -> Any:
    """A requests session that ignores proxy variables: the suite only talks to the configured target."""
    session = requests.Session()
    session.trust_env = False
    return session


# -- sending and checking ----------------------------------------------------------------------------------
class Prober:
    """Sends generated cases to the target and turns failed checks into findings."""

    def __init__(self, settings: Settings, api: ApiClient, jobs: JobTracker) -> None:
        assert settings.base_url is not None
        self.settings = settings
        self.base_url = settings.base_url
        self.api = api
        self.jobs = jobs
        self.schema = load_schema(settings)
        self.headers = settings.auth_headers()
        self.redactor = settings.redactor
        self.seed = settings.seed if settings.seed is not None else 0
        self.findings = Findings(self.seed)
        self.session = _new_session()
        self.stopped = False
        #: suite errors met while Hypothesis ran: raised once it is done, so no example is replayed
        self.errors: list[BaseException] = []
        #: the requirements some answer gave something to judge (see :func:`judged_by`)
        self.judged: set[str] = set()

    def close(self) -> None:
        self.session.close()

    def transport_kwargs(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "timeout": (self.settings.connect_timeout, self.settings.read_timeout),
            "allow_redirects": False,
        }

    def call_kwargs(self) -> dict[str, Any]:
        return {**self.transport_kwargs(), "session": self.session, "headers": dict(self.headers)}

    def _count(self, requests: int = 1) -> None:
        """Requests sent outside the run's client still count in its statistics (results.json)."""
        for _ in range(requests):
            self.api.stats.count()

    def send(self, case: AnyCase) -> Response:
        """Sends ``case`` (tenant headers pinned); raises :class:`TransportError` without a usable answer."""
        if case.method.upper() == "DELETE":
            self.jobs.check_cancel(job_id_of(case) or "")
        self._count()
        kwargs = self.call_kwargs()
        try:
            response: Response = case.call(**kwargs)
        except requests.Timeout as exc:
            exchange = _exchange_of_request(
                exc.request, self.base_url + case.formatted_path, case.method, self.redactor
            )
            raise TargetTimeout(
                f"no answer to {case.method} {case.formatted_path} within the timeouts (connect/read "
                f"{self.settings.connect_timeout}s/{self.settings.read_timeout}s): {type(exc).__name__}",
                exchange,
            ) from None
        except requests.RequestException as exc:
            exchange = _exchange_of_request(
                exc.request, self.base_url + case.formatted_path, case.method, self.redactor
            )
            raise ProtocolViolation(
                f"{case.method} {case.formatted_path}: the connection failed before a complete HTTP answer "
                f"({type(exc).__name__})",
                exchange,
            ) from None
        self.jobs.observe_exchange(exchange_of(response, self.redactor))
        return response

    def check(
        self,
        case: AnyCase,
        response: Response,
        rules: OperationRules,
        checks: Sequence[CheckFunction],
        recorder: ScenarioRecorder | None = None,
    ) -> list[Finding]:
        """Runs ``checks`` on the answer, one at a time so each failure is attributed to its check."""
        exchange = exchange_of(response, self.redactor)
        if 300 <= response.status_code < 400:
            location = (response.headers.get("location") or ["(no Location)"])[0]
            return [
                Finding(
                    ("SJ-HTTP-005",),
                    "an answer at the base URL itself, without redirects",
                    f"HTTP {response.status_code} redirecting to {location}",
                    exchange,
                )
            ]
        own_recorder = recorder is None
        scenario = recorder if recorder is not None else ScenarioRecorder(label="conformance")
        found: list[Finding] = []
        for check in checks:
            try:
                case.validate_response(
                    response, checks=[check], transport_kwargs=self.transport_kwargs(), recorder=scenario
                )
            except FailureGroup as group:
                for failure in group.exceptions:
                    found.append(self._finding(check.__name__, failure, rules, response, exchange, scenario))
        if own_recorder:
            # requests the checks sent themselves (ignored_auth probes)
            self._count(len(scenario.interactions))
        return found

    def _finding(
        self,
        check: str,
        failure: Failure,
        rules: OperationRules,
        response: Response,
        exchange: Exchange,
        recorder: ScenarioRecorder,
    ) -> Finding:
        proof = exchange
        if isinstance(failure, SuiteFailure) and failure.exchange is not None:
            proof = failure.exchange
        elif failure.case_id is not None:
            probe = recorder.find_response(case_id=failure.case_id)
            if probe is not None:
                proof = exchange_of(probe, self.redactor)
        text = failure.message if isinstance(failure, SuiteFailure) else f"{failure.title}: {failure.message}"
        message = " ".join(text.split())
        if len(message) > 700:
            message = message[:700] + " ..."
        return Finding(
            requirements_of(check, failure, rules, response.status_code),
            _expected(check, failure, rules),
            self.redactor.text(message),
            proof,
        )

    def exercise(
        self,
        case: AnyCase,
        rules: OperationRules,
        checks: Sequence[CheckFunction],
        recorder: ScenarioRecorder | None = None,
        on_answer: Callable[[Response], None] | None = None,
    ) -> Response | None:
        """Sends ``case`` and checks the answer; every problem becomes a finding. Returns the answer.

        ``on_answer`` runs before the checks (the stateful workflow records the answer there)."""
        try:
            response = self.send(case)
        except TransportError as exc:
            self.findings.add(
                Finding(
                    (exc.requirement,), "a complete HTTP answer within the timeouts", str(exc), exc.exchange
                )
            )
            return None
        if case.method.upper() == "POST" and case.path == CREATE.path:
            self.jobs.track_answer(
                exchange_of(response, self.redactor), self.settings.sandbox, _segment_ids_of(case.body)
            )
        if on_answer is not None:
            on_answer(response)
        for finding in self.check(case, response, rules, checks, recorder):
            self.findings.add(finding)
        self.judged |= judged_by(rules, case, response, checks, self.jobs)
        return response

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
        self,
        strategy: CaseStrategy,
        max_examples: int,
        rules: OperationRules,
        checks: Sequence[CheckFunction],
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


# -- stateful workflows ------------------------------------------------------------------------------------
def stateful_checks(prober: Prober) -> tuple[CheckFunction, ...]:
    """Checks of the workflows: those of valid cancels, and that a created job is readable."""
    return (
        *cancel_checks(prober.api, prober.jobs, judged=prober.judged),
        openapi_checks.ensure_resource_availability,
    )


def workflow_machine(prober: Prober, budget: CreateBudget) -> type[APIStateMachine]:
    """The spec's links (create -> get, cancel, bulk-get) as a state machine that sends through ``prober``.

    Every create names a configured segment definition and takes one job of ``budget``; once the budget is
    used up a create step is not sent (the step yields nothing, the scenario goes on). Nothing raises inside
    Hypothesis: problems become findings of ``prober``.
    """
    base: type[APIStateMachine] = prober.schema.as_state_machine()
    checks = stateful_checks(prober)
    segment_ids = prober.settings.segment_ids
    creates = itertools.count()

    class Workflow(base):  # type: ignore[valid-type, misc]
        def step(self, input: StepInput) -> StepOutput | None:
            if prober.stopped or prober.errors:
                return None
            try:
                return self._send(input.case)
            except Exception as exc:  # re-raised once Hypothesis is done
                prober.errors.append(exc)
                return None

        def _send(self, case: AnyCase) -> StepOutput | None:
            rules = _rules_of(case)
            if rules is CREATE:
                if not budget.take():
                    return None
                case.body = [{"segmentId": segment_ids[next(creates) % len(segment_ids)]}]
            if rules is CANCEL and not prober.jobs.may_cancel(job_id_of(case) or ""):
                return None  # a step not fed by a create of ours is not sent: the run cancels only its jobs
            response = prober.exercise(
                case,
                rules,
                checks,
                recorder=self.recorder,
                on_answer=lambda answer: self.after_call(answer, case),
            )
            if response is None:
                return None
            return StepOutput(response, case)

    return Workflow


def _rules_of(case: AnyCase) -> OperationRules:
    for rules in OPERATIONS.values():
        if rules.method == case.method.upper() and rules.path == case.path:
            return rules
    raise LookupError(f"no rules for {case.method} {case.path}")


def run_workflows(prober: Prober, *, max_examples: int, steps: int, budget: CreateBudget) -> None:
    """Runs the stateful workflows; problems are collected in ``prober.findings``."""
    machine = workflow_machine(prober, budget)
    hypothesis.seed(prober.seed)(machine)
    machine.run(settings=hypothesis_settings(max_examples, stateful_step_count=steps))
    if prober.errors:
        raise prober.errors[0]
