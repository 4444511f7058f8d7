"""Cloud Scheduler v1 (`cloudscheduler.googleapis.com`): jobs get, list, pause, resume and run,
checked against the `cloudscheduler.v1` discovery document.

A firing does what Scheduler does with an HTTP target: it sends the job's decoded body, headers and a
bearer token to the target URI. A `*aiplatform.googleapis.com` URI goes to the Vertex AI test server
(same path), so firing a stack's schedule creates a real tuning or pipeline job there. A failed
attempt is retried `retryConfig.retryCount` times at once (the backoff is not simulated), as
Scheduler would; the job's `status` and `lastAttemptTime` record the last attempt. Firings happen on
`jobs.run` and on `fire(name)` (what the cron would do), never on clock ticks.
"""

from __future__ import annotations

import base64
import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import requests
from croniter import croniter

from tests.cloud.contract import DiscoveryContract
from tests.cloud.harness import PROJECT
from tests.cloud.listing import paginate
from tests.cloud.server import ApiError, ApiServer, Call, Reply, handles

_M = "cloudscheduler.projects.locations.jobs"
_VERTEX_HOST = re.compile(r"^([a-z0-9-]+-)?aiplatform\.googleapis\.com$")
# google.rpc.Code by HTTP status (the "HTTP Mapping" notes of google/rpc/code.proto), as Scheduler
# reports a target's answer in `Job.status`.
_RPC_BY_HTTP = {
    400: 3,
    401: 16,
    403: 7,
    404: 5,
    409: 6,
    412: 9,
    429: 8,
    499: 1,
    500: 13,
    501: 12,
    503: 14,
    504: 4,
}
RPC_OK, RPC_DEADLINE_EXCEEDED, RPC_UNAVAILABLE = 0, 4, 14
# RetryConfig as the API returns it when the job set none (field descriptions in the discovery doc).
_RETRY_DEFAULTS = {
    "retryCount": 0,
    "maxRetryDuration": "0s",
    "minBackoffDuration": "5s",
    "maxBackoffDuration": "3600s",
    "maxDoublings": 5,
}


@dataclass(frozen=True)
class Attempt:
    """One HTTP call a firing made: what the target answered, as Scheduler records it."""

    job: str
    uri: str
    code: int  # google.rpc.Code; 0 = the target answered 2xx
    message: str


class SchedulerServer(ApiServer):
    settings_field = "scheduler_endpoint"
    default_port = 8798

    def make_contract(self) -> DiscoveryContract:
        return DiscoveryContract("cloudscheduler", "v1")

    def reset(self) -> None:
        self.jobs: dict[str, dict[str, Any]] = {}
        self.attempts: list[Attempt] = []
        self.page_size = 100
        # Seconds a firing waits for the target: the job's attemptDeadline, capped so tests stay fast.
        self.attempt_timeout = 5.0

    # -- test controls --------------------------------------------------------------------------

    def add_job(
        self,
        job_id: str,
        *,
        schedule: str,
        http_target: Mapping[str, Any],
        time_zone: str = "Etc/UTC",
        retry_config: Mapping[str, Any] | None = None,
        attempt_deadline: str = "180s",
        paused: bool = False,
        description: str = "",
        location: str = "us-central1",
        project: str = PROJECT,
    ) -> dict[str, Any]:
        """A job as `jobs.create` (or Pulumi) would leave it; `http_target` in the REST shape."""
        name = f"projects/{project}/locations/{location}/jobs/{job_id}"
        job: dict[str, Any] = {
            "name": name,
            "schedule": schedule,
            "timeZone": time_zone,
            "httpTarget": {"httpMethod": "POST", **copy.deepcopy(dict(http_target))},
            "retryConfig": {**_RETRY_DEFAULTS, **(retry_config or {})},
            "attemptDeadline": attempt_deadline,
            "userUpdateTime": self.cloud.clock.timestamp(),
            "state": "PAUSED" if paused else "ENABLED",
        }
        if description:
            job["description"] = description
        self.jobs[name] = job
        return self._view(job)

    def add_from_stack(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """A `gcp:cloudscheduler/job:Job` as the stack plans it (`infra.offline.plan_stack` inputs)."""
        target = {k: v for k, v in inputs["httpTarget"].items() if v is not None}
        return self.add_job(
            inputs["name"],
            schedule=inputs["schedule"],
            http_target=target,
            time_zone=inputs.get("timeZone") or "Etc/UTC",
            retry_config={
                k: int(v) if k in {"retryCount", "maxDoublings"} else v
                for k, v in (inputs.get("retryConfig") or {}).items()
            },
            attempt_deadline=inputs.get("attemptDeadline") or "180s",
            paused=bool(inputs.get("paused")),
            description=inputs.get("description") or "",
            location=inputs["region"],
            project=inputs["project"],
        )

    def fire(self, name: str) -> dict[str, Any]:
        """One firing of the job, now: the attempt, then up to `retryCount` retries while it fails.

        Runs without the server lock (the target is another test server); returns the job after.
        """
        with self.cloud.lock:
            job = self._find(name)
            target = copy.deepcopy(job["httpTarget"])
            retries = int(job["retryConfig"].get("retryCount") or 0)
            schedule_time = self._next_time(job) or self.cloud.clock.timestamp()
        for _ in range(1 + retries):
            with self.cloud.lock:
                job["lastAttemptTime"] = self.cloud.clock.timestamp()
            code, message = self._attempt(name, target, schedule_time)
            with self.cloud.lock:
                self.attempts.append(Attempt(name, target["uri"], code, message))
                job["status"] = {} if code == RPC_OK else {"code": code, "message": message}
            if code == RPC_OK:
                break
        with self.cloud.lock:
            return self._view(job)

    # -- handlers -------------------------------------------------------------------------------

    @handles(f"{_M}.get")
    def get_job(self, call: Call) -> dict[str, Any]:
        return self._view(self._find(_name(call)))

    @handles(f"{_M}.list")
    def list_jobs(self, call: Call) -> dict[str, Any]:
        p = call.path_params
        prefix = f"projects/{p['projectsId']}/locations/{p['locationsId']}/jobs/"
        found = [self._view(job) for name, job in self.jobs.items() if name.startswith(prefix)]
        page, token = paginate(found, call.query.get("pageSize"), call.query.get("pageToken"), self.page_size)
        return {"jobs": page, **({"nextPageToken": token} if token else {})}

    @handles(f"{_M}.pause")
    def pause_job(self, call: Call) -> dict[str, Any]:
        # "A job must be in Job.State.ENABLED to be paused" (PauseJob, cloudscheduler v1).
        return self._move(_name(call), "ENABLED", "PAUSED")

    @handles(f"{_M}.resume")
    def resume_job(self, call: Call) -> dict[str, Any]:
        # "A job must be in Job.State.PAUSED to be resumed" (ResumeJob, cloudscheduler v1).
        return self._move(_name(call), "PAUSED", "ENABLED")

    @handles(f"{_M}.run")
    def run_job(self, call: Call) -> dict[str, Any]:
        # "Forces a job to run now": dispatched after this answer, outside the lock (see dispatch).
        return self._view(self._find(_name(call)))

    def dispatch(self, call: Call) -> Reply:
        reply = super().dispatch(call)
        if call.method_id == f"{_M}.run" and reply.status == 200:
            self.fire(_name(call))
        return reply

    # -- helpers --------------------------------------------------------------------------------

    def _find(self, name: str) -> dict[str, Any]:
        if name not in self.jobs:
            raise ApiError(404, f"Job not found: {name}")
        return self.jobs[name]

    def _move(self, name: str, source: str, target: str) -> dict[str, Any]:
        job = self._find(name)
        if job["state"] != source:
            raise ApiError(400, f"Job {name} is {job['state']}, not {source}", grpc="FAILED_PRECONDITION")
        job["state"] = target
        job["userUpdateTime"] = self.cloud.clock.timestamp()
        return self._view(job)

    def _next_time(self, job: Mapping[str, Any]) -> str | None:
        """The next cron time after the server clock, in the job's time zone, as UTC RFC 3339."""
        zone = ZoneInfo(job["timeZone"])
        base = self.cloud.clock.now().astimezone(zone)
        following = croniter(job["schedule"], base).get_next(datetime)
        return str(following.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))

    def _view(self, job: dict[str, Any]) -> dict[str, Any]:
        view = copy.deepcopy(job)
        if job["state"] == "ENABLED":
            view["scheduleTime"] = self._next_time(job)
        return view

    def _attempt(self, name: str, target: Mapping[str, Any], schedule_time: str) -> tuple[int, str]:
        """One HTTP call to the target, mapped to the google.rpc.Code Scheduler records."""
        parts = urlsplit(target["uri"])
        if not _VERTEX_HOST.match(parts.hostname or ""):
            return RPC_UNAVAILABLE, f"no local test server serves {parts.hostname}"
        vertex = self.cloud.servers["vertex_endpoint"]
        url = vertex.url + parts.path + (f"?{parts.query}" if parts.query else "")
        # The headers Scheduler adds (HttpTarget.headers in the discovery document).
        headers = {
            **target.get("headers", {}),
            "User-Agent": "Google-Cloud-Scheduler",
            "X-CloudScheduler": "true",
            "X-CloudScheduler-JobName": name.rsplit("/", 1)[-1],
            "X-CloudScheduler-ScheduleTime": schedule_time,
        }
        if "oauthToken" in target:
            headers["Authorization"] = "Bearer scheduler-oauth-token"  # the local servers ignore it
        body = base64.b64decode(target["body"]) if target.get("body") else None
        try:
            response = requests.request(
                target.get("httpMethod", "POST"),
                url,
                data=body,
                headers=headers,
                timeout=self.attempt_timeout,
            )
        except requests.Timeout:
            return RPC_DEADLINE_EXCEEDED, "the target did not answer within the attempt deadline"
        except requests.ConnectionError as exc:
            return RPC_UNAVAILABLE, f"the connection to the target failed: {type(exc).__name__}"
        if 200 <= response.status_code < 300:
            return RPC_OK, ""
        try:
            message = str(response.json()["error"]["message"])
        except (ValueError, KeyError, TypeError):
            message = response.text[:200]
        return _RPC_BY_HTTP.get(response.status_code, 2), f"HTTP {response.status_code}: {message}"


def _name(call: Call) -> str:
    p = call.path_params
    return f"projects/{p['projectsId']}/locations/{p['locationsId']}/jobs/{p['jobsId']}"
