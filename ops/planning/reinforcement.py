"""The step schedule of a reinforcement tuning run (Pre-GA), as Google's hyperparameters page defines it.

Google's words (hyperparameters page, read 2026-12-02; the figures are data, in the `hyperparameters`
block of the `reinforcement` entry of `ops/data/model_limits.json`):

- `batchSize` is the number of prompts per step (default 32); `samplesPerPrompt` the responses the
  model generates for each prompt in a step (default 16). So a step samples batchSize x
  samplesPerPrompt responses, and one epoch (every training prompt once) is prompts / batchSize steps.
- `epochCount` left empty is `min(110 * promptsPerBatch / promptsInDataset, 10)`: about 110 steps,
  at most 10 epochs. The whole run is capped at 500 steps.
- `batchSize * samplesPerPrompt` must be divisible by 16 and at most 8,192 (text) or 1,024 (image,
  audio or video prompts): anything else is refused here, before the service refuses it.
- Without a validation set the service holds out 25% of the training set or 50 examples, whichever is
  larger (google-genai's ReinforcementTuningSpec): those prompts are not trained on.

Each response is at most `maxOutputTokens` long (default and limit 32,768, thinking included), which
bounds the tokens generated. What the run costs is not computed here: see `ops.planning.plan`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ops.errors import TunectlError

# The refusals of hyperparameters Google rules out: usage errors wherever they are planned (plan,
# preflight, launch), never a check that merely could not be made.
HYPERPARAMETER_REFUSALS = frozenset({"batch-samples-invalid", "bad-hyperparameter"})


@dataclass(frozen=True)
class Knobs:
    """The hyperparameters that shape the schedule; None is Google's default."""

    batch_size: int | None = None
    samples_per_prompt: int | None = None
    max_output_tokens: int | None = None


@dataclass
class Schedule:
    training_prompts: int | None  # None: the service's own validation split leaves none it documents
    batch_size: int
    samples_per_prompt: int
    max_output_tokens: int
    steps_per_epoch: Decimal | None  # prompts / batch size: a fraction when the last batch is partial
    total_steps: int | None
    epochs: Decimal | None
    responses: int | None  # responses sampled over the run: total steps x batch size x samples
    generated_tokens_max: int | None  # responses x maxOutputTokens: an upper bound
    # (assumption, value, source): the hyperparameters page, or google-genai for the validation split
    notes: list[tuple[str, str, str]] = field(default_factory=list)
    source: str = ""
    checked: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "training_prompts": self.training_prompts,
            "steps_per_epoch": None if self.steps_per_epoch is None else _plain(self.steps_per_epoch),
            "batch_size": self.batch_size,
            "samples_per_prompt": self.samples_per_prompt,
            "responses_sampled": self.responses,
            "max_output_tokens": self.max_output_tokens,
            "generated_tokens_max": self.generated_tokens_max,
        }


def _plain(value: Decimal) -> str:
    """5 rather than 5.00; 1.25 as it is."""
    return str(int(value)) if value == value.to_integral() else str(value)


def rules() -> dict[str, Any]:
    from ops.datasets.limits import limits_table

    table = limits_table()["reinforcement"]
    assert isinstance(table, dict)
    return dict(table["hyperparameters"])


def batch_problem(batch_size: int, samples_per_prompt: int, *, multimodal: bool) -> TunectlError | None:
    """Google's rule on batchSize x samplesPerPrompt, per modality (hyperparameters page)."""
    r = rules()
    product = batch_size * samples_per_prompt
    modality = "multimodal" if multimodal else "text"
    ceiling = int(r["max_batch_times_samples"][modality])
    multiple = int(r["batch_times_samples_multiple_of"])
    if product % multiple == 0 and product <= ceiling:
        return None
    prompts = "prompts with image, audio or video" if multimodal else "text prompts"
    return TunectlError(
        "batch-samples-invalid",
        f"batch size x samples per prompt is {batch_size} x {samples_per_prompt} = {product}; for "
        f"{prompts} Google requires a multiple of {multiple} at most {ceiling:,} (source: {r['source']})",
        where="--batch-size / --samples-per-prompt",
        hint=f"e.g. --batch-size {r['default_batch_size']} --samples-per-prompt "
        f"{r['default_samples_per_prompt']} (Google's defaults)",
    )


def learning_rate_problem(multiplier: float | None) -> TunectlError | None:
    """learningRateMultiplier must lie in Google's documented range, [1/4, 4] (hyperparameters page)."""
    if multiplier is None:
        return None
    r = rules()
    low, high = (float(v) for v in r["learning_rate_multiplier_range"])
    if low <= multiplier <= high:
        return None
    return TunectlError(
        "bad-hyperparameter",
        f"--learning-rate-multiplier {multiplier} is outside Google's range [{low}, {high}] for "
        f"reinforcement tuning (source: {r['source']})",
        where="--learning-rate-multiplier",
        hint="leave it out for Google's default, 1",
    )


def _two_places(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def schedule(
    examples: int,
    *,
    validation_given: bool,
    epochs: int | None,
    steps: int | None,
    knobs: Knobs,
    multimodal: bool,
) -> Schedule:
    """Steps, epochs and responses for `examples` training prompts; a usage error when the
    hyperparameters break Google's rules."""
    r = rules()
    for value, flag in (
        (knobs.batch_size, "--batch-size"),
        (knobs.samples_per_prompt, "--samples-per-prompt"),
        (knobs.max_output_tokens, "--max-output-tokens"),
    ):
        if value is not None and value < 1:
            raise TunectlError(
                "bad-hyperparameter",
                f"{flag} must be at least 1, not {value}",
                where=flag,
                hint=f"give a positive {flag}, or leave it out for Google's default",
            )
    batch = knobs.batch_size or int(r["default_batch_size"])
    samples = knobs.samples_per_prompt or int(r["default_samples_per_prompt"])
    max_output = knobs.max_output_tokens or int(r["default_max_output_tokens"])
    if max_output > int(r["default_max_output_tokens"]):
        raise TunectlError(
            "bad-hyperparameter",
            f"--max-output-tokens {max_output} is above Google's limit of {r['default_max_output_tokens']:,} "
            f"(source: {r['source']})",
            where="--max-output-tokens",
            hint=f"give at most {r['default_max_output_tokens']}, or leave it out (the default is the limit)",
        )
    problem = batch_problem(batch, samples, multimodal=multimodal)
    if problem is not None:
        raise problem
    notes: list[tuple[str, str, str]] = []
    page = str(r["source"])
    if knobs.batch_size is None:
        notes.append(("batch size", f"{batch} prompts per step (Google's default)", page))
    if knobs.samples_per_prompt is None:
        notes.append(("samples per prompt", f"{samples} (Google's default)", page))
    prompts: int | None = examples
    if not validation_given:
        split = r["validation_split_when_none"]
        held = max(math.ceil(examples * Decimal(str(split["share"]))), int(split["min_examples"]))
        prompts = examples - held if examples > held else None
        notes.append(
            (
                "validation split",
                f"no validation set: the service holds out {held} of {examples} training examples "
                f"({int(Decimal(str(split['share'])) * 100)}% or {split['min_examples']}, whichever is "
                "larger)"
                + (
                    f", leaving {prompts} to train on"
                    if prompts
                    else ", which leaves none: Google does not say what it does then; pass --validation"
                ),
                str(split["source"]),
            )
        )
    # Google's default (110 * batchSize / prompts epochs, i.e. about 110 steps) counts an epoch as
    # prompts / batchSize steps, fractions included: steps = ceil(epochs x prompts / batchSize).
    per_epoch = _two_places(Decimal(prompts) / batch) if prompts else None
    total: int | None
    n_epochs: Decimal | None
    if steps is not None:
        total = steps
        n_epochs = _two_places(Decimal(steps * batch) / prompts) if prompts else None
    else:
        if epochs is not None:
            exact = Decimal(epochs)
        elif prompts:
            exact = min(
                Decimal(int(r["default_epochs_steps"]) * batch) / prompts, Decimal(r["max_epochs_default"])
            )
            notes.append(
                (
                    "epochs",
                    f"not given: Google's default {r['default_epochs_rule']} = {_two_places(exact)}",
                    page,
                )
            )
        else:
            exact = None
        n_epochs = _two_places(exact) if exact is not None else None
        total = math.ceil(exact * prompts / batch) if exact is not None and prompts else None
    cap = int(r["max_total_steps"])
    if total is not None and total > cap:
        notes.append(
            ("step cap", f"Google caps a run at {cap} steps: the {total} planned become {cap}", page)
        )
        total = cap
        if prompts:
            n_epochs = _two_places(Decimal(cap * batch) / prompts)
    responses = total * batch * samples if total is not None else None
    return Schedule(
        training_prompts=prompts,
        batch_size=batch,
        samples_per_prompt=samples,
        max_output_tokens=max_output,
        steps_per_epoch=per_epoch,
        total_steps=total,
        epochs=n_epochs,
        responses=responses,
        generated_tokens_max=responses * max_output if responses is not None else None,
        notes=notes,
        source=str(r["source"]),
        checked=str(r["checked"]),
    )
