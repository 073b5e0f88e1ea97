"""Settings: precedence, validation messages that name the value and its source, secrets never on argv."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance._config import (
    DEFAULT_IMS_TOKEN_URL,
    DEFAULT_SCOPES,
    DEFAULT_SEGMENT_IDS,
    ConfigError,
    for_embedded,
    load_settings,
)


def test_defaults_without_any_environment() -> None:
    settings = load_settings({}, {})
    assert settings.base_url is None
    assert settings.profile == "standard"
    assert settings.segment_ids == DEFAULT_SEGMENT_IDS
    assert settings.second_sandbox is None
    assert settings.failing_segment_id is None


def test_flags_beat_environment_beat_file(tmp_path: Path) -> None:
    cfg = tmp_path / "segjobs.toml"
    cfg.write_text('profile = "full"\nsandbox = "from-file"\nims_org = "FILEORG@AdobeOrg"\n')
    env = {"SEGJOBS_PROFILE": "quick", "SEGJOBS_SANDBOX_NAME": "from-env"}
    settings = load_settings({"profile": "standard"}, env, cfg)
    assert settings.profile == "standard"
    assert settings.sandbox == "from-env"
    assert settings.ims_org == "FILEORG@AdobeOrg"
    assert settings.sources["profile"] == "--profile"
    assert settings.sources["sandbox"] == "environment variable SEGJOBS_SANDBOX_NAME"
    assert "key 'ims_org'" in settings.sources["ims_org"]


@pytest.mark.parametrize(
    ("flags", "env", "needle"),
    [
        ({"profile": "fast"}, {}, "invalid profile 'fast' (from --profile)"),
        ({}, {"SEGJOBS_MAX_JOBS": "0"}, "(from environment variable SEGJOBS_MAX_JOBS)"),
        ({}, {"SEGJOBS_READ_TIMEOUT": "nan"}, "invalid read_timeout 'nan'"),
        ({"base_url": "ftp://x"}, {}, "invalid base_url 'ftp://x' (from --base-url)"),
        ({"base_url": "http://127.0.0.1:1/segment/jobs"}, {}, "without /segment/jobs"),
        ({}, {"SEGJOBS_SEGMENT_IDS": " , "}, "segment_ids"),
        ({"seed": "-3"}, {}, "invalid seed '-3'"),
    ],
)
def test_bad_values_name_the_value_and_its_source(
    flags: dict[str, str], env: dict[str, str], needle: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(flags, env)
    assert needle in str(info.value)


def test_secret_values_are_never_echoed_in_errors() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({}, {"SEGJOBS_ACCESS_TOKEN": "tok\nen-SECRET-42"})
    assert "SECRET-42" not in str(info.value)
    assert "***" in str(info.value)


def test_secrets_are_refused_on_the_command_line() -> None:
    with pytest.raises(ConfigError, match="only from the environment"):
        load_settings({"access_token": "x"}, {})


def test_credentials_in_the_url_are_refused_without_echoing_them() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({"base_url": "http://user:pw-SECRET@127.0.0.1:9"}, {})
    assert "pw-SECRET" not in str(info.value)


def test_unknown_config_file_key_is_an_error(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[segjobs]\nprofle = "quick"\n')
    with pytest.raises(ConfigError, match="profle"):
        load_settings({}, {}, cfg)


def test_missing_and_broken_config_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="an existing TOML file"):
        load_settings({}, {}, tmp_path / "absent.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("profile = \n")
    with pytest.raises(ConfigError, match="valid TOML"):
        load_settings({}, {}, broken)


def test_embedded_target_enables_the_optional_settings() -> None:
    settings = for_embedded(load_settings({}, {}))
    assert settings.second_sandbox and settings.failing_segment_id
    assert settings.base_url is None  # set once the embedded server listens


def test_second_sandbox_must_differ_from_the_first() -> None:
    with pytest.raises(ConfigError, match="other than the first"):
        load_settings({}, {"SEGJOBS_SECOND_SANDBOX_NAME": "prod"})


def test_reference_server_defaults_agree_with_the_suite() -> None:
    from conformance import _config
    from conformance.reference.settings import ServerSettings

    server = ServerSettings.from_env({})
    assert server.access_token == _config.DEFAULT_ACCESS_TOKEN
    assert server.api_key == _config.DEFAULT_API_KEY
    assert server.ims_org == _config.DEFAULT_IMS_ORG
    assert [s.name for s in server.sandboxes][:2] == [_config.DEFAULT_SANDBOX, _config.DEFAULT_SECOND_SANDBOX]
    assert tuple(server.segment_ids)[: len(_config.DEFAULT_SEGMENT_IDS)] == _config.DEFAULT_SEGMENT_IDS
    assert server.failing_segment_id == _config.DEFAULT_FAILING_SEGMENT_ID


def test_an_empty_variable_counts_as_unset(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('sandbox = "from-file"\n')
    settings = load_settings({}, {"SEGJOBS_SANDBOX_NAME": ""}, cfg)
    assert settings.sandbox == "from-file"


def test_unknown_config_file_key_names_every_known_key(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('job_seconds = "1"\n')  # a flag of run, not a setting of the file
    with pytest.raises(ConfigError) as info:
        load_settings({}, {}, cfg)
    message = str(info.value)
    assert "invalid config 'job_seconds'" in message
    assert "one of the known keys: access_token, api_key, base_url," in message
    assert "read_only, read_timeout, report_dir, retry_budget, sandbox" in message


def test_a_switch_in_the_file_must_be_true_or_false(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('strict = "yes"\n')
    with pytest.raises(ConfigError, match=r"invalid strict 'yes' \(from config file .* key 'strict'\)"):
        load_settings({}, {}, cfg)


def test_the_config_file_may_come_from_its_variable(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[segjobs]\nmax_jobs = 12\nread_only = true\n")
    settings = load_settings({"max_jobs": "3"}, {"SEGJOBS_CONFIG": str(cfg)})
    assert settings.max_jobs == 3 and settings.read_only is True


# -- OAuth client credentials ------------------------------------------------------------------------
def test_client_credentials_mint_unless_an_access_token_is_given() -> None:
    pair = {"SEGJOBS_CLIENT_ID": "cid-7", "SEGJOBS_CLIENT_SECRET": "sec-SECRET-7"}
    settings = load_settings({}, pair)
    assert settings.mints_token
    assert settings.scopes == DEFAULT_SCOPES and settings.ims_token_url == DEFAULT_IMS_TOKEN_URL
    assert settings.api_key == "cid-7" and "the OAuth client id is the API key" in settings.sources["api_key"]
    assert "sec-SECRET-7" not in settings.redactor.text("x sec-SECRET-7 y")
    assert not load_settings({}, {**pair, "SEGJOBS_ACCESS_TOKEN": "tok-given"}).mints_token
    assert load_settings({}, {**pair, "SEGJOBS_API_KEY": "key-given"}).api_key == "key-given"
    assert not load_settings({}, {}).mints_token


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        (
            {"SEGJOBS_CLIENT_ID": "cid-7"},
            "invalid client_id 'cid-7' (from environment variable "
            "SEGJOBS_CLIENT_ID): expected SEGJOBS_CLIENT_SECRET as well",
        ),
        (
            {"SEGJOBS_CLIENT_SECRET": "sec-SECRET-7"},
            "invalid client_secret *** (from environment variable "
            "SEGJOBS_CLIENT_SECRET): expected SEGJOBS_CLIENT_ID as well",
        ),
        ({"SEGJOBS_IMS_TOKEN_URL": "http://ims.example/ims/token/v3"}, "plain http only on loopback"),
        ({"SEGJOBS_IMS_TOKEN_URL": "ims.example/token"}, "invalid ims_token_url"),
        ({"SEGJOBS_SCOPES": " , "}, "a comma-separated list of scopes"),
    ],
)
def test_half_or_bad_client_credentials_are_configuration_errors(env: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({}, env)
    assert needle in str(info.value)
    assert "SECRET-7" not in str(info.value)


def test_a_loopback_token_url_may_be_plain_http() -> None:
    url = "http://127.0.0.1:8081/ims/token/v3"
    assert load_settings({}, {"SEGJOBS_IMS_TOKEN_URL": url}).ims_token_url == url
