"""Masking of secrets in every text the suite writes (reports, logs, curl lines, exception text).

Most secrets are known before the run (token, API key, client secret). A bearer token minted during the run
(:mod:`conformance._oauth`) is learned as it is minted, with :meth:`Redactor.learn`: from then on every
redactor of the process masks it, whenever it was made (the client's, the failure format's, the reports').
"""

from __future__ import annotations

import html
import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import quote, quote_plus

MASK = "***"

#: Headers whose values are always masked, whatever their value.
SECRET_HEADERS = frozenset({"authorization", "x-api-key", "cookie", "set-cookie", "proxy-authorization"})


@dataclass(frozen=True)
class Redactor:
    """Replaces every known secret value by ``***``, raw and in the forms escaping gives it.

    ``secrets`` are literal values (tokens, keys); values shorter than 4 characters are ignored so that
    masking cannot shred ordinary text. Each is also masked as HTML/XML, JSON, URL or Markdown-table escaping
    (once or twice) writes it, since a response excerpt or a rendered report may carry it escaped.
    ``headers`` are extra header names the user marks secret.
    """

    secrets: tuple[str, ...] = ()
    headers: frozenset[str] = field(default_factory=frozenset)

    @staticmethod
    def learn(secret: str) -> None:
        """A secret met while the process runs (a minted token): every redactor masks it from now on."""
        _LEARNED.add(secret)

    @classmethod
    def of(cls, secrets: Iterable[str | None], headers: Iterable[str] = ()) -> Redactor:
        values = {s for s in secrets if s and len(s) >= 4}
        forms = {form for s in values for form in escaped_forms(s)}
        return cls(_longest_first(forms), frozenset(h.lower() for h in headers))

    def is_secret_header(self, name: str) -> bool:
        return name.lower() in SECRET_HEADERS or name.lower() in self.headers

    def header_value(self, name: str, value: str) -> str:
        if self.is_secret_header(name):
            if name.lower() == "authorization" and " " in value:
                return value.split(" ", 1)[0] + " " + MASK
            return MASK
        return self.text(value)

    def text(self, value: str) -> str:
        for secret in _LEARNED.with_forms_of(self.secrets):
            if secret in value:
                value = value.replace(secret, MASK)
        return value

    def data(self, value: object) -> object:
        """Masks secrets inside nested JSON-like data (dicts, lists, strings)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.data(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.data(v) for v in value]
        return value


class _Learned:
    """The escaped forms of the secrets learned while the process runs; thread-safe, only ever growing."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.forms: tuple[str, ...] = ()
        #: a redactor's own secrets -> (the learned forms then, both merged): text() is called a lot
        self._merged: dict[tuple[str, ...], tuple[tuple[str, ...], tuple[str, ...]]] = {}

    def add(self, secret: str) -> None:
        if not secret or len(secret) < 4:
            return
        with self._lock:
            self.forms = _longest_first(set(self.forms) | escaped_forms(secret))

    def with_forms_of(self, secrets: tuple[str, ...]) -> tuple[str, ...]:
        """``secrets`` (longest first) and the learned forms, longest first: a secret that holds another is
        masked whole."""
        learned = self.forms
        if not learned:
            return secrets
        cached = self._merged.get(secrets)
        if cached is not None and cached[0] is learned:
            return cached[1]
        merged = _longest_first({*secrets, *learned})
        self._merged[secrets] = (learned, merged)
        return merged


_LEARNED = _Learned()


def _longest_first(forms: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(forms, key=len, reverse=True))


def escaped_forms(secret: str) -> set[str]:
    """A secret as it may appear escaped: HTML/XML (also escaped twice), JSON, URL-encoded, Markdown-table."""
    escaped = html.escape(secret, quote=False)
    forms = {
        secret,
        escaped,
        html.escape(secret, quote=True),
        escaped.replace('"', "&quot;"),
        json.dumps(secret)[1:-1],
        quote(secret, safe=""),
        quote_plus(secret, safe=""),
        secret.replace("|", "\\|"),
        escaped.replace("|", "\\|"),
    }
    forms |= {html.escape(form, quote=False) for form in forms}
    return {form for form in forms if form}
