"""Secret masking for the report writers, on top of :class:`conformance._redact.Redactor`.

Two passes, so that nothing secret reaches a report even when a producer forgot to mask:

- :func:`clean` masks the input data before it is rendered: the redactor's literal secrets everywhere,
  the password part of URLs (``scheme://user:password@host``) everywhere, and the values of secret headers
  (``Authorization``, ``x-api-key``, ...) in curl lines, request and response excerpts.
- the writer masks the final text once more with the redactor itself.

Both passes mask a secret also in the forms escaping gives it (HTML/XML, JSON, URL encoding, Markdown):
:class:`~conformance._redact.Redactor` knows those forms.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from conformance._redact import MASK, SECRET_HEADERS, Redactor

#: Keys whose strings carry HTTP headers, where secret header values are masked.
HEADER_KEYS = frozenset({"curl", "request", "response"})

_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)([^/\s@'\"<>?#]+)@")
_CURL_USER = re.compile(r"(\s(?:-u|--user|--proxy-user|-U)\s+)('[^']*'|\"[^\"]*\"|\S+)")


def _header_pattern(names: frozenset[str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?i)(?<![\w-])({alternatives})([\"']?\s*:\s*[\"']?)([^'\"\r\n]+)")


def mask_text(value: str, redactor: Redactor, *, headers: bool = False) -> str:
    """Masks one string: literal secrets, URL passwords, ``curl -u`` values, and secret headers if asked."""
    value = redactor.text(value)
    value = _USERINFO.sub(lambda m: f"{m.group(1)}{MASK}@", value)
    if headers:
        value = _CURL_USER.sub(lambda m: f"{m.group(1)}{MASK}", value)
        pattern = _header_pattern(SECRET_HEADERS | redactor.headers)

        def header(match: re.Match[str]) -> str:
            name, sep, raw = match.group(1), match.group(2), match.group(3)
            stripped = raw.rstrip()
            masked = redactor.header_value(name, stripped)
            return f"{name}{sep}{masked}{raw[len(stripped) :]}"

        value = pattern.sub(header, value)
    return value


def _walk(value: Any, redactor: Redactor, headers: bool) -> Any:
    if isinstance(value, str):
        return mask_text(value, redactor, headers=headers)
    if isinstance(value, Mapping):
        return {str(k): _walk(v, redactor, headers or str(k) in HEADER_KEYS) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_walk(v, redactor, headers) for v in value]
    return value


def clean(results: Mapping[str, Any], redactor: Redactor | None = None) -> dict[str, Any]:
    """A masked deep copy of a results dict (the input is left as it is)."""
    masked: dict[str, Any] = _walk(results, redactor or Redactor(), False)
    return masked
