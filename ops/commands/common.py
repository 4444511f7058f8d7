"""Options and helpers every command shares."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from ops.errors import TunectlError
from ops.output import OutputFormat

if TYPE_CHECKING:
    from ops.settings import Settings

T = TypeVar("T")

FormatOption = Annotated[
    OutputFormat,
    typer.Option(
        "--format", "-f", help="text for people; json, yaml or csv (tables) for scripts", case_sensitive=False
    ),
]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="print the exact request that would be sent, and send nothing")
]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help="do not ask for confirmation")]


def group(help: str) -> typer.Typer:
    """A command group with tunectl's conventions. Plain help formatting: Typer's Rich help costs
    ~0.3 s of start-up, which would break the `tunectl --help` budget (benchmarks/cli_startup.py)."""
    return typer.Typer(
        help=help,
        no_args_is_help=True,
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
        add_completion=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )


@dataclass
class CliState:
    """What the root callback collects; settings are resolved on first use, not at start-up."""

    flags: dict[str, Any] = field(default_factory=dict)
    config_file: str | None = None
    debug: bool = False
    _settings: Settings | None = None

    def settings(self) -> Settings:
        if self._settings is None:
            from ops.settings import resolve_settings  # pydantic costs ~0.1 s: not at start-up

            self._settings = resolve_settings(self.flags, config_file=self.config_file)
            from ops.output import detail

            for name, source in self._settings.sources.items():
                if source != "default":
                    detail(f"setting {name} from {source}")
        return self._settings


def state(ctx: typer.Context) -> CliState:
    root = ctx.find_root()
    if not isinstance(root.obj, CliState):
        root.obj = CliState()
    return root.obj


def get_settings(ctx: typer.Context) -> Settings:
    return state(ctx).settings()


def not_available(group: str) -> TunectlError:
    return TunectlError(
        "not-available-yet",
        f"`tunectl {group}` is not available yet",
        hint="see the project's issues for its status",
    )


def interactive() -> bool:
    """Is there a person at a terminal to answer a question?"""
    import sys

    return sys.stdin.isatty()


def confirm_or_refuse(question: str, *, yes: bool, what: str) -> bool:
    """Ask before changing the cloud. `--yes` skips the question; with no terminal to ask on (a
    script, a pipe, CI) and no `--yes`, refuse: never read end-of-input as an answer."""
    if yes:
        return True
    if not interactive():
        raise TunectlError(
            "confirmation-needed",
            f"{what} needs confirmation, and there is no terminal to ask on",
            hint="pass --yes to go ahead without asking",
        )
    return bool(typer.confirm(question, err=True))


def one_reward_config(values: Sequence[T] | None) -> T | None:
    """The one --reward-config given, or None. Given twice, which reward would the run use? Refused."""
    if not values:
        return None
    if len(values) > 1:
        raise TunectlError(
            "option-repeated",
            f"--reward-config is given {len(values)} times ({', '.join(map(str, values))}); "
            "a run has one reward",
            where="--reward-config",
            hint="give it once; several rewards go in one file, under `compositeRewardConfig`",
        )
    return values[0]
