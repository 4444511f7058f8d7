"""The restricted-image-training quotas we track, shared by the Pulumi stack and `tunectl quota`.

Quota ids Google has not documented are `None` here and resolved by display name from the project's
QuotaInfos (never guessed); config may override any id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class TrackedQuota:
    key: str
    display_name: str
    quota_id: str | None
    unit: str
    engine: str
    accelerator: str
    default_region: str
    required: int


SERVICE = "aiplatform.googleapis.com"


@cache
def tracked_quotas() -> dict[str, TrackedQuota]:
    raw = json.loads(resources.files("ops.data").joinpath("quotas.json").read_text(encoding="utf-8"))
    return {key: TrackedQuota(key=key, **fields) for key, fields in raw["quotas"].items()}


def preference_id(prefix: str, key: str, region: str) -> str:
    """The quota preference id for a tracked quota in a region: `<prefix>-<key>-<region>`.

    The one naming rule for the Pulumi stack (prefix = its `resource_prefix`) and `tunectl quota
    request` (prefix `tunectl-cli`), so each recognizes the other's preferences and never writes them.
    """
    return f"{prefix}-{key}-{region}"
