"""Turning the user's files into what an engine reads: validated, converted, digested.

Managed Gemini tuning reads Gemini-style JSONL; the rlhf pipeline reads the article's style plus a
prompt dataset. Files in the other style are converted (ops.datasets) into a temporary directory;
digests are of the bytes the job will see, which is what the run id and the upload path use.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ops.errors import ExitStatus, TunectlError
from ops.tuning.spec import Engine, Hyperparameters, LaunchRequest, Method, dataset_kind, explain_kind
from ops.tuning.upload import sha256_file

if TYPE_CHECKING:
    from ops.datasets.validate import FileReport
    from ops.planning.reinforcement import Knobs
    from ops.preflight.gate import PreflightReport
    from ops.preflight.max_cost import MaxCost
    from ops.settings import Settings


@dataclass(frozen=True)
class Prepared:
    role: str  # train | validation | prompt | eval
    source: str  # what the user gave (path or gs:// URI)
    local: Path | None  # the bytes to upload; None when the source is already in Cloud Storage
    sha256: str
    examples: int | None
    uri: str | None = None  # set for gs:// sources, which are used in place
    # The source's validation report, reused by the plan and preflight so each file is read once.
    report: FileReport | None = None


def _count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for line in handle if line.strip())


def _validate(
    source: str,
    settings: Settings,
    kind: str,
    base_model: str | None,
    training: str | None = None,
    reward_config: str | None = None,
    explain: Callable[[str, str], str] | None = None,
) -> FileReport:
    """Refuse to launch on a dataset with errors (ops.datasets, issue 6): Vertex AI would find them
    only after the job started and billed. A reinforcement dataset is checked against the reward
    config too: every `references` key a reward reads is in every example."""
    from ops.datasets.validate import validate_command, validate_file

    references = None
    if reward_config is not None:
        from ops.datasets.reinforcement import required_references

        references = required_references(reward_config)
    report = validate_file(
        source,
        kind=kind,
        base_model=base_model,
        settings=settings,
        validation_of=training,
        references=references,
        explain_kind=explain,
    )
    if not report.valid:
        first = report.errors[0]
        raise TunectlError(
            "dataset-invalid",
            f"{source} has {len(report.errors)} error(s), so nothing was launched; first: "
            f"{first.code} at line {first.line}: {first.message}",
            where=source,
            hint=f"run {validate_command(source, kind=kind, training=training, reward_config=reward_config)} "
            "for the full report",
            status=ExitStatus.CHECK_FAILED,
        )
    return report


def _convert(source: str, to: str, out: Path, settings: Settings) -> Path:
    from ops.datasets.convert import convert_file

    convert_file(source, out, to=to, settings=settings)
    return out


def _derive_prompts(preference: Path, out: Path) -> Path:
    """The rlhf pipeline's prompt dataset, from the preference set's prompts (first occurrence order)."""
    seen: dict[str, None] = {}
    with preference.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                seen.setdefault(json.loads(line)["input_text"], None)
    out.write_text(
        "".join(json.dumps({"input_text": p}, ensure_ascii=False) + "\n" for p in seen), encoding="utf-8"
    )
    return out


def _check_prompts(prompts: str, settings: Settings) -> None:
    """The pipeline's prompt dataset (`{"input_text": ...}` lines): every dataset check, as
    `tunectl dataset validate --kind prompt` runs them."""
    if not prompts.startswith("gs://") and not Path(prompts).is_file():
        raise TunectlError(
            "dataset-not-found",
            f"{prompts} does not exist",
            where="--prompts",
            hint='give the path of the prompt dataset (JSONL of {"input_text": ...}) or its gs:// URI',
        )
    _validate(prompts, settings, "prompt", None)


def _gcs_source(role: str, uri: str, settings: Settings) -> Prepared:
    """A gs:// dataset is used where it is; its digest comes from the object's CRC32C and generation."""
    from ops.clients import storage_client
    from ops.cloud_errors import call_with_retry
    from ops.tuning.timeouts import request_timeout_seconds

    if not uri.endswith(".jsonl"):
        raise TunectlError(
            "dataset-not-jsonl",
            "Vertex AI reads only .jsonl objects",
            where=uri,
            hint="convert it with `tunectl dataset convert` and upload the .jsonl, or pass the local file",
        )
    bucket, _, name = uri.removeprefix("gs://").partition("/")
    client = storage_client(settings)
    blob = call_with_retry(
        lambda: client.bucket(bucket).get_blob(name, retry=None, timeout=request_timeout_seconds()),
        what=f"reading {uri}",
    )
    if blob is None:
        raise TunectlError(
            "dataset-not-found",
            f"{uri} does not exist",
            where=uri,
            hint=f"check the object name (`gcloud storage ls gs://{bucket}/`) and the project you read it as",
            status=ExitStatus.CLOUD_API,
        )
    return Prepared(role, uri, None, f"gcs-{blob.crc32c}-{blob.generation}", None, uri=uri)


def _prepare_one(
    role: str,
    source: str,
    target_style: str | None,
    kind: str,
    request: LaunchRequest,
    settings: Settings,
    tmp: Path,
) -> Prepared:
    # Model limits are per Gemini model; the pipeline's T5 models have none in the table.
    base_model = request.base_model if request.engine is Engine.gemini else None
    training = request.train if role in {"validation", "eval"} else None
    if not source.startswith("gs://") and not Path(source).is_file():
        raise TunectlError(
            "dataset-not-found",
            f"{source} does not exist",
            where=source,
            hint="give a local JSONL path (relative to the current directory) or a gs:// URI",
        )
    reward = request.reward_config if request.method is Method.reinforcement else None
    explain = explain_kind(request.engine.value, request.method.value)
    report = _validate(source, settings, kind, base_model, training, reward, explain)
    style = report.style  # the file's format (palm | gemini) decides the conversion
    # A kind with one format only (reinforcement) is used as written.
    target = style if target_style is None else target_style
    if style == target and source.startswith("gs://"):
        return replace(_gcs_source(role, source, settings), report=report)  # used in place
    local = Path(source)
    if style != target:
        # A gs:// source in the other style is streamed down converted, and uploaded like a local file.
        local = _convert(source, str(target), tmp / f"{role}.{target}.jsonl", settings)
    return Prepared(role, source, local, sha256_file(local), _count_lines(local), report=report)


def source_reports(prepared: list[Prepared]) -> list[FileReport]:
    """The training report first, then the validation (gemini) or evaluation (pipeline) one."""
    by_role = {p.role: p for p in prepared}
    ordered = [by_role.get(role) for role in ("train", "validation", "eval")]
    return [p.report for p in ordered if p is not None and p.report is not None]


def prepare_datasets(request: LaunchRequest, settings: Settings, tmp: Path) -> list[Prepared]:
    kind = dataset_kind(request.engine, request.method)
    if request.engine is Engine.gemini:
        # Reinforcement datasets have one format (prompts with `references`): nothing to convert.
        style = None if request.method is Method.reinforcement else "gemini"
        out = [_prepare_one("train", request.train, style, kind, request, settings, tmp)]
        if request.validation:
            out.append(_prepare_one("validation", request.validation, style, kind, request, settings, tmp))
        return out
    train = _prepare_one("train", request.train, "palm", kind, request, settings, tmp)
    out = [train]
    if request.prompts:
        prompts = request.prompts
        _check_prompts(prompts, settings)
        if prompts.startswith("gs://"):
            out.append(_gcs_source("prompt", prompts, settings))
        else:
            path = Path(prompts)
            out.append(Prepared("prompt", prompts, path, sha256_file(path), _count_lines(path)))
    elif train.local is not None:
        derived = _derive_prompts(train.local, tmp / "prompt.jsonl")
        out.append(
            Prepared(
                "prompt",
                f"{request.train} (input_text)",
                derived,
                sha256_file(derived),
                _count_lines(derived),
            )
        )
    else:
        raise TunectlError(
            "prompts-missing",
            "a gs:// preference dataset needs --prompts (the prompt dataset)",
            where="--prompts",
            hint="pass --prompts gs://.../prompts.jsonl, or give the preference file locally: its prompts "
            "are then derived from it",
        )
    if request.validation:
        out.append(_prepare_one("eval", request.validation, "palm", kind, request, settings, tmp))
    return out


def plan_launch(
    request: LaunchRequest, prepared: list[Prepared], settings: Settings
) -> tuple[Hyperparameters, dict[str, Any]]:
    """The plan (ops.planning.plan, issue 6) for exactly what will be launched, and its cost estimate.

    The rlhf pipeline counts steps: --epochs (1 when neither is given) becomes the plan's total steps
    at the accelerator's batch size, so the run launched is the run that was priced.
    """
    from ops.planning.plan import plan_run
    from ops.planning.prices import load_price_table

    hp = request.hyperparameters
    by_role = {p.role: p for p in prepared}
    train = by_role["train"]
    validation = by_role.get("validation")
    prices = load_price_table()
    gemini = request.engine is Engine.gemini
    accelerator = request.accelerator.value if request.accelerator else None
    plan = plan_run(
        engine=request.engine.value,
        train=str(train.local or train.uri),
        validation=str(validation.local or validation.uri) if validation else None,
        base_model=request.base_model if gemini else None,
        epochs=hp.epochs,
        steps=hp.steps,
        accelerator=accelerator,
        prices=prices,
        settings=settings,
        reports=[r for r in (train.report, validation.report if validation else None) if r is not None],
        method=request.method.value,
        knobs=_knobs(hp),
    )
    if request.method is Method.reinforcement:
        entry = prices.reinforcement_tuning(str(request.base_model))
    elif gemini:
        entry = prices.tuning_per_million_tokens(str(request.base_model))
    else:
        entry = prices.pipeline_hourly(str(accelerator))
    cost = plan.estimated_cost
    estimate = {
        "amount": cost.amount if cost else None,
        "currency": cost.currency if cost else None,
        "price_table_id": entry.table if entry else None,
        "plan": plan.as_json(),
    }
    if not gemini and hp.steps is None:
        hp = replace(hp, steps=plan.total_steps, epochs=None)
    return hp, estimate


def _knobs(hp: Hyperparameters) -> Knobs:
    """The hyperparameters a reinforcement plan depends on, as the plan and the gate both take them."""
    from ops.planning.reinforcement import Knobs

    return Knobs(hp.batch_size, hp.samples_per_prompt, hp.max_output_tokens)


def gate(
    settings: Settings,
    request: LaunchRequest,
    region: str,
    prepared: list[Prepared],
    max_cost: MaxCost | None,
) -> PreflightReport:
    """Go/no-go (ops.preflight.gate) for exactly this launch; read-only, so a dry run calls it too."""
    from ops.preflight.gate import run_preflight

    return run_preflight(
        settings,
        train=request.train,
        validation=request.validation,
        engine=request.engine.value,
        accelerator=request.accelerator.value if request.accelerator else None,
        region=region,
        base_model=request.base_model,
        epochs=request.hyperparameters.epochs,
        steps=request.hyperparameters.steps,
        method=request.method.value,
        reward_config=request.reward_config,
        knobs=_knobs(request.hyperparameters),
        allow_unknown=request.allow_unknown + (("model",) if request.allow_unknown_model else ()),
        max_cost=max_cost,
        reports=source_reports(prepared),
    )


def enforce(report: PreflightReport) -> None:
    """Anything but go stops the launch before anything is uploaded (exit 1)."""
    if report.go:
        return
    blocking = [c for c in report.checks if c.status == "no"] + report.unknown
    failing = [f"{c.name}: {c.reason}" for c in blocking]
    verdict = report.verdict.value
    waivable = sorted({c.kind for c in report.unknown if c.kind})
    hint = (
        "fix what it names; --allow-unknown "
        + " / ".join(waivable)
        + " goes on past an unknown on purpose, --skip-preflight skips the checks"
        if verdict == "unknown" and waivable
        else "fix what it names, or pass --skip-preflight to launch anyway"
    )
    raise TunectlError(
        f"preflight-{verdict}",
        f"preflight says {verdict}, so nothing was launched: " + "; ".join(failing),
        hint=hint,
        status=ExitStatus.CHECK_FAILED,
    )
