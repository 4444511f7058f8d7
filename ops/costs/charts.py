"""Inline SVG bar charts for the HTML report: no JavaScript, no CDN, so the file opens offline forever.

Each chart is a plain `<svg>` with a `<title>` per bar (hover text) and the numbers printed beside the
bars; the report puts the table the chart was drawn from right under it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from html import escape

from ops.costs.model import money_display

WIDTH = 760
LABEL_WIDTH = 230
ROW_HEIGHT = 22
BAR_HEIGHT = 14
# Text is laid out without a browser, so its width is estimated on the safe side: 0.6 em per
# character is wider than the average glyph of the system sans-serif fonts the report asks for
# (digits are 0.55 em in Helvetica and Arial), so laid-out text never runs into its neighbour.
FONT_PX = 12  # .label, .value, .legend (the report's CSS)
TITLE_PX = 14  # .chart-title
LINE_PX = 14  # baseline to baseline within a wrapped label
EM = 0.6


def text_width(text: str, px: int = FONT_PX) -> float:
    return len(text) * px * EM


def wrap_label(text: str, width_px: float, px: int = FONT_PX) -> list[str]:
    """`text` in lines no wider than `width_px`, broken after a space, hyphen, colon or slash, so
    a long run id or SKU name wraps whole instead of being cut; a part with no break in it wider
    than the width is split where it must (every character is kept)."""
    limit = max(int(width_px // (px * EM)), 4)
    pieces: list[str] = []
    word = ""
    for char in text:
        word += char
        if char in " -:/_":
            pieces.append(word)
            word = ""
    if word:
        pieces.append(word)
    lines: list[str] = []
    line = ""
    for piece in pieces:
        while len(piece) > limit:  # no break inside: split it
            if line:
                lines.append(line.rstrip())
                line = ""
            lines.append(piece[:limit])
            piece = piece[limit:]
        if len(line) + len(piece.rstrip()) > limit and line:
            lines.append(line.rstrip())
            line = ""
        line += piece
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return lines


def _text(css: str, x: float, y: float, lines: list[str], anchor: str = "start", extra: str = "") -> str:
    """One <text>, a <tspan> per line after the first (LINE_PX apart)."""
    anchor_attr = f' text-anchor="{anchor}"' if anchor != "start" else ""
    body = escape(lines[0]) + "".join(
        f'<tspan x="{x:.1f}" dy="{LINE_PX}">{escape(line)}</tspan>' for line in lines[1:]
    )
    return f'<text class="{css}" x="{x:.1f}" y="{y:.1f}"{anchor_attr}>{body}{extra}</text>'


def _title(title: str) -> tuple[str, float]:
    """The chart title, wrapped to the chart's width; and the y below it."""
    lines = wrap_label(title, WIDTH, TITLE_PX)
    return _text("chart-title", 0, 16, lines), 16 + LINE_PX * (len(lines) - 1)


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal
    series: str = "net"  # CSS class: net, estimate, inferred, provisional, credit, unattributed
    note: str = ""


def _fmt(value: Decimal, currency: str) -> str:
    return f"{money_display(value, currency)} {currency}"


def _legend(legend: dict[str, str], y: float) -> tuple[list[str], float]:
    """Legend entries left to right, wrapping to a new row rather than running off the chart; the
    y below the last row."""
    parts, x = [], 0.0
    for series, name in legend.items():
        entry = 16 + text_width(name) + 12
        if x and x + entry > WIDTH:
            x, y = 0.0, y + 18
        parts.append(f'<rect class="bar {series}" x="{x:.1f}" y="{y:.1f}" width="12" height="10"/>')
        parts.append(_text("legend", x + 16, y + 9, [name]))
        x += entry
    return parts, y + 18


def hbar_chart(title: str, bars: list[Bar], currency: str, *, legend: dict[str, str] | None = None) -> str:
    """Horizontal bars, one per row (several bars with the same label are drawn as a group). Labels
    wrap inside the label column (a row grows to hold them); values are printed after their bar, the
    bars' span leaving room for the longest."""
    if not bars:
        return f'<p class="empty">{escape(title)}: nothing to chart.</p>'
    heading, below = _title(title)
    parts = [heading]
    top = below + 12
    if legend:
        entries, top = _legend(legend, below + 10)
        parts += entries
    values = [f"{_fmt(b.value, currency)}{' ' + b.note if b.note else ''}" for b in bars]
    value_room = max(text_width(v) for v in values) + 12
    span = max(WIDTH - LABEL_WIDTH - value_room, 40.0)
    scale_max = max((abs(b.value) for b in bars), default=Decimal(0)) or Decimal(1)
    y = top
    previous = None
    for bar, value in zip(bars, values, strict=True):
        lines = [] if bar.label == previous else wrap_label(bar.label, LABEL_WIDTH - 12)
        previous = bar.label
        width = float(abs(bar.value) / scale_max) * span
        hover = f"{bar.label}: {_fmt(bar.value, currency)}{' (' + bar.note + ')' if bar.note else ''}"
        if lines:
            parts.append(_text("label", LABEL_WIDTH - 8, y + BAR_HEIGHT - 3, lines, "end"))
        parts.append(
            f'<rect class="bar {bar.series}" x="{LABEL_WIDTH}" y="{y:.1f}" width="{width:.1f}" '
            f'height="{BAR_HEIGHT}"><title>{escape(hover)}</title></rect>'
        )
        parts.append(_text("value", LABEL_WIDTH + width + 6, y + BAR_HEIGHT - 3, [value]))
        y += max(ROW_HEIGHT, LINE_PX * len(lines) + 8)
    return _svg(title, y + 10, parts)


def _svg(title: str, height: float, parts: list[str]) -> str:
    return "\n".join(
        [
            f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height:.0f}" width="100%" '
            f'xmlns="http://www.w3.org/2000/svg" aria-label="{escape(title)}">',
            *parts,
            "</svg>",
        ]
    )


def vbar_chart(title: str, bars: list[Bar], currency: str) -> str:
    """Vertical bars in order (months), each labelled under its column with its value on top. When
    the columns are too narrow for their labels, only every n-th is labelled, and values that do not
    fit over their column are left to the hover text and the table under the chart."""
    if not bars:
        return f'<p class="empty">{escape(title)}: nothing to chart.</p>'
    heading, below = _title(title)
    height, bottom = 260 + below - 16, 40
    top = below + 24
    span = height - top - bottom
    scale_max = max((abs(b.value) for b in bars), default=Decimal(0)) or Decimal(1)
    slot = (WIDTH - 40) / len(bars)
    width = min(70.0, slot * 0.6)
    labels = [f"{b.label}{' ' + b.note if b.note else ''}" for b in bars]
    every = 1
    while max(text_width(label) for label in labels) + 6 > slot * every:
        every += 1
    parts = [
        heading,
        f'<line class="axis" x1="20" y1="{height - bottom}" x2="{WIDTH - 20}" y2="{height - bottom}"/>',
    ]
    for i, (bar, label) in enumerate(zip(bars, labels, strict=True)):
        h = float(abs(bar.value) / scale_max) * span
        x = 20 + i * slot + (slot - width) / 2
        y = height - bottom - h
        value = _fmt(bar.value, currency)
        parts.append(
            f'<rect class="bar {bar.series}" x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{h:.1f}">'
            f"<title>{escape(bar.label)}: {escape(value)}</title></rect>"
        )
        if text_width(value) + 4 <= slot and x + width / 2 >= text_width(value) / 2:
            parts.append(_text("value", x + width / 2, y - 5, [value], "middle"))
        if i % every == 0:  # centred under its column, but never past the chart's edges
            half = text_width(label) / 2
            centre = min(max(x + width / 2, half), WIDTH - half)
            parts.append(_text("label", centre, height - bottom + 16, [label], "middle"))
    return _svg(title, height, parts)


@dataclass(frozen=True)
class Line:
    label: str
    values: list[Decimal]  # one per day, cumulative
    series: str = "net"  # CSS class: net, total, orphan, over-threshold, unattributed
    note: str = ""


def line_chart(
    title: str,
    days: list[str],
    lines: list[Line],
    currency: str,
    *,
    budget: Decimal | None = None,
    forecast: Decimal | None = None,
) -> str:
    """Cumulative spend per day, one polyline per series; a horizontal budget line and a dashed
    forecast from the last total to the window's end, when given. The labels at the right end (one
    per line, the budget, the forecast) wrap within the right margin and are moved apart vertically
    so that none overlaps another; the chart grows to hold them."""
    if not days or not lines:
        return f'<p class="empty">{escape(title)}: nothing to chart.</p>'
    heading, below = _title(title)
    peak = max([v for line in lines for v in line.values] + [budget or Decimal(0), forecast or Decimal(0)])
    scale = peak or Decimal(1)
    scale_text = money_display(scale, currency)
    height, top, bottom, right = 320 + below - 16, below + 28, 40, 200
    left = max(70.0, text_width(scale_text) + 12)
    span_x, span_y = WIDTH - left - right, height - top - bottom

    def x(i: float) -> float:
        return left + (span_x * i / max(len(days) - 1, 1))

    def y(value: Decimal) -> float:
        return top + span_y - float(value / scale) * span_y

    parts = [
        heading,
        f'<line class="axis" x1="{left:.1f}" y1="{top + span_y:.1f}" x2="{left + span_x:.1f}" '
        f'y2="{top + span_y:.1f}"/>',
        _text("label", left - 6, top + 4, [scale_text], "end"),
        _text("label", left - 6, top + span_y, ["0"], "end"),
        _text("label", left, height - bottom + 16, [days[0]]),
    ]
    if len(days) > 1 and text_width(days[0]) + text_width(days[-1]) + 12 <= span_x:
        parts.append(_text("label", left + span_x, height - bottom + 16, [days[-1]], "end"))
    # Right-margin labels: (wanted baseline, css, lines), laid out together below.
    margin: list[tuple[float, str, list[str]]] = []
    room = right - 10
    if budget is not None:
        parts.append(
            f'<line class="budget" x1="{left:.1f}" y1="{y(budget):.1f}" x2="{left + span_x:.1f}" '
            f'y2="{y(budget):.1f}">'
            f"<title>budget: {escape(_fmt(budget, currency))}</title></line>"
        )
        margin.append(
            (y(budget) + 4, "legend budget-label", wrap_label(f"budget {_fmt(budget, currency)}", room))
        )
    total = next((line for line in lines if line.series == "total"), None)
    if forecast is not None and total is not None:
        last = max((i for i, v in enumerate(total.values) if v), default=len(days) - 1)
        parts.append(
            f'<line class="forecast" x1="{x(last):.1f}" y1="{y(total.values[last]):.1f}" '
            f'x2="{x(len(days) - 1):.1f}" y2="{y(forecast):.1f}">'
            f"<title>forecast: {escape(_fmt(forecast, currency))}</title></line>"
        )
        margin.append((y(forecast) + 16, "legend", wrap_label(f"forecast {_fmt(forecast, currency)}", room)))
    for line in lines:
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(line.values))
        hover = (
            f"{line.label}: {_fmt(line.values[-1], currency)}{' (' + line.note + ')' if line.note else ''}"
        )
        parts.append(
            f'<polyline class="line {line.series}" points="{points}">'
            f"<title>{escape(hover)}</title></polyline>"
        )
        marker = "⚑ " if line.series in {"orphan", "over-threshold"} else ""
        margin.append(
            (y(line.values[-1]) + 4, f"legend {line.series}", wrap_label(marker + line.label, room))
        )
    floor = top  # each label starts below the previous one's last line
    for wanted, css, text in sorted(margin, key=lambda m: m[0]):
        baseline = max(wanted, floor + FONT_PX)
        parts.append(_text(css, left + span_x + 6, baseline, text))
        floor = baseline + LINE_PX * (len(text) - 1) + 4
    return _svg(title, max(height, floor + 8), parts)
