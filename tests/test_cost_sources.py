"""Billing-export files: formats, table flavours, folders and globs; bad input is never skipped silently."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from ops.costs import sample_export
from ops.costs.engines import DuckDBEngine
from ops.costs.reconcile import reconcile_costs
from ops.costs.sources import resolve_export_files
from ops.errors import TunectlError
from ops.output import to_jsonable
from tests.cost_fixtures import october_spec, sample_known_runs, write_sample


def _result(paths: list[Path], tmp_path: Path) -> dict:
    known = sample_known_runs(tmp_path)
    body = to_jsonable(reconcile_costs(DuckDBEngine(paths), october_spec(known), known).as_json())
    body.pop("source")
    return body


@pytest.mark.parametrize("fmt", ["ndjson", "csv"])
def test_ndjson_and_csv_exports_reconcile_like_parquet(tmp_path: Path, fmt: str) -> None:
    parquet = _result([write_sample(tmp_path)], tmp_path)
    other_dir = tmp_path / fmt
    other_dir.mkdir()
    assert _result([write_sample(other_dir, fmt)], tmp_path) == parquet


def test_the_articles_run_is_billed_155_48(tmp_path: Path) -> None:
    body = _result([write_sample(tmp_path)], tmp_path)
    tpu = next(r for r in body["runs"] if r["run_id"] == "rlhf-tpu-0a1b2c")
    assert tpu["net"] == "155.48" and tpu["estimate"] == "148.50"


def test_standard_and_detailed_table_files_mix_in_one_folder(tmp_path: Path) -> None:
    (tmp_path / "std").mkdir()
    (tmp_path / "det").mkdir()
    write_sample(tmp_path / "std")
    write_sample(tmp_path / "det", detailed=True)
    single = _result([write_sample(tmp_path)], tmp_path)
    both = _result(resolve_export_files([str(tmp_path / "std"), str(tmp_path / "det")]), tmp_path)
    # Two copies of every row: append-only, so both count, and each run is exactly doubled.
    assert Decimal(both["totals"][0]["gross"]) == 2 * Decimal(single["totals"][0]["gross"])
    assert both["skipped_rows"] == 0


def test_optional_columns_may_be_missing(tmp_path: Path) -> None:
    rows = sample_export.sample_rows()
    for row in rows:
        for column in ("price", "tags", "resource", "cost_at_list", "adjustment_info", "system_labels"):
            row.pop(column, None)
    path = tmp_path / "lean.jsonl"
    path.write_text("".join(json.dumps(sample_export.bq_json(r)) + "\n" for r in rows))
    assert _result([path], tmp_path)["skipped_rows"] == 0


def test_a_missing_required_column_names_the_file_and_the_column(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    path = write_sample(tmp_path)
    table = pq.read_table(path)
    pq.write_table(table.drop_columns(["credits"]), tmp_path / "no-credits.parquet")
    with pytest.raises(TunectlError) as caught:
        DuckDBEngine([tmp_path / "no-credits.parquet"])
    assert caught.value.code == "billing-export-missing-column"
    assert "no-credits.parquet" in (caught.value.where or "") and "credits" in caught.value.message


def test_a_csv_without_a_required_column_names_it(tmp_path: Path) -> None:
    path = write_sample(tmp_path, "csv")
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    path.write_text(
        "\n".join([",".join(h if h != "currency" else "currency_code" for h in header), *lines[1:]])
    )
    with pytest.raises(TunectlError, match="currency"):
        DuckDBEngine([path])


def test_unparsable_rows_are_counted_per_file_and_column(tmp_path: Path) -> None:
    path = write_sample(tmp_path, "ndjson")
    lines = path.read_text().splitlines()
    bad_cost = json.loads(lines[0]) | {"cost": "thirty-six"}
    bad_labels = json.loads(lines[1]) | {"labels": {"not": "a list"}}
    path.write_text(
        "\n".join([json.dumps(bad_cost), json.dumps(bad_labels), "{truncated", *lines[2:]]) + "\n"
    )
    body = _result([path], tmp_path)
    assert body["skipped_rows"] == 3
    assert sorted((s["column"], s["rows"]) for s in body["skipped"]) == [
        ("cost", 1),
        ("labels", 1),
        ("line (not JSON)", 1),
    ]
    assert all(s["source"].endswith("billing-export.jsonl") for s in body["skipped"])


def test_a_credit_amount_that_does_not_parse_skips_the_row_instead_of_reading_zero(tmp_path: Path) -> None:
    path = write_sample(tmp_path, "ndjson")
    lines = path.read_text().splitlines()
    row = json.loads(lines[0])
    row["credits"] = [{"name": "promo", "amount": "minus ten", "type": "PROMOTION"}]
    path.write_text("\n".join([json.dumps(row), *lines[1:]]) + "\n")
    body = _result([path], tmp_path)
    assert [(s["column"], s["rows"]) for s in body["skipped"]] == [("credits.amount", 1)]
    assert body["skipped_rows"] == 1


def test_empty_label_arrays_and_null_credits_are_ordinary_rows(tmp_path: Path) -> None:
    rows = sample_export.ExportRows()
    rows.add(
        sample_export.VERTEX,
        ("S", "Online Prediction"),
        "2026-10-05T10:00:00",
        "2",
        labels={},
        null_credits=True,
    )
    path = tmp_path / "e.parquet"
    path.write_bytes(sample_export.render_export(rows.rows, "parquet"))
    body = _result([path], tmp_path)
    assert body["unattributed"][0]["net"] == "2.00" and body["skipped_rows"] == 0


def test_globs_and_folders_find_export_files(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    write_sample(tmp_path / "a")
    assert resolve_export_files([str(tmp_path / "a")]) == [tmp_path / "a" / "billing-export.parquet"]
    assert resolve_export_files([str(tmp_path / "*" / "*.parquet")]) == [
        tmp_path / "a" / "billing-export.parquet"
    ]


def test_a_path_that_matches_nothing_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(TunectlError) as caught:
        resolve_export_files([str(tmp_path / "nothing-*.parquet")])
    assert caught.value.code == "billing-export-not-found"


def test_an_ndjson_file_without_a_required_column_names_it_like_csv_and_parquet(tmp_path: Path) -> None:
    path = tmp_path / "nocol.jsonl"
    path.write_text('{"foo": 1}\n')
    with pytest.raises(TunectlError) as caught:
        DuckDBEngine([path])
    assert caught.value.code == "billing-export-missing-column"
    assert caught.value.status == 2 and "nocol.jsonl" in caught.value.message


def test_an_export_of_which_every_row_is_skipped_is_an_error_not_an_empty_report(tmp_path: Path) -> None:
    rows = sample_export.sample_rows()[:2]
    path = tmp_path / "bad.jsonl"
    path.write_text("".join(json.dumps(sample_export.bq_json(r) | {"cost": "x"}) + "\n" for r in rows))
    with pytest.raises(TunectlError) as caught:
        _result([path], tmp_path)
    assert caught.value.code == "billing-export-no-usable-rows" and caught.value.status == 2
    assert "cost: 2" in caught.value.message
