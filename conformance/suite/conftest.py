"""Fixtures of the scenario modules: the fleet of jobs tests wait on (``_fleet.py``), and the kit of shared
checks (``_kit.py``).

A test names the fleet roles it uses with ``@pytest.mark.fleet(*roles)``; the run's first test creates the
jobs of every role some selected test will use (see ``_fleet.py``).
"""

from __future__ import annotations

import pytest

from conformance._client import ApiClient
from conformance._config import Settings
from conformance._har import HarRecorder
from conformance._jobs import JobTracker
from conformance._profiles import Profile
from conformance.plugin import will_run
from conformance.suite._fleet import Fleet
from conformance.suite._kit import Kit
from conformance.suite._late import LateChecks


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "fleet(*roles): the fleet jobs the test uses (primary, secondary, failing, other, cancelled)",
    )


def _roles_of(item: pytest.Item) -> set[str]:
    return {str(role) for mark in item.iter_markers("fleet") for role in mark.args}


@pytest.fixture(scope="session")
def _fleet_holder() -> dict[str, Fleet]:
    return {}


@pytest.fixture
def fleet(
    request: pytest.FixtureRequest,
    _fleet_holder: dict[str, Fleet],
    api: ApiClient,
    jobs: JobTracker,
    settings: Settings,
    profile: Profile,
    har: HarRecorder | None,
) -> Fleet:
    """The fleet, created on first use with the roles of every selected test that will run."""
    if "fleet" not in _fleet_holder:
        roles = _roles_of(request.node)
        for item in request.session.items:
            if will_run(item):
                roles |= _roles_of(item)
        _fleet_holder["fleet"] = Fleet(api, jobs, settings, profile, roles, har=har)
    found = _fleet_holder["fleet"]
    found.add(_roles_of(request.node))  # a test whose run was not foreseen gets its jobs now
    return found


@pytest.fixture(autouse=True)
def _fleet_first(request: pytest.FixtureRequest) -> None:
    """The run's first test creates the fleet, so the fleet's jobs start before anything else and their
    waits overlap everything else: the first of them to finish starts the clock of the checks that need a
    job long settled (a selection without fleet roles creates no fleet job)."""
    request.getfixturevalue("fleet")


@pytest.fixture(scope="session")
def kit(api: ApiClient, jobs: JobTracker, settings: Settings) -> Kit:
    return Kit(api, jobs, settings)


@pytest.fixture(scope="session")
def late(jobs: JobTracker) -> LateChecks:
    """The late checks of refused requests, run in the run's last phase (``_late.py``)."""
    return LateChecks(jobs)
