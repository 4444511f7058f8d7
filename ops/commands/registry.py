"""The command table: every top-level `tunectl` command, where its Typer code lives, and its help line.

`ops/cli.py` reads this table to answer `tunectl --help` without importing Typer or any command
module, and imports only the module of the command that is named (`tunectl quota show` loads
`ops.commands.quota`, nothing else). Adding a group is one line here; tests/test_cli_dispatch.py checks
that each line's help is the group's own and that the root help printed from this table is exactly
what Click would print for the full Typer tree, so the two cannot drift.

Stdlib only: this module is imported on every start.
"""

from __future__ import annotations

from typing import NamedTuple


class Entry(NamedTuple):
    """`target` is `module:attribute`: a `typer.Typer` group, or a function registered as one command."""

    target: str
    help: str


# Order is the order of `tunectl --help`: single commands first, then groups, as Typer lists them.
COMMANDS: dict[str, Entry] = {
    "plan": Entry(
        "ops.commands.plan:plan", "Plan a run: tokens, steps, duration and cost, before launching."
    ),
    "preflight": Entry(
        "ops.commands.preflight:preflight", "Go/no-go before a launch: dataset, region, quota, budget, cost."
    ),
    "completion": Entry("ops.commands.completion:completion", "Print the shell completion script."),
    "dataset": Entry("ops.commands.dataset:app", "Validate, convert, split and describe tuning datasets."),
    "tune": Entry("ops.commands.tune:app", "Launch, watch, cancel, predict with and evaluate tuning runs."),
    "reward": Entry(
        "ops.commands.reward:app", "Test reinforcement tuning rewards on responses before a run."
    ),
    "quota": Entry("ops.commands.quota:app", "See, request and watch accelerator quota."),
    "cost": Entry("ops.commands.cost:app", "Reconcile billed cost per run and write finance reports."),
    "pricing": Entry("ops.commands.pricing:app", "Show and refresh the dated price table."),
    "schedules": Entry(
        "ops.commands.schedules:app",
        "See, check, pause and resume the stack's scheduled tuning runs (Cloud Scheduler).",
    ),
    "infra": Entry("ops.commands.infra:app", "Plan the Pulumi stack offline and check it against policy."),
    "config": Entry("ops.commands.config:app", "Inspect tunectl's settings."),
    "models": Entry(
        "ops.commands.models:app", "List the catalog of tunable models, and refresh it from Vertex AI."
    ),
}


class RootOption(NamedTuple):
    """A global flag. `value` is its metavar, or None for an on/off flag. Global flags are accepted
    before or after the subcommand, unless the command has an option of the same name: then the
    command's own meaning wins (`quota show --region` filters; `tunectl --region` sets the default)."""

    names: tuple[str, ...]
    value: str | None
    help: str


ROOT_OPTIONS: tuple[RootOption, ...] = (
    RootOption(("--project",), "<str>", "Google Cloud project id"),
    RootOption(("-r", "--region"), "<str>", "Vertex AI region, e.g. us-central1"),
    RootOption(("--stack-outputs",), "<path>", "`pulumi stack output --json` of the stack"),
    RootOption(("--ledger",), "<path>", "the local run ledger (SQLite)"),
    RootOption(("--config",), "<path>", "config file (default ~/.config/tunectl/config.toml)"),
    RootOption(("-q", "--quiet"), None, "no progress or notes on stderr"),
    RootOption(("-v", "--verbose"), None, "more detail on stderr (retries, settings)"),
    RootOption(("--debug",), None, "show tracebacks for errors"),
    RootOption(("--version",), None, "print the version"),
)

# Accepted before the subcommand and moved after it: it belongs to the command (`tunectl --format json
# quota show` is `tunectl quota show --format json`).
COMMAND_OPTIONS_AT_ROOT: tuple[str, ...] = ("--format",)

ABOUT = "Validate, plan, launch and account for LLM tuning runs on Vertex AI."
