"""429 and 503: reading Retry-After, the backoff without it, and the run's budget of waits."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from conformance._options import option
from conformance._retry import (
    BACKOFF,
    DEFAULT_BUDGET_RESENDS,
    DEFAULT_BUDGET_SECONDS,
    Backoff,
    RetryBudget,
    retry_after_seconds,
)

NOW = dt.datetime(1994, 11, 6, 8, 49, 0, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("0", 0.0),
        ("2", 2.0),
        (" 120 ", 120.0),
        ("3600", 3600.0),  # no cap here: the budget decides whether to wait that long
        ("-4", None),  # delay-seconds is 1*DIGIT
        ("1.5", None),
        ("soon", None),
        ("", None),
        ("\u00b2", None),  # a digit to str.isdigit, not to HTTP
        # the three date forms RFC 9110 section 5.6.7 asks a recipient to accept, 37 s after NOW
        ("Sun, 06 Nov 1994 08:49:37 GMT", 37.0),
        ("Sunday, 06-Nov-94 08:49:37 GMT", 37.0),
        ("Sun Nov  6 08:49:37 1994", 37.0),
        ("Sun, 06 Nov 1994 08:00:00 GMT", 0.0),  # in the past: now
        ("Sun, 32 Nov 1994 08:49:37 GMT", None),
    ],
)
def test_retry_after(value: str | None, expected: float | None) -> None:
    assert retry_after_seconds(value, now=NOW) == expected


def test_without_retry_after_the_backoff_doubles_up_to_its_cap() -> None:
    assert [BACKOFF.seconds(n) for n in range(8)] == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert Backoff(first=1.0, cap=3.0).seconds(10_000) == 3.0


def test_the_wait_is_what_retry_after_asks_else_the_backoff() -> None:
    run = RetryBudget(clock=lambda: NOW)
    assert run.wait_before_resend("7", 5) == 7.0
    assert run.wait_before_resend("Sun, 06 Nov 1994 08:49:10 GMT", 0) == 10.0
    assert run.wait_before_resend(None, 2) == 2.0
    assert run.wait_before_resend("garbage", 0) == 0.5


def test_the_budget_counts_seconds_and_re_sends_and_refuses_what_does_not_fit() -> None:
    slept: list[float] = []
    run = RetryBudget(seconds=5.0, resends=3, sleep=slept.append)
    assert run.wait(2.0) and run.wait(3.0)
    assert not run.wait(0.5)  # 5.5 s of 5
    assert (run.spent_s, run.used) == (5.0, 2)  # a refused wait reserves nothing
    assert run.wait(0.0)
    assert not run.wait(0.0)  # the fourth re-send of 3
    assert slept == [2.0, 3.0]


def test_a_budget_of_zero_never_waits() -> None:
    slept: list[float] = []
    run = RetryBudget(seconds=0.0, sleep=slept.append)
    assert not run.wait(0.5)
    assert run.wait(0.0)  # Retry-After: 0 costs no time
    assert slept == []


def test_the_budget_is_shared_between_threads_without_overspending() -> None:
    run = RetryBudget(seconds=1000.0, resends=50, sleep=lambda s: None)
    granted: list[bool] = []
    lock = threading.Lock()

    def draw() -> None:
        for _ in range(20):
            ok = run.wait(1.0)
            with lock:
                granted.append(ok)

    threads = [threading.Thread(target=draw) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert granted.count(True) == 50 and run.used == 50 and run.spent_s == 50.0


def test_the_option_shows_the_budget_s_defaults() -> None:
    entry = option("retry_budget")
    assert entry.default == f"`{DEFAULT_BUDGET_SECONDS:g}` s"
    assert f"{DEFAULT_BUDGET_RESENDS} re-sends" in entry.meaning
    assert f"{BACKOFF.first:g} s" in entry.meaning and f"{BACKOFF.cap:g} s" in entry.meaning
