"""The Cloud Run reward service of reinforcement schedules: Vertex AI may invoke it, nobody else here.

A `cloudRunRewardScorer` reward is computed by calling a Cloud Run service as the Vertex AI Secure Fine
Tuning Service Agent of the project that runs the tuning job, which needs `roles/run.invoker` on that
service (v1beta1 `ReinforcementTuningCloudRunRewardScorer.cloudRunUri`, aiplatform discovery document
shipped with google-api-python-client; read 2026-12-02). The service itself is deployed elsewhere;
the stack names it by resource (`rewardService: {project, region, service}`) and grants exactly that
one role to exactly that one member (the policy pack allows nothing else on Cloud Run services).
"""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

from infra.config import EnvironmentConfig

INVOKER_ROLE = "roles/run.invoker"


def tuning_service_agent(project_number: str) -> str:
    """The Vertex AI Secure Fine Tuning Service Agent of a project, as an IAM member."""
    return f"serviceAccount:service-{project_number}@gcp-sa-vertex-tune.iam.gserviceaccount.com"


def reward_invoker(
    config: EnvironmentConfig, project_number: pulumi.Input[str], *, parent: pulumi.Resource
) -> gcp.cloudrunv2.ServiceIamMember | None:
    service = config.reward_service
    if service is None:
        return None
    return gcp.cloudrunv2.ServiceIamMember(
        "reward-service-invoker",
        project=service.project,
        location=service.region,
        name=service.service,
        role=INVOKER_ROLE,
        member=pulumi.Output.from_input(project_number).apply(lambda n: tuning_service_agent(str(n))),
        opts=pulumi.ResourceOptions(parent=parent),
    )
