"""Extract the Vertex AI REST schemas that `ops/schedules/schema.py` checks bodies against.

google-api-python-client ships Google's discovery documents, but it is a dev-only dependency: a
runtime install of tunectl does not have it. So the closure of the create-request schemas (TuningJob
and PipelineJob, for v1 and v1beta1) is vendored in `ops/data/vertex_schemas.json`, trimmed to what
the check reads. `tests/test_vendored_schemas.py` fails when the shipped documents drift from it;
regenerate with:

    .venv/bin/python -m tests.vendor_schemas
"""

from __future__ import annotations

import json
from importlib import metadata, resources
from pathlib import Path
from typing import Any

ROOTS = {
    "v1": ("GoogleCloudAiplatformV1TuningJob", "GoogleCloudAiplatformV1PipelineJob"),
    "v1beta1": ("GoogleCloudAiplatformV1beta1TuningJob", "GoogleCloudAiplatformV1beta1PipelineJob"),
}
TARGET = Path(__file__).resolve().parents[1] / "ops" / "data" / "vertex_schemas.json"
_KEPT = ("$ref", "type", "format", "enum", "items", "additionalProperties", "readOnly")


def _trim(field: dict[str, Any]) -> dict[str, Any]:
    kept: dict[str, Any] = {k: field[k] for k in _KEPT if k in field}
    if "items" in kept:
        kept["items"] = _trim(kept["items"])
    if isinstance(kept.get("additionalProperties"), dict):
        kept["additionalProperties"] = _trim(kept["additionalProperties"])
    if "properties" in field:
        kept["properties"] = {name: _trim(sub) for name, sub in field["properties"].items()}
    # The discovery format marks required fields only in prose; the check needs it as data.
    if str(field.get("description", "")).startswith("Required."):
        kept["required"] = True
    return kept


def _refs(value: Any) -> list[str]:
    if isinstance(value, dict):
        return ([value["$ref"]] if "$ref" in value else []) + [r for v in value.values() for r in _refs(v)]
    if isinstance(value, list):
        return [r for v in value for r in _refs(v)]
    return []


def extract() -> dict[str, Any]:
    documents = resources.files("googleapiclient") / "discovery_cache" / "documents"
    out: dict[str, Any] = {
        "_source": "the aiplatform discovery documents shipped with google-api-python-client "
        f"{metadata.version('google-api-python-client')} (regenerate: python -m tests.vendor_schemas)",
    }
    for version, roots in ROOTS.items():
        document = json.loads((documents / f"aiplatform.{version}.json").read_text(encoding="utf-8"))
        schemas = document["schemas"]
        seen: dict[str, Any] = {}
        todo = list(roots)
        while todo:
            name = todo.pop()
            if name not in seen:
                seen[name] = _trim(schemas[name])
                todo += _refs(schemas[name])
        out[version] = {"revision": document["revision"], "schemas": dict(sorted(seen.items()))}
    return out


def main() -> None:
    TARGET.write_text(json.dumps(extract(), indent=1, sort_keys=False) + "\n", encoding="utf-8")
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
