"""Observing a job for a moment after its first finished status, in the background, while other tests run.

A server may show a job finished and then, for a fraction of a second, something else: a running status
again, another end. Polling that stops at the first finished status never sees it. So when GET first shows
one of the run's jobs finished, the :class:`Watcher` reads it again :data:`SETTLE_READS` times, one every
:data:`SETTLE_EVERY_S`, from a thread of its own: the waits return at once and the tests go on, and the
reads land in the job's history like any other (``JobTracker.observe_exchange``). The tests that judge a
history first let the windows of its jobs close (:meth:`Watcher.drain`).

A read that fails (a transport error, "later" past the retry budget) ends the job's window: the answers it
got are judged like every answer, and the history keeps what was seen. Nothing is read past the run's
deadline, nor after :meth:`Watcher.stop` (the run's end, before its clean-up).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

#: how many times a job is read after GET first showed it finished, and how far apart
SETTLE_READS = 3
SETTLE_EVERY_S = 0.1


class Watcher:
    """Reads jobs a few more times after their first finished status; see the module docstring."""

    def __init__(
        self,
        read: Callable[[str], object],
        now: Callable[[], float],
        *,
        reads: int = SETTLE_READS,
        every: float = SETTLE_EVERY_S,
        deadline: Callable[[], float | None] = lambda: None,
    ) -> None:
        self._read = read
        self._now = now
        self.reads = reads
        self.every = every
        self._deadline = deadline
        #: job id -> (reads left, when the next is due), on ``now``'s scale
        self._due: dict[str, tuple[int, float]] = {}
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopped = False
        #: how many reads the watcher sent (for the tests of the suite)
        self.sent = 0

    def follow(self, job_id: str) -> None:
        """Reads ``job_id`` again ``reads`` times from now on (once per job: a later call changes nothing)."""
        with self._cond:
            if self._stopped or job_id in self._due or self.reads <= 0:
                return
            self._due[job_id] = (self.reads, self._now() + self.every)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="segjobs-watcher", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def following(self, job_ids: Iterable[str] | None = None) -> list[str]:
        """The jobs (of ``job_ids``, or all) whose window is still open."""
        with self._cond:
            wanted = self._due if job_ids is None else [j for j in job_ids if j in self._due]
            return [j for j in wanted if self._due[j][0] > 0]

    def drain(self, job_ids: Iterable[str] | None = None) -> None:
        """Returns once the windows of ``job_ids`` (default: every job followed) have closed."""
        ids = None if job_ids is None else list(job_ids)
        with self._cond:
            while not self._stopped and self.following(ids) and self._thread is not None:
                if not self._thread.is_alive():  # never a wait on a thread that is gone
                    return
                self._cond.wait(self.every)

    def stop(self) -> None:
        """No more reads; returns once the thread has ended."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=30.0)

    def _run(self) -> None:
        while True:
            with self._cond:
                if self._stopped:
                    return
                now = self._now()
                deadline = self._deadline()
                if deadline is not None and now >= deadline:
                    self._due = {j: (0, due) for j, (_, due) in self._due.items()}
                    self._cond.notify_all()
                ready = [j for j, (left, due) in self._due.items() if left > 0 and due <= now]
                if not ready:
                    pending = [due for left, due in self._due.values() if left > 0]
                    self._cond.wait(max(0.0, min(pending) - now) if pending else None)
                    continue
            for job_id in ready:
                try:
                    self._read(job_id)
                    ok = True
                except Exception:  # a failed read ends the window; its answer is judged like every answer
                    ok = False
                with self._cond:
                    self.sent += 1
                    left, _ = self._due[job_id]
                    self._due[job_id] = (left - 1 if ok else 0, self._now() + self.every)
                    self._cond.notify_all()
