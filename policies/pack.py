"""The rules as `pulumi_policy` policies: the only module besides `__main__.py` that imports it.

Runs in the pack's own environment (`.venv-policy`, protobuf 5). `build_policies()` only builds
objects; `PolicyPack(...)` (which starts the analyzer server and blocks) is constructed in
`__main__.py`, so a test can build the list without a server.
"""

from __future__ import annotations

from typing import Any

import pulumi_policy as pp

from .catalog import RESOURCE_RULES, STACK_RULES
from .model import ResourceRule, Rule, StackResource, StackRule

PACK_NAME = "tunectl-guardrails"


def _schema(rule: Rule) -> pp.PolicyConfigSchema | None:
    return (
        pp.PolicyConfigSchema(properties={k: dict(v) for k, v in rule.config.items()})
        if rule.config
        else None
    )


def _settings(rule: Rule, given: Any) -> dict[str, Any]:
    # The engine fills schema defaults in too; merging here keeps the pack right if it does not.
    return {**rule.defaults(), **dict(given or {})}


def _resource_policy(rule: ResourceRule) -> pp.ResourceValidationPolicy:
    def validate(args: pp.ResourceValidationArgs, report_violation: pp.ReportViolation) -> None:
        for message in rule.check(args.resource_type, args.props, _settings(rule, args.get_config())):
            report_violation(message, None)

    return _with_metadata(pp.ResourceValidationPolicy, rule, validate)


def _stack_policy(rule: StackRule) -> pp.StackValidationPolicy:
    def validate(args: pp.StackValidationArgs, report_violation: pp.ReportViolation) -> None:
        urns = {resource.name: resource.urn for resource in args.resources}
        resources = [StackResource(r.resource_type, r.name, r.props) for r in args.resources]
        for finding in rule.check(resources, _settings(rule, args.get_config())):
            report_violation(finding.message, urns.get(finding.resource or ""))

    return _with_metadata(pp.StackValidationPolicy, rule, validate)


def _with_metadata(policy_type: Any, rule: Rule, validate: Any) -> Any:
    return policy_type(
        name=rule.id,
        description=rule.description,
        validate=validate,
        enforcement_level=pp.EnforcementLevel(rule.enforcement.value),
        severity=pp.Severity(rule.severity.value),
        config_schema=_schema(rule),
    )


def build_policies() -> list[pp.Policy]:
    """Every rule as a policy object, in catalog order; starts nothing."""
    return [*map(_resource_policy, RESOURCE_RULES), *map(_stack_policy, STACK_RULES)]
