"""The Vertex test server refuses PipelineJobs Vertex AI cannot run: parameters that are not the
pipeline's inputs, of the wrong type or missing, and templates from anywhere but the Template
Registry (tests/cloud/pipeline_contract.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.cloud.harness import Cloud
from tests.cloud.pipeline_contract import check_pipeline_job, parameter_problems
from tests.cloud.server import ApiError
from tests.cloud.vertex import VertexServer

PARENT = "projects/tunectl-test/locations/us-central1"
TEMPLATE = "https://us-central1-kfp.pkg.dev/tunectl-test/tunectl-pipelines/rlhf-pipeline/latest"
SPEC: dict[str, Any] = {
    "pipelineInfo": {"name": "rlhf"},
    "schemaVersion": "2.1.0",
    "root": {
        "dag": {"tasks": {}},
        "inputDefinitions": {
            "parameters": {
                "prompt_dataset": {"parameterType": "STRING"},
                "reward_model_train_steps": {"parameterType": "NUMBER_INTEGER", "isOptional": True},
                "kl_coeff": {"parameterType": "NUMBER_DOUBLE", "isOptional": True},
                "deploy_model": {"parameterType": "BOOLEAN", "isOptional": True},
            }
        },
    },
}
GOOD = {"prompt_dataset": "gs://b/p.jsonl", "reward_model_train_steps": 10, "kl_coeff": 0.1}


def test_good_parameters_fit() -> None:
    assert parameter_problems(GOOD, SPEC) == []
    assert parameter_problems({**GOOD, "reward_model_train_steps": 10.0, "kl_coeff": 1}, SPEC) == []


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({**GOOD, "reward_steps": 10}, "unknown parameter 'reward_steps'"),
        ({"kl_coeff": 0.1}, "required parameter 'prompt_dataset' is missing"),
        ({**GOOD, "reward_model_train_steps": "10"}, "'reward_model_train_steps' must be NUMBER_INTEGER"),
        ({**GOOD, "reward_model_train_steps": 10.5}, "'reward_model_train_steps' must be NUMBER_INTEGER"),
        ({**GOOD, "deploy_model": "false"}, "'deploy_model' must be BOOLEAN"),
        ({**GOOD, "kl_coeff": True}, "'kl_coeff' must be NUMBER_DOUBLE"),
    ],
)
def test_parameters_that_do_not_fit_the_inputs_are_named(values: dict[str, Any], problem: str) -> None:
    assert any(problem in p for p in parameter_problems(values, SPEC))


@pytest.mark.parametrize(
    "uri",
    [
        "gs://bucket/rlhf_pipeline.yaml",
        "https://storage.googleapis.com/bucket/rlhf_pipeline.yaml",
        "https://us-central1-kfp.pkg.dev/p/repo/rlhf-pipeline",  # no tag or digest
    ],
)
def test_a_template_outside_the_template_registry_is_refused(uri: str) -> None:
    with pytest.raises(ApiError, match="Template Registry") as caught:
        check_pipeline_job(
            {"templateUri": uri, "runtimeConfig": {"parameterValues": GOOD}}, {"rlhf-pipeline": SPEC}
        )
    assert caught.value.status == 400


def test_a_registry_template_is_checked_against_its_registered_spec() -> None:
    body = {"templateUri": TEMPLATE, "runtimeConfig": {"parameterValues": GOOD}}
    check_pipeline_job(body, {"rlhf-pipeline": SPEC})
    with pytest.raises(ApiError) as caught:
        check_pipeline_job(body, {})
    assert caught.value.status == 404
    with pytest.raises(ApiError, match="unknown parameter 'x'"):
        check_pipeline_job(
            {**body, "runtimeConfig": {"parameterValues": {**GOOD, "x": 1}}}, {"rlhf-pipeline": SPEC}
        )


def test_the_server_answers_a_string_for_an_integer_with_400(cloud: Cloud, pipeline_client: Any) -> None:
    from google.api_core.exceptions import BadRequest
    from google.cloud.aiplatform_v1 import PipelineJob

    job = PipelineJob(
        display_name="rlhf",
        pipeline_spec=SPEC,
        runtime_config={
            "gcs_output_directory": "gs://tuning/pipeline-root",
            "parameter_values": {**GOOD, "reward_model_train_steps": "10"},
        },
    )
    with pytest.raises(BadRequest, match="must be NUMBER_INTEGER"):
        pipeline_client.create_pipeline_job(parent=PARENT, pipeline_job=job)
    assert cloud.get(VertexServer).pipeline_jobs == {}
