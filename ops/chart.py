"""
The dashboard's chart as server-rendered SVG: secrets created per day (text
and file, stacked bars) and views served (a line), for the rows of the report.

No script and no inline style (the site's CSP forbids both): colours are SVG
presentation attributes, which ops/dashboard.css may override by class.
"""

from __future__ import annotations

import math

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 760, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 34, 26
TEXT_COLOUR, FILE_COLOUR, VIEWS_COLOUR = "#79aec8", "#417690", "#d97706"


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


def usage_chart(days: list[dict]) -> SafeString:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    bottom = TOP + plot_h
    top_value, step = nice_ceiling(
        max([d["created_text"] + d["created_file"] for d in days] + [d["views"] for d in days], default=0)
    )
    slot = plot_w / max(len(days), 1)

    def y(value: float) -> str:
        return num(bottom - value * plot_h / top_value)

    def x_centre(i: int) -> float:
        return LEFT + slot * (i + 0.5)

    parts = [
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" class="ops-chart" viewBox="0 0 {} {}" width="{}" '
            'height="{}" role="img" aria-labelledby="ops-chart-title">'
            '<title id="ops-chart-title">Secrets created and views served per day, last {} days</title>',
            WIDTH,
            HEIGHT,
            WIDTH,
            HEIGHT,
            len(days),
        )
    ]
    for value in range(0, top_value + 1, step):
        parts.append(
            format_html(
                '<line class="grid" x1="{}" x2="{}" y1="{}" y2="{}" stroke="#cccccc" stroke-width="1"/>'
                '<text class="axis" x="{}" y="{}" text-anchor="end" dominant-baseline="middle" '
                'font-size="11" fill="#666666">{}</text>',
                LEFT,
                WIDTH - RIGHT,
                y(value),
                y(value),
                LEFT - 6,
                y(value),
                value,
            )
        )
    bar_w = slot * 0.6
    for i, d in enumerate(days):
        x = x_centre(i) - bar_w / 2
        text_top, file_top = d["created_text"], d["created_text"] + d["created_file"]
        parts.append(
            format_html(
                "<g><title>{}: {} texts and {} files created, {} views</title>"
                '<rect class="bar-text" x="{}" y="{}" width="{}" height="{}" fill="{}"/>'
                '<rect class="bar-file" x="{}" y="{}" width="{}" height="{}" fill="{}"/></g>',
                d["day"].isoformat(),
                d["created_text"],
                d["created_file"],
                d["views"],
                num(x),
                y(text_top),
                num(bar_w),
                num(d["created_text"] * plot_h / top_value),
                TEXT_COLOUR,
                num(x),
                y(file_top),
                num(bar_w),
                num(d["created_file"] * plot_h / top_value),
                FILE_COLOUR,
            )
        )
        if i % 5 == (len(days) - 1) % 5:  # label every fifth day, ending with today
            parts.append(
                format_html(
                    '<text class="axis" x="{}" y="{}" text-anchor="middle" font-size="11" '
                    'fill="#666666">{}</text>',
                    num(x_centre(i)),
                    bottom + 16,
                    d["day"].strftime("%b %d"),
                )
            )
    points = " ".join(f"{num(x_centre(i))},{y(d['views'])}" for i, d in enumerate(days))
    parts.append(
        format_html(
            '<polyline class="views" points="{}" fill="none" stroke="{}" stroke-width="2"/>',
            points,
            VIEWS_COLOUR,
        )
    )
    parts.append(
        format_html_join(
            "",
            '<circle class="views-dot" cx="{}" cy="{}" r="2.5" fill="{}"/>',
            ((num(x_centre(i)), y(d["views"]), VIEWS_COLOUR) for i, d in enumerate(days)),
        )
    )
    parts.append(legend())
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))  # noqa: S308 - every part above is escaped by format_html


def legend() -> SafeString:
    items = [("bar-text", "Texts created", TEXT_COLOUR), ("bar-file", "Files created", FILE_COLOUR)]
    parts = []
    x = LEFT
    for css_class, label, colour in items:
        parts.append(
            format_html(
                '<rect class="{}" x="{}" y="8" width="12" height="12" fill="{}"/>'
                '<text class="legend" x="{}" y="18" font-size="12" fill="#333333">{}</text>',
                css_class,
                x,
                colour,
                x + 17,
                label,
            )
        )
        x += 120
    parts.append(
        format_html(
            '<line class="views" x1="{}" x2="{}" y1="14" y2="14" stroke="{}" stroke-width="2"/>'
            '<text class="legend" x="{}" y="18" font-size="12" fill="#333333">Views served</text>',
            x,
            x + 14,
            VIEWS_COLOUR,
            x + 19,
        )
    )
    return mark_safe("".join(parts))  # noqa: S308 - every part is escaped by format_html
