"""The JSON form of a job, as the API doc shows it, with fields appearing as the job advances.

=============  ==========================================================================================
status         fields added
=============  ==========================================================================================
NEW            id, imsOrgId, sandbox, profileInstanceId, source, status, segments, requestId, schema,
               _links, creationTime, updateTime, updateEpoch
QUEUED         computeGatewayJobId
PROCESSING     computeJobId, metrics.totalTime.startTimeInMs, metrics.profileSegmentationTime ({})
SUCCEEDED      batchId, end and total times, totalProfiles and the per-segment counters
FAILED         errors, end and total of metrics.totalTime
=============  ==========================================================================================

A cancelled job keeps what it had reached before the cancel. Values that a real platform would produce
(batch ids, compute job ids, profile counts) are derived from the job id, so they are the same on every read
and after a restart.
"""

from __future__ import annotations

import functools
import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from conformance.reference.lifecycle import Status
from conformance.reference.settings import Sandbox, ServerSettings
from conformance.reference.store import JobRecord

#: Where the job links point: paths relative to the API root, as in the doc (after the path prefix, or the
#: origin and the prefix, of the variants ``path_prefix`` and ``absolute_links``).
JOBS_PATH = "/segment/jobs"

_NAMESPACE = uuid.UUID("0b5e55ed-5e6e-4d0b-a11c-5e9e00000000")

_EXPRESSIONS = (
    'workAddress.country = "US"',
    'homeAddress.city = "Basel"',
    "person.birthDate.year < 1990",
    'loyalty.tier in ["gold", "platinum"]',
)


def job_href(job_id: str, links: str = "") -> str:
    return f"{links}{JOBS_PATH}/{job_id}"


def render_job(record: JobRecord, settings: ServerSettings, *, links: str = "") -> dict[str, Any]:
    """The job as the API answers it (``links``: what precedes ``/segment/jobs`` in its ``_links``)."""
    progress = record.progress
    queued_ms = progress.entered(Status.QUEUED)
    processing_ms = progress.entered(Status.PROCESSING)
    succeeded_ms = progress.entered(Status.SUCCEEDED)
    failed_ms = progress.entered(Status.FAILED)

    job: dict[str, Any] = {
        "id": record.id,
        "imsOrgId": record.org,
        "sandbox": _sandbox(record.sandbox, settings).to_json(),
        "profileInstanceId": "ups",
        "source": "api",
        "status": record.status.value,
    }
    derived = _derived_values(record.id, record.segment_ids)
    if succeeded_ms is not None:
        job["batchId"] = derived.batch_id
    if processing_ms is not None:
        job["computeJobId"] = derived.compute_job_id
    if queued_ms is not None:
        job["computeGatewayJobId"] = derived.compute_gateway_job_id
    job["segments"] = [segment_entry(segment_id, record.org) for segment_id in record.segment_ids]
    if processing_ms is not None:
        job["metrics"] = _metrics(record, derived, processing_ms, succeeded_ms, failed_ms)
    job["requestId"] = derived.request_id
    job["schema"] = {"name": "_xdm.context.profile"}
    if failed_ms is not None:
        job["errors"] = [
            {
                "code": "0100000003",
                "msg": f"Segment definition '{segment_id}' could not be evaluated: the expression refers to "
                "an attribute that is not in the union schema.",
            }
            for segment_id in record.segment_ids
            if segment_id == settings.failing_segment_id
        ] or [{"code": "0100000003", "msg": "The segment job failed."}]
    job["_links"] = {
        "cancel": {"href": job_href(record.id, links), "method": "DELETE"},
        "checkStatus": {"href": job_href(record.id, links), "method": "GET"},
    }
    job["updateTime"] = record.update_ms
    job["creationTime"] = record.timeline.created_ms
    job["updateEpoch"] = record.update_ms // 1000
    if settings.extra_fields:
        job["priority"] = 0
        job["_meta"] = {"engine": "segment-jobs-reference", "durationMs": record.timeline.duration_ms}
    return job


def segment_entry(segment_id: str, org: str) -> dict[str, Any]:
    """One element of ``segments``: the id asked for and the segment definition it names."""
    merge_policy_id = _merge_policy_id(org)
    return {
        "segmentId": segment_id,
        "segment": {
            "id": segment_id,
            "expression": {
                "type": "PQL",
                "format": "pql/text",
                "value": _expression(segment_id),
            },
            "mergePolicyId": merge_policy_id,
            "mergePolicy": {"id": merge_policy_id, "version": 1},
        },
    }


def _metrics(
    record: JobRecord, derived: _Derived, processing_ms: int, succeeded_ms: int | None, failed_ms: int | None
) -> dict[str, Any]:
    total_time: dict[str, int] = {"startTimeInMs": processing_ms}
    metrics: dict[str, Any] = {"totalTime": total_time, "profileSegmentationTime": {}}
    end_ms = succeeded_ms if succeeded_ms is not None else failed_ms
    if end_ms is not None:
        total_time.update(endTimeInMs=end_ms, totalTimeInMs=end_ms - processing_ms)
    if succeeded_ms is not None:
        segmentation_start = processing_ms + (succeeded_ms - processing_ms) // 2
        metrics["profileSegmentationTime"] = {
            "startTimeInMs": segmentation_start,
            "endTimeInMs": succeeded_ms,
            "totalTimeInMs": succeeded_ms - segmentation_start,
        }
        counts = dict(zip(record.segment_ids, derived.segment_counts, strict=True))
        metrics["totalProfiles"] = derived.total_profiles
        metrics["segmentedProfileCounter"] = counts
        metrics["segmentedProfileByNamespaceCounter"] = {
            segment_id: {"email": count // 2, "crmid": count - count // 2}
            for segment_id, count in counts.items()
        }
    return metrics


def _sandbox(name: str, settings: ServerSettings) -> Sandbox:
    """The sandbox a job was created in (also when a restart no longer configures it)."""
    known = settings.sandbox(name)
    if known is not None:
        return known
    return Sandbox(name=name, sandbox_id=_derived_uuid(name, "sandbox"), type="development", default=False)


@dataclass(frozen=True)
class _Derived:
    """The values of a job that a real platform would produce, derived from its id."""

    request_id: str
    compute_gateway_job_id: str
    compute_job_id: int
    batch_id: str
    total_profiles: int
    segment_counts: tuple[int, ...]


@functools.lru_cache(maxsize=65536)
def _derived_values(job_id: str, segment_ids: tuple[str, ...]) -> _Derived:
    """Cached: the values never change for a job, and hashing is most of the cost of rendering one."""
    return _Derived(
        request_id=hashlib.sha256(f"{job_id}/request".encode()).hexdigest()[:32],
        compute_gateway_job_id=_derived_uuid(job_id, "compute-gateway-job"),
        compute_job_id=10_000 + _derived_int(job_id, "compute-job") % 90_000,
        batch_id=_derived_uuid(job_id, "batch"),
        total_profiles=5_000 + _derived_int(job_id, "profiles") % 5_000,
        segment_counts=tuple(_derived_int(job_id, segment_id) % 5_000 for segment_id in segment_ids),
    )


@functools.lru_cache(maxsize=1024)
def _merge_policy_id(org: str) -> str:
    return _derived_uuid(org, "merge-policy")


@functools.lru_cache(maxsize=1024)
def _expression(segment_id: str) -> str:
    return _EXPRESSIONS[_derived_int(segment_id, "expression") % len(_EXPRESSIONS)]


def _derived_uuid(seed: str, purpose: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{seed}/{purpose}"))


def _derived_int(seed: str, purpose: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{seed}/{purpose}".encode()).digest()[:8], "big")
