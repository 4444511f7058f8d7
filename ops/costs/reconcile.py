"""The reconciliation of one window: runs, account charges, unattributed spend, totals, coverage,
estimates and variance, orphans and runs not billed yet. The engine aggregates, `assemble.py` decides
in SQL; this module holds the result. Decimal arithmetic only; currencies never mix."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any

from ops import __version__
from ops.costs.assemble import Assembly, freshness
from ops.costs.definition import Query, group_columns
from ops.costs.engines import Engine
from ops.costs.model import (
    DEFAULT_VARIANCE_THRESHOLD_PCT,
    PROVISIONAL_HOURS,
    KnownRun,
    Money,
    ReconcileSpec,
    money_str,
)
from ops.errors import ExitStatus, TunectlError
from ops.output import to_jsonable


@dataclass
class RunCost:
    run_key: str
    run_id: str
    attribution: str  # "label" | "inferred" | "schedule" (only its tunectl-schedule label: no run id)
    money: Money
    first_usage: datetime
    last_usage: datetime
    rows: int = 0
    skus: dict[str, Money] = field(default_factory=dict)
    matched_keys: set[str] = field(default_factory=set)
    known: KnownRun | None = None
    provisional: bool = False
    # Against gross (cost before credits): estimates are list-price forecasts, and promotions and
    # discounts belong to the account, not to the run. None without an estimate in this currency.
    variance_pct: float | None = None
    # The schedule whose firing made the run: its rows' tunectl-schedule label, else the ledger's.
    schedule: str | None = None


@dataclass(frozen=True)
class ScheduleCost:
    schedule: str
    money: Money
    runs: int  # runs with an id (labelled or inferred)
    unnamed_runs: bool  # some rows carry only the schedule's label: which firing made them is unknown

    def as_dict(self) -> dict[str, Any]:
        money = self.money.as_dict()
        return {"schedule": self.schedule, **money, "runs": self.runs, "unnamed_runs": self.unnamed_runs}


@dataclass
class Reconciliation:
    spec: ReconcileSpec
    source: str
    newest_export_time: datetime | None
    provisional_after: datetime | None
    rows_read: int
    skipped: list[dict[str, Any]]
    unattributed: dict[str, Money]
    # Tax, adjustments and rounding errors that belong to no run, by (cost type, currency).
    charges: dict[tuple[str, str], Money]
    in_runs: dict[str, Money]
    vertex_attributed: dict[str, Decimal]
    not_yet_billed: list[KnownRun]
    variance_threshold_pct: float
    assembly: Assembly
    known_by_id: dict[str, KnownRun]
    # Report-only breakdowns (empty for `cost reconcile`).
    by_dimension: dict[str, dict[tuple[str, str], Money]] = field(default_factory=dict)
    credits_by_type: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    monthly: dict[tuple[str, str], Money] = field(default_factory=dict)
    runs_selected: bool = False  # `keep_runs` was called: the runs' JSON comes from them, not SQL
    selection: str | None = None  # the `--filter` expression the listed runs match
    # Window-wide, whatever the filter: the facts lines say so (set by `keep_runs`).
    window_provisional: list[str] | None = None

    @cached_property
    def runs(self) -> list[RunCost]:
        """The run rows as objects, for text, CSV and HTML (JSON comes straight from SQL)."""
        return [self._run(row) for row in self.assembly.run_rows()]

    def keep_runs(
        self, runs: list[RunCost], not_yet_billed: list[KnownRun], selection: str | None = None
    ) -> None:
        """List only these runs (a `--filter`): every rendering reads `runs`, and orphans and runs not
        billed yet are filtered alike; totals, coverage, provisional runs and per-schedule sums stay
        those of the whole window, and the text says so."""
        self.window_provisional = self.provisional_run_keys()
        self.__dict__["runs"] = runs  # what the cached property holds
        self.not_yet_billed = not_yet_billed
        self.runs_selected = True
        self.selection = selection

    def provisional_run_keys(self) -> list[str]:
        """Runs with rows that may still change, over the whole window (even when filtered)."""
        if self.window_provisional is not None:
            return self.window_provisional
        return [r.run_key for r in self.runs if r.provisional]

    @property
    def orphans(self) -> list[RunCost]:
        return [r for r in self.runs if r.known is None and r.attribution == "label"]

    def _run(self, row: dict[str, Any]) -> RunCost:
        currency = row["currency"]
        return RunCost(
            run_key=row["run_key"],
            run_id=row["run_id"],
            attribution=row["attribution"],
            money=Money(currency, row["gross"], row["credits"]),
            first_usage=row["first_usage"],
            last_usage=row["last_usage"],
            rows=int(row["row_count"]),
            skus={s["sku"]: Money(currency, s["gross"], s["credits"]) for s in row["skus"]},
            matched_keys=set(row["matched_keys"]),
            known=self.known_by_id.get(row["known_run_id"]) if row["known_run_id"] else None,
            provisional=bool(row["provisional"]),
            variance_pct=row["variance_pct"],
            schedule=row["schedule"],
        )

    @cached_property
    def by_schedule(self) -> list[ScheduleCost]:
        """Scheduled spend per schedule and currency: its runs, and rows known only by its label."""
        return [
            ScheduleCost(
                schedule=row["schedule"],
                money=Money(row["currency"], row["gross"], row["credits"]),
                runs=int(row["runs"]),
                unnamed_runs=bool(row["has_unnamed_runs"]),
            )
            for row in self.assembly.by_schedule()
        ]

    def totals(self) -> dict[str, Money]:
        """Everything in scope per currency: runs, account charges and unattributed Vertex AI usage."""
        totals: dict[str, Money] = {}
        parts = [*self.in_runs.values(), *self.charges.values(), *self.unattributed.values()]
        for money in parts:
            totals.setdefault(money.currency, Money(money.currency)).add(money.gross, money.credits)
        return dict(sorted(totals.items()))

    def coverage_by_currency(self) -> dict[str, float]:
        """Attributed (labelled or inferred) Vertex AI net over all Vertex AI usage net, per currency;
        account charges (tax, adjustments, rounding) are not usage and count on neither side."""
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

    def flagged(self, run: RunCost) -> bool:
        return run.variance_pct is not None and abs(run.variance_pct) > self.variance_threshold_pct

    def _body(self, runs: Any, orphans: Any) -> dict[str, Any]:
        return {
            "window": self.spec.window.describe(),
            "run_keys": list(self.spec.run_keys),
            "runs": runs,
            "unattributed": [m.as_dict() for _, m in sorted(self.unattributed.items())],
            "charges": [
                {"cost_type": cost_type, **m.as_dict()} for (cost_type, _), m in sorted(self.charges.items())
            ],
            "totals": [m.as_dict() for m in self.totals().values()],
            "coverage_pct": self.coverage_pct(),
            "by_schedule": [s.as_dict() for s in self.by_schedule],
            "orphans": orphans,
            "not_yet_billed": [not_billed_json(k) for k in self.not_yet_billed],
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

    def as_json(self) -> dict[str, Any]:
        orphans = [
            {
                "run_key": o.run_key,
                **o.money.as_dict(),
                "first_usage": o.first_usage,
                "last_usage": o.last_usage,
            }
            for o in self.orphans
        ]
        return self._body([run_json(run, self.flagged(run)) for run in self.runs], orphans)

    def json_text(self) -> str:
        """The same document as `as_json`, with the runs and orphans written by DuckDB: a real export
        names thousands of runs with many SKUs each, too many to turn into Python objects."""
        import msgspec

        if self.runs_selected:
            return msgspec.json.encode(to_jsonable(self.as_json())).decode()

        body = self._body(_RUNS_PLACEHOLDER, _ORPHANS_PLACEHOLDER)
        text = msgspec.json.encode(to_jsonable(body)).decode()
        for placeholder, array in (
            (_RUNS_PLACEHOLDER, self.assembly.runs_json()),
            (_ORPHANS_PLACEHOLDER, self.assembly.orphans_json()),
        ):
            text = text.replace(msgspec.json.encode(placeholder).decode(), array, 1)
        return text


# Strings no export value can produce as the first match: they lead the document (runs come third).
_RUNS_PLACEHOLDER = "\u0000runs"
_ORPHANS_PLACEHOLDER = "\u0000orphans"


def run_json(run: RunCost, flagged: bool) -> dict[str, Any]:
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
        "variance_pct": run.variance_pct,
        "skus": [{"sku": sku, "net": money_str(m.net)} for sku, m in sorted(run.skus.items())],
        "variance_flagged": flagged,
        "price_table": known.price_table if known else None,
        "matched_keys": sorted(run.matched_keys),
        "rows": run.rows,
        "schedule": run.schedule,
    }


def not_billed_json(known: KnownRun) -> dict[str, Any]:
    return {
        "run_id": known.run_id,
        "run_key": known.run_keys[0],
        "estimate": money_str(known.estimate) if known.estimate is not None else None,
        "currency": known.estimate_currency,
        "started": known.started,
        "schedule": known.schedule,
    }


def _freshness(con: Any) -> tuple[datetime | None, int, list[dict[str, Any]]]:
    newest: datetime | None = None
    rows = 0
    skipped = []
    for row in freshness(con):
        rows += int(row["row_count"])
        if row["newest_export_time"] is not None and (newest is None or row["newest_export_time"] > newest):
            newest = row["newest_export_time"]
        if row["problem"] is not None:
            skipped.append(
                {"source": row["source_name"], "column": row["problem"], "rows": int(row["row_count"])}
            )
    return newest, rows, sorted(skipped, key=lambda s: (str(s["source"]), str(s["column"])))


def _refuse_when_nothing_was_read(engine: Engine, rows_read: int, skipped: list[dict[str, Any]]) -> None:
    """An export of which every row was skipped would reconcile to an empty report that looks like a
    month without spend: that is unreadable input, not a result. So is an export with no rows at all
    (a 0-byte NDJSON file, a header-only CSV, a 0-row Parquet file): an export covering any time
    holds rows, if only $0 ones."""
    if not rows_read:
        raise TunectlError(
            "billing-export-no-usable-rows",
            "the billing export holds no rows at all",
            where=engine.description,
            hint="check that the file is a complete export of the billing table (bq extract of the "
            "standard or detailed table), not an empty or truncated copy",
            status=ExitStatus.USAGE,
        )
    if sum(int(s["rows"]) for s in skipped) < rows_read:
        return
    reasons = "; ".join(f"{s['column']}: {s['rows']}" for s in skipped)
    raise TunectlError(
        "billing-export-no-usable-rows",
        f"every one of the {rows_read} row{'s' if rows_read != 1 else ''} read was skipped "
        f"(rows skipped per column: {reasons})",
        where=engine.description,
        hint="each row needs cost, currency and usage times that parse; check the file is an export of "
        "the billing table (bq extract of the standard or detailed table)",
        status=ExitStatus.USAGE,
    )


def reconcile_costs(
    engine: Engine,
    spec: ReconcileSpec,
    known_runs: list[KnownRun],
    *,
    variance_threshold_pct: float = DEFAULT_VARIANCE_THRESHOLD_PCT,
) -> Reconciliation:
    query = engine.queries(spec).aggregate_query()
    con = engine.aggregate(query, group_columns(spec))
    newest, rows_read, skipped = _freshness(con)
    _refuse_when_nothing_was_read(engine, rows_read, skipped)
    provisional_after = newest - timedelta(hours=PROVISIONAL_HOURS) if newest else None
    assembly = Assembly(
        con, spec, known_runs, provisional_after=provisional_after, threshold=variance_threshold_pct
    )
    unattributed: dict[str, Money] = {}
    charges: dict[tuple[str, str], Money] = {}
    in_runs: dict[str, Money] = {}
    vertex_attributed: dict[str, Decimal] = {}
    for row in assembly.summary():
        currency = row["currency"]
        money = Money(currency, row["gross"], row["credits"])
        if row["kind"] == "run":
            in_runs[currency] = money
            vertex_attributed[currency] = row["vertex_net"]
        elif row["kind"] == "charge":
            charges[(row["charge_type"], currency)] = money
        else:
            unattributed[currency] = money

    billed_ids = assembly.billed_known_ids()
    window = spec.window
    not_billed = [
        k
        for k in known_runs
        if k.run_id not in billed_ids
        and (k.started is None or window.start is None or k.started >= window.start)
        and (k.started is None or window.end is None or k.started < window.end)
    ]
    by_dimension = {
        key: {group: Money(group[1], gross, credits) for group, (gross, credits) in values.items()}
        for key, values in assembly.by_dimension().items()
    }
    monthly = (
        {group: Money(group[1], gross, credits) for group, (gross, credits) in assembly.monthly().items()}
        if spec.by_month
        else {}
    )
    return Reconciliation(
        spec=spec,
        source=engine.description,
        newest_export_time=newest,
        provisional_after=provisional_after,
        rows_read=rows_read,
        skipped=skipped,
        unattributed=dict(sorted(unattributed.items())),
        charges=dict(sorted(charges.items())),
        in_runs=in_runs,
        vertex_attributed=vertex_attributed,
        not_yet_billed=sorted(
            not_billed, key=lambda k: (k.started.isoformat() if k.started else "", k.run_id)
        ),
        variance_threshold_pct=variance_threshold_pct,
        assembly=assembly,
        known_by_id={k.run_id: k for k in known_runs},
        by_dimension=by_dimension,
        monthly=monthly,
    )


def credits_by_type(engine: Engine, spec: ReconcileSpec) -> dict[tuple[str, str], Decimal]:
    query: Query = engine.queries(spec).credits_by_type_query()
    return {
        (row["credit_type"] or "(no type)", row["currency"]): Decimal(row["amount"])
        for row in sorted(engine.fetch(query), key=lambda r: (r["currency"], r["credit_type"] or ""))
    }
