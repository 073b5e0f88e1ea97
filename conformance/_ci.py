"""What a run prints for its CI system at the end: GitHub Actions workflow commands and the step summary.

When ``GITHUB_ACTIONS`` is ``true`` (GitHub sets it in every job), each failed MUST requirement becomes an
``::error`` workflow command and each failed SHOULD a ``::warning``: the requirement's id, level and title as
the annotation's title, and as its message what was expected, what came, the test and the curl line. The
run's ``summary.md`` is appended to the file ``GITHUB_STEP_SUMMARY`` names, so it shows on the run's page.
GitLab needs nothing from here: it reads ``junit.xml`` (``artifacts:reports:junit``).

Workflow commands are escaped as GitHub's runner expects (``%``, ``\\r`` and ``\\n`` in the message; also
``:`` and ``,`` in a property), and every text passes the run's :class:`~conformance._redact.Redactor`.
:func:`workflow_commands` is pure (results dict to lines); :func:`at_end` adds the step summary.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from conformance._redact import Redactor
from conformance.reporting import SUMMARY_FILE
from conformance.reporting._message import parse_message

#: the workflow command of a failed requirement, by level (a failed MAY is not annotated)
COMMANDS: Mapping[str, str] = {"MUST": "error", "SHOULD": "warning"}
#: longest "got" shown in an annotation (report.html has it all)
GOT_CHARS = 240


def on_github_actions(environ: Mapping[str, str]) -> bool:
    return environ.get("GITHUB_ACTIONS") == "true"


def escape_data(text: str) -> str:
    """The message of a workflow command: ``%``, ``\\r`` and ``\\n`` escaped."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value of a workflow command (``title=``): also ``:`` and ``,`` escaped."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **properties: str) -> str:
    """``::name key=value,...::message``, escaped."""
    props = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def _failure_lines(row: Mapping[str, Any]) -> Iterator[str]:
    yield f"{row['id']} {row['title']}"
    failures = [f for f in row.get("failures") or () if f.get("outcome", "fail") == "fail"]
    if not failures:
        return
    first = failures[0]
    message = parse_message(str(first.get("message") or ""))
    if message.structured:
        yield f"expected: {message.expected}"
        yield f"got: {message.got[:GOT_CHARS]}"
    elif message.core:
        yield message.core.splitlines()[0][:GOT_CHARS]
    yield f"in {first.get('test', '?')}"
    curl = first.get("curl") or message.curl
    if curl:
        yield str(curl)
    if len(failures) > 1:
        yield f"(and {len(failures) - 1} more failures: see report.html)"


def workflow_commands(results: Mapping[str, Any], redactor: Redactor | None = None) -> list[str]:
    """One workflow command per failed MUST (``::error``) or SHOULD (``::warning``), in catalog order."""
    mask = (redactor or Redactor()).text
    lines = []
    for row in results.get("requirements") or ():
        name = COMMANDS.get(str(row.get("level")))
        if name is None or row.get("outcome") != "fail":
            continue
        title = f"{row['id']} ({row['level']}): {row['title']}"
        lines.append(command(name, mask("\n".join(_failure_lines(row))), title=mask(title)))
    return lines


def append_step_summary(summary: Path, target: str, redactor: Redactor | None = None) -> str | None:
    """Appends ``summary`` (summary.md) to the step summary file ``target``; the problem, or None."""
    try:
        text = (redactor or Redactor()).text(summary.read_text(encoding="utf-8"))
        with open(target, "a", encoding="utf-8") as out:
            out.write(text if text.endswith("\n") else text + "\n")
    except OSError as exc:
        return f"summary.md could not be added to the step summary ({type(exc).__name__}: {exc.strerror})"
    return None


def at_end(
    results: Mapping[str, Any],
    environ: Mapping[str, str],
    report_dir: Path | None,
    redactor: Redactor | None = None,
) -> list[str]:
    """On GitHub Actions: the annotations to print, after summary.md was appended to the step summary (a
    problem doing so is one more ``::warning``). Elsewhere: nothing."""
    if not on_github_actions(environ):
        return []
    lines = workflow_commands(results, redactor)
    target = environ.get("GITHUB_STEP_SUMMARY")
    if target and report_dir is not None:
        problem = append_step_summary(report_dir / SUMMARY_FILE, target, redactor)
        if problem is not None:
            lines.append(command("warning", problem, title="segment-jobs-conformance"))
    return lines
