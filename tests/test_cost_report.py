"""`tunectl cost report` as finance reads it: money to the currency's minor unit, gross beside net,
spend per day and cumulative, budget and forecast, SKUs per run, flags in the charts, accessible
tables, print layout, and nothing fetched from the network."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from ops.cli import run
from ops.costs.model import money_display
from ops.errors import ExitStatus


@pytest.fixture
def sample(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    export = tmp_path / "billing-export.parquet"
    assert run(["cost", "sample-export", "-o", str(export)]) == 0
    capsys.readouterr()
    runs = tmp_path / "billing-export.runs.json"
    return ["--billing-export", str(export), "--runs-file", str(runs), "--month", "2026-10"]


def _report(tmp_path: Path, sample: list[str], suffix: str, *extra: str) -> str:
    out = tmp_path / f"report.{suffix}"
    assert run(["cost", "report", *sample, "-o", str(out), *extra]) == 0
    return out.read_text()


def test_money_is_rounded_to_each_currencys_minor_unit() -> None:
    assert money_display(Decimal("1234.565"), "USD") == "1,234.57"
    assert money_display(Decimal("1234.5"), "JPY") == "1,235"
    assert money_display(Decimal("1.2345"), "KWD") == "1.235"
    assert money_display(Decimal("-0.004"), "EUR") == "0.00"


def test_html_is_self_contained_accessible_and_prints_each_chart_with_its_table(tmp_path, sample) -> None:
    html = _report(tmp_path, sample, "html", "--budget", "450 USD")
    assert "<script" not in html and "@import" not in html and "url(" not in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    # The only URL is the SVG namespace, which is a name, not a request.
    assert set(re.findall(r"https?://[^\s\"'<>]+", html)) == {"http://www.w3.org/2000/svg"}
    assert html.count("<caption>") >= 10 and '<th scope="col">' in html and '<th scope="row">' in html
    assert "@media print" in html and "break-inside: avoid" in html
    assert html.count('<section class="keep">') >= 10
    assert "`" not in "".join(re.findall(r"<h[12]>.*?</h[12]>", html))


def test_markdown_has_gross_beside_net_skus_per_run_daily_spend_and_the_budget(tmp_path, sample) -> None:
    md = _report(tmp_path, sample, "md", "--budget", "450")
    assert "| run key | run id | attribution | schedule | currency | gross | credits | net |" in md
    assert "## SKUs per run" in md
    assert "| rlhf-tpu-0a1b2c | Vertex AI: Training on TPU v3 pod running in EMEA | USD | 82.80 |" in md
    assert "| 2026-10-31 | USD |" in md and "| 2026-10-01 | USD |" in md  # every day of the window
    assert "| USD | 417.74 | 417.74 | 450.00 | no |" in md
    assert not any(line.startswith("#") and "`" in line for line in md.splitlines())


def test_charts_mark_over_threshold_runs_orphans_the_budget_and_the_forecast(tmp_path, sample) -> None:
    html = _report(tmp_path, sample, "html", "--budget", "300 USD")
    assert "⚑ over-threshold" in html and "⚑ orphan" in html
    assert 'class="line orphan"' in html and 'class="line over-threshold"' in html
    assert 'class="budget"' in html and 'class="forecast"' in html
    body = json.loads(_report(tmp_path, sample, "json", "--budget", "300 USD"))["report"]
    assert body["forecast"] == [
        {
            "currency": "USD",
            "spent": "417.738",
            "projected": "417.738",
            "budget": "300.00",
            "budget_currency": "USD",
            "over_budget": True,
            "note": None,
        }
    ]
    daily = {(d["run_id"], d["day"]): d["net"] for d in body["daily"]}
    assert daily[("rlhf-tpu-0a1b2c", "2026-10-05")] == "155.48"


def test_a_budget_in_another_currency_is_unknown_not_compared(tmp_path, sample) -> None:
    body = json.loads(_report(tmp_path, sample, "json", "--budget", "300 EUR"))["report"]
    (forecast,) = body["forecast"]
    assert forecast["over_budget"] is None and "no conversion" in forecast["note"]


def test_a_bad_budget_is_a_usage_error(tmp_path, sample, capsys) -> None:
    out = tmp_path / "r.html"
    assert run(["cost", "report", *sample, "-o", str(out), "--budget", "lots"]) == ExitStatus.USAGE
    assert "error[budget-invalid]" in capsys.readouterr().err


def test_reconcile_text_fits_80_columns_without_cutting_run_ids(tmp_path, sample, capsys) -> None:
    assert run(["cost", "reconcile", *sample]) == 0
    out = capsys.readouterr().out
    table = out.split("\n\n")[0].splitlines()
    assert table[0].split()[:4] == ["run", "schedule", "gross", "net"]
    assert all(len(line) <= 80 for line in table)
    assert "7999999999" in out and "rlhf-gpu-9z8y7x" in out
    assert "Total: 417.74 USD net (437.17 gross, -19.43 credits)" in out
