"""Scheduled runs in the reconciliation: rows carrying `tunectl-schedule` (Cloud Scheduler's bodies
give their jobs that label and no run id) are attributed to their schedule, and every run says which
schedule made it."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from ops.cli import run as cli
from ops.costs.engines import DuckDBEngine
from ops.costs.model import InferenceCandidate, KnownRun, ReconcileSpec
from ops.costs.reconcile import Reconciliation, reconcile_costs
from ops.costs.sample_export import COMPUTE, VERTEX, ExportRows, render_export
from ops.output import to_jsonable

TUNING = ("TUNE-1", "Gemini 2.5 Flash Tuning training tokens")
TPU = ("TPU-1", "Vertex AI: Training on TPU v3 pod")
FIRED = {"tunectl-schedule": "weekly-sft", "tunectl-stack": "gpu", "managed-by": "tunectl"}


def reconcile(tmp_path: Path, rows: ExportRows, known: list[KnownRun] | None = None) -> Reconciliation:
    path = tmp_path / "export.parquet"
    path.write_bytes(render_export(rows.rows, "parquet"))
    candidates = tuple(
        InferenceCandidate(k.run_id, k.project or "", k.started, k.ended)
        for k in known or []
        if k.started and k.ended
    )
    return reconcile_costs(DuckDBEngine([path]), ReconcileSpec(inferred=candidates), known or [])


def runs_by_key(result: Reconciliation) -> dict[str, dict]:
    return {r["run_key"]: r for r in to_jsonable(result.as_json())["runs"]}


def test_rows_with_only_a_schedule_label_are_the_schedules_marked_as_such(tmp_path: Path) -> None:
    rows = ExportRows()
    rows.add(VERTEX, TUNING, "2026-10-26T03:00:00", "31.00", labels=FIRED)
    rows.add(VERTEX, TUNING, "2026-11-02T03:00:00", "29.00", labels=FIRED)
    result = reconcile(tmp_path, rows)
    (entry,) = to_jsonable(result.as_json())["runs"]
    assert entry["run_key"] == "tunectl-schedule=weekly-sft"
    assert entry["run_id"] == "schedule:weekly-sft"  # a colon is never in a label value: no run id
    assert (entry["attribution"], entry["schedule"], entry["net"]) == ("schedule", "weekly-sft", "60.00")
    assert not result.unattributed and result.coverage_pct() == 100.0
    assert not result.orphans  # not a run anybody failed to record: a schedule's firings


def test_a_run_keeps_its_run_key_and_gains_its_rows_schedule(tmp_path: Path) -> None:
    rows = ExportRows()
    labels = {"tunectl-run-id": "weekly-sft-20261026t030002z", **FIRED}
    rows.add(VERTEX, TUNING, "2026-10-26T03:00:00", "31.00", labels=labels)
    runs = runs_by_key(reconcile(tmp_path, rows))
    assert list(runs) == ["tunectl-run-id=weekly-sft-20261026t030002z"]
    assert runs["tunectl-run-id=weekly-sft-20261026t030002z"]["schedule"] == "weekly-sft"


def test_the_ledgers_schedule_names_a_run_whose_rows_lack_the_label(tmp_path: Path) -> None:
    rows = ExportRows()
    rows.add(VERTEX, TPU, "2026-10-05T10:00:00", "36.8", labels={"tunectl-run-id": "r1"})
    known = [KnownRun("r1", ("tunectl-run-id=r1",), schedule="nightly-rlhf")]
    (entry,) = to_jsonable(reconcile(tmp_path, rows, known).as_json())["runs"]
    assert (entry["run_id"], entry["attribution"], entry["schedule"]) == ("r1", "label", "nightly-rlhf")


def test_a_synced_scheduled_job_takes_its_rows_by_inference_before_the_schedule(tmp_path: Path) -> None:
    """After `tune sync` the ledger knows the firing's run (project and job window): its rows are that
    run's, not the schedule's in general."""
    rows = ExportRows()
    rows.add(VERTEX, TUNING, "2026-10-26T03:00:00", "31.00", labels=FIRED)
    start = datetime(2026, 10, 26, 3, 0, 2, tzinfo=UTC)
    known = [
        KnownRun(
            "weekly-sft-20261026t030002z",
            ("tunectl-run-id=weekly-sft-20261026t030002z",),
            engine="gemini",
            schedule="weekly-sft",
            project="tunectl-demo",
            started=start,
            ended=start.replace(hour=4),
        )
    ]
    (entry,) = to_jsonable(reconcile(tmp_path, rows, known).as_json())["runs"]
    assert (entry["run_id"], entry["attribution"]) == ("weekly-sft-20261026t030002z", "inferred")
    assert entry["schedule"] == "weekly-sft"


def test_schedule_labelled_rows_outside_vertex_ai_still_count_for_the_schedule(tmp_path: Path) -> None:
    rows = ExportRows()
    rows.add(COMPUTE, ("VM-1", "E2 core"), "2026-10-26T03:00:00", "1.50", labels=FIRED)
    rows.add(COMPUTE, ("VM-1", "E2 core"), "2026-10-26T03:00:00", "9.00", labels={"team": "web"})
    (scheduled,) = reconcile(tmp_path, rows).by_schedule
    assert (scheduled.schedule, scheduled.money.net, scheduled.runs) == ("weekly-sft", Decimal("1.5"), 0)


def test_per_schedule_totals_add_runs_and_unnamed_firings_per_currency(tmp_path: Path) -> None:
    rows = ExportRows()
    rows.add(VERTEX, TUNING, "2026-10-12T08:00:00", "62.00", labels={"tunectl-run-id": "a", **FIRED})
    rows.add(VERTEX, TUNING, "2026-10-19T08:00:00", "60.00", labels={"tunectl-run-id": "b", **FIRED})
    rows.add(VERTEX, TUNING, "2026-10-26T03:00:00", "31.00", labels=FIRED)
    rows.add(VERTEX, TUNING, "2026-10-26T03:00:00", "4000", labels=FIRED, currency="JPY")
    rows.add(VERTEX, TPU, "2026-10-05T10:00:00", "36.8", labels={"tunectl-run-id": "c"})
    body = to_jsonable(reconcile(tmp_path, rows).as_json())
    assert body["by_schedule"] == [
        {
            "schedule": "weekly-sft",
            "currency": "JPY",
            "gross": "4000.00",
            "credits": "0.00",
            "net": "4000.00",
            "runs": 0,
            "unnamed_runs": True,
        },
        {
            "schedule": "weekly-sft",
            "currency": "USD",
            "gross": "153.00",
            "credits": "0.00",
            "net": "153.00",
            "runs": 2,
            "unnamed_runs": True,
        },
    ]


def test_reconcile_shows_the_schedule_in_text_csv_and_json(tmp_path: Path, capsys) -> None:
    export = tmp_path / "export.parquet"
    assert cli(["cost", "sample-export", "-o", str(export)]) == 0
    args = [
        "cost",
        "reconcile",
        "--billing-export",
        str(export),
        "--runs-file",
        str(tmp_path / "export.runs.json"),
        "--month",
        "2026-10",
    ]
    capsys.readouterr()
    assert cli(args) == 0
    text = capsys.readouterr().out
    assert "schedule:weekly-sft  weekly-sft" in text
    assert "Schedule weekly-sft: 83.00 USD net over 1 run + firings with no run id" in text
    assert "Schedule nightly-rlhf: 31.44 USD net over 1 run" in text
    assert cli([*args, "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {(r["key"], r["net"]) for r in rows if r["section"] == "schedule"} == {
        ("nightly-rlhf", "31.44"),
        ("weekly-sft", "83.00"),
    }
    assert {r["run_id"]: r["schedule"] for r in rows if r["section"] == "run"}["gem-flash-sft-5a6b"] == (
        "weekly-sft"
    )
    assert cli([*args, "--format", "json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert [(s["schedule"], s["net"]) for s in body["by_schedule"]] == [
        ("nightly-rlhf", "31.44"),
        ("weekly-sft", "83.00"),
    ]


def test_the_report_totals_cost_per_schedule(tmp_path: Path, capsys) -> None:
    export = tmp_path / "export.parquet"
    assert cli(["cost", "sample-export", "-o", str(export)]) == 0
    out = tmp_path / "report.json"
    runs = str(tmp_path / "export.runs.json")
    args = ["cost", "report", "--billing-export", str(export), "--runs-file", runs, "--month", "2026-10"]
    assert cli([*args, "-o", str(out)]) == 0
    body = json.loads(out.read_text())
    # The reconciliation's scheduled spend, and the report's breakdown of all spend by schedule.
    assert [(r["schedule"], r["net"]) for r in body["by_schedule"]] == [
        ("nightly-rlhf", "31.44"),
        ("weekly-sft", "83.00"),
    ]
    breakdown = {r["schedule"]: r["net"] for r in body["report"]["by_schedule"]}
    assert (breakdown["weekly-sft"], breakdown["nightly-rlhf"]) == ("83.00", "31.44")
    assert breakdown["(none)"] == "303.298"  # runs no schedule made, and unattributed spend
    html = tmp_path / "report.html"
    assert cli([*args, "-o", str(html)]) == 0
    assert "Cost by schedule" in html.read_text() and "weekly-sft" in html.read_text()


def test_reconcile_filter_and_limit_select_the_runs_listed(tmp_path: Path, capsys) -> None:
    export = tmp_path / "export.parquet"
    assert cli(["cost", "sample-export", "-o", str(export)]) == 0
    runs = str(tmp_path / "export.runs.json")
    args = ["cost", "reconcile", "--billing-export", str(export), "--runs-file", runs, "--month", "2026-10"]
    capsys.readouterr()
    assert cli([*args, "--filter", "schedule=weekly-sft", "--format", "json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert [r["run_id"] for r in body["runs"]] == ["gem-flash-sft-5a6b", "schedule:weekly-sft"]
    assert body["totals"][0]["net"] == "417.738"  # the whole window's, filter or not
    assert cli([*args, "--filter", "attribution=schedule", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["run_id"] for r in rows if r["section"] == "run"] == ["schedule:weekly-sft"]
    assert cli([*args, "--limit", "2"]) == 0
    table = capsys.readouterr().out.split("\n\n")[0].splitlines()
    assert len(table) == 3  # header and two runs
    assert cli([*args, "--filter", "colour=blue"]) == 2
    assert "error[filter-unknown-key]" in capsys.readouterr().err


def test_the_html_report_draws_schedule_attributed_spend_as_its_own_series(tmp_path: Path) -> None:
    export = tmp_path / "export.parquet"
    assert cli(["cost", "sample-export", "-o", str(export)]) == 0
    html = tmp_path / "report.html"
    runs = str(tmp_path / "export.runs.json")
    args = ["cost", "report", "--billing-export", str(export), "--runs-file", runs, "--month", "2026-10"]
    assert cli([*args, "-o", str(html)]) == 0
    text = html.read_text()
    assert "schedule label only" in text  # the legend
    assert re.search(r'<rect class="bar schedule" x="230"[^>]*><title>schedule:weekly-sft: 31\.00 USD', text)


@pytest.mark.parametrize("suffix", ["md", "html"])
def test_the_md_and_html_runs_tables_have_a_schedule_column(tmp_path: Path, suffix: str) -> None:
    export = tmp_path / "export.parquet"
    assert cli(["cost", "sample-export", "-o", str(export)]) == 0
    out = tmp_path / f"report.{suffix}"
    runs = str(tmp_path / "export.runs.json")
    args = ["cost", "report", "--billing-export", str(export), "--runs-file", runs, "--month", "2026-10"]
    assert cli([*args, "-o", str(out)]) == 0
    text = out.read_text()
    if suffix == "md":
        header = next(line for line in text.splitlines() if line.startswith("| run key"))
        assert "| attribution | schedule |" in header
        row = next(
            line for line in text.splitlines() if line.startswith("| tunectl-run-id=gem-flash-sft-5a6b")
        )
        assert "| weekly-sft |" in row
    else:
        assert '<th scope="col">attribution</th><th scope="col">schedule</th>' in text
        assert "<td>weekly-sft</td>" in text
