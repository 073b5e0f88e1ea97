"""The status graph of spec/ERRATA.md E-20."""

from __future__ import annotations

import pytest

from conformance._lifecycle import STATUSES, TERMINAL, TRANSITIONS, compress, illegal_step


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
