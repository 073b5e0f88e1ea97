"""What the reference server accepts and how it behaves: one frozen :class:`ServerSettings` value.

The credentials, the org, the sandboxes and the known segment definitions come from the same ``SEGJOBS_*``
variables the suite reads, with the same local defaults, so ``serve`` and ``run`` agree when given the same
environment (or none): the OAuth client the token endpoint (:mod:`.ims`, ``serve --ims-port``) issues tokens
for is ``SEGJOBS_CLIENT_ID`` and ``SEGJOBS_CLIENT_SECRET``, and the client id is the API key when
``SEGJOBS_API_KEY`` is unset, as the suite takes it. The remaining fields choose between behaviours the
API doc leaves open ("variants", all conformant), switch on deliberate faults (see
:mod:`conformance.reference.faults`), and crowd the sandboxes the way a shared one is crowded: ``preload``
old finished jobs in each sandbox at start-up (see :mod:`conformance.reference.preload`) and, with
``background_create_seconds``, another client creating jobs for the server's whole life (see
:mod:`conformance.reference.background`).

The variants use the latitude the doc (and HTTP) leave a server, each off by default:

======================  ====================================================================================
query                   ``lenient_query`` (invalid values ignored or clamped, :data:`.listing.LENIENT_RULES`),
                        ``refuse_filter_paths`` and ``refuse_sort_attributes`` (ERRATA E-25, E-14)
bulk-get                ``bulk_unknown``: unknown ids omitted, or listed as one of two error entry shapes
asynchronous effects    ``cancel_delay_seconds`` (a cancel applied later), ``delete_cancelled_seconds``
                        (cancelled jobs removed later), ``listing_lag_seconds`` (listings behind GET)
"later, please"         ``throttle_every`` (429) and ``unavailable_every`` (503), with ``Retry-After: 1``
HTTP                    ``connection_close``, ``idle_close_seconds``, ``gzip``, ``chunked``, ``path_prefix``,
                        ``absolute_links`` (see :mod:`conformance.reference.middleware`)
distance                ``latency_ms``: every answer that many milliseconds later, with a little seeded jitter
======================  ====================================================================================
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from conformance.reference.faults import FAULTS

DEFAULT_ACCESS_TOKEN = "segjobs-local-token"  # noqa: S105 (a documented local default, not a secret)
DEFAULT_API_KEY = "segjobs-local-key"
DEFAULT_IMS_ORG = "0000000000000000000000AA@AdobeOrg"
DEFAULT_SANDBOX_NAME = "prod"
DEFAULT_SECOND_SANDBOX_NAME = "dev"
DEFAULT_SEGMENT_IDS = (
    "4afe34ae-8c98-4513-8a1d-67ccaa54bc05",
    "30230300-ccf1-48ad-8012-c5563a007069",
    "ca763983-5572-4ea4-809c-b7dff7e0d79b",
)
DEFAULT_FAILING_SEGMENT_ID = "9a1fa11e-d000-4bad-8000-00000000fa11"
DEFAULT_IMS_CLIENT_ID = "segjobs-local-client"
DEFAULT_IMS_CLIENT_SECRET = "segjobs-local-secret"  # noqa: S105 (a documented local default, not a secret)
#: How long a token of the token endpoint is good for, in seconds (the platform's: a day).
DEFAULT_IMS_TOKEN_LIFETIME = 300
DEFAULT_JOB_SECONDS = 1.0
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
#: How long an idle keep-alive connection stays open without ``idle_close_seconds`` (uvicorn's default).
DEFAULT_KEEP_ALIVE_SECONDS = 5.0
#: With ``latency_ms``: each delay is drawn evenly between (1 - this) and (1 + this) times it ...
LATENCY_JITTER = 0.1
#: ... by a random generator seeded with this, so the Nth request of a server's life always waits the same.
LATENCY_SEED = 0

#: The environment variables :meth:`ServerSettings.from_env` reads, with their local defaults.
ENVIRONMENT: Mapping[str, str] = {
    "SEGJOBS_ACCESS_TOKEN": DEFAULT_ACCESS_TOKEN,
    "SEGJOBS_API_KEY": DEFAULT_API_KEY,
    "SEGJOBS_CLIENT_ID": DEFAULT_IMS_CLIENT_ID,
    "SEGJOBS_CLIENT_SECRET": DEFAULT_IMS_CLIENT_SECRET,
    "SEGJOBS_IMS_ORG": DEFAULT_IMS_ORG,
    "SEGJOBS_SANDBOX_NAME": DEFAULT_SANDBOX_NAME,
    "SEGJOBS_SECOND_SANDBOX_NAME": DEFAULT_SECOND_SANDBOX_NAME,
    "SEGJOBS_SEGMENT_IDS": ",".join(DEFAULT_SEGMENT_IDS),
    "SEGJOBS_FAILING_SEGMENT_ID": DEFAULT_FAILING_SEGMENT_ID,
}

# Sandbox ids are derived from the org and the name, so they stay the same across restarts.
_SANDBOX_NAMESPACE = uuid.UUID("5e6a1b1e-0d0c-4c1e-9a53-5a4db0c0ffee")

BulkUnknown = Literal["omit", "error", "error-object"]
BULK_UNKNOWN_CHOICES: tuple[BulkUnknown, ...] = ("omit", "error", "error-object")

#: A path prefix the API may be served under: ``/segment`` ... segments of URL-safe characters, no slash at
#: the end (``/data/core/ups``).
PATH_PREFIX_PATTERN = re.compile(r"(/[A-Za-z0-9._~-]+)+")
SortOrder = Literal["asc", "desc"]


@dataclass(frozen=True)
class Sandbox:
    """A sandbox of the org, as it appears in the ``sandbox`` field of a job."""

    name: str
    sandbox_id: str
    type: str
    default: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "sandboxId": self.sandbox_id,
            "sandboxName": self.name,
            "type": self.type,
            "default": self.default,
        }


def make_sandboxes(org: str, names: tuple[str, ...]) -> tuple[Sandbox, ...]:
    """The first name is the default (production) sandbox; the others are development sandboxes."""
    return tuple(
        Sandbox(
            name=name,
            sandbox_id=str(uuid.uuid5(_SANDBOX_NAMESPACE, f"{org}/{name}")),
            type="production" if index == 0 else "development",
            default=index == 0,
        )
        for index, name in enumerate(names)
    )


@dataclass(frozen=True)
class ServerSettings:
    """Everything the reference server needs to know. Build it with :meth:`from_env`, adjust it with
    :func:`dataclasses.replace`; the constructor validates every field."""

    access_token: str = DEFAULT_ACCESS_TOKEN
    api_key: str = DEFAULT_API_KEY
    ims_org: str = DEFAULT_IMS_ORG
    #: The first sandbox is the default one, used when a request has no ``x-sandbox-name``.
    sandboxes: tuple[Sandbox, ...] = field(
        default_factory=lambda: make_sandboxes(
            DEFAULT_IMS_ORG, (DEFAULT_SANDBOX_NAME, DEFAULT_SECOND_SANDBOX_NAME)
        )
    )
    #: Segment definitions that exist: their jobs end SUCCEEDED.
    segment_ids: tuple[str, ...] = DEFAULT_SEGMENT_IDS
    #: A segment definition that exists but whose jobs end FAILED.
    failing_segment_id: str = DEFAULT_FAILING_SEGMENT_ID
    #: The OAuth client the token endpoint (``serve --ims-port``) issues tokens for.
    ims_client_id: str = DEFAULT_IMS_CLIENT_ID
    ims_client_secret: str = DEFAULT_IMS_CLIENT_SECRET
    #: How long a token it issues is good for, in whole seconds (its ``expires_in``).
    ims_token_lifetime: int = DEFAULT_IMS_TOKEN_LIFETIME
    #: How long a job runs from creation to its end, in seconds.
    job_seconds: float = DEFAULT_JOB_SECONDS
    #: The SQLite file; ``":memory:"`` keeps the jobs in memory (tests only: nothing survives).
    db_path: str = ":memory:"
    #: Variant: bulk-get omits unknown ids from ``results`` ("omit"), lists them as 404 problem entries
    #: ("error": ``{"id", "status": 404, "title", "detail"}``) or as nested error objects ("error-object":
    #: ``{"id", "error": {"status": 404, "message": "not found"}}``).
    bulk_unknown: BulkUnknown = "omit"
    #: Variant: cancel moves a job straight to CANCELLED instead of through CANCELLING.
    cancel_direct: bool = False
    #: Variant: jobs and pages carry fields the API doc does not mention.
    extra_fields: bool = False
    #: Largest page; a larger ``limit`` is clamped to it.
    max_limit: int = 100
    #: Order of a listing without ``sort`` (by creationTime).
    default_order: SortOrder = "desc"
    #: Largest request body accepted, in bytes (413 above).
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    #: Deliberate faults switched on (names from :data:`conformance.reference.faults.FAULTS`).
    faults: frozenset[str] = frozenset()
    #: Old finished jobs each sandbox holds from start-up (topped up to this many; see ``preload``).
    preload: int = 0
    #: Another client creates a job in each sandbox every that many seconds (None: nobody does).
    background_create_seconds: float | None = None
    #: Variant: invalid query values of a listing are ignored or clamped instead of refused with 400.
    lenient_query: bool = False
    #: Variant: ``property`` filters only on ``segments~segmentId`` and ``status``; others refused with 400.
    refuse_filter_paths: bool = False
    #: Variant: ``sort`` only on creationTime and updateTime; other attributes refused with 400.
    refuse_sort_attributes: bool = False
    #: Variant: a cancel answers 204 at once but takes effect (CANCELLING, CANCELLED) that many seconds later.
    cancel_delay_seconds: float = 0.0
    #: Variant: a job is removed that many seconds after it reached CANCELLED (None: kept for ever).
    delete_cancelled_seconds: float | None = None
    #: Variant: listings show each job as it was that many seconds ago (GET and bulk-get are current).
    listing_lag_seconds: float = 0.0
    #: Variant: every Nth request of the server's life is answered 429 with ``Retry-After: 1`` (None: none).
    throttle_every: int | None = None
    #: Variant: every Nth request of the server's life is answered 503 with ``Retry-After: 1`` (None: none).
    unavailable_every: int | None = None
    #: Variant (HTTP): every answer carries ``Connection: close`` and the server closes the connection.
    connection_close: bool = False
    #: Variant (HTTP): idle keep-alive connections are closed after that many seconds (None: the default 5).
    idle_close_seconds: float | None = None
    #: Variant (HTTP): bodies are gzip-encoded when the request accepts it.
    gzip: bool = False
    #: Variant (HTTP): bodies are sent with ``Transfer-Encoding: chunked`` (none on 204).
    chunked: bool = False
    #: Variant (HTTP): the API is served under this path (e.g. ``/data/core/ups``), its links carry it.
    path_prefix: str = ""
    #: Variant (HTTP): ``_links`` hrefs are absolute URLs of the request's origin instead of paths.
    absolute_links: bool = False
    #: Distance: every answer of the API comes that many milliseconds (give or take the jitter of
    #: :class:`.middleware.Latency`) after its request; 0 answers at once.
    latency_ms: float = 0.0

    def __post_init__(self) -> None:
        problems = []
        for name in (
            "access_token",
            "api_key",
            "ims_org",
            "failing_segment_id",
            "db_path",
            "ims_client_id",
            "ims_client_secret",
        ):
            if not getattr(self, name):
                problems.append(f"{name} must not be empty")
        if not self.sandboxes:
            problems.append("at least one sandbox is required")
        names = [sandbox.name for sandbox in self.sandboxes]
        if len(set(names)) != len(names):
            problems.append(f"sandbox names must differ, got {names}")
        if not self.segment_ids:
            problems.append("at least one segment definition id is required")
        if self.failing_segment_id in self.segment_ids:
            problems.append(f"the failing segment id {self.failing_segment_id!r} is also a succeeding one")
        lifetime = self.ims_token_lifetime
        if not (isinstance(lifetime, int) and not isinstance(lifetime, bool) and lifetime >= 1):
            problems.append(f"ims_token_lifetime must be an integer >= 1 (seconds), got {lifetime!r}")
        if not self.job_seconds > 0:
            problems.append(f"job_seconds must be > 0, got {self.job_seconds!r}")
        if self.bulk_unknown not in BULK_UNKNOWN_CHOICES:
            problems.append(f"bulk_unknown must be one of {BULK_UNKNOWN_CHOICES}, got {self.bulk_unknown!r}")
        if self.default_order not in ("asc", "desc"):
            problems.append(f"default_order must be 'asc' or 'desc', got {self.default_order!r}")
        if self.max_limit < 1:
            problems.append(f"max_limit must be >= 1, got {self.max_limit!r}")
        if self.max_body_bytes < 1:
            problems.append(f"max_body_bytes must be >= 1, got {self.max_body_bytes!r}")
        if self.preload < 0:
            problems.append(f"preload must be >= 0, got {self.preload!r}")
        interval = self.background_create_seconds
        if interval is not None and not 0 < interval < float("inf"):
            problems.append(f"background_create_seconds must be > 0 and finite, got {interval!r}")
        for name in ("cancel_delay_seconds", "listing_lag_seconds", "delete_cancelled_seconds"):
            seconds = getattr(self, name)
            if seconds is not None and not (_is_number(seconds) and 0 <= seconds < math.inf):
                problems.append(f"{name} must be >= 0 and finite, got {seconds!r}")
        latency = self.latency_ms
        if not (_is_number(latency) and 0 <= latency < math.inf):
            problems.append(f"latency_ms must be >= 0 and finite, got {latency!r}")
        idle = self.idle_close_seconds
        if idle is not None and not (_is_number(idle) and 0 < idle < math.inf):
            problems.append(f"idle_close_seconds must be > 0 and finite, got {idle!r}")
        for name in ("throttle_every", "unavailable_every"):
            every = getattr(self, name)
            if every is not None and not (
                isinstance(every, int) and not isinstance(every, bool) and every >= 2
            ):
                problems.append(
                    f"{name} must be an integer >= 2 (1 would refuse every request), got {every!r}"
                )
        if self.path_prefix and not PATH_PREFIX_PATTERN.fullmatch(self.path_prefix):
            problems.append(
                f"path_prefix must be empty or /segment/... (letters, digits, . _ ~ -; no / at the end), "
                f"got {self.path_prefix!r}"
            )
        unknown = sorted(self.faults - FAULTS.keys())
        if unknown:
            problems.append(f"unknown faults {unknown}; known: {sorted(FAULTS)}")
        if problems:
            raise ValueError("invalid server settings: " + "; ".join(problems))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ServerSettings:
        """Settings from ``SEGJOBS_*`` variables; unset or empty variables take the local defaults."""
        env = {} if environ is None else environ

        def read(name: str) -> str:
            value = env.get(name, "").strip()
            return value or ENVIRONMENT[name]

        org = read("SEGJOBS_IMS_ORG")
        sandbox_names = (read("SEGJOBS_SANDBOX_NAME"), read("SEGJOBS_SECOND_SANDBOX_NAME"))
        segment_ids = tuple(part.strip() for part in read("SEGJOBS_SEGMENT_IDS").split(",") if part.strip())
        client_id = read("SEGJOBS_CLIENT_ID")
        api_key = env.get("SEGJOBS_API_KEY", "").strip() or env.get("SEGJOBS_CLIENT_ID", "").strip()
        return cls(
            access_token=read("SEGJOBS_ACCESS_TOKEN"),
            api_key=api_key or DEFAULT_API_KEY,
            ims_client_id=client_id,
            ims_client_secret=read("SEGJOBS_CLIENT_SECRET"),
            ims_org=org,
            sandboxes=make_sandboxes(org, sandbox_names),
            segment_ids=segment_ids,
            failing_segment_id=read("SEGJOBS_FAILING_SEGMENT_ID"),
        )

    @property
    def default_sandbox(self) -> Sandbox:
        return self.sandboxes[0]

    def sandbox(self, name: str) -> Sandbox | None:
        """The sandbox of that name, or None when the org has no such sandbox."""
        return next((sandbox for sandbox in self.sandboxes if sandbox.name == name), None)

    def knows_segment(self, segment_id: str) -> bool:
        return segment_id in self.segment_ids or segment_id == self.failing_segment_id

    @property
    def keep_alive_seconds(self) -> float:
        """How long an idle keep-alive connection stays open."""
        return DEFAULT_KEEP_ALIVE_SECONDS if self.idle_close_seconds is None else self.idle_close_seconds

    def describe(self) -> list[str]:
        """Human-readable lines of the settings that matter; credentials are masked."""
        lines = [
            f"access token   {mask(self.access_token)}",
            f"api key        {mask(self.api_key)}",
            f"oauth client   {mask(self.ims_client_id)}, secret {mask(self.ims_client_secret)}",
            f"oauth tokens   good for {self.ims_token_lifetime} s (served with --ims-port)",
            f"ims org        {self.ims_org}",
            "sandboxes      "
            + ", ".join(f"{s.name} ({s.type}{', default' if s.default else ''})" for s in self.sandboxes),
            "segment ids    " + ", ".join(self.segment_ids),
            f"failing id     {self.failing_segment_id}",
            f"job seconds    {self.job_seconds:g}",
            f"database       {self.db_path}",
            f"bulk unknown   {self.bulk_unknown}",
            f"cancel         {'direct to CANCELLED' if self.cancel_direct else 'through CANCELLING'}",
            f"extra fields   {'yes' if self.extra_fields else 'no'}",
            f"page size      default 20, max {self.max_limit}",
            f"default order  creationTime:{self.default_order}",
            f"preloaded      {self.preload} finished jobs per sandbox",
            "other client   "
            + (
                "none"
                if self.background_create_seconds is None
                else f"creates a job per sandbox every {self.background_create_seconds:g} s"
            ),
        ]
        lines += self._describe_latitude()
        if self.faults:
            lines.append(
                "FAULTS         " + ", ".join(sorted(self.faults)) + "  (deliberately non-conformant)"
            )
        return lines

    def _describe_latitude(self) -> list[str]:
        """The lines of the query, timing and HTTP variants (all conformant)."""
        refused = " (others refused with 400)"
        sort_keys = (
            "creationTime, updateTime" + refused
            if self.refuse_sort_attributes
            else "creationTime, updateTime, status, id"
        )
        filters = "segments~segmentId, status" + refused if self.refuse_filter_paths else "any path"
        query = (
            "lenient (invalid values ignored or clamped)" if self.lenient_query else "invalid values refused"
        )
        cancel = f"{self.cancel_delay_seconds:g} s after the 204" if self.cancel_delay_seconds else "at once"
        cancelled = (
            "kept"
            if self.delete_cancelled_seconds is None
            else f"removed {self.delete_cancelled_seconds:g} s after reaching CANCELLED"
        )
        listings = (
            f"show jobs as they were {self.listing_lag_seconds:g} s ago"
            if self.listing_lag_seconds
            else "show jobs as they are"
        )
        refusing = [
            f"request {every}, {2 * every}, ... answered {status} (Retry-After: 1)"
            for every, status in ((self.throttle_every, 429), (self.unavailable_every, 503))
            if every is not None
        ]
        connections = (
            "closed after every answer (Connection: close)"
            if self.connection_close
            else f"keep-alive, closed after {self.keep_alive_seconds:g} s idle"
        )
        encodings = [
            name for name, on in (("gzip when accepted", self.gzip), ("chunked", self.chunked)) if on
        ]
        links = "absolute URLs of the request's origin" if self.absolute_links else "paths"
        latency = (
            f"every answer {self.latency_ms:g} ms after its request "
            f"(+/- {LATENCY_JITTER * 100:g} %, seed {LATENCY_SEED})"
            if self.latency_ms
            else "none: answers at once"
        )
        return [
            f"query values   {query}",
            f"sort on        {sort_keys}",
            f"filter on      {filters}",
            f"cancel applied {cancel}",
            f"cancelled jobs {cancelled}",
            f"listings       {listings}",
            "load           " + ("; ".join(refusing) if refusing else "every request served"),
            f"connections    {connections}",
            "bodies         " + (", ".join(encodings) if encodings else "identity, with Content-Length"),
            f"served under   {self.path_prefix or '/'} (links are {links})",
            f"latency        {latency}",
        ]


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def mask(secret: str) -> str:
    """A secret as it may be printed: never its value, only whether it is the local default."""
    defaults = (DEFAULT_ACCESS_TOKEN, DEFAULT_API_KEY, DEFAULT_IMS_CLIENT_ID, DEFAULT_IMS_CLIENT_SECRET)
    return "****** (local default)" if secret in defaults else "****** (from the environment)"
