"""`plan_from_counts` / `plan_run` / `tunectl plan`: steps, duration and cost, with dated assumptions."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from ops.cli import run
from ops.errors import ExitStatus, TunectlError
from ops.planning.plan import plan_from_counts, plan_run
from ops.planning.prices import load_price_table
from tests import dataset_fixtures
from tests.dataset_fixtures import palm, preference, write_jsonl

clean_env = dataset_fixtures.clean_env

PLAN_KEYS = {
    "engine",
    "examples",
    "billable_tokens",
    "batch_size",
    "steps_per_epoch",
    "total_steps",
    "epochs",
    "estimated_hours",
    "estimated_cost",
    "assumptions",
}


def test_the_articles_run_costs_82_80(clean_env: Path) -> None:
    plan = plan_from_counts(
        engine="rlhf-pipeline", examples=40, billable_tokens=0, steps=300, accelerator="tpu"
    )
    assert plan.estimated_hours == Decimal("2.25")
    assert plan.estimated_cost is not None and str(plan.estimated_cost.amount) == "82.80"
    assert plan.estimated_cost.currency == "USD"


def test_forty_examples_at_batch_24_are_two_steps_per_epoch(clean_env: Path) -> None:
    plan = plan_from_counts(
        engine="rlhf-pipeline", examples=40, billable_tokens=0, epochs=3, accelerator="tpu"
    )
    assert (plan.batch_size, plan.steps_per_epoch, plan.total_steps) == (24, 2, 6)


def test_gpu_uses_batch_8_and_reports_unknown_duration_rather_than_guessing(clean_env: Path) -> None:
    plan = plan_from_counts(
        engine="rlhf-pipeline", examples=40, billable_tokens=0, epochs=1, accelerator="gpu"
    )
    assert (plan.batch_size, plan.steps_per_epoch, plan.estimated_hours, plan.estimated_cost) == (
        8,
        5,
        None,
        None,
    )


def test_steps_convert_to_epochs(clean_env: Path) -> None:
    plan = plan_from_counts(
        engine="rlhf-pipeline", examples=40, billable_tokens=0, steps=5, accelerator="tpu"
    )
    assert plan.epochs == Decimal("2.50")


def test_gemini_cost_is_tokens_times_epochs_times_price_per_million(clean_env: Path) -> None:
    plan = plan_from_counts(
        engine="gemini", examples=10, billable_tokens=2_000_000, epochs=3, base_model="gemini-2.5-flash"
    )
    assert plan.estimated_cost is not None and plan.estimated_cost.amount == Decimal("30.00")
    assert (plan.batch_size, plan.total_steps) == (None, None)
    assert any("retired" in a.value for a in plan.assumptions)


def test_every_priced_assumption_has_a_date_and_a_source(clean_env: Path) -> None:
    plan = plan_from_counts(
        engine="rlhf-pipeline", examples=40, billable_tokens=0, steps=300, accelerator="tpu"
    )
    dated = [a for a in plan.assumptions if a.name != "token counter"]
    assert dated and all(a.date and a.source for a in dated)


def test_epochs_and_steps_together_are_refused(clean_env: Path) -> None:
    with pytest.raises(TunectlError, match="not both"):
        plan_from_counts(engine="rlhf-pipeline", examples=4, billable_tokens=0, epochs=1, steps=2)


def test_a_refreshed_price_table_overrides_the_built_in_entry(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    refreshed = clean_env / "prices.json"
    refreshed.write_text(
        json.dumps(
            {
                "format": "tunectl-prices/1",
                "id": "catalog-test",
                "retrieved": "2026-12-01",
                "source": "Cloud Billing Catalog API",
                "entries": [
                    {
                        "id": "rlhf-pipeline:tpu",
                        "engine": "rlhf-pipeline",
                        "accelerator": "tpu",
                        "unit": "hour",
                        "price": "40",
                        "currency": "USD",
                        "date": "2026-12-01",
                        "source": "catalog SKU",
                        "confirmed": True,
                    }
                ],
            }
        )
    )
    monkeypatch.setenv("TUNECTL_PRICES", str(refreshed))
    table = load_price_table()
    assert [t["id"] for t in table.tables] == ["builtin-2026-11-27", "catalog-test"]
    plan = plan_from_counts(
        engine="rlhf-pipeline", examples=40, billable_tokens=0, steps=300, accelerator="tpu", prices=table
    )
    assert plan.estimated_cost is not None and plan.estimated_cost.amount == Decimal("90.00")
    assert table.tuning_per_million_tokens("gemini-2.5-flash") is not None  # kept from the built-in table


def test_plan_run_bills_training_and_validation_tokens(clean_env: Path) -> None:
    train = write_jsonl(clean_env / "t.jsonl", [{"input_text": "x" * 40, "output_text": "y" * 40}] * 1)
    valid = write_jsonl(clean_env / "v.jsonl", [{"input_text": "z" * 4, "output_text": "w" * 4}])
    plan = plan_run(engine="gemini", train=train, validation=valid, base_model="gemini-2.5-pro", epochs=2)
    assert (plan.examples, plan.billable_tokens) == (1, 22)


def test_plan_refuses_an_invalid_dataset_with_exit_1(
    clean_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    train = write_jsonl(clean_env / "t.jsonl", [preference(1), {"input_text": "x"}])
    status = run(["plan", "--train", str(train), "--engine", "rlhf-pipeline"])
    assert status == ExitStatus.CHECK_FAILED
    assert "error[dataset-invalid]" in capsys.readouterr().err


def test_plan_json_has_exactly_the_issue_shape(clean_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    train = write_jsonl(clean_env / "t.jsonl", [preference(i, i % 2) for i in range(40)])
    args = [
        "plan",
        "--train",
        str(train),
        "--engine",
        "rlhf-pipeline",
        "--accelerator",
        "tpu",
        "--steps",
        "300",
    ]
    assert run([*args, "--format", "json"]) == ExitStatus.OK
    body = json.loads(capsys.readouterr().out)
    assert set(body) == PLAN_KEYS
    assert body["estimated_cost"] == {"amount": "82.80", "currency": "USD"}
    assert (body["steps_per_epoch"], body["total_steps"], body["batch_size"]) == (2, 300, 24)
    assert all({"name", "value", "date", "source"} == set(a) for a in body["assumptions"])


def test_plan_text_lists_assumptions(clean_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    train = write_jsonl(clean_env / "t.jsonl", [palm(i) for i in range(20)])
    assert run(["plan", "--train", str(train), "--engine", "gemini", "--base-model", "gemini-2.5-pro"]) == 0
    out = capsys.readouterr().out
    assert "estimated cost" in out and "assumptions:" in out and " 25 USD per 1M training tokens" in out


def test_plan_hints_validating_the_validation_file_beside_its_training_file(
    clean_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    train = write_jsonl(clean_env / "t.jsonl", [palm(i) for i in range(20)])
    valid = write_jsonl(clean_env / "v.jsonl", [preference(i) for i in range(3)])
    status = run(["plan", "--train", str(train), "--validation", str(valid), "--engine", "gemini"])
    err = " ".join(capsys.readouterr().err.split())
    assert status == ExitStatus.CHECK_FAILED and "wrong-kind" in err
    assert f"tunectl dataset validate {train} --validation {valid}" in err
