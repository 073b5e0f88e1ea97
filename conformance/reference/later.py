"""Work some faults do a while after their answer: a refused request applied all the same, later.

A real service applies requests asynchronously ("the actual deletion of the segment job is asynchronous"),
so its bugs show late too: a refused cancel reaching the job a second after its 404, a cancel of a finished
job changing it after the 204, a refused create storing its job after the 400. :class:`Later` runs such
work on the event loop after a delay and keeps a reference to each task until it ends.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from starlette.concurrency import run_in_threadpool

from conformance.reference.store import Scope, Store


class Later:
    """Delayed work of the faults (see the module docstring)."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def after(self, seconds: float, work: Callable[[], Awaitable[object]]) -> None:
        """Runs ``work`` ``seconds`` from now, on the running event loop."""

        async def run() -> None:
            await asyncio.sleep(seconds)
            await work()

        task = asyncio.create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def cancel(self, seconds: float, store: Store, scope: Scope, job_id: str, **kw: bool) -> None:
        """A cancel of the job applied ``seconds`` from now (``kw``: :meth:`.store.Store.cancel`'s flags)."""
        self.after(seconds, lambda: run_in_threadpool(store.cancel, scope, job_id, **kw))
