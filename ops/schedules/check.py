"""The launch gate for a schedule's next firing, run before it fires (from CI or cron).

A firing skips everything `tune launch` guarantees: it POSTs the body the stack wrote at `pulumi up`.
So this runs the launch checks on that body: it keeps the v1 API's schema, Scheduler will not retry
it, its model is still tunable, its datasets exist (and validate), the region is allowed, quota is
enough, the budget has headroom for the run's estimate (the checks of `ops.preflight.gate`, reused),
and no job of an earlier firing is still running (firings must not overlap). Each check is ok, no or
unknown; any `no` is a no-go, else any `unknown` is unknown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ops.errors import TunectlError
from ops.preflight.gate import CheckStatus, PreflightCheck

if TYPE_CHECKING:
    from ops.preflight.budget import SpendLookup
    from ops.schedules.api import Schedule
    from ops.settings import Settings

# What a pipeline body's parameters name each dataset (Google's rlhf_pipeline inputs).
PIPELINE_DATASETS = ("prompt_dataset", "preference_dataset", "eval_dataset")
GO, NO_GO, UNKNOWN = "go", "no-go", "unknown"


@dataclass(frozen=True)
class ScheduleCheck:
    schedule: Schedule
    checks: tuple[PreflightCheck, ...]
    paused_by_check: bool = False

    @property
    def verdict(self) -> str:
        return verdict_of(self.checks)

    def as_dict(self) -> dict[str, Any]:
        return {
            "schedule": self.schedule.name,
            "job_name": self.schedule.job_name,
            "state": self.schedule.state,
            "next_firing": self.schedule.next_firing,
            "verdict": self.verdict,
            "checks": list(self.checks),
            "paused_by_check": self.paused_by_check,
        }


def verdict_of(checks: tuple[PreflightCheck, ...] | list[PreflightCheck]) -> str:
    statuses = {check.status for check in checks}
    if CheckStatus.no in statuses:
        return NO_GO
    return UNKNOWN if CheckStatus.unknown in statuses else GO


def overall_verdict(results: list[ScheduleCheck]) -> str:
    verdicts = {r.verdict for r in results}
    return NO_GO if NO_GO in verdicts else UNKNOWN if UNKNOWN in verdicts else GO


def _guard(name: str, check: Callable[[], PreflightCheck]) -> PreflightCheck:
    try:
        return check()
    except TunectlError as exc:
        return PreflightCheck(name, CheckStatus.unknown, f"{exc.code}: {exc.message}")


def api_version(schedule: Schedule) -> str:
    """The API version the schedule posts to (`/v1beta1/...` for reinforcement tuning, else v1)."""
    path = urlsplit(schedule.target_uri).path.strip("/").split("/")
    return path[0] if path and path[0] in {"v1", "v1beta1"} else "v1"


def tuning_spec(body: dict[str, Any]) -> dict[str, Any]:
    """The TuningJob's method spec, whichever method it is."""
    for key in ("supervisedTuningSpec", "preferenceOptimizationSpec", "reinforcementTuningSpec"):
        if isinstance(body.get(key), dict):
            spec: dict[str, Any] = body[key]
            return spec
    return {}


def body_check(schedule: Schedule) -> PreflightCheck:
    """The body against the REST schema of the version it is posted to, plus what a create needs
    that the schema leaves optional."""
    from ops.schedules.schema import body_problems

    name = "request body"
    kind = "TuningJob" if schedule.engine == "gemini" else "PipelineJob"
    version = api_version(schedule)
    problems = body_problems(schedule.engine, schedule.body, version)
    body = schedule.body
    if schedule.engine == "gemini":
        spec = tuning_spec(body)
        if not spec.get("trainingDatasetUri"):
            problems.append("body: no tuning spec with a trainingDatasetUri")
    elif not (body.get("templateUri") or body.get("pipelineSpec")):
        problems.append("body: neither templateUri nor pipelineSpec")
    if problems:
        return PreflightCheck(
            name, CheckStatus.no, f"Vertex AI would reject this {kind}: {'; '.join(problems)}"
        )
    return PreflightCheck(name, CheckStatus.ok, f"a valid {version} {kind} create request")


def retry_check(schedule: Schedule) -> PreflightCheck:
    """A Scheduler job that retries can turn one firing into two jobs (see infra/schedules.py)."""
    if schedule.retry_count == 0:
        return PreflightCheck("no retries", CheckStatus.ok, "Scheduler sends the firing once (retryCount 0)")
    return PreflightCheck(
        "no retries",
        CheckStatus.no,
        f"Scheduler retries a failed firing {schedule.retry_count} time(s): a create whose answer was "
        "lost would start a second job; set retryCount 0 (`pulumi up` with this tunectl's stack does)",
    )


def dataset_uris(schedule: Schedule) -> dict[str, str]:
    """Role -> gs:// URI of every dataset the body names."""
    body = schedule.body
    if schedule.engine == "gemini":
        spec = tuning_spec(body)
        found = {"train": spec.get("trainingDatasetUri"), "validation": spec.get("validationDatasetUri")}
    else:
        params = (body.get("runtimeConfig") or {}).get("parameterValues") or {}
        found = {role: params.get(role) for role in PIPELINE_DATASETS}
    return {role: str(uri) for role, uri in found.items() if uri}


def datasets_present(settings: Settings, uris: dict[str, str]) -> PreflightCheck:
    """Every dataset is an object in Cloud Storage (one metadata read each, no download)."""
    from ops.clients import storage_client
    from ops.cloud_errors import call_with_retry
    from ops.datasets.source import split_gs_uri

    name = "datasets present"
    client = storage_client(settings)
    missing = []
    for role, uri in uris.items():
        if not uri.startswith("gs://"):
            missing.append(f"{role} {uri} is not a gs:// URI")
            continue
        bucket, blob = split_gs_uri(uri)

        def read(bucket: str = bucket, blob: str = blob) -> Any:
            return client.bucket(bucket).get_blob(blob)

        if call_with_retry(read, what=f"reading {uri}") is None:
            missing.append(f"{role} {uri} does not exist")
    if missing:
        return PreflightCheck(
            name, CheckStatus.no, "; ".join(missing) + "; upload it before the schedule fires"
        )
    return PreflightCheck(name, CheckStatus.ok, f"{len(uris)} dataset(s) found: {', '.join(uris.values())}")


def overlap_check(settings: Settings, schedule: Schedule) -> PreflightCheck:
    from ops.schedules.status import created_jobs

    running = [job for job in created_jobs(settings, schedule) if not job.terminal]
    if running:
        job = running[0]
        return PreflightCheck(
            "no overlap",
            CheckStatus.no,
            f"run {job.run_id} ({job.name}) of this schedule is still {job.state}; the next firing "
            "would run beside it",
            {"running": [j.name for j in running]},
        )
    return PreflightCheck("no overlap", CheckStatus.ok, "no job of an earlier firing is still running")


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def check_schedule(
    settings: Settings,
    schedule: Schedule,
    *,
    spend_lookup: SpendLookup | None = None,
    today: date | None = None,
) -> ScheduleCheck:
    """The body and dataset checks, `tune launch`'s own preflight on the body's values, and overlap.
    Each check is independent: one failing lookup makes its own line unknown."""
    from ops.planning.reinforcement import Knobs
    from ops.preflight.gate import run_preflight

    body = schedule.body
    params = (body.get("runtimeConfig") or {}).get("parameterValues") or {}
    uris = dataset_uris(schedule)
    run: dict[str, Any]
    if schedule.engine == "gemini":
        spec = tuning_spec(body)
        hyper = spec.get("hyperParameters") or {}
        run = {
            "train": uris.get("train", ""),
            "validation": uris.get("validation"),
            "region": schedule.target_region,
            "base_model": body.get("baseModel"),
            "epochs": _int(hyper.get("epochCount")),
        }
        if "reinforcementTuningSpec" in body:
            # The reward travels in the body: preflight checks it and the `references` it reads.
            reward = {k: v for k, v in spec.items() if k in ("singleRewardConfig", "compositeRewardConfig")}
            run |= {
                "method": "reinforcement",
                "steps": _int(hyper.get("stepCount")),
                "reward": reward,
                "knobs": Knobs(
                    _int(hyper.get("batchSize")),
                    _int(hyper.get("samplesPerPrompt")),
                    _int(hyper.get("maxOutputTokens")),
                ),
            }
    else:
        # The pipeline learns its reward model from the preference data: that is what is planned.
        run = {
            "train": uris.get("preference_dataset", ""),
            "accelerator": str(params.get("accelerator_type") or "TPU").lower(),
            "steps": _int(params.get("reinforcement_learning_train_steps")),
        }
    checks = [_guard("request body", lambda: body_check(schedule)), retry_check(schedule)]
    present = _guard("datasets present", lambda: datasets_present(settings, uris))
    checks.append(present)
    preflight = run_preflight(
        settings, engine=schedule.engine, spend_lookup=spend_lookup, today=today, **run
    ).checks
    if present.status is not CheckStatus.ok:
        # Validating a dataset that is not there says nothing more than the line above.
        preflight = tuple(
            PreflightCheck(c.name, CheckStatus.unknown, "not validated: a dataset is missing")
            if c.name == "dataset"
            else c
            for c in preflight
        )
    checks.extend(preflight)
    checks.append(_guard("no overlap", lambda: overlap_check(settings, schedule)))
    return ScheduleCheck(schedule, tuple(checks))
