"""The most quota tunectl may request: the policy pack's ceilings, so the CLI and the stack obey one
reviewed number.

Ceilings come from the `quota-preference-within-ceiling` rule's `ceilings` (quota id or glob ->
value, tightest match wins) in the policy config file (`policy_config` setting), else the rule's own
defaults. A quota with no matching ceiling cannot be requested: the pack would reject it too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ops.errors import ExitStatus, TunectlError
from ops.preflight.policy import rule_config

if TYPE_CHECKING:
    from ops.settings import Settings


@dataclass(frozen=True)
class Ceiling:
    value: int
    source: str


def ceiling_for(quota_id: str, settings: Settings) -> Ceiling:
    from policies.rules.quotas import WITHIN_CEILING
    from policies.rules.quotas import ceiling_for as matching_ceiling

    config, source = rule_config(WITHIN_CEILING, settings)
    ceilings = {str(k): int(v) for k, v in dict(config.get("ceilings") or {}).items()}
    value = matching_ceiling(quota_id, ceilings)
    if value is None:
        raise TunectlError(
            "quota-no-ceiling",
            f"no quota ceiling matches {quota_id} ({source})",
            hint=f"add {quota_id} (or a glob) to `ceilings` of {WITHIN_CEILING.id} in the policy config",
            status=ExitStatus.CHECK_FAILED,
        )
    return Ceiling(value, f"{WITHIN_CEILING.id} ceilings, {source}")
