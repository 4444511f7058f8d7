"""The requests each engine would send, built offline: what `--dry-run` prints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ops.errors import TunectlError
from ops.tuning import gemini, pipeline
from ops.tuning.labels import run_labels
from ops.tuning.spec import Accelerator, DatasetRef, Engine, Hyperparameters, LaunchSpec, Method
from tests.tune_fixtures import pipeline_cache_fixture  # noqa: F401 - fixture

SA = "tuning@p.iam.gserviceaccount.com"


def _gemini_spec(method: Method = Method.supervised, **hp: object) -> LaunchSpec:
    return LaunchSpec(
        engine=Engine.gemini,
        method=method,
        base_model="gemini-3.5-flash",
        region="us-central1",
        hyperparameters=Hyperparameters(**hp),  # type: ignore[arg-type]
        datasets=(
            DatasetRef("train", "gs://b/datasets/sha256/aa.jsonl", "aa"),
            DatasetRef("validation", "gs://b/datasets/sha256/bb.jsonl", "bb"),
        ),
        display_name="sarcasm",
        kms_key="projects/p/locations/us-central1/keyRings/r/cryptoKeys/k",
    )


def test_gemini_supervised_request_carries_every_setting() -> None:
    spec = _gemini_spec(epochs=3, learning_rate_multiplier=0.5, adapter_size=4)
    labels = run_labels(spec.run_id, "gemini", {"team": "nlp"})
    request = gemini.request_preview(spec, labels, SA, "p")
    assert (
        request["url"]
        == "https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1/tuningJobs"
    )
    body = request["body"]
    assert body["baseModel"] == "gemini-3.5-flash"
    assert body["supervisedTuningSpec"] == {
        "trainingDatasetUri": "gs://b/datasets/sha256/aa.jsonl",
        "validationDatasetUri": "gs://b/datasets/sha256/bb.jsonl",
        "hyperParameters": {
            "epochCount": 3,
            "learningRateMultiplier": 0.5,
            "adapterSize": "ADAPTER_SIZE_FOUR",
        },
    }
    assert body["labels"] == labels and body["serviceAccount"] == SA
    assert body["tunedModelDisplayName"] == "sarcasm"
    assert body["encryptionSpec"] == {"kmsKeyName": spec.kms_key}


def test_gemini_preference_request_uses_the_preference_spec_with_beta() -> None:
    spec = _gemini_spec(Method.preference, epochs=2, beta=0.1)
    body = gemini.request_preview(spec, run_labels(spec.run_id, "gemini", {}), SA, "p")["body"]
    assert "supervisedTuningSpec" not in body
    assert body["preferenceOptimizationSpec"]["hyperParameters"] == {"epochCount": 2, "beta": 0.1}
    assert body["preferenceOptimizationSpec"]["trainingDatasetUri"].endswith("aa.jsonl")


def _pipeline_spec(accelerator: Accelerator) -> LaunchSpec:
    return LaunchSpec(
        engine=Engine.rlhf_pipeline,
        method=Method.preference,
        base_model="t5-small",
        region="",
        hyperparameters=Hyperparameters(steps=300, learning_rate_multiplier=1.0, kl_coeff=0.1),
        datasets=(
            DatasetRef("train", "gs://b/datasets/sha256/pp.jsonl", "pp"),
            DatasetRef("prompt", "gs://b/datasets/sha256/qq.jsonl", "qq"),
            DatasetRef("eval", "gs://b/datasets/sha256/ee.jsonl", "ee"),
        ),
        accelerator=accelerator,
    )


@pytest.mark.parametrize(
    ("accelerator", "region"), [(Accelerator.tpu, "europe-west4"), (Accelerator.gpu, "us-central1")]
)
def test_pipeline_parameters_match_the_compiled_rlhf_pipeline(
    accelerator: Accelerator,
    region: str,
    pipeline_cache: Path,
) -> None:
    from dataclasses import replace

    spec = replace(_pipeline_spec(accelerator), region=region)
    template = pipeline.compiled_pipeline(pipeline_cache / "tunectl")
    compiled = pipeline.load_pipeline_spec(template)
    declared = compiled["root"]["inputDefinitions"]["parameters"]
    parameters = pipeline.pipeline_parameters(spec, "p")
    assert set(parameters) <= set(declared)
    assert parameters["accelerator_type"] == accelerator.value.upper() and parameters["location"] == region
    assert parameters["reward_model_train_steps"] == parameters["reinforcement_learning_train_steps"] == 300
    labels = run_labels(spec.run_id, "rlhf-pipeline", {})
    body = pipeline.pipeline_job_body(spec, labels, SA, "gs://pipes/root", "p", template)
    assert body["runtimeConfig"]["gcsOutputDirectory"] == "gs://pipes/root"
    assert body["runtimeConfig"]["parameterValues"]["preference_dataset"] == "gs://b/datasets/sha256/pp.jsonl"
    assert body["runtimeConfig"]["parameterValues"]["eval_dataset"] == "gs://b/datasets/sha256/ee.jsonl"
    assert body["serviceAccount"] == SA and body["labels"] == labels
    preview = pipeline.request_preview(body, spec, "p", template)
    assert preview["url"].endswith(f"pipelineJobs?pipelineJobId=tunectl-{spec.run_id}")
    assert len(json.dumps(preview)) < 10_000  # the 190 KB spec is summarised, not printed


def test_a_parameter_the_pipeline_does_not_declare_is_caught(pipeline_cache: Path) -> None:
    compiled = pipeline.load_pipeline_spec(pipeline.compiled_pipeline(pipeline_cache / "tunectl"))
    with pytest.raises(TunectlError) as caught:
        pipeline.check_parameters({"prompt_dataset": "x", "preference_dataset": "y", "bogus": 1}, compiled)
    assert caught.value.code == "pipeline-parameters-mismatch"
    assert "bogus" in caught.value.message and "large_model_reference" in caught.value.message
