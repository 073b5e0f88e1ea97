"""Honest variants of the HTTP around the API, as ASGI middleware: what RFC 9110 and RFC 9112 let a server do
with any answer, whatever the operation. Each is off unless its setting is on; :func:`stack` builds the list
the app is wrapped in, outermost first:

======================  =================================  ==============================================
middleware              setting (``serve`` flag)           what the client sees
======================  =================================  ==============================================
:class:`Latency`        ``latency_ms`` (``--latency``)     every answer that many milliseconds after its
                                                           request, give or take :data:`LATENCY_JITTER`
:class:`CloseEvery`     ``connection_close``               ``Connection: close`` on every answer, and
                        (``--connection-close``)           the server closes the connection after it
:class:`Chunked`        ``chunked`` (``--chunked``)        bodies framed with ``Transfer-Encoding:
                                                           chunked`` in pieces of :data:`CHUNK_BYTES`,
                                                           no ``Content-Length`` (none on 204, 304, HEAD)
``GZipMiddleware``      ``gzip`` (``--gzip``)              bodies of 1 byte or more gzip-encoded when the
                                                           request's ``Accept-Encoding`` names gzip
:class:`LaterPlease`    ``throttle_every``,                request N, 2N, 3N ... of the server's life
                        ``unavailable_every``              (every path and method, counted together)
                        (``--throttle-every``,             answered 429 or 503 with ``Retry-After: 1`` and
                        ``--unavailable-every``)           a problem body, before anything else is checked
======================  =================================  ==============================================

The order makes the variants compose: a 429 is delayed, gzip-encoded and chunked like any answer, and every
answer carries ``Connection: close``. Idle keep-alive connections (``idle_close_seconds``) are closed by the
HTTP server itself (uvicorn's ``timeout_keep_alive``, see :mod:`.server`); the path prefix and absolute links
are the app's (:mod:`.app`).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping

from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conformance.reference import faults
from conformance.reference.problems import problem_response
from conformance.reference.settings import LATENCY_JITTER, LATENCY_SEED, ServerSettings

#: The size of the pieces a chunked body is sent in (a page of jobs takes several).
CHUNK_BYTES = 1024

#: Bodies this small or larger are gzip-encoded (an empty body, as a 204's, never is).
GZIP_MINIMUM_BYTES = 1

#: The seconds a client is asked to wait before it sends a refused request again.
RETRY_AFTER_SECONDS = 1

#: Fault ``throttle-without-retry-after`` answers every Nth request 429 (without ``--throttle-every``).
FAULT_THROTTLE_EVERY = 6

#: The answers of :class:`LaterPlease`, by status: the problem's detail.
LATER_ANSWERS: Mapping[int, str] = {
    429: "Too many requests: this server answers every Nth request 429. Retry after 1 second.",
    503: "The service is unavailable for a moment: this server answers every Nth request 503. "
    "Retry after 1 second.",
}

# Statuses that never carry a body (RFC 9110 §15.3.5, §15.4.5): never framed as chunked.
_BODYLESS = (204, 304)


def stack(settings: ServerSettings) -> list[Middleware]:
    """The middleware of the variants ``settings`` switch on, outermost first (empty by default)."""
    layers: list[Middleware] = []
    if settings.latency_ms:
        layers.append(Middleware(Latency, milliseconds=settings.latency_ms))
    if settings.connection_close:
        layers.append(Middleware(CloseEvery))
    if settings.chunked:
        layers.append(Middleware(Chunked))
    if settings.gzip:
        layers.append(Middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM_BYTES))
    without_retry_after = faults.is_on(settings.faults, "throttle-without-retry-after")
    throttle_every = settings.throttle_every or (FAULT_THROTTLE_EVERY if without_retry_after else None)
    if throttle_every is not None or settings.unavailable_every is not None:
        layers.append(
            Middleware(
                LaterPlease,
                throttle_every=throttle_every,
                unavailable_every=settings.unavailable_every,
                retry_after=not without_retry_after,
            )
        )
    return layers


class Latency:
    """Every request waits ``milliseconds``, give or take :data:`LATENCY_JITTER`, before the app sees it, as
    if the server were far away: the wait is an ``asyncio.sleep``, so the server serves other requests
    meanwhile. The delays come from ``random.Random(seed)``: the Nth request of the server's life always
    waits the same (requests that arrive together take their delays in the order they arrive)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        milliseconds: float,
        seed: int = LATENCY_SEED,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.app = app
        self.seconds = milliseconds / 1000
        self._random = random.Random(seed)
        self._sleep = sleep

    def delay(self) -> float:
        """The next request's wait, in seconds: between (1 - jitter) and (1 + jitter) times the latency."""
        return self.seconds * self._random.uniform(1 - LATENCY_JITTER, 1 + LATENCY_JITTER)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._sleep(self.delay())
        await self.app(scope, receive, send)


class LaterPlease:
    """Answers request N, 2N, ... of the server's life itself: 429 (``throttle_every``) or 503
    (``unavailable_every``), with ``Retry-After: 1``; when both fall on one request, 429. Without
    ``retry_after`` (fault ``throttle-without-retry-after``) the 429 carries no ``Retry-After``.

    Every request counts, whatever its path, method or credentials, and so does a refused one: the request
    that follows a refusal (its retry, say) is served, unless it is itself a multiple.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        throttle_every: int | None,
        unavailable_every: int | None,
        retry_after: bool = True,
    ) -> None:
        self.app = app
        self.retry_after = retry_after
        self._every = tuple(
            (every, status) for every, status in ((throttle_every, 429), (unavailable_every, 503)) if every
        )
        self.requests = 0  # the event loop runs one request's code at a time: a plain counter is exact

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.requests += 1
        status = next((status for every, status in self._every if self.requests % every == 0), None)
        if status is None:
            await self.app(scope, receive, send)
            return
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if self.retry_after or status != 429 else {}
        await problem_response(status, LATER_ANSWERS[status], headers)(scope, receive, send)


class CloseEvery:
    """Every answer carries ``Connection: close``; the HTTP server then closes the connection after it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_closing(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                MutableHeaders(scope=message)["Connection"] = "close"
            await send(message)

        await self.app(scope, receive, send_closing)


class Chunked:
    """Bodies go out without ``Content-Length``, in pieces of :data:`CHUNK_BYTES`: HTTP/1.1 frames them with
    ``Transfer-Encoding: chunked``. Answers that have no body (204, 304, and any answer to HEAD) keep
    their headers as they are."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] == "HEAD":
            await self.app(scope, receive, send)
            return
        chunking = False

        async def send_chunked(message: Message) -> None:
            nonlocal chunking
            if message["type"] == "http.response.start" and message["status"] not in _BODYLESS:
                chunking = True
                message.setdefault("headers", [])
                del MutableHeaders(scope=message)["content-length"]
            if message["type"] != "http.response.body" or not chunking:
                await send(message)
                return
            body: bytes = message.get("body", b"")
            more_body: bool = message.get("more_body", False)
            pieces = [body[at : at + CHUNK_BYTES] for at in range(0, len(body), CHUNK_BYTES)] or [b""]
            for index, piece in enumerate(pieces):
                last = index == len(pieces) - 1
                await send({"type": "http.response.body", "body": piece, "more_body": more_body or not last})

        await self.app(scope, receive, send_chunked)
