"""Service accounts and their roles: least privilege, bucket- or dataset-scoped where Google allows it.

No keys are created: jobs run as the tuning account through Vertex AI, the schedules get OAuth tokens
minted by Cloud Scheduler, and reports use workload identity or impersonation. Every role here is
listed with its reason in infra/README.md (a test keeps the two in step).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp


@dataclass(frozen=True)
class Grant:
    """One role binding: `scope` says where it applies (project, bucket, dataset or service account)."""

    account: str
    role: str
    scope: str
    why: str


# The README's roles table is generated from (and tested against) this list.
GRANTS: tuple[Grant, ...] = (
    Grant(
        "tuning",
        "roles/aiplatform.user",
        "project",
        "pipeline steps create Vertex AI custom jobs and metadata",
    ),
    Grant("tuning", "roles/logging.logWriter", "project", "pipeline and tuning steps write their logs"),
    Grant("tuning", "roles/storage.objectViewer", "datasets bucket", "reads training and validation data"),
    Grant(
        "tuning", "roles/storage.objectAdmin", "pipelines bucket", "writes and cleans up pipeline artifacts"
    ),
    Grant("scheduler", "roles/aiplatform.user", "project", "creates TuningJobs and PipelineJobs on schedule"),
    Grant(
        "scheduler",
        "roles/iam.serviceAccountUser",
        "tuning service account",
        "actAs: the jobs it creates run as the tuning account (granted on that one account only)",
    ),
    Grant(
        "scheduler",
        "roles/artifactregistry.reader",
        "template repository",
        "creating a PipelineJob from a Template Registry URI reads the RLHF template as the caller",
    ),
    Grant("reporting", "roles/bigquery.dataViewer", "billing dataset", "reads the billing export tables"),
    Grant("reporting", "roles/bigquery.jobUser", "project", "runs the reconciliation queries"),
)

ACCOUNTS: dict[str, str] = {
    "tuning": "runs tuning jobs and pipelines",
    "scheduler": "calls Vertex AI for the scheduled tuning triggers",
    "reporting": "reads billing data for cost reports",
}


def service_accounts(
    project: str, prefix: str, *, parent: pulumi.Resource, depends_on: list[pulumi.Resource]
) -> dict[str, gcp.serviceaccount.Account]:
    return {
        key: gcp.serviceaccount.Account(
            f"{key}-sa",
            project=project,
            account_id=f"{prefix}-{key}",
            display_name=f"tunectl {key}",
            description=f"tunectl: {why}",
            opts=pulumi.ResourceOptions(parent=parent, depends_on=depends_on),
        )
        for key, why in ACCOUNTS.items()
    }


def grant_roles(
    project: str,
    accounts: dict[str, gcp.serviceaccount.Account],
    *,
    datasets_bucket: gcp.storage.Bucket,
    pipelines_bucket: gcp.storage.Bucket,
    billing_dataset: gcp.bigquery.Dataset,
    template_repository: gcp.artifactregistry.Repository,
    parent: pulumi.Resource,
) -> list[pulumi.CustomResource]:
    """One binding per GRANTS entry, named `<account>-<role>-<scope>` so names never shift."""
    opts = pulumi.ResourceOptions(parent=parent)
    buckets = {"datasets bucket": datasets_bucket, "pipelines bucket": pipelines_bucket}
    bindings: list[pulumi.CustomResource] = []
    for grant in GRANTS:
        member = accounts[grant.account].member
        name = (
            f"{grant.account}-{grant.role.removeprefix('roles/').replace('.', '-')}-{grant.scope.split()[0]}"
        )
        if grant.scope == "project":
            bindings.append(
                gcp.projects.IAMMember(name, project=project, role=grant.role, member=member, opts=opts)
            )
        elif grant.scope in buckets:
            bindings.append(
                gcp.storage.BucketIAMMember(
                    name, bucket=buckets[grant.scope].name, role=grant.role, member=member, opts=opts
                )
            )
        elif grant.scope == "billing dataset":
            bindings.append(
                gcp.bigquery.DatasetIamMember(
                    name,
                    project=project,
                    dataset_id=billing_dataset.dataset_id,
                    role=grant.role,
                    member=member,
                    opts=opts,
                )
            )
        elif grant.scope == "template repository":
            bindings.append(
                gcp.artifactregistry.RepositoryIamMember(
                    name,
                    project=project,
                    location=template_repository.location,
                    repository=template_repository.repository_id,
                    role=grant.role,
                    member=member,
                    opts=opts,
                )
            )
        elif grant.scope == "tuning service account":
            bindings.append(
                gcp.serviceaccount.IAMMember(
                    name,
                    service_account_id=accounts["tuning"].name,
                    role=grant.role,
                    member=member,
                    opts=opts,
                )
            )
        else:  # pragma: no cover - GRANTS is a constant
            raise ValueError(f"unknown scope {grant.scope}")
    return bindings
