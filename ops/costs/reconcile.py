"""Assemble the reconciliation from the engine's aggregates: runs, unattributed spend, totals, coverage,
estimates and variance, orphans and runs not billed yet. Decimal arithmetic only; currencies never mix."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ops import __version__
from ops.costs.definition import Query
from ops.costs.engines import Engine
from ops.costs.known_runs import SCHEDULE_LABEL, canonical_key
from ops.costs.model import (
    DEFAULT_VARIANCE_THRESHOLD_PCT,
    PROVISIONAL_HOURS,
    KnownRun,
    Money,
    ReconcileSpec,
    money_str,
)


@dataclass
class RunCost:
    run_key: str
    run_id: str
    attribution: str  # "label" | "inferred"
    money: Money
    first_usage: datetime
    last_usage: datetime
    rows: int = 0
    vertex_net: Decimal = Decimal(0)
    skus: dict[str, Money] = field(default_factory=dict)
    matched_keys: set[str] = field(default_factory=set)
    known: KnownRun | None = None
    provisional: bool = False

    @property
    def variance_pct(self) -> float | None:
        """Estimates are list-price forecasts, so they are compared with gross (cost before credits:
        promotions and discounts belong to the account, not to the run). Corrections are in gross."""
        known = self.known
        if not known or known.estimate is None or known.estimate_currency != self.money.currency:
            return None
        if known.estimate == 0:
            return None
        return round(float((self.money.gross - known.estimate) / known.estimate * 100), 2)


@dataclass
class Reconciliation:
    spec: ReconcileSpec
    source: str
    newest_export_time: datetime | None
    provisional_after: datetime | None
    rows_read: int
    skipped: list[dict[str, Any]]
    runs: list[RunCost]
    unattributed: dict[str, Money]
    vertex_attributed: dict[str, Decimal]
    orphans: list[RunCost]
    not_yet_billed: list[KnownRun]
    variance_threshold_pct: float
    # Report-only breakdowns (empty for `cost reconcile`).
    by_dimension: dict[str, dict[tuple[str, str], Money]] = field(default_factory=dict)
    credits_by_type: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    monthly: dict[tuple[str, str], Money] = field(default_factory=dict)

    def totals(self) -> dict[str, Money]:
        totals: dict[str, Money] = {}
        for run in self.runs:
            totals.setdefault(run.money.currency, Money(run.money.currency)).add(
                run.money.gross, run.money.credits
            )
        for currency, money in self.unattributed.items():
            totals.setdefault(currency, Money(currency)).add(money.gross, money.credits)
        return dict(sorted(totals.items()))

    def coverage_by_currency(self) -> dict[str, float]:
        """Attributed (labelled or inferred) Vertex AI net over all Vertex AI net, per currency."""
        coverage = {}
        for currency in sorted(set(self.vertex_attributed) | set(self.unattributed)):
            attributed = self.vertex_attributed.get(currency, Decimal(0))
            unattributed = self.unattributed.get(currency, Money(currency)).net
            total = attributed + unattributed
            coverage[currency] = 100.0 if total == 0 else round(float(attributed / total * 100), 2)
        return coverage

    def coverage_pct(self) -> float:
        """One figure for the export; with several currencies, the lowest (each is in the list)."""
        values = self.coverage_by_currency().values()
        return min(values) if values else 100.0

    def skipped_rows(self) -> int:
        return sum(int(s["rows"]) for s in self.skipped)

    def as_json(self) -> dict[str, Any]:
        return {
            "window": self.spec.window.describe(),
            "run_keys": list(self.spec.run_keys),
            "runs": [_run_json(run, self.variance_threshold_pct) for run in self.runs],
            "unattributed": [m.as_dict() for _, m in sorted(self.unattributed.items())],
            "totals": [m.as_dict() for m in self.totals().values()],
            "coverage_pct": self.coverage_pct(),
            "orphans": [
                {
                    "run_key": o.run_key,
                    **o.money.as_dict(),
                    "first_usage": o.first_usage,
                    "last_usage": o.last_usage,
                }
                for o in self.orphans
            ],
            "not_yet_billed": [
                {
                    "run_id": k.run_id,
                    "run_key": k.run_keys[0],
                    "estimate": money_str(k.estimate) if k.estimate is not None else None,
                    "currency": k.estimate_currency,
                    "started": k.started,
                }
                for k in self.not_yet_billed
            ],
            # Beyond the shape: what a reader needs to trust the numbers.
            "coverage_by_currency": [
                {"currency": c, "coverage_pct": p} for c, p in self.coverage_by_currency().items()
            ],
            "newest_export_time": self.newest_export_time,
            "provisional_after": self.provisional_after,
            "variance_threshold_pct": self.variance_threshold_pct,
            "rows_read": self.rows_read,
            "skipped_rows": self.skipped_rows(),
            "skipped": self.skipped,
            "source": self.source,
            "tool_version": __version__,
        }


def _run_json(run: RunCost, threshold: float) -> dict[str, Any]:
    variance = run.variance_pct
    known = run.known
    return {
        "run_key": run.run_key,
        "run_id": run.run_id,
        **run.money.as_dict(),
        "first_usage": run.first_usage,
        "last_usage": run.last_usage,
        "provisional": run.provisional,
        "attribution": run.attribution,
        "estimate": money_str(known.estimate) if known and known.estimate is not None else None,
        "variance_pct": variance,
        "skus": [{"sku": sku, "net": money_str(m.net)} for sku, m in sorted(run.skus.items())],
        "variance_flagged": variance is not None and abs(variance) > threshold,
        "price_table": known.price_table if known else None,
        "matched_keys": sorted(run.matched_keys),
        "rows": run.rows,
    }


def _freshness(engine: Engine, spec: ReconcileSpec) -> tuple[datetime | None, int, list[dict[str, Any]]]:
    query = engine.queries(spec).freshness_query(engine.source_name())
    newest: datetime | None = None
    rows = 0
    skipped = []
    for row in engine.fetch(query):
        rows += int(row["row_count"])
        if row["newest_export_time"] is not None and (newest is None or row["newest_export_time"] > newest):
            newest = row["newest_export_time"]
        if row["problem"] is not None:
            skipped.append(
                {"source": row["source_name"], "column": row["problem"], "rows": int(row["row_count"])}
            )
    return newest, rows, sorted(skipped, key=lambda s: (str(s["source"]), str(s["column"])))


def _match(known_runs: list[KnownRun]) -> dict[str, KnownRun]:
    index: dict[str, KnownRun] = {}
    for run in known_runs:
        for key in run.run_keys:
            index.setdefault(canonical_key(key), run)
    return index


def reconcile_costs(
    engine: Engine,
    spec: ReconcileSpec,
    known_runs: list[KnownRun],
    *,
    variance_threshold_pct: float = DEFAULT_VARIANCE_THRESHOLD_PCT,
) -> Reconciliation:
    newest, rows_read, skipped = _freshness(engine, spec)
    provisional_after = newest - timedelta(hours=PROVISIONAL_HOURS) if newest else None
    known_by_key = _match(known_runs)
    known_by_id = {k.run_id: k for k in known_runs}

    runs: dict[tuple[str, str, str], RunCost] = {}  # (identity, attribution, currency)
    unattributed: dict[str, Money] = {}
    vertex_attributed: dict[str, Decimal] = defaultdict(Decimal)
    by_dimension: dict[str, dict[tuple[str, str], Money]] = {k: {} for k in spec.dimension_keys}
    monthly: dict[tuple[str, str], Money] = {}

    for group in engine.fetch(engine.queries(spec).aggregate_query()):
        currency = group["currency"]
        gross, credits = Decimal(group["gross"]), Decimal(group["credits"])
        sku = group["sku_description"] or group["sku_id"] or "(no SKU)"
        if spec.by_month:
            month = f"{int(group['usage_year']):04d}-{int(group['usage_month']):02d}"
            monthly.setdefault((month, currency), Money(currency)).add(gross, credits)
        known: KnownRun | None = None
        if group["key_index"] is not None:
            run_key = f"{spec.run_keys[int(group['key_index'])]}={group['run_value']}"
            known = known_by_key.get(canonical_key(run_key))
            identity, attribution = (known.run_id if known else canonical_key(run_key)), "label"
        elif group["inferred_run"] is not None:
            known = known_by_id.get(group["inferred_run"])
            run_key = f"tunectl-run-id={group['inferred_run']}"
            identity, attribution = group["inferred_run"], "inferred"
        for i, key in enumerate(spec.dimension_keys):
            # The row's own label first; rows that lack it (labels that never reached the export)
            # take what the ledger knows about their run.
            value = group[f"dim_{i}"] or _known_dimension(known, key) or "(none)"
            by_dimension[key].setdefault((value, currency), Money(currency)).add(gross, credits)
        if group["key_index"] is None and group["inferred_run"] is None:
            unattributed.setdefault(currency, Money(currency)).add(gross, credits)
            continue
        if group["is_vertex"]:
            vertex_attributed[currency] += gross + credits
        run = runs.get((identity, attribution, currency))
        if run is None:
            run = runs[(identity, attribution, currency)] = RunCost(
                run_key=run_key,
                run_id=known.run_id if known else str(group["run_value"]),
                attribution=attribution,
                money=Money(currency),
                first_usage=group["first_usage"],
                last_usage=group["last_usage"],
                known=known,
            )
        # Several keys of one run (our label on some rows, the Pipelines billing id on others): the
        # entry is named by the key that comes first in precedence.
        if _precedence(run_key, spec) < _precedence(run.run_key, spec):
            run.run_key = run_key
        run.matched_keys.add(run_key)
        run.money.add(gross, credits)
        run.skus.setdefault(sku, Money(currency)).add(gross, credits)
        run.first_usage = min(run.first_usage, group["first_usage"])
        run.last_usage = max(run.last_usage, group["last_usage"])
        run.rows += int(group["row_count"])

    # Inference is only for runs whose labels never reach the export: a run that has label rows
    # keeps those, and unlabelled rows in its window stay unattributed (they may be anyone's job).
    labelled = {identity for identity, attribution, _ in runs if attribution == "label"}
    for entry in [k for k in runs if k[1] == "inferred" and k[0] in labelled]:
        stray = runs.pop(entry).money
        unattributed.setdefault(stray.currency, Money(stray.currency)).add(stray.gross, stray.credits)
        vertex_attributed[stray.currency] -= stray.net  # inferred rows are Vertex AI rows by definition

    for run in runs.values():
        run.provisional = provisional_after is not None and run.last_usage > provisional_after
    ordered = sorted(runs.values(), key=lambda r: (r.first_usage, r.run_key, r.money.currency))
    billed_ids = {r.known.run_id for r in ordered if r.known}
    window = spec.window
    not_billed = [
        k
        for k in known_runs
        if k.run_id not in billed_ids
        and (k.started is None or window.start is None or k.started >= window.start)
        and (k.started is None or window.end is None or k.started < window.end)
    ]
    result = Reconciliation(
        spec=spec,
        source=engine.description,
        newest_export_time=newest,
        provisional_after=provisional_after,
        rows_read=rows_read,
        skipped=skipped,
        runs=ordered,
        unattributed=dict(sorted(unattributed.items())),
        vertex_attributed=dict(vertex_attributed),
        orphans=[r for r in ordered if r.known is None and r.attribution == "label"],
        not_yet_billed=sorted(
            not_billed, key=lambda k: (k.started.isoformat() if k.started else "", k.run_id)
        ),
        variance_threshold_pct=variance_threshold_pct,
        by_dimension=by_dimension,
        monthly=dict(sorted(monthly.items())),
    )
    return result


def credits_by_type(engine: Engine, spec: ReconcileSpec) -> dict[tuple[str, str], Decimal]:
    query: Query = engine.queries(spec).credits_by_type_query()
    return {
        (row["credit_type"] or "(no type)", row["currency"]): Decimal(row["amount"])
        for row in sorted(engine.fetch(query), key=lambda r: (r["currency"], r["credit_type"] or ""))
    }


def _known_dimension(known: KnownRun | None, key: str) -> str | None:
    if known is None:
        return None
    if key == SCHEDULE_LABEL:
        return known.schedule
    return known.labels.get(key)


def _precedence(run_key: str, spec: ReconcileSpec) -> int:
    key = run_key.partition("=")[0]
    return spec.run_keys.index(key) if key in spec.run_keys else len(spec.run_keys)
