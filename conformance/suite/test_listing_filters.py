"""Listing filters: ``status`` and ``property`` select exactly the jobs that match (part of the ``listing``
group, like ``test_listing.py``).

The jobs looked for are the fleet's; a filter path the server does not support may be refused (ERRATA E-25),
one it answers gives exactly its matches. "Exact" is tried with near misses of our jobs' values (a prefix, a
suffix, a substring, another case, non-ASCII lookalikes: ``_near.py``), alone and with a status: each selects
only jobs whose field is that very value, so never our job.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from conformance._checks import require
from conformance._config import Settings
from conformance._lifecycle import LAG_TOLERANCE_S, STATUSES
from conformance.suite._listing import (
    FLEET_PAGES,
    OURS,
    _by_id,
    _by_segment,
    _gone,
    _ids,
    _listed_under_segment,
    _newest_of_segment,
    _ours,
    _refused,
    _statuses,
    _walk,
)
from conformance.suite._near import field_values, matches, near_misses

if TYPE_CHECKING:
    from conformance.suite._fleet import Fleet
    from conformance.suite._kit import Kit

#: the --select group of these tests (the module name would make it "listing_filters")
GROUP = "listing"


@pytest.mark.creates_jobs
@pytest.mark.fleet(*OURS)
@pytest.mark.requirement("SJ-LIST-003", *FLEET_PAGES)
@pytest.mark.parametrize("status", STATUSES)
def test_the_status_filter_returns_only_that_status(fleet: Fleet, kit: Kit, status: str) -> None:
    _ours(fleet)  # jobs in several statuses exist
    exchange, page = kit.page([("status", status), ("limit", "100")], "SJ-LIST-003")
    require(
        all(c.get("status") == status for c in page["children"]),
        "SJ-LIST-003",
        f"only {status} jobs",
        _statuses(page),
        exchange,
    )


@pytest.mark.creates_jobs
@pytest.mark.fleet(*OURS)
@pytest.mark.requirement(
    "SJ-LIST-015",
    "SJ-LIST-001",
    "SJ-LIST-002",
    "SJ-LIST-014",
    "SJ-CREATE-001",
    "SJ-CANCEL-003",
    "SJ-LIFECYCLE-001",
    "SJ-LIFECYCLE-003",
    "SJ-ERROR-001",
    "SJ-HTTP-001",
    "SJ-HTTP-002",
)
def test_status_and_property_filters_combine(fleet: Fleet, kit: Kit) -> None:
    (job,) = fleet.wait_finished(["cancelled"], "SJ-CANCEL-003")
    if job.gone:  # removed once cancelled (ERRATA E-19): a job that stays, once it has finished
        (job,) = fleet.wait_finished(["primary"])
    final = job.statuses[-1]
    other = "SUCCEEDED" if final != "SUCCEEDED" else "CANCELLED"
    exchange = kit.api.list_jobs([("status", final), ("property", f"id=={job.id}")])
    if not _refused(exchange) and _ids(kit.check_page(exchange)) != [job.id]:
        # a listing may lag GET (E-20): the job is looked for again once the lag tolerance has passed
        kit.jobs.sleep_until((job.finished_at or 0.0) + LAG_TOLERANCE_S)
        exchange = kit.api.list_jobs([("status", final), ("property", f"id=={job.id}")])
    if _refused(exchange):
        # no filter on id (ERRATA E-25): the job among the newest of its segment definition, with the status
        exchange, page = kit.page([("status", final), *_newest_of_segment(kit.segment)])
        require(
            job.id in _ids(page),
            "SJ-LIST-015",
            f"the {final} job {job.id} among the newest {final} jobs of {kit.segment}",
            _statuses(page) or "no children",
            exchange,
        )
        exchange, page = kit.page([("status", other), *_newest_of_segment(kit.segment)])
    else:
        page = kit.check_page(exchange)
        require(
            _ids(page) == [job.id],
            "SJ-LIST-015",
            f"exactly the {final} job {job.id}",
            _statuses(page) or "no children",
            exchange,
        )
        exchange, page = kit.page([("status", other), ("property", f"id=={job.id}")])
    require(
        job.id not in _ids(page),
        "SJ-LIST-015",
        f"not the job {job.id}: it is {final}, not {other}",
        _statuses(page),
        exchange,
    )
    exchange, page = kit.page([("status", final), _by_segment(kit), ("limit", "100")])
    wrong = [
        c for c in page["children"] if c.get("status") != final or kit.segment not in kit.segment_ids_of(c)
    ]
    require(
        not wrong,
        "SJ-LIST-015",
        f"only {final} jobs of the segment definition {kit.segment}",
        _statuses(page) or "no children",
        exchange,
    )


@pytest.mark.creates_jobs
@pytest.mark.fleet(*OURS)
@pytest.mark.requirement("SJ-LIST-010", "SJ-LIST-001", *FLEET_PAGES)
def test_property_filters_on_an_object_key(
    fleet: Fleet, kit: Kit, settings: Settings, request: pytest.FixtureRequest
) -> None:
    """A path the server does not filter on may be refused (ERRATA E-25); one it answers gives exactly its
    matches, and the form works on one of id, status and sandbox.sandboxName at least."""
    primary = fleet.job_id("primary")
    refused: list[str] = []
    exchange, ids = _by_id(kit, primary, "SJ-LIST-010")
    if ids is None:
        refused.append(f"id (HTTP {exchange.status})")
    else:
        total = kit.check_page(exchange)["_page"]["totalCount"]
        require(
            ids == [primary] and total == 1,
            "SJ-LIST-010",
            f"exactly the job {primary} (totalCount 1)",
            f"{ids} (totalCount {total})",
            exchange,
        )
    for path, value in (("status", "CANCELLED"), ("sandbox.sandboxName", settings.sandbox)):
        exchange = kit.api.list_jobs([("property", f"{path}=={value}"), ("limit", "100")])
        if _refused(exchange):
            refused.append(f"{path} (HTTP {exchange.status})")
            continue
        page = kit.check_page(exchange)
        for child in page["children"]:
            found: Any = child
            for name in path.split("."):
                found = found.get(name) if isinstance(found, dict) else None
            require(
                found == value,
                "SJ-LIST-010",
                f"only jobs whose {path} is {value}",
                f"job {child.get('id')} with {path} {found!r}",
                exchange,
            )
    require(
        len(refused) < 3,
        "SJ-LIST-010",
        "the object-key form on one of id, status and sandbox.sandboxName at least (others may be refused)",
        f"every one refused: {', '.join(refused)}",
        exchange,
    )
    if refused:
        request.node.user_properties.append(("filter paths refused (allowed, E-25)", ", ".join(refused)))


@pytest.mark.creates_jobs
@pytest.mark.fleet(*OURS)
@pytest.mark.requirement("SJ-LIST-011", "SJ-LIST-001", "SJ-LIST-004", "SJ-LIST-006", *FLEET_PAGES)
def test_property_filters_within_an_array(fleet: Fleet, kit: Kit) -> None:
    primary = fleet.job_id("primary")
    exchange, page = kit.page([_by_segment(kit), ("limit", "100")])
    for child in page["children"]:
        require(
            kit.segment in kit.segment_ids_of(child),
            "SJ-LIST-011",
            f"only jobs with the segment definition {kit.segment}",
            f"job {child.get('id')} with {kit.segment_ids_of(child)}",
            exchange,
        )
    exchange = kit.api.list_jobs([_by_segment(kit), ("property", f"id=={primary}")])
    if _refused(exchange):  # no filter on id (ERRATA E-25): the job among those of its segment definition
        exchange, found = _listed_under_segment(kit, primary, kit.segment, "SJ-LIST-011")
    else:
        found = primary in _ids(kit.check_page(exchange))
    require(
        found,
        "SJ-LIST-011",
        f"the job {primary}, which runs {kit.segment}, under the filter segments~segmentId=={kit.segment}",
        "not listed",
        exchange,
    )
    nobody = kit.random_id()
    exchange, page = kit.page({"property": f"segments~segmentId=={nobody}"})
    require(
        not page["children"] and page["_page"]["totalCount"] == 0,
        "SJ-LIST-011",
        f"no job for the unknown segment definition {nobody}",
        _statuses(page),
        exchange,
    )


@pytest.mark.creates_jobs
@pytest.mark.fleet(*OURS)
@pytest.mark.requirement("SJ-LIST-003", "SJ-LIST-001", "SJ-LIST-004", "SJ-LIST-006", *FLEET_PAGES)
def test_a_status_lists_each_job_of_ours_that_ended_in_it(fleet: Fleet, kit: Kit) -> None:
    """A documented status selects exactly the jobs in it: beyond only that status (the test above), each of
    our finished jobs among the jobs of its segment definition listed under the status GET showed it end in.
    A listing may lag GET (``LAG_TOLERANCE_S``): a job missing is looked for again once that has passed, on
    every page; a cancelled job may be gone everywhere at once (E-19)."""
    roles = [r for r in OURS if fleet.has(r)]
    ids = _ours(fleet)
    # waited on without judging them (the lifecycle tests do), so that their statuses stay put
    fleet.jobs.wait(ids, lambda j: j.finished, max(0.0, fleet.remaining(roles)))
    ended = {t.id: t for t in (fleet.jobs.jobs[i] for i in ids) if t.finished and not t.gone}
    for status in sorted({t.statuses[-1] for t in ended.values()}):
        ours = [i for i, t in ended.items() if t.statuses[-1] == status]
        exchange, page = kit.page([("status", status), *_newest_of_segment(kit.segment)], "SJ-LIST-003")
        missing = [i for i in ours if i not in _ids(page)]
        if missing:  # a listing that lags GET, or jobs of others newer than ours: after the lag, every page
            kit.jobs.sleep_until(max(ended[i].finished_at or 0.0 for i in missing) + LAG_TOLERANCE_S)
            walk = _walk(kit.api, kit, [("status", status), _by_segment(kit)])
            exchange, page = walk.first, {"children": walk.children}
            missing = [i for i in ours if i not in _ids(page)]
        # a cancelled job may have been removed since (ERRATA E-19): gone from GET too, it is not missing
        missing = [i for i in missing if not (ended[i].cancel_requested and _gone(kit, i))]
        require(
            not missing and all(c.get("status") == status for c in page["children"]),
            "SJ-LIST-003",
            f"under status={status} (and the segment filter) {status} jobs only, our {status} jobs {ours} "
            "among them",
            f"missing: {missing}; listed: {_statuses(page) or 'nothing'}",
            exchange,
        )


#: the paths whose near misses are sent, with the requirement of each form: the object key on the three string
#: fields every job has (SJ-LIST-010), the array on the segment definitions (SJ-LIST-011)
NEAR_MISS_PATHS = {
    "id": "SJ-LIST-010",
    "status": "SJ-LIST-010",
    "sandbox.sandboxName": "SJ-LIST-010",
    "segments~segmentId": "SJ-LIST-011",
}


@pytest.mark.creates_jobs
@pytest.mark.fleet(*OURS)
@pytest.mark.requirement(
    "SJ-LIST-010", "SJ-LIST-011", "SJ-LIST-001", "SJ-LIFECYCLE-003", "SJ-LIFECYCLE-001", *FLEET_PAGES
)
@pytest.mark.parametrize("path", list(NEAR_MISS_PATHS))
def test_a_near_miss_of_a_filter_value_selects_none_of_our_jobs(
    fleet: Fleet, kit: Kit, settings: Settings, path: str, request: pytest.FixtureRequest
) -> None:
    """``property=<path>==<a near miss of our job's value>`` keeps only jobs whose value is the near miss
    itself: never our job. A value of another job keeps that job (the other id: exactly it). A path the server
    does not filter on may be refused with a 4xx, and so may a value it does not take (E-25); never a 5xx."""
    requirement = NEAR_MISS_PATHS[path]
    primary = fleet.job_id("primary")
    value, other, other_job = _values_at(fleet, kit, settings, path)
    tried = [
        (f"{kind} of {value!r}, the {path} of our job {primary}", near)
        for kind, near in near_misses(value).items()
    ]
    if other is not None:
        tried.append((f"the {path} of another job, not of our job {primary}", other))
    refused: list[str] = []
    for what, near in tried:
        exchange = kit.api.list_jobs([("property", f"{path}=={near}"), ("limit", "100")])
        if _refused(exchange):
            refused.append(f"{near!r} (HTTP {exchange.status})")
            continue
        page = kit.check_page(exchange, requirement)
        wrong = [c for c in page["children"] if not matches(c, path, near)]
        require(
            not wrong,
            requirement,
            f"only jobs whose {path} is exactly {near!r} ({what})",
            "; ".join(f"job {c.get('id')} with {path} {field_values(c, path)}" for c in wrong[:3]),
            exchange,
        )
        require(
            other_job is None or near != other or other_job in _ids(page),
            requirement,
            f"the job {other_job}, whose {path} is {near!r}",
            _statuses(page) or "no children",
            exchange,
        )
    if refused:
        request.node.user_properties.append(("near misses refused (allowed, E-25)", ", ".join(refused)))


def _values_at(fleet: Fleet, kit: Kit, settings: Settings, path: str) -> tuple[str, str | None, str | None]:
    """Our primary job's value at ``path``, another job's value there (None: no other is known) and, when
    that value is an id, the job that has it."""
    if path == "id":
        return fleet.job_id("primary"), fleet.job_id("secondary"), fleet.job_id("secondary")
    if path == "status":  # the status our job ends in (SUCCEEDED on a conformant target), and another one
        (job,) = fleet.wait_finished(["primary"])
        final = job.statuses[-1]
        return final, "CANCELLED" if final != "CANCELLED" else "SUCCEEDED", None
    if path == "sandbox.sandboxName":
        return settings.sandbox, settings.second_sandbox, None
    others = [s for s in settings.segment_ids if s != kit.segment]
    return kit.segment, others[0] if others else None, None


@pytest.mark.creates_jobs
@pytest.mark.fleet(*OURS)
@pytest.mark.requirement("SJ-LIST-015", "SJ-LIST-001", "SJ-LIFECYCLE-003", "SJ-LIFECYCLE-001", *FLEET_PAGES)
@pytest.mark.parametrize("path", ["id", "segments~segmentId"])
def test_a_status_with_a_near_miss_filter_selects_none_of_our_jobs(
    fleet: Fleet, kit: Kit, path: str, request: pytest.FixtureRequest
) -> None:
    """``status=<our job's>&property=<path>==<near miss of its value>``: only jobs of that status whose value
    is the near miss itself, never our job (a refusal of the path or the value is allowed, E-25)."""
    (job,) = fleet.wait_finished(["primary"])
    final = job.statuses[-1]
    value = job.id if path == "id" else kit.segment
    refused: list[str] = []
    for kind, near in near_misses(value).items():
        exchange = kit.api.list_jobs([("status", final), ("property", f"{path}=={near}"), ("limit", "100")])
        if _refused(exchange):
            refused.append(f"{near!r} (HTTP {exchange.status})")
            continue
        page = kit.check_page(exchange, "SJ-LIST-015")
        wrong = [c for c in page["children"] if c.get("status") != final or not matches(c, path, near)]
        require(
            not wrong,
            "SJ-LIST-015",
            f"only {final} jobs whose {path} is exactly {near!r} ({kind} of {value!r}, the {path} of our "
            f"{final} job {job.id})",
            "; ".join(
                f"job {c.get('id')} {c.get('status')} with {path} {field_values(c, path)}" for c in wrong[:3]
            ),
            exchange,
        )
    if refused:
        request.node.user_properties.append(("near misses refused (allowed, E-25)", ", ".join(refused)))
