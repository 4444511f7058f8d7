"""The stack's configuration, read once into a frozen, validated `EnvironmentConfig`.

Every default lives here as well as in Pulumi.yaml: Pulumi's mocks (and so `tunectl infra plan`) do
not apply Pulumi.yaml defaults, and a test keeps the two in step. A bad value raises `ConfigError`,
which names the config key and a fix; it subclasses `pulumi.RunError`, so `pulumi preview` prints
the message without a Python traceback.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pulumi
from croniter import croniter
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic.alias_generators import to_camel

from infra.regions import EU_MULTI_REGION, EU_REGIONS, US_MULTI_REGION, VERTEX_REGIONS, in_eu
from ops.models.catalog import (
    Rule,
    adapter_problem,
    method_problem,
    model_problem,
    pipeline_regions,
    region_problem,
    rlhf_base_models,
    rlhf_problem,
)
from ops.quotas.naming import CLI_PREFIX
from ops.quotas.tracked import tracked_quotas
from policies.label_syntax import label_problem

NAMESPACE = "tunectl"  # the Pulumi project name: config keys are `tunectl:<key>`

_SCHEDULE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,40}[a-z0-9]$")
_PROJECT_ID = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
_BILLING_ACCOUNT = re.compile(r"^[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_KMS_KEY = re.compile(r"^projects/[^/]+/locations/([^/]+)/keyRings/[^/]+/cryptoKeys/[^/]+$")
_PREFIX = re.compile(r"^[a-z][a-z0-9-]{0,18}[a-z0-9]$")
# BigQuery dataset ids: letters, digits and underscores, at most 1024 characters.
_DATASET_ID = re.compile(r"^[A-Za-z0-9_]{1,1024}$")
# Where the RLHF pipeline's tuning steps run, by accelerator_type, independent of the pipeline's
# `location`: the model catalog's accelerator rows (ops/data/catalog.json, with their sources).
TUNING_LOCATION: dict[str, str] = {name.upper(): region for name, region in pipeline_regions().items()}
# The Vertex Template Registry package and tag the RLHF schedules run (see infra/rlhf_template.py).
RLHF_TEMPLATE_PACKAGE = "rlhf-pipeline"
RLHF_TEMPLATE_TAG = "latest"


class ConfigError(pulumi.RunError):
    """A configuration value the stack cannot use; `key` is the full config key (`tunectl:region`)."""

    def __init__(self, key: str, message: str, hint: str) -> None:
        self.key = key
        self.message = message
        self.hint = hint
        super().__init__(f"config key `{key}`: {message}\n  hint: {hint}")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)


def _labels(value: Mapping[str, str]) -> Mapping[str, str]:
    for key, label in value.items():
        if problem := label_problem(key, label):
            raise ValueError(f"label {key}={label!r}: {problem}")
    return value


def _check_region(value: str) -> str:
    if value not in VERTEX_REGIONS:
        raise ValueError(f"{value!r} is not a Vertex AI region")
    return value


class QuotaRequest(_Model):
    """One quota preference: the value to ask for, where, and optionally a known quota id."""

    value: Annotated[int, Field(strict=True, gt=0)]
    region: str | None = None
    quota_id: str | None = None

    _region = field_validator("region")(lambda v: v if v is None else _check_region(v))


class _ScheduleBase(_Model):
    cron: str
    time_zone: str = "Etc/UTC"
    description: str = ""
    labels: Mapping[str, str] = {}
    # Paused until enabled deliberately (`paused: false`), after `tunectl schedules check` says go.
    paused: bool = True

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        # Cloud Scheduler takes unix-cron with exactly five fields; croniter also accepts 6-7.
        if len(value.split()) != 5 or not croniter.is_valid(value):
            raise ValueError(f"{value!r} is not a five-field unix-cron expression")
        return value

    @field_validator("time_zone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"{value!r} is not an IANA time zone") from exc
        return value

    _labels = field_validator("labels")(_labels)


# Hyperparameters only reinforcement tuning takes (reinforcementTuningSpec.hyperParameters, v1beta1).
REINFORCEMENT_ONLY = (
    "reward_config",
    "steps",
    "batch_size",
    "samples_per_prompt",
    "thinking_level",
    "thinking_budget",
    "max_output_tokens",
    "evaluate_interval",
    "checkpoint_interval",
)


class GeminiSchedule(_ScheduleBase):
    """A managed Gemini TuningJob (supervised, preference or reinforcement) created on a schedule."""

    engine: Literal["gemini"]
    base_model: str
    # A model the catalog does not list is refused unless the schedule says it knows better.
    allow_unknown_model: bool = False
    method: Literal["supervised", "preference", "reinforcement"] = "supervised"
    training_dataset: str
    validation_dataset: str | None = None
    epochs: Annotated[int, Field(gt=0)] | None = None
    learning_rate_multiplier: Annotated[float, Field(gt=0)] | None = None
    adapter_size: Literal[1, 2, 4, 8, 16, 32] | None = None
    beta: Annotated[float, Field(gt=0)] | None = None
    tuned_model_display_name: str | None = None
    # Reinforcement tuning (Pre-GA, v1beta1): the reward file (JSON or YAML, a singleRewardConfig or
    # compositeRewardConfig; a relative path is read from the Pulumi project directory) and the
    # hyperparameters only it takes.
    reward_config: str | None = None
    steps: Annotated[int, Field(gt=0)] | None = None
    batch_size: Annotated[int, Field(gt=0)] | None = None
    samples_per_prompt: Annotated[int, Field(gt=0)] | None = None
    thinking_level: Literal["MINIMAL", "HIGH"] | None = None
    thinking_budget: Annotated[int, Field(ge=-1)] | None = None
    max_output_tokens: Annotated[int, Field(gt=0)] | None = None
    evaluate_interval: Annotated[int, Field(gt=0)] | None = None
    checkpoint_interval: Annotated[int, Field(gt=0)] | None = None

    @model_validator(mode="after")
    def _options_of_the_method(self) -> GeminiSchedule:
        if self.beta is not None and self.method != "preference":
            raise ValueError("beta applies only to method: preference")
        if self.method != "reinforcement":
            given = [to_camel(name) for name in REINFORCEMENT_ONLY if getattr(self, name) is not None]
            if given:
                raise ValueError(f"{', '.join(given)} apply only to method: reinforcement")
            return self
        if self.reward_config is None:
            raise ValueError("method: reinforcement needs rewardConfig (a reward file)")
        if self.epochs is not None and self.steps is not None:
            raise ValueError("give epochs or steps, not both")
        if self.thinking_level is not None and self.thinking_budget is not None:
            raise ValueError("give thinkingLevel or thinkingBudget, not both")
        return self


class RewardService(_Model):
    """The Cloud Run service a reinforcement schedule's reward calls (cloudRunRewardScorer), by
    resource: the stack lets Vertex AI's tuning service agent invoke it, and nothing more."""

    project: str
    region: str
    service: str

    _region = field_validator("region")(_check_region)


class RlhfSchedule(_ScheduleBase):
    """A Vertex AI Pipelines RLHF PipelineJob created on a schedule."""

    engine: Literal["rlhf-pipeline"]
    prompt_dataset: str
    preference_dataset: str
    large_model_reference: str
    eval_dataset: str | None = None
    reward_model_train_steps: Annotated[int, Field(gt=0)] | None = None
    reinforcement_learning_train_steps: Annotated[int, Field(gt=0)] | None = None
    reward_model_learning_rate_multiplier: Annotated[float, Field(gt=0)] | None = None
    reinforcement_learning_rate_multiplier: Annotated[float, Field(gt=0)] | None = None
    kl_coeff: Annotated[float, Field(ge=0)] | None = None
    instruction: str | None = None
    accelerator_type: Literal["TPU", "GPU"] | None = None
    template_uri: str | None = None
    # Deploying the tuned model creates an endpoint that bills by the hour: off unless asked for.
    deploy_model: bool = False


Schedule = Annotated[GeminiSchedule | RlhfSchedule, Field(discriminator="engine")]


class EnvironmentConfig(_Model):
    """Everything the TuningEnvironment component needs; the only place config is interpreted."""

    project: str
    stack: str
    region: str
    data_residency: Literal["none", "eu"] = "none"
    resource_prefix: str = "tunectl"
    labels: Mapping[str, str] = {}
    kms_key_name: str = ""
    dataset_soft_delete_days: Annotated[int, Field(ge=7, le=90)] = 7
    artifact_retention_days: Annotated[int, Field(ge=1)] = 30
    quota_contact_email: str = ""
    quota_justification: str = ""
    quotas: Mapping[str, QuotaRequest] = {}
    schedules: Mapping[str, Schedule] = {}
    billing_account: str = ""
    budget_amount: str = ""
    budget_currency: str = "USD"
    budget_alert_percents: tuple[Annotated[int, Field(gt=0, le=500)], ...] = (50, 90, 100)
    budget_pubsub_topic: str = ""
    billing_dataset_id: str = "billing_export"
    billing_dataset_location: str = ""
    reward_service: RewardService | None = None

    _labels = field_validator("labels")(_labels)
    _region = field_validator("region")(_check_region)

    @field_validator("project")
    @classmethod
    def _project(cls, value: str) -> str:
        if not _PROJECT_ID.match(value):
            raise ValueError(f"{value!r} is not a Google Cloud project id")
        return value

    @field_validator("resource_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if not _PREFIX.match(value):
            raise ValueError(f"{value!r} must be 2-20 lowercase letters, digits or hyphens")
        if value == CLI_PREFIX:
            raise ValueError(f"{value!r} is reserved for the quota preferences of `tunectl quota request`")
        return value

    @field_validator("billing_account")
    @classmethod
    def _account(cls, value: str) -> str:
        if value and not _BILLING_ACCOUNT.match(value):
            raise ValueError(f"{value!r} is not a billing account id (XXXXXX-XXXXXX-XXXXXX)")
        return value

    @field_validator("budget_amount")
    @classmethod
    def _amount(cls, value: str) -> str:
        if value:
            try:
                amount = Decimal(value)
            except InvalidOperation as exc:
                raise ValueError(f"{value!r} is not a decimal amount") from exc
            if not amount.is_finite() or amount <= 0:
                raise ValueError(f"{value!r} must be a positive amount")
        return value

    @field_validator("billing_dataset_id")
    @classmethod
    def _dataset_id(cls, value: str) -> str:
        if not _DATASET_ID.match(value):
            raise ValueError(
                f"{value!r} is not a BigQuery dataset id (letters, digits and underscores, at most 1024)"
            )
        return value

    @field_validator("kms_key_name")
    @classmethod
    def _kms(cls, value: str) -> str:
        if value and not _KMS_KEY.match(value):
            raise ValueError(f"{value!r} is not a Cloud KMS key name")
        return value

    @field_validator("quotas")
    @classmethod
    def _known_quotas(cls, value: Mapping[str, QuotaRequest]) -> Mapping[str, QuotaRequest]:
        unknown = sorted(set(value) - set(tracked_quotas()))
        if unknown:
            raise ValueError(f"unknown quota(s) {', '.join(unknown)}")
        return value

    @field_validator("schedules")
    @classmethod
    def _schedule_names(cls, value: Mapping[str, Any]) -> Mapping[str, Any]:
        for name in value:
            if not _SCHEDULE_NAME.match(name):
                raise ValueError(f"schedule name {name!r} must be 2-42 lowercase letters, digits or hyphens")
        return value

    # Cross-field rules raise ConfigError directly, so each names the key a user has to change.
    @model_validator(mode="after")
    def _cross_checks(self) -> EnvironmentConfig:
        eu = self.data_residency == "eu"
        if eu and self.region not in EU_REGIONS:
            raise ConfigError(
                f"{NAMESPACE}:region",
                f"region {self.region!r} is outside the EU but dataResidency is eu",
                f"use an EU region such as europe-west4 ({', '.join(sorted(EU_REGIONS))})",
            )
        for key, request in self.quotas.items():
            region = request.region or self.region
            if eu and region not in EU_REGIONS:
                raise ConfigError(
                    f"{NAMESPACE}:quotas.{key}.region",
                    f"quota region {region!r} is outside the EU but dataResidency is eu",
                    "request the quota in an EU region such as europe-west4",
                )
        if self.quotas and not _EMAIL.match(self.quota_contact_email):
            raise ConfigError(
                f"{NAMESPACE}:quotaContactEmail",
                "quota preferences need a contact email for Google's reviewers",
                "pulumi config set quotaContactEmail you@example.com",
            )
        if self.quotas and not self.quota_justification.strip():
            raise ConfigError(
                f"{NAMESPACE}:quotaJustification",
                "quota preferences need a justification",
                'pulumi config set quotaJustification "LLM fine-tuning on Vertex AI pipelines"',
            )
        if self.budget_amount and not self.billing_account:
            raise ConfigError(
                f"{NAMESPACE}:billingAccount",
                "a budget is configured (budgetAmount) but no billing account is set",
                "pulumi config set billingAccount XXXXXX-XXXXXX-XXXXXX, or unset budgetAmount",
            )
        if eu and self.billing_dataset_location and not in_eu(self.billing_dataset_location):
            raise ConfigError(
                f"{NAMESPACE}:billingDatasetLocation",
                f"location {self.billing_dataset_location!r} is outside the EU but dataResidency is eu",
                "use EU or an EU region such as europe-west4, or leave it unset",
            )
        kms = _KMS_KEY.match(self.kms_key_name)
        if kms and kms.group(1) != self.region:
            # Cloud Storage and Vertex AI accept only a key in the resource's own location.
            raise ConfigError(
                f"{NAMESPACE}:kmsKeyName",
                f"the key is in {kms.group(1)!r}, not in the stack's region {self.region!r}",
                f"use a key ring in {self.region}",
            )
        for name, schedule in self.schedules.items():
            if isinstance(schedule, RlhfSchedule):
                self._check_rlhf_placement(name, schedule)
            self._check_catalog(name, schedule)
            if isinstance(schedule, GeminiSchedule) and schedule.method == "reinforcement":
                self._check_reinforcement(name, schedule)
            if isinstance(schedule, GeminiSchedule):
                # After the residency rule: under EU residency, "served from the us" says more.
                region_rule = region_problem(schedule.base_model, schedule.method, self.region)
                if region_rule is not None:
                    raise ConfigError(
                        f"{NAMESPACE}:schedules.{name}.method",
                        f"{region_rule.message} ({region_rule.code}; source: {region_rule.source})",
                        "schedule it from a stack in a region the rule lists (tunectl:region)",
                    )
            uris = (
                [schedule.training_dataset, schedule.validation_dataset]
                if isinstance(schedule, GeminiSchedule)
                else [schedule.prompt_dataset, schedule.preference_dataset, schedule.eval_dataset]
            )
            for uri in uris:
                if uri is not None and (not uri or uri.startswith(("/", "http:", "https:"))):
                    raise ConfigError(
                        f"{NAMESPACE}:schedules.{name}",
                        f"dataset {uri!r} is neither a gs:// URI nor a path in the datasets bucket",
                        "use gs://bucket/file.jsonl, or a path in the datasets bucket (train/data.jsonl)",
                    )
        return self

    def _check_catalog(self, name: str, schedule: GeminiSchedule | RlhfSchedule) -> None:
        """What the model catalog says Vertex AI would reject when the schedule fires: a retired or
        unknown base model, a method or adapter size the model lacks, an RLHF model or region the
        pipeline refuses. Refused at `pulumi preview`, naming the config key and the rule's source."""
        rule: Rule | None
        if isinstance(schedule, RlhfSchedule):
            accelerator = self.accelerator_of(schedule).lower()
            reference = schedule.large_model_reference
            rule = rlhf_problem(reference, accelerator, cmek=False)
            regions = rlhf_base_models().get(reference, {}).get("regions", [])
            # A reference documented for fewer regions than the pipeline runs in (the larger T5 models:
            # europe-west4 only) also pins the stack that schedules it.
            narrower = bool(regions) and set(regions) != set(TUNING_LOCATION.values())
            if rule is None and narrower and self.region not in regions:
                rule = Rule(
                    "rlhf-model-region",
                    f"{reference} is tuned only in {', '.join(regions)}, not {self.region}",
                    rlhf_base_models()[reference]["source"],
                    "largeModelReference",
                    "use t5-small here, or run this schedule from the europe-west4 (tpu) stack",
                )
            key = "largeModelReference"
        else:
            rule = model_problem(schedule.base_model, allow_unknown=schedule.allow_unknown_model)
            rule = rule or method_problem(schedule.base_model, schedule.method)
            if rule is None and schedule.adapter_size is not None:
                rule = adapter_problem(schedule.base_model, schedule.adapter_size)
            key = {
                "adapter-size-invalid": "adapterSize",
                "method-not-supported": "method",
            }.get(rule.code if rule else "", "baseModel")
        if rule is not None:
            hint = (
                "use a model `tunectl models list` shows, or set allowUnknownModel: true on the schedule "
                "if Google lists it for tuning and the catalog is behind"
                if rule.code == "model-unknown"
                else rule.hint or "see `tunectl models list` for what Vertex AI tunes today"
            )
            raise ConfigError(
                f"{NAMESPACE}:schedules.{name}.{key}",
                f"{rule.message} ({rule.code}; source: {rule.source})",
                hint,
            )

    def _check_reinforcement(self, name: str, schedule: GeminiSchedule) -> None:
        """A reinforcement schedule: served from the `us` multi-region (not under EU residency), a
        reward file that loads, and the thinking control its model takes."""
        from ops.errors import TunectlError
        from ops.tuning.reinforcement import QUICK_START, READ_ON, SERVING_LOCATION, thinking_problem
        from ops.tuning.spec import Hyperparameters

        key = f"{NAMESPACE}:schedules.{name}"
        if self.data_residency == "eu":
            raise ConfigError(
                f"{key}.method",
                f"a reinforcement-tuned model is served from the `{SERVING_LOCATION}` multi-region, but "
                f"dataResidency is eu (source: {QUICK_START}, read {READ_ON})",
                "use method: supervised or preference here, or schedule it from a stack without EU residency",
            )
        try:
            reward_api(schedule)
        except TunectlError as exc:
            raise ConfigError(
                f"{key}.rewardConfig", exc.message, exc.hint or "see `tunectl reward test`"
            ) from exc
        level = schedule.thinking_level.lower() if schedule.thinking_level else None
        problem = thinking_problem(
            schedule.base_model,
            Hyperparameters(thinking_level=level, thinking_budget=schedule.thinking_budget),
        )
        if problem is not None:
            flag = "thinkingBudget" if problem.where == "--thinking-budget" else "thinkingLevel"
            raise ConfigError(f"{key}.{flag}", problem.message, problem.hint or "")

    def accelerator_of(self, schedule: RlhfSchedule) -> Literal["TPU", "GPU"]:
        """The accelerator an RLHF schedule trains on: its own, else the stack's default."""
        return schedule.accelerator_type or self.default_accelerator

    def _check_rlhf_placement(self, name: str, schedule: RlhfSchedule) -> None:
        """The RLHF pipeline trains where its accelerator lives (GPU: us-central1, TPU: europe-west4),
        whatever its `location`; and Google's validate_pipeline step accepts CMEK only for GPU
        training in us-central1."""
        accelerator = self.accelerator_of(schedule)
        tuning_location = TUNING_LOCATION[accelerator]
        if self.data_residency == "eu" and not in_eu(tuning_location):
            raise ConfigError(
                f"{NAMESPACE}:schedules.{name}.acceleratorType",
                f"{accelerator} training runs in {tuning_location}, outside the EU, but dataResidency is eu",
                "use acceleratorType: TPU (RLHF trains TPUs in europe-west4), or engine: gemini",
            )
        if self.kms_key_name and (self.region != "us-central1" or accelerator != "GPU"):
            raise ConfigError(
                f"{NAMESPACE}:kmsKeyName",
                f"schedule {name!r} runs the RLHF pipeline on {accelerator} in {self.region}, but the "
                "pipeline accepts a CMEK key only for GPU training in us-central1",
                "unset kmsKeyName, or run RLHF schedules from a us-central1 stack with acceleratorType: GPU",
            )

    @property
    def template_repository_id(self) -> str:
        """The Artifact Registry (KFP) repository that holds the RLHF pipeline template."""
        return f"{self.resource_prefix}-pipelines"

    @property
    def template_registry_url(self) -> str:
        """The repository's Vertex Template Registry host (what `kfp.registry.RegistryClient` takes)."""
        return f"https://{self.region}-kfp.pkg.dev/{self.project}/{self.template_repository_id}"

    @property
    def rlhf_template_uri(self) -> str:
        """The default `templateUri` of RLHF schedules: the tagged template in the stack's repository."""
        return f"{self.template_registry_url}/{RLHF_TEMPLATE_PACKAGE}/{RLHF_TEMPLATE_TAG}"

    @property
    def datasets_bucket_name(self) -> str:
        return f"{self.project}-{self.resource_prefix}-datasets"

    @property
    def pipelines_bucket_name(self) -> str:
        return f"{self.project}-{self.resource_prefix}-pipelines"

    @property
    def pipeline_root(self) -> str:
        return f"gs://{self.pipelines_bucket_name}/pipeline-root"

    @property
    def default_accelerator(self) -> Literal["TPU", "GPU"]:
        """The RLHF pipeline runs on TPU pods in europe-west4 and on A100 GPUs (us-central1) elsewhere.

        An EU stack always defaults to TPU, whatever its region: GPU training runs in us-central1.
        """
        return "TPU" if self.region == "europe-west4" or self.data_residency == "eu" else "GPU"

    @property
    def bucket_location(self) -> str:
        return self.region.upper()

    @property
    def dataset_location(self) -> str:
        if self.billing_dataset_location:
            return self.billing_dataset_location
        return EU_MULTI_REGION if self.data_residency == "eu" else US_MULTI_REGION

    @property
    def budget_decimal(self) -> Decimal | None:
        return Decimal(self.budget_amount) if self.budget_amount else None

    def quota_region(self, key: str) -> str:
        return self.quotas[key].region or self.region


# Keys whose values are objects or arrays: Pulumi passes them to the program as JSON strings.
STRUCTURED_KEYS = frozenset({"labels", "quotas", "schedules", "budgetAlertPercents", "rewardService"})

_HINTS: dict[str, str] = {
    "region": "use a Vertex AI region such as us-central1 or europe-west4",
    "dataResidency": "use none or eu",
    "cron": 'use five-field unix-cron, e.g. "0 3 * * 1" (03:00 every Monday)',
    "timeZone": "use an IANA name such as Etc/UTC or Europe/Amsterdam",
    "engine": "use gemini (managed TuningJob) or rlhf-pipeline (Vertex AI Pipelines RLHF)",
    "value": "quota values are whole numbers, e.g. value: 64",
    "quotas": f"tracked quotas: {', '.join(sorted(tracked_quotas()))}",
    "billingAccount": "the id looks like 0X0X0X-0X0X0X-0X0X0X (gcloud billing accounts list)",
    "budgetAmount": 'a decimal amount in budgetCurrency, e.g. "500"',
    "project": "pulumi config set gcp:project <project-id>",
    "billingDatasetId": "use billing_export (letters, digits and underscores only)",
    # Removed on purpose: a retried create can start a second tuning job (infra/schedules.py).
    "retryCount": "remove retryCount: the stack never lets Cloud Scheduler retry a job create "
    "(a missed firing is visible, a duplicate job is not); see infra/README.md",
}


def _error_from_validation(exc: ValidationError) -> ConfigError:
    first = exc.errors()[0]
    loc = [str(part) for part in first["loc"]]
    # A discriminated union puts the member's tag after the schedule name; it is no config key.
    if len(loc) > 2 and loc[0] == "schedules" and loc[2] in {"gemini", "rlhf-pipeline"}:
        del loc[2]
    namespace = "gcp" if loc and loc[0] == "project" else NAMESPACE
    key = f"{namespace}:{'.'.join(loc)}" if loc else f"{NAMESPACE}:*"
    if first["type"] == "union_tag_invalid":
        key, message = f"{key}.engine", f"unknown engine {first['input'].get('engine')!r}"
    elif first["type"] == "union_tag_not_found":
        key, message = f"{key}.engine", "the schedule has no engine"
    else:
        message = str(first["msg"]).removeprefix("Value error, ")
    hint = next((_HINTS[part] for part in reversed(loc) if part in _HINTS), None)
    if hint is None and key.endswith(".engine"):
        hint = _HINTS["engine"]
    return ConfigError(key, message, hint or "see the config keys in infra/README.md")


def parse_config(values: Mapping[str, Any], *, project: str | None, stack: str) -> EnvironmentConfig:
    """Validate raw config values (camelCase keys, without the namespace) into the typed config."""
    if not project:
        raise ConfigError("gcp:project", "no Google Cloud project is configured", _HINTS["project"])
    try:
        return EnvironmentConfig.model_validate({**values, "project": project, "stack": stack})
    except ValidationError as exc:
        raise _error_from_validation(exc) from None


def config_keys() -> list[str]:
    """The camelCase keys a stack may set in the `tunectl` namespace."""
    return [
        field.alias or name
        for name, field in EnvironmentConfig.model_fields.items()
        if name not in {"project", "stack"}
    ]


PROJECT_DIR = Path(__file__).resolve().parent.parent  # where Pulumi.yaml is: relative paths start here


def reward_api(schedule: GeminiSchedule) -> dict[str, Any]:
    """The schedule's reward file as the API object it sends (ops.reinforcement.config checks it)."""
    from ops.reinforcement.config import load_reward_config

    assert schedule.reward_config is not None
    path = Path(schedule.reward_config)
    return dict(load_reward_config(path if path.is_absolute() else PROJECT_DIR / path).api)


def read_config() -> EnvironmentConfig:
    """Read the running stack's config (Pulumi engine or mocks) once."""
    config = pulumi.Config(NAMESPACE)
    values: dict[str, Any] = {}
    for key in config_keys():
        raw = config.get(key)
        if raw is None:
            continue
        if key in STRUCTURED_KEYS:
            try:
                values[key] = json.loads(raw)
            except json.JSONDecodeError:
                raise ConfigError(
                    f"{NAMESPACE}:{key}",
                    "the value is not structured (YAML map or list)",
                    "see infra/README.md",
                ) from None
        else:
            values[key] = raw
    return parse_config(values, project=pulumi.Config("gcp").get("project"), stack=pulumi.get_stack())
