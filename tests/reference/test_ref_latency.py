"""``serve --latency MS``: every answer of the API comes MS milliseconds (give or take the jitter) after its
request, without holding up the other requests; 0 or no flag answers at once.

Wall-clock checks here are lower bounds only (an answer is never earlier than the latency allows); that
nothing waits without the flag is shown by the middleware stack, not by a stopwatch.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import time
from typing import Any

import httpx
import pytest

from conformance.reference import ServerSettings, create_app, start_subprocess
from conformance.reference.middleware import Latency, stack
from conformance.reference.settings import LATENCY_JITTER, LATENCY_SEED

SETTINGS = ServerSettings.from_env({})
LATENCY_MS = 200
#: the earliest an answer may come: the latency less the jitter
EARLIEST_S = LATENCY_MS / 1000 * (1 - LATENCY_JITTER)


def _timed(send: Any) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = send()
    return response, time.monotonic() - started


def test_every_answer_comes_no_earlier_than_the_latency(make_api: Any, fake_clock: Any) -> None:
    api = make_api(clock=fake_clock, latency_ms=LATENCY_MS, throttle_every=5)
    job_id = api.create()["id"]  # 1
    sends = [
        lambda: api.http.get("/segment/jobs"),  # 2
        lambda: api.http.get(f"/segment/jobs/{job_id}"),  # 3
        lambda: httpx.get(api.base_url + "/segment/jobs"),  # 4: no credentials, refused
        lambda: api.http.delete(f"/segment/jobs/{job_id}"),  # 5: answered 429 by the throttle
        lambda: api.bulk_get(job_id),  # 6
        lambda: api.http.get("/no-such-path"),  # 7
    ]
    answers = [_timed(send) for send in sends]
    assert [response.status_code for response, _ in answers] == [200, 200, 403, 429, 207, 404]
    early = [(response.request.url.path, elapsed) for response, elapsed in answers if elapsed < EARLIEST_S]
    assert not early, f"answered before {EARLIEST_S:.3f} s: {early}"


def test_a_waiting_answer_does_not_hold_up_the_others() -> None:
    """Two requests at once: both are waiting before either reaches the app (a blocking wait would let the
    first through before the second even started waiting)."""
    events: list[str] = []

    async def sleep(seconds: float) -> None:
        events.append("wait")
        await asyncio.sleep(seconds)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        events.append("answer")

    latency = Latency(app, milliseconds=50, sleep=sleep)

    async def both() -> None:
        await asyncio.gather(*(latency({"type": "http"}, None, None) for _ in range(2)))  # type: ignore[arg-type]

    asyncio.run(both())
    assert events == ["wait", "wait", "answer", "answer"]


def test_the_delays_are_jittered_and_the_same_on_every_start() -> None:
    def delays(seed: int = LATENCY_SEED) -> list[float]:
        latency = Latency(None, milliseconds=300, seed=seed)  # type: ignore[arg-type]
        return [latency.delay() for _ in range(200)]

    first = delays()
    assert first == delays()  # reproducible: the Nth request waits the same
    assert first != delays(LATENCY_SEED + 1)
    assert all(0.3 * (1 - LATENCY_JITTER) <= delay <= 0.3 * (1 + LATENCY_JITTER) for delay in first)
    assert len(set(first)) > 100  # jittered, not one fixed delay
    assert min(first) < 0.29 and max(first) > 0.31


@pytest.mark.parametrize("latency_ms", [None, 0, 0.0])
def test_no_latency_means_no_delay_at_all(latency_ms: float | None) -> None:
    settings = SETTINGS if latency_ms is None else dataclasses.replace(SETTINGS, latency_ms=latency_ms)
    assert settings.latency_ms == 0
    assert not [layer for layer in stack(settings) if layer.cls is Latency]
    app = create_app(settings)
    assert not [layer for layer in app.user_middleware if layer.cls is Latency]
    assert "latency        none: answers at once" in settings.describe()


def test_latency_is_the_outermost_layer() -> None:
    """A 429 of the throttle, a closed connection's answer: every answer waits."""
    settings = dataclasses.replace(SETTINGS, latency_ms=5, throttle_every=3, connection_close=True, gzip=True)
    assert next(layer.cls for layer in stack(settings)) is Latency


def test_the_flag_reaches_a_server_started_with_start_subprocess(tmp_path: Any) -> None:
    env = {name: value for name, value in os.environ.items() if not name.startswith("SEGJOBS_")}
    headers = {
        "Authorization": f"Bearer {SETTINGS.access_token}",
        "x-api-key": SETTINGS.api_key,
        "x-gw-ims-org-id": SETTINGS.ims_org,
    }
    with start_subprocess(["--db", str(tmp_path / "j.db"), "--latency", str(LATENCY_MS)], env=env) as server:
        with httpx.Client(headers=headers) as client:
            answers = [_timed(lambda: client.get(f"{server.base_url}/segment/jobs")) for _ in range(3)]
        log = server.log()
    assert [response.status_code for response, _ in answers] == [200] * 3
    assert all(elapsed >= EARLIEST_S for _, elapsed in answers), [elapsed for _, elapsed in answers]
    assert f"latency        every answer {LATENCY_MS} ms after its request (+/- 10 %, seed 0)" in log
