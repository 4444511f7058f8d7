"""The pack's copy of tunectl's model catalog (`service_catalog.json`, generated from
`ops/data/catalog.json`; a test keeps the two equal). The pack must import nothing from outside its
own folder to survive `pulumi policy publish`, so it ships the data instead of importing `ops`."""

from __future__ import annotations

import json
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

_COPY = Path(__file__).resolve().parent / "service_catalog.json"


@cache
def service_catalog() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_COPY.read_text(encoding="utf-8"))
    return data


def tunable_gemini_models(today: date | None = None) -> set[str]:
    """Gemini base models Vertex AI tunes today: listed, and not past their retirement date."""
    day = (today or date.today()).isoformat()
    return {
        model_id
        for model_id, row in service_catalog()["models"].items()
        if row.get("retired") is None or row["retired"] > day
    }


def retirement(model_id: str) -> str | None:
    row = service_catalog()["models"].get(model_id)
    return row.get("retired") if row else None


def rlhf_references() -> dict[str, list[str]]:
    return {ref: list(row["regions"]) for ref, row in service_catalog()["rlhf_base_models"].items()}
