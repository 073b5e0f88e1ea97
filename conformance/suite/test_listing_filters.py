"""Listing filters: ``status`` and ``property`` select exactly the jobs that match (part of the ``listing``
group, like ``test_listing.py``).

The jobs looked for are the fleet's; a filter path the server does not support may be refused (ERRATA E-25),
one it answers gives exactly its matches.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from conformance._checks import require
from conformance._config import Settings
from conformance._lifecycle import STATUSES
from conformance.suite._listing import (
    FLEET_PAGES,
    OURS,
    _by_id,
    _by_segment,
    _ids,
    _listed_under_segment,
    _newest_of_segment,
    _ours,
    _refused,
    _statuses,
)

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
