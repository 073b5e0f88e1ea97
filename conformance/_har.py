"""The exchanges of a run as an HTTP Archive, HAR 1.2 (``--har FILE``).

Every exchange of the run that got an HTTP answer is one entry of ``log.entries``, in the order the requests
went out: those of :class:`~conformance._client.ApiClient` (scenario, property and stateful tests, the fleet,
the reachability probe, the clean-up, each answer a 429 or 503 "later" and each 3xx the suite did not follow),
and those of the raw socket (the cancel of the fleet's ``cancelled`` job and the GET sent after it on the same
connection). A request that got no answer at all (a timeout, a reset) has no response for HAR to hold: the
failure it caused, in ``results.json``, names it.

Secrets are masked as in curl lines (:class:`~conformance._redact.Redactor`: the URL, the header values, both
bodies), and the finished document is masked once more as a whole.

HAR fields and what they hold here (HAR 1.2 allows fields of one's own, their names starting with ``_``):

- ``startedDateTime``: the moment the request went out, as the run's rate limiter granted it
  (:mod:`conformance._ratelimit`), to the millisecond: the spacing of a HAR is the spacing the limiter kept.
- ``time`` and ``timings.wait``: the whole exchange, from the request to the end of the answer (the client
  does not time its phases: ``send`` and ``receive`` are 0; ``blocked``, ``dns``, ``connect``, ``ssl`` -1).
  The raw socket's cancel counts until the next request went out: it waits for bytes after a 204's head.
- ``request.bodySize``: the body sent; ``response.content.size``: the body received, decoded (gzip, chunked);
  ``response.bodySize`` -1 when the body came encoded (its size on the wire is unknown), ``headersSize`` -1.
- ``statusText``: the reason phrase the raw socket read; for the client's answers the standard phrase of the
  status (the client keeps no reason phrase).
- a body that is not UTF-8 is kept in base64: ``content.encoding`` (HAR's own field) in an answer,
  ``postData._encoding`` in a request.
- ``pages``: one per test that sent a request, with the test's id; an entry's ``pageref`` names its page.
- ``connection``: for the raw socket, the local port of its TCP connection (the cancel and the GET after it
  share one); unknown for the client's requests, so left out.
- ``_segjobs`` of an entry: ``test``, the pytest id of the test whose call sent it, as ``results.json``
  names tests (empty outside a test's call: the reachability probe, fixtures such as the fleet's jobs, the
  clean-up); ``requirements``, the requirement IDs that test can fail; ``transport``, ``client`` or
  ``raw socket``; and for the raw socket what HAR has no field for: ``bytes_after_head`` (what a 204 or 304
  carried after its head; its content stays empty, as HTTP frames it) and what became of the next request
  on the connection.
- ``_segjobs`` of the log: the run's seed, profile, target, rate limit, verdict and, for a run cut short, why.
"""

from __future__ import annotations

import base64
import datetime as dt
import http
import json
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from conformance._client import Exchange
from conformance._outcomes import CURRENT
from conformance._ratelimit import now_ns
from conformance._redact import Redactor

HAR_VERSION = "1.2"
CREATOR = "segment-jobs-conformance"
CLIENT = "client"
RAW_SOCKET = "raw socket"

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_NOT_TIMED = {"blocked": -1, "dns": -1, "connect": -1, "ssl": -1}


def started_date_time(ns: int) -> str:
    """ISO 8601 in UTC to the millisecond (cut, not rounded: a gap of a second stays one)."""
    moment = _EPOCH + dt.timedelta(microseconds=ns // 1000)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _body(data: bytes, redactor: Redactor) -> tuple[str, str | None]:
    """A body as HAR text, secrets masked: UTF-8 as it is, anything else in base64 (and its encoding)."""
    try:
        return redactor.text(data.decode("utf-8")), None
    except UnicodeDecodeError:
        masked = redactor.text(data.decode("latin-1")).encode("latin-1")
        return base64.b64encode(masked).decode("ascii"), "base64"


def _headers(headers: tuple[tuple[str, str], ...], redactor: Redactor) -> list[dict[str, str]]:
    return [{"name": name, "value": redactor.header_value(name, value)} for name, value in headers]


def _header(headers: tuple[tuple[str, str], ...], name: str) -> str | None:
    return next((value for key, value in headers if key.lower() == name.lower()), None)


def _request(exchange: Exchange, redactor: Redactor) -> dict[str, Any]:
    query = parse_qsl(urlsplit(exchange.url).query, keep_blank_values=True)
    request: dict[str, Any] = {
        "method": exchange.method,
        "url": redactor.text(exchange.url),
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": _headers(exchange.request_headers, redactor),
        "queryString": [{"name": redactor.text(k), "value": redactor.text(v)} for k, v in query],
        "headersSize": -1,
        "bodySize": len(exchange.request_body or b""),
    }
    if exchange.request_body is not None:
        text, encoding = _body(exchange.request_body, redactor)
        post: dict[str, Any] = {
            "mimeType": _header(exchange.request_headers, "content-type") or "",
            "text": text,
        }
        if encoding is not None:
            post["_encoding"] = encoding
        request["postData"] = post
    return request


def _response(
    exchange: Exchange, redactor: Redactor, http_version: str, status_text: str | None
) -> dict[str, Any]:
    status = exchange.status or 0
    if status_text is None:
        try:
            status_text = http.HTTPStatus(status).phrase
        except ValueError:
            status_text = ""
    text, encoding = _body(exchange.body, redactor)
    content: dict[str, Any] = {
        "size": len(exchange.body),
        "mimeType": exchange.header("content-type") or "",
        "text": text,
    }
    if encoding is not None:
        content["encoding"] = encoding
    return {
        "status": status,
        "statusText": status_text,
        "httpVersion": http_version,
        "cookies": [],
        "headers": _headers(exchange.response_headers, redactor),
        "content": content,
        "redirectURL": redactor.text(exchange.header("location") or ""),
        "headersSize": -1,
        "bodySize": -1 if exchange.header("content-encoding") else len(exchange.body),
    }


def entry(
    exchange: Exchange,
    redactor: Redactor,
    *,
    test: str = "",
    requirements: tuple[str, ...] = (),
    transport: str = CLIENT,
    connection: str | None = None,
    http_version: str = "HTTP/1.1",
    status_text: str | None = None,
    notes: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The HAR entry of one exchange, secrets masked."""
    started = exchange.started_ns or now_ns() - round(exchange.elapsed_s * 1e9)
    time_ms = round(max(exchange.elapsed_s, 0.0) * 1000, 3)
    found: dict[str, Any] = {
        "startedDateTime": started_date_time(started),
        "time": time_ms,
        "request": _request(exchange, redactor),
        "response": _response(exchange, redactor, http_version, status_text),
        "cache": {},
        "timings": {**_NOT_TIMED, "send": 0, "wait": time_ms, "receive": 0},
        "_segjobs": {
            "test": test,
            "requirements": list(requirements),
            "transport": transport,
            **{key: redactor.text(value) for key, value in (notes or {}).items()},
        },
    }
    if test:
        found["pageref"] = test
    if connection is not None:
        found["connection"] = connection
    return found


class HarRecorder:
    """Collects the entries of a run as they happen (thread-safe); :meth:`document` makes the HAR of them.

    Each entry names the test that was running when its request went out (``conformance._outcomes.CURRENT``,
    set by the plugin around each test's call)."""

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor
        self._entries: list[tuple[int, dict[str, Any]]] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def record(
        self,
        exchange: Exchange,
        *,
        transport: str = CLIENT,
        connection: str | None = None,
        http_version: str = "HTTP/1.1",
        status_text: str | None = None,
        notes: Mapping[str, str] | None = None,
    ) -> None:
        """Adds the exchange, with the running test and its requirements (none outside a test's call)."""
        judgement = CURRENT.get()
        made = entry(
            exchange,
            self.redactor,
            test=judgement.test if judgement is not None else "",
            requirements=judgement.requirements if judgement is not None else (),
            transport=transport,
            connection=connection,
            http_version=http_version,
            status_text=status_text,
            notes=notes,
        )
        with self._lock:
            self._entries.append((exchange.started_ns or now_ns(), made))

    def pairs(self) -> list[tuple[int, dict[str, Any]]]:
        """The entries with the moments their requests went out (what :meth:`extend` takes)."""
        with self._lock:
            return list(self._entries)

    def extend(self, pairs: list[tuple[int, dict[str, Any]]]) -> None:
        """Adds entries another recorder made (the workers of a run)."""
        with self._lock:
            self._entries.extend((int(ns), made) for ns, made in pairs)

    def entries(self) -> list[dict[str, Any]]:
        """The entries in the order their requests went out."""
        with self._lock:
            recorded = list(self._entries)
        return [made for _, made in sorted(recorded, key=lambda pair: pair[0])]

    def document(self, *, version: str, run: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The HAR document (``{"log": ...}``), masked as a whole; ``run`` goes to ``log._segjobs``."""
        entries = self.entries()
        pages: dict[str, dict[str, Any]] = {}
        for made in entries:
            test = made["_segjobs"]["test"]
            if test and test not in pages:
                pages[test] = {
                    "startedDateTime": made["startedDateTime"],
                    "id": test,
                    "title": test,
                    "pageTimings": {"onContentLoad": -1, "onLoad": -1},
                }
        log: dict[str, Any] = {
            "version": HAR_VERSION,
            "creator": {"name": CREATOR, "version": version},
            "pages": list(pages.values()),
            "entries": entries,
            "comment": "the exchanges of a segment-jobs-conformance run; _segjobs names each entry's test",
        }
        if run is not None:
            log["_segjobs"] = dict(run)
        masked: dict[str, Any] = self.redactor.data({"log": log})  # type: ignore[assignment]
        return masked


def write(path: Path, document: Mapping[str, Any]) -> None:
    """Writes the HAR (its folder created), replacing the file only once the whole of it is written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)
