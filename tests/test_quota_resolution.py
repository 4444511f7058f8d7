"""Quota ids are resolved from the project's QuotaInfos (Cloud Quotas over REST), never guessed."""

from __future__ import annotations

from typing import Any

from ops.quotas import api
from ops.quotas.catalog import CONCURRENT_TUNING_JOBS, all_quotas, find_quota
from ops.quotas.resolve import resolve_quota
from tests.cloud.harness import Cloud
from tests.cloud.quotas import A2_CPU_ID, A100_ID, TPU_ID, QuotasServer


def _infos(quotas_client: Any, cloud: Cloud) -> list[Any]:
    return api.list_quota_infos(quotas_client, cloud.project)


def test_undocumented_ids_resolve_by_display_name(cloud: Cloud, quotas_client: Any) -> None:
    infos = _infos(quotas_client, cloud)
    tpu = resolve_quota(find_quota("tpu-v3-pod-cores"), infos)
    a2 = resolve_quota(find_quota("a2-cpus"), infos)
    assert (tpu.quota_id, tpu.source) == (TPU_ID, "display-name")
    assert (a2.quota_id, a2.source) == (A2_CPU_ID, "display-name")
    assert "Restricted image training TPU V3 pod cores per region" in tpu.detail


def test_documented_id_is_checked_against_the_project(cloud: Cloud, quotas_client: Any) -> None:
    resolution = resolve_quota(find_quota("a100-80gb-gpus"), _infos(quotas_client, cloud))
    assert (resolution.quota_id, resolution.source) == (A100_ID, "catalog")
    assert resolution.info is not None


def test_missing_display_name_stays_unresolved_with_the_reason(cloud: Cloud, quotas_client: Any) -> None:
    cloud.get(QuotasServer).remove_quota(TPU_ID)
    resolution = resolve_quota(find_quota("tpu-v3-pod-cores"), _infos(quotas_client, cloud))
    assert resolution.quota_id is None
    assert resolution.source == "unresolved"
    assert "no QuotaInfo has the display name" in resolution.detail
    assert "quota_ids.tpu-v3-pod-cores" in resolution.detail


def test_config_override_wins_and_says_whether_the_project_lists_it(cloud: Cloud, quotas_client: Any) -> None:
    infos = _infos(quotas_client, cloud)
    listed = resolve_quota(find_quota("tpu-v3-pod-cores"), infos, {"tpu-v3-pod-cores": TPU_ID})
    unlisted = resolve_quota(find_quota("tpu-v3-pod-cores"), infos, {"tpu-v3-pod-cores": "MadeUpId"})
    assert (listed.source, listed.info is not None) == ("override", True)
    assert unlisted.quota_id == "MadeUpId"
    assert "NOT found" in unlisted.detail


def test_ambiguous_display_name_is_not_resolved(cloud: Cloud, quotas_client: Any) -> None:
    server = cloud.get(QuotasServer)
    twin = {**server.infos[TPU_ID], "quotaId": "AnotherTpuQuota"}
    server.infos["AnotherTpuQuota"] = twin
    resolution = resolve_quota(find_quota("tpu-v3-pod-cores"), _infos(quotas_client, cloud))
    assert resolution.quota_id is None
    assert "ambiguous" in resolution.detail


def test_quota_infos_are_read_across_pages(cloud: Cloud, quotas_client: Any) -> None:
    cloud.get(QuotasServer).page_size = 2
    assert len(_infos(quotas_client, cloud)) == len(cloud.get(QuotasServer).infos)


def test_a_quota_is_found_by_key_display_name_or_id() -> None:
    assert find_quota("A100-80GB-GPUS").key == "a100-80gb-gpus"
    assert find_quota("restricted image training TPU V3 pod cores per region").key == "tpu-v3-pod-cores"
    assert find_quota(A100_ID).key == "a100-80gb-gpus"
    assert CONCURRENT_TUNING_JOBS.key in all_quotas()
