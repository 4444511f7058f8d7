"""`tune launch`: dataset -> validate/convert -> plan -> upload -> create job (once) -> ledger."""

from __future__ import annotations

import json
import re
import sqlite3
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ops.errors import ExitStatus, TunectlError
from ops.ledger import Ledger, RunRecord
from ops.tuning import prepare
from ops.tuning.jobs import JobBackend, JobView
from ops.tuning.labels import RUN_ID_LABEL, run_labels
from ops.tuning.once import keep_oldest, run_lock
from ops.tuning.rules import refuse_what_the_service_rejects
from ops.tuning.runs import record_from_job
from ops.tuning.spec import (
    DatasetRef,
    Engine,
    LaunchRequest,
    LaunchSpec,
    Method,
    pipeline_region,
)
from ops.tuning.stack import StackOutputs, placeholder_outputs, read_stack_outputs
from ops.tuning.upload import Upload, object_uri

if TYPE_CHECKING:
    from ops.settings import Settings

PLACEHOLDER_PROJECT = "PROJECT_ID"


@dataclass
class LaunchResult:
    run_id: str
    engine: str
    region: str
    dry_run: bool
    outcome: str  # dry-run | created | existing
    request: dict[str, Any]
    labels: dict[str, str]
    datasets: list[dict[str, Any]]
    estimate: dict[str, Any] | None = None
    job: JobView | None = None
    uploads: list[dict[str, Any]] = field(default_factory=list)
    placeholders: list[str] = field(default_factory=list)
    preflight: dict[str, Any] | None = None
    gate: dict[str, Any] | None = None  # what the ledger records: verdict, waivers, or skipped
    accelerator: str | None = None  # rlhf-pipeline: what the catalog says it trains on
    cancelled_duplicates: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Shown before the question (and in a dry run): e.g. Google's Pre-GA data warning.
    warnings: list[str] = field(default_factory=list)


def _region(request: LaunchRequest, settings: Settings, stack: StackOutputs) -> str:
    if request.engine is Engine.rlhf_pipeline:
        assert request.accelerator is not None
        return pipeline_region(request.accelerator, request.region)
    return request.region or stack.region or settings.region


_KMS_KEY = re.compile(r"projects/[^/]+/locations/([^/]+)/keyRings/[^/]+/cryptoKeys/[^/]+")


def _check_kms_key(key: str | None, region: str) -> None:
    """Vertex AI takes a CMEK key only from the job's own region, and says so only after the
    datasets are up: check it before anything is sent."""
    if key is None:
        return
    match = _KMS_KEY.fullmatch(key)
    if match is None:
        raise TunectlError(
            "kms-key-invalid",
            f"{key!r} is not a Cloud KMS key name",
            where="--kms-key or the stack output kms_key",
            hint="projects/PROJECT/locations/REGION/keyRings/RING/cryptoKeys/KEY",
        )
    if match.group(1) != region:
        raise TunectlError(
            "kms-key-region",
            f"the CMEK key is in {match.group(1)}; a tuning job in {region} needs a key in {region}",
            where="--kms-key or the stack output kms_key",
            hint=f"create the key ring in {region}, or launch in {match.group(1)} (--region)",
        )


def _resolve_request(request: LaunchRequest) -> LaunchRequest:
    if not request.base_model:
        hint = (
            "e.g. --base-model t5-large (t5-small, t5-large, t5-xl or t5-xxl)"
            if request.engine is Engine.rlhf_pipeline
            else "name a tunable Gemini model, e.g. --base-model gemini-3.5-flash (`tunectl models list`)"
        )
        raise TunectlError("base-model-missing", "--base-model is required", where="--base-model", hint=hint)
    if request.engine is Engine.rlhf_pipeline:
        if request.method is Method.reinforcement:
            from ops.tuning.reinforcement import refuse_unsent_reinforcement_options

            refuse_unsent_reinforcement_options(request)
        if request.method is not Method.preference:
            request = replace(request, method=Method.preference)  # RLHF learns from preferences only
        if request.accelerator is None:
            from ops.models.catalog import pipeline_regions, rlhf_base_models

            # Which accelerator tunes which base model, from the catalog (a model is tuned in some regions).
            options = "; ".join(
                f"--accelerator {name} ({region}): "
                + ", ".join(m for m, row in rlhf_base_models().items() if region in row["regions"])
                for name, region in pipeline_regions().items()
            )
            raise TunectlError(
                "accelerator-missing",
                "the rlhf pipeline needs --accelerator gpu (us-central1) or tpu (europe-west4)",
                where="--accelerator",
                hint=options,
            )
    elif request.accelerator is not None:
        raise TunectlError(
            "accelerator-not-supported",
            "managed Gemini tuning chooses its own accelerators",
            where="--accelerator",
            hint="drop --accelerator, or use --engine rlhf-pipeline",
        )
    if (
        request.engine is Engine.gemini
        and request.method is not Method.reinforcement  # reinforcement tuning takes stepCount
        and request.hyperparameters.steps is not None
    ):
        raise TunectlError(
            "steps-not-supported",
            "managed Gemini supervised and preference tuning take --epochs, not --steps",
            where="--steps",
        )
    return request


Confirm = Callable[["LaunchResult"], None]


def launch(
    settings: Settings, ledger: Ledger, request: LaunchRequest, confirm: Confirm | None = None
) -> LaunchResult:
    """Refuse what the service would reject, prepare, price and gate the run, then (unless a dry run)
    ask `confirm` (which raises to stop), upload, create once and record.

    A dry run stops after the gate: it never asks, uploads or creates anything.
    """
    from ops.preflight.max_cost import parse_max_cost

    request = _resolve_request(request)
    max_cost = parse_max_cost(request.max_cost)
    placeholders: list[str] = []
    if request.dry_run and settings.stack_outputs is None:
        stack = placeholder_outputs()
        placeholders.append("stack outputs (datasets bucket, pipeline root, service account)")
    else:
        stack = read_stack_outputs(settings.stack_outputs)
    project = settings.project
    if project is None:
        if not request.dry_run:
            settings.require_project()
        project = PLACEHOLDER_PROJECT
        placeholders.append(f"project ({PLACEHOLDER_PROJECT})")
    region = _region(request, settings, stack)
    kms_key = request.kms_key or stack.kms_key
    _check_kms_key(kms_key, region)
    refuse_what_the_service_rejects(request, kms_key, region)
    reward = None
    if request.method is Method.reinforcement:
        from ops.tuning.reinforcement import PRE_GA_WARNING, reward_for

        reward = reward_for(request)

    with tempfile.TemporaryDirectory(prefix="tunectl-launch-") as tmp:
        prepared = prepare.prepare_datasets(request, settings, Path(tmp))
        refs = tuple(
            DatasetRef(
                p.role, p.uri or object_uri(stack.datasets_bucket, p.sha256), p.sha256, p.source, p.examples
            )
            for p in prepared
        )
        hp, estimate = prepare.plan_launch(request, prepared, settings)
        spec = LaunchSpec(
            engine=request.engine,
            method=request.method,
            base_model=str(request.base_model),
            region=region,
            hyperparameters=hp,
            datasets=refs,
            accelerator=request.accelerator,
            display_name=request.display_name,
            user_labels=request.user_labels,
            kms_key=kms_key,
            nonce=datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f") if request.force else None,
            reward=reward,
        )
        run_id = spec.run_id
        labels = run_labels(run_id, request.engine.value, request.user_labels)
        request_preview, pipeline_body = _request(spec, labels, stack, project)
        result = LaunchResult(
            run_id=run_id,
            engine=spec.engine.value,
            region=region,
            dry_run=request.dry_run,
            outcome="dry-run",
            request=request_preview,
            labels=labels,
            datasets=[
                {"role": r.role, "uri": r.uri, "sha256": r.sha256, "source": r.local_path} for r in refs
            ],
            estimate=estimate,
            placeholders=placeholders,
            accelerator=_accelerator_label(request),
        )
        if request.method is Method.reinforcement:
            result.warnings.append(PRE_GA_WARNING)
        if request.dry_run:
            # Read-only: the verdict is shown, never enforced (the exit status stays 0).
            if not request.skip_preflight:
                result.preflight = prepare.gate(settings, request, region, prepared, max_cost).as_dict()
            return result

        from ops.tuning.runs import backend_for

        backend = backend_for(spec.engine.value, settings, region)
        with run_lock(ledger.path, run_id):
            # An existing run is found before preflight: relaunching a run that holds the only tuning
            # slot, or spent the budget, must say "exists", not "no-go".
            existing = backend.find(run_id)
            if existing is not None:
                result.outcome, result.job = "existing", existing
                _record(ledger, spec, labels, existing, estimate, source="launch")
                return result

            gate_record: dict[str, Any] = {"skipped": True}
            if not request.skip_preflight:
                report = prepare.gate(settings, request, region, prepared, max_cost)
                result.preflight = report.as_dict()
                prepare.enforce(report)
                gate_record = {
                    "verdict": report.verdict.value,
                    "waived": [c.name for c in report.waived_checks],
                    "allow_unknown": list(report.waived),
                }
            result.gate = gate_record
            if confirm is not None:
                confirm(result)

            result.uploads = _upload(settings, stack, prepared)
            job = _create(backend, spec, labels, stack, pipeline_body)
            try:
                job = _keep_one(backend, job, result)
                result.outcome, result.job = "created", job
                _record_created(ledger, spec, labels, job, estimate, gate_record)
            except KeyboardInterrupt as exc:  # the job exists and bills: say which, and how to record it
                raise _not_recorded(ledger, job, run_id, "interrupted") from exc
            return result


def _create(
    backend: JobBackend,
    spec: LaunchSpec,
    labels: dict[str, str],
    stack: StackOutputs,
    pipeline_body: dict[str, Any] | None,
) -> JobView:
    if spec.engine is Engine.gemini:
        from ops.tuning.gemini import GeminiJobs

        assert isinstance(backend, GeminiJobs)
        return backend.create(spec, labels, stack.service_account)
    from ops.tuning.pipeline import PipelineJobs

    assert isinstance(backend, PipelineJobs) and pipeline_body is not None
    job = backend.create(pipeline_body, labels[RUN_ID_LABEL])
    # Pipelines assigns the billing label when it accepts the job; read it back.
    return job if job.billing_id is not None else backend.get(job.name)


def _keep_one(backend: JobBackend, job: JobView, result: LaunchResult) -> JobView:
    """After the create: one live job per run (the oldest), the others cancelled and named."""
    try:
        dedupe = keep_oldest(backend, result.run_id, job)
    except TunectlError as exc:
        result.notes.append(f"could not check for duplicate jobs of this run: {exc.message}")
        return job
    result.cancelled_duplicates = dedupe.cancelled
    result.notes.extend(
        f"duplicate job {name} of this run could not be cancelled: cancel it yourself"
        for name in dedupe.failed
    )
    return dedupe.kept


def _accelerator_label(request: LaunchRequest) -> str | None:
    if request.accelerator is None:
        return None
    from ops.models.catalog import accelerator

    row = accelerator(request.accelerator.value)
    return f"{request.accelerator.value} ({row['machine']}, {row['region']})"


def _record_created(
    ledger: Ledger,
    spec: LaunchSpec,
    labels: dict[str, str],
    job: JobView,
    estimate: dict[str, Any] | None,
    gate_record: dict[str, Any],
) -> None:
    """The job exists and bills: a ledger that cannot take the record must not hide it."""
    try:
        _record(ledger, spec, labels, job, estimate, source="launch", preflight=gate_record)
    except (TunectlError, sqlite3.Error) as exc:
        reason = exc.message if isinstance(exc, TunectlError) else type(exc).__name__
        raise _not_recorded(ledger, job, labels[RUN_ID_LABEL], reason) from exc


def _not_recorded(ledger: Ledger, job: JobView, run_id: str, reason: str) -> TunectlError:
    return TunectlError(
        "launch-not-recorded",
        f"job {job.name} was created for run {run_id}, but the ledger could not record it ({reason})",
        where=str(ledger.path),
        hint="`tunectl tune sync` records it from the API; do not launch again before that",
        status=ExitStatus.CHECK_FAILED,
    )


def _request(
    spec: LaunchSpec, labels: dict[str, str], stack: StackOutputs, project: str
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    if spec.engine is Engine.gemini:
        from ops.tuning import gemini

        return gemini.request_preview(spec, labels, stack.service_account, project), None
    from ops.tuning import pipeline

    template = pipeline.compiled_pipeline()
    body = pipeline.pipeline_job_body(
        spec, labels, stack.service_account, stack.pipeline_root, project, template
    )
    return pipeline.request_preview(body, spec, project, template), body


def _upload(
    settings: Settings, stack: StackOutputs, prepared: list[prepare.Prepared]
) -> list[dict[str, Any]]:
    from ops.clients import storage_client
    from ops.tuning.upload import upload_dataset

    client = storage_client(settings)
    done: list[dict[str, Any]] = []
    for item in prepared:
        if item.local is None:
            continue  # already in Cloud Storage
        upload: Upload = upload_dataset(client, stack.datasets_bucket, item.local, item.sha256)
        done.append({"role": item.role, "uri": upload.uri, "bytes": upload.size, "uploaded": upload.uploaded})
    return done


def _record(
    ledger: Ledger,
    spec: LaunchSpec,
    labels: dict[str, str],
    job: JobView,
    estimate: dict[str, Any] | None,
    *,
    source: str,
    preflight: dict[str, Any] | None = None,
) -> RunRecord:
    # What the API reports about the job, plus what only the launcher knows (the data, the estimate).
    record = replace(
        record_from_job(replace(job, run_id=labels[RUN_ID_LABEL]), source=source),
        method=spec.method.value,
        base_model=spec.base_model,
        region=spec.region,
        display_name=spec.display_name,
        datasets=[{"role": d.role, "uri": d.uri, "sha256": d.sha256} for d in spec.datasets],
        parameters=json.loads(json.dumps(spec.identity())),
        labels=labels,
        estimate_amount=estimate.get("amount") if estimate else None,
        estimate_currency=estimate.get("currency") if estimate else None,
        price_table_id=estimate.get("price_table_id") if estimate else None,
        preflight=preflight or {},
    )
    return ledger.merge(record)
