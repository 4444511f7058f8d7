"""Every rule in the pack, in the order reports list them."""

from __future__ import annotations

from .model import ResourceRule, Rule, StackRule
from .rules import iam, labels, location, models, quotas, reward, scheduler, stack, storage

RESOURCE_RULES: tuple[ResourceRule, ...] = (
    storage.UNIFORM_ACCESS,
    storage.PUBLIC_ACCESS_PREVENTION,
    iam.NO_PUBLIC_MEMBERS,
    storage.DATASETS_BUCKET_PROTECTED,
    storage.CMEK,
    iam.NO_PRIMITIVE_ROLES,
    iam.NO_SERVICE_ACCOUNT_KEYS,
    iam.ACT_AS_ONLY_TUNING_ACCOUNT,
    reward.INVOKER_ONLY_TUNING_AGENT,
    scheduler.OAUTH_DEDICATED_ACCOUNT,
    scheduler.TARGETS_VERTEX_AI,
    scheduler.NO_RETRY,
    models.KNOWN_BASE_MODEL,
    location.ALLOWED_REGION,
    location.EU_RESIDENCY,
    quotas.JUSTIFIED,
    quotas.WITHIN_CEILING,
    labels.REQUIRED,
    labels.VALID_SYNTAX,
    storage.ARTIFACTS_LIFECYCLE,
)
STACK_RULES: tuple[StackRule, ...] = (
    stack.HAS_BUDGET,
    stack.HAS_BILLING_EXPORT_DATASET,
    reward.REWARD_SERVICE_IN_STACK,
)
RULES: tuple[Rule, ...] = (*RESOURCE_RULES, *STACK_RULES)
RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}
