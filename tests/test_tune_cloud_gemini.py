"""`tune launch/wait/status/cancel` on the managed Gemini engine, through the local Vertex AI and Cloud
Storage test servers with google-genai and google-cloud-storage (REST)."""

from __future__ import annotations

import hashlib
from typing import Any

from tests.cloud.storage import StorageServer
from tests.cloud.vertex import VertexServer
from tests.tune_fixtures import (  # noqa: F401 - fixtures
    DATASETS_BUCKET,
    SAMPLES,
    SERVICE_ACCOUNT,
    Ticker,
    TuneCli,
    pipeline_cache_fixture,
    tune_fixture,
    wire,
)

GENERATION = SAMPLES / "sarcasm-generation"
PREFERENCE = SAMPLES / "sarcasm-preference"
LAUNCH = (
    "tune", "launch", "--engine", "gemini", "--base-model", "gemini-2.5-pro",
    "--train", str(GENERATION / "train.jsonl"), "--validation", str(GENERATION / "validation.jsonl"),
    "--epochs", "2", "--label", "team=nlp", "--skip-preflight", "--yes",
)  # fmt: skip


def _launch(tune: TuneCli, *extra: str) -> dict[str, Any]:
    status, result = tune.json(*LAUNCH, *extra)
    assert status == 0, result
    return result


def test_supervised_run_from_launch_to_succeeded(
    tune: TuneCli, cloud: Any, vertex_server: VertexServer
) -> None:
    result = _launch(tune)
    assert result["outcome"] == "created" and result["job"]["state"] == "QUEUED"
    (job,) = vertex_server.tuning_jobs.values()
    # The job the server holds is exactly the dry run's body: article-style data went up converted.
    sent = {
        k: v for k, v in job.items() if k not in {"name", "state", "createTime", "updateTime", "experiment"}
    }
    assert wire(sent) == wire(result["request"]["body"])
    assert job["serviceAccount"] == SERVICE_ACCOUNT and job["labels"]["team"] == "nlp"
    assert job["supervisedTuningSpec"]["trainingDatasetUri"].startswith(
        f"gs://{DATASETS_BUCKET}/datasets/sha256/"
    )
    assert [u["uploaded"] for u in result["uploads"]] == [True, True]

    with Ticker(cloud):
        status, waited = tune.json("tune", "wait", result["run_id"], "--poll-interval", "0.01")
    assert status == 0 and waited["state"] == "SUCCEEDED"
    assert waited["endpoint"].startswith("projects/tunectl-test/locations/us-central1/endpoints/")

    status, shown = tune.json("tune", "status", result["run_id"][:10])
    stats = shown["tuning_data_stats"]["supervised_tuning_data_stats"]
    assert status == 0 and stats["tuning_dataset_example_count"] == 60
    status, listed = tune.json("tune", "list")
    (row,) = listed["runs"]
    assert row["state"] == "SUCCEEDED" and row["seen_in_api"] is True
    assert row["estimate"]["currency"] == "USD"


def test_preference_run_converts_the_articles_format_and_succeeds(
    tune: TuneCli,
    cloud: Any,
    vertex_server: VertexServer,
    storage_server: StorageServer,
) -> None:
    status, result = tune.json(
        "tune", "launch", "--engine", "gemini", "--method", "preference", "--base-model", "gemini-3.5-flash",
        "--train", str(PREFERENCE / "train.jsonl"), "--epochs", "1", "--beta", "0.2",
        "--skip-preflight", "--yes",
    )  # fmt: skip
    assert status == 0, result
    (job,) = vertex_server.tuning_jobs.values()
    spec = job["preferenceOptimizationSpec"]
    assert spec["hyperParameters"]["beta"] == 0.2
    uploaded = storage_server.read_uri(spec["trainingDatasetUri"])
    assert uploaded is not None and b'"completions"' in uploaded.splitlines()[0]
    cloud.clock.tick(3)
    status, waited = tune.json("tune", "wait", result["run_id"], "--poll-interval", "0.01")
    assert status == 0 and waited["tuned_model"]


def test_relaunching_the_same_run_finds_the_job_instead_of_paying_twice(
    tune: TuneCli,
    vertex_server: VertexServer,
) -> None:
    first = _launch(tune)
    again = _launch(tune)
    assert again["outcome"] == "existing" and again["run_id"] == first["run_id"]
    assert again["job"]["name"] == first["job"]["name"]
    assert len(vertex_server.tuning_jobs) == 1
    forced = _launch(tune, "--force")
    assert forced["outcome"] == "created" and forced["run_id"] != first["run_id"]
    assert len(vertex_server.tuning_jobs) == 2


def test_dry_run_sends_nothing(
    tune: TuneCli,
    cloud: Any,
    vertex_server: VertexServer,
    storage_server: StorageServer,
) -> None:
    result = _launch(tune, "--dry-run")
    assert result["outcome"] == "dry-run" and result["job"] is None
    assert result["estimate"]["amount"] is not None
    assert cloud.faults.calls == {} and not vertex_server.tuning_jobs and not storage_server.objects
    assert not tune.ledger.exists() or tune.json("tune", "list", "--local")[1]["runs"] == []


def test_upload_is_skipped_when_the_object_is_already_there(
    tune: TuneCli,
    storage_server: StorageServer,
) -> None:
    dry = _launch(tune, "--dry-run")
    train = next(d for d in dry["datasets"] if d["role"] == "train")
    converted = (GENERATION / "train.jsonl").read_bytes()  # stand-in content: only the path matters
    storage_server.put_object(DATASETS_BUCKET, train["uri"].split("/", 3)[3], converted)
    result = _launch(tune)
    uploads = {u["role"]: u["uploaded"] for u in result["uploads"]}
    assert uploads == {"train": False, "validation": True}
    assert hashlib.sha256(storage_server.read_uri(train["uri"]) or b"").hexdigest() != train["sha256"]


def test_cancel_waits_until_the_job_is_cancelled(
    tune: TuneCli,
    cloud: Any,
    vertex_server: VertexServer,
) -> None:
    vertex_server.running_ticks = 10_000  # still running when the cancel arrives
    run_id = _launch(tune)["run_id"]
    cloud.clock.tick()
    with Ticker(cloud):
        status, cancelled = tune.json("tune", "cancel", run_id, "--yes", "--poll-interval", "0.01")
    assert status == 0 and cancelled["state"] == "CANCELLED"
    status, out, _err = tune("tune", "wait", run_id, "--poll-interval", "0.01")
    assert status == 1 and "CANCELLED" in out


def test_cancel_dry_run_shows_the_request_and_leaves_the_job_running(
    tune: TuneCli, cloud: Any, vertex_server: VertexServer
) -> None:
    vertex_server.running_ticks = 10_000
    run_id = _launch(tune)["run_id"]
    cloud.clock.tick()
    status, shown = tune.json("tune", "cancel", run_id, "--dry-run")
    assert status == 0 and shown["dry_run"] is True
    assert shown["method"] == "POST" and shown["url"].endswith(":cancel")
    assert "/tuningJobs/" in shown["url"]
    status, after = tune.json("tune", "status", run_id)
    assert status == 0 and after["state"] == "RUNNING"


def test_cancel_without_yes_and_without_a_terminal_asks_for_it(tune: TuneCli) -> None:
    run_id = _launch(tune)["run_id"]
    status, _out, err = tune("tune", "cancel", run_id)
    assert status == 2 and "confirmation-needed" in err


def test_wait_on_a_failed_run_exits_1_with_the_error(
    tune: TuneCli,
    cloud: Any,
    vertex_server: VertexServer,
) -> None:
    vertex_server.set_outcome("FAILED", "out of memory on example 12")
    run_id = _launch(tune)["run_id"]
    with Ticker(cloud):
        status, out, _err = tune("tune", "wait", run_id, "--poll-interval", "0.01")
    assert status == 1
    assert "ended FAILED" in out and "out of memory on example 12" in out


def test_sync_rebuilds_a_lost_ledger_from_the_api(tune: TuneCli) -> None:
    first = _launch(tune)["run_id"]
    second = _launch(tune, "--epochs", "3")["run_id"]
    tune.ledger.unlink()
    status, report = tune.json("tune", "sync")
    assert status == 0 and report["found"] == 2 and sorted(report["added"]) == sorted([first, second])
    status, listed = tune.json("tune", "list", "--local")
    assert {r["run_id"] for r in listed["runs"]} == {first, second}
    assert all(r["state"] == "QUEUED" for r in listed["runs"])


def test_a_cancel_whose_answer_was_lost_still_ends_cancelled(
    tune: TuneCli, cloud: Any, vertex_server: VertexServer
) -> None:
    vertex_server.running_ticks = 10_000
    run_id = _launch(tune)["run_id"]
    cloud.clock.tick()
    (name,) = vertex_server.tuning_jobs
    # The first cancel reaches the server but its answer is lost; the retry is refused (400).
    vertex_server.tuning_jobs[name]["state"] = "JOB_STATE_CANCELLING"
    with Ticker(cloud):
        status, cancelled = tune.json("tune", "cancel", run_id, "--yes", "--poll-interval", "0.01")
    assert status == 0 and cancelled["state"] == "CANCELLED"


def test_gcs_datasets_are_used_in_place_or_converted_when_in_the_articles_style(
    tune: TuneCli, vertex_server: VertexServer, storage_server: StorageServer
) -> None:
    storage_server.create_bucket("user-data")
    gemini_style = (SAMPLES / "sarcasm-generation-gemini" / "train.jsonl").read_bytes()
    storage_server.put_object("user-data", "gemini/train.jsonl", gemini_style)
    storage_server.put_object(
        "user-data", "palm/validation.jsonl", (GENERATION / "validation.jsonl").read_bytes()
    )
    status, result = tune.json(
        "tune", "launch", "--engine", "gemini", "--base-model", "gemini-3.5-flash", "--epochs", "1",
        "--train", "gs://user-data/gemini/train.jsonl", "--validation", "gs://user-data/palm/validation.jsonl",
        "--skip-preflight", "--yes",
    )  # fmt: skip
    assert status == 0, result
    (job,) = vertex_server.tuning_jobs.values()
    spec = job["supervisedTuningSpec"]
    assert spec["trainingDatasetUri"] == "gs://user-data/gemini/train.jsonl"
    assert spec["validationDatasetUri"].startswith(f"gs://{DATASETS_BUCKET}/datasets/sha256/")
    assert [u["role"] for u in result["uploads"]] == ["validation"]
