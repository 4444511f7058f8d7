"""Rendering reconciliations: terminal text and CSV for `cost reconcile`; HTML (charts inline), Markdown,
CSV and JSON finance reports for `cost report`. Every report states its window, the newest export_time,
what is provisional, coverage and the tool version."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from html import escape
from typing import TYPE_CHECKING, Any

from ops import __version__
from ops.costs.charts import Bar, Line, hbar_chart, line_chart, vbar_chart
from ops.costs.known_runs import SCHEDULE_LABEL
from ops.costs.model import Money, Window, money_display, money_str
from ops.costs.reconcile import Reconciliation, RunCost, ScheduleCost, credits_by_type, reconcile_costs
from ops.costs.spend_over_time import UNOWNED, Budget, CurrencySpend, Forecast, forecast, spend_by_day
from ops.output import to_jsonable

if TYPE_CHECKING:
    from rich.console import Console

    from ops.costs.options import CostInputs
    from ops.settings import Settings

TEAM_LABEL = "team"
# The export's cost_type values other than `regular`, as reports name them.
CHARGE_NAMES = {"tax": "Tax", "adjustment": "Adjustments", "rounding_error": "Rounding"}
CSV_COLUMNS = (
    "section",
    "key",
    "run_id",
    "attribution",
    "schedule",
    "currency",
    "gross",
    "credits",
    "net",
    "estimate",
    "variance_pct",
    "variance_flagged",
    "provisional",
    "first_usage",
    "last_usage",
)


@dataclass
class ReportData:
    result: Reconciliation
    trend: dict[tuple[str, str], Money]
    credits: dict[tuple[str, str], Decimal]
    by_base_model: dict[tuple[str, str], Money]
    by_schedule: dict[tuple[str, str], Money]
    by_team: dict[tuple[str, str], Money]
    spend: dict[str, CurrencySpend] = field(default_factory=dict)
    forecasts: dict[str, Forecast] = field(default_factory=dict)


def _months_before(start: datetime, months: int) -> datetime:
    index = max(start.year * 12 + start.month - 1 - months, 12)  # never before year 1
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def _group(runs: list[RunCost], unattributed: dict[str, Money], attr: str) -> dict[tuple[str, str], Money]:
    grouped: dict[tuple[str, str], Money] = {}
    for run in runs:
        name = getattr(run.known, attr, None) if run.known else None
        name = name or ("(no known run)" if run.known is None else f"(no {attr.replace('_', ' ')})")
        grouped.setdefault((name, run.money.currency), Money(run.money.currency)).add(
            run.money.gross, run.money.credits
        )
    for currency, money in unattributed.items():
        grouped.setdefault(("(unattributed)", currency), Money(currency)).add(money.gross, money.credits)
    return dict(sorted(grouped.items(), key=lambda kv: (kv[0][1], -kv[1].net, kv[0][0])))


def build_report(
    inputs: CostInputs,
    settings: Settings,
    threshold: float,
    trend_months: int,
    budget: Budget | None = None,
) -> ReportData:
    from ops.costs.options import prepare

    # The schedule is a column of every reconciliation (the run's or its rows' `tunectl-schedule`).
    engine, spec, known = prepare(inputs, settings, dimension_keys=(TEAM_LABEL,))
    spec = replace(spec, by_day=True)
    result = reconcile_costs(engine, spec, known, variance_threshold_pct=threshold)
    window = spec.window
    trend_window = Window(
        _months_before(window.start, trend_months - 1) if window.start else None,
        window.end,
        window.invoice_month,
    )
    trend_spec = replace(spec, window=trend_window, dimension_keys=(), by_month=True, by_day=False)
    trend = reconcile_costs(engine, trend_spec, known, variance_threshold_pct=threshold).monthly

    def ordered(grouped: dict[tuple[str, str], Money]) -> dict[tuple[str, str], Money]:
        return dict(sorted(grouped.items(), key=lambda kv: (kv[0][1], -kv[1].net, kv[0][0])))

    spend = spend_by_day(result.assembly.daily(), window)
    return ReportData(
        result=result,
        spend=spend,
        forecasts={c: forecast(s, window, budget) for c, s in spend.items()},
        trend=trend,
        credits=credits_by_type(engine, spec),
        by_base_model=_group(result.runs, result.unattributed, "base_model"),
        by_schedule=ordered(
            {
                group: Money(group[1], gross, credits)
                for group, (gross, credits) in result.assembly.schedule_spend().items()
            }
        ),
        by_team=ordered(result.by_dimension[TEAM_LABEL]),
    )


def render_report(data: ReportData, fmt: str) -> str:
    return {"html": render_html, "md": render_markdown, "csv": report_csv, "json": report_json}[fmt](data)


# ---- shared facts ----------------------------------------------------------------------------------


def _window_text(window: Window) -> str:
    parts = []
    if window.start or window.end:
        lo = window.start.isoformat() if window.start else "the first row"
        hi = window.end.isoformat() if window.end else "the last row"
        parts.append(f"usage_start_time in [{lo}, {hi})")
    if window.invoice_month:
        parts.append(f"invoice month {window.invoice_month}")
    return " and ".join(parts) or "every row in the export"


def facts(result: Reconciliation) -> list[tuple[str, str]]:
    coverage = (
        ", ".join(f"{c} {p:.2f}%" for c, p in result.coverage_by_currency().items()) or "no Vertex AI spend"
    )
    provisional = result.provisional_run_keys()
    which = "provisional runs in the whole window" if result.selection else "provisional runs"
    return [
        ("Data window", _window_text(result.spec.window)),
        (
            "Newest export_time",
            result.newest_export_time.isoformat() if result.newest_export_time else "(no rows)",
        ),
        (
            "Provisional",
            f"usage ending after {result.provisional_after.isoformat()} (72 h before the newest export) may "
            f"still change; {which}: {', '.join(provisional) or 'none'}"
            if result.provisional_after
            else "nothing",
        ),
        ("Coverage (attributed Vertex AI net / all Vertex AI net)", coverage),
        ("Run keys, in precedence order", ", ".join(result.spec.run_keys)),
        ("Rows read / skipped", f"{result.rows_read} / {result.skipped_rows()}"),
        ("Source", result.source),
        ("Tool version", f"tunectl {__version__}"),
    ]


# ---- cost reconcile: text and CSV ------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:+.2f}%"


# How the text table names the run key a run was found by (the full key is in JSON and CSV).
_KEY_SHORT = {
    "tunectl-run-id": "run-id",
    "vertex-ai-pipelines-run-billing-id": "billing-id",
    "vertex-ai-pipeline-run-billing-id": "billing-id",
}
TEXT_WIDTH = 80


def schedule_summary(scheduled: ScheduleCost) -> str:
    """`weekly-sft: 83.00 USD net over 1 run + firings with no run id`."""
    m = scheduled.money
    runs = f"{scheduled.runs} run{'s' if scheduled.runs != 1 else ''}"
    unnamed = " + firings with no run id" if scheduled.unnamed_runs else ""
    return f"{scheduled.schedule}: {money_display(m.net, m.currency)} {m.currency} net over {runs}{unnamed}"


def run_flags(result: Reconciliation, run: RunCost) -> list[str]:
    return [
        name
        for name, on in (
            ("provisional", run.provisional),
            ("orphan", run.known is None and run.attribution == "label"),
            ("over-threshold", result.flagged(run)),
        )
        if on
    ]


def fit_columns(header: list[str], rows: list[list[str]], droppable: list[int], width: int) -> list[int]:
    """The columns to show so that a table fits `width`: drops `droppable` ones in order, never cuts a
    cell (ids must stay whole to be copied; JSON and CSV carry every column)."""
    shown = list(range(len(header)))

    def total() -> int:
        return sum(max(len(r[i]) for r in [header, *rows]) for i in shown) + 2 * (len(shown) - 1)

    for column in droppable:
        if total() <= width:
            break
        shown.remove(column)
    return shown


def _print_run_table(console: Console, header: list[str], rows: list[list[str]]) -> None:
    shown = fit_columns(header, rows, droppable=[1, 5, 3, 2, 6], width=TEXT_WIDTH)
    table = [[row[i] for i in shown] for row in [header, *rows]]
    widths = [max(len(row[i]) for row in table) for i in range(len(shown))]
    right = {i for i, column in enumerate(shown) if column in {3, 4, 5, 6}}
    for row in table:
        cells = [
            c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        console.print("  ".join(cells).rstrip(), highlight=False, markup=False, soft_wrap=True)


def render_reconcile_text(result: Reconciliation, console: Console) -> None:
    """Plain aligned columns within 80 characters (columns are dropped, never cut: JSON and CSV have
    them all), then the totals and the facts a reader needs to trust them. Money is rounded to the
    currency's minor unit."""
    header = ["run", "by", "schedule", "gross", "net", "estimate", "variance", "flags"]
    rows = []
    for run in result.runs:
        known = run.known
        currency = run.money.currency
        key = run.run_key.partition("=")[0]
        rows.append(
            [
                run.run_id,
                run.attribution if run.attribution != "label" else _KEY_SHORT.get(key, key),
                run.schedule or "-",
                money_display(run.money.gross, currency),
                f"{money_display(run.money.net, currency)} {currency}",
                money_display(known.estimate, known.estimate_currency)
                if known and known.estimate is not None
                else "-",
                _pct(run.variance_pct) or "-",
                ",".join(run_flags(result, run)),
            ]
        )
    if rows:
        _print_run_table(console, header, rows)
    elif result.selection:
        console.print(f"No run matches --filter {result.selection!r}.", highlight=False, markup=False)
    else:  # a header over no rows reads like a broken table
        console.print("No run was billed in the window.", highlight=False, markup=False)
    if result.selection:
        console.print(
            f"Listed: runs, orphans and runs not billed yet matching --filter {result.selection!r}; "
            "totals, coverage, schedules and provisional runs below are the whole window's.",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    # `by` is the first column dropped to fit 80 columns: say which runs were attributed by inference.
    inferred = [run.run_id for run in result.runs if run.attribution == "inferred"]
    if inferred:
        console.print(
            "Inferred (no run label; matched to a job by its time window): " + ", ".join(inferred),
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    console.print()
    for currency, money in result.unattributed.items():
        console.print(
            f"Unattributed Vertex AI: {money_display(money.net, currency)} {currency} net",
            highlight=False,
        )
    for (cost_type, currency), money in result.charges.items():
        console.print(
            f"{CHARGE_NAMES.get(cost_type, cost_type)} (no run): {money_display(money.net, currency)} "
            f"{currency} net",
            highlight=False,
            markup=False,
        )
    for money in result.totals().values():
        c = money.currency
        console.print(
            f"Total: {money_display(money.net, c)} {c} net ({money_display(money.gross, c)} gross, "
            f"{money_display(money.credits, c)} credits)",
            highlight=False,
        )
    for scheduled in result.by_schedule:
        console.print(f"Schedule {schedule_summary(scheduled)}", highlight=False, markup=False)
    for label, value in facts(result):
        console.print(f"{label}: {value}", highlight=False, markup=False)
    if result.not_yet_billed:
        console.print(
            "Not billed yet: " + ", ".join(k.run_id for k in result.not_yet_billed), highlight=False
        )
    for s in result.skipped:
        console.print(
            f"Skipped {s['rows']} row(s) of {s['source']}: {s['column']} missing, unparsable "
            "or of a type that cannot be read",
            highlight=False,
            markup=False,
        )


def _row(section: str, key: str, money: Money, **extra: Any) -> dict[str, Any]:
    return {"section": section, "key": key, **money.as_dict(), **extra}


def _run_rows(result: Reconciliation) -> list[dict[str, Any]]:
    rows = []
    for run in result.runs:
        known = run.known
        variance = run.variance_pct
        rows.append(
            _row(
                "run",
                run.run_key,
                run.money,
                run_id=run.run_id,
                attribution=run.attribution,
                schedule=run.schedule or "",
                estimate=money_str(known.estimate) if known and known.estimate is not None else "",
                variance_pct="" if variance is None else variance,
                variance_flagged=variance is not None and abs(variance) > result.variance_threshold_pct,
                provisional=run.provisional,
                first_usage=run.first_usage.isoformat(),
                last_usage=run.last_usage.isoformat(),
            )
        )
    rows += [_row("unattributed", "Vertex AI without run key", m) for m in result.unattributed.values()]
    rows += [_row("charge", cost_type, m) for (cost_type, _), m in result.charges.items()]
    rows += [_row("total", "runs + charges + unattributed", m) for m in result.totals().values()]
    rows += [_row("schedule", s.schedule, s.money, schedule=s.schedule) for s in result.by_schedule]
    rows += [_row("orphan", o.run_key, o.money, run_id=o.run_id) for o in result.orphans]
    for k in result.not_yet_billed:
        rows.append(
            {
                "section": "not_yet_billed",
                "key": k.run_keys[0],
                "run_id": k.run_id,
                "currency": k.estimate_currency or "",
                "estimate": money_str(k.estimate) if k.estimate is not None else "",
                "first_usage": k.started.isoformat() if k.started else "",
            }
        )
    return rows


def _csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("true" if v is True else "false" if v is False else v) for k, v in row.items()})
    return out.getvalue()


def reconcile_csv(result: Reconciliation) -> str:
    return _csv(_run_rows(result))


# ---- cost report -----------------------------------------------------------------------------------


def _breakdown_rows(data: ReportData) -> list[dict[str, Any]]:
    rows = []
    for section, grouped in (
        ("by_base_model", data.by_base_model),
        ("by_schedule", data.by_schedule),
        ("by_team", data.by_team),
    ):
        rows += [_row(section, name, money) for (name, _), money in grouped.items()]
    rows += [_row("month", month, money) for (month, _), money in data.trend.items()]
    rows += [
        {"section": "credit_type", "key": kind, "currency": currency, "credits": money_str(amount)}
        for (kind, currency), amount in data.credits.items()
    ]
    rows += [
        {"section": "daily", "key": day.isoformat(), "run_id": run_id, "currency": c, "net": money_str(net)}
        for c, spend in data.spend.items()
        for run_id, series in spend.per_run.items()
        for day, net in sorted(series.items())
    ]
    return rows


def report_csv(data: ReportData) -> str:
    return _csv(_run_rows(data.result) + _breakdown_rows(data))


def _grouped_json(grouped: dict[tuple[str, str], Money], name: str) -> list[dict[str, str]]:
    return [{name: key, **money.as_dict()} for (key, _), money in grouped.items()]


def report_json(data: ReportData) -> str:
    body = data.result.as_json()
    body["report"] = {
        "by_base_model": _grouped_json(data.by_base_model, "base_model"),
        "by_schedule": _grouped_json(data.by_schedule, "schedule"),
        "by_team": _grouped_json(data.by_team, TEAM_LABEL),
        "monthly": _grouped_json(data.trend, "month"),
        "credits_by_type": [
            {"type": kind, "currency": currency, "amount": money_str(amount)}
            for (kind, currency), amount in data.credits.items()
        ],
        "daily": [
            {"run_id": run_id, "currency": c, "day": day.isoformat(), "net": money_str(net)}
            for c, spend in data.spend.items()
            for run_id, series in spend.per_run.items()
            for day, net in sorted(series.items())
        ],
        "forecast": [
            {
                "currency": f.currency,
                "spent": money_str(f.spent),
                "projected": money_str(f.projected) if f.projected is not None else None,
                "budget": money_str(f.budget.amount) if f.budget else None,
                "budget_currency": (f.budget.currency or f.currency) if f.budget else None,
                "over_budget": f.over_budget,
                "note": f.note or None,
            }
            for f in data.forecasts.values()
        ],
    }
    return json.dumps(to_jsonable(body), indent=2, ensure_ascii=False) + "\n"


def _currencies(data: ReportData) -> list[str]:
    return sorted({m.currency for m in data.result.totals().values()} | {c for _, c in data.trend})


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _money_cells(m: Money) -> list[str]:
    c = m.currency
    return [c, money_display(m.gross, c), money_display(m.credits, c), money_display(m.net, c)]


def _sections(data: ReportData) -> list[tuple[str, list[str], list[list[str]]]]:
    """The report's tables, shared by HTML and Markdown (money rounded to the cent; CSV and JSON keep
    it exact)."""
    r = data.result
    runs = [
        [
            run.run_key,
            run.run_id,
            run.attribution,
            run.schedule or "",
            run.money.currency,
            money_display(run.money.gross, run.money.currency),
            money_display(run.money.credits, run.money.currency),
            money_display(run.money.net, run.money.currency),
            money_display(run.known.estimate, run.known.estimate_currency)
            if run.known and run.known.estimate is not None
            else "",
            _pct(run.variance_pct)
            + (
                " ⚑"
                if run.variance_pct is not None and abs(run.variance_pct) > r.variance_threshold_pct
                else ""
            ),
            (run.known.price_table or "") if run.known else "",
            "yes" if run.provisional else "",
            run.first_usage.strftime("%Y-%m-%d %H:%M"),
        ]
        for run in r.runs
    ]
    money_header = ["currency", "gross", "credits", "net"]

    def money_rows(grouped: dict[tuple[str, str], Money]) -> list[list[str]]:
        return [[key, *_money_cells(m)] for (key, _), m in grouped.items()]

    return [
        (
            "Runs",
            [
                "run key",
                "run id",
                "attribution",
                "schedule",
                "currency",
                "gross",
                "credits",
                "net",
                "estimate",
                "variance",
                "price table",
                "provisional",
                "first usage",
            ],
            runs,
        ),
        (
            "Totals (runs, account charges and unattributed Vertex AI)",
            ["", *money_header],
            [["runs", *_money_cells(m)] for _, m in sorted(r.in_runs.items())]
            + [
                [f"{CHARGE_NAMES.get(t, t).lower()} (no run)", *_money_cells(m)]
                for (t, _), m in r.charges.items()
            ]
            + [["unattributed Vertex AI", *_money_cells(m)] for m in r.unattributed.values()]
            + [["total", *_money_cells(m)] for m in r.totals().values()],
        ),
        (
            "SKUs per run",
            ["run id", "SKU", *money_header],
            [[run.run_id, sku, *_money_cells(m)] for run in r.runs for sku, m in _skus_by_net(run)],
        ),
        (
            "Daily spend (all runs and unattributed Vertex AI)",
            ["day", "currency", "net", "cumulative"],
            [
                [
                    day.isoformat(),
                    c,
                    money_display(spend.total.get(day, Decimal(0)), c),
                    money_display(total, c),
                ]
                for c, spend in data.spend.items()
                for day, total in spend.cumulative(spend.total)
            ],
        ),
        (
            "Budget and forecast",
            ["currency", "spent", "forecast for the window", "budget", "forecast over budget"],
            [_forecast_cells(f) for f in data.forecasts.values() if f.budget is not None or f.projected],
        ),
        ("Net cost by month", ["month", *money_header], money_rows(data.trend)),
        ("Cost by base model", ["base model", *money_header], money_rows(data.by_base_model)),
        (
            f"Cost by schedule (label {SCHEDULE_LABEL})",
            ["schedule", *money_header],
            money_rows(data.by_schedule),
        ),
        (f"Cost by team (label {TEAM_LABEL})", ["team", *money_header], money_rows(data.by_team)),
        (
            "Credits by type",
            ["type", "currency", "amount"],
            [
                [kind, currency, money_display(amount, currency)]
                for (kind, currency), amount in data.credits.items()
            ],
        ),
        (
            "Orphans (billed run keys no known run carries)",
            ["run key", "currency", "net"],
            [[o.run_key, o.money.currency, money_display(o.money.net, o.money.currency)] for o in r.orphans],
        ),
        (
            "Not billed yet",
            ["run id", "started", "estimate", "currency"],
            [
                [
                    k.run_id,
                    k.started.isoformat() if k.started else "",
                    money_display(k.estimate, k.estimate_currency) if k.estimate is not None else "",
                    k.estimate_currency or "",
                ]
                for k in r.not_yet_billed
            ],
        ),
        (
            "Skipped rows",
            ["file", "column missing or unparsable", "rows"],
            [[str(s["source"]), str(s["column"]), str(s["rows"])] for s in r.skipped],
        ),
    ]


def _skus_by_net(run: RunCost) -> list[tuple[str, Money]]:
    return sorted(run.skus.items(), key=lambda kv: (-kv[1].net, kv[0]))


def _forecast_cells(f: Forecast) -> list[str]:
    c = f.currency
    budget = "" if f.budget is None else f"{money_display(f.budget.amount, f.budget.currency or c)}"
    over = f.note or {True: "yes", False: "no", None: ""}[f.over_budget]
    projected = money_display(f.projected, c) if f.projected is not None else "unknown (open window)"
    return [c, money_display(f.spent, c), projected, budget, over]


def render_markdown(data: ReportData) -> str:
    out = ["# Tuning cost report", ""]
    out += [f"- **{label}:** {value}" for label, value in facts(data.result)]
    for title, header, rows in _sections(data):
        out += ["", f"## {title}", ""]
        out.append(_md_table(header, rows) if rows else "_none_")
    return "\n".join(out) + "\n"


_CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328;
  margin: 2rem auto;
  max-width: 1080px; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #d0d7de; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: 13px; }
th, td { border: 1px solid #d0d7de; padding: 3px 8px; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f6f8fa; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; }
dl.facts dt { font-weight: 600; } dl.facts dd { margin: 0; }
.cards { display: flex; gap: 12px; flex-wrap: wrap; margin: 1rem 0; }
.card { border: 1px solid #d0d7de; border-radius: 6px; padding: 8px 14px; min-width: 150px; }
.card b { display: block; font-size: 1.3rem; }
svg.chart { max-width: 100%; height: auto; margin: .5rem 0; }
svg .chart-title { font-weight: 600; font-size: 14px; fill: #1f2328; }
svg .label, svg .value, svg .legend { font-size: 12px; fill: #1f2328; }
svg .axis { stroke: #8c959f; }
svg .bar.net { fill: #2f6feb; } svg .bar.inferred { fill: #8250df; } svg .bar.provisional { fill: #bf8700; }
svg .bar.estimate { fill: #8c959f; } svg .bar.actual { fill: #2f6feb; } svg .bar.credit { fill: #1a7f37; }
svg .bar.unattributed { fill: #cf222e; } svg .bar.schedule { fill: #0969da; fill-opacity: .55; }
.flag { color: #cf222e; font-weight: 600; }
footer { margin-top: 3rem; color: #59636e; font-size: 12px; }
caption { caption-side: top; text-align: left; font-weight: 600; padding: 2px 0; }
th[scope="row"] { background: none; font-weight: normal; }
svg .line { fill: none; stroke-width: 1.5; stroke: #2f6feb; }
svg .line.total { stroke: #1f2328; stroke-width: 2.5; }
svg .line.orphan { stroke: #cf222e; stroke-dasharray: 4 3; }
svg .line.over-threshold { stroke: #bf8700; stroke-width: 2.5; }
svg .line.unowned { stroke: #8c959f; }
svg .legend.orphan, svg .legend.over-threshold { fill: #cf222e; font-weight: 600; }
svg .budget { stroke: #cf222e; stroke-width: 1.5; }
svg .forecast { stroke: #1f2328; stroke-dasharray: 6 4; stroke-width: 1.5; }
svg .bar.flagged { fill: #bf8700; } svg .bar.orphan { fill: #cf222e; }
@media print {
  body { margin: 0; max-width: none; font-size: 11px; }
  section.keep { break-inside: avoid; page-break-inside: avoid; }
  h2 { break-after: avoid; page-break-after: avoid; }
  svg.chart { break-inside: avoid; page-break-inside: avoid; }
}
"""


def _html_table(caption: str, header: list[str], rows: list[list[str]]) -> str:
    """A table with its caption, column headers (scope col) and each row's first cell as its row
    header (scope row), so a screen reader can name every number."""
    if not rows:
        return "<p><em>none</em></p>"

    def cell(value: str) -> str:
        numeric = value[:1] in "-+0123456789" and any(c.isdigit() for c in value) and " " not in value.strip()
        return f'<td class="num">{escape(value)}</td>' if numeric else f"<td>{escape(value)}</td>"

    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in header)
    body = "".join(
        f'<tr><th scope="row">{escape(row[0])}</th>' + "".join(cell(c) for c in row[1:]) + "</tr>"
        for row in rows
    )
    return (
        f"<table><caption>{escape(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


# Lines drawn in the daily chart: the costliest runs, flagged runs and orphans (the table and the
# CSV/JSON reports carry every run).
DAILY_CHART_RUNS = 8


def _daily_chart(data: ReportData, currency: str) -> str:
    spend = data.spend.get(currency)
    if spend is None:
        return ""
    r = data.result
    runs = {run.run_id: run for run in r.runs if run.money.currency == currency}
    costly = sorted(runs.values(), key=lambda run: -run.money.net)[:DAILY_CHART_RUNS]
    marked = [run for run in runs.values() if run_flags(r, run) and run not in costly]
    lines = [Line("all spend", [v for _, v in spend.cumulative(spend.total)], "total")]
    for run in [*costly, *marked]:
        flags = run_flags(r, run)
        series = "orphan" if "orphan" in flags else "over-threshold" if "over-threshold" in flags else "net"
        values = [v for _, v in spend.cumulative(spend.per_run.get(run.run_id, {}))]
        lines.append(Line(run.run_id, values, series, ", ".join(flags)))
    if UNOWNED in spend.per_run:
        lines.append(Line(UNOWNED, [v for _, v in spend.cumulative(spend.per_run[UNOWNED])], "unowned"))
    f = data.forecasts.get(currency)
    budget = f.budget.amount if f and f.budget and not f.note else None
    return line_chart(
        f"Cumulative net spend per day ({currency}; flagged runs and orphans marked ⚑)",
        [day.isoformat() for day in spend.days],
        lines,
        currency,
        budget=budget,
        forecast=f.projected if f else None,
    )


def _run_series(run: RunCost) -> str:
    if run.provisional:
        return "provisional"
    return run.attribution if run.attribution in {"inferred", "schedule"} else "net"


def _charts(data: ReportData, currency: str) -> dict[str, str]:
    r = data.result
    runs = [run for run in r.runs if run.money.currency == currency]
    per_run = sorted(runs, key=lambda run: -run.money.net)
    run_bars = [
        Bar(run.run_id, run.money.net, _run_series(run), ", ".join(f"⚑ {f}" for f in run_flags(r, run)))
        for run in per_run
    ]
    run_bars += [
        Bar("(unattributed Vertex AI)", m.net, "unattributed")
        for c, m in r.unattributed.items()
        if c == currency
    ]
    estimate_bars: list[Bar] = []
    for run in runs:
        if run.known and run.known.estimate is not None and run.known.estimate_currency == currency:
            estimate_bars.append(Bar(run.run_id, run.known.estimate, "estimate"))
            flagged = r.flagged(run)
            estimate_bars.append(
                Bar(
                    run.run_id,
                    run.money.gross,
                    "flagged" if flagged else "actual",
                    _pct(run.variance_pct) + (" ⚑ over threshold" if flagged else ""),
                )
            )

    def grouped(values: dict[tuple[str, str], Money], series: str = "net") -> list[Bar]:
        return [
            Bar(name, m.net, "unattributed" if name == "(unattributed)" else series)
            for (name, c), m in values.items()
            if c == currency
        ]

    return {
        "Daily spend": _daily_chart(data, currency),
        "Runs": hbar_chart(
            f"Net cost per run ({currency})",
            run_bars,
            currency,
            legend={
                "net": "labelled",
                "inferred": "inferred",
                "schedule": "schedule label only",
                "provisional": "provisional",
                "unattributed": "unattributed",
            },
        ),
        "Estimate": hbar_chart(
            f"Estimate against actual (gross, before credits; {currency})",
            estimate_bars,
            currency,
            legend={"estimate": "estimate", "actual": "billed gross"},
        ),
        "Net cost by month": vbar_chart(
            f"Monthly trend: net cost of runs and unattributed Vertex AI ({currency})",
            [Bar(month, m.net) for (month, c), m in data.trend.items() if c == currency],
            currency,
        ),
        "Cost by base model": hbar_chart(
            f"Net cost by base model ({currency})", grouped(data.by_base_model), currency
        ),
        "Cost by schedule": hbar_chart(
            f"Net cost by schedule ({currency})", grouped(data.by_schedule), currency
        ),
        "Cost by team": hbar_chart(f"Net cost by team label ({currency})", grouped(data.by_team), currency),
        "Credits by type": hbar_chart(
            f"Credits by type ({currency})",
            [Bar(kind, amount, "credit") for (kind, c), amount in data.credits.items() if c == currency],
            currency,
        ),
    }


def render_html(data: ReportData) -> str:
    r = data.result
    cards = []
    for money in r.totals().values():
        cards.append(
            f'<div class="card">Net {escape(money.currency)}'
            f"<b>{escape(money_display(money.net, money.currency))}</b></div>"
        )
        cards.append(
            f'<div class="card">Gross<b>{escape(money_display(money.gross, money.currency))}</b></div>'
        )
        cards.append(
            f'<div class="card">Credits<b>{escape(money_display(money.credits, money.currency))}</b></div>'
        )
    cards.append(f'<div class="card">Coverage<b>{r.coverage_pct():.2f}%</b></div>')
    flagged = [
        run
        for run in r.runs
        if run.variance_pct is not None and abs(run.variance_pct) > r.variance_threshold_pct
    ]
    cards.append(f'<div class="card">Runs over ±{r.variance_threshold_pct:g}%<b>{len(flagged)}</b></div>')
    charts_by_currency = {c: _charts(data, c) for c in _currencies(data)}
    body = [
        "<h1>Tuning cost report</h1>",
        "<p>What each tuning run cost according to the Cloud Billing export, against its estimate.</p>",
        '<dl class="facts">'
        + "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in facts(r))
        + "</dl>",
        '<div class="cards">' + "".join(cards) + "</div>",
    ]
    chart_for = {"Runs": ["Runs", "Estimate"]}
    for title, header, rows in _sections(data):
        body.append(f'<section class="keep"><h2>{escape(title)}</h2>')
        key = next(
            (
                k
                for k in (
                    "Runs",
                    "Net cost by month",
                    "Cost by base model",
                    "Cost by schedule",
                    "Cost by team",
                    "Credits by type",
                    "Daily spend",
                )
                if title.startswith(k)
            ),
            None,
        )
        for charts in charts_by_currency.values():
            for name in chart_for.get(key or "", [key] if key else []):
                body.append(charts[name])
        body.append(_html_table(title, header, rows) + "</section>")
    body.append(
        f"<footer>Generated by tunectl {escape(__version__)} from {escape(r.source)}. Money is summed "
        "exactly (decimal) and shown rounded to each currency's minor unit; the CSV and JSON reports "
        "carry the exact "
        "amounts. Amounts in different currencies are never added together. Charts are inline SVG; "
        "this file needs no network.</footer>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Tuning cost report: {escape(_window_text(r.spec.window))}</title>"
        f"<style>{_CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )
