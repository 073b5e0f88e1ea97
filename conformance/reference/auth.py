"""The gateway in front of the API: credentials, org and sandbox, checked in the platform's order.

========================================  ======  ===========  ==================================
condition                                 status  error_code   message
========================================  ======  ===========  ==================================
no ``Authorization: Bearer`` token        403     403010       Oauth token is missing.
a token the token endpoint issued that    401     401013       Oauth token is expired
has expired
any other token but the configured one    401     401013       Oauth token is not valid
no ``x-api-key``                          403     403000       Api Key is required
a wrong ``x-api-key``                     403     403003       Api Key is invalid
no ``x-gw-ims-org-id``                    400     400003       Missing header x-gw-ims-org-id
an org other than the configured one      403     403025       Profile is not valid
========================================  ======  ===========  ==================================

These answers are ``{"error_code": ..., "message": ...}`` bodies, as the platform's gateway sends them. The
tokens the token endpoint (:mod:`.ims`) issued are good until they expire, next to the configured one.
The sandbox comes last: without ``x-sandbox-name`` the default sandbox is used; an unknown name is refused
with a 403 problem body (raised by the app, which owns problem bodies).
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from conformance.reference.ims import TokenIssuer
from conformance.reference.settings import Sandbox, ServerSettings


@dataclass(frozen=True)
class Rejection:
    """The gateway's refusal of a request."""

    status: int
    error_code: str
    message: str

    def body(self) -> dict[str, str]:
        return {"error_code": self.error_code, "message": self.message}


TOKEN_MISSING = Rejection(403, "403010", "Oauth token is missing.")
TOKEN_INVALID = Rejection(401, "401013", "Oauth token is not valid")
TOKEN_EXPIRED = Rejection(401, "401013", "Oauth token is expired")
API_KEY_MISSING = Rejection(403, "403000", "Api Key is required")
API_KEY_INVALID = Rejection(403, "403003", "Api Key is invalid")
ORG_MISSING = Rejection(400, "400003", "Missing header x-gw-ims-org-id")
ORG_INVALID = Rejection(403, "403025", "Profile is not valid")


def check_credentials(
    headers: Mapping[str, str],
    settings: ServerSettings,
    *,
    any_token: bool = False,
    issued: TokenIssuer | None = None,
) -> Rejection | None:
    """The first gateway rule the request breaks, or None when it passes (``any_token``: fault switch;
    ``issued``: the tokens of the token endpoint)."""
    token = bearer_token(headers.get("authorization"))
    if token is None:
        return TOKEN_MISSING
    if not any_token and not _same(token, settings.access_token):
        state = None if issued is None else issued.state(token)
        if state == "expired":
            return TOKEN_EXPIRED
        if state != "valid":
            return TOKEN_INVALID
    api_key = headers.get("x-api-key")
    if api_key is None:
        return API_KEY_MISSING
    if not _same(api_key, settings.api_key):
        return API_KEY_INVALID
    org = headers.get("x-gw-ims-org-id")
    if org is None:
        return ORG_MISSING
    if org != settings.ims_org:
        return ORG_INVALID
    return None


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None when there is none."""
    if authorization is None:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def select_sandbox(headers: Mapping[str, str], settings: ServerSettings) -> Sandbox | None:
    """The sandbox a request addresses: the default one without ``x-sandbox-name``; None for an unknown
    name."""
    name = headers.get("x-sandbox-name")
    if name is None:
        return settings.default_sandbox
    return settings.sandbox(name)


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())
