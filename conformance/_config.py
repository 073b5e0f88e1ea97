"""Settings of a run: flags, then ``SEGJOBS_*`` environment variables, then an optional TOML file.

One validated, frozen :class:`Settings` object comes out; every bad value raises :class:`ConfigError`
naming the value and where it came from. Secrets (token, API key) are read only from the environment or
the file, never from the command line.
"""

from __future__ import annotations

import math
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from conformance._redact import Redactor

#: Local defaults, shared with the reference server (``conformance.reference.settings``); a self-test keeps
#: the two in step.
DEFAULT_ACCESS_TOKEN = "segjobs-local-token"  # noqa: S105 - a documented local default
DEFAULT_API_KEY = "segjobs-local-key"
DEFAULT_IMS_ORG = "0000000000000000000000AA@AdobeOrg"
DEFAULT_SANDBOX = "prod"
DEFAULT_SECOND_SANDBOX = "dev"
DEFAULT_SEGMENT_IDS = (
    "4afe34ae-8c98-4513-8a1d-67ccaa54bc05",
    "30230300-ccf1-48ad-8012-c5563a007069",
    "ca763983-5572-4ea4-809c-b7dff7e0d79b",
)
DEFAULT_FAILING_SEGMENT_ID = "9a1fa11e-d000-4bad-8000-00000000fa11"

PROFILES = ("quick", "standard", "full")

#: Environment variable -> settings field. The config file uses the field names as keys.
ENV_VARS: dict[str, str] = {
    "SEGJOBS_BASE_URL": "base_url",
    "SEGJOBS_ACCESS_TOKEN": "access_token",
    "SEGJOBS_API_KEY": "api_key",
    "SEGJOBS_IMS_ORG": "ims_org",
    "SEGJOBS_SANDBOX_NAME": "sandbox",
    "SEGJOBS_SECOND_SANDBOX_NAME": "second_sandbox",
    "SEGJOBS_SEGMENT_IDS": "segment_ids",
    "SEGJOBS_FAILING_SEGMENT_ID": "failing_segment_id",
    "SEGJOBS_PROFILE": "profile",
    "SEGJOBS_SEED": "seed",
    "SEGJOBS_MAX_JOBS": "max_jobs",
    "SEGJOBS_CONNECT_TIMEOUT": "connect_timeout",
    "SEGJOBS_READ_TIMEOUT": "read_timeout",
    "SEGJOBS_JOB_TIMEOUT": "job_timeout",
    "SEGJOBS_POLL_INTERVAL": "poll_interval",
    "SEGJOBS_SECRET_HEADERS": "secret_headers",
}
SECRET_FIELDS = frozenset({"access_token", "api_key"})


class ConfigError(Exception):
    """A setting has a bad value. The message names the value and where it came from."""

    def __init__(self, name: str, value: object, source: str, expected: str) -> None:
        self.name, self.value, self.source, self.expected = name, value, source, expected
        shown = "***" if name in SECRET_FIELDS else repr(value)
        super().__init__(f"invalid {name} {shown} (from {source}): expected {expected}")


@dataclass(frozen=True)
class Settings:
    """Everything a run needs to know about its target and itself."""

    base_url: str | None = None  # None: the embedded reference server
    access_token: str = DEFAULT_ACCESS_TOKEN
    api_key: str = DEFAULT_API_KEY
    ims_org: str = DEFAULT_IMS_ORG
    sandbox: str = DEFAULT_SANDBOX
    second_sandbox: str | None = None
    segment_ids: tuple[str, ...] = DEFAULT_SEGMENT_IDS
    failing_segment_id: str | None = None
    profile: str = "standard"
    seed: int | None = None
    strict: bool = False
    select: str | None = None
    max_jobs: int = 50
    read_only: bool = False
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    job_timeout: float | None = None  # None: the profile's default
    poll_interval: float = 0.25
    max_response_bytes: int = 4 * 1024 * 1024
    secret_headers: tuple[str, ...] = ()
    report_dir: Path = Path("reports")
    sources: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def redactor(self) -> Redactor:
        return Redactor.of([self.access_token, self.api_key], self.secret_headers)

    def auth_headers(self, sandbox: str | None = None) -> dict[str, str]:
        """The four tenant headers every request carries."""
        return {
            "Authorization": f"Bearer {self.access_token}",
            "x-api-key": self.api_key,
            "x-gw-ims-org-id": self.ims_org,
            "x-sandbox-name": sandbox or self.sandbox,
        }

    def describe(self) -> dict[str, object]:
        """The active settings as shown in reports and the terminal header (no secret)."""
        return {
            "base_url": self.base_url or "(embedded reference server)",
            "profile": self.profile,
            "seed": self.seed,
            "ims_org": self.ims_org,
            "sandbox": self.sandbox,
            "second_sandbox": self.second_sandbox,
            "segment_ids": list(self.segment_ids),
            "failing_segment_id": self.failing_segment_id,
            "max_jobs": self.max_jobs,
            "read_only": self.read_only,
            "strict": self.strict,
        }


def _source_of(
    name: str,
    flags: Mapping[str, Any],
    environ: Mapping[str, str],
    file_data: Mapping[str, Any],
    file_path: str | None,
) -> tuple[Any, str] | None:
    if flags.get(name) is not None:
        return flags[name], f"--{name.replace('_', '-')}"
    for var, fname in ENV_VARS.items():
        if fname == name and environ.get(var, "") != "":
            return environ[var], f"environment variable {var}"
    if name in file_data:
        return file_data[name], f"config file {file_path} key '{name}'"
    return None


def _as_int(name: str, value: Any, source: str, minimum: int) -> int:
    if isinstance(value, bool):
        raise ConfigError(name, value, source, f"an integer >= {minimum}")
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ConfigError(name, value, source, f"an integer >= {minimum}") from None
    if number < minimum:
        raise ConfigError(name, value, source, f"an integer >= {minimum}")
    return number


def _as_float(name: str, value: Any, source: str) -> float:
    try:
        number = float(str(value).strip())
    except ValueError:
        raise ConfigError(name, value, source, "a positive number of seconds") from None
    if not math.isfinite(number) or number <= 0:
        raise ConfigError(name, value, source, "a positive number of seconds")
    return number


def _as_list(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list | tuple) else str(value).split(",")
    return tuple(str(i).strip() for i in items if str(i).strip())


def _check_base_url(value: Any, source: str) -> str:
    text = str(value).strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            "base_url", value, source, "an http:// or https:// URL such as http://127.0.0.1:8080"
        )
    if parts.username or parts.password:
        raise ConfigError(
            "base_url",
            "(URL with credentials)",
            source,
            "a URL without user:password (use SEGJOBS_ACCESS_TOKEN)",
        )
    if parts.query or parts.fragment:
        raise ConfigError("base_url", value, source, "a URL without query or fragment")
    if parts.path.rstrip("/").endswith("/segment/jobs"):
        raise ConfigError("base_url", value, source, "the base URL up to and without /segment/jobs")
    return text.rstrip("/")


_HEADER_SAFE = re.compile(r"^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$")


def load_settings(
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    config_file: str | os.PathLike[str] | None = None,
) -> Settings:
    """Builds the settings. ``flags`` hold command-line values (``None`` for unset); precedence is
    flags, then environment, then the file, then the defaults."""
    flags = dict(flags or {})
    environ = os.environ if environ is None else environ
    for secret in SECRET_FIELDS:
        if flags.get(secret) is not None:
            raise ConfigError(
                secret,
                flags[secret],
                "the command line",
                "a secret only from the environment or the config file",
            )
    file_path = str(config_file) if config_file else environ.get("SEGJOBS_CONFIG") or None
    file_data: dict[str, Any] = {}
    if file_path:
        try:
            with open(file_path, "rb") as fh:
                raw = tomllib.load(fh)
        except FileNotFoundError:
            raise ConfigError("config", file_path, "--config", "an existing TOML file") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError("config", file_path, "--config", f"valid TOML ({exc})") from None
        file_data = dict(raw.get("segjobs", raw))
        known = set(ENV_VARS.values()) | {"strict", "select", "read_only", "report_dir"}
        unknown = sorted(set(file_data) - known)
        if unknown:
            raise ConfigError(
                "config",
                unknown[0],
                f"config file {file_path}",
                f"one of the known keys: {', '.join(sorted(known))}",
            )

    values: dict[str, Any] = {}
    sources: dict[str, str] = {}

    def get(name: str) -> tuple[Any, str] | None:
        found = _source_of(name, flags, environ, file_data, file_path)
        if found is not None:
            sources[name] = found[1]
        return found

    if (f := get("base_url")) is not None:
        values["base_url"] = _check_base_url(*f)
    for name in ("access_token", "api_key", "ims_org", "sandbox", "second_sandbox", "failing_segment_id"):
        if (f := get(name)) is not None:
            text = str(f[0]).strip()
            if not _HEADER_SAFE.match(text):
                raise ConfigError(name, f[0], f[1], "a non-empty printable value without control characters")
            values[name] = text
    if (f := get("segment_ids")) is not None:
        ids = _as_list(f[0])
        if not ids:
            raise ConfigError("segment_ids", f[0], f[1], "a comma-separated list of segment definition IDs")
        values["segment_ids"] = ids
    if (f := get("profile")) is not None:
        if f[0] not in PROFILES:
            raise ConfigError("profile", f[0], f[1], f"one of {', '.join(PROFILES)}")
        values["profile"] = f[0]
    if (f := get("seed")) is not None:
        values["seed"] = _as_int("seed", f[0], f[1], 0)
    if (f := get("max_jobs")) is not None:
        values["max_jobs"] = _as_int("max_jobs", f[0], f[1], 1)
    for name in ("connect_timeout", "read_timeout", "job_timeout", "poll_interval"):
        if (f := get(name)) is not None:
            values[name] = _as_float(name, f[0], f[1])
    if (f := get("secret_headers")) is not None:
        values["secret_headers"] = _as_list(f[0])
    for name in ("strict", "read_only"):
        if (f := get(name)) is not None:
            if not isinstance(f[0], bool):
                raise ConfigError(name, f[0], f[1], "true or false")
            values[name] = f[0]
    if (f := get("select")) is not None:
        values["select"] = str(f[0])
    if (f := get("report_dir")) is not None:
        values["report_dir"] = Path(str(f[0]))
    if values.get("second_sandbox") and values.get("second_sandbox") == values.get(
        "sandbox", DEFAULT_SANDBOX
    ):
        raise ConfigError(
            "second_sandbox",
            values["second_sandbox"],
            sources["second_sandbox"],
            "a sandbox other than the first one",
        )
    return Settings(**values, sources=sources)


def for_embedded(settings: Settings) -> Settings:
    """The settings against the embedded reference server, before it starts: its optional sandbox and failing
    segment definition are known, so every requirement is in scope (the base URL comes once it listens)."""
    return replace(
        settings,
        second_sandbox=settings.second_sandbox or DEFAULT_SECOND_SANDBOX,
        failing_segment_id=settings.failing_segment_id or DEFAULT_FAILING_SEGMENT_ID,
    )
