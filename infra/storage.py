"""The two buckets: datasets (kept, versioned, soft-deleted) and the pipeline working directory (expiring)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

DAY_SECONDS = 86_400


@dataclass(frozen=True)
class BucketSpec:
    name: str
    location: str
    labels: Mapping[str, str]
    kms_key_name: str
    project: str


def _bucket(
    resource_name: str,
    spec: BucketSpec,
    *,
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource],
    protect: bool,
    versioned: bool,
    soft_delete_days: int | None = None,
    lifecycle_rules: Sequence[gcp.storage.BucketLifecycleRuleArgsDict] | None = None,
) -> gcp.storage.Bucket:
    return gcp.storage.Bucket(
        resource_name,
        name=spec.name,
        project=spec.project,
        location=spec.location,
        labels=dict(spec.labels),
        # IAM only, never ACLs, and no allUsers/allAuthenticatedUsers grant can ever take effect.
        uniform_bucket_level_access=True,
        public_access_prevention="enforced",
        encryption={"default_kms_key_name": spec.kms_key_name} if spec.kms_key_name else None,
        versioning={"enabled": versioned},
        soft_delete_policy=(
            {"retention_duration_seconds": soft_delete_days * DAY_SECONDS} if soft_delete_days else None
        ),
        lifecycle_rules=list(lifecycle_rules) if lifecycle_rules else None,
        # Provider-side guard as well as Pulumi's `protect`: the provider refuses to delete it.
        deletion_policy="PREVENT" if protect else None,
        force_destroy=False,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on), protect=protect),
    )


def datasets_bucket(
    spec: BucketSpec,
    *,
    soft_delete_days: int,
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource],
) -> gcp.storage.Bucket:
    """Training data is the expensive thing to lose: versioned, soft delete, and protected twice
    (Pulumi `protect` and the provider's deletion_policy) so no `pulumi destroy` removes it."""
    return _bucket(
        "datasets-bucket",
        spec,
        parent=parent,
        depends_on=depends_on,
        protect=True,
        versioned=True,
        soft_delete_days=soft_delete_days,
    )


def pipelines_bucket(
    spec: BucketSpec,
    *,
    retention_days: int,
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource],
) -> gcp.storage.Bucket:
    """Pipeline artifacts are reproducible and pile up fast: they expire after `retention_days`."""
    return _bucket(
        "pipelines-bucket",
        spec,
        parent=parent,
        depends_on=depends_on,
        protect=False,
        versioned=False,
        lifecycle_rules=[{"action": {"type": "Delete"}, "condition": {"age": retention_days}}],
    )
