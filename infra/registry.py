"""The Artifact Registry KFP repository that serves the RLHF pipeline template (Vertex Template Registry).

Vertex AI v1 creates a PipelineJob from `templateUri` only when it points into the Template Registry
(`https://<region>-kfp.pkg.dev/<project>/<repository>/<package>/<tag or sha256:...>`); a gs:// URI
is refused. `python -m infra.rlhf_template --upload <template_registry output>` puts the template here.
"""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

from infra.config import EnvironmentConfig


def template_repository(
    config: EnvironmentConfig, *, parent: pulumi.Resource, depends_on: list[pulumi.Resource]
) -> gcp.artifactregistry.Repository:
    """`<prefix>-pipelines` in the stack's region (a regional resource, like the buckets)."""
    return gcp.artifactregistry.Repository(
        "template-repository",
        project=config.project,
        location=config.region,
        repository_id=config.template_repository_id,
        format="KFP",
        description="tunectl: compiled pipeline templates the RLHF schedules run",
        labels=dict(config.labels),
        kms_key_name=config.kms_key_name or None,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=depends_on),
    )
