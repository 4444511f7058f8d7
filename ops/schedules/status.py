"""What a schedule did: the jobs its firings created (by the `tunectl-schedule` label), newest first.

Cloud Scheduler delivers at least once: even without retries, a lost acknowledgement can deliver one
firing twice (https://docs.cloud.google.com/scheduler/docs/configuring/deduplicate-job-requests, read
2026-12-02), and Vertex AI does not deduplicate creates. So jobs that belong to the same cron firing
(the latest cron time at or before their create time) are flagged as possible duplicates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from ops.schedules.api import Schedule
from ops.schedules.runs import with_scheduled_run_ids
from ops.tuning.labels import SCHEDULE_LABEL, STACK_LABEL
from ops.tuning.runs import backend_for

if TYPE_CHECKING:
    from ops.schedules.costs import ScheduleCosts
    from ops.settings import Settings
    from ops.tuning.jobs import JobView


@dataclass(frozen=True)
class ScheduledJob:
    run_id: str
    job_name: str
    state: str
    create_time: str | None
    end_time: str | None
    error: str | None
    firing: str | None  # the cron firing it belongs to (UTC ISO-8601)
    possible_duplicate: bool
    # Billed money per currency from the billing export ([] not billed yet), None when unknown.
    cost: list[dict[str, Any]] | None = None


def firing_of(schedule: Schedule, create_time: str | None) -> str | None:
    """The latest cron time at or before `create_time`, read in the schedule's time zone."""
    if not create_time or not schedule.cron:
        return None
    from croniter import croniter

    created = datetime.fromisoformat(create_time.replace("Z", "+00:00"))
    local = (created + timedelta(seconds=1)).astimezone(ZoneInfo(schedule.time_zone))
    return str(croniter(schedule.cron, local).get_prev(datetime).astimezone(UTC).isoformat())


def created_jobs(settings: Settings, schedule: Schedule) -> list[JobView]:
    """The jobs this schedule created, newest first (jobs of a same-named schedule of another stack
    are left out when both carry the stack label)."""
    if schedule.target_region is None:
        return []
    backend = backend_for(schedule.engine, settings, schedule.target_region)
    jobs = [
        job
        for job in backend.with_label(SCHEDULE_LABEL, schedule.name)
        if not (schedule.stack and job.labels.get(STACK_LABEL, schedule.stack) != schedule.stack)
    ]
    return sorted(with_scheduled_run_ids(jobs), key=lambda j: (j.create_time or "", j.name), reverse=True)


def scheduled_jobs(
    schedule: Schedule, jobs: list[JobView], costs: ScheduleCosts | None = None
) -> list[ScheduledJob]:
    firings = [firing_of(schedule, job.create_time) for job in jobs]
    return [
        ScheduledJob(
            run_id=job.run_id or job.name,
            job_name=job.name,
            state=job.state,
            create_time=job.create_time,
            end_time=job.end_time,
            error=job.error,
            firing=firing,
            possible_duplicate=firing is not None and firings.count(firing) > 1,
            cost=costs.run_cost(job.run_id or job.name) if costs else None,
        )
        for job, firing in zip(jobs, firings, strict=True)
    ]


def status_of(schedule: Schedule, jobs: list[JobView], costs: ScheduleCosts) -> dict[str, Any]:
    """`schedules status NAME`: the schedule, its last attempt, the jobs it created and their cost."""
    return {
        **schedule.summary(),
        "body": schedule.body,
        "jobs": scheduled_jobs(schedule, jobs, costs),
        "cost": costs.schedule_cost(schedule.name),
    }
