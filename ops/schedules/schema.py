"""A scheduled body against the Vertex AI REST schema: the firing sends it as is, so a field the API
does not know, a wrong JSON type or enum value, or a missing required field would fail the create at
firing time, where nobody is watching.

The schemas are Google's discovery documents (as shipped with google-api-python-client), trimmed to
the create requests and vendored in `ops/data/vertex_schemas.json` because that library is not a
runtime dependency; `tests/test_vendored_schemas.py` keeps the copy equal to the shipped documents.

Checked: unknown fields, JSON types (int64 as a number or decimal string, as the API parses them),
enum values, and required fields (the documents mark them with a description starting "Required.").
Output-only fields are not required.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

_CREATE_SCHEMAS = {
    "gemini": "TuningJob",
    "rlhf-pipeline": "PipelineJob",
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
def _vendored() -> dict[str, Any]:
    text = resources.files("ops.data").joinpath("vertex_schemas.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _schemas(api_version: str) -> dict[str, Any]:
    schemas: dict[str, Any] = _vendored()[api_version]["schemas"]
    return schemas


def _problems(value: Any, schema: dict[str, Any], where: str, api_version: str) -> list[str]:
    if "$ref" in schema:
        return _object_problems(value, _schemas(api_version)[schema["$ref"]], where, api_version)
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
            for p in _problems(item, schema.get("items", {}), f"{where}[{i}]", api_version)
        ]
    if isinstance(value, dict) and "additionalProperties" in schema:
        extra = schema["additionalProperties"]
        return [
            p for key, item in value.items() for p in _problems(item, extra, f"{where}.{key}", api_version)
        ]
    return []


def _object_problems(value: Any, schema: dict[str, Any], where: str, api_version: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{where}: {value!r} is not an object"]
    properties: dict[str, Any] = schema.get("properties", {})
    problems = [f"{where}.{key}: unknown field" for key in value if key not in properties]
    for key, field in properties.items():
        if key in value:
            problems += _problems(value[key], field, f"{where}.{key}", api_version)
        elif field.get("required") and not field.get("readOnly"):
            problems.append(f"{where}.{key}: required field missing")
    return problems


def body_problems(engine: str, body: dict[str, Any], api_version: str = "v1") -> list[str]:
    """Why the create request for `engine` on `api_version` (v1 or v1beta1) would be rejected; empty
    when the schema accepts it."""
    prefix = "GoogleCloudAiplatform" + api_version[0].upper() + api_version[1:]
    schema = _schemas(api_version)[prefix + _CREATE_SCHEMAS[engine]]
    return _object_problems(body, schema, "body", api_version)
