"""Fixtures shared by the self-tests."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from selftest import ServerProcess, start_reference


@pytest.fixture
def reference_server() -> Iterator[Any]:
    """Starts reference servers in subprocesses (``reference_server(["--fault", "bulk-200"])``)."""
    started: list[ServerProcess] = []

    def start(args: Sequence[str] = (), env: dict[str, str] | None = None) -> ServerProcess:
        server = start_reference(args, env)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
