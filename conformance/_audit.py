"""Every answer judged: whichever test sent the request, and whatever that test looked at.

Each answer the client receives (scenario, property and stateful tests, the fleet, the clean-up) is held
against the rules that hold for every answer of this API, as data in :data:`RULES`: never a 5xx (SJ-ERROR-001;
a 503 is "later", RFC 9110 §15.6.4, and the client sends the request again), a 2xx with a body declares JSON
(SJ-HTTP-001), a body declared JSON parses (SJ-HTTP-002). The run's record of them (``every-answer`` in
``results.json``) passes a rule that had something to judge and no answer broke, and fails it with the first
answer that broke it, the test that sent it and how many did. Framing (SJ-HTTP-004) is judged as each answer
is read: an answer that is no HTTP fails the request itself. The raw-socket exchanges of the cancel's wire
test are judged by that test."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from conformance._checks import declares_json, media_type
from conformance._exchange import Exchange
from conformance._results import TestRecord

#: the id, name and group of the run's record of every answer
RECORD_ID = "every-answer"


@dataclass(frozen=True)
class Rule:
    requirement: str
    #: what every answer shows, in words (the "expected" of a failure)
    expected: str
    #: whether the rule speaks of the answer at all
    applies: Callable[[Exchange], bool]
    #: what the answer shows instead, or None when it keeps the rule
    broken: Callable[[Exchange], str | None]


def _has_body(exchange: Exchange) -> bool:
    return exchange.status is not None and exchange.status != 204 and bool(exchange.body.strip())


def _unparsed(exchange: Exchange) -> str | None:
    try:
        json.loads(exchange.body)
    except ValueError as exc:
        return f"a body declared {media_type(exchange)} that does not parse ({exc})"
    return None


RULES: tuple[Rule, ...] = (
    Rule(
        "SJ-ERROR-001",
        "no answer in the 5xx class (503 is sent again after its Retry-After)",
        lambda ex: ex.status is not None and ex.status != 503,
        lambda ex: f"HTTP {ex.status}" if ex.status is not None and ex.status >= 500 else None,
    ),
    Rule(
        "SJ-HTTP-001",
        "a 2xx answer with a body declares application/json (or a +json type)",
        lambda ex: ex.status is not None and 200 <= ex.status < 300 and _has_body(ex),
        lambda ex: (
            None if declares_json(ex) else f"HTTP {ex.status} with Content-Type {media_type(ex) or '(none)'}"
        ),
    ),
    Rule(
        "SJ-HTTP-002",
        "a body declared JSON parses as JSON",
        lambda ex: _has_body(ex) and declares_json(ex),
        _unparsed,
    ),
)


@dataclass
class _Broken:
    exchange: Exchange
    got: str
    test: str
    count: int = 1


@dataclass
class AnswerAudit:
    """What every answer of the run showed against :data:`RULES`. Thread-safe."""

    judged: int = 0
    #: requirement -> answers the rule spoke of
    applied: dict[str, int] = field(default_factory=dict)
    #: requirement -> the first answer that broke it (and how many did)
    broken: dict[str, _Broken] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def judge(self, exchange: Exchange, test: str = "") -> None:
        with self.lock:
            self.judged += 1
            for rule in RULES:
                if not rule.applies(exchange):
                    continue
                self.applied[rule.requirement] = self.applied.get(rule.requirement, 0) + 1
                got = rule.broken(exchange)
                if got is None:
                    continue
                if rule.requirement in self.broken:
                    self.broken[rule.requirement].count += 1
                else:
                    self.broken[rule.requirement] = _Broken(exchange, got, test)

    def record(self, out_of_scope: Collection[str] = ()) -> TestRecord | None:
        """The run's record of every answer (None when no rule in scope had an answer to judge)."""
        with self.lock:
            judged = [
                r for r in RULES if r.requirement not in out_of_scope and self.applied.get(r.requirement)
            ]
            if not judged:
                return None
            verdicts = {r.requirement: "fail" if r.requirement in self.broken else "pass" for r in judged}
            record = TestRecord(
                id=RECORD_ID,
                name=RECORD_ID,
                group="http",
                requirements=tuple(verdicts),
                outcome="failed" if "fail" in verdicts.values() else "passed",
                verdicts=verdicts,
            )
            failed = [r for r in judged if r.requirement in self.broken]
            if failed:
                first = self.broken[failed[0].requirement]
                record.message = "\n".join(self._failure(r) for r in failed)
                record.curl = first.exchange.curl
                record.request = first.exchange.request_line
                record.response = first.exchange.response_excerpt
            return record

    def _failure(self, rule: Rule) -> str:
        broken = self.broken[rule.requirement]
        sent_by = f" (sent by {broken.test})" if broken.test else ""
        more = (
            f"; {broken.count} of {self.applied[rule.requirement]} such answers" if broken.count > 1 else ""
        )
        target = broken.exchange.request_line.splitlines()[0]
        text = (
            f"[{rule.requirement}] expected: {rule.expected}\n  got: {broken.got} to {target}{sent_by}{more}"
        )
        return broken.exchange.redactor.text(text)
