"""The HAR of a run (``--har``, ``conformance/_har.py``): HAR 1.2 by its schema, secrets masked as in curl
lines, each entry's test and requirements, the raw socket's cancel as far as HAR can say it, and a real HAR
reader (haralyzer) that opens it."""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
from pathlib import Path
from typing import Any, cast

import pytest
from haralyzer import HarParser
from selftest import har_problems

from conformance import _har
from conformance._client import Exchange
from conformance._config import Settings
from conformance._outcomes import CURRENT, Judgement
from conformance._profiles import PROFILES
from conformance._ratelimit import NS_PER_S
from conformance._redact import Redactor
from conformance.suite import _wire
from conformance.suite._fleet import Fleet

TOKEN = "tok-PLANTED-har-41c9"
KEY = "key-PLANTED-har-77d0"
REDACTOR = Redactor.of([TOKEN, KEY])
T0 = 1_767_225_600 * NS_PER_S  # 2026-01-01T00:00:00Z
BASE = "http://127.0.0.1:9"


def exchange(**kw: Any) -> Exchange:
    defaults: dict[str, Any] = {
        "method": "GET",
        "url": f"{BASE}/segment/jobs?limit=2&property=segments~segmentId%3D%3Dseg-1",
        "request_headers": (("Authorization", f"Bearer {TOKEN}"), ("x-api-key", KEY), ("Accept", "*/*")),
        "request_body": None,
        "status": 200,
        "response_headers": (("content-type", "application/json"), ("content-length", "15")),
        "body": b'{"children":[]}',
        "elapsed_s": 0.012,
        "redactor": REDACTOR,
        "started_ns": T0,
    }
    defaults.update(kw)
    return Exchange(**defaults)


def recorded(*exchanges: Exchange, test: str = "", requirements: tuple[str, ...] = ()) -> dict[str, Any]:
    har = _har.HarRecorder(REDACTOR)
    token = CURRENT.set(Judgement(requirements, test=test) if test else None)
    try:
        for each in exchanges:
            har.record(each)
    finally:
        CURRENT.reset(token)
    return har.document(version="0.0-test", run={"seed": 1})


def test_an_exchange_is_a_har_1_2_entry_naming_its_test_and_requirements() -> None:
    document = recorded(
        exchange(), test="test_listing.py::test_a_page", requirements=("SJ-LIST-001", "SJ-LIST-002")
    )
    assert har_problems(document) == []
    log = document["log"]
    assert log["version"] == "1.2" and log["creator"] == {
        "name": "segment-jobs-conformance",
        "version": "0.0-test",
    }
    (entry,) = log["entries"]
    assert entry["startedDateTime"] == "2026-01-01T00:00:00.000Z"
    assert entry["time"] == entry["timings"]["wait"] == 12.0
    assert entry["_segjobs"] == {
        "test": "test_listing.py::test_a_page",
        "requirements": ["SJ-LIST-001", "SJ-LIST-002"],
        "transport": "client",
    }
    assert entry["pageref"] == "test_listing.py::test_a_page"
    assert [page["id"] for page in log["pages"]] == ["test_listing.py::test_a_page"]
    request, response = entry["request"], entry["response"]
    assert request["queryString"] == [
        {"name": "limit", "value": "2"},
        {"name": "property", "value": "segments~segmentId==seg-1"},
    ]
    assert response["status"] == 200 and response["statusText"] == "OK"
    assert response["content"] == {"size": 15, "mimeType": "application/json", "text": '{"children":[]}'}
    assert response["bodySize"] == 15 and "postData" not in request
    assert log["_segjobs"] == {"seed": 1}


def test_outside_a_test_the_entry_names_none() -> None:
    document = recorded(exchange())
    (entry,) = document["log"]["entries"]
    assert entry["_segjobs"]["test"] == "" and entry["_segjobs"]["requirements"] == []
    assert "pageref" not in entry and document["log"]["pages"] == []
    assert har_problems(document) == []


def test_secrets_are_masked_as_in_curl_lines_wherever_they_are() -> None:
    sent = json.dumps({"token": TOKEN, "key": KEY}).encode()
    leaky = exchange(
        method="POST",
        url=f"{BASE}/segment/jobs?echo={TOKEN}&k=%22{KEY}%22",
        request_headers=(
            ("Authorization", f"Bearer {TOKEN}"),
            ("x-api-key", KEY),
            ("Content-Type", "application/json"),
            ("Cookie", "session=abc"),
        ),
        request_body=sent,
        response_headers=(("content-type", "text/html"), ("set-cookie", "s=1"), ("x-echo", TOKEN)),
        body=f"<p>{TOKEN}</p> {json.dumps(KEY)}".encode(),
    )
    document = recorded(leaky, test="t.py::t", requirements=("SJ-AUTH-001",))
    text = json.dumps(document)
    assert TOKEN not in text and KEY not in text
    (entry,) = document["log"]["entries"]
    headers = {h["name"]: h["value"] for h in entry["request"]["headers"]}
    assert headers == {
        "Authorization": "Bearer ***",
        "x-api-key": "***",
        "Content-Type": "application/json",
        "Cookie": "***",
    }
    assert entry["request"]["postData"] == {
        "mimeType": "application/json",
        "text": leaky.redactor.text(sent.decode()),
    }
    assert {h["name"]: h["value"] for h in entry["response"]["headers"]}["set-cookie"] == "***"
    assert entry["request"]["url"] == leaky.redactor.text(leaky.url)
    assert har_problems(document) == []


def test_a_body_that_is_not_utf8_is_kept_in_base64_with_secrets_masked() -> None:
    raw = b"\xff\xfe" + TOKEN.encode() + b"\x00\x81"
    document = recorded(
        exchange(method="POST", request_body=raw, body=raw, response_headers=(("content-type", "x/bin"),))
    )
    assert har_problems(document) == []
    (entry,) = document["log"]["entries"]
    content, post = entry["response"]["content"], entry["request"]["postData"]
    assert content["encoding"] == "base64" and post["_encoding"] == "base64"
    masked = b"\xff\xfe***\x00\x81"
    assert base64.b64decode(content["text"]) == masked == base64.b64decode(post["text"])
    assert content["size"] == len(raw) == entry["request"]["bodySize"]


def test_what_came_encoded_has_no_known_size_on_the_wire_and_any_status_has_a_text() -> None:
    document = recorded(
        exchange(response_headers=(("content-encoding", "gzip"),), status=599),
        exchange(
            status=302, response_headers=(("location", f"{BASE}/elsewhere?t={TOKEN}"),), started_ns=T0 + 1
        ),
    )
    encoded, moved = document["log"]["entries"]
    assert encoded["response"]["bodySize"] == -1 and encoded["response"]["content"]["size"] == 15
    assert encoded["response"]["statusText"] == ""
    assert moved["response"]["redirectURL"] == f"{BASE}/elsewhere?t=***"
    assert har_problems(document) == []


def test_entries_are_in_the_order_their_requests_went_out() -> None:
    late = exchange(url=f"{BASE}/segment/jobs/late", started_ns=T0 + 2 * NS_PER_S)
    early = exchange(url=f"{BASE}/segment/jobs/early", started_ns=T0 + 1)
    same_ms = exchange(url=f"{BASE}/segment/jobs/same", started_ns=T0 + 2)
    document = recorded(late, same_ms, early)
    assert [e["request"]["url"].rsplit("/", 1)[1] for e in document["log"]["entries"]] == [
        "early",
        "same",
        "late",
    ]


@pytest.mark.parametrize(
    ("first", "gap"),
    [(0, NS_PER_S + 1), (999_999, NS_PER_S + 1), (1_000_000 - 1, NS_PER_S + 1), (123_456_789, 2 * NS_PER_S)],
)
def test_a_gap_of_more_than_a_second_stays_at_least_a_second_in_started_date_time(
    first: int, gap: int
) -> None:
    def parse(text: str) -> dt.datetime:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))

    a, b = _har.started_date_time(T0 + first), _har.started_date_time(T0 + first + gap)
    assert (parse(b) - parse(a)).total_seconds() >= 1.0
    assert parse(a) <= dt.datetime.fromtimestamp((T0 + first) / NS_PER_S, dt.timezone.utc)


def test_the_recorder_takes_exchanges_from_many_threads() -> None:
    har = _har.HarRecorder(REDACTOR)

    def worker(n: int) -> None:
        for i in range(50):
            har.record(exchange(started_ns=T0 + n * 1000 + i))

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(30)
    assert len(har) == 200 == len(har.document(version="x")["log"]["entries"])


def _fleet(har: _har.HarRecorder) -> Fleet:
    """A fleet with no job, for its raw-socket record (it sends nothing)."""
    settings = Settings(access_token=TOKEN, api_key=KEY)
    return Fleet(cast(Any, None), cast(Any, None), settings, PROFILES["quick"], (), har=har)


def test_the_raw_cancel_is_in_the_har_as_far_as_har_can_say_it() -> None:
    headers = (("Host", "127.0.0.1:9"), ("Authorization", f"Bearer {TOKEN}"), ("x-api-key", KEY))
    url = f"{BASE}/segment/jobs/j1"
    throttled = _wire.WireResult(
        url=url,
        request_headers=headers,
        first=_wire.RawResponse("1.1", 429, "Slow Down", (("Retry-After", "1"),), b""),
        follow_skipped="the server announced Connection: close",
        sent_ns=T0,
        elapsed_s=0.01,
        port=40001,
    )
    result = _wire.WireResult(
        url=url,
        request_headers=headers,
        first=_wire.RawResponse("1.1", 204, "No Content", (), b""),
        trailing=b'{"leak":"' + TOKEN.encode() + b'"}',
        follow_url=url,
        follow_request_headers=headers,
        follow=_wire.RawResponse("1.0", 200, "Fine", (("Content-Type", "application/json"),), b'{"id":"j1"}'),
        later=(cast(_wire.RawResponse, throttled.first),),
        earlier=(throttled,),
        sent_ns=T0 + 2 * NS_PER_S,
        follow_sent_ns=T0 + 2 * NS_PER_S + 500_000_000,
        elapsed_s=0.6,
        port=40002,
    )
    har = _har.HarRecorder(Settings(access_token=TOKEN, api_key=KEY).redactor)
    fleet = _fleet(har)
    for attempt in (*result.earlier, result):
        fleet._record_wire(attempt)
    document = har.document(version="x")
    assert har_problems(document) == []
    assert TOKEN not in json.dumps(document) and KEY not in json.dumps(document)
    later, cancel, follow = document["log"]["entries"]
    assert [e["request"]["method"] for e in (later, cancel, follow)] == ["DELETE", "DELETE", "GET"]
    assert all(e["_segjobs"]["transport"] == "raw socket" for e in (later, cancel, follow))
    assert (later["response"]["status"], later["response"]["statusText"]) == (429, "Slow Down")
    assert later["_segjobs"]["next_request_not_sent"] == "the server announced Connection: close"
    assert later["connection"] == "40001" and cancel["connection"] == follow["connection"] == "40002"
    assert cancel["response"]["content"]["size"] == 0 and cancel["response"]["content"]["text"] == ""
    assert cancel["_segjobs"]["bytes_after_head"] == '{"leak":"***"}'
    assert cancel["time"] == 500.0 and follow["time"] == 100.0
    assert follow["response"]["httpVersion"] == "HTTP/1.0" and follow["response"]["statusText"] == "Fine"
    assert follow["startedDateTime"] == "2026-01-01T00:00:02.500Z"


def test_a_real_har_reader_opens_it(tmp_path: Path) -> None:
    """haralyzer, through its public API: the pages (one per test, and its page of entries with none), the
    entries with their requests, answers and start times."""
    listing = exchange(started_ns=T0)
    create = exchange(
        method="POST",
        url=f"{BASE}/segment/jobs",
        request_body=b'[{"segmentId":"seg-1"}]',
        status=200,
        started_ns=T0 + NS_PER_S,
    )
    har = _har.HarRecorder(REDACTOR)
    har.record(listing)  # outside a test
    token = CURRENT.set(Judgement(("SJ-CREATE-001",), test="test_create_get.py::test_create"))
    try:
        har.record(create)
    finally:
        CURRENT.reset(token)
    path = tmp_path / "nested" / "run.har"
    _har.write(path, har.document(version="x"))
    parser = HarParser.from_file(str(path))
    assert parser.version == "1.2" and parser.creator["name"] == "segment-jobs-conformance"
    pages = {page.page_id: page for page in parser.pages}
    assert set(pages) == {"unknown", "test_create_get.py::test_create"}
    (entry,) = pages["test_create_get.py::test_create"].entries
    assert entry.request.method == "POST" and entry.response.status == 200
    assert entry.startTime == dt.datetime(2026, 1, 1, 0, 0, 1, tzinfo=dt.timezone.utc)
    assert entry.request.get_header_value("Authorization") == "Bearer ***"
    assert [e.url for e in pages["unknown"].entries] == [listing.url]
    assert len(pages["test_create_get.py::test_create"].post_requests) == 1
