"""Another client of the server: ``--background-creates SECONDS`` creates jobs for the server's whole life.

Every SECONDS (from start-up, on a fixed schedule) it creates one job in each sandbox of the server, the way
a ``POST /segment/jobs`` would (through the same code, faults included): the job then runs its normal life
and ends SUCCEEDED, or FAILED for the failing segment definition. Nobody ever cancels it.

==========  ====================================================================================
tick        segment definition of the jobs it creates
==========  ====================================================================================
1, 2, ...   SEGJOBS_SEGMENT_IDS in turn, then SEGJOBS_FAILING_SEGMENT_ID, then round again
==========  ====================================================================================

It runs as a task of the server's event loop (each create in the thread pool, like a request's), started
with the application and stopped before the store closes, so no job is created once the server stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from conformance.reference.settings import Sandbox, ServerSettings

#: Creates a job of these segment definitions in that sandbox, as a POST would.
CreateJob = Callable[[Sandbox, list[str]], Awaitable[object]]

_log = logging.getLogger("uvicorn.error")


def rotation(settings: ServerSettings) -> tuple[str, ...]:
    """The segment definitions the other client takes in turn, one per tick."""
    return (*settings.segment_ids, settings.failing_segment_id)


@asynccontextmanager
async def running(settings: ServerSettings, create: CreateJob) -> AsyncIterator[None]:
    """Run the other client while the body runs (nothing when ``background_create_seconds`` is None)."""
    interval = settings.background_create_seconds
    if interval is None:
        yield
        return
    stop = asyncio.Event()
    task = asyncio.create_task(_create_jobs(settings, create, interval, stop), name="background-creates")
    try:
        yield
    finally:
        stop.set()
        await task  # a create under way completes first


async def _create_jobs(
    settings: ServerSettings, create: CreateJob, interval: float, stop: asyncio.Event
) -> None:
    loop = asyncio.get_running_loop()
    segments = rotation(settings)
    due = loop.time()
    for tick in itertools.count():
        # On schedule; a tick that comes late (a slow create) is not made up for by a burst.
        due = max(due + interval, loop.time())
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=due - loop.time())
        if stop.is_set():
            return
        segment_id = segments[tick % len(segments)]
        for sandbox in settings.sandboxes:
            try:
                await create(sandbox, [segment_id])
            except Exception:
                _log.exception("the background client could not create a job in sandbox %s", sandbox.name)
