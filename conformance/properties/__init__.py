"""Property-based testing of the spec with schemathesis: requests generated from the spec, judged as a whole.

The property tests (``suite/test_properties.py``) and the stateful test (``suite/test_stateful.py``) generate
requests from ``spec/segment-jobs.openapi.yaml`` with schemathesis 4 and Hypothesis, send them through the
run's own client (the same timeouts, size cap, redirect and credential rules and the same guard as every
other request of the suite) and judge every answer with schemathesis' checks (its public API: the checks
by name from ``schemathesis.checks``, ``Case.validate_response``) and the suite's own. Each failed check
becomes a finding that names the requirement IDs it proves violated; a test raises one
:class:`~conformance._checks.ConformanceFailure` with all of them, the masked curl line and the seed.

=================  ===================================================================================
``rules``          the operations, job allowances, and the tables: what a failed check blames, why a
                   requirement was not judged
``strategies``     the schema, Hypothesis' settings, and the strategies of semantically valid data
``checks``         the checks in use (schemathesis' and the suite's) and what each answer gave to judge
``findings``       findings, raised together once generation is over
``prober``         sending a case through the run's client and judging the answer
``stateful``       the spec's links as a state machine
=================  ===================================================================================

Generation
    Hypothesis runs with ``max_examples`` from the profile, ``@seed(--segjobs-seed)``, no database, no
    deadline and no shrink phase (the server's state moves with time, so a shrunk or replayed example would
    not fail the same way). Failures are collected instead of raised inside Hypothesis, so no example is ever
    replayed and every request is sent once. The four tenant headers (``Authorization``, ``x-api-key``,
    ``x-gw-ims-org-id``, ``x-sandbox-name``) are pinned in every case, positive and negative: they come from
    the schemathesis configuration (explicit values are never generated nor negated). Strings in generated
    values never hold NUL characters.

    Positive data must be *semantically* valid, since a check blames the server for refusing it:

    - listing: generated from ``strategies.generation_document()``, whose patterns narrow ``sort`` to
      ``creationTime`` (the attribute the doc demands) and ``property`` to ``segments~segmentId``; other
      attributes and paths are the doc's form but a conformant server may refuse them (ERRATA E-14, E-25);
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
    that case is left to the scenario tests. Invalid listing queries are judged by content, not by a demand
    for a 4xx: refused, or ignored with a correct page (``latitude``, ERRATA E-30).

Checks used, and the requirement a failure of each blames (the table is :data:`rules.BLAME`)
    =============================  ==========================================================================
    not_a_server_error             SJ-ERROR-001
    status_code_conformance        SJ-ERROR-003
    content_type_conformance       SJ-HTTP-001 for a 2xx answer, SJ-ERROR-002 for an error answer
    response_headers_conformance   SJ-ERROR-005 (only ``Retry-After`` of 429 and 503 is declared), else the
                                   operation's schema requirement
    response_schema_conformance    for a 2xx answer the operation's schema requirement (SJ-LIST-014,
                                   SJ-CREATE-006, SJ-GET-003, SJ-BULK-007), SJ-HTTP-002 when the body is no
                                   JSON; SJ-ERROR-002 for the body of an error answer
    negative_data_rejection        SJ-CREATE-008, SJ-BULK-006 (expected: any 4xx; a body the server cannot
                                   read has no correct answer that ignores it)
    query_latitude (own)           SJ-LIST-013: an invalid listing query is refused with a 4xx, or ignored
                                   with a correct page (compared with the same valid query, ERRATA E-30)
    positive_data_acceptance       SJ-LIST-001 (200), SJ-CREATE-001 (200), SJ-GET-001 (200), SJ-BULK-001
                                   (207), SJ-CANCEL-001 (204, or 409 for a job cancelling or finished);
                                   429 is accepted everywhere
    cancel_takes_effect (own)      after a 204 to the cancel of a job of the run, GET of it shows CANCELLING
                                   or CANCELLED, or the job is gone, within the cancel deadline
                                   (SJ-CANCEL-003); a finished job keeps the status it had (SJ-CANCEL-005);
                                   staying readable is SJ-CANCEL-008 (a SHOULD, ERRATA E-19)
    credentials_required (own)     a listing that succeeds is refused with 401 or 403 without credentials
                                   (SJ-AUTH-001) and with an invalid bearer token, every other credential
                                   right (SJ-AUTH-002)
    created_job_found (own)        stateful: a job the run created is never a 404 where the links lead
                                   (SJ-CREATE-007)
    =============================  ==========================================================================

    A request that gets no usable answer fails SJ-HTTP-006 (timeout) or SJ-HTTP-004; a redirect fails
    SJ-HTTP-005. A check credits only what it had to judge (:func:`checks.judged_by`; acceptance and the
    suite's own checks note it themselves): a listing without jobs judges no job schema, a generated unknown
    id no acceptance. What a test names but no answer gave anything to judge is reported undecided with the
    reason of :data:`rules.NOT_JUDGED`, never passed.

Checks not used
    use_after_free
        fails a correct server: a cancelled job may stay readable (``DELETE`` is a cancel, ERRATA E-19).
        ``cancel_takes_effect`` checks the cancel semantics instead.
    ignored_auth, ensure_resource_availability
        they send or look up requests through schemathesis' own transport and recorder; the suite's
        ``credentials_required`` and ``created_job_found`` judge the same through the run's client.
    missing_required_header
        expects exactly 401 to a request without ``Authorization``, where the platform (and the reference
        server) answer 403 ``403010``; SJ-AUTH-001 is checked by ``credentials_required`` and the scenarios.
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
    :data:`rules.ALLOWANCES`: 2 in ``quick``, 10 in ``standard`` and ``full``. The test of invalid creates
    reserves one job for all its requests: a conformant server creates none, and generation stops at the first
    create a server accepts.
"""

from conformance.properties import checks
from conformance.properties.findings import Finding, Findings
from conformance.properties.prober import CreateBudget, Prober
from conformance.properties.rules import (
    ALLOWANCES,
    BULK_GET,
    CANCEL,
    CREATE,
    GET,
    LIST,
    OPERATIONS,
    JobAllowance,
    OperationRules,
    allowance,
)
from conformance.properties.stateful import run_workflows
from conformance.properties.strategies import (
    AnyCase,
    bulk_get_cases,
    create_cases,
    job_cases,
    listing_case,
    listing_cases,
    negative_cases,
)

__all__ = [
    "ALLOWANCES",
    "BULK_GET",
    "CANCEL",
    "CREATE",
    "GET",
    "LIST",
    "OPERATIONS",
    "AnyCase",
    "CreateBudget",
    "Finding",
    "Findings",
    "JobAllowance",
    "OperationRules",
    "Prober",
    "allowance",
    "bulk_get_cases",
    "checks",
    "create_cases",
    "job_cases",
    "listing_case",
    "listing_cases",
    "negative_cases",
    "run_workflows",
]
