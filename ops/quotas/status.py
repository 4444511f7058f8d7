"""Reading a quota's state: the limit in force in a region, and where a preference stands.

A QuotaPreference has no state field. `reconciling` true means Google is still deciding; otherwise
the granted value against the preferred one says whether it was granted in full, in part, or not at
all (nothing granted: no value, or zero).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from ops.quotas.naming import manager_of, preference_id_of

if TYPE_CHECKING:
    from google.cloud.cloudquotas_v1 import QuotaInfo, QuotaPreference

UNLIMITED = -1


class PreferenceStatus(StrEnum):
    pending = "pending"
    granted = "granted"
    partly_granted = "partly-granted"
    not_granted = "not-granted"


def preference_status(preference: QuotaPreference) -> PreferenceStatus:
    if preference.reconciling:
        return PreferenceStatus.pending
    preferred = preference.quota_config.preferred_value
    # granted_value is an Int64Value wrapper: unset means Google has granted nothing (yet).
    if "granted_value" not in preference.quota_config:
        return PreferenceStatus.not_granted
    granted = preference.quota_config.granted_value
    if granted == 0 and preferred != 0:  # a denial where the limit was zero leaves it there
        return PreferenceStatus.not_granted
    if preferred == UNLIMITED:
        return PreferenceStatus.granted if granted == UNLIMITED else PreferenceStatus.partly_granted
    if granted == UNLIMITED or granted >= preferred:
        return PreferenceStatus.granted
    return PreferenceStatus.partly_granted


@dataclass(frozen=True)
class PreferenceView:
    preference_id: str
    preferred_value: int
    granted_value: int | None
    status: PreferenceStatus
    trace_id: str
    state_detail: str
    managed_by: str
    etag: str


def view_preference(
    preference: QuotaPreference, key: str, region: str, stack_ids: Collection[str] = ()
) -> PreferenceView:
    config = preference.quota_config
    return PreferenceView(
        preference_id=preference_id_of(preference.name),
        preferred_value=config.preferred_value,
        granted_value=config.granted_value if "granted_value" in config else None,
        status=preference_status(preference),
        trace_id=config.trace_id,
        state_detail=config.state_detail,
        managed_by=manager_of(preference, key, region, stack_ids),
        etag=preference.etag,
    )


def region_limit(info: QuotaInfo, region: str) -> int | None:
    """The value in force for `region`: the most specific DimensionsInfo that applies to it.

    Google orders dimensions infos from specific to general, and an entry without a region
    dimension applies to every region that has no entry of its own.
    """
    for dims in info.dimensions_infos:
        if dims.dimensions.get("region") == region:
            return dims.details.value
    for dims in info.dimensions_infos:
        if "region" not in dims.dimensions and (
            not dims.applicable_locations or region in dims.applicable_locations
        ):
            return dims.details.value
    return None


def find_preference(
    preferences: list[QuotaPreference], service: str, quota_id: str, region: str
) -> QuotaPreference | None:
    """Google keeps at most one preference per quota and dimensions, whoever created it."""
    for preference in preferences:
        if (
            preference.service == service
            and preference.quota_id == quota_id
            and preference.dimensions.get("region") == region
        ):
            return preference
    return None
