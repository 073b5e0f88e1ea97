"""Invalid query values of the listing: refused with a 4xx, or ignored with a correct answer (ERRATA E-30).

The doc defines the values of the listing's parameters (``limit`` an integer of at least 1, ``start`` one of
at least 0, the seven statuses, the form of ``sort``, the two forms of ``property``) but makes no refusal of
other values mandatory. A server may refuse an invalid value with a 4xx, or read the request without it
(ignored) or with it brought into range (clamped); its answer must then be right. This module says what
"right" is, and judges it:

:data:`LEEWAY`
    per parameter (the spec's parameter schema says which values are invalid), what a 200 answer to an
    invalid value shows, in words and as the constraints :func:`judge` applies;
:func:`judge`
    the problem of a page answered to a query, against a :class:`Reference`: the listing of the query's
    valid filters, read right after it;
:func:`problem_of`
    the same, read again up to twice when page and reference disagree (other clients create jobs, and jobs
    change status, between two requests): a server is blamed only when no round agrees;
:class:`QueryLatitude`
    the check of the property test of invalid listing queries, in place of schemathesis'
    ``negative_data_rejection`` (which demands a 4xx); ``negative_listing`` builds that test's checks.

A 5xx always fails (SJ-ERROR-001 and SJ-LIST-013). Bodies of create and bulk-get have no such leeway: a body
that is not JSON or not of the documented shape is refused (E-30), and schemathesis judges those.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

import jsonschema

from conformance._client import ApiClient, Exchange
from conformance._lifecycle import STATUSES
from conformance._spec import load_openapi
from conformance.properties.checks import RESPONSE_CHECKS, Checks
from conformance.properties.findings import Finding
from conformance.properties.rules import RATE_LIMITED, SORT_ATTRIBUTES
from conformance.properties.strategies import AnyCase

Query = Sequence[tuple[str, str]]

#: the key of :data:`LEEWAY` for a query parameter the spec does not name
UNNAMED = "(a parameter the doc does not name)"
#: the largest page asked for, to learn the server's largest page (a server clamps a larger limit, E-13)
LARGEST = 1000
#: how many times page and reference are read in all before a disagreement is blamed on the server
ROUNDS = 3

Total = Literal["same", "at most", "kept filter"]


@dataclass(frozen=True)
class Leeway:
    """What a 200 answer to a query with an invalid value of one parameter shows."""

    #: in words, after "refused with a 4xx, or"
    ignored: str
    #: ``totalCount`` against the listing without the value: the same, at most that, or (an invalid status:
    #: the filter stays) no comparison: no job has the status, so none matches
    total: Total
    #: no more jobs than the largest page the server answers
    bounded: bool = False


LEEWAY: Mapping[str, Leeway] = {
    "limit": Leeway(
        "ignored or clamped: no more jobs than the server's largest page, and the totalCount without it",
        "same",
        bounded=True,
    ),
    "start": Leeway("ignored or clamped: the totalCount without it", "same"),
    "status": Leeway(
        "the filter kept: no job of another status (none has an unknown one: no children, totalCount 0)",
        "kept filter",
    ),
    "sort": Leeway("ignored: the totalCount without it, the jobs in some order", "same"),
    "property": Leeway("ignored, or read as some filter: no more matches than without it", "at most"),
    UNNAMED: Leeway("ignored: the totalCount without it", "same"),
}


# -- which values are invalid: the spec's parameter schemas ------------------------------------------------
@functools.cache
def _parameter_schemas() -> Mapping[str, Mapping[str, Any]]:
    """name -> the schema of one value of each query parameter of the listing (``property``: its items)."""
    doc = load_openapi()
    found: dict[str, Mapping[str, Any]] = {}
    for raw in doc["paths"]["/segment/jobs"]["get"]["parameters"]:
        parameter = _resolve(doc, raw)
        if parameter.get("in") != "query":
            continue
        schema = _resolve(doc, parameter["schema"])
        if schema.get("type") == "array":
            schema = _resolve(doc, schema["items"])
        found[str(parameter["name"])] = schema
    return found


def _resolve(doc: Mapping[str, Any], node: Any) -> Any:
    while isinstance(node, Mapping) and "$ref" in node:
        target: Any = doc
        for part in str(node["$ref"])[2:].split("/"):
            target = target[part]
        node = target
    return node


def is_valid(name: str, value: str) -> bool:
    """Whether ``value`` is one the spec admits for the listing's query parameter ``name`` (a parameter the
    spec does not name admits none)."""
    schema = _parameter_schemas().get(name)
    if schema is None:
        return False
    instance: Any = value
    if schema.get("type") == "integer":
        digits = value[1:] if value.startswith("-") else value
        if not (digits.isascii() and digits.isdigit()):
            return False
        instance = int(value)
    return bool(jsonschema.Draft202012Validator(schema).is_valid(instance))


def invalid_parameters(query: Query) -> list[str]:
    """The parameters of ``query`` that carry an invalid value (:data:`UNNAMED` for one the spec does not
    name), in order, each once."""
    names = _parameter_schemas()
    bad = [name if name in names else UNNAMED for name, value in query if not is_valid(name, value)]
    return list(dict.fromkeys(bad))


def query_of(exchange: Exchange) -> list[tuple[str, str]]:
    """The query a listing request sent, as (name, value) pairs."""
    return parse_qsl(urlsplit(exchange.url).query, keep_blank_values=True)


# -- the reference: the listing of the query's valid filters ----------------------------------------------
@dataclass(frozen=True)
class Reference:
    """The listing of a query's valid filters (``status``, ``property``; ``sort`` for the first page), read
    with :data:`LARGEST` as its limit."""

    total: int
    ids: tuple[str, ...]
    #: the most jobs on one page (None: the page was full, no largest page seen)
    largest: int | None


def reference_query(query: Query, *, ordered: bool = False) -> list[tuple[str, str]]:
    """The valid filters of ``query`` (and its valid ``sort`` when ``ordered``), with the largest limit."""
    kept = ("status", "property", "sort") if ordered else ("status", "property")
    return [(n, v) for n, v in query if n in kept and is_valid(n, v)] + [("limit", str(LARGEST))]


def read_reference(api: ApiClient, query: Query, *, ordered: bool = False) -> Reference | None:
    """The :class:`Reference` of ``query``; None when the server does not answer it with a page (it may
    refuse a valid filter it does not support, E-25): then nothing is judged."""
    page = page_of(api.list_jobs(reference_query(query, ordered=ordered)))
    if page is None:
        return None
    ids = tuple(str(c.get("id")) for c in page["children"])
    return Reference(int(page["_page"]["totalCount"]), ids, None if len(ids) >= LARGEST else len(ids))


def page_of(exchange: Exchange) -> dict[str, Any] | None:
    """The body of a 200 answer when it is a page (counts and children), else None."""
    if exchange.status != 200:
        return None
    try:
        body = json.loads(exchange.body)
    except ValueError:
        return None
    counts = body.get("_page") if isinstance(body, dict) else None
    total = counts.get("totalCount") if isinstance(counts, dict) else None
    children = body.get("children") if isinstance(body, dict) else None
    if not isinstance(total, int) or not isinstance(children, list):
        return None
    if not all(isinstance(child, dict) for child in children):
        return None
    page: dict[str, Any] = body
    return page


# -- judging ---------------------------------------------------------------------------------------------
def _statuses_asked(query: Query) -> set[str] | None:
    """The statuses a ``status`` filter keeps, read without regard to case (None: no filter)."""
    values = [v for n, v in query if n == "status"]
    return {v.strip().casefold() for v in values} if values else None


def judge(
    query: Query,
    page: Mapping[str, Any],
    reference: Reference,
    *,
    first_page: bool = False,
    largest: Callable[[], int | None] = lambda: None,
) -> str | None:
    """What is wrong with ``page``, the 200 answer to ``query``, or None.

    The invalid values are read as :data:`LEEWAY` allows; the valid ones still hold (a status filter keeps
    its jobs, a limit bounds the page, a creationTime sort orders it). ``first_page``: the page is also the
    first of the reference (the answer to a ``start`` read as 0). ``largest``: the most jobs the server put
    on a page without a limit, asked only when the page holds more than the reference's largest page."""
    children = list(page["children"])
    ids = [str(c.get("id")) for c in children]
    total = int(page["_page"]["totalCount"])
    bad = invalid_parameters(query)
    rules = [LEEWAY[name] for name in bad]

    asked = _statuses_asked(query)
    if asked is not None:
        other = [
            f"{c.get('id')}: {c.get('status')}"
            for c in children
            if str(c.get("status")).casefold() not in asked
        ]
        if other:
            return f"jobs of another status than {sorted(asked)}: {', '.join(other[:5])}"
        if not asked & {s.casefold() for s in STATUSES} and total != 0:
            return f"totalCount {total} for a status no job has (expected 0)"

    # the loosest rule of the invalid values holds for totalCount: a kept status filter (judged above) is
    # compared with nothing, a filter read some way with at most, the others with the same count
    kinds = {rule.total for rule in rules}
    if "kept filter" in kinds:
        pass
    elif "at most" in kinds and total > reference.total:
        return f"totalCount {total}, more than the {reference.total} of the listing without the value"
    elif kinds == {"same"} and total != reference.total:
        return f"totalCount {total}, not the {reference.total} of the listing without the value"

    limits = [int(v) for n, v in query if n == "limit" and is_valid(n, v)]
    if limits and "limit" not in bad and len(children) > max(limits):
        return f"{len(children)} jobs on a page of limit={max(limits)}"
    bounded = any(rule.bounded for rule in rules)
    if bounded and reference.largest is not None and len(children) > reference.largest:
        default = largest()
        if default is None or len(children) > default:
            most = max(reference.largest, default or 0)
            return f"{len(children)} jobs on one page, more than the server's largest page ({most})"

    order = [v for n, v in query if n == "sort" and is_valid(n, v)]
    if len(order) == 1 and order[0].partition(":")[0] in SORT_ATTRIBUTES:
        attribute, _, direction = order[0].partition(":")
        values = [c.get(attribute) for c in children]
        wrong = [(a, b) for a, b in pairwise(values) if _out_of_order(a, b, direction)]
        if wrong:
            return f"sort={order[0]}, yet {attribute} in page order: {values[:20]}"

    if first_page:
        expected = list(reference.ids[: len(ids)])
        if ids != expected or (reference.total and not ids):
            return f"the first page {list(reference.ids[:5])}..., got {ids[:5]}"
    return None


def _out_of_order(a: Any, b: Any, direction: str) -> bool:
    if not isinstance(a, int) or not isinstance(b, int):
        return False  # the schema check speaks of a missing or mistyped time
    return a > b if direction == "asc" else a < b


def problem_of(
    api: ApiClient, query: Query, page: Mapping[str, Any], *, first_page: bool = False
) -> str | None:
    """:func:`judge` of ``page`` against the reference read now; when they disagree, up to
    :data:`ROUNDS` - 1 more rounds of reference, the query again and reference again, the page judged
    against either reference. None when one round agrees, or when the server answers no reference."""
    ordered = first_page

    def largest() -> int | None:
        unbounded = [(n, v) for n, v in reference_query(query) if n != "limit"]
        default = page_of(api.list_jobs(unbounded))
        return None if default is None else len(default["children"])

    reference = read_reference(api, query, ordered=ordered)
    if reference is None:
        return None
    problem = judge(query, page, reference, first_page=first_page, largest=largest)
    for _ in range(ROUNDS - 1):
        if problem is None:
            return None
        before = read_reference(api, query, ordered=ordered)
        again = page_of(api.list_jobs(list(query)))
        after = read_reference(api, query, ordered=ordered)
        if before is None or after is None or again is None:
            continue
        verdicts = [
            judge(query, again, ref, first_page=first_page, largest=largest) for ref in (before, after)
        ]
        problem = None if None in verdicts else verdicts[-1]
    return problem


# -- the check of the property test ----------------------------------------------------------------------
def expected(query: Query) -> str:
    """What an answer to ``query`` had to be, in words."""
    bad = invalid_parameters(query)
    shown = "; ".join(f"{name}: {LEEWAY[name].ignored}" for name in bad) or "a correct page"
    return f"a 4xx refusal of the invalid value(s), or a 200 page with them {shown}"


class QueryLatitude:
    """A listing with invalid query values: refused with a 4xx, or answered with a correct page (E-30)."""

    name = "query_latitude"

    def __init__(self, api: ApiClient, judged: set[str]) -> None:
        self.api, self.judged = api, judged

    def __call__(self, case: AnyCase, exchange: Exchange) -> Finding | None:
        status = exchange.status
        if status is None or 200 < status < 400 or status == RATE_LIMITED:
            return None  # no answer (the transport's requirement), a status SJ-ERROR-003 judges, or "later"
        self.judged.add("SJ-LIST-013")
        query = query_of(exchange)
        if status >= 500:
            return Finding(("SJ-LIST-013",), expected(query), f"HTTP {status}", exchange)
        if status >= 400:
            return None
        page = page_of(exchange)
        if page is None:
            return None  # not a page: the schema check speaks
        problem = problem_of(self.api, query, page)
        return None if problem is None else Finding(("SJ-LIST-013",), expected(query), problem, exchange)


def negative_listing(api: ApiClient, judged: set[str]) -> Checks:
    """The checks of invalid listing queries: those of every answer, and :class:`QueryLatitude`."""
    return Checks(RESPONSE_CHECKS, (QueryLatitude(api, judged),))


@dataclass(frozen=True)
class Invalid:
    """An invalid query value, and what a 200 answer that ignored (or clamped) it shows (ERRATA E-30)."""

    param: tuple[str, str]
    #: in words, after "refused with a 4xx, or"
    ignored: str
    #: the page is the first one of the listing without the value
    first_page: bool = False


#: the doc makes no refusal of these mandatory: a 4xx passes, and so does a 200 whose page is right
INVALID: dict[str, Invalid] = {
    "limit-zero": Invalid(
        ("limit", "0"),
        "clamped or ignored: no more jobs than the server's largest page, the totalCount without it",
    ),
    "limit-negative": Invalid(
        ("limit", "-1"),
        "clamped or ignored: no more jobs than the server's largest page, the totalCount without it",
    ),
    "limit-not-a-number": Invalid(
        ("limit", "abc"),
        "ignored: no more jobs than the server's largest page, the totalCount without it",
    ),
    "start-negative": Invalid(
        ("start", "-1"), "read as 0: the first page of the listing without it", first_page=True
    ),
    "status-unknown": Invalid(("status", "DONE"), "the filter kept: no job of another status (none: empty)"),
    "status-lower-case": Invalid(("status", "new"), "the filter kept: no job of another status than NEW"),
    "sort-direction-unknown": Invalid(
        ("sort", "creationTime:up"), "ignored: the totalCount without it, the jobs in some order"
    ),
    "sort-empty": Invalid(("sort", ""), "ignored: the totalCount without it, the jobs in some order"),
    "property-in-neither-form": Invalid(
        ("property", "status=NEW"), "ignored, or read as some filter: no more matches than without it"
    ),
}
