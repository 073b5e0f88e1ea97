"""Tolerant readers of the values of a results dict: a value that is absent or of the wrong type reads as an
empty one, and a skip reason of an older ``results.json`` loses its ``disabled:`` or ``skip:`` prefix.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

#: Prefixes of a skip reason in results.json files written before ``skip_kind`` (read as a fallback).
DISABLED_PREFIX = "disabled:"
SKIP_PREFIX = "skip:"


def strip_skip_prefix(reason: str) -> str:
    """A skip reason without the ``disabled:`` or ``skip:`` prefix of older results.json files."""
    stripped = reason.strip()
    for prefix in (DISABLED_PREFIX, SKIP_PREFIX):
        if stripped.startswith(prefix):
            return stripped[len(prefix) :].strip()
    return stripped


def text(value: Any) -> str:
    """A string: None reads as empty, any other value as its str."""
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def number(value: Any) -> float:
    """A finite number of zero or more (a number or a numeric string), else 0.0."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return 0.0
    try:
        found = float(value)
    except ValueError:
        return 0.0
    return found if math.isfinite(found) and found >= 0 else 0.0


def mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def items(value: Any) -> Sequence[Any]:
    return value if isinstance(value, list | tuple) else ()


def strings(value: Any) -> tuple[str, ...]:
    return tuple(text(v) for v in items(value))


def reasons(value: Any) -> dict[str, str]:
    """A mapping of requirement ID to reason, without the empty reasons."""
    return {text(k): text(v).strip() for k, v in mapping(value).items() if text(v).strip()}
