"""`tunectl quota show`: limits in force and where our preferences stand, through Cloud Quotas REST."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ops.quotas.show import quota_rows
from ops.quotas.status import PreferenceStatus
from tests.cloud.harness import Cloud
from tests.cloud.quotas import A2_CPU_ID, A100_ID, TPU_ID, QuotasServer
from tests.quota_fixtures import isolate_config, run_cli, run_json


@pytest.fixture
def quotas(cloud: Cloud) -> QuotasServer:
    return cloud.get(QuotasServer)


@pytest.fixture
def cli(cloud_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_config(monkeypatch, tmp_path)


def _rows(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    status, data, _ = run_json(capsys, "quota", "show")
    assert status == 0
    return {row["key"]: row for row in data["quotas"]}


def test_granted_preference_shows_granted_and_the_new_limit(
    cli: None, quotas: QuotasServer, capsys: pytest.CaptureFixture[str]
) -> None:
    quotas.seed_preference(
        "tunectl-test", "tunectl-cli-tpu-v3-pod-cores-europe-west4", TPU_ID, "europe-west4", 64, granted=64
    )
    row = _rows(capsys)["tpu-v3-pod-cores"]
    assert row["quota_id"] == TPU_ID
    assert row["resolved_by"] == "display-name"
    assert row["limit"] == 64
    assert row["preference"]["status"] == "granted"
    assert row["preference"]["managed_by"] == "tunectl"
    assert row["increase_eligible"] is True


def test_pending_preference_shows_pending_with_its_trace_id(
    cli: None, quotas: QuotasServer, capsys: pytest.CaptureFixture[str]
) -> None:
    quotas.seed_preference("tunectl-test", "console-a100", A100_ID, "us-central1", 8, reconciling=True)
    row = _rows(capsys)["a100-80gb-gpus"]
    assert row["limit"] == 0
    assert row["preference"]["status"] == "pending"
    assert row["preference"]["trace_id"]
    assert row["preference"]["granted_value"] is None
    assert row["preference"]["managed_by"] == "other"


def test_partly_granted_preference_shows_both_values(
    cli: None, quotas: QuotasServer, capsys: pytest.CaptureFixture[str]
) -> None:
    quotas.seed_preference(
        "tunectl-test", "tunectl-a2-cpus-us-central1", A2_CPU_ID, "us-central1", 96, granted=48
    )
    row = _rows(capsys)["a2-cpus"]
    assert row["preference"]["status"] == "partly-granted"
    assert (row["preference"]["preferred_value"], row["preference"]["granted_value"]) == (96, 48)
    assert row["preference"]["managed_by"] == "pulumi-stack"
    assert row["limit"] == 48


def test_rows_per_requested_region(cloud: Cloud, cloud_settings: Any, quotas_client: Any) -> None:
    rows = quota_rows(quotas_client, cloud.project, regions=("us-central1", "us-east4"))
    assert {(r.key, r.region) for r in rows if r.key == "a100-80gb-gpus"} == {
        ("a100-80gb-gpus", "us-central1"),
        ("a100-80gb-gpus", "us-east4"),
    }
    assert all(r.preference is None for r in rows)


def test_stack_outputs_mark_the_stacks_preferences(
    cloud: Cloud, quotas_client: Any, quotas: QuotasServer, tmp_path: Path
) -> None:
    quotas.seed_preference(
        cloud.project, "acme-tpu-v3-pod-cores-europe-west4", TPU_ID, "europe-west4", 64, granted=64
    )
    (tmp_path / "stack.json").write_text(
        json.dumps({"quota_preferences": {"tpu-v3-pod-cores": "acme-tpu-v3-pod-cores-europe-west4"}})
    )
    from ops.quotas.naming import stack_preference_ids

    stack_ids = stack_preference_ids(cloud.settings(stack_outputs=tmp_path / "stack.json"))
    rows = quota_rows(quotas_client, cloud.project, stack_ids=stack_ids)
    tpu = next(r for r in rows if r.key == "tpu-v3-pod-cores")
    assert tpu.preference is not None
    assert tpu.preference.managed_by == "pulumi-stack"
    assert tpu.preference.status is PreferenceStatus.granted


def test_unresolved_quota_is_shown_with_the_reason(
    cli: None, quotas: QuotasServer, capsys: pytest.CaptureFixture[str]
) -> None:
    quotas.remove_quota(A2_CPU_ID)
    row = _rows(capsys)["a2-cpus"]
    assert row["quota_id"] is None
    assert row["resolved_by"] == "unresolved"
    assert "no QuotaInfo has the display name" in row["resolution"]


def test_text_output_shows_the_resolution(cli: None, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run_cli(capsys, "quota", "show")
    assert status == 0
    assert TPU_ID in out
    assert "display-name" in out


def test_quota_api_error_is_a_cloud_diagnostic(
    cli: None, cloud: Cloud, capsys: pytest.CaptureFixture[str]
) -> None:
    cloud.faults.inject("cloudquotas.projects.locations.services.quotaInfos.list", 403)
    status, _, err = run_cli(capsys, "quota", "show")
    assert status == 3
    assert "error[cloud-permission-denied]" in err
    assert "Traceback" not in err
