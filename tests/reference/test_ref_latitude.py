"""The variants of the latitude the doc and HTTP leave a server: each one shown over HTTP, then every fault
shown again behind the variants that leave its symptom visible.

The job-life variants (cancel delay, removal of cancelled jobs, listing lag) run on the fake clock, so their
seconds pass without sleeping; the HTTP variants are read off the wire, with raw sockets where a client
library would hide what the server did.
"""

from __future__ import annotations

import gzip
import json
import socket
import time
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from test_ref_faults import PROBES

from conformance.reference import FAULTS

PREFIX = "/data/core/ups"


def ids(jobs: list[dict[str, Any]]) -> list[str]:
    return [job["id"] for job in jobs]


def created(api: Any, count: int) -> list[str]:
    """``count`` jobs, 10 ms apart, oldest first."""
    job_ids = []
    for _ in range(count):
        job_ids.append(api.create()["id"])
        api.advance(0.01)
    return job_ids


def listing(api: Any, query: str) -> httpx.Response:
    response: httpx.Response = api.http.get(f"/segment/jobs?{query}")
    return response


def assert_problem(response: httpx.Response, status: int, *words: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    problem = response.json()
    assert problem["status"] == status
    assert all(word in problem["detail"] for word in words), problem


# -- the listing's query ------------------------------------------------------------------------------------


def test_lenient_query_ignores_or_clamps_invalid_values(make_api: Any, fake_clock: Any) -> None:
    api = make_api(clock=fake_clock, lenient_query=True)
    newest_first = created(api, 3)[::-1]
    for query in ("sort=", "sort=creationTime:up", "sort=creationTime", "sort=foo:asc"):
        page = listing(api, query)
        assert page.status_code == 200, (query, page.text)
        assert ids(page.json()["children"]) == newest_first, query  # the default order
        assert "sort" not in page.json()["_links"]["next"].get("href", "")
    for query in ("limit=0", "limit=-1"):
        page = listing(api, query).json()
        assert page["_page"] == {"totalCount": 3, "pageSize": 1}, query
        assert page["_links"]["next"]["href"] == "/segment/jobs?start=1&limit=1"
    assert listing(api, "limit=abc").json()["_page"] == {"totalCount": 3, "pageSize": 3}
    for query in ("start=-1", "start=abc"):
        assert ids(listing(api, query).json()["children"]) == newest_first, query
    for query in ("status=DONE", "status=new", "status="):
        page = listing(api, query).json()
        assert page["_page"] == {"totalCount": 0, "pageSize": 0} and page["children"] == [], query
    assert ids(listing(api, "sort=creationTime:asc&limit=0").json()["children"]) == newest_first[-1:]
    # still refused: a property in neither form, a parameter given twice
    assert_problem(listing(api, "property=segments"), 400, "property")
    assert_problem(listing(api, "limit=1&limit=2"), 400, "more than once")


def test_the_strict_default_refuses_what_the_lenient_query_reads(make_api: Any, fake_clock: Any) -> None:
    api = make_api(clock=fake_clock)
    refused = ("sort=", "sort=creationTime:up", "limit=0", "limit=-1", "limit=abc", "start=-1", "status=DONE")
    for query in refused:
        assert_problem(listing(api, query), 400)


def test_refuse_filter_paths_filters_only_on_segment_id_and_status(make_api: Any, fake_clock: Any) -> None:
    api = make_api(clock=fake_clock, refuse_filter_paths=True)
    first_segment, second_segment = api.settings.segment_ids[:2]
    job, other = api.create(first_segment), api.create(second_segment)
    for refused in (f"id=={job['id']}", "sandbox.sandboxName==prod", f"imsOrgId=={job['imsOrgId']}"):
        response = api.http.get("/segment/jobs", params={"property": refused})
        assert_problem(response, 400, "segments~segmentId", "status", refused)
    by_segment = api.list(property=f"segments~segmentId=={first_segment}")
    assert ids(by_segment["children"]) == [job["id"]]
    assert {job["id"], other["id"]} == set(ids(api.list(property="status==NEW")["children"]))


def test_refuse_sort_attributes_sorts_only_on_the_two_times(make_api: Any, fake_clock: Any) -> None:
    api = make_api(clock=fake_clock, refuse_sort_attributes=True)
    oldest_first = created(api, 3)
    for refused in ("id:asc", "status:desc", "foo:asc"):
        assert_problem(listing(api, f"sort={refused}"), 400, "creationTime, updateTime", refused)
    assert ids(api.list(sort="creationTime:asc")["children"]) == oldest_first
    assert ids(api.list(sort="updateTime:desc")["children"]) == oldest_first[::-1]
    # with the lenient query too, a malformed sort is ignored but an unsupported attribute is still refused
    both = make_api(clock=fake_clock, refuse_sort_attributes=True, lenient_query=True)
    both.create()
    assert listing(both, "sort=creationTime:up").status_code == 200
    assert_problem(listing(both, "sort=id:asc"), 400, "creationTime, updateTime")


# -- bulk-get ------------------------------------------------------------------------------------------------


def test_bulk_unknown_error_object_lists_unknown_ids_as_nested_errors(make_api: Any, fake_clock: Any) -> None:
    api = make_api(clock=fake_clock, bulk_unknown="error-object")
    job = api.create()
    foreign = api.in_sandbox("dev").create()
    response = api.bulk_get(job["id"], "no-such-job", foreign["id"])
    assert response.status_code == 207
    results = response.json()["results"]
    assert results[job["id"]] == api.get(job["id"])
    for missing in ("no-such-job", foreign["id"]):
        assert results[missing] == {"id": missing, "error": {"status": 404, "message": "not found"}}
    assert api.bulk_get().json() == {"results": {}}


# -- effects that come later (fake clock; jobs run 1 s) ------------------------------------------------------


def test_cancel_delay_answers_at_once_and_applies_the_cancel_later(make_api: Any, fake_clock: Any) -> None:
    api = make_api(clock=fake_clock, cancel_delay_seconds=0.6)
    job = api.create()
    api.advance(0.8)  # PROCESSING; it would end SUCCEEDED at 1.0 s
    cancelled_at = fake_clock.ms
    assert api.cancel(job["id"]).status_code == 204
    before = api.get(job["id"])
    assert before["status"] == "PROCESSING"
    api.advance(0.4)  # past its planned end: an accepted cancel is not lost to the job finishing
    assert api.get(job["id"]) == before
    assert api.cancel(job["id"]).status_code == 204  # a second cancel changes nothing
    assert [child["status"] for child in api.list()["children"]] == ["PROCESSING"]
    api.advance(0.21)  # the cancel takes effect 0.6 s after the 204
    cancelling = api.get(job["id"])
    assert cancelling["status"] == "CANCELLING"
    assert cancelling["updateTime"] == cancelled_at + 600
    api.advance(0.2)
    assert api.status(job["id"]) == "CANCELLED"
    finished = api.create()
    api.advance(1.1)
    assert api.cancel(finished["id"]).status_code == 204  # a finished job stays as it is
    api.advance(1)
    assert api.status(finished["id"]) == "SUCCEEDED"


def test_delete_cancelled_removes_the_job_everywhere_at_once(make_api: Any, fake_clock: Any) -> None:
    api = make_api(clock=fake_clock, delete_cancelled_seconds=0.5)
    kept, job = api.create(), api.create()
    api.advance(0.3)
    assert api.cancel(job["id"]).status_code == 204
    api.advance(0.11)  # CANCELLING lasts 0.1 s
    assert api.status(job["id"]) == "CANCELLED"
    api.advance(0.45)  # 0.45 s of the 0.5: still readable everywhere
    assert api.get(job["id"])["status"] == "CANCELLED"
    assert set(ids(api.list()["children"])) == {kept["id"], job["id"]}
    assert set(api.bulk_get(job["id"], kept["id"]).json()["results"]) == {kept["id"], job["id"]}
    api.advance(0.06)
    assert_problem(api.http.get(f"/segment/jobs/{job['id']}"), 404)
    assert_problem(api.cancel(job["id"]), 404)
    assert api.list()["_page"]["totalCount"] == 1 and ids(api.list()["children"]) == [kept["id"]]
    assert list(api.bulk_get(job["id"], kept["id"]).json()["results"]) == [kept["id"]]
    # removed by its timeline: a job nobody read once it was CANCELLED is gone all the same
    unseen = api.create()
    api.cancel(unseen["id"])
    api.advance(0.7)
    assert api.http.get(f"/segment/jobs/{unseen['id']}").status_code == 404
    assert api.status(kept["id"]) == "SUCCEEDED"


def test_listing_lag_shows_jobs_as_they_were_while_get_is_current(make_api: Any, fake_clock: Any) -> None:
    api = make_api(clock=fake_clock, listing_lag_seconds=1.0)
    job = api.create()
    api.advance(0.3)
    assert api.status(job["id"]) == "PROCESSING"
    [listed] = api.list()["children"]
    assert listed["status"] == "NEW" and listed["updateTime"] == job["creationTime"]  # younger than the lag
    assert api.list(status="NEW")["_page"]["totalCount"] == 1
    assert api.list(status="PROCESSING")["_page"]["totalCount"] == 0
    api.advance(0.9)  # 1.2 s: SUCCEEDED; the listing shows it at 0.2 s, QUEUED
    current = api.get(job["id"])
    assert current["status"] == "SUCCEEDED"
    [listed] = api.list()["children"]
    assert listed["status"] == "QUEUED" and "batchId" not in listed and "metrics" not in listed
    assert listed["updateTime"] == job["creationTime"] + 100
    assert api.list(property="status==QUEUED")["_page"]["totalCount"] == 1
    assert api.bulk_get(job["id"]).json()["results"][job["id"]] == current  # bulk-get is current
    api.advance(1.0)
    assert api.list()["children"] == [api.get(job["id"])]  # settled: the same everywhere


# -- "later, please": 429 and 503 ----------------------------------------------------------------------------


def test_throttle_every_answers_every_nth_request_429(make_api: Any, fake_clock: Any) -> None:
    api = make_api(clock=fake_clock, throttle_every=6)
    job = api.create()  # 1
    statuses = [
        api.http.get(f"/segment/jobs/{job['id']}").status_code,  # 2
        httpx.get(api.base_url + "/segment/jobs").status_code,  # 3: no credentials, refused 403, counts
        api.http.get("/no-such-path").status_code,  # 4
        api.http.delete(f"/segment/jobs/{job['id']}").status_code,  # 5
    ]
    assert statuses == [200, 403, 404, 204]
    throttled = api.http.get("/segment/jobs")  # 6
    assert_problem(throttled, 429, "Retry after 1 second")
    assert throttled.headers["retry-after"] == "1"
    assert [api.http.get("/segment/jobs").status_code for _ in range(7)] == [200] * 5 + [429, 200]


def test_unavailable_every_answers_every_nth_request_503(make_api: Any, fake_clock: Any) -> None:
    api = make_api(clock=fake_clock, unavailable_every=3)
    answers = [api.http.get("/segment/jobs") for _ in range(6)]
    assert [answer.status_code for answer in answers] == [200, 200, 503, 200, 200, 503]
    assert_problem(answers[2], 503, "Retry after 1 second")
    assert answers[2].headers["retry-after"] == "1"
    both = make_api(clock=fake_clock, throttle_every=2, unavailable_every=3)
    assert [both.http.get("/segment/jobs").status_code for _ in range(6)] == [200, 429, 503, 429, 200, 429]


# -- HTTP ----------------------------------------------------------------------------------------------------


class Wire:
    """One raw HTTP/1.1 connection to the server of ``api``, sending the API's credentials."""

    def __init__(self, api: Any, timeout: float = 5.0) -> None:
        url = urlsplit(api.base_url)
        assert url.hostname is not None and url.port is not None
        self.host = f"{url.hostname}:{url.port}"
        self.prefix = url.path
        self.headers = api.headers
        self.sock = socket.create_connection((url.hostname, url.port), timeout=timeout)
        self.file = self.sock.makefile("rb")

    def send(self, method: str, path: str, *extra: str) -> None:
        lines = [f"{method} {self.prefix}{path} HTTP/1.1", f"Host: {self.host}", *extra]
        lines += [f"{name}: {value}" for name, value in self.headers.items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())

    def response(self) -> tuple[int, dict[str, str], bytes, int]:
        """The next response: status, headers (lower-case names), body, and how many chunks carried it."""
        status = int(self.file.readline().split()[1])
        headers: dict[str, str] = {}
        while (line := self.file.readline().rstrip(b"\r\n")) != b"":
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding") == "chunked":
            body, chunks = b"", 0
            while size := int(self.file.readline().strip(), 16):
                body += self.file.read(size)
                self.file.readline()
                chunks += 1
            self.file.readline()  # the empty line after the last chunk
            return status, headers, body, chunks
        return status, headers, self.file.read(int(headers.get("content-length", "0"))), 0

    def closed_by_server(self) -> bool:
        """Whether the server has closed the connection (nothing more comes), within the socket's timeout."""
        try:
            return self.file.read(1) == b""
        except TimeoutError:
            return False

    def close(self) -> None:
        self.file.close()
        self.sock.close()


def test_connection_close_closes_after_every_answer(make_api: Any, fake_clock: Any) -> None:
    api = make_api(clock=fake_clock, connection_close=True)
    job = api.create()
    exchanges = (("GET", "/segment/jobs", 200), ("DELETE", f"/segment/jobs/{job['id']}", 204))
    for method, path, expected in exchanges:
        wire = Wire(api)
        wire.send(method, path)  # HTTP/1.1 without Connection: close, so keep-alive is the default
        status, headers, _, _ = wire.response()
        assert (status, headers["connection"]) == (expected, "close")
        assert wire.closed_by_server()
        wire.close()
    keeping = Wire(make_api(clock=fake_clock), timeout=0.3)  # the default server keeps the connection
    keeping.send("GET", "/segment/jobs")
    assert "connection" not in keeping.response()[1] and not keeping.closed_by_server()
    keeping.close()


def test_idle_close_closes_idle_keep_alive_connections(make_api: Any, fake_clock: Any) -> None:
    api = make_api(clock=fake_clock, idle_close_seconds=0.3)
    wire = Wire(api)
    for _ in range(2):  # a connection in use stays open
        wire.send("GET", "/segment/jobs")
        assert wire.response()[0] == 200
    idle_since = time.monotonic()
    assert wire.closed_by_server()
    assert 0.2 < time.monotonic() - idle_since < 3
    wire.close()


def test_gzip_encodes_bodies_when_the_client_accepts_it(make_api: Any, fake_clock: Any) -> None:
    api = make_api(clock=fake_clock, gzip=True)
    job = api.create()
    with api.http.stream("GET", "/segment/jobs", headers={"Accept-Encoding": "gzip"}) as response:
        raw = b"".join(response.iter_raw())
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"
    assert int(response.headers["content-length"]) == len(raw)
    assert json.loads(gzip.decompress(raw))["children"][0]["id"] == job["id"]
    missing = api.http.get("/segment/jobs/no-such-job", headers={"Accept-Encoding": "gzip"})
    assert missing.headers["content-encoding"] == "gzip" and missing.json()["status"] == 404
    plain = api.http.get("/segment/jobs", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.json()["children"][0]["id"] == job["id"]
    cancelled = api.http.delete(f"/segment/jobs/{job['id']}", headers={"Accept-Encoding": "gzip"})
    assert cancelled.status_code == 204 and "content-encoding" not in cancelled.headers
    assert cancelled.content == b""


def test_chunked_frames_bodies_in_chunks_but_not_a_204(make_api: Any, fake_clock: Any) -> None:
    api = make_api(clock=fake_clock, chunked=True)
    jobs = [api.create() for _ in range(3)]
    wire = Wire(api)
    wire.send("GET", "/segment/jobs")
    status, headers, body, chunks = wire.response()
    assert status == 200 and headers["transfer-encoding"] == "chunked" and "content-length" not in headers
    assert chunks > 1 and len(body) > 1024
    assert {job["id"] for job in jobs} == set(ids(json.loads(body)["children"]))
    wire.send("GET", "/segment/jobs/no-such-job")
    status, headers, body, chunks = wire.response()
    assert (status, headers["transfer-encoding"], json.loads(body)["status"]) == (404, "chunked", 404)
    wire.send("DELETE", f"/segment/jobs/{jobs[0]['id']}")
    status, headers, body, chunks = wire.response()
    assert status == 204 and "transfer-encoding" not in headers and body == b""
    wire.send("GET", "/segment/jobs")  # the same connection still serves
    assert wire.response()[0] == 200
    wire.close()
    assert api.list()["_page"]["totalCount"] == 3  # and a client library reads it as any answer


def test_path_prefix_serves_the_api_under_it_and_links_carry_it(make_api: Any, fake_clock: Any) -> None:
    api = make_api(clock=fake_clock, path_prefix=PREFIX)
    assert api.base_url == api.server.base_url + PREFIX
    job = api.create()
    href = f"{PREFIX}/segment/jobs/{job['id']}"
    assert job["_links"] == {
        "cancel": {"href": href, "method": "DELETE"},
        "checkStatus": {"href": href, "method": "GET"},
    }
    assert httpx.get(urljoin(api.base_url, href), headers=api.headers).json() == api.get(job["id"])
    api.create()
    page = api.list(limit=1, status="NEW")
    assert page["_links"]["next"]["href"] == f"{PREFIX}/segment/jobs?start=1&limit=1&status=NEW"
    assert len(api.walk("/segment/jobs?limit=1")) == 2  # next links resolved against the page's URL
    outside = httpx.get(api.server.base_url + "/segment/jobs", headers=api.headers)
    assert_problem(outside, 404, "/segment/jobs")
    assert api.bulk_get(job["id"]).json()["results"][job["id"]]["_links"]["checkStatus"]["href"] == href


def test_absolute_links_are_urls_of_the_requests_origin(make_api: Any, fake_clock: Any) -> None:
    api = make_api(clock=fake_clock, absolute_links=True)
    origin = api.server.base_url
    job = api.create()
    assert job["_links"]["checkStatus"]["href"] == f"{origin}/segment/jobs/{job['id']}"
    assert api.get(job["id"])["_links"]["cancel"]["href"] == f"{origin}/segment/jobs/{job['id']}"
    api.create()
    next_href = api.list(limit=1)["_links"]["next"]["href"]
    assert next_href == f"{origin}/segment/jobs?start=1&limit=1"
    assert httpx.get(next_href, headers=api.headers).json()["_page"]["pageSize"] == 1
    port = urlsplit(origin).port
    by_name = api.http.get(f"/segment/jobs/{job['id']}", headers={"Host": f"localhost:{port}"}).json()
    assert by_name["_links"]["cancel"]["href"] == f"http://localhost:{port}/segment/jobs/{job['id']}"
    prefixed = make_api(clock=fake_clock, absolute_links=True, path_prefix=PREFIX)
    job = prefixed.create()
    assert job["_links"]["cancel"]["href"] == f"{prefixed.server.base_url}{PREFIX}/segment/jobs/{job['id']}"


# -- faults behind the variants ------------------------------------------------------------------------------

#: Variants under which every fault's probe still reads as it does on the default server (the timing and load
#: variants, the refused filter paths and the error entries of bulk-get change what the probes rely on).
BEHIND: dict[str, Any] = {
    "lenient_query": True,
    "refuse_sort_attributes": True,
    "connection_close": True,
    "idle_close_seconds": 1.0,
    "gzip": True,
    "chunked": True,
    "path_prefix": PREFIX,
    "absolute_links": True,
}


@pytest.mark.parametrize("fault_name", list(FAULTS))
def test_every_fault_still_shows_behind_the_variants(make_api: Any, new_clock: Any, fault_name: str) -> None:
    honest = make_api(clock=new_clock(), **BEHIND)
    faulty = make_api(clock=new_clock(), faults=frozenset({fault_name}), **BEHIND)
    assert PROBES[fault_name](honest) is False, f"the honest server shows the symptom of {fault_name}"
    assert PROBES[fault_name](faulty) is True, f"{fault_name}: {FAULTS[fault_name]} - not observed"
