"""Schedules POST TuningJob / PipelineJob bodies that the Vertex AI API accepts: v1, and v1beta1 for
reinforcement tuning."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest

from infra.config import parse_config
from infra.offline import plan_stack_with_outputs
from infra.schedules import (
    OAUTH_SCOPE,
    SCHEDULE_LABEL,
    STACK_LABEL,
    label_value,
    pipeline_job_body,
    tuning_job_body,
)
from tests.cloud.versions import VersionedContract, beta
from tests.infra_fixtures import decoded_body, example_plan, of_type

CREATE = {
    "tuningJobs": "aiplatform.projects.locations.tuningJobs.create",
    "pipelineJobs": "aiplatform.projects.locations.pipelineJobs.create",
    "reinforcement": beta("aiplatform.projects.locations.tuningJobs.create"),
}
SCHEDULES = {
    "gpu": {"weekly-sft": "tuningJobs", "monthly-rlhf": "pipelineJobs", "weekly-rl": "reinforcement"},
    "tpu": {"nightly-rlhf": "pipelineJobs", "weekly-preference": "tuningJobs"},
}


@pytest.fixture(scope="module")
def vertex() -> VersionedContract:
    return VersionedContract("aiplatform", "v1", ["v1beta1"])


def _jobs() -> list[tuple[str, dict[str, Any]]]:
    return [
        (stack, job)
        for stack in SCHEDULES
        for job in of_type(example_plan(stack), "gcp:cloudscheduler/job:Job")
    ]


def _violations(vertex: VersionedContract, uri: str, body: dict[str, Any]) -> tuple[str, list[str]]:
    path = urlsplit(uri).path
    for route in vertex.routes():
        params = route.match("POST", path)
        if params is not None:
            return route.method_id, [str(v) for v in vertex.check_request(route, params, {}, body)]
    raise AssertionError(f"no aiplatform v1 or v1beta1 method serves POST {path}")


@pytest.mark.parametrize(("stack", "job"), _jobs(), ids=lambda v: v if isinstance(v, str) else v["name"])
def test_schedule_body_is_a_valid_create_request_for_its_engine(
    stack: str, job: dict[str, Any], vertex: VersionedContract
) -> None:
    name = job["name"].removeprefix("schedule-")
    target = job["inputs"]["httpTarget"]
    method_id, violations = _violations(vertex, target["uri"], decoded_body(job))
    assert method_id == CREATE[SCHEDULES[stack][name]], job["urn"]
    assert violations == [], f"{job['urn']}: " + "; ".join(violations)


@pytest.mark.parametrize(("stack", "job"), _jobs(), ids=lambda v: v if isinstance(v, str) else v["name"])
def test_schedule_calls_its_region_with_an_oauth_token_of_the_scheduler_account(
    stack: str, job: dict[str, Any]
) -> None:
    region = {"gpu": "us-central1", "tpu": "europe-west4"}[stack]
    inputs = job["inputs"]
    target = inputs["httpTarget"]
    assert inputs["region"] == region
    version = (
        "v1beta1" if SCHEDULES[stack][job["name"].removeprefix("schedule-")] == "reinforcement" else "v1"
    )
    assert target["uri"].startswith(
        f"https://{region}-aiplatform.googleapis.com/{version}/projects/tunectl-{stack}-example/locations/{region}/"
    )
    assert target["httpMethod"] == "POST"
    assert target["headers"] == {"Content-Type": "application/json"}
    assert target["oauthToken"] == {
        "serviceAccountEmail": f"tunectl-scheduler@tunectl-{stack}-example.iam.gserviceaccount.com",
        "scope": OAUTH_SCOPE,
    }
    assert "oidcToken" not in target
    # A retried create can start a second job: Scheduler never retries (see infra/schedules.py).
    assert inputs["retryConfig"] == {"retryCount": 0}, job["urn"]


@pytest.mark.parametrize(("stack", "job"), _jobs(), ids=lambda v: v if isinstance(v, str) else v["name"])
def test_every_body_names_its_schedule_and_runs_as_the_tuning_account(
    stack: str, job: dict[str, Any]
) -> None:
    body = decoded_body(job)
    assert body["labels"][SCHEDULE_LABEL] == job["name"].removeprefix("schedule-")
    assert body["labels"][STACK_LABEL] == stack
    assert body["labels"]["managed-by"] == "tunectl"
    assert body["labels"]["team"] == "ml-platform"
    assert body["serviceAccount"] == f"tunectl-tuning@tunectl-{stack}-example.iam.gserviceaccount.com"


def test_relative_dataset_paths_resolve_into_the_stacks_datasets_bucket() -> None:
    job = next(
        j
        for j in of_type(example_plan("gpu"), "gcp:cloudscheduler/job:Job")
        if j["name"] == "schedule-weekly-sft"
    )
    spec = decoded_body(job)["supervisedTuningSpec"]
    assert spec["trainingDatasetUri"] == "gs://tunectl-gpu-example-tunectl-datasets/support/train.jsonl"
    assert spec["hyperParameters"] == {
        "epochCount": "3",
        "learningRateMultiplier": 1.0,
        "adapterSize": "ADAPTER_SIZE_FOUR",
    }


def test_preference_schedule_uses_the_preference_optimization_spec_with_beta() -> None:
    job = next(
        j
        for j in of_type(example_plan("tpu"), "gcp:cloudscheduler/job:Job")
        if j["name"] == "schedule-weekly-preference"
    )
    body = decoded_body(job)
    assert "supervisedTuningSpec" not in body
    assert body["preferenceOptimizationSpec"]["hyperParameters"]["beta"] == 0.1


def test_rlhf_body_runs_the_pinned_template_on_the_regions_accelerator() -> None:
    jobs = {
        j["name"]: decoded_body(j)
        for s in SCHEDULES
        for j in of_type(example_plan(s), "gcp:cloudscheduler/job:Job")
    }
    gpu, tpu = jobs["schedule-monthly-rlhf"], jobs["schedule-nightly-rlhf"]
    assert (
        gpu["templateUri"]
        == "https://us-central1-kfp.pkg.dev/tunectl-gpu-example/tunectl-pipelines/rlhf-pipeline/latest"
    )
    assert gpu["runtimeConfig"]["parameterValues"]["accelerator_type"] == "GPU"
    assert tpu["runtimeConfig"]["parameterValues"]["accelerator_type"] == "TPU"
    assert (
        tpu["runtimeConfig"]["gcsOutputDirectory"]
        == "gs://tunectl-tpu-example-tunectl-pipelines/pipeline-root/nightly-rlhf"
    )
    assert gpu["runtimeConfig"]["parameterValues"]["deploy_model"] is False


def test_rlhf_parameter_names_are_inputs_of_googles_rlhf_pipeline() -> None:
    from infra.rlhf_template import pipeline_parameters  # imports the pipeline components (~3 s)

    config = parse_config(
        {
            "region": "us-central1",  # CMEK: the RLHF pipeline takes a key only for GPU in us-central1
            "kmsKeyName": "projects/p/locations/us-central1/keyRings/r/cryptoKeys/k",
            "schedules": {
                "all-params": {
                    "engine": "rlhf-pipeline", "cron": "0 1 * * *", "promptDataset": "p.jsonl",
                    "preferenceDataset": "gs://b/pref.jsonl", "largeModelReference": "t5-small",
                    "acceleratorType": "GPU",
                    "evalDataset": "e.jsonl", "rewardModelTrainSteps": 10,
                    "reinforcementLearningTrainSteps": 10,
                    "rewardModelLearningRateMultiplier": 1.0, "reinforcementLearningRateMultiplier": 1.0,
                    "klCoeff": 0.1, "instruction": "Summarize.", "deployModel": True,
                }
            },
        },
        project="tunectl-test",
        stack="test",
    )  # fmt: skip
    schedule = config.schedules["all-params"]
    body = pipeline_job_body(config, "all-params", schedule, "sa@tunectl-test.iam.gserviceaccount.com")  # type: ignore[arg-type]
    assert set(body["runtimeConfig"]["parameterValues"]) <= pipeline_parameters()
    assert body["encryptionSpec"] == {
        "kmsKeyName": "projects/p/locations/us-central1/keyRings/r/cryptoKeys/k"
    }


def test_cmek_reaches_the_tuning_job_body(vertex: VersionedContract) -> None:
    config = parse_config(
        {
            "region": "us-central1",
            "kmsKeyName": "projects/p/locations/us-central1/keyRings/r/cryptoKeys/k",
            "schedules": {
                "s1": {
                    "engine": "gemini",
                    "cron": "0 1 * * *",
                    "baseModel": "gemini-3.5-flash",
                    "trainingDataset": "t.jsonl",
                }
            },
        },
        project="tunectl-test",
        stack="test",
    )
    body = tuning_job_body(config, "s1", config.schedules["s1"], "sa@x.iam.gserviceaccount.com")  # type: ignore[arg-type]
    assert body["encryptionSpec"]["kmsKeyName"].endswith("/cryptoKeys/k")
    uri = "https://us-central1-aiplatform.googleapis.com/v1/projects/tunectl-test/locations/us-central1/tuningJobs"
    assert _violations(vertex, uri, body)[1] == []


# Vertex AI v1 takes templateUri only from the Template Registry: an Artifact Registry KFP repository.
_TEMPLATE_URI = re.compile(
    r"^https://(?P<region>[a-z0-9-]+)-kfp\.pkg\.dev/(?P<project>[^/]+)/(?P<repo>[^/]+)"
    r"/(?P<package>[^/]+)/(?P<ref>[A-Za-z0-9_.-]+|sha256:[0-9a-f]+)$"
)


@pytest.mark.parametrize("stack", sorted(SCHEDULES))
def test_rlhf_template_uri_is_in_the_kfp_repository_the_stack_creates(stack: str) -> None:
    resources, outputs = plan_stack_with_outputs(stack)
    (repository,) = of_type(resources, "gcp:artifactregistry/repository:Repository")
    repo = repository["inputs"]
    assert repo["format"] == "KFP"
    registry = f"https://{repo['location']}-kfp.pkg.dev/{repo['project']}/{repo['repositoryId']}"
    assert outputs["template_registry"] == registry
    rlhf = [
        decoded_body(j)
        for j in of_type(resources, "gcp:cloudscheduler/job:Job")
        if SCHEDULES[stack][j["name"].removeprefix("schedule-")] == "pipelineJobs"
    ]
    assert rlhf
    for body in rlhf:
        match = _TEMPLATE_URI.match(body["templateUri"])
        assert match, body["templateUri"]
        assert body["templateUri"] == f"{registry}/rlhf-pipeline/latest"
        assert match["region"] == body["runtimeConfig"]["parameterValues"]["location"]


def test_the_uploaded_template_is_named_like_the_schedules_package() -> None:
    from infra.config import RLHF_TEMPLATE_PACKAGE, RLHF_TEMPLATE_TAG
    from infra.rlhf_template import REGISTRY_URL

    config = parse_config({"region": "us-central1"}, project="tunectl-test", stack="test")
    assert REGISTRY_URL.match(config.template_registry_url)
    assert config.rlhf_template_uri == (
        f"{config.template_registry_url}/{RLHF_TEMPLATE_PACKAGE}/{RLHF_TEMPLATE_TAG}"
    )


def test_a_schedule_may_pin_its_own_template_uri() -> None:
    pinned = "https://us-central1-kfp.pkg.dev/other-project/templates/rlhf-pipeline/sha256:0123abcd"
    config = parse_config(
        {
            "region": "us-central1",
            "schedules": {
                "pinned": {
                    "engine": "rlhf-pipeline",
                    "cron": "0 1 * * *",
                    "promptDataset": "p.jsonl",
                    "preferenceDataset": "q.jsonl",
                    "largeModelReference": "t5-small",
                    "templateUri": pinned,
                }
            },
        },
        project="tunectl-test",
        stack="test",
    )
    body = pipeline_job_body(config, "pinned", config.schedules["pinned"], "sa@x.iam.gserviceaccount.com")  # type: ignore[arg-type]
    assert body["templateUri"] == pinned


@pytest.mark.parametrize("stack", sorted(SCHEDULES))
def test_rlhf_schedules_train_inside_the_stacks_residency(stack: str) -> None:
    """The pipeline trains where its accelerator lives: the EU (tpu) stack's must be TPU."""
    for job in of_type(example_plan(stack), "gcp:cloudscheduler/job:Job"):
        body = decoded_body(job)
        if "runtimeConfig" in body:
            expected = {"gpu": "GPU", "tpu": "TPU"}[stack]
            assert body["runtimeConfig"]["parameterValues"]["accelerator_type"] == expected


@pytest.mark.parametrize(("stack", "job"), _jobs(), ids=lambda v: v if isinstance(v, str) else v["name"])
def test_example_schedules_are_paused_until_enabled_deliberately(stack: str, job: dict[str, Any]) -> None:
    assert job["inputs"]["paused"] is True, job["urn"]


def test_a_schedule_is_paused_unless_its_config_says_otherwise() -> None:
    schedule = {
        "engine": "gemini",
        "cron": "0 3 * * 1",
        "baseModel": "gemini-3.5-flash",
        "trainingDataset": "t.jsonl",
    }
    config = parse_config(
        {"region": "us-central1", "schedules": {"aa": schedule, "bb": {**schedule, "paused": False}}},
        project="tunectl-test",
        stack="dev",
    )
    assert config.schedules["aa"].paused is True
    assert config.schedules["bb"].paused is False


def test_retry_count_is_no_longer_a_config_key_and_the_error_says_why() -> None:
    from infra.config import ConfigError

    schedule = {
        "engine": "gemini",
        "cron": "0 3 * * 1",
        "baseModel": "gemini-3.5-flash",
        "trainingDataset": "t.jsonl",
    }
    with pytest.raises(ConfigError) as caught:
        parse_config(
            {"region": "us-central1", "schedules": {"aa": {**schedule, "retryCount": 2}}},
            project="tunectl-test",
            stack="dev",
        )
    assert caught.value.key == "tunectl:schedules.aa.retryCount"
    assert "never lets Cloud Scheduler retry" in caught.value.hint


@pytest.mark.parametrize(
    ("stack", "label"),
    [("gpu", "gpu"), ("Prod.EU", "prod-eu"), ("acme/tunectl/staging_2", "staging_2"), ("x" * 80, "x" * 63)],
)
def test_the_stack_label_is_a_valid_label_value_whatever_the_stack_name(stack: str, label: str) -> None:
    assert label_value(stack) == label
