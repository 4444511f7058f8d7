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
    from ops.output import Column, text_table
    from ops.settings import SETTING_NAMES, config_file_path

    settings = get_settings(ctx)
    rows = [
        {"name": name, "value": getattr(settings, name), "source": settings.sources.get(name, "default")}
        for name in SETTING_NAMES
    ]
    report = {"config_file": str(config_file_path(state(ctx).config_file)), "settings": rows}

    def render(console: Console) -> None:
        console.print(f"config file: {report['config_file']}", highlight=False, markup=False)
        columns = [Column("name", "setting", id=True), Column("value", "value"), Column("source", "source")]
        console.out(text_table(columns, rows, console.width), end="", highlight=False)

    emit(report, fmt, render, rows=rows)
