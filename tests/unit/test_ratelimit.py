"""The request-rate cap (``--rate-limit``): its values, and no window of its period holding more than N.

The limiter runs on a fake clock here (integer nanoseconds that move only when a caller sleeps), so nothing
waits for real time and nothing asserts a wall-clock duration: the checks read the moments it granted.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Sequence

import httpx
import pytest

from conformance._client import ApiClient
from conformance._config import ConfigError, Settings, load_settings
from conformance._ratelimit import NS_PER_S, RATE_FORMAT, Rate, RateLimiter, now_ns, parse_rate
from conformance._redact import Redactor
from conformance._retry import RetryBudget

START_NS = 1_700_000_000 * NS_PER_S


class FakeClock:
    """Nanoseconds that move only when someone sleeps; shared by threads."""

    def __init__(self, start: int = START_NS) -> None:
        self.now = start
        self.slept: list[float] = []
        self.lock = threading.Lock()

    def __call__(self) -> int:
        with self.lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.slept.append(seconds)
            self.now += max(1, round(seconds * NS_PER_S))


def limiter(rate: Rate | None, clock: FakeClock) -> RateLimiter:
    return RateLimiter(rate, clock=clock, sleep=clock.sleep)


def most_in_a_window(moments: Sequence[int], period_ns: int) -> int:
    """The most moments any window of ``period_ns`` holds, both its ends counted (the strictest reading)."""
    ordered = sorted(moments)
    most, start = 0, 0
    for end, moment in enumerate(ordered):
        while moment - ordered[start] > period_ns:
            start += 1
        most = max(most, end - start + 1)
    return most


# -- the values ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [("5/s", Rate(5, "s")), ("120/m", Rate(120, "m")), (" 7 / S ", Rate(7, "s")), ("1/m", Rate(1, "m"))],
)
def test_a_rate_is_n_per_second_or_per_minute(text: str, expected: Rate) -> None:
    assert parse_rate(text) == expected
    assert str(parse_rate(str(expected))) == str(expected)


@pytest.mark.parametrize(
    "text", ["abc", "0/s", "5/h", "5", "5/", "/s", "-1/s", "1.5/s", "5/ss", "5 per s", ""]
)
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="N/s or N/m"):
        parse_rate(text)


@pytest.mark.parametrize(
    ("given", "source"),
    [
        ({"flags": {"rate_limit": "abc"}}, "--rate-limit"),
        ({"environ": {"SEGJOBS_RATE_LIMIT": "0/s"}}, "environment variable SEGJOBS_RATE_LIMIT"),
        ({"environ": {"SEGJOBS_RATE_LIMIT": "5/h"}}, "environment variable SEGJOBS_RATE_LIMIT"),
    ],
)
def test_a_bad_rate_names_the_value_and_where_it_came_from(
    given: dict[str, dict[str, str]], source: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(given.get("flags", {}), given.get("environ", {}))
    value = next(iter({**given.get("flags", {}), **given.get("environ", {})}.values()))
    assert str(caught.value) == f"invalid rate_limit {value!r} (from {source}): expected {RATE_FORMAT}"


def test_the_cap_is_off_by_default_and_shown_when_set() -> None:
    assert Settings().rate_limit is None
    settings = load_settings({"rate_limit": "5/s"}, {})
    assert settings.rate_limit == Rate(5, "s")
    assert settings.describe()["rate_limit"] == "5/s"


@pytest.mark.parametrize("count", [1, 2, 3, 5, 7, 50, 1000, 999_999_999, 1_000_000_000, 3_000_000_000])
@pytest.mark.parametrize("unit", ["s", "m"])
def test_n_intervals_exceed_the_period(count: int, unit: str) -> None:
    rate = Rate(count, unit)
    assert rate.interval_ns >= 1
    assert count * rate.interval_ns > rate.period_ns


# -- the limiter ---------------------------------------------------------------------------------------
def test_slots_are_an_interval_apart_and_the_caller_waits_for_its_own() -> None:
    clock = FakeClock()
    cap = limiter(Rate(5, "s"), clock)
    first = cap.acquire()
    assert first == START_NS and clock.slept == []  # the first request goes at once
    second = cap.acquire()
    assert second - first == Rate(5, "s").interval_ns
    assert clock() >= second  # it returned only once its slot had come
    clock.sleep(3.0)  # a quiet spell: the next request goes at once, no burst is saved up
    third = cap.acquire()
    assert third == clock()
    assert cap.acquire() - third == Rate(5, "s").interval_ns


@pytest.mark.parametrize(("rate", "threads", "each"), [(Rate(5, "s"), 8, 40), (Rate(3, "m"), 4, 6)])
def test_no_window_of_the_period_holds_more_than_n_whatever_the_threads(
    rate: Rate, threads: int, each: int
) -> None:
    clock = FakeClock()
    cap = limiter(rate, clock)
    granted: list[tuple[int, int]] = []  # (slot, the clock when acquire returned)
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def worker() -> None:
        start.wait()
        for _ in range(each):
            slot = cap.acquire()
            with lock:
                granted.append((slot, clock()))

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(30)
    slots = [slot for slot, _ in granted]
    assert len(slots) == len(set(slots)) == threads * each == cap.granted
    assert most_in_a_window(slots, rate.period_ns) == rate.count  # at the cap, and never over it
    ordered = sorted(slots)
    assert all(b - a >= rate.interval_ns for a, b in itertools.pairwise(ordered))
    assert all(returned >= slot for slot, returned in granted)


def test_the_real_clock_keeps_the_cap_too() -> None:
    """The default clock and sleep, at a rate high enough to take a few milliseconds: only the moments
    granted are checked, never how long it took."""
    rate = Rate(20_000, "s")
    cap = RateLimiter(rate)
    slots: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(50):
            slot = cap.acquire()
            with lock:
                slots.append(slot)

    pool = [threading.Thread(target=worker) for _ in range(4)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(30)
    assert len(slots) == 200
    assert most_in_a_window(slots, rate.period_ns) <= rate.count
    assert now_ns() >= max(slots)


def test_without_a_cap_nothing_waits() -> None:
    clock = FakeClock()
    free = limiter(None, clock)
    assert [free.acquire() for _ in range(100)] == [START_NS] * 100
    assert clock.slept == []
    assert free.summary() == {
        "cap": None,
        "cap_per_s": None,
        "requests": 100,
        "active_s": 0.0,
        "achieved_per_s": None,
    }


def test_the_summary_gives_the_achieved_rate_within_the_cap() -> None:
    clock = FakeClock()
    cap = limiter(Rate(5, "s"), clock)
    for _ in range(251):
        cap.acquire()
    summary = cap.summary()
    assert summary["cap"] == "5/s" and summary["cap_per_s"] == 5.0 and summary["requests"] == 251
    assert summary["active_s"] == 50.0
    assert summary["achieved_per_s"] <= 5.0
    minute = limiter(Rate(5, "m"), FakeClock())
    for _ in range(11):
        minute.acquire()
    assert minute.summary()["achieved_per_s"] <= minute.summary()["cap_per_s"] == 0.083


# -- every request takes a slot ------------------------------------------------------------------------
def test_every_send_of_the_client_takes_a_slot_re_sends_included() -> None:
    answers = iter([httpx.Response(429, headers={"Retry-After": "0"}), httpx.Response(503)])
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return next(answers, httpx.Response(200, json={"children": []}))

    clock = FakeClock()
    cap = limiter(Rate(5, "s"), clock)
    seen: list[int] = []
    api = ApiClient(
        "http://127.0.0.1:9",
        {},
        redactor=Redactor(),
        transport=httpx.MockTransport(handler),
        retry_budget=RetryBudget(sleep=lambda s: None),
        rate_limiter=cap,
        on_exchange=lambda exchange: seen.append(exchange.started_ns),
    )
    exchange = api.list_jobs()
    assert exchange.status == 200
    assert len(sent) == 3 == cap.granted == api.stats.requests
    interval = Rate(5, "s").interval_ns
    assert seen == [START_NS, START_NS + interval, START_NS + 2 * interval]
    assert exchange.started_ns == seen[-1]


def test_a_client_without_a_limiter_still_dates_its_requests() -> None:
    api = ApiClient(
        "http://127.0.0.1:9",
        {},
        redactor=Redactor(),
        transport=httpx.MockTransport(lambda r: httpx.Response(200, json={})),
    )
    before = now_ns()
    exchange = api.get_job("j1")
    assert before <= exchange.started_ns <= now_ns()
    assert api.rate_limiter.rate is None and api.rate_limiter.granted == 1


def test_the_terminal_summary_gives_the_achieved_rate_when_capped() -> None:
    from conformance import _summary

    def summary(rate: dict[str, object]) -> list[str]:
        results = {"requirements": [], "summary": {"requirements": {}}, "stats": {"rate": rate}}
        return list(_summary.lines(results))

    clock = FakeClock()
    cap = limiter(Rate(5, "s"), clock)
    for _ in range(11):
        cap.acquire()
    assert "rate: 11 requests in 2 s, 5/s (--rate-limit 5/s)" in summary(cap.summary())
    uncapped = limiter(None, FakeClock())
    uncapped.acquire()
    assert not [line for line in summary(uncapped.summary()) if line.startswith("rate:")]
