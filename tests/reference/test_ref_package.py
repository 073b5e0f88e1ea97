"""The package's boundaries: its public names, and no import of the suite (it is a separate product)."""

from __future__ import annotations

import ast
from pathlib import Path

import conformance.reference

PACKAGE = Path(conformance.reference.__file__).parent


def test_public_names() -> None:
    assert sorted(conformance.reference.__all__) == [
        "FAULTS",
        "Sandbox",
        "ServerProcess",
        "ServerSettings",
        "ThreadedServer",
        "create_app",
        "serve",
        "start_in_thread",
        "start_subprocess",
    ]
    for name in conformance.reference.__all__:
        assert getattr(conformance.reference, name) is not None


def test_the_server_never_imports_the_suite() -> None:
    for module in sorted(PACKAGE.glob("*.py")):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                if name == "conformance" or name.startswith("conformance."):
                    assert name.startswith("conformance.reference"), f"{module.name} imports {name}"
