"""Cloud Storage buckets: IAM-only access, never public, recoverable data, optional CMEK."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

from .. import type_tokens
from ..model import Enforcement, Props, ResourceRule, RuleConfig, Severity
from ..props import as_list, dig

DAY_SECONDS = 86_400


def _is_bucket_named(props: Props, patterns: Any) -> bool:
    name = props.get("name")
    return isinstance(name, str) and any(fnmatchcase(name, str(pattern)) for pattern in as_list(patterns))


def check_uniform_access(resource_type: str, props: Props, _config: RuleConfig) -> list[str]:
    if resource_type != type_tokens.BUCKET or props.get("uniformBucketLevelAccess") is True:
        return []
    return ["`uniformBucketLevelAccess` is not true, so object ACLs can grant access outside IAM"]


def check_public_access_prevention(resource_type: str, props: Props, _config: RuleConfig) -> list[str]:
    if resource_type != type_tokens.BUCKET:
        return []
    value = props.get("publicAccessPrevention")
    if value == "enforced":
        return []
    return [f"`publicAccessPrevention` is {value!r}, not 'enforced', so the bucket can be made public"]


def check_datasets_bucket_protected(resource_type: str, props: Props, config: RuleConfig) -> list[str]:
    if resource_type != type_tokens.BUCKET or not _is_bucket_named(props, config.get("datasetsBuckets")):
        return []
    problems = []
    if dig(props, "versioning", "enabled") is not True:
        problems.append("versioning is off, so an overwritten training file is gone")
    min_days = int(config.get("minSoftDeleteDays", 7))
    seconds = dig(props, "softDeletePolicy", "retentionDurationSeconds")
    if not isinstance(seconds, int | float) or seconds < min_days * DAY_SECONDS:
        days = "not set" if seconds is None else f"{seconds / DAY_SECONDS:g} days"
        problems.append(f"soft delete retention is {days}; it must be at least {min_days} days")
    return problems


def check_cmek(resource_type: str, props: Props, config: RuleConfig) -> list[str]:
    if resource_type != type_tokens.BUCKET or not config.get("requireCmek"):
        return []
    if isinstance(dig(props, "encryption", "defaultKmsKeyName"), str):
        return []
    return ["the bucket has no `encryption.defaultKmsKeyName`, but this stack requires CMEK"]


def check_artifacts_lifecycle(resource_type: str, props: Props, config: RuleConfig) -> list[str]:
    if resource_type != type_tokens.BUCKET or not _is_bucket_named(props, config.get("artifactsBuckets")):
        return []
    if as_list(props.get("lifecycleRules")):
        return []
    return ["the artifacts bucket has no lifecycle rule, so pipeline artifacts pile up and cost forever"]


UNIFORM_ACCESS = ResourceRule(
    id="storage-bucket-uniform-access",
    description=(
        "Buckets must use uniform bucket-level access so IAM alone decides who reads data. "
        "Set `uniform_bucket_level_access=True`."
    ),
    severity=Severity.high,
    enforcement=Enforcement.mandatory,
    check=check_uniform_access,
)

PUBLIC_ACCESS_PREVENTION = ResourceRule(
    id="storage-bucket-public-access-prevention",
    description=(
        "Buckets must enforce public access prevention, so no grant can ever make training data "
        'public. Set `public_access_prevention="enforced"`.'
    ),
    severity=Severity.critical,
    enforcement=Enforcement.mandatory,
    check=check_public_access_prevention,
)

DATASETS_BUCKET_PROTECTED = ResourceRule(
    id="storage-datasets-bucket-protected",
    description=(
        "The datasets bucket must keep overwritten and deleted data recoverable: set "
        "`versioning={'enabled': True}` and `soft_delete_policy.retention_duration_seconds` of at "
        "least `minSoftDeleteDays` days (the stack's `datasetSoftDeleteDays`)."
    ),
    severity=Severity.high,
    enforcement=Enforcement.mandatory,
    config={
        "datasetsBuckets": {
            "type": "array",
            "items": {"type": "string"},
            "description": "globs matching the bucket names that hold training data",
            "default": ["*-datasets"],
        },
        "minSoftDeleteDays": {
            "type": "integer",
            "minimum": 7,
            "maximum": 90,
            "description": "shortest soft-delete retention allowed (Cloud Storage accepts 7-90 days)",
            "default": 7,
        },
    },
    check=check_datasets_bucket_protected,
)

CMEK = ResourceRule(
    id="storage-bucket-cmek",
    description=(
        "When `requireCmek` is on, buckets must be encrypted with a customer-managed Cloud KMS key: "
        "set the stack's `kmsKeyName` (a key in the stack's region)."
    ),
    severity=Severity.high,
    enforcement=Enforcement.mandatory,
    config={
        "requireCmek": {
            "type": "boolean",
            "description": "require a customer-managed encryption key on every bucket",
            "default": False,
        }
    },
    check=check_cmek,
)

ARTIFACTS_LIFECYCLE = ResourceRule(
    id="storage-artifacts-lifecycle",
    description=(
        "The pipeline artifacts bucket should expire objects with a lifecycle rule, or storage costs "
        "grow with every run. Set the stack's `artifactRetentionDays`."
    ),
    severity=Severity.low,
    enforcement=Enforcement.advisory,
    config={
        "artifactsBuckets": {
            "type": "array",
            "items": {"type": "string"},
            "description": "globs matching the bucket names that hold pipeline artifacts",
            "default": ["*-pipelines", "*-artifacts"],
        }
    },
    check=check_artifacts_lifecycle,
)
