"""`tunectl quota request`: an idempotent upsert of our own preference, within the policy ceilings,
never fighting the Pulumi stack."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cloud.harness import Cloud
from tests.cloud.quotas import A2_CPU_ID, A100_ID, TPU_ID, QuotasServer
from tests.quota_fixtures import isolate_config, run_cli, run_json, write_policy_config

OUR_TPU = "projects/tunectl-test/locations/global/quotaPreferences/tunectl-cli-tpu-v3-pod-cores-europe-west4"
ASK = ("--justification", "RLHF tuning on TPU v3 pods", "--email", "platform@example.com", "--yes")


@pytest.fixture
def quotas(
    cloud: Cloud, cloud_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> QuotasServer:
    isolate_config(monkeypatch, tmp_path)
    return cloud.get(QuotasServer)


def test_request_creates_our_preference_with_a_deterministic_id(
    quotas: QuotasServer, capsys: pytest.CaptureFixture[str]
) -> None:
    status, data, _ = run_json(capsys, "quota", "request", "tpu-v3-pod-cores", "--value", "64", *ASK)
    assert status == 0
    assert data["action"] == "created"
    assert data["preference_id"] == "tunectl-cli-tpu-v3-pod-cores-europe-west4"
    stored = quotas.preferences[OUR_TPU]
    assert stored["quotaId"] == TPU_ID  # resolved by display name, not guessed
    assert stored["dimensions"] == {"region": "europe-west4"}
    assert stored["quotaConfig"]["preferredValue"] == "64"
    assert stored["quotaConfig"]["annotations"] == {"managed-by": "tunectl"}
    assert data["after"]["status"] == "pending"


def test_repeating_the_same_request_sends_nothing(
    quotas: QuotasServer, capsys: pytest.CaptureFixture[str]
) -> None:
    run_json(capsys, "quota", "request", "tpu-v3-pod-cores", "--value", "64", *ASK)
    etag = quotas.preferences[OUR_TPU]["etag"]
    status, data, _ = run_json(capsys, "quota", "request", "tpu-v3-pod-cores", "--value", "64", *ASK)
    assert (status, data["action"]) == (0, "unchanged")
    assert quotas.preferences[OUR_TPU]["etag"] == etag


def test_a_new_value_updates_the_existing_preference(
    quotas: QuotasServer, capsys: pytest.CaptureFixture[str]
) -> None:
    run_json(capsys, "quota", "request", "tpu-v3-pod-cores", "--value", "32", *ASK)
    status, data, _ = run_json(capsys, "quota", "request", "tpu-v3-pod-cores", "--value", "64", *ASK)
    assert (status, data["action"]) == (0, "updated")
    assert data["before"]["preferred_value"] == 32
    assert quotas.preferences[OUR_TPU]["quotaConfig"]["preferredValue"] == "64"
    assert len(quotas.preferences) == 1


def test_a_console_preference_is_updated_in_place(
    quotas: QuotasServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """Google keeps one preference per quota and region: a second one would be refused."""
    console = quotas.seed_preference(
        "tunectl-test", "console-request-1", A100_ID, "us-central1", 4, granted=4
    )
    status, data, _ = run_json(capsys, "quota", "request", "a100-80gb-gpus", "--value", "8", *ASK)
    assert (status, data["action"], data["preference_id"]) == (0, "updated", "console-request-1")
    assert quotas.preferences[console["name"]]["quotaConfig"]["preferredValue"] == "8"


def test_dry_run_validates_with_google_and_changes_nothing(
    quotas: QuotasServer, capsys: pytest.CaptureFixture[str]
) -> None:
    status, data, err = run_json(capsys, "quota", "request", "a2-cpus", "--value", "96", *ASK, "--dry-run")
    assert (status, data["action"]) == (0, "validated")
    assert data["after"]["preferred_value"] == 96
    assert quotas.preferences == {}
    assert "dry run" in err


def test_dry_run_surfaces_what_google_rejects(
    quotas: QuotasServer, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run_cli(
        capsys,
        "quota",
        "request",
        "a2-cpus",
        "--value",
        "96",
        "--justification",
        "x",
        "--email",
        "",
        "--dry-run",
    )
    assert status == 3
    assert "contact_email is required" in err


def test_value_above_the_policy_ceiling_is_refused_before_anything_is_sent(
    quotas: QuotasServer, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_policy_config(
        tmp_path / "pack.json", **{"quota-preference-within-ceiling": {"ceilings": {"*TPU*": 64}}}
    )
    monkeypatch.setenv("TUNECTL_POLICY_CONFIG", str(config))
    status, _, err = run_cli(capsys, "quota", "request", "tpu-v3-pod-cores", "--value", "128", *ASK)
    assert status == 1
    assert "error[quota-above-ceiling]" in err
    assert "ceiling of 64" in err
    assert quotas.preferences == {}


def test_default_ceilings_are_the_policy_packs(
    quotas: QuotasServer, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run_cli(capsys, "quota", "request", "a100-80gb-gpus", "--value", "17", *ASK)
    assert status == 1
    assert "ceiling of 16" in err and "the policy pack's defaults" in err


def test_stack_managed_preference_is_left_alone_without_force(
    quotas: QuotasServer, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = quotas.seed_preference(
        "tunectl-test", "tunectl-a2-cpus-us-central1", A2_CPU_ID, "us-central1", 96, granted=96
    )
    status, data, err = run_json(capsys, "quota", "request", "a2-cpus", "--value", "48", *ASK)
    assert (status, data["action"]) == (1, "refused-stack-managed")
    assert "managed by the Pulumi stack" in err
    assert quotas.preferences[stack["name"]]["quotaConfig"]["preferredValue"] == "96"


def test_force_overrides_the_stack_managed_refusal(
    quotas: QuotasServer, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = quotas.seed_preference(
        "tunectl-test",
        "acme-a2",
        A2_CPU_ID,
        "us-central1",
        96,
        granted=96,
        annotations={"managed-by": "pulumi-stack"},
    )
    status, data, _ = run_json(capsys, "quota", "request", "a2-cpus", "--value", "48", *ASK, "--force")
    assert (status, data["action"]) == (0, "updated")
    assert quotas.preferences[stack["name"]]["quotaConfig"]["annotations"] == {"managed-by": "pulumi-stack"}


def test_without_a_terminal_or_yes_it_refuses_and_sends_nothing(
    quotas: QuotasServer, capsys: pytest.CaptureFixture[str]
) -> None:
    ask = [a for a in ASK if a != "--yes"]
    status, _out, err = run_cli(capsys, "quota", "request", "tpu-v3-pod-cores", "--value", "64", *ask)
    assert status == 2 and "error[confirmation-needed]" in err and "--yes" in err
    assert quotas.preferences == {}


def test_declining_the_confirmation_sends_nothing(
    quotas: QuotasServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    monkeypatch.setattr("ops.commands.common.interactive", lambda: True)  # a person at a terminal

    from ops.cli import app

    result = CliRunner().invoke(
        app,
        [
            "quota",
            "request",
            "tpu-v3-pod-cores",
            "--value",
            "64",
            "--justification",
            "j",
            "--email",
            "a@b.co",
        ],
        input="n\n",
    )
    assert result.exit_code == 1
    assert quotas.preferences == {}


def test_unresolvable_quota_is_refused(quotas: QuotasServer, capsys: pytest.CaptureFixture[str]) -> None:
    quotas.remove_quota(TPU_ID)
    status, _, err = run_cli(capsys, "quota", "request", "tpu-v3-pod-cores", "--value", "64", *ASK)
    assert status == 2
    assert "error[quota-id-unresolved]" in err


def test_unknown_quota_name_lists_the_tracked_ones(
    quotas: QuotasServer, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run_cli(capsys, "quota", "request", "h100", "--value", "8", *ASK)
    assert status == 2
    assert "tpu-v3-pod-cores" in err
