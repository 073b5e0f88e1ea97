"""HTTP/1.1 over a raw socket, for what an HTTP library hides.

A client library frames a 204 answer by its status alone: it never reads bytes a server writes after the head
of a 204, and on a kept-alive connection those bytes turn up as the start of the *next* answer. Whether a
cancel's 204 carries content (SJ-CANCEL-002) and whether the connection still carries the next request
(SJ-CANCEL-007) can only be seen on the wire. :func:`request_then_follow` sends one request, reads its head,
reads on after the blank line of a body-less answer for about as long as the head took to come (at least
:data:`GRACE_S`, at most the linger: bytes a server writes after the head come right behind it), then sends a
second request on the same connection and reads that answer the way a client would: starting with whatever
bytes were left over. Stray bytes later than that meet the next answer, and fail it. When no next request
can be sent (the server closes the connection), the bytes are what arrives until the close, or within the
linger.

A server may close the connection after any answer, announced (``Connection: close``) or not (RFC 9112 §9.6):
then no next request is sent, or the one sent gets no byte back, and the result says so (``follow_skipped``,
``follow_closed``) instead of reporting a problem. Bytes that are no well-formed answer stay a problem.

A first answer of 429 or 503 is the target saying "later": with a :class:`~conformance._retry.RetryBudget`
(the run's, shared with the client), the exchange is started again on a new connection after the
``Retry-After`` (else a backoff) while the budget allows; each "later" answer is kept in ``later``.

Each request written takes a slot of the run's :class:`~conformance._ratelimit.RateLimiter` first (the first
request, each time it is sent again, and the next one on the same connection), and the result keeps the
moments they went out (for the HAR of the run).

Only the standard library is used (``socket``, ``ssl``); ``https`` targets are reached through TLS with
certificate verification, offering only HTTP/1.1.
"""

from __future__ import annotations

import re
import socket
import ssl
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from conformance._ratelimit import RateLimiter
from conformance._retry import LATER, RetryBudget

MAX_HEAD_BYTES = 64 * 1024
MAX_BODY_BYTES = 4 * 1024 * 1024
USER_AGENT = "segjobs-conformance-wire"

_STATUS_LINE = re.compile(rb"HTTP/(\d)\.(\d) ([0-9]{3})(?: ([^\r\n]*))?")
_TOKEN = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_NO_BODY = frozenset({204, 304})
#: the least time a body-less answer is read on after its head for what came with it, before the next request
#: goes (longer when the head itself took longer: about one round trip); long enough to see a close that came
#: with the answer (then no next request is sent)
GRACE_S = 0.05


class WireError(Exception):
    """The peer did not give a well-formed HTTP/1.1 answer (the message says what came instead)."""


@dataclass(frozen=True)
class RawResponse:
    """One answer read off the wire."""

    version: str
    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def header_values(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]

    @property
    def announces_close(self) -> bool:
        tokens = {t.strip().lower() for v in self.header_values("connection") for t in v.split(",")}
        return "close" in tokens or (self.version == "1.0" and "keep-alive" not in tokens)


@dataclass(frozen=True)
class WireResult:
    """What happened on one connection: the first request, what followed its head, the next request."""

    url: str
    request_headers: tuple[tuple[str, str], ...]
    first: RawResponse | None = None
    #: why the first request got no usable answer (None when it got one)
    first_problem: str | None = None
    #: bytes found after the head of a body-less (204/304) first answer, before the next request was sent (or,
    #: when none was, until the connection closed or the linger ran out)
    trailing: bytes = b""
    follow_url: str = ""
    follow_request_headers: tuple[tuple[str, str], ...] = ()
    follow: RawResponse | None = None
    #: why the next request on the same connection got no well-formed answer (None when it got one)
    follow_problem: str | None = None
    #: why no next request was sent (the server closed the connection after the answer, announced or not)
    follow_skipped: str | None = None
    #: the next request was sent and the server closed the connection before a byte of its answer (legal: a
    #: client sends it again on a new connection), else None
    follow_closed: str | None = None
    #: the 429 and 503 answers to the first request before this one ("later"; each was waited for)
    later: tuple[RawResponse, ...] = ()
    elapsed_s: float = 0.0
    #: the attempts whose first answer was one of ``later``, whole (each on a connection of its own)
    earlier: tuple[WireResult, ...] = ()
    #: when the first request and the next one went out (nanoseconds since the epoch, as granted by the
    #: rate limiter; 0: not sent)
    sent_ns: int = 0
    follow_sent_ns: int = 0
    #: the local port of the connection the first request and the next one went over (None: not connected)
    port: int | None = None


class _Reader:
    """Buffered reads from a socket, with deadlines."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = bytearray()
        self.eof = False

    def fill(self, timeout: float) -> bool:
        """Reads what arrives within ``timeout``; False on timeout or end of stream."""
        if self.eof:
            return False
        self.sock.settimeout(max(timeout, 0.001))
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            return False
        except ssl.SSLWantReadError:  # pragma: no cover - blocking sockets do not raise it
            return False
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def take(self, count: int) -> bytes:
        data = bytes(self.buf[:count])
        del self.buf[:count]
        return data

    def read_until(self, marker: bytes, deadline: float, limit: int, what: str) -> bytes:
        while True:
            index = self.buf.find(marker)
            if index >= 0:
                return self.take(index + len(marker))
            if len(self.buf) > limit:
                raise WireError(f"{what} is longer than {limit} bytes: {_show(self.buf)}")
            remaining = deadline - time.monotonic()
            if self.eof:
                raise WireError(
                    f"the connection was closed before {what} was complete; received {_show(self.buf)}"
                )
            if remaining <= 0 or not self.fill(remaining):
                if self.eof:
                    continue
                raise WireError(f"{what} did not arrive in time; received {_show(self.buf)}")

    def read_exactly(self, count: int, deadline: float, what: str) -> bytes:
        while len(self.buf) < count:
            remaining = deadline - time.monotonic()
            if self.eof or remaining <= 0 or not self.fill(remaining):
                if not self.eof and remaining > 0:
                    continue
                raise WireError(f"{what} ended after {len(self.buf)} of {count} bytes")
        return self.take(count)

    def linger(self, seconds: float) -> bytes:
        """Everything that arrives within ``seconds`` (already buffered bytes included)."""
        deadline = time.monotonic() + seconds
        while not self.eof:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self.fill(remaining):
                break
        return bytes(self.buf)


def _show(data: bytes | bytearray, limit: int = 200) -> str:
    text = repr(bytes(data[:limit]))
    return text + (f" ... ({len(data)} bytes)" if len(data) > limit else "")


def parse_head(head: bytes) -> tuple[str, int, str, tuple[tuple[str, str], ...]]:
    """Version, status, reason and header fields of a response head (ending with the blank line)."""
    lines = head[:-4].split(b"\r\n") if head.endswith(b"\r\n\r\n") else head.split(b"\r\n")
    match = _STATUS_LINE.fullmatch(lines[0])
    if match is None:
        raise WireError(f"the answer does not start with an HTTP/1.1 status line: {_show(head)}")
    version = f"{int(match.group(1))}.{int(match.group(2))}"
    if version not in ("1.1", "1.0"):
        raise WireError(f"the answer is HTTP/{version}, not HTTP/1.1: {_show(lines[0])}")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon or not _TOKEN.fullmatch(name):
            raise WireError(f"malformed header line {_show(line)}")
        headers.append((name.decode("latin-1"), value.strip(b" \t").decode("latin-1")))
    reason = (match.group(4) or b"").decode("latin-1")
    return version, int(match.group(3)), reason, tuple(headers)


def _read_body(
    reader: _Reader, status: int, headers: Sequence[tuple[str, str]], method: str, deadline: float
) -> bytes:
    """The body of a non-204 answer, framed as RFC 9112 section 6.3 says."""
    if method == "HEAD" or status in _NO_BODY or 100 <= status < 200:
        return b""
    lower = [(k.lower(), v) for k, v in headers]
    encodings = [v for k, v in lower if k == "transfer-encoding"]
    lengths = [v.strip() for k, v in lower if k == "content-length"]
    if encodings:
        if encodings[-1].split(",")[-1].strip().lower() != "chunked":
            raise WireError(f"Transfer-Encoding {encodings[-1]!r} does not end with chunked")
        return _read_chunked(reader, deadline)
    if lengths:
        if len(set(lengths)) != 1 or not lengths[0].isdigit():
            raise WireError(f"invalid Content-Length {', '.join(lengths)}")
        size = int(lengths[0])
        if size > MAX_BODY_BYTES:
            raise WireError(f"Content-Length {size} exceeds {MAX_BODY_BYTES} bytes")
        return reader.read_exactly(size, deadline, "the body")
    # close-delimited
    while not reader.eof:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise WireError("a body without Content-Length or chunked framing did not end in time")
        reader.fill(remaining)
        if len(reader.buf) > MAX_BODY_BYTES:
            raise WireError(f"the body exceeds {MAX_BODY_BYTES} bytes")
    return reader.take(len(reader.buf))


def _read_chunked(reader: _Reader, deadline: float) -> bytes:
    body = bytearray()
    while True:
        line = reader.read_until(b"\r\n", deadline, 1024, "a chunk size line")
        size_text = line[:-2].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise WireError(f"malformed chunk size line {_show(line)}") from None
        if size == 0:
            while reader.read_until(b"\r\n", deadline, MAX_HEAD_BYTES, "the chunked trailer") != b"\r\n":
                pass
            return bytes(body)
        body += reader.read_exactly(size, deadline, "a chunk")
        if reader.read_exactly(2, deadline, "a chunk end") != b"\r\n":
            raise WireError("a chunk is not followed by CRLF")
        if len(body) > MAX_BODY_BYTES:
            raise WireError(f"the body exceeds {MAX_BODY_BYTES} bytes")


def _read_response(reader: _Reader, method: str, timeout: float) -> RawResponse:
    deadline = time.monotonic() + timeout
    head = reader.read_until(b"\r\n\r\n", deadline, MAX_HEAD_BYTES, "the response head")
    version, status, reason, headers = parse_head(head)
    body = _read_body(reader, status, headers, method, deadline)
    return RawResponse(version, status, reason, headers, body)


def _request_bytes(method: str, target: str, host: str, headers: Sequence[tuple[str, str]]) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _connect(scheme: str, host: str, port: int, timeout: float) -> socket.socket:
    sock = socket.create_connection((host, port), timeout=timeout)
    if scheme != "https":
        return sock
    context = ssl.create_default_context()
    try:
        import certifi  # the CA bundle httpx uses, when installed

        context.load_verify_locations(certifi.where())
    except (ImportError, OSError):  # pragma: no cover - the system store is enough
        pass
    context.set_alpn_protocols(["http/1.1"])
    try:
        return context.wrap_socket(sock, server_hostname=host)
    except Exception:
        sock.close()
        raise


@dataclass(frozen=True)
class _Target:
    """Where a base URL points: what to connect to, the Host header and the path prefix of every request."""

    scheme: str
    host: str
    port: int
    host_header: str
    prefix: str

    @classmethod
    def of(cls, base_url: str) -> _Target:
        parts = urlsplit(base_url)
        scheme = parts.scheme or "http"
        return cls(
            scheme=scheme,
            host=parts.hostname or "127.0.0.1",
            port=parts.port or (443 if scheme == "https" else 80),
            host_header=parts.netloc.rsplit("@", 1)[-1],
            prefix=parts.path.rstrip("/"),
        )

    def url(self, path: str) -> str:
        return f"{self.scheme}://{self.host_header}{self.prefix}{path}"

    def request(self, method: str, path: str, headers: Sequence[tuple[str, str]]) -> bytes:
        return _request_bytes(method, self.prefix + path, self.host_header, headers)


def _headers_to_send(headers: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """The caller's headers, but those the connection itself sets, and the wire client's own."""
    return (
        *((k, v) for k, v in headers.items() if k.lower() not in ("host", "connection", "content-length")),
        ("User-Agent", USER_AGENT),
        ("Accept", "application/json"),
        ("Connection", "keep-alive"),
    )


def _problem(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}" if isinstance(exc, OSError) else str(exc)


def _read_first(reader: _Reader, method: str, timeout: float, linger: float) -> tuple[RawResponse, bytes]:
    """The answer to the first request and, after the head of a body-less (204/304) one, whatever bytes
    arrive within as long again as the head took, at least :data:`GRACE_S` and at most ``linger`` seconds
    (a client library would take them for the start of the next answer)."""
    started = time.monotonic()
    deadline = started + timeout
    head = reader.read_until(b"\r\n\r\n", deadline, MAX_HEAD_BYTES, "the response head")
    version, status, reason, fields = parse_head(head)
    if status in _NO_BODY:
        grace = min(linger, max(GRACE_S, time.monotonic() - started))
        return RawResponse(version, status, reason, fields, b""), reader.linger(grace)
    body = _read_body(reader, status, fields, method, deadline)
    return RawResponse(version, status, reason, fields, body), b""


def _follow(
    result: WireResult,
    reader: _Reader,
    target: _Target,
    then: tuple[str, str],
    sent: Sequence[tuple[str, str]],
    timeout: float,
    limiter: RateLimiter,
    linger: float,
) -> WireResult:
    """The second request on the connection of the first, unless the server closed it (announced or not)."""
    assert result.first is not None
    body_less = result.first.status in _NO_BODY
    skipped = None
    if result.first.announces_close:
        skipped = "the server announced Connection: close"
    elif reader.eof and not reader.buf:
        skipped = "the server closed the connection after the answer"
    if skipped is not None:  # the rest of the linger: what comes until the close
        trailing = reader.linger(linger) if body_less else result.trailing
        return replace(result, follow_skipped=skipped, trailing=trailing)
    result = replace(result, follow_sent_ns=limiter.acquire())
    try:
        reader.sock.sendall(target.request(then[0], then[1], sent))
        return replace(result, follow=_read_response(reader, then[0], timeout))
    except (WireError, OSError) as exc:
        if not reader.buf and (reader.eof or isinstance(exc, ConnectionError)):
            closed = "the server closed the connection before answering the next request on it"
            return replace(result, follow_closed=closed)
        return replace(result, follow_problem=_problem(exc))


def request_then_follow(
    base_url: str,
    first: tuple[str, str],
    then: tuple[str, str],
    headers: Mapping[str, str],
    *,
    connect_timeout: float = 5.0,
    read_timeout: float = 15.0,
    linger: float = 0.5,
    retry: RetryBudget | None = None,
    limiter: RateLimiter | None = None,
) -> WireResult:
    """Sends ``first`` (method, path below ``base_url``), then ``then`` on the same connection.

    ``linger``: the most time to read on after the head of a body-less answer, for bytes written after it:
    about one round trip before the next request goes, all of it when no next request can be sent on the
    connection (the server closes it).

    Never raises for what the server does: every problem lands in the result. ``OSError`` escapes only
    when no connection can be opened at all. With ``retry``, a first answer of 429 or 503 is waited for
    and the whole exchange started again on a new connection, as long as the budget allows. Every request
    takes a slot of ``limiter`` (the run's) before it is written.
    """
    started = time.monotonic()
    limiter = limiter if limiter is not None else RateLimiter()
    later: list[RawResponse] = []
    earlier: list[WireResult] = []
    while True:
        result = _request_then_follow(
            base_url, first, then, headers, connect_timeout, read_timeout, linger, limiter
        )
        answer = result.first
        if retry is None or answer is None or answer.status not in LATER:
            break
        if not retry.wait(retry.wait_before_resend(answer.header("retry-after"), len(later))):
            break
        later.append(answer)
        earlier.append(result)
    return replace(result, later=tuple(later), earlier=tuple(earlier), elapsed_s=time.monotonic() - started)


def _request_then_follow(
    base_url: str,
    first: tuple[str, str],
    then: tuple[str, str],
    headers: Mapping[str, str],
    connect_timeout: float,
    read_timeout: float,
    linger: float,
    limiter: RateLimiter,
) -> WireResult:
    target = _Target.of(base_url)
    sent = _headers_to_send(headers)
    request_headers = (("Host", target.host_header), *sent)
    result = WireResult(url=target.url(first[1]), request_headers=request_headers)
    sent_ns = limiter.acquire()
    started = time.monotonic()
    sock = _connect(target.scheme, target.host, target.port, connect_timeout)
    try:
        result = replace(result, sent_ns=sent_ns, port=_local_port(sock))
        reader = _Reader(sock)
        try:
            sock.sendall(target.request(first[0], first[1], sent))
            answer, trailing = _read_first(reader, first[0], read_timeout, linger)
        except (WireError, OSError) as exc:
            result = replace(result, first_problem=_problem(exc))
        else:
            result = replace(
                result,
                first=answer,
                trailing=trailing,
                follow_url=target.url(then[1]),
                follow_request_headers=request_headers,
            )
            result = _follow(result, reader, target, then, sent, read_timeout, limiter, linger)
        return replace(result, elapsed_s=time.monotonic() - started)
    finally:
        sock.close()


def _local_port(sock: socket.socket) -> int | None:
    try:
        return int(sock.getsockname()[1])
    except (OSError, IndexError, TypeError, ValueError):  # pragma: no cover - a connected socket has one
        return None
