"""Fixtures of the reference server's own tests: real uvicorn servers on free loopback ports, a fake clock,
and a small client that knows the credentials.

Most tests run a server in a thread with :class:`FakeClock`, so a job's life is driven by the test, not by
sleeping. Tests that need a separate process (kill -9) use ``start_subprocess`` directly.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest

from conformance.reference import ServerSettings, ThreadedServer, start_in_thread

# A fixed, recent instant (2026-01-01T00:00:00Z) so times in failures are readable.
EPOCH = 1_767_225_600.0


class FakeClock:
    """A clock the test moves by hand (epoch seconds). Thread-safe; never goes back unless told to."""

    def __init__(self, start: float = EPOCH) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds

    def set(self, now: float) -> None:
        with self._lock:
            self._now = now

    @property
    def ms(self) -> int:
        return int(self() * 1000)


def auth_headers(settings: ServerSettings, sandbox: str | None = None) -> dict[str, str]:
    headers = {
        "Authorization": f"Bearer {settings.access_token}",
        "x-api-key": settings.api_key,
        "x-gw-ims-org-id": settings.ims_org,
    }
    if sandbox is not None:
        headers["x-sandbox-name"] = sandbox
    return headers


class Api:
    """An httpx client for one server and one sandbox, with a method per operation. Its base URL is the
    API's: the server's, followed by the path prefix when the server has one (``path_prefix``)."""

    def __init__(
        self, server: ThreadedServer, settings: ServerSettings, clock: FakeClock | None, sandbox: str
    ):
        self.server = server
        self.settings = settings
        self.clock = clock
        self.base_url = server.base_url + settings.path_prefix
        self.headers = auth_headers(settings, sandbox)
        self.http = httpx.Client(base_url=self.base_url, headers=self.headers, timeout=30.0)

    def in_sandbox(self, sandbox: str) -> Api:
        return Api(self.server, self.settings, self.clock, sandbox)

    def advance(self, seconds: float) -> None:
        assert self.clock is not None, "this server runs on the real clock"
        self.clock.advance(seconds)

    def create(self, *segment_ids: str) -> dict[str, Any]:
        response = self.http.post(
            "/segment/jobs", json=[{"segmentId": s} for s in segment_ids or self.segments]
        )
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()
        return job

    def get(self, job_id: str) -> dict[str, Any]:
        response = self.http.get(f"/segment/jobs/{job_id}")
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()
        return job

    def status(self, job_id: str) -> str:
        return str(self.get(job_id)["status"])

    def cancel(self, job_id: str) -> httpx.Response:
        return self.http.delete(f"/segment/jobs/{job_id}")

    def list(self, **params: Any) -> dict[str, Any]:
        response = self.http.get("/segment/jobs", params=params)
        assert response.status_code == 200, response.text
        page: dict[str, Any] = response.json()
        return page

    def bulk_get(self, *job_ids: str) -> httpx.Response:
        return self.http.post("/segment/jobs/bulk-get", json={"ids": [{"id": i} for i in job_ids]})

    def walk(self, path: str = "/segment/jobs?limit=100") -> list[dict[str, Any]]:
        """Every job of a listing, from ``path`` (below the base URL), following ``_links.next.href``
        resolved against the URL of the page it came from (RFC 3986), as a browser would."""
        jobs: list[dict[str, Any]] = []
        url: str | None = self.base_url + path
        while url:
            response = self.http.get(url)
            assert response.status_code == 200, response.text
            page = response.json()
            jobs.extend(page["children"])
            href = page["_links"]["next"].get("href")
            url = urljoin(str(response.url), href) if href else None
        return jobs

    @property
    def segments(self) -> tuple[str, ...]:
        return self.settings.segment_ids[:1]

    def close(self) -> None:
        self.http.close()


ServerFactory = Callable[..., Api]


def _start_api(db_path: str, clock: FakeClock | None, overrides: dict[str, Any]) -> Api:
    settings = dataclasses.replace(ServerSettings.from_env({}), db_path=db_path, **overrides)
    server = start_in_thread(settings, clock=time.time if clock is None else clock)
    return Api(server, settings, clock, settings.default_sandbox.name)


def _stop_api(api: Api) -> None:
    api.close()
    api.server.stop()


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_api(tmp_path: Path) -> Iterator[ServerFactory]:
    """Start servers: ``make_api(clock=..., **settings_overrides)`` returns an :class:`Api` for the default
    sandbox. ``clock=None`` uses the real clock. Every server stops at the end of the test."""
    started: list[Api] = []

    def make(clock: FakeClock | None = None, **overrides: Any) -> Api:
        db_path = overrides.pop("db_path", str(tmp_path / f"jobs-{len(started)}.db"))
        api = _start_api(db_path, clock, overrides)
        started.append(api)
        return api

    yield make
    with ThreadPoolExecutor() as pool:  # each stop waits for uvicorn's shutdown: overlap them
        list(pool.map(_stop_api, started))


@pytest.fixture
def api(make_api: ServerFactory, fake_clock: FakeClock) -> Api:
    """A server of its own with default settings, on the fake clock."""
    return make_api(clock=fake_clock)


@pytest.fixture(scope="module")
def shared_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """One server with default settings for a whole module, on a fake clock of its own (for tests that
    only look at answers, not at a job's life; they must not assume an empty server)."""
    api = _start_api(str(tmp_path_factory.mktemp("shared") / "jobs.db"), FakeClock(), {})
    yield api
    _stop_api(api)


@pytest.fixture
def new_clock() -> Callable[[], FakeClock]:
    """Makes independent fake clocks, for tests that run several servers side by side."""
    return FakeClock
