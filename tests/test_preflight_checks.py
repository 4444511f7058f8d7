"""`tunectl preflight`: go/no-go per reason, and `unknown` (never `ok`) when a lookup fails."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ops.preflight.budget import BudgetScope, Spend
from ops.preflight.gate import CheckStatus, PreflightReport, run_preflight
from tests.cloud.budgets import BILLING_ACCOUNT, BudgetsServer
from tests.cloud.harness import Cloud
from tests.cloud.quotas import A2_CPU_ID, A100_ID, TPU_ID, TUNING_JOBS_ID, QuotasServer
from tests.quota_fixtures import isolate_config, run_json, write_policy_config

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
GEMINI_TRAIN = str(SAMPLES / "sarcasm-generation-gemini" / "train.jsonl")
GEMINI_VALIDATION = str(SAMPLES / "sarcasm-generation-gemini" / "validation.jsonl")
PREFERENCES = str(SAMPLES / "sarcasm-preference" / "train.jsonl")
QUOTA_INFOS_LIST = "cloudquotas.projects.locations.services.quotaInfos.list"


def spent(amount: str) -> Any:
    def lookup(scope: BudgetScope) -> Spend:
        return Spend(Decimal(amount), "USD", "test ledger")

    return lookup


def status_of(report: PreflightReport) -> dict[str, CheckStatus]:
    return {check.name: check.status for check in report.checks}


def gemini(settings: Any, **overrides: Any) -> PreflightReport:
    args: dict[str, Any] = {
        "train": GEMINI_TRAIN,
        "validation": GEMINI_VALIDATION,
        "engine": "gemini",
        "base_model": "gemini-2.5-pro",
        "epochs": 3,
        "spend_lookup": spent("100"),
        "today": date(2026, 1, 20),
    }
    return run_preflight(settings, **(args | overrides))


def rlhf(settings: Any, accelerator: str, **overrides: Any) -> PreflightReport:
    args: dict[str, Any] = {
        "train": PREFERENCES,
        "engine": "rlhf-pipeline",
        "accelerator": accelerator,
        "base_model": "t5-small",
        "steps": 300,
        "spend_lookup": spent("100"),
        "today": date(2026, 1, 20),
    }
    return run_preflight(settings, **(args | overrides))


@pytest.fixture
def settings(cloud: Cloud) -> Any:
    cloud.get(BudgetsServer).add_budget("tuning", 500)
    return cloud.settings(billing_account=BILLING_ACCOUNT)


@pytest.fixture
def quotas(cloud: Cloud) -> QuotasServer:
    return cloud.get(QuotasServer)


def test_gemini_run_with_a_free_slot_and_headroom_is_a_go(settings: Any) -> None:
    report = gemini(settings)
    assert report.go
    assert status_of(report) == {
        "model": "ok",
        "dataset": "ok",
        "region": "ok",
        "quota concurrent-tuning-jobs": "ok",
        "budget headroom": "ok",
        "cost estimate": "ok",
    }
    assert "0 of 1 concurrent tuning jobs in use" in report.by_name("quota concurrent-tuning-jobs").reason


def test_rlhf_on_tpu_with_granted_quota_is_a_go(settings: Any, quotas: QuotasServer) -> None:
    quotas.set_limit(TPU_ID, "europe-west4", 64)
    report = rlhf(settings, "tpu")
    assert report.go, report.checks
    assert report.region == "europe-west4"
    assert "82.80 USD" in report.by_name("cost estimate").reason


def test_missing_tpu_quota_is_a_no_go_that_says_how_to_ask(settings: Any, quotas: QuotasServer) -> None:
    quotas.seed_preference(
        "tunectl-test",
        "tunectl-cli-tpu-v3-pod-cores-europe-west4",
        TPU_ID,
        "europe-west4",
        64,
        reconciling=True,
    )
    report = rlhf(settings, "tpu")
    check = report.by_name("quota tpu-v3-pod-cores")
    assert not report.go
    assert check.status is CheckStatus.no
    assert "limit 0 cores in europe-west4, one run needs 64" in check.reason
    assert "is pending" in check.reason
    assert "tunectl quota request tpu-v3-pod-cores --value 64" in check.reason


def test_gpu_run_needs_both_gpus_and_cpus(settings: Any, quotas: QuotasServer) -> None:
    quotas.set_limit(A100_ID, "us-central1", 8)
    report = rlhf(settings, "gpu")
    assert report.region == "us-central1"
    assert status_of(report)["quota a100-80gb-gpus"] is CheckStatus.ok
    assert status_of(report)["quota a2-cpus"] is CheckStatus.no
    quotas.set_limit(A2_CPU_ID, "us-central1", 96)
    report = rlhf(settings, "gpu")
    # The GPU configuration has no price yet: the cost, and so the budget, cannot be checked.
    assert report.verdict == "unknown"
    assert {c.name for c in report.unknown} == {"cost estimate", "budget headroom"}
    assert rlhf(settings, "gpu", allow_unknown=["cost", "budget"]).go


def test_all_tuning_slots_in_use_is_a_no_go(settings: Any, genai_client: Any) -> None:
    from google.genai import types

    genai_client.tunings.tune(
        base_model="gemini-2.5-flash",
        training_dataset=types.TuningDataset(gcs_uri="gs://tunectl-test-tuning/other-run/train.jsonl"),
    )
    report = gemini(settings)
    assert not report.go
    check = report.by_name("quota concurrent-tuning-jobs")
    assert check.status is CheckStatus.no
    assert "all 1 concurrent tuning job slots in us-central1 are in use" in check.reason


def test_more_slots_leave_room(settings: Any, genai_client: Any, quotas: QuotasServer) -> None:
    from google.genai import types

    genai_client.tunings.tune(
        base_model="gemini-2.5-flash",
        training_dataset=types.TuningDataset(gcs_uri="gs://tunectl-test-tuning/other-run/train.jsonl"),
    )
    quotas.set_limit(TUNING_JOBS_ID, "us-central1", 2)
    assert gemini(settings).go


def test_invalid_dataset_is_a_no_go_and_has_no_estimate(settings: Any, tmp_path: Path) -> None:
    bad = tmp_path / "train.jsonl"
    bad.write_text(
        '{"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}\n{not json\n', encoding="utf-8"
    )
    report = gemini(settings, train=str(bad), validation=None)
    assert not report.go
    assert report.by_name("dataset").status is CheckStatus.no
    assert "json-syntax" in report.by_name("dataset").reason
    assert report.by_name("cost estimate").status is CheckStatus.unknown


def test_region_outside_the_allowed_list_is_a_no_go(settings: Any) -> None:
    report = gemini(settings, region="asia-east1")
    assert report.by_name("region").status is CheckStatus.no
    assert "not an allowed region" in report.by_name("region").reason


def test_eu_residency_rejects_a_us_region(cloud: Cloud, tmp_path: Path) -> None:
    config = write_policy_config(
        tmp_path / "pack.json",
        **{
            "location-eu-residency": {"euResidency": True},
            "location-allowed-region": {"allowedRegions": ["us-central1", "europe-west4"]},
        },
    )
    report = gemini(cloud.settings(policy_config=config))
    assert report.by_name("region").status is CheckStatus.no
    assert "outside the EU" in report.by_name("region").reason
    assert (
        gemini(cloud.settings(policy_config=config), region="europe-west4").by_name("region").status
        is CheckStatus.ok
    )


def test_rlhf_pipeline_cannot_move_region(settings: Any) -> None:
    report = rlhf(settings, "tpu", region="us-central1")
    assert report.by_name("region").status is CheckStatus.no
    assert "europe-west4 only" in report.by_name("region").reason


def test_budget_without_headroom_is_a_no_go(settings: Any) -> None:
    report = gemini(settings, spend_lookup=spent("499.99"))
    assert not report.go
    assert report.by_name("budget headroom").status is CheckStatus.no


def test_failing_quota_api_is_unknown_never_ok(cloud: Cloud, settings: Any) -> None:
    cloud.faults.inject(QUOTA_INFOS_LIST, 403, times=2)
    report = gemini(settings)
    check = report.by_name("quota concurrent-tuning-jobs")
    assert check.status is CheckStatus.unknown
    assert "cloud-permission-denied" in check.reason
    assert report.verdict == "unknown" and not report.go  # fail closed: an unknown is not a go...
    cloud.faults.inject(QUOTA_INFOS_LIST, 403, times=2)
    waived = gemini(settings, allow_unknown=["quota"])
    assert waived.verdict == "go" and [c.name for c in waived.waived_checks] == [
        check.name
    ]  # ...unless waived


def test_failing_budget_api_is_unknown(cloud: Cloud, settings: Any) -> None:
    cloud.faults.inject("billingbudgets.billingAccounts.budgets.list", 403)
    check = gemini(settings).by_name("budget headroom")
    assert check.status is CheckStatus.unknown
    assert "cloud-permission-denied" in check.reason


def test_failing_tuning_job_listing_is_unknown(cloud: Cloud, settings: Any) -> None:
    cloud.faults.inject("aiplatform.projects.locations.tuningJobs.list", 403)
    check = gemini(settings).by_name("quota concurrent-tuning-jobs")
    assert check.status is CheckStatus.unknown
    assert "cannot count running tuning jobs" in check.reason


def test_unresolvable_quota_is_unknown(settings: Any, quotas: QuotasServer) -> None:
    quotas.remove_quota(TUNING_JOBS_ID)
    check = gemini(settings).by_name("quota concurrent-tuning-jobs")
    assert check.status is CheckStatus.unknown
    assert "quota id unresolved" in check.reason


def test_offline_preflight_checks_dataset_region_and_cost_and_says_what_it_cannot(tmp_path: Path) -> None:
    from ops.settings import Settings

    report = gemini(Settings())
    assert status_of(report) == {
        "model": "ok",
        "dataset": "ok",
        "region": "ok",
        "quota concurrent-tuning-jobs": "unknown",
        "budget headroom": "unknown",
        "cost estimate": "ok",
    }
    assert "no project set" in report.by_name("budget headroom").reason
    assert report.verdict == "unknown" and not report.go  # offline is never a go


def test_cli_exit_status_and_json(
    cloud: Cloud,
    settings: Any,
    quotas: QuotasServer,
    cloud_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    isolate_config(monkeypatch, tmp_path)
    args = ("preflight", "--train", PREFERENCES, "--engine", "rlhf-pipeline", "--base-model", "t5-small")
    args += ("--steps", "300")
    status, data, _ = run_json(capsys, *args)
    assert (status, data["verdict"]) == (1, "no-go")
    assert {c["name"]: c["status"] for c in data["checks"]}["quota tpu-v3-pod-cores"] == "no"
    quotas.set_limit(TPU_ID, "europe-west4", 64)
    status, data, _ = run_json(capsys, *args)
    unknown = {c["name"] for c in data["checks"] if c["status"] == "unknown"}
    assert (status, data["verdict"], data["go"], unknown) == (1, "unknown", False, {"budget headroom"})
    status, data, _ = run_json(capsys, *args, "--allow-unknown", "budget")
    assert (status, data["verdict"], data["go"], data["waived"]) == (0, "go", True, ["budget headroom"])


def test_an_invalid_policy_config_makes_the_region_unknown(cloud: Cloud, tmp_path: Path) -> None:
    config = write_policy_config(
        tmp_path / "pack.json", **{"location-allowed-region": {"allowedRegion": ["x"]}}
    )
    check = gemini(cloud.settings(policy_config=config)).by_name("region")
    assert check.status is CheckStatus.unknown
    assert "policy-config-invalid" in check.reason


def test_the_dataset_row_names_its_warnings(tmp_path: Path) -> None:
    from ops.preflight.gate import dataset_check
    from ops.settings import Settings

    one = tmp_path / "one.jsonl"
    one.write_text('{"input_text": "a", "output_text": "b"}\n', encoding="utf-8")
    check, _ = dataset_check(Settings(), str(one), None, "not-a-model")
    assert check.status is CheckStatus.ok
    assert "train: 1 supervised example (palm style)" in check.reason
    assert "(2 warnings: too-few-examples, unknown-model)" in check.reason


def test_an_rlhf_base_model_is_not_an_unknown_model_to_dataset_validation() -> None:
    from ops.datasets import validate_files

    (report,) = validate_files([PREFERENCES], base_model="t5-large")
    assert "unknown-model" not in {w.code for w in report.warnings}
