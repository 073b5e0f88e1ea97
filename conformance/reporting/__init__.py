"""The report writers: from one results dict (the content of ``results.json``) to the files people read.

- ``junit.xml`` for CI systems (GitHub, GitLab, Jenkins): :func:`render_junit`
- ``report.html``, one self-contained page for reviewers: :func:`render_html`
- ``summary.md``, a short Markdown summary for a step summary or a PR comment: :func:`render_summary`

The renderers are pure functions of the results dict. :func:`write_reports` masks secrets and writes the
three files; :func:`rebuild` does the same from a ``results.json`` on disk
(``segjobs-conformance report results.json``).
"""

from conformance.reporting._writer import HTML_FILE, JUNIT_FILE, SUMMARY_FILE, rebuild, write_reports
from conformance.reporting.html import render_html
from conformance.reporting.junit import render_junit
from conformance.reporting.markdown import render_summary

__all__ = [
    "HTML_FILE",
    "JUNIT_FILE",
    "SUMMARY_FILE",
    "rebuild",
    "render_html",
    "render_junit",
    "render_summary",
    "write_reports",
]
