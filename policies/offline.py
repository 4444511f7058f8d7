"""The pack for `tunectl infra plan`: which pack config applies to a stack, and the verdicts.

A stack's pack config is, in order: the `policy_config` setting (`TUNECTL_POLICY_CONFIG` or the
tunectl config file), else the checked-in `policies/stacks/<stack>.json` (the same file a live run
passes with `--policy-pack-config`), else the pack's defaults. The platform team owns these files,
not the stack: a stack cannot loosen its own guardrails by changing its config.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ops.errors import TunectlError
from policies.evaluate import evaluate
from policies.pack_config import PackConfig, PackConfigError, load_pack_config, stack_config_path


def pack_config_for(stack: str, explicit: Path | None = None) -> PackConfig:
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
