"""Charts drawn on the server as SVG: no script, no style attribute, so the strict CSP holds and
the same picture goes into a PDF. Colours are SVG presentation attributes; every chart shows its
title and both axes with their units, carries a title and a description for screen readers, and
its numbers are also in a table on the page (usage/templates/usage/chart.html).
"""

from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT, MARGIN = 640, 280, 48
TOP, BOTTOM = 52, 56  # room for the title and value axis above, the labels and axis name below
BAR = "#1f5fbf"
AXIS = "#5b6475"
INK = "#1d2433"


@dataclass(frozen=True)
class Point:
    label: str
    value: int


@dataclass(frozen=True)
class Axes:
    category: str  # what the labels are, with their unit: "Day (UTC)", "Asset"
    value: str  # what the bars measure, with its unit: "Documents (count)"


@dataclass(frozen=True)
class Chart:
    """A chart and the numbers behind it, for the page's table alternative."""

    title: str
    axes: Axes
    points: list[Point]
    svg: str


def _frame(title: str, axes: Axes, description: str, body: str, height: int) -> str:
    heading = (
        f'<text x="0" y="20" font-size="18" font-weight="bold" fill="{INK}">{escape(title)}</text>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}" class="chart">'
        f"<title>{escape(title)}</title>"
        f"<desc>{escape(axes.value)} by {escape(axes.category)}: {escape(description)}</desc>"
        f"{heading}{body}</svg>"
    )


def _number(value: int) -> str:
    for size, suffix in ((10**9, "G"), (10**6, "M"), (10**3, "k")):
        if value >= size:
            return f"{value / size:.1f}{suffix}"
    return str(value)


def columns(title: str, points: list[Point], axes: Axes) -> str:
    """A column chart over time (or any ordered labels), its value axis on the left."""
    if not points:
        return _frame(title, axes, "No data.", _empty(HEIGHT), HEIGHT)
    top = max(point.value for point in points) or 1
    floor, plot = HEIGHT - BOTTOM, HEIGHT - BOTTOM - TOP
    slot = (WIDTH - 2 * MARGIN) / len(points)
    bars = []
    for index, point in enumerate(points):
        height = plot * point.value / top
        x, y = MARGIN + index * slot, floor - height
        bars.append(
            f'<rect x="{x + slot * 0.1:.1f}" y="{y:.1f}" width="{slot * 0.8:.1f}" '
            f'height="{height:.1f}" fill="{BAR}"><title>{escape(point.label)}: '
            f"{point.value:,}</title></rect>"
        )
        if len(points) <= 16 or index % max(1, len(points) // 8) == 0:
            bars.append(_text(x + slot / 2, floor + 16, point.label, "middle"))
    axis = (
        f'<line x1="{MARGIN}" y1="{floor}" x2="{WIDTH - MARGIN}" y2="{floor}" stroke="{AXIS}"/>'
        f'<line x1="{MARGIN}" y1="{TOP}" x2="{MARGIN}" y2="{floor}" stroke="{AXIS}"/>'
        + _text(MARGIN - 4, TOP + 4, _number(top), "end")
        + _text(MARGIN - 4, floor + 4, "0", "end")
        + _text(0, TOP - 12, axes.value, "start")
        + _text(WIDTH / 2, HEIGHT - 8, axes.category, "middle")
    )
    described = "; ".join(f"{p.label}: {p.value:,}" for p in points[:40])
    return _frame(title, axes, described, axis + "".join(bars), HEIGHT)


def bars(title: str, points: list[Point], axes: Axes) -> str:
    """A horizontal bar chart, largest first (top assets, exceptions by code)."""
    if not points:
        return _frame(title, axes, "No data.", _empty(HEIGHT), HEIGHT)
    row, label_width = 26, 200
    height = TOP + row * len(points) + 30
    top = max(point.value for point in points) or 1
    parts = [
        _text(label_width - 8, TOP - 12, axes.category, "end"),
        _text(label_width, TOP - 12, axes.value, "start"),
    ]
    for index, point in enumerate(points):
        y = TOP + index * row
        width = (WIDTH - label_width - MARGIN - 60) * point.value / top
        parts.append(_text(label_width - 8, y + 16, point.label[:32], "end"))
        parts.append(
            f'<rect x="{label_width}" y="{y + 4:.1f}" width="{width:.1f}" height="{row - 8}" '
            f'fill="{BAR}"/>'
        )
        parts.append(_text(label_width + width + 6, y + 16, f"{point.value:,}", "start"))
    bottom = TOP + row * len(points)
    parts.append(
        f'<line x1="{label_width}" y1="{TOP}" x2="{label_width}" y2="{bottom}" stroke="{AXIS}"/>'
    )
    described = "; ".join(f"{p.label}: {p.value:,}" for p in points)
    return _frame(title, axes, described, "".join(parts), height)


def column_chart(title: str, points: list[Point], axes: Axes) -> Chart:
    return Chart(title, axes, points, columns(title, points, axes))


def bar_chart(title: str, points: list[Point], axes: Axes) -> Chart:
    return Chart(title, axes, points, bars(title, points, axes))


def _text(x: float, y: float, text: str, anchor: str) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="13" '
        f'fill="{AXIS}">{escape(text)}</text>'
    )


def _empty(height: int) -> str:
    return _text(WIDTH / 2, height / 2, "No data for these filters", "middle")
