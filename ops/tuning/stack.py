"""The stack's outputs that a launch needs: where datasets go, where pipelines work, who runs jobs.

`settings.stack_outputs` is the JSON of `pulumi stack output --json`. Output names are looked up under
a few spellings (the first one is what infra/ exports), so a renamed output is one edit here.
A `--dry-run` without stack outputs uses placeholders that are marked as such in its report.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ops.errors import TunectlError

PLACEHOLDER_PREFIX = "STACK-OUTPUT-"

_KEYS: dict[str, tuple[str, ...]] = {
    "datasets_bucket": ("datasets_bucket", "datasetsBucket", "datasets_bucket_uri", "dataset_bucket"),
    "pipeline_root": ("pipeline_root", "pipelineRoot", "pipeline_bucket", "pipeline_working_dir"),
    "service_account": (
        "tuning_service_account",
        "tuningServiceAccount",
        "tuning_service_account_email",
        "service_account_email",
    ),
    "region": ("region",),
    "kms_key": ("kms_key", "kmsKey", "kms_key_name", "encryption_key"),
}


@dataclass(frozen=True)
class StackOutputs:
    datasets_bucket: str  # gs://bucket (no trailing slash)
    pipeline_root: str  # gs://bucket/path
    service_account: str  # e-mail of the tuning service account
    region: str | None = None
    kms_key: str | None = None
    placeholders: bool = False


def _as_gs_uri(value: str) -> str:
    value = value.strip().rstrip("/")
    return value if value.startswith("gs://") else f"gs://{value}"


def _lookup(outputs: dict[str, object], name: str) -> str | None:
    for key in _KEYS[name]:
        value = outputs.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def placeholder_outputs() -> StackOutputs:
    """What a dry run shows when no stack outputs are configured: obviously not real values."""
    return StackOutputs(
        datasets_bucket=f"gs://{PLACEHOLDER_PREFIX.lower()}datasets-bucket",
        pipeline_root=f"gs://{PLACEHOLDER_PREFIX.lower()}pipeline-bucket/pipeline-root",
        service_account=f"{PLACEHOLDER_PREFIX.lower()}tuning-sa@PROJECT.iam.gserviceaccount.com",
        placeholders=True,
    )


def read_stack_outputs(path: Path | None) -> StackOutputs:
    if path is None:
        raise TunectlError(
            "stack-outputs-missing",
            "no stack outputs are configured, so tunectl does not know the datasets bucket, the "
            "pipeline working directory or the tuning service account",
            hint="run `pulumi stack output --json > stack.json` in the stack and pass "
            "--stack-outputs stack.json (or set TUNECTL_STACK_OUTPUTS); --dry-run works without it",
        )
    try:
        outputs = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise TunectlError(
            "stack-outputs-missing",
            "the stack outputs file does not exist",
            where=str(path),
            hint="write it with `pulumi stack output --json > stack.json` in the stack's folder",
        ) from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise TunectlError(
            "stack-outputs-invalid",
            f"the stack outputs file is not JSON: {exc}",
            where=str(path),
            hint="write it with `pulumi stack output --json`",
        ) from exc
    if not isinstance(outputs, dict):
        raise TunectlError(
            "stack-outputs-invalid",
            "the stack outputs file is not a JSON object",
            where=str(path),
            hint="write it with `pulumi stack output --json`",
        )
    values = {name: _lookup(outputs, name) for name in _KEYS}
    missing = [
        _KEYS[name][0] for name in ("datasets_bucket", "pipeline_root", "service_account") if not values[name]
    ]
    if missing:
        raise TunectlError(
            "stack-outputs-incomplete",
            f"the stack outputs lack {', '.join(missing)}",
            where=str(path),
            hint="re-export them with `pulumi stack output --json` from an up-to-date stack",
        )
    return StackOutputs(
        datasets_bucket=_as_gs_uri(str(values["datasets_bucket"])),
        pipeline_root=_as_gs_uri(str(values["pipeline_root"])),
        service_account=str(values["service_account"]),
        region=values["region"],
        kms_key=values["kms_key"],
    )
