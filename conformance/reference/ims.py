"""An IMS-compatible token endpoint: ``POST /ims/token/v3``, the OAuth ``client_credentials`` grant.

``serve --ims-port P`` serves it on a port of its own (:mod:`.server`); the tokens it issues open the API on
the main port until they expire (:mod:`.auth`), next to the static token, which keeps working. The request is
a form body (``application/x-www-form-urlencoded``), as the platform's IMS takes it:

==============================================  ======  ======================================================
request                                         status  answer (JSON)
==============================================  ======  ======================================================
``grant_type=client_credentials`` with the      200     ``{"access_token", "token_type": "bearer",
configured ``client_id`` and ``client_secret``          "expires_in"}`` (seconds)
another ``grant_type``                          400     ``{"error": "unsupported_grant_type", ...}``
no ``grant_type``, no ``client_id`` or no       400     ``{"error": "invalid_request", ...}``
``client_secret``, or a body that is no form
another ``client_id`` or ``client_secret``      401     ``{"error": "invalid_client", ...}``
==============================================  ======  ======================================================

Every refusal carries ``error`` and ``error_description``, the platform's (and RFC 6749 §5.2's) error shape.
The ``scope`` is not checked: the reference has one kind of access. A token is opaque: :data:`TOKEN_PREFIX`
and 32 random bytes, URL-safe; it is good for ``ims_token_lifetime`` seconds of the server's clock, then the
API answers it with a 401 saying it expired. Any other method or path of the port answers 405 or 404.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections.abc import Callable
from typing import Literal
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from conformance.reference.settings import ServerSettings

#: The path of the token endpoint, as the platform's IMS serves it.
TOKEN_PATH = "/ims/token/v3"  # noqa: S105 - a path
#: Every issued token starts with this, so a token is recognisable wherever it turns up.
TOKEN_PREFIX = "segjobs-ims-"  # noqa: S105 - a prefix, not a token
#: Issued tokens are forgotten this long after they expired (then they read as not valid, not as expired).
FORGET_AFTER_SECONDS = 3600.0
#: The largest form body read.
MAX_FORM_BYTES = 16 * 1024

TokenState = Literal["valid", "expired"]


class TokenIssuer:
    """The tokens issued and until when each is good (epoch seconds of the server's clock). Thread-safe."""

    def __init__(self, lifetime: int, clock: Callable[[], float]) -> None:
        self.lifetime = lifetime
        self._clock = clock
        self._lock = threading.Lock()
        self._good_until: dict[str, float] = {}

    def issue(self) -> str:
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = self._clock()
        with self._lock:
            self._good_until = {
                t: until for t, until in self._good_until.items() if until + FORGET_AFTER_SECONDS > now
            }
            self._good_until[token] = now + self.lifetime
        return token

    def state(self, token: str) -> TokenState | None:
        """``valid`` or ``expired`` for a token issued here, None for any other."""
        with self._lock:
            until = self._good_until.get(token)
        if until is None:
            return None
        return "valid" if self._clock() < until else "expired"

    def __len__(self) -> int:
        with self._lock:
            return len(self._good_until)


def create_ims_app(settings: ServerSettings, issuer: TokenIssuer) -> Starlette:
    """The token endpoint for the client of ``settings``, issuing tokens through ``issuer``."""

    async def token(request: Request) -> Response:
        form = await _form(request)
        if form is None:
            return _refusal(
                400, "invalid_request", "the body must be a form (application/x-www-form-urlencoded)"
            )
        grant_type = form.get("grant_type")
        if grant_type is None:
            return _refusal(400, "invalid_request", "missing grant_type parameter")
        if grant_type != "client_credentials":
            return _refusal(400, "unsupported_grant_type", "only client_credentials is supported")
        for name in ("client_id", "client_secret"):
            if not form.get(name):
                return _refusal(400, "invalid_request", f"missing {name} parameter")
        if not _same(form["client_id"], settings.ims_client_id):
            return _refusal(401, "invalid_client", "invalid client_id parameter")
        if not _same(form["client_secret"], settings.ims_client_secret):
            return _refusal(401, "invalid_client", "invalid client_secret parameter")
        body = {"access_token": issuer.issue(), "token_type": "bearer", "expires_in": issuer.lifetime}
        return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    app = Starlette(routes=[Route(TOKEN_PATH, token, methods=["POST"])])
    app.router.redirect_slashes = False
    return app


async def _form(request: Request) -> dict[str, str] | None:
    """The form's fields (the first value of each), or None when the body is not a form."""
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != "application/x-www-form-urlencoded":
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return None
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        return None
    return {name: values[0] for name, values in fields.items()}


def _refusal(status: int, error: str, description: str) -> Response:
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=status,
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())
