"""The policy pack as tunectl runs it offline: which pack config applies, the verdicts, and the
properties tunectl's own checks take from it, so they obey the pack's numbers.

A stack's pack config is, in order: the `policy_config` setting (`TUNECTL_POLICY_CONFIG` or the
tunectl config file; the file `pulumi preview --policy-pack-config FILE` takes), else the checked-in
`policies/stacks/<stack>.json`, else the pack's defaults. The platform team owns these files, not the
stack: a stack cannot loosen its own guardrails by changing its config. The pack itself imports
nothing from tunectl (it must start on its own when published), so its errors become diagnostics here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ops.settings import Settings
    from policies.model import Rule
    from policies.pack_config import PackConfig


def pack_config_for(stack: str, explicit: Path | None = None) -> PackConfig:
    from ops.errors import TunectlError
    from policies.pack_config import PackConfig, PackConfigError, load_pack_config, stack_config_path

    path = explicit or stack_config_path(stack)
    if path is None:
        return PackConfig()
    try:
        return load_pack_config(path)
    except PackConfigError as exc:
        raise TunectlError("policy-config-invalid", exc.message, where=exc.where, hint=exc.hint) from None


def check_plan(
    stack: str, resources: Iterable[Mapping[str, Any]], explicit: Path | None = None
) -> list[dict[str, Any]]:
    """Violations as `{"policy", "resource", "message", "severity", "enforcement"}` dicts."""
    from policies.evaluate import evaluate

    return [
        {
            "policy": violation.policy,
            "resource": violation.resource,
            "message": violation.message,
            "severity": violation.severity.value,
            "enforcement": violation.enforcement.value,
        }
        for violation in evaluate(resources, pack_config_for(stack, explicit))
    ]


def mandatory_failed(violations: Iterable[Mapping[str, Any]]) -> bool:
    return any(violation["enforcement"] == "mandatory" for violation in violations)


def rule_config(rule: Rule, settings: Settings) -> tuple[dict[str, Any], str]:
    """The rule's properties (its defaults, then the file's) and where they came from."""
    from policies.pack_config import PackConfig

    path = settings.policy_config
    # tunectl does not know the stack's name, so only an explicit config file applies.
    config = pack_config_for("", path) if path is not None else PackConfig()
    _, properties = config.settings_for(rule)
    return properties, f"policy config {path}" if path is not None else "the policy pack's defaults"
