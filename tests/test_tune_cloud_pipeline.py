"""`tune launch` on the rlhf-pipeline engine: a PipelineJob on each accelerator, checked by the local
Vertex AI server against the discovery document, with the billing id read back into the ledger."""

from __future__ import annotations

from typing import Any

import pytest

from ops.ledger import Ledger
from tests.cloud.vertex import VertexServer
from tests.tune_fixtures import (  # noqa: F401 - fixtures
    PIPELINE_BUCKET,
    SAMPLES,
    SERVICE_ACCOUNT,
    Ticker,
    TuneCli,
    pipeline_cache_fixture,
    tune_fixture,
)

PREFERENCE = SAMPLES / "sarcasm-preference"


@pytest.mark.parametrize(("accelerator", "region"), [("tpu", "europe-west4"), ("gpu", "us-central1")])
def test_rlhf_run_on_each_accelerator(
    tune: TuneCli,
    cloud: Any,
    vertex_server: VertexServer,
    accelerator: str,
    region: str,
) -> None:
    status, result = tune.json(
        "tune", "launch", "--engine", "rlhf-pipeline", "--accelerator", accelerator,
        "--base-model", "t5-small", "--train", str(PREFERENCE / "train.jsonl"),
        "--prompts", str(PREFERENCE / "prompts.jsonl"),
        "--validation", str(PREFERENCE / "eval.jsonl"), "--epochs", "2", "--skip-preflight", "--yes",
    )  # fmt: skip
    assert status == 0, result
    (job,) = vertex_server.pipeline_jobs.values()
    assert job["name"] == f"projects/tunectl-test/locations/{region}/pipelineJobs/tunectl-{result['run_id']}"
    params = job["runtimeConfig"]["parameterValues"]
    batch = {"tpu": 24, "gpu": 8}[accelerator]
    steps = 2 * -(-42 // batch)  # 42 preference examples, 2 epochs
    assert params["accelerator_type"] == accelerator.upper() and params["location"] == region
    assert params["reinforcement_learning_train_steps"] == params["reward_model_train_steps"] == steps
    assert params["large_model_reference"] == "t5-small"
    assert {"prompt_dataset", "preference_dataset", "eval_dataset"} <= set(params)
    assert job["runtimeConfig"]["gcsOutputDirectory"] == f"gs://{PIPELINE_BUCKET}/pipeline-root"
    assert job["serviceAccount"] == SERVICE_ACCOUNT
    assert job["pipelineSpec"]["pipelineInfo"]["name"] == "rlhf-train-template"

    billing = job["labels"]["vertex-ai-pipelines-run-billing-id"]
    assert result["job"]["billing_id"] == billing
    with Ledger(tune.ledger) as ledger:
        record = ledger.get(result["run_id"])
    assert record is not None and record.billing_ids == [billing] and record.region == region

    with Ticker(cloud):
        status, waited = tune.json("tune", "wait", result["run_id"], "--poll-interval", "0.01")
    assert status == 0 and waited["state"] == "SUCCEEDED"


def test_relaunching_a_pipeline_run_finds_it(tune: TuneCli, vertex_server: VertexServer) -> None:
    args = (
        "tune", "launch", "--engine", "rlhf-pipeline", "--accelerator", "tpu", "--base-model", "t5-small",
        "--train", str(PREFERENCE / "train.jsonl"), "--steps", "10", "--skip-preflight", "--yes",
    )  # fmt: skip
    first = tune.json(*args)[1]
    again = tune.json(*args)[1]
    assert (first["outcome"], again["outcome"]) == ("created", "existing")
    assert len(vertex_server.pipeline_jobs) == 1


def test_predict_on_a_pipeline_run_says_it_is_gemini_only(tune: TuneCli) -> None:
    status, result = tune.json(
        "tune", "launch", "--engine", "rlhf-pipeline", "--accelerator", "tpu",
        "--base-model", "t5-small", "--train", str(PREFERENCE / "train.jsonl"), "--skip-preflight", "--yes",
    )  # fmt: skip
    assert status == 0, result
    for command in (("predict", "--prompt", "hi"), ("evaluate", "--eval", str(PREFERENCE / "eval.jsonl"))):
        status, _out, err = tune("tune", command[0], result["run_id"], *command[1:])
        assert status == 2 and "error[predict-not-supported]" in err and "endpoint" in err
