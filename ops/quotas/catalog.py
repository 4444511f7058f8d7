"""The quotas `tunectl quota` and `tunectl preflight` track, and how a user names one.

The three restricted-image-training quotas come from `ops/data/quotas.json`, shared with the Pulumi
stack. Vertex AI's concurrent tuning jobs quota is added here rather than in that file because the
stack requests accelerator quota only; its display name is *unconfirmed*, so it is resolved like the
other undocumented ids (by display name from the project's QuotaInfos, or a `quota_ids` override)
and reported as unresolved when the project has no such quota.
"""

from __future__ import annotations

from ops.errors import TunectlError
from ops.quotas.tracked import SERVICE, TrackedQuota, tracked_quotas

CONCURRENT_TUNING_JOBS = TrackedQuota(
    key="concurrent-tuning-jobs",
    display_name="Concurrent tuning jobs per region",
    quota_id=None,
    unit="jobs",
    engine="gemini",
    accelerator="none",
    default_region="us-central1",
    required=1,
)

__all__ = ["CONCURRENT_TUNING_JOBS", "SERVICE", "TrackedQuota", "all_quotas", "find_quota"]


def all_quotas() -> dict[str, TrackedQuota]:
    return {**tracked_quotas(), CONCURRENT_TUNING_JOBS.key: CONCURRENT_TUNING_JOBS}


def _normalized(text: str) -> str:
    return " ".join(text.split()).casefold()


def find_quota(name: str) -> TrackedQuota:
    """A tracked quota by key (`tpu-v3-pod-cores`), display name or known quota id."""
    wanted = _normalized(name)
    for quota in all_quotas().values():
        names = {quota.key, quota.display_name, quota.quota_id or ""}
        if wanted in {_normalized(n) for n in names if n}:
            return quota
    raise TunectlError(
        "quota-unknown",
        f"{name!r} is not a quota tunectl tracks",
        hint="tracked quotas: " + ", ".join(all_quotas()),
    )
