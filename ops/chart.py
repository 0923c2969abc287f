"""
The dashboard's chart as server-rendered SVG: secrets created per day (text
and file, stacked bars) and views served (a line), for the rows of the report.

This module computes the geometry; ``ops/templates/ops/chart.svg`` draws it.
No script and no inline style (the site's CSP forbids both): colours are SVG
presentation attributes, which ops/dashboard.css may override by class.
"""

from __future__ import annotations

import math

from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from ops.report import FEW, FEWER_THAN_FEW
from sharing.stores.base import COUNTERS

WIDTH, HEIGHT = 760, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 34, 26
COLOURS = {"text": "#79aec8", "file": "#417690", "views": "#d97706", "grid": "#cccccc", "axis": "#666666"}
LEGEND_STEP = 120  # horizontal space per legend entry
DAY_LABEL_EVERY = 5


def num(value: float) -> str:
    """A coordinate, to a tenth of a pixel."""
    return f"{value:.1f}"


def nice_ceiling(peak: int) -> tuple[int, int]:
    """The axis top and step: at most 4 steps of 1, 2 or 5 times a power of ten."""
    peak = max(peak, 1)
    magnitude = 10 ** max(0, math.floor(math.log10(peak / 4)))
    for factor in (1, 2, 5, 10):
        step = factor * magnitude
        if step * 4 >= peak:
            return step * math.ceil(peak / step), step
    raise AssertionError("unreachable")


def drawn(value: int | str) -> float:
    """A count as a height: one shown as "fewer than 5" stands halfway to 5, whatever it is."""
    return FEW / 2 if value == FEWER_THAN_FEW else value


def geometry(days: list[dict]) -> dict:
    """Everything the template places, in SVG user units."""
    days = [
        {**d, **{name: drawn(d[name]) for name in ("created_text", "created_file", "views")}, "shown": d}
        for d in days
    ]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    bottom = TOP + plot_h
    peak = max([d["created_text"] + d["created_file"] for d in days] + [d["views"] for d in days], default=0)
    top_value, step = nice_ceiling(math.ceil(peak))
    slot = plot_w / max(len(days), 1)
    bar_w = slot * 0.6

    def y(value: float) -> str:
        return num(bottom - value * plot_h / top_value)

    def height(value: float) -> str:
        return num(value * plot_h / top_value)

    def centre(i: int) -> float:
        return LEFT + slot * (i + 0.5)

    bars = [
        {
            "day": d,
            "x": num(centre(i) - bar_w / 2),
            "text_y": y(d["created_text"]),
            "text_h": height(d["created_text"]),
            "file_y": y(d["created_text"] + d["created_file"]),
            "file_h": height(d["created_file"]),
        }
        for i, d in enumerate(days)
    ]
    # Every fifth day is labelled, ending with today.
    last = len(days) - 1
    day_labels = [
        {"x": num(centre(i)), "text": d["day"].strftime("%b %d")}
        for i, d in enumerate(days)
        if i % DAY_LABEL_EVERY == last % DAY_LABEL_EVERY
    ]
    views = [(num(centre(i)), y(d["views"])) for i, d in enumerate(days)]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "colours": COLOURS,
        "day_count": len(days),
        "grid": [{"y": y(value), "value": value} for value in range(0, top_value + 1, step)],
        "grid_x1": LEFT,
        "grid_x2": WIDTH - RIGHT,
        "axis_x": LEFT - 6,
        "bar_w": num(bar_w),
        "bars": bars,
        "day_labels": day_labels,
        "day_label_y": bottom + 16,
        "views_points": " ".join(f"{x},{y}" for x, y in views),
        "views_dots": views,
        "legend": {"text_x": LEFT, "file_x": LEFT + LEGEND_STEP, "views_x": LEFT + 2 * LEGEND_STEP},
        "labels": COUNTERS,
    }


def usage_chart(days: list[dict]) -> SafeString:
    # render_to_string escapes every value it places; the result is whole markup.
    return mark_safe(render_to_string("ops/chart.svg", geometry(days)))  # noqa: S308
