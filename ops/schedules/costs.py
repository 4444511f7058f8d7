"""What a schedule's runs cost, from the billing export: the reconciliation, read per schedule.

The jobs a schedule's firings created are added to what the ledger knows (a firing nobody synced is
known only to the API), so their rows are found by run key, billing id or, for Gemini jobs whose
labels did not reach the export, by project and time window; rows that carry only the schedule's
label are the schedule's without a run (`cost reconcile` marks them `attribution: schedule`).
Without a billing export to read, cost is unknown, and says how to give one; when the BigQuery table
cannot be read, cost is unknown with the API's reason, and the rest of the status is still shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ops.costs.model import Money
from ops.errors import ExitStatus, TunectlError

if TYPE_CHECKING:
    from ops.costs.options import CostInputs
    from ops.costs.reconcile import ScheduleCost
    from ops.settings import Settings
    from ops.tuning.jobs import JobView

NO_SOURCE = (
    "unknown: no billing export to read (pass --billing-export FILES or --bigquery-table TABLE, "
    "or set billing_table)"
)
# Without a window: the billing rows of the listed jobs, from the day the oldest was created (with no
# listed job, the last 30 days), until now.
DEFAULT_LOOKBACK = timedelta(days=30)


@dataclass(frozen=True)
class ScheduleCosts:
    """Billed money per run id and per schedule; `reason` says why cost is unknown (then all empty)."""

    reason: str | None = None
    source: str | None = None
    window: dict[str, Any] = field(default_factory=dict)
    per_run: dict[str, list[Money]] = field(default_factory=dict)
    provisional: frozenset[str] = frozenset()
    per_schedule: dict[str, list[ScheduleCost]] = field(default_factory=dict)

    @property
    def known(self) -> bool:
        return self.reason is None

    def run_cost(self, run_id: str) -> list[dict[str, Any]] | None:
        """Money per currency for one run: [] when not billed in the window, None when unknown."""
        if not self.known:
            return None
        return [
            {**m.as_dict(), "provisional": run_id in self.provisional} for m in self.per_run.get(run_id, [])
        ]

    def schedule_cost(self, name: str) -> dict[str, Any]:
        if not self.known:
            return {"known": False, "note": self.reason}
        entries = self.per_schedule.get(name, [])
        return {
            "known": True,
            "source": self.source,
            "window": self.window,
            "totals": [e.money.as_dict() for e in entries],
            # Rows carrying only the schedule's label: a firing no listed job or ledger run explains.
            "unnamed_runs": any(e.unnamed_runs for e in entries),
        }


def _default_window(inputs: CostInputs, jobs: list[JobView]) -> CostInputs:
    if inputs.month or inputs.start or inputs.end or inputs.invoice_month:
        return inputs
    created = [datetime.fromisoformat(j.create_time.replace("Z", "+00:00")) for j in jobs if j.create_time]
    start = min(created) if created else datetime.now(UTC) - DEFAULT_LOOKBACK
    return replace(inputs, start=start.astimezone(UTC).date().isoformat())


def schedule_costs(settings: Settings, inputs: CostInputs, jobs: list[JobView]) -> ScheduleCosts:
    from ops.costs.known_runs import from_record, inference_candidates
    from ops.costs.options import billing_source_configured, prepare
    from ops.costs.reconcile import reconcile_costs
    from ops.tuning.runs import record_from_job

    if not billing_source_configured(inputs, settings):
        return ScheduleCosts(reason=NO_SOURCE)
    engine, spec, known = prepare(_default_window(inputs, jobs), settings)
    ledger_ids = {k.run_id for k in known}
    known += [
        from_record(record_from_job(job), spec.run_keys, settings.project)
        for job in jobs
        if job.run_id and job.run_id not in ledger_ids
    ]
    spec = replace(spec, inferred=inference_candidates(known))
    try:
        result = reconcile_costs(engine, spec, known)
    except TunectlError as exc:
        if exc.code == "billing-export-no-usable-rows":
            # An empty export says nothing about what was spent: unknown, not "nothing billed".
            return ScheduleCosts(reason=f"unknown: {exc.message} ({exc.where})")
        if exc.status is ExitStatus.USAGE:
            raise  # bad flags or files: the user's to fix, as in `cost reconcile`
        # The API failed: the schedule's state is still worth showing; its cost is unknown, and why.
        return ScheduleCosts(reason=f"unknown: {exc.message}")
    per_run: dict[str, list[Money]] = {}
    for run in result.runs:
        per_run.setdefault(run.run_id, []).append(run.money)
    per_schedule: dict[str, list[ScheduleCost]] = {}
    for entry in result.by_schedule:
        per_schedule.setdefault(entry.schedule, []).append(entry)
    return ScheduleCosts(
        source=result.source,
        window=spec.window.describe(),
        per_run=per_run,
        provisional=frozenset(r.run_id for r in result.runs if r.provisional),
        per_schedule=per_schedule,
    )
