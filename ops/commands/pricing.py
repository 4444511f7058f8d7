"""`tunectl pricing`: the dated price table `plan` and the cost reconciliation use, and its refresh."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ops.commands.common import FormatOption, get_settings, group
from ops.commands.filters import FilterOption, LimitOption
from ops.output import OutputFormat

app = group("Show and refresh the dated price table.")


@app.command("show")
def show(
    where: FilterOption = None, limit: LimitOption = None, fmt: FormatOption = OutputFormat.text
) -> None:
    """The price table in effect: built-in figures overlaid by the last refresh, each with date and source."""
    from ops.commands.filters import select
    from ops.output import Column, emit, text_table
    from ops.planning.prices import entry_as_dict, load_price_table

    table = load_price_table()
    chosen = {e.id for e in select(list(table.entries.values()), where, limit)}
    kept = [e for e in table.entries.values() if e.id in chosen]
    entries = [entry_as_dict(e) for e in kept]
    data = {"tables": table.tables, "entries": entries}
    shown = [
        {
            "id": entry.id,
            "price": "unknown" if entry.price is None else f"{entry.price} {entry.currency}",
            "unit": entry.unit,
            "date": entry.date,
            "table": entry.table + ("" if entry.confirmed else " (unconfirmed)"),
        }
        for entry in kept
    ]

    def render(console: object) -> None:
        from rich.console import Console

        assert isinstance(console, Console)
        for header in table.tables:
            console.print(
                f"table {header['id']} ({header['path']}), retrieved {header['retrieved']}",
                highlight=False,
                markup=False,
            )
        columns = [
            Column("id", "price id", id=True),
            Column("price", "price"),
            Column("unit", "per"),
            Column("date", "date"),
            Column("table", "from"),
        ]
        console.out(text_table(columns, shown, console.width), end="", highlight=False)

    emit(data, fmt, render, rows=entries)


@app.command("refresh")
def refresh(
    ctx: typer.Context,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="where to write (default: the refreshed table plan reads)"),
    ] = None,
    currency: Annotated[str, typer.Option("--currency", help="ISO 4217 currency of the prices")] = "USD",
    fmt: FormatOption = OutputFormat.text,
) -> None:
    """Read Vertex AI SKUs from the Cloud Billing Catalog API and store a dated price table."""
    import json
    from datetime import UTC, datetime

    from ops.atomic import atomic_write_text
    from ops.clients import catalog_client
    from ops.costs.price_refresh import build_price_table, fetch_vertex_skus
    from ops.output import emit, note, warn
    from ops.planning.prices import load_price_table, refreshed_table_path

    if not (len(currency) == 3 and currency.isascii() and currency.isalpha()):
        from ops.errors import TunectlError

        raise TunectlError(
            "currency-invalid",
            f"{currency!r} is not an ISO 4217 currency code",
            where="--currency",
            hint="use three letters, e.g. USD, EUR or JPY",
        )
    settings = get_settings(ctx)
    skus = fetch_vertex_skus(catalog_client(settings), currency=currency.upper())
    table = build_price_table(skus, retrieved=datetime.now(UTC))
    target = output or refreshed_table_path()
    atomic_write_text(target, json.dumps(table, indent=2) + "\n")
    # Read it back through the loader plan uses, so a table it cannot parse is caught here.
    load_price_table(target, use_refreshed=False)
    missing = {"rlhf-pipeline:tpu", "rlhf-pipeline:gpu"} - {e["id"] for e in table["entries"]}
    if missing:
        warn(
            f"no catalog SKU matched {', '.join(sorted(missing))}; the built-in figures stay in use for them"
        )
    note(f"wrote {target}: {len(table['entries'])} price entries from {len(skus)} SKUs")
    summary = {"path": str(target), "id": table["id"], "entries": table["entries"], "skus": len(skus)}

    def render(console: object) -> None:
        from rich.console import Console

        assert isinstance(console, Console)
        for entry in table["entries"]:
            console.print(
                f"{entry['id']} {entry['price']} {entry['currency']} per {entry['unit']} ({entry['date']})",
                highlight=False,
                markup=False,
            )

    emit(summary, fmt, render, rows=table["entries"])
