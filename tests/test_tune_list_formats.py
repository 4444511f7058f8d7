"""`tune list`: every format (text within 80 columns without cutting a run id, json, yaml, csv) and
gcloud-style `--filter` / `--limit`, on the ledger alone (`--local`: no API)."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from ops.cli import run
from ops.errors import ExitStatus
from ops.ledger import Ledger, RunRecord

LONG_ID = "nightly-rlhf-20260105t030002z-with-a-long-suffix"


@pytest.fixture
def ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "ledger.sqlite"
    monkeypatch.setenv("TUNECTL_LEDGER", str(path))
    monkeypatch.setenv("TUNECTL_CONFIG", str(tmp_path / "config.toml"))
    with Ledger(path) as book:
        for record in (
            RunRecord(
                "gem-flash-sft-5a6b",
                "gemini",
                base_model="gemini-2.5-flash",
                region="us-central1",
                state="JOB_STATE_SUCCEEDED",
                estimate_amount=Decimal("62.00"),
                estimate_currency="USD",
                created_at="2026-10-12T08:05:00+00:00",
            ),
            RunRecord(
                LONG_ID,
                "rlhf-pipeline",
                base_model="t5-large",
                region="europe-west4",
                state="PIPELINE_STATE_RUNNING",
                created_at="2026-10-31T22:00:00+00:00",
                schedule="nightly-rlhf",
                source="sync",
            ),
        ):
            book.merge(record)
    return path


def tune_list(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    status = run(["tune", "list", "--local", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_text_fits_80_columns_and_never_cuts_a_run_id(ledger: Path, capsys: Any) -> None:
    status, out, _ = tune_list(capsys)
    assert status == 0
    assert LONG_ID in out and "gem-flash-sft-5a6b" in out
    assert all(len(line) <= 80 for line in out.splitlines())


def test_csv_has_one_flat_row_per_run(ledger: Path, capsys: Any) -> None:
    status, out, _ = tune_list(capsys, "--format", "csv")
    assert status == 0
    rows = {r["run_id"]: r for r in csv.DictReader(io.StringIO(out))}
    assert set(rows) == {"gem-flash-sft-5a6b", LONG_ID}
    assert (rows["gem-flash-sft-5a6b"]["estimate"], rows["gem-flash-sft-5a6b"]["estimate_currency"]) == (
        "62.00",
        "USD",
    )
    assert rows[LONG_ID]["schedule"] == "nightly-rlhf"


def test_yaml_and_json_say_the_same(ledger: Path, capsys: Any) -> None:
    _, as_yaml, _ = tune_list(capsys, "--format", "yaml")
    _, as_json, _ = tune_list(capsys, "--format", "json")
    assert yaml.safe_load(as_yaml) == json.loads(as_json)


def test_filter_and_limit_work_on_the_json_fields(ledger: Path, capsys: Any) -> None:
    status, out, _ = tune_list(capsys, "--filter", "schedule=nightly-rlhf", "--format", "json")
    assert status == 0
    assert [r["run_id"] for r in json.loads(out)["runs"]] == [LONG_ID]
    status, out, _ = tune_list(
        capsys, "--filter", "engine:gem* OR region=europe-west4", "--limit", "1", "-f", "json"
    )
    assert status == 0 and len(json.loads(out)["runs"]) == 1
    status, out, _ = tune_list(capsys, "--filter", "engine=none")
    assert status == 0 and "no run matches the filter" in out


def test_a_bad_filter_is_a_usage_error_naming_the_fields(ledger: Path, capsys: Any) -> None:
    status, _, err = tune_list(capsys, "--filter", "colour=blue")
    assert status == ExitStatus.USAGE
    assert "error[filter-unknown-key]" in err and "run_id" in err
    status, _, err = tune_list(capsys, "--filter", "run_id=(")
    assert status == ExitStatus.USAGE and "--filter" in err


def test_csv_has_its_header_when_no_ledger_exists_yet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ops.commands.tune import CSV_COLUMNS

    monkeypatch.setenv("TUNECTL_LEDGER", str(tmp_path / "none.sqlite"))
    monkeypatch.setenv("TUNECTL_CONFIG", str(tmp_path / "config.toml"))
    assert run(["tune", "list", "--local", "--format", "csv"]) == ExitStatus.OK
    out, err = capsys.readouterr()
    assert out.splitlines() == [",".join(CSV_COLUMNS)]
    assert "no ledger at" in err
    assert not (tmp_path / "none.sqlite").exists()


def test_csv_columns_are_those_of_a_listed_run(ledger: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ops.commands.tune import CSV_COLUMNS

    assert run(["tune", "list", "--local", "--format", "csv"]) == ExitStatus.OK
    assert next(csv.reader(io.StringIO(capsys.readouterr().out))) == list(CSV_COLUMNS)
