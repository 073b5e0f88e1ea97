"""OAuth server-to-server credentials: the run's bearer token, minted with the ``client_credentials`` grant.

When a client id and secret are set and no access token is (:attr:`conformance._config.Settings.mints_token`),
a :class:`TokenSource` gives the run its bearer token:

- **minted** by a form POST to the token URL (``SEGJOBS_IMS_TOKEN_URL``; the platform's IMS v3 endpoint by
  default): ``grant_type=client_credentials``, ``client_id``, ``client_secret`` and ``scope`` (the scopes
  joined by commas, as IMS takes them). The answer is ``{"access_token", "token_type": "bearer",
  "expires_in"}``, ``expires_in`` in seconds, counted from the moment the request for the token was sent;
- **refreshed before it expires**: a token is used until :func:`refresh_margin` of its lifetime is left, the
  smaller of 10 % and 60 s (the platform's day-long token is replaced a minute before its end, a 3 s token
  0.3 s before). An answer without ``expires_in`` is used until a request is refused as expired;
- **renewed once more on a 401 that says the token expired** (in its body or its ``WWW-Authenticate``
  header, :func:`says_expired`): the client then sends the refused request once more, with the new token.

The client consults the source for every request to the base URL's origin (:meth:`TokenSource.authorize`):
an ``Authorization`` header that carries the run's own credential (the placeholder of the settings, or any
token minted before, as a copy of the headers made earlier holds) goes out with the current token; one a
test set on purpose (none, or an invalid token) goes out as it is.

Where the secret and the tokens go: the client secret only in the body of the POST to the token URL, sent by
this module's own httpx client (no redirect followed, no proxy or certificate settings from the environment);
the tokens only in the ``Authorization`` header of requests to the base URL's origin. Each token is learned by
the redactor (:meth:`conformance._redact.Redactor.learn`) before it is used, so every output masks it.

A token endpoint that refuses the credentials (400, 401, 403), or is not one (404, 405, a redirect), raises
:class:`CredentialsRefused`: at the start of a run that is exit 2, with a message naming the variables to
check (never their values). One that cannot be reached or answers anything else raises
:class:`TokenUnavailable` (exit 3 at the start; later, the test that needed a token ends in error).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, MutableMapping, Sequence
from typing import TYPE_CHECKING, Any

import httpx

from conformance._options import option
from conformance._redact import Redactor

if TYPE_CHECKING:
    from conformance._client import Exchange
    from conformance._config import Settings

#: A token is replaced once no more than this part of its lifetime is left ...
REFRESH_FRACTION = 0.1
#: ... or this many seconds, whichever is smaller.
REFRESH_SECONDS = 60.0
#: the longest ``error_description`` of a refusal quoted in a message
_DESCRIPTION_CHARS = 200
#: the variables a message names (never their values)
_CLIENT_ID, _CLIENT_SECRET, _SCOPES, _TOKEN_URL = (
    option(name).env for name in ("client_id", "client_secret", "scopes", "ims_token_url")
)


def refresh_margin(lifetime: float) -> float:
    """How long before its end a token of ``lifetime`` seconds is replaced."""
    return min(REFRESH_FRACTION * lifetime, REFRESH_SECONDS)


class TokenError(Exception):
    """No token could be minted. ``exit_code``: what it means for a run that has not started yet."""

    exit_code = 3


class CredentialsRefused(TokenError):
    """The token endpoint refused the client credentials or the scopes, or the URL is not a token endpoint:
    the configuration is wrong (exit 2)."""

    exit_code = 2


class TokenUnavailable(TokenError):
    """The token endpoint could not be reached, or its answer was not a bearer token (exit 3)."""


def says_expired(exchange: Exchange) -> bool:
    """Whether an answer refuses a request because its bearer token expired: a 401 whose body or
    ``WWW-Authenticate`` header says so (the platform's gateway: ``Oauth token is expired``; RFC 6750:
    ``error="invalid_token", error_description="The access token expired"``)."""
    if exchange.status != 401:
        return False
    said = exchange.body[:2000].decode("utf-8", "replace") + " " + (exchange.header("www-authenticate") or "")
    return "expired" in said.lower()


class TokenSource:
    """The run's bearer token: minted, refreshed before it expires, renewed when refused as expired.

    Thread-safe; one token is minted at a time, and requests that need one meanwhile wait for it."""

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        scopes: Sequence[str],
        *,
        placeholder: str | None = None,
        timeout: httpx.Timeout | float = 15.0,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token_url = token_url
        self._client_id = client_id
        self._client_secret = client_secret
        self._scopes = tuple(scopes)
        self._clock = clock
        self._lock = threading.RLock()
        self._token: str | None = None
        self._refresh_at = 0.0
        #: the tokens that stand for the run's own credential: the placeholder, and every token minted
        self._own: set[str] = {placeholder} if placeholder else set()
        #: how many tokens were minted (results.json's ``stats.tokens_minted``)
        self.minted = 0
        #: how many of them replaced a token a 401 said had expired
        self.renewed_after_expiry = 0
        self._mask = Redactor.of([client_secret, client_id])
        self._http = httpx.Client(
            timeout=timeout, follow_redirects=False, trust_env=False, transport=transport
        )

    @classmethod
    def of(cls, settings: Settings, transport: httpx.BaseTransport | None = None) -> TokenSource:
        """The source of a run: its token URL, client credentials, scopes and timeouts; the settings' access
        token (then unset, its local default) is the placeholder the minted token replaces."""
        assert settings.client_id is not None and settings.client_secret is not None
        return cls(
            settings.ims_token_url,
            settings.client_id,
            settings.client_secret,
            settings.scopes,
            placeholder=settings.access_token,
            timeout=httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout),
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    # -- what the client asks -----------------------------------------------------------------------------
    def __call__(self) -> str:
        """A token good for now: the current one, or a new one once the current one is near its end."""
        with self._lock:
            if self._token is None or self._clock() >= self._refresh_at:
                self._mint()
            assert self._token is not None
            return self._token

    def authorize(
        self, headers: MutableMapping[str, str], defaults: MutableMapping[str, str] | None = None
    ) -> str | None:
        """Puts the current token in ``headers`` when their ``Authorization`` carries the run's own
        credential, and then in ``defaults`` too (the client's, which the job tracker compares with); returns
        the token, or None when ``headers`` carry another credential or none (a test's, on purpose)."""
        name = _authorization(headers)
        if name is None or not self._is_own(headers[name]):
            return None
        token = self()
        headers[name] = f"Bearer {token}"
        own = None if defaults is None else _authorization(defaults)
        if defaults is not None and own is not None and self._is_own(defaults[own]):
            defaults[own] = f"Bearer {token}"
        return token

    def expired(self, token: str, exchange: Exchange) -> bool:
        """Whether ``exchange``, sent with ``token``, was refused because the token expired; if so, a token
        other than ``token`` is current when this returns (minted now, unless another request already did)."""
        if not says_expired(exchange):
            return False
        with self._lock:
            if self._token == token:
                self._mint()
                self.renewed_after_expiry += 1
        return True

    def _is_own(self, authorization: str) -> bool:
        scheme, _, credential = authorization.strip().partition(" ")
        with self._lock:
            return scheme.lower() == "bearer" and credential.strip() in self._own

    # -- the token endpoint -------------------------------------------------------------------------------
    def _mint(self) -> None:
        """POSTs the client credentials to the token URL and keeps the token it answers (under the lock)."""
        form = {
            "grant_type": "client_credentials",
            "client_id": self._client_id,
            "client_secret": self._client_secret,
            "scope": ",".join(self._scopes),
        }
        sent = self._clock()
        try:
            response = self._http.post(self.token_url, data=form, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise TokenUnavailable(
                f"the token endpoint {self.token_url} could not be reached ({type(exc).__name__}): check "
                f"{_TOKEN_URL}"
            ) from None
        body = _json_object(response)
        self._refuse_unless_granted(response, body)
        token = body.get("access_token")
        token_type = body.get("token_type", "bearer")
        if not isinstance(token, str) or not token.strip() or str(token_type).lower() != "bearer":
            raise TokenUnavailable(
                f"the token endpoint {self.token_url} answered HTTP {response.status_code} without a bearer "
                "token (access_token and token_type bearer expected)"
            )
        token = token.strip()
        Redactor.learn(token)  # masked everywhere before it is ever sent
        lifetime = _seconds(body.get("expires_in"))
        self._token = token
        self._own.add(token)
        self._refresh_at = float("inf") if lifetime is None else sent + lifetime - refresh_margin(lifetime)
        self.minted += 1

    def _refuse_unless_granted(self, response: httpx.Response, body: dict[str, Any]) -> None:
        status = response.status_code
        if status == 200:
            return
        error = body.get("error")
        said = f"HTTP {status}" + (f" {error}" if isinstance(error, str) else "")
        description = body.get("error_description")
        if isinstance(description, str) and description.strip():
            said += ": " + self._mask.text(" ".join(description.split()))[:_DESCRIPTION_CHARS]
        where = f"the token endpoint {self.token_url}"
        if status in (400, 401, 403) and error == "invalid_scope":
            raise CredentialsRefused(f"{where} refused the scopes ({said}): check {_SCOPES}")
        if status in (400, 401, 403):
            raise CredentialsRefused(
                f"{where} refused the client credentials ({said}): check {_CLIENT_ID} and {_CLIENT_SECRET}"
            )
        if status in (404, 405) or 300 <= status < 400:
            raise CredentialsRefused(
                f"nothing answers as a token endpoint at {self.token_url} ({said}): check {_TOKEN_URL}"
            )
        raise TokenUnavailable(f"{where} answered {said}, not a token")


def _authorization(headers: MutableMapping[str, str]) -> str | None:
    """The name ``Authorization`` has in ``headers`` (any case), or None."""
    return next((name for name in headers if name.lower() == "authorization"), None)


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = json.loads(response.content)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _seconds(value: Any) -> float | None:
    """``expires_in`` as a positive number of seconds (a number or a numeric string), else None."""
    if isinstance(value, bool):
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if 0 < seconds < float("inf") else None
