"""``python -m conformance.reference``: run the reference server (``segjobs-conformance serve`` too)."""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import sqlite3
import sys
import tempfile
import textwrap
import threading
from pathlib import Path
from types import FrameType

from conformance.reference import argtypes
from conformance.reference.faults import FAULTS
from conformance.reference.ims import TOKEN_PATH
from conformance.reference.listing import LENIENT_RULES
from conformance.reference.middleware import CHUNK_BYTES
from conformance.reference.process import IMS_READY_PREFIX, READY_PREFIX
from conformance.reference.server import serve
from conformance.reference.settings import (
    BULK_UNKNOWN_CHOICES,
    DEFAULT_IMS_TOKEN_LIFETIME,
    DEFAULT_KEEP_ALIVE_SECONDS,
    ENVIRONMENT,
    LATENCY_JITTER,
    LATENCY_SEED,
    ServerSettings,
)

_DESCRIPTION = """\
Run the reference implementation of the Segment Jobs API (/segment/jobs) on a loopback port.

It accepts the credentials, org, sandboxes and segment definitions named by the SEGJOBS_* variables
(the same ones `segjobs-conformance run` reads), with local defaults when they are unset, so `serve` and
`run` agree with no configuration at all. Jobs are stored in SQLite and survive a restart on the same
--db file. Settings are printed on stderr (credentials masked); once the server accepts requests it prints
exactly one line on stdout: "listening on http://HOST:PORT" (with --ims-port, a second one follows: "ims
token endpoint http://HOST:PORT/ims/token/v3").

With --ims-port it also serves an IMS-compatible token endpoint on that port (POST /ims/token/v3, the OAuth
client_credentials grant, a form body): it issues short-lived bearer tokens to the configured client (the
SEGJOBS_CLIENT_ID and SEGJOBS_CLIENT_SECRET below), which the API accepts until they expire; then the API
answers 401 {"error_code": "401013", "message": "Oauth token is expired"}. The static token keeps working.

To test a client in a shared, busy sandbox, --preload fills each sandbox with old finished jobs at start-up
and --background-creates has another client create jobs for the server's whole life.

The variants make choices the API doc (or HTTP) leaves to a server; every one of them, alone or together,
is conformant: a client (or a conformance suite) must cope with each. The faults, on the contrary, each
break one rule on purpose.
"""


def _epilog() -> str:
    lines = ["environment (unset or empty: the local default shown):"]
    lines += [f"  {name:<29} {default}" for name, default in ENVIRONMENT.items()]
    lines += ["  (SEGJOBS_API_KEY unset and SEGJOBS_CLIENT_ID set: the client id is the API key)"]
    lines += ["", "lenient query (--lenient-query): instead of a 400, each invalid value is read as follows:"]
    for name, rule in LENIENT_RULES.items():
        lines += textwrap.wrap(rule, width=108, initial_indent=f"  {name:<8} ", subsequent_indent=" " * 11)
    lines += ["  (a property in neither form, and a parameter given twice, are still refused with 400)"]
    lines += ["", "faults (--fault NAME, repeatable; each breaks one rule, for testing the suite):"]
    lines += [f"  {name:<29} {description}" for name, description in FAULTS.items()]
    lines += [
        "",
        "access log (--access-log): one line per request on stderr, in this format:",
        '  CLIENT_HOST:CLIENT_PORT - "METHOD PATH?QUERY HTTP/VERSION" STATUS',
        '  e.g. 127.0.0.1:54321 - "DELETE /segment/jobs/JOB_ID HTTP/1.1" 204',
        "  (path and query as the client sent them; no header is logged, so no credentials are)",
        "",
        "examples:",
        "  python -m conformance.reference --port 8080",
        "  python -m conformance.reference --port 0 --db jobs.db --job-seconds 5",
        "  python -m conformance.reference --port 0 --preload 3000 --background-creates 0.5 --access-log",
        "  python -m conformance.reference --port 0 --cancel-delay 0.6 --delete-cancelled 0.5 \\",
        "       --listing-lag 1 --lenient-query --refuse-filter-paths --refuse-sort-attributes",
        "  python -m conformance.reference --port 0 --throttle-every 6 --unavailable-every 20 \\",
        "       --gzip --chunked --idle-close 1 --path-prefix /data/core/ups --absolute-links",
        "  python -m conformance.reference --port 0 --latency 300          # a target across the internet",
        "  curl -H 'Authorization: Bearer segjobs-local-token' -H 'x-api-key: segjobs-local-key' \\",
        "       -H 'x-gw-ims-org-id: 0000000000000000000000AA@AdobeOrg' http://127.0.0.1:8080/segment/jobs",
        "  python -m conformance.reference --port 8080 --ims-port 8081 --ims-token-lifetime 60",
        "  curl -d grant_type=client_credentials -d client_id=segjobs-local-client \\",
        f"       -d client_secret=segjobs-local-secret http://127.0.0.1:8081{TOKEN_PATH}",
    ]
    return "\n".join(lines)


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    """The command line of the server (``prog`` names it in ``--help``)."""
    parser = argparse.ArgumentParser(
        prog=prog or "python -m conformance.reference",
        description=_DESCRIPTION,
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument(
        "--port",
        type=argtypes.port,
        default=8080,
        help="port to listen on; 0 picks a free one (default: %(default)s)",
    )
    parser.add_argument(
        "--db",
        metavar="PATH",
        help="SQLite file holding the jobs, created if missing (default: a temporary file, deleted at exit)",
    )
    parser.add_argument(
        "--job-seconds",
        metavar="S",
        type=argtypes.positive_float,
        default=1.0,
        help="how long a job runs from NEW to its end (default: %(default)s): NEW for the first 10%%, "
        "QUEUED until 25%%, then PROCESSING",
    )
    variants = parser.add_argument_group("variants (behaviours the API doc leaves open; all conformant)")
    variants.add_argument(
        "--bulk-unknown",
        choices=BULK_UNKNOWN_CHOICES,
        default="omit",
        help="bulk-get leaves unknown ids out of results (omit), or lists each as a 404 entry: "
        '{"id", "status": 404, "title": "NotFound", "detail"} (error) or '
        '{"id", "error": {"status": 404, "message": "not found"}} (error-object) (default: %(default)s)',
    )
    variants.add_argument("--cancel-direct", action="store_true", help="cancel goes straight to CANCELLED")
    variants.add_argument(
        "--extra-fields", action="store_true", help="jobs and pages carry fields the API doc does not mention"
    )
    variants.add_argument(
        "--max-limit",
        metavar="N",
        type=argtypes.positive_int,
        default=100,
        help="largest page size (default: %(default)s)",
    )
    variants.add_argument(
        "--default-order",
        choices=("desc", "asc"),
        default="desc",
        help="order by creationTime of a listing without sort (default: %(default)s, newest first)",
    )
    query = parser.add_argument_group("variants of the listing's query (ERRATA E-14, E-25; all conformant)")
    query.add_argument(
        "--lenient-query",
        action="store_true",
        help="an invalid start, limit, status or sort is ignored or clamped instead of refused with 400 "
        "(the rules are below)",
    )
    query.add_argument(
        "--refuse-filter-paths",
        action="store_true",
        help="property filters only on segments~segmentId and status; a filter on any other path "
        "(id, sandbox.sandboxName, ...) is refused with 400 and a problem body",
    )
    query.add_argument(
        "--refuse-sort-attributes",
        action="store_true",
        help="sort only on creationTime and updateTime; sort=id:... or status:... (any other attribute) is "
        "refused with 400 and a problem body, also with --lenient-query",
    )
    timing = parser.add_argument_group("variants of timing: effects that come later (all conformant)")
    timing.add_argument(
        "--cancel-delay",
        metavar="S",
        type=argtypes.non_negative_float,
        default=0.0,
        help="a cancel answers 204 at once but takes effect S seconds later (default: %(default)s): until "
        "then the job reads as before (it may still move on to QUEUED or PROCESSING, but never ends on its "
        "own), then CANCELLING and CANCELLED; a second cancel in between changes nothing (204)",
    )
    timing.add_argument(
        "--delete-cancelled",
        metavar="S",
        type=argtypes.non_negative_float,
        help="a job is removed S seconds after it reached CANCELLED (default: kept): from then on GET and "
        "cancel answer 404, and listings and bulk-get leave it out, all at once",
    )
    timing.add_argument(
        "--listing-lag",
        metavar="S",
        type=argtypes.non_negative_float,
        default=0.0,
        help="listings (GET /segment/jobs) show every job as it was S seconds ago, its status, updateTime "
        "and the fields that come with them (a job younger than S is NEW), and filter and sort on that; "
        "GET and bulk-get show jobs as they are (default: %(default)s)",
    )
    timing.add_argument(
        "--throttle-every",
        metavar="N",
        type=argtypes.at_least_two,
        help="request N, 2N, 3N ... of the server's life (all paths and methods, refused ones too) is "
        "answered 429 with Retry-After: 1 and a problem body (default: none)",
    )
    timing.add_argument(
        "--unavailable-every",
        metavar="N",
        type=argtypes.at_least_two,
        help="request N, 2N, 3N ... is answered 503 with Retry-After: 1 and a problem body (default: "
        "none); counted with --throttle-every, which wins when both fall on one request",
    )
    http = parser.add_argument_group("variants of HTTP (RFC 9110, RFC 9112; all conformant)")
    http.add_argument(
        "--connection-close",
        action="store_true",
        help="every answer carries Connection: close, and the server closes the connection after it",
    )
    http.add_argument(
        "--idle-close",
        metavar="S",
        type=argtypes.positive_float,
        help="a keep-alive connection is closed by the server after S seconds without a request "
        f"(default: {DEFAULT_KEEP_ALIVE_SECONDS:g})",
    )
    http.add_argument(
        "--gzip",
        action="store_true",
        help="bodies are sent with Content-Encoding: gzip when the request's Accept-Encoding names gzip "
        "(a 204 has no body, so none)",
    )
    http.add_argument(
        "--chunked",
        action="store_true",
        help=f"bodies are sent with Transfer-Encoding: chunked, in chunks of {CHUNK_BYTES} bytes, without "
        "Content-Length (none on 204 or HEAD)",
    )
    http.add_argument(
        "--path-prefix",
        metavar="PATH",
        type=argtypes.path_prefix,
        default="",
        help="the API is served under PATH (e.g. /data/core/ups: GET /data/core/ups/segment/jobs), and 404 "
        "outside it; the hrefs of _links (next, checkStatus, cancel) start with PATH (default: none)",
    )
    http.add_argument(
        "--absolute-links",
        action="store_true",
        help="the hrefs of _links are absolute URLs of the origin the request was sent to (from its Host "
        "header: http://HOST[:PORT][PATH]/segment/jobs/...) instead of paths",
    )
    distance = parser.add_argument_group("distance: a server across the internet (conformant)")
    distance.add_argument(
        "--latency",
        metavar="MS",
        type=argtypes.milliseconds,
        default=0.0,
        help="every answer of the API comes MS milliseconds after its request, as from a server across the "
        f"internet, give or take {LATENCY_JITTER * 100:g}%% (each delay drawn evenly from a random generator "
        f"seeded with {LATENCY_SEED}, so the Nth request of the server's life waits the same on every run); "
        "the server serves other requests meanwhile; the token endpoint answers at once (default: 0, "
        "no delay)",
    )
    ims = parser.add_argument_group("token endpoint (OAuth client credentials, as the platform's IMS)")
    ims.add_argument(
        "--ims-port",
        type=argtypes.port,
        metavar="PORT",
        help=f"also serve POST {TOKEN_PATH} on this port (0 picks a free one), issuing bearer tokens the API "
        "accepts until they expire (default: no token endpoint)",
    )
    ims.add_argument(
        "--ims-client-id",
        metavar="ID",
        help="the client the token endpoint issues tokens to (default: SEGJOBS_CLIENT_ID, else "
        f"{ENVIRONMENT['SEGJOBS_CLIENT_ID']})",
    )
    ims.add_argument(
        "--ims-client-secret",
        metavar="SECRET",
        help="that client's secret (default: SEGJOBS_CLIENT_SECRET, else "
        f"{ENVIRONMENT['SEGJOBS_CLIENT_SECRET']}; prefer the variable, a command line is visible to others)",
    )
    ims.add_argument(
        "--ims-token-lifetime",
        metavar="S",
        type=argtypes.positive_int,
        default=DEFAULT_IMS_TOKEN_LIFETIME,
        help="how long an issued token is good for, in seconds: its expires_in (default: %(default)s)",
    )
    crowd = parser.add_argument_group("a crowded sandbox (other clients' jobs)")
    crowd.add_argument(
        "--preload",
        metavar="N",
        type=argtypes.non_negative_int,
        default=0,
        help="at start-up, each sandbox holds N old finished jobs (default: %(default)s): SUCCEEDED, FAILED "
        "and CANCELLED in turn, created over the 30 days before start-up (the newest an hour before it), "
        "of the SEGJOBS_SEGMENT_IDS in turn (FAILED ones: SEGJOBS_FAILING_SEGMENT_ID). They have the same "
        "ids on every start and a start adds only those missing, so a --db file keeps N per sandbox however "
        "often the server restarts (a larger N tops up, a smaller one removes nothing)",
    )
    crowd.add_argument(
        "--background-creates",
        metavar="SECONDS",
        type=argtypes.positive_float,
        help="another client creates a job in each sandbox (the default one and the second) every "
        "SECONDS while the server runs (default: none), of SEGJOBS_SEGMENT_IDS in turn, then "
        "SEGJOBS_FAILING_SEGMENT_ID; each runs its normal life to SUCCEEDED (or FAILED) and is "
        "never cancelled",
    )
    testing = parser.add_argument_group("testing")
    testing.add_argument(
        "--fault",
        metavar="NAME",
        action="append",
        choices=sorted(FAULTS),
        default=[],
        help="switch on a deliberate fault (repeatable; names below)",
    )
    testing.add_argument(
        "--access-log",
        action="store_true",
        help="log every request on stderr, one line each (format below)",
    )
    return parser


class _Terminated(Exception):
    """SIGTERM arrived: stop like after Ctrl-C."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise _Terminated


def main(argv: list[str] | None = None, *, prog: str | None = None) -> int:
    """Run the server until SIGINT or SIGTERM (``prog`` names the command in ``--help``).

    Exit codes: 0 stopped, 2 bad arguments, settings or database, 3 could not listen.
    """
    parser = build_parser(prog)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 2

    temporary_db = args.db is None
    db_path = _temporary_db() if temporary_db else str(Path(args.db).expanduser())
    try:
        try:
            from_env = ServerSettings.from_env(os.environ)
            settings = dataclasses.replace(
                from_env,
                db_path=db_path,
                ims_client_id=args.ims_client_id or from_env.ims_client_id,
                ims_client_secret=args.ims_client_secret or from_env.ims_client_secret,
                ims_token_lifetime=args.ims_token_lifetime,
                job_seconds=args.job_seconds,
                bulk_unknown=args.bulk_unknown,
                cancel_direct=args.cancel_direct,
                extra_fields=args.extra_fields,
                max_limit=args.max_limit,
                default_order=args.default_order,
                faults=frozenset(args.fault),
                preload=args.preload,
                background_create_seconds=args.background_creates,
                lenient_query=args.lenient_query,
                refuse_filter_paths=args.refuse_filter_paths,
                refuse_sort_attributes=args.refuse_sort_attributes,
                cancel_delay_seconds=args.cancel_delay,
                delete_cancelled_seconds=args.delete_cancelled,
                listing_lag_seconds=args.listing_lag,
                throttle_every=args.throttle_every,
                unavailable_every=args.unavailable_every,
                connection_close=args.connection_close,
                idle_close_seconds=args.idle_close,
                gzip=args.gzip,
                chunked=args.chunked,
                path_prefix=args.path_prefix,
                absolute_links=args.absolute_links,
                latency_ms=args.latency,
            )
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        print("segment-jobs reference server", file=sys.stderr)
        for line in settings.describe():
            print(f"  {line}", file=sys.stderr)
        if temporary_db:
            print("  (temporary database: deleted when the server stops)", file=sys.stderr)

        def announce(base_url: str) -> None:
            print(f"{READY_PREFIX}{base_url}", flush=True)

        def announce_ims(token_url: str) -> None:
            print(f"{IMS_READY_PREFIX}{token_url}", flush=True)

        # uvicorn handles SIGTERM while serving and raises it again once stopped; ours then ends the run.
        in_main_thread = threading.current_thread() is threading.main_thread()
        previous_handler = signal.signal(signal.SIGTERM, _on_sigterm) if in_main_thread else None
        try:
            serve(
                settings,
                host=args.host,
                port=args.port,
                ims_port=args.ims_port,
                on_ready=announce,
                on_ims_ready=announce_ims,
                access_log=args.access_log,
            )
        except sqlite3.Error as error:
            print(f"error: cannot use the database {db_path}: {error}", file=sys.stderr)
            return 2
        except OSError as error:
            print(f"error: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
            return 3
        except (KeyboardInterrupt, _Terminated):
            pass
        finally:
            if in_main_thread:
                signal.signal(signal.SIGTERM, previous_handler)
        return 0
    finally:
        if temporary_db:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(db_path + suffix).unlink(missing_ok=True)


def _temporary_db() -> str:
    handle, path = tempfile.mkstemp(prefix="segjobs-reference-", suffix=".db")
    os.close(handle)
    return path


if __name__ == "__main__":
    sys.exit(main())
