"""Scheduled tuning triggers: Cloud Scheduler HTTP jobs that may only call Vertex AI, as a dedicated
service account, with an OAuth token (Google APIs reject OIDC tokens), and that never retry."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from .. import type_tokens
from ..model import Enforcement, Props, ResourceRule, RuleConfig, Severity
from ..props import dig

CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
# Regional Vertex AI endpoints only: <region>-aiplatform.googleapis.com.
VERTEX_HOST = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]-aiplatform\.googleapis\.com$")
# Default accounts carry broad project roles and are shared by every workload that did not choose
# an identity: Compute Engine's `<number>-compute@developer...` and App Engine's `<project>@appspot...`.
DEFAULT_ACCOUNT_SUFFIXES = ("-compute@developer.gserviceaccount.com", "@appspot.gserviceaccount.com")


def check_oauth_dedicated_account(resource_type: str, props: Props, _config: RuleConfig) -> list[str]:
    if resource_type != type_tokens.SCHEDULER_JOB:
        return []
    if dig(props, "httpTarget") is None:
        return ["the job has no `httpTarget`; tuning triggers are HTTP calls to the Vertex AI API"]
    problems = []
    if dig(props, "httpTarget", "oidcToken") is not None:
        problems.append("the job sends an OIDC token; Google APIs need `httpTarget.oauthToken`")
    email = dig(props, "httpTarget", "oauthToken", "serviceAccountEmail")
    if not isinstance(email, str) or not email:
        problems.append("the job does not authenticate: set `httpTarget.oauthToken.serviceAccountEmail`")
    elif email.endswith(DEFAULT_ACCOUNT_SUFFIXES):
        problems.append(f"the job authenticates as the default account `{email}`; use the schedule account")
    scope = dig(props, "httpTarget", "oauthToken", "scope")
    if scope is not None and scope != CLOUD_PLATFORM_SCOPE:
        problems.append(f"the OAuth scope is `{scope}`; Vertex AI needs `{CLOUD_PLATFORM_SCOPE}`")
    return problems


def check_no_retry(resource_type: str, props: Props, _config: RuleConfig) -> list[str]:
    """A retried create may start a second job: Vertex AI creates have no request id to deduplicate."""
    if resource_type != type_tokens.SCHEDULER_JOB:
        return []
    # Scheduler's default is 0 (cloudscheduler v1 RetryConfig.retryCount), so an absent value passes.
    count = dig(props, "retryConfig", "retryCount")
    if count is None or count == 0:
        return []
    shown = int(count) if isinstance(count, int | float) and float(count).is_integer() else count
    return [
        f"the job retries a failed attempt {shown} time(s); a retried create can start a second "
        "tuning job when the first one's answer was lost: set `retry_config.retry_count` to 0"
    ]


def check_targets_vertex_ai(resource_type: str, props: Props, _config: RuleConfig) -> list[str]:
    if resource_type != type_tokens.SCHEDULER_JOB:
        return []
    uri = dig(props, "httpTarget", "uri")
    if not isinstance(uri, str):
        return ["the job has no `httpTarget.uri`"]
    parts = urlsplit(uri)
    if parts.scheme != "https" or not VERTEX_HOST.match(parts.hostname or ""):
        return [f"the job calls `{uri}`; it may call only https://<region>-aiplatform.googleapis.com"]
    return []


OAUTH_DEDICATED_ACCOUNT = ResourceRule(
    id="scheduler-job-oauth-dedicated-account",
    description=(
        "Scheduler jobs must authenticate with `httpTarget.oauthToken` (scope cloud-platform) as a "
        "dedicated service account, never the default compute or App Engine account. Set "
        "`oauth_token.service_account_email` to the schedule service account's email."
    ),
    severity=Severity.high,
    enforcement=Enforcement.mandatory,
    check=check_oauth_dedicated_account,
)

TARGETS_VERTEX_AI = ResourceRule(
    id="scheduler-job-targets-vertex-ai",
    description=(
        "Scheduler jobs may only POST to the regional Vertex AI API "
        "(https://<region>-aiplatform.googleapis.com/...). Point `http_target.uri` there."
    ),
    severity=Severity.high,
    enforcement=Enforcement.mandatory,
    check=check_targets_vertex_ai,
)

NO_RETRY = ResourceRule(
    id="scheduler-job-no-retry",
    description=(
        "Scheduler jobs that create tuning or pipeline jobs must not retry (`retryConfig.retryCount` "
        "0): when a create's answer is lost, a retry starts and bills a second job. A missed firing "
        "is visible in the job's last attempt; set `retry_config.retry_count` to 0."
    ),
    severity=Severity.high,
    enforcement=Enforcement.mandatory,
    check=check_no_retry,
)
