"""A deterministic sample of the Cloud Billing export, for the walkthrough, the tests and the benchmark.

Rows follow the export schema (standard table; `detailed=True` adds `resource` and `price`): nested
`labels`, `credits`, `project`, `service`, `sku`, `invoice`, FLOAT `cost` as BigQuery stores it. The
story, October 2026 with September for the trend:

- the article's RLHF pipeline on a TPU v3 pod in europe-west4: 2 h 15 min at $36.8/h plus CPU work,
  the pipeline fee and its bucket, $155.48 in total (as the article was billed); some rows carry both
  our run label and the Pipelines billing id, the bucket row only the billing id;
- the same pipeline on 8x A100 80GB in us-central1, with a committed-use credit, a correction row
  (`cost_type` adjustment) and a late row exported two days after its usage, on the next invoice month;
- Gemini tuning runs billed per training token, one whose labels never reached the export (attributed
  by inference), one with a promotion credit, and one fired by the `weekly-sft` schedule that the
  ledger never recorded (its rows carry only the schedule's labels: attributed to the schedule);
- unattributed Vertex AI spend (an endpoint, Gemini predictions), a pipeline nobody recorded (an
  orphan), September's run labelled with the article's singular key spelling, and unrelated services.

`sample_runs()` is what the ledger would know about those runs (estimates, price table, job times).
"""

from __future__ import annotations

import csv
import io
import json
import zlib
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from ops.costs.model import VERTEX_AI_SERVICE_DESCRIPTION, VERTEX_AI_SERVICE_ID

BILLING_ACCOUNT = "01A2B3-C4D5E6-F7A8B9"
PROJECT = {"id": "tunectl-demo", "number": "123456789012", "name": "tunectl demo"}
NEWEST_EXPORT = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
PRICE_TABLE = "vertex-ai-2026-11-01"

VERTEX = (VERTEX_AI_SERVICE_ID, VERTEX_AI_SERVICE_DESCRIPTION)
STORAGE = ("95FF-2EF5-5EA1", "Cloud Storage")
COMPUTE = ("6F81-5844-456A", "Compute Engine")
BIGQUERY = ("24E6-581D-38E5", "BigQuery")

TPU_V3_POD_HOUR = Decimal("36.8")  # the article's price
A100_80GB_GPU_HOUR = Decimal("3.93")


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class ExportRows:
    """Builds export rows one usage line at a time (the sample below, and small test exports)."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(
        self,
        service: tuple[str, str],
        sku: tuple[str, str],
        start: str,
        cost: str,
        *,
        hours: float = 1.0,
        labels: dict[str, str] | None = None,
        credits: list[tuple[str, str, str]] | None = None,  # (type, name, amount)
        usage: tuple[float, str] = (1.0, "hour"),
        region: str = "us-central1",
        exported_after: timedelta = timedelta(hours=6),
        invoice_month: str | None = None,
        cost_type: str = "regular",
        null_credits: bool = False,
        currency: str = "USD",
        project_id: str = PROJECT["id"],
    ) -> None:
        started = _t(start)
        ended = started + timedelta(hours=hours)
        n = len(self.rows)
        self.rows.append(
            {
                "billing_account_id": BILLING_ACCOUNT,
                "service": {"id": service[0], "description": service[1]},
                "sku": {"id": sku[0], "description": sku[1]},
                "usage_start_time": started,
                "usage_end_time": ended,
                "project": {
                    **PROJECT,
                    "id": project_id,
                    "labels": [{"key": "env", "value": "demo"}],
                    "ancestry_numbers": "/123456789012/",
                    "ancestors": [
                        {"resource_name": "projects/123456789012", "display_name": PROJECT["name"]}
                    ],
                },
                "labels": [{"key": k, "value": v} for k, v in (labels or {}).items()],
                "system_labels": [],
                "location": {"location": region, "country": "", "region": region, "zone": None},
                "tags": [],
                "export_time": min(ended + exported_after, NEWEST_EXPORT),
                "cost": float(Decimal(cost)),
                "currency": currency,
                "currency_conversion_rate": 1.0,
                "usage": {
                    "amount": usage[0],
                    "unit": usage[1],
                    "amount_in_pricing_units": usage[0],
                    "pricing_unit": usage[1],
                },
                "credits": None
                if null_credits
                else [
                    {
                        "name": name,
                        "amount": float(Decimal(amount)),
                        "full_name": name,
                        "id": f"c{n}",
                        "type": t,
                    }
                    for t, name, amount in (credits or [])
                ],
                "invoice": {"month": invoice_month or started.strftime("%Y%m"), "publisher_type": None},
                "cost_type": cost_type,
                "adjustment_info": None
                if cost_type != "adjustment"
                else {
                    "id": f"adj-{n}",
                    "description": "Correction",
                    "mode": "COMPLETE_NEGATION",
                    "type": "USAGE_CORRECTION",
                },
                "cost_at_list": float(Decimal(cost)),
                "resource": {"name": f"projects/{PROJECT['number']}/resource-{n}", "global_name": None},
                "price": {
                    "effective_price": float(Decimal(cost)) / max(usage[0], 1e-9),
                    "tier_start_amount": 0.0,
                    "unit": usage[1],
                    "pricing_unit_quantity": 1.0,
                },
            }
        )


TPU_SKU = ("9A5E-7B1C-TPU3", "Vertex AI: Training on TPU v3 pod running in EMEA")
N1_CORE_SKU = ("1F2A-N1CORE-EMEA", "Custom Training: N1 Predefined Instance Core running in EMEA")
N1_RAM_SKU = ("1F2B-N1RAM-EMEA", "Custom Training: N1 Predefined Instance Ram running in EMEA")
PIPELINE_SKU = ("8D3C-PIPELINE-RUN", "Vertex AI Pipelines: Pipeline Run")
A100_SKU = ("5C1D-A100-80GB", "Custom Training: Nvidia Tesla A100 80GB GPU running in Americas")
A2_SKU = ("5C1E-A2-CORE", "Custom Training: A2 Instance Core running in Americas")
FLASH_TUNING_SKU = ("E1F0-GEM25-FLASH-TUNE", "Gemini 2.5 Flash Tuning training tokens")
LITE_TUNING_SKU = ("E1F1-GEM25-LITE-TUNE", "Gemini 2.5 Flash Lite Tuning training tokens")
ENDPOINT_SKU = ("2B7A-N1S4-PRED", "Online Prediction: N1 standard 4 node hours")
FLASH_PREDICT_SKU = ("E1F2-GEM25-FLASH-IN", "Gemini 2.5 Flash input tokens")
BUCKET_SKU = ("E5F0-STD-EU", "Standard Storage Europe Multi-region")
VM_SKU = ("D973-E2-CORE", "E2 Instance Core running in Americas")
BQ_SKU = ("3362-ANALYSIS", "Analysis")

TPU_RUN = {
    "tunectl-run-id": "rlhf-tpu-0a1b2c",
    "vertex-ai-pipelines-run-billing-id": "7123456789",
    "team": "search",
}
GPU_RUN = {
    "tunectl-run-id": "rlhf-gpu-3d4e5f",
    "vertex-ai-pipelines-run-billing-id": "7123456790",
    "team": "assist",
}


def sample_rows() -> list[dict[str, Any]]:
    r = ExportRows()
    eu = "europe-west4"
    # The article's run: 2.25 TPU v3 pod hours ($82.80) + CPU work ($70.12) + fee + bucket = $155.48.
    r.add(VERTEX, TPU_SKU, "2026-10-05T10:00:00", "36.8", labels=TPU_RUN, region=eu)
    r.add(VERTEX, TPU_SKU, "2026-10-05T11:00:00", "36.8", labels=TPU_RUN, region=eu)
    r.add(
        VERTEX,
        TPU_SKU,
        "2026-10-05T12:00:00",
        "9.2",
        hours=0.25,
        usage=(0.25, "hour"),
        labels=TPU_RUN,
        region=eu,
    )
    pipeline_only = {"vertex-ai-pipelines-run-billing-id": "7123456789", "team": "search"}
    r.add(VERTEX, N1_CORE_SKU, "2026-10-05T09:00:00", "41.07", hours=4, labels=pipeline_only, region=eu)
    r.add(VERTEX, N1_RAM_SKU, "2026-10-05T09:00:00", "29.05", hours=4, labels=pipeline_only, region=eu)
    r.add(VERTEX, PIPELINE_SKU, "2026-10-05T09:00:00", "0.03", labels=TPU_RUN, region=eu, usage=(1, "count"))
    r.add(STORAGE, BUCKET_SKU, "2026-10-05T00:00:00", "2.53", hours=24, labels=pipeline_only, region=eu)

    # The GPU pipeline: 8 GPUs x 3 h, A2 cores, a CUD credit, a correction and a late row.
    for hour in range(3):
        r.add(
            VERTEX,
            A100_SKU,
            f"2026-10-20T{14 + hour:02d}:00:00",
            str(A100_80GB_GPU_HOUR * 8),
            labels=GPU_RUN,
            usage=(8, "hour"),
            credits=[("COMMITTED_USAGE_DISCOUNT", "Committed use discount: A100", "-3.144")],
        )
    r.add(VERTEX, A2_SKU, "2026-10-20T14:00:00", "12.00", hours=3, labels=GPU_RUN, null_credits=True)
    r.add(
        VERTEX,
        A2_SKU,
        "2026-10-20T14:00:00",
        "-4.72",
        hours=3,
        labels=GPU_RUN,
        cost_type="adjustment",
        exported_after=timedelta(days=5),
    )
    late_gpu = {**GPU_RUN, "tunectl-run-id": "rlhf-gpu-9z8y7x", "tunectl-schedule": "nightly-rlhf"}
    r.add(
        VERTEX,
        A100_SKU,
        "2026-10-31T22:00:00",
        str(A100_80GB_GPU_HOUR * 8),
        labels=late_gpu | {"vertex-ai-pipelines-run-billing-id": "7123456791"},
        usage=(8, "hour"),
        exported_after=timedelta(days=2),
        invoice_month="202611",
    )

    # Gemini tuning, billed per training token (dataset tokens x epochs).
    r.add(
        VERTEX,
        FLASH_TUNING_SKU,
        "2026-10-12T08:00:00",
        "62.00",
        hours=2,
        labels={"tunectl-run-id": "gem-flash-sft-5a6b", "team": "support", "tunectl-engine": "gemini"},
        usage=(12_400_000, "count"),
        credits=[("PROMOTION", "Vertex AI tuning promotion", "-10.00")],
    )
    # Its labels never reached the export: attributed by project + Vertex AI + tuning SKU + job window.
    r.add(VERTEX, LITE_TUNING_SKU, "2026-10-14T16:00:00", "12.00", hours=1, usage=(8_000_000, "count"))

    # A firing of the weekly-sft schedule nobody synced: Cloud Scheduler's body gives its job the
    # schedule's labels and no run id, so the export knows the schedule, not the run.
    fired = {"tunectl-schedule": "weekly-sft", "tunectl-stack": "gpu", "managed-by": "tunectl"}
    r.add(VERTEX, FLASH_TUNING_SKU, "2026-10-26T03:00:00", "31.00", labels=fired, usage=(6_200_000, "count"))

    # Vertex AI spend nobody labelled, and a pipeline nobody recorded.
    r.add(VERTEX, ENDPOINT_SKU, "2026-10-01T00:00:00", "21.85", hours=240, usage=(100, "hour"))
    r.add(VERTEX, FLASH_PREDICT_SKU, "2026-10-18T00:00:00", "3.40", hours=24, usage=(11_333_333, "count"))
    orphan = {"vertex-ai-pipelines-run-billing-id": "7999999999"}
    r.add(VERTEX, TPU_SKU, "2026-10-25T03:00:00", "18.40", hours=0.5, labels=orphan, region=eu)

    # Unrelated services without run keys: out of scope.
    r.add(COMPUTE, VM_SKU, "2026-10-10T00:00:00", "45.00", hours=720, labels={"team": "web"})
    r.add(BIGQUERY, BQ_SKU, "2026-10-11T00:00:00", "1.20", hours=24, usage=(0.2, "tebibyte"))

    # September, for the trend: the article's key spelling, and last month's Gemini run.
    sep = {"vertex-ai-pipeline-run-billing-id": "7100000001", "team": "search"}
    r.add(VERTEX, TPU_SKU, "2026-09-15T10:00:00", "73.6", hours=2, usage=(2, "hour"), labels=sep, region=eu)
    r.add(VERTEX, N1_CORE_SKU, "2026-09-15T09:00:00", "38.22", hours=4, labels=sep, region=eu)
    r.add(
        VERTEX,
        FLASH_TUNING_SKU,
        "2026-09-22T08:00:00",
        "31.00",
        hours=1,
        labels={"tunectl-run-id": "gem-flash-sft-0c0d", "team": "support"},
        usage=(6_200_000, "count"),
    )
    r.add(VERTEX, ENDPOINT_SKU, "2026-09-01T00:00:00", "19.66", hours=240, usage=(90, "hour"))
    return r.rows


def sample_runs() -> list[dict[str, Any]]:
    """The ledger's side: `ops.ledger.RunRecord` fields, as `tunectl tune` records them."""

    def run(
        run_id: str, engine: str, base: str, estimate: str, start: str, end: str | None, **kw: Any
    ) -> dict:
        region = kw.pop("region", "us-central1")
        kind = "tuningJobs" if engine == "gemini" else "pipelineJobs"
        return {
            "run_id": run_id,
            "engine": engine,
            "base_model": base,
            "region": region,
            "labels": {"tunectl-run-id": run_id, **kw.pop("labels", {})},
            "billing_ids": kw.pop("billing_ids", []),
            "estimate_amount": estimate,
            "estimate_currency": "USD",
            "price_table_id": PRICE_TABLE,
            "job_name": f"projects/{PROJECT['id']}/locations/{region}/{kind}/{zlib.crc32(run_id.encode())}",
            "created_at": start,
            "started_at": start,
            "ended_at": end,
            "parameters": kw.pop("parameters", {}),
        }

    return [
        run(
            "rlhf-tpu-0a1b2c",
            "rlhf-pipeline",
            "t5-large",
            "148.50",
            "2026-10-05T09:00:00+00:00",
            "2026-10-05T12:15:00+00:00",
            billing_ids=["7123456789"],
            region="europe-west4",
            labels={"team": "search"},
        ),
        run(
            "rlhf-gpu-3d4e5f",
            "rlhf-pipeline",
            "t5-large",
            "104.00",
            "2026-10-20T14:00:00+00:00",
            "2026-10-20T17:00:00+00:00",
            billing_ids=["7123456790"],
            labels={"team": "assist"},
        ),
        run(
            "rlhf-gpu-9z8y7x",
            "rlhf-pipeline",
            "t5-large",
            "31.44",
            "2026-10-31T22:00:00+00:00",
            "2026-10-31T23:00:00+00:00",
            billing_ids=["7123456791"],
            labels={"team": "assist"},
            parameters={"schedule": "nightly-rlhf"},
        ),
        run(
            "gem-flash-sft-5a6b",
            "gemini",
            "gemini-2.5-flash",
            "62.00",
            "2026-10-12T08:05:00+00:00",
            "2026-10-12T09:40:00+00:00",
            labels={"team": "support"},
            parameters={"schedule": "weekly-sft"},
        ),
        run(
            "gem-lite-dpo-7c8d",
            "gemini",
            "gemini-2.5-flash-lite",
            "9.00",
            "2026-10-14T16:10:00+00:00",
            "2026-10-14T16:50:00+00:00",
            labels={"team": "support"},
        ),
        run(
            "gem-flash-sft-0c0d",
            "gemini",
            "gemini-2.5-flash",
            "31.00",
            "2026-09-22T08:02:00+00:00",
            "2026-09-22T08:55:00+00:00",
            labels={"team": "support"},
            parameters={"schedule": "weekly-sft"},
        ),
        # Launched, not billed yet.
        run(
            "gem-pro-sft-e9f0",
            "gemini",
            "gemini-2.5-pro",
            "125.00",
            "2026-10-31T23:30:00+00:00",
            None,
            labels={"team": "search"},
        ),
    ]


# ---- writers ---------------------------------------------------------------------------------------


_KV = "STRUCT(key VARCHAR, value VARCHAR)[]"
# The export's columns and their types as BigQuery's Parquet export writes them (DuckDB spelling); the
# standard table's first, then what the detailed table adds.
STANDARD_COLUMNS: dict[str, str] = {
    "billing_account_id": "VARCHAR",
    "service": "STRUCT(id VARCHAR, description VARCHAR)",
    "sku": "STRUCT(id VARCHAR, description VARCHAR)",
    "usage_start_time": "TIMESTAMPTZ",
    "usage_end_time": "TIMESTAMPTZ",
    "project": f"STRUCT(id VARCHAR, number VARCHAR, name VARCHAR, labels {_KV}, ancestry_numbers VARCHAR, "
    "ancestors STRUCT(resource_name VARCHAR, display_name VARCHAR)[])",
    "labels": _KV,
    "system_labels": _KV,
    "location": "STRUCT(location VARCHAR, country VARCHAR, region VARCHAR, zone VARCHAR)",
    "tags": _KV,
    "export_time": "TIMESTAMPTZ",
    "cost": "DOUBLE",
    "currency": "VARCHAR",
    "currency_conversion_rate": "DOUBLE",
    "usage": "STRUCT(amount DOUBLE, unit VARCHAR, amount_in_pricing_units DOUBLE, pricing_unit VARCHAR)",
    "credits": "STRUCT(name VARCHAR, amount DOUBLE, full_name VARCHAR, id VARCHAR, type VARCHAR)[]",
    "invoice": "STRUCT(month VARCHAR, publisher_type VARCHAR)",
    "cost_type": "VARCHAR",
    "adjustment_info": "STRUCT(id VARCHAR, description VARCHAR, mode VARCHAR, type VARCHAR)",
    "cost_at_list": "DOUBLE",
}
DETAILED_COLUMNS: dict[str, str] = {
    "resource": "STRUCT(name VARCHAR, global_name VARCHAR)",
    "price": "STRUCT(effective_price DOUBLE, tier_start_amount DOUBLE, unit VARCHAR, "
    "pricing_unit_quantity DOUBLE)",
}


def _columns(detailed: bool) -> dict[str, str]:
    return STANDARD_COLUMNS | (DETAILED_COLUMNS if detailed else {})


def _project(rows: list[dict[str, Any]], detailed: bool) -> list[dict[str, Any]]:
    keep = set(_columns(detailed))
    return [{k: v for k, v in row.items() if k in keep} for row in rows]


def _parquet(rows: list[dict[str, Any]], detailed: bool) -> bytes:
    """DuckDB writes the Parquet file: the rows go in as JSON lines read with the export's types."""
    import tempfile

    from ops.costs.engines import local_duckdb

    columns = _columns(detailed)
    with tempfile.TemporaryDirectory(prefix="tunectl-sample-") as folder:
        lines, parquet = Path(folder) / "rows.jsonl", Path(folder) / "export.parquet"
        lines.write_text(
            "".join(json.dumps(row, default=lambda v: v.isoformat()) + "\n" for row in rows), encoding="utf-8"
        )
        spec = "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in columns.items()) + "}"
        local_duckdb().execute(
            f"COPY (SELECT {', '.join(columns)} FROM read_json('{lines}', format = 'newline_delimited', "
            f"columns = {spec})) TO '{parquet}' (FORMAT parquet)"
        )
        return parquet.read_bytes()


def bq_json(value: Any) -> Any:
    """How BigQuery's NEWLINE_DELIMITED_JSON / TO_JSON_STRING write values."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S UTC")
    if isinstance(value, dict):
        return {k: bq_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [bq_json(v) for v in value]
    return value


def render_export(rows: list[dict[str, Any]], fmt: str, *, detailed: bool = False) -> bytes:
    """The rows as a Parquet, NDJSON or CSV file (CSV keeps nested columns as JSON text)."""
    rows = _project(rows, detailed)
    if fmt == "parquet":
        return _parquet(rows, detailed)
    if fmt == "ndjson":
        return "".join(json.dumps(bq_json(row), sort_keys=False) + "\n" for row in rows).encode()
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {
                    k: json.dumps(bq_json(v)) if isinstance(v, dict | list) else bq_json(v)
                    for k, v in row.items()
                }
            )
        return out.getvalue().encode()
    raise ValueError(f"unknown export format {fmt!r}")


def format_for(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith((".json", ".jsonl", ".ndjson")):
        return "ndjson"
    if name.endswith(".csv"):
        return "csv"
    raise ValueError(name)


def runs_file_for(export_path: Path) -> Path:
    return export_path.with_name(export_path.name.split(".")[0] + ".runs.json")


def runs_json() -> str:
    return json.dumps({"runs": sample_runs()}, indent=2, default=lambda v: asdict(v)) + "\n"
