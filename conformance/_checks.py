"""Checks shared by the scenario and property tests, and the one failure format of the suite.

A :class:`ConformanceFailure` names the requirement(s) it proves violated; the roll-up marks exactly those
requirements failed. Its message always reads: requirement and title, what was expected, what came, the
request, the response excerpt and a curl line (secrets masked).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from typing import Any
from urllib.parse import urlsplit

from conformance._client import Exchange, Throttled
from conformance._lifecycle import STATUSES
from conformance._redact import Redactor
from conformance._retry import LATER
from conformance._schemas import schema_errors
from conformance._spec import load_requirements

#: masks secrets in failure messages built without an exchange; the plugin sets it from the run's settings
_default_redactor = Redactor()


def set_redactor(redactor: Redactor) -> None:
    global _default_redactor
    _default_redactor = redactor


def _titles() -> dict[str, str]:
    return {r["id"]: r["title"] for r in load_requirements()}


class ConformanceFailure(AssertionError):
    """The target violated one or more requirements."""

    def __init__(
        self,
        requirements: str | Sequence[str],
        expected: str,
        actual: str,
        exchange: Exchange | None = None,
    ) -> None:
        self.requirements = (requirements,) if isinstance(requirements, str) else tuple(requirements)
        self.expected = expected
        self.actual = actual
        self.exchange = exchange
        titles = _titles()
        head = "; ".join(f"[{r}] {titles.get(r, '')}".rstrip() for r in self.requirements)
        lines = [head, f"  expected: {expected}", f"  got:      {actual}"]
        if exchange is not None:
            lines += [
                "  request:  " + exchange.request_line.replace("\n", "\n            "),
                "  response: " + exchange.response_excerpt[:600].replace("\n", "\n            "),
                "  curl:     " + exchange.curl,
            ]
        text = _default_redactor.text("\n".join(lines))
        if exchange is not None:
            text = exchange.redactor.text(text)
        super().__init__(text)


def require(
    condition: object,
    requirement: str | Sequence[str],
    expected: str,
    actual: str,
    exchange: Exchange | None = None,
) -> None:
    if not condition:
        raise ConformanceFailure(requirement, expected, actual, exchange)


def describe_status(exchange: Exchange) -> str:
    if exchange.status is None:
        return "no answer"
    return f"HTTP {exchange.status} {exchange.body[:200].decode('utf-8', 'replace')!r}"


def expect_status(
    exchange: Exchange, allowed: Collection[int] | range, requirement: str | Sequence[str]
) -> None:
    """The answer's status is one of ``allowed``; a 5xx also violates SJ-ERROR-001.

    A 429 or 503 is the target saying "later" (the client sends such a request again within the run's retry
    budget): never the answer a test expected, a 4xx refusal included, and never a failure; it raises
    :class:`Throttled`, which leaves the requirements undecided."""
    if exchange.status in LATER:
        raise Throttled(
            f"{exchange.method} {urlsplit(exchange.url).path} was answered {exchange.status} (later) and not "
            "sent again within the run's retry budget: not judged",
            exchange,
        )
    if exchange.status in allowed:
        return
    reqs = [requirement] if isinstance(requirement, str) else list(requirement)
    if exchange.status is not None and exchange.status >= 500 and "SJ-ERROR-001" not in reqs:
        reqs.append("SJ-ERROR-001")
    shown = sorted(allowed) if not isinstance(allowed, range) else f"{allowed.start}..{allowed.stop - 1}"
    raise ConformanceFailure(reqs, f"HTTP status {shown}", describe_status(exchange), exchange)


def media_type(exchange: Exchange) -> str:
    """The answer's media type, lower case, without parameters ("" without a Content-Type)."""
    return (exchange.header("content-type") or "").split(";")[0].strip().lower()


def declares_json(exchange: Exchange) -> bool:
    """Content-Type ``application/json`` or a ``+json`` type (RFC 8259 §11, RFC 6839 §3.1)."""
    ctype = media_type(exchange)
    return ctype == "application/json" or ctype.endswith("+json")


def expect_json(exchange: Exchange) -> Any:
    """The body is declared JSON (SJ-HTTP-001) and parses (SJ-HTTP-002); returns it."""
    ctype = media_type(exchange)
    require(
        declares_json(exchange),
        "SJ-HTTP-001",
        "Content-Type application/json",
        f"Content-Type {ctype or '(none)'}",
        exchange,
    )
    try:
        return json.loads(exchange.body)
    except ValueError as exc:
        raise ConformanceFailure(
            "SJ-HTTP-002", "a body that parses as JSON", f"unparseable body ({exc})", exchange
        ) from None


def expect_schema(
    instance: Any, component: str, requirement: str | Sequence[str], exchange: Exchange | None = None
) -> None:
    errors = schema_errors(component, instance)
    if errors:
        raise ConformanceFailure(
            requirement, f"a body that conforms to the {component} schema", "; ".join(errors), exchange
        )


def expect_job(exchange: Exchange, requirement: str | Sequence[str]) -> dict[str, Any]:
    """A JSON job that conforms to the schema, with a legal status; returns it."""
    body = expect_json(exchange)
    require(
        isinstance(body, dict), requirement, "a JSON object (a segment job)", type(body).__name__, exchange
    )
    status = body.get("status")
    require(
        status in STATUSES, "SJ-LIFECYCLE-001", f"status in {', '.join(STATUSES)}", repr(status), exchange
    )
    expect_schema(body, "SegmentJob", requirement, exchange)
    job: dict[str, Any] = body
    return job


def error_body_problem(exchange: Exchange) -> str | None:
    """Why the error answer lacks a JSON error body (SJ-ERROR-002), or None when it has one."""
    if not declares_json(exchange):
        return f"Content-Type {media_type(exchange) or '(none)'}"
    try:
        body = json.loads(exchange.body)
    except ValueError:
        return "a body that does not parse as JSON"
    if not isinstance(body, dict) or not body:
        return f"a JSON {type(body).__name__} that is no error object"
    return None


def expect_error_body(exchange: Exchange) -> None:
    """The error answer carries a JSON error body (SJ-ERROR-002)."""
    problem = error_body_problem(exchange)
    require(problem is None, "SJ-ERROR-002", "a JSON error body", problem or "", exchange)
