"""Running the reference server: blocking, in a background thread, or as a separate process.

``serve`` is what the command line runs. ``start_in_thread`` serves tests and tools in the same process
(with an injectable clock). ``start_subprocess`` and ``launch_subprocess`` run it as a child process
(:mod:`.process`, re-exported here).

With an IMS port (``--ims-port``, ``ims_port``) the same server also listens there, and serves only the
token endpoint of :mod:`.ims` on it: a request is routed by the port it came in on. ``serve`` then reports a
second line, ``ims token endpoint http://127.0.0.1:PORT/ims/token/v3``, right after the first.

With ``access_log`` on, ``serve`` writes one line per request on stderr, when its answer starts, in
:data:`ACCESS_LOG_FORMAT` (the request line is the one the client sent: path and query as they came)::

    127.0.0.1:54321 - "DELETE /segment/jobs/3d0c4b2e-... HTTP/1.1" 204

No header is logged, so credentials never are.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import uvicorn
from uvicorn.config import LOGGING_CONFIG
from uvicorn.protocols.http.h11_impl import H11Protocol

from conformance.reference.app import create_app
from conformance.reference.faults import RAW_BODY_HEADER
from conformance.reference.ims import TOKEN_PATH, create_ims_app

# the child process lives in .process; re-exported here, where it was before
from conformance.reference.process import IMS_READY_PREFIX as IMS_READY_PREFIX
from conformance.reference.process import READY_PREFIX as READY_PREFIX
from conformance.reference.process import ServerProcess as ServerProcess
from conformance.reference.process import StartingServer as StartingServer
from conformance.reference.process import launch_subprocess as launch_subprocess
from conformance.reference.process import start_subprocess as start_subprocess
from conformance.reference.settings import ServerSettings

#: One access-log line: client address and port, the request line, the status code.
ACCESS_LOG_FORMAT = '{client} - "{method} {target} HTTP/{http_version}" {status}'


def serve(
    settings: ServerSettings,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    ims_port: int | None = None,
    on_ready: Callable[[str], None] | None = None,
    on_ims_ready: Callable[[str], None] | None = None,
    access_log: bool = False,
    clock: Callable[[], float] = time.time,
) -> None:
    """Serve until SIGINT or SIGTERM. ``port`` 0 picks a free port; ``on_ready`` gets the base URL once
    the server accepts requests. With ``ims_port`` (0: a free one) the token endpoint listens there too, and
    ``on_ims_ready`` gets its URL right after ``on_ready``. Logs go to stderr."""
    sock = _bind(host, port)
    try:
        ims_sock = None if ims_port is None else _bind(host, ims_port)
    except OSError:
        sock.close()
        raise
    log_config = copy.deepcopy(LOGGING_CONFIG)
    log_config["handlers"]["access"]["stream"] = "ext://sys.stderr"
    log_config["formatters"]["access"] = {"()": AccessLineFormatter}

    def ready() -> None:
        if on_ready is not None:
            on_ready(_base_url(sock))
        if ims_sock is not None and on_ims_ready is not None:
            on_ims_ready(_token_url(ims_sock))

    server = _Server(
        _config(settings, clock, log_config=log_config, access_log=access_log, ims_socket=ims_sock),
        on_ready=ready,
    )
    try:
        server.run(sockets=[sock] if ims_sock is None else [sock, ims_sock])
    finally:
        sock.close()
        if ims_sock is not None:
            ims_sock.close()


@dataclass
class ThreadedServer:
    """A server running in a background thread of this process."""

    base_url: str
    _server: uvicorn.Server = field(repr=False)
    _thread: threading.Thread = field(repr=False)
    _socket: socket.socket = field(repr=False)
    #: the URL of the token endpoint (``ims_port`` given), else None
    ims_token_url: str | None = None
    _ims_socket: socket.socket | None = field(default=None, repr=False)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving and wait for the thread (idempotent)."""
        self._server.should_exit = True
        self._thread.join(timeout)
        self._socket.close()
        if self._ims_socket is not None:
            self._ims_socket.close()

    def __enter__(self) -> ThreadedServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_in_thread(
    settings: ServerSettings,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    ims_port: int | None = None,
    clock: Callable[[], float] = time.time,
    startup_timeout: float = 10.0,
) -> ThreadedServer:
    """Start serving in a daemon thread (a free port by default; with ``ims_port``, 0 for a free one, the
    token endpoint too); returns once requests are accepted."""
    sock = _bind(host, port)
    ims_sock = None if ims_port is None else _bind(host, ims_port)
    sockets = [sock] if ims_sock is None else [sock, ims_sock]
    ready = threading.Event()
    # log_config=None leaves the logging of the hosting process alone.
    server = _Server(
        _config(settings, clock, log_config=None, access_log=False, ims_socket=ims_sock), on_ready=ready.set
    )
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": sockets}, name="segjobs-reference", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not ready.wait(0.01):
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            for bound in sockets:
                bound.close()
            raise RuntimeError("the reference server did not start")
    return ThreadedServer(
        base_url=_base_url(sock),
        _server=server,
        _thread=thread,
        _socket=sock,
        ims_token_url=None if ims_sock is None else _token_url(ims_sock),
        _ims_socket=ims_sock,
    )


# -- internals -------------------------------------------------------------------------------------------


class _Server(uvicorn.Server):
    """uvicorn's server, telling when it accepts requests."""

    def __init__(self, config: uvicorn.Config, on_ready: Callable[[], None] | None) -> None:
        super().__init__(config)
        self._on_ready = on_ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and self._on_ready is not None:
            self._on_ready()


class AccessLineFormatter(logging.Formatter):
    """Formats uvicorn's access records as :data:`ACCESS_LOG_FORMAT` (no level, no colours)."""

    def format(self, record: logging.LogRecord) -> str:
        client, method, target, http_version, status = cast(tuple[str, str, str, str, int], record.args)
        return ACCESS_LOG_FORMAT.format(
            client=client, method=method, target=target, http_version=http_version, status=status
        )


class _Config(uvicorn.Config):
    """uvicorn's configuration, letting the access log through when it is on.

    uvicorn sets its access logger to the server's log level (warning), where the access records (info)
    are dropped; the access log lowers it again.
    """

    def configure_logging(self) -> None:
        super().configure_logging()
        if self.access_log and self.log_config is not None:
            logging.getLogger("uvicorn.access").setLevel(logging.INFO)


class _BodyOn204Protocol(H11Protocol):
    """HTTP/1.1 that puts a body on the wire after a 204, for the ``cancel-204-body`` fault only.

    The HTTP library rightly refuses to send a body with a 204, so the app smuggles the bytes (hex) in the
    :data:`~conformance.reference.faults.RAW_BODY_HEADER` header, and this protocol's transport swaps that
    header for the bytes themselves, right after the head of the response.
    """

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.transport = cast(asyncio.Transport, _RawBodyTransport(transport))


class _RawBodyTransport:
    """A transport that writes through, except for the smuggled body of a 204 (see above)."""

    _marker = b"\r\n" + RAW_BODY_HEADER.encode() + b": "

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)

    def write(self, data: bytes) -> None:
        head, marker, rest = data.partition(self._marker)
        if marker and data.startswith(b"HTTP/1.1 204 "):
            body_hex, _, tail = rest.partition(b"\r\n")
            data = head + b"\r\n" + tail + bytes.fromhex(body_hex.decode("ascii"))
        self._transport.write(data)


class _ByPort:
    """The ASGI app of a server with a token endpoint: a request that came in on the IMS socket's port goes
    to the token endpoint, anything else (the lifespan too) to the API, which shares its issued tokens."""

    def __init__(self, api: Any, ims: Any, ims_port: int) -> None:
        self.api, self.ims, self.ims_port = api, ims, ims_port

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        server = scope.get("server") or (None, None)
        if scope["type"] == "http" and server[1] == self.ims_port:
            await self.ims(scope, receive, send)
        else:
            await self.api(scope, receive, send)


def _config(
    settings: ServerSettings,
    clock: Callable[[], float],
    *,
    log_config: dict[str, Any] | None,
    access_log: bool,
    ims_socket: socket.socket | None = None,
) -> uvicorn.Config:
    http: Any = _BodyOn204Protocol if "cancel-204-body" in settings.faults else "h11"
    app: Any = create_app(settings, clock=clock)
    if ims_socket is not None:
        ims_port = cast(tuple[str, int], ims_socket.getsockname()[:2])[1]
        app = _ByPort(app, create_ims_app(settings, app.state.issued), ims_port)
    return _Config(
        app,
        http=http,
        ws="none",
        lifespan="on",
        log_config=log_config,
        log_level="warning",
        access_log=access_log,
        server_header=False,
        # variant idle_close_seconds (uvicorn's own default, 5 s, otherwise)
        timeout_keep_alive=settings.keep_alive_seconds,  # type: ignore[arg-type]
    )


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio turns Nagle off (TCP_NODELAY) only on sockets that say they are TCP;
    # with Nagle on, every response after the first on a connection waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def _base_url(sock: socket.socket) -> str:
    host, port = cast(tuple[str, int], sock.getsockname()[:2])
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _token_url(sock: socket.socket) -> str:
    return _base_url(sock) + TOKEN_PATH
