"""Right in a shared, busy, crowded sandbox: an honest server whose sandboxes hold thousands of older jobs,
where another client creates jobs during the run, and whose pages are clamped small, is conformant in the
standard and full profiles; and every mutant is still caught among thousands of other jobs.

By default the variant with all three at once runs (standard, seed 1); each variant on its own, the full
profile, seeds 2 and 3, and the representative mutants under ``--preload 3000`` run with ``-m slow``; the
whole catalog under ``--preload 3000`` with ``SEGJOBS_CROWDED_MUTANTS=1`` (about 15 minutes on two cores).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from mutant_catalog import CROWDED_MUTANT_FLAGS, CROWDED_VARIANTS, MUTANTS, HonestVariant, Mutant
from test_honest_variants import assert_conformant
from test_mutants import assert_caught


def _name(variant: HonestVariant) -> str:
    return variant.name


#: the crowded variant of the default set: preloaded, busy and clamped at once
DEFAULT_VARIANT = "crowded-busy-clamped"


@pytest.mark.parametrize(
    "variant",
    [
        pytest.param(v, id=v.name, marks=() if v.name == DEFAULT_VARIANT else pytest.mark.slow)
        for v in CROWDED_VARIANTS
    ],
)
def test_a_crowded_honest_server_is_conformant(
    variant: HonestVariant, tmp_path: Path, reference_server: Any
) -> None:
    assert_conformant(variant, 1, tmp_path, reference_server, profile="standard")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("profile", "seed"),
    [("full", 1), ("standard", 2), ("full", 2), ("standard", 3), ("full", 3)],
    ids=lambda value: str(value),
)
@pytest.mark.parametrize("variant", CROWDED_VARIANTS, ids=_name)
def test_a_crowded_honest_server_is_conformant_in_every_profile_and_seed(
    variant: HonestVariant, profile: str, seed: int, tmp_path: Path, reference_server: Any
) -> None:
    assert_conformant(variant, seed, tmp_path, reference_server, profile=profile)


@pytest.mark.slow
@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_a_mutant_is_caught_among_thousands_of_jobs(
    mutant: Mutant, tmp_path: Path, reference_server: Any
) -> None:
    if not mutant.representative and os.environ.get("SEGJOBS_CROWDED_MUTANTS") != "1":
        pytest.skip("the whole catalog under --preload 3000 runs with SEGJOBS_CROWDED_MUTANTS=1")
    assert_caught(mutant, tmp_path, reference_server, extra_flags=CROWDED_MUTANT_FLAGS)
