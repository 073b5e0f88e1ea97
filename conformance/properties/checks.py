"""The checks of the property tests: schemathesis' own (by name, through its public ``schemathesis.checks``)
and the suite's, and what each answer gave them to judge.

The suite's own checks are plain callables over the case and the :class:`~conformance._client.Exchange`: they
send their follow-up requests through the run's client (so every rule of the client holds for them) and return
a :class:`~conformance.properties.findings.Finding` or None. Each notes in ``judged`` the requirements it had
something to judge, so a test never credits what it did not see.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Protocol

from schemathesis import Response
from schemathesis import checks as st_checks
from schemathesis.checks import CheckFunction

from conformance._client import ApiClient, Exchange, TransportError
from conformance._jobs import JobTracker
from conformance._lifecycle import RUNNING, STATUSES, TERMINAL
from conformance.properties.findings import Finding
from conformance.properties.rules import BULK_GET, CANCEL, LIST, OperationRules, rules_of
from conformance.properties.strategies import AnyCase, job_id_of


class OwnCheck(Protocol):
    """A check of the suite's own: judges one answer (and may send follow-up requests through the client)."""

    name: str

    def __call__(self, case: AnyCase, exchange: Exchange) -> Finding | None:
        """The violation the answer shows, or None."""


@dataclass(frozen=True)
class Checks:
    """The checks of one test: schemathesis' (run one at a time, so a failure names its check) and ours."""

    schemathesis: tuple[CheckFunction, ...]
    own: tuple[OwnCheck, ...] = ()

    @property
    def names(self) -> frozenset[str]:
        return frozenset(getattr(c, "__name__", "") for c in self.schemathesis) | {c.name for c in self.own}

    def with_own(self, *more: OwnCheck) -> Checks:
        return Checks(self.schemathesis, (*self.own, *more))


def _check(name: str) -> CheckFunction:
    found: CheckFunction = getattr(st_checks, name)
    return found


#: schemathesis' checks of every answer, and the one of answers to invalid data
RESPONSE_CHECKS: tuple[CheckFunction, ...] = tuple(
    _check(name)
    for name in (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    )
)
NEGATIVE = Checks((*RESPONSE_CHECKS, _check("negative_data_rejection")))


class JobAcceptance:
    """``positive_data_acceptance`` where the data is valid in fact: get and cancel judged for known jobs only
    (jobs of the run, and ``extra_ids``); a generated ID is unknown, and 404 is its right answer."""

    __name__ = "positive_data_acceptance"

    def __init__(self, jobs: JobTracker, extra_ids: Collection[str], judged: set[str]) -> None:
        self.jobs = jobs
        self.extra_ids = frozenset(extra_ids)
        self.judged = judged
        self._check = _check("positive_data_acceptance")

    def __call__(self, ctx: Any, response: Response, case: AnyCase) -> bool | None:
        if "{segmentJobId}" in case.path:
            job_id = job_id_of(case)
            if job_id is None or (job_id not in self.extra_ids and job_id not in self.jobs.jobs):
                return None
            if response.status_code == 404 and _cancelled_by_the_run(self.jobs, job_id):
                return None  # a cancelled job may be gone (ERRATA E-19): SJ-CANCEL-008 judges that, a SHOULD
        self.judged.add(rules_of(case.method, case.path).acceptance_requirement)
        result: bool | None = self._check(ctx, response, case)
        return result


def positive(jobs: JobTracker, judged: set[str], known_ids: Collection[str] = ()) -> Checks:
    """Checks of answers to valid data: those of every answer, and acceptance."""
    return Checks((*RESPONSE_CHECKS, JobAcceptance(jobs, known_ids, judged)))


def _cancelled_by_the_run(jobs: JobTracker, job_id: str) -> bool:
    tracked = jobs.jobs.get(job_id)
    return tracked is not None and tracked.cancel_requested


class CancelTakesEffect:
    """After a 204 to the cancel of a job of the run, GET shows the cancel's effect: a running job reads
    CANCELLING or CANCELLED, or is gone, within the cancel timeout of the 204 (``SEGJOBS_CANCEL_TIMEOUT``: the
    cancel is asynchronous), and never ends otherwise once it was seen running after the 204; a finished job
    stays as it finished.

    A job gone after its cancel (a 404: "cancel or delete", ERRATA E-19) fails no MUST; staying readable is
    the SHOULD SJ-CANCEL-008. Only the run's own jobs are cancelled at all; their state before the cancel is
    known from the tracker, which polls them through its shared waiting (``JobTracker.wait_cancel_effect``).
    """

    name = "cancel_takes_effect"

    def __init__(self, api: ApiClient, jobs: JobTracker, judged: set[str]) -> None:
        self.api, self.jobs, self.judged = api, jobs, judged

    def __call__(self, case: AnyCase, exchange: Exchange) -> Finding | None:
        job_id = job_id_of(case)
        tracked = self.jobs.jobs.get(job_id) if job_id is not None else None
        if case.method.upper() != "DELETE" or exchange.status != 204 or job_id is None or tracked is None:
            return None
        before = tracked.last.status if tracked.last is not None else None
        try:
            effect = self.jobs.wait_cancel_effect(job_id, self.jobs.now())
        except TransportError as exc:
            return Finding(
                (exc.requirement,), "an answer to GET of the cancelled job", str(exc), exc.exchange
            )
        read = tracked.last_get
        self.judged.add("SJ-CANCEL-008")
        if effect.outcome == "gone":
            if before in RUNNING:
                self.judged.add("SJ-CANCEL-003")  # gone is the effect of a cancel too
            return Finding(
                ("SJ-CANCEL-008",),
                "GET of a job just cancelled (204) answers 200 with the job (a SHOULD: a server may remove "
                "it, ERRATA E-19)",
                "GET answered HTTP 404",
                read,
            )
        if read is not None and read.status != 200:
            return Finding(
                ("SJ-CANCEL-008",),
                "GET of a job just cancelled (204) answers 200 with the job, or 404 once it is removed",
                f"GET answered HTTP {read.status}",
                read,
            )
        status = effect.seen[-1] if effect.seen else (tracked.last.status if tracked.last else None)
        if status not in STATUSES:
            expected = f"a job status, one of {', '.join(STATUSES)}"
            return Finding(("SJ-LIFECYCLE-001",), expected, f"after the 204 the job reads {status!r}", read)
        if before in TERMINAL and status != before:
            expected = f"a job that was {before} before the cancel stays {before}"
            return Finding(("SJ-CANCEL-005",), expected, f"after the 204 the job reads {status!r}", read)
        if before in RUNNING:
            self.judged.add("SJ-CANCEL-003")
        if effect.outcome == "running":
            expected = (
                f"within {self.jobs.cancel_timeout:g} s of the 204 (SEGJOBS_CANCEL_TIMEOUT) the job reads "
                "CANCELLING or CANCELLED, or is gone"
            )
            actual = f"GET showed {effect.path} in the {effect.waited_s:.1f} s waited after the 204"
            return Finding(("SJ-CANCEL-003",), expected, actual, read)
        if effect.outcome == "finished" and effect.ran_on:
            expected = "a job still running after the cancel's 204 ends CANCELLED"
            return Finding(("SJ-CANCEL-003",), expected, f"after the 204 GET showed {effect.path}", read)
        return None


#: (requirement, what is changed in the request, what it probes) of :class:`CredentialsRequired`
CREDENTIAL_PROBES: tuple[tuple[str, dict[str, str | None], str], ...] = (
    ("SJ-AUTH-001", {"Authorization": None, "x-api-key": None}, "no credentials at all"),
    ("SJ-AUTH-002", {"Authorization": "Bearer segjobs-invalid-token"}, "an invalid bearer token"),
)


class CredentialsRequired:
    """A listing that succeeds with valid credentials is refused with 401 or 403 without them, and with an
    invalid bearer token when every other credential is right (a server taking any token shows there)."""

    name = "credentials_required"

    def __init__(self, api: ApiClient, judged: set[str]) -> None:
        self.api, self.judged = api, judged

    def __call__(self, case: AnyCase, exchange: Exchange) -> Finding | None:
        if exchange.status is None or not 200 <= exchange.status < 300:
            return None
        found: list[Finding] = []
        for requirement, change, probe in CREDENTIAL_PROBES:
            try:
                answer = self.api.list_jobs({"limit": "1"}, headers=change)
            except TransportError as exc:
                found.append(
                    Finding(
                        (exc.requirement,), f"an answer to a request with {probe}", str(exc), exc.exchange
                    )
                )
                continue
            self.judged.add(requirement)
            if answer.status not in (401, 403):
                found.append(
                    Finding(
                        (requirement,),
                        f"401 or 403 to a request with {probe}",
                        f"HTTP {answer.status}",
                        answer,
                    )
                )
        return _merged(found)


def _merged(found: list[Finding]) -> Finding | None:
    """Several violations of one answer as one finding (the first one's exchange is the proof)."""
    if len(found) <= 1:
        return found[0] if found else None
    first = found[0]
    requirements = tuple(dict.fromkeys(r for f in found for r in f.requirements))
    actual = "; ".join(f"[{', '.join(f.requirements)}] {f.actual}" for f in found)
    return Finding(requirements, "; ".join(dict.fromkeys(f.expected for f in found)), actual, first.exchange)


class CreatedJobFound:
    """A job the run created is found where the spec's links lead (GET, bulk-get, cancel): never a 404."""

    name = "created_job_found"

    def __init__(self, jobs: JobTracker, judged: set[str]) -> None:
        self.jobs, self.judged = jobs, judged

    def __call__(self, case: AnyCase, exchange: Exchange) -> Finding | None:
        job_id = job_id_of(case)
        if job_id is None or job_id not in self.jobs.jobs or _cancelled_by_the_run(self.jobs, job_id):
            return None  # (a job the run cancelled may be gone, E-19)
        self.judged.add("SJ-CREATE-007")
        if exchange.status != 404:
            return None
        return Finding(
            ("SJ-CREATE-007",),
            "a job just created is found through the spec's links",
            f"{case.method} of the job {job_id}, which this run created, answered 404",
            exchange,
        )


def cancel(api: ApiClient, jobs: JobTracker, judged: set[str], known_ids: Collection[str] = ()) -> Checks:
    """Checks of answers to valid cancels: those of valid data, and the cancel semantics."""
    return positive(jobs, judged, known_ids).with_own(CancelTakesEffect(api, jobs, judged))


def credentials(api: ApiClient, judged: set[str]) -> Checks:
    """The checks of every answer, and probes of a successful request without valid credentials."""
    return Checks(RESPONSE_CHECKS, (CredentialsRequired(api, judged),))


def stateful(api: ApiClient, jobs: JobTracker, judged: set[str]) -> Checks:
    """Checks of the workflows: those of valid cancels, and that a created job is found through the links."""
    return cancel(api, jobs, judged).with_own(CreatedJobFound(jobs, judged))


# -- evidence: what an answer gave to judge ---------------------------------------------------------------
def _body_of(exchange: Exchange) -> Any:
    try:
        return json.loads(exchange.body) if exchange.body else None
    except ValueError:
        return None


def _holds_a_job(rules: OperationRules, body: Any) -> bool:
    """Whether a 2xx answer carries what the operation's schema requirement speaks of."""
    if rules is LIST:
        return isinstance(body, dict) and bool(body.get("children"))
    if rules is BULK_GET:
        return isinstance(body, dict) and bool(body.get("results"))
    return rules is not CANCEL and isinstance(body, dict)


#: requirements any answer judges: no 5xx, a documented status
EVERY_ANSWER = frozenset({"SJ-ERROR-001", "SJ-ERROR-003"})


def judged_by(rules: OperationRules, exchange: Exchange, checks: Checks) -> set[str]:
    """The requirements an answer gave something to judge, whatever the verdict: a check that had nothing to
    look at (no job in a listing, an unknown id) credits nothing. Acceptance and the suite's own checks note
    what they judge themselves."""
    status = exchange.status
    if status is None:
        return set()
    judged = set(EVERY_ANSWER)
    if status >= 400:
        judged.add("SJ-ERROR-002")
    elif exchange.body:
        judged |= {"SJ-HTTP-001", "SJ-HTTP-002"}
    if "negative_data_rejection" in checks.names and rules.rejection_requirement is not None:
        judged.add(rules.rejection_requirement)
    if 200 <= status < 300 and (status == 204 or _holds_a_job(rules, _body_of(exchange))):
        judged.add(rules.schema_requirement)
    return judged
