"""Bar charts as SVG drawn on the server: no JavaScript, no CDN, nothing a CSP has to allow.

bar_chart() does the geometry; workspace/chart.html writes the markup, with the numbers in a
table beside it for screen readers and for anyone who wants them exactly.
"""

import math
from dataclasses import dataclass

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 24, 10, 30  # room for the axis labels
LABEL_EVERY = 7  # one x label a week for a daily series


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    text: str


@dataclass(frozen=True)
class Tick:
    x: float
    y: float
    text: str


@dataclass(frozen=True)
class BarChart:
    title: str
    bars: list[Bar]
    y_ticks: list[Tick]
    x_labels: list[Tick]
    rows: list[tuple[str, str]]  # (label, value) for the table
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    baseline: int = HEIGHT - BOTTOM


def bar_chart(title, points, *, unit="", top=None) -> BarChart:
    """`points`: (label, value or None for no data). The y axis runs from 0 to `top`, or to a round
    number above the largest value."""
    values = [value for _, value in points if value is not None]
    top = top or _round_up(max(values, default=0))
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_width / max(len(points), 1)
    bars, rows, x_labels = [], [], []
    for index, (label, value) in enumerate(points):
        text = "no data" if value is None else f"{_number(value)}{unit}"
        rows.append((label, text))
        x = LEFT + index * slot
        if index % LABEL_EVERY == (len(points) - 1) % LABEL_EVERY:  # the last point is always labelled
            x_labels.append(Tick(x + slot / 2, HEIGHT - BOTTOM + 18, label))
        if value is not None:
            height = plot_height * min(value, top) / top
            bars.append(Bar(x + slot * 0.1, TOP + plot_height - height, slot * 0.8, height, label, text))
    y_ticks = [
        Tick(LEFT - 6, TOP + plot_height * (1 - share), f"{_number(top * share)}{unit}") for share in (0, 0.5, 1)
    ]
    return BarChart(title, bars, y_ticks, x_labels, rows)


def _round_up(value):
    """2, 4, 10, 20, 40, 100, ...: the smallest at or above `value`. The middle tick of a count stays a
    whole number, and an empty chart still has an axis."""
    if value <= 2:
        return 2
    magnitude = 10 ** math.floor(math.log10(value))
    return next(step * magnitude for step in (1, 2, 4, 10) if step * magnitude >= value)


def _number(value):
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
