"""`tunectl schedules status` with a billing export: each job's billed cost and the schedule's total,
through the Scheduler and Vertex test servers (files read with DuckDB), and `unknown` without one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ops.costs.sample_export import COMPUTE, VERTEX, ExportRows, render_export
from tests.cloud.harness import Cloud
from tests.cloud.scheduler import SchedulerServer
from tests.quota_fixtures import run_cli, run_json
from tests.test_schedules_cli import SFT, env  # noqa: F401  (the fixture: the stack's schedules)

TUNING = ("TUNE-1", "Gemini 2.5 Pro Tuning training tokens")
FIRED = {"tunectl-schedule": "nightly-sft", "tunectl-stack": "gpu", "managed-by": "tunectl"}


def export(tmp_path: Path) -> Path:
    """January 2026 in the test project: the firing's job (its labels reached the export, no run id),
    an older firing nobody listed (only the schedule label), and spend of nothing scheduled."""
    rows = ExportRows()
    rows.add(VERTEX, TUNING, "2026-01-05T09:00:00", "40.00", labels=FIRED, project_id="tunectl-test")
    rows.add(VERTEX, TUNING, "2026-01-05T11:00:00", "2.50", labels=FIRED, project_id="tunectl-test")
    rows.add(VERTEX, TUNING, "2026-01-02T03:00:00", "38.00", labels=FIRED, project_id="other-project")
    rows.add(COMPUTE, ("VM-1", "E2 core"), "2026-01-05T09:00:00", "9.00", labels={"team": "web"})
    path = tmp_path / "billing.parquet"
    path.write_bytes(render_export(rows.rows, "parquet"))
    return path


def test_status_shows_each_jobs_billed_cost_and_the_schedules_total(
    env: Any,  # noqa: F811
    capsys: Any,
    cloud: Cloud,
    tmp_path: Path,
) -> None:
    cloud.get(SchedulerServer).fire(SFT)
    source = ["--billing-export", str(export(tmp_path)), "--month", "2026-01"]
    status, data, _ = run_json(capsys, "schedules", "status", "nightly-sft", *source)
    assert status == 0
    (job,) = data["jobs"]
    # The job's rows carry no run id: found by project, tuning SKU and the job's time window.
    assert job["run_id"] == "nightly-sft-20260105t090000z"
    assert [(c["net"], c["currency"]) for c in job["cost"]] == [("42.50", "USD")]
    cost = data["cost"]
    assert cost["known"] is True
    assert cost["totals"] == [{"currency": "USD", "gross": "80.50", "credits": "0.00", "net": "80.50"}]
    assert cost["unnamed_runs"] is True  # the 2 January firing: no listed job, no ledger run
    status, out, _ = run_cli(capsys, "schedules", "status", "nightly-sft", *source)
    assert status == 0
    assert (
        "cost: 80.50 USD net from 2026-01-01 to before 2026-02-01 (incl. rows of firings with no run id)"
        in out
    )
    assert "nightly-sft-20260105t090000z  QUEUED" in out and "42.50 USD," in out  # (provisional)


def test_without_a_billing_export_cost_is_unknown_and_says_how_to_give_one(
    env: Any,  # noqa: F811
    capsys: Any,
    cloud: Cloud,
) -> None:
    cloud.get(SchedulerServer).fire(SFT)
    status, data, _ = run_json(capsys, "schedules", "status", "nightly-sft")
    assert status == 0
    assert data["cost"]["known"] is False
    assert "--billing-export" in data["cost"]["note"]
    assert data["jobs"][0]["cost"] is None
    _, out, _ = run_cli(capsys, "schedules", "status", "nightly-sft")
    assert "cost: unknown: no billing export" in out


def test_a_job_not_billed_in_the_window_says_so(
    env: Any,  # noqa: F811
    capsys: Any,
    cloud: Cloud,
    tmp_path: Path,
) -> None:
    cloud.get(SchedulerServer).fire(SFT)
    source = ["--billing-export", str(export(tmp_path)), "--month", "2025-12"]
    status, data, _ = run_json(capsys, "schedules", "status", "nightly-sft", *source)
    assert status == 0
    assert data["jobs"][0]["cost"] == []
    assert data["cost"]["totals"] == []
    _, out, _ = run_cli(capsys, "schedules", "status", "nightly-sft", *source)
    assert "not billed" in out and "nothing billed" in out


def test_list_as_csv_has_one_row_per_schedule(env: Any, capsys: Any) -> None:  # noqa: F811
    import csv
    import io

    status, out, _ = run_cli(capsys, "schedules", "list", "--format", "csv")
    assert status == 0
    rows = {r["name"]: r for r in csv.DictReader(io.StringIO(out))}
    assert set(rows) == {"nightly-sft", "weekly-pref", "monthly-rlhf"}
    assert rows["weekly-pref"]["state"] == "PAUSED"


def test_list_text_fits_80_columns_with_whole_names(env: Any, capsys: Any) -> None:  # noqa: F811
    status, out, _ = run_cli(capsys, "schedules", "list")
    assert status == 0
    assert all(len(line) <= 80 for line in out.splitlines())
    for name in ("nightly-sft", "weekly-pref", "monthly-rlhf"):
        assert f"\n{name} " in out


def test_a_billing_table_that_cannot_be_read_leaves_cost_unknown_with_the_reason(
    env: Any,  # noqa: F811
    capsys: Any,
    cloud: Cloud,
    monkeypatch: Any,
) -> None:
    cloud.get(SchedulerServer).fire(SFT)
    monkeypatch.setenv("TUNECTL_BILLING_TABLE", "tunectl-test.billing.no_such_table")
    status, data, _ = run_json(capsys, "schedules", "status", "nightly-sft", "--month", "2026-01")
    assert status == 0  # the schedule's state is still shown
    assert data["cost"]["known"] is False
    assert data["cost"]["note"].startswith("unknown: ") and "no_such_table" in data["cost"]["note"]
    assert data["jobs"][0]["cost"] is None


def test_an_export_with_no_rows_leaves_cost_unknown_not_nothing_billed(
    env: Any,  # noqa: F811
    capsys: Any,
    cloud: Cloud,
    tmp_path: Path,
) -> None:
    cloud.get(SchedulerServer).fire(SFT)
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    status, data, _ = run_json(capsys, "schedules", "status", "nightly-sft", "--billing-export", str(empty))
    assert status == 0
    assert data["cost"]["known"] is False and "no rows" in data["cost"]["note"]
    _, out, _ = run_cli(capsys, "schedules", "status", "nightly-sft", "--billing-export", str(empty))
    assert "cost: unknown: the billing export holds no rows" in out and "nothing billed" not in out


def test_the_total_names_both_ends_of_a_month_window(
    env: Any,  # noqa: F811
    capsys: Any,
    cloud: Cloud,
    tmp_path: Path,
) -> None:
    cloud.get(SchedulerServer).fire(SFT)
    source = ["--billing-export", str(export(tmp_path)), "--from", "2026-01-03"]
    _, out, _ = run_cli(capsys, "schedules", "status", "nightly-sft", *source)
    assert "net from 2026-01-03 to now" in out
