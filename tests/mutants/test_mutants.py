"""Every mutant of the catalog is caught: the suite exits 1, non-conformant, with an expected ID failed.

A representative subset (one or two per area) runs by default; the whole catalog runs with ``-m slow`` or
``SEGJOBS_FULL_MUTANTS=1``. A strict mutant (its fault breaks a SHOULD) runs with ``--strict``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mutant_catalog import AREAS, MUTANTS, Mutant, full_run_requested
from selftest import run_suite

from conformance._spec import load_requirements

#: a mutant run is a few seconds; this bound only catches a run that is stuck
RUN_BOUND_S = 240


def full_catalog_requested(config: pytest.Config) -> bool:
    return full_run_requested(str(config.getoption("markexpr", "") or ""))


def _id(mutant: Mutant) -> str:
    return mutant.name


def assert_caught(
    mutant: Mutant, tmp_path: Path, reference_server: Any, extra_flags: tuple[str, ...] = ()
) -> None:
    server = reference_server([*mutant.server_args, *extra_flags])
    run = run_suite(
        tmp_path,
        "--base-url",
        server.base_url,
        "--profile",
        mutant.profile,
        "--select",
        mutant.select,
        "--seed",
        "1",
        *(("--strict",) if mutant.strict else ()),
        env=mutant.run_env,
        timeout=RUN_BOUND_S,
    )
    output = run.stdout + run.stderr
    assert "Traceback (most recent call last)" not in output, output[-4000:]
    assert run.results is not None, output[-4000:]
    failed = run.failed()
    detail = (
        f"exit {run.returncode}, verdict {run.results['verdict']}, failed {sorted(failed)}\n{output[-3000:]}"
    )
    assert run.returncode == 1, detail
    assert run.results["verdict"] == "nonconformant", detail
    assert failed & set(mutant.expected), f"none of {list(mutant.expected)} failed; {detail}"


@pytest.mark.parametrize("mutant", [m for m in MUTANTS if m.representative], ids=_id)
def test_representative_mutant_is_caught(mutant: Mutant, tmp_path: Path, reference_server: Any) -> None:
    assert_caught(mutant, tmp_path, reference_server)


@pytest.mark.slow
@pytest.mark.parametrize("mutant", [m for m in MUTANTS if not m.representative], ids=_id)
def test_mutant_is_caught(
    mutant: Mutant, tmp_path: Path, reference_server: Any, request: pytest.FixtureRequest
) -> None:
    if not full_catalog_requested(request.config):
        pytest.skip("the whole mutant catalog runs with -m slow or SEGJOBS_FULL_MUTANTS=1")
    assert_caught(mutant, tmp_path, reference_server)


# -- the catalog itself ----------------------------------------------------------------------------------
def test_catalog_is_large_and_names_are_unique() -> None:
    names = [m.name for m in MUTANTS]
    assert len(set(names)) == len(names)
    assert len(MUTANTS) >= 30


def test_every_fault_a_mutant_plants_exists_on_the_server() -> None:
    from conformance.reference.faults import FAULTS

    missing = {m.name: f for m in MUTANTS for f in m.faults if f not in FAULTS}
    assert missing == {}


def test_every_fault_switch_of_the_server_has_a_mutant() -> None:
    from conformance.reference.faults import FAULTS

    planted = {f for m in MUTANTS for f in m.faults}
    assert set(FAULTS) <= planted, f"faults without a mutant: {sorted(set(FAULTS) - planted)}"


def test_every_must_and_should_is_the_expected_catch_of_a_mutant() -> None:
    """A rule no fault breaks is a rule nobody has seen the suite enforce (a MAY is a choice, not a rule)."""
    rules = {r["id"] for r in load_requirements() if r["level"] in ("MUST", "SHOULD")}
    expected = {e for m in MUTANTS for e in m.expected}
    assert rules - expected == set(), f"no mutant expects {sorted(rules - expected)}"


def test_profiles_are_quick_or_standard() -> None:
    assert {m.profile for m in MUTANTS} <= {"quick", "standard"}


def test_every_area_has_a_representative() -> None:
    assert {m.area for m in MUTANTS} == set(AREAS)
    assert {m.area for m in MUTANTS if m.representative} == set(AREAS)
    # at most a third of the catalog runs by default (issue 14: "a representative third of them in CI")
    assert 7 <= len([m for m in MUTANTS if m.representative]) <= max(14, len(MUTANTS) // 3)


def test_expected_ids_are_musts_the_selection_reaches() -> None:
    """MUSTs, or for a strict mutant SHOULDs (which only --strict makes count), and nothing else."""
    levels = {r["id"]: r["level"] for r in load_requirements()}
    for mutant in MUTANTS:
        assert mutant.expected, mutant.name
        allowed = {"MUST", "SHOULD"} if mutant.strict else {"MUST"}
        assert all(levels.get(i) in allowed for i in mutant.expected), (mutant.name, mutant.expected)
        if mutant.strict:
            assert any(levels.get(i) == "SHOULD" for i in mutant.expected), f"{mutant.name} needs no --strict"
        terms = [t.strip().upper() for t in mutant.select.split(",")]
        assert any(i.startswith(t) for i in mutant.expected for t in terms), (mutant.name, mutant.select)
