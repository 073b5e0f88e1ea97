"""Listing: ``GET /segment/jobs`` pages, filters and sorts the jobs of the caller's organization and sandbox.

The jobs looked for are the fleet's, which share one segment definition; the tests filter on it
(``property=segments~segmentId==<it>``) so that jobs of other tests or other users do not disturb them, and
compare totalCount with what a walk over the pages finds rather than with a count of their own. A server may
clamp a large ``limit``, choose its default order and link its pages as it likes (ERRATA E-05, E-06, E-13,
E-14, E-25).
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import pytest

from conformance._checks import require
from conformance._client import ApiClient
from conformance._config import Settings
from conformance._outcomes import Disabled, Undecided
from conformance.properties import latitude
from conformance.properties.latitude import INVALID, Invalid
from conformance.properties.rules import SORT_ATTRIBUTES
from conformance.suite._listing import (
    FLEET_PAGES,
    OURS,
    _by_segment,
    _gone,
    _ids,
    _narrowing_filters,
    _ours,
    _refused,
    _walk,
    _walk_params,
)

if TYPE_CHECKING:
    from conformance.suite._fleet import Fleet
    from conformance.suite._kit import Kit


@pytest.mark.creates_jobs
@pytest.mark.fleet(*OURS)
@pytest.mark.requirement(
    "SJ-LIST-001",
    "SJ-LIST-002",
    "SJ-LIST-014",
    "SJ-LIST-012",
    "SJ-LIST-011",
    "SJ-CREATE-001",
    "SJ-LIFECYCLE-001",
    "SJ-ERROR-001",
    "SJ-HTTP-001",
    "SJ-HTTP-002",
)
def test_a_page_lists_jobs_of_the_callers_sandbox(fleet: Fleet, kit: Kit, settings: Settings) -> None:
    _ours(fleet)
    exchange, page = kit.page([_by_segment(kit), ("limit", "100")])
    require(
        page["children"],
        "SJ-LIST-011",
        "the fleet's jobs, which run that definition",
        "no children",
        exchange,
    )
    for child in page["children"]:
        sandbox = child.get("sandbox")
        name = sandbox.get("sandboxName") if isinstance(sandbox, dict) else None
        require(
            name in (None, settings.sandbox),
            "SJ-LIST-012",
            f"jobs of the sandbox {settings.sandbox}",
            f"job {child.get('id')} of the sandbox {name}",
            exchange,
        )


@pytest.mark.creates_jobs
@pytest.mark.fleet(*OURS)
@pytest.mark.requirement("SJ-LIST-004", "SJ-LIST-001", *FLEET_PAGES)
def test_limit_bounds_the_page(fleet: Fleet, kit: Kit) -> None:
    _ours(fleet)
    for limit in (1, 2):  # valid values (at least 1): a page, 200, or limit bounds nothing
        exchange, page = kit.page([_by_segment(kit), ("limit", str(limit))], "SJ-LIST-004")
        require(
            len(page["children"]) <= limit,
            "SJ-LIST-004",
            f"at most {limit} jobs with limit={limit}",
            f"{len(page['children'])} jobs",
            exchange,
        )
        if page["_page"]["totalCount"] >= limit:
            require(
                len(page["children"]) >= 1,
                "SJ-LIST-004",
                "a first page with jobs on it",
                f"no jobs although totalCount is {page['_page']['totalCount']}",
                exchange,
            )


@pytest.mark.creates_jobs
@pytest.mark.fleet(*OURS)
@pytest.mark.requirement("SJ-LIST-005", "SJ-LIST-001", *FLEET_PAGES)
def test_page_size_counts_the_children(fleet: Fleet, kit: Kit) -> None:
    """Full pages, and the last one, which is not full (in a crowded sandbox every other page is)."""
    _ours(fleet)
    pages = [kit.page([_by_segment(kit), ("limit", limit)]) for limit in ("1", "2", "100")]
    last = max(0, int(pages[-1][1]["_page"]["totalCount"]) - 1)
    pages.append(kit.page([_by_segment(kit), ("start", str(last)), ("limit", "2")]))
    for exchange, page in pages:
        size = page["_page"]["pageSize"]
        require(
            size == len(page["children"]),
            "SJ-LIST-005",
            f"pageSize {len(page['children'])} (the children)",
            f"pageSize {size}",
            exchange,
        )


@pytest.mark.creates_jobs
@pytest.mark.fleet(*OURS)
@pytest.mark.requirement(
    "SJ-LIST-006",
    "SJ-LIST-007",
    "SJ-LIST-001",
    "SJ-LIST-002",
    "SJ-LIST-004",
    "SJ-LIST-014",
    "SJ-CREATE-001",
    "SJ-LIFECYCLE-001",
    "SJ-ERROR-001",
    "SJ-HTTP-001",
    "SJ-HTTP-002",
)
def test_paging_visits_every_job_once(fleet: Fleet, api: ApiClient, kit: Kit) -> None:
    ours = _ours(fleet)
    walk = _walk(api, kit, _walk_params(kit))
    walked = [str(c.get("id")) for c in walk.children]
    twice = sorted({i for i in walked if walked.count(i) > 1})
    require(
        not twice,
        "SJ-LIST-006",
        "every job on exactly one page",
        f"on two pages: {', '.join(twice)}",
        walk.first,
    )
    # the cancelled job may be gone once its cancel is applied, everywhere at once (ERRATA E-19)
    cancelled = fleet.job_id("cancelled") if fleet.has("cancelled") else None
    missing = [i for i in ours if i not in walked and not (i == cancelled and _gone(kit, i))]
    require(
        not missing,
        "SJ-LIST-006",
        "every job of the filter found by walking the pages",
        f"not found: {', '.join(missing)} (walked {len(walked)} jobs)",
        walk.first,
    )
    # other clients may add jobs to the filter during the walk: the count may grow by what they created
    grown = (
        "" if walk.total_after == walk.total_before else f" to {walk.total_after} (jobs created meanwhile)"
    )
    require(
        walk.total_before <= len(set(walked)) <= walk.total_after,
        "SJ-LIST-007",
        f"totalCount {len(set(walked))} (the jobs walked), or fewer by the jobs created during the walk",
        f"totalCount {walk.total_before}{grown}",
        walk.first,
    )


@pytest.mark.creates_jobs
@pytest.mark.fleet(*OURS)
@pytest.mark.requirement(
    "SJ-LIST-008",
    "SJ-LIST-001",
    "SJ-LIST-002",
    "SJ-LIST-006",
    "SJ-LIST-014",
    "SJ-CREATE-001",
    "SJ-LIFECYCLE-001",
    "SJ-ERROR-001",
    "SJ-HTTP-001",
    "SJ-HTTP-002",
)
def test_a_page_links_the_next_one(fleet: Fleet, api: ApiClient, kit: Kit) -> None:
    """In creation order where the server sorts: in the default order (newest first) a job another client
    creates between the two pages pushes the first page's job onto the second, as the doc allows."""
    _ours(fleet)
    exchange, page = kit.page([*_walk_params(kit), ("limit", "1")])
    if page["_page"]["totalCount"] <= len(page["children"]):
        raise Undecided("a single page: no next page to link", cause="a single page")
    link = (page.get("_links") or {}).get("next")
    href = link.get("href") if isinstance(link, dict) else None
    require(
        isinstance(href, str) and href,
        "SJ-LIST-008",
        "_links.next.href on a page that is not the last",
        f"_links {page.get('_links')!r}",
        exchange,
    )
    assert isinstance(href, str)
    following = api.request("GET", api.link_url(href, exchange.url))
    second = kit.check_page(following, "SJ-LIST-008")
    require(
        not set(_ids(second)) & set(_ids(page)),
        "SJ-LIST-006",
        "a next page with other jobs",
        f"the same jobs again: {_ids(second)}",
        following,
    )


@pytest.mark.creates_jobs
@pytest.mark.fleet(*OURS)
@pytest.mark.requirement("SJ-LIST-017", "SJ-LIST-001", *FLEET_PAGES)
def test_the_next_link_keeps_the_filters(fleet: Fleet, api: ApiClient, kit: Kit) -> None:
    filters = _narrowing_filters(fleet, kit)
    status = dict(filters).get("status")
    shown = "&".join(f"{name}={value}" for name, value in filters)
    first, page = kit.page([*filters, ("limit", "1")])
    link = (page.get("_links") or {}).get("next")
    href = link.get("href") if isinstance(link, dict) else None
    if not isinstance(href, str) or not href:
        raise Undecided("no _links.next.href to follow (SJ-LIST-008 judges that)", cause="no next link")
    following = api.request("GET", api.link_url(href, first.url))
    second = kit.check_page(following, "SJ-LIST-017")
    strays = [
        c
        for c in second["children"]
        if kit.segment not in kit.segment_ids_of(c) or (status is not None and c.get("status") != status)
    ]
    counts = {int(page["_page"]["totalCount"])}
    if int(second["_page"]["totalCount"]) not in counts:  # jobs may have joined the filter meanwhile
        counts.add(int(kit.page([*filters, ("limit", "1")])[1]["_page"]["totalCount"]))
    require(
        not strays and int(second["_page"]["totalCount"]) in counts,
        "SJ-LIST-017",
        f"the next page of the same filter ({shown}, totalCount {' or '.join(map(str, sorted(counts)))})",
        f"totalCount {second['_page']['totalCount']}; jobs outside the filter: "
        f"{[c.get('id') for c in strays]}",
        following,
    )
    size = len(second["children"])
    require(size <= 1, "SJ-LIST-017", "the next page keeps limit=1", f"{size} jobs", following)


@pytest.mark.creates_jobs
@pytest.mark.fleet(*OURS)
@pytest.mark.requirement("SJ-LIST-016", "SJ-LIST-001", *FLEET_PAGES)
def test_a_start_beyond_the_last_job_answers_no_children(fleet: Fleet, kit: Kit) -> None:
    _ours(fleet)
    _, page = kit.page([_by_segment(kit), ("limit", "1")])
    beyond = int(page["_page"]["totalCount"]) + 5
    exchange, page = kit.page([_by_segment(kit), ("start", str(beyond)), ("limit", "10")], "SJ-LIST-016")
    require(
        not page["children"],
        "SJ-LIST-016",
        f"no children from start={beyond}",
        f"{len(page['children'])} children",
        exchange,
    )


@pytest.mark.creates_jobs
@pytest.mark.fleet(*OURS)
@pytest.mark.requirement("SJ-LIST-009", *FLEET_PAGES)
@pytest.mark.parametrize("direction", ["asc", "desc"])
@pytest.mark.parametrize("attribute", ["creationTime", "updateTime"])
def test_sort_orders_the_page(fleet: Fleet, kit: Kit, attribute: str, direction: str) -> None:
    """creationTime, the doc's example, is sorted on by every server; another attribute is refused with a 4xx
    or honoured (ERRATA E-14)."""
    _ours(fleet)
    exchange = kit.api.list_jobs([_by_segment(kit), ("sort", f"{attribute}:{direction}"), ("limit", "100")])
    if attribute not in SORT_ATTRIBUTES and _refused(exchange):
        raise Disabled(
            f"the target refuses sort={attribute}:{direction} (HTTP {exchange.status}), which it may: "
            "the doc demands creationTime only (ERRATA E-14)",
            cause="sort attribute refused",
        )
    page = kit.check_page(exchange, "SJ-LIST-009")
    values = [c.get(attribute) for c in page["children"]]
    pairs = list(itertools.pairwise(values))
    wrong = [(a, b) for a, b in pairs if (a > b if direction == "asc" else a < b)]
    require(
        not wrong,
        "SJ-LIST-009",
        f"children in {direction}ending {attribute} (ties allowed)",
        f"{attribute} in page order: {values[:30]}",
        exchange,
    )


@pytest.mark.requirement(
    "SJ-LIST-013",
    "SJ-ERROR-001",
    "SJ-ERROR-003",
    "SJ-LIST-002",
    "SJ-LIST-014",
    "SJ-LIFECYCLE-001",
    "SJ-HTTP-001",
    "SJ-HTTP-002",
)
@pytest.mark.parametrize("invalid", list(INVALID.values()), ids=list(INVALID))
def test_an_invalid_query_value_is_refused_or_ignored(
    api: ApiClient, kit: Kit, invalid: Invalid, request: pytest.FixtureRequest
) -> None:
    name, value = invalid.param
    exchange = api.list_jobs([invalid.param])
    if exchange.status != 200:
        kit.refused(exchange, range(400, 500), "SJ-LIST-013", "listSegmentJobs")
        kit.no_page()
        request.node.user_properties.append((f"{name}={value}", f"refused with HTTP {exchange.status}"))
        return
    page = kit.check_page(exchange, "SJ-LIST-013")
    problem = latitude.problem_of(api, [invalid.param], page, first_page=invalid.first_page)
    require(
        problem is None,
        "SJ-LIST-013",
        f"{name}={value} refused with a 4xx, or {invalid.ignored}",
        problem or "",
        exchange,
    )
    request.node.user_properties.append((f"{name}={value}", "ignored, with a correct page"))


@pytest.mark.requirement("SJ-ERROR-002")
def test_listing_refusals_carry_a_json_error_body(api: ApiClient, kit: Kit) -> None:
    """Each invalid query value of the table again, its refusal (where it is refused) judged for its body."""
    kit.error_bodies(api.list_jobs([invalid.param]) for invalid in INVALID.values())
