"""`tunectl schedules` against the test servers: the stack's own Scheduler jobs (planned offline for the
test project), fired through the Scheduler server into the Vertex server."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from infra.offline import plan_stack
from ops.preflight.budget import BudgetScope, Spend
from ops.preflight.gate import CheckStatus
from ops.schedules.api import Schedules
from ops.schedules.check import check_schedule
from tests.cloud.budgets import BILLING_ACCOUNT, BudgetsServer
from tests.cloud.harness import Cloud
from tests.cloud.quotas import TUNING_JOBS_ID, QuotasServer
from tests.cloud.scheduler import RPC_UNAVAILABLE, SchedulerServer
from tests.cloud.storage import StorageServer
from tests.cloud.vertex import VertexServer
from tests.quota_fixtures import isolate_config, run_cli, run_json

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
TRAIN = (SAMPLES / "sarcasm-generation-gemini" / "train.jsonl").read_bytes()
VALIDATION = (SAMPLES / "sarcasm-generation-gemini" / "validation.jsonl").read_bytes()
BUCKET = "tunectl-test-tunectl-datasets"
SFT = "projects/tunectl-test/locations/us-central1/jobs/tunectl-nightly-sft"
CREATE_TUNING_JOB = "aiplatform.projects.locations.tuningJobs.create"
SCHEDULES = {
    "nightly-sft": {
        "engine": "gemini",
        "cron": "0 3 * * *",
        "baseModel": "gemini-2.5-pro",
        "trainingDataset": "support/train.jsonl",
        "validationDataset": "support/validation.jsonl",
        "epochs": 2,
        "paused": False,
    },
    "weekly-pref": {
        "engine": "gemini",
        "cron": "0 4 * * 6",
        "timeZone": "Europe/Amsterdam",
        "baseModel": "gemini-3.5-flash",
        "method": "preference",
        "trainingDataset": "preference/train.jsonl",
    },
    "monthly-rlhf": {
        "engine": "rlhf-pipeline",
        "cron": "0 2 1 * *",
        "promptDataset": "rlhf/prompts.jsonl",
        "preferenceDataset": "rlhf/preferences.jsonl",
        "largeModelReference": "t5-small",
        "reinforcementLearningTrainSteps": 300,
    },
}
_PLANS: dict[str, list[dict[str, Any]]] = {}


def stack_jobs() -> list[dict[str, Any]]:
    """The Scheduler jobs `pulumi up` would create for these schedules in the test project."""
    if "jobs" not in _PLANS:
        resources = plan_stack("gpu", {"gcp:project": "tunectl-test", "schedules": SCHEDULES})
        _PLANS["jobs"] = [r["inputs"] for r in resources if r["type"] == "gcp:cloudscheduler/job:Job"]
    return _PLANS["jobs"]


@pytest.fixture
def env(
    cloud: Cloud, cloud_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> dict[str, str]:
    isolate_config(monkeypatch, tmp_path)
    monkeypatch.setenv("TUNECTL_LEDGER", str(tmp_path / "ledger.sqlite"))
    monkeypatch.setenv("TUNECTL_BILLING_ACCOUNT", BILLING_ACCOUNT)  # no budget covers the project
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    scheduler = cloud.get(SchedulerServer)
    for inputs in stack_jobs():
        scheduler.add_from_stack(inputs)
    storage = cloud.get(StorageServer)
    storage.create_bucket(BUCKET)
    storage.put_object(BUCKET, "support/train.jsonl", TRAIN)
    storage.put_object(BUCKET, "support/validation.jsonl", VALIDATION)
    cloud.get(QuotasServer).set_limit(TUNING_JOBS_ID, "us-central1", 3)
    return cloud_env


def statuses(result: dict[str, Any]) -> dict[str, str]:
    return {check["name"]: check["status"] for check in result["checks"]}


# --- list, status ------------------------------------------------------------------------------------


def test_list_shows_state_cron_next_firing_and_the_stack(env: Any, capsys: Any) -> None:
    status, data, _ = run_json(capsys, "schedules", "list")
    assert status == 0
    rows = {row["name"]: row for row in data["schedules"]}
    assert rows["nightly-sft"]["state"] == "ENABLED"
    assert rows["nightly-sft"]["next_firing"] == "2026-01-06T03:00:00+00:00"  # clock: 2026-01-05 09:00Z
    assert rows["nightly-sft"]["last_status"] is None
    assert rows["nightly-sft"]["retry_count"] == 0
    assert rows["nightly-sft"]["stack"] == "gpu"
    # Paused: Scheduler names no next time, so it is the cron's (read in Amsterdam) from now, if resumed.
    assert rows["weekly-pref"]["state"] == "PAUSED"
    following = datetime.fromisoformat(rows["weekly-pref"]["next_firing"])
    assert following > datetime.now(UTC)
    local = following.astimezone(ZoneInfo("Europe/Amsterdam"))
    assert (local.weekday(), local.hour, local.minute) == (5, 4, 0)  # "0 4 * * 6": Saturday 04:00


def test_status_shows_the_last_attempt_and_the_jobs_a_firing_created(
    env: Any, capsys: Any, cloud: Cloud, vertex_server: VertexServer
) -> None:
    cloud.get(SchedulerServer).fire(SFT)
    cloud.clock.tick()
    status, data, _ = run_json(capsys, "schedules", "status", "nightly-sft")
    assert status == 0
    assert data["last_attempt"] == "2026-01-05T09:00:00+00:00"
    assert data["last_status"] == {"code": 0, "name": "OK", "message": ""}
    (job,) = data["jobs"]
    assert job["run_id"] == "nightly-sft-20260105t090000z"
    assert job["state"] == "RUNNING"
    assert job["job_name"] in vertex_server.tuning_jobs
    assert job["possible_duplicate"] is False


def test_a_firing_that_lost_its_answer_shows_as_failed_with_exactly_one_job(
    env: Any, capsys: Any, cloud: Cloud, vertex_server: VertexServer
) -> None:
    # Vertex AI created the job; its answer never reached Scheduler. The stack never retries.
    cloud.faults.inject(CREATE_TUNING_JOB, "lost-answer", times=3)
    cloud.get(SchedulerServer).fire(SFT)
    status, out, _ = run_cli(capsys, "schedules", "status", "nightly-sft")
    assert status == 0
    assert "UNAVAILABLE" in out
    _, data, _ = run_json(capsys, "schedules", "status", "nightly-sft")
    assert data["last_status"]["code"] == RPC_UNAVAILABLE
    assert len(data["jobs"]) == 1 == len(vertex_server.tuning_jobs)


def test_two_jobs_of_one_firing_are_flagged_as_possible_duplicates(
    env: Any, capsys: Any, cloud: Cloud
) -> None:
    scheduler = cloud.get(SchedulerServer)
    scheduler.fire(SFT)
    scheduler.fire(SFT)  # a second delivery of the same firing (at-least-once delivery)
    _, data, _ = run_json(capsys, "schedules", "status", "nightly-sft")
    assert [j["possible_duplicate"] for j in data["jobs"]] == [True, True]
    assert len({j["run_id"] for j in data["jobs"]}) == 2


def test_schedules_are_found_in_the_stack_outputs_region(
    env: Any, capsys: Any, cloud: Cloud, tmp_path: Path
) -> None:
    import json

    outputs = tmp_path / "stack.json"
    outputs.write_text(
        json.dumps(
            {
                "region": "us-central1",
                "datasets_bucket": f"gs://{BUCKET}",
                "pipeline_root": "gs://p/root",
                "tuning_service_account": "t@p.iam.gserviceaccount.com",
            }
        )
    )
    status, data, _ = run_json(
        capsys, "--region", "europe-west4", "--stack-outputs", str(outputs), "schedules", "list"
    )
    assert status == 0
    assert "nightly-sft" in {row["name"] for row in data["schedules"]}


def test_scheduler_jobs_that_are_not_tunectl_schedules_are_left_out(
    env: Any, capsys: Any, cloud: Cloud
) -> None:
    scheduler = cloud.get(SchedulerServer)
    scheduler.add_job("nightly-report", schedule="0 1 * * *", http_target={"uri": "https://example.com/hook"})
    body = base64.b64encode(b'{"labels": {"team": "ml"}}').decode()
    scheduler.add_job(
        "other", schedule="0 1 * * *", http_target={"uri": "https://example.com/x", "body": body}
    )
    _, data, _ = run_json(capsys, "schedules", "list")
    assert {row["name"] for row in data["schedules"]} == set(SCHEDULES)


def test_an_unknown_schedule_is_a_usage_error(env: Any, capsys: Any) -> None:
    status, _, err = run_cli(capsys, "schedules", "status", "nope")
    assert status == 2
    assert "error[schedule-not-found]" in err
    assert "nightly-sft" in err


# --- check -------------------------------------------------------------------------------------------


def test_check_is_a_go_when_everything_is_in_place(env: Any, capsys: Any) -> None:
    status, data, _ = run_json(capsys, "schedules", "check", "nightly-sft")
    assert data["verdict"] == "go", data
    assert status == 0
    assert set(statuses(data["schedules"][0]).values()) == {"ok"}


def test_a_missing_dataset_is_a_no_go(env: Any, capsys: Any) -> None:
    status, data, _ = run_json(capsys, "schedules", "check", "weekly-pref")
    assert status == 1
    result = data["schedules"][0]
    assert result["verdict"] == "no-go"
    assert statuses(result)["datasets present"] == "no"
    assert "preference/train.jsonl does not exist" in str(result["checks"])


def test_a_run_of_the_same_schedule_still_running_is_a_no_go(env: Any, capsys: Any, cloud: Cloud) -> None:
    cloud.get(QuotasServer).set_limit(TUNING_JOBS_ID, "us-central1", 3)
    cloud.get(SchedulerServer).fire(SFT)
    status, data, _ = run_json(capsys, "schedules", "check", "nightly-sft")
    assert status == 1
    checks = statuses(data["schedules"][0])
    assert checks["no overlap"] == "no"
    assert checks["quota concurrent-tuning-jobs"] == "ok"


def test_no_free_tuning_job_slot_is_a_no_go(env: Any, capsys: Any, cloud: Cloud, genai_client: Any) -> None:
    cloud.get(QuotasServer).set_limit(TUNING_JOBS_ID, "us-central1", 1)
    from google.genai import types

    genai_client.tunings.tune(
        base_model="gemini-2.5-pro",
        training_dataset=types.TuningDataset(gcs_uri=f"gs://{BUCKET}/support/train.jsonl"),
        config=types.CreateTuningJobConfig(labels={"tunectl-run-id": "gem-other"}),
    )
    status, data, _ = run_json(capsys, "schedules", "check", "nightly-sft")
    assert status == 1
    checks = statuses(data["schedules"][0])
    assert checks["quota concurrent-tuning-jobs"] == "no"
    assert checks["no overlap"] == "ok"  # someone else's job, not this schedule's


def test_an_rlhf_schedule_without_gpu_quota_is_a_no_go(env: Any, capsys: Any, cloud: Cloud) -> None:
    preferences = (SAMPLES / "sarcasm-preference" / "train.jsonl").read_bytes()
    storage = cloud.get(StorageServer)
    storage.put_object(BUCKET, "rlhf/prompts.jsonl", preferences)
    storage.put_object(BUCKET, "rlhf/preferences.jsonl", preferences)
    status, data, _ = run_json(capsys, "schedules", "check", "monthly-rlhf")
    assert status == 1
    checks = statuses(data["schedules"][0])
    assert checks["request body"] == "ok"  # a PipelineJob the v1 schema accepts
    assert checks["dataset"] == "ok"
    assert checks["quota a100-80gb-gpus"] == "no"  # the test project has no restricted-image quota


def test_a_model_retired_since_pulumi_up_is_a_no_go(env: Any, capsys: Any, cloud: Cloud) -> None:
    import json

    scheduler = cloud.get(SchedulerServer)
    body = json.loads(base64.b64decode(scheduler.jobs[SFT]["httpTarget"]["body"]))
    body["baseModel"] = "gemini-2.5-flash"  # retired for tuning on 2026-10-16
    scheduler.jobs[SFT]["httpTarget"]["body"] = base64.b64encode(json.dumps(body).encode()).decode()
    status, data, _ = run_json(capsys, "schedules", "check", "nightly-sft")
    assert status == 1
    assert statuses(data["schedules"][0])["model"] == "no"


def test_a_schedule_that_retries_is_a_no_go(env: Any, capsys: Any, cloud: Cloud) -> None:
    cloud.get(SchedulerServer).jobs[SFT]["retryConfig"]["retryCount"] = 1  # made by an older stack
    status, data, _ = run_json(capsys, "schedules", "check", "nightly-sft")
    assert status == 1
    assert statuses(data["schedules"][0])["no retries"] == "no"


def test_a_body_the_api_would_reject_is_a_no_go(env: Any, capsys: Any, cloud: Cloud) -> None:
    import json

    scheduler = cloud.get(SchedulerServer)
    body = json.loads(base64.b64decode(scheduler.jobs[SFT]["httpTarget"]["body"]))
    body["supervisedTuningSpec"]["epochs"] = 3  # not a TuningJob field
    scheduler.jobs[SFT]["httpTarget"]["body"] = base64.b64encode(json.dumps(body).encode()).decode()
    status, data, _ = run_json(capsys, "schedules", "check", "nightly-sft")
    assert status == 1
    assert statuses(data["schedules"][0])["request body"] == "no"


def test_budget_without_headroom_for_the_estimate_is_a_no_go(env: Any, cloud: Cloud) -> None:
    cloud.get(BudgetsServer).add_budget("tuning", 100)
    settings = cloud.settings(billing_account=BILLING_ACCOUNT)
    (schedule,) = [s for s in Schedules(settings, ["us-central1"]).list() if s.name == "nightly-sft"]

    def spent(_scope: BudgetScope) -> Spend:
        return Spend(Decimal("99.9999999"), "USD", "test ledger")

    result = check_schedule(settings, schedule, spend_lookup=spent, today=date(2026, 1, 20))
    budget = next(c for c in result.checks if c.name == "budget headroom")
    assert budget.status is CheckStatus.no, budget.reason
    assert result.verdict == "no-go"


def test_check_without_a_project_is_unknown_never_go(env: Any, capsys: Any, cloud: Cloud) -> None:
    cloud.faults.inject("cloudquotas.projects.locations.services.quotaInfos.list", 403, times=10)
    status, data, _ = run_json(capsys, "schedules", "check", "nightly-sft")
    assert status == 1
    assert data["verdict"] == "unknown"


# --- pausing -----------------------------------------------------------------------------------------


def test_pause_on_no_go_needs_confirmation_without_a_terminal(env: Any, capsys: Any, cloud: Cloud) -> None:
    cloud.get(SchedulerServer).fire(SFT)  # running: the next firing would overlap
    status, _, err = run_cli(capsys, "schedules", "check", "--pause-on-no-go")
    assert status == 2
    assert "error[confirmation-needed]" in err
    assert cloud.get(SchedulerServer).jobs[SFT]["state"] == "ENABLED"


def test_pause_on_no_go_pauses_the_no_go_schedule_and_says_how_to_resume(
    env: Any, capsys: Any, cloud: Cloud
) -> None:
    cloud.get(SchedulerServer).fire(SFT)
    status, out, err = run_cli(capsys, "schedules", "check", "nightly-sft", "--pause-on-no-go", "--yes")
    assert status == 1
    assert cloud.get(SchedulerServer).jobs[SFT]["state"] == "PAUSED"
    assert "resume it with `tunectl schedules resume nightly-sft`" in out
    assert "managed by Pulumi stack 'gpu'" in " ".join(err.split())


def test_pause_on_no_go_leaves_a_go_schedule_alone(env: Any, capsys: Any, cloud: Cloud) -> None:
    status, data, _ = run_json(capsys, "schedules", "check", "nightly-sft", "--pause-on-no-go")
    assert status == 0
    assert data["schedules"][0]["paused_by_check"] is False
    assert cloud.get(SchedulerServer).jobs[SFT]["state"] == "ENABLED"


def test_pause_and_resume_by_hand_warn_that_the_stack_manages_the_schedule(
    env: Any, capsys: Any, cloud: Cloud
) -> None:
    scheduler = cloud.get(SchedulerServer)
    status, _, err = run_cli(capsys, "schedules", "pause", "nightly-sft")
    assert status == 0
    assert scheduler.jobs[SFT]["state"] == "PAUSED"
    assert "the next `pulumi up --refresh` sets it back" in " ".join(err.split())
    status, _, err = run_cli(capsys, "schedules", "pause", "nightly-sft")
    assert status == 0
    assert "already paused" in err
    status, data, _ = run_json(capsys, "schedules", "resume", "tunectl-nightly-sft")
    assert status == 0
    assert data["state"] == "ENABLED" == scheduler.jobs[SFT]["state"]


def test_pause_dry_run_sends_nothing(env: Any, capsys: Any, cloud: Cloud) -> None:
    status, data, _ = run_json(capsys, "schedules", "pause", "nightly-sft", "--dry-run")
    assert status == 0
    assert data["url"] == f"https://cloudscheduler.googleapis.com/v1/{SFT}:pause"
    assert cloud.get(SchedulerServer).jobs[SFT]["state"] == "ENABLED"


# --- the rest of the tool ----------------------------------------------------------------------------


def test_tune_list_and_sync_include_scheduled_runs_with_their_schedule(
    env: Any, capsys: Any, cloud: Cloud
) -> None:
    cloud.get(SchedulerServer).fire(SFT)
    status, data, _ = run_json(capsys, "tune", "sync")
    assert status == 0
    assert data["added"] == ["nightly-sft-20260105t090000z"]
    status, data, _ = run_json(capsys, "tune", "list")
    (row,) = data["runs"]
    assert row["run_id"] == "nightly-sft-20260105t090000z"
    assert row["schedule"] == "nightly-sft"
    assert row["engine"] == "gemini"
    assert row["seen_in_api"] is True
    status, data, _ = run_json(capsys, "tune", "status", "nightly-sft-2026")
    assert status == 0
    assert data["run_id"] == "nightly-sft-20260105t090000z"
    assert data["state"] == "QUEUED"
