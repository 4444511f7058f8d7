"""Who may do what: no public principals, no primitive roles, no keys, actAs only where needed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from fnmatch import fnmatchcase
from typing import Any

from .. import type_tokens
from ..model import Enforcement, Props, ResourceRule, RuleConfig, Severity
from ..props import as_list, is_mapping

PUBLIC_PRINCIPALS = frozenset({"allUsers", "allAuthenticatedUsers"})
PRIMITIVE_ROLES = frozenset({"roles/owner", "roles/editor", "roles/viewer"})
# The predefined roles that let the holder act as a service account: serviceAccountUser carries
# iam.serviceAccounts.actAs (run jobs as the account); serviceAccountTokenCreator mints the account's
# access and ID tokens (impersonation, stronger than actAs); serviceAccountOpenIdTokenCreator mints
# its OpenID Connect ID tokens (it can call Cloud Run, Cloud Functions and any service that trusts
# the account's identity); workloadIdentityUser lets a Kubernetes or federated identity become the
# account. Each is a privilege escalation unless scoped to the one
# account tuning jobs must run as; granted on the project, each covers every account in it.
ACT_AS_ROLES = frozenset(
    {
        "roles/iam.serviceAccountUser",
        "roles/iam.serviceAccountTokenCreator",
        "roles/iam.serviceAccountOpenIdTokenCreator",
        "roles/iam.workloadIdentityUser",
    }
)
# Cloud Storage canned ACLs that open a bucket or object to everyone (`allUsers`) or to every
# Google account (`allAuthenticatedUsers`).
PUBLIC_CANNED_ACLS = frozenset({"publicRead", "publicReadWrite", "authenticatedRead"})


# Where IAM principals and roles sit in the gcp provider's inputs: `member`/`members` on IAM
# member/binding resources, `policyData` (JSON text) on IAM policy resources, and BigQuery's own
# access entries (`accesses` on a Dataset, top level on a DatasetAccess). Reading only these keys
# keeps a rule runnable during preview when unrelated inputs are still unknown. Legacy Cloud Storage
# ACL resources name the principal in `entity` (one entry) or `roleEntities` ("READER:allUsers").
_PRINCIPAL_KEYS = (
    "member",
    "members",
    "iamMember",
    "specialGroup",
    "userByEmail",
    "groupByEmail",
    "domain",
    "entity",
)
_CANNED_ACL_KEYS = ("predefinedAcl", "defaultAcl")


def _policy_bindings(props: Props) -> list[Any]:
    text = props.get("policyData")
    if not isinstance(text, str):
        return []
    try:
        return as_list(json.loads(text).get("bindings"))
    except (json.JSONDecodeError, AttributeError):
        return []


def _principals(props: Props) -> Iterator[tuple[str, str]]:
    entries: list[tuple[str, Any]] = [("", props)]
    entries += [(f"accesses.{i}.", entry) for i, entry in enumerate(as_list(props.get("accesses")))]
    entries += [(f"policyData.bindings.{i}.", entry) for i, entry in enumerate(_policy_bindings(props))]
    for prefix, entry in entries:
        if not is_mapping(entry):
            continue
        for key in _PRINCIPAL_KEYS:
            if key in entry:
                for value in as_list(entry[key]):
                    if isinstance(value, str):
                        yield f"{prefix}{key}", value


def _granted_roles(props: Props) -> Iterator[tuple[str, str]]:
    entries: list[tuple[str, Any]] = [("", props)]
    entries += [(f"accesses.{i}.", entry) for i, entry in enumerate(as_list(props.get("accesses")))]
    entries += [(f"policyData.bindings.{i}.", entry) for i, entry in enumerate(_policy_bindings(props))]
    for prefix, entry in entries:
        if is_mapping(entry) and isinstance(entry.get("role"), str):
            yield f"{prefix}role", entry["role"]


def _acl_principals(props: Props) -> Iterator[tuple[str, str]]:
    """The entity of each "ROLE:entity" pair of a storage ACL resource's `roleEntities`."""
    for i, pair in enumerate(as_list(props.get("roleEntities"))):
        if isinstance(pair, str):
            yield f"roleEntities.{i}", pair.split(":", 1)[-1]


def check_no_public_members(resource_type: str, props: Props, _config: RuleConfig) -> list[str]:
    problems = [
        f"`{path}` grants access to `{value}`"
        for path, value in (*_principals(props), *_acl_principals(props))
        if value in PUBLIC_PRINCIPALS
    ]
    if resource_type in type_tokens.STORAGE_ACLS:
        problems += [
            f"`{key}` is the canned ACL `{props[key]}`, which grants access to everyone"
            for key in _CANNED_ACL_KEYS
            if props.get(key) in PUBLIC_CANNED_ACLS
        ]
    return problems


def check_no_primitive_roles(_type: str, props: Props, _config: RuleConfig) -> list[str]:
    return [
        f"`{path}` grants the primitive role `{role}`"
        for path, role in _granted_roles(props)
        if role in PRIMITIVE_ROLES
    ]


def check_no_service_account_keys(resource_type: str, _props: Props, _config: RuleConfig) -> list[str]:
    if resource_type == type_tokens.SERVICE_ACCOUNT_KEY:
        return ["the stack creates a service-account key, a long-lived credential that can leak"]
    if resource_type == type_tokens.HMAC_KEY:
        return ["the stack creates an HMAC key for a service account, a long-lived credential that can leak"]
    return []


def account_id_of(service_account: Any) -> str | None:
    """`tuning-gpu` from `projects/p/serviceAccounts/tuning-gpu@p.iam.gserviceaccount.com`, from the
    bare email, or from the account id itself."""
    if not isinstance(service_account, str) or not service_account:
        return None
    return service_account.rsplit("/", 1)[-1].split("@", 1)[0]


def check_act_as_only_tuning_account(resource_type: str, props: Props, config: RuleConfig) -> list[str]:
    act_as = sorted({role for _path, role in _granted_roles(props) if role in ACT_AS_ROLES})
    if not act_as:
        return []
    roles = ", ".join(f"`{role}`" for role in act_as)
    if resource_type in type_tokens.PROJECT_IAM:
        return [f"{roles} is granted on the whole project, so it covers every service account in it"]
    if resource_type not in type_tokens.SERVICE_ACCOUNT_IAM:
        return [f"{roles} is granted on a `{resource_type}`; grant it only on the tuning service account"]
    allowed = sorted({str(pattern) for pattern in as_list(config.get("tuningServiceAccountIds"))})
    target = props.get("serviceAccountId")
    account = account_id_of(target)
    if account is None:
        return [f"{roles} is granted on an account the plan cannot name (`serviceAccountId` is {target!r})"]
    if not any(fnmatchcase(account, pattern) for pattern in allowed):
        return [
            f"{roles} is granted on `{account}`, which is not a tuning service account "
            f"({', '.join(allowed) or 'none configured'})"
        ]
    return []


NO_PUBLIC_MEMBERS = ResourceRule(
    id="iam-no-public-members",
    description=(
        "No resource may grant access to `allUsers` or `allAuthenticatedUsers`: IAM members, "
        "bindings and policies, BigQuery access entries, and Cloud Storage ACL resources (`entity`, "
        "`roleEntities`, public canned ACLs). Grant roles to named service accounts or groups instead."
    ),
    severity=Severity.critical,
    enforcement=Enforcement.mandatory,
    check=check_no_public_members,
)

NO_PRIMITIVE_ROLES = ResourceRule(
    id="iam-no-primitive-roles",
    description=(
        "The stack must not grant `roles/owner`, `roles/editor` or `roles/viewer`. Grant the predefined "
        "role that covers the task (e.g. `roles/aiplatform.user`, `roles/storage.objectViewer`), "
        "scoped to the bucket or dataset where possible."
    ),
    severity=Severity.critical,
    enforcement=Enforcement.mandatory,
    check=check_no_primitive_roles,
)

NO_SERVICE_ACCOUNT_KEYS = ResourceRule(
    id="iam-no-service-account-keys",
    description=(
        "The stack must not create service-account keys or HMAC keys. Let workloads run as the "
        "service account (attached identity, OAuth tokens from Cloud Scheduler, impersonation)."
    ),
    severity=Severity.critical,
    enforcement=Enforcement.mandatory,
    check=check_no_service_account_keys,
)

ACT_AS_ONLY_TUNING_ACCOUNT = ResourceRule(
    id="iam-act-as-only-tuning-account",
    description=(
        "`roles/iam.serviceAccountUser` (actAs), `roles/iam.serviceAccountTokenCreator` "
        "(impersonation), `roles/iam.serviceAccountOpenIdTokenCreator` (ID tokens) and "
        "`roles/iam.workloadIdentityUser` may be granted only on the tuning "
        "service account, never project-wide. Grant them with a `serviceaccount.IAMMember` on the "
        "account that tuning jobs run as, or match that account in `tuningServiceAccountIds`."
    ),
    severity=Severity.high,
    enforcement=Enforcement.mandatory,
    config={
        "tuningServiceAccountIds": {
            "type": "array",
            "items": {"type": "string"},
            "description": "globs matching the account ids (email before @) tuning jobs run as",
            "default": ["*-tuning"],
        }
    },
    check=check_act_as_only_tuning_account,
)
