"""Writing the report files: :func:`write_reports` from a results dict, :func:`rebuild` from a file."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from conformance._options import OPTIONS
from conformance._redact import Redactor
from conformance.reporting import _masking
from conformance.reporting.html import render_html
from conformance.reporting.junit import render_junit
from conformance.reporting.markdown import render_summary

JUNIT_FILE = "junit.xml"
HTML_FILE = "report.html"
SUMMARY_FILE = "summary.md"

#: Environment variables whose values are secrets to mask when reports are rebuilt outside a run (the
#: access token, the API key, the OAuth client secret: the secrets of the options table).
SECRET_VARIABLES = tuple(o.env for o in OPTIONS if o.secret and o.env is not None)

_RENDERERS: tuple[tuple[str, Callable[[Mapping[str, Any]], str]], ...] = (
    (JUNIT_FILE, render_junit),
    (HTML_FILE, render_html),
    (SUMMARY_FILE, render_summary),
)


def _write_atomically(path: Path, text: str) -> None:
    """Writes ``text`` next to ``path`` and renames it over, so a reader never sees half a report.

    The file gets the permissions of any new file (the umask applies), unlike one from ``mkstemp``.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with tmp.open("x", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_reports(
    results: Mapping[str, Any], report_dir: Path, *, redactor: Redactor | None = None
) -> list[Path]:
    """Writes ``junit.xml``, ``report.html`` and ``summary.md`` into ``report_dir`` (created if needed).

    Every text is masked with ``redactor`` before it is rendered, and the rendered files once more.
    ``results.json`` itself is the caller's to write. Returns the paths written, in that order.
    """
    report_dir = Path(report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    clean = _masking.clean(results, redactor)
    written = []
    for name, render in _RENDERERS:
        path = report_dir / name
        text = render(clean)
        _write_atomically(path, text if redactor is None else redactor.text(text))  # the final pass
        written.append(path)
    return written


def environment_redactor(environ: Mapping[str, str] | None = None) -> Redactor:
    """A redactor for the secrets set in the environment (:data:`SECRET_VARIABLES`)."""
    env = os.environ if environ is None else environ
    return Redactor.of(env.get(name) for name in SECRET_VARIABLES)


def rebuild(results_path: Path, report_dir: Path | None = None) -> list[Path]:
    """Reads ``results.json`` and writes the three reports (next to it unless ``report_dir`` is given).

    The secrets set in the environment (``SEGJOBS_ACCESS_TOKEN``, ``SEGJOBS_API_KEY``,
    ``SEGJOBS_CLIENT_SECRET``) are masked too.
    Raises :class:`ValueError` when the file is not a JSON object, :class:`OSError` when it cannot be read.
    """
    results_path = Path(results_path)
    try:
        results = json.loads(results_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{results_path}: not valid JSON ({exc})") from exc
    if not isinstance(results, dict):
        raise ValueError(f"{results_path}: expected a JSON object, got {type(results).__name__}")
    target = results_path.parent if report_dir is None else Path(report_dir)
    return write_reports(results, target, redactor=environment_redactor())
