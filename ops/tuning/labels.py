"""GCP resource labels: syntax checks and the labels tunectl puts on every job it launches.

Label rules (https://cloud.google.com/resource-manager/docs/labels-overview#requirements): at most 64
labels; keys and values at most 63 characters; lowercase letters, digits, `_` and `-` (international
lowercase letters are allowed too); keys start with a lowercase letter and are never empty. Vertex AI
rejects a job with a bad label only after the request is sent, so we check before sending.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ops.errors import TunectlError

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

MAX_LABELS = 64
MAX_LENGTH = 63
_RESERVED_PREFIXES = ("tunectl-", "vertex-ai-", "goog")


def _allowed(char: str) -> bool:
    return char in "-_" or char.isdigit() or (char.isalpha() and char.islower())


def label_problem(key: str, value: str) -> str | None:
    """Why `key=value` is not a valid GCP label, or None when it is."""
    if not key:
        return "the key is empty"
    if len(key) > MAX_LENGTH:
        return f"the key is {len(key)} characters long (at most {MAX_LENGTH})"
    if not (key[0].isalpha() and key[0].islower()):
        return "the key must start with a lowercase letter"
    if bad := list(dict.fromkeys(c for c in key if not _allowed(c))):
        return f"the key contains {''.join(bad)!r} (allowed: lowercase letters, digits, '_' and '-')"
    if len(value) > MAX_LENGTH:
        return f"the value is {len(value)} characters long (at most {MAX_LENGTH})"
    if bad := list(dict.fromkeys(c for c in value if not _allowed(c))):
        return f"the value contains {''.join(bad)!r} (allowed: lowercase letters, digits, '_' and '-')"
    return None


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
            raise TunectlError("label-invalid", f"--label {flag!r} is not KEY=VALUE", where="--label")
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
