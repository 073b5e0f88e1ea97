"""Helpers of the listing tests (``test_listing.py``): the fleet's jobs a listing looks for, the segment
filter that finds them, a page's ids and statuses, and the walk over every page of a query.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from conformance._checks import require
from conformance._client import ApiClient, Exchange

if TYPE_CHECKING:
    from conformance.suite._fleet import Fleet
    from conformance.suite._kit import Kit

#: the fleet roles whose jobs the listing tests look for
OURS = ("primary", "secondary", "cancelled")


#: what a test that lists the fleet's jobs can fail besides its subject: the page and its jobs (SJ-LIST-002,
#: SJ-LIST-014, SJ-LIFECYCLE-001), the fleet's creation (SJ-CREATE-001, SJ-ERROR-001 on a 5xx) and the
#: transport (SJ-HTTP-001, SJ-HTTP-002); a marker lists them after its own, in this order
FLEET_PAGES = (
    "SJ-LIST-002",
    "SJ-LIST-014",
    "SJ-CREATE-001",
    "SJ-LIFECYCLE-001",
    "SJ-ERROR-001",
    "SJ-HTTP-001",
    "SJ-HTTP-002",
)


def _ours(fleet: Fleet) -> list[str]:
    return list(dict.fromkeys(fleet.job_id(r) for r in OURS if fleet.has(r)))


def _by_segment(kit: Kit) -> tuple[str, str]:
    return ("property", f"segments~segmentId=={kit.segment}")


def _ids(page: dict[str, Any]) -> list[str]:
    return [str(c.get("id")) for c in page["children"]]


def _refused(exchange: Exchange) -> bool:
    """A listing refused with a 4xx: a filter path or sort attribute the server does not support, which it
    may refuse (ERRATA E-14, E-25). A 429 is no refusal: it says "later"."""
    return exchange.status is not None and 400 <= exchange.status < 500 and exchange.status != 429


def _by_id(kit: Kit, job_id: str, requirement: str) -> tuple[Exchange, list[str] | None]:
    """The listing filtered by ``property=id==<job_id>``, and the ids it lists; None for the ids when the
    server refuses to filter on ``id`` (a path it need not support, ERRATA E-25)."""
    exchange = kit.api.list_jobs({"property": f"id=={job_id}"})
    if _refused(exchange):
        return exchange, None
    return exchange, _ids(kit.check_page(exchange, requirement))


def _gone(kit: Kit, job_id: str) -> bool:
    """GET answers 404 for the job: it was removed, as a cancelled job may be once its cancel is applied,
    from get, list and bulk-get at once (ERRATA E-19)."""
    return kit.api.get_job(job_id).status == 404


def _newest_of_segment(segment: str) -> list[tuple[str, str]]:
    """The jobs of a segment definition, newest first (creationTime is a sort every server supports)."""
    return [("property", f"segments~segmentId=={segment}"), ("sort", "creationTime:desc"), ("limit", "100")]


def _listed_under_segment(kit: Kit, job_id: str, segment: str, requirement: str) -> tuple[Exchange, bool]:
    """Whether the listing filtered by the job's segment definition shows it: among the newest 100, else on
    any page of a walk over them all. The way to find a job where ``property=id==`` is refused (E-25)."""
    exchange, page = kit.page(_newest_of_segment(segment), requirement)
    if job_id in _ids(page):
        return exchange, True
    walk = _walk(kit.api, kit, [("property", f"segments~segmentId=={segment}")])
    return walk.first, job_id in {str(c.get("id")) for c in walk.children}


def _statuses(page: dict[str, Any]) -> str:
    return ", ".join(f"{c.get('id')}: {c.get('status')}" for c in page["children"])[:500]


@dataclass
class Walk:
    """Every job of a query, page after page, and the totalCount before and after the walk."""

    children: list[dict[str, Any]]
    total_before: int
    total_after: int
    first: Exchange


def _total(page: dict[str, Any]) -> int:
    return int(page["_page"]["totalCount"])


def _walk(api: ApiClient, kit: Kit, params: list[tuple[str, str]]) -> Walk:
    """Every page of a query: by _links.next.href where given, else by start/limit (ERRATA E-05).

    A server may clamp ``limit`` (E-06), and others may create jobs during the walk: the bound on the number
    of pages follows the page size actually received and the latest totalCount."""
    _, probe = kit.page([*params, ("limit", "1")])
    total = _total(probe)
    limit = 2 if total <= 40 else min(100, math.ceil(total / 20))
    first, page = kit.page([*params, ("limit", str(limit))])
    exchange = first
    children: list[dict[str, Any]] = []
    pages, latest_total, smallest = 1, total, limit
    while True:
        got = page["children"]
        require(
            len(got) <= limit,
            "SJ-LIST-004",
            f"at most {limit} jobs with limit={limit}",
            f"{len(got)} jobs",
            exchange,
        )
        children += got
        latest_total = max(latest_total, _total(page))
        smallest = min(smallest, len(got)) if got else smallest
        link = (page.get("_links") or {}).get("next")
        href = link.get("href") if isinstance(link, dict) else None
        if isinstance(href, str) and href:
            exchange = api.request("GET", api.link_url(href, exchange.url))
            page = kit.check_page(exchange, "SJ-LIST-006")
        elif got and len(children) < total:
            exchange, page = kit.page(
                [*params, ("limit", str(limit)), ("start", str(len(children)))], "SJ-LIST-006"
            )
        else:
            _, after = kit.page([*params, ("limit", "1")])
            return Walk(children, total, max(latest_total, _total(after)), first)
        pages += 1
        most_pages = math.ceil(latest_total / max(1, smallest)) + 3
        require(
            pages <= most_pages,
            "SJ-LIST-006",
            f"the last page after about {most_pages - 3} pages of {smallest} ({latest_total} jobs)",
            f"still a next page after {pages} pages",
            exchange,
        )


def _walk_params(kit: Kit) -> list[tuple[str, str]]:
    """The segment filter, in creation order where the server sorts (new jobs of others then come last)."""
    params = [_by_segment(kit), ("sort", "creationTime:asc")]
    exchange = kit.api.list_jobs([*params, ("limit", "1")])
    if exchange.status is not None and 400 <= exchange.status < 500:
        return params[:1]
    return params


def _narrowing_filters(fleet: Fleet, kit: Kit) -> list[tuple[str, str]]:
    """The segment filter, with a finished status when that narrows it to two jobs or more.

    Against a server that holds only the fleet's jobs, the segment filter matches every job, so a next link
    that lost it would look right; a status that some of the fleet's jobs ended in, but not all, tells. The
    fleet's jobs are waited on (without judging them: the lifecycle tests do) so that the statuses stay put
    between the pages.
    """
    base = [_by_segment(kit)]
    roles = [r for r in OURS if fleet.has(r)]
    ids = _ours(fleet)
    fleet.jobs.wait(ids, lambda j: j.finished, max(0.0, fleet.remaining(roles)))
    _, page = kit.page([*base, ("limit", "1")])
    matching = int(page["_page"]["totalCount"])
    ended = sorted({fleet.jobs.jobs[i].statuses[-1] for i in ids if fleet.jobs.jobs[i].finished})
    for status in ended:
        narrowed = [*base, ("status", status)]
        _, page = kit.page([*narrowed, ("limit", "1")])
        if 2 <= int(page["_page"]["totalCount"]) < matching:
            return narrowed
    return base
