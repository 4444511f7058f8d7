"""Shared data for the cost tests: the sample export written in each file format, and its runs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from ops.costs import sample_export
from ops.costs.known_runs import inference_candidates, load_known_runs
from ops.costs.model import DEFAULT_RUN_KEYS, KnownRun, ReconcileSpec, Window

OCTOBER = Window(datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))
EXTENSIONS = {"parquet": "parquet", "ndjson": "jsonl", "csv": "csv"}


def write_sample(folder: Path, fmt: str = "parquet", *, detailed: bool = False) -> Path:
    path = folder / f"billing-export.{EXTENSIONS[fmt]}"
    path.write_bytes(sample_export.render_export(sample_export.sample_rows(), fmt, detailed=detailed))
    return path


def sample_known_runs(folder: Path) -> list[KnownRun]:
    runs_file = folder / "runs.json"
    runs_file.write_text(sample_export.runs_json())
    return load_known_runs(None, [runs_file], DEFAULT_RUN_KEYS, "tunectl-demo")


def october_spec(known: list[KnownRun]) -> ReconcileSpec:
    return ReconcileSpec(window=OCTOBER, inferred=inference_candidates(known))
