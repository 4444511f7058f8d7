"""Managed Gemini tuning (`projects.locations.tuningJobs`) through google-genai in Vertex AI mode."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from ops.clients import vertex_host
from ops.cloud_errors import call_with_retry
from ops.tuning.jobs import JobView, LabelledJobs, create_once, normalize_state
from ops.tuning.labels import RUN_ID_LABEL, billing_id
from ops.tuning.spec import LaunchSpec, Method
from ops.tuning.timeouts import request_timeout_seconds

if TYPE_CHECKING:
    from google.genai import Client
    from google.genai import types as genai_types

    from ops.settings import Settings

ENGINE = "gemini"
_ADAPTER_SIZES = {1: "ONE", 2: "TWO", 4: "FOUR", 8: "EIGHT", 16: "SIXTEEN", 32: "THIRTY_TWO"}


def api_version(spec: LaunchSpec) -> str:
    """v1 for supervised and preference tuning; reinforcement tuning exists only on v1beta1."""
    from ops.tuning import reinforcement

    return reinforcement.API_VERSION if spec.method is Method.reinforcement else "v1"


def _http_options(extra_body: dict[str, Any] | None = None, version: str = "v1") -> genai_types.HttpOptions:
    from google.genai import types

    # google-genai's timeout is in milliseconds; api_version must be repeated because per-request
    # options replace the client's.
    return types.HttpOptions(
        api_version=version, timeout=int(request_timeout_seconds() * 1000), extra_body=extra_body or None
    )


_METHODS = {
    Method.supervised: "SUPERVISED_FINE_TUNING",
    Method.preference: "PREFERENCE_TUNING",
    Method.reinforcement: "REINFORCEMENT_TUNING",
}


def tuning_config(spec: LaunchSpec, labels: dict[str, str], service_account: str) -> Any:
    """The `CreateTuningJobConfig` for a launch.

    google-genai 2.x has no `service_account` in the config although TuningJob has the field, so it
    travels in `http_options.extra_body`, the SDK's documented way to add request fields (as does
    the CMEK key, see below).
    """
    from google.genai import types

    hp = spec.hyperparameters
    validation = spec.dataset("validation")
    extra: dict[str, Any] = {"serviceAccount": service_account}
    if spec.kms_key:
        # `config.encryption_spec` reaches the wire in snake_case (`kms_key_name`), which the REST
        # reference does not name; the documented camelCase travels in extra_body instead.
        extra["encryptionSpec"] = {"kmsKeyName": spec.kms_key}
    method_fields: dict[str, Any] = {"epoch_count": hp.epochs}
    if spec.method is Method.reinforcement:
        from ops.tuning import reinforcement

        method_fields, hyper_extra = reinforcement.hyperparameter_fields(hp)
        # The reward file is already the v1beta1 API object (checked against the discovery schema by
        # ops.reinforcement.config), so it is sent as written rather than re-spelled by the SDK's
        # reward types; so are the hyperparameters the SDK config lacks (stepCount, thinkingBudget).
        rl: dict[str, Any] = dict(spec.reward or {})
        if hyper_extra:
            rl["hyperParameters"] = hyper_extra
        extra["reinforcementTuningSpec"] = rl
    return types.CreateTuningJobConfig(
        method=types.TuningMethod(_METHODS[spec.method]),
        **method_fields,
        learning_rate_multiplier=hp.learning_rate_multiplier,
        adapter_size=(
            types.AdapterSize(f"ADAPTER_SIZE_{_ADAPTER_SIZES[hp.adapter_size]}") if hp.adapter_size else None
        ),
        beta=hp.beta if spec.method is Method.preference else None,
        validation_dataset=types.TuningValidationDataset(gcs_uri=validation.uri) if validation else None,
        tuned_model_display_name=spec.display_name,
        labels=labels,
        http_options=_http_options(extra, api_version(spec)),
    )


def _training_dataset(spec: LaunchSpec) -> Any:
    from google.genai import types

    train = spec.dataset("train")
    assert train is not None
    return types.TuningDataset(gcs_uri=train.uri)


def request_preview(
    spec: LaunchSpec, labels: dict[str, str], service_account: str, project: str
) -> dict[str, Any]:
    """The exact HTTP request `tunings.tune` sends, built by the SDK's own request converter.

    The converter is private to google-genai; using it (rather than re-deriving the JSON) keeps the
    dry run byte-for-byte what the SDK would send, and a test compares it with what the test
    server received.
    """
    from google.genai import _common, tunings, types

    config = tuning_config(spec, labels, service_account)
    params = types._CreateTuningJobParametersPrivate(
        base_model=spec.base_model, training_dataset=_training_dataset(spec), config=config
    )
    body = tunings._CreateTuningJobParametersPrivate_to_vertex(params, None, params)
    body.pop("config", None)
    body = _common.encode_unserializable_types(_common.convert_to_dict(body))
    _common.recursive_dict_update(body, config.http_options.extra_body or {})
    return {
        "method": "POST",
        "url": f"https://{vertex_host(spec.region)}/{api_version(spec)}/projects/{project}"
        f"/locations/{spec.region}/tuningJobs",
        "body": body,
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def job_view(job: genai_types.TuningJob) -> JobView:
    labels = dict(job.labels or {})
    stats: dict[str, Any] = {}
    if job.tuning_data_stats is not None:
        stats = job.tuning_data_stats.model_dump(mode="json", exclude_none=True)
    error = None
    if job.error is not None:
        error = f"{job.error.message or ''} (code {job.error.code})".strip()
    return JobView(
        engine=ENGINE,
        name=job.name or "",
        state=normalize_state(job.state),
        run_id=labels.get(RUN_ID_LABEL),
        display_name=job.tuned_model_display_name,
        base_model=job.base_model,
        labels=labels,
        create_time=_iso(job.create_time),
        start_time=_iso(job.start_time),
        end_time=_iso(job.end_time),
        error=error,
        tuned_model=job.tuned_model.model if job.tuned_model else None,
        endpoint=job.tuned_model.endpoint if job.tuned_model else None,
        billing_id=billing_id(labels),
        stats=stats,
        metrics=_metrics(job),
    )


def _metrics(job: genai_types.TuningJob) -> dict[str, Any]:
    """What Vertex AI says about training progress: the Vertex AI Experiments run that holds the
    per-step metrics, a metrics URI when the API gives one, and the checkpoints (epoch, step)."""
    checkpoints = [
        {"checkpoint_id": c.checkpoint_id, "epoch": c.epoch, "step": c.step}
        for c in (job.tuned_model.checkpoints or [] if job.tuned_model else [])
    ]
    found = {
        "experiment": job.experiment,
        "metrics_uri": getattr(job, "gcs_metrics_uri", None),
        "checkpoints": checkpoints,
    }
    return {key: value for key, value in found.items() if value}


class GeminiJobs(LabelledJobs):
    """Tuning jobs in one region."""

    engine = ENGINE

    def __init__(self, settings: Settings, region: str) -> None:
        from ops.clients import genai_client

        self.region = region
        self.client: Client = genai_client(settings, region)

    def _list(self, filter: str) -> list[JobView]:
        from google.genai import types

        def fetch() -> list[JobView]:
            config = types.ListTuningJobsConfig(filter=filter, page_size=100, http_options=_http_options())
            return [job_view(job) for job in self.client.tunings.list(config=config)]

        return call_with_retry(fetch, what=f"listing tuning jobs in {self.region}")

    def get(self, name: str) -> JobView:
        from google.genai import types

        config = types.GetTuningJobConfig(http_options=_http_options())
        job = call_with_retry(
            lambda: self.client.tunings.get(name=name, config=config), what=f"reading {name}"
        )
        return job_view(job)

    def cancel(self, name: str) -> None:
        from google.genai import types

        config = types.CancelTuningJobConfig(http_options=_http_options())
        # Cancelling twice is harmless, so the call is safe to retry.
        call_with_retry(
            lambda: self.client.tunings.cancel(name=name, config=config), what=f"cancelling {name}"
        )

    def create(self, spec: LaunchSpec, labels: dict[str, str], service_account: str) -> JobView:
        run_id = labels[RUN_ID_LABEL]
        config = tuning_config(spec, labels, service_account)

        def submit() -> JobView:
            with warnings.catch_warnings():
                # google-genai marks `tunings.tune` experimental on every call; the REST API is v1
                # (GA) for supervised and preference tuning (reinforcement tuning is Pre-GA, and
                # `tune launch` says so before it asks).
                warnings.filterwarnings("ignore", message=".*tuning implementation is experimental.*")
                job = self.client.tunings.tune(
                    base_model=spec.base_model, training_dataset=_training_dataset(spec), config=config
                )
            return job_view(job)

        return create_once(
            submit, lambda: self.find(run_id), what=f"creating the tuning job for run {run_id}"
        )
