"""Run the pack over an inventory without the Pulumi engine (what `tunectl infra plan` does).

An inventory is what the mocked program created: `{"type", "name", "inputs"}` per resource, inputs
in camelCase as the engine passes them to a live policy pack. Live, `pulumi preview --policy-pack`
runs the same checks through `policies.pack`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .catalog import RESOURCE_RULES, STACK_RULES
from .model import Enforcement, StackResource, Violation
from .pack_config import PackConfig


def evaluate(resources: Iterable[Mapping[str, Any]], config: PackConfig | None = None) -> list[Violation]:
    """Every violation, rule by rule in catalog order, resources in inventory order."""
    config = config or PackConfig()
    inventory = [
        StackResource(type=str(item["type"]), name=str(item["name"]), props=item.get("inputs") or {})
        for item in resources
    ]
    violations: list[Violation] = []
    for rule in RESOURCE_RULES:
        enforcement, properties = config.settings_for(rule)
        if enforcement is Enforcement.disabled:
            continue
        for resource in inventory:
            for message in rule.check(resource.type, resource.props, properties):
                violations.append(Violation(rule.id, resource.name, message, rule.severity, enforcement))
    for stack_rule in STACK_RULES:
        enforcement, properties = config.settings_for(stack_rule)
        if enforcement is Enforcement.disabled:
            continue
        for finding in stack_rule.check(inventory, properties):
            violations.append(
                Violation(stack_rule.id, finding.resource, finding.message, stack_rule.severity, enforcement)
            )
    return violations
