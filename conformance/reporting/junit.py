"""``junit.xml``: the run as JUnit XML, in the subset GitHub, GitLab and Jenkins all read.

One ``<testsuite name="segment-jobs-conformance">`` inside ``<testsuites>``; one ``<testcase>`` per test,
with its requirement IDs as ``<property name="requirement">``. A disabled test (out of scope) and an undecided
one (in scope, not judged) are told apart by the ``message`` of ``<skipped>``: ``disabled: ...`` or
``skip: ...``. The counts on both wrapping elements are computed from the tests themselves, so they always
agree with the test cases. The suite's properties carry the verdict (``segjobs.verdict``) and the MUST and
SHOULD coverage (``segjobs.must.passed``, ``segjobs.must.undecided``, ``segjobs.should.out_of_scope``, ...).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

from conformance.reporting import _masking
from conformance.reporting._model import BUCKETS, Report, TestResult, load, parse_message, parse_time

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
    """The text of ``<failure>``/``<error>``: the message, then what reproduces each recorded failure.

    Each piece appears once: a failure recorded under several requirements (or with a ``not decided:``
    note under those its test did not get to) is the test's message again, and a request, response or curl
    line the message already carries is not repeated.
    """
    parts = [test.message.strip()] if test.message.strip() else []
    seen_messages = {parse_message(test.message).core} if test.message.strip() else set()

    def flat(text: str) -> str:
        return " ".join(text.split())

    def shown(value: str) -> bool:
        # the message indents the lines of a request or response excerpt: compare without the layout
        return any(flat(value) in flat(part) for part in parts)

    for failure in report.failures_of_test(test.id):
        lines = []
        core = parse_message(failure.message).core
        if core and core not in seen_messages:
            lines.append(failure.message.strip())
            seen_messages.add(core)
        for label, value in (
            ("Request", failure.request),
            ("Response", failure.response),
            ("Reproduce", failure.curl),
        ):
            value = value.strip()
            if value and not shown(value) and not any(flat(value) in flat(line) for line in lines):
                lines.append(f"{label}: {value}")
        if lines:
            parts.append("\n".join(lines))
    if test.curl.strip() and not shown(test.curl.strip()):
        parts.append(f"Reproduce: {test.curl.strip()}")
    return "\n\n".join(parts)


def _run_properties(report: Report) -> list[tuple[str, str]]:
    """The verdict and the MUST and SHOULD coverage as ``segjobs.*`` properties."""
    coverage = report.coverage
    pairs = [("segjobs.verdict", report.verdict)]
    for item in coverage.levels:
        pairs += [(f"segjobs.{item.level.lower()}.{b}", str(item.count(b))) for b in BUCKETS]
    if coverage.undecided_causes:
        pairs.append(("segjobs.undecided_causes", "; ".join(coverage.undecided_causes)))
    if coverage.out_of_scope_causes:
        pairs.append(("segjobs.out_of_scope_causes", "; ".join(coverage.out_of_scope_causes)))
    return pairs


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
            *_run_properties(report),
        ],
    )
    for test in tests:
        _testcase(suite, report, test)
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode", short_empty_elements=True)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
