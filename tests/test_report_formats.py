"""`--format` everywhere a command reports: yaml for `cost reconcile` (the JSON document, key for key)
and csv for `models list`, one row per model."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import yaml

from ops.cli import run


def test_reconcile_yaml_is_the_json_document(tmp_path: Path, capsys: Any) -> None:
    export = tmp_path / "export.parquet"
    assert run(["cost", "sample-export", "-o", str(export)]) == 0
    args = ["cost", "reconcile", "--billing-export", str(export), "--month", "2026-10"]
    capsys.readouterr()
    assert run([*args, "--format", "yaml"]) == 0
    as_yaml = yaml.safe_load(capsys.readouterr().out)
    assert run([*args, "--format", "json"]) == 0
    assert as_yaml == json.loads(capsys.readouterr().out)
    assert as_yaml["by_schedule"]


def test_models_list_csv_has_one_row_per_model(capsys: Any) -> None:
    capsys.readouterr()
    assert run(["models", "list", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert run(["models", "list", "--format", "json"]) == 0
    models = json.loads(capsys.readouterr().out)["models"]
    assert [r["model"] for r in rows] == [m["model"] for m in models]
    assert json.loads(rows[0]["methods"]) == models[0]["methods"]
