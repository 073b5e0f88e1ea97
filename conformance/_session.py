"""One run of the suite, outside pytest's hooks: the target (embedded server or URL), the client and job
tracker, the bearer token minted from OAuth client credentials (:mod:`conformance._oauth`), the reachability
probe, the test records, and the results document at the end."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from conformance import _har, _spec
from conformance._audit import RECORD_ID, AnswerAudit
from conformance._checks import set_redactor
from conformance._client import ApiClient, Exchange, Inconclusive, TransportError
from conformance._config import Settings
from conformance._jobs import JobTracker
from conformance._oauth import TokenError, TokenSource
from conformance._outcomes import CURRENT
from conformance._profiles import PROFILES, Profile, Timings, timings
from conformance._ratelimit import RateLimiter
from conformance._results import TestRecord, build_results
from conformance._retry import RetryBudget


class SuiteState:
    """Everything one run keeps: settings, target, records, and what was left out of scope and why."""

    def __init__(self, settings: Settings, job_seconds: str | None = None) -> None:
        self.settings = settings
        self.job_seconds = job_seconds
        self.profile: Profile = PROFILES[settings.profile]
        self.catalog = _spec.load_requirements()
        self.known_ids = {r["id"] for r in self.catalog}
        self.records: list[TestRecord] = []
        #: requirement -> (cause, reason) of requirements no selected test reaches
        self.disabled: dict[str, tuple[str, str]] = {}
        #: the most jobs the selection may create; None until the plan is made (and when it was refused)
        self.planned_jobs: int | None = None
        self.started = dt.datetime.now(dt.timezone.utc)
        self.t0 = time.monotonic()
        self.aborted: str | None = None
        self.exit_code: int | None = None
        self.server: Any = None
        #: the embedded server while it starts (launched early, waited for by :meth:`start_server`)
        self.starting: Any = None
        #: no base URL given: the run tests the embedded reference server
        self.embedded = settings.base_url is None
        #: how long jobs and cancels may take: short on the embedded server, real-platform long otherwise
        self.timings: Timings = timings(
            self.profile,
            embedded=self.embedded,
            job_timeout=settings.job_timeout,
            cancel_timeout=settings.cancel_timeout,
            sources=settings.sources,
        )
        self.settings = replace(
            settings, job_timeout=self.timings.job_timeout, cancel_timeout=self.timings.cancel_timeout
        )
        #: the run's deadline (--max-duration) on time.monotonic, and whether the run reached it
        self.deadline = None if settings.max_duration is None else self.t0 + settings.max_duration
        self.deadline_reached = False
        self.deadline_said = False
        #: where the tracker's progress lines go (the plugin sets the terminal); None: nowhere
        self.progress: Callable[[str], None] | None = None
        self.client: ApiClient | None = None
        #: the run's bearer token when it is minted from OAuth client credentials (Settings.mints_token)
        self.token_source: TokenSource | None = None
        self.tracker: JobTracker | None = None
        #: the leftover jobs the clean-up cancelled at the end
        self.cleaned_up: list[str] = []
        self.results_path: Path | None = None
        self.results: dict[str, Any] | None = None
        #: why junit.xml, report.html or summary.md could not be written (a warning, never a verdict)
        self.reports_problem: str | None = None
        #: every exchange of the run, with --har (written at the end, a run cut short included)
        self.har = _har.HarRecorder(settings.redactor) if settings.har is not None else None
        self.har_path: Path | None = None
        #: why the HAR could not be written (a warning, never a verdict)
        self.har_problem: str | None = None
        #: every answer the client gets, held against the rules of every answer (conformance._audit)
        self.audit = AnswerAudit()
        #: a run split over workers (conformance._parts): how many, and which one this process is
        self.workers = settings.worker_count
        self.worker = 0
        #: ``--workers auto``: the run may use fewer workers than it started (the job budget), and how many
        self.auto_workers = settings.auto_workers
        self.active_workers = self.workers
        #: this process's part of a split run: (index, count) among all parts; None: the whole run
        self.part: tuple[int, int] | None = None
        #: this worker's lane of the rate limit and the lanes' origin (conformance._ratelimit)
        self.rate_lane: tuple[tuple[int, int], int] | None = None
        #: the most jobs this part may create (a split run's share of --max-jobs); None: --max-jobs
        self.job_cap: int | None = None
        #: why a worker refused the run at its collection (the controller says it and exits 2)
        self.usage_error: str | None = None

    # -- target ---------------------------------------------------------------------------------------
    def launch_server(self) -> None:
        """Starts the embedded reference server and returns at once: it starts while pytest collects."""
        if self.starting is None and self.server is None:
            self.starting = _launch_embedded(self.settings, self.job_seconds)

    def start_server(self) -> None:
        """The embedded reference server (waited for, when launched before), and the settings that reach
        it."""
        self.launch_server()
        starting, self.starting = self.starting, None
        self.server = starting.ready()
        self.settings = replace(self.settings, base_url=self.server.base_url)
        if self.settings.mints_token:  # the embedded server's own token endpoint issues the tokens
            self.settings = replace(self.settings, ims_token_url=self.server.ims_token_url)

    def start(self) -> None:
        if self.settings.base_url is None:
            self.start_server()
        assert self.settings.base_url is not None
        lane, origin = self.rate_lane or ((0, 1), 0)
        if self.settings.mints_token:
            self.token_source = TokenSource.of(self.settings)
        self.client = ApiClient(
            self.settings.base_url,
            self.settings.auth_headers(),
            redactor=self.settings.redactor,
            connect_timeout=self.settings.connect_timeout,
            read_timeout=self.settings.read_timeout,
            max_response_bytes=self.settings.max_response_bytes,
            retry_budget=RetryBudget(self.settings.retry_budget),
            rate_limiter=RateLimiter(self.settings.rate_limit, lane=lane, origin_ns=origin),
            token_source=self.token_source,
        )
        self.tracker = JobTracker(
            self.client,
            max_jobs=self.settings.max_jobs if self.job_cap is None else self.job_cap,
            poll_interval=self.settings.poll_interval,
            default_sandbox=self.settings.sandbox,
            job_timeout=self.timings.job_timeout,
            cancel_timeout=self.timings.cancel_timeout,
            settle=True,
        )
        self.tracker.run_deadline = self.deadline
        self.tracker.on_progress = self.progress
        self.client.on_exchange = self._observe
        self.client.guard = self.tracker.guard
        set_redactor(self.settings.redactor)

    def _observe(self, exchange: Exchange) -> None:
        """Every answer the client gets: the tracker reads the jobs in it, the audit judges it, the HAR keeps
        it."""
        assert self.tracker is not None
        self.tracker.observe_exchange(exchange)
        running = CURRENT.get()
        self.audit.judge(exchange, running.test if running is not None else "")
        if self.har is not None:
            self.har.record(exchange)

    def reachability(self) -> None:
        """One GET of the listing before any test, after the first token is minted (with OAuth client
        credentials). Decides exit 2/3 for a target that cannot be tested or credentials that do not work."""
        assert self.client is not None
        if self.token_source is not None:
            try:
                self.token_source()
            except TokenError as exc:
                self.abort(str(exc), exc.exit_code)
                return
        try:
            exchange = self.client.list_jobs({"limit": "1"})
        except Inconclusive as exc:
            self.abort(f"the target {self.settings.base_url} answered nothing to test with: {exc}", 3)
            return
        except TransportError as exc:
            if "ConnectError" in str(exc) or "ConnectTimeout" in str(exc):
                self.abort(f"the target {self.settings.base_url} is unreachable: {exc}", 3)
                return
            # it answered something unusable: that is a verdict about the target, not about the run
            self.records.append(
                TestRecord(
                    id="reachability",
                    name="reachability",
                    group="http",
                    requirements=(exc.requirement,),
                    outcome="failed",
                    verdicts={exc.requirement: "fail"},
                    message=str(exc),
                    curl=exc.exchange.curl,
                    request=exc.exchange.request_line,
                    response=exc.exchange.response_excerpt,
                )
            )
            self.aborted = f"the target did not answer the first request usably: {exc}"
            return
        if exchange.status in (401, 403):
            bearer = "SEGJOBS_ACCESS_TOKEN"
            if self.token_source is not None:
                bearer = (
                    f"the token minted at {self.token_source.token_url} (SEGJOBS_CLIENT_ID, SEGJOBS_SCOPES)"
                )
            self.abort(
                f"the target refused the credentials (HTTP {exchange.status}): check {bearer}, "
                "SEGJOBS_API_KEY, SEGJOBS_IMS_ORG and SEGJOBS_SANDBOX_NAME",
                2,
            )
        elif exchange.status == 404:
            self.abort(
                f"nothing answers at {self.settings.base_url}/segment/jobs (HTTP 404): check the base URL "
                "(up to and without /segment/jobs)",
                2,
            )

    def past_deadline(self) -> bool:
        """Whether the run has reached ``--max-duration`` (remembered once it has)."""
        if self.deadline is not None and time.monotonic() >= self.deadline:
            self.deadline_reached = True
        return self.deadline_reached

    def start_line(self) -> str:
        """What the run waits for, said at the start: the timings, and the run's deadline if any."""
        line = f"segjobs: {self.timings.line()}"
        if self.settings.max_duration is not None:
            line += f"; the run stops at --max-duration {self.settings.max_duration:g} s"
        return line

    def abort(self, message: str, code: int) -> None:
        self.aborted = message
        self.exit_code = code

    def stop(self) -> None:
        if self.tracker is not None:
            with contextlib.suppress(Exception):  # clean-up never hides the verdict
                self.cleaned_up = self.tracker.cleanup()
        if self.client is not None:
            self.client.close()
        if self.token_source is not None:
            self.token_source.close()
        if self.server is not None:  # it stops while the reports are written (:meth:`close`)
            self.server.ask_to_stop()

    def close(self) -> None:
        """Waits for the embedded server to have stopped (or ends one that was launched but never used)."""
        if self.starting is not None:
            self.starting.abandon()
            self.starting = None
        if self.server is not None:
            self.server.stop()
            self.server = None

    # -- results --------------------------------------------------------------------------------------
    def finalize(self, *, interrupted: bool) -> dict[str, Any]:
        from conformance import __version__

        settings = self.settings
        aborted = self.aborted or ("the run was interrupted" if interrupted else None)
        tracker = self.tracker
        stats = {
            "requests": self.client.stats.requests if self.client else 0,
            "jobs_planned": self.planned_jobs,
            "jobs_created": len(tracker.jobs) if tracker else 0,
            "create_requests": tracker.attempts if tracker else 0,
            "jobs_cancelled_at_end": len(self.cleaned_up),
            "job_timeout_s": self.timings.job_timeout,
            "cancel_timeout_s": self.timings.cancel_timeout,
            "rate": (self.client.rate_limiter if self.client else RateLimiter(settings.rate_limit)).summary(),
            "answers_judged": self.audit.judged,
        }
        every_answer = self.audit.record(out_of_scope=self.disabled)
        self.records[:] = [r for r in self.records if r.id != RECORD_ID]
        if every_answer is not None:
            self.records.append(every_answer)
        if self.token_source is not None:
            stats["tokens_minted"] = self.token_source.minted
            stats["tokens_renewed_after_expiry"] = self.token_source.renewed_after_expiry
        if settings.max_duration is not None:
            stats["max_duration_s"] = settings.max_duration
            stats["max_duration_reached"] = self.deadline_reached
        results = build_results(
            suite={
                "name": "segment-jobs-conformance",
                "version": __version__,
                "spec_sha256": _spec.spec_sha256(),
                "seed": settings.seed,
            },
            target={
                "base_url": settings.redactor.text(settings.base_url or "(embedded reference server)"),
                "profile": settings.profile,
                "embedded": self.embedded,
            },
            catalog=self.catalog,
            records=self.records,
            started=self.started,
            duration_s=time.monotonic() - self.t0,
            strict=settings.strict,
            aborted=aborted,
            disabled={req: reason for req, (_, reason) in self.disabled.items()},
            disabled_causes={req: cause for req, (cause, _) in self.disabled.items()},
            jobs=tracker.lifecycles() if tracker else [],
            stats=stats,
        )
        results["run"] = self.run_entry()
        redacted: dict[str, Any] = settings.redactor.data(results)  # type: ignore[assignment]
        self.results = redacted
        return redacted

    def run_entry(self) -> dict[str, Any]:
        """``results.json``'s ``run``: how the run was judged and split (what merging parts checks)."""
        shard = self.settings.shard
        return {
            "strict": self.settings.strict,
            "shard": None if shard is None else str(shard),
            "workers": self.workers,
            "part": None if self.part is None else f"{self.part[0] + 1}/{self.part[1]}",
        }

    def write_results(self, path: Path) -> None:
        assert self.results is not None
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.results, indent=2) + "\n", encoding="utf-8")
        tmp.replace(path)
        self.results_path = path

    def write_reports(self) -> None:
        """junit.xml, report.html and summary.md next to results.json: the same four files however the run
        was started (``segjobs-conformance run`` or plain pytest with the plugin)."""
        assert self.results is not None and self.results_path is not None
        try:
            from conformance import reporting

            reporting.write_reports(self.results, self.results_path.parent, redactor=self.settings.redactor)
        except Exception as exc:  # a report is never the verdict
            self.reports_problem = self.settings.redactor.text(f"{type(exc).__name__}: {exc}")

    def write_har(self) -> None:
        """The HAR of the run (``--har``), whatever the run came to: its exchanges so far, secrets masked."""
        path = self.settings.har
        if self.har is None or path is None:
            return
        from conformance import __version__

        results = self.results or {}
        run = {
            "seed": self.settings.seed,
            "profile": self.settings.profile,
            "target": self.settings.base_url or "(embedded reference server)",
            "rate_limit": None if self.settings.rate_limit is None else str(self.settings.rate_limit),
            "verdict": results.get("verdict"),
            "aborted": results.get("aborted"),
        }
        try:
            _har.write(path, self.har.document(version=__version__, run=run))
        except OSError as exc:  # a HAR is never the verdict
            self.har_problem = self.settings.redactor.text(f"{type(exc).__name__}: {exc}")
            return
        self.har_path = path


def _launch_embedded(settings: Settings, job_seconds: str | None) -> Any:
    """The reference server on a free loopback port, accepting exactly what this run will send (settings
    may come from a config file, which the server does not read).

    With OAuth client credentials (``Settings.mints_token``) it also serves its token endpoint on a port of
    its own, for the run's client id and secret, and its static token is one nobody knows: only the tokens
    it issues to the run open its API."""
    from conformance.reference import process

    env = dict(os.environ)
    env.update(
        {
            "SEGJOBS_ACCESS_TOKEN": settings.access_token,
            "SEGJOBS_API_KEY": settings.api_key,
            "SEGJOBS_IMS_ORG": settings.ims_org,
            "SEGJOBS_SANDBOX_NAME": settings.sandbox,
            "SEGJOBS_SEGMENT_IDS": ",".join(settings.segment_ids),
        }
    )
    for name, value in (
        ("SEGJOBS_SECOND_SANDBOX_NAME", settings.second_sandbox),
        ("SEGJOBS_FAILING_SEGMENT_ID", settings.failing_segment_id),
    ):
        if value:
            env[name] = value
    args = ["--job-seconds", str(job_seconds)] if job_seconds else []
    if settings.mints_token:
        assert settings.client_id is not None and settings.client_secret is not None
        env.update(
            {
                "SEGJOBS_CLIENT_ID": settings.client_id,
                "SEGJOBS_CLIENT_SECRET": settings.client_secret,
                "SEGJOBS_ACCESS_TOKEN": secrets.token_urlsafe(24),
            }
        )
        args += ["--ims-port", "0"]
    return process.launch_subprocess(args, env=env)
