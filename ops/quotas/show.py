"""`tunectl quota show`: one row per tracked quota and region."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ops.quotas import api
from ops.quotas.catalog import SERVICE, TrackedQuota, all_quotas
from ops.quotas.resolve import Resolution, resolve_quota
from ops.quotas.status import PreferenceView, find_preference, region_limit, view_preference

if TYPE_CHECKING:
    from google.cloud.cloudquotas_v1 import CloudQuotasClient, QuotaInfo, QuotaPreference


@dataclass(frozen=True)
class QuotaRow:
    key: str
    display_name: str
    unit: str
    region: str
    quota_id: str | None
    resolved_by: str
    resolution: str
    limit: int | None  # -1 means unlimited; None when the project does not list the quota
    required: int
    increase_eligible: bool | None
    ineligibility_reason: str | None
    preference: PreferenceView | None


def build_row(
    quota: TrackedQuota,
    region: str,
    resolution: Resolution,
    preferences: Sequence[QuotaPreference],
    stack_ids: Collection[str] = (),
) -> QuotaRow:
    info: QuotaInfo | None = resolution.info
    eligible = reason = None
    if info is not None and "quota_increase_eligibility" in info:
        eligible = info.quota_increase_eligibility.is_eligible
        if not eligible:
            reason = info.quota_increase_eligibility.ineligibility_reason.name
    preference = (
        find_preference(list(preferences), SERVICE, resolution.quota_id, region)
        if resolution.quota_id
        else None
    )
    return QuotaRow(
        key=quota.key,
        display_name=quota.display_name,
        unit=quota.unit,
        region=region,
        quota_id=resolution.quota_id,
        resolved_by=resolution.source,
        resolution=resolution.detail,
        limit=region_limit(info, region) if info is not None else None,
        required=quota.required,
        increase_eligible=eligible,
        ineligibility_reason=reason,
        preference=view_preference(preference, quota.key, region, stack_ids) if preference else None,
    )


def quota_rows(
    client: CloudQuotasClient,
    project: str,
    *,
    regions: Sequence[str] = (),
    overrides: Mapping[str, str] | None = None,
    quotas: Sequence[TrackedQuota] | None = None,
    default_region: str | None = None,
    stack_ids: Collection[str] = (),
) -> list[QuotaRow]:
    """Rows for each quota in its own region (or in each of `regions` when given).

    `default_region` is used for quotas not tied to an accelerator region (concurrent tuning jobs).
    """
    infos = api.list_quota_infos(client, project)
    preferences = api.list_preferences(client, project)
    rows = []
    for quota in quotas if quotas is not None else all_quotas().values():
        resolution = resolve_quota(quota, infos, overrides)
        own_region = (
            default_region if quota.accelerator == "none" and default_region else quota.default_region
        )
        for region in regions or (own_region,):
            rows.append(build_row(quota, region, resolution, preferences, stack_ids))
    return rows
