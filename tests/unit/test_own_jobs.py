"""Only our own jobs: the client refuses, before sending, a DELETE that names a job the run did not create."""

from __future__ import annotations

import httpx
import pytest

from conformance._client import ApiClient
from conformance._jobs import UNKNOWN_PREFIX, JobTracker, UnsafeRequest
from conformance._redact import Redactor


def tracked_client(
    base_url: str = "http://127.0.0.1:9/data/core/ups",
) -> tuple[ApiClient, JobTracker, list[str]]:
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(f"{request.method} {request.url.path}")
        if request.method == "POST":
            return httpx.Response(200, json={"id": "ours-1", "status": "NEW"})
        return httpx.Response(
            204 if request.method == "DELETE" else 200, json=None if request.method == "DELETE" else {}
        )

    api = ApiClient(base_url, {}, redactor=Redactor(), transport=httpx.MockTransport(handler))
    jobs = JobTracker(api, max_jobs=5, poll_interval=0.01, default_sandbox="prod")
    api.guard = jobs.guard
    return api, jobs, sent


def test_a_delete_of_a_job_the_run_did_not_create_is_never_sent() -> None:
    api, _, sent = tracked_client()
    with pytest.raises(UnsafeRequest, match="this run did not create it"):
        api.cancel_job("someone-elses-job")
    assert sent == []


def test_our_jobs_and_ids_that_cannot_exist_may_be_cancelled() -> None:
    api, jobs, sent = tracked_client()
    jobs.create(["seg-1"])
    made_up = jobs.unknown_id()
    for job_id in ("ours-1", made_up, f"{UNKNOWN_PREFIX}%C3%A9"):
        api.cancel_job(job_id)
    assert sent == [
        "POST /data/core/ups/segment/jobs",
        "DELETE /data/core/ups/segment/jobs/ours-1",
        f"DELETE /data/core/ups/segment/jobs/{made_up}",
        f"DELETE /data/core/ups/segment/jobs/{UNKNOWN_PREFIX}é",  # (the decoded path)
    ]


def test_reads_of_any_job_stay_allowed() -> None:
    api, _, sent = tracked_client()
    api.get_job("someone-elses-job")
    api.bulk_get(["someone-elses-job"])
    assert sent == [
        "GET /data/core/ups/segment/jobs/someone-elses-job",
        "POST /data/core/ups/segment/jobs/bulk-get",
    ]
