"""docs/ci.md: its YAML parses, every ``segjobs-conformance`` command line in it is one the real CLI accepts,
and every ``SEGJOBS_*`` variable it names is one of the options table's."""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from conformance import cli
from conformance._options import OPTIONS

CI_DOC = Path(__file__).resolve().parents[2] / "docs" / "ci.md"
FENCE = re.compile(r"^```yaml\n(.*?)^```", re.S | re.M)
VARIABLE = re.compile(r"\bSEGJOBS_[A-Z0-9_]+")
MATRIX_SHARD = re.compile(r"\$\{\{\s*matrix\.shard\s*\}\}")
SHELL_OPERATORS = {"&&", "||", ";", "|", ">", ">>", "2>&1", "&"}


def yaml_blocks() -> list[str]:
    return FENCE.findall(CI_DOC.read_text(encoding="utf-8"))


def strings_in(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from strings_in(key)
            yield from strings_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from strings_in(value)


def command_lines(script: str) -> Iterator[list[str]]:
    """The arguments after each ``segjobs-conformance`` of a shell script (to the first shell operator); the
    matrix's shard number as its first value."""
    script = MATRIX_SHARD.sub("1", script)
    for line in script.replace("\\\n", " ").splitlines():
        if "segjobs-conformance" not in line:
            continue
        words = shlex.split(line[line.index("segjobs-conformance") :], comments=True)
        args = []
        for word in words[1:]:
            if word in SHELL_OPERATORS:
                break
            args.append(word)
        yield args


def problem_of(args: list[str], monkeypatch: pytest.MonkeyPatch) -> str | None:
    """Why the real CLI would refuse the command line (its parser, then the settings it names), or None."""
    if args[:1] == ["merge"]:
        try:
            cli._parser()[1]["merge"].parse_args(args[1:])
        except SystemExit:
            return f"the merge parser refuses {args}"
        return None
    if args[:1] != ["run"]:
        return f"not a run command: {args}"
    parser = cli._parser()[1]["run"]
    for name in [n for n in os.environ if n.startswith("SEGJOBS_")]:
        monkeypatch.delenv(name)
    try:
        parsed = parser.parse_args(args[1:])
    except SystemExit:
        return f"the run parser refuses {args}"
    parsed.pytest_args = []
    try:
        cli._checked_settings(parsed)
    except Exception as exc:  # ConfigError or the CLI's usage error
        return f"{args}: {exc}"
    return None


def test_the_doc_has_a_github_workflow_and_a_gitlab_job_that_parse() -> None:
    blocks = [yaml.safe_load(block) for block in yaml_blocks()]
    assert len(blocks) == 3
    github, sharded, gitlab = blocks
    shard_steps = sharded["jobs"]["shard"]["steps"]
    assert sharded["jobs"]["shard"]["strategy"]["matrix"]["shard"] == [1, 2, 3, 4]
    assert any("--shard ${{ matrix.shard }}/4" in str(step.get("run", "")) for step in shard_steps)
    merging = sharded["jobs"]["verdict"]
    assert merging["needs"] == "shard"
    assert any("segjobs-conformance merge" in str(step.get("run", "")) for step in merging["steps"])
    steps = github["jobs"]["segment-jobs"]["steps"]
    assert any("upload-artifact" in str(step.get("uses", "")) for step in steps)
    # the suite mints its token from the client credentials: the secret comes from CI secrets, no curl
    env = github["jobs"]["segment-jobs"]["env"]
    assert env["SEGJOBS_CLIENT_SECRET"] == "${{ secrets.AEP_CLIENT_SECRET }}"
    assert "SEGJOBS_ACCESS_TOKEN" not in env
    assert not any("ims/token" in str(step.get("run", "")) for step in steps)
    job = gitlab["segment-jobs-conformance"]
    assert {"SEGJOBS_CLIENT_ID", "SEGJOBS_CLIENT_SECRET"} <= set(job["variables"])
    assert job["artifacts"]["reports"]["junit"] == "reports/junit.xml"
    assert job["artifacts"]["when"] == "always"


def test_every_command_line_of_the_doc_is_accepted_by_the_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    found = [
        args
        for block in yaml_blocks()
        for s in strings_in(yaml.safe_load(block))
        for args in command_lines(s)
    ]
    assert len(found) >= 7, found  # the plan and the run, in each of the three blocks; the merge
    assert sum(1 for args in found if "--plan" in args) >= 2
    problems = [p for args in found if (p := problem_of(args, monkeypatch)) is not None]
    assert not problems, problems


@pytest.mark.parametrize(
    "line",
    [
        "segjobs-conformance run --profile fastest",
        "segjobs-conformance run --no-such-flag",
        "segjobs-conformance run --max-jobs none && echo done",
        "segjobs-conformance run --json",
        "segjobs-conformance serve --port 0",
    ],
)
def test_the_check_refuses_a_line_the_cli_refuses(line: str, monkeypatch: pytest.MonkeyPatch) -> None:
    (args,) = command_lines(line)
    assert problem_of(args, monkeypatch) is not None


def test_every_segjobs_variable_of_the_doc_is_in_the_options_table() -> None:
    known = {o.env for o in OPTIONS if o.env is not None}
    named = {v for block in yaml_blocks() for v in VARIABLE.findall(block)}
    assert {"SEGJOBS_CLIENT_ID", "SEGJOBS_CLIENT_SECRET", "SEGJOBS_SCOPES", "SEGJOBS_BASE_URL"} <= named
    assert named <= known, sorted(named - known)
    prose = VARIABLE.findall(CI_DOC.read_text(encoding="utf-8"))
    assert set(prose) <= known, sorted(set(prose) - known)
