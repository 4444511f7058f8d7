"""Each example stack's planned inventory (the keys that matter) matches its golden file.

When a change is on purpose, regenerate and review the diff:

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_infra_golden.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.infra_fixtures import decoded_body, example_plan

GOLDEN = Path(__file__).parent / "golden"
REGENERATE = "UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_infra_golden.py"
_IAM = ["role", "member", "bucket", "datasetId", "serviceAccountId"]
KEYS: dict[str, list[str]] = {
    "gcp:storage/bucket:Bucket": [
        "name", "location", "uniformBucketLevelAccess", "publicAccessPrevention", "versioning",
        "softDeletePolicy", "lifecycleRules", "deletionPolicy", "encryption", "labels",
    ],
    "gcp:projects/service:Service": ["service", "disableOnDestroy"],
    "gcp:serviceaccount/account:Account": ["accountId"],
    "gcp:projects/iAMMember:IAMMember": _IAM,
    "gcp:storage/bucketIAMMember:BucketIAMMember": _IAM,
    "gcp:bigquery/datasetIamMember:DatasetIamMember": _IAM,
    "gcp:serviceaccount/iAMMember:IAMMember": _IAM,
    "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember": [*_IAM, "repository", "location"],
    "gcp:artifactregistry/repository:Repository": [
        "repositoryId", "location", "format", "labels", "kmsKeyName",
    ],
    "gcp:cloudquota/sQuotaPreference:SQuotaPreference": [
        "name", "parent", "quotaId", "quotaConfig", "dimensions",
    ],
    "gcp:cloudscheduler/job:Job": ["name", "region", "schedule", "timeZone", "retryConfig", "paused"],
    "gcp:billing/budget:Budget": [
        "billingAccount", "amount", "thresholdRules", "budgetFilter", "allUpdatesRule",
    ],
    "gcp:bigquery/dataset:Dataset": ["datasetId", "location", "deletionPolicy"],
    "tunectl:infra:TuningEnvironment": [],
}  # fmt: skip


def inventory(stack: str) -> list[dict[str, Any]]:
    """Type, name and the listed inputs; a schedule's body is decoded so a diff reads as JSON."""
    rows = []
    for resource in example_plan(stack):
        keys = KEYS.get(resource["type"])
        assert keys is not None, f"{resource['urn']}: add its type to KEYS in {__file__}"
        row: dict[str, Any] = {"type": resource["type"], "name": resource["name"]}
        row["inputs"] = {k: resource["inputs"][k] for k in keys if k in resource["inputs"]}
        if resource["type"] == "gcp:cloudscheduler/job:Job":
            target = resource["inputs"]["httpTarget"]
            row["inputs"]["uri"] = target["uri"]
            row["inputs"]["oauthToken"] = target["oauthToken"]
            row["inputs"]["body"] = decoded_body(resource)
        rows.append(row)
    return rows


@pytest.mark.parametrize("stack", ["gpu", "tpu"])
def test_planned_inventory_matches_the_golden_file(stack: str) -> None:
    path = GOLDEN / f"infra_{stack}.json"
    actual = json.dumps(inventory(stack), indent=2, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(actual, encoding="utf-8")
    expected = path.read_text(encoding="utf-8") if path.exists() else ""
    if actual != expected:
        import difflib

        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(True), actual.splitlines(True), str(path), "planned", n=2
            )
        )
        pytest.fail(
            f"the {stack} stack's inventory changed; if on purpose, run:\n    {REGENERATE}\n{diff[:4000]}"
        )
