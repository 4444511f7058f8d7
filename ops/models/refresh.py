"""`tunectl models refresh`: what Vertex AI's publisher-model API says about each catalog model.

Only what the API states is updated: launch stage and version state (`publishers.models.get`, v1beta1
through Google's ModelGardenService client). Tunable methods, adapter sizes and retirement dates are
not in the API: they stay the dated rows read from Google's tuning pages. Models the API lists with
a fine-tuning action but the catalog lacks are reported, not added: a row needs its tuning page.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ops.atomic import atomic_write_text
from ops.cloud_errors import call_with_retry
from ops.errors import TunectlError
from ops.models.catalog import raw_catalog

if TYPE_CHECKING:
    from ops.settings import Settings

PUBLISHER = "publishers/google"
API_SOURCE = "Vertex AI publishers.models.get (v1beta1)"


@dataclass
class ModelChange:
    model_id: str
    field: str
    before: str | None
    after: str | None


@dataclass
class RefreshReport:
    output: str
    checked: str
    changes: list[ModelChange] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)  # catalog rows the API does not know
    untracked: list[str] = field(default_factory=list)  # tunable per the API, missing from the catalog


def _enum_name(value: Any) -> str | None:
    name = getattr(value, "name", None) or (str(value) if value else None)
    return None if name is None or name.endswith("_UNSPECIFIED") else name


def _tunable(model: Any) -> bool:
    actions = model.supported_actions
    return bool(actions and (actions.open_fine_tuning_pipeline or actions.open_fine_tuning_pipelines))


def _get(client: Any, name: str) -> Any:
    return call_with_retry(lambda: client.get_publisher_model(name=name), what=f"reading {name}")


def refresh_catalog(settings: Settings, output: Path, *, today: date | None = None) -> RefreshReport:
    from ops.clients import model_garden_client

    client = model_garden_client(settings)
    checked = (today or date.today()).isoformat()
    catalog = copy.deepcopy(raw_catalog())
    report = RefreshReport(str(output), checked)
    for model_id, row in catalog["models"].items():
        name = f"{PUBLISHER}/models/{model_id}"
        try:
            model = _get(client, name)
        except TunectlError as exc:
            if exc.code != "cloud-not-found":
                raise
            report.not_found.append(model_id)
            continue
        for key, value in (
            ("launch_stage", _enum_name(model.launch_stage)),
            ("version_state", _enum_name(model.version_state)),
        ):
            if value is not None and row.get(key) != value:
                report.changes.append(ModelChange(model_id, key, row.get(key), value))
                row[key] = value
        row["api_checked"] = checked
        row["api_source"] = API_SOURCE
    listed = call_with_retry(
        lambda: list(client.list_publisher_models(parent=PUBLISHER)), what=f"listing {PUBLISHER}/models"
    )
    known = set(catalog["models"])
    report.untracked = sorted(
        model.name.rsplit("/", 1)[-1]
        for model in listed
        if _tunable(model) and model.name.rsplit("/", 1)[-1] not in known
    )
    catalog["refreshed"] = {"date": checked, "source": API_SOURCE}
    atomic_write_text(output, json.dumps(catalog, indent=2) + "\n")
    return report
