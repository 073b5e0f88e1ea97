"""Settings of a run: flags, then ``SEGJOBS_*`` environment variables, then an optional TOML file.

One validated, frozen :class:`Settings` object comes out; every bad value raises :class:`ConfigError`
naming the value and where it came from. Secrets (token, API key, OAuth client secret) are read only from
the environment or the file, never from the command line. Which flag, variable and file key each setting has
comes from the options table, :mod:`conformance._options`; how each value is checked, from :data:`PARSERS`
here.
"""

from __future__ import annotations

import math
import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from conformance._options import PROFILES as PROFILES  # re-exported: the profile names
from conformance._options import SETTINGS, Option, option
from conformance._ratelimit import RATE_FORMAT, Rate, parse_rate
from conformance._redact import Redactor
from conformance._shard import MAX_WORKERS, SHARD_FORMAT, Shard, parse_shard, worker_count

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
#: The platform's IMS token endpoint (OAuth server-to-server credentials) and the scopes its Developer Console
#: gives an Experience Platform credential.
DEFAULT_IMS_TOKEN_URL = "https://ims-na1.adobelogin.com/ims/token/v3"  # noqa: S105 - a URL, not a secret
DEFAULT_SCOPES = (
    "openid",
    "AdobeID",
    "read_organizations",
    "additional_info.projectedProductContext",
    "session",
)

#: Where ``load_settings`` looks, derived from the options table (:mod:`conformance._options`):
#: environment variable -> settings field, config file key -> settings field, the secret fields.
ENV_VARS: dict[str, str] = {o.env: o.name for o in SETTINGS if o.env is not None}
FILE_KEYS: dict[str, str] = {o.key: o.name for o in SETTINGS if o.key is not None}
SECRET_FIELDS = frozenset(o.name for o in SETTINGS if o.secret)
#: the variable naming the config file when ``--config`` is not given
CONFIG_VARIABLE = option("config").env or ""


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
    client_id: str | None = None
    client_secret: str | None = None
    ims_org: str = DEFAULT_IMS_ORG
    sandbox: str = DEFAULT_SANDBOX
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    ims_token_url: str = DEFAULT_IMS_TOKEN_URL
    second_sandbox: str | None = None
    segment_ids: tuple[str, ...] = DEFAULT_SEGMENT_IDS
    failing_segment_id: str | None = None
    profile: str = "standard"
    seed: int | None = None
    strict: bool = False
    select: str | None = None
    max_jobs: int = 50
    max_duration: float | None = None  # None: no deadline
    workers: int | None = None  # None: 1 on the embedded server, auto against a base URL; 0: auto
    shard: Shard | None = None  # None: the whole selection
    rate_limit: Rate | None = None  # None: no cap on the request rate
    read_only: bool = False
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    job_timeout: float | None = None  # None: the default of the target (conformance._profiles.timings)
    cancel_timeout: float | None = None  # None: the default of the target (conformance._profiles.timings)
    poll_interval: float = 0.25
    retry_budget: float = 600.0  # seconds; the client's RetryBudget (conformance._retry)
    max_response_bytes: int = 16 * 1024 * 1024
    secret_headers: tuple[str, ...] = ()
    report_dir: Path = Path("reports")
    har: Path | None = None  # None: no HAR of the run
    sources: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def redactor(self) -> Redactor:
        return Redactor.of([self.access_token, self.api_key, self.client_secret], self.secret_headers)

    @property
    def mints_token(self) -> bool:
        """Whether the run mints its bearer token from the OAuth client credentials
        (:mod:`conformance._oauth`): a client id and secret are set and no access token is given (a given
        access token wins)."""
        return bool(self.client_id and self.client_secret) and "access_token" not in self.sources

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
            "token_url": (self.ims_token_url if self.base_url else "(the embedded reference server's)")
            if self.mints_token
            else None,
            "second_sandbox": self.second_sandbox,
            "segment_ids": list(self.segment_ids),
            "failing_segment_id": self.failing_segment_id,
            "max_jobs": self.max_jobs,
            "max_duration": self.max_duration,
            "rate_limit": None if self.rate_limit is None else str(self.rate_limit),
            "read_only": self.read_only,
            "strict": self.strict,
            "shard": None if self.shard is None else str(self.shard),
        }

    @property
    def worker_count(self) -> int:
        """The processes the run is split over (:func:`conformance._shard.worker_count`)."""
        return worker_count(self.workers, embedded=self.base_url is None)

    @property
    def auto_workers(self) -> bool:
        """``auto``: the run may split into fewer parts than it has workers (the job budget)."""
        return self.workers == 0 or (self.workers is None and self.base_url is not None)


# -- where a value comes from --------------------------------------------------------------------------
def _refuse_secret_flags(flags: Mapping[str, Any]) -> None:
    for secret in sorted(SECRET_FIELDS):
        if flags.get(secret) is not None:
            raise ConfigError(
                secret,
                flags[secret],
                "the command line",
                "a secret only from the environment or the config file",
            )


def _read_config_file(file_path: str) -> dict[str, Any]:
    """The settings of a TOML file (top level or ``[segjobs]``); only the table's file keys are allowed."""
    try:
        with open(file_path, "rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError("config", file_path, "--config", "an existing TOML file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("config", file_path, "--config", f"valid TOML ({exc})") from None
    file_data = dict(raw.get("segjobs", raw))
    unknown = sorted(set(file_data) - set(FILE_KEYS))
    if unknown:
        raise ConfigError(
            "config",
            unknown[0],
            f"config file {file_path}",
            f"one of the known keys: {', '.join(sorted(FILE_KEYS))}",
        )
    return file_data


def _source_of(
    entry: Option,
    flags: Mapping[str, Any],
    environ: Mapping[str, str],
    file_data: Mapping[str, Any],
    file_path: str | None,
) -> tuple[Any, str] | None:
    """The value of one setting and where it came from: a flag, its variable (if set and not empty), its
    file key; ``None`` when none of them gives it (the default holds)."""
    if flags.get(entry.name) is not None:
        return flags[entry.name], entry.flag or f"--{entry.name.replace('_', '-')}"
    if entry.env is not None and environ.get(entry.env, "") != "":
        return environ[entry.env], f"environment variable {entry.env}"
    if entry.key is not None and entry.key in file_data:
        return file_data[entry.key], f"config file {file_path} key '{entry.key}'"
    return None


#: what ``--workers auto`` means, and the most workers a run may have
# -- what a value must be ------------------------------------------------------------------------------
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


def _as_seconds_or_zero(name: str, value: Any, source: str) -> float:
    try:
        number = float(str(value).strip())
    except ValueError:
        raise ConfigError(name, value, source, "a number of seconds, 0 or more") from None
    if not math.isfinite(number) or number < 0:
        raise ConfigError(name, value, source, "a number of seconds, 0 or more")
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
            f"a URL without user:password (use {option('access_token').env})",
        )
    if parts.query or parts.fragment:
        raise ConfigError("base_url", value, source, "a URL without query or fragment")
    if parts.path.rstrip("/").endswith("/segment/jobs"):
        raise ConfigError("base_url", value, source, "the base URL up to and without /segment/jobs")
    return text.rstrip("/")


def _check_token_url(name: str, value: Any, source: str) -> str:
    """An http(s) URL without credentials or fragment; plain http only on loopback (the client secret goes
    there)."""
    text = str(value).strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.fragment:
        raise ConfigError(name, value, source, "an https:// URL such as " + DEFAULT_IMS_TOKEN_URL)
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "::1", "localhost"):
        raise ConfigError(
            name, value, source, "https (plain http only on loopback: the client secret goes there)"
        )
    return text


def _scopes(name: str, value: Any, source: str) -> tuple[str, ...]:
    scopes = _as_list(value)
    if not scopes or any(not re.fullmatch(r"[\x21-\x7e]+", scope) for scope in scopes):
        raise ConfigError(name, value, source, "a comma-separated list of scopes (printable, no spaces)")
    return scopes


_HEADER_SAFE = re.compile(r"^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$")


def _header_value(name: str, value: Any, source: str) -> str:
    text = str(value).strip()
    if not _HEADER_SAFE.match(text):
        raise ConfigError(name, value, source, "a non-empty printable value without control characters")
    return text


def _segment_ids(name: str, value: Any, source: str) -> tuple[str, ...]:
    ids = _as_list(value)
    if not ids:
        raise ConfigError(name, value, source, "a comma-separated list of segment definition IDs")
    return ids


def _profile(name: str, value: Any, source: str) -> str:
    if value not in PROFILES:
        raise ConfigError(name, value, source, f"one of {', '.join(PROFILES)}")
    return str(value)


def _rate(name: str, value: Any, source: str) -> Rate:
    try:
        return parse_rate(str(value))
    except ValueError:
        raise ConfigError(name, value, source, RATE_FORMAT) from None


def _workers(name: str, value: Any, source: str) -> int:
    if str(value).strip().lower() == "auto":
        return 0
    workers = _as_int(name, value, source, 1)
    if workers > MAX_WORKERS:
        raise ConfigError(name, value, source, f"a number of workers from 1 to {MAX_WORKERS}, or auto")
    return workers


def _shard(name: str, value: Any, source: str) -> Shard:
    try:
        return parse_shard(str(value))
    except ValueError:
        raise ConfigError(name, value, source, SHARD_FORMAT) from None


def _file_to_write(name: str, value: Any, source: str) -> Path:
    path = Path(str(value).strip())
    if str(value).strip() == "" or path.is_dir():
        raise ConfigError(name, value, source, "the path of a file to write (not a directory)")
    return path


def _switch(name: str, value: Any, source: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(name, value, source, "true or false")
    return value


#: How each setting of the table is checked and converted: (name, value, source) -> value.
PARSERS: dict[str, Callable[[str, Any, str], Any]] = {
    "base_url": lambda name, value, source: _check_base_url(value, source),
    "access_token": _header_value,
    "api_key": _header_value,
    "client_id": _header_value,
    "client_secret": _header_value,
    "ims_org": _header_value,
    "sandbox": _header_value,
    "scopes": _scopes,
    "ims_token_url": _check_token_url,
    "second_sandbox": _header_value,
    "segment_ids": _segment_ids,
    "failing_segment_id": _header_value,
    "profile": _profile,
    "select": lambda name, value, source: str(value),
    "seed": lambda name, value, source: _as_int(name, value, source, 0),
    "strict": _switch,
    "max_jobs": lambda name, value, source: _as_int(name, value, source, 1),
    "rate_limit": _rate,
    "workers": _workers,
    "shard": _shard,
    "read_only": _switch,
    "report_dir": lambda name, value, source: Path(str(value)),
    "connect_timeout": _as_float,
    "read_timeout": _as_float,
    "job_timeout": _as_float,
    "cancel_timeout": _as_float,
    "max_duration": _as_float,
    "poll_interval": _as_float,
    "retry_budget": _as_seconds_or_zero,
    "max_response_bytes": lambda name, value, source: _as_int(name, value, source, 1024),
    "secret_headers": lambda name, value, source: _as_list(value),
    "har": _file_to_write,
}


def _check_second_sandbox(values: Mapping[str, Any], sources: Mapping[str, str]) -> None:
    second = values.get("second_sandbox")
    if second and second == values.get("sandbox", DEFAULT_SANDBOX):
        raise ConfigError(
            "second_sandbox", second, sources["second_sandbox"], "a sandbox other than the first one"
        )


def _check_client_credentials(values: dict[str, Any], sources: dict[str, str]) -> None:
    """A client id goes with its secret (unless an access token is given, which wins); the client id is the
    API key when none is given (the platform's Developer Console shows one value for both)."""
    if "access_token" not in values:
        for given, missing in (("client_id", "client_secret"), ("client_secret", "client_id")):
            if given in values and missing not in values:
                raise ConfigError(
                    given,
                    values[given],
                    sources[given],
                    f"{option(missing).env} as well (the token is minted from both), or "
                    f"{option('access_token').env}",
                )
    if "client_id" in values and "api_key" not in values:
        values["api_key"] = values["client_id"]
        sources["api_key"] = f"{sources['client_id']} (the OAuth client id is the API key)"


# -- the settings --------------------------------------------------------------------------------------
def load_settings(
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    config_file: str | os.PathLike[str] | None = None,
) -> Settings:
    """Builds the settings. ``flags`` hold command-line values (``None`` for unset); precedence is
    flags, then environment, then the file (``config_file``, else ``SEGJOBS_CONFIG``), then the defaults.
    Which variable and file key each setting has comes from the options table."""
    flags = dict(flags or {})
    environ = os.environ if environ is None else environ
    _refuse_secret_flags(flags)
    file_path = str(config_file) if config_file else environ.get(CONFIG_VARIABLE) or None
    file_data = _read_config_file(file_path) if file_path else {}
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for entry in SETTINGS:
        found = _source_of(entry, flags, environ, file_data, file_path)
        if found is not None:
            value, sources[entry.name] = found
            values[entry.name] = PARSERS[entry.name](entry.name, value, sources[entry.name])
    _check_second_sandbox(values, sources)
    _check_client_credentials(values, sources)
    return Settings(**values, sources=sources)


def for_embedded(settings: Settings) -> Settings:
    """The settings against the embedded reference server, before it starts: its optional sandbox and failing
    segment definition are known, so every requirement is in scope (the base URL comes once it listens)."""
    return replace(
        settings,
        second_sandbox=settings.second_sandbox or DEFAULT_SECOND_SANDBOX,
        failing_segment_id=settings.failing_segment_id or DEFAULT_FAILING_SEGMENT_ID,
    )
