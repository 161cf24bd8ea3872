"""A table's chart as SVG, drawn on the server from the same series ECharts draws in the
browser (tables.Table.chart_spec): bars (grouped, or stacked), lines on a second axis, and
marked values. For the printed monthly report (WeasyPrint renders SVG; no script runs
there). Colours and sizes are presentation attributes, never a style attribute."""

import math

from markupsafe import Markup, escape

PALETTE = ("#0d6efd", "#20c997", "#fd7e14", "#6f42c1", "#d63384", "#198754", "#6c757d")
FONT = "WenQuanYi Micro Hei, Noto Sans CJK SC, sans-serif"
WIDTH = 680
HEIGHT = 250
LEFT, RIGHT, TOP, BOTTOM = 56, 56, 34, 34
MARK_COLOUR = "#dc3545"


def nice_ceiling(value: float) -> float:
    """The axis's top: the value rounded up to 1, 2, 2.5 or 5 times a power of ten."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _number(value: float) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".") if value % 1 else f"{value:,.0f}"


def _text(x, y, text, anchor="middle", size=11, colour="#333", extra="") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" '
        f'fill="{colour}"{extra}>{escape(text)}</text>'
    )


def _axis_top(spec: dict, axis: int) -> float:
    """The largest value drawn on `axis`: stacked bars add up."""
    top = 0.0
    for mark in spec["marks"]:
        if axis == len(spec["axes"]) - 1:
            top = max(top, mark["value"])
    stacks: dict = {}
    for series in spec["series"]:
        if series["axis"] != axis:
            continue
        for i, value in enumerate(series["data"]):
            if value is None:
                continue
            if series["type"] == "bar" and series["stack"]:
                key = (series["stack"], i)
                stacks[key] = stacks.get(key, 0) + value
                top = max(top, stacks[key])
            else:
                top = max(top, value)
    return nice_ceiling(top)


def _legend(spec: dict) -> list[str]:
    parts, x = [], LEFT
    if len(spec["series"]) < 2:
        return parts
    for i, series in enumerate(spec["series"]):
        colour = PALETTE[i % len(PALETTE)]
        if series["type"] == "line":
            parts.append(
                f'<line x1="{x}" y1="12" x2="{x + 14}" y2="12" stroke="{colour}" stroke-width="2"/>'
            )
        else:
            parts.append(f'<rect x="{x}" y="7" width="12" height="10" fill="{colour}"/>')
        parts.append(_text(x + 18, 16, series["name"], "start", 10))
        x += 26 + 11 * len(series["name"])
    return parts


def _columns(spec: dict) -> tuple:
    """Vertical bars per category (grouped by stack), lines over the category centres."""
    categories = spec["categories"]
    axes = spec["axes"]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    tops = [_axis_top(spec, axis) for axis in range(len(axes))]
    n = max(len(categories), 1)
    band = plot_w / n

    def y(value, axis):
        return TOP + plot_h - (value / tops[axis]) * plot_h

    parts = _legend(spec)
    # grid and the axes' values
    for k in range(5):
        value = tops[0] * k / 4
        gy = y(value, 0)
        parts.append(
            f'<line x1="{LEFT}" y1="{gy:.1f}" x2="{WIDTH - RIGHT}" y2="{gy:.1f}" '
            f'stroke="#e5e5e5" stroke-width="1"/>'
        )
        parts.append(_text(LEFT - 6, gy + 4, _number(value), "end", 9, "#666"))
        if len(axes) > 1:
            right = tops[1] * k / 4
            parts.append(_text(WIDTH - RIGHT + 6, gy + 4, _number(right), "start", 9, "#666"))
    parts.append(_text(LEFT - 6, TOP - 8, axes[0], "end", 9, "#666"))
    if len(axes) > 1:
        parts.append(_text(WIDTH - RIGHT + 6, TOP - 8, axes[1], "start", 9, "#666"))
    # bars: one slot per stack (or unstacked series) in each category's band
    bars = [s for s in spec["series"] if s["type"] == "bar"]
    slots = []
    for s in bars:
        slot = s["stack"] or id(s)
        if slot not in slots:
            slots.append(slot)
    width = min(band * 0.8 / max(len(slots), 1), 28)
    base: dict = {}
    for index, series in enumerate(spec["series"]):
        colour = PALETTE[index % len(PALETTE)]
        axis = series["axis"]
        if series["type"] == "bar":
            slot = slots.index(series["stack"] or id(series))
            for i, value in enumerate(series["data"]):
                if not value:
                    continue
                below = base.get((slot, i), 0)
                x = LEFT + band * i + (band - width * len(slots)) / 2 + width * slot
                top_y, bottom_y = y(below + value, axis), y(below, axis)
                base[(slot, i)] = below + value
                parts.append(
                    f'<rect x="{x:.1f}" y="{top_y:.1f}" width="{width:.1f}" '
                    f'height="{max(bottom_y - top_y, 0.5):.1f}" fill="{colour}"/>'
                )
        else:
            points = [
                (LEFT + band * (i + 0.5), y(value, axis))
                for i, value in enumerate(series["data"])
                if value is not None
            ]
            if len(points) > 1:
                path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
                parts.append(
                    f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>'
                )
            for px, py in points:
                parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="2.5" fill="{colour}"/>')
    for mark in spec["marks"]:
        my = y(mark["value"], len(axes) - 1)
        parts.append(
            f'<line x1="{LEFT}" y1="{my:.1f}" x2="{WIDTH - RIGHT}" y2="{my:.1f}" '
            f'stroke="{MARK_COLOUR}" stroke-width="1" stroke-dasharray="4 3"/>'
        )
        parts.append(_text(WIDTH - RIGHT - 2, my - 3, mark["label"], "end", 9, MARK_COLOUR))
    # the category axis: every label, or every k-th when they would overlap
    every = max(1, math.ceil(n / 12))
    parts.append(
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" '
        f'stroke="#999" stroke-width="1"/>'
    )
    for i, label in enumerate(categories):
        if i % every == 0:
            parts.append(_text(LEFT + band * (i + 0.5), TOP + plot_h + 16, label, size=9))
    return HEIGHT, parts


def _rows(spec: dict) -> tuple:
    """Horizontal bars, one row per category, the value at each bar's end."""
    categories = spec["categories"]
    row_h = 22
    height = TOP + row_h * max(len(categories), 1) + BOTTOM
    label_w = 200
    plot_w = WIDTH - label_w - RIGHT
    top = _axis_top(spec, 0)
    parts = _legend(spec)

    def x(value):
        return label_w + (value / top) * plot_w

    for k in range(5):
        value = top * k / 4
        gx = x(value)
        parts.append(
            f'<line x1="{gx:.1f}" y1="{TOP}" x2="{gx:.1f}" y2="{height - BOTTOM}" '
            f'stroke="#e5e5e5" stroke-width="1"/>'
        )
        parts.append(_text(gx, height - BOTTOM + 14, _number(value), size=9, colour="#666"))
    for i, label in enumerate(categories):
        cy = TOP + row_h * i + row_h / 2
        short = label if len(label) <= 16 else label[:15] + "…"
        parts.append(_text(label_w - 6, cy + 4, short, "end", 10))
        for index, series in enumerate(spec["series"]):
            value = series["data"][i]
            if value is None:
                continue
            colour = PALETTE[index % len(PALETTE)]
            parts.append(
                f'<rect x="{label_w}" y="{cy - 7:.1f}" width="{max(x(value) - label_w, 0.5):.1f}" '
                f'height="14" fill="{colour}"/>'
            )
            parts.append(_text(x(value) + 4, cy + 4, _number(value), "start", 9, "#333"))
    for mark in spec["marks"]:
        mx = x(mark["value"])
        parts.append(
            f'<line x1="{mx:.1f}" y1="{TOP}" x2="{mx:.1f}" y2="{height - BOTTOM}" '
            f'stroke="{MARK_COLOUR}" stroke-width="1" stroke-dasharray="4 3"/>'
        )
        parts.append(_text(mx + 2, TOP - 4, mark["label"], "start", 9, MARK_COLOUR))
    return height, parts


def chart_svg(spec: dict | None) -> Markup | None:
    """The chart of a table's spec as an inline SVG element (None: the table has none)."""
    if not spec or not spec["categories"]:
        return None
    height, parts = _rows(spec) if spec["type"] == "hbar" else _columns(spec)
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" font-family="{FONT}" role="img" '
        f'aria-label="{escape(spec["title"])}">' + "".join(parts) + "</svg>"
    )
