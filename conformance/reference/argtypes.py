"""The value types of ``serve``'s options: each parses one text or says, for argparse, what it expected."""

from __future__ import annotations

import argparse

from conformance.reference.settings import PATH_PREFIX_PATTERN


def port(text: str) -> int:
    value = integer(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0..65535, got {text}")
    return value


def positive_int(text: str) -> int:
    value = integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text}")
    return value


def non_negative_int(text: str) -> int:
    value = integer(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text}")
    return value


def seconds(text: str) -> float:
    """A finite number of seconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"expected a finite number of seconds, got {text}")
    return value


def positive_float(text: str) -> float:
    value = seconds(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds > 0, got {text}")
    return value


def at_least_two(text: str) -> int:
    value = integer(text)
    if value < 2:
        raise argparse.ArgumentTypeError(f"expected an integer >= 2 (1 refuses every request), got {text}")
    return value


def non_negative_float(text: str) -> float:
    value = seconds(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds >= 0, got {text}")
    return value


def milliseconds(text: str) -> float:
    """A delay in milliseconds: a number, 0 or more (0: none)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of milliseconds, got {text!r}") from None
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of milliseconds >= 0, got {text}")
    return value


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
