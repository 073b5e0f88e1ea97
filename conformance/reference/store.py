"""Durable storage of jobs in SQLite (WAL mode, synchronous FULL: a job is on disk before it is acknowledged).

One table holds what a job's life is computed from (its :class:`~conformance.reference.lifecycle.Timeline`)
and the status it was last seen in. Reading a job computes where time has taken it and, when that is a new
status, persists the transition with ``UPDATE ... WHERE status = <the status read>``, so two writers can never
both move the same job: the cancel and the progress of a job serialise on that guard.

Every operation runs in one ``BEGIN IMMEDIATE`` transaction under a lock: one connection, shared by the
server's worker threads, safe and simple. The clock is read inside the transaction, so the order in which
operations commit is also the order of the times they see.

A listing stays cheap in a crowded sandbox (thousands of jobs): before it, only the jobs that can still change
(not SUCCEEDED, FAILED or CANCELLED) are advanced; its filters (status, and each :class:`Match` the listing
hands over) and its order run in SQL on indexes of the scope, so only the page is read and rendered.
Preloaded jobs (:meth:`Store.add_finished`) go in with one ``executemany``, skipping ids already stored.

Two variants change what the operations see, both as a function of the time an operation happens at:

- ``remove_cancelled_after_ms`` (``--delete-cancelled``): every operation first deletes, in its own
  transaction, the jobs that reached CANCELLED at least that long ago (by their timeline: whether or not
  anyone saw them CANCELLED), so a removed job is gone from get, cancel, list and bulk-get at once
  (preloaded CANCELLED jobs, cancelled long ago, included).
- ``lag_ms`` of :meth:`Store.select` (``--listing-lag``): the listing sees every job as it was ``lag_ms``
  earlier. Only the jobs whose status changed within that window differ from what is stored; their earlier
  status and updateTime replace the stored ones (a ``WITH`` view over ``jobs``), so filters, order and paging
  still run in SQL. Nothing is persisted from that view.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from conformance.reference import lifecycle
from conformance.reference.lifecycle import Progress, Status, Timeline

SortKey = Literal["creationTime", "updateTime", "status", "id"]
MatchField = Literal["id", "org", "sandbox", "status", "segment"]

_SORT_COLUMNS: dict[str, str] = {
    "creationTime": "created_ms",
    "updateTime": "update_ms",
    "status": "status",
    "id": "id",
}

# What a :class:`Match` asks of a row. A segment is looked for in the JSON text first (a cheap, necessary
# condition: the id appears there JSON-encoded, as stored), then among the array's elements.
_MATCH_CLAUSES: dict[str, str] = {
    "id": "id = ?",
    "org": "org = ?",
    "sandbox": "sandbox = ?",
    "status": "status = ?",
    "segment": "instr(segment_ids, ?) > 0 AND EXISTS (SELECT 1 FROM json_each(segment_ids) WHERE value = ?)",
}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,  -- insertion order, breaks ties when sorting
    id           TEXT NOT NULL UNIQUE,
    org          TEXT NOT NULL,
    sandbox      TEXT NOT NULL,
    segment_ids  TEXT NOT NULL,                      -- JSON array of segment definition ids
    created_ms   INTEGER NOT NULL,
    duration_ms  INTEGER NOT NULL,
    outcome      TEXT,                               -- SUCCEEDED | FAILED | NULL (never ends)
    cancel_ms    INTEGER,
    cancelled_ms INTEGER,
    status       TEXT NOT NULL,                      -- the status last persisted
    update_ms    INTEGER NOT NULL                    -- when the job entered that status
);
CREATE INDEX IF NOT EXISTS jobs_by_scope ON jobs (org, sandbox, created_ms);
CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (org, sandbox, status);
CREATE INDEX IF NOT EXISTS jobs_by_status_created ON jobs (org, sandbox, status, created_ms);
CREATE INDEX IF NOT EXISTS jobs_by_update ON jobs (org, sandbox, update_ms);
CREATE INDEX IF NOT EXISTS jobs_by_id ON jobs (org, sandbox, id);
"""

# The statuses a job can still leave: the only ones worth advancing before a listing.
_RUNNING = tuple(status.value for status in Status if status not in lifecycle.TERMINAL)

# SQL text is put together from constants of this module only (hence the noqa: S608 marks); every value
# travels as a parameter.
_COLUMNS = (
    "id, org, sandbox, segment_ids, created_ms, duration_ms, outcome,"
    " cancel_ms, cancelled_ms, status, update_ms"
)

_Row = tuple[str, str, str, str, int, int, str | None, int | None, int | None, str, int]


@dataclass(frozen=True)
class Scope:
    """Whose jobs an operation sees: one org and one sandbox (every sandbox when ``sandbox`` is None)."""

    org: str
    sandbox: str | None


@dataclass(frozen=True)
class JobRecord:
    """A stored job and where it stands now."""

    id: str
    org: str
    sandbox: str
    segment_ids: tuple[str, ...]
    timeline: Timeline
    progress: Progress

    @property
    def status(self) -> Status:
        return self.progress.status

    @property
    def update_ms(self) -> int:
        return self.progress.since_ms


@dataclass(frozen=True)
class Match:
    """Only jobs whose ``field`` is ``value`` (``segment``: one of whose segment definitions is ``value``)."""

    field: MatchField
    value: str

    def clause(self) -> tuple[str, list[str]]:
        if self.field == "segment":
            return _MATCH_CLAUSES["segment"], [json.dumps(self.value), self.value]
        return _MATCH_CLAUSES[self.field], [self.value]


@dataclass(frozen=True)
class Order:
    """The order of a listing; ties are broken by insertion order, in the same direction."""

    key: SortKey = "creationTime"
    descending: bool = True


class Store:
    """The jobs of every org and sandbox. Thread-safe; close it when done."""

    def __init__(
        self, path: str, clock: Callable[[], float], *, remove_cancelled_after_ms: int | None = None
    ) -> None:
        self._clock = clock
        self._remove_cancelled_after_ms = remove_cancelled_after_ms
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30.0)
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = FULL")
        self._db.executescript(_SCHEMA)
        if remove_cancelled_after_ms is not None:
            self._db.execute("CREATE INDEX IF NOT EXISTS jobs_by_cancelled ON jobs (cancelled_ms)")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- operations -------------------------------------------------------------------------------------

    def create(
        self, scope: Scope, sandbox: str, segment_ids: Sequence[str], duration_ms: int, outcome: Status | None
    ) -> JobRecord:
        """Store a new job, NEW from now on, in ``sandbox``."""
        with self._transaction() as now_ms:
            timeline = lifecycle.plan(now_ms, duration_ms, outcome)
            record = JobRecord(
                id=str(uuid.uuid4()),
                org=scope.org,
                sandbox=sandbox,
                segment_ids=tuple(segment_ids),
                timeline=timeline,
                progress=lifecycle.progress_at(timeline, now_ms),
            )
            self._db.execute(
                f"INSERT INTO jobs ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?)",  # noqa: S608
                (
                    record.id,
                    record.org,
                    record.sandbox,
                    json.dumps(list(record.segment_ids)),
                    timeline.created_ms,
                    timeline.duration_ms,
                    None if outcome is None else outcome.value,
                    record.status.value,
                    record.update_ms,
                ),
            )
        return record

    def add_finished(self, records: Sequence[JobRecord]) -> int:
        """Store jobs that have already ended (preloading), in one transaction, skipping those whose id is
        stored already; returns how many were added."""
        unfinished = [record.id for record in records if not record.progress.finished]
        if unfinished:
            raise ValueError(f"jobs {unfinished[:3]} have not ended")
        with self._transaction():
            before = self._db.total_changes
            self._db.executemany(
                f"INSERT OR IGNORE INTO jobs ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
                [
                    (
                        record.id,
                        record.org,
                        record.sandbox,
                        json.dumps(list(record.segment_ids)),
                        record.timeline.created_ms,
                        record.timeline.duration_ms,
                        None if record.timeline.outcome is None else record.timeline.outcome.value,
                        record.timeline.cancel_ms,
                        record.timeline.cancelled_ms,
                        record.status.value,
                        record.update_ms,
                    )
                    for record in records
                ],
            )
            return self._db.total_changes - before

    def get(self, scope: Scope, job_id: str) -> JobRecord | None:
        """The job as it stands now, or None when ``scope`` has no such job."""
        with self._transaction() as now_ms:
            row = self._select_one(scope, job_id)
            return None if row is None else self._advance(row, now_ms)

    def get_many(self, scope: Scope, job_ids: Sequence[str]) -> dict[str, JobRecord]:
        """The jobs among ``job_ids`` that ``scope`` has, by id."""
        found: dict[str, JobRecord] = {}
        with self._transaction() as now_ms:
            for job_id in dict.fromkeys(job_ids):
                row = self._select_one(scope, job_id)
                if row is not None:
                    found[job_id] = self._advance(row, now_ms)
        return found

    def cancel(
        self,
        scope: Scope,
        job_id: str,
        *,
        direct: bool = False,
        even_finished: bool = False,
        delay_ms: int = 0,
    ) -> JobRecord | None:
        """Cancel the job if it has not ended and is not already cancelling; None when there is no such job.

        The cancel takes effect ``delay_ms`` after now (see :func:`.lifecycle.cancel`). The returned record
        shows the job after the cancel (unchanged when the cancel changed nothing, or has not taken effect).
        """
        with self._transaction() as now_ms:
            row = self._select_one(scope, job_id)
            if row is None:
                return None
            record = self._advance(row, now_ms)
            timeline = lifecycle.cancel(
                record.timeline, now_ms, direct=direct, even_finished=even_finished, delay_ms=delay_ms
            )
            if timeline is None:
                return record
            progress = lifecycle.progress_at(timeline, max(now_ms, record.update_ms))
            cursor = self._db.execute(
                "UPDATE jobs SET cancel_ms = ?, cancelled_ms = ?, status = ?, update_ms = ? "
                "WHERE id = ? AND status = ?",
                (
                    timeline.cancel_ms,
                    timeline.cancelled_ms,
                    progress.status.value,
                    progress.since_ms,
                    job_id,
                    record.status.value,
                ),
            )
            if cursor.rowcount != 1:
                raise RuntimeError(f"job {job_id} changed under an immediate transaction")
            return JobRecord(record.id, record.org, record.sandbox, record.segment_ids, timeline, progress)

    def select(
        self,
        scope: Scope,
        *,
        status: Status | tuple[Status, ...] | None,
        order: Order,
        start: int = 0,
        limit: int | None = None,
        matches: Sequence[Match] = (),
        lag_ms: int = 0,
    ) -> tuple[int, list[JobRecord]]:
        """The number of jobs in ``scope`` (with that status, if given, and meeting every match) and the
        ``limit`` of them from ``start`` in ``order`` (all of them from ``start`` when ``limit`` is None).

        With ``lag_ms``, every job is seen (filtered, ordered, returned) as it was ``lag_ms`` ago; a job
        created since is seen NEW."""
        with self._transaction() as now_ms:
            self._advance_scope(scope, now_ms)
            view: str = ""
            view_params: list[object] = []
            if lag_ms > 0:
                view, view_params = self._lagged_view(scope, now_ms - lag_ms)
            source = "viewed" if view else "jobs"
            where, params = _scope_clause(scope)
            if isinstance(status, Status):
                where += " AND status = ?"
                params.append(status.value)
            elif status is not None:  # several statuses: only fault status-filter-finished asks for them
                where += f" AND status IN ({', '.join('?' for _ in status)})"
                params.extend(s.value for s in status)
            for match in matches:
                clause, values = match.clause()
                where += f" AND {clause}"
                params.extend(values)
            count_sql = f"{view}SELECT COUNT(*) FROM {source} WHERE {where}"  # noqa: S608
            (total,) = self._db.execute(count_sql, [*view_params, *params]).fetchone()
            direction = "DESC" if order.descending else "ASC"
            column = _SORT_COLUMNS[order.key]
            rows = self._db.execute(
                f"{view}SELECT {_COLUMNS} FROM {source} WHERE {where} "  # noqa: S608
                f"ORDER BY {column} {direction}, seq {direction} LIMIT ? OFFSET ?",
                [*view_params, *params, -1 if limit is None else limit, min(start, 2**62)],
            ).fetchall()
            if view:
                return int(total), [_record_at(row, now_ms - lag_ms) for row in rows]
            return int(total), [self._advance(row, now_ms) for row in rows]

    # -- internals --------------------------------------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[int]:
        """One immediate transaction, yielding the time (epoch ms) the operation happens at; the jobs due for
        removal (``remove_cancelled_after_ms``) are gone first."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                now_ms = int(self._clock() * 1000)
                if self._remove_cancelled_after_ms is not None:
                    self._db.execute(
                        "DELETE FROM jobs WHERE cancelled_ms <= ?",
                        (now_ms - self._remove_cancelled_after_ms,),
                    )
                yield now_ms
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _select_one(self, scope: Scope, job_id: str) -> _Row | None:
        where, params = _scope_clause(scope)
        row: _Row | None = self._db.execute(
            f"SELECT {_COLUMNS} FROM jobs WHERE id = ? AND {where}",  # noqa: S608
            [job_id, *params],
        ).fetchone()
        return row

    def _lagged_view(self, scope: Scope, view_ms: int) -> tuple[str, list[object]]:
        """A ``WITH`` clause defining ``viewed``: the jobs as they were at ``view_ms`` (after the scope has
        been advanced to now). Only the jobs that changed after ``view_ms`` read otherwise than stored."""
        where, params = _scope_clause(scope)
        recent = self._db.execute(
            f"SELECT {_COLUMNS} FROM jobs WHERE {where} AND update_ms > ?",  # noqa: S608
            [*params, view_ms],
        ).fetchall()
        if not recent:
            return "", []
        earlier = [_record_at(row, view_ms) for row in recent]
        values = ", ".join("(?, ?, ?)" for _ in earlier)
        view = (
            f"WITH earlier (earlier_id, earlier_status, earlier_update_ms) AS (VALUES {values}), "  # noqa: S608
            f"viewed AS (SELECT seq, id, org, sandbox, segment_ids, created_ms, duration_ms, outcome, "
            f"cancel_ms, cancelled_ms, COALESCE(earlier_status, status) AS status, "
            f"COALESCE(earlier_update_ms, update_ms) AS update_ms "
            f"FROM jobs LEFT JOIN earlier ON earlier_id = id) "
        )
        view_params: list[object] = []
        for record in earlier:
            view_params += [record.id, record.status.value, record.update_ms]
        return view, view_params

    def _advance_scope(self, scope: Scope, now_ms: int) -> None:
        """Persist the transitions due for every job of ``scope`` that has not ended (before filtering
        or sorting on status and updateTime)."""
        where, params = _scope_clause(scope)
        marks = ", ".join("?" for _ in _RUNNING)
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM jobs WHERE {where} AND status IN ({marks})",  # noqa: S608
            [*params, *_RUNNING],
        ).fetchall()
        for row in rows:
            self._advance(row, now_ms)

    def _advance(self, row: _Row, now_ms: int) -> JobRecord:
        """The job of ``row`` at ``now_ms``, persisting its new status if it has moved on.

        A job that has ended stays exactly as stored. The time is never taken before the stored
        updateTime, so the status never goes back even if the clock does.
        """
        (
            job_id,
            org,
            sandbox,
            segment_ids,
            created,
            duration,
            outcome,
            cancel_ms,
            cancelled_ms,
            status,
            update,
        ) = row
        timeline = Timeline(
            created_ms=created,
            duration_ms=duration,
            outcome=None if outcome is None else Status(outcome),
            cancel_ms=cancel_ms,
            cancelled_ms=cancelled_ms,
        )
        stored = Status(status)
        if stored in lifecycle.TERMINAL:
            progress = lifecycle.progress_at(timeline, update)
        else:
            progress = lifecycle.progress_at(timeline, max(now_ms, update))
            if progress.status != stored:
                self._db.execute(
                    "UPDATE jobs SET status = ?, update_ms = ? WHERE id = ? AND status = ?",
                    (progress.status.value, progress.since_ms, job_id, stored.value),
                )
        return JobRecord(job_id, org, sandbox, tuple(json.loads(segment_ids)), timeline, progress)


def _record_at(row: _Row, at_ms: int) -> JobRecord:
    """The job of ``row`` as it was (or will be) at ``at_ms``, computed from its timeline alone."""
    job_id, org, sandbox, segment_ids, created, duration, outcome, cancel_ms, cancelled_ms, _, _ = row
    timeline = Timeline(
        created_ms=created,
        duration_ms=duration,
        outcome=None if outcome is None else Status(outcome),
        cancel_ms=cancel_ms,
        cancelled_ms=cancelled_ms,
    )
    progress = lifecycle.progress_at(timeline, at_ms)
    return JobRecord(job_id, org, sandbox, tuple(json.loads(segment_ids)), timeline, progress)


def _scope_clause(scope: Scope) -> tuple[str, list[str]]:
    if scope.sandbox is None:
        return "org = ?", [scope.org]
    return "org = ? AND sandbox = ?", [scope.org, scope.sandbox]
