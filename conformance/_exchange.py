"""One request and what came back (:class:`Exchange`), and the exceptions that say why there is no answer to
judge. Every exception carries the exchange it came from; its text is masked by the exchange's redactor.

    TransportError            the target did not give a usable HTTP answer
    ├── TargetTimeout         no answer within the connect/read timeout          -> SJ-HTTP-006
    ├── ProtocolViolation     reset, garbage, truncated or oversized answer      -> SJ-HTTP-004
    └── Redirected            a 3xx: the suite never follows it                  -> SJ-HTTP-005
    Inconclusive              no answer to judge, and HTTP allows it: undecided, never failed
    ├── Throttled             still 429/503 once the run's retry budget is spent
    └── ClosedInFlight        a create that a closing kept-alive connection took, which cannot be re-sent
"""

from __future__ import annotations

import datetime as dt
import json
import shlex
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from conformance._redact import Redactor

EXCERPT_BYTES = 2000
#: headers about the body's encoding on the wire; an Exchange holds the decoded body
_WIRE_ONLY_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length"})


@dataclass(frozen=True)
class Exchange:
    """One request and what came back (``status`` is None when nothing usable came back)."""

    method: str
    url: str
    request_headers: tuple[tuple[str, str], ...]
    request_body: bytes | None
    status: int | None = None
    response_headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    elapsed_s: float = 0.0
    redactor: Redactor = field(default_factory=Redactor, compare=False, repr=False)
    #: when the request went out: nanoseconds since the epoch (``conformance._ratelimit.now_ns``); 0 unknown
    started_ns: int = 0

    def header(self, name: str) -> str | None:
        for key, value in self.response_headers:
            if key.lower() == name.lower():
                return value
        return None

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def curl(self) -> str:
        """A curl command that reproduces the request, secrets masked."""
        r = self.redactor
        parts = ["curl", "-X", self.method, shlex.quote(r.text(self.url))]
        for name, value in self.request_headers:
            if name.lower() in (
                "host",
                "content-length",
                "accept-encoding",
                "connection",
                "user-agent",
                "accept",
            ):
                continue
            parts += ["-H", shlex.quote(f"{name}: {r.header_value(name, value)}")]
        if self.request_body is not None:
            parts += ["-d", shlex.quote(r.text(self.request_body.decode("utf-8", "replace")))]
        return " ".join(parts)

    def as_httpx(self) -> httpx.Response:
        """The answer as an ``httpx.Response`` (for libraries that judge one, such as schemathesis' checks).
        The body is the decoded one, so the headers that described its encoding on the wire are left out."""
        request = httpx.Request(
            self.method, self.url, headers=list(self.request_headers), content=self.request_body or b""
        )
        headers = [(k, v) for k, v in self.response_headers if k.lower() not in _WIRE_ONLY_HEADERS]
        response = httpx.Response(self.status or 0, headers=headers, content=self.body, request=request)
        response.elapsed = dt.timedelta(seconds=self.elapsed_s)
        return response

    @property
    def request_line(self) -> str:
        path = urlsplit(self.url)
        target = path.path + (f"?{path.query}" if path.query else "")
        body = ""
        if self.request_body is not None:
            body = "\n" + self.request_body[:EXCERPT_BYTES].decode("utf-8", "replace")
        return self.redactor.text(f"{self.method} {target}{body}")

    @property
    def response_excerpt(self) -> str:
        if self.status is None:
            return "(no response)"
        ctype = self.header("content-type") or "-"
        text = self.body[:EXCERPT_BYTES].decode("utf-8", "replace")
        more = f"\n... ({len(self.body)} bytes in all)" if len(self.body) > EXCERPT_BYTES else ""
        return self.redactor.text(f"HTTP {self.status} ({ctype})\n{text}{more}")


class TransportError(Exception):
    """The target did not give a usable HTTP answer."""

    requirement = "SJ-HTTP-004"

    def __init__(self, message: str, exchange: Exchange) -> None:
        super().__init__(exchange.redactor.text(message))
        self.exchange = exchange


class TargetTimeout(TransportError):
    requirement = "SJ-HTTP-006"


class ProtocolViolation(TransportError):
    requirement = "SJ-HTTP-004"


class Redirected(TransportError):
    requirement = "SJ-HTTP-005"


class Inconclusive(Exception):
    """No answer to judge, in a way HTTP allows: the requirements in question are undecided, never failed."""

    cause = "no answer to judge"

    def __init__(self, message: str, exchange: Exchange) -> None:
        super().__init__(exchange.redactor.text(message))
        self.exchange = exchange


class Throttled(Inconclusive):
    """The target still answered 429 or 503 ("later") once the run's retry budget was spent."""

    cause = "429/503 past the retry budget"


class ClosedInFlight(Inconclusive):
    """A kept-alive connection closed by the server took a request that cannot be sent again (a create that
    was written): whether it was applied is unknown."""

    cause = "connection closed under a create"
