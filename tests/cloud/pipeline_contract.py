"""What Vertex AI checks in a PipelineJob create request beyond the discovery schema: where the
template comes from, and the runtime parameters against the pipeline's declared inputs.

- `templateUri`: "Currently, only uri from Vertex Template Registry & Gallery is supported"
  (PipelineJob.templateUri in the aiplatform v1 discovery document shipped with
  google-api-python-client; https://cloud.google.com/vertex-ai/docs/pipelines/create-pipeline-template,
  read 2026-12-02): `https://REGION-kfp.pkg.dev/PROJECT/REPOSITORY/PACKAGE/TAG_OR_DIGEST`. A gs:// URI
  is refused.
- `runtimeConfig.parameterValues`: every name must be an input of the pipeline
  (`root.inputDefinitions.parameters` of the compiled PipelineSpec), every input without
  `isOptional` must be given, and each value must have its declared `parameterType` (KFP's IR:
  STRING, NUMBER_INTEGER, NUMBER_DOUBLE, BOOLEAN, LIST, STRUCT). A protobuf Value carries every
  number as a double, so an integer parameter takes any whole JSON number; a string never.

The pipeline spec is the body's own `pipelineSpec`, or for a `templateUri` the spec registered for
that template's package (a test registers what it would have uploaded).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tests.cloud.server import ApiError

TEMPLATE_URI = re.compile(
    r"^https://(?P<region>[a-z0-9-]+)-kfp\.pkg\.dev/(?P<project>[^/]+)/(?P<repository>[^/]+)/"
    r"(?P<package>[^/]+)/(?P<ref>[^/]+)$"
)


def _type_ok(value: Any, parameter_type: str) -> bool:
    if parameter_type == "STRING":
        return isinstance(value, str)
    if parameter_type == "BOOLEAN":
        return isinstance(value, bool)
    if parameter_type in {"NUMBER_INTEGER", "NUMBER_DOUBLE"}:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        return parameter_type == "NUMBER_DOUBLE" or float(value).is_integer()
    if parameter_type == "LIST":
        return isinstance(value, list)
    if parameter_type == "STRUCT":
        return isinstance(value, dict)
    return False


def parameter_problems(parameter_values: Mapping[str, Any], pipeline_spec: Mapping[str, Any]) -> list[str]:
    """Why `parameter_values` do not fit the pipeline's inputs (empty when they do)."""
    declared = pipeline_spec.get("root", {}).get("inputDefinitions", {}).get("parameters", {})
    problems = [f"unknown parameter {name!r}" for name in sorted(set(parameter_values) - set(declared))]
    problems += [
        f"required parameter {name!r} is missing"
        for name, definition in sorted(declared.items())
        if not definition.get("isOptional") and name not in parameter_values
    ]
    for name, value in sorted(parameter_values.items()):
        kind = declared.get(name, {}).get("parameterType")
        if kind and not _type_ok(value, kind):
            problems.append(f"parameter {name!r} must be {kind}, got {type(value).__name__} {value!r}")
    return problems


def check_pipeline_job(body: Mapping[str, Any], templates: Mapping[str, Mapping[str, Any]]) -> None:
    """Raise ApiError(400) as Vertex AI would for a PipelineJob it cannot run."""
    spec = body.get("pipelineSpec")
    template_uri = body.get("templateUri")
    if not spec and not template_uri:
        raise ApiError(400, "PipelineJob.pipeline_spec or template_uri is required")
    if template_uri and not spec:
        match = TEMPLATE_URI.match(str(template_uri))
        if not match:
            raise ApiError(
                400,
                f"template_uri {template_uri!r} is not a Vertex Template Registry URI "
                "(https://REGION-kfp.pkg.dev/PROJECT/REPOSITORY/PACKAGE/TAG)",
            )
        spec = templates.get(match["package"])
        if spec is None:
            raise ApiError(404, f"template {template_uri} was not found", reason="notFound")
    assert isinstance(spec, Mapping)
    values = body.get("runtimeConfig", {}).get("parameterValues", {})
    if problems := parameter_problems(values, spec):
        raise ApiError(400, "invalid runtime_config.parameter_values: " + "; ".join(problems))
