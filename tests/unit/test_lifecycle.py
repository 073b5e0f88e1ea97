"""The status graph of spec/ERRATA.md E-20, and how listings and bulk-get are read against GET."""

from __future__ import annotations

import pytest

from conformance._lifecycle import (
    CANCEL_EFFECT,
    GET_SOURCES,
    LAG_TOLERANCE_S,
    SOURCES,
    STATUSES,
    TERMINAL,
    TRANSITIONS,
    compress,
    illegal_step,
    lagging_views,
)


@pytest.mark.parametrize(
    "walk",
    [
        ["NEW", "QUEUED", "PROCESSING", "SUCCEEDED"],
        ["NEW", "NEW", "PROCESSING", "PROCESSING", "FAILED", "FAILED"],
        ["NEW", "SUCCEEDED"],
        ["QUEUED", "CANCELLING", "CANCELLED"],
        ["PROCESSING", "CANCELLED"],
    ],
)
def test_legal_walks(walk: list[str]) -> None:
    assert illegal_step(walk) is None


@pytest.mark.parametrize(
    ("walk", "step"),
    [
        (["NEW", "PROCESSING", "QUEUED"], ("PROCESSING", "QUEUED")),
        (["SUCCEEDED", "PROCESSING"], ("SUCCEEDED", "PROCESSING")),
        (["CANCELLED", "SUCCEEDED"], ("CANCELLED", "SUCCEEDED")),
        (["CANCELLING", "SUCCEEDED"], ("CANCELLING", "SUCCEEDED")),
        (["NEW", "new"], ("NEW", "new")),
    ],
)
def test_illegal_walks_name_the_step(walk: list[str], step: tuple[str, str]) -> None:
    assert illegal_step(walk) == step


def test_terminal_states_have_no_way_out() -> None:
    assert set(TRANSITIONS) == set(STATUSES)
    for status in TERMINAL:
        assert TRANSITIONS[status] == frozenset()


def test_compress() -> None:
    assert compress(["NEW", "NEW", "QUEUED", "QUEUED", "NEW"]) == ["NEW", "QUEUED", "NEW"]


# -- listings and bulk-get judged against GET once a job has settled ----------------------------------
def test_a_view_that_lags_get_within_the_tolerance_is_no_contradiction() -> None:
    history = [(0.0, "NEW"), (1.0, "PROCESSING"), (2.0, "SUCCEEDED")]
    views = [(1.5, "QUEUED"), (2.5, "PROCESSING"), (2.0 + LAG_TOLERANCE_S, "PROCESSING")]
    assert lagging_views(history, views) == []


def test_a_view_that_still_disagrees_after_the_tolerance_is_named() -> None:
    history = [(0.0, "NEW"), (2.0, "SUCCEEDED"), (9.0, "SUCCEEDED")]
    late = 2.0 + LAG_TOLERANCE_S + 0.1
    views = [(late, "PROCESSING"), (late + 1, "SUCCEEDED"), (late + 2, "CANCELLED")]
    assert lagging_views(history, views) == [
        (late, "PROCESSING", "SUCCEEDED"),
        (late + 2, "CANCELLED", "SUCCEEDED"),
    ]


def test_nothing_is_judged_before_get_showed_the_job_finished() -> None:
    assert lagging_views([(0.0, "NEW"), (50.0, "PROCESSING")], [(60.0, "QUEUED")]) == []


def test_the_cancel_effect_and_the_sources_are_data() -> None:
    assert {"CANCELLING", "CANCELLED"} == CANCEL_EFFECT
    assert set(GET_SOURCES) < set(SOURCES)
    assert {"list", "bulk-get"} == set(SOURCES) - GET_SOURCES
