"""GCP resource labels: syntax checks and the labels tunectl puts on every job it launches.

The syntax itself lives in the policy pack (`policies/label_syntax.py`), which must stay
self-contained when published; tunectl, the stack and the pack all read it from there. Vertex AI
rejects a job with a bad label only after the request is sent, so we check before sending.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ops.errors import TunectlError
from policies.label_syntax import MAX_LABELS, label_problem

RUN_ID_LABEL = "tunectl-run-id"
ENGINE_LABEL = "tunectl-engine"
MANAGED_BY_LABEL = "managed-by"
MANAGED_BY_VALUE = "tunectl"
# On the bodies of the stack's Cloud Scheduler jobs (infra/schedules.py): which schedule, which stack.
SCHEDULE_LABEL = "tunectl-schedule"
STACK_LABEL = "tunectl-stack"
# Pipelines assigns this one ("pipelines", plural); the article spelled it without the "s".
BILLING_ID_LABEL = "vertex-ai-pipelines-run-billing-id"
BILLING_ID_LABEL_ALIASES = (BILLING_ID_LABEL, "vertex-ai-pipeline-run-billing-id")

_RESERVED_PREFIXES = ("tunectl-", "vertex-ai-", "goog")


def check_labels(labels: Mapping[str, str]) -> None:
    """Raise one diagnostic naming every bad label, so the user fixes them in one go."""
    problems = [f"{k}={v}: {why}" for k, v in labels.items() if (why := label_problem(k, v))]
    if len(labels) > MAX_LABELS:
        problems.append(f"{len(labels)} labels (at most {MAX_LABELS})")
    if problems:
        raise TunectlError(
            "label-invalid",
            "invalid label(s): " + "; ".join(problems),
            where="--label",
            hint="GCP labels are lowercase letters, digits, '_' and '-', keys start with a letter, "
            "63 characters at most",
        )


def parse_label_flags(flags: Iterable[str]) -> dict[str, str]:
    """`--label k=v` flags into a dict; user labels may not take over tunectl's own keys."""
    labels: dict[str, str] = {}
    for flag in flags:
        key, sep, value = flag.partition("=")
        if not sep:
            raise TunectlError(
                "label-invalid",
                f"--label {flag!r} is not KEY=VALUE",
                where="--label",
                hint="e.g. --label team=search (lowercase letters, digits, - and _)",
            )
        key = key.strip()
        if key.startswith(_RESERVED_PREFIXES) or key == MANAGED_BY_LABEL:
            raise TunectlError(
                "label-reserved",
                f"label key {key!r} is reserved for tunectl or Google",
                where="--label",
                hint="pick another key; tunectl sets tunectl-run-id, tunectl-engine and managed-by itself",
            )
        labels[key] = value.strip()
    check_labels(labels)
    return labels


def run_labels(run_id: str, engine: str, user_labels: Mapping[str, str]) -> dict[str, str]:
    """Every job carries our run id (how list/sync/cost find it) plus the user's labels."""
    labels = {
        **user_labels,
        RUN_ID_LABEL: run_id,
        ENGINE_LABEL: engine,
        MANAGED_BY_LABEL: MANAGED_BY_VALUE,
    }
    check_labels(labels)
    return labels


def billing_id(labels: Mapping[str, str] | None) -> str | None:
    """The Pipelines billing id, under either spelling of its key."""
    for key in BILLING_ID_LABEL_ALIASES:
        if labels and labels.get(key):
            return labels[key]
    return None


def label_filter(run_id: str | None = None) -> str:
    """AIP-160 list filter for our jobs (Vertex AI: `labels.KEY="VALUE"` or `labels.KEY:*`)."""
    if run_id is None:
        return f"labels.{RUN_ID_LABEL}:*"
    return f'labels.{RUN_ID_LABEL}="{run_id}"'
