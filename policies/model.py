"""What a rule is and what it reports, independent of `pulumi_policy`."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Enforcement(StrEnum):
    """The same values as `pulumi_policy.EnforcementLevel`, so pack config files mean one thing."""

    mandatory = "mandatory"
    advisory = "advisory"
    disabled = "disabled"


class Severity(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


Props = Mapping[str, Any]
RuleConfig = Mapping[str, Any]


@dataclass(frozen=True)
class StackResource:
    """One resource as a stack rule sees it: live, from the engine; offline, from the inventory."""

    type: str
    name: str
    props: Props


@dataclass(frozen=True)
class StackFinding:
    """A stack rule's finding; `resource` is None when the stack as a whole is at fault."""

    message: str
    resource: str | None = None


ResourceCheck = Callable[[str, Props, RuleConfig], list[str]]
StackCheck = Callable[[Sequence[StackResource], RuleConfig], list[StackFinding]]


@dataclass(frozen=True)
class Rule:
    """A guardrail. `description` says what to do to comply; `config` maps each property to its JSON
    schema (with a `default`), the form `pulumi_policy.PolicyConfigSchema` takes."""

    id: str
    description: str
    severity: Severity
    enforcement: Enforcement
    config: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def defaults(self) -> dict[str, Any]:
        # Copies: a caller may extend a list default without changing the rule's schema.
        return {name: copy.deepcopy(schema["default"]) for name, schema in self.config.items()}


@dataclass(frozen=True)
class ResourceRule(Rule):
    """Checks one resource: `check(resource_type, props, config)` returns violation messages."""

    check: ResourceCheck = field(kw_only=True)


@dataclass(frozen=True)
class StackRule(Rule):
    """Checks the whole inventory: `check(resources, config)` returns findings."""

    check: StackCheck = field(kw_only=True)


@dataclass(frozen=True)
class Violation:
    """The shape `tunectl infra plan --format json` prints under `violations`."""

    policy: str
    resource: str | None
    message: str
    severity: Severity
    enforcement: Enforcement
