"""Four workers judge a server as one process does: a sample of honest variants (which must stay
conformant) and of mutants (which must fail the same requirements), each run with ``--workers 1`` and
``--workers 4`` against the same server (the workers' other self-tests: tests/suite/test_parts_runs.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from mutant_catalog import HONEST_VARIANTS, LATITUDE_VARIANTS, MUTANTS, RUN_ENV
from selftest import SuiteRun, run_suite, start_reference


def outcomes(run: SuiteRun) -> dict[str, str]:
    assert run.results is not None, run.stdout + run.stderr
    return {r["id"]: r["outcome"] for r in run.results["requirements"]}


#: the honest variants and mutants the workers are held to one process against
SAMPLE_VARIANTS = ("cancel-delay", "listing-lag")
SAMPLE_MUTANTS = ("cancel-ignored", "sandbox-leak", "paging-overlap")
VARIANTS = {v.name: v for v in (*HONEST_VARIANTS, *LATITUDE_VARIANTS)}
SAMPLES = [
    *(
        (f"honest-{n}", VARIANTS[n].flags, {**RUN_ENV, **VARIANTS[n].env}, None, "quick")
        for n in SAMPLE_VARIANTS
    ),
    *(
        (f"mutant-{m.name}", m.server_args, m.run_env, m.select, m.profile)
        for m in MUTANTS
        if m.name in SAMPLE_MUTANTS
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "server_args", "env", "select", "profile"), SAMPLES, ids=[s[0] for s in SAMPLES]
)
def test_four_workers_judge_a_server_as_one_process_does(
    tmp_path: Path,
    name: str,
    server_args: tuple[str, ...],
    env: dict[str, str],
    select: str | None,
    profile: str,
) -> None:
    with start_reference(server_args, env=env) as server:
        args = ["--base-url", server.base_url, "--profile", profile, "--seed", "1"]
        if select:
            args += ["--select", select]
        (tmp_path / "one").mkdir()
        (tmp_path / "four").mkdir()
        one = run_suite(tmp_path / "one", *args, "--workers", "1", env=env)
        four = run_suite(tmp_path / "four", *args, "--workers", "4", env=env)
    assert one.returncode == four.returncode, name + four.stdout + four.stderr
    assert outcomes(four) == outcomes(one), name
