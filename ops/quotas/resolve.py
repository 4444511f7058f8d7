"""Quota ids come from the project's QuotaInfos, never from a guess.

Order: an explicit `quota_ids` override, then an id the catalog knows (checked against the project),
then an exact match on the QuotaInfo display name. No match, or more than one, leaves the quota
unresolved with the reason; callers show the reason instead of inventing an id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ops.quotas.catalog import TrackedQuota

if TYPE_CHECKING:
    from google.cloud.cloudquotas_v1 import QuotaInfo


@dataclass(frozen=True)
class Resolution:
    key: str
    display_name: str
    quota_id: str | None
    source: str  # "override", "catalog", "display-name" or "unresolved"
    detail: str
    info: QuotaInfo | None = None

    @property
    def resolved(self) -> bool:
        return self.quota_id is not None

    def describe(self) -> str:
        return f"{self.quota_id or '-'} ({self.source}: {self.detail})"


def _normalized(text: str) -> str:
    return " ".join(text.split()).casefold()


def resolve_quota(
    quota: TrackedQuota, infos: Iterable[QuotaInfo], overrides: Mapping[str, str] | None = None
) -> Resolution:
    infos = list(infos)
    by_id = {info.quota_id: info for info in infos}
    override = (overrides or {}).get(quota.key)
    if override:
        info = by_id.get(override)
        found = "found in the project's QuotaInfos" if info else "NOT found in the project's QuotaInfos"
        return Resolution(
            quota.key, quota.display_name, override, "override", f"quota_ids setting; {found}", info
        )
    if quota.quota_id:
        info = by_id.get(quota.quota_id)
        found = "found in the project's QuotaInfos" if info else "not listed by this project"
        return Resolution(
            quota.key, quota.display_name, quota.quota_id, "catalog", f"documented id; {found}", info
        )
    wanted = _normalized(quota.display_name)
    matches = [info for info in infos if _normalized(info.quota_display_name) == wanted]
    if len(matches) == 1:
        return Resolution(
            quota.key,
            quota.display_name,
            matches[0].quota_id,
            "display-name",
            f"matched display name {quota.display_name!r}",
            matches[0],
        )
    if not matches:
        detail = (
            f"no QuotaInfo has the display name {quota.display_name!r}; "
            f"set quota_ids.{quota.key} in the tunectl config to the id shown in the console"
        )
    else:
        ids = ", ".join(sorted(m.quota_id for m in matches))
        detail = f"display name {quota.display_name!r} is ambiguous ({ids}); set quota_ids.{quota.key}"
    return Resolution(quota.key, quota.display_name, None, "unresolved", detail)
