"""`tunectl config`: show the resolved settings and where each came from."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from ops.commands.common import FormatOption, get_settings, group, state
from ops.output import OutputFormat, emit

if TYPE_CHECKING:
    from rich.console import Console

app = group("Inspect tunectl's settings.")


@app.command("show")
def show(ctx: typer.Context, fmt: FormatOption = OutputFormat.text) -> None:
    """Print every setting, its value and its source (flag, env, config file or default)."""
    from rich.table import Table

    from ops.settings import SETTING_NAMES, config_file_path

    settings = get_settings(ctx)
    rows = [
        {"name": name, "value": getattr(settings, name), "source": settings.sources.get(name, "default")}
        for name in SETTING_NAMES
    ]
    report = {"config_file": str(config_file_path(state(ctx).config_file)), "settings": rows}

    def render(console: Console) -> None:
        table = Table("setting", "value", "source", title=f"config file: {report['config_file']}")
        for row in rows:
            value = row["value"]
            table.add_row(str(row["name"]), "" if value is None else str(value), str(row["source"]))
        console.print(table)

    emit(report, fmt, render)
