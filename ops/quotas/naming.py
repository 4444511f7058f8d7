"""Who owns a quota preference: tunectl, the Pulumi stack, or someone else (the console).

Google keeps one preference per quota and set of dimensions, so tunectl and the stack must never both
write the same one. Both name preferences with `ops.quotas.tracked.preference_id`: the stack with its
`resource_prefix` (default `tunectl`), tunectl with `tunectl-cli`. A preference is the stack's when
its id is listed in the stack outputs (`quota_preferences`), carries a `managed-by: pulumi-stack`
annotation, or has the id the default stack prefix gives; set `stack_outputs` to recognize a stack
with another prefix.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import TYPE_CHECKING

from ops.quotas.tracked import preference_id

if TYPE_CHECKING:
    from google.cloud.cloudquotas_v1 import QuotaPreference

    from ops.settings import Settings

MANAGED_BY = "managed-by"  # annotation key in QuotaConfig.annotations
TUNECTL = "tunectl"
STACK = "pulumi-stack"
OTHER = "other"

CLI_PREFIX = "tunectl-cli"
STACK_DEFAULT_PREFIX = "tunectl"  # infra/config.py EnvironmentConfig.resource_prefix


def cli_preference_id(key: str, region: str) -> str:
    """The same request always targets the same preference: `tunectl-cli-<key>-<region>`."""
    return preference_id(CLI_PREFIX, key, region)


def preference_id_of(name: str) -> str:
    """`projects/p/locations/global/quotaPreferences/<id>` -> `<id>`."""
    return name.rsplit("/", 1)[-1]


def stack_preference_ids(settings: Settings) -> frozenset[str]:
    """Preference ids the stack exports (`quota_preferences` in `pulumi stack output --json`)."""
    if settings.stack_outputs is None:
        return frozenset()
    try:
        outputs = json.loads(settings.stack_outputs.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return frozenset()  # the launch commands report an unreadable stack outputs file
    names = outputs.get("quota_preferences") if isinstance(outputs, dict) else None
    if not isinstance(names, dict):
        return frozenset()
    return frozenset(preference_id_of(str(name)) for name in names.values() if name)


def manager_of(preference: QuotaPreference, key: str, region: str, stack_ids: Collection[str] = ()) -> str:
    annotated = preference.quota_config.annotations.get(MANAGED_BY, "")
    pref_id = preference_id_of(preference.name)
    if (
        annotated == STACK
        or pref_id in stack_ids
        or pref_id == preference_id(STACK_DEFAULT_PREFIX, key, region)
    ):
        return STACK
    if annotated == TUNECTL or pref_id == cli_preference_id(key, region):
        return TUNECTL
    return OTHER
