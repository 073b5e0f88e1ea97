"""No secret reaches a report file, wherever it was planted and however it is escaped."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pytest

from conformance._redact import Redactor
from conformance.reporting import write_reports
from conformance.reporting._masking import clean

Results = dict[str, Any]

TOKEN = "tok-SECRET-7f3a9c1e-bearer"
API_KEY = "key-SECRET-5d2b8e4f-apikey"
PASSWORD = "pw-SECRET-0a1b2c3d-userinfo"
ODD = 'odd&SECRET<9e8d>"quoted"|piped'
PLANTED = (TOKEN, API_KEY, PASSWORD, ODD)


def _plant(results: Results) -> Results:
    results["target"]["base_url"] = f"https://conformance:{PASSWORD}@127.0.0.1:8443/data/core/ups"
    test = next(t for t in results["tests"] if t["outcome"] == "failed")
    test["message"] = f"expected 401 for token {TOKEN}, got 200; key {API_KEY}; odd {ODD}"
    test["curl"] = (
        f"curl -X GET 'https://conformance:{PASSWORD}@127.0.0.1:8443/segment/jobs' "
        f"-H 'Authorization: Bearer {TOKEN}' -H 'x-api-key: {API_KEY}'"
    )
    skipped = next(t for t in results["tests"] if t["outcome"] == "skipped")
    skipped["reason"] = f"skip: server refused key {API_KEY}"
    req = next(r for r in results["requirements"] if r["failures"])
    req["title"] = f"Title mentioning {ODD}"
    failure = req["failures"][0]
    failure["message"] = f"token {TOKEN} was echoed back"
    failure["curl"] = test["curl"]
    failure["request"] = f"GET /segment/jobs\nAuthorization: Bearer {TOKEN}\nx-api-key: {API_KEY}\n"
    failure["response"] = (
        f'HTTP 200\n\n{{"echo": "{TOKEN}", "key": "{API_KEY}", "odd": "{html.escape(ODD)}"}}'
    )
    results["jobs"][0]["id"] = f"job-{TOKEN}"
    return results


def _read_all(paths: list[Path]) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in paths)


def _variants(secret: str) -> set[str]:
    return {
        secret,
        html.escape(secret),
        html.escape(secret, quote=False),
        secret.replace("|", "\\|"),
        html.escape(secret, quote=False).replace("|", "\\|"),
    }


def test_planted_secrets_never_reach_a_report(nonconformant: Results, tmp_path: Path) -> None:
    results = _plant(nonconformant)
    redactor = Redactor.of([TOKEN, API_KEY, PASSWORD, ODD])
    paths = write_reports(results, tmp_path, redactor=redactor)
    assert [p.name for p in paths] == ["junit.xml", "report.html", "summary.md"]
    text = _read_all(paths)
    for secret in PLANTED:
        for form in _variants(secret):
            assert form not in text, f"{form!r} leaked"
    # the secrets' own distinctive parts do not leak either
    assert "SECRET" not in text
    assert "***" in text
    # the caller's dict is left as it was
    assert any(TOKEN in t["message"] for t in results["tests"])


def test_headers_and_passwords_are_masked_without_a_redactor(nonconformant: Results, tmp_path: Path) -> None:
    results = _plant(nonconformant)
    text = _read_all(write_reports(results, tmp_path))
    assert PASSWORD not in text  # URL userinfo
    assert "https://***@127.0.0.1:8443" in text
    for path in tmp_path.iterdir():
        body = path.read_text(encoding="utf-8")
        # header values in curl lines and request excerpts
        assert f"Bearer {TOKEN}'" not in body
        assert f"x-api-key: {API_KEY}'" not in body
        assert f"Authorization: Bearer {TOKEN}\n" not in body


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("curl -H 'Authorization: Bearer abc.def' x", "curl -H 'Authorization: Bearer ***' x"),
        ('curl -H "X-Api-Key: k123" x', 'curl -H "X-Api-Key: ***" x'),
        ('{"x-api-key": "k123", "other": "v"}', '{"x-api-key": "***", "other": "v"}'),
        ("GET /x\ncookie: a=b; c=d\n", "GET /x\ncookie: ***\n"),
        ("curl -u user:pass http://h/", "curl -u *** http://h/"),
        ("see http://u:p@h:1/x and https://h/y", "see http://***@h:1/x and https://h/y"),
    ],
)
def test_masking_of_request_text(text: str, expected: str) -> None:
    assert clean({"curl": text})["curl"] == expected


def test_messages_keep_header_names(nonconformant: Results) -> None:
    message = "no x-api-key: expected 403, got 200"
    assert clean({"message": message})["message"] == message


def test_the_final_pass_masks_escaped_forms() -> None:
    redactor = Redactor.of(["a&b<c>d"])
    rendered = "raw a&b<c>d html a&amp;b&lt;c&gt;d end"
    assert redactor.text(rendered) == "raw *** html *** end"


def test_reasons_and_coverage_are_masked_too(incomplete: Results, tmp_path: Path) -> None:
    secret_reason = f"the target refused key {API_KEY} and token {TOKEN}"
    row = next(r for r in incomplete["requirements"] if r["id"] == "SJ-GET-001")
    row["reason"] = secret_reason
    row["cause"] = f"refused {ODD}"
    incomplete["coverage"]["undecided_reasons"]["SJ-GET-001"] = secret_reason
    incomplete["coverage"]["undecided_causes"][0] = f"refused {ODD}"
    incomplete["coverage"]["out_of_scope_reasons"]["SJ-SANDBOX-001"] = f"sandbox {PASSWORD}"
    skipped = next(t for t in incomplete["tests"] if t["name"] == "test_get_returns_the_job")
    skipped["reason"] = secret_reason
    old = next(t for t in incomplete["tests"] if t["name"] == "test_jobs_invisible_from_other_sandbox")
    old.pop("skip_kind")
    old["reason"] = f"disabled: needs https://u:{PASSWORD}@sandbox.example"
    redactor = Redactor.of([TOKEN, API_KEY, PASSWORD, ODD])
    text = _read_all(write_reports(incomplete, tmp_path, redactor=redactor))
    for secret in PLANTED:
        for form in _variants(secret):
            assert form not in text, f"{form!r} leaked"
    assert "SECRET" not in text
    assert "the target refused key *** and token ***" in text
