"""The job lifecycle as the reports draw it: status order, legal moves, and the story of one observed job."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from conformance._lifecycle import TERMINAL, TRANSITIONS, compress
from conformance.reporting._model import Job, Observation

#: Statuses in lifecycle order, top to bottom of a chart; the last three are terminal.
STATUS_ORDER = ("NEW", "QUEUED", "PROCESSING", "CANCELLING", "SUCCEEDED", "FAILED", "CANCELLED")
#: Most statuses a path sentence names before it elides the middle.
MAX_PATH = 10


def is_legal(before: str, after: str) -> bool:
    """Staying put is always legal; otherwise the move must be an edge of the lifecycle graph."""
    return before == after or after in TRANSITIONS.get(before, frozenset())


@dataclass(frozen=True)
class Move:
    """A change of status between two consecutive observations."""

    before: Observation
    after: Observation

    @property
    def legal(self) -> bool:
        return is_legal(self.before.status, self.after.status)


@dataclass(frozen=True)
class Story:
    """What one job did, in the words of the report.

    Times are seconds since the job's first observation (``job`` is shifted so); ``offset_s`` is when,
    in seconds into the run, that first observation was made.
    """

    job: Job
    moves: tuple[Move, ...]
    statuses: tuple[str, ...]
    offset_s: float = 0.0

    @property
    def illegal_moves(self) -> tuple[Move, ...]:
        return tuple(m for m in self.moves if not m.legal)

    @property
    def last(self) -> Observation | None:
        return self.job.observations[-1] if self.job.observations else None

    @property
    def finished(self) -> bool:
        return self.last is not None and self.last.status in TERMINAL

    @property
    def span_s(self) -> float:
        return self.last.t if self.last is not None else 0.0

    def path(self, limit: int = MAX_PATH) -> str:
        """The statuses in the order seen, repeats collapsed: ``NEW -> QUEUED -> SUCCEEDED``."""
        seen = compress([o.status for o in self.job.observations])
        if len(seen) > limit:
            seen = [*seen[: limit - 2], "\u2026", seen[-1]]
        return " \u2192 ".join(seen)

    def summary(self) -> str:
        """One sentence: the path it took, where it ended, and any illegal move."""
        obs = self.job.observations
        if not obs:
            return "no observations recorded"
        count = f"{len(obs)} observation{'s' if len(obs) != 1 else ''}"
        text = f"{self.path()}; {count} over {self.span_s:.2f} s from {self.offset_s:.2f} s into the run"
        bad = self.illegal_moves
        if bad:
            first = bad[0]
            text += (
                f"; {len(bad)} illegal transition{'s' if len(bad) != 1 else ''}, first "
                f"{first.before.status} \u2192 {first.after.status} at {first.after.t:.2f} s"
            )
        if not self.finished and self.last is not None:
            text += f"; not terminal at its last observation ({self.last.status} at {self.last.t:.2f} s)"
        return text


def story(job: Job) -> Story:
    """The story of a job, its times shifted to start at its first observation."""
    offset = job.observations[0].t if job.observations else 0.0
    obs = tuple(Observation(t=round(o.t - offset, 6), status=o.status) for o in job.observations)
    moves = tuple(Move(a, b) for a, b in pairwise(obs) if a.status != b.status)
    extra = sorted({o.status for o in obs} - set(STATUS_ORDER))
    return Story(
        job=Job(id=job.id, observations=obs),
        moves=moves,
        statuses=STATUS_ORDER + tuple(extra),
        offset_s=offset,
    )
