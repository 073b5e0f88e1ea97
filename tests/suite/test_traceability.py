"""Every test of the suite names known requirement IDs, every MUST requirement has a test, every ID literal of
the suite is a catalog ID, and every scenario test's marker lists each ID it can fail."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conformance import _traceability, load_requirements
from conformance.cli import suite_tests_by_requirement

#: The property modules are left out of the marker check: their failures name the IDs that
#: ``conformance.properties`` maps schemathesis' checks to (data the AST of the suite does not show), and
#: their tests report what they did not judge through ``judgement``. Their literals are checked all the same.
PROPERTY_MODULES = ("test_properties.py", "test_stateful.py")


@pytest.fixture(scope="module")
def markers() -> dict[str, set[str]]:
    """``module.py::test_name`` -> the IDs its collected items' markers list (parametrized ones together)."""
    found: dict[str, set[str]] = {}
    for requirement, nodeids in suite_tests_by_requirement().items():
        for nodeid in nodeids:
            path, _, name = nodeid.partition("::")
            found.setdefault(f"{Path(path).name}::{name.split('[')[0]}", set()).add(requirement)
    return found


@pytest.fixture(scope="module")
def source() -> _traceability.Source:
    return _traceability.Source()


def test_every_must_requirement_has_at_least_one_test(markers: dict[str, set[str]]) -> None:
    covered = set().union(*markers.values())
    untested = [r["id"] for r in load_requirements() if r["level"] == "MUST" and r["id"] not in covered]
    assert untested == []


def test_every_id_literal_of_the_suite_and_its_checks_is_a_catalog_id(source: _traceability.Source) -> None:
    known = {r["id"] for r in load_requirements()}
    literals = source.literals()
    assert {lit.path.name for lit in literals} >= {
        "_checks.py",
        "_fleet.py",
        "_kit.py",
        "_listing.py",
        *PROPERTY_MODULES,
    }
    assert [str(lit) for lit in literals if lit.value not in known] == []


def test_every_scenario_test_is_analysed(source: _traceability.Source, markers: dict[str, set[str]]) -> None:
    collected = {t for t in markers if not t.startswith(PROPERTY_MODULES)}
    analysed = {t for t in source.failable() if not t.startswith(PROPERTY_MODULES)}
    assert len(collected) > 60
    assert collected == analysed


def test_a_scenario_tests_marker_lists_every_id_it_can_fail(
    source: _traceability.Source, markers: dict[str, set[str]]
) -> None:
    """A failure counts against the IDs it names; one its test's marker does not list is invisible to
    ``--select`` and ``requirements --tests``. A parametrized test's items count together."""
    missing = {
        test: sorted(ids - markers.get(test, set()))
        for test, ids in sorted(source.failable().items())
        if not test.startswith(PROPERTY_MODULES) and ids - markers.get(test, set())
    }
    assert missing == {}


def test_an_unknown_requirement_id_fails_collection(tmp_path: Path) -> None:
    (tmp_path / "test_bogus.py").write_text(
        textwrap.dedent("""
        import pytest

        @pytest.mark.requirement("SJ-NOPE-999")
        def test_x():
            pass

        def test_without_marker():
            pass
    """)
    )
    proc = _collect(tmp_path / "test_bogus.py")
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert "unknown requirement ID(s) SJ-NOPE-999" in proc.stderr
    assert "test_without_marker: no @pytest.mark.requirement" in proc.stderr


def test_an_id_literal_that_names_no_requirement_fails_collection_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text('BROKEN = "SJ-LIST-9"\n')
    (tmp_path / "test_typo.py").write_text(
        textwrap.dedent("""
        import pytest
        from conformance._checks import require

        @pytest.mark.requirement("SJ-GET-001")
        def test_x():
            require(True, "SJ-GET-001", "fine", "fine")
            require(True, "SJ-GTE-001", "a typo", "vanishes at run time")
            print(f"SJ-{1}")  # no literal: a part of an f-string
    """)
    )
    proc = _collect(tmp_path / "test_typo.py")
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert f"{tmp_path / 'test_typo.py'}:8: 'SJ-GTE-001' names no requirement" in proc.stderr
    assert f"{tmp_path / 'conftest.py'}:1: 'SJ-LIST-9' names no requirement" in proc.stderr
    assert proc.stderr.count("names no requirement") == 2


def _collect(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "conformance.plugin",
            "-p",
            "no:cacheprovider",
            "--collect-only",
            "--segjobs-base-url",
            "http://127.0.0.1:9",
            str(path),
        ],
        cwd=path.parent,
        capture_output=True,
        text=True,
        timeout=60,
    )


# -- the analysis, on a small suite of its own ------------------------------------------------------------
HELPERS = """
from conformance._checks import require


class Kit:
    def read(self, job_id, requirement="SJ-GET-001"):
        require(True, requirement, "", "")
        check("SJ-GET-003")

    @staticmethod
    def page(params, requirement="SJ-LIST-001"):
        return params

    def create(self):
        return self._send()

    def _send(self):
        return None


def check(requirement):
    expect_json()


def expect_json():
    require(True, "SJ-HTTP-001", "", "")


def kit():
    return Kit()
"""

SCENARIOS = """
import pytest
import helpers
from helpers import check

ROWS = {"x": "SJ-AUTH-001"}


def _send():
    check("SJ-AUTH-007")


def test_default_counts(kit):
    kit.read("id")


def test_default_replaced_positionally(kit):
    kit.read("id", "SJ-CANCEL-008")


def test_default_replaced_by_keyword(kit):
    kit.read("id", requirement="SJ-CANCEL-008")


def test_static_method_default(kit):
    kit.page({}, "SJ-LIST-006")


def test_a_method_is_no_module_function(kit):
    kit.create()


def test_a_function_of_an_analysed_module():
    helpers.check("SJ-CANCEL-001")


@pytest.mark.requirement("SJ-ERROR-001")
def test_decorators_count():
    pass


def test_a_table_is_not_followed():
    for requirement in ROWS.values():
        check(requirement)


def test_nothing():
    print(f"SJ-{1}")
"""


def test_the_analysis_follows_calls_defaults_and_fixtures(tmp_path: Path) -> None:
    (tmp_path / "helpers.py").write_text(HELPERS)
    (tmp_path / "test_scenarios.py").write_text(SCENARIOS)
    failable = _traceability.Source([tmp_path / "helpers.py", tmp_path / "test_scenarios.py"]).failable()
    ids = {name.split("::")[1]: sorted(found) for name, found in failable.items()}
    assert ids == {
        "test_default_counts": ["SJ-GET-001", "SJ-GET-003", "SJ-HTTP-001"],
        "test_default_replaced_positionally": ["SJ-CANCEL-008", "SJ-GET-003", "SJ-HTTP-001"],
        "test_default_replaced_by_keyword": ["SJ-CANCEL-008", "SJ-GET-003", "SJ-HTTP-001"],
        "test_static_method_default": ["SJ-LIST-006"],
        "test_a_method_is_no_module_function": [],
        "test_a_function_of_an_analysed_module": ["SJ-CANCEL-001", "SJ-HTTP-001"],
        "test_decorators_count": ["SJ-ERROR-001"],
        "test_a_table_is_not_followed": ["SJ-HTTP-001"],
        "test_nothing": [],
    }


def test_a_module_whose_quoted_ids_are_all_known_is_not_parsed(tmp_path: Path) -> None:
    (tmp_path / "test_plain.py").write_text('this is no python; its one quoted "SJ-LIST-001" is known\n')
    assert _traceability.unknown_literals([tmp_path / "test_plain.py"], {"SJ-LIST-001"}) == []


def test_the_syntax_tree_decides_what_the_scan_of_the_text_suspects(tmp_path: Path) -> None:
    module = tmp_path / "test_x.py"
    module.write_text(
        textwrap.dedent("""
        # a comment may quote "SJ-NOPE-1": it is no literal
        JOINED = "SJ-" "LIST-001"
        TYPO = 'SJ-LIST-01'
    """)
    )
    problems = _traceability.unknown_literals([module], {"SJ-LIST-001"})
    assert problems == [f"{module}:4: 'SJ-LIST-01' names no requirement of spec/requirements.yaml"]


def test_a_helper_module_beside_the_tests_is_checked_too(tmp_path: Path) -> None:
    (tmp_path / "test_plain.py").write_text('def test_x():\n    assert "SJ-LIST-001"\n')
    (tmp_path / "_helpers.py").write_text('WRONG = "SJ-LIST-999"\n')
    (tmp_path / "__init__.py").write_text("")
    problems = _traceability.unknown_literals([tmp_path / "test_plain.py"], {"SJ-LIST-001"})
    assert len(problems) == 1 and "_helpers.py:1" in problems[0] and "SJ-LIST-999" in problems[0]
