"""A passing test credits a requirement only when one of its checks had something to judge."""

from __future__ import annotations

import pytest

from conformance._outcomes import CURRENT, UNDECIDED, Judgement, evidence

REASON = "no listing page held a job to check against the schema"


def test_a_requirement_whose_every_check_found_nothing_is_undecided() -> None:
    judgement = Judgement(("SJ-LIST-002", "SJ-LIST-014"))
    judgement.evidence("SJ-LIST-014", False, REASON)
    judgement.evidence("SJ-LIST-014", False, REASON)
    judgement.close()
    assert set(judgement.unjudged) == {"SJ-LIST-014"}
    assert judgement.unjudged["SJ-LIST-014"].kind == UNDECIDED
    assert judgement.unjudged["SJ-LIST-014"].reason == REASON


@pytest.mark.parametrize("found", [(True,), (False, True), (True, False)])
def test_one_check_that_found_something_is_enough(found: tuple[bool, ...]) -> None:
    judgement = Judgement(("SJ-LIST-014",))
    for each in found:
        judgement.evidence("SJ-LIST-014", each, REASON)
    judgement.close()
    assert judgement.unjudged == {}


def test_evidence_reaches_only_the_running_test_and_only_what_it_names() -> None:
    evidence("SJ-LIST-014", False, REASON)  # no test running: nothing to tell
    running = Judgement(("SJ-LIST-014",))
    token = CURRENT.set(running)
    try:
        evidence("SJ-LIST-014", False, REASON)
        evidence("SJ-GET-003", False, "not named by the test")
    finally:
        CURRENT.reset(token)
    running.close()
    assert set(running.unjudged) == {"SJ-LIST-014"}
