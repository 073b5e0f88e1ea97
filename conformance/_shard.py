"""One run split over processes and machines: which tests each part runs.

A run is split into *parts* by ``--shard I/N`` (N machines, each running part I) and by ``--workers W``
(W processes of one machine, each a pytest-xdist worker running part k of its machine's tests). Each part is
a whole run of its own tests: its own client, its own job tracker, its own fleet of shared jobs (when it holds
scenario tests that use one), its own ``results.json``; ``segjobs-conformance merge`` (for shards) and the
controller of the workers (for workers) combine the parts into one (:mod:`conformance._merge`).

The split is deterministic: every part computes it from the same collected tests, so each knows what the
others run and how many jobs they may create (the budget of ``--max-jobs`` holds for the whole run, see
:func:`plans`). Tests that share state stay in one *unit*:

- a scenario module (``test_auth.py``, ``test_listing.py``, ...) is one unit: its tests share its fleet and
  some judge what the module's other tests fetched;
- the property tests are one unit each (the operations run in parallel), and so is each run of the
  stateful test, except tests drawing on one shared job allowance (``creates_jobs(shared=...)``), which stay
  together;
- a test that runs after all others and needs neither jobs nor a fleet (``after_all``, judging what its part
  saw, such as the 429s) runs in every part.

Units go to parts by estimated requests (:mod:`conformance._estimate`), the heaviest first, each to the part
with the fewest so far (ties: the lowest part).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # at run time this module imports nothing of the package (the settings use it)
    from conformance._plan import TestInfo

#: what ``--workers auto`` means against a URL (the run waits on the network, not on the machine), and the
#: most workers a run may have
AUTO_WORKERS = 6
MAX_WORKERS = 16
#: the short cause of a requirement whose tests all run in other parts
SHARD_CAUSE = "another shard"
#: the suite's modules whose tests are each a unit of their own
PER_TEST_MODULES = ("test_properties.py", "test_stateful.py")

_SHARD = re.compile(r"\s*([0-9]+)\s*/\s*([0-9]+)\s*")


@dataclass(frozen=True)
class Shard:
    """Part ``index`` (from 1) of ``count``."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if not 1 <= self.index <= self.count:
            raise ValueError(f"not a shard: {self.index}/{self.count}")

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


#: what a shard looks like (also the text of a usage error)
SHARD_FORMAT = "I/N with 1 <= I <= N (such as 2/4)"


def parse_shard(text: str) -> Shard:
    """``2/4``; :class:`ValueError` for anything else."""
    match = _SHARD.fullmatch(str(text))
    if match is None:
        raise ValueError(f"expected {SHARD_FORMAT}")
    return Shard(int(match.group(1)), int(match.group(2)))


def worker_count(workers: int | None, *, embedded: bool) -> int:
    """The processes a run is split over: ``workers`` as given (0: ``auto``), else 1 on the embedded server
    and ``auto`` against a base URL. ``auto`` is :data:`AUTO_WORKERS` against a base URL, at most one per CPU
    on the embedded server."""
    if workers:
        return workers
    if not embedded:
        return AUTO_WORKERS
    return 1 if workers is None else max(1, min(AUTO_WORKERS, os.cpu_count() or 1))


def unit_of(test: TestInfo, *, after_all: bool) -> str | None:
    """The unit the test belongs to, or None for a test every part runs."""
    module = test.nodeid.split("::", 1)[0].rsplit("/", 1)[-1]
    if after_all and not test.fleet and not test.creates_jobs:
        return None
    if module not in PER_TEST_MODULES:
        return f"module {module}"
    if test.shared is not None:
        return f"shared {test.shared}"
    return test.nodeid


def split(
    tests: Sequence[TestInfo],
    count: int,
    weight: Callable[[TestInfo], int],
    after_all: Callable[[TestInfo], bool],
) -> list[list[TestInfo]]:
    """The tests of each of ``count`` parts (in their collected order); a test of no unit is in every part."""
    units: dict[str, list[TestInfo]] = {}
    everywhere: set[str] = set()
    for test in tests:
        unit = unit_of(test, after_all=after_all(test))
        if unit is None:
            everywhere.add(test.nodeid)
        else:
            units.setdefault(unit, []).append(test)
    load = [0] * count
    part_of: dict[str, int] = {}
    heaviest_first = sorted(units.items(), key=lambda kv: (-sum(weight(t) for t in kv[1]), kv[0]))
    for _, members in heaviest_first:
        part = min(range(count), key=lambda i: (load[i], i))
        load[part] += sum(weight(t) for t in members)
        for test in members:
            part_of[test.nodeid] = part
    return [
        [t for t in tests if t.nodeid in everywhere or part_of.get(t.nodeid) == part] for part in range(count)
    ]


def leaves(
    tests: Sequence[TestInfo],
    shard: Shard | None,
    workers: int,
    weight: Callable[[TestInfo], int],
    after_all: Callable[[TestInfo], bool],
) -> list[list[TestInfo]]:
    """Every part of the whole run, in order: shard 1's workers, then shard 2's, ...; the shards first split
    the tests, then each shard splits its own among its workers (so a shard's tests do not depend on how many
    workers another machine uses)."""
    shards = split(tests, shard.count, weight, after_all) if shard is not None else [list(tests)]
    if workers <= 1:
        return shards
    return [part for of_shard in shards for part in split(of_shard, workers, weight, after_all)]


def leaf_index(shard: Shard | None, workers: int, worker: int) -> int:
    """The place among :func:`leaves` of worker ``worker`` (from 0) of this machine's shard."""
    return ((shard.index - 1) if shard is not None else 0) * max(workers, 1) + worker
