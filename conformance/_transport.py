"""The wire under the client: a deadline for the whole exchange, and what happened to the connection.

httpx bounds each read by the read timeout; a server that trickles its answer a byte at a time never trips
it. :class:`DeadlineTransport` is an httpx transport (httpx's documented extension point) over httpcore's
connection pool, whose network backend (httpcore's documented extension point) bounds every read and write
by the deadline of the exchange in flight and notes what happened on the wire: whether the request went over
a connection opened for it or a kept-alive one, whether it was written, whether any answer arrived, whether
the peer closed. The client reads that note (:data:`attempt`) to tell a kept-alive connection the server
closed as the request went out (RFC 9112 §9.6, sent again when RFC 9112 §9.3.1 allows it, see
:func:`may_resend`) from a connection that failed.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

#: RFC 9110 §9.2.2: methods a client may send again after a connection failure
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})
#: POSTs that only read (RFC 9112 §9.3.1: "some means to know that the request semantics are actually
#: idempotent"), by the end of their path
IDEMPOTENT_POSTS = ("/segment/jobs/bulk-get",)

#: each httpcore exception as the httpx exception callers catch (the most specific class that applies)
_AS_HTTPX: dict[type[Exception], type[httpx.TransportError]] = {
    httpcore.ConnectTimeout: httpx.ConnectTimeout,
    httpcore.ReadTimeout: httpx.ReadTimeout,
    httpcore.WriteTimeout: httpx.WriteTimeout,
    httpcore.PoolTimeout: httpx.PoolTimeout,
    httpcore.TimeoutException: httpx.TimeoutException,
    httpcore.ConnectError: httpx.ConnectError,
    httpcore.ReadError: httpx.ReadError,
    httpcore.WriteError: httpx.WriteError,
    httpcore.NetworkError: httpx.NetworkError,
    httpcore.RemoteProtocolError: httpx.RemoteProtocolError,
    httpcore.LocalProtocolError: httpx.LocalProtocolError,
    httpcore.ProtocolError: httpx.ProtocolError,
    httpcore.UnsupportedProtocol: httpx.UnsupportedProtocol,
    httpcore.ProxyError: httpx.ProxyError,
}


def may_resend(method: str, url: str, *, written: bool) -> bool:
    """Whether a request lost to a closing kept-alive connection, with no byte of an answer, may go again
    (RFC 9112 §9.3.1): an idempotent method, a POST that only reads, or nothing of it written."""
    if method.upper() in IDEMPOTENT_METHODS:
        return True
    if method.upper() == "POST" and urlsplit(url).path.rstrip("/").endswith(IDEMPOTENT_POSTS):
        return True
    return not written


class _Attempt(threading.local):
    """What the exchange in flight on this thread did on the wire (one exchange at a time per thread)."""

    deadline: float | None = None  # the moment the answer must be complete by
    streamed = False  # it went over a network stream of ours (not a test transport)
    connected = False  # a connection was opened for it (else it went over a kept-alive one)
    written = False  # a write of the request completed
    received = False  # a byte of an answer arrived
    closed = False  # the peer closed or reset the connection

    def begin(self, deadline: float | None) -> None:
        self.deadline = deadline
        self.streamed = self.connected = self.written = self.received = self.closed = False

    @property
    def lost_on_kept_alive(self) -> bool:
        """The request went over a kept-alive connection that the server closed before any answer."""
        return self.streamed and not self.connected and self.closed and not self.received


attempt = _Attempt()


class _DeadlineStream(httpcore.NetworkStream):
    """Every read and write waits at most until the exchange's deadline, not a fresh read timeout each time:
    a server that trickles its head or body a byte at a time is cut off too."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    @staticmethod
    def _bounded(timeout: float | None) -> float | None:
        if attempt.deadline is None:
            return timeout
        left = attempt.deadline - time.monotonic()
        if left <= 0:
            raise httpcore.ReadTimeout("the answer did not complete in time")
        return left if timeout is None else min(timeout, left)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        attempt.streamed = True
        try:
            data = self._stream.read(max_bytes, self._bounded(timeout))
        except httpcore.ReadError:
            attempt.closed = True
            raise
        if data:
            attempt.received = True
        else:
            attempt.closed = True
        return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        attempt.streamed = True
        try:
            self._stream.write(buffer, self._bounded(timeout))
        except httpcore.WriteError:
            attempt.closed = True
            raise
        attempt.written = True

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, self._bounded(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self) -> None:
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        attempt.connected = True
        stream = self._backend.connect_tcp(host, port, timeout, local_address, socket_options)
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:  # pragma: no cover
        return _DeadlineStream(self._backend.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:  # pragma: no cover
        self._backend.sleep(seconds)


@contextlib.contextmanager
def _as_httpx(request: httpx.Request) -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        mapped = next((_AS_HTTPX[c] for c in type(exc).__mro__ if c in _AS_HTTPX), None)
        if mapped is None:
            raise
        raise mapped(str(exc), request=request) from exc


class _Body(httpx.SyncByteStream):
    def __init__(self, stream: Any, request: httpx.Request) -> None:
        self._stream = stream
        self._request = request

    def __iter__(self) -> Iterator[bytes]:
        with _as_httpx(self._request):
            yield from self._stream

    def close(self) -> None:
        if hasattr(self._stream, "close"):
            self._stream.close()


class DeadlineTransport(httpx.BaseTransport):
    """httpx over an httpcore pool whose connections keep the exchange's deadline; no retries, no proxies
    from the environment."""

    def __init__(self, limits: httpx.Limits) -> None:
        self._pool = httpcore.ConnectionPool(
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            retries=0,
            network_backend=_DeadlineBackend(),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.SyncByteStream)
        core = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _as_httpx(request):
            answer = self._pool.handle_request(core)
        return httpx.Response(
            status_code=answer.status,
            headers=answer.headers,
            stream=_Body(answer.stream, request),
            extensions=answer.extensions,
        )

    def close(self) -> None:
        self._pool.close()
