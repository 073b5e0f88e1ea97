"""Every import the package makes is the standard library, the package itself, or a declared dependency."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "conformance"


def imported_top_level_names() -> dict[str, str]:
    """Top-level module -> the first file that imports it (module level or inside a function)."""
    found: dict[str, str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], str(path.relative_to(ROOT)))
    return found


def declared_distributions() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {re.split(r"[\s<>=!~;\[]", spec, maxsplit=1)[0].lower() for spec in project["dependencies"]}


def test_every_import_is_declared() -> None:
    distributions = packages_distributions()
    declared = declared_distributions()
    undeclared = {}
    for module, where in imported_top_level_names().items():
        if module in sys.stdlib_module_names or module in ("conformance", "tomli", "__future__"):
            continue
        owners = {d.lower() for d in distributions.get(module, [module])}
        if not owners & declared:
            undeclared[module] = where
    assert not undeclared, f"imported but not declared in pyproject.toml's dependencies: {undeclared}"


def test_the_package_does_not_send_through_requests() -> None:
    """One HTTP stack: every request goes through the run's httpx client."""
    assert "requests" not in imported_top_level_names()
