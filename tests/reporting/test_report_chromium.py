"""report.html in a real browser: headless Chromium renders it, runs its script, and fetches nothing.

Skipped when Chromium is not installed (``apt-get install -y chromium`` provides ``/usr/bin/chromium``).
With ``SEGJOBS_UPDATE_SCREENSHOT=1`` the screenshot test also refreshes ``docs/report-screenshot.png``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from conformance.reporting import write_reports

Results = dict[str, Any]

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "report-screenshot.png"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="headless Chromium is not installed (/usr/bin/chromium is absent; apt-get install -y chromium)",
)

#: Quiet, isolated, offline: every host name resolves to nothing.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--no-pings",
    "--disable-domain-reliability",
    "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND",
)

#: The initiator Chromium records for its own background requests (updater, account check): no page made them.
BROWSER_OWN = "not an origin"


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / "chromium-profile"
    command = [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


class Dom(HTMLParser):
    """What the checks need from a serialized DOM: attributes by element, and the verdict's text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.verdict_text = ""
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.elements.append((tag, values))
        if values.get("id") == "verdict":
            self._depth = 1
        elif self._depth and tag not in ("br", "img", "input", "meta", "link"):
            self._depth += 1

    def handle_endtag(self, tag: str) -> None:
        if self._depth:
            self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._depth:
            self.verdict_text += data


@pytest.fixture
def report(nonconformant: Results, tmp_path: Path) -> Path:
    write_reports(nonconformant, tmp_path / "report")
    return tmp_path / "report" / "report.html"


def test_the_rendered_page_shows_the_verdict_and_every_requirement(
    report: Path, nonconformant: Results, tmp_path: Path
) -> None:
    dom_text = chromium(tmp_path, "--dump-dom", report.as_uri()).stdout
    dom = Dom()
    dom.feed(dom_text)
    assert "NON-CONFORMANT" in dom.verdict_text
    rows = [a["data-requirement"] for tag, a in dom.elements if tag == "tr" and "data-requirement" in a]
    assert rows == [r["id"] for r in nonconformant["requirements"]]
    # the inline script ran under the page's Content-Security-Policy: the filters are shown, all rows too
    filters = next(a for tag, a in dom.elements if a.get("id") == "filters")
    assert "hidden" not in filters
    assert not [a for tag, a in dom.elements if tag == "tr" and "hidden" in a]
    total = len(nonconformant["requirements"])
    assert f"Showing {total} of {total} requirements" in dom_text
    assert sum(1 for tag, a in dom.elements if tag == "svg" and "lifecycle" in a.get("class", "")) == len(
        nonconformant["jobs"]
    )


def _page_requests(net_log: Path) -> list[str]:
    """URLs of the requests a page started (Chromium's own background requests left out)."""
    data, _ = json.JSONDecoder().raw_decode(net_log.read_text(encoding="utf-8"))
    start_job = data["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    urls = []
    for event in data["events"]:
        params = event.get("params") or {}
        if event["type"] == start_job and "url" in params and params.get("initiator") != BROWSER_OWN:
            urls.append(params["url"])
    return urls


def test_the_page_requests_nothing_from_the_network(report: Path, tmp_path: Path) -> None:
    # control: the same check does see a page that fetches from elsewhere
    leaky = tmp_path / "leaky.html"
    leaky.write_text(
        '<!DOCTYPE html><html><body><img src="http://example.invalid/x.png">'
        '<link rel="stylesheet" href="https://fonts.example.invalid/a.css">hello</body></html>',
        encoding="utf-8",
    )
    leaky_log = tmp_path / "leaky-net-log.json"
    chromium(tmp_path, f"--log-net-log={leaky_log}", "--dump-dom", leaky.as_uri())
    assert {u.split("/")[2] for u in _page_requests(leaky_log)} == {
        "example.invalid",
        "fonts.example.invalid",
    }

    net_log = tmp_path / "net-log.json"
    chromium(tmp_path, f"--log-net-log={net_log}", "--dump-dom", report.as_uri())
    requests = _page_requests(net_log)
    assert all(url.startswith(("file:", "data:")) for url in requests), requests


def test_screenshot(report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,1600", report.as_uri())
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 50_000  # a rendered page, not a blank one
    if os.environ.get("SEGJOBS_UPDATE_SCREENSHOT") == "1":
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, SCREENSHOT)


def test_the_page_prints(report: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    chromium(tmp_path, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", report.as_uri())
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    assert data.count(b"/Type /Page") - data.count(b"/Type /Pages") >= 2


def test_an_incomplete_run_renders_its_verdict_and_keeps_details_closed(
    incomplete: Results, checks: Results, tmp_path: Path
) -> None:
    runs = (("incomplete", incomplete, "INCOMPLETE"), ("checks", checks, "NON-CONFORMANT"))
    for name, results, word in runs:
        write_reports(results, tmp_path / name)
        page = tmp_path / name / "report.html"
        dom_text = chromium(tmp_path, "--dump-dom", page.as_uri()).stdout
        dom = Dom()
        dom.feed(dom_text)
        assert word in dom.verdict_text
        details = [a for tag, a in dom.elements if tag == "details"]
        assert not [a for a in details if "open" in a]
    assert details  # the property-test finding of the checks run has its detail, collapsed
