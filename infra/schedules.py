"""Scheduled tuning triggers: Cloud Scheduler HTTP jobs that POST a job body to Vertex AI.

There is no Pulumi resource for a tuning or pipeline job, so each schedule is a `cloudscheduler.Job`
whose body is a TuningJob (engine `gemini`) or PipelineJob (engine `rlhf-pipeline`) in the v1 REST
shape; a reinforcement TuningJob (Pre-GA) exists only in v1beta1, so it is posted to the v1beta1 URL.
Every body carries the schedule's name and the stack's name as labels, so `tunectl schedules`,
`tune list` and the cost reconciliation can tell which firing of which stack made which job.

Safe by construction: Cloud Scheduler never retries a create (`retryCount: 0`), and a schedule is
paused until its config says `paused: false`.
"""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_gcp as gcp

from infra.config import EnvironmentConfig, GeminiSchedule, RlhfSchedule, reward_api
from ops.tuning.labels import (
    ENGINE_LABEL,
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
    SCHEDULE_LABEL,
    STACK_LABEL,
    label_problem,
)

OAUTH_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
_ADAPTER_SIZES = {1: "ONE", 2: "TWO", 4: "FOUR", 8: "EIGHT", 16: "SIXTEEN", 32: "THIRTY_TWO"}
# Scheduler's own deadline for the HTTP call; creating a job answers in seconds.
ATTEMPT_DEADLINE = "180s"
# Cloud Scheduler never retries a create. A create whose answer is lost (deadline, network) may have
# started the job anyway, and a retry would start, and bill, a second one; Google documents that
# duplicates come from exactly such retries and lost acknowledgements
# (https://docs.cloud.google.com/scheduler/docs/configuring/deduplicate-job-requests, read
# 2026-12-02), and Vertex AI has no request id to deduplicate a tuningJobs.create. A missed firing is
# visible (`tunectl schedules status` shows the failed attempt), a duplicate job is not.
RETRY_COUNT = 0


def api_version(schedule: GeminiSchedule | RlhfSchedule) -> str:
    """v1, except reinforcement tuning, which only v1beta1 has."""
    reinforcement = isinstance(schedule, GeminiSchedule) and schedule.method == "reinforcement"
    return "v1beta1" if reinforcement else "v1"


def vertex_url(config: EnvironmentConfig, collection: str, version: str = "v1") -> str:
    return (
        f"https://{config.region}-aiplatform.googleapis.com/{version}/projects/{config.project}"
        f"/locations/{config.region}/{collection}"
    )


def dataset_uri(config: EnvironmentConfig, value: str) -> str:
    """A gs:// URI as given, or a path inside the stack's datasets bucket."""
    return value if value.startswith("gs://") else f"gs://{config.datasets_bucket_name}/{value.lstrip('/')}"


def label_value(text: str) -> str:
    """`text` as a label value: Pulumi stack names may hold capitals, dots and `/` (org/project/stack),
    which labels do not allow; keep the last path part, lowercase it, map the rest to `-`."""
    tail = text.rsplit("/", 1)[-1].lower()
    value = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "-" for c in tail)[:63]
    assert label_problem(STACK_LABEL, value) is None, value
    return value


def body_labels(
    config: EnvironmentConfig, name: str, engine: str, extra: Mapping[str, str]
) -> dict[str, str]:
    return {
        **config.labels,
        **extra,
        MANAGED_BY_LABEL: MANAGED_BY_VALUE,
        ENGINE_LABEL: engine,
        SCHEDULE_LABEL: name,
        STACK_LABEL: label_value(config.stack),
    }


def tuning_job_body(
    config: EnvironmentConfig, name: str, schedule: GeminiSchedule, service_account: str
) -> dict[str, Any]:
    """A TuningJob (projects.locations.tuningJobs.create request body): v1, or v1beta1 for
    reinforcement tuning."""
    if schedule.method == "reinforcement":
        return _reinforcement_body(config, name, schedule, service_account)
    hyper: dict[str, Any] = {}
    if schedule.epochs is not None:
        hyper["epochCount"] = str(schedule.epochs)  # int64 travels as a string in JSON
    if schedule.learning_rate_multiplier is not None:
        hyper["learningRateMultiplier"] = schedule.learning_rate_multiplier
    if schedule.adapter_size is not None:
        hyper["adapterSize"] = f"ADAPTER_SIZE_{_ADAPTER_SIZES[schedule.adapter_size]}"
    if schedule.beta is not None:
        hyper["beta"] = schedule.beta
    spec: dict[str, Any] = {"trainingDatasetUri": dataset_uri(config, schedule.training_dataset)}
    if schedule.validation_dataset:
        spec["validationDatasetUri"] = dataset_uri(config, schedule.validation_dataset)
    if hyper:
        spec["hyperParameters"] = hyper
    spec_key = "supervisedTuningSpec" if schedule.method == "supervised" else "preferenceOptimizationSpec"
    body: dict[str, Any] = {
        "baseModel": schedule.base_model,
        "tunedModelDisplayName": schedule.tuned_model_display_name or f"{config.resource_prefix}-{name}",
        "description": schedule.description or f"tunectl schedule {name}",
        spec_key: spec,
        "labels": body_labels(config, name, "gemini", schedule.labels),
        "serviceAccount": service_account,
    }
    if config.kms_key_name:
        body["encryptionSpec"] = {"kmsKeyName": config.kms_key_name}
    return body


def _reinforcement_body(
    config: EnvironmentConfig, name: str, schedule: GeminiSchedule, service_account: str
) -> dict[str, Any]:
    """A v1beta1 TuningJob with `reinforcementTuningSpec`: the reward file's object as written, and
    the hyperparameters in the spec's camelCase (int64 counts as strings, as JSON carries them)."""
    values = {
        "epochCount": str(schedule.epochs) if schedule.epochs is not None else None,
        "stepCount": str(schedule.steps) if schedule.steps is not None else None,
        "learningRateMultiplier": schedule.learning_rate_multiplier,
        "adapterSize": f"ADAPTER_SIZE_{_ADAPTER_SIZES[schedule.adapter_size]}"
        if schedule.adapter_size
        else None,
        "batchSize": schedule.batch_size,
        "samplesPerPrompt": schedule.samples_per_prompt,
        "thinkingLevel": schedule.thinking_level,
        "thinkingBudget": schedule.thinking_budget,
        "maxOutputTokens": schedule.max_output_tokens,
        "evaluateInterval": schedule.evaluate_interval,
        "checkpointInterval": schedule.checkpoint_interval,
    }
    spec: dict[str, Any] = {"trainingDatasetUri": dataset_uri(config, schedule.training_dataset)}
    if schedule.validation_dataset:
        spec["validationDatasetUri"] = dataset_uri(config, schedule.validation_dataset)
    hyper = {key: value for key, value in values.items() if value is not None}
    if hyper:
        spec["hyperParameters"] = hyper
    spec.update(reward_api(schedule))
    body: dict[str, Any] = {
        "baseModel": schedule.base_model,
        "tunedModelDisplayName": schedule.tuned_model_display_name or f"{config.resource_prefix}-{name}",
        "description": schedule.description or f"tunectl schedule {name}",
        "reinforcementTuningSpec": spec,
        "labels": body_labels(config, name, "gemini", schedule.labels),
        "serviceAccount": service_account,
    }
    if config.kms_key_name:
        body["encryptionSpec"] = {"kmsKeyName": config.kms_key_name}
    return body


def pipeline_job_body(
    config: EnvironmentConfig, name: str, schedule: RlhfSchedule, service_account: str
) -> dict[str, Any]:
    """A v1 PipelineJob for Google's RLHF pipeline, run from a template in the Vertex Template Registry.

    Vertex AI v1 takes `templateUri` only from the Template Registry (an Artifact Registry KFP
    repository, `https://<region>-kfp.pkg.dev/...`), not from gs://. The default is the `latest` tag
    of the kfp-compiled `rlhf_pipeline` in the stack's own repository (`python -m infra.rlhf_template
    --upload`, see infra/README.md): a scheduled run changes only when we upload a new version.
    """
    params: dict[str, Any] = {
        "prompt_dataset": dataset_uri(config, schedule.prompt_dataset),
        "preference_dataset": dataset_uri(config, schedule.preference_dataset),
        "large_model_reference": schedule.large_model_reference,
        "model_display_name": f"{config.resource_prefix}-{name}",
        "project": config.project,
        "location": config.region,
        "accelerator_type": config.accelerator_of(schedule),
        "deploy_model": schedule.deploy_model,
    }
    optional = {
        "eval_dataset": schedule.eval_dataset and dataset_uri(config, schedule.eval_dataset),
        "reward_model_train_steps": schedule.reward_model_train_steps,
        "reinforcement_learning_train_steps": schedule.reinforcement_learning_train_steps,
        "reward_model_learning_rate_multiplier": schedule.reward_model_learning_rate_multiplier,
        "reinforcement_learning_rate_multiplier": schedule.reinforcement_learning_rate_multiplier,
        "kl_coeff": schedule.kl_coeff,
        "instruction": schedule.instruction,
        "encryption_spec_key_name": config.kms_key_name or None,
    }
    params.update({key: value for key, value in optional.items() if value is not None})
    body: dict[str, Any] = {
        "displayName": f"{config.resource_prefix}-{name}",
        "templateUri": schedule.template_uri or config.rlhf_template_uri,
        "runtimeConfig": {
            "gcsOutputDirectory": f"{config.pipeline_root}/{name}",
            "parameterValues": params,
        },
        "labels": body_labels(config, name, "rlhf-pipeline", schedule.labels),
        "serviceAccount": service_account,
    }
    if config.kms_key_name:
        body["encryptionSpec"] = {"kmsKeyName": config.kms_key_name}
    return body


def encode_body(body: Mapping[str, Any]) -> str:
    """Cloud Scheduler wants the HTTP body base64-encoded."""
    return base64.b64encode(json.dumps(body, sort_keys=True).encode()).decode()


def encoded_body(
    config: EnvironmentConfig, name: str, schedule: GeminiSchedule | RlhfSchedule, service_account: str
) -> str:
    if isinstance(schedule, GeminiSchedule):
        return encode_body(tuning_job_body(config, name, schedule, service_account))
    return encode_body(pipeline_job_body(config, name, schedule, service_account))


def scheduled_jobs(
    config: EnvironmentConfig,
    *,
    caller: gcp.serviceaccount.Account,
    runner: gcp.serviceaccount.Account,
    parent: pulumi.Resource,
    depends_on: list[pulumi.Resource],
) -> dict[str, gcp.cloudscheduler.Job]:
    jobs = {}
    for name, schedule in config.schedules.items():
        collection = "tuningJobs" if isinstance(schedule, GeminiSchedule) else "pipelineJobs"
        body = runner.email.apply(functools.partial(encoded_body, config, name, schedule))
        url = vertex_url(config, collection, api_version(schedule))
        jobs[name] = gcp.cloudscheduler.Job(
            f"schedule-{name}",
            name=f"{config.resource_prefix}-{name}",
            project=config.project,
            region=config.region,
            description=schedule.description or f"tunectl: {schedule.engine} tuning on {schedule.cron}",
            schedule=schedule.cron,
            time_zone=schedule.time_zone,
            paused=schedule.paused,
            attempt_deadline=ATTEMPT_DEADLINE,
            http_target={
                "uri": url,
                "http_method": "POST",
                "body": body,
                "headers": {"Content-Type": "application/json"},
                # OAuth (not OIDC): *.googleapis.com accepts only OAuth access tokens.
                "oauth_token": {"service_account_email": caller.email, "scope": OAUTH_SCOPE},
            },
            # Never retried: see RETRY_COUNT. Explicit although it is Scheduler's default, so the
            # policy pack (scheduler-job-no-retry) can tell.
            retry_config={"retry_count": RETRY_COUNT},
            opts=pulumi.ResourceOptions(parent=parent, depends_on=depends_on),
        )
    return jobs
