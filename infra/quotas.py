"""Quota preferences for the restricted-image-training quotas that RLHF pipelines consume.

Only the A100 80GB quota id is documented; the others are resolved by display name from the
project's QuotaInfos (or taken from `quotaId` in config). An id is never guessed: a display name
that the project does not list is a config error. Google has no delete API for preferences, so
`pulumi destroy` only forgets them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pulumi
import pulumi_gcp as gcp

from infra.config import NAMESPACE, ConfigError, EnvironmentConfig
from ops.quotas.naming import MANAGED_BY, STACK
from ops.quotas.tracked import SERVICE, preference_id, tracked_quotas

QuotaInfoLookup = Callable[[str], Sequence[Any]]


def project_quota_infos(project: str) -> Sequence[Any]:
    """The project's aiplatform QuotaInfos (a blocking invoke; mocked in tests)."""
    return gcp.cloudquota.get_s_quota_infos(parent=f"projects/{project}", service=SERVICE).quota_infos


def resolve_quota_ids(
    config: EnvironmentConfig, lookup: QuotaInfoLookup = project_quota_infos
) -> dict[str, str]:
    """quota key -> quota id: config override, else the catalog's known id, else by display name."""
    catalog = tracked_quotas()
    resolved: dict[str, str] = {}
    for key, request in config.quotas.items():
        known = request.quota_id or catalog[key].quota_id
        if known:
            resolved[key] = known
    missing = [key for key in config.quotas if key not in resolved]
    if not missing:
        return resolved
    by_display_name = {info.quota_display_name: info.quota_id for info in lookup(config.project)}
    for key in missing:
        display_name = catalog[key].display_name
        if display_name not in by_display_name:
            raise ConfigError(
                f"{NAMESPACE}:quotas.{key}.quotaId",
                f"project {config.project} lists no {SERVICE} quota named {display_name!r}",
                "find the quota id in the console (IAM & Admin > Quotas) or with "
                f"`tunectl quota show`, then set quotas.{key}.quotaId in the stack config",
            )
        resolved[key] = by_display_name[display_name]
    return resolved


def quota_preferences(
    config: EnvironmentConfig,
    quota_ids: Mapping[str, str],
    *,
    parent: pulumi.Resource,
    depends_on: list[pulumi.Resource],
) -> dict[str, gcp.cloudquota.SQuotaPreference]:
    preferences = {}
    for key, request in config.quotas.items():
        region = config.quota_region(key)
        preferences[key] = gcp.cloudquota.SQuotaPreference(
            f"quota-{key}",
            parent=f"projects/{config.project}",
            # Deterministic, so a re-run updates the same preference instead of filing a new one.
            name=preference_id(config.resource_prefix, key, region),
            service=SERVICE,
            quota_id=quota_ids[key],
            dimensions={"region": region},
            # The API takes the value as a string (int64 in JSON); the annotation tells `tunectl
            # quota` that the stack owns this preference (ops/quotas/naming.py).
            quota_config={"preferred_value": str(request.value), "annotations": {MANAGED_BY: STACK}},
            justification=config.quota_justification,
            contact_email=config.quota_contact_email,
            opts=pulumi.ResourceOptions(parent=parent, depends_on=depends_on),
        )
    return preferences
