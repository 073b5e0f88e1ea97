"""Every answer judged: the rules of every answer, whichever test sent the request."""

from __future__ import annotations

import pytest

from conformance._audit import RECORD_ID, AnswerAudit
from conformance._exchange import Exchange
from conformance._redact import Redactor

JSON = (("Content-Type", "application/json"),)


def answer(status: int, body: bytes = b"{}", headers: tuple[tuple[str, str], ...] = JSON) -> Exchange:
    return Exchange("GET", "http://127.0.0.1:1/segment/jobs?limit=1", (), None, status, headers, body)


def test_honest_answers_pass_every_rule_they_speak_of() -> None:
    audit = AnswerAudit()
    for exchange in (
        answer(200),
        answer(207, b'{"results": {}}', (("Content-Type", "application/problem+json; charset=utf-8"),)),
        answer(204, b"", ()),
        answer(404, b"not found", (("Content-Type", "text/plain"),)),  # a 4xx body is judged elsewhere
        answer(503, b"", ()),  # "later": sent again, never judged
    ):
        audit.judge(exchange)
    record = audit.record()
    assert record is not None and record.id == RECORD_ID
    assert (record.outcome, record.verdicts) == (
        "passed",
        {"SJ-ERROR-001": "pass", "SJ-HTTP-001": "pass", "SJ-HTTP-002": "pass"},
    )
    assert audit.judged == 5


@pytest.mark.parametrize(
    ("exchange", "requirement", "got"),
    [
        (answer(500, b"oops", (("Content-Type", "text/plain"),)), "SJ-ERROR-001", "HTTP 500"),
        (answer(502), "SJ-ERROR-001", "HTTP 502"),
        (answer(200, b"[]", (("Content-Type", "text/plain"),)), "SJ-HTTP-001", "Content-Type text/plain"),
        (answer(200, b"{", JSON), "SJ-HTTP-002", "does not parse"),
        (answer(400, b"<html>", JSON), "SJ-HTTP-002", "does not parse"),
    ],
)
def test_an_answer_that_breaks_a_rule_fails_it_naming_the_test_that_sent_it(
    exchange: Exchange, requirement: str, got: str
) -> None:
    audit = AnswerAudit()
    audit.judge(answer(200))
    audit.judge(exchange, "test_listing.py::test_limit_bounds_the_page")
    audit.judge(exchange, "another")
    record = audit.record()
    assert record is not None and record.outcome == "failed"
    assert record.verdicts[requirement] == "fail"
    assert got in record.message
    assert "sent by test_listing.py::test_limit_bounds_the_page" in record.message
    assert "2 of" in record.message
    assert record.curl.startswith("curl -X GET")


def test_a_rule_with_nothing_to_judge_or_out_of_scope_credits_nothing() -> None:
    audit = AnswerAudit()
    assert audit.record() is None
    audit.judge(answer(204, b"", ()))
    record = audit.record()
    assert record is not None and set(record.verdicts) == {"SJ-ERROR-001"}
    assert audit.record(out_of_scope={"SJ-ERROR-001"}) is None


def test_secrets_never_reach_the_message() -> None:
    redactor = Redactor.of(["s3cr3t-token"])
    audit = AnswerAudit()
    leaked = Exchange(
        "GET",
        "http://127.0.0.1:1/segment/jobs?token=s3cr3t-token",
        (("Authorization", "Bearer s3cr3t-token"),),
        None,
        500,
        redactor=redactor,
    )
    audit.judge(leaked)
    record = audit.record()
    assert record is not None
    assert "s3cr3t-token" not in record.message + record.curl + record.request
