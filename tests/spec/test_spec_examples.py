"""Every example embedded in the OpenAPI document validates against the schema next to it.

The doc's own examples live in the document under names that start with ``doc-``; the API doc itself is not
read here (it is not part of the package), so their number is asserted instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from conformance._spec import load_openapi

ROOT = "urn:segment-jobs-conformance:openapi"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
DOC_PREFIX = "doc-"


@dataclass(frozen=True)
class Example:
    """One example value and the JSON pointer (into the OpenAPI document) of the schema it illustrates."""

    label: str
    name: str
    schema_pointer: str
    value: Any


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _pointer(*tokens: str) -> str:
    return "".join("/" + _escape(token) for token in tokens)


def _examples_of(label: str, pointer: str, holder: dict[str, Any], doc: dict[str, Any]) -> Iterator[Example]:
    """The examples of a media type, parameter or header object (``example`` or ``examples``)."""
    if "schema" not in holder:
        return
    if "example" in holder:
        yield Example(label, "example", pointer + "/schema", holder["example"])
    for name, example in holder.get("examples", {}).items():
        if "$ref" in example:
            example = doc["components"]["examples"][example["$ref"].rsplit("/", 1)[1]]
        yield Example(f"{label}:{name}", name, pointer + "/schema", example["value"])


def _content_examples(
    label: str, pointer: str, holder: dict[str, Any], doc: dict[str, Any]
) -> Iterator[Example]:
    for media_type, media in holder.get("content", {}).items():
        yield from _examples_of(
            f"{label}:{media_type}", pointer + _pointer("content", media_type), media, doc
        )
    for name, header in holder.get("headers", {}).items():
        if "$ref" not in header:
            yield from _examples_of(
                f"{label}:header {name}", pointer + _pointer("headers", name), header, doc
            )


def _schema_examples(label: str, pointer: str, schema: Any) -> Iterator[Example]:
    """JSON Schema ``examples`` arrays, at any depth of a schema."""
    if not isinstance(schema, dict):
        return
    for index, value in enumerate(
        schema.get("examples", []) if isinstance(schema.get("examples"), list) else []
    ):
        yield Example(f"{label}:examples[{index}]", f"examples[{index}]", pointer, value)
    for key in ("properties", "$defs", "patternProperties"):
        for name, sub in schema.get(key, {}).items():
            yield from _schema_examples(f"{label}.{name}", pointer + _pointer(key, name), sub)
    for key in ("items", "additionalProperties", "not", "contains"):
        if isinstance(schema.get(key), dict):
            yield from _schema_examples(f"{label}.{key}", pointer + _pointer(key), schema[key])
    for key in ("allOf", "anyOf", "oneOf", "prefixItems"):
        for index, sub in enumerate(schema.get(key, [])):
            yield from _schema_examples(f"{label}.{key}[{index}]", pointer + _pointer(key, str(index)), sub)


def collect_examples(doc: dict[str, Any]) -> list[Example]:
    """Every example of the document, each with the schema it belongs to; references are not followed
    (the shared components are walked once, where they are defined)."""
    found: list[Example] = []
    components = doc.get("components", {})
    for name, param in components.get("parameters", {}).items():
        found += _examples_of(f"parameters/{name}", _pointer("components", "parameters", name), param, doc)
    for name, header in components.get("headers", {}).items():
        found += _examples_of(f"headers/{name}", _pointer("components", "headers", name), header, doc)
    for name, body in components.get("requestBodies", {}).items():
        found += _content_examples(
            f"requestBodies/{name}", _pointer("components", "requestBodies", name), body, doc
        )
    for name, response in components.get("responses", {}).items():
        found += _content_examples(
            f"responses/{name}", _pointer("components", "responses", name), response, doc
        )
    for name, schema in components.get("schemas", {}).items():
        found += _schema_examples(f"schemas/{name}", _pointer("components", "schemas", name), schema)
    for path, item in doc["paths"].items():
        for index, param in enumerate(item.get("parameters", [])):
            if "$ref" not in param:
                found += _examples_of(
                    f"{path}:{param['name']}", _pointer("paths", path, "parameters", str(index)), param, doc
                )
        for method in METHODS:
            if method not in item:
                continue
            op = item[method]
            base = _pointer("paths", path, method)
            label = op.get("operationId", f"{method} {path}")
            for index, param in enumerate(op.get("parameters", [])):
                if "$ref" not in param:
                    found += _examples_of(
                        f"{label}:{param['name']}", base + _pointer("parameters", str(index)), param, doc
                    )
            body = op.get("requestBody", {})
            if "$ref" not in body:
                found += _content_examples(f"{label}:request", base + _pointer("requestBody"), body, doc)
            for code, response in op.get("responses", {}).items():
                if "$ref" not in response:
                    found += _content_examples(
                        f"{label}:{code}", base + _pointer("responses", code), response, doc
                    )
    return found


DOC = load_openapi()
EXAMPLES = collect_examples(DOC)


def _validator(doc: dict[str, Any], schema_pointer: str) -> jsonschema.protocols.Validator:
    registry: Registry[Any] = Registry().with_resource(
        ROOT, Resource.from_contents(doc, default_specification=DRAFT202012)
    )
    reference = {"$ref": ROOT + "#" + quote(schema_pointer, safe="/~")}
    return jsonschema.Draft202012Validator(
        reference, registry=registry, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


@pytest.mark.parametrize("example", EXAMPLES, ids=[example.label for example in EXAMPLES])
def test_example_validates_against_its_schema(example: Example) -> None:
    errors = [
        f"at /{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in _validator(DOC, example.schema_pointer).iter_errors(example.value)
    ]
    assert errors == []


def test_example_labels_are_unique() -> None:
    labels = [example.label for example in EXAMPLES]
    assert len(labels) == len(set(labels))


def test_the_validator_sees_a_broken_example() -> None:
    pointer = _pointer("components", "schemas", "SegmentJob")
    assert not _validator(DOC, pointer).is_valid({"id": "x", "status": "NEW"})
    templated = _pointer("paths", "/segment/jobs/{segmentJobId}", "get", "responses", "200", "content")
    assert not _validator(DOC, templated + "/application~1json/schema").is_valid({"status": "LOST"})


def test_the_doc_examples_are_all_embedded() -> None:
    """The doc has seven JSON examples; six are embedded, the 204 "body" is quoted in ERRATA E-01 only."""
    doc_examples = {example.label for example in EXAMPLES if example.name.startswith(DOC_PREFIX)}
    bodies = {
        "listSegmentJobs:200:application/json",
        "requestBodies/CreateSegmentJob:application/json",
        "createSegmentJob:200:application/json",
        "getSegmentJob:200:application/json",
        "requestBodies/BulkGet:application/json",
        "bulkGetSegmentJobs:207:application/json",
    }
    for location in bodies:
        assert any(label.startswith(location + ":" + DOC_PREFIX) for label in doc_examples), location
    assert len(doc_examples) >= 7
    assert not any(label.startswith("cancelSegmentJob:204") for label in doc_examples)


def test_the_doc_examples_keep_their_placeholders() -> None:
    values = {example.label: example.value for example in EXAMPLES}
    assert values["createSegmentJob:200:application/json:doc-create"]["imsOrgId"] == "{IMS_ORG}"
    page = values["listSegmentJobs:200:application/json:doc-list-succeeded"]
    assert page["children"][0]["segments"][0]["segment"]["expression"]["value"] == "{PQL_EXPRESSION}"
    assert page["_links"] == {"next": {}}


def test_the_create_request_example_is_the_doc_one_without_its_trailing_comma() -> None:
    values = {example.label: example.value for example in EXAMPLES}
    request = values["requestBodies/CreateSegmentJob:application/json:doc-create-request"]
    assert request == [{"segmentId": "4afe34ae-8c98-4513-8a1d-67ccaa54bc05"}]


def test_every_error_response_has_an_example() -> None:
    labels = {example.label.rsplit(":", 1)[0] for example in EXAMPLES}
    for name in DOC["components"]["responses"]:
        assert f"responses/{name}:application/json" in labels, name
