"""`tune launch --method reinforcement` (Pre-GA, v1beta1) and `tune status/wait/cancel/list` on the
job, through the Vertex AI and Cloud Storage test servers with google-genai (REST)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.cloud.vertex import VertexServer
from tests.tune_fixtures import (  # noqa: F401 - fixtures
    DATASETS_BUCKET,
    SAMPLES,
    Ticker,
    TuneCli,
    pipeline_cache_fixture,
    tune_fixture,
    wire,
)

ARITHMETIC = SAMPLES / "arithmetic-reinforcement"
REWARD = str(ARITHMETIC / "reward-exact.yaml")
BASE = (
    "tune", "launch", "--engine", "gemini", "--method", "reinforcement", "--base-model", "gemini-3.5-flash",
    "--reward-config", REWARD, "--train", str(ARITHMETIC / "train.jsonl"),
)  # fmt: skip
HYPER = (
    "--validation", str(ARITHMETIC / "validation.jsonl"), "--epochs", "2", "--batch-size", "8",
    "--samples-per-prompt", "4", "--thinking-level", "minimal", "--max-output-tokens", "1024",
    "--evaluate-interval", "5", "--checkpoint-interval", "5", "--adapter-size", "4",
    "--learning-rate-multiplier", "0.5",
)  # fmt: skip
V1BETA1 = "https://us-central1-aiplatform.googleapis.com/v1beta1/projects/tunectl-test/locations/us-central1/tuningJobs"
PRE_GA = "do not use proprietary, sensitive, or other confidential data"


def test_dry_run_prints_the_v1beta1_request_and_googles_pre_ga_warning(tune: TuneCli, cloud: Any) -> None:
    status, out, err = tune(*BASE, *HYPER, "--dry-run")
    assert status == 0, err
    assert f"POST {V1BETA1}" in out
    assert PRE_GA in " ".join(out.split())
    # A dry run reads (the preflight gate), but creates and uploads nothing.
    assert not [m for m in cloud.faults.calls if m.endswith((".create", ".insert"))], cloud.faults.calls
    status, result = tune.json(*BASE, *HYPER, "--dry-run")
    spec = result["request"]["body"]["reinforcementTuningSpec"]
    assert spec["hyperParameters"] == {
        "epochCount": 2,
        "learningRateMultiplier": 0.5,
        "adapterSize": "ADAPTER_SIZE_FOUR",
        "batchSize": 8,
        "samplesPerPrompt": 4,
        "evaluateInterval": 5,
        "checkpointInterval": 5,
        "maxOutputTokens": 1024,
        "thinkingLevel": "MINIMAL",
    }
    assert spec["singleRewardConfig"]["rewardName"] == "exact_answer"
    assert spec["validationDatasetUri"].startswith(f"gs://{DATASETS_BUCKET}/datasets/sha256/")
    assert PRE_GA in result["warnings"][0]


def test_launch_creates_one_v1beta1_job_that_status_wait_and_list_follow(
    tune: TuneCli, cloud: Any, vertex_server: VertexServer
) -> None:
    status, result = tune.json(*BASE, *HYPER, "--skip-preflight", "--yes")
    assert status == 0, result
    assert result["outcome"] == "created" and result["request"]["url"] == V1BETA1
    (job,) = vertex_server.tuning_jobs.values()
    sent = {
        k: v for k, v in job.items() if k not in {"name", "state", "createTime", "updateTime", "experiment"}
    }
    assert wire(sent) == wire(result["request"]["body"])  # the dry run's body is what was sent

    status, again = tune.json(*BASE, *HYPER, "--skip-preflight", "--yes")
    assert status == 0 and again["outcome"] == "existing" and len(vertex_server.tuning_jobs) == 1

    with Ticker(cloud):
        status, waited = tune.json("tune", "wait", result["run_id"], "--poll-interval", "0.01")
    assert status == 0 and waited["state"] == "SUCCEEDED"
    status, shown = tune.json("tune", "status", result["run_id"])
    assert status == 0 and shown["state"] == "SUCCEEDED"
    status, listed = tune.json("tune", "list")
    (row,) = listed["runs"]
    assert row["state"] == "SUCCEEDED" and row["seen_in_api"] is True and row["estimate"] is None


def test_a_reinforcement_job_can_be_cancelled(tune: TuneCli, cloud: Any, vertex_server: VertexServer) -> None:
    vertex_server.running_ticks = 10_000  # still running when the cancel arrives
    status, result = tune.json(*BASE, "--steps", "20", "--skip-preflight", "--yes")
    assert status == 0, result
    (job,) = vertex_server.tuning_jobs.values()
    assert job["reinforcementTuningSpec"]["hyperParameters"] == {"stepCount": "20"}
    with Ticker(cloud):
        status, cancelled = tune.json("tune", "cancel", result["run_id"], "--yes", "--poll-interval", "0.01")
    assert status == 0, cancelled
    assert vertex_server.tuning_jobs[job["name"]]["state"] == "JOB_STATE_CANCELLED"


def test_the_reward_is_part_of_the_run_id(tune: TuneCli, tmp_path: Path) -> None:
    _, exact = tune.json(*BASE, "--dry-run")
    composite = [a if a != REWARD else str(ARITHMETIC / "reward-composite.yaml") for a in BASE]
    _, other = tune.json(*composite, "--dry-run")
    assert exact["run_id"] != other["run_id"]


def test_preflight_gates_a_reinforcement_launch_on_its_unknown_price(
    tune: TuneCli, vertex_server: VertexServer
) -> None:
    status, _out, err = tune(*BASE, "--yes")
    assert status == 1 and "error[preflight-unknown]" in err
    assert "gemini-reinforcement-tuning:gemini-3.5-flash is unknown" in err
    assert vertex_server.tuning_jobs == {}


@pytest.mark.parametrize(
    ("extra", "code", "where"),
    [
        (("--beta", "0.1"), "option-not-applicable", "--beta"),
        (("--thinking-budget", "1024"), "thinking-budget-not-supported", "--thinking-budget"),
        (("--thinking-level", "high", "--thinking-budget", "0"), "thinking-both", "--thinking-budget"),
        (("--epochs", "1", "--steps", "5"), "epochs-and-steps", "--steps"),
        (("--region", "europe-west4"), "region-not-supported", "us-central1 only"),
        (("--learning-rate-multiplier", "5"), "bad-hyperparameter", "[0.25, 4.0]"),
        (("--batch-size", "10", "--samples-per-prompt", "3"), "batch-samples-invalid", "multiple of 16"),
    ],
)
def test_options_the_service_would_not_take_are_refused(
    tune: TuneCli, cloud: Any, extra: tuple[str, ...], code: str, where: str
) -> None:
    status, _out, err = tune(*BASE, *extra, "--dry-run")
    assert status == 2 and f"error[{code}]" in err and where in err, err
    assert cloud.faults.calls == {}


def test_reinforcement_options_on_other_methods_are_refused(tune: TuneCli) -> None:
    supervised = (
        "tune", "launch", "--engine", "gemini", "--base-model", "gemini-3.5-flash", "--dry-run",
        "--train", str(SAMPLES / "sarcasm-generation" / "train.jsonl"),
    )  # fmt: skip
    for extra, flag in (
        (("--reward-config", REWARD), "--reward-config"),
        (("--samples-per-prompt", "4"), "--samples-per-prompt"),
        (("--steps", "10"), "--steps"),
    ):
        status, _out, err = tune(*supervised, *extra)
        assert status == 2 and flag in err, err
    status, _out, err = tune(*BASE[:-2], "--dry-run", "--train", str(ARITHMETIC / "train.jsonl"))
    assert status == 0  # BASE carries its reward config
    no_reward = [a for a in BASE if a not in {"--reward-config", REWARD}]
    status, _out, err = tune(*no_reward, "--dry-run")
    assert status == 2 and "error[reward-config-missing]" in err and "reward test" in err


def test_a_model_without_reinforcement_tuning_is_refused(tune: TuneCli) -> None:
    args = [a if a != "gemini-3.5-flash" else "gemini-3.5-flash-lite" for a in BASE]
    status, _out, err = tune(*args, "--dry-run")
    assert status == 2 and "error[method-not-supported]" in err and "not reinforcement" in err


def test_the_rlhf_pipeline_has_no_reinforcement_method(tune: TuneCli) -> None:
    status, _out, err = tune(
        "tune", "launch", "--engine", "rlhf-pipeline", "--method", "reinforcement", "--base-model",
        "t5-small", "--accelerator", "tpu", "--dry-run",
        "--train", str(SAMPLES / "sarcasm-preference" / "train.jsonl"),
    )  # fmt: skip
    assert status == 2 and "error[option-not-applicable]" in err and "--method" in err


def test_a_dataset_that_is_not_reinforcement_data_stops_the_launch(tune: TuneCli, cloud: Any) -> None:
    args = [
        a if a != str(ARITHMETIC / "train.jsonl") else str(SAMPLES / "sarcasm-generation" / "train.jsonl")
        for a in BASE
    ]
    status, _out, err = tune(*args, "--skip-preflight", "--yes")
    assert status == 1 and "error[dataset-invalid]" in err and "wrong-kind" in err
    assert f"--kind reinforcement --reward-config {REWARD}" in " ".join(err.split())
    assert not [m for m in cloud.faults.calls if m.endswith((".create", ".insert"))]


def test_the_dry_run_plans_googles_steps_for_the_hyperparameters_it_sends(tune: TuneCli) -> None:
    status, result = tune.json(*BASE, *HYPER, "--dry-run")
    plan = result["estimate"]["plan"]
    assert status == 0 and plan["total_steps"] == 10 and plan["batch_size"] == 8  # 2 x 40 / 8
    assert plan["reinforcement"]["responses_sampled"] == 10 * 8 * 4
    assert {c["name"]: c["status"] for c in result["preflight"]["checks"]}["reward"] == "ok"
