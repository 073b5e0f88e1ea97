"""What a test could not judge, and why: the two kinds of "not judged" a verdict must tell apart.

``Disabled``
    out of scope: the user narrowed the run (``--select``, ``--profile``, ``--read-only``), optional
    configuration is missing (no second sandbox), or the condition a requirement speaks of never arose (no
    answer was a 429). It never counts against the verdict.
``Undecided``
    in scope but not judged: no job to read, the job budget, a wait that could not finish, a target that kept
    answering 429 or 503, a suite error. An undecided MUST makes the run ``incomplete``, never ``conformant``.

A test raises one of them when it can judge nothing at all; a test that judged some of its requirements
and not others says so through :class:`Judgement` (the ``judgement`` fixture), and the requirements it did
not judge are reported with the reason instead of being credited with its pass. A shared check that may
have nothing to judge (a listing page without a job has no job to hold against the schema) says what it
found through :func:`evidence`; a test whose every such check found nothing does not credit that
requirement either. Each carries a short
``cause`` (the label of the one-line coverage summary, such as ``read-only``) and a ``reason`` (the
sentence the reports show). Nothing here knows pytest.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field

DISABLED = "disabled"
UNDECIDED = "undecided"


class NotJudged(Exception):
    """A test judged none of its requirements (or, with ``requirements``, none of those)."""

    kind = UNDECIDED

    def __init__(self, reason: str, *, cause: str | None = None, requirements: Iterable[str] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.cause = cause or reason
        self.requirements = tuple(requirements)


class Disabled(NotJudged):
    """Out of scope: the run was narrowed, optional configuration is missing, or the occasion never arose."""

    kind = DISABLED


class Undecided(NotJudged):
    """In scope, but not judged."""

    kind = UNDECIDED


@dataclass(frozen=True)
class Unjudged:
    """One requirement a test did not judge."""

    kind: str
    cause: str
    reason: str


@dataclass
class Judgement:
    """What one test could not judge among the requirements it names (filled while it runs)."""

    requirements: tuple[str, ...]
    unjudged: dict[str, Unjudged] = field(default_factory=dict)
    #: requirement -> (did any of its checks find something to judge, the reason when none did)
    looked: dict[str, tuple[bool, str]] = field(default_factory=dict)
    #: the test's id as results.json names it (the HAR of the run tags each exchange with it)
    test: str = ""

    def evidence(self, requirement: str, found: bool, reason: str) -> None:
        """A check of ``requirement`` ran; ``found`` says whether it had anything to judge."""
        if requirement in self.requirements:
            before = self.looked.get(requirement, (False, reason))[0]
            self.looked[requirement] = (before or found, reason)

    def close(self) -> None:
        """Requirements whose every check had nothing to judge are undecided for this test."""
        for requirement, (found, reason) in self.looked.items():
            if not found:
                self.undecided(requirement, reason)

    def undecided(self, requirement: str, reason: str, *, cause: str | None = None) -> None:
        """The test did not judge ``requirement`` (it stays in scope)."""
        self._note(requirement, Unjudged(UNDECIDED, cause or reason, reason))

    def disabled(self, requirement: str, reason: str, *, cause: str | None = None) -> None:
        """``requirement`` is out of scope for this test (its occasion never arose)."""
        self._note(requirement, Unjudged(DISABLED, cause or reason, reason))

    def judged_only(
        self, judged: Iterable[str], reasons: Mapping[str, str], *, default: str, cause: str | None = None
    ) -> None:
        """Every named requirement outside ``judged`` was not judged: with its reason from ``reasons``, else
        ``default``."""
        done = set(judged)
        for requirement in self.requirements:
            if requirement not in done:
                self.undecided(requirement, reasons.get(requirement, default), cause=cause)

    def _note(self, requirement: str, unjudged: Unjudged) -> None:
        if requirement not in self.requirements:
            raise LookupError(
                f"{requirement} is not among the requirements the test names ({', '.join(self.requirements)})"
            )
        self.unjudged.setdefault(requirement, unjudged)


#: the judgement of the test that is running (set by the plugin around each test's call)
CURRENT: ContextVar[Judgement | None] = ContextVar("segjobs_judgement", default=None)


def evidence(requirement: str, found: bool, reason: str) -> None:
    """A shared check tells the running test whether it had anything to judge for ``requirement``."""
    judgement = CURRENT.get()
    if judgement is not None:
        judgement.evidence(requirement, found, reason)
