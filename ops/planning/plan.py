"""`plan_run`: what a tuning run will do and cost, before anything is launched.

gemini: Google bills training tokens, i.e. the dataset's tokens (training + validation) x epochs, at
the base model's price per 1M tokens. Google picks the batch size, so steps are not planned.
Reinforcement tuning (Pre-GA) is planned in steps of batchSize prompts, each sampled samplesPerPrompt
times (`ops.planning.reinforcement`, Google's hyperparameters page). Google bills the tokens of its
training phase at the Model Tuning rate, but nothing says how many a run generates: its cost is
unknown, said so.

rlhf-pipeline: batch size by accelerator (BATCH_SOURCE: GPU/us-central1 8, TPU/europe-west4 24),
steps per epoch = ceil(examples / batch size), total steps from --epochs or --steps. Duration uses
one calibration point, the article's run: 300 steps took about 2h15m on the TPU pod, i.e.
0.0075 hours (27 s) per step; cost = hours x the accelerator's hourly price. The GPU configuration
has no calibration point yet, so its duration and cost are reported as unknown rather than guessed.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from ops.errors import ExitStatus, TunectlError
from ops.planning.prices import PriceEntry, PriceTable, load_price_table
from ops.planning.reinforcement import Knobs, schedule

if TYPE_CHECKING:
    from ops.datasets.tokens import TokenCounter
    from ops.datasets.validate import FileReport
    from ops.settings import Settings

ENGINES = ("gemini", "rlhf-pipeline")
BATCH_SIZE = {"gpu": 8, "tpu": 24}
REGION = {"gpu": "us-central1", "tpu": "europe-west4"}
BATCH_SOURCE = (
    "Vertex AI RLHF tuning page, https://cloud.google.com/vertex-ai/generative-ai/docs/models/"
    "tune-text-models-rlhf (read 2026-11-27): GPU 8x A100 80GB batch 8, TPU v3 pod batch 24"
)
# The article's run: 300 steps in ~2h15m on the TPU v3 pod.
CALIBRATION = {"tpu": (300, Decimal("2.25"))}
CALIBRATION_SOURCE = "the seed article: a 300-step RLHF run took about 2h15m on a TPU v3 pod"
TODAY_SOURCE_DATE = "2026-11-27"


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class Assumption:
    name: str
    value: str
    date: str | None
    source: str


@dataclass
class Plan:
    engine: str
    examples: int
    billable_tokens: int
    batch_size: int | None
    steps_per_epoch: int | None
    total_steps: int | None
    epochs: Decimal | None  # None: not known before the run (a reinforcement split leaving none)
    estimated_hours: Decimal | None
    estimated_cost: Money | None
    assumptions: list[Assumption] = field(default_factory=list)
    # Reinforcement runs only: prompts trained on, samples per prompt, responses and generated tokens.
    reinforcement: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        """The JSON shape of `tunectl plan --format json` (decimals as strings)."""
        epochs: int | str | None = None
        if self.epochs is not None:
            integral = self.epochs == self.epochs.to_integral()
            epochs = int(self.epochs) if integral else str(self.epochs)
        extra = {"reinforcement": self.reinforcement} if self.reinforcement is not None else {}
        return {
            "engine": self.engine,
            "examples": self.examples,
            "billable_tokens": self.billable_tokens,
            "batch_size": self.batch_size,
            "steps_per_epoch": self.steps_per_epoch,
            "total_steps": self.total_steps,
            "epochs": epochs,
            "estimated_hours": None if self.estimated_hours is None else str(self.estimated_hours),
            "estimated_cost": None
            if self.estimated_cost is None
            else {"amount": str(self.estimated_cost.amount), "currency": self.estimated_cost.currency},
            "assumptions": [a.__dict__ for a in self.assumptions],
            **extra,
        }


def _price_assumption(entry: PriceEntry) -> Assumption:
    price = "unknown" if entry.price is None else f"{entry.price} {entry.currency} per {entry.unit}"
    confirmed = "" if entry.confirmed or "unconfirmed" in entry.source else " [unconfirmed]"
    return Assumption(
        f"price {entry.id}", price, entry.date, f"{entry.source} (table {entry.table}){confirmed}"
    )


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def plan_from_counts(
    *,
    engine: str,
    examples: int,
    billable_tokens: int,
    base_model: str | None = None,
    epochs: int | None = None,
    steps: int | None = None,
    accelerator: str | None = None,
    prices: PriceTable | None = None,
    token_counter: str = "offline-estimate",
    method: str = "supervised",
    knobs: Knobs | None = None,
    validation_given: bool = False,
    multimodal: bool = False,
) -> Plan:
    """The plan for a dataset already counted (examples, billable training+validation tokens).
    Reinforcement runs also take their `knobs` (batch size, samples per prompt, output length),
    whether a validation set is given (else the service splits one off) and whether the prompts
    carry media (a lower cap on batch x samples)."""
    if engine not in ENGINES:
        raise TunectlError(
            "bad-engine",
            f"--engine must be one of {', '.join(ENGINES)}, not {engine!r}",
            where="--engine",
            hint="gemini for managed Gemini tuning, rlhf-pipeline for the RLHF pipeline",
        )
    if epochs is not None and steps is not None:
        raise TunectlError(
            "epochs-and-steps",
            "give --epochs or --steps, not both",
            where="--steps",
            hint="Gemini tuning counts epochs; the RLHF pipeline counts steps",
        )
    if (epochs is not None and epochs < 1) or (steps is not None and steps < 1):
        raise TunectlError(
            "bad-epochs", "--epochs and --steps must be at least 1", where="--epochs", hint="e.g. --epochs 3"
        )
    prices = prices or load_price_table()
    assumptions = [
        Assumption(
            "token counter", token_counter, None, "see `tunectl dataset stats` for its method and error"
        ),
    ]
    if engine == "gemini" and method == "reinforcement":
        return _reinforcement_plan(
            examples,
            billable_tokens,
            base_model,
            epochs,
            steps,
            prices,
            assumptions,
            knobs or Knobs(),
            validation_given=validation_given,
            multimodal=multimodal,
        )
    if engine == "gemini":
        if steps is not None:
            raise TunectlError(
                "steps-not-for-gemini",
                "managed Gemini tuning is planned in epochs",
                where="--steps",
                hint="use --epochs N instead of --steps",
            )
        if accelerator is not None:
            raise TunectlError(
                "accelerator-not-for-gemini",
                "managed Gemini tuning has no accelerator choice",
                where="--accelerator",
                hint="drop --accelerator (it is for --engine rlhf-pipeline)",
            )
        if base_model is None:
            from ops.models.catalog import current_model

            raise TunectlError(
                "missing-base-model",
                "--base-model is required with --engine gemini",
                where="--base-model",
                hint=f"e.g. --base-model {current_model()}; `tunectl models list` shows the tunable models",
            )
        n_epochs = Decimal(epochs or 1)
        if epochs is None:
            assumptions.append(
                Assumption(
                    "epochs", "1 (not given)", None, "pass --epochs with the epoch_count the run will use"
                )
            )
        from ops.models.catalog import gemini_model

        model = gemini_model(base_model)
        if model is not None and model.retired:
            assumptions.append(
                Assumption(
                    f"base model {base_model}",
                    f"retired for tuning on {model.retired}",
                    model.checked,
                    model.source,
                )
            )
        entry = prices.tuning_per_million_tokens(base_model)
        cost = None
        if entry is None or entry.price is None:
            assumptions.append(
                Assumption(f"price gemini-tuning:{base_model}", "unknown", None, "not in the price table")
            )
        else:
            assumptions.append(_price_assumption(entry))
            cost = Money(
                _cents(Decimal(billable_tokens) * n_epochs * entry.price / Decimal(1_000_000)), entry.currency
            )
        assumptions.append(
            Assumption(
                "billing",
                "billable tokens (training + validation) x epochs",
                None,
                "Vertex AI pricing page, https://cloud.google.com/vertex-ai/generative-ai/pricing "
                "(read 2026-11-27)",
            )
        )
        return Plan(engine, examples, billable_tokens, None, None, None, n_epochs, None, cost, assumptions)

    accel = (accelerator or "tpu").lower()
    if accel not in BATCH_SIZE:
        raise TunectlError(
            "bad-accelerator",
            f"--accelerator must be gpu or tpu, not {accelerator!r}",
            where="--accelerator",
            hint="tpu: TPU v3 pod in europe-west4; gpu: 8x A100 80GB in us-central1",
        )
    if examples < 1:
        raise TunectlError(
            "no-examples",
            "the training set has no examples to plan steps for",
            hint="`tunectl dataset validate FILE` shows why lines were not counted",
        )
    batch = BATCH_SIZE[accel]
    per_epoch = math.ceil(examples / batch)
    assumptions.append(
        Assumption(f"batch size ({accel}, {REGION[accel]})", str(batch), TODAY_SOURCE_DATE, BATCH_SOURCE)
    )
    if steps is not None:
        total = steps
        n_epochs = (Decimal(steps) / Decimal(per_epoch)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    else:
        n_epochs = Decimal(epochs or 1)
        total = per_epoch * int(n_epochs)
        if epochs is None:
            assumptions.append(Assumption("epochs", "1 (not given)", None, "pass --epochs or --steps"))
    hours = cost = None
    if accel in CALIBRATION:
        cal_steps, cal_hours = CALIBRATION[accel]
        per_step = cal_hours / cal_steps
        hours = (per_step * total).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
        assumptions.append(
            Assumption(
                "duration",
                f"{per_step} hours per step ({cal_steps} steps in {cal_hours} h)",
                TODAY_SOURCE_DATE,
                CALIBRATION_SOURCE,
            )
        )
    else:
        assumptions.append(
            Assumption(
                "duration", "unknown", None, f"no measured run on {accel} yet; record one to calibrate"
            )
        )
    entry = prices.pipeline_hourly(accel)
    if entry is None or entry.price is None:
        assumptions.append(
            Assumption(f"price rlhf-pipeline:{accel}", "unknown", None, "not in the price table")
        )
    else:
        assumptions.append(_price_assumption(entry))
        if hours is not None:
            cost = Money(_cents(per_step * total * entry.price), entry.currency)
    return Plan(
        engine, examples, billable_tokens, batch, per_epoch, total, n_epochs, hours, cost, assumptions
    )


def _reinforcement_plan(
    examples: int,
    billable_tokens: int,
    base_model: str | None,
    epochs: int | None,
    steps: int | None,
    prices: PriceTable,
    assumptions: list[Assumption],
    knobs: Knobs,
    *,
    validation_given: bool,
    multimodal: bool,
) -> Plan:
    """Reinforcement tuning (Pre-GA): steps, epochs and sampled responses by Google's definitions
    (ops.planning.reinforcement). Google bills the training phase's tokens at the Model Tuning rate
    but publishes no way to know their number before the run, so the cost is unknown with that
    reason (preflight treats it as any unknown cost: `--allow-unknown cost` goes past it on purpose)."""
    if base_model is None:
        raise TunectlError(
            "missing-base-model",
            "--base-model is required with --engine gemini",
            where="--base-model",
            hint="e.g. --base-model gemini-3.5-flash; `tunectl models list` shows the methods of each model",
        )
    plan = schedule(
        examples,
        validation_given=validation_given,
        epochs=epochs,
        steps=steps,
        knobs=knobs,
        multimodal=multimodal,
    )
    for name, value, source in plan.notes:
        assumptions.append(Assumption(name, value, plan.checked, source))
    assumptions.append(
        Assumption(
            "steps",
            f"ceil(epochs x {plan.training_prompts if plan.training_prompts is not None else '?'} prompts "
            f"/ {plan.batch_size} per step); each step samples {plan.batch_size} x "
            f"{plan.samples_per_prompt} responses of at most {plan.max_output_tokens:,} tokens",
            plan.checked,
            plan.source,
        )
    )
    entry = prices.reinforcement_tuning(base_model)
    if entry is None:
        assumptions.append(
            Assumption(
                f"price gemini-reinforcement-tuning:{base_model}", "unknown", None, "not in the price table"
            )
        )
    else:
        assumptions.append(_price_assumption(entry))
        if entry.price is not None:
            # A published figure would need its billing unit encoded before it can be used.
            assumptions.append(
                Assumption("billing", f"per {entry.unit}: not modelled yet", entry.date, entry.source)
            )
    return Plan(
        "gemini",
        examples,
        billable_tokens,
        plan.batch_size,
        # A whole number of steps per epoch only when the batches divide the prompts.
        int(plan.steps_per_epoch)
        if plan.steps_per_epoch is not None and plan.steps_per_epoch == plan.steps_per_epoch.to_integral()
        else None,
        plan.total_steps,
        plan.epochs,
        None,
        None,
        assumptions,
        reinforcement=plan.as_json(),
    )


def plan_run(
    *,
    engine: str,
    train: str | os.PathLike[str],
    validation: str | os.PathLike[str] | None = None,
    base_model: str | None = None,
    epochs: int | None = None,
    steps: int | None = None,
    accelerator: str | None = None,
    counter: TokenCounter | None = None,
    settings: Settings | None = None,
    prices: PriceTable | None = None,
    reports: list[FileReport] | None = None,
    method: str = "supervised",
    knobs: Knobs | None = None,
    reward_config: str | None = None,
) -> Plan:
    """Validate the dataset (or reuse `reports` from `validate_files`) and plan the run. A reward
    config's `references` keys are checked in every example, as `tune launch` checks them.

    An invalid dataset is a check failure (exit 1): a plan for data Vertex AI would reject is not one.
    """
    from ops.datasets import validate_files
    from ops.datasets.validate import validate_command
    from ops.tuning.spec import dataset_kind, explain_kind

    kind = dataset_kind(engine, method)
    if reports is None:
        references = None
        if reward_config is not None:
            from ops.datasets.reinforcement import required_references

            references = required_references(reward_config)
        reports = validate_files(
            [train],
            base_model=base_model,
            counter=counter,
            validation=validation,
            settings=settings,
            kind=kind,
            references=references,
            explain_kind=explain_kind(engine, method),
        )
    invalid = [r for r in reports if not r.valid]
    if invalid:
        first = invalid[0]
        again = validate_command(
            first.path,
            kind=kind,
            training=None if first is reports[0] else train,
            reward_config=reward_config,
        )
        raise TunectlError(
            "dataset-invalid",
            f"{first.path} has {len(first.errors)} error(s); first: {first.errors[0].code} "
            f"at line {first.errors[0].line}: {first.errors[0].message}",
            hint=f"run {again} for the full report",
            status=ExitStatus.CHECK_FAILED,
        )
    training = reports[0]
    billable = sum(int(r.stats["tokens"]["billable"]) for r in reports)
    counter_name = str(training.stats["token_counter"]["name"])
    plan = plan_from_counts(
        engine=engine,
        examples=training.examples,
        billable_tokens=billable,
        base_model=base_model,
        epochs=epochs,
        steps=steps,
        accelerator=accelerator,
        prices=prices,
        token_counter=counter_name,
        method=method,
        knobs=knobs,
        validation_given=len(reports) > 1,
        multimodal=any(int(r.stats.get("media", {}).get("multimodal_examples") or 0) for r in reports),
    )
    if method == "reinforcement" and reward_config is None:
        plan.assumptions.append(
            Assumption(
                "reward",
                "not checked (no --reward-config): the `references` keys it reads are not checked",
                None,
                "pass --reward-config, as `tune launch` requires",
            )
        )
    _media_assumptions(plan, reports)
    return plan


def _media_assumptions(plan: Plan, reports: list[FileReport]) -> None:
    """Media counted at Google's documented rates is an assumption of the plan; media whose length
    cannot be known offline (whole audio/video files, PDF pages) makes the cost unknown, not a floor
    silently priced as the whole."""
    estimated = sum(int(r.stats["tokens"].get("media_estimated", 0)) for r in reports)
    unknown = sum(int(r.stats["tokens"].get("media_unknown_parts", 0)) for r in reports)
    counters = [r.stats["tokens"].get("media_counter") or {} for r in reports]
    counted = sum(int(c.get("examples", 0)) for c in counters if c.get("exact"))
    if counted:
        name = next(str(c["name"]) for c in counters if c.get("exact"))
        plan.assumptions.append(
            Assumption(
                "media tokens",
                f"{counted:,} example(s) with media counted whole by {name} (media included)",
                None,
                "Vertex AI CountTokens reads each referenced object",
            )
        )
    if estimated:
        plan.assumptions.append(
            Assumption(
                "media tokens",
                f"{estimated:,} (included), at Google's documented per-modality rates",
                None,
                "https://ai.google.dev/gemini-api/docs/tokens",
            )
        )
    if unknown:
        plan.assumptions.append(
            Assumption(
                "media tokens",
                f"unknown for {unknown:,} part(s): audio/video without offsets and PDF pages cannot "
                "be measured offline, so the cost is unknown",
                None,
                "the length of a whole audio/video file or a PDF's page count is not in the dataset; "
                "give video clips videoMetadata offsets, or plan with a known token count",
            )
        )
        plan.estimated_cost = None
