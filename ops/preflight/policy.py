"""The policy pack's configuration as tunectl's own checks read it, so they obey the pack's numbers.

The file is the one `pulumi preview --policy-pack-config FILE` takes (setting `policy_config`), read
and validated by the pack's own loader (`policies.pack_config`); without it, each rule's defaults.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ops.settings import Settings
    from policies.model import Rule


def rule_config(rule: Rule, settings: Settings) -> tuple[dict[str, Any], str]:
    """The rule's properties (its defaults, then the file's) and where they came from."""
    from policies.offline import pack_config_for
    from policies.pack_config import PackConfig

    path = settings.policy_config
    # tunectl does not know the stack's name, so only an explicit config file applies.
    config = pack_config_for("", path) if path is not None else PackConfig()
    _, properties = config.settings_for(rule)
    return properties, f"policy config {path}" if path is not None else "the policy pack's defaults"
