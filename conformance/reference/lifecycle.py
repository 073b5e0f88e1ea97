"""The life of a job as a pure function of time.

A job of duration ``D`` created at ``C`` is NEW until ``C + 10 % D``, QUEUED until ``C + 25 % D``, PROCESSING
until ``C + D``, then it ends in its outcome (SUCCEEDED, or FAILED for the failing segment definition).
A cancel at ``X`` on a job that has not ended cuts the plan at ``X``: CANCELLING from ``X`` for
``max(50 ms, 10 % D)``, then CANCELLED (straight to CANCELLED in the "direct" variant). A cancel accepted at
``X`` with a delay ``d`` (the ``--cancel-delay`` variant: the doc's "the actual deletion ... is asynchronous")
cuts the plan at ``X + d`` instead: until then the job goes on as planned, except that it no longer ends on
its own (a cancel that was accepted is never lost to a job finishing in the meantime).

Nothing here reads a clock or a database: :func:`progress_at` answers "where is this job at time t", and the
store persists the answer. Because the answer depends only on the stored times, a restarted server resumes
every job where time says it should be.

    NEW ──> QUEUED ──> PROCESSING ──> SUCCEEDED | FAILED
     └─────────┴────────────┴──> CANCELLING ──> CANCELLED
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum


class Status(str, Enum):
    NEW = "NEW"
    QUEUED = "QUEUED"
    PROCESSING = "PROCESSING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLING = "CANCELLING"
    CANCELLED = "CANCELLED"


#: Statuses a job never leaves.
TERMINAL = frozenset({Status.SUCCEEDED, Status.FAILED, Status.CANCELLED})

#: The shortest time a cancelled job spends CANCELLING.
MIN_CANCELLING_MS = 50


@dataclass(frozen=True)
class Transition:
    """The job entered ``status`` at ``at_ms`` (epoch milliseconds)."""

    status: Status
    at_ms: int


@dataclass(frozen=True)
class Timeline:
    """The stored facts a job's life is computed from."""

    created_ms: int
    duration_ms: int
    #: SUCCEEDED or FAILED; None for a job that never ends (only with the ``never-finishes`` fault).
    outcome: Status | None
    #: When a cancel was accepted, and when the job is CANCELLED as a result.
    cancel_ms: int | None = None
    cancelled_ms: int | None = None

    def transitions(self) -> tuple[Transition, ...]:
        """Every transition of the job, past and future, in order."""
        planned = [
            Transition(Status.NEW, self.created_ms),
            Transition(Status.QUEUED, self.created_ms + self.duration_ms // 10),
            Transition(Status.PROCESSING, self.created_ms + self.duration_ms // 4),
        ]
        if self.outcome is not None:
            planned.append(Transition(self.outcome, self.created_ms + self.duration_ms))
        if self.cancel_ms is None or self.cancelled_ms is None:
            return tuple(planned)
        before_cancel = [t for t in planned if t.at_ms <= self.cancel_ms and t.status not in TERMINAL]
        if self.cancelled_ms > self.cancel_ms:
            before_cancel.append(Transition(Status.CANCELLING, self.cancel_ms))
        before_cancel.append(Transition(Status.CANCELLED, self.cancelled_ms))
        return tuple(before_cancel)


@dataclass(frozen=True)
class Progress:
    """How far a job has come: the transitions reached so far (never empty, NEW first)."""

    reached: tuple[Transition, ...]

    @property
    def status(self) -> Status:
        return self.reached[-1].status

    @property
    def since_ms(self) -> int:
        """When the job entered its current status: the job's updateTime."""
        return self.reached[-1].at_ms

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL

    def entered(self, status: Status) -> int | None:
        """When the job entered ``status``, or None if it has not (yet)."""
        return next((t.at_ms for t in self.reached if t.status == status), None)


def plan(created_ms: int, duration_ms: int, outcome: Status | None) -> Timeline:
    """The timeline of a new job."""
    if outcome not in (Status.SUCCEEDED, Status.FAILED, None):
        raise ValueError(f"a job ends SUCCEEDED or FAILED, not {outcome}")
    return Timeline(created_ms=created_ms, duration_ms=max(duration_ms, 1), outcome=outcome)


def progress_at(timeline: Timeline, now_ms: int) -> Progress:
    """Where the job is at ``now_ms``. Monotonic: a later time never gives an earlier status."""
    transitions = timeline.transitions()
    reached = tuple(t for t in transitions if t.at_ms <= now_ms)
    return Progress(reached or transitions[:1])


def cancelling_ms(duration_ms: int) -> int:
    """How long a cancelled job stays CANCELLING: ``max(0.05 s, 10 % of its duration)``."""
    return max(MIN_CANCELLING_MS, duration_ms // 10)


def cancel(
    timeline: Timeline,
    now_ms: int,
    *,
    direct: bool = False,
    even_finished: bool = False,
    delay_ms: int = 0,
) -> Timeline | None:
    """The timeline after a cancel at ``now_ms`` that takes effect ``delay_ms`` later, or None when the
    cancel changes nothing.

    A job that is CANCELLING, has ended, or whose cancel is pending is left alone (``even_finished`` breaks
    that rule for the ``cancel-changes-finished`` fault, and only for SUCCEEDED jobs).
    """
    if timeline.cancel_ms is not None:  # cancelled already, or a cancel is pending
        return None
    current = progress_at(timeline, now_ms)
    if current.status == Status.CANCELLING or current.status == Status.CANCELLED:
        return None
    if current.finished and not (even_finished and current.status == Status.SUCCEEDED):
        return None
    at_ms = max(now_ms, current.since_ms) + max(delay_ms, 0)
    done_ms = at_ms if direct else at_ms + cancelling_ms(timeline.duration_ms)
    return replace(timeline, cancel_ms=at_ms, cancelled_ms=done_ms)
