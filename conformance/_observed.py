"""What the run saw of one of its jobs: every status with its time and source, and what a cancel did.

The job's history is what GET showed (with the create answer); listings and bulk-get are its views, which
may lag (``_lifecycle.LAG_TOLERANCE_S``). A cancelled job a GET by its owner no longer finds is gone (ERRATA
E-19), which ends a wait as a finished status would.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from conformance._client import Exchange
from conformance._lifecycle import CANCEL_EFFECT, GET_SOURCES, RUNNING, TERMINAL, compress


@dataclass
class Observation:
    t: float  # seconds since the tracker started
    status: str
    body: dict[str, Any]
    source: str = "get"  # one of _lifecycle.SOURCES


@dataclass
class TrackedJob:
    id: str
    sandbox: str
    segment_ids: tuple[str, ...]
    created_at: float
    observations: list[Observation] = field(default_factory=list)
    cancel_requested: bool = False
    #: a cancel of it was answered with a success (a job whose every cancel was refused never ends cancelled)
    cancel_accepted: bool = False
    #: when the run last sent a cancel of it (seconds since the tracker started)
    cancel_sent_at: float | None = None
    #: when a GET of it by its owner first answered 404 after its cancel (a cancelled job may be removed)
    gone_at: float | None = None
    #: the last answer to a GET of it, whatever its status (the evidence of a judgement on what GET showed)
    last_get: Exchange | None = field(default=None, repr=False)

    @property
    def readings(self) -> list[Observation]:
        """What GET showed of the job, with the create answer: its history."""
        return [o for o in self.observations if o.source in GET_SOURCES]

    @property
    def views(self) -> list[Observation]:
        """What listings and bulk-get showed of it (they may lag GET)."""
        return [o for o in self.observations if o.source not in GET_SOURCES]

    @property
    def statuses(self) -> list[str]:
        """The statuses of its history, in the order seen."""
        return [o.status for o in self.readings]

    @property
    def last(self) -> Observation | None:
        readings = self.readings
        return readings[-1] if readings else None

    @property
    def changed_at(self) -> float | None:
        """When GET last showed it in a status other than the one before (None: never)."""
        steps = list(pairwise(self.readings))
        return next((now.t for before, now in reversed(steps) if before.status != now.status), None)

    @property
    def finished_at(self) -> float | None:
        """When GET first showed it finished (seconds since the tracker started; None: never)."""
        return next((o.t for o in self.readings if o.status in TERMINAL), None)

    @property
    def gone(self) -> bool:
        return self.gone_at is not None

    @property
    def finished(self) -> bool:
        """Seen finished by GET, or gone after its cancel (which ends a wait as a CANCELLED would)."""
        last = self.last
        return self.gone or (last is not None and last.status in TERMINAL)

    def readings_since(self, t: float) -> list[Observation]:
        return [o for o in self.readings if o.t >= t]


@dataclass(frozen=True)
class CancelEffect:
    """What a job running when its cancel was answered 204 showed afterwards (see ``wait_cancel_effect``).

    ``outcome``: ``cancelled`` (GET showed CANCELLING or CANCELLED), ``gone`` (GET answered 404),
    ``finished`` (GET showed another finished status), or ``running`` (none of these by the deadline)."""

    job_id: str
    outcome: str
    seen: tuple[str, ...]  # the statuses GET showed since the 204
    ran_on: bool  # GET showed a running status after the 204
    waited_s: float

    @property
    def path(self) -> str:
        """``PROCESSING -> CANCELLED``, ``PROCESSING -> gone (404)``; ``nothing`` when GET showed nothing."""
        gone = ["gone (404)"] if self.outcome == "gone" else []
        return " -> ".join([*compress(self.seen), *gone]) or "nothing"


def cancel_effect(job: TrackedJob, since: float, waited_s: float = 0.0) -> CancelEffect:
    """What ``job`` showed from ``since`` on (seconds since the tracker started), as a cancel's effect."""
    seen = tuple(o.status for o in job.readings_since(since))
    ran_on = any(s in RUNNING for s in seen)
    if any(s in CANCEL_EFFECT for s in seen):
        outcome = "cancelled"
    elif job.gone:
        outcome = "gone"
    elif any(s in TERMINAL for s in seen):
        outcome = "finished"
    else:
        outcome = "running"
    return CancelEffect(job.id, outcome, seen, ran_on, waited_s)


def cancel_shown(since: float) -> Callable[[TrackedJob], bool]:
    def shown(job: TrackedJob) -> bool:
        return job.gone or any(o.status in CANCEL_EFFECT | TERMINAL for o in job.readings_since(since))

    return shown
