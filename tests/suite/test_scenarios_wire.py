"""The raw-socket helper of the cancel scenarios (``conformance/suite/_wire.py``): what it sees on the wire.

Scripted servers (a thread answering a socket with fixed bytes) stand for the misbehaviours an HTTP library
hides; the reference server stands for the real thing, honest and with its ``cancel-204-body`` fault.
"""

from __future__ import annotations

import contextlib
import dataclasses
import socket
import threading
from collections.abc import Iterator, Sequence

import httpx
import pytest

from conformance.reference import ServerSettings, start_in_thread
from conformance.suite import _wire

HEADERS = {
    "Authorization": "Bearer segjobs-local-token",
    "x-api-key": "segjobs-local-key",
    "x-gw-ims-org-id": "0000000000000000000000AA@AdobeOrg",
    "x-sandbox-name": "prod",
}
SEGMENT = "4afe34ae-8c98-4513-8a1d-67ccaa54bc05"
OK_JSON = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


class Scripted:
    """Accepts one connection and answers each request (read up to its blank line) with the next script
    entry; ``None`` closes the connection instead."""

    def __init__(self, answers: Sequence[bytes | None]) -> None:
        self.answers = list(answers)
        self.requests: list[bytes] = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/api"

    def _serve(self) -> None:
        conn, _ = self.sock.accept()
        conn.settimeout(5)
        buffer = b""
        with conn:
            for answer in self.answers:
                while b"\r\n\r\n" not in buffer:
                    data = conn.recv(4096)
                    if not data:
                        return
                    buffer += data
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                self.requests.append(head)
                if answer is None:
                    return
                conn.sendall(answer)
            with contextlib.suppress(OSError):
                conn.recv(4096)

    def close(self) -> None:
        self.sock.close()
        self.thread.join(5)


@pytest.fixture
def scripted(request: pytest.FixtureRequest) -> Iterator[Scripted]:
    server = Scripted(request.param)
    yield server
    server.close()


def _cancel(base_url: str) -> _wire.WireResult:
    return _wire.request_then_follow(
        base_url,
        ("DELETE", "/segment/jobs/j1"),
        ("GET", "/segment/jobs/j1"),
        HEADERS,
        read_timeout=3.0,
        linger=0.3,
    )


@pytest.mark.parametrize(
    "scripted", [[b"HTTP/1.1 204 No Content\r\nDate: x\r\n\r\n", OK_JSON]], indirect=True
)
def test_a_clean_204_and_the_next_answer(scripted: Scripted) -> None:
    result = _cancel(scripted.base_url)
    assert result.first is not None and result.first.status == 204
    assert result.trailing == b""
    assert result.follow is not None and result.follow.status == 200 and result.follow.body == b"{}"
    assert result.follow_problem is None
    assert scripted.requests[0].startswith(b"DELETE /api/segment/jobs/j1 HTTP/1.1\r\n")
    assert b"\r\nx-api-key: segjobs-local-key" in scripted.requests[0]
    assert scripted.requests[1].startswith(b"GET /api/segment/jobs/j1 HTTP/1.1\r\n")


@pytest.mark.parametrize(
    "scripted", [[b'HTTP/1.1 204 No Content\r\n\r\n{"status": true}', OK_JSON]], indirect=True
)
def test_bytes_after_a_204_are_seen_and_spoil_the_next_answer(scripted: Scripted) -> None:
    result = _cancel(scripted.base_url)
    assert result.trailing == b'{"status": true}'
    assert result.follow is None
    assert result.follow_problem is not None and "status line" in result.follow_problem


@pytest.mark.parametrize(
    "scripted", [[b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"]], indirect=True
)
def test_an_announced_close_skips_the_next_request(scripted: Scripted) -> None:
    result = _cancel(scripted.base_url)
    assert result.follow_skipped is not None
    assert result.follow_problem is None


@pytest.mark.parametrize("scripted", [[b"HTTP/1.1 204 No Content\r\n\r\n", None]], indirect=True)
def test_a_silent_close_after_the_204_is_legal_not_a_problem(scripted: Scripted) -> None:
    """RFC 9112 §9.6: a server may close a connection after any answer without announcing it."""
    result = _cancel(scripted.base_url)
    assert result.first is not None and result.first.status == 204
    assert result.follow is None and result.follow_problem is None
    assert result.follow_closed is not None or result.follow_skipped is not None


@pytest.mark.parametrize(
    "scripted",
    [
        [
            b"HTTP/1.1 204 No Content\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n",
        ]
    ],
    indirect=True,
)
def test_a_chunked_next_answer_is_read(scripted: Scripted) -> None:
    result = _cancel(scripted.base_url)
    assert result.follow is not None and result.follow.body == b"abcde"


@pytest.mark.parametrize("scripted", [[b"SPDY/3 200 OK\r\n\r\n"]], indirect=True)
def test_an_answer_that_is_not_http_is_a_problem(scripted: Scripted) -> None:
    result = _cancel(scripted.base_url)
    assert result.first is None
    assert result.first_problem is not None and "status line" in result.first_problem


@pytest.mark.parametrize(
    "faults", [frozenset(), frozenset({"cancel-204-body"})], ids=["honest", "body-on-204"]
)
def test_the_reference_server_on_the_wire(faults: frozenset[str]) -> None:
    settings = dataclasses.replace(ServerSettings(), faults=faults)
    server = start_in_thread(settings)
    try:
        created = httpx.post(
            f"{server.base_url}/segment/jobs", headers=HEADERS, json=[{"segmentId": SEGMENT}]
        )
        job_id = created.json()["id"]
        path = f"/segment/jobs/{job_id}"
        result = _wire.request_then_follow(
            server.base_url, ("DELETE", path), ("GET", path), HEADERS, linger=0.3
        )
    finally:
        server.stop()
    assert result.first is not None and result.first.status == 204
    if faults:
        assert result.trailing.startswith(b'{"status": true')
        assert result.first.header("content-length") == str(len(result.trailing))
        assert result.follow_problem is not None
    else:
        assert result.trailing == b""
        assert result.follow is not None and result.follow.status == 200
