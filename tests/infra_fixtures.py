"""Shared data for the infra tests: a realistic QuotaInfos answer and cached example-stack plans."""

from __future__ import annotations

import base64
import json
from functools import cache
from typing import Any

from infra.offline import plan_stack

SERVICE = "aiplatform.googleapis.com"


def _quota_info(project: str, quota_id: str, display_name: str) -> dict[str, Any]:
    """One QuotaInfo as `gcp:cloudquota/getSQuotaInfos` returns it (camelCase, provider shape)."""
    return {
        "name": f"projects/{project}/locations/global/services/{SERVICE}/quotaInfos/{quota_id}",
        "quotaId": quota_id,
        "metric": f"{SERVICE}/{display_name.removesuffix(' per region').lower().replace(' ', '_')}",
        "service": SERVICE,
        "isPrecise": True,
        "refreshInterval": "",
        "containerType": "PROJECT",
        "dimensions": ["region"],
        "metricDisplayName": display_name.removesuffix(" per region"),
        "quotaDisplayName": display_name,
        "metricUnit": "1",
        "quotaIncreaseEligibilities": [{"isEligible": True, "ineligibilityReason": ""}],
        "isFixed": False,
        "dimensionsInfos": [
            {
                "dimensions": {"region": "us-central1"},
                "details": [{"value": "0", "rolloutInfos": []}],
                "applicableLocations": ["us-central1"],
            }
        ],
        "isConcurrent": False,
        "serviceRequestQuotaUri": "",
    }


def realistic_quota_infos(project: str = "tunectl-gpu-example") -> list[dict[str, Any]]:
    """Neighbouring quotas with similar names, as a real project lists them; the restricted-image
    ids here are illustrative (Google documents only the A100 80GB one)."""
    restricted, custom = "Restricted image training", "Custom model training"
    rows = {
        "CustomModelTrainingA10080GBGPUsPerProjectPerRegion": f"{custom} Nvidia A100 80GB GPUs",
        "RestrictedImageTrainingA10080GBGPUsPerProjectPerRegion": f"{restricted} Nvidia A100 80GB GPUs",
        "RestrictedImageTrainingA2CPUsPerProjectPerRegion": f"{restricted} CPUs for A2 CPU types",
        "CustomModelTrainingA2CPUsPerProjectPerRegion": f"{custom} CPUs for A2 CPU types",
        "RestrictedImageTrainingTPUV3PodCoresPerProjectPerRegion": f"{restricted} TPU V3 pod cores",
        "CustomModelTrainingTPUV3PodCoresPerProjectPerRegion": f"{custom} TPU V3 pod cores",
        "OnlinePredictionRequestsPerMinutePerProjectPerRegion": "Online prediction requests per minute",
    }
    return [_quota_info(project, quota_id, f"{name} per region") for quota_id, name in rows.items()]


@cache
def _cached_plan(stack: str) -> str:
    return json.dumps(plan_stack(stack))


def example_plan(stack: str) -> list[dict[str, Any]]:
    """The example stack's plan, computed once per test session (a fresh copy each call)."""
    return json.loads(_cached_plan(stack))


def of_type(resources: list[dict[str, Any]], type_token: str) -> list[dict[str, Any]]:
    return [r for r in resources if r["type"] == type_token]


def decoded_body(job: dict[str, Any]) -> dict[str, Any]:
    return json.loads(base64.b64decode(job["inputs"]["httpTarget"]["body"]))


@cache
def rlhf_template() -> str:
    """What `python -m infra.rlhf_template --upload` puts in the stack's Template Registry repository,
    compiled once per test process (JSON, so each caller gets its own copy)."""
    import tempfile
    from pathlib import Path

    from infra.rlhf_template import compile_template
    from ops.tuning.pipeline import load_pipeline_spec

    with tempfile.TemporaryDirectory() as scratch:
        return json.dumps(load_pipeline_spec(compile_template(Path(scratch) / "rlhf_pipeline.yaml")))


def seed_rlhf_template(server: Any) -> None:
    """Put the compiled template where the stack's RLHF schedule points (a Vertex AI test server)."""
    from infra.config import RLHF_TEMPLATE_PACKAGE

    server.templates[RLHF_TEMPLATE_PACKAGE] = json.loads(rlhf_template())
