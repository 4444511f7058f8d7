"""The Google APIs the environment uses, enabled and left enabled when the stack is destroyed."""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

# Disabling an API on destroy breaks anything else in the project that uses it, so we never do.
REQUIRED_APIS: tuple[str, ...] = (
    "aiplatform.googleapis.com",
    "artifactregistry.googleapis.com",
    "storage.googleapis.com",
    "iam.googleapis.com",
    "cloudscheduler.googleapis.com",
    "cloudquotas.googleapis.com",
    "billingbudgets.googleapis.com",
    "bigquery.googleapis.com",
    "cloudkms.googleapis.com",
)


def enable_services(
    project: str, *, parent: pulumi.Resource, with_kms: bool
) -> dict[str, gcp.projects.Service]:
    """One `projects.Service` per API, keyed by API name (a stable resource name)."""
    apis = [api for api in REQUIRED_APIS if with_kms or api != "cloudkms.googleapis.com"]
    return {
        api: gcp.projects.Service(
            f"api-{api.split('.')[0]}",
            project=project,
            service=api,
            disable_on_destroy=False,
            disable_dependent_services=False,
            opts=pulumi.ResourceOptions(parent=parent),
        )
        for api in apis
    }
