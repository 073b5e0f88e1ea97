"""report.html: self-contained, complete without script, escaped, with a lifecycle picture per job."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest
from results_factory import (
    ALSO_CURL,
    GET_404_EXCHANGE,
    GET_404_EXPECTED,
    GET_404_GOT,
    LIST_EXCHANGE,
    NO_JOB,
    NO_SANDBOX,
    READ_ONLY,
    SCHEMA_TEXT,
    UNTESTED_REASON,
)

from conformance.reporting import render_html

Results = dict[str, Any]

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
REMOTE = re.compile(r"^\s*(?:[a-z][a-z0-9+.\-]*:|//)", re.IGNORECASE)


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self) -> list[Node]:
        out = [self]
        for child in self.children:
            if isinstance(child, Node):
                out.extend(child.iter())
        return out

    def find_all(self, tag: str, **attrs: str) -> list[Node]:
        return [
            n
            for n in self.iter()
            if n.tag == tag and all(n.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())
        ]


class TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(text: str) -> Node:
    builder = TreeBuilder()
    builder.feed(text)
    builder.close()
    assert builder.stack == [builder.root], "unclosed elements: " + ", ".join(
        n.tag for n in builder.stack[1:]
    )
    return builder.root


def by_id(doc: Node, element_id: str) -> Node:
    found = [n for n in doc.iter() if n.attrs.get("id") == element_id]
    assert len(found) == 1, f"{len(found)} elements with id {element_id}"
    return found[0]


def test_the_page_is_well_formed_with_unique_ids(any_results: Results) -> None:
    doc = parse(render_html(any_results))
    ids = [n.attrs["id"] for n in doc.iter() if "id" in n.attrs]
    assert len(ids) == len(set(ids))
    assert doc.find_all("html", lang="en")
    assert doc.find_all("meta", charset="utf-8")


@pytest.mark.parametrize(
    ("maker", "word"),
    [("conformant", "CONFORMANT"), ("nonconformant", "NON-CONFORMANT"), ("incomplete", "INCOMPLETE")],
)
def test_the_verdict_is_at_the_top(maker: str, word: str, request: pytest.FixtureRequest) -> None:
    results = request.getfixturevalue(maker)
    text = render_html(results)
    doc = parse(text)
    verdict = by_id(doc, "verdict")
    assert verdict.attrs["data-verdict"] == results["verdict"]
    assert f"verdict-{results['verdict']}" in verdict.attrs["class"]
    assert word in verdict.text()
    assert text.index('id="verdict"') < text.index('id="sec-requirements"')


def test_an_aborted_run_says_why(conformant: Results) -> None:
    conformant.update(verdict="error", aborted="the target did not answer at http://127.0.0.1:9")
    verdict = by_id(parse(render_html(conformant)), "verdict")
    assert "ERROR" in verdict.text()
    assert "the target did not answer" in verdict.text()


def test_the_run_is_described(nonconformant: Results) -> None:
    text = parse(render_html(nonconformant)).text()
    for value in (
        "http://127.0.0.1:8765",
        "standard",
        "0.1.0",
        nonconformant["suite"]["spec_sha256"],
        "20261129",
        "2026-11-29 16:00:00 UTC",
        "14.7 s",
    ):
        assert value in text


def test_every_requirement_has_a_row_readable_without_script(any_results: Results) -> None:
    doc = parse(render_html(any_results))
    table = by_id(doc, "requirements-table")
    rows = [r for r in table.find_all("tr") if "data-requirement" in r.attrs]
    assert [r.attrs["data-requirement"] for r in rows] == [r["id"] for r in any_results["requirements"]]
    for row, req in zip(rows, any_results["requirements"], strict=True):
        assert "hidden" not in row.attrs
        assert row.attrs["data-outcome"] == req["outcome"]
        assert row.attrs["data-level"] == req["level"]
        cells = [c.text() for c in row.find_all("td")]
        assert cells[0] == req["id"]
        assert cells[1] == req["level"]
        assert req["title"] in cells[2]
        assert req["quote"] in cells[2]
        assert req["source"] in cells[3]
        assert cells[4].lower() == req["outcome"]
    # the filter controls are there, hidden until the script shows them
    filters = by_id(doc, "filters")
    assert "hidden" in filters.attrs
    boxes = {i.attrs["value"] for i in filters.find_all("input", type="checkbox")}
    assert boxes == {r["outcome"] for r in any_results["requirements"]}
    levels = {o.attrs["value"] for o in filters.find_all("option")} - {""}
    assert levels == {r["level"] for r in any_results["requirements"]}


def test_sources_link_inside_the_page(nonconformant: Results) -> None:
    doc = parse(render_html(nonconformant))
    ids = {n.attrs["id"] for n in doc.iter() if "id" in n.attrs}
    hrefs = [a.attrs["href"] for a in doc.find_all("a")]
    assert "#bulk-get" in hrefs
    for href in hrefs:
        assert href.startswith("#"), href
        assert href[1:] in ids, f"{href} points nowhere"
    # a source that is not a documentation anchor is shown, not linked
    row = by_id(doc, "req-SJ-LIST-004")
    assert "RFC 9457" in row.text()
    assert not row.find_all("a")


def test_nothing_is_loaded_from_anywhere(any_results: Results) -> None:
    text = render_html(any_results)
    doc = parse(text)
    for node in doc.iter():
        for name in ("src", "href", "action", "data", "poster", "srcset", "formaction", "background"):
            value = node.attrs.get(name)
            if value is None:
                continue
            assert not REMOTE.match(value) or value.startswith("data:"), f"<{node.tag} {name}={value!r}>"
        assert not (node.tag == "link" and "stylesheet" in node.attrs.get("rel", "").lower())
        assert not (node.tag == "script" and "src" in node.attrs)
        assert node.tag not in ("iframe", "object", "embed", "img", "base")
    styles = " ".join(n.text() for n in doc.find_all("style"))
    assert "@import" not in styles
    assert "url(" not in styles
    assert "@font-face" not in styles
    csp = [m for m in doc.find_all("meta") if m.attrs.get("http-equiv") == "Content-Security-Policy"]
    assert len(csp) == 1
    assert "default-src 'none'" in csp[0].attrs["content"]


def test_every_value_is_escaped(nonconformant: Results) -> None:
    nonconformant["requirements"][0]["title"] = "<script>alert('title')</script>"
    nonconformant["requirements"][0]["quote"] = '"><img src=x onerror=alert(1)>'
    nonconformant["target"]["base_url"] = "http://127.0.0.1:1/<b>bold</b>"
    failing = next(r for r in nonconformant["requirements"] if r["failures"])
    failing["failures"][0]["response"] = "HTTP 500\n\n<html><script>evil()</script></html>"
    nonconformant["jobs"][0]["id"] = "<svg onload=alert(1)>"
    text = render_html(nonconformant)
    doc = parse(text)
    assert len(doc.find_all("script")) == 1
    assert not doc.find_all("img")
    assert not doc.find_all("b")
    assert not [n for n in doc.iter() if any(k.startswith("on") for k in n.attrs)]
    assert "&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt;" in text
    assert "<script>alert('title')</script>" in doc.text()


def test_each_failure_shows_what_reproduces_it(nonconformant: Results) -> None:
    doc = parse(render_html(nonconformant))
    section = by_id(doc, "sec-failures")
    pres = [p.text() for p in section.find_all("pre")]
    for req in nonconformant["requirements"]:
        for failure in req["failures"]:
            article = by_id(doc, f"failure-{req['id']}")
            assert failure["test"] in article.text()
            for key in ("message", "request", "response", "curl"):
                assert failure[key] in pres, (req["id"], key)
    # a failed test that no requirement failure covers is still shown
    orphan = next(t for t in nonconformant["tests"] if t["name"] == "test_list_is_newest_first")
    assert orphan["message"] in pres
    assert orphan["curl"] in pres
    # the outcome badge of a failed requirement links to its failure
    row = by_id(doc, "req-SJ-CANCEL-001")
    assert [a.attrs["href"] for a in row.find_all("a") if "badge" in a.attrs.get("class", "")] == [
        "#failure-SJ-CANCEL-001"
    ]


def test_disabled_and_skipped_requirements_say_why(nonconformant: Results) -> None:
    # an old results.json: the reasons come from the skipped tests, without their prefix
    doc = parse(render_html(nonconformant))
    sandbox = by_id(doc, "req-SJ-SANDBOX-001").text()
    assert "Out of scope: SEGJOBS_SECOND_SANDBOX_NAME is not set" in sandbox
    assert "Undecided: the target answered 400" in by_id(doc, "req-SJ-LIST-005").text()
    assert f"Undecided: {UNTESTED_REASON}" in by_id(doc, "req-SJ-META-001").text()
    assert "Undecided: SJ-BULK-001: timed out" in by_id(doc, "req-SJ-BULK-001").text()


def _reason_divs(row: Node) -> list[Node]:
    return [n for n in row.find_all("div") if "reason" in n.attrs.get("class", "").split()]


def test_every_requirement_not_judged_shows_its_reason_in_its_row(any_results: Results) -> None:
    doc = parse(render_html(any_results))
    for req in any_results["requirements"]:
        row = by_id(doc, f"req-{req['id']}")
        reasons = _reason_divs(row)
        if req["outcome"] in ("pass", "fail"):
            assert not reasons, req["id"]
            continue
        assert len(reasons) == 1, req["id"]
        kind = "Out of scope:" if req["outcome"] == "disabled" else "Undecided:"
        assert reasons[0].text().startswith(kind)
        assert "title" not in reasons[0].attrs  # shown, not only on hover
        if req.get("reason"):
            assert req["reason"] in reasons[0].text()
        assert row.attrs["data-scope"] in ("out_of_scope", "undecided")


def test_an_incomplete_run(incomplete: Results) -> None:
    text = render_html(incomplete)
    doc = parse(text)
    verdict = by_id(doc, "verdict")
    assert verdict.attrs["data-verdict"] == "incomplete"
    assert "verdict-incomplete" in verdict.attrs["class"]
    assert "verdict-conformant" not in verdict.attrs["class"]
    assert "INCOMPLETE" in verdict.text()
    assert (
        "No requirement in scope failed, but 2 MUST requirements and 1 SHOULD requirement in scope could not "
        "be judged (no job to read; suite error; not run)."
    ) in verdict.text()
    style = " ".join(n.text() for n in doc.find_all("style"))
    colours = dict(re.findall(r"\.verdict-(\w+) \{ background: ([^;]+);", style))
    assert colours["incomplete"] not in (colours["conformant"], colours["nonconformant"], colours["error"])
    assert "<title>Conformance: INCOMPLETE" in text
    # the rows say why
    assert f"Undecided: {NO_JOB}" in by_id(doc, "req-SJ-GET-001").text()
    assert f"Out of scope: {READ_ONLY}" in by_id(doc, "req-SJ-CREATE-001").text()
    assert f"Out of scope: {NO_SANDBOX}" in by_id(doc, "req-SJ-SANDBOX-001").text()


def test_the_coverage_is_counted(incomplete: Results) -> None:
    coverage = by_id(parse(render_html(incomplete)), "coverage")
    table = {
        row.attrs["data-level"]: {
            c.attrs["data-bucket"]: int(c.text()) for c in row.find_all("td") if "data-bucket" in c.attrs
        }
        for row in coverage.find_all("tr")
        if "data-level" in row.attrs
    }
    assert table == {
        "MUST": {"passed": 5, "failed": 0, "undecided": 2, "out_of_scope": 9},
        "SHOULD": {"passed": 2, "failed": 0, "undecided": 1, "out_of_scope": 0},
    }
    lines = [li.text() for li in coverage.find_all("li") if "data-level" in li.attrs]
    assert lines == [
        "MUST: 5 passed, 0 failed, 2 undecided (no job to read; suite error), "
        "9 out of scope (read-only; no failing segment; no second sandbox)",
        "SHOULD: 2 passed, 0 failed, 1 undecided (not run), 0 out of scope",
    ]
    listed = [a.attrs["href"] for a in coverage.find_all("a")]
    assert listed == ["#req-SJ-GET-001", "#req-SJ-BULK-001", "#req-SJ-META-001"]
    assert NO_JOB in coverage.text()
    assert "records no coverage" not in coverage.text()


def test_an_old_results_file_gets_its_coverage_derived(nonconformant: Results) -> None:
    coverage = by_id(parse(render_html(nonconformant)), "coverage")
    assert "records no coverage" in coverage.text()
    lines = [li.text() for li in coverage.find_all("li") if "data-level" in li.attrs]
    assert lines[0].startswith("MUST: 9 passed, 4 failed, 1 undecided (suite error), 2 out of scope")


def _count(text: str, value: str) -> int:
    return text.count(html.escape(value, quote=True))


def test_each_failure_appears_once(checks: Results) -> None:
    text = render_html(checks)
    doc = parse(text)
    request, response, curl = GET_404_EXCHANGE
    # one check recorded under SJ-GET-002, SJ-ERR-001 and (blocked) SJ-BULK-001: shown in full once
    for value in (GET_404_EXPECTED, GET_404_GOT, request, response, curl):
        assert _count(text, value) == 1, value
    full = by_id(doc, "failure-SJ-GET-002")
    pres = {p.attrs.get("class", ""): p.text() for p in full.find_all("pre")}
    assert pres["expected"] == GET_404_EXPECTED
    assert pres["msg"] == GET_404_GOT
    assert pres["curl"] == curl
    assert [p.text() for p in full.find_all("pre") if not p.attrs] == [request, response]
    assert "[SJ-GET-002]" not in full.text()  # the heading line of the message is not repeated
    for other in ("failure-SJ-ERR-001", "failure-SJ-BULK-001"):
        article = by_id(doc, other)
        assert not article.find_all("pre")
        assert [a.attrs["href"] for a in article.find_all("a")] == ["#failure-SJ-GET-002"]
        assert "test_unknown_id_is_404" in article.text()
    note = "not decided: the test stopped at a failure of SJ-GET-002, SJ-ERR-001"
    assert note in by_id(doc, "failure-SJ-BULK-001").text()


def test_extra_detail_of_a_failure_is_collapsed_below_it(checks: Results) -> None:
    text = render_html(checks)
    article = by_id(parse(text), "failure-SJ-LIST-004")
    got = next(p for p in article.find_all("pre") if p.attrs.get("class") == "msg")
    assert got.text() == "Response violates schema: \u2026"
    details = article.find_all("details")
    assert len(details) == 1
    assert "open" not in details[0].attrs
    assert "1 more finding" in details[0].find_all("summary")[0].text()
    detail = details[0].find_all("pre")[0].text()
    assert detail.startswith(SCHEMA_TEXT)
    assert "also [SJ-LIST-004] HTTP 200 to an unknown query parameter" in detail
    assert "generated with seed 7" in detail
    # the finding's own text and the "also" lines appear once, in the detail, after the panes
    assert _count(text, SCHEMA_TEXT) == 1
    assert _count(text, ALSO_CURL) == 1
    for value in LIST_EXCHANGE:
        assert _count(text, value) == 1, value
    labels = [dt.text() for dt in article.find_all("dt")]
    assert labels == ["Test", "Expected", "Got", "Request", "Response", "Reproduce", "Detail"]


def test_each_job_has_a_lifecycle_picture(nonconformant: Results) -> None:
    doc = parse(render_html(nonconformant))
    figures = [f for f in doc.find_all("figure") if "data-job" in f.attrs]
    assert [f.attrs["data-job"] for f in figures] == [j["id"] for j in nonconformant["jobs"]]
    for figure, job in zip(figures, nonconformant["jobs"], strict=True):
        svgs = figure.find_all("svg")
        assert len(svgs) == 1
        svg = svgs[0]
        labels = [t.text() for t in svg.find_all("text")]
        assert labels[:7] == ["NEW", "QUEUED", "PROCESSING", "CANCELLING", "SUCCEEDED", "FAILED", "CANCELLED"]
        assert len(svg.find_all("path")) == 1  # the step line
        assert len(svg.find_all("circle")) == len(job["observations"])  # a dot per observation
    by_job = {f.attrs["data-job"]: f for f in figures}
    regress = by_job["c0ffee00-1234-4bad-8bad-0000000000aa"]
    illegal = regress.find_all("line", **{"class": "illegal"})
    assert len(illegal) == 1
    assert illegal[0].attrs["stroke"] == "#c81e1e"
    # drawn going back up: the end of the red line is higher (smaller y) than its start
    assert float(illegal[0].attrs["y2"]) < float(illegal[0].attrs["y1"])
    assert "illegal transition" in regress.text()
    stuck = by_job["deadbeef-5678-4ace-9ace-0000000000bb"]
    assert stuck.find_all("circle", **{"class": "stuck"})
    assert "not terminal" in stuck.text()
    for ok in nonconformant["jobs"][:2]:
        assert not by_job[ok["id"]].find_all("line", **{"class": "illegal"})


def test_a_regression_inside_the_running_statuses_is_red_too(conformant: Results) -> None:
    conformant["jobs"] = [
        {
            "id": "j",
            "observations": [
                {"t": 0, "status": "NEW"},
                {"t": 1, "status": "PROCESSING"},
                {"t": 2, "status": "QUEUED"},
                {"t": 3, "status": "WEIRD"},
            ],
        }
    ]
    svg = parse(render_html(conformant)).find_all("svg")[0]
    assert len(svg.find_all("line", **{"class": "illegal"})) == 2  # PROCESSING -> QUEUED, QUEUED -> WEIRD
    assert "WEIRD" in [t.text() for t in svg.find_all("text")]  # an unknown status gets its own row


def test_many_observations_keep_the_picture_small(conformant: Results) -> None:
    observations = [{"t": i * 0.05, "status": "PROCESSING" if i < 300 else "SUCCEEDED"} for i in range(600)]
    conformant["jobs"] = [{"id": "busy", "observations": observations}]
    svg = parse(render_html(conformant)).find_all("svg")[0]
    assert len(svg.find_all("circle")) == 3  # first, the change, last


def test_no_jobs_and_no_failures_say_so(conformant: Results) -> None:
    conformant["jobs"] = []
    text = parse(render_html(conformant)).text()
    assert "No job lifecycles were recorded" in text
    assert "No failures and no errors." in text


def test_a_minimal_results_dict_renders() -> None:
    doc = parse(render_html({"verdict": "conformant"}))
    assert "CONFORMANT" in by_id(doc, "verdict").text()


def test_the_page_prints(nonconformant: Results) -> None:
    style = " ".join(n.text() for n in parse(render_html(nonconformant)).find_all("style"))
    assert "@media print" in style
    assert "tr[hidden] { display: table-row !important; }" in style


def test_job_times_start_at_the_first_observation(conformant: Results) -> None:
    conformant["jobs"] = [
        {
            "id": "late",
            "observations": [
                {"t": 30.0, "status": "NEW"},
                {"t": 31.0, "status": "SUCCEEDED"},
                {"t": 31.5, "status": "PROCESSING"},
            ],
        }
    ]
    figure = parse(render_html(conformant)).find_all("figure")[0]
    caption = figure.find_all("figcaption")[0].text()
    assert "NEW \u2192 SUCCEEDED \u2192 PROCESSING" in caption  # the regression is in the words too
    assert "over 1.50 s from 30.00 s into the run" in caption
    assert "SUCCEEDED \u2192 PROCESSING at 1.50 s" in caption
    ticks = [t.text() for t in figure.find_all("text")][7:]
    assert float(ticks[0]) == 0
