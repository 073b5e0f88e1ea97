"""The HTTP client of a run: one httpx client, timeouts, a cap on response size, no redirects, curl lines.

What real HTTP allows, the client takes as it comes:

- **"later"** (429, 503): the request is sent again after ``Retry-After`` (delay-seconds or an HTTP-date),
  else after an exponential backoff, within the run's :class:`~conformance._retry.RetryBudget`; every 429 is
  kept in ``stats.throttled`` (SJ-ERROR-005 judges them). A caller never sees a 429 or 503: past the budget
  the request raises :class:`Throttled`.
- **a kept-alive connection the server closed** (RFC 9112 §9.6) just as a request went out on it, before a
  byte of an answer: the request is sent again on another connection when that is safe (RFC 9112 §9.3.1:
  an idempotent method, the bulk-get read, or nothing of the request written), else it raises
  :class:`ClosedInFlight`. On a connection opened for the request, the same close is a
  :class:`ProtocolViolation`.
- **links** are resolved per RFC 3986 against the page they came from (:meth:`ApiClient.link_url`).

The exceptions a request raises (each carries the :class:`Exchange` it came from, secrets masked) are
:mod:`conformance._exchange`'s: a transport error (timeout, protocol violation, redirect) fails its HTTP
requirement; an inconclusive answer (throttled past the budget, a create lost to a closing connection) leaves
the requirement undecided.
"""

from __future__ import annotations

__all__ = [
    "ApiClient",
    "ClosedInFlight",
    "Exchange",
    "Inconclusive",
    "ProtocolViolation",
    "Redirected",
    "TargetTimeout",
    "Throttled",
    "TransportError",
]

import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

import httpx

from conformance._exchange import (
    EXCERPT_BYTES,
    ClosedInFlight,
    Exchange,
    Inconclusive,
    ProtocolViolation,
    Redirected,
    TargetTimeout,
    Throttled,
    TransportError,
)
from conformance._ratelimit import RateLimiter
from conformance._redact import Redactor
from conformance._retry import LATER, RetryBudget
from conformance._transport import DeadlineTransport, attempt, may_resend

if TYPE_CHECKING:
    from conformance._oauth import TokenSource

JOBS_PATH = "/segment/jobs"
#: the default cap on one answer's body
MAX_RESPONSE_BYTES = 16 * 1024 * 1024
#: the most times one request is sent again because kept-alive connections closed under it (each closed one
#: leaves the pool, so the pool opens a fresh connection before this runs out)
STALE_RESENDS = 8


@dataclass
class Stats:
    requests: int = 0
    throttled: list[Exchange] = field(default_factory=list)  # every 429 answer seen
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self) -> None:
        with self.lock:
            self.requests += 1

    def seen(self, exchange: Exchange) -> None:
        """Keeps a 429 answer (from any request path) for SJ-ERROR-005."""
        if exchange.status == 429:
            with self.lock:
                self.throttled.append(exchange)


class ApiClient:
    """Talks to one implementation. Thread-safe (httpx.Client is); every call returns an :class:`Exchange`."""

    def __init__(
        self,
        base_url: str,
        headers: Mapping[str, str],
        *,
        redactor: Redactor,
        connect_timeout: float = 5.0,
        read_timeout: float = 15.0,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        retry_budget: RetryBudget | None = None,
        transport: httpx.BaseTransport | None = None,
        on_exchange: Callable[[Exchange], None] | None = None,
        rate_limiter: RateLimiter | None = None,
        token_source: TokenSource | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = dict(headers)
        self.redactor = redactor
        self.read_timeout = read_timeout
        #: an answer that keeps dripping bytes never trips the read timeout; this bounds the whole exchange
        self.total_timeout = 2 * read_timeout
        self.max_response_bytes = max_response_bytes
        #: the waits of the whole run for 429 and 503 answers (the raw socket draws on it too)
        self.retry_budget = retry_budget if retry_budget is not None else RetryBudget()
        self.stats = Stats()
        self.on_exchange = on_exchange
        #: every request (each re-send too) takes a slot of the run's limiter before it goes out
        self.rate_limiter = rate_limiter if rate_limiter is not None else RateLimiter()
        #: the bearer token minted during the run (OAuth client credentials), to the base URL's origin only
        self.token_source = token_source
        #: called with (method, url) before anything is sent; raises to stop a request that must not go out
        self.guard: Callable[[str, str], None] | None = None
        timeout = httpx.Timeout(
            connect=connect_timeout, read=read_timeout, write=read_timeout, pool=connect_timeout
        )
        limits = httpx.Limits(max_connections=16, max_keepalive_connections=8)
        self._http = httpx.Client(
            timeout=timeout,
            follow_redirects=False,
            transport=transport if transport is not None else DeadlineTransport(limits),
            limits=limits,
            trust_env=False,
        )

    def close(self) -> None:
        self._http.close()

    def url(self, path: str) -> str:
        """Absolute URL of a path below the base URL (``/segment/jobs/...``), or an absolute URL as it is."""
        if path.startswith(("http://", "https://")):
            return path
        return self.base_url + (path if path.startswith("/") else "/" + path)

    def link_url(self, href: str, page_url: str | None = None) -> str:
        """The URL a ``_links`` href leads to from the answer at ``page_url`` (default: the listing).

        RFC 3986 §5 against ``page_url``: an absolute URL stays as it is, a relative reference (``?start=2``,
        ``jobs?start=2``) and an absolute path carrying the base URL's path prefix resolve as usual. The one
        exception is the doc's own form (ERRATA E-23): an absolute path starting with ``/segment/jobs`` is
        below the base URL, so under a base ``http://h/data/core/ups`` it gains the prefix, once."""
        page = page_url or self.base_url + JOBS_PATH
        path = urlsplit(href).path
        if href.startswith("/") and not href.startswith("//"):
            prefix = urlsplit(self.base_url).path.rstrip("/")
            doc_form = path == JOBS_PATH or path.startswith(JOBS_PATH + "/")
            if doc_form and not (prefix and path.startswith(prefix + JOBS_PATH)):
                return self.base_url + href
        return urljoin(page, href)

    def same_origin(self, url: str) -> bool:
        """Whether ``url`` has the base URL's scheme, host and port (the only place credentials go)."""
        return _origin(url) == _origin(self.base_url)

    # -- the one place a request is sent ---------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | Iterable[str]] | Iterable[tuple[str, str]] | None = None,
        json_body: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str | None] | None = None,
    ) -> Exchange:
        """Sends one request. ``headers`` override the defaults; a value of None removes that header."""
        merged: dict[str, str] = dict(self.headers)
        for name, value in (headers or {}).items():
            for existing in [k for k in merged if k.lower() == name.lower()]:
                del merged[existing]
            if value is not None:
                merged[name] = value
        if json_body is not None:
            content = json.dumps(json_body).encode()
            if not any(k.lower() == "content-type" for k in merged):
                merged["Content-Type"] = "application/json"
        url = self.url(path)
        if self.guard is not None:
            self.guard(method, url)
        # a minted token: the run's own Authorization goes out with the current one (conformance._oauth)
        source = self.token_source if self.same_origin(url) else None
        token = None if source is None else source.authorize(merged, self.headers)
        if not self.same_origin(url):
            # credentials are only ever sent to the configured scheme, host and port
            merged = {
                k: v
                for k, v in merged.items()
                if not self.redactor.is_secret_header(k) and k.lower() not in ("x-gw-ims-org-id",)
            }
        resends = 0
        while True:
            exchange = self._send_once(method, url, params, content, merged)
            self.stats.seen(exchange)
            if source is not None and token is not None and source.expired(token, exchange):
                source.authorize(merged, self.headers)  # a 401 "expired": sent once more, with a new token
                token = None
                continue
            if exchange.status not in LATER:
                return exchange
            wait = self.retry_budget.wait_before_resend(exchange.header("retry-after"), resends)
            if not self.retry_budget.wait(wait):
                raise Throttled(_still_later(exchange, resends, wait, self.retry_budget), exchange)
            resends += 1

    def _send_once(
        self, method: str, url: str, params: Any, content: bytes | None, headers: Mapping[str, str]
    ) -> Exchange:
        """One exchange; sent again when a kept-alive connection closed under it and that is safe."""
        request = self._http.build_request(method, url, params=params, content=content, headers=dict(headers))
        sent_headers = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw)
        base = Exchange(method, str(request.url), sent_headers, content, redactor=self.redactor)
        for resends in range(STALE_RESENDS + 1):
            base = replace(base, started_ns=self.rate_limiter.acquire())
            self.stats.count()
            started = time.monotonic()
            attempt.begin(started + self.total_timeout)
            try:
                return self._exchange(request, base, started)
            except _LostOnKeptAlive as lost:
                if not may_resend(method, url, written=lost.written):
                    raise ClosedInFlight(
                        f"{method} {request.url.path}: the server closed a kept-alive connection as the "
                        "request went out on it, before any answer (RFC 9112 §9.6 lets a server close an "
                        "idle connection); the request was written and is not idempotent, so it is not sent "
                        "again and whether it was applied is unknown",
                        base,
                    ) from None
                if resends >= STALE_RESENDS:
                    raise ProtocolViolation(str(lost), base) from None
            finally:
                attempt.deadline = None
        raise AssertionError("unreachable")  # pragma: no cover

    def _too_slow(self, started: float) -> bool:
        return time.monotonic() - started >= self.total_timeout - 0.05

    def _exchange(self, request: httpx.Request, base: Exchange, started: float) -> Exchange:
        response = self._head(request, base, started)
        try:
            body = self._body(request, response, base, started)
        finally:
            response.close()
        exchange = _with_response(base, response, body, started)
        if self.on_exchange is not None:
            self.on_exchange(exchange)
        if 300 <= response.status_code < 400:
            location = response.headers.get("location", "(no Location)")
            raise Redirected(
                f"{request.method} {request.url.path} answered {response.status_code} redirecting to "
                f"{location}; the suite does not follow redirects and never sends credentials elsewhere",
                exchange,
            )
        return exchange

    def _head(self, request: httpx.Request, base: Exchange, started: float) -> httpx.Response:
        """Sends the request and reads the answer's head (the body is streamed by :meth:`_body`)."""
        where = f"{request.method} {request.url.path}"
        try:
            return self._http.send(request, stream=True)
        except httpx.TimeoutException as exc:
            if self._too_slow(started):
                raise TargetTimeout(
                    f"{where}: the answer's head took longer than {self.total_timeout}s in all (it arrives, "
                    "but too slowly)",
                    base,
                ) from None
            raise TargetTimeout(
                f"no answer to {where} within the timeouts (connect/read {self._http.timeout.connect}s/"
                f"{self.read_timeout}s): {type(exc).__name__}",
                base,
            ) from None
        except httpx.HTTPError as exc:
            message = (
                f"{where}: the connection failed before a complete HTTP answer ({type(exc).__name__}: {exc})"
            )
            if attempt.lost_on_kept_alive:
                raise _LostOnKeptAlive(message, base, written=attempt.written) from None
            raise ProtocolViolation(message, base) from None

    def _body(
        self, request: httpx.Request, response: httpx.Response, base: Exchange, started: float
    ) -> bytes:
        """The whole body, within the size cap and the exchange's deadline."""
        where = f"{request.method} {request.url.path}"
        body = bytearray()
        try:
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > self.max_response_bytes:
                    raise ProtocolViolation(
                        f"{where}: the answer exceeds {self.max_response_bytes} bytes",
                        _with_response(base, response, bytes(body[:EXCERPT_BYTES]), started),
                    )
        except httpx.TimeoutException:
            why = (
                f"took longer than {self.total_timeout}s in all (it arrives, but too slowly)"
                if self._too_slow(started)
                else f"did not arrive within the read timeout ({self.read_timeout}s)"
            )
            raise TargetTimeout(
                f"{where}: the body {why}",
                _with_response(base, response, bytes(body[:EXCERPT_BYTES]), started),
            ) from None
        except httpx.HTTPError as exc:
            raise ProtocolViolation(
                f"{where}: the answer was cut or malformed ({type(exc).__name__}: {exc})",
                _with_response(base, response, bytes(body), started),
            ) from None
        return bytes(body)

    # -- the five operations -------------------------------------------------------------------------
    def list_jobs(
        self, params: Mapping[str, Any] | Iterable[tuple[str, str]] | None = None, **kw: Any
    ) -> Exchange:
        return self.request("GET", JOBS_PATH, params=params, **kw)

    def create_job(self, segment_ids: Iterable[str], **kw: Any) -> Exchange:
        return self.request("POST", JOBS_PATH, json_body=[{"segmentId": s} for s in segment_ids], **kw)

    def get_job(self, job_id: str, **kw: Any) -> Exchange:
        return self.request("GET", f"{JOBS_PATH}/{job_id}", **kw)

    def bulk_get(self, ids: Iterable[str], **kw: Any) -> Exchange:
        return self.request(
            "POST", f"{JOBS_PATH}/bulk-get", json_body={"ids": [{"id": i} for i in ids]}, **kw
        )

    def cancel_job(self, job_id: str, **kw: Any) -> Exchange:
        return self.request("DELETE", f"{JOBS_PATH}/{job_id}", **kw)


def _with_response(base: Exchange, response: httpx.Response, body: bytes, started: float) -> Exchange:
    return Exchange(
        base.method,
        base.url,
        base.request_headers,
        base.request_body,
        status=response.status_code,
        response_headers=tuple((k, v) for k, v in response.headers.items()),
        body=body,
        elapsed_s=time.monotonic() - started,
        redactor=base.redactor,
        started_ns=base.started_ns,
    )


class _LostOnKeptAlive(ProtocolViolation):
    """The request went over a kept-alive connection that the server closed before any answer."""

    def __init__(self, message: str, exchange: Exchange, *, written: bool) -> None:
        super().__init__(message, exchange)
        self.written = written


def _still_later(exchange: Exchange, resends: int, wait: float, budget: RetryBudget) -> str:
    asked = exchange.header("retry-after")
    why = f"Retry-After: {asked}" if asked is not None else "no Retry-After"
    return (
        f"{exchange.method} {urlsplit(exchange.url).path}: the target still answered {exchange.status} "
        f"({why}) after {resends} re-send(s), and waiting {wait:g} s more would overspend "
        f'{budget.describe()}; not judged (a 429 or 503 says "later", not "no")'
    )


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port or {"http": 80, "https": 443}.get(scheme)
