"""What the property tests expect of each operation, and which requirement each kind of failure violates.

Rules as data: the operations (:data:`OPERATIONS`), the jobs each profile lets the generated tests create
(:data:`ALLOWANCES`), the table of what a failed schemathesis check blames (:data:`BLAME`), and why a
requirement a test names was not judged (:data:`NOT_JUDGED`). ``docs`` and a self-test read these tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: The sort attribute and the filter path every server supports: those of the doc's examples. The spec's
#: patterns admit any attribute and path, which a server may refuse with a 4xx (ERRATA E-14, E-25), so the
#: generated valid listings, whose refusal fails the server, keep to these.
SORT_ATTRIBUTES = ("creationTime",)
FILTER_PATHS = ("segments~segmentId",)
#: ``/segment/jobs/bulk-get`` is its own resource: GET and DELETE on it answer 405, never a job.
RESERVED_JOB_IDS = frozenset({"bulk-get"})
#: A rate-limited answer says nothing about the data it answers.
RATE_LIMITED = 429


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


def rules_of(method: str, path: str) -> OperationRules:
    """The rules of the operation at ``method`` and ``path`` (the spec's path template)."""
    for rules in OPERATIONS.values():
        if rules.method == method.upper() and rules.path == path:
            return rules
    raise LookupError(f"no rules for {method} {path}")


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


def allowance(field: str) -> dict[str, int]:
    """One allowance per profile, for ``@pytest.mark.creates_jobs``."""
    return {name: int(getattr(a, field)) for name, a in ALLOWANCES.items()}


# -- what a failed schemathesis check blames -------------------------------------------------------------
#: (check, kind of answer) -> requirement, first match wins; the kinds of an answer: "error" (4xx/5xx),
#: "throttled" (429/503, an error too), "malformed" (a 2xx body that is no JSON) or "success"; "*" is any.
#: A requirement ``{schema}``, ``{acceptance}`` or ``{rejection}`` is the operation's own.
BLAME: tuple[tuple[str, str, str], ...] = (
    ("not_a_server_error", "*", "SJ-ERROR-001"),
    ("status_code_conformance", "*", "SJ-ERROR-003"),
    ("content_type_conformance", "error", "SJ-ERROR-002"),
    ("content_type_conformance", "*", "SJ-HTTP-001"),
    ("response_headers_conformance", "throttled", "SJ-ERROR-005"),
    ("response_headers_conformance", "*", "{schema}"),
    ("response_schema_conformance", "error", "SJ-ERROR-002"),
    ("response_schema_conformance", "malformed", "SJ-HTTP-002"),
    ("response_schema_conformance", "*", "{schema}"),
    ("negative_data_rejection", "*", "{rejection}"),
    ("positive_data_acceptance", "*", "{acceptance}"),
)
#: failure kinds (schemathesis' failure class names) that say a body is no JSON
MALFORMED_BODY = frozenset({"MalformedJson", "ContentDeserializationError"})
#: failures that are the server's 5xx whatever check found them
SERVER_ERROR = frozenset({"ServerError", "ContentTypeServerError"})


def blamed(check: str, failure_kind: str, rules: OperationRules, status: int) -> tuple[str, ...]:
    """The requirements a failed check proves violated (the operation's schema requirement by default)."""
    if failure_kind in SERVER_ERROR:
        return ("SJ-ERROR-001",)
    kinds = {"throttled", "error"} if status in (429, 503) else {"error"} if status >= 400 else set()
    if not kinds:
        kinds = {"malformed"} if failure_kind in MALFORMED_BODY else {"success"}
    own: dict[str, Any] = {
        "{schema}": rules.schema_requirement,
        "{acceptance}": rules.acceptance_requirement,
        "{rejection}": rules.rejection_requirement or rules.schema_requirement,
    }
    for name, answer, requirement in BLAME:
        if name == check and (answer == "*" or answer in kinds):
            return (str(own.get(requirement, requirement)),)
    return (rules.schema_requirement,)


#: What was expected, in the suite's words, by check.
EXPECTED: Mapping[str, str] = {
    "not_a_server_error": "no 5xx answer, however malformed the request",
    "status_code_conformance": "a status code the spec documents for {label}",
    "content_type_conformance": "a Content-Type the spec documents for {label}",
    "response_headers_conformance": "the response headers the spec documents for {label}",
    "response_schema_conformance": "a body that conforms to the spec's response schema of {label}",
    "negative_data_rejection": "a 4xx answer to data the spec does not allow",
    "positive_data_acceptance": "HTTP {accepted} to valid data",
}


def expected(check: str, rules: OperationRules, fallback: str) -> str:
    accepted = " or ".join(str(s) for s in rules.accepted_statuses)
    return EXPECTED.get(check, fallback).format(label=rules.label, accepted=accepted)


# -- what was not judged --------------------------------------------------------------------------------
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
