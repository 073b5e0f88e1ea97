"""--preload: old finished jobs in every sandbox from start-up, shaped like the server's own finished jobs,
topped up (never doubled) on a --db file that already has them; and listings over a crowded sandbox, whose
filters the store answers in SQL, giving the same answers as filtering the rendered jobs."""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from conformance._schemas import schema_errors
from conformance.reference import ServerSettings, listing, start_in_thread
from conformance.reference.jobs import render_job
from conformance.reference.lifecycle import Status
from conformance.reference.preload import MAX_DURATION_MS, MIN_DURATION_MS, preloaded_id, preloaded_jobs
from conformance.reference.store import Order, Scope, Store

Api = Any  # the fixtures of conftest.py
FakeClock = Any
ServerFactory = Any

EPOCH = 1_767_225_600.0
ODD = 'odd"id\\'  # a segment id with a quote and a backslash: JSON escapes both
ORG = ServerSettings.from_env({}).ims_org
DAY_MS = 24 * 3600 * 1000
PRELOAD = 60


@pytest.fixture
def crowded(make_api: ServerFactory, fake_clock: FakeClock) -> Api:
    """A server on the fake clock with 60 preloaded jobs per sandbox."""
    return make_api(clock=fake_clock, preload=PRELOAD)


def ids(jobs: list[dict[str, Any]]) -> list[str]:
    return [job["id"] for job in jobs]


def segment_ids(job: dict[str, Any]) -> list[str]:
    return [entry["segmentId"] for entry in job["segments"]]


def test_every_sandbox_holds_n_jobs_of_each_terminal_status_in_turn(crowded: Api) -> None:
    for sandbox in crowded.settings.sandboxes:
        api = crowded.in_sandbox(sandbox.name)
        jobs = api.walk()
        assert len(jobs) == PRELOAD
        assert Counter(job["status"] for job in jobs) == {"SUCCEEDED": 20, "FAILED": 20, "CANCELLED": 20}
        assert {job["sandbox"]["sandboxName"] for job in jobs} == {sandbox.name}
        for status in ("SUCCEEDED", "FAILED", "CANCELLED"):
            assert api.list(status=status)["_page"]["totalCount"] == 20
        oldest_first = [job["status"] for job in api.walk("/segment/jobs?limit=100&sort=creationTime:asc")]
        assert oldest_first[:6] == ["SUCCEEDED", "FAILED", "CANCELLED"] * 2
        api.close()


def test_times_lie_in_the_30_days_before_start_up(crowded: Api, fake_clock: FakeClock) -> None:
    now_ms = fake_clock.ms
    jobs = crowded.walk()
    for job in jobs:
        assert now_ms - 30 * DAY_MS <= job["creationTime"] < job["updateTime"] < now_ms
        assert job["updateTime"] - job["creationTime"] <= MAX_DURATION_MS + MAX_DURATION_MS // 10
        assert job["updateEpoch"] == job["updateTime"] // 1000
        if job["status"] != "CANCELLED":
            assert job["updateTime"] - job["creationTime"] >= MIN_DURATION_MS
    created = sorted(job["creationTime"] for job in jobs)
    assert created[0] < now_ms - 29 * DAY_MS and created[-1] > now_ms - 2 * DAY_MS  # spread over the window
    assert len(set(created)) == len(created)


def test_preloaded_jobs_look_like_the_servers_own_finished_jobs(crowded: Api) -> None:
    settings = crowded.settings
    own = crowded.create(settings.segment_ids[0])
    own_failed = crowded.create(settings.failing_segment_id)
    crowded.advance(5)
    own, own_failed = crowded.get(own["id"]), crowded.get(own_failed["id"])
    jobs = crowded.walk()
    assert len(jobs) == PRELOAD + 2
    for job in jobs:
        assert schema_errors("SegmentJob", job) == [], job
        assert crowded.get(job["id"]) == job  # what a GET answers too
        uuid.UUID(job["id"])
        if job["status"] == "SUCCEEDED":
            assert job.keys() == own.keys()
            assert job["metrics"].keys() == own["metrics"].keys()
            total = job["metrics"]["totalTime"]
            assert total["totalTimeInMs"] == total["endTimeInMs"] - total["startTimeInMs"] > 0
            assert total["endTimeInMs"] == job["updateTime"]
            assert set(job["metrics"]["segmentedProfileCounter"]) == set(segment_ids(job))
            assert set(segment_ids(job)) <= set(settings.segment_ids)
        elif job["status"] == "FAILED":
            assert job.keys() == own_failed.keys()
            assert segment_ids(job) == [settings.failing_segment_id]
            assert job["errors"] and settings.failing_segment_id in job["errors"][0]["msg"]
        else:
            assert job["status"] == "CANCELLED"
            assert "batchId" not in job and "errors" not in job
            assert set(segment_ids(job)) <= set(settings.segment_ids)


def test_cancelled_jobs_were_cancelled_at_each_stage(crowded: Api) -> None:
    cancelled = [job for job in crowded.walk() if job["status"] == "CANCELLED"]
    stages = Counter(("computeGatewayJobId" in job, "computeJobId" in job) for job in cancelled)
    # cancelled while NEW (neither id), while QUEUED (gateway id only), while PROCESSING (both)
    assert set(stages) == {(False, False), (True, False), (True, True)}


def test_each_segment_definition_has_its_share(crowded: Api) -> None:
    settings = crowded.settings
    turns = PRELOAD // 3  # of SUCCEEDED and of CANCELLED jobs, each taking the next segment definition
    for index, segment in enumerate(settings.segment_ids):
        page = crowded.list(property=f"segments~segmentId=={segment}", limit=100)
        share = sum(1 for turn in range(turns) if turn % len(settings.segment_ids) == index)
        assert page["_page"]["totalCount"] == 2 * share
        assert all(segment in segment_ids(job) for job in page["children"])
    failing = crowded.list(property=f"segments~segmentId=={settings.failing_segment_id}")
    assert failing["_page"]["totalCount"] == 20
    assert {job["status"] for job in failing["children"]} == {"FAILED"}


def test_cancel_of_a_preloaded_job_changes_nothing(crowded: Api) -> None:
    job = crowded.walk()[0]
    assert crowded.cancel(job["id"]).status_code == 204
    assert crowded.get(job["id"]) == job


def test_preloading_is_deterministic_and_ids_are_unique() -> None:
    settings = ServerSettings.from_env({})
    first = preloaded_jobs(settings, 1_000_000_000_000, count=30)
    again = preloaded_jobs(settings, 1_000_000_000_000, count=30)
    later = preloaded_jobs(settings, 1_000_086_400_000, count=30)
    assert first == again
    assert [r.id for r in first] == [r.id for r in later]  # the same jobs, a day later
    assert all(
        b.timeline.created_ms - a.timeline.created_ms == 86_400_000 for a, b in zip(first, later, strict=True)
    )
    assert len({r.id for r in first}) == 60
    assert all(uuid.UUID(r.id).version == 4 for r in first)
    assert [r.timeline.created_ms for r in first] == sorted(r.timeline.created_ms for r in first)
    assert preloaded_id(settings.ims_org, "prod", 0) != preloaded_id(settings.ims_org, "dev", 0)


def test_a_restart_on_the_same_db_tops_up_and_never_doubles(
    make_api: ServerFactory, fake_clock: FakeClock, tmp_path: Path
) -> None:
    db = str(tmp_path / "kept.db")
    first = make_api(clock=fake_clock, db_path=db, preload=12)
    before = first.walk()
    first.server.stop()
    fake_clock.advance(3600)
    again = make_api(clock=fake_clock, db_path=db, preload=12)
    assert again.walk() == before  # same jobs, same times
    again.server.stop()
    more = make_api(clock=fake_clock, db_path=db, preload=20)
    jobs = more.walk()
    assert len(jobs) == 20 and set(ids(before)) <= set(ids(jobs))
    assert len(more.in_sandbox("dev").walk()) == 20
    more.server.stop()
    fewer = make_api(clock=fake_clock, db_path=db, preload=5)
    assert len(fewer.walk()) == 20  # a smaller N removes nothing


def test_3000_per_sandbox_start_quickly(tmp_path: Path) -> None:
    settings = dataclasses.replace(
        ServerSettings.from_env({}), db_path=str(tmp_path / "big.db"), preload=3000
    )
    began = time.perf_counter()
    server = start_in_thread(settings)
    took = time.perf_counter() - began
    server.stop()
    assert took < 3.0, f"starting with 2 x 3000 preloaded jobs took {took:.2f} s"


# -- listings over a crowded sandbox -----------------------------------------------------------------------


@pytest.fixture
def busy(crowded: Api) -> Api:
    """The crowded server with jobs of its own in every status on top (two of them of two segments)."""
    first, second, third = crowded.settings.segment_ids
    failing = crowded.settings.failing_segment_id
    created = []
    for segments in [(first,), (failing,), (first, second), (second,), (third, first), (first,), (second,)]:
        created.append(crowded.create(*segments))
        crowded.advance(0.25)
    crowded.cancel(created[5]["id"])
    crowded.in_sandbox("dev").create(first)
    return crowded


Rule = tuple[tuple[str, ...], "str | None", str]


def expected(jobs: list[dict[str, Any]], status: str | None, rules: list[Rule]) -> list[str]:
    """The ids a listing should give: those of ``jobs`` (every job of the sandbox, in the listing's order)
    that have ``status`` and meet every rule, computed here."""

    def value(job: Any, path: tuple[str, ...]) -> Any:
        for name in path:
            job = job.get(name) if isinstance(job, dict) else None
        return job

    def meets(job: dict[str, Any], rule: Rule) -> bool:
        path, key, wanted = rule
        found = value(job, path)
        return found == wanted if key is None else any(element.get(key) == wanted for element in found)

    return ids(
        [
            job
            for job in jobs
            if (status is None or job["status"] == status) and all(meets(job, rule) for rule in rules)
        ]
    )


FILTERS = [
    ("status==SUCCEEDED", (("status",), None, "SUCCEEDED")),
    ("status==CANCELLING", (("status",), None, "CANCELLING")),
    ("sandbox.sandboxName==prod", (("sandbox", "sandboxName"), None, "prod")),
    ("sandbox.sandboxName==dev", (("sandbox", "sandboxName"), None, "dev")),
    (f"imsOrgId=={ORG}", (("imsOrgId",), None, ORG)),
    ("segments~segmentId==4afe34ae-8c98-4513-8a1d-67ccaa54bc05",
     (("segments",), "segmentId", "4afe34ae-8c98-4513-8a1d-67ccaa54bc05")),
    ("segments~segmentId==30230300-ccf1-48ad-8012-c5563a007069",
     (("segments",), "segmentId", "30230300-ccf1-48ad-8012-c5563a007069")),
]  # fmt: skip


@pytest.mark.parametrize("sort", ["creationTime:desc", "updateTime:asc", "status:desc", "id:asc"])
def test_filtered_listings_page_correctly_over_many_jobs(busy: Api, sort: str) -> None:
    everything = busy.walk(f"/segment/jobs?limit=100&sort={sort}")
    for status in (None, "SUCCEEDED", "CANCELLED"):
        for (text_a, rule_a), (text_b, rule_b) in [
            (FILTERS[0], FILTERS[0]),
            *zip(FILTERS, FILTERS[2:], strict=False),
        ]:
            query = f"/segment/jobs?limit=7&sort={sort}&property={text_a}&property={text_b}"
            query += f"&status={status}" if status else ""
            want = expected(everything, status, [rule_a, rule_b])
            assert ids(busy.walk(query)) == want, query
            assert busy.http.get(query).json()["_page"]["totalCount"] == len(want)


@pytest.mark.parametrize(("text", "rule"), FILTERS)
def test_store_paging_equals_paging_the_rendered_jobs(busy: Api, text: str, rule: Rule) -> None:
    """``source==api`` matches every job but only runs on rendered jobs: with it the listing is paged in
    Python, without it in SQL; the pages must be the same, and hold the jobs the filter names."""
    everything = busy.walk("/segment/jobs?limit=100&sort=updateTime:desc")
    for start, limit in [(0, 20), (3, 5), (50, 100)]:
        query = f"/segment/jobs?sort=updateTime:desc&start={start}&limit={limit}&property={text}"
        in_sql = busy.http.get(query).json()
        rendered = busy.http.get(query + "&property=source==api").json()
        assert in_sql["children"] == rendered["children"]
        assert in_sql["_page"] == rendered["_page"]
        want = expected(everything, None, [rule])
        assert in_sql["_page"]["totalCount"] == len(want)
        assert ids(in_sql["children"]) == want[start : start + limit]


def test_every_filter_the_store_answers_agrees_with_the_rendered_job(tmp_path: Path) -> None:
    """Each path of ``STORED_FIELDS``, asked of the store, selects exactly the jobs whose rendered form
    the filter matches, for values that match and values that almost do."""
    settings = dataclasses.replace(ServerSettings.from_env({}), preload=12)
    store = Store(str(tmp_path / "agree.db"), clock=lambda: EPOCH)
    try:
        store.add_finished(preloaded_jobs(settings, int(EPOCH * 1000)))
        first, second = settings.segment_ids[:2]
        for segments in [(first, second), (second,), (ODD,), ('a"' + first,)]:
            store.create(Scope(settings.ims_org, "prod"), "prod", segments, 1000, Status.SUCCEEDED)
        scope = Scope(settings.ims_org, None)
        _, records = store.select(scope, status=None, order=Order())
        jobs = {record.id: render_job(record, settings) for record in records}
        values = {
            "id": [records[0].id, records[0].id.upper(), "%"],
            "imsOrgId": [settings.ims_org, "x"],
            "status": ["SUCCEEDED", "CANCELLED", "succeeded"],
            "sandbox.sandboxName": ["prod", "dev", "pro%"],
            "segments~segmentId": [first, second, settings.failing_segment_id, ODD, first[:-1], '"'],
        }
        for path, candidates in values.items():
            for value in candidates:
                prop = listing.PropertyFilter.parse(f"{path}=={value}")
                match = prop.stored_match()
                assert match is not None, path
                _, found = store.select(scope, status=None, order=Order(), matches=[match])
                assert {r.id for r in found} == {i for i, job in jobs.items() if prop.matches(job)}, prop.text
    finally:
        store.close()


def test_id_filter_finds_exactly_one_job_among_many(busy: Api) -> None:
    jobs = busy.walk()
    for job in jobs[::17]:
        page = busy.list(property=f"id=={job['id']}")
        assert page["_page"]["totalCount"] == 1 and page["children"] == [job]
    other = busy.in_sandbox("dev").walk()[0]
    assert busy.list(property=f"id=={other['id']}")["_page"]["totalCount"] == 0  # another sandbox's job
    assert busy.list(property="id==%")["_page"]["totalCount"] == 0
    assert busy.list(property='segments~segmentId=="')["_page"]["totalCount"] == 0
