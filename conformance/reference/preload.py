"""Old finished jobs a crowded sandbox already holds: ``--preload N`` puts N of them in each sandbox.

The jobs look exactly like jobs of this server that ran their course weeks ago, because they are stored as
such (a :class:`~conformance.reference.lifecycle.Timeline` like any other) and rendered by the same code:

==========  ============================  =========================================================
job         segments                      life
==========  ============================  =========================================================
1, 4, 7...  one of SEGJOBS_SEGMENT_IDS    ran for 2-10 min, SUCCEEDED (batchId, metrics)
2, 5, 8...  SEGJOBS_FAILING_SEGMENT_ID    ran for 2-10 min, FAILED (errors)
3, 6, 9...  one of SEGJOBS_SEGMENT_IDS    cancelled while NEW, QUEUED or PROCESSING, then CANCELLED
==========  ============================  =========================================================

The segment definitions take turns, so each gets its share of SUCCEEDED and CANCELLED jobs. Creation times
are spread evenly over the 30 days before start-up, ending an hour before it (job ``i`` of ``N`` in the
``i``-th slot, at a point of that slot derived from its id), so every preloaded job ended before start-up.

Job ``i`` of a sandbox always has the same id (derived from the org, the sandbox and ``i``, in UUID v4
form), and the store skips ids it already holds: a server on a ``--db`` file that already has them adds none,
so however often it restarts each sandbox holds N preloaded jobs (a larger N tops up; a smaller one removes
nothing). Jobs already there keep their times.
"""

from __future__ import annotations

import hashlib
import uuid

from conformance.reference import lifecycle
from conformance.reference.lifecycle import Status
from conformance.reference.settings import ServerSettings
from conformance.reference.store import JobRecord

#: How far back the oldest preloaded job was created, and how long before start-up the newest was.
WINDOW_MS = 30 * 24 * 3600 * 1000
NEWEST_AGE_MS = 3600 * 1000
#: The shortest and longest run of a preloaded job.
MIN_DURATION_MS = 2 * 60 * 1000
MAX_DURATION_MS = 10 * 60 * 1000

#: The end of preloaded job ``i``, by ``i % 3``: "even" over the terminal statuses.
ENDINGS = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)
#: When a CANCELLED job was cancelled, as a fraction of its run: while NEW, QUEUED or PROCESSING, in turn.
CANCEL_POINTS = (0.05, 0.2, 0.6)


def preloaded_jobs(settings: ServerSettings, now_ms: int, count: int | None = None) -> list[JobRecord]:
    """The ``count`` (default ``settings.preload``) preloaded jobs of every sandbox, oldest first, as they
    stand at ``now_ms`` (finished, all of them)."""
    count = settings.preload if count is None else count
    slot_ms = (WINDOW_MS - NEWEST_AGE_MS) / max(count, 1)
    oldest_ms = now_ms - WINDOW_MS
    records = []
    for sandbox in settings.sandboxes:
        for index in range(count):
            job_id = preloaded_id(settings.ims_org, sandbox.name, index)
            seed = int(job_id.replace("-", ""), 16)
            created_ms = oldest_ms + int(index * slot_ms + (seed % 1000) / 1000 * slot_ms)
            duration_ms = MIN_DURATION_MS + seed % (MAX_DURATION_MS - MIN_DURATION_MS)
            ending = ENDINGS[index % len(ENDINGS)]
            turn = index // len(ENDINGS)
            if ending == Status.FAILED:
                segment_ids: tuple[str, ...] = (settings.failing_segment_id,)
            else:
                segment_ids = (settings.segment_ids[turn % len(settings.segment_ids)],)
            outcome = Status.FAILED if ending == Status.FAILED else Status.SUCCEEDED
            timeline = lifecycle.plan(created_ms, duration_ms, outcome)
            if ending == Status.CANCELLED:
                point = CANCEL_POINTS[turn // len(settings.segment_ids) % len(CANCEL_POINTS)]
                cancelled = lifecycle.cancel(
                    timeline, created_ms + int(point * duration_ms), direct=settings.cancel_direct
                )
                assert cancelled is not None, "a running job can be cancelled"
                timeline = cancelled
            progress = lifecycle.progress_at(timeline, now_ms)
            assert progress.status == ending, (job_id, progress.status)
            records.append(JobRecord(job_id, settings.ims_org, sandbox.name, segment_ids, timeline, progress))
    records.sort(key=lambda record: record.timeline.created_ms)
    return records


def preloaded_id(org: str, sandbox: str, index: int) -> str:
    """The id of preloaded job ``index`` of a sandbox: the same on every start, shaped like any job id."""
    digest = hashlib.sha256(f"{org}/{sandbox}/preloaded/{index}".encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))
