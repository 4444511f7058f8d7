"""The Cloud Scheduler test server: Google's client (REST) against the `cloudscheduler.v1` contract, and
a firing that sends the stack's body to the Vertex AI test server exactly as Scheduler would."""

from __future__ import annotations

import base64
import json
from functools import cache
from typing import Any

import pytest

from infra.offline import plan_stack
from tests.cloud.harness import Cloud
from tests.cloud.scheduler import RPC_OK, RPC_UNAVAILABLE, SchedulerServer
from tests.cloud.vertex import VertexServer
from tests.infra_fixtures import seed_rlhf_template

PARENT = "projects/tunectl-test/locations/us-central1"
SFT = f"{PARENT}/jobs/tunectl-weekly-sft"
CREATE_TUNING_JOB = "aiplatform.projects.locations.tuningJobs.create"


@cache
def stack_jobs() -> tuple[dict[str, Any], ...]:
    """The gpu example stack's Scheduler jobs, planned for the test project."""
    resources = plan_stack("gpu", {"gcp:project": "tunectl-test"})
    return tuple(r["inputs"] for r in resources if r["type"] == "gcp:cloudscheduler/job:Job")


def seed_stack(server: SchedulerServer) -> None:
    for inputs in stack_jobs():
        server.add_from_stack(inputs)


def test_list_and_get_return_the_stacks_jobs_paused(
    scheduler_server: SchedulerServer, scheduler_client: Any
) -> None:
    seed_stack(scheduler_server)
    jobs = list(scheduler_client.list_jobs(parent=PARENT))
    assert sorted(j.name.rsplit("/", 1)[-1] for j in jobs) == [
        "tunectl-monthly-rlhf",
        "tunectl-weekly-rl",
        "tunectl-weekly-sft",
    ]
    job = scheduler_client.get_job(name=SFT)
    assert job.state.name == "PAUSED"
    assert job.retry_config.retry_count == 0
    assert json.loads(job.http_target.body)["labels"]["tunectl-schedule"] == "weekly-sft"


def test_resume_shows_the_next_firing_and_pause_pauses(
    scheduler_server: SchedulerServer, scheduler_client: Any
) -> None:
    seed_stack(scheduler_server)
    resumed = scheduler_client.resume_job(name=SFT)
    assert resumed.state.name == "ENABLED"
    # The clock starts on Monday 2026-01-05 09:00 UTC; "0 3 * * 1" fires next Monday at 03:00.
    assert resumed.schedule_time.isoformat() == "2026-01-12T03:00:00+00:00"
    paused = scheduler_client.pause_job(name=SFT)
    assert paused.state.name == "PAUSED"


def test_pausing_a_paused_job_is_a_failed_precondition(
    scheduler_server: SchedulerServer, scheduler_client: Any
) -> None:
    from google.api_core import exceptions

    seed_stack(scheduler_server)
    with pytest.raises(exceptions.BadRequest, match="PAUSED, not ENABLED"):
        scheduler_client.pause_job(name=SFT)


def test_run_posts_the_decoded_body_and_creates_one_tuning_job(
    scheduler_server: SchedulerServer, scheduler_client: Any, vertex_server: VertexServer
) -> None:
    seed_stack(scheduler_server)
    scheduler_client.run_job(name=SFT)
    (created,) = vertex_server.tuning_jobs.values()
    body = json.loads(base64.b64decode(scheduler_server.jobs[SFT]["httpTarget"]["body"]))
    assert created["labels"] == body["labels"]
    assert created["baseModel"] == body["baseModel"]
    job = scheduler_client.get_job(name=SFT)
    assert job.status.code == RPC_OK
    assert job.last_attempt_time.isoformat() == "2026-01-05T09:00:00+00:00"


def test_the_rlhf_schedule_fires_a_pipeline_job_from_its_template(
    scheduler_server: SchedulerServer, scheduler_client: Any, vertex_server: VertexServer
) -> None:
    seed_stack(scheduler_server)
    seed_rlhf_template(vertex_server)
    scheduler_client.run_job(name=f"{PARENT}/jobs/tunectl-monthly-rlhf")
    (created,) = vertex_server.pipeline_jobs.values()
    assert created["templateUri"].endswith("/tunectl-pipelines/rlhf-pipeline/latest")
    assert created["labels"]["tunectl-schedule"] == "monthly-rlhf"


def test_a_firing_whose_answer_is_lost_leaves_one_job_because_the_stack_never_retries(
    cloud: Cloud, scheduler_server: SchedulerServer, scheduler_client: Any, vertex_server: VertexServer
) -> None:
    seed_stack(scheduler_server)
    # Vertex AI creates the job, then the answer never reaches Scheduler.
    cloud.faults.inject(CREATE_TUNING_JOB, "lost-answer", times=5)
    scheduler_server.fire(SFT)
    assert len(vertex_server.tuning_jobs) == 1
    assert [a.code for a in scheduler_server.attempts] == [RPC_UNAVAILABLE]
    job = scheduler_client.get_job(name=SFT)
    assert job.status.code == RPC_UNAVAILABLE  # the missed answer is visible on the schedule


def test_with_a_retry_the_same_lost_answer_starts_a_second_job(
    cloud: Cloud, scheduler_server: SchedulerServer, vertex_server: VertexServer
) -> None:
    """Why the stack sets retryCount 0: this is what retryCount 1 did."""
    inputs = dict(next(i for i in stack_jobs() if i["name"] == "tunectl-weekly-sft"))
    inputs["retryConfig"] = {"retryCount": 1}
    scheduler_server.add_from_stack(inputs)
    cloud.faults.inject(CREATE_TUNING_JOB, "lost-answer", times=5)
    scheduler_server.fire(SFT)
    assert len(vertex_server.tuning_jobs) == 2
    assert len(scheduler_server.attempts) == 2


def test_a_target_error_is_recorded_as_the_attempts_status(
    cloud: Cloud, scheduler_server: SchedulerServer, scheduler_client: Any
) -> None:
    seed_stack(scheduler_server)
    cloud.faults.inject(CREATE_TUNING_JOB, 429)
    scheduler_client.run_job(name=SFT)
    job = scheduler_client.get_job(name=SFT)
    assert job.status.code == 8  # RESOURCE_EXHAUSTED
    assert "HTTP 429" in job.status.message


def test_an_unknown_job_is_not_found(scheduler_client: Any) -> None:
    from google.api_core import exceptions

    with pytest.raises(exceptions.NotFound):
        scheduler_client.get_job(name=f"{PARENT}/jobs/nope")
