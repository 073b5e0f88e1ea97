"""The OpenAPI document: valid OpenAPI 3.1, and the shape the suite and its tools rely on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from conformance._spec import load_openapi

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

OPERATIONS = {
    "listSegmentJobs": ("get", "/segment/jobs"),
    "createSegmentJob": ("post", "/segment/jobs"),
    "getSegmentJob": ("get", "/segment/jobs/{segmentJobId}"),
    "cancelSegmentJob": ("delete", "/segment/jobs/{segmentJobId}"),
    "bulkGetSegmentJobs": ("post", "/segment/jobs/bulk-get"),
}

SUCCESS = {
    "listSegmentJobs": {"200"},
    "createSegmentJob": {"200"},
    "getSegmentJob": {"200"},
    "cancelSegmentJob": {"204"},
    "bulkGetSegmentJobs": {"207"},
}

#: every operation declares 4XX too: any refusal is a documented status (ERRATA E-17)
ERRORS = {
    "listSegmentJobs": {"400", "401", "403", "429", "4XX", "500", "503"},
    "createSegmentJob": {"400", "401", "403", "415", "429", "4XX", "500", "503"},
    "getSegmentJob": {"400", "401", "403", "404", "429", "4XX", "500", "503"},
    "cancelSegmentJob": {"400", "401", "403", "404", "409", "429", "4XX", "500", "503"},
    "bulkGetSegmentJobs": {"400", "401", "403", "415", "429", "4XX", "500", "503"},
}

STATUSES = ["NEW", "QUEUED", "PROCESSING", "SUCCEEDED", "FAILED", "CANCELLING", "CANCELLED"]

SCHEMAS = {
    "SegmentJob",
    "JobStatus",
    "Sandbox",
    "SegmentEntry",
    "SegmentDefinition",
    "Expression",
    "MergePolicy",
    "Metrics",
    "TimeSpan",
    "JobLinks",
    "Link",
    "JobError",
    "SegmentJobPage",
    "CreateSegmentJobRequest",
    "BulkGetRequest",
    "BulkGetResponse",
    "BulkGetError",
    "GatewayError",
    "Problem",
    "ErrorBody",
}


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    """The OpenAPI document (tests must not mutate it)."""
    return load_openapi()


def resolve(doc: dict[str, Any], node: Any) -> Any:
    """Follows local ``$ref`` chains (``#/components/...``) to the object they name."""
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), f"only local references are expected, got {ref}"
        node = doc
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """(path, method, path item, operation) for every operation of the document."""
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item, item[method]


def operation(doc: dict[str, Any], operation_id: str) -> dict[str, Any]:
    method, path = OPERATIONS[operation_id]
    op: dict[str, Any] = doc["paths"][path][method]
    return op


def parameters(doc: dict[str, Any], operation_id: str) -> list[dict[str, Any]]:
    """The parameters of an operation, path-level ones included, with references resolved."""
    method, path = OPERATIONS[operation_id]
    item = doc["paths"][path]
    raw = list(item.get("parameters", [])) + list(item[method].get("parameters", []))
    return [resolve(doc, p) for p in raw]


def walk(node: Any) -> Iterator[tuple[str, Any]]:
    """Every (key, value) pair of every mapping in a nested structure."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def test_document_validates_as_openapi_3_1(openapi: dict[str, Any]) -> None:
    assert openapi["openapi"] == "3.1.0"
    validate(openapi, cls=OpenAPIV31SpecValidator)


def test_the_five_operations_and_nothing_else(openapi: dict[str, Any]) -> None:
    found = {op["operationId"]: (method, path) for path, method, _, op in operations(openapi)}
    assert found == OPERATIONS


@pytest.mark.parametrize("operation_id", sorted(OPERATIONS))
def test_operation_has_a_defined_tag_a_summary_and_a_description(
    openapi: dict[str, Any], operation_id: str
) -> None:
    op = operation(openapi, operation_id)
    defined = {tag["name"] for tag in openapi["tags"]}
    assert op["tags"], "every operation has a tag"
    assert set(op["tags"]) <= defined
    assert op["summary"].strip()
    assert '"' in op["description"], "the description quotes the API doc"


def test_no_x_requirements_extension_anywhere(openapi: dict[str, Any]) -> None:
    assert [key for key, _ in walk(openapi) if key == "x-requirements"] == []


@pytest.mark.parametrize("operation_id", sorted(OPERATIONS))
def test_success_statuses_are_the_documented_ones(openapi: dict[str, Any], operation_id: str) -> None:
    codes = {code for code in operation(openapi, operation_id)["responses"] if code.startswith("2")}
    assert codes == SUCCESS[operation_id]


def test_bulk_get_answers_207_and_no_other_success(openapi: dict[str, Any]) -> None:
    responses = operation(openapi, "bulkGetSegmentJobs")["responses"]
    assert [code for code in responses if code[0] in "123"] == ["207"]
    assert "application/json" in responses["207"]["content"]


def test_cancel_answers_204_without_any_content(openapi: dict[str, Any]) -> None:
    response = resolve(openapi, operation(openapi, "cancelSegmentJob")["responses"]["204"])
    assert "content" not in response
    assert "ERRATA E-01" in response["description"]


@pytest.mark.parametrize("operation_id", sorted(OPERATIONS))
def test_error_statuses_are_declared_with_json_error_bodies(
    openapi: dict[str, Any], operation_id: str
) -> None:
    responses = operation(openapi, operation_id)["responses"]
    errors = {code for code in responses if code[0] in "45"}
    assert errors == ERRORS[operation_id]
    for code in errors:
        assert responses[code]["$ref"].startswith("#/components/responses/"), "errors are shared components"
        content = resolve(openapi, responses[code])["content"]
        assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorBody"}
        assert "application/problem+json" in content


def test_no_405_is_declared_since_openapi_cannot_declare_it_per_method(openapi: dict[str, Any]) -> None:
    assert all("405" not in op["responses"] for _, _, _, op in operations(openapi))


def test_any_other_refusal_is_a_documented_status(openapi: dict[str, Any]) -> None:
    """A 404, 413 or 422 refusal is documented on every operation, as HTTP's class rule says (ERRATA E-17);
    no other range is: a 2xx other than the operation's own, or a 5xx other than 500 and 503, is not."""
    for _, _, _, op in operations(openapi):
        ranges = {code for code in op["responses"] if not code.isdigit()}
        assert ranges == {"4XX"}, op["operationId"]
        assert op["responses"]["4XX"] == {"$ref": "#/components/responses/OtherRefusal"}
    description = openapi["components"]["responses"]["OtherRefusal"]["description"]
    assert "RFC 9110, section 15" in description
    assert "ERRATA E-17" in description


def test_429_and_503_carry_a_retry_after_header(openapi: dict[str, Any]) -> None:
    for name in ("TooManyRequests", "ServiceUnavailable"):
        headers = openapi["components"]["responses"][name]["headers"]
        header = resolve(openapi, headers["Retry-After"])
        assert header["schema"]["type"] == "string"


def test_error_body_is_a_gateway_error_or_a_problem(openapi: dict[str, Any]) -> None:
    schemas = openapi["components"]["schemas"]
    assert schemas["ErrorBody"]["anyOf"] == [
        {"$ref": "#/components/schemas/GatewayError"},
        {"$ref": "#/components/schemas/Problem"},
    ]
    assert set(schemas["GatewayError"]["required"]) == {"error_code", "message"}
    assert set(schemas["Problem"]["properties"]) == {"type", "status", "title", "detail"}


def test_security_requires_token_api_key_and_org_together(openapi: dict[str, Any]) -> None:
    schemes = openapi["components"]["securitySchemes"]
    assert (schemes["bearerAuth"]["type"], schemes["bearerAuth"]["scheme"]) == ("http", "bearer")
    assert (schemes["apiKey"]["type"], schemes["apiKey"]["in"], schemes["apiKey"]["name"]) == (
        "apiKey",
        "header",
        "x-api-key",
    )
    assert (schemes["imsOrg"]["type"], schemes["imsOrg"]["in"], schemes["imsOrg"]["name"]) == (
        "apiKey",
        "header",
        "x-gw-ims-org-id",
    )
    assert openapi["security"] == [{"bearerAuth": [], "apiKey": [], "imsOrg": []}]


@pytest.mark.parametrize("operation_id", sorted(OPERATIONS))
def test_operation_is_covered_by_all_three_credentials(openapi: dict[str, Any], operation_id: str) -> None:
    effective = operation(openapi, operation_id).get("security", openapi["security"])
    assert {"bearerAuth", "apiKey", "imsOrg"} in [set(requirement) for requirement in effective]
    assert {} not in effective, "no operation may be reachable without credentials"


@pytest.mark.parametrize("operation_id", sorted(OPERATIONS))
def test_operation_requires_the_sandbox_header(openapi: dict[str, Any], operation_id: str) -> None:
    raw = operation(openapi, operation_id)["parameters"]
    assert {"$ref": "#/components/parameters/SandboxName"} in raw
    sandbox = [p for p in parameters(openapi, operation_id) if p["name"] == "x-sandbox-name"]
    assert len(sandbox) == 1
    assert sandbox[0]["in"] == "header"
    assert sandbox[0]["required"] is True


def test_sandbox_header_names_the_default_sandbox_fallback(openapi: dict[str, Any]) -> None:
    description = openapi["components"]["parameters"]["SandboxName"]["description"]
    assert "sandbox guide" in description
    assert "default sandbox" in description


def test_list_query_parameters(openapi: dict[str, Any]) -> None:
    params = {p["name"]: p for p in parameters(openapi, "listSegmentJobs") if p["in"] == "query"}
    assert set(params) == {"start", "limit", "status", "sort", "property"}
    assert not any(p.get("required", False) for p in params.values())
    assert params["start"]["schema"] == {"type": "integer", "minimum": 0, "default": 0}
    assert params["limit"]["schema"]["type"] == "integer"
    assert params["limit"]["schema"]["minimum"] == 1
    assert "maximum" not in params["limit"]["schema"], "the doc documents no maximum (ERRATA E-13)"
    assert resolve(openapi, params["status"]["schema"])["enum"] == STATUSES
    assert params["sort"]["schema"]["type"] == "string"
    assert params["property"]["schema"]["type"] == "array"
    assert (params["property"]["style"], params["property"]["explode"]) == ("form", True)
    for param in params.values():
        assert param["examples"], f"{param['name']} has an example"


def test_path_parameter_is_a_non_empty_string_other_than_bulk_get(openapi: dict[str, Any]) -> None:
    for operation_id in ("getSegmentJob", "cancelSegmentJob"):
        [job_id] = [p for p in parameters(openapi, operation_id) if p["in"] == "path"]
        assert job_id["name"] == "segmentJobId"
        assert job_id["required"] is True
        assert job_id["schema"] == {"type": "string", "minLength": 1, "not": {"const": "bulk-get"}}


def test_post_bodies_are_required_json(openapi: dict[str, Any]) -> None:
    for operation_id, schema in (
        ("createSegmentJob", "CreateSegmentJobRequest"),
        ("bulkGetSegmentJobs", "BulkGetRequest"),
    ):
        body = resolve(openapi, operation(openapi, operation_id)["requestBody"])
        assert body["required"] is True
        assert list(body["content"]) == ["application/json"]
        assert body["content"]["application/json"]["schema"] == {"$ref": f"#/components/schemas/{schema}"}


def test_the_named_schema_components_exist(openapi: dict[str, Any]) -> None:
    assert set(openapi["components"]["schemas"]) >= SCHEMAS


def test_job_status_is_the_seven_statuses(openapi: dict[str, Any]) -> None:
    job_status = openapi["components"]["schemas"]["JobStatus"]
    assert job_status["type"] == "string"
    assert job_status["enum"] == STATUSES


def test_a_job_requires_exactly_the_five_fields(openapi: dict[str, Any]) -> None:
    job = openapi["components"]["schemas"]["SegmentJob"]
    assert set(job["required"]) == {"id", "status", "segments", "creationTime", "updateTime"}
    assert set(job["required"]) <= set(job["properties"])


def test_no_schema_closes_its_additional_properties(openapi: dict[str, Any]) -> None:
    closed = [value for key, value in walk(openapi["components"]["schemas"]) if key == "additionalProperties"]
    assert False not in closed


def test_every_schema_component_has_a_description(openapi: dict[str, Any]) -> None:
    missing = [
        name for name, schema in openapi["components"]["schemas"].items() if not schema.get("description")
    ]
    assert missing == []


def test_created_job_links_to_get_cancel_and_bulk_get(openapi: dict[str, Any]) -> None:
    links = operation(openapi, "createSegmentJob")["responses"]["200"]["links"]
    by_target = {link["operationId"]: link for link in links.values()}
    assert set(by_target) == {"getSegmentJob", "cancelSegmentJob", "bulkGetSegmentJobs"}
    assert by_target["getSegmentJob"]["parameters"] == {"segmentJobId": "$response.body#/id"}
    assert by_target["cancelSegmentJob"]["parameters"] == {"segmentJobId": "$response.body#/id"}
    assert by_target["bulkGetSegmentJobs"]["requestBody"] == {"ids": [{"id": "$response.body#/id"}]}


def test_every_link_targets_an_operation_and_its_parameters(openapi: dict[str, Any]) -> None:
    for _, _, _, op in operations(openapi):
        for response in op["responses"].values():
            for name, link in resolve(openapi, response).get("links", {}).items():
                target = link["operationId"]
                assert target in OPERATIONS, f"link {name} targets an unknown operation"
                names = {p["name"] for p in parameters(openapi, target)}
                assert set(link.get("parameters", {})) <= names, f"link {name} names unknown parameters"


def test_schemathesis_loads_the_document_and_its_links(openapi: dict[str, Any]) -> None:
    schema = schemathesis.openapi.from_dict(openapi)
    labels = {result.ok().label for result in schema.get_all_operations()}
    assert labels == {f"{method.upper()} {path}" for method, path in OPERATIONS.values()}
    machine = schema.as_state_machine()
    rules = " ".join(dir(machine))
    for link in ("GetCreatedJob", "CancelCreatedJob", "BulkGetCreatedJob"):
        assert link in rules, f"schemathesis does not chain the {link} link"
