"""An inline SVG picture of one job's lifecycle: status (rows, lifecycle order top to bottom) over time.

The line steps down as a job progresses; a move the lifecycle does not allow (a regression goes back up) is
drawn in red, and a job that never reached a terminal status ends in a hollow amber dot outside the shaded
terminal band. Presentation attributes only, so the picture needs no stylesheet and prints as it shows.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from html import escape
from itertools import pairwise

from conformance._lifecycle import TERMINAL
from conformance.reporting._lifecycle import STATUS_ORDER, Story, is_legal

WIDTH = 560
LEFT = 86
RIGHT = 16
TOP = 10
ROW = 19
AXIS = 36
MAX_DOTS = 150

INK = "#1f2933"
MUTED = "#616e7c"
GRID = "#e4e7eb"
BAND = "#f0f4f8"
LINE = "#2457a6"
ILLEGAL = "#c81e1e"
FINAL = {"SUCCEEDED": "#1b7f4c", "FAILED": "#b44d12", "CANCELLED": "#52606d"}
STUCK = "#c27c0e"


def nice_step(span: float, target: int = 6) -> float:
    """A round tick step (1, 2, 2.5 or 5 times a power of ten) giving about ``target`` ticks over ``span``."""
    if span <= 0:
        return 1.0
    raw = span / target
    power = 10.0 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 2.5, 5.0, 10.0):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def tick_label(value: float, step: float) -> str:
    """A tick value with as many decimals as the step needs (``0``, ``0.5``, ``0.25``, ``10``)."""
    decimals = 0
    while decimals < 6 and abs(round(step, decimals) - step) > 1e-9:
        decimals += 1
    return f"{value:.{decimals}f}"


def render_lifecycle(story: Story, element_id: str) -> str:
    """The ``<svg>`` element for one job; ``element_id`` makes its inner ids unique in the page."""
    obs = story.job.observations
    rows = story.statuses
    height = TOP + ROW * len(rows) + AXIS
    plot_w = WIDTH - LEFT - RIGHT
    t_end = max((o.t for o in obs), default=0.0)
    step = nice_step(t_end if t_end > 0 else 1.0)
    t_max = max(step, math.ceil(t_end / step - 1e-9) * step)

    def x(t: float) -> float:
        return LEFT + plot_w * (t / t_max)

    def y(status: str) -> float:
        return TOP + ROW * rows.index(status) + ROW / 2

    title_id = f"{element_id}-title"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="lifecycle" id="{escape(element_id)}" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" role="img" aria-labelledby="{escape(title_id)}" '
        f'font-family="-apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="11">',
        f'<title id="{escape(title_id)}">Lifecycle of job {escape(story.job.id)}: {escape(story.summary())}'
        "</title>",
    ]
    terminal_rows = [i for i, s in enumerate(rows) if s in TERMINAL]
    if terminal_rows:
        band_top = TOP + ROW * min(terminal_rows)
        band_h = ROW * (max(terminal_rows) - min(terminal_rows) + 1)
        out.append(f'<rect x="{LEFT}" y="{band_top}" width="{plot_w}" height="{band_h}" fill="{BAND}"/>')
    for status in rows:
        cy = y(status)
        italic = "" if status in STATUS_ORDER else ' font-style="italic"'
        out.append(f'<line x1="{LEFT}" y1="{cy}" x2="{WIDTH - RIGHT}" y2="{cy}" stroke="{GRID}"/>')
        out.append(
            f'<text x="{LEFT - 8}" y="{cy + 4}" text-anchor="end" fill="{INK}"{italic}>'
            f"{escape(status)}</text>"
        )
    axis_y = TOP + ROW * len(rows) + 4
    out.append(f'<line x1="{LEFT}" y1="{axis_y}" x2="{WIDTH - RIGHT}" y2="{axis_y}" stroke="{MUTED}"/>')
    ticks = round(t_max / step)
    for i in range(ticks + 1):
        tx = x(i * step)
        out.append(f'<line x1="{tx:.1f}" y1="{axis_y}" x2="{tx:.1f}" y2="{axis_y + 4}" stroke="{MUTED}"/>')
        out.append(
            f'<text x="{tx:.1f}" y="{axis_y + 16}" text-anchor="middle" fill="{MUTED}">'
            f"{tick_label(i * step, step)}</text>"
        )
    out.append(
        f'<text x="{WIDTH - RIGHT}" y="{axis_y + 30}" text-anchor="end" fill="{MUTED}">'
        "seconds since the first observation</text>"
    )
    if obs:
        d = [f"M{x(obs[0].t):.1f},{y(obs[0].status):.1f}"]
        for before, after in pairwise(obs):
            d.append(f"H{x(after.t):.1f}")
            if after.status != before.status:
                d.append(f"V{y(after.status):.1f}")
        out.append(
            f'<path d="{" ".join(d)}" fill="none" stroke="{LINE}" stroke-width="2" stroke-linejoin="round"/>'
        )
        for move in story.illegal_moves:
            mx = x(move.after.t)
            out.append(
                f'<line class="illegal" x1="{mx:.1f}" y1="{y(move.before.status):.1f}" x2="{mx:.1f}" '
                f'y2="{y(move.after.status):.1f}" stroke="{ILLEGAL}" stroke-width="3">'
                f"<title>illegal transition {escape(move.before.status)} \u2192 {escape(move.after.status)} "
                f"at {move.after.t:.2f} s</title></line>"
            )
        out.extend(_dots(story, x, y))
    out.append("</svg>")
    return "".join(out)


def _dots(story: Story, x: Callable[[float], float], y: Callable[[str], float]) -> list[str]:
    obs = story.job.observations
    illegal_at = {i for i in range(1, len(obs)) if not is_legal(obs[i - 1].status, obs[i].status)}
    keep = set(range(len(obs)))
    if len(obs) > MAX_DOTS:
        keep = {0, len(obs) - 1} | {i for i in range(1, len(obs)) if obs[i].status != obs[i - 1].status}
    out = []
    for i in sorted(keep):
        o = obs[i]
        cx, cy = x(o.t), y(o.status)
        label = f"{o.t:.2f} s: {escape(o.status)}"
        if i < len(obs) - 1:
            colour = ILLEGAL if i in illegal_at else LINE
            out.append(
                f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3" fill="{colour}"><title>{label}</title></circle>'
            )
        elif o.status in TERMINAL:
            colour = ILLEGAL if i in illegal_at else FINAL[o.status]
            out.append(
                f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="5" fill="{colour}" stroke="#fff" '
                f'stroke-width="1.5"><title>{label} (last observation)</title></circle>'
            )
        else:
            out.append(
                f'<circle class="stuck" cx="{cx:.1f}" cy="{cy:.1f}" r="5" fill="#fff" stroke="{STUCK}" '
                f'stroke-width="2.5"><title>{label} (last observation, not terminal)</title></circle>'
            )
    return out
