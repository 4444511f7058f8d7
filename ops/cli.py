"""The `tunectl` entry point: the command table, global flags, and error rendering.

Expected failures are `TunectlError`s rendered as diagnostics; exit statuses come from
`ops.errors.ExitStatus`. Heavy libraries are imported by the commands that need them.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import Annotated

import typer
from typer._click import exceptions as click_exceptions  # Typer >= 0.20 vendors click

from ops import __version__
from ops.commands import (
    config,
    cost,
    dataset,
    infra,
    models,
    plan,
    preflight,
    pricing,
    quota,
    schedules,
    tune,
)
from ops.commands.common import group, state
from ops.errors import ExitStatus, TunectlError

app = group("Validate, plan, launch and account for LLM tuning runs on Vertex AI.")
app.info.name = "tunectl"
app.add_typer(dataset.app, name="dataset", help="Validate, convert, split and describe tuning datasets.")
app.command("plan")(plan.plan)
app.add_typer(tune.app, name="tune", help="Launch, watch, cancel, predict with and evaluate tuning runs.")
app.command("preflight")(preflight.preflight)
app.add_typer(quota.app, name="quota", help="See, request and watch accelerator quota.")
app.add_typer(cost.app, name="cost", help="Reconcile billed cost per run and write finance reports.")
app.add_typer(pricing.app, name="pricing", help="Show and refresh the dated price table.")
app.add_typer(schedules.app, name="schedules", help="See, check, pause and resume scheduled runs.")
app.add_typer(infra.app, name="infra", help="Plan the Pulumi stack offline and check it against policy.")
app.add_typer(config.app, name="config", help="Inspect tunectl's settings.")
app.add_typer(
    models.app, name="models", help="List the catalog of tunable models, and refresh it from Vertex AI."
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tunectl {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    project: Annotated[str | None, typer.Option(help="Google Cloud project id")] = None,
    region: Annotated[str | None, typer.Option(help="Vertex AI region, e.g. us-central1")] = None,
    stack_outputs: Annotated[
        Path | None, typer.Option(help="JSON file of the stack's outputs (`pulumi stack output --json`)")
    ] = None,
    ledger: Annotated[Path | None, typer.Option(help="the local run ledger (SQLite)")] = None,
    config_file: Annotated[
        Path | None, typer.Option("--config", help="config file (default ~/.config/tunectl/config.toml)")
    ] = None,
    debug: Annotated[bool, typer.Option(help="show tracebacks for errors")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="print the version")
    ] = False,
) -> None:
    cli = state(ctx)
    cli.flags = {"project": project, "region": region, "stack_outputs": stack_outputs, "ledger": ledger}
    cli.config_file = str(config_file) if config_file else None
    cli.debug = debug


def main(argv: list[str] | None = None) -> None:
    """Run tunectl and exit with a documented status; never show a traceback for expected errors."""
    args = sys.argv[1:] if argv is None else argv
    sys.exit(run(args, debug="--debug" in args))


def run(args: list[str], *, debug: bool = False) -> int:
    """Run one command line and return its exit status (tests call this directly)."""
    command = typer.main.get_command(app)
    try:
        result = command.main(args=args, prog_name="tunectl", standalone_mode=False)
    except TunectlError as exc:
        if debug:
            traceback.print_exc()
        print(exc.render(), file=sys.stderr)
        return int(exc.status)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        print("interrupted", file=sys.stderr)
        return int(ExitStatus.INTERRUPTED)
    except click_exceptions.ClickException as exc:
        exc.show()
        return int(ExitStatus.USAGE)
    except Exception as exc:
        if debug:
            traceback.print_exc()
        print(
            f"error[internal]: {type(exc).__name__}: {exc}\n"
            "  hint: this is a bug in tunectl; re-run with --debug and report the traceback",
            file=sys.stderr,
        )
        return int(ExitStatus.USAGE)
    status = int(result) if isinstance(result, int) else int(ExitStatus.OK)
    if status == ExitStatus.INTERRUPTED:  # Typer turns Ctrl-C into a silent exit code 130
        print("interrupted", file=sys.stderr)
    return status
