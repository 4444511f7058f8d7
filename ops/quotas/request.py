"""`tunectl quota request`: create or update our quota preference, safely.

One upsert (`update_quota_preference` with `allow_missing`) of a preference with a deterministic id,
so running the same request twice changes nothing. Refused before anything is sent when the value is
above the configured ceiling, or when the Pulumi stack owns the preference (unless forced): the two
would otherwise overwrite each other on every `pulumi up`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ops.errors import ExitStatus, TunectlError
from ops.quotas import api
from ops.quotas.catalog import SERVICE, TrackedQuota
from ops.quotas.ceilings import Ceiling
from ops.quotas.naming import MANAGED_BY, STACK, TUNECTL, cli_preference_id
from ops.quotas.resolve import Resolution, resolve_quota
from ops.quotas.status import PreferenceView, find_preference, view_preference

if TYPE_CHECKING:
    from google.cloud.cloudquotas_v1 import CloudQuotasClient


@dataclass(frozen=True)
class QuotaRequest:
    quota: TrackedQuota
    region: str
    value: int
    justification: str
    email: str


@dataclass(frozen=True)
class RequestOutcome:
    """`action`: created, updated, unchanged, validated (dry run), refused-stack-managed, declined."""

    action: str
    quota_key: str
    quota_id: str
    resolution: str
    region: str
    preference_id: str
    value: int
    ceiling: Ceiling
    message: str
    before: PreferenceView | None = None
    after: PreferenceView | None = None

    @property
    def changed(self) -> bool:
        return self.action in {"created", "updated"}


def _require_resolved(resolution: Resolution) -> str:
    if resolution.quota_id is None:
        raise TunectlError(
            "quota-id-unresolved",
            f"cannot resolve the quota id of {resolution.display_name!r}: {resolution.detail}",
            hint="tunectl never guesses a quota id; set it under [quota_ids] in the tunectl config",
        )
    return resolution.quota_id


def check_ceiling(request: QuotaRequest, ceiling: Ceiling) -> None:
    if request.value > ceiling.value:
        raise TunectlError(
            "quota-above-ceiling",
            f"{request.value} {request.quota.unit} of {request.quota.key} in {request.region} is above "
            f"the ceiling of {ceiling.value} ({ceiling.source})",
            hint="request at most the ceiling, or raise it in the policy config (reviewed like any "
            "other policy change)",
            status=ExitStatus.CHECK_FAILED,
        )


def request_quota(
    client: CloudQuotasClient,
    project: str,
    request: QuotaRequest,
    *,
    ceiling_of: Callable[[str], Ceiling],
    overrides: Mapping[str, str] | None = None,
    dry_run: bool = False,
    force: bool = False,
    stack_ids: Collection[str] = (),
    confirm: Callable[[str], bool] = lambda _prompt: True,
) -> RequestOutcome:
    from google.cloud.cloudquotas_v1 import QuotaConfig, QuotaPreference

    quota, region = request.quota, request.region
    resolution = resolve_quota(quota, api.list_quota_infos(client, project), overrides)
    quota_id = _require_resolved(resolution)
    ceiling = ceiling_of(quota_id)
    check_ceiling(request, ceiling)
    existing = find_preference(api.list_preferences(client, project), SERVICE, quota_id, region)
    before = view_preference(existing, quota.key, region, stack_ids) if existing else None

    def outcome(
        action: str, message: str, preference_id: str, after: PreferenceView | None = None
    ) -> RequestOutcome:
        return RequestOutcome(
            action=action,
            quota_key=quota.key,
            quota_id=quota_id,
            resolution=resolution.describe(),
            region=region,
            preference_id=preference_id,
            value=request.value,
            ceiling=ceiling,
            message=message,
            before=before,
            after=after,
        )

    # Google allows one preference per quota and region: update whichever exists, else create ours.
    preference_id = before.preference_id if before else cli_preference_id(quota.key, region)
    if before and before.managed_by == STACK and not force:
        return outcome(
            "refused-stack-managed",
            f"preference {preference_id} is managed by the Pulumi stack; change the stack's quota "
            "config and run `pulumi up`, or pass --force (the next `pulumi up` will set it back)",
            preference_id,
        )
    if before and before.preferred_value == request.value and not dry_run:
        return outcome(
            "unchanged", f"preference {preference_id} already asks for {request.value}", preference_id, before
        )

    verb = "update" if before else "create"
    prompt = (
        f"{verb} quota preference {preference_id}: {quota.key} ({quota_id}) in {region} "
        f"{before.preferred_value if before else '-'} -> {request.value} {quota.unit}?"
    )
    if not dry_run and not confirm(prompt):
        return outcome("declined", "nothing was sent", preference_id)

    annotations = dict(existing.quota_config.annotations) if existing else {}
    annotations.setdefault(MANAGED_BY, TUNECTL)
    preference = QuotaPreference(
        name=api.preference_name(project, preference_id),
        service=SERVICE,
        quota_id=quota_id,
        dimensions={"region": region},
        quota_config=QuotaConfig(preferred_value=request.value, annotations=annotations),
        justification=request.justification,
        contact_email=request.email,
        # No etag: a retried upsert whose first attempt landed must succeed, not fail as ABORTED.
    )
    written = api.upsert_preference(client, preference, validate_only=dry_run)
    after = view_preference(written, quota.key, region, stack_ids)
    if dry_run:
        return outcome(
            "validated",
            f"Cloud Quotas accepted the request to {verb} {preference_id} (dry run: nothing changed)",
            preference_id,
            after,
        )
    action = "updated" if before else "created"
    return outcome(
        action, f"{action} quota preference {preference_id}: {after.status.value}", preference_id, after
    )
