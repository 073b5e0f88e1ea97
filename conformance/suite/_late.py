"""Late checks: what a refused request must not do, looked for again once it would have shown.

A server may answer a request at once and apply it later ("the actual deletion of the segment job is
asynchronous"), so a refused request that is applied all the same may show only a while after its answer: a
cancel of a job of another sandbox, a cancel of a finished job, a create of an unknown segment definition.
The test that sends such a request judges what shows at once and adds a late check here; the run's last
phase (``test_refused_requests_show_no_effect_later``) runs every late check once the cancel timeout
(``SEGJOBS_CANCEL_TIMEOUT``, the time the doc's asynchronous effects may take) has passed since its request.
By then the embedded server's run has mostly passed that time already; against a ``--base-url`` target the
run waits that long for its cancelled job's cancel anyway. The wait never outlives the run's deadline
(``--max-duration``): a check it cuts is undecided, never failed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from conformance._jobs import PROGRESS_AFTER_S, RUN_DEADLINE_CAUSE, RUN_DEADLINE_REASON, JobTracker
from conformance._outcomes import Disabled, Undecided


@dataclass(frozen=True)
class LateCheck:
    """A check to run at ``due`` (the tracker's clock) or later; it raises ConformanceFailure. It judges
    ``requirements`` (the rule first, then what its requests may fail besides)."""

    what: str
    due: float
    check: Callable[[], None]
    requirements: tuple[str, ...]


@dataclass
class LateChecks:
    """The run's late checks (the ``late`` fixture)."""

    jobs: JobTracker
    checks: list[LateCheck] = field(default_factory=list)

    def add(
        self,
        what: str,
        check: Callable[[], None],
        requirements: tuple[str, ...],
        *,
        sent_at: float | None = None,
    ) -> None:
        """Runs ``check`` once the cancel timeout has passed since ``sent_at`` (default: now)."""
        start = self.jobs.clock() if sent_at is None else sent_at
        self.checks.append(LateCheck(what, start + self.jobs.cancel_timeout, check, requirements))

    def run(self) -> int:
        """Waits until every check is due, then runs each; returns how many ran. Disabled when none was
        added (no test sent a request to look at again), undecided when the run's deadline comes first."""
        if not self.checks:
            raise Disabled(
                "no refused request of this run has an effect to look for later", cause="nothing to look at"
            )
        due = max(c.due for c in self.checks)
        deadline = self.jobs.run_deadline
        if deadline is not None and deadline < due:
            self.jobs.sleep(max(0.0, deadline - self.jobs.clock()))
            raise Undecided(
                f"{RUN_DEADLINE_REASON} before the late checks were due ({self.describe()})",
                cause=RUN_DEADLINE_CAUSE,
            )
        left = due - self.jobs.clock()
        if left > PROGRESS_AFTER_S and self.jobs.on_progress is not None:
            self.jobs.on_progress(
                f"waiting {left:.0f} s before looking again at {len(self.checks)} refused "
                "request(s) for a late effect (SEGJOBS_CANCEL_TIMEOUT)"
            )
        if left > 0:
            self.jobs.sleep(left)
        for late in self.checks:
            late.check()
        return len(self.checks)

    def describe(self) -> str:
        return "; ".join(c.what for c in self.checks)
