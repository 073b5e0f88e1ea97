"""The status lifecycle of a segment job, as spec/ERRATA.md (E-20) writes it out."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

STATUSES = ("NEW", "QUEUED", "PROCESSING", "SUCCEEDED", "FAILED", "CANCELLING", "CANCELLED")
TERMINAL = frozenset({"SUCCEEDED", "FAILED", "CANCELLED"})
RUNNING = frozenset({"NEW", "QUEUED", "PROCESSING"})

#: Legal moves between two observations. A poller may miss intermediate states, so a skip is legal;
#: staying put is always legal; terminal states have no way out.
TRANSITIONS: dict[str, frozenset[str]] = {
    "NEW": frozenset({"QUEUED", "PROCESSING", "SUCCEEDED", "FAILED", "CANCELLING", "CANCELLED"}),
    "QUEUED": frozenset({"PROCESSING", "SUCCEEDED", "FAILED", "CANCELLING", "CANCELLED"}),
    "PROCESSING": frozenset({"SUCCEEDED", "FAILED", "CANCELLING", "CANCELLED"}),
    "CANCELLING": frozenset({"CANCELLED"}),
    "SUCCEEDED": frozenset(),
    "FAILED": frozenset(),
    "CANCELLED": frozenset(),
}


def illegal_step(observed: Sequence[str]) -> tuple[str, str] | None:
    """The first illegal move in a sequence of observed statuses, or None when the walk is legal."""
    for before, after in pairwise(observed):
        if before == after:
            continue
        if after not in TRANSITIONS.get(before, frozenset()):
            return before, after
    return None


def compress(observed: Sequence[str]) -> list[str]:
    """Runs of the same status collapsed: ['NEW', 'NEW', 'QUEUED'] -> ['NEW', 'QUEUED']."""
    out: list[str] = []
    for status in observed:
        if not out or out[-1] != status:
            out.append(status)
    return out
