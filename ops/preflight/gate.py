"""Go/no-go before a tuning run: model, dataset, region, quota, budget and cost, each ok, no or unknown.

A check that cannot be made (no project, an API error or timeout, a quota id that does not resolve,
a model the catalog does not know) is `unknown` with the reason, never `ok`. The verdict fails closed:
any `no` is `no-go`; otherwise any unknown that was not waived (`--allow-unknown quota|budget|cost|
model`) is `unknown`; only when every check is `ok` (or a waived unknown) is it `go`.
`tune launch` calls `run_preflight` before it uploads anything.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from ops.errors import TunectlError
from ops.output import plural
from ops.preflight.spend import BUDGET_TIMEZONE

if TYPE_CHECKING:
    from ops.datasets import FileReport
    from ops.datasets.reinforcement import RequiredReferences
    from ops.planning.reinforcement import Knobs
    from ops.preflight.budget import SpendLookup
    from ops.preflight.max_cost import MaxCost
    from ops.settings import Settings


class CheckStatus(StrEnum):
    ok = "ok"
    no = "no"
    unknown = "unknown"


class Verdict(StrEnum):
    go = "go"
    no_go = "no-go"
    unknown = "unknown"


# What `--allow-unknown` can waive: one unknown per kind, on purpose and on the record. A dataset or
# region that cannot be checked is never waivable.
WAIVABLE = ("quota", "budget", "cost", "model")


@dataclass(frozen=True)
class PreflightCheck:
    name: str
    status: CheckStatus
    reason: str
    details: dict[str, Any] = field(default_factory=dict)
    kind: str | None = None  # the --allow-unknown value that waives this check when it is unknown


@dataclass(frozen=True)
class PreflightReport:
    engine: str
    accelerator: str | None
    region: str
    project: str | None
    checks: tuple[PreflightCheck, ...]
    waived: tuple[str, ...] = ()

    def _waived(self, check: PreflightCheck) -> bool:
        return check.status is CheckStatus.unknown and check.kind is not None and check.kind in self.waived

    @property
    def unknown(self) -> list[PreflightCheck]:
        """Unknown checks that were not waived: each one keeps the verdict from being go."""
        return [c for c in self.checks if c.status is CheckStatus.unknown and not self._waived(c)]

    @property
    def waived_checks(self) -> list[PreflightCheck]:
        return [c for c in self.checks if self._waived(c)]

    @property
    def verdict(self) -> Verdict:
        if any(check.status is CheckStatus.no for check in self.checks):
            return Verdict.no_go
        return Verdict.unknown if self.unknown else Verdict.go

    @property
    def go(self) -> bool:
        return self.verdict is Verdict.go

    def by_name(self, name: str) -> PreflightCheck:
        return next(check for check in self.checks if check.name == name)

    def as_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict.value,
            "go": self.go,
            "waived": [c.name for c in self.waived_checks],
            "allow_unknown": list(self.waived),
            "engine": self.engine,
            "accelerator": self.accelerator,
            "region": self.region,
            "project": self.project,
            "checks": list(self.checks),
        }


# The RLHF pipeline chooses its region from the accelerator (ops.tuning.spec.PIPELINE_REGIONS).
PIPELINE_REGIONS = {"tpu": "europe-west4", "gpu": "us-central1"}
ENGINES = ("gemini", "rlhf-pipeline")


def pipeline_region(engine: str, accelerator: str | None, requested: str | None, default: str) -> str:
    if engine == "rlhf-pipeline":
        return PIPELINE_REGIONS[accelerator or "tpu"]
    return requested or default


def _failure(exc: Exception) -> str:
    if isinstance(exc, TunectlError):
        return f"{exc.code}: {exc.message}"
    return f"{type(exc).__name__}: {exc}"


def _guarded(name: str, check: Callable[[], PreflightCheck], kind: str | None = None) -> PreflightCheck:
    """A check that fails to run (an API error, a timeout, anything) is unknown, never ok."""
    try:
        result = check()
    except Exception as exc:  # fail closed: whatever broke, the check is not ok
        return PreflightCheck(name, CheckStatus.unknown, _failure(exc), kind=kind)
    return replace(result, kind=kind)


ACTIVE_TUNING_STATES = frozenset(
    {"JOB_STATE_QUEUED", "JOB_STATE_PENDING", "JOB_STATE_RUNNING", "JOB_STATE_UPDATING"}
)


def quota_checks(
    settings: Settings,
    engine: str,
    accelerator: str | None,
    region: str,
    count_active_jobs: Callable[[], int],
) -> list[PreflightCheck]:
    """One line per quota the engine consumes: the limit in force against what one run needs."""
    from ops.quotas.catalog import CONCURRENT_TUNING_JOBS, tracked_quotas

    if engine == "rlhf-pipeline":
        needed = [
            q
            for q in tracked_quotas().values()
            if q.engine == engine and q.accelerator == (accelerator or "tpu")
        ]
    else:
        needed = [CONCURRENT_TUNING_JOBS]
    names = [f"quota {q.key}" for q in needed]
    if not settings.project:
        return [
            PreflightCheck(n, CheckStatus.unknown, "no project set: quotas cannot be read offline")
            for n in names
        ]
    try:
        from ops.clients import quotas_client
        from ops.quotas import api

        client = quotas_client(settings)
        infos = api.list_quota_infos(client, settings.project)
        preferences = api.list_preferences(client, settings.project)
    except Exception as exc:  # fail closed
        return [PreflightCheck(n, CheckStatus.unknown, _failure(exc)) for n in names]
    from ops.quotas.naming import stack_preference_ids
    from ops.quotas.resolve import resolve_quota
    from ops.quotas.show import build_row

    checks = []
    for quota, name in zip(needed, names, strict=True):
        row = build_row(
            quota,
            region,
            resolve_quota(quota, infos, settings.quota_ids),
            preferences,
            stack_preference_ids(settings),
        )
        details: dict[str, Any] = {
            "quota_id": row.quota_id,
            "resolved_by": row.resolved_by,
            "limit": row.limit,
            "needed": row.required,
        }
        pending = ""
        if row.preference is not None:
            details["preference"] = row.preference
            pending = f"; preference {row.preference.preference_id} is {row.preference.status.value}"
        if row.quota_id is None:
            checks.append(
                PreflightCheck(name, CheckStatus.unknown, f"quota id unresolved: {row.resolution}", details)
            )
        elif row.limit is None:
            checks.append(
                PreflightCheck(
                    name,
                    CheckStatus.unknown,
                    f"{row.quota_id} has no value for {region} in the project's QuotaInfos",
                    details,
                )
            )
        elif quota is CONCURRENT_TUNING_JOBS:
            checks.append(_slot_check(name, row.limit, region, count_active_jobs, details))
        elif row.limit == -1 or row.limit >= row.required:
            checks.append(
                PreflightCheck(
                    name,
                    CheckStatus.ok,
                    f"limit {_value(row.limit)} {row.unit} in {region}, one run needs {row.required}",
                    details,
                )
            )
        else:
            checks.append(
                PreflightCheck(
                    name,
                    CheckStatus.no,
                    f"limit {row.limit} {row.unit} in {region}, one run needs {row.required}{pending}; "
                    f"request it: tunectl quota request {quota.key} --value {row.required} "
                    f"--region {region} ...",
                    details,
                )
            )
    return checks


def _value(limit: int) -> str:
    return "unlimited" if limit == -1 else str(limit)


def _slot_check(
    name: str, limit: int, region: str, count_active_jobs: Callable[[], int], details: dict[str, Any]
) -> PreflightCheck:
    try:
        active = count_active_jobs()
    except Exception as exc:  # fail closed
        return PreflightCheck(
            name, CheckStatus.unknown, f"cannot count running tuning jobs: {_failure(exc)}", details
        )
    details = {**details, "active_jobs": active}
    if limit == -1 or active < limit:
        return PreflightCheck(
            name,
            CheckStatus.ok,
            f"{active} of {_value(limit)} concurrent tuning jobs in use in {region}",
            details,
        )
    return PreflightCheck(
        name,
        CheckStatus.no,
        f"all {limit} concurrent tuning job slots in {region} are in use ({active} active); "
        "wait for one to finish",
        details,
    )


def count_active_tuning_jobs(settings: Settings, region: str) -> int:
    """Tuning jobs holding a concurrent-job slot, via google-genai's `tunings.list` (Vertex AI v1)."""
    from ops.clients import genai_client
    from ops.cloud_errors import call_with_retry

    client = genai_client(settings, region)

    def count() -> int:
        jobs = client.tunings.list(config={"page_size": 100})
        return sum(
            1 for job in jobs if job.state is not None and str(job.state.value) in ACTIVE_TUNING_STATES
        )

    return call_with_retry(count, what=f"listing tuning jobs in {region}")


def budget_check(
    settings: Settings, estimate: Decimal | None, currency: str | None, spend_lookup: SpendLookup, today: date
) -> PreflightCheck:
    from ops.preflight.budget import headroom_of, list_budgets

    name = "budget headroom"
    if not settings.project:
        return PreflightCheck(name, CheckStatus.unknown, "no project set: budgets cannot be read offline")
    if not settings.billing_account:
        return PreflightCheck(name, CheckStatus.unknown, "no billing_account set: cannot look up budgets")
    from ops.clients import budgets_client

    covering = list_budgets(budgets_client(settings), settings.billing_account, settings.project)
    if not covering:
        return PreflightCheck(
            name,
            CheckStatus.ok,
            f"no budget on billing account {settings.billing_account} covers project {settings.project}",
        )
    headrooms = [headroom_of(b, spend_lookup, today) for b in covering]
    details: dict[str, Any] = {"budgets": headrooms}
    if estimate is None:
        return PreflightCheck(
            name, CheckStatus.unknown, "no cost estimate to compare with the budget", details
        )
    short = [
        h for h in headrooms if h.headroom is not None and h.currency == currency and h.headroom < estimate
    ]
    if short:
        worst = min(short, key=lambda h: h.headroom or Decimal(0))
        return PreflightCheck(
            name,
            CheckStatus.no,
            f"budget {worst.display_name!r} has {worst.headroom} {worst.currency} left this {worst.period}, "
            f"the run is estimated at {estimate} {currency}",
            details,
        )
    unknown = [h for h in headrooms if h.headroom is None or h.currency != currency]
    if unknown:
        first = unknown[0]
        reason = first.unknown_reason or f"budget is in {first.currency}, the estimate in {currency}"
        return PreflightCheck(name, CheckStatus.unknown, f"budget {first.display_name!r}: {reason}", details)
    tightest = min(headrooms, key=lambda h: h.headroom or Decimal(0))
    return PreflightCheck(
        name,
        CheckStatus.ok,
        f"budget {tightest.display_name!r} has {tightest.headroom} {tightest.currency} left "
        f"this {tightest.period}, "
        f"the run is estimated at {estimate} {currency}",
        details,
    )


def region_check(
    settings: Settings,
    engine: str,
    accelerator: str | None,
    region: str,
    requested: str | None,
    method: str = "supervised",
    base_model: str | None = None,
) -> PreflightCheck:
    """The pack's `allowedRegions` and `euResidency`, read from the same config the stack's pack uses,
    and the regions the model catalog lists for the method (reinforcement tuning: us-central1)."""
    from ops.models.catalog import region_problem
    from ops.preflight.policy import rule_config
    from policies.rules.location import ALLOWED_REGION, EU_RESIDENCY, is_eu

    name = "region"
    if engine == "rlhf-pipeline" and requested and requested != region:
        return PreflightCheck(
            name,
            CheckStatus.no,
            f"the RLHF pipeline runs on {accelerator or 'tpu'} in {region} only, not {requested}",
        )
    allowed_config, source = rule_config(ALLOWED_REGION, settings)
    allowed = {str(r).lower() for r in allowed_config.get("allowedRegions") or ()}
    residency_config, _ = rule_config(EU_RESIDENCY, settings)
    eu_only = bool(residency_config.get("euResidency"))
    details = {"allowed_regions": sorted(allowed), "eu_residency": eu_only, "source": source}
    if region.lower() not in allowed:
        return PreflightCheck(
            name,
            CheckStatus.no,
            f"{region} is not an allowed region ({', '.join(sorted(allowed))}; {source})",
            details,
        )
    if eu_only and not is_eu(region):
        return PreflightCheck(
            name, CheckStatus.no, f"{region} is outside the EU, and EU residency is on ({source})", details
        )
    if eu_only and method == "reinforcement":
        from ops.tuning.reinforcement import QUICK_START, READ_ON, SERVING_LOCATION

        return PreflightCheck(
            name,
            CheckStatus.no,
            f"a reinforcement-tuned model is served from the `{SERVING_LOCATION}` multi-region, whatever "
            f"the tuning region, and EU residency is on ({source}; {QUICK_START}, read {READ_ON})",
            details,
        )
    rule = region_problem(base_model, method, region) if engine == "gemini" and base_model else None
    if rule is not None:
        return PreflightCheck(name, CheckStatus.no, f"{rule.message} (source: {rule.source})", details)
    residency = "inside the EU, as residency requires" if eu_only else "no residency constraint"
    return PreflightCheck(name, CheckStatus.ok, f"{region} is allowed ({residency}; {source})", details)


def dataset_check(
    settings: Settings,
    train: str,
    validation: str | None,
    base_model: str | None,
    reports: list[FileReport] | None = None,
    kind: str = "auto",
    references: RequiredReferences | None = None,
    explain_kind: Callable[[str, str], str] | None = None,
) -> tuple[PreflightCheck, list[FileReport]]:
    """`ops.datasets` validation; its reports feed the plan, so the files are read once. A reward
    config's `references` keys are checked in every example, as `tune launch` checks them."""
    from ops.datasets import validate_files
    from ops.datasets.validate import validate_command

    if reports is None:
        reports = validate_files(
            [train],
            validation=validation,
            base_model=base_model,
            settings=settings,
            kind=kind,
            references=references,
            explain_kind=explain_kind,
        )
    details = {
        "files": [
            {"path": r.path, "kind": r.kind, "style": r.style, "examples": r.examples, "valid": r.valid}
            for r in reports
        ]
    }
    bad = [r for r in reports if not r.valid]
    if bad:
        parts = []
        for report in bad:
            errors = Counter(e.code for e in report.errors)
            codes = ", ".join(f"{code} x{n}" for code, n in sorted(errors.items()))
            part = f"{report.path}: {plural(len(report.errors), 'error')} ({codes})"
            # A wrong kind is fixed with an option, not in the data: say which.
            wrong = next((e for e in report.errors if e.code == "wrong-kind"), None)
            parts.append(part if wrong is None else f"{part}: {wrong.message}")
        training = None if bad[0] is reports[0] else train
        reason = "; ".join(parts) + f"; see {validate_command(bad[0].path, kind=kind, training=training)}"
        return PreflightCheck("dataset", CheckStatus.no, reason, details), reports
    summary = "; ".join(
        f"{role}: {plural(r.examples, f'{r.kind} example' if r.kind else 'example')} ({r.style or '?'} style)"
        for role, r in zip(("train", "validation"), reports, strict=False)
    )
    # Name the warnings, not only count them: `unknown-model` and the like decide whether to go on.
    warned = Counter(w.code for r in reports for w in r.warnings)
    listed = ", ".join(f"{code} x{n}" if n > 1 else code for code, n in sorted(warned.items()))
    count = warned.total()
    reason = summary + (f" ({count} warning{'s' if count != 1 else ''}: {listed})" if warned else "")
    return PreflightCheck("dataset", CheckStatus.ok, reason, details), reports


SCHEDULED_REWARD = "the scheduled job's reward"


def load_reward(
    engine: str, method: str, reward_config: str | None, reward: Mapping[str, Any] | None = None
) -> tuple[RequiredReferences | None, str | None]:
    """The reward of a reinforcement run, checked as `tune launch` checks it, and the keys it reads.
    A file (`--reward-config`) that does not load is a usage error (exit 2, `reward-config-invalid`),
    as in launch; a scheduled job's own reward object (`reward`) that does not pass is the reward
    line's `no` (the second value says why), since the schedule is already in the cloud."""
    from ops.tuning.reinforcement import refuse_misplaced_reward

    refuse_misplaced_reward(engine, method, reward_config, what="this preflight would not check it")
    if method != "reinforcement":
        return None, None
    if reward is not None:
        from ops.datasets.reinforcement import required_references_in

        try:
            return required_references_in(dict(reward), SCHEDULED_REWARD), None
        except TunectlError as exc:
            return None, f"{exc.message} ({exc.where})"
    if reward_config is None:
        return None, None
    from ops.datasets.reinforcement import required_references

    return required_references(reward_config), None


def reward_check(
    references: RequiredReferences | None, reports: list[FileReport], problem: str | None = None
) -> PreflightCheck:
    """A reinforcement run is only as good as its reward: without the file, what it reads from each
    example is unchecked, so the line is unknown, and not waivable (like the dataset it reads)."""
    from ops.datasets.formats import Kind

    name = "reward"
    if problem is not None:
        return PreflightCheck(name, CheckStatus.no, f"the reward does not pass its checks: {problem}")
    if references is None:
        return PreflightCheck(
            name,
            CheckStatus.unknown,
            "no --reward-config: the reward and the `references` keys it reads are unchecked "
            "(`tune launch` requires the file)",
        )
    reward_config = references.source
    keys = ", ".join(sorted(references.keys)) or "none"
    # Fail closed: a file that is not reinforcement data has no `references` to count, so "none
    # missing" would say nothing; an unread file says nothing either.
    unread = [report.path for report in reports if report.kind is None]
    if unread:
        return PreflightCheck(
            name,
            CheckStatus.unknown,
            f"{reward_config} loads, but {unread[0]} could not be read: "
            "the `references` it reads are unchecked",
        )
    foreign = [report for report in reports if report.kind != Kind.reinforcement.value]
    if foreign:
        return PreflightCheck(
            name,
            CheckStatus.no,
            f"{foreign[0].path} holds {foreign[0].kind} examples, not reinforcement prompts with "
            f"`references`: {reward_config} has nothing to read (see the dataset line)",
        )
    missing = sum(
        int((report.stats.get("references") or {}).get("examples_missing_required") or 0)
        for report in reports
    )
    if missing:
        return PreflightCheck(
            name,
            CheckStatus.no,
            f"{reward_config} reads references {keys}; {missing} example(s) lack one (see the dataset line)",
        )
    invalid = [report.path for report in reports if not report.valid]
    if invalid and references.keys:
        # Examples with errors may not have been checked for `references` at all.
        return PreflightCheck(
            name,
            CheckStatus.unknown,
            f"{reward_config} loads, but {invalid[0]} has errors: the `references` it reads are "
            "unchecked (see the dataset line)",
        )
    if not references.keys:
        return PreflightCheck(name, CheckStatus.ok, f"{reward_config} loads; it reads no `references` key")
    checked = "every example has them" if reports else "the dataset could not be read"
    status = CheckStatus.ok if reports else CheckStatus.unknown
    return PreflightCheck(name, status, f"{reward_config} loads; it reads references {keys}: {checked}")


@dataclass(frozen=True)
class CostEstimate:
    amount: Decimal
    currency: str


def cost_check(
    settings: Settings,
    train: str,
    engine: str,
    accelerator: str | None,
    base_model: str | None,
    epochs: int | None,
    steps: int | None,
    reports: list[FileReport],
    method: str = "supervised",
    knobs: Knobs | None = None,
) -> tuple[PreflightCheck, CostEstimate | None]:
    """The plan's estimate (ops.planning.plan, issue 6); the budget check compares it with the headroom."""
    from ops.planning.plan import plan_run

    name = "cost estimate"
    if not reports or not all(r.valid for r in reports):
        return PreflightCheck(name, CheckStatus.unknown, "no estimate for a dataset that is not valid"), None
    plan = plan_run(
        engine=engine,
        train=train,
        base_model=base_model,
        epochs=epochs,
        steps=steps,
        accelerator=accelerator,
        settings=settings,
        reports=reports,
        method=method,
        knobs=knobs,
    )
    details = plan.as_json()
    if plan.estimated_cost is None:
        # Say which figure is missing and why (e.g. a price Google does not publish).
        missing = [a for a in plan.assumptions if a.name.startswith("price ") and a.value == "unknown"]
        why = f": {missing[0].name} is unknown ({missing[0].source})" if missing else ""
        return PreflightCheck(
            name, CheckStatus.unknown, f"the plan has no price for this run{why}", details
        ), None
    estimate = CostEstimate(plan.estimated_cost.amount, plan.estimated_cost.currency)
    basis = (
        f"{plan.billable_tokens} billable tokens x {details['epochs']} epoch(s)"
        if engine == "gemini"
        else f"{plan.total_steps} steps, about {plan.estimated_hours} h"
    )
    reason = f"{estimate.amount} {estimate.currency} ({basis}; details: `tunectl plan`)"
    return PreflightCheck(name, CheckStatus.ok, reason, details), estimate


def default_spend_lookup(settings: Settings) -> SpendLookup:
    """Spend from the billing export when `billing_table` is set; otherwise spend is unknown, said so."""
    from ops.preflight.budget import spend_not_configured
    from ops.preflight.spend import spend_from_settings

    return spend_from_settings(settings) or spend_not_configured


def model_check(
    engine: str, base_model: str | None, accelerator: str | None, method: str = "supervised"
) -> PreflightCheck:
    """The catalog's word on the base model: retired is no, not in the catalog is unknown."""
    from ops.models.catalog import gemini_model, method_problem, model_problem, rlhf_problem

    name = "model"
    if base_model is None:
        return PreflightCheck(name, CheckStatus.unknown, "no --base-model: the model cannot be checked")
    if engine == "rlhf-pipeline":
        rule = rlhf_problem(base_model, accelerator or "tpu", cmek=False)
        if rule is not None:
            return PreflightCheck(name, CheckStatus.no, f"{rule.message} (source: {rule.source})")
        return PreflightCheck(name, CheckStatus.ok, f"{base_model} runs on {accelerator or 'tpu'}")
    rule = model_problem(base_model) or method_problem(base_model, method)
    if rule is not None:
        status = CheckStatus.unknown if rule.code == "model-unknown" else CheckStatus.no
        return PreflightCheck(name, status, f"{rule.message} (source: {rule.source})")
    entry = gemini_model(base_model)
    assert entry is not None
    stage = f", {entry.launch_stage}" if entry.launch_stage else ""
    return PreflightCheck(
        name, CheckStatus.ok, f"{base_model} is tunable ({', '.join(entry.methods)}{stage}; {entry.checked})"
    )


def max_cost_check(ceiling: MaxCost, estimate: CostEstimate | None) -> PreflightCheck:
    from ops.preflight.max_cost import judge_cost

    verdict = judge_cost(
        ceiling, estimate.amount if estimate else None, estimate.currency if estimate else None
    )
    return PreflightCheck("max cost", CheckStatus(verdict.status), verdict.reason)


def run_preflight(
    settings: Settings,
    *,
    train: str,
    validation: str | None = None,
    engine: str,
    accelerator: str | None = None,
    region: str | None = None,
    base_model: str | None = None,
    epochs: int | None = None,
    steps: int | None = None,
    method: str = "supervised",
    reward_config: str | None = None,
    reward: Mapping[str, Any] | None = None,
    knobs: Knobs | None = None,
    allow_unknown: Collection[str] = (),
    max_cost: MaxCost | None = None,
    spend_lookup: SpendLookup | None = None,
    count_active_jobs: Callable[[], int] | None = None,
    today: date | None = None,
    reports: list[FileReport] | None = None,
) -> PreflightReport:
    """Every check, each independent: one failing lookup makes its own line unknown, not the report.

    `reports` are validation reports the caller already has (training first), so `tune launch`
    reads each file once. A reinforcement run's reward is a file (`reward_config`) or, for a scheduled
    job, the reward object in its body (`reward`); `knobs` are its hyperparameters that the plan
    depends on (batch size, samples per prompt, output length). Knobs Google rules out are a usage
    error (exit 2), as in launch, except in a scheduled job's body (`reward` given): a `no` there.
    Nothing here writes anything: a dry run calls it too.
    """
    if engine not in ENGINES:
        raise TunectlError(
            "preflight-bad-engine", f"--engine must be one of {', '.join(ENGINES)}, not {engine!r}"
        )
    if engine == "rlhf-pipeline" and accelerator not in (None, *PIPELINE_REGIONS):
        raise TunectlError(
            "preflight-bad-accelerator", f"--accelerator must be gpu or tpu, not {accelerator!r}"
        )
    unknown_kinds = sorted(set(allow_unknown) - set(WAIVABLE))
    if unknown_kinds:
        raise TunectlError(
            "allow-unknown-invalid",
            f"--allow-unknown takes {', '.join(WAIVABLE)}, not {', '.join(unknown_kinds)}",
            where="--allow-unknown",
        )
    references, reward_problem = load_reward(engine, method, reward_config, reward)
    accelerator = (accelerator or "tpu") if engine == "rlhf-pipeline" else accelerator
    where = pipeline_region(engine, accelerator, region, settings.region)
    counter = count_active_jobs or (lambda: count_active_tuning_jobs(settings, where))
    checks = [_guarded("model", lambda: model_check(engine, base_model, accelerator, method), kind="model")]
    try:
        from ops.tuning.spec import dataset_kind, explain_kind

        dataset, reports = dataset_check(
            settings,
            train,
            validation,
            base_model,
            reports,
            dataset_kind(engine, method),
            references,
            explain_kind(engine, method),
        )
    except Exception as exc:  # fail closed
        reports = []
        dataset = PreflightCheck("dataset", CheckStatus.unknown, _failure(exc))
    if method == "reinforcement":
        checks.append(reward_check(references, reports, reward_problem))
    checks += [
        dataset,
        _guarded(
            "region",
            lambda: region_check(settings, engine, accelerator, where, region, method, base_model),
        ),
    ]
    try:
        quota = quota_checks(settings, engine, accelerator, where, counter)
    except Exception as exc:  # fail closed
        quota = [PreflightCheck("quota", CheckStatus.unknown, _failure(exc))]
    checks.extend(replace(check, kind="quota") for check in quota)
    estimate: CostEstimate | None = None
    try:
        cost, estimate = cost_check(
            settings, train, engine, accelerator, base_model, epochs, steps, reports, method, knobs
        )
    except TunectlError as exc:
        from ops.planning.reinforcement import HYPERPARAMETER_REFUSALS

        if exc.code not in HYPERPARAMETER_REFUSALS:
            cost = PreflightCheck("cost estimate", CheckStatus.unknown, _failure(exc))
        elif reward is None:
            raise  # the user's own options, refused here as `tune launch` refuses them (exit 2)
        else:  # a scheduled job's body, already in the cloud: the service would refuse it
            cost = PreflightCheck("cost estimate", CheckStatus.no, _failure(exc))
    except Exception as exc:  # fail closed
        cost = PreflightCheck("cost estimate", CheckStatus.unknown, _failure(exc))
    lookup = spend_lookup or default_spend_lookup(settings)
    checks.append(
        _guarded(
            "budget headroom",
            lambda: budget_check(
                settings,
                estimate.amount if estimate else None,
                estimate.currency if estimate else None,
                lookup,
                today or datetime.now(BUDGET_TIMEZONE).date(),  # periods start at Pacific midnight
            ),
            kind="budget",
        )
    )
    checks.append(replace(cost, kind="cost"))
    if max_cost is not None:
        checks.append(replace(max_cost_check(max_cost, estimate), kind="cost"))
    return PreflightReport(
        engine, accelerator, where, settings.project, tuple(checks), tuple(sorted(set(allow_unknown)))
    )
