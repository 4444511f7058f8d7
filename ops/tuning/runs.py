"""Runs across engines and regions: find a job, keep the ledger in step with the API, wait, cancel."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ops.errors import ExitStatus, TunectlError
from ops.ledger import Ledger, RunRecord
from ops.tuning.jobs import JobBackend, JobView
from ops.tuning.labels import SCHEDULE_LABEL
from ops.tuning.spec import PIPELINE_REGIONS, Engine

if TYPE_CHECKING:
    from ops.settings import Settings


def backend_for(engine: str, settings: Settings, region: str) -> JobBackend:
    if engine == Engine.gemini.value:
        from ops.tuning.gemini import GeminiJobs

        return GeminiJobs(settings, region)
    if engine == Engine.rlhf_pipeline.value:
        from ops.tuning.pipeline import PipelineJobs

        return PipelineJobs(settings, region)
    raise TunectlError("engine-unknown", f"unknown engine {engine!r}", hint="use gemini or rlhf-pipeline")


def region_of(job_name: str) -> str | None:
    """`projects/p/locations/REGION/...` -> REGION."""
    parts = job_name.split("/")
    return parts[parts.index("locations") + 1] if "locations" in parts[:-1] else None


def engine_of(job_name: str) -> str:
    return Engine.rlhf_pipeline.value if "/pipelineJobs/" in job_name else Engine.gemini.value


def search_regions(settings: Settings, ledger: Ledger, extra: Iterable[str] = ()) -> dict[str, list[str]]:
    """Where to look for our jobs, per engine: the configured region, the pipeline engine's two regions,
    and every region the ledger has seen."""
    seen = {r.region for r in ledger.runs() if r.region}
    gemini = sorted({settings.region, *seen, *extra})
    pipelines = sorted({*PIPELINE_REGIONS.values(), *seen, *extra})
    return {Engine.gemini.value: gemini, Engine.rlhf_pipeline.value: pipelines}


def record_from_job(job: JobView, *, source: str = "sync") -> RunRecord:
    assert job.run_id is not None
    return RunRecord(
        run_id=job.run_id,
        engine=job.engine,
        base_model=job.base_model,
        region=region_of(job.name),
        display_name=job.display_name,
        labels=dict(job.labels),
        billing_ids=[job.billing_id] if job.billing_id else [],
        job_name=job.name,
        state=job.state,
        error=job.error,
        tuned_model=job.tuned_model,
        endpoint=job.endpoint,
        created_at=job.create_time,
        started_at=job.start_time,
        ended_at=job.end_time,
        source=source,
        schedule=job.labels.get(SCHEDULE_LABEL),  # scheduled runs (#19)
    )


@dataclass(frozen=True)
class SyncReport:
    found: int
    added: list[str]
    updated: list[str]
    regions: dict[str, list[str]]


def list_jobs(settings: Settings, regions: dict[str, list[str]]) -> list[JobView]:
    """Every job carrying our run-id label, or created by a schedule of the stack, deduplicated by
    resource name."""
    from ops.schedules.runs import with_scheduled_run_ids

    jobs: dict[str, JobView] = {}
    for engine, engine_regions in regions.items():
        for region in engine_regions:
            backend = backend_for(engine, settings, region)
            # Scheduled runs (#19): a firing's job has no run-id label; its run id is derived.
            scheduled = with_scheduled_run_ids(backend.with_label(SCHEDULE_LABEL))
            for job in [*backend.list_ours(), *scheduled]:
                if region_of(job.name) in (None, region):
                    jobs[job.name] = job
    return sorted(jobs.values(), key=lambda j: (j.create_time or "", j.name))


def sync(settings: Settings, ledger: Ledger, regions: dict[str, list[str]]) -> SyncReport:
    added: list[str] = []
    updated: list[str] = []
    jobs = list_jobs(settings, regions)
    for job in jobs:
        assert job.run_id
        known = ledger.get(job.run_id)
        ledger.merge(record_from_job(job))
        (updated if known else added).append(job.run_id)
    return SyncReport(found=len(jobs), added=added, updated=updated, regions=regions)


def resolve_run(settings: Settings, ledger: Ledger, ref: str) -> RunRecord:
    """A run by id, id prefix or job resource name: from the ledger, else found by label in the API."""
    record = ledger.find(ref)
    if record and record.job_name:
        return record
    if ref.startswith("projects/"):
        engine = engine_of(ref)
        job = backend_for(engine, settings, region_of(ref) or settings.region).get(ref)
        if job.run_id:
            return ledger.merge(record_from_job(job))
        return record_from_job(replace(job, run_id=ref.rsplit("/", 1)[-1]))
    if ledger.missing:
        from ops.output import note

        note(f"no ledger at {ledger.path}: looking for {ref!r} among the jobs labelled tunectl-run-id")
    for engine, engine_regions in search_regions(settings, ledger).items():
        for region in engine_regions:
            job_view = backend_for(engine, settings, region).find(ref)
            if job_view:
                return ledger.merge(record_from_job(job_view))
    in_ledger = f"no ledger at {ledger.path} yet" if ledger.missing else "no run in the ledger"
    raise TunectlError(
        "run-not-found",
        f"no run {ref!r}: {in_ledger}, and none among the jobs labelled tunectl-run-id",
        where=str(ledger.path),
        hint="`tunectl tune list` shows known runs; `tunectl tune sync` refreshes the ledger from the API",
        status=ExitStatus.USAGE,
    )


def job_for(settings: Settings, record: RunRecord) -> tuple[JobBackend, JobView]:
    assert record.job_name
    backend = backend_for(
        record.engine, settings, record.region or region_of(record.job_name) or settings.region
    )
    return backend, backend.get(record.job_name)


def poll(
    read: Callable[[], JobView],
    *,
    until: Callable[[JobView], bool],
    interval: float,
    on_update: Callable[[JobView], None] = lambda _job: None,
    timeout: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> JobView:
    """Read the job until `until(job)`; None from `timeout` means wait as long as it takes."""
    started = clock()
    while True:
        job = read()
        on_update(job)
        if until(job):
            return job
        if timeout is not None and clock() - started >= timeout:
            return job
        sleep(interval)
