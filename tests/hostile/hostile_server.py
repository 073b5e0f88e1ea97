"""Servers that misbehave on purpose, over raw sockets, to prove the suite copes (standard library only).

An HTTP library will not hang, reset, drip or lie about framing on request, so these speak HTTP/1.1 by hand.
Every request is read in full (head, then a ``Content-Length`` body) and recorded before the mode decides
what, if anything, goes back:

================  ===========================================================================================
mode              answer
================  ===========================================================================================
hang              none: the connection stays open and silent until the server stops
reset             none: the connection is closed with ``SO_LINGER`` 0, so the client sees a TCP reset
invalid-json      200 ``application/json`` whose body is not JSON
body-after-204    a small honest Segment Jobs API, except that a cancel's 204 is followed by a JSON body
drip              a valid head, then the body one byte every 0.5 s
huge              200 ``application/json`` announcing and streaming a 64 MiB body
redirect          302 to the same path on ``redirect_to`` (a :class:`RecordingServer` on another address)
drip-head         the head itself, one byte every 0.5 s, never ending (no body chunk ever arrives)
foreign-link      the small API of ``body-after-204`` with an honest cancel, except that every listing page
                  links its next page on ``redirect_to``
================  ===========================================================================================

:class:`RecordingServer` answers every request with an empty listing page and keeps the headers it got.

:class:`HonestProxy` stands in front of an honest server (the reference server) and passes every request on,
doing one thing HTTP allows that a naive client would take for a fault:

===================  ======================================================================================
proxy mode           what it does
===================  ======================================================================================
throttle-every-6th   answers every 6th request it gets (re-sends included) 429 with ``Retry-After: 1``
                     instead of passing it on
unavailable-every-7  answers every 7th request 503 with a ``Retry-After`` date 2 s ahead (RFC 9110's
                     HTTP-date), instead of passing it on
close-after-204      closes the connection right after every 204, without announcing it
connection-close     sends ``Connection: close`` on every answer and closes the connection
===================  ======================================================================================
"""

from __future__ import annotations

import contextlib
import email.utils
import http.client
import itertools
import json
import socket
import struct
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

MODES = (
    "hang",
    "reset",
    "invalid-json",
    "body-after-204",
    "drip",
    "huge",
    "redirect",
    "drip-head",
    "foreign-link",
)
HUGE_BYTES = 64 * 1024 * 1024
DRIP_SECONDS = 0.5
MAX_HEAD = 64 * 1024
EMPTY_PAGE = {"_page": {"totalCount": 0, "pageSize": 0}, "children": [], "_links": {"next": {}}}


@dataclass(frozen=True)
class Received:
    """One request as it arrived."""

    method: str
    target: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    @property
    def path(self) -> str:
        return urlsplit(self.target).path


_S = TypeVar("_S", bound="RawServer")


class _Closed(Exception):
    """The peer closed the connection, or the server is stopping."""


class RawServer:
    """Accepts connections on ``host`` (a free port) and hands each request to :meth:`answer`."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._listener = socket.create_server((host, 0))
        self.host = host
        self.port = int(self._listener.getsockname()[1])
        self.received: list[Received] = []
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._thread = threading.Thread(target=self._accept_loop, name=f"raw-{host}", daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self: _S) -> _S:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._listener.close()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            _close_quietly(conn)
        self._thread.join(5)

    def __enter__(self: _S) -> _S:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def answer(self, conn: socket.socket, request: Received) -> bool:
        """Answers one request; True keeps the connection for the next one."""
        raise NotImplementedError

    # -- plumbing ------------------------------------------------------------------------------------------
    def _accept_loop(self) -> None:
        self._listener.settimeout(0.2)  # a closed listener does not wake a blocked accept()
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(None)
            with self._lock:
                self._connections.add(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        buffer = bytearray()
        try:
            while not self._stopping.is_set():
                request = self._read_request(conn, buffer)
                with self._lock:
                    self.received.append(request)
                conn.settimeout(10.0)  # writes to a client that stopped reading give up
                if not self.answer(conn, request):
                    break
        except (_Closed, OSError):
            pass
        finally:
            with self._lock:
                self._connections.discard(conn)
            _close_quietly(conn)

    def _recv(self, conn: socket.socket, buffer: bytearray) -> None:
        conn.settimeout(0.5)
        while not self._stopping.is_set():
            try:
                data = conn.recv(65536)
            except TimeoutError:
                continue
            if not data:
                raise _Closed
            buffer += data
            return
        raise _Closed

    def _read_request(self, conn: socket.socket, buffer: bytearray) -> Received:
        while b"\r\n\r\n" not in buffer:
            if len(buffer) > MAX_HEAD:
                raise _Closed
            self._recv(conn, buffer)
        head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _version = lines[0].split(" ", 2)
        headers = tuple(
            (name.strip(), value.strip()) for name, _, value in (line.partition(":") for line in lines[1:])
        )
        length = int(next((v for k, v in headers if k.lower() == "content-length"), "0") or 0)
        buffer[:] = rest
        while len(buffer) < length:
            self._recv(conn, buffer)
        body = bytes(buffer[:length])
        del buffer[:length]
        return Received(method, target, headers, body)

    def wait(self, seconds: float) -> bool:
        """Sleeps up to ``seconds``; True when the server is stopping."""
        return self._stopping.wait(seconds)


def _close_quietly(conn: socket.socket) -> None:
    with contextlib.suppress(OSError):
        conn.shutdown(socket.SHUT_RDWR)
    conn.close()


def head_bytes(status: int, reason: str, headers: Mapping[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} {reason}", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def json_answer(status: int, reason: str, payload: Any) -> bytes:
    body = json.dumps(payload).encode()
    head = head_bytes(status, reason, {"Content-Type": "application/json", "Content-Length": str(len(body))})
    return head + body


class RecordingServer(RawServer):
    """Answers an empty listing page to everything, and keeps what it received (see ``received``)."""

    def answer(self, conn: socket.socket, request: Received) -> bool:
        conn.sendall(json_answer(200, "OK", EMPTY_PAGE))
        return True


PROXY_MODES = ("throttle-every-6th", "unavailable-every-7", "close-after-204", "connection-close")
#: headers about one connection or one framing, which the proxy sets itself (RFC 9110 section 7.6.1)
_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-length", "te", "trailer", "upgrade"}
)
#: mode -> (every how many requests, status, reason, the Retry-After value)
LATER: dict[str, tuple[int, int, str, Callable[[], str]]] = {
    "throttle-every-6th": (6, 429, "Too Many Requests", lambda: "1"),
    "unavailable-every-7": (
        7,
        503,
        "Service Unavailable",
        lambda: email.utils.formatdate(time.time() + 2, usegmt=True),
    ),
}


class HonestProxy(RawServer):
    """Passes each request on to ``upstream`` (a base URL) and its answer back, as one of :data:`PROXY_MODES`.

    ``throttled`` counts the 429 and 503 answers it made up."""

    def __init__(self, mode: str, upstream: str, *, host: str = "127.0.0.1") -> None:
        if mode not in PROXY_MODES:
            raise ValueError(f"unknown proxy mode {mode!r}; known: {', '.join(PROXY_MODES)}")
        super().__init__(host)
        self.mode = mode
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.throttled = 0
        self._count = itertools.count(1)

    def answer(self, conn: socket.socket, request: Received) -> bool:
        with self._lock:
            number = next(self._count)
        if self.mode in LATER and number % LATER[self.mode][0] == 0:
            _, status, reason, retry_after = LATER[self.mode]
            with self._lock:
                self.throttled += 1
            body = json.dumps({"title": reason, "status": status}).encode()
            headers = {
                "Content-Type": "application/json",
                "Content-Length": str(len(body)),
                "Retry-After": retry_after(),
            }
            conn.sendall(head_bytes(status, reason, headers) + body)
            return True
        status, reason, headers, body = self._pass_on(request)
        close = self.mode == "connection-close" or (self.mode == "close-after-204" and status == 204)
        fields = {k: v for k, v in headers if k.lower() not in _HOP_BY_HOP}
        if status not in (204, 304) and request.method != "HEAD":
            fields["Content-Length"] = str(len(body))
        if self.mode == "connection-close":
            fields["Connection"] = "close"
        conn.sendall(head_bytes(status, reason, fields) + body)
        return not close

    def _pass_on(self, request: Received) -> tuple[int, str, list[tuple[str, str]], bytes]:
        upstream = http.client.HTTPConnection(*self.upstream, timeout=30)
        try:
            headers = {k: v for k, v in request.headers if k.lower() not in _HOP_BY_HOP | {"host"}}
            upstream.request(request.method, request.target, body=request.body or None, headers=headers)
            response = upstream.getresponse()
            return response.status, response.reason, response.getheaders(), response.read()
        finally:
            upstream.close()


class HostileServer(RawServer):
    """One of :data:`MODES`. ``redirect_to`` (a base URL) is where ``redirect`` sends the client;
    ``token`` and ``api_key`` are what the small honest API of ``body-after-204`` accepts. With ``only``
    (such as ``"POST /segment/jobs/bulk-get"``) only requests of that method and path get the hostile answer;
    every other request is answered by the small honest API."""

    def __init__(
        self,
        mode: str,
        *,
        host: str = "127.0.0.1",
        redirect_to: str | None = None,
        token: str = "segjobs-local-token",
        api_key: str = "segjobs-local-key",
        only: str | None = None,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; known: {', '.join(MODES)}")
        if mode in ("redirect", "foreign-link") and redirect_to is None:
            raise ValueError(f"mode {mode} needs redirect_to")
        super().__init__(host)
        self.mode = mode
        self.only = only
        self.redirect_to = redirect_to
        self.api = MiniJobsApi(token, api_key, next_link_base=redirect_to if mode == "foreign-link" else None)

    def answer(self, conn: socket.socket, request: Received) -> bool:
        mode = self.mode
        if self.only is not None and f"{request.method} {request.path}" != self.only:
            mode = "honest"
        if mode == "hang":
            self.wait(3600)
            return False
        if mode == "reset":
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()
            return False
        if mode == "invalid-json":
            body = b'{"_page": {"totalCount": 1, "pageSize": 1}, "children": [{"id": \'not json\'},'
            conn.sendall(head_bytes(200, "OK", _json_headers(len(body))) + body)
            return True
        if mode == "drip":
            body = json.dumps(EMPTY_PAGE).encode()
            conn.sendall(head_bytes(200, "OK", _json_headers(len(body))))
            for index in range(len(body)):
                if self.wait(DRIP_SECONDS):
                    return False
                conn.sendall(body[index : index + 1])
            return True
        if mode == "drip-head":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Slow: ")
            while not self.wait(DRIP_SECONDS):
                conn.sendall(b"a")
            return False
        if mode == "huge":
            conn.sendall(head_bytes(200, "OK", _json_headers(HUGE_BYTES)))
            chunk = b'{"children": [' + b" " * (65536 - 14)
            sent = 0
            while sent < HUGE_BYTES and not self._stopping.is_set():
                piece = chunk if sent == 0 else b" " * 65536
                conn.sendall(piece[: HUGE_BYTES - sent])
                sent += len(piece)
            return False
        if mode == "redirect":
            assert self.redirect_to is not None
            location = self.redirect_to.rstrip("/") + request.target
            conn.sendall(head_bytes(302, "Found", {"Location": location, "Content-Length": "0"}))
            return True
        # body-after-204 and foreign-link
        status, reason, payload = self.api.handle(request)
        if status == 204:
            trailing = b""
            if mode == "body-after-204":
                trailing = json.dumps({"status": True, "message": "marked for cancelling"}).encode()
            conn.sendall(head_bytes(204, "No Content", {}) + trailing)
        else:
            conn.sendall(json_answer(status, reason, payload))
        return True


def _json_headers(length: int) -> dict[str, str]:
    return {"Content-Type": "application/json", "Content-Length": str(length)}


# -- a small honest API for body-after-204 ------------------------------------------------------------------
JOB_SECONDS = 0.5


@dataclass
class _Job:
    id: str
    sandbox: str
    segment_ids: list[str]
    created: float
    cancelled_at: float | None = None

    def render(self, now: float) -> dict[str, Any]:
        created_ms = int(self.created * 1000)
        ends = self.created + JOB_SECONDS
        if self.cancelled_at is not None:
            status, updated = "CANCELLED", self.cancelled_at
        elif now >= ends:
            status, updated = "SUCCEEDED", ends
        elif now >= self.created + JOB_SECONDS / 10:
            status, updated = "PROCESSING", self.created + JOB_SECONDS / 10
        else:
            status, updated = "NEW", self.created
        job: dict[str, Any] = {
            "id": self.id,
            "status": status,
            "segments": [{"segmentId": s, "segment": {"id": s}} for s in self.segment_ids],
            "creationTime": created_ms,
            "updateTime": int(updated * 1000),
            "updateEpoch": int(updated),
            "_links": {
                "cancel": {"href": f"/segment/jobs/{self.id}", "method": "DELETE"},
                "checkStatus": {"href": f"/segment/jobs/{self.id}", "method": "GET"},
            },
        }
        if status == "SUCCEEDED":
            start_ms, end_ms = int((self.created + JOB_SECONDS / 10) * 1000), int(ends * 1000)
            job["batchId"] = str(uuid.uuid5(uuid.NAMESPACE_URL, self.id))
            job["metrics"] = {
                "totalTime": {
                    "startTimeInMs": start_ms,
                    "endTimeInMs": end_ms,
                    "totalTimeInMs": end_ms - start_ms,
                },
                "totalProfiles": 0,
            }
        return job


def _problem(status: int, title: str, detail: str) -> dict[str, Any]:
    return {
        "type": "http://ns.adobe.com/aep/errors/segment-jobs",
        "status": status,
        "title": title,
        "detail": detail,
    }


class MiniJobsApi:
    """Just enough of the API for a run to reach its cancel tests; jobs end after 0.5 s."""

    def __init__(self, token: str, api_key: str, next_link_base: str | None = None) -> None:
        self.token, self.api_key = token, api_key
        self.next_link_base = next_link_base
        self.jobs: dict[str, _Job] = {}
        self.lock = threading.Lock()

    def handle(self, request: Received) -> tuple[int, str, Any]:
        refusal = self._gateway(request)
        if refusal is not None:
            return refusal
        sandbox = request.header("x-sandbox-name") or "prod"
        path = request.path.rstrip("/")
        with self.lock:
            if path == "/segment/jobs" and request.method == "GET":
                return self._list(sandbox)
            if path == "/segment/jobs" and request.method == "POST":
                return self._create(sandbox, request.body)
            if path == "/segment/jobs/bulk-get" and request.method == "POST":
                return self._bulk_get(sandbox, request.body)
            prefix = "/segment/jobs/"
            if path.startswith(prefix) and request.method in ("GET", "DELETE"):
                job = self.jobs.get(path[len(prefix) :])
                if job is None or job.sandbox != sandbox:
                    return 404, "Not Found", _problem(404, "NotFound", "No such segment job.")
                if request.method == "DELETE":
                    now = time.time()
                    if job.cancelled_at is None and now < job.created + JOB_SECONDS:
                        job.cancelled_at = now
                    return 204, "No Content", None
                return 200, "OK", job.render(time.time())
        return 405, "Method Not Allowed", _problem(405, "MethodNotAllowed", "Not supported here.")

    def _gateway(self, request: Received) -> tuple[int, str, Any] | None:
        if request.header("authorization") is None:
            return 403, "Forbidden", {"error_code": "403010", "message": "Oauth token is missing."}
        if request.header("authorization") != f"Bearer {self.token}":
            return 401, "Unauthorized", {"error_code": "401013", "message": "Oauth token is not valid"}
        if request.header("x-api-key") != self.api_key:
            return 403, "Forbidden", {"error_code": "403003", "message": "Api Key is invalid"}
        if request.header("x-gw-ims-org-id") is None:
            return 400, "Bad Request", {"error_code": "400003", "message": "Missing header x-gw-ims-org-id"}
        return None

    def _list(self, sandbox: str) -> tuple[int, str, Any]:
        now = time.time()
        mine = sorted((j for j in self.jobs.values() if j.sandbox == sandbox), key=lambda j: -j.created)
        children = [j.render(now) for j in mine]
        page = {"_page": {"totalCount": len(children), "pageSize": len(children)}, "children": children}
        following = {}
        if self.next_link_base is not None:
            following = {"href": f"{self.next_link_base.rstrip('/')}/segment/jobs?start={len(children)}"}
        return 200, "OK", {**page, "_links": {"next": following}}

    def _create(self, sandbox: str, body: bytes) -> tuple[int, str, Any]:
        try:
            payload = json.loads(body)
        except ValueError:
            return 400, "Bad Request", _problem(400, "BadRequestError", "The body is not JSON.")
        if (
            not isinstance(payload, list)
            or not payload
            or not all(isinstance(e, dict) and isinstance(e.get("segmentId"), str) for e in payload)
        ):
            return 400, "Bad Request", _problem(400, "BadRequestError", 'Expected [{"segmentId": "..."}].')
        job = _Job(str(uuid.uuid4()), sandbox, [e["segmentId"] for e in payload], time.time())
        self.jobs[job.id] = job
        return 200, "OK", job.render(job.created)

    def _bulk_get(self, sandbox: str, body: bytes) -> tuple[int, str, Any]:
        try:
            ids = [e["id"] for e in json.loads(body)["ids"]]
        except (ValueError, KeyError, TypeError):
            return 400, "Bad Request", _problem(400, "BadRequestError", 'Expected {"ids": [{"id": "..."}]}.')
        now = time.time()
        found = {
            i: self.jobs[i].render(now)
            for i in ids
            if isinstance(i, str) and i in self.jobs and self.jobs[i].sandbox == sandbox
        }
        return 207, "Multi-Status", {"results": found}
