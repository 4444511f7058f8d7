"""Quota ids: known ids and config overrides first, else by display name from the project's QuotaInfos."""

from __future__ import annotations

import pytest

from infra.offline import plan_stack
from ops.errors import TunectlError
from tests.infra_fixtures import of_type, realistic_quota_infos

PREFERENCE = "gcp:cloudquota/sQuotaPreference:SQuotaPreference"


def quota_ids(resources: list[dict]) -> dict[str, str]:
    return {p["name"].removeprefix("quota-"): p["inputs"]["quotaId"] for p in of_type(resources, PREFERENCE)}


def test_undocumented_ids_resolve_by_display_name_from_a_realistic_quota_infos_answer() -> None:
    gpu = plan_stack("gpu", quota_infos=realistic_quota_infos("tunectl-gpu-example"))
    tpu = plan_stack("tpu", quota_infos=realistic_quota_infos("tunectl-tpu-example"))
    assert quota_ids(gpu) == {
        "a100-80gb-gpus": "RestrictedImageTrainingA10080GBGPUsPerProjectPerRegion",
        # Not the neighbouring "Custom model training CPUs for A2 CPU types per region".
        "a2-cpus": "RestrictedImageTrainingA2CPUsPerProjectPerRegion",
    }
    assert quota_ids(tpu) == {"tpu-v3-pod-cores": "RestrictedImageTrainingTPUV3PodCoresPerProjectPerRegion"}


def test_a_display_name_the_project_does_not_list_is_a_config_error_naming_the_override() -> None:
    infos = [
        i
        for i in realistic_quota_infos()
        if "A2 CPU" not in i["quotaDisplayName"] or "Custom" in i["quotaDisplayName"]
    ]
    with pytest.raises(TunectlError) as caught:
        plan_stack("gpu", quota_infos=infos)
    assert caught.value.code == "infra-config-invalid"
    assert caught.value.where == "Pulumi.gpu.yaml: tunectl:quotas.a2-cpus.quotaId"
    assert "Restricted image training CPUs for A2 CPU types per region" in caught.value.message
    assert caught.value.hint and "quotaId" in caught.value.hint


def test_an_explicit_quota_id_in_config_wins_and_needs_no_lookup() -> None:
    overrides = {
        "quotas": {"a2-cpus": {"value": 96, "quotaId": "MyA2QuotaId"}, "a100-80gb-gpus": {"value": 8}}
    }
    resources = plan_stack("gpu", overrides, quota_infos=[])  # an empty answer: no lookup may be needed
    assert quota_ids(resources)["a2-cpus"] == "MyA2QuotaId"


def test_the_documented_a100_id_is_used_without_a_lookup() -> None:
    overrides = {"quotas": {"a100-80gb-gpus": {"value": 8}}}
    resources = plan_stack("gpu", overrides, quota_infos=[])
    assert quota_ids(resources) == {
        "a100-80gb-gpus": "RestrictedImageTrainingA10080GBGPUsPerProjectPerRegion"
    }


def test_the_offline_plan_marks_ids_it_cannot_know_instead_of_guessing() -> None:
    ids = quota_ids(plan_stack("tpu"))
    assert ids["tpu-v3-pod-cores"].startswith(
        "<resolved at preview from QuotaInfos: Restricted image training TPU V3"
    )


def test_preference_names_are_deterministic_and_independent_of_other_quotas() -> None:
    both = plan_stack("gpu", quota_infos=realistic_quota_infos())
    one = plan_stack("gpu", {"quotas": {"a2-cpus": {"value": 96}}}, quota_infos=realistic_quota_infos())
    name = {p["name"]: p["inputs"]["name"] for p in of_type(both, PREFERENCE)}
    assert name["quota-a2-cpus"] == "tunectl-a2-cpus-us-central1"
    assert {p["name"]: p["inputs"]["name"] for p in of_type(one, PREFERENCE)} == {
        "quota-a2-cpus": name["quota-a2-cpus"]
    }


def test_a_quota_region_other_than_the_stack_region_is_honoured() -> None:
    resources = plan_stack("tpu", {"quotas": {"tpu-v3-pod-cores": {"value": 32, "region": "europe-west1"}}})
    (preference,) = of_type(resources, PREFERENCE)
    assert preference["inputs"]["dimensions"] == {"region": "europe-west1"}
    assert preference["inputs"]["name"] == "tunectl-tpu-v3-pod-cores-europe-west1"
