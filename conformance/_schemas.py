"""JSON Schema validators for the components of the OpenAPI document (OpenAPI 3.1 is JSON Schema 2020-12)."""

from __future__ import annotations

import functools
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from conformance._spec import load_openapi

_ROOT = "urn:segjobs:openapi"


@functools.lru_cache(maxsize=1)
def _registry() -> Registry[Any]:
    resource = Resource.from_contents(load_openapi(), default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(_ROOT, resource)
    return registry


@functools.cache
def validator(component: str) -> jsonschema.protocols.Validator:
    """A validator for ``#/components/schemas/<component>``."""
    schema = {"$ref": f"{_ROOT}#/components/schemas/{component}"}
    return jsonschema.Draft202012Validator(schema, registry=_registry())


def schema_errors(component: str, instance: Any, limit: int = 5) -> list[str]:
    """Up to ``limit`` readable schema violations of ``instance`` (empty when it conforms)."""
    errors = sorted(validator(component).iter_errors(instance), key=lambda e: list(e.absolute_path))
    out = []
    for error in errors[:limit]:
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        out.append(f"at {where}: {error.message[:300]}")
    return out
