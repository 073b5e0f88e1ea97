"""The Segment Jobs API as a Starlette application.

========================================  ==================  ==============================
request                                   operation           success
========================================  ==================  ==============================
``GET /segment/jobs``                     listSegmentJobs     200 page
``POST /segment/jobs``                    createSegmentJob    200 job, status NEW
``GET /segment/jobs/{segmentJobId}``      getSegmentJob       200 job
``POST /segment/jobs/bulk-get``           bulkGetSegmentJobs  207 ``{"results": {id: job}}``
``DELETE /segment/jobs/{segmentJobId}``   cancelSegmentJob    204, no content at all
========================================  ==================  ==============================

Every request passes the gateway (:mod:`.auth`) first, then its body and query are validated; bad input is
a 4xx problem body (:mod:`.problems`), never a 5xx. Store calls run in the thread pool so the event loop never
waits on the disk. Faults (:mod:`.faults`) are checked where the behaviour they break lives; search for
``self._fault(`` to see every switch; those that distort the jobs answered are :mod:`.views`. The HTTP
around the operations (dispatch by method, the exception handlers) is :mod:`.web`.

At start-up the store receives the preloaded jobs (:mod:`.preload`); while the app runs, the other client of
:mod:`.background` creates jobs through the same code as ``POST /segment/jobs``.

The variants are switched where their behaviour lives too: the listing's rules (:class:`.listing.QueryRules`),
the cancel's delay, the removal of cancelled jobs and the listing's lag (:mod:`.store`), the shape of unknown
ids in bulk-get (:data:`BULK_UNKNOWN_ENTRIES`), the middleware of :mod:`.middleware`, and two of the paths:
with ``path_prefix`` (``/data/core/ups``) every path above is served under the prefix, and nothing outside
it; the hrefs of ``_links`` (``cancel``, ``checkStatus``, ``next``) carry the prefix, and with
``absolute_links`` they are absolute URLs of the origin the request was sent to (its ``Host``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route, Router

from conformance.reference import auth, background, bodies, faults, listing, middleware, preload, skew
from conformance.reference.ims import TokenIssuer
from conformance.reference.jobs import render_job
from conformance.reference.later import Later
from conformance.reference.lifecycle import Status
from conformance.reference.problems import ApiError
from conformance.reference.settings import BulkUnknown, Sandbox, ServerSettings
from conformance.reference.store import JobRecord, Match, Order, Store
from conformance.reference.store import Scope as JobScope
from conformance.reference.views import JobViews
from conformance.reference.web import EXCEPTION_HANDLERS, GatewayRejected, NoContentWithBody, Resource

#: Variant ``bulk_unknown``: the entry bulk-get lists for an id it has no job for (None: it lists none).
BULK_UNKNOWN_ENTRIES: dict[BulkUnknown, Callable[[str], dict[str, Any]] | None] = {
    "omit": None,
    "error": lambda job_id: {
        "id": job_id,
        "status": 404,
        "title": "NotFound",
        "detail": f"Segment job '{job_id}' not found.",
    },
    "error-object": lambda job_id: {"id": job_id, "error": {"status": 404, "message": "not found"}},
}

# A Host header that can stand in an absolute URL as it is (name or address, optional port).
_HOST = re.compile(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")


@dataclass(frozen=True)
class Tenant:
    """Who is asking: the jobs they may see, and the sandbox new jobs go to."""

    scope: JobScope
    sandbox: Sandbox


def create_app(
    settings: ServerSettings, clock: Callable[[], float] = time.time, issued: TokenIssuer | None = None
) -> Starlette:
    """The API over a store at ``settings.db_path``; ``clock`` (epoch seconds) drives every job's life and
    every issued token's. The API accepts the tokens of ``issued`` (default: an issuer of its own, at
    ``app.state.issued``, for the token endpoint of :mod:`.ims` to share)."""
    removal = settings.delete_cancelled_seconds
    store = Store(
        settings.db_path,
        clock=clock,
        remove_cancelled_after_ms=None if removal is None else round(removal * 1000),
    )
    if settings.preload:
        store.add_finished(preload.preloaded_jobs(settings, int(clock() * 1000)))
    issued = issued if issued is not None else TokenIssuer(settings.ims_token_lifetime, clock)
    api = SegmentJobsApi(settings, store, issued, clock)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with background.running(settings, api.create_as_other_client):
            yield
        store.close()

    allow = not faults.is_on(settings.faults, "no-allow-on-405")
    routes: list[BaseRoute] = [
        # The fixed path comes first: any method on it is bulk-get's (405 for all but POST).
        Route("/segment/jobs/bulk-get", Resource({"POST": api.bulk_get}, allow=allow)),
        Route("/segment/jobs", Resource({"GET": api.list_jobs, "POST": api.create_job}, allow=allow)),
        Route(
            "/segment/jobs/{segmentJobId}",
            Resource({"GET": api.get_job, "DELETE": api.cancel_job}, allow=allow),
        ),
    ]
    if settings.path_prefix:
        routes = [Mount(settings.path_prefix, app=Router(routes, redirect_slashes=False))]
    app = Starlette(
        routes=routes,
        middleware=middleware.stack(settings),
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
    app.router.redirect_slashes = False
    app.state.store = store
    app.state.issued = issued
    return app


class SegmentJobsApi:
    """The five operations. State beyond the store exists only for faults that need to count."""

    def __init__(
        self,
        settings: ServerSettings,
        store: Store,
        issued: TokenIssuer | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.store = store
        self.issued = issued
        self._views = JobViews(self._fault)  # faults that distort the jobs answered
        self._creates = 0  # fault duplicate-ids
        self._last_created_id: str | None = None  # fault duplicate-ids
        self._query_rules = listing.QueryRules.of(settings)
        self._later = Later()  # faults that apply a request some time after its answer
        self._skew = skew.Skew(self._fault, clock)  # copies that disagree, statuses that flicker

    # -- operations -------------------------------------------------------------------------------------

    async def list_jobs(self, request: Request) -> Response:
        if self._fault("listing-redirects") and not request.url.path.endswith("/"):
            return RedirectResponse(request.url.replace(path=request.url.path + "/"), status_code=308)
        tenant = self._tenant(request, leak="second-sandbox-listed-in-first")
        if self._fault("list-500"):
            raise ApiError(500, "Listing failed.")
        limit_text = request.query_params.get("limit")
        if self._fault("bad-limit-500") and limit_text is not None and not _positive_integer(limit_text):
            raise ApiError(500, "Internal error while reading limit.")
        if self._fault("limit-one-refused") and limit_text == "1":
            raise ApiError(400, "limit must be an integer greater than 1.")
        try:
            query = listing.parse_query(
                request.query_params.multi_items(), max_limit=self.settings.max_limit, rules=self._query_rules
            )
        except listing.QueryError as error:
            raise ApiError(400, str(error)) from None
        links = self._link_base(request)
        lag_ms = self._skew.listing_lag_ms(round(self.settings.listing_lag_seconds * 1000))
        status, order, window = listing.read_of(query, self.settings.default_order, self._fault)
        if order.key == "updateTime" and self._fault("update-sort-slow"):
            await asyncio.sleep(faults.SLOW_ANSWER_SECONDS)
        start, end, offset, rows = query.start, window.end, window.offset, window.rows
        read_end = None if rows is None else offset + rows
        properties = () if self._fault("property-filter-ignored") else query.properties
        hidden = await self._newest_job_ids(tenant) if self._fault("created-job-invisible") else set()

        loose = listing.loose_comparison(self._fault)  # faults filter-substring, -prefix, ...
        matches, rendered_filters = listing.split_filters(properties, stored_ok=loose is None)
        if query.unknown_status is not None and not self._fault("list-ignores-status-filter"):
            matches.append(Match("status", query.unknown_status))  # no job has it: an empty page
        if rendered_filters or hidden:
            # Paths the store does not hold reach into any field, so these filters run on the rendered jobs
            # (of those the store found for the others; the jobs the fault created-job-invisible hides are
            # dropped here).
            _, records = await run_in_threadpool(
                self.store.select, tenant.scope, status=status, order=order, matches=matches, lag_ms=lag_ms
            )
            rendered = [(r, render_job(r, self.settings, links=links)) for r in records if r.id not in hidden]
            matching = [pair for pair in rendered if all(f.matches(pair[1], loose) for f in rendered_filters)]
            total = len(matching)
            children = [self._views.distort(job, record) for record, job in matching[offset:read_end]]
        else:
            total, records = await run_in_threadpool(
                self.store.select,
                tenant.scope,
                status=status,
                order=order,
                start=offset,
                limit=rows,
                matches=matches,
                lag_ms=lag_ms,
            )
            children = [self._present(record, links) for record in records]
        children = [self._skew.listed(child) for child in children]
        if self._fault("start-beyond-end-404") and start > 0 and start >= total:
            raise ApiError(404, f"No segment jobs from start={start}: there are {total}.")

        next_link: dict[str, str] = {}
        if end is not None and end < total and not self._fault("no-next-link"):
            next_start = end - 1 if self._fault("paging-overlap") else end
            linked = listing.ListQuery(limit=query.limit) if self._fault("next-link-drops-filters") else query
            next_link = {"href": linked.next_href(next_start, links)}
        page: dict[str, Any] = {
            "_page": {
                "totalCount": _total_count(total, len(children), self._fault),
                "pageSize": query.limit if self._fault("page-size-is-limit") else len(children),
            },
            "children": children,
            "_links": {"next": next_link},
        }
        if self.settings.extra_fields:
            page["_page"]["limit"] = query.limit
            page["_meta"] = {"engine": "segment-jobs-reference"}
        if self._fault("page-without-page"):
            del page["_page"]
        if self._fault("page-json-truncated"):
            return Response(json.dumps(page)[:-1], media_type="application/json")
        return self._json(page)

    async def create_job(self, request: Request) -> Response:
        try:
            tenant = self._tenant(request)
        except GatewayRejected as refused:
            if self._fault("refused-create-creates") and refused.rejection.status == 401:
                with contextlib.suppress(ApiError):
                    await self._store_job(self._tenant(request, gateway=False), request)
            raise
        record = await self._store_job(tenant, request)
        job = self._present(record, self._link_base(request))
        if self._fault("new-not-new"):
            job["status"] = Status.QUEUED.value
        if self._fault("duplicate-ids"):
            self._creates += 1
            if self._creates % 2 == 0 and self._last_created_id is not None:
                job["id"] = self._last_created_id
            self._last_created_id = record.id
        return self._json(job, status_code=201 if self._fault("create-201") else 200)

    async def _store_job(self, tenant: Tenant, request: Request) -> JobRecord:
        """The job the create request asks for, stored in the tenant's sandbox."""
        body = await bodies.json_body(request, self.settings, self._fault)
        try:
            segment_ids = bodies.segment_ids(body, self.settings, self._fault)
        except ApiError:
            if self._fault("refused-create-applied-later"):  # stored a second after its 400 all the same
                with contextlib.suppress(ApiError):
                    unknown_ok = bodies.segment_ids(body, self.settings, "unknown-segment-accepted".__eq__)
                    self._later.after(1.0, lambda: self._create(tenant, unknown_ok))
            raise
        return await self._create(tenant, segment_ids)

    async def create_as_other_client(self, sandbox: Sandbox, segment_ids: list[str]) -> JobRecord:
        """Create a job as a valid ``POST /segment/jobs`` to ``sandbox`` would (the background client)."""
        return await self._create(
            Tenant(JobScope(org=self.settings.ims_org, sandbox=sandbox.name), sandbox), segment_ids
        )

    async def _create(self, tenant: Tenant, segment_ids: list[str]) -> JobRecord:
        """Store a new job of these (validated) segment definitions in the tenant's sandbox."""
        if self._fault("segments-reversed"):
            segment_ids = segment_ids[::-1]
        if self._fault("never-finishes"):
            outcome: Status | None = None
        elif self.settings.failing_segment_id in segment_ids:
            outcome = Status.FAILED
        else:
            outcome = Status.SUCCEEDED
        record: JobRecord = await run_in_threadpool(
            self.store.create,
            tenant.scope,
            tenant.sandbox.name,
            segment_ids,
            round(self.settings.job_seconds * 1000),
            outcome,
        )
        return record

    async def get_job(self, request: Request) -> Response:
        tenant = self._tenant(request, leak="second-sandbox-get-from-first")
        job_id = request.path_params["segmentJobId"]
        record = await run_in_threadpool(self.store.get, tenant.scope, job_id)
        if record is not None and record.status == Status.CANCELLED and self._fault("cancelled-job-404"):
            record = None
        if record is not None and self._fault("get-wrong-job"):
            _, records = await run_in_threadpool(self.store.select, tenant.scope, status=None, order=Order())
            if len(records) >= 2:
                ids = [r.id for r in records]
                record = records[ids.index(record.id) - 1]  # newest first: the one created after it
        if record is None and self._fault("id-prefix-get"):
            _, records = await run_in_threadpool(
                self.store.select, tenant.scope, status=None, order=Order(descending=False)
            )
            record = next((r for r in records if r.id.startswith(job_id)), None)
        if record is None:
            if self._fault("unknown-id-500"):
                raise ApiError(500, "Lookup failed.")
            if self._fault("not-found-text-plain"):
                return PlainTextResponse("Not Found", status_code=404)
            raise ApiError(404, f"Segment job '{job_id}' not found.")
        return self._json(self._skew.got(self._present(record, self._link_base(request))))

    async def bulk_get(self, request: Request) -> Response:
        tenant = self._tenant(request, leak="second-sandbox-bulk-from-first")
        job_ids = bodies.bulk_ids(await bodies.json_body(request, self.settings, self._fault))
        found = await run_in_threadpool(self.store.get_many, tenant.scope, job_ids)
        if self._fault("bulk-unknown-500") and len(found) < len(set(job_ids)):
            raise ApiError(500, "Lookup failed.")
        if self._fault("bulk-empty-all-jobs") and not job_ids:
            _, every = await run_in_threadpool(self.store.select, tenant.scope, status=None, order=Order())
            job_ids = [record.id for record in every]
            found = {record.id: record for record in every}
        if self._fault("bulk-id-normalized"):
            lookalikes = {i: listing.folded(i) for i in job_ids if i not in found and listing.folded(i) != i}
            originals = await run_in_threadpool(self.store.get_many, tenant.scope, list(lookalikes.values()))
            found.update({i: originals[f] for i, f in lookalikes.items() if f in originals})
        if self._fault("bulk-missing-result") and found:
            found.pop(list(found)[-1])
        if self._fault("bulk-wrong-job") and len(found) >= 2:
            records = list(found.values())
            found = dict(zip(found, records[1:] + records[:1], strict=True))
        links = self._link_base(request)
        unknown_entry = BULK_UNKNOWN_ENTRIES[self.settings.bulk_unknown]
        results: dict[str, Any] = {}
        for job_id in dict.fromkeys(job_ids):
            if job_id in found:
                results[job_id] = self._skew.bulk(
                    self._views.bulk_result(self._present(found[job_id], links))
                )
            elif self._fault("bulk-unknown-shown-as-job"):
                results[job_id] = {"id": job_id, "status": Status.NEW.value}
            elif unknown_entry is not None:
                results[job_id] = unknown_entry(job_id)
        body = {"results": list(results.values()) if self._fault("bulk-results-list") else results}
        return self._json(body, status_code=200 if self._fault("bulk-200") else 207)

    async def cancel_job(self, request: Request) -> Response:
        tenant = self._tenant(request)
        job_id = request.path_params["segmentJobId"]
        if self._fault("second-cancel-500"):
            current = await run_in_threadpool(self.store.get, tenant.scope, job_id)
            if current is not None and current.status in (Status.CANCELLING, Status.CANCELLED):
                raise ApiError(500, "Cancel failed.")
        if self._fault("cancel-ignored"):
            record = await run_in_threadpool(self.store.get, tenant.scope, job_id)
        else:
            record = await run_in_threadpool(
                self.store.cancel,
                tenant.scope,
                job_id,
                direct=self.settings.cancel_direct,
                even_finished=self._fault("cancel-changes-finished"),
                delay_ms=round(self.settings.cancel_delay_seconds * 1000),
            )
        if record is None:
            if self._fault("cancel-unknown-204"):
                return Response(status_code=204)
            anywhere = JobScope(org=self.settings.ims_org, sandbox=None)  # the job, in whatever sandbox
            if self._fault("refused-cancel-applied-later"):
                self._later.cancel(1.0, self.store, anywhere, job_id)
            elif self._leaks("second-sandbox-cancel-from-first-later", tenant.sandbox):
                self._later.cancel(1.5, self.store, anywhere, job_id)
            raise ApiError(404, f"Segment job '{job_id}' not found.")
        if record.status == Status.SUCCEEDED and self._fault("finished-cancel-applied-later"):
            self._later.cancel(1.0, self.store, tenant.scope, job_id, even_finished=True)
        if self._fault("cancel-200-body"):
            return JSONResponse(_cancel_message(job_id))
        if self._fault("cancel-204-body") or self._fault("cancel-204-length"):
            message = json.dumps(_cancel_message(job_id)).encode()
            return NoContentWithBody(message, announce_only=not self._fault("cancel-204-body"))
        return Response(status_code=204)

    def _leaks(self, fault: str | None, sandbox: Sandbox) -> bool:
        """Faults ``second-sandbox-*-from-first``: the default sandbox reaches every sandbox's jobs."""
        return fault is not None and self._fault(fault) and sandbox.name == self.settings.default_sandbox.name

    async def _newest_job_ids(self, tenant: Tenant) -> set[str]:
        """The id of the newest job the tenant sees (none when there is none); fault created-job-invisible."""
        _, newest = await run_in_threadpool(
            self.store.select, tenant.scope, status=None, order=Order(), limit=1
        )
        return {record.id for record in newest}

    # -- request handling -------------------------------------------------------------------------------

    def _tenant(self, request: Request, *, gateway: bool = True, leak: str | None = None) -> Tenant:
        """Pass the gateway (unless ``gateway`` is False), and find the sandbox the request addresses; the
        fault ``leak`` (one operation's) shows the default sandbox the jobs of every other sandbox."""
        if gateway and not self._fault("no-auth"):
            rejection = auth.check_credentials(
                request.headers,
                self.settings,
                any_token=self._fault("any-token-accepted"),
                issued=self.issued,
            )
            if rejection is not None:
                raise GatewayRejected(rejection)
        sandbox = auth.select_sandbox(request.headers, self.settings)
        if sandbox is None and self._fault("unknown-sandbox-default"):
            sandbox = self.settings.default_sandbox
        if sandbox is None:
            known = ", ".join(s.name for s in self.settings.sandboxes)
            raise ApiError(
                403,
                f"Sandbox {request.headers.get('x-sandbox-name')!r} is not available to the org; "
                f"known: {known}.",
            )
        visible = None if self._fault("sandbox-leak") or self._leaks(leak, sandbox) else sandbox.name
        return Tenant(scope=JobScope(org=self.settings.ims_org, sandbox=visible), sandbox=sandbox)

    # -- presenting jobs --------------------------------------------------------------------------------

    def _present(self, record: JobRecord, links: str) -> dict[str, Any]:
        return self._views.distort(render_job(record, self.settings, links=links), record)

    def _link_base(self, request: Request) -> str:
        """What precedes ``/segment/jobs`` in the hrefs of an answer: the path prefix, after the origin the
        request was sent to when links are absolute."""
        if not self.settings.absolute_links:
            return self.settings.path_prefix
        host = request.headers.get("host", "")
        if not _HOST.fullmatch(host):
            server = request.scope.get("server") or ("127.0.0.1", 80)
            host = f"[{server[0]}]:{server[1]}" if ":" in server[0] else f"{server[0]}:{server[1]}"
        return f"{request.url.scheme}://{host}{self.settings.path_prefix}"

    def _fault(self, name: str) -> bool:
        return faults.is_on(self.settings.faults, name)

    def _json(self, body: Any, status_code: int = 200) -> Response:
        """A successful JSON answer."""
        media_type = "text/plain" if self._fault("wrong-content-type") else None
        return JSONResponse(body, status_code=status_code, media_type=media_type)


def _total_count(total: int, on_page: int, fault: Callable[[str], bool]) -> int:
    """_page.totalCount as the faults switched on distort it (``total`` when none is)."""
    if fault("total-count-of-page"):
        return on_page
    return total + 1 if fault("total-count-wrong") else total


def _positive_integer(text: str) -> bool:
    return text.isascii() and text.isdigit() and int(text) > 0


def _cancel_message(job_id: str) -> dict[str, Any]:
    return {"status": True, "message": f"Segment job with id '{job_id}' has been marked for cancelling"}
