"""The reference implementation of the Segment Jobs API: a real, durable server the suite runs against.

It is a separate product that ships in the same wheel: it imports nothing from the suite. Start it with
``python -m conformance.reference`` (or ``segjobs-conformance serve``), or from Python:

>>> from conformance.reference import ServerSettings, start_in_thread
>>> server = start_in_thread(ServerSettings.from_env())      # doctest: +SKIP
>>> server.base_url, server.stop()                            # doctest: +SKIP

Modules: ``settings`` (configuration), ``lifecycle`` (a job's life as a function of time), ``store``
(SQLite), ``jobs`` (JSON form of a job), ``listing`` (query and paging), ``auth`` (gateway checks), ``ims``
(the token endpoint of ``--ims-port``), ``problems`` (error bodies), ``faults`` (deliberate, switchable
faults), ``preload`` (old finished jobs of a crowded sandbox), ``background`` (another client creating jobs),
``middleware`` (the HTTP variants around the app: latency, 429/503, Connection: close, chunked, gzip),
``app`` (the Starlette app), ``web`` (dispatch and error handlers), ``server`` (thread, blocking serve,
access log), ``process`` (a child process, started and stopped), ``__main__`` (command line).
"""

from conformance.reference.app import create_app
from conformance.reference.faults import FAULTS
from conformance.reference.process import ServerProcess, start_subprocess
from conformance.reference.server import ThreadedServer, serve, start_in_thread
from conformance.reference.settings import Sandbox, ServerSettings

__all__ = [
    "FAULTS",
    "Sandbox",
    "ServerProcess",
    "ServerSettings",
    "ThreadedServer",
    "create_app",
    "serve",
    "start_in_thread",
    "start_subprocess",
]
