"""`tunectl completion SHELL`: the script that makes the shell complete tunectl's commands and options.

The script calls `tunectl` back with `_TUNECTL_COMPLETE` set; ops/cli.py answers from the whole
command tree (Typer's completion classes over Click's shell completion).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer


class Shell(StrEnum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"


def completion(
    shell: Annotated[Shell, typer.Argument(help="bash, zsh or fish", case_sensitive=False)],
) -> None:
    """Print the shell completion script: `eval "$(tunectl completion bash)"` in ~/.bashrc, the same
    with zsh in ~/.zshrc, or `tunectl completion fish > ~/.config/fish/completions/tunectl.fish`."""
    from typer._completion_shared import get_completion_script

    from ops.cli import COMPLETE_VAR

    typer.echo(get_completion_script(prog_name="tunectl", complete_var=COMPLETE_VAR, shell=shell.value))
