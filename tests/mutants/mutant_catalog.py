"""The mutants: deliberately broken reference servers, each with the requirement IDs it must trip.

A mutant is the reference server started with the flags that plant one fault (``--fault NAME``, sometimes
together with an honest variant, so the fault is caught whichever doc-compatible choice it hides behind),
the requirement IDs of which at least one must fail, and the ``--select`` expression that reaches them
quickly, in the quick profile unless the check that catches it belongs to the standard one (the quick
profile keeps to its budget of created jobs). A fault that breaks only a SHOULD is a *strict* mutant: its run
passes ``--strict``, under which a failed SHOULD makes the verdict non-conformant too. Every fault a mutant
plants exists on the reference server (``test_mutants.py`` checks it).

Honest variants are the opposite: settings that make different choices the doc leaves open. The suite must
judge every one of them conformant.

Used by ``test_mutants.py``, ``test_honest_variants.py`` and ``benchmarks/detection.py``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from conformance.reference.settings import DEFAULT_FAILING_SEGMENT_ID, DEFAULT_SECOND_SANDBOX_NAME

AREAS = ("shapes", "status-codes", "lifecycle", "listing", "bulk-get", "auth", "bad-input")

#: A reference server shows a cancel within a second: the embedded run's cancel timeout (3 s) is its deadline
#: too, and bounds how long the late checks wait (a --base-url run would otherwise wait 60 s for them).
SELFTEST_TIMINGS: Mapping[str, str] = {"SEGJOBS_CANCEL_TIMEOUT": "3"}

#: Every run against a separately started server names what the embedded one would know, so the tests
#: that need a second sandbox or a failing segment definition are enabled.
RUN_ENV: Mapping[str, str] = {
    "SEGJOBS_SECOND_SANDBOX_NAME": DEFAULT_SECOND_SANDBOX_NAME,
    "SEGJOBS_FAILING_SEGMENT_ID": DEFAULT_FAILING_SEGMENT_ID,
    **SELFTEST_TIMINGS,
}
#: Jobs of a mutant run for half a second unless its flags say otherwise (the runs stay short), and a
#: run waits at most this long for one (a fault that hides the end of a job cannot stall a run).
MUTANT_JOB_SECONDS = "0.5"
MUTANT_JOB_TIMEOUT = "15"


@dataclass(frozen=True)
class Mutant:
    name: str
    area: str
    flags: tuple[str, ...]
    expected: tuple[str, ...]
    select: str
    #: extra environment of the run (e.g. a short SEGJOBS_JOB_TIMEOUT for a job that never ends)
    env: Mapping[str, str] = field(default_factory=dict)
    #: one of the few run by default (one or two per area)
    representative: bool = False
    #: the fault breaks a SHOULD only: the run passes --strict
    strict: bool = False
    #: the run's profile: quick, or standard where only a standard check can see the fault
    profile: str = "quick"

    @property
    def faults(self) -> tuple[str, ...]:
        return tuple(self.flags[i + 1] for i, flag in enumerate(self.flags) if flag == "--fault")

    @property
    def server_args(self) -> tuple[str, ...]:
        """The reference server's command line."""
        if "--job-seconds" in self.flags:
            return self.flags
        return (*self.flags, "--job-seconds", MUTANT_JOB_SECONDS)

    @property
    def run_env(self) -> dict[str, str]:
        return {**RUN_ENV, "SEGJOBS_JOB_TIMEOUT": MUTANT_JOB_TIMEOUT, **self.env}


def _m(
    name: str,
    area: str,
    flags: str,
    expected: str,
    select: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    representative: bool = False,
    strict: bool = False,
    profile: str = "quick",
) -> Mutant:
    ids = tuple(expected.split())
    return Mutant(
        name=name,
        area=area,
        flags=tuple(flags.split()),
        expected=ids,
        select=select or ids[0],
        env=dict(env or {}),
        representative=representative,
        strict=strict,
        profile=profile,
    )


MUTANTS: tuple[Mutant, ...] = (
    # -- response shapes --------------------------------------------------------------------------------
    _m(
        "missing-field-id",
        "shapes",
        "--fault missing-field-id",
        "SJ-CREATE-004 SJ-CREATE-006 SJ-GET-003 SJ-LIST-014 SJ-BULK-007",
    ),
    _m(
        "renamed-field",
        "shapes",
        "--fault renamed-field",
        "SJ-CREATE-006 SJ-GET-003 SJ-LIST-014 SJ-BULK-007",
        representative=True,
    ),
    _m("wrong-types", "shapes", "--fault wrong-types", "SJ-CREATE-006 SJ-GET-003 SJ-LIST-014 SJ-BULK-007"),
    _m(
        "status-lowercase",
        "shapes",
        "--fault status-lowercase",
        "SJ-LIFECYCLE-001 SJ-CREATE-002 SJ-CREATE-006 SJ-GET-003",
        "SJ-LIFECYCLE-001,SJ-CREATE-002",
    ),
    _m(
        "status-lowercase/extra-fields",
        "shapes",
        "--fault status-lowercase --extra-fields",
        "SJ-LIFECYCLE-001 SJ-CREATE-002 SJ-CREATE-006 SJ-GET-003",
        "SJ-LIFECYCLE-001,SJ-CREATE-002",
    ),
    # the fleet's jobs run one segment definition each; the create of two runs in the standard profile
    _m(
        "segments-reversed",
        "shapes",
        "--fault segments-reversed",
        "SJ-CREATE-003",
        representative=True,
        profile="standard",
    ),
    _m("page-json-truncated", "shapes", "--fault page-json-truncated", "SJ-HTTP-002"),
    _m("page-without-page", "shapes", "--fault page-without-page", "SJ-LIST-002"),
    # -- status codes -----------------------------------------------------------------------------------
    _m("create-201", "status-codes", "--fault create-201", "SJ-CREATE-001 SJ-ERROR-003", representative=True),
    _m("bulk-200", "status-codes", "--fault bulk-200", "SJ-BULK-001 SJ-ERROR-003"),
    _m(
        "cancel-200-body",
        "status-codes",
        "--fault cancel-200-body",
        "SJ-CANCEL-001 SJ-CANCEL-002",
        "SJ-CANCEL-001,SJ-CANCEL-002",
    ),
    _m(
        "cancel-204-body",
        "status-codes",
        "--fault cancel-204-body",
        "SJ-CANCEL-002 SJ-CANCEL-007 SJ-HTTP-004",
        "SJ-CANCEL-002,SJ-CANCEL-007",
        representative=True,
    ),
    _m("cancel-204-length", "status-codes", "--fault cancel-204-length", "SJ-CANCEL-009", strict=True),
    _m(
        "throttle-without-retry-after",
        "status-codes",
        "--fault throttle-without-retry-after",
        "SJ-ERROR-005",
        "SJ-ERROR-005,SJ-GET-002",  # the 429 check judges the answers of the tests run beside it
        strict=True,
    ),
    _m("unknown-id-500", "status-codes", "--fault unknown-id-500", "SJ-GET-002 SJ-ERROR-001"),
    _m("id-prefix-get", "status-codes", "--fault id-prefix-get", "SJ-GET-002"),
    _m("list-500", "status-codes", "--fault list-500", "SJ-LIST-001 SJ-ERROR-001", "SJ-LIST-001"),
    _m("cancel-unknown-204", "status-codes", "--fault cancel-unknown-204", "SJ-CANCEL-006"),
    _m("wrong-content-type", "status-codes", "--fault wrong-content-type", "SJ-HTTP-001"),
    _m(
        "wrong-content-type/extra-fields",
        "status-codes",
        "--fault wrong-content-type --extra-fields",
        "SJ-HTTP-001",
    ),
    _m(
        "second-cancel-500",
        "status-codes",
        "--fault second-cancel-500",
        "SJ-CANCEL-004 SJ-ERROR-001",
        "SJ-CANCEL-004",
    ),
    _m(
        "second-cancel-500/cancel-direct",
        "status-codes",
        "--fault second-cancel-500 --cancel-direct",
        "SJ-CANCEL-004 SJ-ERROR-001",
        "SJ-CANCEL-004",
    ),
    # -- lifecycle --------------------------------------------------------------------------------------
    _m("new-not-new", "lifecycle", "--fault new-not-new", "SJ-CREATE-002", representative=True),
    _m(
        "finished-regresses",
        "lifecycle",
        "--fault finished-regresses",
        "SJ-LIFECYCLE-004 SJ-LIFECYCLE-002",
        "SJ-LIFECYCLE-004,SJ-LIFECYCLE-002",
    ),
    _m("cancel-ignored", "lifecycle", "--fault cancel-ignored", "SJ-CANCEL-003", representative=True),
    _m(
        "cancel-ignored/cancel-direct", "lifecycle", "--fault cancel-ignored --cancel-direct", "SJ-CANCEL-003"
    ),
    _m(
        "cancel-changes-finished",
        "lifecycle",
        "--fault cancel-changes-finished",
        "SJ-CANCEL-005 SJ-LIFECYCLE-004",
    ),
    _m(
        "never-finishes",
        "lifecycle",
        "--fault never-finishes",
        "SJ-LIFECYCLE-003",
        env={"SEGJOBS_JOB_TIMEOUT": "4"},
    ),
    _m("update-time-backwards", "lifecycle", "--fault update-time-backwards", "SJ-LIFECYCLE-009"),
    _m("duplicate-ids", "lifecycle", "--fault duplicate-ids", "SJ-CREATE-005"),
    _m("get-wrong-job", "lifecycle", "--fault get-wrong-job", "SJ-GET-001"),
    _m("succeeded-without-batch", "lifecycle", "--fault succeeded-without-batch", "SJ-LIFECYCLE-005"),
    _m("total-time-off", "lifecycle", "--fault total-time-off", "SJ-LIFECYCLE-006"),
    _m("creation-time-drifts", "lifecycle", "--fault creation-time-drifts", "SJ-LIFECYCLE-008"),
    _m(
        "finished-profiles-grow",
        "lifecycle",
        "--fault finished-profiles-grow",
        "SJ-LIFECYCLE-010",
        strict=True,
    ),
    # staying readable after a cancel is a SHOULD (ERRATA E-19: the doc calls the cancel a delete)
    _m("cancelled-job-404", "lifecycle", "--fault cancelled-job-404", "SJ-CANCEL-008", strict=True),
    _m(
        "cancelled-job-404/cancel-direct",
        "lifecycle",
        "--fault cancelled-job-404 --cancel-direct",
        "SJ-CANCEL-008",
        strict=True,
    ),
    _m(
        "failed-without-errors",
        "lifecycle",
        "--fault failed-without-errors",
        "SJ-LIFECYCLE-007",
        strict=True,
    ),
    # -- listing ----------------------------------------------------------------------------------------
    _m(
        "list-ignores-status-filter",
        "listing",
        "--fault list-ignores-status-filter",
        "SJ-LIST-003 SJ-LIST-015",
    ),
    _m("list-ignores-limit", "listing", "--fault list-ignores-limit", "SJ-LIST-004"),
    _m(
        "list-ignores-limit/max-limit-5", "listing", "--fault list-ignores-limit --max-limit 5", "SJ-LIST-004"
    ),
    _m("paging-overlap", "listing", "--fault paging-overlap", "SJ-LIST-006", representative=True),
    _m("paging-overlap/max-limit-5", "listing", "--fault paging-overlap --max-limit 5", "SJ-LIST-006"),
    _m("sort-ignored", "listing", "--fault sort-ignored", "SJ-LIST-009"),
    _m(
        "sort-ignored/default-order-asc", "listing", "--fault sort-ignored --default-order asc", "SJ-LIST-009"
    ),
    _m("total-count-wrong", "listing", "--fault total-count-wrong", "SJ-LIST-007"),
    _m("created-job-invisible", "listing", "--fault created-job-invisible", "SJ-CREATE-007"),
    _m(
        "property-filter-ignored",
        "listing",
        "--fault property-filter-ignored",
        "SJ-LIST-010 SJ-LIST-011",
        "SJ-LIST-010,SJ-LIST-011",
    ),
    # near misses of a filter value (issue 14): loose comparisons a careless implementation makes; the
    # variants refusing filter paths leave only segments~segmentId and status to catch them on
    _m(
        "filter-substring",
        "listing",
        "--fault filter-substring",
        "SJ-LIST-010 SJ-LIST-011 SJ-LIST-015",
        "SJ-LIST-010,SJ-LIST-011",
        representative=True,
    ),
    _m(
        "filter-substring/refuse-filter-paths",
        "listing",
        "--fault filter-substring --refuse-filter-paths",
        "SJ-LIST-010 SJ-LIST-011 SJ-LIST-015",
        "SJ-LIST-010,SJ-LIST-011",
    ),
    _m(
        "filter-prefix",
        "listing",
        "--fault filter-prefix",
        "SJ-LIST-010 SJ-LIST-011 SJ-LIST-015",
        "SJ-LIST-010,SJ-LIST-011",
    ),
    _m("filter-case-insensitive", "listing", "--fault filter-case-insensitive", "SJ-LIST-010"),
    _m(
        "filter-case-insensitive/refuse-filter-paths",
        "listing",
        "--fault filter-case-insensitive --refuse-filter-paths",
        "SJ-LIST-010",
    ),
    _m(
        "filter-normalized",
        "listing",
        "--fault filter-normalized",
        "SJ-LIST-010 SJ-LIST-011 SJ-LIST-015",
        "SJ-LIST-010,SJ-LIST-011",
    ),
    _m("bad-limit-500", "listing", "--fault bad-limit-500", "SJ-LIST-013 SJ-ERROR-001", "SJ-LIST-013"),
    _m("start-beyond-end-404", "listing", "--fault start-beyond-end-404", "SJ-LIST-016"),
    _m(
        "start-beyond-end-404/max-limit-5",
        "listing",
        "--fault start-beyond-end-404 --max-limit 5",
        "SJ-LIST-016",
    ),
    _m(
        "next-link-drops-filters",
        "listing",
        "--fault next-link-drops-filters",
        "SJ-LIST-017",
        representative=True,
        strict=True,
    ),
    _m(
        "next-link-drops-filters/default-order-asc",
        "listing",
        "--fault next-link-drops-filters --default-order asc",
        "SJ-LIST-017",
        strict=True,
    ),
    _m("no-next-link", "listing", "--fault no-next-link", "SJ-LIST-008", strict=True),
    # -- bulk-get ---------------------------------------------------------------------------------------
    _m(
        "bulk-missing-result",
        "bulk-get",
        "--fault bulk-missing-result",
        "SJ-BULK-003",
        representative=True,
    ),
    _m(
        "bulk-missing-result/bulk-unknown-error",
        "bulk-get",
        "--fault bulk-missing-result --bulk-unknown error",
        "SJ-BULK-003",
    ),
    _m(
        "bulk-results-list",
        "bulk-get",
        "--fault bulk-results-list",
        "SJ-BULK-001 SJ-BULK-003 SJ-HTTP-003",
        "SJ-BULK-001,SJ-BULK-003",
    ),
    _m(
        "bulk-wrong-job",
        "bulk-get",
        "--fault bulk-wrong-job",
        "SJ-BULK-002",
        "SJ-BULK-002,SJ-BULK-003",
        representative=True,
    ),
    _m(
        "bulk-wrong-job/bulk-unknown-error",
        "bulk-get",
        "--fault bulk-wrong-job --bulk-unknown error",
        "SJ-BULK-002",
        "SJ-BULK-002,SJ-BULK-003",
    ),
    _m("bulk-unknown-shown-as-job", "bulk-get", "--fault bulk-unknown-shown-as-job", "SJ-BULK-004"),
    _m("bulk-id-normalized", "bulk-get", "--fault bulk-id-normalized", "SJ-BULK-004"),
    _m(
        "bulk-id-normalized/bulk-unknown-error",
        "bulk-get",
        "--fault bulk-id-normalized --bulk-unknown error",
        "SJ-BULK-004",
    ),
    _m(
        "bulk-unknown-shown-as-job/bulk-unknown-error",
        "bulk-get",
        "--fault bulk-unknown-shown-as-job --bulk-unknown error",
        "SJ-BULK-004",
    ),
    # -- auth and isolation -----------------------------------------------------------------------------
    _m(
        "no-auth",
        "auth",
        "--fault no-auth",
        "SJ-AUTH-001 SJ-AUTH-002 SJ-AUTH-003 SJ-AUTH-004 SJ-AUTH-009",
        "SJ-AUTH-001,SJ-AUTH-003",
    ),
    _m("any-token-accepted", "auth", "--fault any-token-accepted", "SJ-AUTH-002", representative=True),
    _m(
        "sandbox-leak",
        "auth",
        "--fault sandbox-leak",
        "SJ-AUTH-006 SJ-LIST-012",
        "SJ-AUTH-006,SJ-LIST-012",
        representative=True,
    ),
    _m("unknown-sandbox-default", "auth", "--fault unknown-sandbox-default", "SJ-AUTH-008"),
    # the cancel lands a second after its 404: seen once the job would have ended, never at once
    _m(
        "refused-cancel-applied-later",
        "auth",
        "--fault refused-cancel-applied-later --job-seconds 4",
        "SJ-AUTH-007",
        "SJ-AUTH-006,SJ-AUTH-007",
    ),
    # creates refused by the gateway run in the standard profile
    _m("refused-create-creates", "auth", "--fault refused-create-creates", "SJ-AUTH-007", profile="standard"),
    # -- bad input --------------------------------------------------------------------------------------
    _m("empty-array-accepted", "bad-input", "--fault empty-array-accepted", "SJ-CREATE-008"),
    _m(
        "malformed-body-500",
        "bad-input",
        "--fault malformed-body-500",
        "SJ-CREATE-010 SJ-ERROR-001 SJ-BULK-006",
        "SJ-CREATE-010",
        representative=True,
    ),
    _m("unknown-segment-accepted", "bad-input", "--fault unknown-segment-accepted", "SJ-CREATE-009"),
    _m("content-type-ignored", "bad-input", "--fault content-type-ignored", "SJ-CREATE-011"),
    # -- endpoints that disagree, statuses that flicker (issue 14) ---------------------------------------
    # copies older than the lag tolerance are seen by the last test, once a job has settled; the cache
    # keeps a copy of a running job when the jobs run long enough for bulk-get to see them run
    _m("bulk-stale-cache", "bulk-get", "--fault bulk-stale-cache --job-seconds 3", "SJ-BULK-002"),
    _m("listing-stale", "listing", "--fault listing-stale", "SJ-LIST-018"),
    _m("listing-update-time-seconds", "listing", "--fault listing-update-time-seconds", "SJ-LIST-018"),
    # the fleet's jobs run one segment definition each; the create of two runs in the standard profile
    _m(
        "bulk-segments-reversed",
        "bulk-get",
        "--fault bulk-segments-reversed",
        "SJ-BULK-002",
        "SJ-BULK-002,SJ-CREATE-003",
        profile="standard",
    ),
    # a flicker right after the first finished status: seen only by the reads that follow it (_watch)
    _m(
        "cancelled-reads-processing",
        "lifecycle",
        "--fault cancelled-reads-processing",
        "SJ-LIFECYCLE-004 SJ-LIFECYCLE-002 SJ-CANCEL-003",
        "SJ-LIFECYCLE-002",
        representative=True,
    ),
    _m("succeeded-reads-failed", "lifecycle", "--fault succeeded-reads-failed", "SJ-LIFECYCLE-004"),
    # -- quieter one-rule bugs of the doc's rules (issue 14): paging off by one, a count or an order wrong in
    # one place, a field of the wrong type on one endpoint, a missing header; the SHOULDs run --strict
    _m(
        "page-limit-plus-one",
        "listing",
        "--fault page-limit-plus-one",
        "SJ-LIST-004 SJ-LIST-006",
        "SJ-LIST-004",
    ),
    _m(
        "total-count-of-page",
        "listing",
        "--fault total-count-of-page",
        "SJ-LIST-007 SJ-LIST-006",
        "SJ-LIST-007,SJ-LIST-006",
        representative=True,
    ),
    _m("update-sort-inverted", "listing", "--fault update-sort-inverted", "SJ-LIST-009"),
    _m(
        "start-skips-one",
        "listing",
        "--fault start-skips-one",
        "SJ-LIST-006 SJ-LIST-007",
        "SJ-LIST-006,SJ-LIST-007",
    ),
    _m("limit-one-refused", "listing", "--fault limit-one-refused", "SJ-LIST-004 SJ-LIST-001", "SJ-LIST-004"),
    _m("status-filter-finished", "listing", "--fault status-filter-finished", "SJ-LIST-003"),
    _m(
        "bulk-unknown-500",
        "bulk-get",
        "--fault bulk-unknown-500",
        "SJ-BULK-004 SJ-ERROR-001",
        "SJ-BULK-004",
        representative=True,
    ),
    _m(
        "bulk-times-strings",
        "bulk-get",
        "--fault bulk-times-strings",
        "SJ-BULK-007 SJ-BULK-002",
        "SJ-BULK-007",
    ),
    _m("listing-redirects", "status-codes", "--fault listing-redirects", "SJ-HTTP-005"),
    _m("page-size-is-limit", "listing", "--fault page-size-is-limit", "SJ-LIST-005", strict=True),
    _m("update-epoch-ms", "shapes", "--fault update-epoch-ms", "SJ-GET-005", strict=True),
    _m("cancel-link-get", "shapes", "--fault cancel-link-get", "SJ-GET-004", strict=True),
    _m("bulk-empty-all-jobs", "bulk-get", "--fault bulk-empty-all-jobs", "SJ-BULK-005", strict=True),
    _m("not-found-text-plain", "status-codes", "--fault not-found-text-plain", "SJ-ERROR-002", strict=True),
    _m("no-allow-on-405", "status-codes", "--fault no-allow-on-405", "SJ-ERROR-004", strict=True),
    # the same, behind the honest choices that could hide them: clamped pages, the oldest job first, and
    # sort refused on all but creationTime and updateTime
    _m(
        "page-limit-plus-one/max-limit-5",
        "listing",
        "--fault page-limit-plus-one --max-limit 5",
        "SJ-LIST-004 SJ-LIST-006",
        "SJ-LIST-004",
    ),
    _m(
        "total-count-of-page/max-limit-5",
        "listing",
        "--fault total-count-of-page --max-limit 5",
        "SJ-LIST-007 SJ-LIST-006",
        "SJ-LIST-007,SJ-LIST-006",
    ),
    _m(
        "start-skips-one/default-order-asc",
        "listing",
        "--fault start-skips-one --default-order asc",
        "SJ-LIST-006 SJ-LIST-007",
        "SJ-LIST-006,SJ-LIST-007",
    ),
    _m(
        "update-sort-inverted/refuse-sort-attributes",
        "listing",
        "--fault update-sort-inverted --refuse-sort-attributes",
        "SJ-LIST-009",
    ),
    # a run's read timeout below the slow answer's 8 s (the default, 15 s, would wait for it)
    _m(
        "update-sort-slow",
        "listing",
        "--fault update-sort-slow",
        "SJ-HTTP-006",
        "SJ-LIST-009,SJ-HTTP-006",
        env={"SEGJOBS_READ_TIMEOUT": "2"},
    ),
    _m(
        "audience-size-missing", "lifecycle", "--fault audience-size-missing", "SJ-LIFECYCLE-011", strict=True
    ),
    # -- effects that show later, isolation one way only (issue 14) -------------------------------------
    # each shows only after the immediate re-read: the late checks, once the cancel timeout has passed
    _m(
        "finished-cancel-applied-later",
        "lifecycle",
        "--fault finished-cancel-applied-later",
        "SJ-CANCEL-005",
    ),
    _m("refused-create-applied-later", "bad-input", "--fault refused-create-applied-later", "SJ-CREATE-009"),
    # the second sandbox's job is the run's in the standard profile
    _m(
        "second-sandbox-listed-in-first",
        "auth",
        "--fault second-sandbox-listed-in-first",
        "SJ-AUTH-006 SJ-LIST-012",
        "SJ-AUTH-006",
        profile="standard",
    ),
    _m(
        "second-sandbox-get-from-first",
        "auth",
        "--fault second-sandbox-get-from-first",
        "SJ-AUTH-006",
        profile="standard",
    ),
    _m(
        "second-sandbox-bulk-from-first",
        "auth",
        "--fault second-sandbox-bulk-from-first",
        "SJ-AUTH-006",
        profile="standard",
    ),
    # the cancel lands 1.5 s after its 404, on a job that runs 4 s
    _m(
        "second-sandbox-cancel-from-first-later",
        "auth",
        "--fault second-sandbox-cancel-from-first-later --job-seconds 4",
        "SJ-AUTH-006",
        profile="standard",
    ),
)

BY_NAME: Mapping[str, Mutant] = {m.name: m for m in MUTANTS}

#: set to 1 to run the whole catalog (and every seed of the honest variants) without ``-m slow``
FULL_RUN_VARIABLE = "SEGJOBS_FULL_MUTANTS"


def full_run_requested(markexpr: str) -> bool:
    """Whether the whole catalog runs: ``SEGJOBS_FULL_MUTANTS=1``, or a ``-m`` expression selecting slow."""
    if os.environ.get(FULL_RUN_VARIABLE) == "1":
        return True
    return "slow" in markexpr and "not slow" not in markexpr


def live_mutants() -> tuple[Mutant, ...]:
    """The mutants the reference server can plant: all of them."""
    return MUTANTS


@dataclass(frozen=True)
class HonestVariant:
    """Doc-compatible server settings the suite must judge conformant. ``env`` goes to both the server
    and the run (they must agree on the tenant)."""

    name: str
    flags: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    note: str = ""
    #: what the run's --base-url adds to the server's URL (a server that serves the API under a prefix)
    base_path: str = ""
    #: SHOULD requirements the honest choice does not follow (it may: a SHOULD is no MUST)
    misses: tuple[str, ...] = ()

    @property
    def run_env(self) -> dict[str, str]:
        return {**RUN_ENV, **self.env}


CUSTOM_TENANT = {
    "SEGJOBS_ACCESS_TOKEN": "variant-token-8d1f",
    "SEGJOBS_API_KEY": "variant-key-52ac",
    "SEGJOBS_IMS_ORG": "1234567890ABCDEF12345678@AdobeOrg",
    "SEGJOBS_SANDBOX_NAME": "prod-eu",
    "SEGJOBS_SECOND_SANDBOX_NAME": "dev-eu",
    "SEGJOBS_SEGMENT_IDS": "11111111-2222-4333-8444-555555555555,66666666-7777-4888-9999-aaaaaaaaaaaa",
    "SEGJOBS_FAILING_SEGMENT_ID": "bbbbbbbb-cccc-4ddd-8eee-ffffffffffff",
}

HONEST_VARIANTS: tuple[HonestVariant, ...] = (
    HonestVariant("fast-jobs", ("--job-seconds", "0.05"), note="jobs end before a poller sees them run"),
    HonestVariant("slow-jobs", ("--job-seconds", "4"), note="jobs outlive many polls"),
    HonestVariant(
        "bulk-unknown-error", ("--bulk-unknown", "error"), note="unknown ids listed as 404 entries"
    ),
    HonestVariant("cancel-direct", ("--cancel-direct",), note="cancel skips CANCELLING"),
    HonestVariant("extra-fields", ("--extra-fields",), note="undocumented fields on jobs and pages"),
    HonestVariant("max-limit-5", ("--max-limit", "5"), note="pages of at most 5, larger limits clamped"),
    HonestVariant("default-order-asc", ("--default-order", "asc"), note="oldest first without sort"),
    HonestVariant(
        "all-variants",
        (
            "--job-seconds",
            "0.3",
            "--bulk-unknown",
            "error",
            "--cancel-direct",
            "--extra-fields",
            "--max-limit",
            "5",
            "--default-order",
            "asc",
        ),
        note="every choice above at once",
    ),
    HonestVariant(
        "custom-tenant",
        ("--job-seconds", "0.5"),
        env={**RUN_ENV, **CUSTOM_TENANT},
        note="other credentials, org, sandbox names and segment definitions (server and run agree)",
    ),
)

#: The latitude the doc and HTTP leave a server (issue 13), one honest variant per flag: invalid query values
#: ignored, unsupported filter paths and sort attributes refused, another shape of bulk-get error entry,
#: effects that come later, "later, please" answers, and the HTTP a real gateway speaks. Conformant, every
#: one (ERRATA E-09, E-14, E-19, E-25, E-30; RFC 9110 and 9112).
LATITUDE_VARIANTS: tuple[HonestVariant, ...] = (
    HonestVariant(
        "lenient-query",
        ("--lenient-query",),
        note="sort= or creationTime:up ignored, limit=0/-1 clamped to 1, limit=abc the default, start=-1 "
        "read as 0, an unknown status an empty page",
    ),
    HonestVariant(
        "refuse-filter-paths",
        ("--refuse-filter-paths",),
        note="property filters only on segments~segmentId and status; id, sandbox.sandboxName ... refused "
        "with 400 (ERRATA E-25)",
    ),
    HonestVariant(
        "refuse-sort-attributes",
        ("--refuse-sort-attributes",),
        note="sort only on creationTime and updateTime; id and status refused with 400 (ERRATA E-14)",
    ),
    HonestVariant(
        "bulk-unknown-error-object",
        ("--bulk-unknown", "error-object"),
        note='unknown ids listed as {"id", "error": {"status": 404, "message": "not found"}}',
    ),
    HonestVariant(
        "cancel-delay",
        ("--cancel-delay", "0.6"),
        note="a cancel answers 204 at once and takes effect 0.6 s later (the doc: deletion is asynchronous)",
    ),
    HonestVariant(
        "delete-cancelled",
        ("--delete-cancelled", "0.5"),
        note="a job is gone (404 from GET and cancel, absent from list and bulk-get) 0.5 s after CANCELLED",
        misses=("SJ-CANCEL-008",),
    ),
    HonestVariant(
        "listing-lag",
        ("--listing-lag", "1"),
        note="listings show jobs as they were 1 s ago (a new job NEW); GET and bulk-get are current",
    ),
    HonestVariant(
        "throttle-every-6",
        ("--throttle-every", "6"),
        note="every 6th request answered 429 with Retry-After: 1",
    ),
    HonestVariant(
        "unavailable-every-20",
        ("--unavailable-every", "20"),
        note="every 20th request answered 503 with Retry-After: 1",
    ),
    HonestVariant(
        "connection-close",
        ("--connection-close",),
        note="every answer carries Connection: close and the server closes the connection",
    ),
    HonestVariant(
        "idle-close-1",
        ("--idle-close", "1"),
        note="keep-alive connections closed by the server after 1 s idle",
    ),
    HonestVariant("gzip", ("--gzip",), note="bodies gzip-encoded when the client accepts gzip"),
    HonestVariant(
        "chunked",
        ("--chunked",),
        note="bodies sent with Transfer-Encoding: chunked (no Content-Length), none on 204",
    ),
    HonestVariant(
        "path-prefix",
        ("--path-prefix", "/data/core/ups"),
        note="the API served under /data/core/ups, and the hrefs of _links carry it; the run's --base-url "
        "is the server's URL followed by /data/core/ups",
        base_path="/data/core/ups",
    ),
    HonestVariant(
        "absolute-links",
        ("--absolute-links",),
        note="the hrefs of _links (next, checkStatus, cancel) are absolute URLs of the server's origin",
    ),
)

#: Every latitude a server can take at once (but the slow "later" answers): the default self-test run.
ALL_LATITUDE = HonestVariant(
    "all-latitude",
    (
        "--lenient-query",
        "--refuse-filter-paths",
        "--refuse-sort-attributes",
        "--bulk-unknown",
        "error-object",
        "--cancel-delay",
        "0.6",
        "--delete-cancelled",
        "0.5",
        "--listing-lag",
        "1",
        "--unavailable-every",
        "40",
        "--connection-close",
        "--gzip",
        "--chunked",
        "--path-prefix",
        "/data/core/ups",
        "--absolute-links",
    ),
    note="the choices above together, with a 503 every 40th request",
    base_path="/data/core/ups",
    misses=("SJ-CANCEL-008",),
)

#: Shared, busy, crowded sandboxes: thousands of older jobs of every status, another client creating jobs
#: while the run goes on, and pages clamped small. Honest too: the suite must judge each conformant.
CROWDED_VARIANTS: tuple[HonestVariant, ...] = (
    HonestVariant("preloaded", ("--preload", "3000"), note="3,000 older finished jobs in each sandbox"),
    HonestVariant("busy", ("--background-creates", "0.5"), note="another client creates a job every 0.5 s"),
    HonestVariant(
        "crowded-busy-clamped",
        ("--preload", "3000", "--background-creates", "0.5", "--max-limit", "5"),
        note="both, with pages of at most 5",
    ),
)
#: the server flags under which every mutant must still be caught
CROWDED_MUTANT_FLAGS = ("--preload", "3000")
