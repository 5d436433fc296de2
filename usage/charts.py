"""Charts drawn on the server as SVG: no script, no style attribute, so the strict CSP holds and
the same picture goes into a PDF. Colours are SVG presentation attributes; every chart has a
title and a description for screen readers, and its numbers are also in a table on the page.
"""

from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT, MARGIN = 640, 240, 40
BAR = "#1f5fbf"
AXIS = "#5b6475"


@dataclass(frozen=True)
class Point:
    label: str
    value: int


def _frame(title: str, description: str, body: str, height: int = HEIGHT) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}" class="chart">'
        f"<title>{escape(title)}</title><desc>{escape(description)}</desc>{body}</svg>"
    )


def _number(value: int) -> str:
    for size, suffix in ((10**9, "G"), (10**6, "M"), (10**3, "k")):
        if value >= size:
            return f"{value / size:.1f}{suffix}"
    return str(value)


def columns(title: str, points: list[Point]) -> str:
    """A column chart over time (or any ordered labels)."""
    if not points:
        return _frame(title, "No data.", _empty())
    top = max(point.value for point in points) or 1
    slot = (WIDTH - 2 * MARGIN) / len(points)
    bars = []
    for index, point in enumerate(points):
        height = (HEIGHT - 2 * MARGIN) * point.value / top
        x, y = MARGIN + index * slot, HEIGHT - MARGIN - height
        bars.append(
            f'<rect x="{x + slot * 0.1:.1f}" y="{y:.1f}" width="{slot * 0.8:.1f}" '
            f'height="{height:.1f}" fill="{BAR}"><title>{escape(point.label)}: '
            f"{point.value:,}</title></rect>"
        )
        if len(points) <= 16 or index % max(1, len(points) // 8) == 0:
            bars.append(_text(x + slot / 2, HEIGHT - MARGIN + 16, point.label, "middle"))
    axis = (
        f'<line x1="{MARGIN}" y1="{HEIGHT - MARGIN}" x2="{WIDTH - MARGIN}" '
        f'y2="{HEIGHT - MARGIN}" stroke="{AXIS}"/>' + _text(MARGIN - 4, MARGIN, _number(top), "end")
    )
    described = "; ".join(f"{p.label}: {p.value:,}" for p in points[:40])
    return _frame(title, described, axis + "".join(bars))


def bars(title: str, points: list[Point]) -> str:
    """A horizontal bar chart, largest first (top assets, exceptions by code)."""
    if not points:
        return _frame(title, "No data.", _empty())
    row, label_width = 26, 200
    height = MARGIN + row * len(points)
    top = max(point.value for point in points) or 1
    parts = []
    for index, point in enumerate(points):
        y = MARGIN / 2 + index * row
        width = (WIDTH - label_width - MARGIN - 60) * point.value / top
        parts.append(_text(label_width - 8, y + 16, point.label[:32], "end"))
        parts.append(
            f'<rect x="{label_width}" y="{y + 4:.1f}" width="{width:.1f}" height="{row - 8}" '
            f'fill="{BAR}"/>'
        )
        parts.append(_text(label_width + width + 6, y + 16, f"{point.value:,}", "start"))
    described = "; ".join(f"{p.label}: {p.value:,}" for p in points)
    return _frame(title, described, "".join(parts), height)


def _text(x: float, y: float, text: str, anchor: str) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="12" '
        f'fill="{AXIS}">{escape(text)}</text>'
    )


def _empty() -> str:
    return _text(WIDTH / 2, HEIGHT / 2, "No data for these filters", "middle")
