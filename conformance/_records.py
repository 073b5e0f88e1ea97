"""One test's outcome as verdicts per requirement: what the plugin records for ``results.json``.

A pass credits every requirement the test names, except those its :class:`~conformance._outcomes.Judgement`
says it did not judge; a :class:`~conformance._checks.ConformanceFailure` fails the requirements it names
(the test's others are blocked by it); a transport error fails its HTTP requirement; a run out of job budget
or an answer HTTP allows to be missing (:class:`~conformance._client.Inconclusive`) leaves the test's
requirements undecided; anything else is a suite error. With ``plugin.py``, the only module that knows
pytest.
"""

from __future__ import annotations

import pytest

from conformance._checks import ConformanceFailure
from conformance._client import Inconclusive, TransportError
from conformance._jobs import BudgetExhausted
from conformance._outcomes import DISABLED, UNDECIDED, Disabled, Judgement, NotJudged
from conformance._results import TestRecord

JUDGEMENT_KEY = pytest.StashKey[Judgement]()
SCOPE_KEY = pytest.StashKey[Disabled]()


def requirements_of(item: pytest.Item) -> tuple[str, ...]:
    ids: list[str] = []
    for mark in item.iter_markers("requirement"):
        ids.extend(str(a) for a in mark.args)
    return tuple(dict.fromkeys(ids))


def group_of(item: pytest.Item) -> str:
    """The ``--select`` group: the module's ``GROUP`` if it has one, else its name without ``test_``."""
    module = getattr(item, "module", None)
    declared = getattr(module, "GROUP", None)
    if isinstance(declared, str):
        return declared
    name = module.__name__.rsplit(".", 1)[-1] if module is not None else item.nodeid.split("::")[0]
    return name.removeprefix("test_").removesuffix(".py")


def id_of(item: pytest.Item) -> str:
    """The test's id as results.json (and the HAR) name it."""
    return item.nodeid if not item.nodeid.startswith("::") else f"{group_of(item)}{item.nodeid}"


def record_of(item: pytest.Item, report: pytest.TestReport, exc: BaseException | None) -> TestRecord:
    """The test's outcome as verdicts per requirement it names (with why, for those it did not judge)."""
    reqs = requirements_of(item)
    test_id = id_of(item)
    record = TestRecord(
        id=test_id,
        name=item.name,
        group=group_of(item),
        requirements=reqs,
        outcome="passed",
        duration_s=report.duration,
    )
    if report.skipped:
        _record_skip(record, item, exc, _skip_reason(report))
    elif report.passed:
        record.verdicts = dict.fromkeys(reqs, "pass")
    else:
        _classify_failure(record, reqs, exc, report)
    _apply_judgement(record, item)
    return record


def _record_skip(record: TestRecord, item: pytest.Item, exc: BaseException | None, reason: str) -> None:
    scoped = item.stash.get(SCOPE_KEY, None)
    not_judged = scoped if scoped is not None else exc if isinstance(exc, NotJudged) else None
    kind = not_judged.kind if not_judged is not None else UNDECIDED
    cause = not_judged.cause if not_judged is not None else reason
    reason = not_judged.reason if not_judged is not None else reason
    record.outcome, record.reason, record.skip_kind = "skipped", reason, kind
    verdict = "disabled" if kind == DISABLED else "skip"
    names = (
        not_judged.requirements if not_judged is not None and not_judged.requirements else record.requirements
    )
    record.verdicts = dict.fromkeys(names, verdict)
    record.notes = dict.fromkeys(names, (cause, reason))


def _apply_judgement(record: TestRecord, item: pytest.Item) -> None:
    """Requirements the test said it did not judge are reported with the reason, never credited."""
    judgement = item.stash.get(JUDGEMENT_KEY, None)
    if judgement is None or record.outcome == "skipped":
        return
    judgement.close()
    for req, unjudged in judgement.unjudged.items():
        if record.verdicts.get(req) == "fail":
            continue
        record.verdicts[req] = "disabled" if unjudged.kind == DISABLED else "skip"
        record.notes[req] = (unjudged.cause, unjudged.reason)
    if record.outcome == "passed" and not any(v == "pass" for v in record.verdicts.values()):
        first = next(iter(judgement.unjudged.values()))
        record.outcome, record.reason, record.skip_kind = "skipped", first.reason, first.kind


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    text = str(longrepr[2]) if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    return text.removeprefix("Skipped: ")


def _classify_failure(
    record: TestRecord, reqs: tuple[str, ...], exc: BaseException | None, report: pytest.TestReport
) -> None:
    failed: tuple[str, ...]
    exchange = None
    if isinstance(exc, ConformanceFailure):
        failed = exc.requirements
        exchange = exc.exchange
        record.message = str(exc)
    elif isinstance(exc, TransportError):
        failed = (exc.requirement,)
        exchange = exc.exchange
        record.message = f"[{exc.requirement}] {exc}"
    elif isinstance(exc, BudgetExhausted | Inconclusive):
        cause = exc.cause if isinstance(exc, Inconclusive) else "job budget"
        record.outcome, record.reason, record.skip_kind = "skipped", str(exc), UNDECIDED
        record.verdicts = dict.fromkeys(reqs, "skip")
        record.notes = dict.fromkeys(reqs, (cause, str(exc)))
        return
    elif isinstance(exc, AssertionError):
        failed = reqs
        record.message = str(exc) or report.longreprtext
    else:
        record.outcome = "error"
        record.message = (f"{type(exc).__name__}: {exc}" if exc is not None else report.longreprtext)[:4000]
        record.verdicts = dict.fromkeys(reqs, "error")
        return
    record.outcome = "failed" if report.when == "call" else "error"
    record.verdicts = {r: "blocked" for r in reqs}
    record.verdicts.update(dict.fromkeys(failed, "fail"))
    if exchange is not None:
        record.curl = exchange.curl
        record.request = exchange.request_line
        record.response = exchange.response_excerpt
