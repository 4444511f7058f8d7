"""The plan of a reinforcement run follows Google's hyperparameters page: a step is batchSize prompts,
each sampled samplesPerPrompt times; epochs default to min(110 * batchSize / prompts, 10); a run stops
at 500 steps; batchSize x samplesPerPrompt is a multiple of 16 up to 8,192 (text) or 1,024 (media);
without a validation set the service holds out 25% of the training set or 50 examples."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ops.errors import TunectlError
from ops.planning.plan import Plan, plan_from_counts
from ops.planning.reinforcement import Knobs

ARITHMETIC = Path(__file__).resolve().parent.parent / "samples" / "arithmetic-reinforcement"


def rl_plan(examples: int, **overrides: Any) -> Plan:
    args: dict[str, Any] = {
        "engine": "gemini",
        "method": "reinforcement",
        "base_model": "gemini-3.5-flash",
        "examples": examples,
        "billable_tokens": examples * 30,
        "validation_given": True,
    }
    return plan_from_counts(**(args | overrides))


def test_without_epochs_google_plans_about_110_steps_of_32_prompts_each_sampled_16_times() -> None:
    plan = rl_plan(400)
    assert plan.batch_size == 32 and plan.epochs is not None and str(plan.epochs) == "8.80"  # 110*32/400
    assert plan.total_steps == 110 and plan.reinforcement is not None
    assert plan.reinforcement["steps_per_epoch"] == "12.50" and plan.steps_per_epoch is None  # 400/32
    assert plan.reinforcement["responses_sampled"] == 110 * 32 * 16
    assert plan.reinforcement["generated_tokens_max"] == 110 * 32 * 16 * 32768
    assert any(a.name == "epochs" and "min(110" in a.value for a in plan.assumptions)


def test_default_epochs_are_capped_at_ten_on_small_datasets() -> None:
    plan = rl_plan(40)
    assert str(plan.epochs) == "10.00" and plan.total_steps == 13  # ceil(10 x 40 / 32)


def test_steps_or_epochs_with_the_batch_and_samples_given() -> None:
    by_steps = rl_plan(40, steps=20, knobs=Knobs(batch_size=8, samples_per_prompt=4))
    assert by_steps.total_steps == 20 and str(by_steps.epochs) == "4.00" and by_steps.steps_per_epoch == 5
    assert by_steps.reinforcement is not None and by_steps.reinforcement["responses_sampled"] == 20 * 8 * 4
    by_epochs = rl_plan(40, epochs=2, knobs=Knobs(batch_size=8, samples_per_prompt=4, max_output_tokens=1024))
    assert by_epochs.total_steps == 10 and by_epochs.as_json()["epochs"] == 2
    assert (
        by_epochs.reinforcement is not None and by_epochs.reinforcement["generated_tokens_max"] == 320 * 1024
    )


def test_a_run_stops_at_500_steps() -> None:
    plan = rl_plan(4000, epochs=10)  # 10 x 4000 / 32 = 1250 steps
    assert plan.total_steps == 500 and str(plan.epochs) == "4.00"
    (cap,) = [a for a in plan.assumptions if a.name == "step cap"]
    assert "1250 planned become 500" in cap.value and cap.source.endswith("/hyperparameters")


def test_without_a_validation_set_the_service_holds_part_of_the_training_set_out() -> None:
    plan = rl_plan(400, validation_given=False)  # 25% of 400 = 100 > 50
    assert plan.reinforcement is not None and plan.reinforcement["training_prompts"] == 300
    (split,) = [a for a in plan.assumptions if a.name == "validation split"]
    assert "holds out 100 of 400" in split.value and "js-genai" in split.source
    small = rl_plan(40, validation_given=False, steps=20)  # 50 held out of 40: nothing documented left
    assert small.total_steps == 20 and small.epochs is None and small.as_json()["epochs"] is None


@pytest.mark.parametrize(
    ("batch", "samples", "multimodal"),
    [(10, 3, False), (32, 512, False), (64, 32, True)],  # not x16; 16,384 > 8,192; 2,048 > 1,024
)
def test_batch_times_samples_must_fit_googles_rule(batch: int, samples: int, multimodal: bool) -> None:
    with pytest.raises(TunectlError) as caught:
        rl_plan(400, knobs=Knobs(batch_size=batch, samples_per_prompt=samples), multimodal=multimodal)
    assert caught.value.code == "batch-samples-invalid" and caught.value.status == 2
    assert rl_plan(400, knobs=Knobs(batch_size=64, samples_per_prompt=32)).total_steps  # text: 2,048 is fine


def test_max_output_tokens_above_googles_limit_is_refused() -> None:
    with pytest.raises(TunectlError) as caught:
        rl_plan(400, knobs=Knobs(max_output_tokens=40000))
    assert caught.value.code == "bad-hyperparameter"


def test_the_cost_stays_unknown_with_googles_billing_rule_as_the_reason() -> None:
    plan = rl_plan(400)
    assert plan.estimated_cost is None
    (price,) = [a for a in plan.assumptions if a.name.startswith("price ")]
    assert price.value == "unknown" and "training phase" in price.source and "Model Tuning" in price.source


def test_other_plans_carry_no_reinforcement_block() -> None:
    supervised = plan_from_counts(
        engine="gemini", base_model="gemini-2.5-pro", examples=40, billable_tokens=900
    )
    assert "reinforcement" not in supervised.as_json()


def _cli(*args: str) -> tuple[int, str, str]:
    import contextlib
    import io

    from ops.cli import run

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = run(list(args))
    return status, out.getvalue(), err.getvalue()


PLAN = (
    "plan", "--engine", "gemini", "--method", "reinforcement", "--base-model", "gemini-3.5-flash",
    "--train", str(ARITHMETIC / "train.jsonl"), "--validation", str(ARITHMETIC / "validation.jsonl"),
)  # fmt: skip


def test_plan_cli_with_the_reward_file_and_hyperparameters() -> None:
    status, out, _err = _cli(
        *PLAN, "--reward-config", str(ARITHMETIC / "reward-exact.yaml"), "--epochs", "2",
        "--batch-size", "8", "--samples-per-prompt", "4", "--format", "json",
    )  # fmt: skip
    plan = json.loads(out)
    assert status == 0 and plan["total_steps"] == 10 and plan["batch_size"] == 8
    assert (
        plan["reinforcement"]["samples_per_prompt"] == 4 and plan["reinforcement"]["training_prompts"] == 40
    )
    assert not [a for a in plan["assumptions"] if a["name"] == "reward"]  # checked: no caveat


def test_plan_cli_without_the_reward_file_says_it_is_unchecked() -> None:
    status, out, _err = _cli(*PLAN, "--format", "json")
    (reward,) = [a for a in json.loads(out)["assumptions"] if a["name"] == "reward"]
    assert status == 0 and "not checked" in reward["value"]


def test_plan_cli_refuses_reinforcement_options_on_other_methods() -> None:
    status, _out, err = _cli(
        "plan", "--engine", "gemini", "--base-model", "gemini-3.5-flash", "--samples-per-prompt", "4",
        "--train", str(ARITHMETIC.parent / "sarcasm-generation-gemini" / "train.jsonl"),
    )  # fmt: skip
    assert status == 2 and "error[option-not-applicable]" in err and "--samples-per-prompt" in err
