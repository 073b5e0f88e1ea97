"""The options table: README in step, each entry reachable under every name it declares, no secret flag."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import pytest

from conformance import _options, _options_wiring, cli
from conformance._config import PARSERS, ConfigError, Settings, load_settings
from conformance._options import OPTIONS, SETTINGS, Option
from conformance._ratelimit import Rate
from conformance._shard import Shard

README = Path(__file__).resolve().parents[2] / "README.md"

#: a valid value of each setting as given (flag, variable or file), and what it becomes
SAMPLES: dict[str, tuple[Any, Any]] = {
    "base_url": ("http://127.0.0.1:9/api/", "http://127.0.0.1:9/api"),
    "access_token": ("tok-sample", "tok-sample"),
    "api_key": ("key-sample", "key-sample"),
    "client_id": ("client-sample", "client-sample"),
    "client_secret": ("secret-sample", "secret-sample"),
    "ims_org": ("SAMPLE@AdobeOrg", "SAMPLE@AdobeOrg"),
    "sandbox": ("stage", "stage"),
    "scopes": ("openid, AdobeID", ("openid", "AdobeID")),
    "ims_token_url": ("https://ims.example/ims/token/v3", "https://ims.example/ims/token/v3"),
    "second_sandbox": ("other", "other"),
    "segment_ids": ("seg-a, seg-b", ("seg-a", "seg-b")),
    "failing_segment_id": ("seg-failing", "seg-failing"),
    "profile": ("quick", "quick"),
    "select": ("SJ-GET", "SJ-GET"),
    "seed": ("7", 7),
    "strict": (True, True),
    "max_jobs": ("9", 9),
    "read_only": (True, True),
    "report_dir": ("out", Path("out")),
    "connect_timeout": ("3", 3.0),
    "read_timeout": ("4", 4.0),
    "job_timeout": ("30", 30.0),
    "cancel_timeout": ("7.5", 7.5),
    "max_duration": ("90", 90.0),
    "rate_limit": ("5/s", Rate(5, "s")),
    "workers": ("3", 3),
    "shard": ("2/3", Shard(2, 3)),
    "har": ("run.har", Path("run.har")),
    "poll_interval": ("0.5", 0.5),
    "retry_budget": ("0", 0.0),
    "max_response_bytes": ("2048", 2048),
    "secret_headers": ("x-a, x-b", ("x-a", "x-b")),
}
#: settings that are valid only with another one: that one's value, given the same way
COMPANIONS: dict[str, tuple[str, str]] = {
    "client_id": ("client_secret", "secret-sample"),
    "client_secret": ("client_id", "client-sample"),
}


def run_parser() -> Any:
    return cli._parser()[1]["run"]


def argv_of(entry: Option, raw: Any) -> list[str]:
    assert entry.flag is not None
    return [entry.flag] if entry.switch else [entry.flag, str(raw)]


def toml_literal(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else f'"{value}"'


# -- the table itself ----------------------------------------------------------------------------------
def test_readme_table_is_the_rendered_table() -> None:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### Options and variables") :]
    lines = section.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| flag |"))
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("|"))
    assert "\n".join(lines[start:end]) == _options_wiring.readme_table(), (
        "README.md's options table is out of step with conformance/_options.py: "
        "replace it with the output of `python -m conformance._options`"
    )


def test_names_are_unique_and_follow_the_conventions() -> None:
    for attr in ("name", "flag", "pytest", "env", "key"):
        names = [getattr(o, attr) for o in OPTIONS if getattr(o, attr) is not None]
        assert len(names) == len(set(names)), f"two entries share a {attr}"
    for entry in OPTIONS:
        if entry.flag is not None:
            assert entry.flag == "--" + entry.name.replace("_", "-")
        if entry.pytest is not None:
            assert entry.pytest == "--segjobs-" + entry.name.replace("_", "-")
        if entry.env is not None:
            assert entry.env.startswith("SEGJOBS_")
        if entry.key is not None:
            assert entry.key == entry.name
        assert entry.flag or entry.pytest or entry.env or entry.key, f"{entry.name} cannot be given at all"
        assert entry.switch == (entry.metavar is None)


def test_every_setting_is_a_settings_field_with_a_check() -> None:
    fields = {f.name for f in dataclasses.fields(Settings)} - {"sources"}
    assert {o.name for o in SETTINGS} == fields
    assert set(PARSERS) == fields
    assert set(SAMPLES) == fields  # a new setting needs a sample here, so the tests below reach it


def test_shown_defaults_agree_with_the_settings_defaults() -> None:
    defaults = {f.name: f.default for f in dataclasses.fields(Settings)}
    for entry in SETTINGS:
        value = defaults[entry.name]
        if isinstance(value, bool):
            assert entry.default == ("on" if value else "off"), entry.name
        elif isinstance(value, Path):
            assert f"`{value}/`" in entry.default, entry.name
        elif isinstance(value, float):
            assert f"`{value:g}`" in entry.default, entry.name
        elif isinstance(value, str | int):
            assert f"`{value}`" in entry.default, entry.name
    from conformance.reference.settings import DEFAULT_JOB_SECONDS

    assert _options.option("job_seconds").default == f"`{DEFAULT_JOB_SECONDS}`"


def test_secrets_have_no_flag_and_are_refused_as_one() -> None:
    secrets = [o for o in OPTIONS if o.secret]
    assert {o.name for o in secrets} == {"access_token", "api_key", "client_secret"}
    for entry in secrets:
        assert entry.flag is None and entry.pytest is None
        assert entry.env is not None and entry.key is not None
        with pytest.raises(ConfigError, match="only from the environment"):
            load_settings({entry.name: "x"}, {})
        with pytest.raises(SystemExit):
            run_parser().parse_args(["--" + entry.name.replace("_", "-"), "x"])


# -- each name reaches its setting ---------------------------------------------------------------------
@pytest.mark.parametrize("entry", [o for o in SETTINGS if o.env], ids=lambda o: o.env)
def test_each_variable_reaches_its_setting(entry: Option) -> None:
    raw, expected = SAMPLES[entry.name]
    environ = {entry.env: raw}
    if entry.name in COMPANIONS:
        other, value = COMPANIONS[entry.name]
        environ[str(_options.option(other).env)] = value
    settings = load_settings({}, environ)
    assert getattr(settings, entry.name) == expected
    assert settings.sources[entry.name] == f"environment variable {entry.env}"


@pytest.mark.parametrize("entry", [o for o in SETTINGS if o.key], ids=lambda o: o.key)
def test_each_file_key_reaches_its_setting(entry: Option, tmp_path: Path) -> None:
    raw, expected = SAMPLES[entry.name]
    config = tmp_path / "segjobs.toml"
    companion = ""
    if entry.name in COMPANIONS:
        other, value = COMPANIONS[entry.name]
        companion = f"{_options.option(other).key} = {toml_literal(value)}\n"
    config.write_text(f"[segjobs]\n{entry.key} = {toml_literal(raw)}\n{companion}")
    settings = load_settings({}, {}, config)
    assert getattr(settings, entry.name) == expected
    assert settings.sources[entry.name] == f"config file {config} key '{entry.key}'"


@pytest.mark.parametrize("entry", [o for o in SETTINGS if o.flag], ids=lambda o: o.flag)
def test_each_flag_of_run_reaches_its_setting(entry: Option) -> None:
    raw, expected = SAMPLES[entry.name]
    args = run_parser().parse_args(argv_of(entry, raw))
    settings = load_settings(_options_wiring.run_flags(vars(args)), {})
    assert getattr(settings, entry.name) == expected
    assert settings.sources[entry.name] == entry.flag


def test_a_config_file_named_by_its_variable_is_read(tmp_path: Path) -> None:
    config = tmp_path / "segjobs.toml"
    config.write_text('ims_org = "FILE@AdobeOrg"\n')
    variable = _options.option("config").env
    assert variable is not None
    assert load_settings({}, {variable: str(config)}).ims_org == "FILE@AdobeOrg"


class _Recorder:
    """Keeps the plugin's state after pytest_configure and collects nothing."""

    state: Any = None

    @pytest.hookimpl(trylast=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        from conformance.plugin import state_of

        self.state = state_of(config)

    def pytest_collection(self, session: pytest.Session) -> bool:
        return True


def test_run_forwards_every_flag_to_the_pytest_option_of_the_same_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("SEGJOBS_"):
            monkeypatch.delenv(name)
    config = tmp_path / "segjobs.toml"
    config.write_text('ims_org = "FILE@AdobeOrg"\n')
    argv: list[str] = []
    for entry in OPTIONS:
        if entry.flag is not None:
            run_only = {"config": config, "job_seconds": "0.5", "plan": True, "json": True}
            raw = run_only.get(entry.name) or SAMPLES[entry.name][0]
            argv += argv_of(entry, raw)
    args = run_parser().parse_args(argv)
    from_cli = load_settings(_options_wiring.run_flags(vars(args)), {}, args.config)

    forwarded = _options_wiring.forwarded_to_pytest(vars(args))
    with_pytest = {o.pytest for o in OPTIONS if o.flag and o.pytest}
    assert {a for a in forwarded if a.startswith("--segjobs-")} == with_pytest
    recorder = _Recorder()
    pytest.main([*cli.SUITE_ARGS, "--collect-only", "-q", *forwarded], plugins=[recorder])
    state = recorder.state
    assert state is not None, "the plugin was not configured"
    for entry in SETTINGS:
        if entry.pytest is not None:
            assert (
                getattr(state.settings, entry.name) == getattr(from_cli, entry.name) == SAMPLES[entry.name][1]
            )
            assert state.settings.sources[entry.name] == entry.flag
    assert state.settings.ims_org == from_cli.ims_org == "FILE@AdobeOrg"  # --segjobs-config
    assert state.job_seconds == "0.5"  # --segjobs-job-seconds


def test_the_pytest_options_are_the_tables() -> None:
    added: list[str] = []
    _options_wiring.add_pytest_options(lambda name, **kwargs: added.append(name))
    assert added == [o.pytest for o in OPTIONS if o.pytest is not None]
    assert "--segjobs-results" in added


# -- run --help ----------------------------------------------------------------------------------------
def test_run_help_lists_every_variable_credentials_first() -> None:
    text = run_parser().format_help()
    positions = {o.env: text.find(f"  {o.env} ") for o in OPTIONS if o.env is not None}
    assert all(p >= 0 for p in positions.values()), [v for v, p in positions.items() if p < 0]
    credentials = [positions[o.env] for o in OPTIONS if o.credential and o.env]
    others = [positions[o.env] for o in OPTIONS if not o.credential and o.env]
    assert {"SEGJOBS_ACCESS_TOKEN", "SEGJOBS_API_KEY"} <= {o.env for o in OPTIONS if o.credential}
    assert max(credentials) < min(others)
    for entry in OPTIONS:
        if entry.flag is not None:
            assert entry.flag in text
