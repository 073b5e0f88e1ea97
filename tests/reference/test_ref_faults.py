"""Every registered fault changes the one behaviour it names: the symptom shows with the fault on and not
without it. (Whether the suite notices is tested with the suite, not here.)"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from conformance.reference import FAULTS, ServerSettings
from conformance.reference.faults import is_on


def raw_exchange(api: Any, method: str, path: str) -> tuple[bytes, bytes]:
    """One request on a fresh connection, read to the end: the head and whatever bytes follow it (``path``
    below the API's base URL, which may have a path prefix)."""
    url = urlsplit(api.base_url)
    assert url.hostname is not None and url.port is not None
    lines = [f"{method} {url.path}{path} HTTP/1.1", f"Host: {url.hostname}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in api.headers.items()]
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def create_response(api: Any, body: Any = None) -> httpx.Response:
    body = [{"segmentId": api.settings.segment_ids[0]}] if body is None else body
    return api.http.post("/segment/jobs", json=body)


def walk_ids(api: Any, limit: int) -> list[str]:
    seen: list[str] = []
    href: str | None = f"/segment/jobs?limit={limit}"
    for _ in range(20):  # bounded: a broken server may never end the walk
        if not href:
            break
        page = api.http.get(href).json()
        seen += [job["id"] for job in page["children"]]
        href = page["_links"]["next"].get("href")
    return seen


def finished_regresses(api: Any) -> bool:
    job = api.create()
    api.advance(2)
    return "PROCESSING" in [api.status(job["id"]) for _ in range(4)]


def cancel_ignored(api: Any) -> bool:
    job = api.create()
    api.advance(0.3)
    assert api.cancel(job["id"]).status_code == 204
    api.advance(2)
    return api.status(job["id"]) == "SUCCEEDED"


def sort_ignored(api: Any) -> bool:
    older = api.create()
    api.advance(0.01)
    api.create()
    return api.list(sort="creationTime:asc")["children"][0]["id"] != older["id"]


def update_time_backwards(api: Any) -> bool:
    job = api.create()
    api.advance(0.5)
    return bool(api.get(job["id"])["updateTime"] < job["updateTime"])


def wrong_types(api: Any) -> bool:
    api.create()
    api.advance(0.5)
    job = api.list()["children"][0]
    return isinstance(job["creationTime"], str) and isinstance(job["computeJobId"], str)


def cancel_changes_finished(api: Any) -> bool:
    job = api.create()
    api.advance(2)
    api.cancel(job["id"])
    api.advance(1)
    return api.status(job["id"]) == "CANCELLED"


def bulk_missing_result(api: Any) -> bool:
    first, second = api.create(), api.create()
    return len(api.bulk_get(first["id"], second["id"]).json()["results"]) == 1


def duplicate_ids(api: Any) -> bool:
    return api.create()["id"] == api.create()["id"]


def sandbox_leak(api: Any) -> bool:
    job = api.create()
    return bool(api.in_sandbox("dev").http.get(f"/segment/jobs/{job['id']}").status_code == 200)


def refused_cancel_applied_later(api: Any) -> bool:
    job = api.create()
    assert api.in_sandbox("dev").http.delete(f"/segment/jobs/{job['id']}").status_code == 404
    time.sleep(1.5)  # the fault applies the refused cancel a second later (real time; the jobs' clock stands)
    return api.status(job["id"]) in ("CANCELLING", "CANCELLED")


def list_ignores_status_filter(api: Any) -> bool:
    api.create()
    return bool(api.list(status="FAILED")["children"])


def list_ignores_limit(api: Any) -> bool:
    for _ in range(3):
        api.create()
    return bool(api.list(limit=1)["_page"]["pageSize"] == 3)


def paging_overlap(api: Any) -> bool:
    for _ in range(3):
        api.create()
    seen = walk_ids(api, limit=2)
    return len(seen) != len(set(seen))


def total_count_wrong(api: Any) -> bool:
    api.create()
    api.create()
    return bool(api.list()["_page"]["totalCount"] != 2)


def cancel_200_body(api: Any) -> bool:
    response = api.cancel(api.create()["id"])
    return response.status_code == 200 and response.json()["status"] is True


def renamed_field(api: Any) -> bool:
    job = api.create()
    return "createdTime" in job and "creationTime" not in job


def never_finishes(api: Any) -> bool:
    job = api.create()
    api.advance(100)
    return bool(api.status(job["id"]) == "PROCESSING")


def cancel_204_body(api: Any) -> bool:
    job = api.create()
    head, rest = raw_exchange(api, "DELETE", f"/segment/jobs/{job['id']}")
    assert head.startswith(b"HTTP/1.1 204 ")
    return rest.startswith(b"{") and b"content-type: application/json" in head.lower()


def cancel_204_length(api: Any) -> bool:
    job = api.create()
    head, rest = raw_exchange(api, "DELETE", f"/segment/jobs/{job['id']}")
    assert head.startswith(b"HTTP/1.1 204 ")
    fields = [line.split(b":", 1) for line in head.lower().split(b"\r\n")[1:]]
    lengths = [value.strip() for name, value in fields if name == b"content-length"]
    return rest == b"" and any(length != b"0" for length in lengths)


def throttle_without_retry_after(api: Any) -> bool:
    answers = [api.http.get("/segment/jobs", params={"limit": 1}) for _ in range(12)]
    throttled = [a for a in answers if a.status_code == 429]
    return bool(throttled) and all("retry-after" not in a.headers for a in throttled)


def no_next_link(api: Any) -> bool:
    for _ in range(3):
        api.create()
    return "href" not in api.list(limit=1)["_links"].get("next", {})


def finished_profiles_grow(api: Any) -> bool:
    job = finished_job(api)
    again = api.get(job["id"])
    return bool(again["metrics"]["totalProfiles"] != job["metrics"]["totalProfiles"])


def bulk_wrong_job(api: Any) -> bool:
    first, second = api.create(), api.create()
    results = api.bulk_get(first["id"], second["id"]).json()["results"]
    return any(results[job["id"]]["id"] != job["id"] for job in (first, second))


def wrong_content_type(api: Any) -> bool:
    job = api.create()
    answers = [
        create_response(api),
        api.http.get(f"/segment/jobs/{job['id']}"),
        api.http.get("/segment/jobs"),
        api.bulk_get(job["id"]),
    ]
    return all(a.headers["content-type"].startswith("text/plain") for a in answers)


def property_filter_ignored(api: Any) -> bool:
    first = api.create()
    api.create()
    return bool(api.list(property=f"id=={first['id']}")["_page"]["totalCount"] == 2)


def segments_reversed(api: Any) -> bool:
    wanted = list(api.settings.segment_ids[:2])
    job = api.create(*wanted)
    reversed_ids = wanted[::-1]
    read = api.get(job["id"])
    return (
        [s["segmentId"] for s in job["segments"]]
        == reversed_ids
        == [s["segmentId"] for s in read["segments"]]
    )


def finished_job(api: Any, *segment_ids: str) -> dict[str, Any]:
    job = api.create(*segment_ids)
    api.advance(2)
    return api.get(job["id"])


def succeeded_without_batch(api: Any) -> bool:
    job = finished_job(api)
    return job["status"] == "SUCCEEDED" and "batchId" not in job


def failed_without_errors(api: Any) -> bool:
    job = finished_job(api, api.settings.failing_segment_id)
    return job["status"] == "FAILED" and "errors" not in job


def total_time_off(api: Any) -> bool:
    total = finished_job(api)["metrics"]["totalTime"]
    return bool(total["totalTimeInMs"] == total["endTimeInMs"] - total["startTimeInMs"] + 1)


def creation_time_drifts(api: Any) -> bool:
    job = api.create()
    return bool(api.get(job["id"])["creationTime"] != job["creationTime"])


def cancelled_job_404(api: Any) -> bool:
    job = api.create()
    api.cancel(job["id"])
    api.advance(1)
    return bool(api.http.get(f"/segment/jobs/{job['id']}").status_code == 404)


def second_cancel_500(api: Any) -> bool:
    job = api.create()
    assert api.cancel(job["id"]).status_code == 204
    return bool(api.cancel(job["id"]).status_code == 500)


def refused_create_creates(api: Any) -> bool:
    response = api.http.post(
        "/segment/jobs",
        json=[{"segmentId": api.settings.segment_ids[0]}],
        headers={"Authorization": "Bearer forged"},
    )
    return response.status_code == 401 and api.list()["_page"]["totalCount"] == 1


def start_beyond_end_404(api: Any) -> bool:
    api.create()
    return bool(api.http.get("/segment/jobs?start=5").status_code == 404)


def next_link_drops_filters(api: Any) -> bool:
    for _ in range(3):
        api.create()
    href = api.list(limit=1, status="NEW")["_links"]["next"]["href"]
    return "status=" not in href


def bulk_unknown_shown_as_job(api: Any) -> bool:
    return bool(api.bulk_get("no-such-job").json()["results"].get("no-such-job", {}).get("status") == "NEW")


def content_type_ignored(api: Any) -> bool:
    body = json.dumps([{"segmentId": api.settings.segment_ids[0]}]).encode()
    response = api.http.post("/segment/jobs", content=body, headers={"Content-Type": "text/plain"})
    return response.status_code == 200


def page_json_truncated(api: Any) -> bool:
    response = api.http.get("/segment/jobs")
    try:
        response.json()
    except ValueError:
        return response.headers["content-type"] == "application/json"
    return False


def list_500(api: Any) -> bool:
    response = api.http.get("/segment/jobs")
    return response.status_code == 500 and response.json().get("status") == 500


def created_job_invisible(api: Any) -> bool:
    older, newest = api.create(), api.create()
    listed = [job["id"] for job in api.list()["children"]]
    found = api.get(newest["id"])["id"] == newest["id"]
    return older["id"] in listed and newest["id"] not in listed and found


def get_wrong_job(api: Any) -> bool:
    lone = api.create()
    if api.get(lone["id"])["id"] != lone["id"]:
        return False  # a job alone in its sandbox is answered as it is
    newer = api.create()
    return api.get(lone["id"])["id"] == newer["id"] and api.get(newer["id"])["id"] == lone["id"]


def full_width(text: str) -> str:
    """``text`` with its first character in its full-width form (the same after NFKC)."""
    return chr(ord(text[0]) + 0xFEE0) + text[1:]


def listed_under(api: Any, filter_text: str) -> list[str]:
    return [job["id"] for job in api.list(property=filter_text)["children"]]


def filter_substring(api: Any) -> bool:
    job = api.create()
    return job["id"] in listed_under(api, f"id=={job['id'][3:-3]}")


def filter_prefix(api: Any) -> bool:
    job = api.create()
    return job["id"] in listed_under(api, f"id=={job['id'][:-3]}") and not listed_under(
        api, f"id=={job['id'][3:]}"
    )


def filter_case_insensitive(api: Any) -> bool:
    job = api.create()
    return job["id"] in listed_under(api, f"sandbox.sandboxName=={job['sandbox']['sandboxName'].upper()}")


def filter_normalized(api: Any) -> bool:
    job = api.create()
    segment = api.settings.segment_ids[0]
    return job["id"] in listed_under(api, f"segments~segmentId=={full_width(segment)}")


def id_prefix_get(api: Any) -> bool:
    job = api.create()
    answer = api.http.get(f"/segment/jobs/{job['id'][:-1]}")
    return answer.status_code == 200 and answer.json()["id"] == job["id"]


def bulk_id_normalized(api: Any) -> bool:
    job = api.create()
    lookalike = full_width(job["id"])
    results = api.bulk_get(lookalike).json()["results"]
    return isinstance(results.get(lookalike), dict) and results[lookalike].get("id") == job["id"]


def bulk_stale_cache(api: Any) -> bool:
    job = api.create()
    first = api.bulk_get(job["id"]).json()["results"][job["id"]]["status"]
    api.advance(2)
    later = api.bulk_get(job["id"]).json()["results"][job["id"]]["status"]
    return bool(first == later == "NEW" and api.status(job["id"]) == "SUCCEEDED")


def listed(api: Any, job_id: str) -> dict[str, Any]:
    return next(c for c in api.list(limit=100)["children"] if c["id"] == job_id)


def listing_stale(api: Any) -> bool:
    job = api.create()
    api.advance(5)
    return bool(api.status(job["id"]) == "SUCCEEDED" and listed(api, job["id"])["status"] == "NEW")


def listing_update_time_seconds(api: Any) -> bool:
    api.advance(0.123)  # times off the whole second
    job = api.create()
    api.advance(2)
    return bool(listed(api, job["id"])["updateTime"] != api.get(job["id"])["updateTime"])


def bulk_segments_reversed(api: Any) -> bool:
    wanted = list(api.settings.segment_ids[:2])
    job = api.create(*wanted)
    shown = api.bulk_get(job["id"]).json()["results"][job["id"]]["segments"]
    return [s["segmentId"] for s in shown] == wanted[::-1]


def flickers(api: Any, cancel: bool) -> list[str]:
    """The statuses GET shows of a job at its first finished read, then 0.2 s and 1 s later."""
    job = api.create()
    if cancel:
        api.advance(0.5)
        api.cancel(job["id"])
    api.advance(2)
    seen = [api.status(job["id"])]
    for step in (0.2, 0.8):
        api.advance(step)
        seen.append(api.status(job["id"]))
    return seen


def page_limit_plus_one(api: Any) -> bool:
    for _ in range(3):
        api.create()
    return len(api.list(limit=2)["children"]) == 3


def total_count_of_page(api: Any) -> bool:
    for _ in range(3):
        api.create()
    page = api.list(limit=2)["_page"]
    return bool(page["totalCount"] == 2 and api.list()["_page"]["totalCount"] == 3)


def update_sort_inverted(api: Any) -> bool:
    older = api.create()
    api.advance(0.01)
    newer = api.create()
    first_desc = api.list(sort="updateTime:desc")["children"][0]["id"]
    first_asc = api.list(sort="updateTime:asc")["children"][0]["id"]
    return first_desc == older["id"] and first_asc == older["id"] != newer["id"]


def start_skips_one(api: Any) -> bool:
    ids = [api.create()["id"] for _ in range(3)][::-1]  # newest first, the default order
    return [job["id"] for job in api.list(start=1)["children"]] == ids[2:]


def status_filter_finished(api: Any) -> bool:
    job = api.create(api.settings.failing_segment_id)
    api.advance(2)
    return job["id"] in [c["id"] for c in api.list(status="SUCCEEDED")["children"]]


def bulk_times_strings(api: Any) -> bool:
    job = api.create()
    result = api.bulk_get(job["id"]).json()["results"][job["id"]]
    return isinstance(result["creationTime"], str) and isinstance(api.get(job["id"])["creationTime"], int)


def listing_redirects(api: Any) -> bool:
    answer = api.http.get("/segment/jobs?limit=1")
    return answer.status_code == 308 and answer.headers["location"].endswith("/segment/jobs/?limit=1")


def page_size_is_limit(api: Any) -> bool:
    api.create()
    return bool(api.list(limit=7)["_page"]["pageSize"] == 7)


def bulk_empty_all_jobs(api: Any) -> bool:
    job = api.create()
    return job["id"] in api.bulk_get().json()["results"]


def not_found_text_plain(api: Any) -> bool:
    answer = api.http.get("/segment/jobs/no-such-job")
    return answer.status_code == 404 and answer.headers["content-type"].startswith("text/plain")


def audience_size_missing(api: Any) -> bool:
    metrics = finished_job(api)["metrics"]
    return "totalProfiles" not in metrics and "segmentedProfileCounter" not in metrics


def update_sort_slow(api: Any) -> bool:
    api.create()
    try:
        api.http.get("/segment/jobs?sort=updateTime:asc", timeout=2.0)
    except httpx.ReadTimeout:
        return api.http.get("/segment/jobs?sort=creationTime:asc", timeout=2.0).status_code == 200
    return False


#: For each fault: does the server show the symptom the fault names?
# -- effects that show later, isolation one way only ---------------------------------------------------
# (the delayed faults wait real time: the jobs' clock stands still meanwhile)
def finished_cancel_applied_later(api: Any) -> bool:
    job = finished_job(api)
    assert api.cancel(job["id"]).status_code == 204
    at_once = api.status(job["id"])
    time.sleep(1.5)
    api.advance(1)
    return at_once == "SUCCEEDED" and api.status(job["id"]) in ("CANCELLING", "CANCELLED")


def refused_create_applied_later(api: Any) -> bool:
    unknown = "00000000-0000-4000-8000-00000000dead"
    assert create_response(api, [{"segmentId": unknown}]).status_code == 400
    at_once = api.list()["_page"]["totalCount"]
    time.sleep(1.5)
    return at_once == 0 and api.list()["_page"]["totalCount"] == 1


def second_sandbox_listed_in_first(api: Any) -> bool:
    job = api.in_sandbox("dev").create()
    return job["id"] in [c["id"] for c in api.list()["children"]]


def second_sandbox_get_from_first(api: Any) -> bool:
    job = api.in_sandbox("dev").create()
    return bool(api.http.get(f"/segment/jobs/{job['id']}").status_code == 200)


def second_sandbox_bulk_from_first(api: Any) -> bool:
    job = api.in_sandbox("dev").create()
    entry = api.bulk_get(job["id"]).json()["results"].get(job["id"], {})
    return entry.get("status") == "NEW"


def second_sandbox_cancel_from_first_later(api: Any) -> bool:
    other = api.in_sandbox("dev")
    job = other.create()
    assert api.http.delete(f"/segment/jobs/{job['id']}").status_code == 404
    at_once = other.status(job["id"])
    time.sleep(2.0)  # applied 1.5 s after the 404
    return at_once not in ("CANCELLING", "CANCELLED") and other.status(job["id"]) in (
        "CANCELLING",
        "CANCELLED",
    )


PROBES: dict[str, Callable[[Any], bool]] = {
    "create-201": lambda api: create_response(api).status_code == 201,
    "cancel-200-body": cancel_200_body,
    "cancel-204-body": cancel_204_body,
    "cancel-204-length": cancel_204_length,
    "throttle-without-retry-after": throttle_without_retry_after,
    "no-next-link": no_next_link,
    "finished-profiles-grow": finished_profiles_grow,
    "bulk-200": lambda api: api.bulk_get().status_code == 200,
    "unknown-id-500": lambda api: api.http.get("/segment/jobs/no-such-job").status_code == 500,
    "status-lowercase": lambda api: api.create()["status"] == "new",
    "new-not-new": lambda api: api.create()["status"] == "QUEUED",
    "finished-regresses": finished_regresses,
    "cancel-ignored": cancel_ignored,
    "never-finishes": never_finishes,
    "list-ignores-status-filter": list_ignores_status_filter,
    "list-ignores-limit": list_ignores_limit,
    "paging-overlap": paging_overlap,
    "total-count-wrong": total_count_wrong,
    "sort-ignored": sort_ignored,
    "bulk-results-list": lambda api: isinstance(api.bulk_get(api.create()["id"]).json()["results"], list),
    "bulk-missing-result": bulk_missing_result,
    "any-token-accepted": lambda api: (
        httpx.get(
            api.base_url + "/segment/jobs", headers={**api.headers, "Authorization": "Bearer forged"}
        ).status_code
        == 200
    ),
    "no-auth": lambda api: httpx.get(api.base_url + "/segment/jobs").status_code == 200,
    "sandbox-leak": sandbox_leak,
    "refused-cancel-applied-later": refused_cancel_applied_later,
    "empty-array-accepted": lambda api: create_response(api, body=[]).status_code == 200,
    "malformed-body-500": lambda api: (
        api.http.post("/segment/jobs", content=b"[", headers={"Content-Type": "application/json"}).status_code
        == 500
    ),
    "update-time-backwards": update_time_backwards,
    "duplicate-ids": duplicate_ids,
    "missing-field-id": lambda api: "id" not in create_response(api).json(),
    "renamed-field": renamed_field,
    "wrong-types": wrong_types,
    "cancel-changes-finished": cancel_changes_finished,
    "bulk-wrong-job": bulk_wrong_job,
    "cancel-unknown-204": lambda api: api.cancel("no-such-job").status_code == 204,
    "wrong-content-type": wrong_content_type,
    "property-filter-ignored": property_filter_ignored,
    "unknown-segment-accepted": lambda api: (
        create_response(api, body=[{"segmentId": "no-such-definition"}]).status_code == 200
    ),
    "segments-reversed": segments_reversed,
    "succeeded-without-batch": succeeded_without_batch,
    "total-time-off": total_time_off,
    "creation-time-drifts": creation_time_drifts,
    "cancelled-job-404": cancelled_job_404,
    "second-cancel-500": second_cancel_500,
    "unknown-sandbox-default": lambda api: (
        api.in_sandbox("no-such-sandbox").http.get("/segment/jobs").status_code == 200
    ),
    "refused-create-creates": refused_create_creates,
    "bad-limit-500": lambda api: all(
        api.http.get(f"/segment/jobs?limit={value}").status_code == 500 for value in ("0", "abc")
    ),
    "start-beyond-end-404": start_beyond_end_404,
    "failed-without-errors": failed_without_errors,
    "next-link-drops-filters": next_link_drops_filters,
    "bulk-unknown-shown-as-job": bulk_unknown_shown_as_job,
    "content-type-ignored": content_type_ignored,
    "page-json-truncated": page_json_truncated,
    "list-500": list_500,
    "page-without-page": lambda api: "_page" not in api.list(),
    "created-job-invisible": created_job_invisible,
    "get-wrong-job": get_wrong_job,
    "filter-substring": filter_substring,
    "filter-prefix": filter_prefix,
    "filter-case-insensitive": filter_case_insensitive,
    "filter-normalized": filter_normalized,
    "id-prefix-get": id_prefix_get,
    "bulk-id-normalized": bulk_id_normalized,
    "bulk-stale-cache": bulk_stale_cache,
    "listing-stale": listing_stale,
    "listing-update-time-seconds": listing_update_time_seconds,
    "bulk-segments-reversed": bulk_segments_reversed,
    "cancelled-reads-processing": lambda api: (
        flickers(api, cancel=True) == ["CANCELLED", "PROCESSING", "CANCELLED"]
    ),
    "succeeded-reads-failed": lambda api: flickers(api, cancel=False) == ["SUCCEEDED", "FAILED", "SUCCEEDED"],
    "page-limit-plus-one": page_limit_plus_one,
    "total-count-of-page": total_count_of_page,
    "update-sort-inverted": update_sort_inverted,
    "start-skips-one": start_skips_one,
    "limit-one-refused": lambda api: api.http.get("/segment/jobs?limit=1").status_code == 400,
    "status-filter-finished": status_filter_finished,
    "bulk-unknown-500": lambda api: api.bulk_get(api.create()["id"], "no-such-job").status_code == 500,
    "bulk-times-strings": bulk_times_strings,
    "listing-redirects": listing_redirects,
    "page-size-is-limit": page_size_is_limit,
    "update-epoch-ms": lambda api: api.create()["updateEpoch"] > 10**12,
    "cancel-link-get": lambda api: api.create()["_links"]["cancel"]["method"] == "GET",
    "bulk-empty-all-jobs": bulk_empty_all_jobs,
    "not-found-text-plain": not_found_text_plain,
    "no-allow-on-405": lambda api: "allow" not in api.http.request("PATCH", "/segment/jobs").headers,
    "audience-size-missing": audience_size_missing,
    "update-sort-slow": update_sort_slow,
    "finished-cancel-applied-later": finished_cancel_applied_later,
    "refused-create-applied-later": refused_create_applied_later,
    "second-sandbox-listed-in-first": second_sandbox_listed_in_first,
    "second-sandbox-get-from-first": second_sandbox_get_from_first,
    "second-sandbox-bulk-from-first": second_sandbox_bulk_from_first,
    "second-sandbox-cancel-from-first-later": second_sandbox_cancel_from_first_later,
}


def test_every_fault_has_a_probe() -> None:
    assert set(PROBES) == set(FAULTS)


def test_fault_names_are_checked() -> None:
    with pytest.raises(KeyError):
        is_on(frozenset(), "no-such-fault")
    with pytest.raises(ValueError, match="unknown faults"):
        ServerSettings(faults=frozenset({"no-such-fault"}))


# (named fault_name, not fault: other self-tests look for a "fault" parameter across the session)
#: faults whose probe takes seconds (the server finishes the slow answer before it stops): -m slow
SLOW_PROBES = frozenset({"update-sort-slow"})


@pytest.mark.parametrize(
    "fault_name", [pytest.param(f, marks=pytest.mark.slow) if f in SLOW_PROBES else f for f in FAULTS]
)
def test_fault_changes_the_behaviour_it_names(make_api: Any, new_clock: Any, fault_name: str) -> None:
    honest = make_api(clock=new_clock())
    faulty = make_api(clock=new_clock(), faults=frozenset({fault_name}))
    assert PROBES[fault_name](honest) is False, f"the honest server shows the symptom of {fault_name}"
    assert PROBES[fault_name](faulty) is True, f"{fault_name}: {FAULTS[fault_name]} - not observed"
