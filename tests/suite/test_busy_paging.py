"""Another client creating jobs of our segment definition between two pages of a listing: an honest server
(the doc says nothing of a listing's consistency under concurrent creates) that the suite must judge
conformant. Newest first, one job created between page 1 and page 2 pushes page 1's job onto page 2; the
next-link test reads its pages in creation order where the server sorts, so that new jobs come last.

Before that, this server failed SJ-LIST-006 ("the same jobs again") in about two runs out of three; the
workers of one run (``--workers``) are such clients to each other."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selftest import SELFTEST_TIMINGS, run_suite, start_reference

#: one job of our segment definition about every 0.4 s (the other client takes the four definitions in
#: turn, one every 0.1 s), and answers 200 ms late: about one new job between the two pages of the test
BUSY = ("--background-creates", "0.1", "--latency", "200")


@pytest.fixture(scope="module")
def busy_server() -> Iterator[Any]:
    with start_reference(BUSY) as server:
        yield server


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_a_job_created_between_two_pages_is_no_repeated_job(
    busy_server: Any, tmp_path: Path, seed: int
) -> None:
    run = run_suite(
        tmp_path,
        "--base-url",
        busy_server.base_url,
        "--profile",
        "quick",
        "--seed",
        str(seed),
        "--select",
        "test_a_page_links_the_next_one",
        env=dict(SELFTEST_TIMINGS),
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.outcome("SJ-LIST-008") == "pass"
    assert run.outcome("SJ-LIST-006") == "pass"
