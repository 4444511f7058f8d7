"""`tunectl preflight`: go/no-go for a tuning run before any money is spent."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ops.commands.common import FormatOption, get_settings, one_reward_config
from ops.commands.gate_options import (
    AllowUnknownOption,
    BatchSizeOption,
    MaxCostOption,
    MaxOutputTokensOption,
    MethodOption,
    RewardConfigOption,
    SamplesPerPromptOption,
)
from ops.errors import ExitStatus
from ops.output import OutputFormat, emit
from ops.tuning.spec import Accelerator, Engine

if TYPE_CHECKING:
    from rich.console import Console

    from ops.preflight.gate import PreflightReport


def _render(console: Console, report: PreflightReport) -> None:
    where = f"project {report.project or '(none: offline)'}, {report.region}"
    render_checks(console, report, title=f"preflight: {report.engine} in {where}")
    render_verdict(console, report)


STATUS_MARKS = {"ok": "[green]ok[/green]", "no": "[red]no[/red]", "unknown": "[yellow]unknown[/yellow]"}


def render_check_lines(console: Console, title: str, checks: list[tuple[str, str, str]]) -> None:
    """Checks as lines, not a table: a check's name and reason hold dataset URIs, quota and model
    names that must stay whole to be copied (a table column cuts them to fit). Each check is its
    status and name on one line, then its reason wrapped between words, indented below."""
    from ops.output import wrapped

    console.print(f"[bold]{title}[/bold]", highlight=False)
    for status, name, reason in checks:
        mark = STATUS_MARKS.get(status, status)
        console.print(f"  {mark}{' ' * (9 - len(status))}{name}", highlight=False, soft_wrap=True)
        if reason:
            console.print(
                wrapped(reason, console.width, indent=" " * 11, hang=""),
                highlight=False,
                markup=False,
                soft_wrap=True,
            )


def render_checks(console: Console, report: PreflightReport, *, title: str) -> None:
    """One entry per check (shared with `tune launch`): a waived unknown says so."""
    waived = {check.name for check in report.waived_checks}
    render_check_lines(
        console,
        title,
        [
            (check.status.value, check.name + (" (waived)" if check.name in waived else ""), check.reason)
            for check in report.checks
        ],
    )


VERDICT_COLOURS = {"go": "green", "no-go": "red", "unknown": "yellow"}


def render_verdict(console: Console, report: PreflightReport) -> None:
    """The verdict line, what keeps it from go, and what was waived (shared with `tune launch`)."""
    verdict = report.verdict.value
    console.print(f"verdict: [{VERDICT_COLOURS[verdict]}]{verdict}[/{VERDICT_COLOURS[verdict]}]")
    for check in report.waived_checks:
        console.print(f"  waived with --allow-unknown {check.kind}: {check.name}", highlight=False)
    if verdict == "unknown":
        names = ", ".join(c.name for c in report.unknown)
        waivable = sorted({c.kind for c in report.unknown if c.kind})
        console.print(
            f"  not a go: {names} could not be checked"
            + (f" (waive on purpose with --allow-unknown {' / '.join(waivable)})" if waivable else ""),
            highlight=False,
        )


def preflight(
    ctx: typer.Context,
    train: Annotated[str, typer.Option("--train", help="training dataset: local JSONL or gs:// URI")],
    engine: Annotated[Engine, typer.Option("--engine", help="gemini or rlhf-pipeline", case_sensitive=False)],
    validation: Annotated[str | None, typer.Option("--validation", help="validation dataset")] = None,
    accelerator: Annotated[
        Accelerator | None,
        typer.Option("--accelerator", help="rlhf-pipeline: tpu (europe-west4, default) or gpu (us-central1)"),
    ] = None,
    region: Annotated[
        str | None, typer.Option("--region", help="gemini: tuning region (default: the region setting)")
    ] = None,
    base_model: Annotated[
        str | None,
        typer.Option(
            "--base-model",
            help="base model, e.g. gemini-3.5-flash or t5-large (`tunectl models list`); "
            "without it the model check is unknown",
        ),
    ] = None,
    epochs: Annotated[
        int | None, typer.Option("--epochs", help="epochs to train (the plan's default: 1)", min=1)
    ] = None,
    steps: Annotated[
        int | None, typer.Option("--steps", help="total steps (rlhf-pipeline, reinforcement)", min=1)
    ] = None,
    method: MethodOption = None,
    reward_configs: RewardConfigOption = None,
    batch_size: BatchSizeOption = None,
    samples_per_prompt: SamplesPerPromptOption = None,
    max_output_tokens: MaxOutputTokensOption = None,
    allow_unknown: AllowUnknownOption = None,
    max_cost: MaxCostOption = None,
    fmt: FormatOption = OutputFormat.text,
) -> None:
    """Go/no-go: model, dataset, region and residency, quota, budget headroom and cost, each ok, no or
    unknown.

    Verdict go (exit 0) only when every check is ok; no-go (exit 1) when any says no; unknown (exit 1)
    when one could not be checked. Without a project, quota and budget are unknown (with the reason)
    and the model, dataset, region and cost are still checked. A reinforcement run is checked with its
    --reward-config (the file, and the `references` keys it reads in every example); without one the
    reward line is unknown.
    """
    from ops.planning.reinforcement import Knobs
    from ops.preflight.gate import run_preflight
    from ops.preflight.max_cost import parse_max_cost
    from ops.tuning.reinforcement import refuse_knobs_off_reinforcement
    from ops.tuning.rules import resolve_method

    method = resolve_method(engine, method)
    reward_config = one_reward_config(reward_configs)
    knobs = Knobs(batch_size, samples_per_prompt, max_output_tokens)
    refuse_knobs_off_reinforcement(method.value, knobs, what="this preflight would not use it")
    report = run_preflight(
        get_settings(ctx),
        train=train,
        validation=validation,
        engine=engine.value,
        accelerator=accelerator.value if accelerator else None,
        region=region,
        base_model=base_model,
        epochs=epochs,
        steps=steps,
        method=method.value,
        reward_config=reward_config,
        knobs=knobs,
        allow_unknown=[kind.value for kind in allow_unknown or ()],
        max_cost=parse_max_cost(max_cost),
    )
    emit(report.as_dict(), fmt, lambda console: _render(console, report))
    if not report.go:
        raise typer.Exit(int(ExitStatus.CHECK_FAILED))
