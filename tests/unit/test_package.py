"""The package's public surface: what `conformance` hands on, and the spec shipped inside it."""

from __future__ import annotations

import conformance


def test_public_names() -> None:
    assert conformance.__all__ == [
        "__version__",
        "load_openapi",
        "load_requirements",
        "spec_sha256",
        "spec_text",
    ]
    for name in conformance.__all__:
        assert hasattr(conformance, name)


def test_the_spec_ships_inside_the_package() -> None:
    from conformance._spec import spec_dir

    names = {entry.name for entry in spec_dir().iterdir()}
    assert {
        "segment-jobs.openapi.yaml",
        "requirements.yaml",
        "requirements.schema.json",
        "ERRATA.md",
    } <= names
    assert conformance.load_openapi()["openapi"].startswith("3.1")
    assert len(conformance.spec_sha256()) == 64
