"""write_reports() and rebuild(): the files, their place, and the public names of the package."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import conformance.reporting as reporting
from conformance.reporting import rebuild, render_html, render_junit, render_summary, write_reports

Results = dict[str, Any]


def test_public_names() -> None:
    assert sorted(reporting.__all__) == [
        "HTML_FILE",
        "JUNIT_FILE",
        "SUMMARY_FILE",
        "rebuild",
        "render_html",
        "render_junit",
        "render_summary",
        "write_reports",
    ]


def test_write_reports_writes_the_three_files(nonconformant: Results, tmp_path: Path) -> None:
    target = tmp_path / "new" / "dir"
    paths = write_reports(nonconformant, target)
    assert paths == [target / "junit.xml", target / "report.html", target / "summary.md"]
    assert sorted(p.name for p in target.iterdir()) == ["junit.xml", "report.html", "summary.md"]
    assert paths[0].read_text(encoding="utf-8") == render_junit(nonconformant)
    assert paths[1].read_text(encoding="utf-8") == render_html(nonconformant)
    assert paths[2].read_text(encoding="utf-8") == render_summary(nonconformant)


def test_rendering_is_deterministic(nonconformant: Results) -> None:
    for render in (render_junit, render_html, render_summary):
        assert render(nonconformant) == render(json.loads(json.dumps(nonconformant)))


def test_rebuild_gives_the_same_files(
    nonconformant: Results, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SEGJOBS_ACCESS_TOKEN", raising=False)
    monkeypatch.delenv("SEGJOBS_API_KEY", raising=False)
    direct = write_reports(nonconformant, tmp_path / "direct")
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    results_path = run_dir / "results.json"
    results_path.write_text(json.dumps(nonconformant, indent=2), encoding="utf-8")

    rebuilt = rebuild(results_path)
    assert [p.parent for p in rebuilt] == [run_dir] * 3
    for a, b in zip(direct, rebuilt, strict=True):
        assert a.name == b.name
        assert a.read_bytes() == b.read_bytes()

    elsewhere = rebuild(results_path, tmp_path / "elsewhere")
    assert [p.parent for p in elsewhere] == [tmp_path / "elsewhere"] * 3
    assert sorted(p.name for p in run_dir.iterdir()) == [
        "junit.xml",
        "report.html",
        "results.json",
        "summary.md",
    ]


def test_rebuild_masks_the_secrets_of_the_environment(
    nonconformant: Results, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEGJOBS_ACCESS_TOKEN", "env-token-0123456789")
    nonconformant["tests"][0]["message"] = "echoed env-token-0123456789"
    results_path = tmp_path / "results.json"
    results_path.write_text(json.dumps(nonconformant), encoding="utf-8")
    for path in rebuild(results_path):
        assert "env-token-0123456789" not in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("content", ["{not json", "[1, 2]"])
def test_rebuild_refuses_what_is_not_a_results_file(content: str, tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=r"results\.json"):
        rebuild(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json"]


@pytest.mark.parametrize(
    "results",
    [
        {},
        {
            "suite": None,
            "target": "not an object",
            "requirements": [None, 1, {"id": None, "failures": [None]}],
            "tests": [{"outcome": "weird", "duration_s": "NaN"}, "not an object"],
            "jobs": [{"observations": [{"t": -1, "status": None}, {}]}, {}],
        },
        {"summary": {"requirements": {"pass": True}, "tests": "x"}, "verdict": 5, "started": "yesterday"},
        {
            "verdict": "incomplete",
            "coverage": {
                "MUST": {"passed": "NaN", "undecided": -3, "out_of_scope": None},
                "SHOULD": "x",
                "undecided_reasons": [1, 2],
                "out_of_scope_reasons": {"SJ-X": None},
                "undecided_causes": 5,
                "out_of_scope_causes": [None, "a"],
            },
            "requirements": [{"id": "SJ-X", "level": "MUST", "outcome": "skip", "reason": 7}],
            "tests": [{"id": "t", "outcome": "skipped", "skip_kind": ["x"], "reason": None}],
        },
    ],
    ids=["empty", "wrong-types", "odd-values", "odd-coverage"],
)
def test_malformed_results_still_render(results: Results, tmp_path: Path) -> None:
    paths = write_reports(results, tmp_path)
    assert all(p.stat().st_size > 0 for p in paths)


def test_files_are_readable_like_any_new_file(conformant: Results, tmp_path: Path) -> None:
    probe = tmp_path / "probe"
    probe.write_text("x", encoding="utf-8")
    for path in write_reports(conformant, tmp_path / "out"):
        assert path.stat().st_mode & 0o777 == probe.stat().st_mode & 0o777
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["junit.xml", "report.html", "summary.md"]
