"""Preflight of a reinforcement run: the reward file and the `references` keys it reads, the model's
methods and regions, the `us` serving location under EU residency, and the price Google gives no way
to compute (unknown, waivable with --allow-unknown cost)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ops.preflight.budget import BudgetScope, Spend
from ops.preflight.gate import CheckStatus, PreflightReport, run_preflight
from tests.cloud.harness import Cloud
from tests.quota_fixtures import write_policy_config

ARITHMETIC = Path(__file__).resolve().parent.parent / "samples" / "arithmetic-reinforcement"


def _spent(scope: BudgetScope) -> Spend:
    return Spend(Decimal("100"), "USD", "test ledger")


def reinforcement(settings: Any, **overrides: Any) -> PreflightReport:
    args: dict[str, Any] = {
        "train": str(ARITHMETIC / "train.jsonl"),
        "validation": str(ARITHMETIC / "validation.jsonl"),
        "engine": "gemini",
        "method": "reinforcement",
        "base_model": "gemini-3.5-flash",
        "epochs": 2,
        "reward_config": str(ARITHMETIC / "reward-exact.yaml"),
        "spend_lookup": _spent,
        "today": date(2026, 1, 20),
    }
    return run_preflight(settings, **(args | overrides))


def test_under_eu_residency_a_reinforcement_run_is_a_no_go_even_in_an_eu_region(
    cloud: Cloud, tmp_path: Path
) -> None:
    config = write_policy_config(
        tmp_path / "pack.json",
        **{
            "location-eu-residency": {"euResidency": True},
            "location-allowed-region": {"allowedRegions": ["europe-west4"]},
        },
    )
    report = reinforcement(cloud.settings(policy_config=config), region="europe-west4")
    region = report.by_name("region")
    assert region.status is CheckStatus.no and report.verdict.value == "no-go"
    assert "served from the `us` multi-region" in region.reason
    supervised = run_preflight(
        cloud.settings(policy_config=config),
        train=str(ARITHMETIC.parent / "sarcasm-generation-gemini" / "train.jsonl"),
        engine="gemini",
        base_model="gemini-3.5-flash",
        region="europe-west4",
        spend_lookup=_spent,
    )
    assert supervised.by_name("region").status is CheckStatus.ok  # only reinforcement leaves the EU


def test_the_unpublished_price_is_unknown_with_its_reason_and_can_be_waived(cloud: Cloud) -> None:
    report = reinforcement(cloud.settings())
    cost = report.by_name("cost estimate")
    assert cost.status is CheckStatus.unknown and cost.kind == "cost"
    assert "how many tokens the training phase generates" in cost.reason
    assert report.verdict.value == "unknown"
    waived = reinforcement(cloud.settings(), allow_unknown=("cost", "budget"))
    assert waived.by_name("dataset").status is CheckStatus.ok
    assert [c.name for c in waived.waived_checks] == ["budget headroom", "cost estimate"]


def test_a_model_without_reinforcement_tuning_is_a_no_go(cloud: Cloud) -> None:
    report = reinforcement(cloud.settings(), base_model="gemini-3.5-flash-lite")
    assert report.by_name("model").status is CheckStatus.no
    assert "not reinforcement" in report.by_name("model").reason


def test_plan_says_why_a_reinforcement_run_has_no_estimate(capsys: Any) -> None:
    import json

    from ops.cli import run

    status = run(
        ["plan", "--engine", "gemini", "--method", "reinforcement", "--base-model", "gemini-3.5-flash",
         "--train", str(ARITHMETIC / "train.jsonl"), "--steps", "20", "--format", "json"]
    )  # fmt: skip
    plan = json.loads(capsys.readouterr().out)
    assert status == 0 and plan["estimated_cost"] is None and plan["total_steps"] == 20
    (price,) = [a for a in plan["assumptions"] if a["name"].startswith("price ")]
    assert price["value"] == "unknown" and "training phase" in price["source"]


def test_the_reward_file_is_loaded_and_its_references_found_in_every_example(cloud: Cloud) -> None:
    reward = reinforcement(cloud.settings()).by_name("reward")
    assert reward.status is CheckStatus.ok and reward.kind is None
    assert "reads references answer: every example has them" in reward.reason


@pytest.mark.parametrize(
    "files",
    [
        {"validation": str(ARITHMETIC.parent / "sarcasm-classification" / "validation.jsonl")},
        {"train": str(ARITHMETIC.parent / "sarcasm-generation-gemini" / "train.jsonl")},
        {"train": str(ARITHMETIC.parent / "sarcasm-preference" / "train.jsonl")},
    ],
)
def test_the_reward_is_never_ok_when_a_file_is_not_reinforcement_data(
    cloud: Cloud, files: dict[str, str]
) -> None:
    # Fail closed: a file of another kind has no `references`, so none of them "lack" one.
    reward = reinforcement(cloud.settings(), **files).by_name("reward")
    # A Gemini supervised file read as reinforcement prompts has errors: unknown; other kinds: no.
    assert reward.status in (CheckStatus.no, CheckStatus.unknown), reward.reason
    assert "not reinforcement prompts" in reward.reason or "has errors" in reward.reason


def test_the_reward_is_unknown_when_a_file_cannot_be_read(cloud: Cloud, tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    reward = reinforcement(cloud.settings(), validation=str(empty)).by_name("reward")
    assert reward.status is not CheckStatus.ok, reward.reason


def test_without_a_reward_file_the_reward_is_unknown_and_cannot_be_waived(cloud: Cloud) -> None:
    every = ("quota", "budget", "cost", "model")
    report = reinforcement(cloud.settings(), reward_config=None, allow_unknown=every)
    reward = report.by_name("reward")
    assert reward.status is CheckStatus.unknown and reward.kind is None
    assert "no --reward-config" in reward.reason
    assert report.verdict.value == "unknown" and [c.name for c in report.unknown] == ["reward"]


def test_a_reward_reading_a_key_the_examples_lack_is_a_no_go(cloud: Cloud, tmp_path: Path) -> None:
    text = (ARITHMETIC / "reward-exact.yaml").read_text().replace("references.answer", "references.result")
    (tmp_path / "reward.yaml").write_text(text)
    report = reinforcement(cloud.settings(), reward_config=str(tmp_path / "reward.yaml"))
    assert report.verdict.value == "no-go"
    assert report.by_name("reward").status is CheckStatus.no
    assert "50 example(s) lack one" in report.by_name("reward").reason  # 40 training + 10 validation
    assert "missing-reference x40" in report.by_name("dataset").reason


def _cli(*args: str) -> tuple[int, str, str]:
    import contextlib
    import io

    from ops.cli import run

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = run(list(args))
    return status, out.getvalue(), err.getvalue()


PREFLIGHT = (
    "preflight", "--engine", "gemini", "--method", "reinforcement", "--base-model", "gemini-3.5-flash",
    "--train", str(ARITHMETIC / "train.jsonl"),
)  # fmt: skip


def test_a_reward_file_that_does_not_load_is_a_usage_error_as_in_launch(tmp_path: Path) -> None:
    (tmp_path / "reward.yaml").write_text("singleRewardConfig:\n  rewardName: x\n  nope: 1\n")
    status, _out, err = _cli(*PREFLIGHT, "--reward-config", str(tmp_path / "reward.yaml"))
    assert status == 2 and "error[reward-config-invalid]" in err


def test_a_reward_file_without_the_method_is_refused_by_plan_and_preflight() -> None:
    for command in ("preflight", "plan"):
        status, _out, err = _cli(
            command, "--engine", "gemini", "--base-model", "gemini-3.5-flash",
            "--train", str(ARITHMETIC.parent / "sarcasm-generation-gemini" / "train.jsonl"),
            "--reward-config", str(ARITHMETIC / "reward-exact.yaml"),
        )  # fmt: skip
        assert status == 2 and "error[option-not-applicable]" in err and "--reward-config" in err, err


def test_reinforcement_tuning_outside_its_documented_region_is_a_no_go(cloud: Cloud) -> None:
    report = reinforcement(cloud.settings(), region="europe-west4")
    region = report.by_name("region")
    assert region.status is CheckStatus.no and report.verdict.value == "no-go"
    assert "runs in us-central1 only, not europe-west4" in region.reason
    assert "reinforcement-tuning" in region.reason  # Google's page, cited
    assert reinforcement(cloud.settings(), region="us-central1").by_name("region").status is CheckStatus.ok


def test_preflight_plans_the_cost_with_the_hyperparameters_it_is_given(capsys: Any) -> None:
    import json

    from ops.cli import run

    status = run(
        [*PREFLIGHT, "--validation", str(ARITHMETIC / "validation.jsonl"), "--epochs", "2",
         "--batch-size", "8", "--samples-per-prompt", "4", "--format", "json"]
    )  # fmt: skip
    report = json.loads(capsys.readouterr().out)
    (cost,) = [c for c in report["checks"] if c["name"] == "cost estimate"]
    assert status == 1 and cost["details"]["total_steps"] == 10 and cost["details"]["batch_size"] == 8
    status = run([*PREFLIGHT, "--batch-size", "10", "--samples-per-prompt", "3"])
    assert status == 2 and "error[batch-samples-invalid]" in capsys.readouterr().err


def test_a_scheduled_bodys_reward_and_hyperparameters_are_lines_not_usage_errors(cloud: Cloud) -> None:
    import pytest

    from ops.errors import TunectlError
    from ops.planning.reinforcement import Knobs
    from ops.reinforcement.config import load_reward_config

    body_reward = load_reward_config(ARITHMETIC / "reward-exact.yaml").api
    report = reinforcement(cloud.settings(), reward_config=None, reward=body_reward, knobs=Knobs(10, 3))
    assert report.by_name("reward").status is CheckStatus.ok
    assert "scheduled job's reward" in report.by_name("reward").reason
    cost = report.by_name("cost estimate")
    assert cost.status is CheckStatus.no and "batch-samples-invalid" in cost.reason
    broken = {"singleRewardConfig": {"rewardName": "x", "nope": 1}}
    report = reinforcement(cloud.settings(), reward_config=None, reward=broken)
    assert report.by_name("reward").status is CheckStatus.no and report.verdict.value == "no-go"
    with pytest.raises(TunectlError) as caught:  # the command's own options: exit 2, as in launch
        reinforcement(cloud.settings(), knobs=Knobs(10, 3))
    assert caught.value.code == "batch-samples-invalid"
