"""Invalid query values of the listing: a 4xx, or a 200 whose page is right (ERRATA E-30).

``judge`` on hand-made pages, then ``problem_of`` and the property test's check against small in-memory
listing servers: honest ones that refuse, ignore or clamp each value (never blamed, also while another
client creates jobs), and dishonest ones that ignore a filter, slice with a negative start or put every job
on one page (always blamed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from conformance._client import ApiClient, Exchange
from conformance._redact import Redactor
from conformance.properties import latitude
from conformance.properties.latitude import UNNAMED, Reference, invalid_parameters, is_valid, judge

STATUSES = ("NEW", "PROCESSING", "SUCCEEDED", "CANCELLED")


def job(n: int) -> dict[str, Any]:
    return {
        "id": f"job-{n:03d}",
        "status": STATUSES[n % len(STATUSES)],
        "segments": [{"segmentId": "seg-a" if n % 2 else "seg-b"}],
        "creationTime": 1_000 + n,
        "updateTime": 2_000 + n,
    }


def page(children: list[dict[str, Any]], total: int | None = None) -> dict[str, Any]:
    count = len(children) if total is None else total
    return {"_page": {"totalCount": count, "pageSize": len(children)}, "children": children}


# -- which values are invalid: the spec's parameter schemas ---------------------------------------------
@pytest.mark.parametrize(
    ("name", "value", "valid"),
    [
        ("limit", "1", True),
        ("limit", "0", False),
        ("limit", "-1", False),
        ("limit", "abc", False),
        ("limit", "1.5", False),
        ("limit", "+1", False),
        ("limit", "\u0661", False),  # an Arabic-Indic digit: Python's int() reads it, the spec does not
        ("start", "0", True),
        ("start", "-1", False),
        ("status", "NEW", True),
        ("status", "new", False),
        ("status", "DONE", False),
        ("sort", "creationTime:desc", True),
        ("sort", "id:asc", True),  # the doc's form: a server refuses or honours it (E-14)
        ("sort", "", False),
        ("sort", "creationTime:up", False),
        ("sort", "creationTime:asc\n", False),
        ("property", "segments~segmentId==x", True),
        ("property", "status=NEW", False),
        ("property", "status==a\rb", False),
        ("nonsense", "1", False),
    ],
)
def test_a_value_is_valid_as_the_spec_says(name: str, value: str, valid: bool) -> None:
    assert is_valid(name, value) is valid


def test_the_invalid_parameters_of_a_query() -> None:
    query = [("limit", "0"), ("status", "NEW"), ("limit", "x"), ("foo", "1"), ("sort", "")]
    assert invalid_parameters(query) == ["limit", UNNAMED, "sort"]
    assert invalid_parameters([("status", "NEW"), ("limit", "5")]) == []


# -- judge: one page against the listing without the invalid values ------------------------------------
JOBS = [job(n) for n in range(30)]
REFERENCE = Reference(total=30, ids=tuple(j["id"] for j in JOBS), largest=30)


@pytest.mark.parametrize(
    ("query", "answer", "right"),
    [
        # an unknown status keeps the filter: nothing matches
        ([("status", "DONE")], page([]), True),
        ([("status", "DONE")], page(JOBS[:20], total=30), False),
        ([("status", "DONE")], page([], total=30), False),
        # read without regard to case: the NEW jobs
        ([("status", "new")], page([j for j in JOBS if j["status"] == "NEW"]), True),
        ([("status", "new")], page([j for j in JOBS if j["status"] != "NEW"]), False),
        # limit clamped to 1, or ignored: the default page; never more than the largest page
        ([("limit", "0")], page(JOBS[:1], total=30), True),
        ([("limit", "abc")], page(JOBS[:20], total=30), True),
        ([("limit", "-1")], page([], total=30), True),
        ([("limit", "0")], page(JOBS[:1], total=29), False),
        # an ignored sort: same jobs, any order
        ([("sort", "")], page(list(reversed(JOBS[10:])), total=30), True),
        ([("sort", "creationTime:up")], page(JOBS[:5], total=31), False),
        # a property in neither form: ignored, or read as some filter
        ([("property", "status=NEW")], page(JOBS[:3], total=3), True),
        ([("property", "status=NEW")], page(JOBS, total=31), False),
        # a parameter the spec does not name: ignored
        ([("foo", "bar")], page(JOBS[:20], total=30), True),
        ([("foo", "bar")], page([], total=0), False),
        # the valid values of the same request still hold
        ([("limit", "abc"), ("sort", "creationTime:asc")], page(JOBS[:20], total=30), True),
        ([("limit", "abc"), ("sort", "creationTime:desc")], page(JOBS[:20], total=30), False),
        ([("sort", ""), ("limit", "2")], page(JOBS[:3], total=30), False),
        ([("sort", ""), ("status", "NEW")], page([JOBS[1]], total=30), False),
    ],
)
def test_judge(query: list[tuple[str, str]], answer: dict[str, Any], right: bool) -> None:
    assert (judge(query, answer, REFERENCE) is None) is right, judge(query, answer, REFERENCE)


def test_judge_holds_a_page_to_the_largest_page_of_the_server() -> None:
    big = [job(n) for n in range(150)]
    reference = Reference(150, tuple(j["id"] for j in big), largest=100)
    assert judge([("limit", "0")], page(big[:100], total=150), reference) is None
    problem = judge([("limit", "0")], page(big, total=150), reference)
    assert problem is not None
    assert "largest page (100)" in problem
    # a server whose default page is larger than the largest it answers to a limit
    assert judge([("limit", "0")], page(big, total=150), reference, largest=lambda: 150) is None
    # no largest page seen (the reference's page was full): no bound
    assert judge([("limit", "0")], page(big, total=150), Reference(150, (), None)) is None


def test_judge_of_a_first_page() -> None:
    first = page(JOBS[:20], total=30)
    assert judge([("start", "-1")], first, REFERENCE, first_page=True) is None
    assert judge([("start", "-1")], page(JOBS[-1:], total=30), REFERENCE, first_page=True) is not None
    assert judge([("start", "-1")], page([], total=30), REFERENCE, first_page=True) is not None


# -- against listing servers ---------------------------------------------------------------------------
Reading = Callable[[str, str], Any]


def strict(name: str, value: str) -> Any:
    raise ValueError(f"{name}={value!r}")


def lenient(name: str, value: str) -> Any:
    """Ignores or clamps what it cannot read, as the reference server's --lenient-query does."""
    if name in ("limit", "start"):
        minimum = 1 if name == "limit" else 0
        digits = value[1:] if value.startswith("-") else value
        return minimum if digits.isdigit() else None
    if name == "status":
        return value  # kept: no job has it
    return None  # sort and property: ignored


@dataclass
class Listing:
    """A listing of ``jobs`` as an in-memory server answers it, with the reading of invalid values."""

    jobs: list[dict[str, Any]]
    reading: Reading = strict
    max_limit: int = 100
    #: the requests (counted from 0) before which another client creates a job
    busy: frozenset[int] = frozenset()
    #: a deliberate fault: (name, value) -> the query read wrong
    fault: Callable[[dict[str, Any]], None] | None = None
    requests: list[str] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if len(self.requests) in self.busy:
            self.jobs.insert(0, job(len(self.jobs) + 100))
        self.requests.append(str(request.url))
        try:
            query = self.read(parse_qsl(request.url.query.decode(), keep_blank_values=True))
        except ValueError as exc:
            return httpx.Response(400, json={"status": 400, "title": "BadRequest", "detail": str(exc)})
        return httpx.Response(200, json=self.answer(query))

    def read(self, pairs: list[tuple[str, str]]) -> dict[str, Any]:
        query: dict[str, Any] = {"limit": 20, "start": 0, "status": None, "sort": None, "property": []}
        for name, value in pairs:
            if name not in query:
                continue
            if is_valid(name, value):
                read: Any = int(value) if name in ("limit", "start") else value
            else:
                read = self.reading(name, value)
            if name == "property":
                if read is not None:
                    query["property"].append(read)
            elif read is not None or name in ("sort", "status"):
                query[name] = read
        if self.fault is not None:
            self.fault(query)
        return query

    def answer(self, query: dict[str, Any]) -> dict[str, Any]:
        found = [j for j in self.jobs if query["status"] is None or j["status"] == query["status"]]
        for item in query["property"]:
            path, _, value = item.partition("==")
            found = [j for j in found if path != "status" or j["status"] == value]
        if query["sort"] == "creationTime:asc":
            found.sort(key=lambda j: j["creationTime"])
        start, limit = query["start"], query["limit"]
        if not query.get("unbounded"):
            limit = min(limit, self.max_limit)
        return page(found[start : start + limit], total=len(found))


def api_for(listing: Listing) -> ApiClient:
    return ApiClient("http://127.0.0.1:9", {}, redactor=Redactor(), transport=httpx.MockTransport(listing))


def first_answer(api: ApiClient, query: list[tuple[str, str]]) -> tuple[Exchange, dict[str, Any] | None]:
    exchange = api.list_jobs(query)
    return exchange, latitude.page_of(exchange)


SCENARIO = [
    ([("limit", "0")], False),
    ([("limit", "-1")], False),
    ([("limit", "abc")], False),
    ([("start", "-1")], True),
    ([("status", "DONE")], False),
    ([("status", "new")], False),
    ([("sort", "creationTime:up")], False),
    ([("sort", "")], False),
    ([("property", "status=NEW")], False),
]


@pytest.mark.parametrize(("query", "first_page"), SCENARIO)
@pytest.mark.parametrize(
    "busy",
    # another client's job between the answer and its reference; and also within the next round
    [frozenset(), frozenset({1}), frozenset({1, 3})],
    ids=["quiet", "a-job-meanwhile", "two-jobs-meanwhile"],
)
def test_an_honest_lenient_server_passes(
    query: list[tuple[str, str]], first_page: bool, busy: frozenset[int]
) -> None:
    listing = Listing([job(n) for n in range(40)], reading=lenient, max_limit=25, busy=busy)
    api = api_for(listing)
    exchange, answered = first_answer(api, query)
    assert exchange.status == 200
    assert answered is not None
    assert latitude.problem_of(api, query, answered, first_page=first_page) is None, listing.requests


def ignores_status(query: dict[str, Any]) -> None:
    if query["status"] not in (None, *STATUSES):
        query["status"] = None


def slices_from_the_end(query: dict[str, Any]) -> None:
    query["start"] = -1  # jobs[-1:19]: the last job, or none


def everything_on_one_page(query: dict[str, Any]) -> None:
    if query["limit"] == 1:
        query["unbounded"] = True
        query["limit"] = 10**6


@pytest.mark.parametrize(
    ("fault", "query", "first_page"),
    [
        (ignores_status, [("status", "DONE")], False),
        (slices_from_the_end, [("start", "-1")], True),
        (everything_on_one_page, [("limit", "0")], False),
    ],
    ids=["ignores-an-unknown-status", "negative-start-slices-from-the-end", "limit-0-lists-everything"],
)
def test_a_lenient_server_with_a_wrong_answer_is_blamed(
    fault: Callable[[dict[str, Any]], None], query: list[tuple[str, str]], first_page: bool
) -> None:
    listing = Listing([job(n) for n in range(40)], reading=lenient, max_limit=25, fault=fault)
    api = api_for(listing)
    _, answered = first_answer(api, query)
    assert answered is not None
    assert latitude.problem_of(api, query, answered, first_page=first_page) is not None


@dataclass(frozen=True)
class Case:
    """The little of a schemathesis case the check reads (it reads the query from the exchange)."""

    method: str = "GET"
    path: str = "/segment/jobs"


def test_the_property_check_accepts_refusals_and_right_pages_and_blames_the_rest() -> None:
    judged: set[str] = set()
    strict_api = api_for(Listing([job(n) for n in range(5)]))
    check = latitude.QueryLatitude(strict_api, judged)
    refused = strict_api.list_jobs([("limit", "0")])
    assert refused.status == 400
    assert check(Case(), refused) is None  # type: ignore[arg-type]
    assert judged == {"SJ-LIST-013"}

    failing = Exchange("GET", "http://127.0.0.1:9/segment/jobs?limit=0", (), None, status=500, body=b"{}")
    finding = check(Case(), failing)  # type: ignore[arg-type]
    assert finding is not None
    assert finding.requirements == ("SJ-LIST-013",)

    listing = Listing([job(n) for n in range(5)], reading=lenient, fault=ignores_status)
    api = api_for(listing)
    check = latitude.QueryLatitude(api, judged)
    wrong = api.list_jobs([("status", "DONE")])
    finding = check(Case(), wrong)  # type: ignore[arg-type]
    assert finding is not None
    assert "another status" in finding.actual
    right = api.list_jobs([("sort", "")])
    assert check(Case(), right) is None  # type: ignore[arg-type]
    throttled = Exchange("GET", "http://127.0.0.1:9/segment/jobs?sort=", (), None, status=429, body=b"{}")
    assert check(Case(), throttled) is None  # type: ignore[arg-type]


def test_the_leeway_of_every_parameter_of_the_spec_is_written_down() -> None:
    documented = {"start", "limit", "status", "sort", "property"}
    assert set(latitude.LEEWAY) == documented | {UNNAMED}
    assert all(rule.ignored for rule in latitude.LEEWAY.values())
    assert "limit: ignored or clamped" in latitude.expected([("limit", "0")])
