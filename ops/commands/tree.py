"""The Typer command tree: the root's global options and the groups of ops/commands/registry.py.

`ops/cli.py` builds a root holding only the command that was named, so a run imports one command
module; tests and shell completion build the whole tree. Help examples (ops/commands/examples.py) are
attached here, so no command module has to carry them.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from typer._click import core as click_core  # Typer >= 0.20 vendors click
from typer.core import TyperGroup

from ops import __version__
from ops.commands.common import group, state
from ops.commands.registry import ABOUT, COMMANDS


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tunectl {__version__}")
        raise typer.Exit()


def root_callback(
    ctx: typer.Context,
    project: Annotated[str | None, typer.Option("--project", help="Google Cloud project id")] = None,
    region: Annotated[
        str | None, typer.Option("-r", "--region", help="Vertex AI region, e.g. us-central1")
    ] = None,
    stack_outputs: Annotated[
        Path | None, typer.Option("--stack-outputs", help="`pulumi stack output --json` of the stack")
    ] = None,
    ledger: Annotated[Path | None, typer.Option("--ledger", help="the local run ledger (SQLite)")] = None,
    config_file: Annotated[
        Path | None, typer.Option("--config", help="config file (default ~/.config/tunectl/config.toml)")
    ] = None,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="no progress or notes on stderr")] = False,
    verbose: Annotated[
        bool, typer.Option("-v", "--verbose", help="more detail on stderr (retries, settings)")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="show tracebacks for errors")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="print the version")
    ] = False,
) -> None:
    from ops.output import set_verbosity

    # A file named on the command line must exist: ignoring a mistyped path would run with other settings.
    for flag, path, code in (
        ("--config", config_file, "config-file-missing"),
        ("--stack-outputs", stack_outputs, "stack-outputs-missing"),
    ):
        if path is not None and not path.is_file():
            from ops.errors import TunectlError

            raise TunectlError(
                code,
                f"the file given to {flag} " + ("is not a file" if path.exists() else "does not exist"),
                where=str(path),
                hint=f"check the path given to {flag}, or drop the flag",
            )
    cli = state(ctx)
    cli.flags = {"project": project, "region": region, "stack_outputs": stack_outputs, "ledger": ledger}
    cli.config_file = str(config_file) if config_file else None
    cli.debug = debug
    set_verbosity(-1 if quiet else 1 if verbose else 0)


def load(name: str) -> Any:
    """The Typer group or command function a registry entry names (imports its module)."""
    module, _, attribute = COMMANDS[name].target.partition(":")
    return getattr(importlib.import_module(module), attribute)


def build(names: Iterable[str] | None = None) -> typer.Typer:
    """The root Typer app with the named top-level commands (all of them when `names` is None)."""
    app = group(ABOUT)
    app.info.name = "tunectl"
    app.callback()(root_callback)
    for name in COMMANDS if names is None else names:
        target, entry = load(name), COMMANDS[name]
        if isinstance(target, typer.Typer):
            app.add_typer(target, name=name, help=entry.help, short_help=entry.help)
        else:
            app.command(name, short_help=entry.help)(target)
    return app


def click_command(app: typer.Typer) -> TyperGroup:
    """The Click group of `app`, with each command's help examples attached as its epilog."""
    from ops.commands.examples import epilog

    command = typer.main.get_command(app)
    assert isinstance(command, TyperGroup)
    for path, leaf in walk(command):
        if text := epilog(path):
            leaf.epilog = text
    return command


def walk(command: click_core.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[str, click_core.Command]]:
    """(`quota show`, command) for every leaf command below `command`."""
    if isinstance(command, TyperGroup):
        for name, sub in command.commands.items():
            yield from walk(sub, (*path, name))
    elif path:
        yield " ".join(path), command
