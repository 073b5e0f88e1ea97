"""The failure section of ``report.html``: every requirement that failed or errored, with its checks.

Each failure appears once, in the suite's words: expected, got, request, response excerpt, curl line. A check
recorded under several requirements is shown in full under the first and referred to by the others; what the
message says beyond that (further findings of a property test, a finding's own long text) is a collapsed
``<details>`` below the check.
"""

from __future__ import annotations

from collections.abc import Sequence

from conformance.reporting._markup import _badge, _e, _slug
from conformance.reporting._message import Message, parse_message
from conformance.reporting._model import Failure, Report, Requirement, TestResult


class _Checks:
    """Renders the checks of the failure section so that each appears once.

    A check is one failure of one test; the same check is recorded under every requirement it decided (and,
    with a ``not decided:`` note, under those its test did not get to). The first article shows it in full,
    with the richest record of it (request and response excerpts, curl line); later ones point there.
    """

    def __init__(self, checks: Sequence[Failure]) -> None:
        self.shown: dict[tuple[str, str], str] = {}
        self.best: dict[tuple[str, str], Failure] = {}
        for failure in checks:
            key = self.key(failure)
            if key is None:
                continue
            known = self.best.get(key)
            if known is None or self.richness(failure) > self.richness(known):
                self.best[key] = failure

    @staticmethod
    def key(failure: Failure) -> tuple[str, str] | None:
        core = parse_message(failure.message).core
        return (failure.test, core) if core else None

    @staticmethod
    def richness(failure: Failure) -> int:
        return sum(1 for value in (failure.request, failure.response, failure.curl) if value.strip())

    def render(self, failure: Failure, anchor: str) -> str:
        message = parse_message(failure.message)
        fields = [("Test", f"<code>{_e(failure.test)}</code>" if failure.test else "")]
        fields += [("Note", f'<p class="note">{_e(note)}</p>') for note in message.notes]
        key = self.key(failure)
        first = self.shown.get(key) if key is not None else None
        if first is not None:
            fields.append(
                (
                    "Check",
                    f'<p class="same">Shown in full under <a href="#{_e(first)}">'
                    f"{_e(first.removeprefix('failure-'))}</a>.</p>",
                )
            )
            return self.dl(fields, "check same-check")
        if key is not None:
            self.shown[key] = anchor
            failure = self.merged(failure, self.best.get(key, failure))
        fields += self.words(message)
        request = failure.request or message.request
        response = failure.response or message.response
        curl = failure.curl or message.curl
        fields += [
            ("Request", f"<pre>{_e(request)}</pre>" if request else ""),
            ("Response", f"<pre>{_e(response)}</pre>" if response else ""),
            ("Reproduce", f'<pre class="curl">{_e(curl)}</pre>' if curl else ""),
        ]
        if message.detail:
            more = sum(1 for line in message.detail.splitlines() if line.lstrip().startswith("also ["))
            summary = (
                f"{more} more finding{'s' if more != 1 else ''} of this test, and details"
                if more
                else "More detail from the message"
            )
            fields.append(
                (
                    "Detail",
                    f"<details><summary>{_e(summary)}</summary>"
                    f'<pre class="detail">{_e(message.detail)}</pre></details>',
                )
            )
        return self.dl(fields, "check")

    @staticmethod
    def merged(failure: Failure, best: Failure) -> Failure:
        return Failure(
            test=failure.test,
            message=failure.message,
            curl=failure.curl or best.curl,
            request=failure.request or best.request,
            response=failure.response or best.response,
        )

    @staticmethod
    def words(message: Message) -> list[tuple[str, str]]:
        """What was expected and what came, in the suite's words; a message of another shape as it is."""
        if not message.structured:
            return [("Message", f'<pre class="msg">{_e(message.core)}</pre>' if message.core else "")]
        fields = []
        if len(message.requirements) > 1:
            fields.append(("Violates", ", ".join(f"<code>{_e(r)}</code>" for r in message.requirements)))
        fields.append(("Expected", f'<pre class="expected">{_e(message.expected)}</pre>'))
        fields.append(("Got", f'<pre class="msg">{_e(message.got)}</pre>'))
        return fields

    @staticmethod
    def dl(fields: Sequence[tuple[str, str]], css: str) -> str:
        body = "".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in fields if value)
        return f'<div class="{css}"><dl>{body}</dl></div>'


def _test_failure(test: TestResult) -> Failure:
    return Failure(test=test.id, message=test.message, curl=test.curl)


def _checks_of(report: Report, req: Requirement) -> Sequence[Failure]:
    if req.failures:
        return req.failures
    return [_test_failure(t) for t in report.tests if t.id in req.tests and t.outcome in ("failed", "error")]


def _failure_article(report: Report, req: Requirement, checks: _Checks) -> str:
    anchor = f"failure-{_slug(req.id)}"
    body = "".join(checks.render(f, anchor) for f in _checks_of(report, req))
    body = body or '<p class="subtle">No failure details recorded.</p>'
    return (
        f'<article class="failure k-{_e(req.outcome)}" id="{_e(anchor)}">'
        f'<h3>{_badge(req.outcome)}<code>{_e(req.id)}</code><span class="level">{_e(req.level)}</span> '
        f"&nbsp;{_e(req.title)}</h3>{body}</article>"
    )


def _failures(report: Report) -> str:
    reqs = report.failed_requirements
    covered = {f.test for r in report.requirements for f in r.failures}
    orphans = [t for t in report.tests if t.outcome in ("failed", "error") and t.id not in covered]
    if not reqs and not orphans:
        return '<section id="sec-failures"><h2>Failures</h2><p>No failures and no errors.</p></section>'
    orphan_checks = [_test_failure(t) for t in orphans]
    checks = _Checks([f for r in reqs for f in _checks_of(report, r)] + orphan_checks)
    parts = [_failure_article(report, r, checks) for r in reqs]
    if orphans:
        body = "".join(checks.render(f, "failure-tests") for f in orphan_checks)
        parts.append(
            '<article class="failure k-error" id="failure-tests"><h3>Failed tests outside any requirement '
            f"failure</h3>{body}</article>"
        )
    intro = (
        '<p class="subtle">Each check names the test, what was expected and what came, the request and an '
        "excerpt of the response, and a curl line that reproduces it (secrets masked as ***). A check that "
        "decided several requirements is shown in full once.</p>"
    )
    return f'<section id="sec-failures"><h2>Failures</h2>{intro}{"".join(parts)}</section>'
