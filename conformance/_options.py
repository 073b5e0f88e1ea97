"""The one table of the run's options: every setting, with each of the names it goes by.

Each :class:`Option` says how one setting is given: a flag of ``segjobs-conformance run``, an option of the
pytest plugin (``--segjobs-*``), an environment variable, a key of the TOML config file; and how it is shown:
metavar, default and meaning. Everything else is derived from :data:`OPTIONS`
(:mod:`conformance._options_wiring`):

- the options of ``segjobs-conformance run`` (:func:`add_run_options`) and the list of variables at the end
  of ``run --help`` (:func:`variables_epilog`);
- the pytest options in the ``segjobs`` group (:func:`add_pytest_options`) and the flags the plugin hands to
  :func:`conformance._config.load_settings` (:func:`pytest_flags`);
- how ``run`` forwards its flags to pytest (:func:`run_flags`, :func:`forwarded_to_pytest`);
- the environment variables and file keys ``load_settings`` reads (``conformance._config``);
- the options table of README.md (:func:`readme_table`; ``python -m conformance._options`` prints it, and a
  self-test fails when README.md differs).

Where each option lives:

- A *setting* (``setting=True``) is a field of :class:`conformance._config.Settings`, read by
  ``load_settings`` from a flag, then its variable, then its file key, then the default.
- Secrets (the access token, the API key, the OAuth client secret) are settings with no flag and no pytest
  option: the environment or the file only. So are the other credentials (OAuth client id, org, sandbox),
  which have no secret to keep but are part of the same set, and the OAuth scopes and token URL.
- ``--config`` names the file the settings are read from (``SEGJOBS_CONFIG`` too), so it has no file key.
- ``--job-seconds`` is a switch of the embedded reference server, not of the run's settings: a flag and a
  pytest option, no variable and no file key (the server started by hand takes ``serve --job-seconds``).
- ``--report-dir`` is a setting (file key ``report_dir``) with no pytest option of its own: ``run`` turns it
  into ``--segjobs-results DIR/results.json``, the only place the plugin writes to.
- ``--segjobs-results`` exists for pytest only; ``run`` always sets it.
- ``--plan`` and ``--json`` are switches of ``run`` alone (what it prints instead of running): no pytest
  option, no variable, no file key.
- ``run``'s ``-v`` and the arguments after ``--`` are pytest's own (its verbosity, anything else), so they
  live in :mod:`conformance.cli` and not here.

This module and its wiring import nothing else of the package and know neither argparse nor pytest: the
``add`` callables are ``ArgumentParser.add_argument`` or ``OptionGroup.addoption``.
"""

from __future__ import annotations

from dataclasses import dataclass

PROFILES = ("quick", "standard", "full")


@dataclass(frozen=True)
class Option:
    """One setting and the names it goes by. Texts are Markdown (``--help`` shows them without backticks)."""

    name: str  # the Settings field (or, when setting=False, the run's own name for it)
    meaning: str
    default: str  # as shown: README's "default" column and --help
    flag: str | None = None  # of `segjobs-conformance run`
    pytest: str | None = None  # of the pytest plugin
    env: str | None = None
    key: str | None = None  # of the TOML config file (top level or [segjobs])
    metavar: str | None = None  # None: an on/off switch
    choices: tuple[str, ...] | None = None
    secret: bool = False  # never a flag; masked in every output
    credential: bool = False  # a tenant header a real target needs: listed first by `run --help`
    setting: bool = True  # a field of Settings, read by load_settings

    @property
    def switch(self) -> bool:
        """An on/off flag (``store_true``; ``true``/``false`` in the file) rather than a value."""
        return self.metavar is None

    def help_text(self, *, with_env: bool = True) -> str:
        """The ``--help`` line of the option: meaning, default and variable, without Markdown."""
        extra = [f"default: {self.default}"]
        if with_env and self.env:
            extra.append(f"env {self.env}")
        return plain(f"{self.meaning} ({'; '.join(extra)})").replace("%", "%%")


OPTIONS: tuple[Option, ...] = (
    Option(
        "base_url",
        "base URL up to and without `/segment/jobs`",
        "embedded server",
        flag="--base-url",
        pytest="--segjobs-base-url",
        env="SEGJOBS_BASE_URL",
        key="base_url",
        metavar="URL",
    ),
    Option(
        "access_token",
        "sent as `Authorization: Bearer …`",
        "`segjobs-local-token`",
        env="SEGJOBS_ACCESS_TOKEN",
        key="access_token",
        secret=True,
        credential=True,
    ),
    Option(
        "api_key",
        "sent as `x-api-key`",
        "`segjobs-local-key`",
        env="SEGJOBS_API_KEY",
        key="api_key",
        secret=True,
        credential=True,
    ),
    Option(
        "client_id",
        "OAuth server-to-server client: with the secret and no access token set, the run mints its bearer "
        "token (`client_credentials` grant) and refreshes it; also the API key when that is not set",
        "unset",
        env="SEGJOBS_CLIENT_ID",
        key="client_id",
        credential=True,
    ),
    Option(
        "client_secret",
        "the OAuth client's secret, sent only to the token URL",
        "unset",
        env="SEGJOBS_CLIENT_SECRET",
        key="client_secret",
        secret=True,
        credential=True,
    ),
    Option(
        "ims_org",
        "sent as `x-gw-ims-org-id`",
        "`0000000000000000000000AA@AdobeOrg`",
        env="SEGJOBS_IMS_ORG",
        key="ims_org",
        credential=True,
    ),
    Option(
        "sandbox",
        "sent as `x-sandbox-name`",
        "`prod`",
        env="SEGJOBS_SANDBOX_NAME",
        key="sandbox",
        credential=True,
    ),
    Option(
        "scopes",
        "comma-separated scopes the minted token is asked for",
        "`openid,AdobeID,read_organizations,additional_info.projectedProductContext,session`",
        env="SEGJOBS_SCOPES",
        key="scopes",
    ),
    Option(
        "ims_token_url",
        "the token endpoint the client credentials go to (https, or http on loopback)",
        "`https://ims-na1.adobelogin.com/ims/token/v3`; the embedded server's own endpoint",
        env="SEGJOBS_IMS_TOKEN_URL",
        key="ims_token_url",
    ),
    Option(
        "second_sandbox",
        "a second sandbox the same credentials reach: enables the isolation tests",
        "unset (`dev` on the embedded server)",
        env="SEGJOBS_SECOND_SANDBOX_NAME",
        key="second_sandbox",
    ),
    Option(
        "segment_ids",
        "segment definitions that exist on the target",
        "the three IDs of the doc's examples",
        env="SEGJOBS_SEGMENT_IDS",
        key="segment_ids",
    ),
    Option(
        "failing_segment_id",
        "a segment definition whose jobs end FAILED",
        "unset (known on the embedded server)",
        env="SEGJOBS_FAILING_SEGMENT_ID",
        key="failing_segment_id",
    ),
    Option(
        "profile",
        "`quick`, `standard` or `full`: how much the run does",
        "`standard`",
        flag="--profile",
        pytest="--segjobs-profile",
        env="SEGJOBS_PROFILE",
        key="profile",
        metavar="NAME",
        choices=PROFILES,
    ),
    Option(
        "select",
        "comma-separated requirement IDs or prefixes (`SJ-CANCEL`), groups (`cancel`, `listing`) "
        "or test names",
        "everything",
        flag="--select",
        pytest="--segjobs-select",
        key="select",
        metavar="EXPR",
    ),
    Option(
        "seed",
        "seed of generated data; the same seed reproduces a run",
        "random, printed",
        flag="--seed",
        pytest="--segjobs-seed",
        env="SEGJOBS_SEED",
        key="seed",
        metavar="N",
    ),
    Option(
        "strict",
        "a failed SHOULD also makes the run non-conformant",
        "off",
        flag="--strict",
        pytest="--segjobs-strict",
        key="strict",
    ),
    Option(
        "max_jobs",
        "most jobs a run may create; a selection that needs more stops the run before it starts (exit 2)",
        "`50`",
        flag="--max-jobs",
        pytest="--segjobs-max-jobs",
        env="SEGJOBS_MAX_JOBS",
        key="max_jobs",
        metavar="N",
    ),
    Option(
        "workers",
        "processes the run is split over (pytest-xdist workers; each with its own client, jobs and fleet of "
        "shared jobs, counted in the job plan; one merged `results.json`); `auto`: 6 against a `--base-url` "
        "(as many of them as `--max-jobs` allows a fleet each; the others idle), one per CPU up to 6 on the "
        "embedded server",
        "1 on the embedded server, `auto` against a `--base-url`",
        flag="--workers",
        pytest="--segjobs-workers",
        env="SEGJOBS_WORKERS",
        key="workers",
        metavar="N",
    ),
    Option(
        "shard",
        "run only part I of N of the selected tests (a fixed split: each machine running a part computes "
        "the same one); `segjobs-conformance merge` makes one run of the parts' `results.json`",
        "off",
        flag="--shard",
        pytest="--segjobs-shard",
        env="SEGJOBS_SHARD",
        key="shard",
        metavar="I/N",
    ),
    Option(
        "max_duration",
        "seconds the whole run may take: then the tests not run and the waits cut are undecided, the run's "
        "jobs cancelled, the reports written (verdict `incomplete`, exit 4, unless a MUST failed before)",
        "off",
        flag="--max-duration",
        pytest="--segjobs-max-duration",
        env="SEGJOBS_MAX_DURATION",
        key="max_duration",
        metavar="S",
    ),
    Option(
        "rate_limit",
        "the most requests the run sends per second (`N/s`) or per minute (`N/m`): no window of a second (a "
        "minute) holds more than N, every request counted (re-sends after 429/503 and the raw-socket cancel "
        "too); `results.json`'s `stats.rate` gives the rate achieved",
        "off",
        flag="--rate-limit",
        pytest="--segjobs-rate-limit",
        env="SEGJOBS_RATE_LIMIT",
        key="rate_limit",
        metavar="N/s",
    ),
    Option(
        "read_only",
        "run only what creates no job (for production targets); what needs a job is out of scope",
        "off",
        flag="--read-only",
        pytest="--segjobs-read-only",
        key="read_only",
    ),
    Option(
        "report_dir",
        "where the four report files go",
        "`reports/`",
        flag="--report-dir",
        key="report_dir",
        metavar="DIR",
    ),
    Option(
        "har",
        "write every exchange of the run to FILE as HAR 1.2, also when the run is cut short: secrets masked, "
        "each entry naming its test and requirements (`_segjobs`)",
        "off",
        flag="--har",
        pytest="--segjobs-har",
        env="SEGJOBS_HAR",
        key="har",
        metavar="FILE",
    ),
    Option(
        "connect_timeout",
        "per request: the longest wait to connect",
        "`5` s",
        env="SEGJOBS_CONNECT_TIMEOUT",
        key="connect_timeout",
    ),
    Option(
        "read_timeout",
        "per request: the longest wait for data; a whole answer may take twice the read timeout",
        "`15` s",
        env="SEGJOBS_READ_TIMEOUT",
        key="read_timeout",
    ),
    Option(
        "job_timeout",
        "how long a job may take to finish (the wait says which jobs it waits for every 10 s)",
        "profile's (60 / 120 / 600 s) on the embedded server; `1800` s against `--base-url`",
        env="SEGJOBS_JOB_TIMEOUT",
        key="job_timeout",
    ),
    Option(
        "cancel_timeout",
        "how long after its 204 a cancel may take to show (CANCELLING or CANCELLED, or the job gone)",
        "`5` s on the embedded server; `60` s against `--base-url`",
        env="SEGJOBS_CANCEL_TIMEOUT",
        key="cancel_timeout",
    ),
    Option(
        "poll_interval",
        "between two reads of a job being waited on (a `Retry-After` stretches it)",
        "`0.25` s",
        env="SEGJOBS_POLL_INTERVAL",
        key="poll_interval",
    ),
    Option(
        "retry_budget",
        "the whole run's wait for answers 429 or 503: each is sent again after its `Retry-After`, else after "
        "a backoff (0.5 s, doubling, at most 30 s); past the budget, or 1000 re-sends, the requirement in "
        "question is undecided, never failed",
        "`600` s",
        env="SEGJOBS_RETRY_BUDGET",
        key="retry_budget",
    ),
    Option(
        "max_response_bytes",
        "the largest answer body read; a longer one fails SJ-HTTP-004",
        "`16777216` (16 MiB)",
        env="SEGJOBS_MAX_RESPONSE_BYTES",
        key="max_response_bytes",
    ),
    Option(
        "secret_headers",
        "more header names to mask in every output",
        "none",
        env="SEGJOBS_SECRET_HEADERS",
        key="secret_headers",
    ),
    Option(
        "job_seconds",
        "job duration of the embedded reference server",
        "`1.0`",
        flag="--job-seconds",
        pytest="--segjobs-job-seconds",
        metavar="S",
        setting=False,
    ),
    Option(
        "config",
        "the TOML file",
        "none",
        flag="--config",
        pytest="--segjobs-config",
        env="SEGJOBS_CONFIG",
        metavar="FILE",
        setting=False,
    ),
    Option(
        "plan",
        "print what the run would do and send nothing: the requirements and tests in and out of scope "
        "with the reasons, the jobs it creates, a request estimate, the job timeout and the target",
        "off",
        flag="--plan",
        setting=False,
    ),
    Option(
        "json",
        "with `--plan`: the plan as JSON on stdout",
        "off",
        flag="--json",
        setting=False,
    ),
    Option(
        "results",
        "where to write results.json",
        "`results.json` in the report dir",
        pytest="--segjobs-results",
        metavar="PATH",
        setting=False,
    ),
)

#: The settings (fields of ``Settings``) in table order.
SETTINGS: tuple[Option, ...] = tuple(o for o in OPTIONS if o.setting)


def plain(markdown: str) -> str:
    """A meaning as plain text (no Markdown code marks)."""
    return markdown.replace("`", "")


def option(name: str) -> Option:
    """The table's entry of ``name``."""
    for entry in OPTIONS:
        if entry.name == name:
            return entry
    raise KeyError(name)


def pytest_option(name: str) -> str:
    """The pytest option of ``name`` (for those only the plugin reads: config file, results, job seconds)."""
    found = option(name).pytest
    if found is None:
        raise KeyError(f"{name} has no pytest option")
    return found


if __name__ == "__main__":  # pragma: no cover
    from conformance._options_wiring import readme_table

    print(readme_table())
