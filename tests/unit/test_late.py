"""The late checks of refused requests: run once the cancel timeout has passed since each request, never
past the run's deadline, and out of scope when no test added one."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import pytest

from conformance._jobs import JobTracker
from conformance._outcomes import Disabled, Undecided
from conformance.suite._late import LateChecks


@dataclass
class FakeTracker:
    """What LateChecks uses of the tracker, on a clock that only sleeping moves."""

    now: float = 100.0
    cancel_timeout: float = 5.0
    run_deadline: float | None = None
    on_progress: Any = None
    slept: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _late(tracker: FakeTracker) -> LateChecks:
    return LateChecks(cast(JobTracker, tracker))


def test_each_check_runs_once_the_cancel_timeout_has_passed_since_its_request() -> None:
    tracker = FakeTracker()
    late = _late(tracker)
    ran: list[float] = []
    late.add("first", lambda: ran.append(tracker.now), ("SJ-CANCEL-005",), sent_at=97.0)
    late.add("second", lambda: ran.append(tracker.now), ("SJ-AUTH-006",))  # sent now, at 100
    assert late.run() == 2
    assert ran == [105.0, 105.0]  # the later one's due time: 100 + 5


def test_checks_already_due_run_without_waiting() -> None:
    tracker = FakeTracker()
    late = _late(tracker)
    late.add("old", lambda: None, ("SJ-CANCEL-005",), sent_at=90.0)
    late.run()
    assert tracker.slept == []


def test_a_failing_check_fails_the_run_of_checks() -> None:
    late = _late(FakeTracker())

    def fails() -> None:
        raise AssertionError("the job changed")

    late.add("changed", fails, ("SJ-CANCEL-005",), sent_at=0.0)
    with pytest.raises(AssertionError, match="changed"):
        late.run()


def test_no_check_is_out_of_scope() -> None:
    with pytest.raises(Disabled):
        _late(FakeTracker()).run()


def test_the_run_deadline_before_the_due_time_leaves_them_undecided() -> None:
    tracker = FakeTracker(run_deadline=102.0)
    late = _late(tracker)
    ran: list[str] = []
    late.add("late", lambda: ran.append("ran"), ("SJ-AUTH-006",))
    with pytest.raises(Undecided, match="--max-duration"):
        late.run()
    assert ran == [] and tracker.now == 102.0
