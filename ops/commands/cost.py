"""`tunectl cost`: what each tuning run really cost, from the Cloud Billing export, and finance reports."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ops.commands.common import get_settings, group
from ops.commands.filters import FilterOption, LimitOption
from ops.errors import TunectlError

if TYPE_CHECKING:
    from ops.costs.options import CostInputs
    from ops.costs.reconcile import Reconciliation

app = group("Reconcile billed cost per run and write finance reports.")


class ReconcileFormat(StrEnum):
    text = "text"
    json = "json"
    yaml = "yaml"
    csv = "csv"


class ReportFormat(StrEnum):
    html = "html"
    md = "md"
    csv = "csv"
    json = "json"


class ExportFileFormat(StrEnum):
    parquet = "parquet"
    ndjson = "ndjson"
    csv = "csv"


BillingExportOption = Annotated[
    list[str] | None,
    typer.Option(
        "--billing-export",
        metavar="PATH",
        help="export files, globs or folders (Parquet, NDJSON, CSV), read locally with DuckDB; repeatable",
    ),
]
BigQueryTableOption = Annotated[
    str | None,
    typer.Option(
        "--bigquery-table",
        metavar="TABLE",
        help="the billing export table, project.dataset.table (default: setting)",
    ),
]
MonthOption = Annotated[
    str | None, typer.Option("--month", metavar="YYYY-MM", help="usage month YYYY-MM (UTC)")
]
FromOption = Annotated[
    str | None, typer.Option("--from", metavar="DATE", help="usage from this date/time (UTC, inclusive)")
]
ToOption = Annotated[
    str | None, typer.Option("--to", metavar="DATE", help="usage before this date/time (UTC, exclusive)")
]
InvoiceMonthOption = Annotated[
    str | None,
    typer.Option("--invoice-month", metavar="YYYYMM", help="only rows of this invoice month, YYYYMM"),
]
RunKeyOption = Annotated[
    list[str] | None,
    typer.Option(
        "--run-key",
        metavar="KEY",
        help="label keys that name a run, in precedence order; repeatable "
        "(default: tunectl-run-id, vertex-ai-pipelines-run-billing-id, vertex-ai-pipeline-run-billing-id)",
    ),
]
RunsFileOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--runs-file",
        metavar="FILE",
        help='JSON {"runs": [ledger records]} to join besides the ledger; repeatable',
    ),
]
FailOverOption = Annotated[
    float | None,
    typer.Option(
        "--fail-over",
        metavar="PCT",
        min=0,
        help="exit 1 when a run's variance passes PCT percent (for CI); the report is still printed",
    ),
]
ThresholdOption = Annotated[
    float,
    typer.Option(
        "--variance-threshold",
        metavar="PCT",
        min=0,
        help="flag runs whose cost differs from the estimate by more (%)",
    ),
]


def _inputs(
    billing_export: list[str] | None,
    bigquery_table: str | None,
    month: str | None,
    start: str | None,
    end: str | None,
    invoice_month: str | None,
    run_key: list[str] | None,
    runs_file: list[Path] | None,
) -> CostInputs:
    from ops.costs.options import CostInputs

    return CostInputs(
        billing_export=list(billing_export or []),
        bigquery_table=bigquery_table,
        month=month,
        start=start,
        end=end,
        invoice_month=invoice_month,
        run_keys=list(run_key or []),
        runs_files=list(runs_file or []),
    )


@app.command("reconcile")
def reconcile(
    ctx: typer.Context,
    billing_export: BillingExportOption = None,
    bigquery_table: BigQueryTableOption = None,
    month: MonthOption = None,
    start: FromOption = None,
    end: ToOption = None,
    invoice_month: InvoiceMonthOption = None,
    run_key: RunKeyOption = None,
    runs_file: RunsFileOption = None,
    variance_threshold: ThresholdOption = 20.0,
    fail_over: FailOverOption = None,
    where: FilterOption = None,
    limit: LimitOption = None,
    fmt: Annotated[
        ReconcileFormat,
        typer.Option("--format", "-f", help="text, json, yaml or csv (stdout)", case_sensitive=False),
    ] = ReconcileFormat.text,
) -> None:
    """Billed cost per run (gross, credits, net per currency) against its estimate; unattributed Vertex AI
    spend, account charges (tax, adjustments, rounding), coverage, orphans and runs not billed yet.

    --filter and --limit select the runs listed (on the fields of a run in --format json; --filter also
    selects orphans and runs not billed yet); totals, coverage, provisional runs and the per-schedule
    lines stay those of the whole window."""
    import sys

    from ops.commands.filters import parse_filter
    from ops.costs.options import prepare
    from ops.costs.reconcile import reconcile_costs
    from ops.costs.report import reconcile_csv, render_reconcile_text
    from ops.output import stdout_console

    if where:
        parse_filter(where)  # a bad filter is a usage error before the export is read
    inputs = _inputs(billing_export, bigquery_table, month, start, end, invoice_month, run_key, runs_file)
    engine, spec, known = prepare(inputs, get_settings(ctx))
    result = reconcile_costs(engine, spec, known, variance_threshold_pct=variance_threshold)
    if where is not None or limit is not None:
        _select_runs(result, where, limit)
    if fmt in (ReconcileFormat.json, ReconcileFormat.yaml):
        import json

        text = result.json_text()
        if fmt is ReconcileFormat.json:
            import msgspec

            sys.stdout.write(msgspec.json.format(text, indent=2) + "\n")
        else:
            from ops.output import print_yaml

            print_yaml(json.loads(text))  # the JSON document, key for key
    elif fmt is ReconcileFormat.csv:
        sys.stdout.write(reconcile_csv(result))
    else:
        render_reconcile_text(result, stdout_console())
    if fail_over is not None:
        over = [
            r.run_id for r in result.runs if r.variance_pct is not None and abs(r.variance_pct) > fail_over
        ]
        if over:
            from ops.output import note

            note(
                f"{len(over)} run(s) differ from their estimate by more than {fail_over:g}%: "
                + ", ".join(over)
            )
            raise typer.Exit(1)


def _select_runs(result: Reconciliation, where: str | None, limit: int | None) -> None:
    """Keep the runs whose JSON form passes `where`, at most `limit` of them (orphans are runs too)."""
    from ops.commands.filters import select
    from ops.costs.reconcile import not_billed_json, run_json
    from ops.output import to_jsonable

    records = [to_jsonable(run_json(run, result.flagged(run))) for run in result.runs]
    kept = {id(record) for record in select(records, where, limit)}
    # Runs not billed yet are runs too: the same filter (on their fields), not the --limit.
    waiting = [to_jsonable(not_billed_json(k)) for k in result.not_yet_billed]
    try:
        waiting_kept = {id(record) for record in select(waiting, where, None)}
    except TunectlError as exc:
        if exc.code != "filter-unknown-key":
            raise
        waiting_kept = set()  # a field only billed runs have (attribution, variance_flagged...)
    result.keep_runs(
        [run for run, record in zip(result.runs, records, strict=True) if id(record) in kept],
        [k for k, record in zip(result.not_yet_billed, waiting, strict=True) if id(record) in waiting_kept],
        where,
    )


class DiffFormat(StrEnum):
    text = "text"
    md = "md"
    json = "json"
    yaml = "yaml"


@app.command("diff")
def diff(
    ctx: typer.Context,
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="[BEFORE.json AFTER.json]",
            help="two outputs of `cost reconcile --format json`; or none with --month",
        ),
    ] = None,
    month: Annotated[
        str | None,
        typer.Option(
            "--month", metavar="YYYY-MM", help="compare this month with the one before (reads the export)"
        ),
    ] = None,
    billing_export: BillingExportOption = None,
    bigquery_table: BigQueryTableOption = None,
    run_key: RunKeyOption = None,
    runs_file: RunsFileOption = None,
    fail_over: Annotated[
        float | None,
        typer.Option(
            "--fail-over",
            metavar="PCT",
            min=0,
            help="exit 1 when a run present in both moved by more than PCT percent (for CI)",
        ),
    ] = None,
    fmt: Annotated[
        DiffFormat,
        typer.Option("--format", "-f", help="text, md (a PR comment), json or yaml", case_sensitive=False),
    ] = DiffFormat.text,
) -> None:
    """Compare two reconciliations per run and in total, per currency: two JSON files, or a month
    against the previous one.
    """
    import sys

    from ops.costs.diff import compare, load_side, render_markdown, render_text
    from ops.output import print_json, print_yaml

    paths = list(files or [])
    if month is not None and paths:
        raise TunectlError("diff-inputs-conflict", "give two files or --month, not both", where="--month")
    if month is None and len(paths) != 2:
        raise TunectlError(
            "diff-inputs-missing",
            f"cost diff needs two reconciliation files (got {len(paths)}) or --month",
            where="BEFORE.json AFTER.json",
            hint="tunectl cost diff before.json after.json, "
            "or tunectl cost diff --month 2026-10 --billing-export FILES",
        )
    if month is not None:
        before, after = _month_sides(ctx, month, billing_export, bigquery_table, run_key, runs_file)
    else:
        before, after = load_side(paths[0]), load_side(paths[1])
    result = compare(before, after, fail_over)
    if fmt is DiffFormat.json:
        print_json(result.as_json())
    elif fmt is DiffFormat.yaml:
        print_yaml(result.as_json())
    elif fmt is DiffFormat.md:
        sys.stdout.write(render_markdown(result))
    else:
        sys.stdout.write("\n".join(render_text(result)) + "\n")
    if result.over():
        raise typer.Exit(1)


def _month_sides(
    ctx: typer.Context,
    month: str,
    billing_export: list[str] | None,
    bigquery_table: str | None,
    run_key: list[str] | None,
    runs_file: list[Path] | None,
) -> tuple[Any, Any]:
    """The month and the one before, each reconciled from the same export."""
    import json

    from ops.costs.diff import side_from_json
    from ops.costs.options import month_bounds, prepare
    from ops.costs.reconcile import reconcile_costs

    start, _ = month_bounds(month)
    previous = f"{start.year - (start.month == 1):04d}-{(start.month - 2) % 12 + 1:02d}"
    sides = []
    for which in (previous, month):
        inputs = _inputs(billing_export, bigquery_table, which, None, None, None, run_key, runs_file)
        engine, spec, known = prepare(inputs, get_settings(ctx))
        sides.append(side_from_json(json.loads(reconcile_costs(engine, spec, known).json_text()), which))
    return sides[0], sides[1]


@app.command("report")
def report(
    ctx: typer.Context,
    output: Annotated[Path, typer.Option("--output", "-o", help="file to write (atomically)")],
    billing_export: BillingExportOption = None,
    bigquery_table: BigQueryTableOption = None,
    month: MonthOption = None,
    start: FromOption = None,
    end: ToOption = None,
    invoice_month: InvoiceMonthOption = None,
    run_key: RunKeyOption = None,
    runs_file: RunsFileOption = None,
    variance_threshold: ThresholdOption = 20.0,
    trend_months: Annotated[
        int, typer.Option("--trend-months", help="months in the trend chart (1-120)")
    ] = 6,
    budget: Annotated[
        str | None,
        typer.Option(
            "--budget",
            metavar="AMOUNT[ CUR]",
            help="the window's budget: drawn with the forecast of spend at the current pace",
        ),
    ] = None,
    fmt: Annotated[
        ReportFormat | None,
        typer.Option(
            "--format", "-f", help="html, md, csv or json (default: from the -o suffix)", case_sensitive=False
        ),
    ] = None,
) -> None:
    """A finance report: one self-contained HTML file with charts (opens offline), Markdown, CSV or JSON."""
    from ops.costs.options import MAX_TREND_MONTHS
    from ops.costs.report import build_report, render_report
    from ops.costs.spend_over_time import parse_budget
    from ops.output import note

    if not 1 <= trend_months <= MAX_TREND_MONTHS:
        raise TunectlError(
            "trend-months-invalid",
            f"--trend-months {trend_months} is not between 1 and {MAX_TREND_MONTHS}",
            where="--trend-months",
        )
    _check_output(output)
    chosen = fmt or _format_from_suffix(output)
    inputs = _inputs(billing_export, bigquery_table, month, start, end, invoice_month, run_key, runs_file)
    data = build_report(
        inputs, get_settings(ctx), variance_threshold, trend_months, parse_budget(budget) if budget else None
    )
    _write(output, render_report(data, chosen.value).encode())
    note(f"wrote {output} ({chosen.value})")


def _check_output(output: Path, example: str = "out/cost-report.html") -> None:
    if output.is_dir():
        raise TunectlError(
            "output-is-directory",
            f"{output} is a directory",
            where="--output",
            hint=f"name a file to write, e.g. --output {example}",
        )


def _write(output: Path, data: bytes) -> None:
    from ops.atomic import atomic_write_bytes

    try:
        atomic_write_bytes(output, data)
    except OSError as exc:
        raise TunectlError(
            "output-unwritable",
            f"cannot write {output}: {exc.strerror or exc}",
            where="--output",
            hint="choose a path in a folder you can write to",
        ) from exc


def _format_from_suffix(path: Path) -> ReportFormat:
    suffix = path.suffix.lower().lstrip(".")
    aliases = {"htm": "html", "markdown": "md"}
    try:
        return ReportFormat(aliases.get(suffix, suffix))
    except ValueError:
        raise TunectlError(
            "report-format-unknown",
            f"cannot tell the report format from {path.name!r}",
            where="--output",
            hint="pass --format html|md|csv|json",
        ) from None


@app.command("sample-export")
def sample_export(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="export file to write (.parquet, .jsonl, .csv)")
    ],
    detailed: Annotated[
        bool, typer.Option("--detailed", help="the detailed table's schema (adds resource and price)")
    ] = False,
    file_format: Annotated[
        ExportFileFormat | None, typer.Option("--file-format", help="default: from the suffix")
    ] = None,
) -> None:
    """Write a deterministic sample billing export (and the matching runs file, `<name>.runs.json`)."""
    from ops.costs import sample_export as sample
    from ops.output import note

    _check_output(output, "out/billing-export.parquet")
    if file_format is None:
        try:
            chosen = sample.format_for(output)
        except ValueError:
            raise TunectlError(
                "export-format-unknown",
                f"cannot tell the export format from {output.name!r}",
                where="--output",
                hint="name it *.parquet, *.jsonl or *.csv, or pass --file-format",
            ) from None
    else:
        chosen = file_format.value
    runs_path = sample.runs_file_for(output)
    if runs_path.resolve() == output.resolve():
        # `x.runs.json` would be overwritten by its own runs file.
        raise TunectlError(
            "outputs-collide",
            f"the export {output} and its runs file (<name>.runs.json) are the same file",
            where="--output",
            hint="name the export without `.runs.json`, e.g. --output out/billing-export.jsonl",
        )
    rows = sample.sample_rows()
    _write(output, sample.render_export(rows, chosen, detailed=detailed))
    _write(runs_path, sample.runs_json().encode())
    note(f"wrote {output} ({len(rows)} rows, {chosen}) and {runs_path}")
