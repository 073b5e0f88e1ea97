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
    stale_views,
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


# -- listings and bulk-get judged against GET: at most the lag tolerance behind --------------------------
def test_a_view_that_lags_get_within_the_tolerance_is_no_contradiction() -> None:
    history = [(0.0, "NEW"), (1.0, "PROCESSING"), (2.0, "SUCCEEDED")]
    views = [(1.5, "QUEUED"), (2.5, "PROCESSING"), (2.0 + LAG_TOLERANCE_S, "PROCESSING"), (3.0, "SUCCEEDED")]
    assert stale_views(history, views) == []


def test_a_view_that_still_disagrees_after_the_tolerance_is_named() -> None:
    history = [(0.0, "NEW"), (2.0, "SUCCEEDED"), (9.0, "SUCCEEDED")]
    late = 2.0 + LAG_TOLERANCE_S + 0.1
    views = [(late, "PROCESSING"), (late + 1, "SUCCEEDED"), (late + 2, "CANCELLED")]
    assert stale_views(history, views) == [
        (late, "PROCESSING", 2.0, "SUCCEEDED"),
        (late + 2, "CANCELLED", 2.0, "SUCCEEDED"),
    ]


def test_a_running_job_shown_in_a_status_get_left_long_ago_is_stale() -> None:
    history = [(0.0, "NEW"), (50.0, "PROCESSING")]
    assert stale_views(history, [(60.0, "QUEUED"), (54.0, "QUEUED"), (60.0, "CANCELLED")]) == [
        (60.0, "QUEUED", 50.0, "PROCESSING")
    ]


def test_a_view_ahead_of_get_or_of_an_unknown_status_is_not_stale() -> None:
    history = [(0.0, "NEW"), (1.0, "QUEUED")]
    assert stale_views(history, [(30.0, "SUCCEEDED"), (30.0, "done")]) == []


def test_the_cancel_effect_and_the_sources_are_data() -> None:
    assert {"CANCELLING", "CANCELLED"} == CANCEL_EFFECT
    assert set(GET_SOURCES) < set(SOURCES)
    assert {"list", "bulk-get"} == set(SOURCES) - GET_SOURCES
