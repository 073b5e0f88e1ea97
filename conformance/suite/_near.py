"""Near misses of a value: what an exact match must tell apart from it (ERRATA E-25).

The doc's ``property`` filter "gets exact matches for the filter given", and GET and bulk-get read the job of
the id given. A near miss of a job's value is one a loose comparison takes for it: a prefix, a suffix, a
substring, the value in another case, and two lookalikes with a non-ASCII character (a full-width form, which
Unicode compatibility normalization, NFKC, reads as the plain character; a combining accent, which accent
folding drops). No job's field equals a near miss of our job's value (unless some job's value is that very
text), so an exact comparison never selects our job with it.

Two UUIDs that differ only in the case of their hex digits are one UUID (RFC 9562, section 4: "case
insensitive on input"): a server whose ids are UUIDs may read the one as the other. :func:`same` allows
that, and only that.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_UUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")
#: what separates a full-width form (U+FF01 to U+FF5E) from the printable ASCII character it stands for
_FULL_WIDTH = 0xFEE0
_COMBINING_ACUTE = "\u0301"


def near_misses(value: str) -> dict[str, str]:
    """Kind of near miss -> a near miss of ``value``: ``prefix`` (the last character dropped), ``suffix``
    (the first dropped), ``substring`` (both), ``other case``, ``full-width`` and ``accent`` (the first ASCII
    letter or digit in its full-width form, or followed by a combining accent). A kind that would give the
    value itself, nothing, or the near miss of a kind before it is left out."""
    found = {
        "prefix": value[:-1],
        "suffix": value[1:],
        "substring": value[1:-1],
        "other case": value.swapcase(),
    }
    at = next((i for i, c in enumerate(value) if c.isascii() and c.isalnum()), None)
    if at is not None:
        found["full-width"] = value[:at] + chr(ord(value[at]) + _FULL_WIDTH) + value[at + 1 :]
        found["accent"] = value[: at + 1] + _COMBINING_ACUTE + value[at + 1 :]
    kept: dict[str, str] = {}
    for kind, near in found.items():
        if near and near != value and near not in kept.values():
            kept[kind] = near
    return kept


def same(found: object, value: str) -> bool:
    """Whether a field's value ``found`` is ``value``: the same text, or the same UUID in another case."""
    if not isinstance(found, str):
        return False
    if found == value:
        return True
    return bool(_UUID.fullmatch(found) and _UUID.fullmatch(value)) and found.lower() == value.lower()


def field_values(job: Mapping[str, Any], path: str) -> list[Any]:
    """The values a ``property`` filter on ``path`` compares: the value at a dotted path (``sandbox.
    sandboxName``), or, for ``array~key``, the ``key`` of each element of the array."""
    dotted, _, key = path.partition("~")
    found: Any = job
    for name in dotted.split("."):
        found = found.get(name) if isinstance(found, Mapping) else None
    if not key:
        return [found]
    elements = found if isinstance(found, list) else []
    return [e.get(key) if isinstance(e, Mapping) else None for e in elements]


def matches(job: Mapping[str, Any], path: str, value: str) -> bool:
    """Whether an exact filter ``path==value`` keeps ``job`` (any element, for the array form)."""
    return any(same(found, value) for found in field_values(job, path))
