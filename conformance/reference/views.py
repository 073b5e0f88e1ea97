"""How the faults switched on distort a rendered job (:func:`.jobs.render_job`) before the API answers it.

Every operation that answers jobs (list, create, get, bulk-get) passes each one through
:meth:`JobViews.distort`; bulk-get's results pass through :meth:`JobViews.bulk_result` too. With no fault on,
both return the job unchanged. The faults that count reads keep their counts here, per job id.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from conformance.reference.lifecycle import Status
from conformance.reference.store import JobRecord


class JobViews:
    """The view faults of one server (``fault`` tells whether a fault is switched on)."""

    def __init__(self, fault: Callable[[str], bool]) -> None:
        self._fault = fault
        self._reads_of: dict[str, int] = {}  # fault finished-regresses
        self._presented: dict[str, int] = {}  # fault creation-time-drifts
        self._recounted: dict[str, int] = {}  # fault finished-profiles-grow

    def distort(self, job: dict[str, Any], record: JobRecord) -> dict[str, Any]:
        """The rendered job as the faults switched on distort it (unchanged when none are)."""
        if self._fault("finished-regresses") and record.status == Status.SUCCEEDED:
            reads = self._reads_of[record.id] = self._reads_of.get(record.id, 0) + 1
            if reads % 2 == 0:
                job["status"] = Status.PROCESSING.value
        if self._fault("succeeded-without-batch") and record.status == Status.SUCCEEDED:
            job.pop("batchId", None)
        if self._fault("failed-without-errors"):
            job.pop("errors", None)
        if self._fault("total-time-off") and "totalTimeInMs" in job.get("metrics", {}).get("totalTime", {}):
            job["metrics"]["totalTime"]["totalTimeInMs"] += 1
        if self._fault("creation-time-drifts"):
            drift = self._presented[record.id] = self._presented.get(record.id, -1) + 1
            job["creationTime"] += drift
        if self._fault("finished-profiles-grow") and "totalProfiles" in job.get("metrics", {}):
            grown = self._recounted[record.id] = self._recounted.get(record.id, -1) + 1
            job["metrics"]["totalProfiles"] += grown
        if self._fault("update-epoch-ms"):
            job["updateEpoch"] = job["updateTime"]
        if self._fault("cancel-link-get"):
            job["_links"]["cancel"]["method"] = "GET"
        if self._fault("audience-size-missing") and "metrics" in job:
            job["metrics"].pop("totalProfiles", None)
            job["metrics"].pop("segmentedProfileCounter", None)
        if self._fault("update-time-backwards") and record.status != Status.NEW:
            job["updateTime"] = record.timeline.created_ms - 1000
            job["updateEpoch"] = job["updateTime"] // 1000
        if self._fault("status-lowercase"):
            job["status"] = job["status"].lower()
        if self._fault("wrong-types"):
            job["creationTime"] = str(job["creationTime"])
            if "computeJobId" in job:
                job["computeJobId"] = str(job["computeJobId"])
        if self._fault("renamed-field"):
            job["createdTime"] = job.pop("creationTime")
        if self._fault("missing-field-id"):
            del job["id"]
        return job

    def bulk_result(self, job: dict[str, Any]) -> dict[str, Any]:
        """A job as bulk-get lists it: its times as ISO 8601 strings under fault bulk-times-strings."""
        if self._fault("bulk-times-strings"):
            for name in ("creationTime", "updateTime"):
                if isinstance(job.get(name), int):
                    job[name] = _iso_time(job[name])
        return job


def _iso_time(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, tz=timezone.utc).isoformat(timespec="milliseconds")
