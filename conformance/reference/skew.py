"""Faults of copies that disagree and of statuses that flicker: the quiet bugs of a service whose reads go to
caches, indexes and replicas (issue 14).

One endpoint's copy of a job drifts from GET's (``bulk-stale-cache``, ``bulk-segments-reversed``,
``listing-stale``, ``listing-update-time-seconds``), or GET shows a finished job, then for a fraction of a
second something else (``cancelled-reads-processing``, ``succeeded-reads-failed``: a replica behind the
primary answers the reads that follow the first one). :class:`Skew` is called by the operations of ``app.py``
on what each is about to answer; with none of these faults on it changes nothing.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from typing import Any

#: bulk-stale-cache: how long bulk-get serves the copy it served first
CACHE_S = 30.0
#: listing-stale: how far behind GET the listing is
STALE_LISTING_MS = 10_000
#: cancelled-reads-processing, succeeded-reads-failed: when, after GET first showed the end, the job reads
#: the other status (seconds from, to)
FLICKER_S = (0.12, 0.27)
#: the finished status whose reads flicker, what they show, and the fault
FLICKERS = {
    "CANCELLED": ("PROCESSING", "cancelled-reads-processing"),
    "SUCCEEDED": ("FAILED", "succeeded-reads-failed"),
}


class Skew:
    """Applies the faults of this module: ``fault(name)`` says whether one is on; ``clock``: epoch seconds."""

    def __init__(self, fault: Callable[[str], bool], clock: Callable[[], float]) -> None:
        self._fault = fault
        self._clock = clock
        self._lock = threading.Lock()
        self._cached: dict[str, tuple[float, dict[str, Any]]] = {}  # bulk-stale-cache
        self._ended: dict[str, float] = {}  # the flickers: when GET first showed the job finished

    def listing_lag_ms(self, lag_ms: int) -> int:
        """How far behind GET the listing is (the ``--listing-lag`` variant's, or the fault's)."""
        return max(lag_ms, STALE_LISTING_MS) if self._fault("listing-stale") else lag_ms

    def listed(self, job: dict[str, Any]) -> dict[str, Any]:
        """A job as the listing shows it."""
        if self._fault("listing-update-time-seconds") and isinstance(job.get("updateTime"), int):
            job["updateTime"] -= job["updateTime"] % 1000
        return job

    def bulk(self, job: dict[str, Any]) -> dict[str, Any]:
        """A job as bulk-get shows it."""
        if self._fault("bulk-stale-cache"):
            now = self._clock()
            with self._lock:
                served, cached = self._cached.get(job["id"], (now, job))
                if now - served > CACHE_S:
                    served, cached = now, job
                self._cached[job["id"]] = (served, cached)
            job = copy.deepcopy(cached)
        if self._fault("bulk-segments-reversed") and isinstance(job.get("segments"), list):
            job["segments"] = job["segments"][::-1]
        return job

    def got(self, job: dict[str, Any]) -> dict[str, Any]:
        """A job as GET shows it."""
        flicker = FLICKERS.get(job.get("status", ""))
        if flicker is None or not self._fault(flicker[1]):
            return job
        now = self._clock()
        with self._lock:
            ended = self._ended.setdefault(job["id"], now)
        if FLICKER_S[0] <= now - ended < FLICKER_S[1]:
            job["status"] = flicker[0]
        return job
