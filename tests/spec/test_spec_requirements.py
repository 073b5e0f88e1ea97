"""The requirement catalog (``spec/requirements.yaml``) against its schema, the OpenAPI doc and ERRATA."""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

import jsonschema
import pytest
import yaml

from conformance._spec import (
    ERRATA_FILE,
    REQUIREMENTS_FILE,
    REQUIREMENTS_SCHEMA_FILE,
    load_openapi,
    load_requirements,
    spec_text,
)

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
ERRATA_ID = re.compile(r"\bE-[0-9]{2}\b")
REQUIREMENT_ID = re.compile(r"\bSJ-[A-Z]+-[0-9]{3}\b")
ERRATA_HEADING = re.compile(r"^## (E-[0-9]{2}) ", re.MULTILINE)
# Section anchors of the API doc: its heading slugs and its explicit `{#...}` anchors.
DOC_ANCHORS = {
    "segment-jobs-endpoint",
    "getting-started",
    "retrieve-list",
    "create",
    "get",
    "bulk-get",
    "delete",
    "next-steps",
}


@pytest.fixture(scope="module")
def catalog() -> dict[str, Any]:
    """The whole file, as written (``load_requirements`` hands out only its list)."""
    data: dict[str, Any] = yaml.safe_load(spec_text(REQUIREMENTS_FILE))
    return data


@pytest.fixture(scope="module")
def requirements() -> list[dict[str, Any]]:
    return load_requirements()


@pytest.fixture(scope="module")
def errata_ids() -> list[str]:
    return ERRATA_HEADING.findall(spec_text(ERRATA_FILE))


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    """The OpenAPI document (tests must not mutate it)."""
    return load_openapi()


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = json.loads(spec_text(REQUIREMENTS_SCHEMA_FILE))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_the_catalog_validates_against_its_schema(catalog: dict[str, Any]) -> None:
    schema = json.loads(spec_text(REQUIREMENTS_SCHEMA_FILE))
    errors = [
        f"at /{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in jsonschema.Draft202012Validator(schema).iter_errors(catalog)
    ]
    assert errors == []


def test_the_schema_refuses_what_the_catalog_must_not_hold() -> None:
    validator = jsonschema.Draft202012Validator(json.loads(spec_text(REQUIREMENTS_SCHEMA_FILE)))
    entry = {
        "id": "SJ-CANCEL-002",
        "level": "MUST",
        "title": "A 204 answer to cancel carries no content at all",
        "source": "RFC 9110 §15.3.5",
        "quote": "it cannot contain content or trailers",
        "operations": ["cancelSegmentJob"],
    }
    assert validator.is_valid({"requirements": [entry]})
    for broken in (
        {**entry, "id": "SJ-CANCEL-2"},
        {**entry, "id": "SJ-DELETE-002"},
        {**entry, "level": "must"},
        {**entry, "source": "somewhere"},
        {**entry, "quote": ""},
        {**entry, "operations": ["deleteSegmentJob"]},
        {**entry, "errata": ["E-1"]},
        {**entry, "unknown": 1},
        {k: v for k, v in entry.items() if k != "quote"},
    ):
        assert not validator.is_valid({"requirements": [broken]}), broken


def test_ids_are_unique(requirements: list[dict[str, Any]]) -> None:
    duplicates = [rid for rid, count in Counter(r["id"] for r in requirements).items() if count > 1]
    assert duplicates == []


def test_every_entry_has_a_source_and_a_quote(requirements: list[dict[str, Any]]) -> None:
    missing = [
        r.get("id") for r in requirements if not r.get("source", "").strip() or not r.get("quote", "").strip()
    ]
    assert missing == []


def test_doc_anchors_exist_in_the_doc(requirements: list[dict[str, Any]]) -> None:
    unknown = [
        (r["id"], r["source"])
        for r in requirements
        if r["source"].startswith("#") and r["source"][1:] not in DOC_ANCHORS
    ]
    assert unknown == []


def test_every_operation_named_exists_in_the_openapi_document(
    requirements: list[dict[str, Any]], openapi: dict[str, Any]
) -> None:
    operation_ids = {
        item[method]["operationId"]
        for item in openapi["paths"].values()
        for method in METHODS
        if method in item
    }
    unknown = [(r["id"], op) for r in requirements for op in r["operations"] if op not in operation_ids]
    assert unknown == []


def test_every_errata_entry_referenced_exists(
    requirements: list[dict[str, Any]], errata_ids: list[str]
) -> None:
    referenced = {(r["id"], e) for r in requirements for e in r.get("errata", [])}
    referenced |= {(r["id"], e) for r in requirements for e in ERRATA_ID.findall(r["source"])}
    assert sorted((rid, e) for rid, e in referenced if e not in errata_ids) == []


def test_every_requirement_id_in_the_errata_exists(requirements: list[dict[str, Any]]) -> None:
    known = {r["id"] for r in requirements}
    mentioned = set(REQUIREMENT_ID.findall(spec_text(ERRATA_FILE)))
    assert sorted(mentioned - known) == []
