"""Named, switchable faults: each breaks exactly one rule of the API, so the suite can prove it notices.

A fault is off unless its name is in ``ServerSettings.faults`` (``--fault NAME`` on the command line). The
server checks them at the one place each behaviour lives (``app.py`` and ``store.py``), always through
:func:`is_on`, which refuses names missing from :data:`FAULTS` so a typo cannot silently disable a check.
A server with any fault switched on is deliberately non-conformant and says so when it starts.
"""

from __future__ import annotations

from collections.abc import Mapping

#: Every fault, with what it breaks.
FAULTS: Mapping[str, str] = {
    "create-201": "Create answers 201 instead of 200.",
    "cancel-200-body": "Cancel answers 200 with the doc's JSON body instead of 204.",
    "cancel-204-body": "Cancel answers 204 but sends a JSON body (with Content-Type and Content-Length).",
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
    "empty-array-accepted": "Create with [] answers 200 and creates a job with no segments.",
    "malformed-body-500": "A request body that is not JSON answers 500 instead of 400.",
    "update-time-backwards": "Once a job leaves NEW its updateTime reads earlier than its creationTime.",
    "duplicate-ids": "Every other create answers with the id of the previously created job.",
    "missing-field-id": "Jobs lack the id field.",
    "renamed-field": "creationTime is renamed createdTime.",
    "wrong-types": "computeJobId and creationTime are strings instead of integers.",
    "cancel-changes-finished": "Cancelling a SUCCEEDED job makes it CANCELLED.",
}

#: The response header that carries the body of a 204 to the server's HTTP layer (fault cancel-204-body).
RAW_BODY_HEADER = "x-reference-raw-body"


def is_on(faults: frozenset[str], name: str) -> bool:
    """Whether the fault ``name`` is switched on; ``name`` must be a registered fault."""
    if name not in FAULTS:
        raise KeyError(f"unknown fault {name!r}")
    return name in faults
