"""Preflight fails closed: every check that fails, errors or times out ends in no-go or unknown, never
go; only an explicit `--allow-unknown` waives an unknown. Through the API test servers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ops.preflight.budget import BudgetScope, Spend
from ops.preflight.gate import PreflightReport, run_preflight
from ops.preflight.max_cost import parse_max_cost
from tests.cloud.budgets import BILLING_ACCOUNT, BudgetsServer
from tests.cloud.harness import Cloud
from tests.quota_fixtures import isolate_config, run_json

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
TRAIN = str(SAMPLES / "sarcasm-generation-gemini" / "train.jsonl")

# Each API the gate reads, and the check it feeds.
APIS = {
    "cloudquotas.projects.locations.services.quotaInfos.list": "quota concurrent-tuning-jobs",
    "billingbudgets.billingAccounts.budgets.list": "budget headroom",
    "aiplatform.projects.locations.tuningJobs.list": "quota concurrent-tuning-jobs",
}
# 403: refused; 500 every time: a persistent server error; hang: the API stops answering (timeout);
# malformed: an answer that does not parse.
FAULTS: list[Any] = [403, 500, "hang", "malformed"]


def _spent(amount: str) -> Any:
    def lookup(scope: BudgetScope) -> Spend:
        return Spend(Decimal(amount), "USD", "test ledger")

    return lookup


def _gemini(settings: Any, **overrides: Any) -> PreflightReport:
    args: dict[str, Any] = {
        "train": TRAIN,
        "engine": "gemini",
        "base_model": "gemini-2.5-pro",
        "epochs": 1,
        "spend_lookup": _spent("10"),
        "today": date(2026, 12, 2),
    }
    return run_preflight(settings, **(args | overrides))


@pytest.fixture
def settings(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> Any:
    cloud.get(BudgetsServer).add_budget("tuning", 500)
    monkeypatch.setenv("TUNECTL_RETRY_BASE_DELAY", "0")  # retries without waiting
    monkeypatch.setenv("TUNECTL_REQUEST_TIMEOUT", "0.3")
    return cloud.settings(billing_account=BILLING_ACCOUNT)


def test_with_every_api_answering_the_run_is_a_go(settings: Any) -> None:
    report = _gemini(settings)
    assert report.verdict == "go", report.checks


@pytest.mark.parametrize("fault", FAULTS, ids=str)
@pytest.mark.parametrize("method", sorted(APIS))
def test_an_api_that_fails_makes_its_check_unknown_and_the_verdict_unknown(
    cloud: Cloud, settings: Any, method: str, fault: Any
) -> None:
    cloud.faults.inject(method, fault, times=20, hang_seconds=0.1)
    report = _gemini(settings)
    check = report.by_name(APIS[method])
    assert check.status == "unknown", check
    assert report.verdict == "unknown" and not report.go
    assert check in report.unknown


def test_an_api_failure_is_exit_1_from_the_cli_not_3(
    cloud: Cloud,
    cloud_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    isolate_config(monkeypatch, tmp_path)
    cloud.faults.inject("cloudquotas.projects.locations.services.quotaInfos.list", 403, times=5)
    args = ("preflight", "--train", TRAIN, "--engine", "gemini", "--base-model", "gemini-2.5-pro")
    status, data, _ = run_json(capsys, *args)
    assert (status, data["verdict"]) == (1, "unknown")
    waived = ("--allow-unknown", "quota", "--allow-unknown", "budget")
    status, data, _ = run_json(capsys, *args, *waived)
    assert (status, data["verdict"]) == (0, "go")
    assert set(data["waived"]) == {"quota concurrent-tuning-jobs", "budget headroom"}


def test_offline_is_unknown_exit_1_and_says_why(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    isolate_config(monkeypatch, tmp_path)
    monkeypatch.delenv("TUNECTL_PROJECT", raising=False)
    args = ("preflight", "--train", TRAIN, "--engine", "gemini", "--base-model", "gemini-2.5-pro")
    status, data, _ = run_json(capsys, *args)
    unknown = {c["name"]: c["reason"] for c in data["checks"] if c["status"] == "unknown"}
    assert (status, data["verdict"]) == (1, "unknown")
    assert set(unknown) == {"quota concurrent-tuning-jobs", "budget headroom"}
    assert all("no project set" in reason for reason in unknown.values())


def test_a_retired_model_is_no_go_and_an_unknown_one_is_unknown(settings: Any) -> None:
    retired = _gemini(settings, base_model="gemini-2.5-flash")
    assert (
        retired.verdict == "no-go" and "retired for tuning on 2026-10-16" in retired.by_name("model").reason
    )
    unknown = _gemini(settings, base_model="gemini-9-ultra")
    assert unknown.verdict == "unknown" and unknown.by_name("model").status == "unknown"
    assert _gemini(settings, base_model="gemini-9-ultra", allow_unknown=["model", "cost", "budget"]).go


@pytest.mark.parametrize(
    ("ceiling", "status"),
    [("1000", "ok"), ("1000 USD", "ok"), ("0.01", "no"), ("1000 EUR", "unknown")],
)
def test_max_cost_above_is_no_go_and_another_currency_is_unknown(
    settings: Any, ceiling: str, status: str
) -> None:
    report = _gemini(settings, max_cost=parse_max_cost(ceiling))
    check = report.by_name("max cost")
    assert check.status == status, check
    assert report.verdict == {"ok": "go", "no": "no-go", "unknown": "unknown"}[status]
    if status == "unknown":
        assert "no conversion" in check.reason


def test_max_cost_with_no_estimate_is_a_waivable_unknown(settings: Any) -> None:
    # gemini-3.5-flash has no published tuning price in the table: no estimate.
    report = _gemini(settings, base_model="gemini-3.5-flash", max_cost=parse_max_cost("50"))
    assert report.by_name("max cost").status == "unknown" and report.verdict == "unknown"
    waived = _gemini(
        settings,
        base_model="gemini-3.5-flash",
        max_cost=parse_max_cost("50"),
        allow_unknown=["cost", "budget"],
    )
    assert waived.verdict == "go"


@pytest.mark.parametrize("text", ["", "-5", "ten", "5 dollars", "0"])
def test_a_bad_max_cost_is_a_usage_error(text: str) -> None:
    from ops.errors import TunectlError

    with pytest.raises(TunectlError) as caught:
        parse_max_cost(text)
    assert caught.value.code == "max-cost-invalid" and caught.value.status == 2


@pytest.mark.parametrize(
    ("ceiling", "status", "verdict"),
    [("1000", 0, "ok"), ("0.01", 1, "no"), ("1000 EUR", 1, "unknown")],
)
def test_plan_max_cost_exits_1_above_the_ceiling_or_when_it_cannot_compare(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    ceiling: str,
    status: int,
    verdict: str,
) -> None:
    isolate_config(monkeypatch, tmp_path)
    args = ("plan", "--train", TRAIN, "--engine", "gemini", "--base-model", "gemini-2.5-pro")
    code, data, _ = run_json(capsys, *args, "--max-cost", ceiling)
    assert (code, data["max_cost"]["status"]) == (status, verdict)


def test_plan_refuses_a_retired_model_as_launch_does_and_warns_about_an_unknown_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    isolate_config(monkeypatch, tmp_path)
    args = ("plan", "--train", TRAIN, "--engine", "gemini", "--base-model", "gemini-2.5-flash")
    code, _data, err = run_json(capsys, *args)
    assert code == 2 and "retired for tuning on 2026-10-16" in err and "model-retired" in err
    unknown = ("plan", "--train", TRAIN, "--engine", "gemini", "--base-model", "gemini-9-ultra")
    code, _data, err = run_json(capsys, *unknown)
    assert code == 0 and "model-unknown" in err and "will refuse it" in err


# Only a refusal here: ops.datasets retries a failing or hung gs:// read for over a minute (the storage
# client's own retry policy) before it gives up, too slow for the suite; it ends unknown the same way.
@pytest.mark.parametrize("fault", [403], ids=str)
def test_a_dataset_that_cannot_be_read_is_unknown_and_cannot_be_waived(
    cloud: Cloud, settings: Any, fault: Any
) -> None:
    from tests.cloud.storage import StorageServer

    storage = cloud.get(StorageServer)
    storage.create_bucket("tunectl-test-data")
    storage.put_object("tunectl-test-data", "train.jsonl", Path(TRAIN).read_bytes())
    uri = "gs://tunectl-test-data/train.jsonl"
    assert _gemini(settings, train=uri).by_name("dataset").status == "ok"
    cloud.faults.inject("storage.objects.get", fault, times=20, hang_seconds=0.1)
    report = _gemini(settings, train=uri, allow_unknown=["quota", "budget", "cost", "model"])
    assert report.by_name("dataset").status == "unknown"
    assert report.verdict == "unknown"  # no --allow-unknown reaches the dataset
