"""Cancel: ``DELETE /segment/jobs/{id}`` answers 204 with no content, and the job ends CANCELLED.

The fleet's ``cancelled`` job is cancelled right after its creation over a raw socket (``_wire.py``), so the
204 is judged as it is on the wire: a byte after its head is a failure even where an HTTP library would hide
it, and so are bytes after it that are no well-formed answer to the next request on the connection (a server
may close the connection after the 204 instead, announced or not: RFC 9112 §9.6). A fast server may finish the
job before the cancel arrives; that is accepted as long as the job had finished before the cancel was answered
and its statuses follow the lifecycle (ERRATA E-10, E-19, E-20).

The cancel is asynchronous ("the actual deletion of the segment job is asynchronous"): for up to the cancel
timeout after the 204 (``SEGJOBS_CANCEL_TIMEOUT``) GET may still show the job running; then it shows only
CANCELLING or CANCELLED for as long as it is readable, and it may then be gone everywhere at once (a 404:
"cancel or delete", ERRATA E-19). Staying readable is a SHOULD of its own test (SJ-CANCEL-008).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from conformance._checks import ConformanceFailure, expect_job, expect_status, require
from conformance._client import ApiClient, Exchange
from conformance._lifecycle import CANCEL_EFFECT, RUNNING, TERMINAL, compress, illegal_step
from conformance._observed import TrackedJob
from conformance._outcomes import Judgement, Undecided

if TYPE_CHECKING:
    from conformance._config import Settings
    from conformance.suite._fleet import EarlyCancel, Fleet
    from conformance.suite._kit import Kit
    from conformance.suite._late import LateChecks

#: how much later than the cancel's answer a job may show its end and still count as finished before it
#: (updateTime is the server's clock, compared through the job's own creationTime)
CLOCK_SLACK_MS = 1500


def _early_cancel(fleet: Fleet) -> EarlyCancel:
    fleet.job_id("cancelled")  # fails the test the way the job's creation failed, if it did
    cancel = fleet.early_cancel
    assert cancel is not None, "the fleet did not cancel its cancelled job"
    return cancel


def _read_unless_gone(api: ApiClient, job_id: str) -> tuple[Exchange, dict[str, Any] | None]:
    """GET of a cancelled job: the job, or None once it is gone (a 404 is no failure here: a server may remove
    a cancelled job, ERRATA E-19; whether it should stay readable is the test of SJ-CANCEL-008)."""
    exchange = api.get_job(job_id)
    if exchange.status == 404:
        return exchange, None
    expect_status(exchange, {200}, "SJ-CANCEL-008")
    job = expect_job(exchange, "SJ-GET-003")
    require(job.get("id") == job_id, "SJ-CANCEL-008", f"the job {job_id}", f"id {job.get('id')!r}", exchange)
    return exchange, job


def _answered_204(cancel: EarlyCancel) -> None:
    """The checks of the 204 itself only make sense when there is one."""
    answer = cancel.answer
    wire = cancel.wire
    if wire is not None and wire.first is None:
        raise ConformanceFailure(
            ["SJ-CANCEL-001", "SJ-HTTP-004"],
            "a well-formed HTTP/1.1 answer to the cancel",
            wire.first_problem or "no answer",
            answer,
        )
    assert answer is not None
    expect_status(answer, {204}, "SJ-CANCEL-001")


@pytest.mark.creates_jobs
@pytest.mark.fleet("cancelled")
@pytest.mark.requirement("SJ-CANCEL-001", "SJ-CREATE-001", "SJ-ERROR-001", "SJ-HTTP-004")
def test_cancelling_a_running_job_answers_204(fleet: Fleet) -> None:
    _answered_204(_early_cancel(fleet))


@pytest.mark.creates_jobs
@pytest.mark.fleet("cancelled")
@pytest.mark.requirement("SJ-CANCEL-002", "SJ-CREATE-001", "SJ-CANCEL-001", "SJ-ERROR-001", "SJ-HTTP-004")
def test_the_204_carries_no_content_on_the_wire(fleet: Fleet) -> None:
    cancel = _early_cancel(fleet)
    _answered_204(cancel)
    answer, wire = cancel.answer, cancel.wire
    assert answer is not None
    if wire is None:
        raise Undecided(
            f"the raw socket could not connect ({cancel.connect_error}); the 204 was not seen on the wire",
            cause="no raw connection",
        )
    encoding = answer.header("transfer-encoding")
    require(
        encoding is None,
        "SJ-CANCEL-002",
        "no Transfer-Encoding on a 204",
        f"Transfer-Encoding: {encoding}",
        answer,
    )
    require(
        not wire.trailing,
        "SJ-CANCEL-002",
        "nothing after the blank line that ends the 204's head",
        f"{len(wire.trailing)} bytes after it: {wire.trailing[:200]!r}",
        answer,
    )


@pytest.mark.creates_jobs
@pytest.mark.fleet("cancelled")
@pytest.mark.requirement("SJ-CANCEL-009", "SJ-CREATE-001", "SJ-CANCEL-001", "SJ-ERROR-001", "SJ-HTTP-004")
def test_the_204_sends_no_content_length_but_zero(fleet: Fleet) -> None:
    cancel = _early_cancel(fleet)
    _answered_204(cancel)
    answer = cancel.answer
    assert answer is not None
    length = answer.header("content-length")
    require(
        length is None or length.strip() == "0",
        "SJ-CANCEL-009",
        "no Content-Length, or Content-Length: 0",
        f"Content-Length: {length}",
        answer,
    )


@pytest.mark.creates_jobs
@pytest.mark.fleet("cancelled")
@pytest.mark.requirement("SJ-CANCEL-007", "SJ-HTTP-004", "SJ-CREATE-001", "SJ-CANCEL-001", "SJ-ERROR-001")
def test_the_connection_carries_the_next_request_after_the_204(fleet: Fleet) -> None:
    cancel = _early_cancel(fleet)
    _answered_204(cancel)
    wire = cancel.wire
    if wire is None:
        raise Undecided(
            f"the raw socket could not connect ({cancel.connect_error}); the connection was not tested",
            cause="no raw connection",
        )
    if wire.follow_skipped is not None or wire.follow_closed is not None:
        # the server closed the connection, announced or not (RFC 9112 §9.6): a client opens a new one, and
        # no stray byte of the 204 can be taken for the next answer (SJ-CANCEL-002 judges the bytes)
        return
    require(
        wire.follow is not None,
        "SJ-CANCEL-007",
        "a well-formed HTTP/1.1 answer to a GET sent next on the same connection",
        wire.follow_problem or "no answer",
        cancel.answer,
    )


@pytest.mark.creates_jobs
@pytest.mark.fleet("cancelled")
@pytest.mark.requirement(
    "SJ-CANCEL-004",
    "SJ-CANCEL-008",
    "SJ-CREATE-001",
    "SJ-GET-003",
    "SJ-CANCEL-002",
    "SJ-LIFECYCLE-001",
    "SJ-ERROR-001",
    "SJ-HTTP-001",
    "SJ-HTTP-002",
)
def test_cancelling_again_is_harmless(fleet: Fleet, api: ApiClient) -> None:
    cancel = _early_cancel(fleet)
    job_id = cancel.job_id
    _, before = _read_unless_gone(api, job_id)
    again = api.cancel_job(job_id)
    _, after = _read_unless_gone(api, job_id)
    if again.status == 404:
        # a cancelled job may be removed (E-19): then a second cancel finds nothing, and nor does GET
        require(
            after is None,
            "SJ-CANCEL-004",
            "204 or 409 to a second cancel (404 only once the job is gone)",
            f"HTTP 404, while GET still answers the job ({after and after.get('status')})",
            again,
        )
        return
    expect_status(again, {204, 409}, "SJ-CANCEL-004")
    require(
        again.status != 204 or not again.body,
        "SJ-CANCEL-002",
        "a 204 without content",
        f"{len(again.body)} bytes of content",
        again,
    )
    if before is None or after is None:
        return  # gone before or after the second cancel: nothing left to compare
    step = illegal_step([before["status"], after["status"]])
    require(
        step is None,
        "SJ-CANCEL-004",
        f"the job unchanged or moving on legally from {before['status']}",
        f"{before['status']} -> {after['status']} after a second cancel",
        again,
    )
    if before["status"] in TERMINAL:
        require(
            after["status"] == before["status"] and after.get("updateTime") == before.get("updateTime"),
            "SJ-CANCEL-004",
            f"the finished job unchanged ({before['status']}, updateTime {before.get('updateTime')})",
            f"{after['status']}, updateTime {after.get('updateTime')}",
            again,
        )


def _finished_before_cancel(job: TrackedJob, cancel: EarlyCancel, fleet: Fleet) -> tuple[bool, str]:
    """Whether a job that did not end CANCELLED had already finished when the cancel was answered."""
    running_after = [o for o in job.readings_since(cancel.answered_at - fleet.jobs.t0) if o.status in RUNNING]
    if running_after:
        return False, f"GET showed it {running_after[-1].status} after the cancel's 204"
    final = next((o.body for o in job.readings if o.status in TERMINAL), None)
    member = fleet.member("cancelled")
    created = member.body
    if final is None or created is None:
        return True, ""
    end, start = final.get("updateTime"), created.get("creationTime")
    if not isinstance(end, int) or not isinstance(start, int):
        return True, ""
    # the server's clock at the cancel's answer, at the latest: creationTime + time since the create was sent
    latest_cancel_ms = start + round((cancel.answered_at - member.sent_at) * 1000)
    if end > latest_cancel_ms + CLOCK_SLACK_MS:
        return False, (
            f"it reached {final['status']} at updateTime {end}, "
            f"{end - latest_cancel_ms} ms after the cancel was answered"
        )
    return True, ""


@pytest.mark.creates_jobs
@pytest.mark.fleet("cancelled")
@pytest.mark.requirement(
    "SJ-CANCEL-003",
    "SJ-CREATE-001",
    "SJ-GET-003",
    "SJ-CANCEL-001",
    "SJ-CANCEL-008",
    "SJ-LIFECYCLE-001",
    "SJ-LIFECYCLE-002",
    "SJ-ERROR-001",
    "SJ-HTTP-001",
    "SJ-HTTP-002",
    "SJ-HTTP-004",
)
def test_a_cancelled_running_job_ends_cancelled(fleet: Fleet, api: ApiClient, settings: Settings) -> None:
    cancel = _early_cancel(fleet)
    _answered_204(cancel)
    effect = fleet.cancel_effect()
    if effect.outcome == "running":
        job = fleet.tracked("cancelled")
        raise ConformanceFailure(
            "SJ-CANCEL-003",
            f"CANCELLING or CANCELLED (or the job gone) within {settings.cancel_timeout:g} s of the cancel's "
            "204 (SEGJOBS_CANCEL_TIMEOUT)",
            f"GET showed {effect.path} in the {effect.waited_s:.0f} s waited after the 204",
            job.last_get,
        )
    (job,) = fleet.wait_finished(["cancelled"], "SJ-CANCEL-003")
    statuses = job.statuses
    step = illegal_step(statuses)
    require(
        step is None,
        "SJ-LIFECYCLE-002",
        "statuses that follow the lifecycle",
        " -> ".join(compress(statuses)),
    )
    exchange, final = _read_unless_gone(api, job.id)
    if final is None or final["status"] == "CANCELLED":
        return  # CANCELLED, or gone after its cancel (E-19)
    finished_first, why = _finished_before_cancel(job, cancel, fleet)
    require(
        finished_first,
        "SJ-CANCEL-003",
        "a job running when the cancel was answered 204 ends CANCELLED",
        f"it ended {final['status']}: {why}; statuses seen: {' -> '.join(compress(statuses))}",
        exchange,
    )


@pytest.mark.creates_jobs
@pytest.mark.fleet("secondary")
@pytest.mark.requirement(
    "SJ-CANCEL-005",
    "SJ-AUTH-007",
    "SJ-CREATE-001",
    "SJ-GET-001",
    "SJ-GET-003",
    "SJ-CANCEL-002",
    "SJ-LIFECYCLE-001",
    "SJ-LIFECYCLE-003",
    "SJ-LIFECYCLE-004",
    "SJ-ERROR-001",
    "SJ-HTTP-001",
    "SJ-HTTP-002",
)
def test_cancelling_a_finished_job_does_not_change_it(
    fleet: Fleet, api: ApiClient, kit: Kit, late: LateChecks
) -> None:
    """The secondary job is the one refused cancels aim at (another sandbox, bad credentials): unless a
    cancel of it was accepted, it ran to its end, never cancelled, however long after a refusal a wrongly
    applied cancel would have shown; then a cancel of the finished job changes nothing, at once and once the
    cancel timeout has passed (a late check)."""
    (job,) = fleet.wait_finished(["secondary"])
    job_id = job.id
    read, before = kit.read(job_id)
    if not job.cancel_accepted:
        require(
            not set(job.statuses) & CANCEL_EFFECT,
            "SJ-AUTH-007",
            "a job whose every cancel was refused ends SUCCEEDED or FAILED, never cancelled",
            " -> ".join(compress(job.statuses)),
            read,
        )
    require(
        before["status"] in TERMINAL,
        "SJ-LIFECYCLE-004",
        "the finished job still finished",
        f"status {before['status']}",
        read,
    )
    sent = fleet.jobs.clock()
    exchange = api.cancel_job(job_id)
    expect_status(exchange, {204, 409}, "SJ-CANCEL-005")
    require(
        exchange.status != 204 or not exchange.body,
        "SJ-CANCEL-002",
        "a 204 without content",
        f"{len(exchange.body)} bytes of content",
        exchange,
    )
    for _ in range(2):
        _unchanged(kit, job_id, before, "")
    late.add(
        f"the finished job {job_id} after its cancel",
        lambda: _unchanged(kit, job_id, before, f" ({kit.settings.cancel_timeout:g} s after it)"),
        ("SJ-CANCEL-005", "SJ-GET-001", "SJ-GET-003", "SJ-HTTP-001", "SJ-HTTP-002"),
        sent_at=sent,
    )


def _unchanged(kit: Kit, job_id: str, before: dict[str, Any], when: str) -> None:
    """The finished job reads as it did before its cancel (``when`` says how long after the cancel)."""
    read, after = kit.read(job_id)
    require(
        after["status"] == before["status"],
        "SJ-CANCEL-005",
        f"the finished job still {before['status']} after the cancel{when}",
        f"status {after['status']}",
        read,
    )
    require(
        after.get("updateTime") == before.get("updateTime"),
        "SJ-CANCEL-005",
        f"updateTime still {before.get('updateTime')} after the cancel{when} (the job did not change)",
        f"updateTime {after.get('updateTime')}",
        read,
    )


@pytest.mark.requirement("SJ-CANCEL-006", "SJ-ERROR-001", "SJ-ERROR-003")
def test_cancelling_an_unknown_job_answers_404(api: ApiClient, kit: Kit) -> None:
    exchange = api.cancel_job(kit.random_id())
    kit.refused(exchange, {404}, "SJ-CANCEL-006", "cancelSegmentJob")


@pytest.mark.creates_jobs
@pytest.mark.fleet("cancelled")
@pytest.mark.requirement(
    "SJ-CANCEL-008",
    "SJ-CREATE-001",
    "SJ-GET-003",
    "SJ-LIFECYCLE-001",
    "SJ-ERROR-001",
    "SJ-HTTP-001",
    "SJ-HTTP-002",
)
def test_a_cancelled_job_stays_readable(fleet: Fleet, kit: Kit) -> None:
    """A SHOULD: a server that removes a cancelled job once the cancel is applied follows the doc's "delete"
    (ERRATA E-19), and fails only this test, which ``--strict`` counts."""
    cancel = _early_cancel(fleet)
    fleet.cancel_effect()  # read once the cancel has shown (or its deadline passed): a removal follows it
    for _ in range(2):
        kit.read(cancel.job_id, "SJ-CANCEL-008")


@pytest.mark.after_all
@pytest.mark.requirement(
    "SJ-CANCEL-005",
    "SJ-AUTH-006",
    "SJ-CREATE-009",
    "SJ-GET-001",
    "SJ-GET-003",
    "SJ-LIST-001",
    "SJ-LIST-002",
    "SJ-LIST-014",
    "SJ-LIFECYCLE-001",
    "SJ-ERROR-001",
    "SJ-HTTP-001",
    "SJ-HTTP-002",
)
def test_refused_requests_show_no_effect_later(late: LateChecks, judgement: Judgement) -> None:
    """Run last: what the earlier tests' refused or no-op requests must not do (cancel a job of another
    sandbox, change a finished job, create a job of an unknown segment definition) is looked for again once
    the cancel timeout has passed since each request (``_late.py``)."""
    late.run()
    judged = {r for check in late.checks for r in check.requirements}
    for requirement in judgement.requirements:
        if requirement not in judged:
            judgement.disabled(
                requirement,
                "no late check of this run judges it",
                cause="nothing to look at",
            )
