"""The small pieces of ``report.html`` its sections share: escaping, anchor slugs, outcome badges."""

from __future__ import annotations

import re
from html import escape

OUTCOME_LABELS = {
    "pass": "Pass",
    "fail": "Fail",
    "error": "Error",
    "skip": "Skip",
    "disabled": "Disabled",
    "untested": "Untested",
}


def _e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def _slug(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", value).strip("-") or "x"


def _badge(outcome: str, href: str | None = None) -> str:
    label = _e(OUTCOME_LABELS.get(outcome, outcome or "?"))
    css = f"badge b-{_e(outcome)}-t"
    if href:
        return f'<a class="{css}" href="#{_e(href)}">{label}</a>'
    return f'<span class="{css}">{label}</span>'
