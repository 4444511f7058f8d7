"""The Cloud Quotas calls tunectl makes, with retries where a repeat is safe.

Reads retry on transient errors. Writes are upserts (`update_quota_preference` with
`allow_missing`) of a preference whose id we chose, so repeating one can never create a second.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ops.cloud_errors import call_with_retry
from ops.quotas.catalog import SERVICE

if TYPE_CHECKING:
    from google.cloud.cloudquotas_v1 import CloudQuotasClient, QuotaInfo, QuotaPreference


def location_parent(project: str) -> str:
    # Quota preferences and infos live under the `global` location whatever the region dimension.
    return f"projects/{project}/locations/global"


def service_parent(project: str) -> str:
    return f"{location_parent(project)}/services/{SERVICE}"


def preference_name(project: str, preference_id: str) -> str:
    return f"{location_parent(project)}/quotaPreferences/{preference_id}"


def list_quota_infos(client: CloudQuotasClient, project: str) -> list[QuotaInfo]:
    parent = service_parent(project)
    return call_with_retry(
        lambda: list(client.list_quota_infos(parent=parent)), what=f"listing quota infos of {parent}"
    )


def list_preferences(client: CloudQuotasClient, project: str) -> list[QuotaPreference]:
    parent = location_parent(project)
    return call_with_retry(
        lambda: list(client.list_quota_preferences(parent=parent)),
        what=f"listing quota preferences of {parent}",
    )


def get_preference(client: CloudQuotasClient, name: str) -> QuotaPreference:
    return call_with_retry(
        lambda: client.get_quota_preference(name=name), what=f"reading quota preference {name}"
    )


def upsert_preference(
    client: CloudQuotasClient, preference: QuotaPreference, *, validate_only: bool
) -> QuotaPreference:
    from google.cloud.cloudquotas_v1 import UpdateQuotaPreferenceRequest

    request = UpdateQuotaPreferenceRequest(
        quota_preference=preference, allow_missing=True, validate_only=validate_only
    )
    verb = "validating" if validate_only else "writing"
    return call_with_retry(
        lambda: client.update_quota_preference(request=request),
        what=f"{verb} quota preference {preference.name}",
    )
