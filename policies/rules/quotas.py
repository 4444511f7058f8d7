"""Quota preferences: reviewable by Google (justification, contact) and within agreed ceilings."""

from __future__ import annotations

import re
from fnmatch import fnmatchcase

from .. import type_tokens
from ..model import Enforcement, Props, ResourceRule, RuleConfig, Severity
from ..props import as_mapping, dig

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def check_justified(resource_type: str, props: Props, _config: RuleConfig) -> list[str]:
    if resource_type != type_tokens.QUOTA_PREFERENCE:
        return []
    problems = []
    justification = props.get("justification")
    if not isinstance(justification, str) or not justification.strip():
        problems.append("the preference has no `justification`")
    email = props.get("contactEmail")
    if not isinstance(email, str) or not _EMAIL.match(email):
        problems.append(f"`contactEmail` is {email!r}, not an email address Google can reach")
    return problems


def ceiling_for(quota_id: str, ceilings: dict[str, int]) -> int | None:
    """The tightest ceiling whose key (an exact id or a glob such as `*TPU*`) matches the quota id:
    several ids are undocumented and resolved at run time, so a glob can cover them in advance.
    Matching ignores case: ids are CamelCase and the docs spell TPU/Tpu both ways."""
    key = quota_id.lower()
    matches = [int(limit) for pattern, limit in ceilings.items() if fnmatchcase(key, pattern.lower())]
    return min(matches) if matches else None


def check_within_ceiling(resource_type: str, props: Props, config: RuleConfig) -> list[str]:
    if resource_type != type_tokens.QUOTA_PREFERENCE:
        return []
    quota_id = props.get("quotaId")
    raw = dig(props, "quotaConfig", "preferredValue")
    try:
        preferred = int(str(raw))
    except ValueError:
        return [f"`quotaConfig.preferredValue` is {raw!r}, not a whole number"]
    if not isinstance(quota_id, str) or not quota_id:
        return ["the preference has no `quotaId`"]
    ceilings = {str(k): int(v) for k, v in as_mapping(config.get("ceilings")).items()}
    ceiling = ceiling_for(quota_id, ceilings)
    if ceiling is None:
        return [f"no ceiling is configured for `{quota_id}`; add it to the pack's `ceilings`"]
    if preferred < 0:
        # The API reads -1 as "unlimited"; a numeric comparison would let it through every ceiling.
        return [
            f"asks for {preferred} of `{quota_id}`: -1 means unlimited (any negative value is "
            f"invalid), above the ceiling of {ceiling}"
        ]
    if preferred > ceiling:
        return [f"asks for {preferred} of `{quota_id}`, above the ceiling of {ceiling}"]
    return []


JUSTIFIED = ResourceRule(
    id="quota-preference-justified",
    description=(
        "Quota preferences must carry a `justification` and a reachable `contact_email`: Google's "
        "reviewers use both, and requests without them stall."
    ),
    severity=Severity.medium,
    enforcement=Enforcement.mandatory,
    check=check_justified,
)

WITHIN_CEILING = ResourceRule(
    id="quota-preference-within-ceiling",
    description=(
        "A quota preference may not ask for more than the ceiling the platform team set for its quota "
        "id (`ceilings`, exact ids or globs; the tightest match wins); -1 (unlimited) exceeds every "
        "ceiling. Lower `quota_config.preferred_value`, or agree a higher ceiling in the stack's pack "
        "config."
    ),
    severity=Severity.high,
    enforcement=Enforcement.mandatory,
    config={
        "ceilings": {
            "type": "object",
            "additionalProperties": {"type": "integer", "minimum": 0},
            "description": "quota id (or glob) -> the most a preference may ask for",
            "default": {
                "RestrictedImageTrainingA10080GBGPUsPerProjectPerRegion": 16,
                "*Restricted*TPU*V3*Pod*": 128,
                "*Restricted*A2*CPU*": 192,
            },
        }
    },
    check=check_within_ceiling,
)
