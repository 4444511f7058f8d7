"""Run ids for the jobs Cloud Scheduler firings created.

A firing POSTs the stack's body as is, so its job carries `tunectl-schedule` but no `tunectl-run-id`.
Its run id is `<schedule>-<firing time>`, the time being the job's create time in UTC to the second
(`weekly-sft-20260105t030002z`): what the ledger, `tune list` and the cost report call it. Two jobs
of one schedule created in the same second (a duplicate delivery) keep apart by the end of their job
id, so a duplicate is never folded into its twin.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime

from ops.tuning.jobs import JobView
from ops.tuning.labels import SCHEDULE_LABEL


def firing_stamp(create_time: str | None) -> str:
    if not create_time:
        return "unknown-time"
    moment = datetime.fromisoformat(create_time.replace("Z", "+00:00"))
    return moment.astimezone(UTC).strftime("%Y%m%dt%H%M%Sz")


def scheduled_run_id(schedule: str, create_time: str | None) -> str:
    return f"{schedule}-{firing_stamp(create_time)}"


def with_scheduled_run_ids(jobs: Iterable[JobView]) -> list[JobView]:
    """The jobs created by a schedule, each with its run id (jobs with a run-id label keep theirs)."""
    labelled = sorted(
        (j for j in jobs if j.labels.get(SCHEDULE_LABEL)), key=lambda j: (j.create_time or "", j.name)
    )
    taken: set[str] = set()
    result = []
    for job in labelled:
        if job.run_id:
            result.append(job)
            continue
        run_id = scheduled_run_id(job.labels[SCHEDULE_LABEL], job.create_time)
        if run_id in taken:
            run_id = f"{run_id}-{job.name.rsplit('/', 1)[-1][-8:]}"
        taken.add(run_id)
        result.append(replace(job, run_id=run_id))
    return result
