"""Fixtures of the report writer tests: results dicts built by :mod:`results_factory`."""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest
from results_factory import (
    Results,
    checks_results,
    conformant_results,
    incomplete_results,
    many_failures_results,
    nonconformant_results,
)


@pytest.fixture
def incomplete() -> Results:
    return incomplete_results()


@pytest.fixture
def checks() -> Results:
    return checks_results()


@pytest.fixture
def conformant() -> Results:
    return conformant_results()


@pytest.fixture
def nonconformant() -> Results:
    return nonconformant_results()


@pytest.fixture
def many_failures() -> Results:
    return many_failures_results()


@pytest.fixture(params=["conformant", "nonconformant", "many_failures", "incomplete", "checks"])
def any_results(request: pytest.FixtureRequest) -> Results:
    makers: dict[str, Callable[[], Results]] = {
        "conformant": conformant_results,
        "nonconformant": nonconformant_results,
        "many_failures": many_failures_results,
        "incomplete": incomplete_results,
        "checks": checks_results,
    }
    return copy.deepcopy(makers[request.param]())
