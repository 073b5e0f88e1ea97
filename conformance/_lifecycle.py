"""The status lifecycle of a segment job, as spec/ERRATA.md (E-20) writes it out, and how the suite reads it.

Transitions are judged on what GET showed of a job (the create answer and every GET, over the client or a
raw socket). A listing or a bulk-get may be served from an index that lags GET by a moment, but neither ever
shows a status GET left behind more than :data:`LAG_TOLERANCE_S` seconds before (ERRATA E-20): more than
that after GET first showed a job finished, they show the status it finished in.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

STATUSES = ("NEW", "QUEUED", "PROCESSING", "SUCCEEDED", "FAILED", "CANCELLING", "CANCELLED")
TERMINAL = frozenset({"SUCCEEDED", "FAILED", "CANCELLED"})
RUNNING = frozenset({"NEW", "QUEUED", "PROCESSING"})
#: what a running job shows once a cancel answered 204 has taken effect (CANCELLING is optional, E-19); a
#: server may also remove the job then, everywhere at once (a 404 from GET, absent from list and bulk-get)
CANCEL_EFFECT = frozenset({"CANCELLING", "CANCELLED"})

#: where a status was seen: the create answer, GET, a listing, bulk-get, a GET over the raw socket
SOURCES = ("create", "get", "list", "bulk-get", "wire")
#: the sources whose statuses make a job's history: transitions are judged on these only
GET_SOURCES = frozenset({"create", "get", "wire"})
#: seconds a listing or bulk-get may lag GET: later than this after GET showed a job in a status, they show
#: that status or a later one
LAG_TOLERANCE_S = 5.0

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


def stale_views(
    history: Sequence[tuple[float, str]],
    views: Sequence[tuple[float, str]],
    tolerance: float = LAG_TOLERANCE_S,
) -> list[tuple[float, str, float, str]]:
    """What listings and bulk-get showed of a job that GET had left behind longer than ``tolerance`` before.

    ``history``: (time, status) of what GET showed, in the order seen; ``views``: (time, status) of what
    listings and bulk-get showed. A view at ``t`` is stale when GET showed, before ``t - tolerance``, a status
    from which the view's cannot be reached (an earlier one, or another end): once settled, a job shows the
    status it finished in everywhere. Each comes back as (time of the view, status shown, time GET showed
    the status it contradicts, that status); statuses outside the seven are left to SJ-LIFECYCLE-001."""
    stale = []
    for t, shown in views:
        if shown not in TRANSITIONS:
            continue
        for seen_at, seen in history:
            if seen_at >= t - tolerance:
                break
            if seen in TRANSITIONS and shown != seen and shown not in TRANSITIONS[seen]:
                stale.append((t, shown, seen_at, seen))
                break
    return stale


def compress(observed: Sequence[str]) -> list[str]:
    """Runs of the same status collapsed: ['NEW', 'NEW', 'QUEUED'] -> ['NEW', 'QUEUED']."""
    out: list[str] = []
    for status in observed:
        if not out or out[-1] != status:
            out.append(status)
    return out
