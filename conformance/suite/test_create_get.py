"""Create and get: ``POST /segment/jobs`` answers 200 with a NEW job, which GET and the listing then show.

The created jobs are the fleet's (no job is created twice for the same check). ERRATA E-07, E-08, E-11, E-18,
E-23 and E-24 say how the doc's words are read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pytest

from conformance._checks import expect_job, expect_status, require
from conformance._client import Exchange
from conformance._config import Settings
from conformance._jobs import JobTracker
from conformance._outcomes import Disabled, Judgement
from conformance.suite._listing import _by_id, _gone, _listed_under_segment
from conformance.suite._near import near_misses, same

if TYPE_CHECKING:
    from conformance.suite._fleet import Fleet, Member
    from conformance.suite._kit import Kit

pytestmark = pytest.mark.creates_jobs


def _created(fleet: Fleet, role: str = "primary") -> tuple[Member, Exchange, dict[str, Any]]:
    member = fleet.member(role)
    if member.problem is not None:
        raise member.problem
    exchange = member.exchange
    assert exchange is not None
    expect_status(exchange, {200}, "SJ-CREATE-001")
    job = expect_job(exchange, "SJ-CREATE-006")
    return member, exchange, job


@pytest.mark.fleet("primary")
@pytest.mark.requirement(
    "SJ-CREATE-001",
    "SJ-CREATE-004",
    "SJ-CREATE-006",
    "SJ-LIFECYCLE-001",
    "SJ-ERROR-001",
    "SJ-HTTP-001",
    "SJ-HTTP-002",
)
def test_create_answers_200_with_the_new_job(fleet: Fleet) -> None:
    _, exchange, job = _created(fleet)
    require(
        isinstance(job.get("id"), str) and job["id"],
        "SJ-CREATE-004",
        "a non-empty string id",
        repr(job.get("id")),
        exchange,
    )


@pytest.mark.fleet("primary")
@pytest.mark.requirement(
    "SJ-CREATE-002",
    "SJ-CREATE-001",
    "SJ-CREATE-006",
    "SJ-LIFECYCLE-001",
    "SJ-ERROR-001",
    "SJ-HTTP-001",
    "SJ-HTTP-002",
)
def test_a_created_job_is_new(fleet: Fleet) -> None:
    _, exchange, job = _created(fleet)
    require(
        job["status"] == "NEW",
        "SJ-CREATE-002",
        "status NEW in the create answer",
        f"status {job['status']!r}",
        exchange,
    )


@pytest.mark.fleet("primary")
@pytest.mark.requirement(
    "SJ-CREATE-003",
    "SJ-CREATE-001",
    "SJ-CREATE-006",
    "SJ-LIFECYCLE-001",
    "SJ-ERROR-001",
    "SJ-HTTP-001",
    "SJ-HTTP-002",
)
def test_a_created_job_echoes_its_segment_ids(fleet: Fleet, kit: Kit) -> None:
    member, exchange, job = _created(fleet)
    require(
        kit.segment_ids_of(job) == list(member.segment_ids),
        "SJ-CREATE-003",
        f"segments[].segmentId {list(member.segment_ids)}",
        f"{kit.segment_ids_of(job)}",
        exchange,
    )


@pytest.mark.fleet("primary", "secondary", "cancelled")
@pytest.mark.requirement(
    "SJ-CREATE-005",
    "SJ-CREATE-001",
    "SJ-CREATE-006",
    "SJ-LIFECYCLE-001",
    "SJ-ERROR-001",
    "SJ-HTTP-001",
    "SJ-HTTP-002",
)
def test_created_jobs_get_distinct_ids(fleet: Fleet) -> None:
    seen: dict[str, str] = {}
    for role in ("primary", "secondary", "cancelled"):
        _, exchange, job = _created(fleet, role)
        job_id = str(job["id"])
        require(
            job_id not in seen,
            "SJ-CREATE-005",
            "a new id for every created job",
            f"the {role} job got the id {job_id} of the {seen.get(job_id)} job",
            exchange,
        )
        seen[job_id] = role


@pytest.mark.fleet("primary")
@pytest.mark.requirement(
    "SJ-CREATE-007",
    "SJ-GET-001",
    "SJ-GET-003",
    "SJ-LIST-001",
    "SJ-LIST-002",
    "SJ-LIST-004",
    "SJ-LIST-006",
    "SJ-LIST-010",
    "SJ-LIST-014",
    "SJ-CREATE-001",
    "SJ-CREATE-006",
    "SJ-LIFECYCLE-001",
    "SJ-LIFECYCLE-008",
    "SJ-ERROR-001",
    "SJ-HTTP-001",
    "SJ-HTTP-002",
)
def test_a_created_job_is_readable_and_listed(fleet: Fleet, kit: Kit) -> None:
    _, _, created = _created(fleet)
    job_id = str(created["id"])
    exchange, job = kit.read(job_id, "SJ-CREATE-007")
    require(
        job.get("creationTime") == created.get("creationTime"),
        "SJ-LIFECYCLE-008",
        f"creationTime {created.get('creationTime')} as in the create answer",
        f"creationTime {job.get('creationTime')}",
        exchange,
    )
    # every job of the fleet in this sandbox, not only this one: a server that drops some created jobs (the
    # newest, say) from its listings shows it on one of them (the job of the second sandbox is not here)
    others = [
        m for m in list(fleet.members.values()) if m.body and m.body.get("id") != job_id and m.role != "other"
    ]
    _require_listed(kit, job_id, kit.segment)
    for member in others:
        assert member.body is not None
        # the cancelled job may be gone once its cancel is applied, everywhere at once (ERRATA E-19)
        gone_allowed = member.role == "cancelled"
        _require_listed(kit, str(member.body["id"]), member.segment_ids[0], gone_allowed=gone_allowed)


def _require_listed(kit: Kit, job_id: str, segment: str, *, gone_allowed: bool = False) -> None:
    """The job is in the listing: through ``property=id==<it>``, or, where the server refuses to filter on
    ``id`` (which it may, ERRATA E-25), among the jobs of its segment definition ``segment``. A filter that
    is answered and misses a job the listing shows fails SJ-LIST-010. With ``gone_allowed``, a job that GET
    no longer finds either (404) is gone, not missing."""
    listing, ids = _by_id(kit, job_id, "SJ-CREATE-007")
    if ids is not None and job_id in ids:
        return
    if ids is None:
        listing, found = _listed_under_segment(kit, job_id, segment, "SJ-CREATE-007")
        require(
            found or (gone_allowed and _gone(kit, job_id)),
            "SJ-CREATE-007",
            f"the created job {job_id} in the listing",
            f"not among the jobs of its segment definition {segment} (property=id== is refused)",
            listing,
        )
        return
    # not found through the filter: is it the filter, or the listing?
    newest, recent = kit.page({"sort": "creationTime:desc", "limit": "100"}, "SJ-CREATE-007")
    if job_id in [c.get("id") for c in recent["children"]]:
        require(
            False,
            "SJ-LIST-010",
            f"the job {job_id} in the listing filtered by property=id=={job_id}",
            "an answer without it (it is among the newest jobs of the plain listing)",
            listing,
        )
    require(
        gone_allowed and _gone(kit, job_id),
        "SJ-CREATE-007",
        f"the created job {job_id} in the listing",
        "neither the property=id filter nor the 100 newest jobs show it",
        newest,
    )


@pytest.mark.fleet("primary", "secondary")
@pytest.mark.requirement(
    "SJ-GET-001",
    "SJ-GET-003",
    "SJ-CREATE-001",
    "SJ-LIFECYCLE-001",
    "SJ-ERROR-001",
    "SJ-HTTP-001",
    "SJ-HTTP-002",
)
def test_get_answers_the_job_asked_for(fleet: Fleet, kit: Kit) -> None:
    """Two jobs exist, so a server that answers another job of the sandbox than the one asked for shows it."""
    for role in ("primary", "secondary"):
        kit.read(fleet.job_id(role))


@pytest.mark.fleet("primary")
@pytest.mark.requirement(
    "SJ-GET-002",
    "SJ-GET-003",
    "SJ-ERROR-003",
    "SJ-CREATE-001",
    "SJ-LIFECYCLE-001",
    "SJ-ERROR-001",
    "SJ-HTTP-001",
    "SJ-HTTP-002",
)
def test_a_near_miss_of_an_id_does_not_get_the_job(fleet: Fleet, kit: Kit) -> None:
    """GET of a near miss of our job's id (a prefix, a suffix, a substring, another case, non-ASCII
    lookalikes) finds no job: 404, or another 4xx the spec documents (a server may refuse an id not of its
    form). A 200 may only be the job whose id is that very text (or, for a UUID in another case, the same
    UUID, RFC 9562): never ours otherwise."""
    primary = fleet.job_id("primary")
    for kind, near in near_misses(primary).items():
        exchange = kit.api.get_job(quote(near, safe=""))
        if exchange.status != 200:
            kit.refused(exchange, range(400, 500), "SJ-GET-002", "getSegmentJob")
            continue
        job = expect_job(exchange, "SJ-GET-003")
        require(
            same(job.get("id"), near),
            "SJ-GET-002",
            f"404 (or another 4xx): {near!r}, {kind} of the id of our job {primary}, is no job's id",
            f"HTTP 200 with the job {job.get('id')}",
            exchange,
        )


@pytest.mark.fleet("primary")
@pytest.mark.requirement(
    "SJ-GET-004",
    "SJ-CREATE-001",
    "SJ-CREATE-006",
    "SJ-GET-001",
    "SJ-GET-003",
    "SJ-LIFECYCLE-001",
    "SJ-ERROR-001",
    "SJ-HTTP-001",
    "SJ-HTTP-002",
)
def test_job_links_point_at_the_job(fleet: Fleet, kit: Kit) -> None:
    _, created_exchange, created = _created(fleet)
    job_id = str(created["id"])
    read_exchange, read = kit.read(job_id)
    for exchange, job in ((created_exchange, created), (read_exchange, read)):
        links = job.get("_links")
        for name, method in (("checkStatus", "GET"), ("cancel", "DELETE")):
            link = links.get(name) if isinstance(links, dict) else None
            href = link.get("href") if isinstance(link, dict) else None
            require(
                isinstance(href, str) and href.split("?")[0].rstrip("/").endswith(f"/segment/jobs/{job_id}"),
                "SJ-GET-004",
                f"_links.{name}.href ending with /segment/jobs/{job_id}",
                f"_links.{name} {link!r}",
                exchange,
            )
            assert isinstance(link, dict)
            require(
                link.get("method") in (None, method),
                "SJ-GET-004",
                f"_links.{name}.method {method}",
                f"method {link.get('method')!r}",
                exchange,
            )


@pytest.mark.fleet("primary")
@pytest.mark.requirement(
    "SJ-GET-005",
    "SJ-CREATE-001",
    "SJ-GET-001",
    "SJ-GET-003",
    "SJ-LIFECYCLE-001",
    "SJ-ERROR-001",
    "SJ-HTTP-001",
    "SJ-HTTP-002",
)
def test_update_epoch_is_update_time_in_seconds(fleet: Fleet, kit: Kit, jobs: JobTracker) -> None:
    kit.read(fleet.job_id("primary"))
    for job in list(jobs.jobs.values()):
        for observation in job.observations:
            body = observation.body
            epoch, update = body.get("updateEpoch"), body.get("updateTime")
            if epoch is None or not isinstance(update, int):
                continue
            require(
                epoch == update // 1000,
                "SJ-GET-005",
                f"updateEpoch {update // 1000} (updateTime // 1000)",
                f"job {job.id} ({observation.status}): updateEpoch {epoch!r}, updateTime {update}",
            )


@pytest.mark.profile("standard")
@pytest.mark.creates_jobs(1)
@pytest.mark.requirement(
    "SJ-CREATE-012",
    "SJ-CREATE-003",
    "SJ-CREATE-001",
    "SJ-CREATE-006",
    "SJ-LIFECYCLE-001",
    "SJ-ERROR-001",
    "SJ-HTTP-001",
    "SJ-HTTP-002",
)
def test_a_job_may_run_several_segment_definitions(
    jobs: JobTracker, settings: Settings, kit: Kit, judgement: Judgement
) -> None:
    """The only check of the order SJ-CREATE-003 asks for: the fleet's jobs run one definition each."""
    if len(settings.segment_ids) < 2:
        raise Disabled("needs two segment definitions in SEGJOBS_SEGMENT_IDS", cause="one segment definition")
    wanted = list(settings.segment_ids[:2])
    exchange = jobs.create(wanted)
    if exchange.status is not None and 400 <= exchange.status < 500:
        # refusing several definitions in one request is allowed (ERRATA E-24): no order to check here
        judgement.disabled(
            "SJ-CREATE-003",
            f"the target refuses several segment definitions in one job (HTTP {exchange.status}, allowed)",
            cause="one definition per job",
        )
        return
    expect_status(exchange, {200}, "SJ-CREATE-001")
    job = expect_job(exchange, "SJ-CREATE-006")
    require(
        kit.segment_ids_of(job) == wanted,
        "SJ-CREATE-003",
        f"segments[].segmentId {wanted}, in that order",
        f"{kit.segment_ids_of(job)}",
        exchange,
    )
