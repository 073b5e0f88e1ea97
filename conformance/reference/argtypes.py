"""The value types of ``serve``'s options: each parses one text or says, for argparse, what it expected."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from conformance.reference.settings import PATH_PREFIX_PATTERN


def port(text: str) -> int:
    value = integer(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0..65535, got {text}")
    return value


def _at_least(low: int, why: str = "") -> Callable[[str], int]:
    """An integer of at least ``low``."""

    def parse(text: str) -> int:
        value = integer(text)
        if value < low:
            raise argparse.ArgumentTypeError(f"expected an integer >= {low}{why}, got {text}")
        return value

    return parse


def _amount(unit: str, *, positive: bool) -> Callable[[str], float]:
    """A finite number of ``unit``, more than 0 (``positive``) or 0 and more."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number of {unit}, got {text!r}") from None
        if not (value > 0 if positive else value >= 0) or value == float("inf"):
            bound = "> 0" if positive else ">= 0"
            raise argparse.ArgumentTypeError(f"expected a number of {unit} {bound}, got {text}")
        return value

    return parse


positive_int = _at_least(1)
non_negative_int = _at_least(0)
at_least_two = _at_least(2, " (1 refuses every request)")
positive_float = _amount("seconds", positive=True)
non_negative_float = _amount("seconds", positive=False)
#: a delay in milliseconds (0: none)
milliseconds = _amount("milliseconds", positive=False)


def path_prefix(text: str) -> str:
    """``/data/core/ups`` (a slash at the end is dropped; ``/`` alone is no prefix)."""
    prefix = text.rstrip("/")
    if prefix and not PATH_PREFIX_PATTERN.fullmatch(prefix):
        raise argparse.ArgumentTypeError(
            f"expected a path such as /data/core/ups (segments of letters, digits, . _ ~ -), got {text!r}"
        )
    return prefix


def integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
