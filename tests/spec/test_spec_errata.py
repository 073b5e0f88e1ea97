"""ERRATA.md: numbered entries with every part, and every reference to them resolves."""

from __future__ import annotations

import re
from typing import Any

import pytest

from conformance._spec import ERRATA_FILE, load_openapi, spec_text

ERRATA_HEADING = re.compile(r"^## (E-[0-9]{2}) (.+)$", re.MULTILINE)
ERRATA_REFERENCE = re.compile(r"\bE-[0-9]{2}\b")
PARTS = ("**The doc says**", "**The problem.**", "**Decision.**", "**A server may**", "**Requirements:**")
REQUIREMENT_ID = re.compile(r"\bSJ-[A-Z]+-[0-9]{3}\b")


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    """The OpenAPI document (tests must not mutate it)."""
    return load_openapi()


def entries() -> dict[str, str]:
    """Entry ID -> its text (from its heading to the next one)."""
    text = spec_text(ERRATA_FILE)
    headings = list(ERRATA_HEADING.finditer(text))
    ends = [h.start() for h in headings[1:]] + [len(text)]
    return {h.group(1): text[h.start() : end] for h, end in zip(headings, ends, strict=True)}


ENTRIES = entries()


def test_entries_are_numbered_from_e01_without_gaps() -> None:
    assert list(ENTRIES) == [f"E-{n:02d}" for n in range(1, len(ENTRIES) + 1)]


@pytest.mark.parametrize(
    "subject",
    [
        "204",
        "QUEUED",
        "not valid JSON",
        "export jobs",
        "start=1",
        "_links.next",
        "always be NEW",
        "name fields differently",
        "unknown IDs",
        "finished or already cancelled",
        "201",
        "x-sandbox-name",
        "limit",
        "Sort",
        "405",
        "400 or 415",
        "error bodies",
        "updateTime",
        "cancel",
        "lifecycle",
    ],
)
def test_the_known_gaps_of_the_doc_have_an_entry(subject: str) -> None:
    titles = [heading.group(2) for heading in ERRATA_HEADING.finditer(spec_text(ERRATA_FILE))]
    assert any(subject in title for title in titles), subject


@pytest.mark.parametrize("entry", list(ENTRIES))
def test_entry_has_every_part(entry: str) -> None:
    text = ENTRIES[entry]
    missing = [part for part in PARTS if part not in text]
    assert missing == []
    assert f'<a id="{entry.lower()}"></a>' in spec_text(ERRATA_FILE), "the index links to the entry"


@pytest.mark.parametrize("entry", list(ENTRIES))
def test_entry_names_requirements_or_says_none(entry: str) -> None:
    line = ENTRIES[entry].split("**Requirements:**", 1)[1].splitlines()[0]
    assert REQUIREMENT_ID.search(line) or "none" in line.lower()


def test_the_index_lists_every_entry() -> None:
    text = spec_text(ERRATA_FILE)
    assert [f"[{e}](#{e.lower()})" in text for e in ENTRIES] == [True] * len(ENTRIES)


def test_the_doc_204_body_is_quoted_not_embedded(openapi: dict[str, Any]) -> None:
    marked = "has been marked for cancelling"
    assert marked in ENTRIES["E-01"]
    assert "RFC 9110 §15.3.5" in ENTRIES["E-01"]
    assert marked not in repr(openapi["paths"]["/segment/jobs/{segmentJobId}"]["delete"]["responses"]["204"])


def test_every_errata_reference_of_the_openapi_document_exists() -> None:
    referenced = set(ERRATA_REFERENCE.findall(spec_text()))
    assert sorted(referenced - set(ENTRIES)) == []


def test_every_errata_reference_inside_the_errata_exists() -> None:
    referenced = set(ERRATA_REFERENCE.findall(spec_text(ERRATA_FILE)))
    assert sorted(referenced - set(ENTRIES)) == []
