"""The catalog of what Vertex AI accepts for tuning, read from the dated `ops/data/catalog.json`.

One source of truth for base models (methods and, where Google lists them, each method's regions;
status, retirement, adapter sizes, thinking control, price key), RLHF pipeline base models and their
regions, accelerators and CMEK support. `ops` (plan, preflight, launch), `infra` (schedule
validation) and the policy pack (a generated copy in `policies/service_catalog.json`) all read it.
Pure data and standard library only: infra imports it.

`python3 -m ops.models.catalog --write-policy-copy` regenerates the pack's copy.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from ops.errors import TunectlError

POLICY_COPY = Path(__file__).resolve().parent.parent.parent / "policies" / "service_catalog.json"
CATALOG_ENV = "TUNECTL_CATALOG"  # a refreshed catalog (`tunectl models refresh --output`) or a test's


@dataclass(frozen=True)
class ModelEntry:
    model_id: str
    engine: str
    methods: tuple[str, ...]
    adapter_sizes: tuple[int, ...]
    thinking: str | None
    launch_stage: str | None
    version_state: str | None
    retired: str | None
    price_key: str | None
    source: str
    checked: str
    display_name: str = ""
    notes: str = ""
    # Where a method's support was read, when not on the row's own page (e.g. reinforcement tuning),
    # and what that page adds: the tuning `regions`, the `serving` location, the `api_version`.
    method_sources: dict[str, dict[str, Any]] = field(default_factory=dict)

    def source_for(self, method: str) -> str:
        return str(self.method_sources.get(method, {}).get("source", self.source))

    def regions_for(self, method: str) -> tuple[str, ...] | None:
        """The regions Google lists for tuning this model with `method`; None when it lists none
        (the region is then the policy pack's call alone)."""
        regions = self.method_sources.get(method, {}).get("regions")
        return tuple(regions) if regions else None

    def retired_on(self, today: date | None = None) -> bool:
        return self.retired is not None and date.fromisoformat(self.retired) <= (today or date.today())


@dataclass(frozen=True)
class Rule:
    """A refusal: the code users and tests see, the message, and where the rule comes from."""

    code: str
    message: str
    source: str
    where: str
    hint: str | None = None

    def error(self) -> TunectlError:
        return TunectlError(
            self.code, f"{self.message} (source: {self.source})", where=self.where, hint=self.hint
        )


def refreshed_catalog_path() -> Path:
    """Where `tunectl models refresh` writes the catalog it refreshed (next to the run ledger)."""
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "tunectl" / "catalog.json"


def catalog_path() -> str | None:
    """TUNECTL_CATALOG, else the refreshed catalog if it was refreshed from this tunectl's built-in
    one (an upgrade's newer rows win over an older refresh), else the built-in (None)."""
    if os.environ.get(CATALOG_ENV):
        return os.environ[CATALOG_ENV]
    refreshed = refreshed_catalog_path()
    if not refreshed.is_file():
        return None
    if _load(str(refreshed)).get("version") != _load(None).get("version"):
        return None
    return str(refreshed)


_REFETCH = "delete it to use the built-in catalog, or run `tunectl models refresh` again"


@cache
def _load(path: str | None) -> dict[str, Any]:
    try:
        if path is None:
            text = resources.files("ops.data").joinpath("catalog.json").read_text(encoding="utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
        data: dict[str, Any] = json.loads(text)
    except (OSError, ValueError) as exc:
        raise TunectlError(
            "catalog-unreadable", f"the model catalog cannot be read: {exc}", where=path, hint=_REFETCH
        ) from exc
    if data.get("format") != "tunectl-catalog/1":
        raise TunectlError("catalog-unreadable", "not a tunectl-catalog/1 file", where=path, hint=_REFETCH)
    return data


def raw_catalog() -> dict[str, Any]:
    return _load(catalog_path())


def _entry(model_id: str, row: dict[str, Any]) -> ModelEntry:
    return ModelEntry(
        model_id=model_id,
        engine=str(row["engine"]),
        methods=tuple(row.get("methods") or ()),
        adapter_sizes=tuple(row.get("adapter_sizes") or ()),
        thinking=row.get("thinking"),
        launch_stage=row.get("launch_stage"),
        version_state=row.get("version_state"),
        retired=row.get("retired"),
        price_key=row.get("price_key"),
        source=str(row["source"]),
        checked=str(row["checked"]),
        display_name=str(row.get("display_name") or ""),
        notes=str(row.get("notes") or ""),
        method_sources=dict(row.get("method_sources") or {}),
    )


def gemini_models() -> dict[str, ModelEntry]:
    return {mid: _entry(mid, row) for mid, row in raw_catalog()["models"].items()}


def gemini_model(model_id: str) -> ModelEntry | None:
    """A catalog row by id; a pinned version (`gemini-2.5-pro-001`) falls back to its family's row."""
    models = gemini_models()
    if model_id in models:
        return models[model_id]
    family = model_id.rsplit("-", 1)[0] if model_id.rsplit("-", 1)[-1].isdigit() else None
    return models.get(family) if family else None


def current_model(method: str = "supervised") -> str:
    """A model for a hint's example: the catalog's first one not retired that tunes `method`, so a
    hint never suggests a model the service would refuse."""
    return next(m for m, e in gemini_models().items() if method in e.methods and not e.retired_on())


def rlhf_base_models() -> dict[str, dict[str, Any]]:
    return dict(raw_catalog()["rlhf_base_models"])


def accelerator(name: str) -> dict[str, Any]:
    return dict(raw_catalog()["accelerators"][name])


def pipeline_regions() -> dict[str, str]:
    return {name: str(row["region"]) for name, row in raw_catalog()["accelerators"].items()}


def model_problem(model_id: str, *, allow_unknown: bool = False, today: date | None = None) -> Rule | None:
    """Why the catalog says Vertex AI will not tune `model_id` (retired, unknown), or None."""
    entry = gemini_model(model_id)
    if entry is None:
        if allow_unknown:
            return None
        known = ", ".join(m for m, e in gemini_models().items() if not e.retired_on(today))
        return Rule(
            "model-unknown",
            f"{model_id!r} is not in the catalog of tunable Gemini models ({known})",
            raw_catalog()["models"][next(iter(raw_catalog()["models"]))]["source"],
            "--base-model",
            "pick a listed model (`tunectl models list`), or pass --allow-unknown-model if Google lists it "
            "for tuning and the catalog is behind (`tunectl models refresh`)",
        )
    if entry.retired_on(today):
        return Rule(
            "model-retired",
            f"{model_id} was retired for tuning on {entry.retired}",
            entry.source,
            "--base-model",
            "pick a current model: `tunectl models list`",
        )
    return None


def method_problem(model_id: str, method: str) -> Rule | None:
    entry = gemini_model(model_id)
    if entry is None or method in entry.methods:
        return None
    others = [m for m, e in gemini_models().items() if method in e.methods and not e.retired_on()]
    return Rule(
        "method-not-supported",
        f"{model_id} supports {', '.join(entry.methods)} tuning, not {method}",
        entry.source,
        "--method",
        f"{method} tuning: {', '.join(others) or 'no model in the catalog'} (`tunectl models list`)",
    )


def region_problem(model_id: str, method: str, region: str) -> Rule | None:
    """A method Google documents for some regions only (reinforcement tuning: Gemini 3.5 Flash in
    us-central1), asked for in another: the service would refuse the job."""
    entry = gemini_model(model_id)
    regions = entry.regions_for(method) if entry else None
    if entry is None or regions is None or region in regions:
        return None
    return Rule(
        "region-not-supported",
        f"{method} tuning of {model_id} runs in {', '.join(regions)} only, not {region}",
        entry.source_for(method),
        "--region",
        f"tune in {regions[0]} (--region {regions[0]})",
    )


def adapter_problem(model_id: str | None, adapter_size: int) -> Rule | None:
    entry = gemini_model(model_id) if model_id else None
    sizes = entry.adapter_sizes if entry else (1, 2, 4, 8, 16)
    if adapter_size in sizes:
        return None
    return Rule(
        "adapter-size-invalid",
        f"adapter size {adapter_size} is not one of {', '.join(map(str, sizes))}"
        + (f" for {model_id}" if entry else ""),
        entry.source if entry else raw_catalog()["models"]["gemini-3.5-flash"]["source"],
        "--adapter-size",
    )


def rlhf_problem(reference: str, accelerator_name: str, *, cmek: bool) -> Rule | None:
    """The RLHF pipeline's own first step refuses these; refusing them here saves the upload."""
    models = rlhf_base_models()
    regions = pipeline_regions()
    region = regions.get(accelerator_name, "?")
    if reference not in models:
        retired = raw_catalog().get("retired_rlhf_base_models", {}).get(reference)
        if retired:
            return Rule(
                "model-retired",
                f"{reference} was retired on {retired['retired']}",
                retired["source"],
                "--base-model",
                f"use one of {', '.join(models)}",
            )
        return Rule(
            "rlhf-model-unknown",
            f"the RLHF pipeline does not know large_model_reference {reference!r}; "
            f"it takes {', '.join(models)}",
            next(iter(models.values()))["source"],
            "--base-model",
            f"use one of {', '.join(models)} (`tunectl models list`)",
        )
    row = models[reference]
    if region not in row["regions"]:
        return Rule(
            "rlhf-model-region",
            f"{reference} is tuned only in {', '.join(row['regions'])}, "
            f"and {accelerator_name} runs in {region}",
            row["source"],
            "--accelerator",
            "use --accelerator tpu (europe-west4), or t5-small",
        )
    cmek_rule = raw_catalog()["cmek"]["rlhf-pipeline"]
    if cmek and not raw_catalog()["accelerators"][accelerator_name]["cmek"]:
        return Rule(
            "cmek-not-supported",
            f"the RLHF pipeline on {accelerator_name} in {region} refuses a CMEK key: {cmek_rule['rule']}",
            cmek_rule["source"],
            "--kms-key or the stack output kms_key",
            "use --accelerator gpu (us-central1), or launch without a CMEK key",
        )
    return None


def policy_copy_text() -> str:
    """What `policies/service_catalog.json` must contain: the built-in catalog, byte for byte."""
    return resources.files("ops.data").joinpath("catalog.json").read_text(encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover - a maintainer's command
    if sys.argv[1:] == ["--write-policy-copy"]:
        POLICY_COPY.write_text(policy_copy_text(), encoding="utf-8")
        print(f"wrote {POLICY_COPY}")
    else:
        sys.exit("usage: python3 -m ops.models.catalog --write-policy-copy")
