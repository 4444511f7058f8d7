"""The vendored Vertex AI schemas are exactly what the shipped discovery documents say."""

from __future__ import annotations

import json

from ops.schedules.schema import body_problems
from tests import vendor_schemas


def test_the_vendored_schemas_match_the_shipped_discovery_documents() -> None:
    vendored = json.loads(vendor_schemas.TARGET.read_text(encoding="utf-8"))
    fresh = vendor_schemas.extract()
    for version in vendor_schemas.ROOTS:
        assert vendored[version] == fresh[version], (
            f"ops/data/vertex_schemas.json ({version}) is stale: "
            "run `.venv/bin/python -m tests.vendor_schemas`"
        )


def test_required_fields_come_through_the_trim() -> None:
    problems = body_problems("gemini", {"baseModel": "gemini-3.5-flash", "supervisedTuningSpec": {}})
    assert problems == ["body.supervisedTuningSpec.trainingDatasetUri: required field missing"]


def test_v1beta1_knows_fields_that_v1_does_not() -> None:
    body = {
        "baseModel": "gemini-3.5-flash",
        "reinforcementTuningSpec": {"trainingDatasetUri": "gs://b/t.jsonl"},
    }
    assert body_problems("gemini", body, "v1beta1") == []
    assert "body.reinforcementTuningSpec: unknown field" in body_problems("gemini", body, "v1")
