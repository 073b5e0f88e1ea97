"""The property tests' tables: what a failed check blames, and the package's documentation of it."""

from __future__ import annotations

import re

import pytest

import conformance.properties as props
from conformance.properties.rules import BLAME, BULK_GET, CREATE, LIST, blamed


@pytest.mark.parametrize(
    ("check", "kind", "rules", "status", "requirement"),
    [
        ("not_a_server_error", "ServerError", LIST, 500, "SJ-ERROR-001"),
        ("status_code_conformance", "UndefinedStatusCode", CREATE, 418, "SJ-ERROR-003"),
        ("content_type_conformance", "UndefinedContentType", LIST, 200, "SJ-HTTP-001"),
        ("content_type_conformance", "UndefinedContentType", LIST, 400, "SJ-ERROR-002"),
        ("content_type_conformance", "UndefinedContentType", LIST, 429, "SJ-ERROR-002"),
        ("response_headers_conformance", "MissingHeaders", LIST, 429, "SJ-ERROR-005"),
        ("response_headers_conformance", "MissingHeaders", BULK_GET, 207, "SJ-BULK-007"),
        ("response_schema_conformance", "JsonSchemaError", LIST, 200, "SJ-LIST-014"),
        ("response_schema_conformance", "MalformedJson", LIST, 200, "SJ-HTTP-002"),
        ("response_schema_conformance", "JsonSchemaError", CREATE, 400, "SJ-ERROR-002"),
        ("negative_data_rejection", "AcceptedNegativeData", BULK_GET, 207, "SJ-BULK-006"),
        ("positive_data_acceptance", "RejectedPositiveData", CREATE, 400, "SJ-CREATE-001"),
        ("content_type_conformance", "ContentTypeServerError", LIST, 502, "SJ-ERROR-001"),
        ("some_future_check", "Whatever", CREATE, 200, "SJ-CREATE-006"),
    ],
)
def test_a_failed_check_blames_the_requirement_it_stands_for(
    check: str, kind: str, rules: props.OperationRules, status: int, requirement: str
) -> None:
    assert blamed(check, kind, rules, status) == (requirement,)


def _documented_rows() -> dict[str, str]:
    """The package docstring's table of checks: check name -> the text of its row."""
    doc = props.__doc__ or ""
    table = doc.split("Checks used, and the requirement", 1)[1].split("Checks not used", 1)[0]
    rows: dict[str, str] = {}
    current = ""
    for line in table.splitlines():
        match = re.match(r"^    ([a-z_]+)(?: \(own\))?\s{2,}(.*)$", line)
        if match:
            current = match.group(1)
            rows[current] = match.group(2)
        elif current and line.startswith(" " * 20):
            rows[current] += " " + line.strip()
    return rows


def test_the_documentation_names_every_check_and_what_it_blames() -> None:
    rows = _documented_rows()
    for check, _, requirement in BLAME:
        assert check in rows, f"{check} is not in the package docstring's table"
        if requirement.startswith("SJ-"):
            assert requirement in rows[check], f"{check}: {requirement} is not documented"
        else:
            assert "schema requirement" in rows[check] or "SJ-" in rows[check], check
    own = {c.name for c in props.checks.stateful(None, None, set()).own}  # type: ignore[arg-type]
    own |= {c.name for c in props.checks.credentials(None, set()).own}  # type: ignore[arg-type]
    assert own <= set(rows), f"own checks missing from the docstring: {own - set(rows)}"
