"""A cap on the request rate of a whole run: ``--rate-limit N/s`` (or ``N/m``).

Every request of a run takes a slot of the run's one :class:`RateLimiter` before it is sent: each request of
:class:`~conformance._client.ApiClient` (scenario, property and stateful tests, the fleet, the clean-up), each
re-send after a 429 or 503 or after a kept-alive connection closed under it, and each request of the raw
socket (``suite/_wire.py``). The limiter is a token bucket that holds one token: slots are granted one after
the other, each ``period / N`` after the one before and a nanosecond more, so N + 1 consecutive requests
always span more than the period, and no window of one second (``N/s``) or one minute (``N/m``), whether or
not its ends are counted, holds more than N requests. Threads share it (the slots are reserved under a lock,
then each caller sleeps until its own).

Times are integer nanoseconds since the epoch on a clock that never steps (:func:`now_ns`: the wall clock
read once, then the monotonic clock), so the moment a slot is granted is also the request's start in the
HAR of the run (``conformance/_har.py``): the spacing a HAR shows is the spacing granted, to the nanosecond.

Nothing here sends a request or knows the rest of the package.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

NS_PER_S = 1_000_000_000
#: the units of a rate and their periods in seconds
UNITS = {"s": 1, "m": 60}
#: what a rate looks like (also the text of a usage error)
RATE_FORMAT = "N/s or N/m with N a whole number of requests, 1 or more (such as 5/s)"

#: with lanes (the workers of a run), slots are this much further apart: each process reads the wall clock
#: once for its dates (:data:`_ANCHOR_NS`), so two workers' dates of one moment may differ by microseconds
LANE_MARGIN_NS = 1_000_000

_RATE = re.compile(r"([0-9]+)\s*/\s*([a-z]+)")

#: the wall clock once, so that now_ns() is a date that moves with the monotonic clock
_ANCHOR_NS = time.time_ns() - time.monotonic_ns()


def from_monotonic(ns: int) -> int:
    """A moment of :func:`time.monotonic_ns` (the same clock in every process of the machine) on
    :func:`now_ns`'s clock."""
    return _ANCHOR_NS + ns


def now_ns() -> int:
    """Nanoseconds since the epoch, on a clock that never steps backwards (unlike the wall clock)."""
    return _ANCHOR_NS + time.monotonic_ns()


@dataclass(frozen=True)
class Rate:
    """At most ``count`` requests in any window of one ``unit`` (``s``: a second, ``m``: a minute)."""

    count: int
    unit: str = "s"

    def __post_init__(self) -> None:
        if self.count < 1 or self.unit not in UNITS:
            raise ValueError(f"not a rate: {self.count}/{self.unit}")

    def __str__(self) -> str:
        return f"{self.count}/{self.unit}"

    @property
    def period_ns(self) -> int:
        return UNITS[self.unit] * NS_PER_S

    @property
    def interval_ns(self) -> int:
        """The least time between two slots: a nanosecond more than ``period / count``, so that ``count``
        intervals exceed the period."""
        return self.period_ns // self.count + 1

    @property
    def per_second(self) -> float:
        return self.count / UNITS[self.unit]


def parse_rate(text: str) -> Rate:
    """``5/s``, ``120/m`` (spaces around the slash allowed); :class:`ValueError` for anything else."""
    match = _RATE.fullmatch(str(text).strip().lower())
    if match is None or match.group(2) not in UNITS or int(match.group(1)) < 1:
        raise ValueError(f"expected {RATE_FORMAT}")
    return Rate(int(match.group(1)), match.group(2))


class RateLimiter:
    """Grants the run's requests their slots: at most ``rate``, or as they come (``rate`` None).

    ``clock`` (nanoseconds, never stepping back) and ``sleep`` (seconds) are injectable (tests)."""

    def __init__(
        self,
        rate: Rate | None = None,
        *,
        clock: Callable[[], int] = now_ns,
        sleep: Callable[[float], None] = time.sleep,
        lane: tuple[int, int] = (0, 1),
        origin_ns: int = 0,
    ) -> None:
        self.rate = rate
        self.clock = clock
        self.sleep = sleep
        #: (k, W): this process is lane k of W sharing the rate (the workers of one run); slots of lane k are
        #: the moments origin + (k + j * W) * interval, so the lanes together never exceed the rate
        self.lane = lane
        self.origin_ns = origin_ns
        self._lock = threading.Lock()
        self._next_ns: int | None = None  # the earliest moment of the next slot
        self.granted = 0
        self.first_ns: int | None = None
        self.last_ns: int | None = None

    def acquire(self) -> int:
        """Waits for the next slot and returns the moment it was granted (nanoseconds since the epoch, on
        ``clock``); the request goes out right after."""
        with self._lock:
            now = self.clock()
            slot = now if self._next_ns is None or now >= self._next_ns else self._next_ns
            if self.rate is not None:
                slot = self._on_lane(slot, self.rate.interval_ns)
                lanes = self.lane[1]
                self._next_ns = slot + (
                    self.rate.interval_ns if lanes <= 1 else (self.rate.interval_ns + LANE_MARGIN_NS) * lanes
                )
            self.granted += 1
            if self.first_ns is None:
                self.first_ns = slot
            self.last_ns = slot
        while (left := slot - self.clock()) > 0:
            self.sleep(left / NS_PER_S)
        return slot

    def _on_lane(self, moment: int, interval: int) -> int:
        """The first slot of this lane at or after ``moment`` (``moment`` itself with one lane)."""
        k, lanes = self.lane
        if lanes <= 1:
            return moment
        interval += LANE_MARGIN_NS
        first, step = self.origin_ns + k * interval, interval * lanes
        return first if moment <= first else first + -(-(moment - first) // step) * step

    def summary(self) -> dict[str, Any]:
        """What the run achieved, for ``results.json``'s ``stats.rate``: the cap (``None``: none), the
        requests sent, the active seconds (from the first request to the last) and the achieved rate (the
        requests after the first, per active second), which never exceeds the cap."""
        with self._lock:
            granted, first, last = self.granted, self.first_ns, self.last_ns
        return summary_of(self.rate, granted, first, last)


def summary_of(rate: Rate | None, granted: int, first: int | None, last: int | None) -> dict[str, Any]:
    """:meth:`RateLimiter.summary` of ``granted`` requests from ``first`` to ``last`` (also of the workers of
    a run together)."""
    active_s = (last - first) / NS_PER_S if first is not None and last is not None else 0.0
    return {
        "cap": None if rate is None else str(rate),
        "cap_per_s": None if rate is None else round(rate.per_second, 3),
        "requests": granted,
        "active_s": round(active_s, 3),
        "achieved_per_s": round((granted - 1) / active_s, 3) if active_s > 0 else None,
    }
