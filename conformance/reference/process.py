"""The reference server as a child process: ``python -m conformance.reference``, started and stopped.

``start_subprocess`` runs it and waits for its one line on stdout, ``listening on http://127.0.0.1:PORT``; a
separate process can be killed with SIGKILL, which is how durability is tested. ``launch_subprocess`` starts
it without waiting (the embedded server of a run starts while pytest collects), and
``ServerProcess.ask_to_stop`` ends it without waiting (it stops while the run writes its reports).
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

READY_PREFIX = "listening on "
#: the second line on stdout, with an IMS port: the URL of the token endpoint follows
IMS_READY_PREFIX = "ims token endpoint "


@dataclass
class ServerProcess:
    """A server running as a child process (``python -m conformance.reference``)."""

    base_url: str
    process: subprocess.Popen[str] = field(repr=False)
    log_path: Path = field(repr=False)
    _final_log: str | None = field(default=None, repr=False)
    #: the URL of the token endpoint (started with ``--ims-port``), else None
    ims_token_url: str | None = None
    _asked: bool = field(default=False, repr=False)

    @property
    def pid(self) -> int:
        return self.process.pid

    def ask_to_stop(self) -> None:
        """Asks the server to stop (SIGTERM) and returns at once; :meth:`stop` then waits for it."""
        if self.process.poll() is None and not self._asked:
            self.process.terminate()
            self._asked = True

    def stop(self, timeout: float = 10.0) -> int:
        """Ask the server to stop (SIGTERM), kill it if it does not; returns its exit code."""
        if self.process.poll() is None:
            self.ask_to_stop()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        return self._finish()

    def kill(self) -> int:
        """End the server at once (SIGKILL): no shutdown, no cleanup; returns its exit code."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10.0)
        return self._finish()

    def log(self) -> str:
        """What the server wrote to stderr (all of it, once it has ended)."""
        if self._final_log is not None:
            return self._final_log
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def _finish(self) -> int:
        """After the process ended: keep its log in memory, remove the file, close the pipe."""
        if self._final_log is None:
            self._final_log = self.log()
            self.log_path.unlink(missing_ok=True)
        if self.process.stdout is not None:
            self.process.stdout.close()
        code = self.process.returncode
        assert code is not None
        return code

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_subprocess(
    args: Sequence[str] = (),
    *,
    env: Mapping[str, str] | None = None,
    startup_timeout: float = 20.0,
) -> ServerProcess:
    """Run ``python -m conformance.reference --port 0 *args`` and wait until it listens (with
    ``--ims-port`` in ``args``, until its token endpoint does too: ``ims_token_url``).

    ``env`` replaces the environment (default: this process's), so ``SEGJOBS_*`` variables pass through.
    The server's stderr goes to a temporary log file, read with ``ServerProcess.log()`` and removed once
    the server has been stopped or killed.
    """
    return launch_subprocess(args, env=env).ready(startup_timeout)


def launch_subprocess(args: Sequence[str] = (), *, env: Mapping[str, str] | None = None) -> StartingServer:
    """Start ``python -m conformance.reference --port 0 *args`` and return at once: the caller goes on with
    its own start-up while the server starts, and :meth:`StartingServer.ready` waits for it (as
    :func:`start_subprocess`)."""
    environment = dict(os.environ if env is None else env)
    # The package may run from a checkout that is not installed: make it importable in the child.
    package_root = str(Path(__file__).resolve().parents[2])
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, environment.get("PYTHONPATH")]))
    environment.setdefault("PYTHONUNBUFFERED", "1")
    with tempfile.NamedTemporaryFile(prefix="segjobs-reference-", suffix=".log", delete=False) as log_file:
        log_path = Path(log_file.name)
        process = subprocess.Popen(
            [sys.executable, "-m", "conformance.reference", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=log_file,
            stdin=subprocess.DEVNULL,
            text=True,
            env=environment,
        )
    return StartingServer(process, log_path, ims="--ims-port" in args)


@dataclass
class StartingServer:
    """A server process launched by :func:`launch_subprocess`, not yet known to listen."""

    process: subprocess.Popen[str] = field(repr=False)
    log_path: Path = field(repr=False)
    ims: bool = False

    def ready(self, timeout: float = 20.0) -> ServerProcess:
        """Waits until the server listens (and its token endpoint, with ``--ims-port``); kills it and
        raises RuntimeError, with its log, when it does not within ``timeout`` seconds."""
        process = self.process
        assert process.stdout is not None
        expected = [READY_PREFIX] + ([IMS_READY_PREFIX] if self.ims else [])
        lines: list[str] = []
        for prefix in expected:
            line = _read_line(process.stdout, timeout)
            if line is None or not line.startswith(prefix):
                process.kill()
                process.wait()
                log = self.log_path.read_text(encoding="utf-8", errors="replace")
                self.abandon()
                raise RuntimeError(
                    f"the reference server did not start (line {line!r}, expected {prefix!r}...); "
                    f"its log:\n{log}"
                )
            lines.append(line[len(prefix) :].strip())
        return ServerProcess(
            base_url=lines[0],
            process=process,
            log_path=self.log_path,
            ims_token_url=lines[1] if len(lines) > 1 else None,
        )

    def abandon(self) -> None:
        """Ends a server nobody will use (SIGKILL) and removes its log."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10.0)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.log_path.unlink(missing_ok=True)


def _read_line(stream: IO[str], timeout: float) -> str | None:
    """The first line of ``stream``, or None if none comes within ``timeout`` seconds."""
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(stream.readline()), daemon=True).start()
    try:
        return lines.get(timeout=timeout) or None
    except queue.Empty:
        return None
