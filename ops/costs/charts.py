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
VALUE_WIDTH = 170
ROW_HEIGHT = 22
BAR_HEIGHT = 14


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal
    series: str = "net"  # CSS class: net, estimate, inferred, provisional, credit, unattributed
    note: str = ""


def _fmt(value: Decimal, currency: str) -> str:
    return f"{money_display(value, currency)} {currency}"


def _clip(text: str, limit: int = 34) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def hbar_chart(title: str, bars: list[Bar], currency: str, *, legend: dict[str, str] | None = None) -> str:
    """Horizontal bars, one per row (several bars with the same label are drawn as a group)."""
    if not bars:
        return f'<p class="empty">{escape(title)}: nothing to chart.</p>'
    top = 28 + (18 if legend else 0)
    height = top + ROW_HEIGHT * len(bars) + 10
    scale_max = max((abs(b.value) for b in bars), default=Decimal(0)) or Decimal(1)
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg" aria-label="{escape(title)}">',
        f'<text class="chart-title" x="0" y="16">{escape(title)}</text>',
    ]
    if legend:
        x = 0
        for series, name in legend.items():
            parts.append(f'<rect class="bar {series}" x="{x}" y="26" width="12" height="10"/>')
            parts.append(f'<text class="legend" x="{x + 16}" y="35">{escape(name)}</text>')
            x += 24 + 7 * len(name)
    previous = None
    for i, bar in enumerate(bars):
        y = top + i * ROW_HEIGHT
        width = float(abs(bar.value) / scale_max) * span
        label = "" if bar.label == previous else _clip(bar.label)
        previous = bar.label
        hover = f"{bar.label}: {_fmt(bar.value, currency)}{' (' + bar.note + ')' if bar.note else ''}"
        parts.append(
            f'<text class="label" x="{LABEL_WIDTH - 8}" y="{y + BAR_HEIGHT - 3}" text-anchor="end">'
            f"{escape(label)}</text>"
        )
        parts.append(
            f'<rect class="bar {bar.series}" x="{LABEL_WIDTH}" y="{y}" width="{width:.1f}" '
            f'height="{BAR_HEIGHT}"><title>{escape(hover)}</title></rect>'
        )
        parts.append(
            f'<text class="value" x="{LABEL_WIDTH + width + 6:.1f}" y="{y + BAR_HEIGHT - 3}">'
            f"{escape(_fmt(bar.value, currency))}{escape(' ' + bar.note if bar.note else '')}</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts)


def vbar_chart(title: str, bars: list[Bar], currency: str) -> str:
    """Vertical bars in order (months), each labelled under its column with its value on top."""
    if not bars:
        return f'<p class="empty">{escape(title)}: nothing to chart.</p>'
    height, top, bottom = 260, 40, 40
    span = height - top - bottom
    scale_max = max((abs(b.value) for b in bars), default=Decimal(0)) or Decimal(1)
    slot = (WIDTH - 40) / len(bars)
    width = min(70.0, slot * 0.6)
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg" aria-label="{escape(title)}">',
        f'<text class="chart-title" x="0" y="16">{escape(title)}</text>',
        f'<line class="axis" x1="20" y1="{height - bottom}" x2="{WIDTH - 20}" y2="{height - bottom}"/>',
    ]
    for i, bar in enumerate(bars):
        h = float(abs(bar.value) / scale_max) * span
        x = 20 + i * slot + (slot - width) / 2
        y = height - bottom - h
        parts.append(
            f'<rect class="bar {bar.series}" x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{h:.1f}">'
            f"<title>{escape(bar.label)}: {escape(_fmt(bar.value, currency))}</title></rect>"
        )
        parts.append(
            f'<text class="value" x="{x + width / 2:.1f}" y="{y - 5:.1f}" text-anchor="middle">'
            f"{escape(_fmt(bar.value, currency))}</text>"
        )
        parts.append(
            f'<text class="label" x="{x + width / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle">'
            f"{escape(bar.label)}{escape(' ' + bar.note if bar.note else '')}</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts)


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
    forecast from the last total to the window's end, when given."""
    if not days or not lines:
        return f'<p class="empty">{escape(title)}: nothing to chart.</p>'
    height, top, bottom, left, right = 320, 44, 40, 70, 200
    span_x, span_y = WIDTH - left - right, height - top - bottom
    peak = max([v for line in lines for v in line.values] + [budget or Decimal(0), forecast or Decimal(0)])
    scale = peak or Decimal(1)

    def x(i: float) -> float:
        return left + (span_x * i / max(len(days) - 1, 1))

    def y(value: Decimal) -> float:
        return top + span_y - float(value / scale) * span_y

    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg" aria-label="{escape(title)}">',
        f'<text class="chart-title" x="0" y="16">{escape(title)}</text>',
        f'<line class="axis" x1="{left}" y1="{top + span_y}" x2="{left + span_x}" y2="{top + span_y}"/>',
        f'<text class="label" x="{left - 6}" y="{top + 4}" text-anchor="end">'
        f"{escape(money_display(scale, currency))}</text>",
        f'<text class="label" x="{left - 6}" y="{top + span_y}" text-anchor="end">0</text>',
        f'<text class="label" x="{left}" y="{height - bottom + 16}">{escape(days[0])}</text>',
        f'<text class="label" x="{left + span_x}" y="{height - bottom + 16}" text-anchor="end">'
        f"{escape(days[-1])}</text>",
    ]
    if budget is not None:
        parts.append(
            f'<line class="budget" x1="{left}" y1="{y(budget):.1f}" x2="{left + span_x}" '
            f'y2="{y(budget):.1f}">'
            f"<title>budget: {escape(_fmt(budget, currency))}</title></line>"
        )
        parts.append(
            f'<text class="legend budget-label" x="{left + span_x + 6}" y="{y(budget) + 4:.1f}">'
            f"budget {escape(_fmt(budget, currency))}</text>"
        )
    total = next((line for line in lines if line.series == "total"), None)
    if forecast is not None and total is not None:
        last = max((i for i, v in enumerate(total.values) if v), default=len(days) - 1)
        parts.append(
            f'<line class="forecast" x1="{x(last):.1f}" y1="{y(total.values[last]):.1f}" '
            f'x2="{x(len(days) - 1):.1f}" y2="{y(forecast):.1f}">'
            f"<title>forecast: {escape(_fmt(forecast, currency))}</title></line>"
        )
        parts.append(
            f'<text class="legend" x="{left + span_x + 6}" y="{y(forecast) + 16:.1f}">'
            f"forecast {escape(_fmt(forecast, currency))}</text>"
        )
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
        parts.append(
            f'<text class="legend {line.series}" x="{left + span_x + 6}" y="{y(line.values[-1]) + 4:.1f}">'
            f"{escape(marker + _clip(line.label, 24))}</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts)
