"""The Cloud Run reward service of reinforcement tuning: Vertex AI's tuning agent may invoke it, in
the stack's own project and region, and that is the only grant the stack may make on Cloud Run.

A `cloudRunRewardScorer` reward is called as the Vertex AI Secure Fine Tuning Service Agent
(`service-<project number>@gcp-sa-vertex-tune.iam.gserviceaccount.com`), which needs
`roles/run.invoker` on the service (aiplatform v1beta1 REST reference,
`ReinforcementTuningCloudRunRewardScorer.cloudRunUri`, read 2026-12-02).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .. import type_tokens
from ..model import (
    Enforcement,
    Props,
    ResourceRule,
    RuleConfig,
    Severity,
    StackFinding,
    StackResource,
    StackRule,
)
from ..props import as_list

INVOKER_ROLE = "roles/run.invoker"
TUNING_AGENT = re.compile(r"^serviceAccount:service-[0-9]+@gcp-sa-vertex-tune\.iam\.gserviceaccount\.com$")


def check_invoker_only_tuning_agent(resource_type: str, props: Props, _config: RuleConfig) -> list[str]:
    if resource_type not in type_tokens.CLOUD_RUN_SERVICE_IAM:
        return []
    if resource_type != type_tokens.CLOUD_RUN_SERVICE_IAM_MEMBER:
        return [
            "the stack manages a Cloud Run service's whole policy or binding; grant only "
            f"`{INVOKER_ROLE}` to the tuning service agent with a ServiceIamMember"
        ]
    problems = []
    role = props.get("role")
    if role is not None and role != INVOKER_ROLE:
        problems.append(f"the grant is `{role}`; the reward service needs only `{INVOKER_ROLE}`")
    for member in as_list(props.get("member")):
        if isinstance(member, str) and not TUNING_AGENT.match(member):
            problems.append(
                f"`{member}` may not invoke the reward service; only Vertex AI's tuning service agent "
                "(serviceAccount:service-<project number>@gcp-sa-vertex-tune.iam.gserviceaccount.com) may"
            )
    return problems


def _stack_place(resources: Sequence[StackResource]) -> tuple[str | None, str | None]:
    """The stack's project (its service accounts') and region (its scheduler jobs', else its
    template repository's)."""
    projects = {r.props.get("project") for r in resources if r.type == type_tokens.SERVICE_ACCOUNT}
    regions = {r.props.get("region") for r in resources if r.type == type_tokens.SCHEDULER_JOB}
    if not regions:
        regions = {
            r.props.get("location") for r in resources if r.type == type_tokens.ARTIFACT_REGISTRY_REPOSITORY
        }
    project = next(iter(projects)) if len(projects) == 1 else None
    region = next(iter(regions)) if len(regions) == 1 else None
    return (project if isinstance(project, str) else None, region if isinstance(region, str) else None)


def check_reward_service_in_stack(
    resources: Sequence[StackResource], _config: RuleConfig
) -> list[StackFinding]:
    grants = [r for r in resources if r.type == type_tokens.CLOUD_RUN_SERVICE_IAM_MEMBER]
    if not grants:
        return []
    project, region = _stack_place(resources)
    findings = []
    for grant in grants:
        where = (grant.props.get("project"), grant.props.get("location"))
        if project is None or region is None:
            findings.append(
                StackFinding(
                    "the stack's project and region cannot be told, so the reward service "
                    "cannot be checked against them",
                    grant.name,
                )
            )
        elif where != (project, region):
            findings.append(
                StackFinding(
                    f"the reward service is in project `{where[0]}`, region `{where[1]}`; it must be in "
                    f"the stack's project `{project}` and region `{region}`",
                    grant.name,
                )
            )
    return findings


INVOKER_ONLY_TUNING_AGENT = ResourceRule(
    id="cloud-run-invoker-only-tuning-agent",
    description=(
        "On a Cloud Run service the stack may grant only `roles/run.invoker`, only to Vertex AI's tuning "
        "service agent (the reward service of reinforcement tuning). Set `rewardService` in the stack "
        "config and let the stack make the grant; remove any other Cloud Run IAM resource."
    ),
    severity=Severity.high,
    enforcement=Enforcement.mandatory,
    check=check_invoker_only_tuning_agent,
)

REWARD_SERVICE_IN_STACK = StackRule(
    id="cloud-run-reward-service-in-stack",
    description=(
        "The Cloud Run reward service a reinforcement schedule calls must be in the stack's own project "
        "and region. Deploy it there and set `rewardService.project` and `rewardService.region` to match."
    ),
    severity=Severity.high,
    enforcement=Enforcement.mandatory,
    check=check_reward_service_in_stack,
)
