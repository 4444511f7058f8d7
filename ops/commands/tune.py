"""`tunectl tune`: launch tuning runs on either engine, follow them, and judge the tuned model."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ops.commands.common import (
    DryRunOption,
    FormatOption,
    YesOption,
    confirm_or_refuse,
    get_settings,
    group,
    one_reward_config,
)
from ops.commands.filters import FilterOption, LimitOption
from ops.commands.gate_options import (
    AllowUnknownOption,
    BatchSizeOption,
    MaxCostOption,
    MaxOutputTokensOption,
    MethodOption,
    RewardConfigOption,
    SamplesPerPromptOption,
)
from ops.errors import ExitStatus, TunectlError
from ops.output import Column, OutputFormat, emit
from ops.tuning.spec import Accelerator, Engine

if TYPE_CHECKING:
    from rich.console import Console

    from ops.ledger import Ledger, RunRecord
    from ops.settings import Settings
    from ops.tuning.jobs import JobView
    from ops.tuning.launch import LaunchResult

app = group("Launch, watch, cancel, predict with and evaluate tuning runs.")


class ThinkingLevel(StrEnum):
    # The two levels Google's reinforcement tuning page offers (ops.tuning.reinforcement).
    minimal = "minimal"
    high = "high"


class ReportFormatChoice(StrEnum):
    text = "text"
    json = "json"
    yaml = "yaml"
    md = "md"


RunArgument = Annotated[
    str, typer.Argument(help="run id (or a unique prefix of it), or the job's resource name")
]
# A floor, not zero: a zero interval would hammer the API in a busy loop.
PollOption = Annotated[
    float,
    typer.Option(
        "--interval", "--poll-interval", help="seconds between status reads (at least 0.01)", min=0.01
    ),
]
RegionsOption = Annotated[
    list[str] | None,
    typer.Option("--region", "-r", help="region to search (repeatable); default: every region the runs use"),
]


def _ledger(settings: Settings, *, create: bool = True) -> Ledger:
    """The run ledger; commands that only read pass create=False so they never create one."""
    from ops.ledger import Ledger

    return Ledger(settings.ledger, create=create)


# --- launch ------------------------------------------------------------------------------------------


@app.command("launch")
def launch(
    ctx: typer.Context,
    train: Annotated[str, typer.Option("--train", help="training set: local JSONL path or gs:// URI")],
    engine: Annotated[Engine, typer.Option("--engine", help="gemini (managed) or rlhf-pipeline")],
    validation: Annotated[
        str | None,
        typer.Option("--validation", help="validation set (gemini) or evaluation set (rlhf-pipeline)"),
    ] = None,
    prompts: Annotated[
        str | None,
        typer.Option("--prompts", help="rlhf-pipeline prompt dataset; default: the training set's prompts"),
    ] = None,
    method: MethodOption = None,
    reward_configs: RewardConfigOption = None,
    base_model: Annotated[
        str | None,
        typer.Option("--base-model", help="gemini model id, or t5-small..t5-xxl for rlhf-pipeline"),
    ] = None,
    epochs: Annotated[
        int | None, typer.Option("--epochs", min=1, help="passes over the training set")
    ] = None,
    steps: Annotated[
        int | None, typer.Option("--steps", min=1, help="training steps (rlhf-pipeline, reinforcement)")
    ] = None,
    learning_rate_multiplier: Annotated[
        float | None, typer.Option("--learning-rate-multiplier", min=0.0)
    ] = None,
    adapter_size: Annotated[
        int | None, typer.Option("--adapter-size", help="gemini LoRA adapter size")
    ] = None,
    beta: Annotated[float | None, typer.Option("--beta", help="gemini preference tuning strength")] = None,
    kl_coeff: Annotated[float | None, typer.Option("--kl-coeff", help="rlhf-pipeline KL penalty")] = None,
    batch_size: BatchSizeOption = None,
    samples_per_prompt: SamplesPerPromptOption = None,
    thinking_level: Annotated[
        ThinkingLevel | None,
        typer.Option("--thinking-level", help="reinforcement, models with thinking levels (3.x)"),
    ] = None,
    thinking_budget: Annotated[
        int | None,
        typer.Option(
            "--thinking-budget", min=-1, help="reinforcement, 2.5 models: -1 dynamic, 0 off, N tokens"
        ),
    ] = None,
    max_output_tokens: MaxOutputTokensOption = None,
    evaluate_interval: Annotated[
        int | None, typer.Option("--evaluate-interval", min=1, help="reinforcement: steps between evals")
    ] = None,
    checkpoint_interval: Annotated[
        int | None,
        typer.Option("--checkpoint-interval", min=1, help="reinforcement: steps between checkpoints"),
    ] = None,
    reward_lr_multiplier: Annotated[
        float | None, typer.Option("--reward-learning-rate-multiplier", help="rlhf-pipeline reward model")
    ] = None,
    accelerator: Annotated[
        Accelerator | None,
        typer.Option("--accelerator", help="rlhf-pipeline: gpu (us-central1) or tpu (europe-west4)"),
    ] = None,
    region: Annotated[str | None, typer.Option("--region", help="Vertex AI region (gemini)")] = None,
    display_name: Annotated[
        str | None, typer.Option("--display-name", help="tuned model display name")
    ] = None,
    label: Annotated[list[str] | None, typer.Option("--label", help="KEY=VALUE label (repeatable)")] = None,
    kms_key: Annotated[
        str | None, typer.Option("--kms-key", help="CMEK key; default: the stack's, if any")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="launch again even if this exact run exists")
    ] = False,
    skip_preflight: Annotated[
        bool, typer.Option("--skip-preflight", help="do not run preflight first (printed and recorded)")
    ] = False,
    allow_unknown: AllowUnknownOption = None,
    max_cost: MaxCostOption = None,
    allow_unknown_model: Annotated[
        bool,
        typer.Option("--allow-unknown-model", help="launch a base model the catalog does not list"),
    ] = False,
    yes: YesOption = False,
    dry_run: DryRunOption = False,
    fmt: FormatOption = OutputFormat.text,
) -> None:
    """Validate, plan and preflight a tuning run, show them, ask, then upload and launch it.

    Idempotent: the same run is found, not launched twice. Anything but a go verdict stops before
    the upload (exit 1); --yes skips the question, which a script without a terminal must pass.
    """
    from ops.tuning.labels import parse_label_flags
    from ops.tuning.launch import launch as launch_run
    from ops.tuning.rules import resolve_method
    from ops.tuning.spec import Hyperparameters, LaunchRequest

    method = resolve_method(engine, method)
    reward_config = one_reward_config(reward_configs)
    if epochs is not None and steps is not None:
        raise TunectlError(
            "epochs-and-steps",
            "give --epochs or --steps, not both",
            where="--steps",
            hint="Gemini tuning counts epochs; the RLHF pipeline counts steps",
        )
    settings = get_settings(ctx)
    request = LaunchRequest(
        train=train,
        engine=engine,
        method=method,
        validation=validation,
        prompts=prompts,
        base_model=base_model,
        hyperparameters=Hyperparameters(
            epochs=epochs,
            steps=steps,
            learning_rate_multiplier=learning_rate_multiplier,
            adapter_size=adapter_size,
            beta=beta,
            reward_model_learning_rate_multiplier=reward_lr_multiplier,
            kl_coeff=kl_coeff,
            batch_size=batch_size,
            samples_per_prompt=samples_per_prompt,
            thinking_level=thinking_level.value if thinking_level else None,
            thinking_budget=thinking_budget,
            max_output_tokens=max_output_tokens,
            evaluate_interval=evaluate_interval,
            checkpoint_interval=checkpoint_interval,
        ),
        reward_config=reward_config,
        accelerator=accelerator,
        region=region,
        display_name=display_name,
        user_labels=parse_label_flags(label or []),
        kms_key=kms_key,
        force=force,
        dry_run=dry_run,
        skip_preflight=skip_preflight,
        allow_unknown=tuple(kind.value for kind in allow_unknown or ()),
        max_cost=max_cost,
        allow_unknown_model=allow_unknown_model,
    )

    def confirm(pending: LaunchResult) -> None:
        from ops.commands.launch_view import render_before_launch
        from ops.output import stderr_console

        render_before_launch(stderr_console(), pending)
        question = f"Launch run {pending.run_id} ({pending.engine}, {pending.region})?"
        if not confirm_or_refuse(question, yes=yes, what=f"launching run {pending.run_id}"):
            raise typer.Abort()  # nothing was uploaded or launched

    with _ledger(settings) as ledger:
        result = launch_run(settings, ledger, request, confirm)
    from ops.commands.launch_view import render_launch

    emit(result, fmt, lambda console: render_launch(console, result))


# --- list, status, sync ------------------------------------------------------------------------------


def _row(record: RunRecord, in_api: bool | None) -> dict[str, Any]:
    return {
        "run_id": record.run_id,
        "engine": record.engine,
        "state": record.state,
        "region": record.region,
        "base_model": record.base_model,
        "created_at": record.created_at,
        "job_name": record.job_name,
        "tuned_model": record.tuned_model,
        "endpoint": record.endpoint,
        "estimate": {"amount": record.estimate_amount, "currency": record.estimate_currency}
        if record.estimate_amount is not None
        else None,
        "seen_in_api": in_api,
        "schedule": record.schedule,  # the schedule whose firing created it (#19), else null
    }


# Run ids are what users copy into `tune status`, `wait` and `cancel`: never cut (ops.output.text_table).
RUN_COLUMNS = [
    Column("run_id", "run", id=True),
    Column("state", "state"),
    Column("engine", "engine"),
    Column("created", "created"),
    Column("estimate", "estimate"),
    Column("region", "region"),
    Column("base_model", "base model"),
    Column("schedule", "schedule"),
]


# The CSV header of `tune list`, also when no run is listed (`_row` then `_csv_row` give this order).
CSV_COLUMNS = (
    "run_id", "engine", "state", "region", "base_model", "created_at", "job_name", "tuned_model",
    "endpoint", "seen_in_api", "schedule", "estimate", "estimate_currency",
)  # fmt: skip


def _csv_row(row: dict[str, Any]) -> dict[str, Any]:
    """One flat CSV record per run (the estimate split in amount and currency)."""
    estimate = row["estimate"] or {}
    flat = {k: v for k, v in row.items() if k != "estimate"}
    return flat | {"estimate": estimate.get("amount"), "estimate_currency": estimate.get("currency")}


@app.command("list")
def list_runs(
    ctx: typer.Context,
    region: RegionsOption = None,
    local: Annotated[bool, typer.Option("--local", help="show the ledger only; call no API")] = False,
    where: FilterOption = None,
    limit: LimitOption = None,
    fmt: FormatOption = OutputFormat.text,
) -> None:
    """Runs from the ledger, refreshed with what the API reports for jobs carrying our label."""
    from ops.commands.filters import parse_filter, select
    from ops.tuning.runs import list_jobs, record_from_job, search_regions

    if where:
        parse_filter(where)  # a bad filter is a usage error before any API call
    settings = get_settings(ctx)
    with _ledger(settings, create=False) as ledger:
        seen: set[str] = set()
        if not local:
            for job in list_jobs(settings, search_regions(settings, ledger, region or ())):
                assert job.run_id
                ledger.merge(record_from_job(job))
                seen.add(job.run_id)
        rows = [_row(r, None if local else r.run_id in seen) for r in ledger.runs()]
        no_ledger = ledger.missing
    rows = select(rows, where, limit)

    def render(console: Console) -> None:
        from ops.output import text_table

        if not rows:
            console.print(
                "no run matches the filter"
                if where
                else (f"no ledger at {settings.ledger} yet: " if no_ledger else "")
                + "no runs yet (`tunectl tune launch` starts one; `tunectl tune sync` finds existing ones)",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )
            return
        table = []
        for row in rows:
            estimate = row["estimate"]
            # The API's enum prefix says nothing a reader needs (json/csv keep the full value).
            state = (row["state"] or "-").removeprefix("JOB_STATE_").removeprefix("PIPELINE_STATE_")
            if row["seen_in_api"] is False:
                state += " (not found in the API)"
            table.append(
                row
                | {
                    "state": state,
                    "created": (row["created_at"] or "-")[:19],
                    "estimate": f"{estimate['amount']} {estimate['currency']}" if estimate else "-",
                }
            )
        console.out(text_table(RUN_COLUMNS, table, console.width), end="", highlight=False)

    if no_ledger and fmt != OutputFormat.text:
        from ops.output import note

        note(f"no ledger at {settings.ledger} yet")  # text says it in its own output
    emit({"runs": rows}, fmt, render, rows=[_csv_row(r) for r in rows], columns=CSV_COLUMNS)


def _status_data(record: RunRecord, job: JobView) -> dict[str, Any]:
    from ops.tuning.watch import console_url, timeline

    return {
        "run_id": record.run_id,
        "engine": job.engine,
        "job_name": job.name,
        "console_url": console_url(job.name),
        "timeline": [{"event": event, "time": time} for event, time in timeline(job)],
        "state": job.state,
        "region": record.region,
        "base_model": job.base_model or record.base_model,
        "create_time": job.create_time,
        "start_time": job.start_time,
        "end_time": job.end_time,
        "error": job.error,
        "tuned_model": job.tuned_model,
        "endpoint": job.endpoint,
        "billing_ids": record.billing_ids,
        "labels": job.labels,
        "tuning_data_stats": job.stats,
        "training": job.metrics,
        "preflight": record.preflight or None,  # how the launch passed its gate, as recorded
        "estimate": {
            "amount": record.estimate_amount,
            "currency": record.estimate_currency,
            "price_table_id": record.price_table_id,
        }
        if record.estimate_amount is not None
        else None,
    }


def _refresh(settings: Settings, ledger: Ledger, ref: str) -> tuple[RunRecord, Any, JobView]:
    from ops.tuning.runs import job_for, record_from_job, resolve_run

    record = resolve_run(settings, ledger, ref)
    backend, job = job_for(settings, record)
    if job.run_id:
        record = ledger.merge(record_from_job(job))
    return record, backend, job


def _render_stats(console: Console, job: JobView) -> None:
    from rich.table import Table

    from ops.tuning.watch import stat_rows

    rows = stat_rows(job.stats)
    if rows:
        table = Table("tuning data statistic", "value", title="data stats (reported by Vertex AI)")
        for name, value in rows:
            table.add_row(name, value)
        console.print(table)
    training = job.metrics
    if training.get("experiment"):
        console.print(
            f"{'experiment':>12}: {training['experiment']} "
            "(per-step training metrics, in Vertex AI Experiments)",
            highlight=False,
            soft_wrap=True,
        )
    if training.get("metrics_uri"):
        console.print(f"{'metrics':>12}: {training['metrics_uri']}", highlight=False, soft_wrap=True)
    if training.get("checkpoints"):
        table = Table("checkpoint", "epoch", "step", title="checkpoints")
        for point in training["checkpoints"]:
            table.add_row(str(point["checkpoint_id"]), str(point["epoch"]), str(point["step"]))
        console.print(table)


@app.command("status")
def status(ctx: typer.Context, run: RunArgument, fmt: FormatOption = OutputFormat.text) -> None:
    """State, console link, timeline, tuning data stats, tuned model and endpoint, and the error."""
    settings = get_settings(ctx)
    with _ledger(settings, create=False) as ledger:
        record, _backend, job = _refresh(settings, ledger, run)
    data = _status_data(record, job)

    def render(console: Console) -> None:
        for key in (
            "run_id",
            "engine",
            "job_name",
            "state",
            "region",
            "base_model",
            "create_time",
            "start_time",
            "end_time",
            "error",
            "tuned_model",
            "endpoint",
        ):
            if data[key]:
                console.print(f"{key.replace('_', ' '):>12}: {data[key]}", highlight=False)
        if data["billing_ids"]:
            console.print(f"{'billing ids':>12}: {', '.join(data['billing_ids'])}", highlight=False)
        if data["estimate"]:
            console.print(f"{'estimate':>12}: {data['estimate']['amount']} {data['estimate']['currency']}")
        if data["preflight"]:
            gate = data["preflight"]
            line = "skipped (--skip-preflight)" if gate.get("skipped") else gate.get("verdict", "?")
            if gate.get("waived"):
                line += f"; waived: {', '.join(gate['waived'])}"
            console.print(f"{'preflight':>12}: {line}", highlight=False)
        if data["console_url"]:
            console.print(f"{'console':>12}: {data['console_url']}", highlight=False, soft_wrap=True)
        for item in data["timeline"]:
            console.print(f"{'timeline':>12}: {item['time']}  {item['event']}", highlight=False)
        _render_stats(console, job)

    emit(data, fmt, render)


@app.command("sync")
def sync(ctx: typer.Context, region: RegionsOption = None, fmt: FormatOption = OutputFormat.text) -> None:
    """Rebuild or refresh the ledger from the API: every job labelled tunectl-run-id or created by a
    schedule (tunectl-schedule)."""
    from ops.tuning.runs import search_regions
    from ops.tuning.runs import sync as sync_ledger

    settings = get_settings(ctx)
    with _ledger(settings) as ledger:
        report = sync_ledger(settings, ledger, search_regions(settings, ledger, region or ()))

    def render(console: Console) -> None:
        console.print(
            f"found {report.found} job(s) labelled tunectl-run-id or tunectl-schedule: "
            f"{len(report.added)} added to the ledger, "
            f"{len(report.updated)} refreshed ({settings.ledger})"
        )

    emit(report, fmt, render)


# --- wait, cancel ------------------------------------------------------------------------------------


def _elapsed(start: str | None) -> str:
    from datetime import UTC, datetime

    if not start:
        return "-"
    seconds = int((datetime.now(UTC) - datetime.fromisoformat(start)).total_seconds())
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m{seconds % 60:02d}s"


@app.command("wait")
def wait(
    ctx: typer.Context,
    run: RunArgument,
    poll_interval: PollOption = 30.0,
    timeout: Annotated[
        float | None, typer.Option("--timeout", help="give up after this many seconds (exit 1)", min=0.0)
    ] = None,
    cancel_on_timeout: Annotated[
        bool,
        typer.Option("--cancel-on-timeout", help="cancel the job when --timeout passes (it stops billing)"),
    ] = False,
    fmt: FormatOption = OutputFormat.text,
) -> None:
    """Follow a run until it ends: exit 0 when it succeeded, 1 when it failed or was cancelled.

    Ctrl-C stops waiting and leaves the job running; so does --timeout, unless --cancel-on-timeout."""
    from ops.output import note, stderr_console
    from ops.tuning.runs import poll, record_from_job

    if cancel_on_timeout and timeout is None:
        raise TunectlError(
            "cancel-on-timeout-needs-timeout",
            "--cancel-on-timeout needs --timeout",
            where="--timeout",
            hint="e.g. --timeout 7200 --cancel-on-timeout",
        )
    settings = get_settings(ctx)
    with _ledger(settings, create=False) as ledger:
        record, backend, job = _refresh(settings, ledger, run)
        console = stderr_console()
        last_state: list[str] = []
        from ops.tuning.watch import console_url

        if url := console_url(job.name):
            note(f"{record.run_id}: follow it in the console: {url}")

        seen_stats: list[dict[str, Any]] = [{}]  # stats already there are shown once too

        def show(current: JobView) -> None:
            if not last_state or last_state[-1] != current.state:
                note(f"{record.run_id}: {current.state} (elapsed {_elapsed(current.create_time)})")
                last_state.append(current.state)
            if current.stats and current.stats != seen_stats[-1]:
                from ops.tuning.watch import stat_rows

                rows = stat_rows(current.stats)
                shown = "; ".join(f"{name.rsplit('.', 1)[-1]} {value}" for name, value in rows[:4])
                note(
                    f"{record.run_id}: data stats {shown}"
                    + (f" (+{len(rows) - 4} more)" if len(rows) > 4 else "")
                )
                seen_stats.append(current.stats)
            status_line.update(f"{record.run_id}: {current.state}, elapsed {_elapsed(current.create_time)}")

        try:
            with console.status(f"{record.run_id}: {job.state}") as status_line:
                job = poll(
                    lambda: backend.get(job.name),
                    until=lambda j: j.terminal,
                    interval=poll_interval,
                    on_update=show,
                    timeout=timeout,
                )
        except KeyboardInterrupt:
            note(
                f"stopped waiting; the job keeps running: {job.name}\n"
                f"`tunectl tune wait {record.run_id}` resumes"
            )
            raise typer.Exit(int(ExitStatus.INTERRUPTED)) from None
        cancelled = False
        if cancel_on_timeout and not job.terminal:
            note(f"{record.run_id}: still {job.state} after {timeout:g} s; cancelling {job.name}")
            backend.cancel(job.name)
            job = backend.get(job.name)
            cancelled = True
        if job.run_id:
            record = ledger.merge(record_from_job(job))
    data = _status_data(record, job) | {"cancelled_at_timeout": cancelled}

    def render(out: Console) -> None:
        line = (
            f"run {record.run_id} ended {job.state}"
            if job.terminal
            else f"run {record.run_id} still {job.state} at the timeout"
        )
        out.print(line + (f": {job.error}" if job.error else ""), highlight=False)
        if job.tuned_model:
            out.print(f"tuned model: {job.tuned_model}\nendpoint: {job.endpoint}", highlight=False)

    emit(data, fmt, render)
    if not job.succeeded:
        raise typer.Exit(int(ExitStatus.CHECK_FAILED))


@app.command("cancel")
def cancel(
    ctx: typer.Context,
    run: RunArgument,
    yes: YesOption = False,
    poll_interval: PollOption = 5.0,
    timeout: Annotated[
        float, typer.Option("--timeout", help="seconds to wait for CANCELLED", min=0.0)
    ] = 600.0,
    dry_run: DryRunOption = False,
    fmt: FormatOption = OutputFormat.text,
) -> None:
    """Cancel a run (after confirmation), then wait until the API reports it CANCELLED."""
    from ops.clients import vertex_host
    from ops.output import note
    from ops.tuning.runs import poll, record_from_job, region_of

    settings = get_settings(ctx)
    with _ledger(settings) as ledger:
        record, backend, job = _refresh(settings, ledger, run)
        if job.terminal:
            if job.state == "CANCELLED":
                note(f"run {record.run_id} is already CANCELLED")
            else:
                raise TunectlError(
                    "job-already-finished",
                    f"run {record.run_id} already ended {job.state}; there is nothing to cancel",
                    hint=f"`tunectl tune status {record.run_id}` shows how it ended",
                    status=ExitStatus.CHECK_FAILED,
                )
        elif dry_run:
            url = f"https://{vertex_host(region_of(job.name) or settings.region)}/v1/{job.name}:cancel"
            request = {
                "dry_run": True,
                "run_id": record.run_id,
                "state": job.state,
                "method": "POST",
                "url": url,
            }
            emit(request, fmt, lambda console: console.print(f"dry run: nothing was sent.\nPOST {url}"))
            return
        else:
            question = f"Cancel run {record.run_id} ({job.name}, {job.state})?"
            if not confirm_or_refuse(question, yes=yes, what=f"cancelling {job.name}"):
                raise typer.Abort()
            try:
                backend.cancel(job.name)
            except TunectlError as exc:
                # A retried cancel whose first attempt got through is refused (400, the job is already
                # CANCELLING); the job's state is what counts.
                if backend.get(job.name).state not in {"CANCELLING", "CANCELLED"}:
                    raise exc from None
            note(f"cancel requested for {job.name}; waiting for CANCELLED")
            job = poll(
                lambda: backend.get(job.name),
                until=lambda j: j.terminal,
                interval=poll_interval,
                timeout=timeout,
            )
        if job.run_id:
            record = ledger.merge(record_from_job(job))
    data = _status_data(record, job)
    emit(data, fmt, lambda console: console.print(f"run {record.run_id}: {job.state}", highlight=False))
    if job.state != "CANCELLED":
        raise TunectlError(
            "cancel-not-confirmed",
            f"run {record.run_id} is {job.state}, not CANCELLED, after {timeout:g} s",
            hint=f"`tunectl tune status {record.run_id}` shows where it is",
            status=ExitStatus.CHECK_FAILED,
        )


# --- predict, evaluate -------------------------------------------------------------------------------


def _tuned_target(settings: Settings, ref: str) -> tuple[RunRecord, str]:
    with _ledger(settings, create=False) as ledger:
        record, _backend, job = _refresh(settings, ledger, ref)
    if record.engine != "gemini":
        raise TunectlError(
            "predict-not-supported",
            "predict and evaluate call Gemini's generateContent; rlhf-pipeline models are served by a "
            "Vertex AI endpoint with its own prediction schema",
            hint=f"the run's endpoint is {job.endpoint or 'not known yet'}",
        )
    if not job.endpoint:
        raise TunectlError(
            "endpoint-missing",
            f"run {record.run_id} has no tuned endpoint (state {job.state})",
            hint=f"wait for it: `tunectl tune wait {record.run_id}`",
            status=ExitStatus.CHECK_FAILED,
        )
    return record, job.endpoint


@app.command("predict")
def predict(
    ctx: typer.Context,
    run: RunArgument,
    prompt: Annotated[list[str] | None, typer.Option("--prompt", help="prompt text (repeatable)")] = None,
    input_path: Annotated[
        Path | None, typer.Option("--input", help="JSONL of prompts (article or Gemini style)")
    ] = None,
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, max=32, help="requests in flight")] = 4,
    fmt: FormatOption = OutputFormat.text,
) -> None:
    """Ask the tuned model (generateContent on its endpoint) and print the answers."""
    from ops.clients import genai_client
    from ops.output import counting
    from ops.tuning.generate import generate, prompt_from_text, read_prompts

    if bool(prompt) == bool(input_path):
        raise TunectlError(
            "predict-input",
            "give --prompt TEXT or --input PATH (one of them)",
            where="--prompt",
            hint='e.g. --prompt "Is it going to rain?" or --input prompts.jsonl',
        )
    settings = get_settings(ctx)
    record, endpoint = _tuned_target(settings, run)
    prompts = [prompt_from_text(p) for p in prompt or []] if prompt else read_prompts(Path(str(input_path)))
    client = genai_client(settings, record.region or settings.region)
    with counting(f"asking {record.run_id}", len(prompts)) as done:
        answers = generate(client, endpoint, prompts, concurrency=concurrency, on_done=done)
    data: dict[str, Any] = {
        "run_id": record.run_id,
        "endpoint": endpoint,
        "answers": [{"prompt": p.text, "answer": a} for p, a in zip(prompts, answers, strict=True)],
    }

    def render(console: Console) -> None:
        for item in data["answers"]:
            console.print(f"[bold]>[/bold] {item['prompt']}\n{item['answer']}\n", highlight=False)

    emit(data, fmt, render)


@app.command("evaluate")
def evaluate(
    ctx: typer.Context,
    run: RunArgument,
    eval_path: Annotated[Path, typer.Option("--eval", help="evaluation set with reference answers (JSONL)")],
    against_base: Annotated[bool, typer.Option("--against-base", help="also score the base model")] = False,
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, max=32, help="requests in flight")] = 4,
    fmt: Annotated[
        ReportFormatChoice,
        typer.Option("--format", "-f", help="text, json, yaml or md", case_sensitive=False),
    ] = ReportFormatChoice.text,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="write the report here (atomically)")
    ] = None,
) -> None:
    """Score the tuned model on an evaluation set: exact match, BLEU, ROUGE, and per-class P/R/F1."""
    import json

    from ops.atomic import atomic_write_text
    from ops.clients import genai_client
    from ops.output import counting, note, stdout_console, to_jsonable
    from ops.tuning.evaluate import EvalReport, Sample, render_markdown, render_text
    from ops.tuning.generate import generate, read_prompts
    from ops.tuning.metrics import compute_metrics

    settings = get_settings(ctx)
    record, endpoint = _tuned_target(settings, run)
    prompts = [p for p in read_prompts(eval_path) if p.reference is not None]
    if not prompts:
        raise TunectlError(
            "eval-set-empty",
            "the evaluation set has no examples with a reference answer",
            where=str(eval_path),
            hint="each line needs the expected answer: `output_text`, or a final model turn",
        )
    references = [str(p.reference) for p in prompts]
    client = genai_client(settings, record.region or settings.region)
    with counting(f"evaluating {record.run_id}", len(prompts)) as done:
        tuned = generate(client, endpoint, prompts, concurrency=concurrency, on_done=done)
    base = None
    if against_base:
        if not record.base_model:
            raise TunectlError(
                "base-model-unknown",
                f"run {record.run_id} does not record its base model",
                where="--against-base",
                hint="`tunectl tune sync` refreshes the ledger from the job; or drop --against-base",
            )
        with counting(f"evaluating {record.base_model}", len(prompts)) as done:
            base = generate(client, record.base_model, prompts, concurrency=concurrency, on_done=done)
    report = EvalReport(
        run_id=record.run_id,
        eval_path=str(eval_path),
        tuned_model=endpoint,
        base_model=record.base_model if against_base else None,
        tuned=compute_metrics(tuned, references),
        base=compute_metrics(base, references) if base is not None else None,
        samples=[
            Sample(p.text, r, t, base[i] if base else None)
            for i, (p, r, t) in enumerate(zip(prompts, references, tuned, strict=True))
        ][:5],
    )
    if fmt is ReportFormatChoice.md:
        text = render_markdown(report)
    elif fmt is ReportFormatChoice.json:
        text = json.dumps(to_jsonable(report), indent=2, ensure_ascii=False) + "\n"
    elif fmt is ReportFormatChoice.yaml:
        import yaml

        text = yaml.safe_dump(to_jsonable(report), sort_keys=False, allow_unicode=True)
    else:
        text = None
    if output is not None:
        if text is None:
            text = render_markdown(report)  # a text report written to a file reads best as markdown
        atomic_write_text(output, text)
        note(f"wrote {output}")
        return
    if text is not None:
        sys.stdout.write(text)
    else:
        render_text(report, stdout_console())
