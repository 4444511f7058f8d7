"""Pipeline RLHF: google-cloud-pipeline-components' `rlhf_pipeline`, compiled with kfp, run as a PipelineJob.

Decision: the job body is built the way `aiplatform.PipelineJob.__init__` builds it (see
`runtime_config`), and created with the GAPIC PipelineService client. `PipelineJob.submit()` would
also check, and create if missing, the pipeline-root bucket through its own storage client on
Google's default endpoint (with a 120 s retry), a side effect on a bucket the stack owns; and
`PipelineJob` needs credentials just to be constructed, which a dry run does not have. The job id is
client-chosen (`tunectl-<run id>`), so repeating a create answers 409 instead of starting a second
pipeline.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ops.atomic import atomic_write_text
from ops.clients import vertex_host
from ops.cloud_errors import call_with_retry
from ops.errors import TunectlError, extra_missing, needs_extra
from ops.tuning.jobs import JobView, LabelledJobs, create_once, normalize_state
from ops.tuning.labels import RUN_ID_LABEL, billing_id
from ops.tuning.spec import Accelerator, LaunchSpec
from ops.tuning.timeouts import request_timeout_seconds

if TYPE_CHECKING:
    from ops.settings import Settings

ENGINE = "rlhf-pipeline"
_CACHE_NAME = "rlhf_pipeline-gcpc{gcpc}-kfp{kfp}.yaml"


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tunectl"


def compiled_pipeline(directory: Path | None = None) -> Path:
    """The compiled rlhf pipeline, cached per library versions (importing GCPC costs seconds)."""
    try:
        versions = {"gcpc": version("google-cloud-pipeline-components"), "kfp": version("kfp")}
    except PackageNotFoundError as exc:
        raise extra_missing("rlhf", "the RLHF pipeline", str(exc.name)) from None
    target = (directory or cache_dir()) / _CACHE_NAME.format(**versions)
    if not target.exists():
        import tempfile

        with needs_extra("rlhf", "the RLHF pipeline"):
            from google_cloud_pipeline_components.preview.llm import rlhf_pipeline
            from kfp import compiler

        from ops.output import working

        with (
            working("compiling the RLHF pipeline (once per library version)"),
            tempfile.TemporaryDirectory() as tmp,
            warnings.catch_warnings(),
        ):
            # GCPC 2.22 still uses kfp's deprecated dsl.Condition: noise for our users, not theirs to fix.
            warnings.simplefilter("ignore", DeprecationWarning)
            out = Path(tmp) / "rlhf.yaml"
            compiler.Compiler().compile(rlhf_pipeline, str(out))
            atomic_write_text(target, out.read_text(encoding="utf-8"))
    return target


def load_pipeline_spec(path: Path) -> dict[str, Any]:
    import yaml

    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(spec, dict)
    return spec


def pipeline_parameters(spec: LaunchSpec, project: str) -> dict[str, Any]:
    """The rlhf_pipeline's runtime parameters for a launch; None means the pipeline's default."""
    hp = spec.hyperparameters
    prompts = spec.dataset("prompt")
    train = spec.dataset("train")
    evaluation = spec.dataset("eval")
    assert prompts is not None and train is not None and spec.accelerator is not None
    values: dict[str, Any] = {
        "prompt_dataset": prompts.uri,
        "preference_dataset": train.uri,
        "large_model_reference": spec.base_model,
        "model_display_name": spec.display_name,
        "reward_model_train_steps": hp.steps,
        "reinforcement_learning_train_steps": hp.steps,
        "reward_model_learning_rate_multiplier": hp.reward_model_learning_rate_multiplier,
        "reinforcement_learning_rate_multiplier": hp.learning_rate_multiplier,
        "kl_coeff": hp.kl_coeff,
        "eval_dataset": evaluation.uri if evaluation else None,
        "accelerator_type": "TPU" if spec.accelerator is Accelerator.tpu else "GPU",
        "location": spec.region,
        "project": project,
        "encryption_spec_key_name": spec.kms_key,
    }
    return {k: v for k, v in values.items() if v is not None}


def check_parameters(parameters: dict[str, Any], pipeline_spec: dict[str, Any]) -> None:
    """Every parameter must exist in the compiled pipeline and every required one must be given."""
    declared = pipeline_spec["root"]["inputDefinitions"]["parameters"]
    unknown = sorted(set(parameters) - set(declared))
    missing = sorted(k for k, d in declared.items() if not d.get("isOptional") and k not in parameters)
    if unknown or missing:
        raise TunectlError(
            "pipeline-parameters-mismatch",
            f"the compiled rlhf pipeline does not match our parameters (unknown: {unknown or 'none'}, "
            f"missing: {missing or 'none'})",
            hint="google-cloud-pipeline-components changed the pipeline's signature; update "
            "ops/tuning/pipeline.py to the installed version",
        )


def runtime_config(
    pipeline_spec: dict[str, Any], pipeline_root: str, parameters: dict[str, Any]
) -> dict[str, Any]:
    """`PipelineJob.RuntimeConfig` as aiplatform's `PipelineRuntimeConfigBuilder.build()` writes it for
    IR schema > 2.0.0 (what kfp 2 compiles): plain `parameterValues`. Written out here because
    importing google.cloud.aiplatform costs ~3 s (and ~40 s on a loaded 2-core machine). The local
    Vertex test server checks the resulting body against the API's discovery document."""
    schema = str(pipeline_spec.get("schemaVersion", "0"))
    if tuple(int(p) for p in schema.split(".")[:2]) <= (2, 0):
        raise TunectlError(
            "pipeline-schema-unsupported",
            f"the compiled pipeline has IR schema {schema}; tunectl submits kfp 2 pipelines (schema > 2.0.0)",
            hint="install the `rlhf` extra's kfp 2 (`pip install 'tunectl[rlhf]'`) and delete the cached "
            "rlhf_pipeline-*.yaml so it is compiled again",
        )
    return {
        "gcsOutputDirectory": pipeline_root,
        "parameterValues": {k: v for k, v in parameters.items() if v is not None},
        "inputArtifacts": {},
    }


def job_id(run_id: str) -> str:
    # Pipeline job ids match [a-z][-a-z0-9]{0,127}; run ids are lowercase hex with a prefix.
    return f"tunectl-{run_id}"


def pipeline_job_body(
    spec: LaunchSpec,
    labels: dict[str, str],
    service_account: str,
    pipeline_root: str,
    project: str,
    template: Path,
) -> dict[str, Any]:
    """The PipelineJob resource (REST JSON), built as `aiplatform.PipelineJob` builds it."""
    pipeline_spec = load_pipeline_spec(template)
    parameters = pipeline_parameters(spec, project)
    check_parameters(parameters, pipeline_spec)
    body: dict[str, Any] = {
        "displayName": spec.display_name or job_id(labels[RUN_ID_LABEL]),
        "pipelineSpec": pipeline_spec,
        "runtimeConfig": runtime_config(pipeline_spec, pipeline_root, parameters),
        "labels": labels,
        "serviceAccount": service_account,
    }
    if spec.kms_key:
        body["encryptionSpec"] = {"kmsKeyName": spec.kms_key}
    return body


def request_preview(body: dict[str, Any], spec: LaunchSpec, project: str, template: Path) -> dict[str, Any]:
    """The create request, with the 190 KB compiled spec replaced by where it is and its digest."""
    run_id = body["labels"][RUN_ID_LABEL]
    shown = dict(body)
    text = template.read_bytes()
    shown["pipelineSpec"] = {
        "$compiled": str(template),
        "sha256": hashlib.sha256(text).hexdigest(),
        "pipelineInfo": body["pipelineSpec"].get("pipelineInfo"),
    }
    return {
        "method": "POST",
        "url": f"https://{vertex_host(spec.region)}/v1/projects/{project}/locations/{spec.region}/pipelineJobs"
        f"?pipelineJobId={job_id(run_id)}",
        "body": shown,
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def _outputs(job: Any) -> tuple[str | None, str | None]:
    """The tuned model and endpoint, from the pipeline's task outputs once it has run."""
    model = endpoint = None
    for task in getattr(job.job_detail, "task_details", []) or []:
        metadata = dict(task.execution.metadata or {}) if task.execution else {}
        model = model or metadata.get("output:model_resource_name") or None
        endpoint = endpoint or metadata.get("output:endpoint_resource_name") or None
    return model, endpoint


def job_view(job: Any) -> JobView:
    labels = dict(job.labels)
    model, endpoint = _outputs(job)
    error = None
    if job.error and (job.error.code or job.error.message):
        error = f"{job.error.message} (code {job.error.code})"
    return JobView(
        engine=ENGINE,
        name=job.name,
        state=normalize_state(job.state.name),
        run_id=labels.get(RUN_ID_LABEL),
        display_name=job.display_name or None,
        base_model=str(dict(job.runtime_config.parameter_values).get("large_model_reference") or "") or None,
        labels=labels,
        create_time=_iso(job.create_time),
        start_time=_iso(job.start_time),
        end_time=_iso(job.end_time),
        error=error,
        tuned_model=model,
        endpoint=endpoint,
        billing_id=billing_id(labels),
    )


class PipelineJobs(LabelledJobs):
    """Pipeline jobs in one region."""

    engine = ENGINE

    def __init__(self, settings: Settings, region: str) -> None:
        from ops.clients import pipeline_service_client

        self.region = region
        self.project = settings.require_project()
        with needs_extra("rlhf", "RLHF pipeline jobs"):
            self.client = pipeline_service_client(settings, region)

    @property
    def parent(self) -> str:
        return f"projects/{self.project}/locations/{self.region}"

    def _list(self, filter: str) -> list[JobView]:
        def fetch() -> list[JobView]:
            pager = self.client.list_pipeline_jobs(
                request={"parent": self.parent, "filter": filter, "page_size": 100},
                timeout=request_timeout_seconds(),
            )
            return [job_view(job) for job in pager]

        return call_with_retry(fetch, what=f"listing pipeline jobs in {self.region}")

    def get(self, name: str) -> JobView:
        job = call_with_retry(
            lambda: self.client.get_pipeline_job(name=name, timeout=request_timeout_seconds()),
            what=f"reading {name}",
        )
        return job_view(job)

    def cancel(self, name: str) -> None:
        call_with_retry(
            lambda: self.client.cancel_pipeline_job(name=name, timeout=request_timeout_seconds()),
            what=f"cancelling {name}",
        )

    def create(self, body: dict[str, Any], run_id: str) -> JobView:
        from google.cloud.aiplatform_v1 import PipelineJob
        from google.protobuf import json_format

        message = PipelineJob()
        json_format.ParseDict(body, PipelineJob.pb(message))
        name = f"{self.parent}/pipelineJobs/{job_id(run_id)}"

        def submit() -> JobView:
            created = self.client.create_pipeline_job(
                parent=self.parent,
                pipeline_job=message,
                pipeline_job_id=job_id(run_id),
                retry=None,  # create_once decides about retries
                timeout=request_timeout_seconds(),
            )
            return job_view(created)

        def find() -> JobView | None:
            # The id is ours, so a direct get is exact where a list by label may lag.
            try:
                return self.get(name)
            except TunectlError as exc:
                if exc.code == "cloud-not-found":
                    return None
                raise

        return create_once(submit, find, what=f"creating the pipeline job for run {run_id}")
