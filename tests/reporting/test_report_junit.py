"""junit.xml: valid against the JUnit subset CI systems read, and in agreement with the results."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from junitparser import Error, Failure, JUnitXml, Skipped
from results_factory import GET_404_EXCHANGE, NO_FAILING, NO_JOB, NO_SANDBOX, READ_ONLY

from conformance.reporting import render_junit, write_reports

Results = dict[str, Any]

XSD = Path(__file__).with_name("junit.xsd")
XS = "{http://www.w3.org/2001/XMLSchema}"


class SchemaError(AssertionError):
    pass


class SubsetSchema:
    """An interpreter of the part of XML Schema that junit.xsd uses.

    Global elements (by ``ref``), named simple types restricted by ``xs:pattern``, complex types with
    ``xs:sequence``/``xs:choice`` (``minOccurs``/``maxOccurs``), attributes (``use="required"``, no
    undeclared attribute), ``xs:simpleContent`` (text, no child element) and element-only content
    (whitespace only between children).
    """

    def __init__(self, path: Path) -> None:
        root = ET.parse(path).getroot()
        self.elements = {e.get("name"): e for e in root.findall(f"{XS}element")}
        self.types = {t.get("name"): t for t in root.findall(f"{XS}simpleType")}

    def validate(self, element: ET.Element) -> None:
        decl = self.elements.get(element.tag)
        if decl is None:
            raise SchemaError(f"undeclared element <{element.tag}>")
        simple_type = decl.get("type")
        if simple_type is not None:
            if len(element) or element.attrib:
                raise SchemaError(f"<{element.tag}> takes text only")
            self.check_value(simple_type, element.text or "", element.tag)
            return
        ctype = decl.find(f"{XS}complexType")
        assert ctype is not None
        simple = ctype.find(f"{XS}simpleContent")
        if simple is not None:
            extension = simple.find(f"{XS}extension")
            assert extension is not None
            if len(element):
                raise SchemaError(f"<{element.tag}> takes text only, got <{element[0].tag}>")
            self.check_value(extension.get("base", "xs:string"), element.text or "", element.tag)
            self.check_attributes(element, extension.findall(f"{XS}attribute"))
            return
        self.check_attributes(element, ctype.findall(f"{XS}attribute"))
        texts = [element.text or ""] + [child.tail or "" for child in element]
        if any(t.strip() for t in texts):
            raise SchemaError(f"<{element.tag}> has text between its elements")
        model = next((c for c in ctype if c.tag in (f"{XS}sequence", f"{XS}choice")), None)
        children = list(element)
        end = 0 if model is None else self.match(model, children, 0)
        if end is None or end != len(children):
            at = children[end].tag if end is not None and end < len(children) else "?"
            raise SchemaError(f"<{element.tag}>: unexpected child <{at}> in {[c.tag for c in children]}")
        for child in children:
            self.validate(child)

    def check_attributes(self, element: ET.Element, declared: list[ET.Element]) -> None:
        by_name = {a.get("name"): a for a in declared}
        for name, value in element.attrib.items():
            if name not in by_name:
                raise SchemaError(f"<{element.tag}>: undeclared attribute {name}")
            self.check_value(by_name[name].get("type", "xs:string"), value, f"{element.tag}@{name}")
        for name, decl in by_name.items():
            if decl.get("use") == "required" and name not in element.attrib:
                raise SchemaError(f"<{element.tag}>: missing required attribute {name}")

    def check_value(self, type_name: str, value: str, where: str) -> None:
        builtin = {
            "xs:string": r"(?s).*",
            "xs:nonNegativeInteger": r"\+?[0-9]+",
            "xs:decimal": r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)",
        }
        if type_name in builtin:
            if not re.fullmatch(builtin[type_name], value):
                raise SchemaError(f"{where}: {value!r} is not a {type_name}")
            return
        simple = self.types[type_name]
        restriction = simple.find(f"{XS}restriction")
        assert restriction is not None
        self.check_value(restriction.get("base", "xs:string"), value, where)
        for pattern in restriction.findall(f"{XS}pattern"):
            if not re.fullmatch(pattern.get("value", ""), value):
                raise SchemaError(f"{where}: {value!r} does not match {pattern.get('value')}")

    def match(self, particle: ET.Element, children: list[ET.Element], pos: int) -> int | None:
        """Matches ``particle`` with its occurrence bounds from ``pos``; the new position or None."""
        low = int(particle.get("minOccurs", "1"))
        high_text = particle.get("maxOccurs", "1")
        high = None if high_text == "unbounded" else int(high_text)
        count = 0
        while high is None or count < high:
            new = self.match_once(particle, children, pos)
            if new is None:
                break
            if new == pos:
                count = max(count, low)
                break
            pos, count = new, count + 1
        return pos if count >= low else None

    def match_once(self, particle: ET.Element, children: list[ET.Element], pos: int) -> int | None:
        if particle.tag == f"{XS}element":
            ok = pos < len(children) and children[pos].tag == particle.get("ref")
            return pos + 1 if ok else None
        if particle.tag == f"{XS}sequence":
            for item in particle:
                new = self.match(item, children, pos)
                if new is None:
                    return None
                pos = new
            return pos
        if particle.tag == f"{XS}choice":
            for item in particle:
                new = self.match(item, children, pos)
                if new is not None and new > pos:
                    return new
            return None
        raise SchemaError(f"unsupported schema particle {particle.tag}")


@pytest.fixture(scope="module")
def schema() -> SubsetSchema:
    return SubsetSchema(XSD)


def _tests_by_case(results: Results) -> dict[tuple[str, str], dict[str, Any]]:
    return {(t.get("group") or t["id"].split("::")[0], t["name"]): t for t in results["tests"]}


def test_junit_is_valid_against_the_schema(any_results: Results, schema: SubsetSchema) -> None:
    schema.validate(ET.fromstring(render_junit(any_results)))


@pytest.mark.parametrize(
    "document",
    [
        "<testsuites><testsuite tests='1'/></testsuites>",  # testsuite without name
        "<testsuites><testsuite name='s' tests='x'/></testsuites>",  # count not a number
        "<testsuites><testsuite name='s' tests='1'><testcase name='t' classname='c'>"
        "<failure/><properties/></testcase></testsuite></testsuites>",  # properties after the failure
        "<testsuites><testsuite name='s' tests='1'><testcase name='t' classname='c'>"
        "<skipped/><failure/></testcase></testsuite></testsuites>",  # skipped and failed at once
        "<testsuites><testsuite name='s' tests='1'><testcase name='t' classname='c' verdict='x'/>"
        "</testsuite></testsuites>",  # undeclared attribute
        "<testsuites><testsuite name='s' tests='1' timestamp='2026-11-29T16:00:00Z'/></testsuites>",
    ],
)
def test_the_schema_check_rejects_what_ci_systems_reject(document: str, schema: SubsetSchema) -> None:
    with pytest.raises(SchemaError):
        schema.validate(ET.fromstring(document))


def test_counts_agree_with_the_tests_list(any_results: Results, tmp_path: Path) -> None:
    write_reports(any_results, tmp_path)
    xml = JUnitXml.fromfile(str(tmp_path / "junit.xml"))
    suites = list(xml)
    assert [s.name for s in suites] == ["segment-jobs-conformance"]
    suite = suites[0]
    tests = any_results["tests"]
    outcomes = [t["outcome"] for t in tests]
    expected = {
        "tests": len(tests),
        "failures": outcomes.count("failed"),
        "errors": outcomes.count("error"),
        "skipped": outcomes.count("skipped"),
    }
    for holder in (xml, suite):
        assert {k: getattr(holder, k) for k in expected} == expected
    cases = list(suite)
    assert len(cases) == len(tests)
    assert sum(1 for c in cases if any(isinstance(r, Failure) for r in c.result)) == expected["failures"]
    assert sum(1 for c in cases if any(isinstance(r, Error) for r in c.result)) == expected["errors"]
    assert sum(1 for c in cases if c.is_skipped) == expected["skipped"]
    assert suite.time == pytest.approx(sum(round(t["duration_s"], 3) for t in tests), abs=1e-6)
    by_case = _tests_by_case(any_results)
    for case in cases:
        test = by_case[(case.classname, case.name)]
        assert case.time == pytest.approx(test["duration_s"], abs=5e-4)


def test_suite_properties_describe_the_run(nonconformant: Results) -> None:
    root = ET.fromstring(render_junit(nonconformant))
    suite = root.find("testsuite")
    assert suite is not None
    assert suite.get("timestamp") == "2026-11-29T16:00:00"
    props = {p.get("name"): p.get("value") for p in suite.findall("properties/property")}
    assert props == {
        "version": "0.1.0",
        "spec_sha256": nonconformant["suite"]["spec_sha256"],
        "seed": "20261129",
        "base_url": "http://127.0.0.1:8765",
        "profile": "standard",
        "verdict": "nonconformant",
        # an old results.json: the coverage is derived from the requirement rows
        "segjobs.verdict": "nonconformant",
        "segjobs.must.passed": "9",
        "segjobs.must.failed": "4",
        "segjobs.must.undecided": "1",
        "segjobs.must.out_of_scope": "2",
        "segjobs.should.passed": "2",
        "segjobs.should.failed": "0",
        "segjobs.should.undecided": "1",
        "segjobs.should.out_of_scope": "0",
        "segjobs.undecided_causes": "suite error; not run",
        "segjobs.out_of_scope_causes": (
            "SEGJOBS_FAILING_SEGMENT_ID is not set; SEGJOBS_SECOND_SANDBOX_NAME is not set"
        ),
    }


def test_an_incomplete_run_has_its_verdict_and_coverage(incomplete: Results, schema: SubsetSchema) -> None:
    root = ET.fromstring(render_junit(incomplete))
    schema.validate(root)
    suite = root.find("testsuite")
    assert suite is not None
    props = {p.get("name"): p.get("value") for p in suite.findall("properties/property")}
    assert props["verdict"] == props["segjobs.verdict"] == "incomplete"
    coverage = incomplete["coverage"]
    for level in ("MUST", "SHOULD"):
        for bucket in ("passed", "failed", "undecided", "out_of_scope"):
            assert props[f"segjobs.{level.lower()}.{bucket}"] == str(coverage[level][bucket])
    assert props["segjobs.must.undecided"] == "2"
    assert props["segjobs.undecided_causes"] == "no job to read; suite error; not run"
    assert props["segjobs.out_of_scope_causes"] == "read-only; no failing segment; no second sandbox"


def test_undecided_and_disabled_tests_follow_skip_kind(incomplete: Results, tmp_path: Path) -> None:
    write_reports(incomplete, tmp_path)
    suite = next(iter(JUnitXml.fromfile(str(tmp_path / "junit.xml"))))
    messages = {c.name: r.message for c in suite for r in c.result if isinstance(r, Skipped)}
    assert messages["test_get_returns_the_job"] == f"skip: {NO_JOB}"
    assert messages["test_create_answers_new_job"] == f"disabled: {READ_ONLY}"
    assert messages["test_jobs_invisible_from_other_sandbox"] == f"disabled: {NO_SANDBOX}"
    assert messages["test_failed_job_has_errors"] == f"disabled: {NO_FAILING}"
    assert len(messages) == sum(1 for t in incomplete["tests"] if t["outcome"] == "skipped")


def test_a_failure_text_says_each_thing_once(checks: Results) -> None:
    root = ET.fromstring(render_junit(checks))
    case = next(c for c in root.iter("testcase") if c.get("name") == "test_unknown_id_is_404")
    failure = case.find("failure")
    assert failure is not None
    text = failure.text or ""
    message = next(t for t in checks["tests"] if t["name"] == "test_unknown_id_is_404")["message"]
    assert text.startswith(message)
    request, _, curl = GET_404_EXCHANGE
    # the check is recorded under three requirements, and the message carries its request, response and curl
    assert text.count(curl) == 1
    assert text.count(request) == 1
    assert text.count("HTTP 500 (application/json)") == 1
    assert text.count("expected: HTTP status [404]") == 1


def test_each_testcase_names_its_requirements(nonconformant: Results) -> None:
    root = ET.fromstring(render_junit(nonconformant))
    cases = root.findall("testsuite/testcase")
    assert len(cases) == len(nonconformant["tests"])
    for case, test in zip(cases, nonconformant["tests"], strict=True):
        assert case.get("name") == test["name"]
        assert case.get("classname") == test["group"]
        reqs = [p.get("value") for p in case.findall("properties/property") if p.get("name") == "requirement"]
        assert reqs == test["requirements"]


def test_failures_carry_the_message_and_the_curl_line(nonconformant: Results, tmp_path: Path) -> None:
    write_reports(nonconformant, tmp_path)
    suite = next(iter(JUnitXml.fromfile(str(tmp_path / "junit.xml"))))
    cases = {c.name: c for c in suite}
    for test in nonconformant["tests"]:
        if test["outcome"] not in ("failed", "error"):
            continue
        kind = Failure if test["outcome"] == "failed" else Error
        results = [r for r in cases[test["name"]].result if isinstance(r, kind)]
        assert len(results) == 1
        assert results[0].message == " ".join(test["message"].split())
        assert test["message"] in results[0].text
        assert test["curl"] in results[0].text
    cancel = next(r for r in cases["test_cancel_answers_204"].result if isinstance(r, Failure))
    assert "Request: DELETE /segment/jobs/" in cancel.text
    assert '{"status": "CANCELLING"}' in cancel.text


def test_disabled_and_skipped_are_told_apart(nonconformant: Results, tmp_path: Path) -> None:
    write_reports(nonconformant, tmp_path)
    suite = next(iter(JUnitXml.fromfile(str(tmp_path / "junit.xml"))))
    messages = {c.name: r.message for c in suite for r in c.result if isinstance(r, Skipped)}
    assert messages == {
        "test_failed_job_has_errors": "disabled: SEGJOBS_FAILING_SEGMENT_ID is not set",
        "test_jobs_invisible_from_other_sandbox": "disabled: SEGJOBS_SECOND_SANDBOX_NAME is not set",
        "test_sort_by_status": "skip: the target answered 400 'sort by status is not supported'",
    }


def test_a_skip_without_prefix_or_reason_is_a_skip(conformant: Results) -> None:
    conformant["tests"][0].update(outcome="skipped", reason="server says no")
    conformant["tests"][1].update(outcome="skipped", reason=None)
    root = ET.fromstring(render_junit(conformant))
    skipped = [s.get("message") for s in root.iter("skipped")]
    assert "skip: server says no" in skipped
    assert "skip: no reason given" in skipped


def test_classname_falls_back_to_the_module(conformant: Results) -> None:
    conformant["tests"][0]["group"] = ""
    root = ET.fromstring(render_junit(conformant))
    first = root.find("testsuite/testcase")
    assert first is not None
    assert first.get("classname") == "conformance.suite.test_listing"


def test_text_xml_cannot_carry_is_replaced(nonconformant: Results, schema: SubsetSchema) -> None:
    test = next(t for t in nonconformant["tests"] if t["outcome"] == "failed")
    test["message"] = 'bad bytes \x00\x1b[31m and <tags> & "quotes"'
    text = render_junit(nonconformant)
    root = ET.fromstring(text)
    schema.validate(root)
    failure = next(root.iter("failure"))
    assert '<tags> & "quotes"' in (failure.text or "")
    assert "\x00" not in text


def test_an_empty_run_is_still_valid(schema: SubsetSchema) -> None:
    root = ET.fromstring(render_junit({"verdict": "error"}))
    schema.validate(root)
    assert root.get("tests") == "0"
