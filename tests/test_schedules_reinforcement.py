"""A reinforcement schedule as Cloud Scheduler holds it: `tunectl schedules check` reads its v1beta1
body against the v1beta1 schema, and a firing creates a reinforcement job on the v1beta1 API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from infra.offline import plan_stack
from tests.cloud.harness import Cloud
from tests.cloud.quotas import TUNING_JOBS_ID, QuotasServer
from tests.cloud.scheduler import SchedulerServer
from tests.cloud.storage import StorageServer
from tests.cloud.vertex import VertexServer
from tests.quota_fixtures import isolate_config, run_json

ARITHMETIC = Path(__file__).resolve().parent.parent / "samples" / "arithmetic-reinforcement"
BUCKET = "tunectl-test-tunectl-datasets"
RL = "projects/tunectl-test/locations/us-central1/jobs/tunectl-weekly-rl"


@pytest.fixture
def scheduled(
    cloud: Cloud, cloud_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Cloud:
    isolate_config(monkeypatch, tmp_path)
    monkeypatch.setenv("TUNECTL_LEDGER", str(tmp_path / "ledger.sqlite"))
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    resources = plan_stack("gpu", {"gcp:project": "tunectl-test"})
    (job,) = [r["inputs"] for r in resources if r["name"] == "schedule-weekly-rl"]
    cloud.get(SchedulerServer).add_from_stack(job)
    storage = cloud.get(StorageServer)
    storage.create_bucket(BUCKET)
    for name in ("train", "validation"):
        storage.put_object(BUCKET, f"arithmetic/{name}.jsonl", (ARITHMETIC / f"{name}.jsonl").read_bytes())
    cloud.get(QuotasServer).set_limit(TUNING_JOBS_ID, "us-central1", 3)
    return cloud


def test_check_reads_the_v1beta1_body_and_says_the_cost_is_unknown(scheduled: Cloud, capsys: Any) -> None:
    status, data, _ = run_json(capsys, "schedules", "check", "weekly-rl")
    checks = {c["name"]: c for c in data["schedules"][0]["checks"]}
    assert checks["request body"]["status"] == "ok"
    assert "v1beta1 TuningJob" in checks["request body"]["reason"]
    assert checks["datasets present"]["status"] == "ok"
    assert checks["dataset"]["status"] == "ok" and "reinforcement" in checks["dataset"]["reason"]
    assert checks["model"]["status"] == "ok"
    # The reward in the body is checked, and what it reads found in every example, as launch does.
    assert checks["reward"]["status"] == "ok", checks["reward"]
    assert "scheduled job's reward" in checks["reward"]["reason"] and "answer" in checks["reward"]["reason"]
    assert checks["cost estimate"]["status"] == "unknown"  # no price per run can be computed
    assert status == 1 and data["verdict"] == "unknown"


def test_check_says_no_to_the_reward_when_the_validation_file_is_not_reinforcement_data(
    scheduled: Cloud, capsys: Any
) -> None:
    supervised = ARITHMETIC.parent / "sarcasm-classification" / "validation.jsonl"
    scheduled.get(StorageServer).put_object(BUCKET, "arithmetic/validation.jsonl", supervised.read_bytes())
    status, data, _ = run_json(capsys, "schedules", "check", "weekly-rl")
    checks = {c["name"]: c for c in data["schedules"][0]["checks"]}
    assert checks["reward"]["status"] == "no", checks["reward"]
    assert status == 1 and data["verdict"] == "no-go"


def test_a_firing_creates_a_reinforcement_job_on_v1beta1(scheduled: Cloud) -> None:
    scheduled.get(SchedulerServer).fire(RL)
    (job,) = scheduled.get(VertexServer).tuning_jobs.values()
    spec = job["reinforcementTuningSpec"]
    assert spec["singleRewardConfig"]["rewardName"] == "exact_answer"
    assert job["labels"]["tunectl-schedule"] == "weekly-rl"
    assert scheduled.faults.calls.get("v1beta1:aiplatform.projects.locations.tuningJobs.create") == 1
