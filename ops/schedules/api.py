"""The stack's schedules as Cloud Scheduler reports them (`google-cloud-scheduler`, REST transport).

A schedule is a Scheduler job whose HTTP body is a Vertex AI create request labelled
`tunectl-schedule`; other Scheduler jobs in the project are not ours and are skipped. Its name is
that label's value (`weekly-sft`); the Scheduler job id (`tunectl-weekly-sft`) is accepted too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from ops.cloud_errors import call_with_retry
from ops.errors import ExitStatus, TunectlError
from ops.tuning.labels import ENGINE_LABEL, SCHEDULE_LABEL, STACK_LABEL

if TYPE_CHECKING:
    from google.cloud.scheduler_v1 import CloudSchedulerClient, Job

    from ops.settings import Settings


def rpc_code_name(code: int) -> str:
    """`14` -> `UNAVAILABLE`: the google.rpc.Code Scheduler records in `Job.status` for the last attempt,
    named by Google's own enum (googleapis-common-protos)."""
    from google.rpc import code_pb2

    try:
        return str(code_pb2.Code.Name(code))
    except ValueError:
        return str(code)


COLLECTION_ENGINES = {"tuningJobs": "gemini", "pipelineJobs": "rlhf-pipeline"}


@dataclass(frozen=True)
class AttemptStatus:
    """The answer to the last firing, as Scheduler recorded it (`Job.status`, a google.rpc.Status)."""

    code: int
    name: str
    message: str

    @property
    def ok(self) -> bool:
        return self.code == 0


@dataclass(frozen=True)
class Schedule:
    name: str  # the tunectl-schedule label
    job_name: str  # projects/<p>/locations/<r>/jobs/<id>
    location: str  # where the Scheduler job lives
    state: str  # ENABLED, PAUSED, DISABLED, UPDATE_FAILED
    cron: str
    time_zone: str
    next_firing: str | None  # UTC ISO-8601: Scheduler's scheduleTime, else from the cron (if resumed)
    last_attempt: str | None
    last_status: AttemptStatus | None
    retry_count: int
    engine: str
    target_uri: str
    target_region: str | None
    stack: str | None  # the tunectl-stack label: the Pulumi stack that manages the job
    body: dict[str, Any] = field(repr=False)

    @property
    def paused(self) -> bool:
        return self.state == "PAUSED"

    @property
    def stack_managed(self) -> bool:
        return self.stack is not None

    def summary(self) -> dict[str, Any]:
        """What `schedules list` shows (the body is left to `status --format json`)."""
        return {
            "name": self.name,
            "state": self.state,
            "cron": self.cron,
            "time_zone": self.time_zone,
            "next_firing": self.next_firing,
            "last_attempt": self.last_attempt,
            "last_status": self.last_status,
            "engine": self.engine,
            "target_region": self.target_region,
            "retry_count": self.retry_count,
            "stack": self.stack,
            "job_name": self.job_name,
        }


def _iso(value: Any) -> str | None:
    # proto-plus gives DatetimeWithNanoseconds; an unset timestamp is the epoch.
    if value is None or value.timestamp() == 0:
        return None
    return str(value.astimezone(UTC).isoformat())


def next_cron_time(cron: str, time_zone: str, after: datetime) -> str:
    """The next time `cron` fires after `after`, read in `time_zone` as Scheduler does, in UTC."""
    from croniter import croniter

    local = after.astimezone(ZoneInfo(time_zone))
    return str(croniter(cron, local).get_next(datetime).astimezone(UTC).isoformat())


def decoded_body(raw: bytes) -> dict[str, Any] | None:
    """The JSON object a job POSTs, or None when it is not one (not a tunectl schedule)."""
    try:
        body = json.loads(raw.decode("utf-8")) if raw else None
    except (UnicodeDecodeError, ValueError):
        return None
    return body if isinstance(body, dict) else None


def schedule_from_job(job: Job, now: datetime) -> Schedule | None:
    body = decoded_body(job.http_target.body) if job.http_target else None
    labels = body.get("labels") if body else None
    if not isinstance(labels, dict) or not labels.get(SCHEDULE_LABEL):
        return None
    assert body is not None
    parts = urlsplit(job.http_target.uri)
    path = parts.path.split("/")
    collection = path[-1] if path else ""
    region = path[path.index("locations") + 1] if "locations" in path[:-1] else None
    status = None
    if _iso(job.last_attempt_time):
        code = int(job.status.code) if job.status else 0
        status = AttemptStatus(code, rpc_code_name(code), job.status.message if job.status else "")
    next_firing = _iso(job.schedule_time) or (
        next_cron_time(job.schedule, job.time_zone or "Etc/UTC", now) if job.schedule else None
    )
    return Schedule(
        name=str(labels[SCHEDULE_LABEL]),
        job_name=job.name,
        location=job.name.split("/")[3],
        state=job.state.name,
        cron=job.schedule,
        time_zone=job.time_zone or "Etc/UTC",
        next_firing=next_firing,
        last_attempt=_iso(job.last_attempt_time),
        last_status=status,
        retry_count=int(job.retry_config.retry_count) if job.retry_config else 0,
        engine=str(labels.get(ENGINE_LABEL) or COLLECTION_ENGINES.get(collection, collection)),
        target_uri=job.http_target.uri,
        target_region=region,
        stack=labels.get(STACK_LABEL) or None,
        body=body,
    )


def schedule_locations(settings: Settings, extra: Iterable[str] = ()) -> list[str]:
    """Where to look: the given regions, else the stack's region (its outputs, when `stack_outputs` is
    set; the stack puts its Scheduler jobs there) and the region setting."""
    if chosen := sorted(set(extra)):
        return chosen
    from ops.tuning.stack import read_stack_outputs

    regions = {settings.region}
    if settings.stack_outputs is not None:
        try:
            stack_region = read_stack_outputs(settings.stack_outputs).region
        except TunectlError:
            stack_region = None  # commands that need the outputs report an unreadable file
        regions |= {stack_region} if stack_region else set()
    return sorted(regions)


class Schedules:
    """The tunectl schedules of one project, across the given Scheduler locations."""

    def __init__(self, settings: Settings, locations: Iterable[str], *, now: datetime | None = None) -> None:
        from ops.clients import scheduler_client

        self.project = settings.require_project()
        self.locations = list(locations)
        self.client: CloudSchedulerClient = scheduler_client(settings)
        self.now = now or datetime.now(UTC)

    def list(self) -> list[Schedule]:
        found: list[Schedule] = []
        for location in self.locations:
            parent = f"projects/{self.project}/locations/{location}"

            def fetch(parent: str = parent) -> list[Job]:
                return list(self.client.list_jobs(parent=parent))

            jobs = call_with_retry(fetch, what=f"listing Cloud Scheduler jobs in {location}")
            found.extend(s for job in jobs if (s := schedule_from_job(job, self.now)) is not None)
        return sorted(found, key=lambda s: (s.name, s.job_name))

    def find(self, name: str) -> Schedule:
        """A schedule by its name, its Scheduler job id or its job resource name."""
        schedules = self.list()
        matches = [s for s in schedules if name in {s.name, s.job_name, s.job_name.rsplit("/", 1)[-1]}]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise TunectlError(
                "schedule-ambiguous",
                f"{len(matches)} schedules are named {name!r}: {', '.join(s.job_name for s in matches)}",
                hint="name one by its Scheduler job resource name",
            )
        known = ", ".join(s.name for s in schedules) or "none"
        raise TunectlError(
            "schedule-not-found",
            f"no tunectl schedule {name!r} in {', '.join(self.locations)} (known: {known})",
            where=f"project {self.project}",
            hint="`tunectl schedules list` shows them; pass --region for a stack in another region",
            status=ExitStatus.USAGE,
        )

    def pause(self, schedule: Schedule) -> Schedule:
        return self._move(schedule, "pause", "PAUSED")

    def resume(self, schedule: Schedule) -> Schedule:
        return self._move(schedule, "resume", "ENABLED")

    def _move(self, schedule: Schedule, verb: str, target: str) -> Schedule:
        """Pause or resume. The API refuses to pause a job that is not ENABLED (and to resume one that
        is not PAUSED), so a retried call whose first attempt got through is refused: the state the
        job ends in is what counts."""
        method = getattr(self.client, f"{verb}_job")
        try:
            job = call_with_retry(lambda: method(name=schedule.job_name), what=f"{verb} {schedule.job_name}")
        except TunectlError as exc:
            if exc.code != "cloud-bad-request":
                raise
            job = call_with_retry(
                lambda: self.client.get_job(name=schedule.job_name), what=f"reading {schedule.job_name}"
            )
            if job.state.name != target:
                raise
        return schedule_from_job(job, self.now) or schedule
