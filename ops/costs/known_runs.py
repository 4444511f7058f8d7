"""What we know about runs before the bill arrives: the ledger (and optionally a runs file) as `KnownRun`s."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from ops.costs.model import KEY_ALIASES, InferenceCandidate, KnownRun
from ops.costs.runs_file import read_runs_file

if TYPE_CHECKING:
    from ops.ledger import RunRecord

RUN_ID_KEY = "tunectl-run-id"
BILLING_ID_KEY = "vertex-ai-pipelines-run-billing-id"
SCHEDULE_LABEL = "tunectl-schedule"
# A job still running (no end time) is matched for this long after it started.
OPEN_JOB_WINDOW = timedelta(hours=24)


def canonical_key(run_key: str) -> str:
    key, _, value = run_key.partition("=")
    return f"{KEY_ALIASES.get(key, key)}={value}"


def _time(value: str | None) -> datetime | None:
    """Ledger and runs-file times; one without an offset is UTC, like every time in the export."""
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _project(job_name: str | None, default: str | None) -> str | None:
    parts = (job_name or "").split("/")
    return parts[1] if len(parts) > 1 and parts[0] == "projects" else default


def from_record(record: RunRecord, run_keys: tuple[str, ...], default_project: str | None) -> KnownRun:
    keys = [f"{RUN_ID_KEY}={record.run_id}"]
    keys += [f"{k}={v}" for k, v in sorted(record.labels.items()) if k in run_keys and v]
    keys += [f"{BILLING_ID_KEY}={b}" for b in record.billing_ids]
    started = _time(record.started_at) or _time(record.created_at)
    return KnownRun(
        run_id=record.run_id,
        run_keys=tuple(dict.fromkeys(canonical_key(k) for k in keys)),
        engine=record.engine,
        base_model=record.base_model,
        schedule=record.parameters.get("schedule") or record.labels.get(SCHEDULE_LABEL),
        project=_project(record.job_name, default_project),
        started=started,
        ended=_time(record.ended_at),
        estimate=record.estimate_amount,
        estimate_currency=record.estimate_currency,
        price_table=record.price_table_id,
        labels=dict(record.labels),
    )


def load_known_runs(
    ledger_path: Path | None, runs_files: list[Path], run_keys: tuple[str, ...], default_project: str | None
) -> list[KnownRun]:
    """Runs from the ledger (if it exists; reading never creates it) and from runs files; a run id
    seen twice keeps the later source's record."""
    records: dict[str, RunRecord] = {}
    if ledger_path is not None and ledger_path.exists():
        from ops.ledger import Ledger

        with Ledger(ledger_path) as ledger:
            records.update((r.run_id, r) for r in ledger.runs())
    elif ledger_path is not None:
        from ops.output import note

        # Otherwise every billed run reads as an orphan with no word why.
        known = "runs are known only from --runs-file" if runs_files else "no run is known (no estimates)"
        note(f"no ledger at {ledger_path}: {known}; billed runs the ledger would name show as orphans")
    for path in runs_files:
        records.update((r.run_id, r) for r in read_runs_file(path))
    return [from_record(r, run_keys, default_project) for r in records.values()]


def inference_candidates(runs: list[KnownRun]) -> tuple[InferenceCandidate, ...]:
    """Gemini tuning jobs: their labels may not reach the export (undocumented), so they can be
    attributed by project and time window instead."""
    return tuple(
        InferenceCandidate(
            run_id=run.run_id,
            project=run.project,
            start=run.started,
            end=run.ended or run.started + OPEN_JOB_WINDOW,
        )
        for run in runs
        if run.engine == "gemini" and run.project and run.started
    )
