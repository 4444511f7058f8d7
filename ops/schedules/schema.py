"""A scheduled body against the Vertex AI v1 REST schema (the discovery document google-api-python-client
ships): the firing sends it as is, so a field the API does not know, a wrong JSON type or enum value, or
a missing required field would fail the create at firing time, where nobody is watching.

Checked: unknown fields, JSON types (int64 as a number or decimal string, as the API parses them),
enum values, and fields whose description starts with "Required.". Output-only fields are not required.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

_CREATE_SCHEMAS = {
    "gemini": "GoogleCloudAiplatformV1TuningJob",
    "rlhf-pipeline": "GoogleCloudAiplatformV1PipelineJob",
}
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "boolean": (bool,),
    "number": (int, float),
    "integer": (int,),
    "object": (dict,),
    "array": (list,),
}


@cache
def _schemas() -> dict[str, Any]:
    from googleapiclient.discovery_cache import get_static_doc

    document = get_static_doc("aiplatform", "v1")
    if document is None:
        raise RuntimeError("google-api-python-client ships no aiplatform v1 discovery document")
    schemas: dict[str, Any] = json.loads(document)["schemas"]
    return schemas


def _problems(value: Any, schema: dict[str, Any], where: str) -> list[str]:
    if "$ref" in schema:
        return _object_problems(value, _schemas()[schema["$ref"]], where)
    kind = schema.get("type")
    if kind == "any" or kind is None:
        return []
    if kind == "string" and schema.get("format") in {"int64", "uint64"}:
        ok = (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, str) and value.lstrip("-").isdigit()
        )
        return [] if ok else [f"{where}: {value!r} is not an int64"]
    allowed = _JSON_TYPES.get(kind, ())
    if not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed):
        return [f"{where}: {value!r} is not a JSON {kind}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where}: {value!r} is not one of {', '.join(schema['enum'])}"]
    if isinstance(value, list):
        return [
            p
            for i, item in enumerate(value)
            for p in _problems(item, schema.get("items", {}), f"{where}[{i}]")
        ]
    if isinstance(value, dict) and "additionalProperties" in schema:
        extra = schema["additionalProperties"]
        return [p for key, item in value.items() for p in _problems(item, extra, f"{where}.{key}")]
    return []


def _object_problems(value: Any, schema: dict[str, Any], where: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{where}: {value!r} is not an object"]
    properties: dict[str, Any] = schema.get("properties", {})
    problems = [f"{where}.{key}: unknown field" for key in value if key not in properties]
    for key, field in properties.items():
        if key in value:
            problems += _problems(value[key], field, f"{where}.{key}")
        elif str(field.get("description", "")).startswith("Required.") and not field.get("readOnly"):
            problems.append(f"{where}.{key}: required field missing")
    return problems


def body_problems(engine: str, body: dict[str, Any]) -> list[str]:
    """Why the v1 create request for `engine` would be rejected; empty when the schema accepts it."""
    return _object_problems(body, _schemas()[_CREATE_SCHEMAS[engine]], "body")
