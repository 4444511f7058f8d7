"""The reconciliation rules of issue 9, each on a few export rows small enough to read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from ops.costs.engines import DuckDBEngine
from ops.costs.model import (
    DEFAULT_RUN_KEYS,
    InferenceCandidate,
    KnownRun,
    ReconcileSpec,
    Window,
)
from ops.costs.reconcile import Reconciliation, reconcile_costs
from ops.costs.sample_export import COMPUTE, STORAGE, VERTEX, ExportRows, render_export
from ops.output import to_jsonable

TPU = ("TPU-1", "Vertex AI: Training on TPU v3 pod")
TUNING = ("TUNE-1", "Gemini 2.5 Flash Tuning training tokens")
PREDICT = ("PRED-1", "Online Prediction")
OCT = Window(datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))


def run(tmp_path: Path, rows: ExportRows, spec: ReconcileSpec | None = None, known=()) -> Reconciliation:
    path = tmp_path / "export.parquet"
    path.write_bytes(render_export(rows.rows, "parquet"))
    return reconcile_costs(DuckDBEngine([path]), spec or ReconcileSpec(), list(known))


def by_key(result: Reconciliation) -> dict[str, dict]:
    return {r["run_key"]: r for r in to_jsonable(result.as_json())["runs"]}


def test_a_row_with_several_run_keys_counts_once_under_the_first(tmp_path: Path) -> None:
    rows = ExportRows()
    both = {"tunectl-run-id": "r1", "vertex-ai-pipelines-run-billing-id": "42"}
    rows.add(VERTEX, TPU, "2026-10-05T10:00:00", "36.8", labels=both)
    rows.add(VERTEX, TPU, "2026-10-05T11:00:00", "1.2", labels={"vertex-ai-pipelines-run-billing-id": "42"})
    runs = by_key(run(tmp_path, rows))
    assert runs["tunectl-run-id=r1"]["gross"] == "36.80"
    assert runs["vertex-ai-pipelines-run-billing-id=42"]["gross"] == "1.20"


def test_run_key_precedence_is_configurable(tmp_path: Path) -> None:
    rows = ExportRows()
    rows.add(
        VERTEX,
        TPU,
        "2026-10-05T10:00:00",
        "36.8",
        labels={"tunectl-run-id": "r1", "vertex-ai-pipelines-run-billing-id": "42"},
    )
    spec = ReconcileSpec(run_keys=("vertex-ai-pipelines-run-billing-id", "tunectl-run-id"))
    assert list(by_key(run(tmp_path, rows, spec))) == ["vertex-ai-pipelines-run-billing-id=42"]


def test_the_articles_singular_key_spelling_is_a_run_key(tmp_path: Path) -> None:
    rows = ExportRows()
    rows.add(VERTEX, TPU, "2026-10-05T10:00:00", "5", labels={"vertex-ai-pipeline-run-billing-id": "7"})
    known = [
        KnownRun(
            "r7", ("vertex-ai-pipelines-run-billing-id=7",), estimate=Decimal(5), estimate_currency="USD"
        )
    ]
    result = run(tmp_path, rows, known=known)
    assert [r.run_id for r in result.runs] == ["r7"] and not result.orphans


def test_net_is_gross_plus_credits_in_exact_decimals(tmp_path: Path) -> None:
    rows = ExportRows()
    credit = [("PROMOTION", "promo", "-0.1")]
    for hour in range(3):
        rows.add(
            VERTEX, TPU, f"2026-10-05T1{hour}:00:00", "0.1", labels={"tunectl-run-id": "r1"}, credits=credit
        )
    rows.add(VERTEX, TPU, "2026-10-05T13:00:00", "0.2", labels={"tunectl-run-id": "r1"}, null_credits=True)
    r1 = by_key(run(tmp_path, rows))["tunectl-run-id=r1"]
    assert (r1["gross"], r1["credits"], r1["net"]) == ("0.50", "-0.30", "0.20")


def test_currencies_are_never_added_together(tmp_path: Path) -> None:
    rows = ExportRows()
    rows.add(VERTEX, TPU, "2026-10-05T10:00:00", "10", labels={"tunectl-run-id": "r1"})
    rows.add(VERTEX, TPU, "2026-10-05T11:00:00", "7", labels={"tunectl-run-id": "r1"}, currency="EUR")
    rows.add(VERTEX, PREDICT, "2026-10-05T11:00:00", "1", currency="EUR")
    body = to_jsonable(run(tmp_path, rows).as_json())
    assert sorted((r["currency"], r["net"]) for r in body["runs"]) == [("EUR", "7.00"), ("USD", "10.00")]
    assert [(t["currency"], t["net"]) for t in body["totals"]] == [("EUR", "8.00"), ("USD", "10.00")]


def test_unattributed_is_vertex_ai_without_run_keys_and_other_services_are_out_of_scope(
    tmp_path: Path,
) -> None:
    rows = ExportRows()
    rows.add(VERTEX, PREDICT, "2026-10-05T10:00:00", "3")
    rows.add(("C7E2-9256-1C43", "renamed"), PREDICT, "2026-10-05T10:00:00", "1")  # matched by id
    rows.add(("OTHER-ID", "Vertex AI"), PREDICT, "2026-10-05T10:00:00", "2")  # matched by description
    rows.add(COMPUTE, ("VM", "VM core"), "2026-10-05T10:00:00", "100")
    rows.add(STORAGE, ("GCS", "bucket"), "2026-10-05T10:00:00", "4", labels={"tunectl-run-id": "r1"})
    result = run(tmp_path, rows)
    body = to_jsonable(result.as_json())
    assert body["unattributed"] == [{"currency": "USD", "gross": "6.00", "credits": "0.00", "net": "6.00"}]
    assert by_key(result)["tunectl-run-id=r1"]["net"] == "4.00"  # a run's rows count whatever the service
    assert body["totals"][0]["net"] == "10.00"
    assert body["coverage_pct"] == 0.0  # the run's only row is Cloud Storage, not Vertex AI


def test_coverage_is_attributed_vertex_net_over_all_vertex_net(tmp_path: Path) -> None:
    rows = ExportRows()
    rows.add(VERTEX, TPU, "2026-10-05T10:00:00", "30", labels={"tunectl-run-id": "r1"})
    rows.add(VERTEX, PREDICT, "2026-10-05T10:00:00", "10")
    assert run(tmp_path, rows).coverage_pct() == 75.0


def test_the_window_is_usage_start_time_in_from_to(tmp_path: Path) -> None:
    rows = ExportRows()
    rows.add(VERTEX, TPU, "2026-09-30T23:00:00", "1", labels={"tunectl-run-id": "r1"})
    rows.add(VERTEX, TPU, "2026-10-01T00:00:00", "2", labels={"tunectl-run-id": "r1"})
    rows.add(VERTEX, TPU, "2026-10-31T23:00:00", "4", labels={"tunectl-run-id": "r1"})
    rows.add(VERTEX, TPU, "2026-11-01T00:00:00", "8", labels={"tunectl-run-id": "r1"})
    assert by_key(run(tmp_path, rows, ReconcileSpec(window=OCT)))["tunectl-run-id=r1"]["net"] == "6.00"


def test_the_window_can_be_the_invoice_month(tmp_path: Path) -> None:
    rows = ExportRows()
    rows.add(VERTEX, TPU, "2026-10-31T23:00:00", "4", labels={"tunectl-run-id": "r1"})
    rows.add(VERTEX, TPU, "2026-10-31T22:00:00", "8", labels={"tunectl-run-id": "r1"}, invoice_month="202611")
    spec = ReconcileSpec(window=Window(invoice_month="202611"))
    assert by_key(run(tmp_path, rows, spec))["tunectl-run-id=r1"]["net"] == "8.00"


def test_rows_ending_within_72_hours_of_the_newest_export_are_provisional(tmp_path: Path) -> None:
    rows = ExportRows()  # the sample's newest export_time caps every row's export_time at 2026-11-02T06:00
    rows.add(
        VERTEX,
        TPU,
        "2026-10-20T10:00:00",
        "1",
        labels={"tunectl-run-id": "old"},
        exported_after=timedelta(days=30),
    )
    rows.add(VERTEX, TPU, "2026-10-30T06:00:00", "1", labels={"tunectl-run-id": "new"})
    result = run(tmp_path, rows)
    assert result.newest_export_time == datetime(2026, 11, 2, 6, tzinfo=UTC)
    assert {r.run_id: r.provisional for r in result.runs} == {"old": False, "new": True}


def test_corrections_and_identical_rows_all_count_because_the_export_is_append_only(tmp_path: Path) -> None:
    rows = ExportRows()
    for _ in range(2):  # two identical rows are two charges: never deduplicated by value
        rows.add(VERTEX, TPU, "2026-10-05T10:00:00", "36.8", labels={"tunectl-run-id": "r1"})
    rows.add(
        VERTEX, TPU, "2026-10-05T10:00:00", "-36.8", labels={"tunectl-run-id": "r1"}, cost_type="adjustment"
    )
    first = run(tmp_path, rows)
    assert by_key(first)["tunectl-run-id=r1"]["gross"] == "36.80"
    assert to_jsonable(first.as_json())["runs"] == to_jsonable(run(tmp_path, rows).as_json())["runs"]


def test_vertex_ai_is_its_service_id_or_its_description(tmp_path: Path) -> None:
    rows = ExportRows()
    rows.add((None, "Vertex AI"), PREDICT, "2026-10-05T10:00:00", "4")  # no id, Vertex by description
    rows.add((None, None), TPU, "2026-10-05T10:00:00", "6", labels={"tunectl-run-id": "r1"})  # any service
    rows.add((None, "Cloud Storage"), PREDICT, "2026-10-05T10:00:00", "9")  # neither: out of scope
    result = run(tmp_path, rows)
    assert result.unattributed["USD"].net == Decimal(4)
    assert [(r.run_key, str(r.money.net)) for r in result.runs] == [("tunectl-run-id=r1", "6.000000000")]
    assert result.skipped == []


GEM_1_WINDOW = InferenceCandidate(
    "gem-1",
    "tunectl-demo",
    datetime(2026, 10, 14, 16, 10, tzinfo=UTC),
    datetime(2026, 10, 14, 16, 50, tzinfo=UTC),
)


def test_unlabelled_gemini_tuning_rows_in_the_jobs_window_are_inferred(tmp_path: Path) -> None:
    rows = ExportRows()
    rows.add(VERTEX, TUNING, "2026-10-14T16:00:00", "12")  # no labels: inferred
    rows.add(VERTEX, TUNING, "2026-10-14T16:00:00", "3", project_id="someone-else")  # other project
    rows.add(VERTEX, PREDICT, "2026-10-14T16:00:00", "2")  # not a tuning SKU
    rows.add(VERTEX, TUNING, "2026-10-20T16:00:00", "7")  # outside the job's window
    known = [KnownRun("gem-1", ("tunectl-run-id=gem-1",), engine="gemini")]
    result = run(tmp_path, rows, ReconcileSpec(inferred=(GEM_1_WINDOW,)), known)
    assert [(r.attribution, str(r.money.net)) for r in result.runs] == [("inferred", "12.000000000")]
    assert result.unattributed["USD"].net == Decimal(12)


def test_a_run_whose_labels_reach_the_export_is_never_inferred(tmp_path: Path) -> None:
    rows = ExportRows()
    rows.add(VERTEX, TUNING, "2026-10-14T16:00:00", "5", labels={"tunectl-run-id": "gem-1"})
    rows.add(VERTEX, TUNING, "2026-10-14T16:00:00", "12")  # unlabelled, in its window: anyone's job
    known = [KnownRun("gem-1", ("tunectl-run-id=gem-1",), engine="gemini")]
    result = run(tmp_path, rows, ReconcileSpec(inferred=(GEM_1_WINDOW,)), known)
    assert [(r.attribution, str(r.money.net)) for r in result.runs] == [("label", "5.000000000")]
    assert result.unattributed["USD"].net == Decimal(12)
    assert result.as_json()["coverage_pct"] == 29.41  # 5 of 17 Vertex AI net, rounded to 0.01


def test_estimates_give_variance_and_a_flag_beyond_the_threshold(tmp_path: Path) -> None:
    rows = ExportRows()
    rows.add(
        VERTEX,
        TPU,
        "2026-10-05T10:00:00",
        "120",
        labels={"tunectl-run-id": "r1"},
        credits=[("PROMOTION", "p", "-50")],
    )
    rows.add(VERTEX, TPU, "2026-10-05T10:00:00", "95", labels={"tunectl-run-id": "r2"})
    known = [
        KnownRun(
            "r1", ("tunectl-run-id=r1",), estimate=Decimal(100), estimate_currency="USD", price_table="t1"
        ),
        KnownRun(
            "r2", ("tunectl-run-id=r2",), estimate=Decimal(100), estimate_currency="USD", price_table="t1"
        ),
    ]
    body = to_jsonable(
        reconcile_costs(_engine(tmp_path, rows), ReconcileSpec(), known, variance_threshold_pct=10).as_json()
    )
    runs = {r["run_id"]: r for r in body["runs"]}
    assert (runs["r1"]["estimate"], runs["r1"]["variance_pct"], runs["r1"]["variance_flagged"]) == (
        "100.00",
        20.0,
        True,
    )
    assert (runs["r2"]["variance_pct"], runs["r2"]["variance_flagged"], runs["r2"]["price_table"]) == (
        -5.0,
        False,
        "t1",
    )


def _engine(tmp_path: Path, rows: ExportRows) -> DuckDBEngine:
    path = tmp_path / "export.parquet"
    path.write_bytes(render_export(rows.rows, "parquet"))
    return DuckDBEngine([path])


def test_known_runs_without_rows_are_not_yet_billed_and_unknown_keys_are_orphans(tmp_path: Path) -> None:
    rows = ExportRows()
    rows.add(VERTEX, TPU, "2026-10-05T10:00:00", "9", labels={"vertex-ai-pipelines-run-billing-id": "999"})
    known = [
        KnownRun("waiting", ("tunectl-run-id=waiting",), started=datetime(2026, 10, 30, tzinfo=UTC)),
        KnownRun("last-month", ("tunectl-run-id=last-month",), started=datetime(2026, 9, 3, tzinfo=UTC)),
    ]
    body = to_jsonable(run(tmp_path, rows, ReconcileSpec(window=OCT), known).as_json())
    assert [k["run_id"] for k in body["not_yet_billed"]] == ["waiting"]
    assert [o["run_key"] for o in body["orphans"]] == ["vertex-ai-pipelines-run-billing-id=999"]


def test_default_run_keys_follow_the_issue() -> None:
    assert DEFAULT_RUN_KEYS == (
        "tunectl-run-id",
        "vertex-ai-pipelines-run-billing-id",
        "vertex-ai-pipeline-run-billing-id",
    )
