"""Named, switchable faults: each breaks exactly one rule of the API, so the suite can prove it notices.

A fault is off unless its name is in ``ServerSettings.faults`` (``--fault NAME`` on the command line). The
server checks them at the one place each behaviour lives (``app.py`` and ``store.py``; the distortions of
the jobs answered in ``views.py``; the 405's ``Allow`` in ``web.py``; the comparisons of the ``filter-*``
faults are rules of ``listing.py``; the copies that disagree and the statuses that flicker are ``skew.py``'s;
the 429 without ``Retry-After`` is ``middleware.py``'s;
the work some do a while after their answer goes through ``later.py``), always through :func:`is_on`, which
refuses names missing
from :data:`FAULTS` so a typo cannot silently disable a check.
A server with any fault switched on is deliberately non-conformant and says so when it starts.
"""

from __future__ import annotations

from collections.abc import Mapping

#: Every fault, with what it breaks.
FAULTS: Mapping[str, str] = {
    "create-201": "Create answers 201 instead of 200.",
    "cancel-200-body": "Cancel answers 200 with the doc's JSON body instead of 204.",
    "cancel-204-body": "Cancel answers 204 but sends a JSON body (with Content-Type and Content-Length).",
    "cancel-204-length": "Cancel answers 204 with a Content-Length that announces a body it does not send.",
    "throttle-without-retry-after": (
        "Every 6th request (or every --throttle-every Nth) is answered 429 without Retry-After."
    ),
    "bulk-200": "Bulk-get answers 200 instead of 207.",
    "unknown-id-500": "Get of an unknown id answers 500 instead of 404.",
    "status-lowercase": "Job statuses are written in lower case.",
    "new-not-new": "A created job answers QUEUED instead of NEW.",
    "finished-regresses": "A SUCCEEDED job reads PROCESSING again on every other read.",
    "cancel-ignored": "Cancel answers 204 but the job goes on to SUCCEEDED.",
    "never-finishes": "Jobs stay PROCESSING for ever.",
    "list-ignores-status-filter": "Listing ignores the status filter.",
    "list-ignores-limit": "Listing ignores limit and returns every job on one page.",
    "paging-overlap": "The next page starts one item early, so pages overlap.",
    "total-count-wrong": "_page.totalCount is one more than the number of matching jobs.",
    "sort-ignored": "Listing ignores sort and always uses the default order.",
    "bulk-results-list": "Bulk-get answers results as a list instead of an object keyed by id.",
    "bulk-missing-result": "Bulk-get leaves out the last job it found.",
    "any-token-accepted": "Any bearer token is accepted (a missing one is still refused).",
    "no-auth": "No gateway checks at all: requests without credentials are served.",
    "sandbox-leak": "Jobs are visible and cancellable from every sandbox of the org.",
    "refused-cancel-applied-later": (
        "A cancel answered 404 (the job is in another sandbox) is applied anyway a second later."
    ),
    "empty-array-accepted": "Create with [] answers 200 and creates a job with no segments.",
    "malformed-body-500": "A request body that is not JSON answers 500 instead of 400.",
    "update-time-backwards": "Once a job leaves NEW its updateTime reads earlier than its creationTime.",
    "duplicate-ids": "Every other create answers with the id of the previously created job.",
    "missing-field-id": "Jobs lack the id field.",
    "renamed-field": "creationTime is renamed createdTime.",
    "wrong-types": "computeJobId and creationTime are strings instead of integers.",
    "cancel-changes-finished": "Cancelling a SUCCEEDED job makes it CANCELLED.",
    "bulk-wrong-job": "With two or more jobs found, bulk-get lists each job under the id of another.",
    "cancel-unknown-204": "Cancel of an unknown id answers 204 instead of 404.",
    "wrong-content-type": "Successful answers of list, create, get and bulk-get are sent as text/plain.",
    "property-filter-ignored": "Listing ignores every property filter.",
    "unknown-segment-accepted": "Create accepts unknown segment definitions and creates a job for them.",
    "segments-reversed": "A created job of two or more segment definitions lists them in reverse order.",
    "succeeded-without-batch": "SUCCEEDED jobs lack batchId.",
    "total-time-off": "metrics.totalTime.totalTimeInMs is endTimeInMs - startTimeInMs + 1.",
    "creation-time-drifts": "creationTime grows by 1 ms on every read after the create answer.",
    "finished-profiles-grow": "A SUCCEEDED job's metrics.totalProfiles grows by one on every later read.",
    "cancelled-job-404": "GET of a CANCELLED job answers 404.",
    "second-cancel-500": "Cancelling a job that is already CANCELLING or CANCELLED answers 500.",
    "unknown-sandbox-default": "An unknown x-sandbox-name is served from the default sandbox, not refused.",
    "refused-create-creates": "A create refused for an invalid token (401) creates the job all the same.",
    "bad-limit-500": "limit=0 or a limit that is not a number answers 500 instead of 400.",
    "start-beyond-end-404": "A start beyond the last matching job answers 404 instead of an empty page.",
    "failed-without-errors": "FAILED jobs carry no errors (a SHOULD: only --strict makes it non-conformant).",
    "next-link-drops-filters": "_links.next.href keeps start and limit but drops status, sort and property.",
    "no-next-link": "A page that is not the last links no next page (_links.next is empty, as on the last).",
    "bulk-unknown-shown-as-job": "Bulk-get lists each unknown id as a NEW job.",
    "content-type-ignored": "A POST body is read as JSON whatever its Content-Type says.",
    "page-json-truncated": "Listing pages are sent as application/json with the last byte cut off.",
    "list-500": "Every listing answers 500 (with a problem body).",
    "page-without-page": "Listing pages lack the _page object.",
    "created-job-invisible": "Listings leave out the newest job of the sandbox (GET still finds it).",
    "get-wrong-job": "With 2+ jobs in its sandbox, GET of a job answers another (the one created after it).",
    "filter-substring": "A property filter matches every job whose value contains the filter's value.",
    "filter-prefix": "A property filter matches every job whose value starts with the filter's value.",
    "filter-case-insensitive": "A property filter compares values without regard to case.",
    "filter-normalized": "A property filter compares values folded: full-width forms, accents do not count.",
    "id-prefix-get": "GET of an id no job has answers the oldest job whose id starts with it.",
    "bulk-id-normalized": "Bulk-get reads an id no job has folded (NFKC, accents dropped): a lookalike of a "
    "job's id answers that job.",
    "bulk-stale-cache": "Bulk-get serves each job as it was when bulk-get first served it, for 30 s.",
    "listing-stale": "Listings show every job as it was 10 s ago (a new job NEW), long after GET moved on.",
    "listing-update-time-seconds": "Listings show updateTime rounded down to the second (GET: to the ms).",
    "bulk-segments-reversed": "Bulk-get lists the segment definitions of a job in reverse order.",
    "cancelled-reads-processing": "A cancelled job reads PROCESSING from 0.12 s to 0.27 s after GET first "
    "showed it CANCELLED.",
    "succeeded-reads-failed": "A SUCCEEDED job reads FAILED from 0.12 s to 0.27 s after GET first showed it "
    "SUCCEEDED.",
    "page-limit-plus-one": "A listing page carries limit + 1 jobs (the look-ahead row is not trimmed).",
    "total-count-of-page": "_page.totalCount is the number of jobs on the page, not of every matching job.",
    "update-sort-inverted": "sort=updateTime:desc orders the jobs oldest update first (asc is right).",
    "start-skips-one": "A start above 0 skips one job more than it says (OFFSET start + 1).",
    "limit-one-refused": "limit=1 is refused with 400 (the lower bound is checked as limit > 1).",
    "status-filter-finished": "status=SUCCEEDED lists every finished job: FAILED and CANCELLED ones too.",
    "bulk-unknown-500": "Bulk-get of an id no job has answers 500.",
    "bulk-times-strings": "Bulk-get results carry creationTime and updateTime as ISO 8601 strings.",
    "listing-redirects": "GET /segment/jobs answers 308 to /segment/jobs/ (a trailing-slash redirect).",
    "page-size-is-limit": "_page.pageSize is the limit asked for, not the number of jobs on the page.",
    "update-epoch-ms": "updateEpoch is updateTime in milliseconds, not in seconds.",
    "cancel-link-get": "_links.cancel.method is GET (a copy of checkStatus) instead of DELETE.",
    "bulk-empty-all-jobs": "Bulk-get with an empty ids list answers every job of the sandbox.",
    "not-found-text-plain": "GET of an unknown id answers 404 with a text/plain body, no JSON error body.",
    "no-allow-on-405": "An unsupported method is answered 405 without an Allow header.",
    "update-sort-slow": "A listing sorted on updateTime answers only after 8 s (no index: a full scan).",
    "audience-size-missing": "SUCCEEDED jobs lack metrics.totalProfiles and metrics.segmentedProfileCounter.",
    # effects that show later, and isolation one way only (issue 14)
    "finished-cancel-applied-later": (
        "Cancelling a SUCCEEDED job answers 204, and makes it CANCELLED a second later."
    ),
    "refused-create-applied-later": (
        "A create refused for an unknown segment definition (400) stores its job a second later all the same."
    ),
    "second-sandbox-listed-in-first": "Listings in the default sandbox also show the jobs of every other "
    "sandbox (GET, bulk-get, cancel and the other direction stay isolated).",
    "second-sandbox-get-from-first": "GET in the default sandbox finds the jobs of every other sandbox.",
    "second-sandbox-bulk-from-first": "Bulk-get in the default sandbox finds the jobs of any other sandbox.",
    "second-sandbox-cancel-from-first-later": "A cancel in the default sandbox of a job of another sandbox "
    "answers 404, and is applied 1.5 s later.",
}

#: How long the answer of fault update-sort-slow takes: longer than a run's read timeout set below it.
SLOW_ANSWER_SECONDS = 8.0

#: The response header that carries the body of a 204 to the server's HTTP layer (fault cancel-204-body).
RAW_BODY_HEADER = "x-reference-raw-body"


def is_on(faults: frozenset[str], name: str) -> bool:
    """Whether the fault ``name`` is switched on; ``name`` must be a registered fault."""
    if name not in FAULTS:
        raise KeyError(f"unknown fault {name!r}")
    return name in faults
