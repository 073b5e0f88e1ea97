"""Real loopback connections: what a server may do to them (RFC 9112 §9.6), seen by the client and raw socket.

A server may close an idle connection at any moment; when it does so just as the client sends the next
request on it, the request is lost without an answer. The client sends it again on another connection when
that is safe (an idempotent method, the bulk-get read, or nothing written: RFC 9112 §9.3.1), and says
"not judged" for a create it cannot send again. The same close on a connection opened for the request is
a broken answer (SJ-HTTP-004). The raw socket of the cancel scenarios takes a close after any answer as
legal, and waits for a 429 or 503 within the run's retry budget as the client does.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from conformance._client import ApiClient, ClosedInFlight, ProtocolViolation
from conformance._ratelimit import Rate, RateLimiter
from conformance._redact import Redactor
from conformance._retry import RetryBudget
from conformance._transport import may_resend
from conformance.suite import _wire

OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
NO_CONTENT = b"HTTP/1.1 204 No Content\r\n\r\n"


class ThenClose(bytes):
    """An answer after which the server closes the connection (without announcing it)."""


#: (connection number, request number on it, request line) -> the answer, or None to close without one
Script = Callable[[int, int, str], bytes | None]


class Loopback:
    """A threaded HTTP/1.1 server on 127.0.0.1 that answers as ``script`` says, keeping what it got."""

    def __init__(self, script: Script, *, idle_close_s: float | None = None) -> None:
        self.script = script
        self.idle_close_s = idle_close_s
        self.got: list[tuple[int, int, str]] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.05)  # a closed listener does not wake a blocked accept()
        self.stopping = threading.Event()
        self.connections = 0
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}"

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(5)
        self.listener.close()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self.lock:
                self.connections += 1
                number = self.connections
            threading.Thread(target=self._serve, args=(conn, number), daemon=True).start()

    def _serve(self, conn: socket.socket, number: int) -> None:
        buffer = b""
        with conn:
            for index in range(1, 100):
                conn.settimeout(self.idle_close_s if index > 1 and self.idle_close_s else 5.0)
                try:
                    while b"\r\n\r\n" not in buffer:
                        data = conn.recv(65536)
                        if not data:
                            return
                        buffer += data
                except TimeoutError:
                    return  # idle too long: close
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    0,
                )
                while len(buffer) < length:
                    buffer += conn.recv(65536)
                buffer = buffer[length:]
                line = head.split(b"\r\n")[0].decode()
                with self.lock:
                    self.got.append((number, index, line))
                answer = self.script(number, index, line)
                if answer is None:
                    with contextlib.suppress(OSError):
                        conn.shutdown(socket.SHUT_RDWR)
                    return
                conn.sendall(answer)
                if isinstance(answer, ThenClose):
                    with contextlib.suppress(OSError):
                        conn.shutdown(socket.SHUT_RDWR)
                    return


def closes_on_the_second_request(number: int, index: int, line: str) -> bytes | None:
    """Every connection carries one answer; the next request on it meets the close."""
    return OK if index == 1 else None


@pytest.fixture
def loopback() -> Iterator[Callable[..., Loopback]]:
    started: list[Loopback] = []

    def start(script: Script, **kw: float) -> Loopback:
        server = Loopback(script, **kw)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


def _client(server: Loopback) -> ApiClient:
    return ApiClient(server.base_url, {}, redactor=Redactor(), connect_timeout=2.0, read_timeout=2.0)


@pytest.mark.parametrize(
    ("send", "method"),
    [
        (lambda api: api.get_job("j1"), "GET"),
        (lambda api: api.cancel_job("j1"), "DELETE"),
        (lambda api: api.bulk_get(["j1"]), "POST"),  # a read: RFC 9112 section 9.3.1 lets it go again
    ],
    ids=["get", "delete", "bulk-get"],
)
def test_a_request_lost_on_a_kept_alive_connection_is_sent_again_on_a_fresh_one(
    loopback: Callable[..., Loopback], send: Callable[[ApiClient], object], method: str
) -> None:
    server = loopback(closes_on_the_second_request)
    api = _client(server)
    try:
        assert api.list_jobs().status == 200
        answer = send(api)
    finally:
        api.close()
    assert getattr(answer, "status", None) == 200
    assert [(n, i) for n, i, _ in server.got] == [(1, 1), (1, 2), (2, 1)]
    assert server.got[1][2] == server.got[2][2] and server.got[2][2].startswith(method)
    assert api.stats.requests == 3


def test_a_create_lost_on_a_kept_alive_connection_is_not_sent_again_and_not_judged(
    loopback: Callable[..., Loopback],
) -> None:
    server = loopback(closes_on_the_second_request)
    api = _client(server)
    try:
        api.list_jobs()
        with pytest.raises(ClosedInFlight) as info:
            api.create_job(["seg-1"])
    finally:
        api.close()
    assert [line.split(" ")[0] for _, _, line in server.got] == ["GET", "POST"]  # sent once
    assert info.value.exchange.method == "POST"
    assert "not idempotent" in str(info.value)


def test_a_connection_opened_for_the_request_and_closed_without_an_answer_is_a_broken_answer(
    loopback: Callable[..., Loopback],
) -> None:
    server = loopback(lambda number, index, line: None)
    api = _client(server)
    try:
        with pytest.raises(ProtocolViolation) as info:
            api.get_job("j1")
    finally:
        api.close()
    assert info.value.requirement == "SJ-HTTP-004"
    assert len(server.got) == 1  # not sent again: nothing was kept alive


def test_a_connection_the_server_closed_while_idle_is_not_used_again(
    loopback: Callable[..., Loopback],
) -> None:
    """What httpcore does on its own: an idle pooled connection whose socket reads as closed is dropped."""
    server = loopback(lambda number, index, line: OK, idle_close_s=0.05)
    api = _client(server)
    try:
        assert api.list_jobs().status == 200
        time.sleep(0.3)  # the server closes the idle connection meanwhile
        assert api.list_jobs().status == 200
    finally:
        api.close()
    assert [(n, i) for n, i, _ in server.got] == [(1, 1), (2, 1)]
    assert api.stats.requests == 2


@pytest.mark.parametrize(
    ("method", "path", "written", "expected"),
    [
        ("GET", "/segment/jobs", True, True),
        ("HEAD", "/segment/jobs", True, True),
        ("DELETE", "/segment/jobs/j1", True, True),
        ("POST", "/api/segment/jobs/bulk-get", True, True),
        ("POST", "/segment/jobs", True, False),
        ("POST", "/segment/jobs", False, True),
        ("PATCH", "/segment/jobs", True, False),
    ],
)
def test_which_lost_requests_may_go_again(method: str, path: str, written: bool, expected: bool) -> None:
    assert may_resend(method, "http://h" + path, written=written) is expected


# -- the raw socket ---------------------------------------------------------------------------------------
def _cancel(
    server: Loopback, retry: RetryBudget | None = None, limiter: RateLimiter | None = None
) -> _wire.WireResult:
    return _wire.request_then_follow(
        server.base_url,
        ("DELETE", "/segment/jobs/j1"),
        ("GET", "/segment/jobs/j1"),
        {"x-api-key": "k"},
        read_timeout=2.0,
        linger=0.1,
        retry=retry,
        limiter=limiter,
    )


def _throttled_once(retry_after: str) -> Script:
    later = f"HTTP/1.1 429 Too Many Requests\r\nRetry-After: {retry_after}\r\nContent-Length: 0\r\n\r\n"

    def script(number: int, index: int, line: str) -> bytes | None:
        if number == 1:
            return later.encode() if index == 1 else OK
        return NO_CONTENT if line.startswith("DELETE") else OK

    return script


def test_the_raw_cancel_waits_for_a_429_and_starts_again_on_a_new_connection(
    loopback: Callable[..., Loopback],
) -> None:
    server = loopback(_throttled_once("3"))
    slept: list[float] = []
    run = RetryBudget(sleep=slept.append)
    result = _cancel(server, run)
    assert result.first is not None and result.first.status == 204
    assert [r.status for r in result.later] == [429] and result.later[0].header("retry-after") == "3"
    assert slept == [3.0] and run.used == 1
    assert result.follow is not None and result.follow.status == 200
    deletes = [(n, i) for n, i, line in server.got if line.startswith("DELETE")]
    assert deletes == [(1, 1), (2, 1)]


def test_past_the_budget_the_raw_cancel_keeps_the_429(loopback: Callable[..., Loopback]) -> None:
    server = loopback(_throttled_once("3"))
    slept: list[float] = []
    result = _cancel(server, RetryBudget(seconds=1.0, sleep=slept.append))
    assert result.first is not None and result.first.status == 429
    assert result.later == () and slept == []
    assert {n for n, _, _ in server.got} == {1}


def test_a_close_right_after_the_204_is_legal(loopback: Callable[..., Loopback]) -> None:
    server = loopback(lambda number, index, line: ThenClose(NO_CONTENT))
    result = _cancel(server)
    assert result.first is not None and result.first.status == 204 and result.trailing == b""
    assert result.follow_skipped is not None and "closed" in result.follow_skipped
    assert result.follow_problem is None and result.follow is None
    assert len(server.got) == 1  # no next request on a closed connection


def test_a_close_as_the_next_request_arrives_is_legal(loopback: Callable[..., Loopback]) -> None:
    server = loopback(lambda number, index, line: NO_CONTENT if index == 1 else None)
    result = _cancel(server)
    assert result.first is not None and result.first.status == 204
    assert result.follow_closed is not None and result.follow_problem is None
    assert [line.split(" ")[0] for _, _, line in server.got] == ["DELETE", "GET"]


def test_garbage_as_the_next_answer_is_still_a_problem(loopback: Callable[..., Loopback]) -> None:
    server = loopback(lambda number, index, line: NO_CONTENT if index == 1 else ThenClose(b"garbage"))
    result = _cancel(server)
    assert result.follow_problem is not None and result.follow_closed is None
    assert result.trailing == b""  # it came after the next request went: the next answer's, not the 204's


def test_bytes_right_behind_the_204_head_are_its_content_and_spoil_the_next_answer(
    loopback: Callable[..., Loopback],
) -> None:
    stray = b'{"status": true}'
    server = loopback(lambda number, index, line: NO_CONTENT + stray if index == 1 else OK)
    result = _cancel(server)
    assert result.first is not None and result.first.status == 204
    assert result.trailing == stray
    assert (
        result.follow is None
        and result.follow_problem is not None
        and stray[:8].decode() in result.follow_problem
    )


def test_bytes_behind_a_204_that_announces_a_close_are_read_until_the_close(
    loopback: Callable[..., Loopback],
) -> None:
    stray = b'{"status": true}'
    closing = NO_CONTENT.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n")
    server = loopback(lambda number, index, line: ThenClose(closing + stray))
    result = _wire.request_then_follow(
        server.base_url, ("DELETE", "/segment/jobs/j1"), ("GET", "/segment/jobs/j1"), {}, linger=5.0
    )
    assert result.trailing == stray and result.follow_skipped == "the server announced Connection: close"
    assert len(server.got) == 1


def test_each_request_of_the_raw_cancel_takes_a_slot_of_the_run_s_limiter(
    loopback: Callable[..., Loopback],
) -> None:
    """The 429'd DELETE and the GET after it on its connection, the DELETE sent again and the GET after it:
    four slots, each dated in the result. The limiter is the run's, here on a clock that moves only when it
    sleeps (no real wait)."""
    server = loopback(_throttled_once("0"))
    fake = {"now": 10**18}

    def sleep(seconds: float) -> None:
        fake["now"] += max(1, round(seconds * 1e9))

    cap = RateLimiter(Rate(2, "s"), clock=lambda: fake["now"], sleep=sleep)
    result = _cancel(server, RetryBudget(sleep=lambda s: None), cap)
    assert result.first is not None and result.first.status == 204
    assert result.follow is not None and result.follow.status == 200
    assert cap.granted == 4 and len(server.got) == 4
    interval = Rate(2, "s").interval_ns
    (throttled,) = result.earlier
    assert throttled.first is not None and throttled.first.status == 429
    assert throttled.first is result.later[0]
    assert [throttled.sent_ns, throttled.follow_sent_ns, result.sent_ns, result.follow_sent_ns] == [
        10**18 + n * interval for n in range(4)
    ]
    assert result.port is not None and throttled.port is not None and result.port != throttled.port


def test_without_a_limiter_the_raw_cancel_still_dates_its_requests(loopback: Callable[..., Loopback]) -> None:
    server = loopback(lambda number, index, line: NO_CONTENT if line.startswith("DELETE") else OK)
    result = _cancel(server)
    assert 0 < result.sent_ns <= result.follow_sent_ns
    assert result.earlier == ()
