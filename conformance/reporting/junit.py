"""``junit.xml``: the run as JUnit XML, in the subset GitHub, GitLab and Jenkins all read.

One ``<testsuite name="segment-jobs-conformance">`` inside ``<testsuites>``; one ``<testcase>`` per test,
with its requirement IDs as ``<property name="requirement">``. A disabled test and a skipped one are told
apart by the ``message`` of ``<skipped>``: ``disabled: ...`` or ``skip: ...``. The counts on both wrapping
elements are computed from the tests themselves, so they always agree with the test cases.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

from conformance.reporting import _masking
from conformance.reporting._model import Report, TestResult, load, parse_time

SUITE_NAME = "segment-jobs-conformance"

# Characters XML 1.0 cannot carry at all, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(value: str) -> str:
    return _NOT_XML.sub("\ufffd", value)


def _seconds(value: float) -> str:
    return f"{value:.3f}"


def _one_line(value: str, limit: int = 500) -> str:
    line = " ".join(value.split())
    return line if len(line) <= limit else line[: limit - 1] + "\u2026"


def _failure_text(report: Report, test: TestResult) -> str:
    """The text of ``<failure>``/``<error>``: the message, then what reproduces each recorded failure."""
    parts = [test.message.strip()] if test.message.strip() else []
    seen_curl = set()
    for failure in report.failures_of_test(test.id):
        lines = []
        if failure.message.strip() and failure.message.strip() != test.message.strip():
            lines.append(failure.message.strip())
        if failure.request:
            lines.append(f"Request: {failure.request.strip()}")
        if failure.response:
            lines.append(f"Response: {failure.response.strip()}")
        if failure.curl:
            lines.append(f"Reproduce: {failure.curl.strip()}")
            seen_curl.add(failure.curl.strip())
        if lines:
            parts.append("\n".join(lines))
    if test.curl.strip() and test.curl.strip() not in seen_curl:
        parts.append(f"Reproduce: {test.curl.strip()}")
    return "\n\n".join(parts)


def _properties(parent: ET.Element, pairs: list[tuple[str, str]]) -> None:
    if not pairs:
        return
    props = ET.SubElement(parent, "properties")
    for name, value in pairs:
        ET.SubElement(props, "property", {"name": name, "value": _xml_text(value)})


def _testcase(suite: ET.Element, report: Report, test: TestResult) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        {
            "classname": _xml_text(test.classname),
            "name": _xml_text(test.name),
            "time": _seconds(test.duration_s),
        },
    )
    _properties(case, [("requirement", req) for req in test.requirements])
    if test.outcome == "passed":
        return
    if test.outcome == "skipped":
        ET.SubElement(case, "skipped", {"message": _xml_text(_one_line(test.skip_message))})
        return
    tag = "failure" if test.outcome == "failed" else "error"
    message = test.message or (
        "test failed" if tag == "failure" else f"the suite could not decide ({test.outcome or 'no outcome'})"
    )
    element = ET.SubElement(
        case,
        tag,
        {"message": _xml_text(_one_line(message)), "type": "AssertionError" if tag == "failure" else "Error"},
    )
    element.text = _xml_text(_failure_text(report, test) or message)


def render_junit(results: Mapping[str, Any]) -> str:
    """The text of ``junit.xml`` for one results dict."""
    report = load(_masking.clean(results))
    tests = report.tests
    counts = {
        "tests": len(tests),
        "failures": sum(1 for t in tests if t.outcome == "failed"),
        "errors": sum(1 for t in tests if t.outcome not in ("passed", "failed", "skipped")),
        "skipped": sum(1 for t in tests if t.outcome == "skipped"),
    }
    total_time = sum(round(t.duration_s, 3) for t in tests)
    totals = {k: str(v) for k, v in counts.items()} | {"time": _seconds(total_time)}

    root = ET.Element("testsuites", {"name": SUITE_NAME, **totals})
    suite_attrs = {"name": SUITE_NAME, **totals}
    started = parse_time(report.started)
    if started is not None:
        suite_attrs["timestamp"] = started.strftime("%Y-%m-%dT%H:%M:%S")
    suite = ET.SubElement(root, "testsuite", suite_attrs)
    _properties(
        suite,
        [
            ("version", report.version),
            ("spec_sha256", report.spec_sha256),
            ("seed", report.seed),
            ("base_url", report.base_url),
            ("profile", report.profile),
            ("verdict", report.verdict),
            *([("aborted", report.aborted)] if report.aborted else []),
        ],
    )
    for test in tests:
        _testcase(suite, report, test)
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode", short_empty_elements=True)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
