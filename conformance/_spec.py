"""Access to the files of ``spec/``, which ship inside the package (``conformance/spec``).

Found through :mod:`importlib.resources`, so an installed wheel works without a checkout.
"""

from __future__ import annotations

import functools
import hashlib
import sys
from importlib import resources
from typing import Any

import yaml

if sys.version_info >= (3, 11):
    from importlib.resources.abc import Traversable
else:  # pragma: no cover
    from importlib.abc import Traversable

OPENAPI_FILE = "segment-jobs.openapi.yaml"
REQUIREMENTS_FILE = "requirements.yaml"
REQUIREMENTS_SCHEMA_FILE = "requirements.schema.json"
ERRATA_FILE = "ERRATA.md"


def spec_dir() -> Traversable:
    """The packaged ``spec/`` folder."""
    return resources.files("conformance").joinpath("spec")


def spec_text(name: str = OPENAPI_FILE) -> str:
    """The text of one file of ``spec/`` (the OpenAPI document by default)."""
    text: str = spec_dir().joinpath(name).read_text(encoding="utf-8")
    return text


@functools.cache
def _load_yaml(name: str) -> Any:
    return yaml.safe_load(spec_text(name))


def load_openapi() -> dict[str, Any]:
    """The OpenAPI document as a fresh dict (callers may mutate it)."""
    import copy

    doc: dict[str, Any] = copy.deepcopy(_load_yaml(OPENAPI_FILE))
    return doc


def load_requirements() -> list[dict[str, Any]]:
    """The requirement catalog: a list of ``{id, level, title, source, quote, operations}``."""
    data = _load_yaml(REQUIREMENTS_FILE)
    reqs: list[dict[str, Any]] = [dict(r) for r in data["requirements"]]
    return reqs


def spec_sha256() -> str:
    """SHA-256 of the OpenAPI document and the requirement catalog, as shipped."""
    digest = hashlib.sha256()
    for name in (OPENAPI_FILE, REQUIREMENTS_FILE):
        digest.update(spec_dir().joinpath(name).read_bytes())
    return digest.hexdigest()
