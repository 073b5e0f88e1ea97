"""429 and 503: the target saying "later", and how long a run waits for it.

A target may answer 429 (Too Many Requests, RFC 6585 §4) or 503 (Service Unavailable, RFC 9110 §15.6.4) to any
request, with or without ``Retry-After`` (RFC 9110 §10.2.3: delay-seconds or an HTTP-date). Neither is a
verdict on the request: the suite waits as asked (without ``Retry-After``: an exponential backoff) and sends
the request again. Every wait of the run draws on one :class:`RetryBudget` (a total of seconds and a number of
re-sends), shared by every request path (the client, the raw socket); once it is spent, an answer that still
says "later" leaves the requirement in question undecided, never failed.

Rules as data: :data:`LATER`, :data:`BACKOFF`. Nothing here sends a request.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

#: the statuses that mean "later" (with or without Retry-After)
LATER = frozenset({429, 503})


@dataclass(frozen=True)
class Backoff:
    """Waits when a "later" answer names none: ``first`` seconds, doubled at each re-send, at most ``cap``."""

    first: float = 0.5
    cap: float = 30.0

    def seconds(self, resends: int) -> float:
        """The wait before re-send number ``resends + 1`` of one request."""
        return min(self.cap, self.first * 2.0 ** min(resends, 32))


BACKOFF = Backoff()

#: the run's defaults: the total wait, and the most re-sends (which bounds a target answering Retry-After: 0)
DEFAULT_BUDGET_SECONDS = 600.0
DEFAULT_BUDGET_RESENDS = 1000


def retry_after_seconds(value: str | None, *, now: dt.datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` value asks to wait (0 for a date in the past); None when absent or invalid.

    delay-seconds is ``1*DIGIT``; an HTTP-date is read by :func:`email.utils.parsedate_to_datetime` (the
    IMF-fixdate and the obsolete forms RFC 9110 §5.6.7 asks recipients to accept)."""
    if value is None:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return float(int(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000": a date in UTC
        when = when.replace(tzinfo=dt.timezone.utc)
    moment = now if now is not None else _utc_now()
    return max(0.0, (when - moment).total_seconds())


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass
class RetryBudget:
    """The waits of a whole run for "later" answers: ``seconds`` of waiting and ``resends`` re-sends in all.

    Thread-safe; one object is shared by every request path of the run. ``sleep`` and ``clock`` (the date
    an HTTP-date ``Retry-After`` counts from) are injectable (tests)."""

    seconds: float = DEFAULT_BUDGET_SECONDS
    resends: int = DEFAULT_BUDGET_RESENDS
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    clock: Callable[[], dt.datetime] = field(default=_utc_now, repr=False)
    backoff: Backoff = BACKOFF
    spent_s: float = 0.0
    used: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def wait_before_resend(self, retry_after: str | None, resends: int) -> float:
        """How long to wait before sending a request again after its ``resends + 1``-th "later" answer,
        whose ``Retry-After`` is ``retry_after``."""
        asked = retry_after_seconds(retry_after, now=self.clock())
        return self.backoff.seconds(resends) if asked is None else asked

    def take(self, wait: float) -> bool:
        """Reserves one re-send after ``wait`` seconds; False (nothing reserved) when it does not fit."""
        with self._lock:
            if self.used >= self.resends or self.spent_s + wait > self.seconds:
                return False
            self.used += 1
            self.spent_s += wait
            return True

    def wait(self, wait: float) -> bool:
        """Waits ``wait`` seconds when the budget allows a re-send after them; False (at once) otherwise."""
        if not self.take(wait):
            return False
        if wait > 0:
            self.sleep(wait)
        return True

    def describe(self) -> str:
        return (
            f"the run's retry budget ({self.seconds:g} s of waiting, {self.resends} re-sends; "
            f"{self.spent_s:g} s and {self.used} used)"
        )
