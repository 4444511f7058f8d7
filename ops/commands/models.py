"""`tunectl models`: the catalog of tunable models, with each row's Google source and date."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ops.commands.common import FormatOption, get_settings, group
from ops.output import OutputFormat, emit

if TYPE_CHECKING:
    from rich.console import Console

app = group("List the catalog of tunable models, and refresh it from Vertex AI.")


@app.command("list")
def list_models(fmt: FormatOption = OutputFormat.text) -> None:
    """Every model the catalog knows: engine, methods, status, retirement, adapter sizes, source, date."""
    from datetime import date

    from ops.models.catalog import catalog_path, gemini_models, pipeline_regions, rlhf_base_models

    today = date.today()
    rows: list[dict[str, Any]] = [
        {
            "model": entry.model_id,
            "engine": entry.engine,
            "methods": list(entry.methods),
            "status": "retired" if entry.retired_on(today) else (entry.launch_stage or "listed"),
            "retired": entry.retired,
            "adapter_sizes": list(entry.adapter_sizes),
            "thinking": entry.thinking,
            "price_key": entry.price_key,
            "source": entry.source,
            "checked": entry.checked,
            # Methods read on their own page (reinforcement), with what it lists: tuning regions,
            # the serving location, the API version.
            "method_sources": entry.method_sources,
        }
        for entry in gemini_models().values()
    ]
    regions = pipeline_regions()
    rows += [
        {
            "model": reference,
            "engine": "rlhf-pipeline",
            "methods": ["preference"],
            "status": "listed",
            "retired": None,
            "accelerators": sorted(a for a, r in regions.items() if r in row["regions"]),
            "regions": row["regions"],
            "source": row["source"],
            "checked": row["checked"],
        }
        for reference, row in rlhf_base_models().items()
    ]
    data = {"catalog": catalog_path() or "built-in", "models": rows}

    def render(console: Console) -> None:
        # Plain lines, not a table: the sources are URLs and must stay whole to be followed.
        for row in rows:
            where = (
                "adapter sizes " + ", ".join(map(str, row["adapter_sizes"]))
                if "adapter_sizes" in row
                else "on " + ", ".join(f"{a} ({regions[a]})" for a in row["accelerators"])
            )
            status = f"retired {row['retired']}" if row["status"] == "retired" else row["status"]
            console.print(
                f"{row['model']:<22} {row['engine']:<14} {status:<18} {', '.join(row['methods'])}; {where}",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )
            console.print(
                f"{'':<22} source: {row['source']} (checked {row['checked']})",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )
            for method, page in (row.get("method_sources") or {}).items():
                where = f"tuned in {', '.join(page['regions'])}" if page.get("regions") else ""
                serving = f", served from {page['serving']}" if page.get("serving") else ""
                cited = f"source: {page['source']} (checked {page['checked']})"
                console.print(
                    f"{'':<22} {method}: {where}{serving}; {cited}",
                    highlight=False,
                    markup=False,
                    soft_wrap=True,
                )
        console.print(f"catalog: {data['catalog']}", highlight=False, markup=False, soft_wrap=True)

    emit(data, fmt, render, rows=rows)  # csv: one row per model, lists as JSON


@app.command("refresh")
def refresh(
    ctx: typer.Context,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="where to write the refreshed catalog (default: next to the ledger)"
        ),
    ] = None,
    fmt: FormatOption = OutputFormat.text,
) -> None:
    """Update launch stage and version state from Vertex AI's publisher-model API (needs credentials).

    Methods, adapter sizes and retirement dates are not in the API and keep their dated sources."""
    from ops.models.catalog import refreshed_catalog_path
    from ops.models.refresh import refresh_catalog

    report = refresh_catalog(get_settings(ctx), output or refreshed_catalog_path())

    def render(console: Console) -> None:
        for change in report.changes:
            console.print(
                f"{change.model_id}: {change.field} {change.before or '-'} -> {change.after}", highlight=False
            )
        if not report.changes:
            console.print("no change in launch stage or version state", highlight=False)
        for model_id in report.not_found:
            console.print(f"[yellow]{model_id}[/yellow]: the API does not know it (kept as listed)")
        for model_id in report.untracked:
            console.print(
                f"{model_id}: the API lists a tuning action; it needs a catalog row from its tuning page",
                highlight=False,
            )
        console.print(f"wrote {report.output} (checked {report.checked})", highlight=False)

    emit(report, fmt, render)
