"""Preflight of a reinforcement run: the reward file and the `references` keys it reads, the model's
methods and regions, the `us` serving location under EU residency, and the price Google gives no way
to compute (unknown, waivable with --allow-unknown cost)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

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
