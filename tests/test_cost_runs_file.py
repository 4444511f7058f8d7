"""`--runs-file` is user input: every bad record is refused field by field, never a traceback."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from ops.cli import run
from ops.costs import sample_export
from tests.cost_fixtures import write_sample


@pytest.fixture
def export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith(("TUNECTL_", "GOOGLE_CLOUD_PROJECT")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config-home"))
    monkeypatch.setenv("TUNECTL_LEDGER", str(tmp_path / "ledger.sqlite"))
    return write_sample(tmp_path, "ndjson")


def _with_record_change(tmp_path: Path, field: str, value: Any) -> Path:
    runs = sample_export.sample_runs()
    record = dict(runs[1])
    if value is _MISSING:
        record.pop(field)
    else:
        record[field] = value
    runs[1] = record
    path = tmp_path / "bad.runs.json"
    path.write_text(json.dumps({"runs": runs}))
    return path


_MISSING = object()

COMMANDS = {
    "reconcile": ["cost", "reconcile", "--month", "2026-10"],
    "report": ["cost", "report", "--month", "2026-10"],
    "diff": ["cost", "diff", "--month", "2026-10"],
}


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("started_at", "yesterday", "ISO-8601 time"),
        ("labels", ["x"], "object of string values"),
        ("billing_ids", "7123456789", "list of strings"),
        ("engine", _MISSING, "is missing"),
        ("estimate_amount", "abc", "decimal number"),
        ("estimate_amount", True, "decimal number"),
        ("run_id", "", "non-empty string"),
    ],
)
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_bad_record_names_its_index_field_and_expected_type(
    export: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    command: str,
    field: str,
    value: Any,
    expected: str,
) -> None:
    runs = _with_record_change(tmp_path, field, value)
    output = ["-o", str(tmp_path / "report.html")] if command == "report" else []
    status = run([*COMMANDS[command], *output, "--billing-export", str(export), "--runs-file", str(runs)])
    err = capsys.readouterr().err
    assert status == 2
    assert "error[runs-file-invalid]: runs[1]" in err
    assert f"'{field}'" in err and expected in err
    assert "<class" not in err and "positional argument" not in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("[]", 'expected an object with a "runs" list'),
        ("{}", 'expected an object with a "runs" list'),
        ('{"runs": {"x": 1}}', '"runs" must be a list'),
        ('{"runs": []}', '"runs" is empty'),
        ('{"runs": ["x"]}', "runs[0] must be an object"),
        ("runs: []", "not JSON"),
    ],
)
def test_a_bad_file_shape_is_refused(
    export: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, expected: str
) -> None:
    runs = tmp_path / "bad.runs.json"
    runs.write_text(content)
    status = run([*COMMANDS["reconcile"], "--billing-export", str(export), "--runs-file", str(runs)])
    err = capsys.readouterr().err
    assert status == 2
    assert "error[runs-file-invalid]" in err and expected in err


def _empty_exports(folder: Path) -> list[Path]:
    """A 0-byte NDJSON file, a header-only CSV and a 0-row Parquet file with the export's schema."""
    import io

    import pyarrow.parquet as pq

    from ops.costs.sample_export import render_export, sample_rows

    rows = sample_rows()
    ndjson = folder / "empty.jsonl"
    ndjson.write_bytes(b"")
    csv_file = folder / "header-only.csv"
    csv_file.write_bytes(render_export(rows, "csv").split(b"\n", 1)[0] + b"\n")
    parquet = folder / "no-rows.parquet"
    pq.write_table(pq.read_table(io.BytesIO(render_export(rows, "parquet"))).slice(0, 0), parquet)
    return [ndjson, csv_file, parquet]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_an_export_with_no_rows_is_refused_not_a_month_without_spend(
    export: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    for empty in _empty_exports(tmp_path):
        output = ["-o", str(tmp_path / "report.html")] if command == "report" else []
        status = run([*COMMANDS[command], *output, "--billing-export", str(empty)])
        captured = capsys.readouterr()
        assert status == 2, (empty, captured.out)
        assert "error[billing-export-no-usable-rows]: the billing export holds no rows" in captured.err
        assert "No run was billed" not in captured.out
