"""Per-base-model dataset limits, read from the versioned `ops/data/model_limits.json`.

Limits change with Google's model list, so they are data with a source and a date, not code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from ops.errors import TunectlError


@dataclass(frozen=True)
class ModelLimits:
    base_model: str
    entry: str  # the table entry the limits came from (the fallback for unlisted models)
    max_tokens_per_example: int | None
    max_file_bytes: int | None
    min_training_examples: int | None
    max_training_examples: int | None
    max_validation_examples: int | None
    source: str
    checked: str
    table_version: str
    method: str = "supervised"
    max_multimodal_training_examples: int | None = None
    # Preference only: a validation set of more than `validation_share_above` examples may hold at
    # most this share of the training examples.
    max_validation_share: float | None = None
    validation_share_above: int | None = None
    known: bool = True  # False: the base model is not in the table and these are the defaults


_METHOD_TABLES = ("preference", "reinforcement")  # methods with their own table in the file
_FIELDS = (
    "max_tokens_per_example",
    "max_file_bytes",
    "min_training_examples",
    "max_training_examples",
    "max_validation_examples",
)


@cache
def limits_table(path: str | None = None) -> dict[str, object]:
    if path is None:
        text = resources.files("ops.data").joinpath("model_limits.json").read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    data: dict[str, object] = json.loads(text)
    return data


def known_models(path: str | None = None) -> list[str]:
    models = limits_table(path)["models"]
    assert isinstance(models, dict)
    return sorted(m for m in models if m != limits_table(path)["default"])


def model_limits(
    base_model: str | None = None, *, method: str = "supervised", path: str | None = None
) -> ModelLimits:
    """Limits for `base_model` and tuning `method` (supervised, preference or reinforcement); an
    unlisted model gets the fallback entry, with `known` False so callers can warn."""
    table = limits_table(path)
    models = table["models"]
    assert isinstance(models, dict)
    default = str(table["default"])
    entry_name = base_model if base_model in models else default
    if entry_name not in models:
        raise TunectlError("model-limits-invalid", f"the limits table has no entry {entry_name!r}")
    entry = models[entry_name]
    known = base_model is None or base_model in models
    if method in _METHOD_TABLES:
        # Google's preference and reinforcement pages each have one limits table for every model
        # that takes the method.
        rules = table[method]
        assert isinstance(rules, dict)
        return ModelLimits(
            base_model=base_model or default,
            entry=method,
            source=str(rules["source"]),
            checked=str(rules["checked"]),
            table_version=str(table["version"]),
            method=method,
            max_validation_share=rules.get("max_validation_share"),
            validation_share_above=rules.get("validation_share_above"),
            known=known,
            **{name: rules.get(name) for name in _FIELDS},
        )
    return ModelLimits(
        base_model=base_model or default,
        entry=str(entry_name),
        source=str(entry["source"]),
        checked=str(entry["checked"]),
        table_version=str(table["version"]),
        max_multimodal_training_examples=entry.get("max_multimodal_training_examples"),
        known=known,
        **{name: entry.get(name) for name in _FIELDS},
    )
