"""`tunectl plan`: steps, tokens, duration and cost of a tuning run, before it is launched."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ops.commands.common import FormatOption, one_reward_config
from ops.commands.dataset import BaseModelOption, CounterChoice, CounterOption, make_counter
from ops.commands.gate_options import (
    BatchSizeOption,
    MaxCostOption,
    MaxOutputTokensOption,
    MethodOption,
    RewardConfigOption,
    SamplesPerPromptOption,
)
from ops.errors import ExitStatus
from ops.output import OutputFormat, emit, note, warn
from ops.tuning.spec import Accelerator, Engine


def plan(
    ctx: typer.Context,
    train: Annotated[str, typer.Option("--train", help="training JSONL file or gs:// object")],
    engine: Annotated[Engine, typer.Option("--engine", help="gemini or rlhf-pipeline", case_sensitive=False)],
    validation: Annotated[
        str | None, typer.Option("--validation", help="validation JSONL (billed too)")
    ] = None,
    base_model: BaseModelOption = None,
    method: MethodOption = None,
    epochs: Annotated[int | None, typer.Option("--epochs", help="epochs to train")] = None,
    steps: Annotated[
        int | None, typer.Option("--steps", help="total steps (rlhf-pipeline, reinforcement)")
    ] = None,
    accelerator: Annotated[
        Accelerator | None,
        typer.Option("--accelerator", help="rlhf-pipeline: gpu (us-central1) or tpu (europe-west4)"),
    ] = None,
    counter: CounterOption = CounterChoice.estimate,
    reward_configs: RewardConfigOption = None,
    batch_size: BatchSizeOption = None,
    samples_per_prompt: SamplesPerPromptOption = None,
    max_output_tokens: MaxOutputTokensOption = None,
    max_cost: MaxCostOption = None,
    fmt: FormatOption = OutputFormat.text,
) -> None:
    """Plan a run: examples, billable tokens, batch size, steps, duration and cost, with every
    assumption's date and source. The dataset is validated first; an invalid one exits 1, and so
    does an estimate above --max-cost or one that cannot be compared with it. A reinforcement run
    is planned in steps of --batch-size prompts, each sampled --samples-per-prompt times (Google's
    defaults when not given); --reward-config checks the `references` keys the reward reads."""
    from ops.commands.common import get_settings
    from ops.planning.plan import plan_run
    from ops.planning.reinforcement import Knobs
    from ops.preflight.max_cost import judge_cost, parse_max_cost
    from ops.tuning.reinforcement import refuse_knobs_off_reinforcement, refuse_misplaced_reward
    from ops.tuning.rules import resolve_method

    method = resolve_method(engine, method)
    reward_config = one_reward_config(reward_configs)
    ceiling = parse_max_cost(max_cost)
    refuse_misplaced_reward(engine.value, method.value, reward_config, what="this plan would not use it")
    knobs = Knobs(batch_size, samples_per_prompt, max_output_tokens)
    refuse_knobs_off_reinforcement(method.value, knobs, what="this plan would not use it")
    _warn_about_model(engine, base_model)
    if base_model:
        from ops.tuning.rules import catalog_problem

        # What `tune launch` would refuse, plan refuses: an unknown Gemini model only warns (above),
        # as launch takes it with --allow-unknown-model.
        rule = catalog_problem(
            engine,
            base_model,
            method,
            get_settings(ctx).region,
            accelerator or Accelerator.tpu,  # the plan's default accelerator
            allow_unknown_model=True,
        )
        if rule is not None:
            raise rule.error()

    remote = train.startswith("gs://") or bool(validation and validation.startswith("gs://"))
    result = plan_run(
        engine=engine.value,
        train=train,
        validation=validation,
        base_model=base_model,
        epochs=epochs,
        steps=steps,
        accelerator=accelerator.value if accelerator else None,
        counter=make_counter(ctx, counter, base_model),
        settings=get_settings(ctx) if remote else None,
        method=method.value,
        knobs=knobs,
        reward_config=reward_config,
    )
    data = result.as_json()
    if ceiling is not None:
        cost = result.estimated_cost
        verdict = judge_cost(ceiling, cost.amount if cost else None, cost.currency if cost else None)
        data["max_cost"] = {"limit": str(ceiling), "status": verdict.status, "reason": verdict.reason}

    def render(console: Any) -> None:
        rows = [
            ("engine", data["engine"]),
            ("examples", f"{data['examples']:,}"),
            ("billable tokens", f"{data['billable_tokens']:,} per epoch (training + validation)"),
            ("batch size", data["batch_size"] if data["batch_size"] is not None else "chosen by Vertex AI"),
            ("steps per epoch", _steps_per_epoch(data)),
            ("total steps", data["total_steps"] if data["total_steps"] is not None else "-"),
            ("epochs", data["epochs"] if data["epochs"] is not None else "unknown"),
            *_reinforcement_rows(data.get("reinforcement")),
            ("estimated hours", data["estimated_hours"] or "unknown"),
            (
                "estimated cost",
                f"{data['estimated_cost']['amount']} {data['estimated_cost']['currency']}"
                if data["estimated_cost"]
                else "unknown",
            ),
        ]
        for name, value in rows:
            console.print(f"{name:>16}: {value}", markup=False, highlight=False)
        console.print("assumptions:", markup=False)
        for a in data["assumptions"]:
            dated = f" ({a['date']})" if a["date"] else ""
            console.print(
                f"  - {a['name']}: {a['value']}{dated} — source: {a['source']}", markup=False, highlight=False
            )

    emit(data, fmt, render)
    if ceiling is not None and data["max_cost"]["status"] != "ok":
        note(f"max cost: {data['max_cost']['reason']}")
        raise typer.Exit(int(ExitStatus.CHECK_FAILED))


def _steps_per_epoch(data: dict[str, Any]) -> Any:
    block = data.get("reinforcement")
    if block is not None:  # prompts / batch size, a fraction when the last batch is partial
        return block["steps_per_epoch"] or "unknown"
    return data["steps_per_epoch"] if data["steps_per_epoch"] is not None else "-"


def _reinforcement_rows(block: dict[str, Any] | None) -> list[tuple[str, Any]]:
    if block is None:
        return []

    def known(value: int | None) -> str:
        return f"{value:,}" if value is not None else "unknown"

    return [
        ("trained prompts", known(block["training_prompts"])),
        ("samples/prompt", block["samples_per_prompt"]),
        ("responses", f"{known(block['responses_sampled'])} sampled (steps x batch size x samples)"),
        (
            "generated tokens",
            f"at most {known(block['generated_tokens_max'])} "
            f"({block['max_output_tokens']:,} per response, thinking included)",
        ),
    ]


def _warn_about_model(engine: Engine, base_model: str | None) -> None:
    """A plan may price a model the catalog does not list (limits default); it says so."""
    if engine is not Engine.gemini or not base_model:
        return
    from ops.models.catalog import model_problem

    rule = model_problem(base_model)
    if rule is not None and rule.code == "model-unknown":  # a retired one is refused (catalog_problem)
        warn(f"{rule.message}; `tune launch` will refuse it ({rule.code})")
