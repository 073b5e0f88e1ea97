"""The spec as schemathesis sees it, Hypothesis' settings, and the strategies of generated cases.

Positive data must be *semantically* valid, since a check blames the server for refusing it (see the package
docstring): schemathesis generates from the spec with the ``sort`` and ``property`` patterns narrowed to what
every server supports (:func:`generation_document`). Negative data is schemathesis' own. The four tenant
headers are pinned in every case through the schemathesis configuration, so they are never generated nor
negated.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import unquote

import hypothesis
import schemathesis
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode

from conformance._config import Settings
from conformance._jobs import UNKNOWN_PREFIX
from conformance._spec import load_openapi
from conformance.properties.rules import (
    BULK_GET,
    CANCEL,
    CREATE,
    FILTER_PATHS,
    LIST,
    OPERATIONS,
    RATE_LIMITED,
    RESERVED_JOB_IDS,
    SORT_ATTRIBUTES,
    OperationRules,
)

AnyCase = Case[Any]
CaseStrategy = st.SearchStrategy[AnyCase]

_SCHEMAS: dict[tuple[tuple[str, str], ...], schemathesis.BaseSchema] = {}
_SCHEMAS_LOCK = threading.Lock()


def load_schema(settings: Settings) -> schemathesis.BaseSchema:
    """The spec as a schemathesis schema, with the tenant headers of ``settings`` pinned in every case."""
    headers = settings.auth_headers()
    key = tuple(sorted(headers.items()))
    with _SCHEMAS_LOCK:
        schema = _SCHEMAS.get(key)
        if schema is None:
            schema = schemathesis.openapi.from_dict(generation_document(), config=_config(headers))
            _SCHEMAS[key] = schema
        return schema


def generation_document() -> dict[str, Any]:
    """The spec as the property tests generate from it: the same document, but for the patterns of ``sort``
    and ``property``, narrowed to the attribute and the path every server supports (``SORT_ATTRIBUTES``,
    ``FILTER_PATHS``). The spec's patterns are the doc's forms, whose other attributes and paths a server may
    refuse (ERRATA E-14, E-25); a generated valid request that is refused fails the server, in the listing
    test and in the stateful workflows alike."""
    doc: dict[str, Any] = copy.deepcopy(load_openapi())
    parameters = doc["components"]["parameters"]
    sort = parameters["Sort"]["schema"]
    sort["pattern"] = _narrowed(sort["pattern"], ":(", SORT_ATTRIBUTES)
    item = parameters["Property"]["schema"]["items"]
    item["pattern"] = _narrowed(item["pattern"], "==", FILTER_PATHS)
    return doc


def _narrowed(pattern: str, separator: str, names: Sequence[str]) -> str:
    """``pattern`` (``^<a name>`` then ``separator`` and the rest) with one of ``names`` for its name; the
    rest, and with it its meaning in both regex dialects, stays the spec's."""
    rest = pattern[pattern.index(separator) :]
    return "^(" + "|".join(name.replace(".", r"\.") for name in names) + ")" + rest


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
    """Generation without database, deadline, shrinking or replay; health checks about speed and filtering
    off (every example waits on the network, and semantically valid data is drawn through filters)."""
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
def listing_cases(schema: schemathesis.BaseSchema) -> CaseStrategy:
    """Valid listings: ``sort`` and ``property`` on what every server supports (``generation_document``)."""
    strategy: CaseStrategy = operation(schema, LIST).as_strategy(GenerationMode.POSITIVE)
    return strategy


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
