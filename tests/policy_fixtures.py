"""A deliberately broken plan of the tpu stack, shared by the offline and the live-pack tests."""

from __future__ import annotations

from typing import Any

from infra.offline import plan_stack

# (policy, resource) pairs the broken plan must fail with, and nothing else.
BROKEN_TPU_VIOLATIONS = {
    ("storage-bucket-public-access-prevention", "datasets-bucket"),
    ("iam-no-public-members", "public-read"),
    ("iam-no-primitive-roles", "tuning-aiplatform-user-project"),
    ("location-allowed-region", "pipelines-bucket"),
    ("location-eu-residency", "pipelines-bucket"),
    ("quota-preference-within-ceiling", "quota-tpu-v3-pod-cores"),
}


def _find(resources: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(resource for resource in resources if resource["name"] == name)


def broken_tpu_plan() -> list[dict[str, Any]]:
    """A public bucket, a primitive role, a non-EU bucket and a quota above its ceiling.

    The quota goes through the real program; the program refuses to build the other three, so
    they are edits to its plan, standing in for a program that regressed.
    """
    resources = plan_stack("tpu", {"quotas": {"tpu-v3-pod-cores": {"value": 128}}})
    _find(resources, "datasets-bucket")["inputs"]["publicAccessPrevention"] = "inherited"
    resources.append(
        {
            "type": "gcp:storage/bucketIAMMember:BucketIAMMember",
            "name": "public-read",
            "inputs": {
                "bucket": "tunectl-tpu-example-tunectl-datasets",
                "role": "roles/storage.objectViewer",
                "member": "allUsers",
            },
        }
    )
    _find(resources, "tuning-aiplatform-user-project")["inputs"]["role"] = "roles/editor"
    _find(resources, "pipelines-bucket")["inputs"]["location"] = "US"
    return resources
