"""The report's SVG charts, checked structurally (no browser): no text runs into other text or off
the chart, and no label is cut, however long the run ids and SKU names are.

Text extents are estimated as the charts lay them out (0.6 em per character: wider than the glyphs
of the system sans-serif fonts the report uses), so "no overlap" here means no overlap in a browser.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from ops.cli import run as cli
from ops.costs.charts import EM, FONT_PX, TITLE_PX, Bar, Line, hbar_chart, line_chart, vbar_chart
from ops.costs.sample_export import VERTEX, ExportRows, render_export

SVG = "{http://www.w3.org/2000/svg}"
LONG_IDS = [
    "weekly-sft-20260105t030002z",
    "nightly-rlhf-20260105t030002z-a1b2c3d4",
    "gem-flash-sft-5a6b-with-a-very-long-run-id-that-goes-on",
    "gem-flash-sft-5a6b-with-a-very-long-run-id-that-goes-on-too",
    "runidwithoutanybreakatallthatiswiderthanthelabelcolumn",
]
LONG_SKUS = [
    "Custom Training: N1 Predefined Instance Core running in EMEA",
    "Custom Training: Nvidia Tesla A100 80GB GPU running in Americas",
    "Gemini 2.5 Flash Lite Tuning training tokens for supervised fine-tuning",
]


@dataclass(frozen=True)
class Box:
    text: str
    left: float
    right: float
    top: float
    bottom: float

    def overlaps(self, other: Box) -> bool:
        return (
            self.left < other.right
            and other.left < self.right
            and self.top < other.bottom
            and other.top < self.bottom
        )


def text_boxes(svg: str) -> tuple[list[Box], float, float]:
    """Every line of text in the chart as a box, and the chart's width and height (its viewBox)."""
    root = ET.fromstring(svg)
    _, _, width, height = (float(v) for v in root.get("viewBox", "").split())
    boxes = []
    for text in root.iter(f"{SVG}text"):
        px = TITLE_PX if "chart-title" in text.get("class", "") else FONT_PX
        anchor = text.get("text-anchor", "start")
        x, y = float(text.get("x", 0)), float(text.get("y", 0))
        lines = [(x, y, text.text or "")]
        for span in text.findall(f"{SVG}tspan"):
            y += float(span.get("dy", 0))
            lines.append((float(span.get("x", x)), y, span.text or ""))
        for lx, ly, content in lines:
            w = len(content) * px * EM
            left = {"start": lx, "middle": lx - w / 2, "end": lx - w}[anchor]
            boxes.append(Box(content, left, left + w, ly - 0.8 * px, ly + 0.25 * px))
    return boxes, width, height


def assert_legible(svg: str) -> None:
    boxes, width, height = text_boxes(svg)
    for box in boxes:
        assert "…" not in box.text, f"cut label: {box.text!r}"
        assert box.left >= -0.5 and box.right <= width + 0.5, f"off the chart sideways: {box}"
        assert box.top >= -0.5 and box.bottom <= height + 0.5, f"off the chart vertically: {box}"
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b), f"{a.text!r} overlaps {b.text!r}"


def drawn(svg: str) -> str:
    """All the chart's text run together (wrapped lines joined), to find whole labels in."""
    return "".join(ET.fromstring(svg).itertext()).replace(" ", "")


def test_long_run_ids_and_sku_names_wrap_whole_in_bar_charts() -> None:
    labels = LONG_IDS + LONG_SKUS
    bars = [Bar(label, Decimal(100 * (i + 1)), note="⚑ over-threshold") for i, label in enumerate(labels)]
    svg = hbar_chart(
        "Net cost per run (USD)", bars, "USD", legend={"net": "labelled", "inferred": "inferred"}
    )
    assert_legible(svg)
    for label in labels:
        assert label.replace(" ", "") in drawn(svg)  # every character drawn, in order


def test_a_long_legend_wraps_to_a_second_row() -> None:
    legend = {f"s{i}": f"a rather long legend entry number {i}" for i in range(8)}
    assert_legible(hbar_chart("t", [Bar("a", Decimal(1))], "USD", legend=legend))


def test_the_right_hand_labels_of_the_daily_chart_never_overlap() -> None:
    days = [f"2026-10-{d:02d}" for d in range(1, 32)]
    # Lines ending at the same value (their labels want the same spot), the budget and the forecast
    # close to them.
    lines = [Line("all spend", [Decimal(d) for d in range(31)], "total")]
    lines += [Line(run_id, [Decimal(10)] * 31, "over-threshold") for run_id in LONG_IDS]
    svg = line_chart("Cumulative", days, lines, "USD", budget=Decimal(30), forecast=Decimal(31))
    assert_legible(svg)
    for run_id in LONG_IDS:
        assert run_id in drawn(svg)


def test_a_large_scale_fits_left_of_the_axis() -> None:
    lines = [Line("all spend", [Decimal("12345678.9"), Decimal("98765432.1")], "total")]
    assert_legible(line_chart("Cumulative", ["2026-10-01", "2026-10-02"], lines, "USD"))


def test_many_months_thin_out_their_labels_instead_of_overlapping() -> None:
    bars = [Bar(f"{2016 + m // 12}-{m % 12 + 1:02d}", Decimal(1000 + m * 37)) for m in range(120)]
    svg = vbar_chart("Monthly trend: net cost of runs and unattributed Vertex AI (USD)", bars, "USD")
    assert_legible(svg)
    assert "2016-01" in drawn(svg)
    assert len(re.findall(r"<rect ", svg)) == 120  # every month is still drawn


def test_the_html_report_with_long_ids_and_skus_is_legible(tmp_path: Path) -> None:
    rows = ExportRows()
    for i, (run_id, sku) in enumerate(zip(LONG_IDS, LONG_SKUS * 2, strict=False)):
        labels = {"tunectl-run-id": run_id, "tunectl-schedule": "a-schedule-with-a-long-name-too"}
        rows.add(VERTEX, (f"SKU-{i}", sku), f"2026-10-{10 + i}T08:00:00", f"{40 + i}.00", labels=labels)
    export = tmp_path / "export.parquet"
    export.write_bytes(render_export(rows.rows, "parquet"))
    html = tmp_path / "report.html"
    assert (
        cli(["cost", "report", "--billing-export", str(export), "--month", "2026-10", "-o", str(html)]) == 0
    )
    svgs = re.findall(r"<svg .*?</svg>", html.read_text(), re.S)
    assert len(svgs) >= 4
    for svg in svgs:
        assert_legible(svg)
