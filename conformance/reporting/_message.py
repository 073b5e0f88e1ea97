"""The failure messages of the suite, split into their parts so that a writer can show each part once.

A message of ``conformance._checks.ConformanceFailure`` has a ``[ID] title`` heading and ``expected:``,
``got:``, ``request:``, ``response:`` and ``curl:`` fields, after any ``not decided:`` notes; see
:func:`parse_message`. A message of another shape is kept whole.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

#: A field line of a ConformanceFailure message: ``  expected: ...`` (at most three spaces before the name).
_FIELD = re.compile(r"^( {0,3})(expected|got|request|response|curl):( *)(.*)$")
_HEADING = re.compile(r"^\s*\[[A-Za-z0-9][\w.-]*\]")
_HEADING_ID = re.compile(r"\[([A-Za-z0-9][\w.-]*)\]")
#: The first words of a note: the test stopped at a failure before it judged this requirement.
NOTE = "not decided:"
#: A ``got`` line longer than this is shortened in :attr:`Message.got`; the whole line goes to the detail.
GOT_CHARS = 240


@dataclass(frozen=True)
class Message:
    """A failure message of the suite, split into its parts (see :func:`parse_message`).

    ``structured`` is true when the message has an ``expected:`` and a ``got:`` line; otherwise only
    ``text`` (the whole message) and ``notes`` mean anything.
    """

    text: str
    notes: tuple[str, ...] = ()
    heading: str = ""
    requirements: tuple[str, ...] = ()
    expected: str = ""
    got: str = ""
    request: str = ""
    response: str = ""
    curl: str = ""
    detail: str = ""
    structured: bool = False
    #: the message without its notes: the same check, blocked under another requirement, has the same core
    core: str = ""

    @property
    def summary(self) -> str:
        """One short line: the note, else ``expected ...; got ...``, else the first line."""
        if self.notes:
            return self.notes[0]
        if self.structured:
            return f"expected {self.expected}; got {self.got}"
        return next((line.strip() for line in self.text.splitlines() if line.strip()), "")


def _shorten_got(line: str) -> str:
    cut = line.find(": ")
    if 0 < cut <= 80:  # a finding's title (``Response violates schema: ...``)
        return line[: cut + 1] + " \u2026"
    head = line[: GOT_CHARS - 1]
    if " " in head[GOT_CHARS // 2 :]:
        head = head.rsplit(" ", 1)[0]
    return head.rstrip() + " \u2026"


def _trim(lines: Sequence[str]) -> list[str]:
    out = list(lines)
    while out and not out[-1].strip():
        out.pop()
    while out and not out[0].strip():
        out.pop(0)
    return out


def parse_message(text: str) -> Message:
    """Splits a failure message of the suite into its parts.

    The suite writes (``conformance._checks.ConformanceFailure``)::

        not decided: the test stopped at a failure of SJ-A     <- a note, when blocked (optional)
        [SJ-A] title; [SJ-B] title
          expected: ...
          got:      first line
                    further lines (``also [...]`` findings, their requests, the seed)
          request:  ...
          response: ...
          curl:     ...

    ``got`` keeps the first line (shortened past :data:`GOT_CHARS`); its further lines, and any line that
    is none of these, make ``detail``. A message without ``expected:`` and ``got:`` lines is not
    ``structured``: only its leading ``not decided:`` lines are taken as notes.
    """
    lines = _trim(text.splitlines())
    notes: list[str] = []
    heading = ""
    fields: dict[str, list[str]] = {}
    extra: list[str] = []
    current: str | None = None
    column = 0
    started = False
    core_start = len(lines)
    for index, line in enumerate(lines):
        match = _FIELD.match(line)
        if match and match.group(2) not in fields:
            current = match.group(2)
            column = len(match.group(1)) + len(current) + 1 + len(match.group(3))
            fields[current] = [match.group(4)]
            if not started:
                started, core_start = True, index
            continue
        if current is not None and (not line.strip() or line.startswith("    ")):
            lead = len(line) - len(line.lstrip(" "))
            fields[current].append(line[min(lead, column) :])
            continue
        current = None
        if not started and _HEADING.match(line):
            heading, started, core_start = line.strip(), True, index
            continue
        if not started:
            notes.append(line.strip())
            continue
        extra.append(line)
    structured = "expected" in fields and "got" in fields
    if not structured:
        # not the suite's format: only leading "not decided:" lines are notes, the rest is the message
        notes = []
        core_start = len(lines)
        for index, line in enumerate(lines):
            if not line.strip().startswith(NOTE):
                core_start = index
                break
            notes.append(line.strip())
    notes = [n for n in notes if n]
    core = "\n".join(lines[core_start:]).strip()

    def value(name: str) -> str:
        return "\n".join(_trim(fields.get(name, []))).strip()

    detail: list[str] = []
    got = ""
    if structured:
        got_lines = _trim(fields["got"])
        first = got_lines[0].strip() if got_lines else ""
        got = first
        if len(first) > GOT_CHARS:
            got = _shorten_got(first)
            detail.append(first)
        detail += got_lines[1:]
        detail += _trim(extra)
    return Message(
        text=text.strip(),
        notes=tuple(notes),
        heading=heading,
        requirements=tuple(dict.fromkeys(_HEADING_ID.findall(heading))),
        expected=value("expected") if structured else "",
        got=got,
        request=value("request"),
        response=value("response"),
        curl=value("curl"),
        detail="\n".join(_trim(detail)),
        structured=structured,
        core=core,
    )
