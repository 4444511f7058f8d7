"""Scheduled tuning jobs name a base model Vertex AI still tunes: not retired, not unknown, and for
the RLHF pipeline a `large_model_reference` it knows. The data is the pack's own copy of tunectl's
model catalog (`policies/service_catalog.json`), with Google's sources and dates."""

from __future__ import annotations

from typing import Any

from policies import type_tokens
from policies.model import Enforcement, Props, ResourceRule, RuleConfig, Severity
from policies.props import BodyError, decode_json_body, dig
from policies.service_catalog import retirement, rlhf_references, tunable_gemini_models


def _base_model(body: Any) -> tuple[str, str] | None:
    """(field, model) of a TuningJob or an RLHF PipelineJob body, or None."""
    if not isinstance(body, dict):
        return None
    if isinstance(body.get("baseModel"), str):
        return "baseModel", body["baseModel"]
    reference = dig(body, "runtimeConfig", "parameterValues", "large_model_reference")
    if isinstance(reference, str):
        return "runtimeConfig.parameterValues.large_model_reference", reference
    return None


def check_known_base_model(resource_type: str, props: Props, _config: RuleConfig) -> list[str]:
    if resource_type != type_tokens.SCHEDULER_JOB:
        return []
    try:
        body = decode_json_body(dig(props, "httpTarget", "body"))
    except BodyError:
        return []  # labels-required reports an unreadable body
    found = _base_model(body)
    if found is None:
        return []
    field, model = found
    if field == "baseModel":
        model_id = model.rsplit("/", 1)[-1]
        if model_id in tunable_gemini_models():
            return []
        retired = retirement(model_id)
        if retired:
            return [f"`{field}` {model_id} was retired for tuning on {retired}; pick a current model"]
        return [f"`{field}` {model_id} is not a model Vertex AI lists for tuning"]
    references = rlhf_references()
    if model not in references:
        return [f"`{field}` {model!r} is not a base model of the RLHF pipeline ({', '.join(references)})"]
    return []


KNOWN_BASE_MODEL = ResourceRule(
    id="scheduler-job-known-base-model",
    description=(
        "Scheduled tuning jobs must name a base model Vertex AI tunes today: not retired, not unknown "
        "(the RLHF pipeline: a large_model_reference it knows). Set the schedule's `baseModel` or "
        "`largeModelReference` to a model `tunectl models list` shows."
    ),
    severity=Severity.high,
    enforcement=Enforcement.mandatory,
    check=check_known_base_model,
)
