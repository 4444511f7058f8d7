"""Each config mistake stops the plan with the config key at fault and a hint, never a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pytest

from infra.config import ConfigError, parse_config
from infra.offline import plan_stack
from ops.cli import run
from ops.errors import ExitStatus, TunectlError

GEMINI = {
    "engine": "gemini",
    "cron": "0 3 * * 1",
    "baseModel": "gemini-3.5-flash",
    "trainingDataset": "t.jsonl",
}


def config_error(stack: str, overrides: dict[str, Any]) -> TunectlError:
    with pytest.raises(TunectlError) as caught:
        plan_stack(stack, overrides)
    error = caught.value
    assert error.code == "infra-config-invalid"
    assert error.status == ExitStatus.USAGE
    assert error.hint
    return error


def test_bad_region() -> None:
    error = config_error("gpu", {"region": "us-centrall1"})
    assert error.where == "Pulumi.gpu.yaml: tunectl:region"
    assert "not a Vertex AI region" in error.message


def test_residency_conflict_of_the_stack_region() -> None:
    error = config_error("tpu", {"region": "europe-west2"})  # London: outside the EU
    assert error.where == "Pulumi.tpu.yaml: tunectl:region"
    assert "outside the EU" in error.message


def test_residency_conflict_of_a_quota_region() -> None:
    error = config_error("tpu", {"quotas": {"tpu-v3-pod-cores": {"value": 64, "region": "us-central1"}}})
    assert error.where == "Pulumi.tpu.yaml: tunectl:quotas.tpu-v3-pod-cores.region"


def test_residency_conflict_of_the_billing_dataset() -> None:
    error = config_error("tpu", {"billingDatasetLocation": "US"})
    assert error.where == "Pulumi.tpu.yaml: tunectl:billingDatasetLocation"


@pytest.mark.parametrize("value", [8.5, "eight", 0])
def test_non_integer_or_non_positive_quota(value: object) -> None:
    error = config_error("gpu", {"quotas": {"a100-80gb-gpus": {"value": value}}})
    assert error.where == "Pulumi.gpu.yaml: tunectl:quotas.a100-80gb-gpus.value"
    assert "whole numbers" in str(error.hint)


def test_unknown_quota() -> None:
    error = config_error("gpu", {"quotas": {"h100-gpus": {"value": 8}}})
    assert error.where == "Pulumi.gpu.yaml: tunectl:quotas"
    assert "a100-80gb-gpus" in str(error.hint)


def test_missing_contact_email() -> None:
    error = config_error("gpu", {"quotaContactEmail": None})
    assert error.where == "Pulumi.gpu.yaml: tunectl:quotaContactEmail"
    assert "pulumi config set quotaContactEmail" in str(error.hint)


def test_bad_cron() -> None:
    error = config_error("gpu", {"schedules": {"nightly": {**GEMINI, "cron": "0 3 * * 8"}}})
    assert error.where == "Pulumi.gpu.yaml: tunectl:schedules.nightly.cron"
    assert "unix-cron" in error.message


def test_six_field_cron_is_rejected_because_cloud_scheduler_takes_five() -> None:
    error = config_error("gpu", {"schedules": {"nightly": {**GEMINI, "cron": "0 0 3 * * 1"}}})
    assert error.where == "Pulumi.gpu.yaml: tunectl:schedules.nightly.cron"


def test_bad_time_zone() -> None:
    error = config_error("gpu", {"schedules": {"nightly": {**GEMINI, "timeZone": "Mars/Olympus"}}})
    assert error.where == "Pulumi.gpu.yaml: tunectl:schedules.nightly.timeZone"


def test_unknown_engine() -> None:
    error = config_error("gpu", {"schedules": {"nightly": {**GEMINI, "engine": "palm"}}})
    assert error.where == "Pulumi.gpu.yaml: tunectl:schedules.nightly.engine"
    assert "palm" in error.message
    assert "rlhf-pipeline" in str(error.hint)


def test_budget_without_billing_account() -> None:
    error = config_error("gpu", {"billingAccount": None})
    assert error.where == "Pulumi.gpu.yaml: tunectl:billingAccount"
    assert "budget" in error.message


def test_large_t5_outside_europe_west4() -> None:
    schedule = {
        "engine": "rlhf-pipeline",
        "cron": "0 1 * * *",
        "promptDataset": "p",
        "preferenceDataset": "q",
        "largeModelReference": "t5-xxl",
    }
    error = config_error("gpu", {"schedules": {"big": schedule}})
    assert error.where == "Pulumi.gpu.yaml: tunectl:schedules.big.largeModelReference"


def test_kms_key_outside_the_stack_region() -> None:
    error = config_error("tpu", {"kmsKeyName": "projects/p/locations/us-central1/keyRings/r/cryptoKeys/k"})
    assert error.where == "Pulumi.tpu.yaml: tunectl:kmsKeyName"


def test_the_cli_quota_prefix_is_reserved() -> None:
    error = config_error("gpu", {"resourcePrefix": "tunectl-cli"})
    assert error.where == "Pulumi.gpu.yaml: tunectl:resourcePrefix"


def test_missing_project() -> None:
    error = config_error("gpu", {"gcp:project": None})
    assert error.where == "Pulumi.gpu.yaml: gcp:project"
    assert "pulumi config set gcp:project" in str(error.hint)


def test_unknown_key_in_a_stack_file_is_reported(tmp_path: Path) -> None:
    stack = tmp_path / "Pulumi.typo.yaml"
    stack.write_text("config:\n  gcp:project: tunectl-typo-1\n  tunectl:regoin: us-central1\n")
    with pytest.raises(TunectlError) as caught:
        plan_stack(stack)
    assert caught.value.code == "infra-config-unknown-key"
    assert "regoin" in caught.value.message


def test_config_error_is_a_pulumi_run_error_so_preview_prints_no_traceback() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"region": "nowhere"}, project="tunectl-x1", stack="x")
    assert isinstance(caught.value, pulumi.RunError)
    assert str(caught.value).startswith("config key `tunectl:region`: ")
    assert "hint: " in str(caught.value)


def test_cli_exits_2_with_key_and_hint_and_no_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = tmp_path / "Pulumi.bad.yaml"
    stack.write_text(
        "config:\n  gcp:project: tunectl-bad-1\n  tunectl:region: us-central1\n  tunectl:dataResidency: eu\n"
    )
    status = run(["infra", "plan", "--stack", str(stack)])
    err = capsys.readouterr().err
    assert status == 2
    assert "error[infra-config-invalid]" in err
    assert "Pulumi.bad.yaml: tunectl:region" in err
    assert "hint:" in err
    assert "Traceback" not in err


RLHF = {
    "engine": "rlhf-pipeline",
    "cron": "0 1 * * *",
    "promptDataset": "p.jsonl",
    "preferenceDataset": "q.jsonl",
    "largeModelReference": "t5-small",
}


def test_eu_stack_rlhf_schedule_on_gpu_would_train_in_us_central1() -> None:
    error = config_error("tpu", {"schedules": {"gpu-rlhf": {**RLHF, "acceleratorType": "GPU"}}})
    assert error.where == "Pulumi.tpu.yaml: tunectl:schedules.gpu-rlhf.acceleratorType"
    assert "us-central1" in error.message
    assert "acceleratorType: TPU" in str(error.hint)


@pytest.mark.parametrize("region", ["europe-west4", "europe-west1", "europe-west3"])
def test_eu_stack_never_defaults_rlhf_to_gpu(region: str) -> None:
    config = parse_config(
        {"region": region, "dataResidency": "eu", "schedules": {"eu-rlhf": RLHF}},
        project="tunectl-x1",
        stack="x",
    )
    assert config.default_accelerator == "TPU"
    assert config.accelerator_of(config.schedules["eu-rlhf"]) == "TPU"  # type: ignore[arg-type]


def test_non_eu_stack_outside_europe_west4_defaults_to_gpu() -> None:
    config = parse_config({"region": "us-central1"}, project="tunectl-x1", stack="x")
    assert config.default_accelerator == "GPU"


def test_cmek_with_an_rlhf_schedule_on_tpu() -> None:
    error = config_error("tpu", {"kmsKeyName": "projects/p/locations/europe-west4/keyRings/r/cryptoKeys/k"})
    assert error.where == "Pulumi.tpu.yaml: tunectl:kmsKeyName"
    assert "nightly-rlhf" in error.message
    assert "GPU training in us-central1" in error.message
    assert "unset kmsKeyName" in str(error.hint)


def test_cmek_with_an_rlhf_schedule_outside_us_central1() -> None:
    error = config_error(
        "gpu",
        {
            "region": "us-east4",
            "quotas": None,
            "kmsKeyName": "projects/p/locations/us-east4/keyRings/r/cryptoKeys/k",
            "schedules": {"east-rlhf": {**RLHF, "acceleratorType": "GPU"}},
        },
    )
    assert error.where == "Pulumi.gpu.yaml: tunectl:kmsKeyName"
    assert "us-east4" in error.message


def test_cmek_with_a_gpu_rlhf_schedule_in_us_central1_is_accepted() -> None:
    plan_stack("gpu", {"kmsKeyName": "projects/p/locations/us-central1/keyRings/r/cryptoKeys/k"})


@pytest.mark.parametrize("dataset_id", ["billing-export", "billing.export", "", "a" * 1025, "bill export"])
def test_bad_billing_dataset_id(dataset_id: str) -> None:
    error = config_error("gpu", {"billingDatasetId": dataset_id})
    assert error.where == "Pulumi.gpu.yaml: tunectl:billingDatasetId"
    assert "BigQuery dataset id" in error.message
    assert "billing_export" in str(error.hint)


@pytest.mark.parametrize(
    ("schedule", "key", "code"),
    [
        ({"baseModel": "gemini-2.5-flash"}, "baseModel", "model-retired"),
        ({"baseModel": "gemini-3-flash"}, "baseModel", "model-unknown"),
        ({"baseModel": "gemini-2.5-pro", "method": "preference"}, "method", "method-not-supported"),
        ({"baseModel": "gemini-2.5-pro", "adapterSize": 16}, "adapterSize", "adapter-size-invalid"),
    ],
)
def test_a_schedule_the_catalog_says_vertex_ai_rejects_fails_the_preview(
    schedule: dict[str, Any], key: str, code: str
) -> None:
    error = config_error("gpu", {"schedules": {"weekly": GEMINI | schedule}})
    assert error.where == f"Pulumi.gpu.yaml: tunectl:schedules.weekly.{key}"
    assert code in error.message and "source: https://" in error.message


def test_an_unknown_model_schedules_only_when_the_schedule_allows_it() -> None:
    planned = plan_stack(
        "gpu", {"schedules": {"weekly": GEMINI | {"baseModel": "gemini-9", "allowUnknownModel": True}}}
    )
    assert planned


def test_an_rlhf_reference_the_pipeline_does_not_know_fails_the_preview() -> None:
    rlhf = {
        "engine": "rlhf-pipeline",
        "cron": "0 3 * * 1",
        "promptDataset": "p.jsonl",
        "preferenceDataset": "q.jsonl",
        "largeModelReference": "llama-7b",
    }
    error = config_error("tpu", {"schedules": {"nightly": rlhf}})
    assert error.where == "Pulumi.tpu.yaml: tunectl:schedules.nightly.largeModelReference"
    assert "rlhf-model-unknown" in error.message


@pytest.mark.parametrize(
    ("content", "code", "says", "where"),
    [
        (
            b"config:\n  tunectl:region: \xff\xfe\n",
            "infra-stack-invalid",
            "not UTF-8 text: byte 0xff at byte 26",
            ":2",
        ),
        (b"config:\n  a: [1\n", "infra-stack-invalid", "not YAML", ":3:1"),
        (b"", "infra-stack-invalid", "the stack file is empty", "Pulumi.x.yaml"),
        (b"# only a comment\n", "infra-stack-invalid", "the stack file is empty", "Pulumi.x.yaml"),
    ],
)
def test_an_unreadable_stack_file_says_what_and_where(
    tmp_path: Path, content: bytes, code: str, says: str, where: str
) -> None:
    from infra.offline import load_stack_file

    path = tmp_path / "Pulumi.x.yaml"
    path.write_bytes(content)
    with pytest.raises(TunectlError) as caught:
        load_stack_file(path)
    assert caught.value.code == code and says in caught.value.message
    assert str(path) in (caught.value.where or "") and (caught.value.where or "").endswith(where)
    assert "<unicode string>" not in caught.value.message


def test_a_stack_directory_is_named_as_a_directory(tmp_path: Path) -> None:
    from infra.offline import load_stack_file

    with pytest.raises(TunectlError, match="is a directory"):
        load_stack_file(tmp_path)
