"""What is derived from the options table (:mod:`conformance._options`): the options of ``run`` and of the
pytest plugin, the flags each hands to ``load_settings``, what ``run`` forwards to pytest, the variables at
the end of ``run --help`` and README.md's options table. Imports nothing of the package but the table.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from conformance._options import OPTIONS, SETTINGS, Option, plain


def _kwargs(entry: Option) -> dict[str, Any]:
    if entry.switch:
        return {"action": "store_true", "default": None}
    kwargs: dict[str, Any] = {"default": None, "metavar": entry.metavar}
    if entry.choices is not None:
        kwargs["choices"] = entry.choices
    return kwargs


# -- the two command lines -----------------------------------------------------------------------------
def add_run_options(add: Callable[..., Any]) -> None:
    """Adds the options of ``segjobs-conformance run`` (``add``: an ``ArgumentParser.add_argument``)."""
    for entry in OPTIONS:
        if entry.flag is not None:
            add(entry.flag, dest=entry.name, help=entry.help_text(), **_kwargs(entry))


def add_pytest_options(add: Callable[..., Any]) -> None:
    """Adds the ``--segjobs-*`` options of the pytest plugin (``add``: an ``OptionGroup.addoption``)."""
    for entry in OPTIONS:
        if entry.pytest is not None:
            add(entry.pytest, help=entry.help_text(), **_kwargs(entry))


def pytest_flags(getoption: Callable[[str], Any]) -> dict[str, Any]:
    """The settings given as pytest options, for ``load_settings`` (``None``: not given)."""
    return {o.name: getoption(o.pytest) for o in SETTINGS if o.pytest is not None}


def run_flags(values: Mapping[str, Any]) -> dict[str, Any]:
    """The settings given as flags of ``run`` (``values``: its parsed arguments), for ``load_settings``."""
    return {o.name: values.get(o.name) for o in SETTINGS if o.flag is not None}


def forwarded_to_pytest(values: Mapping[str, Any]) -> list[str]:
    """``run``'s flags as the plugin's ``--segjobs-*`` options (``values``: its parsed arguments)."""
    args: list[str] = []
    for entry in OPTIONS:
        if entry.flag is None or entry.pytest is None:
            continue
        value = values.get(entry.name)
        if entry.switch and value:
            args.append(entry.pytest)
        elif not entry.switch and value is not None:
            args += [entry.pytest, str(value)]
    return args


# -- documentation -------------------------------------------------------------------------------------
def variables(*, credentials: bool) -> Iterator[Option]:
    """The entries with an environment variable: the credentials, or all the others, in table order."""
    return (o for o in OPTIONS if o.env is not None and o.credential == credentials)


def variables_epilog(width: int = 100) -> str:
    """The list of every variable at the end of ``run --help``, the credentials first."""

    def lines(entries: Iterator[Option]) -> list[str]:
        out = []
        for entry in entries:
            assert entry.env is not None
            also = f"; or {entry.flag}" if entry.flag else ""
            text = f"{entry.env:<28} {plain(entry.meaning)} (default: {plain(entry.default)}{also})"
            out += textwrap.wrap(text, width, initial_indent="  ", subsequent_indent=" " * 31)
        return out

    return "\n".join(
        [
            "credentials a real target needs (from the environment or the config file, never a flag):",
            *lines(variables(credentials=True)),
            "other variables (a flag given wins over its variable, the variable over the config file):",
            *lines(variables(credentials=False)),
        ]
    )


def readme_table() -> str:
    """README.md's options table (flag | variable / file key | default | meaning), in table order.

    Entries with none of flag, variable and file key (``--segjobs-results``, pytest only) are left out."""
    rows = ["| flag | variable / file key | default | meaning |", "|---|---|---|---|"]
    for entry in OPTIONS:
        if entry.flag is None and entry.env is None and entry.key is None:
            continue
        flag = (
            "" if entry.flag is None else f"`{entry.flag}{'' if entry.switch else ' ' + str(entry.metavar)}`"
        )
        names = " / ".join(f"`{name}`" for name in (entry.env, entry.key) if name is not None)
        cells = [flag, names, entry.default, entry.meaning]
        rows.append(("| " + " | ".join(cells) + " |").replace("|  |", "| |"))
    return "\n".join(rows)
