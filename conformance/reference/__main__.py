"""``python -m conformance.reference``: run the reference server (``segjobs-conformance serve`` too)."""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import sqlite3
import sys
import tempfile
import threading
from pathlib import Path
from types import FrameType

from conformance.reference.faults import FAULTS
from conformance.reference.server import READY_PREFIX, serve
from conformance.reference.settings import ENVIRONMENT, ServerSettings

_DESCRIPTION = """\
Run the reference implementation of the Segment Jobs API (/segment/jobs) on a loopback port.

It accepts the credentials, org, sandboxes and segment definitions named by the SEGJOBS_* variables
(the same ones `segjobs-conformance run` reads), with local defaults when they are unset, so `serve` and
`run` agree with no configuration at all. Jobs are stored in SQLite and survive a restart on the same
--db file. Settings are printed on stderr (credentials masked); once the server accepts requests it prints
exactly one line on stdout: "listening on http://HOST:PORT".

To test a client in a shared, busy sandbox, --preload fills each sandbox with old finished jobs at start-up
and --background-creates has another client create jobs for the server's whole life.
"""


def _epilog() -> str:
    lines = ["environment (unset or empty: the local default shown):"]
    lines += [f"  {name:<29} {default}" for name, default in ENVIRONMENT.items()]
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
        "  curl -H 'Authorization: Bearer segjobs-local-token' -H 'x-api-key: segjobs-local-key' \\",
        "       -H 'x-gw-ims-org-id: 0000000000000000000000AA@AdobeOrg' http://127.0.0.1:8080/segment/jobs",
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
        type=_port,
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
        type=_positive_float,
        default=1.0,
        help="how long a job runs from NEW to its end (default: %(default)s): NEW for the first 10%%, "
        "QUEUED until 25%%, then PROCESSING",
    )
    variants = parser.add_argument_group("variants (behaviours the API doc leaves open; all conformant)")
    variants.add_argument(
        "--bulk-unknown",
        choices=("omit", "error"),
        default="omit",
        help="bulk-get leaves unknown ids out of results, or lists them as 404 entries "
        "(default: %(default)s)",
    )
    variants.add_argument("--cancel-direct", action="store_true", help="cancel goes straight to CANCELLED")
    variants.add_argument(
        "--extra-fields", action="store_true", help="jobs and pages carry fields the API doc does not mention"
    )
    variants.add_argument(
        "--max-limit",
        metavar="N",
        type=_positive_int,
        default=100,
        help="largest page size (default: %(default)s)",
    )
    variants.add_argument(
        "--default-order",
        choices=("desc", "asc"),
        default="desc",
        help="order by creationTime of a listing without sort (default: %(default)s, newest first)",
    )
    crowd = parser.add_argument_group("a crowded sandbox (other clients' jobs)")
    crowd.add_argument(
        "--preload",
        metavar="N",
        type=_non_negative_int,
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
        type=_positive_float,
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
            settings = dataclasses.replace(
                ServerSettings.from_env(os.environ),
                db_path=db_path,
                job_seconds=args.job_seconds,
                bulk_unknown=args.bulk_unknown,
                cancel_direct=args.cancel_direct,
                extra_fields=args.extra_fields,
                max_limit=args.max_limit,
                default_order=args.default_order,
                faults=frozenset(args.fault),
                preload=args.preload,
                background_create_seconds=args.background_creates,
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

        # uvicorn handles SIGTERM while serving and raises it again once stopped; ours then ends the run.
        in_main_thread = threading.current_thread() is threading.main_thread()
        previous_handler = signal.signal(signal.SIGTERM, _on_sigterm) if in_main_thread else None
        try:
            serve(settings, host=args.host, port=args.port, on_ready=announce, access_log=args.access_log)
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


def _port(text: str) -> int:
    value = _int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0..65535, got {text}")
    return value


def _positive_int(text: str) -> int:
    value = _int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text}")
    return value


def _non_negative_int(text: str) -> int:
    value = _int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of seconds > 0, got {text}")
    return value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


if __name__ == "__main__":
    sys.exit(main())
