"""What a launch asks for, and the run id derived from it.

The run id is a digest of everything that changes what gets trained (engine, method, base model,
region, accelerator, hyperparameters, dataset contents), so launching the same thing twice finds the
first job instead of paying twice. Labels and display names do not change the training and are left
out. `--force` adds a nonce to get a new run id on purpose.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from ops.errors import TunectlError


class Engine(StrEnum):
    gemini = "gemini"
    rlhf_pipeline = "rlhf-pipeline"


class Method(StrEnum):
    supervised = "supervised"
    preference = "preference"
    reinforcement = "reinforcement"  # Pre-GA, v1beta1 only (ops.tuning.reinforcement)


class Accelerator(StrEnum):
    gpu = "gpu"
    tpu = "tpu"


# The rlhf pipeline runs where its accelerator lives (Google's RLHF tuning page: TPU v3 pods in
# europe-west4, A100 80GB GPUs in us-central1).
PIPELINE_REGIONS = {Accelerator.tpu: "europe-west4", Accelerator.gpu: "us-central1"}
_ENGINE_PREFIX = {Engine.gemini: "gem", Engine.rlhf_pipeline: "rlhf"}


def dataset_kind(engine: str, method: str) -> str:
    """The kind of dataset a run trains on (`dataset validate --kind`): a Gemini run's is its method's,
    the RLHF pipeline's is preference pairs. plan, preflight and launch all check this one kind."""
    return method if engine == Engine.gemini else "preference"


def explain_kind(engine: str, method: str) -> Callable[[str, str], str]:
    """A wrong-kind message in the terms of the option that chose `dataset_kind` (plan, preflight and
    launch take --method or --engine, never --kind): what it trains on, what the file holds, and the
    --method that trains on that, when there is one."""

    def explain(wanted: str, found: str) -> str:
        if engine != Engine.gemini:
            asked = f"--engine {engine} trains on {wanted} data"
        else:
            default = " (the default)" if method == Method.supervised else ""
            asked = f"--method {method}{default} trains on {wanted} data"
        message = f"{asked}; this file holds {found} examples"
        if engine == Engine.gemini and found in {m.value for m in Method}:
            message += f": pass --method {found}"
        elif engine != Engine.gemini and found in {m.value for m in Method}:
            message += f": pass --engine gemini --method {found}"
        return message

    return explain


@dataclass(frozen=True)
class DatasetRef:
    """One dataset as the job sees it: its role, where it lives, and the digest of those bytes."""

    role: str  # train | validation | prompt | eval
    uri: str
    sha256: str
    local_path: str | None = None
    examples: int | None = None


@dataclass(frozen=True)
class Hyperparameters:
    epochs: int | None = None
    steps: int | None = None
    learning_rate_multiplier: float | None = None
    adapter_size: int | None = None
    beta: float | None = None
    reward_model_learning_rate_multiplier: float | None = None
    kl_coeff: float | None = None
    # Reinforcement tuning only (reinforcementTuningSpec.hyperParameters).
    batch_size: int | None = None
    samples_per_prompt: int | None = None
    thinking_level: str | None = None
    thinking_budget: int | None = None
    max_output_tokens: int | None = None
    evaluate_interval: int | None = None
    checkpoint_interval: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass(frozen=True)
class LaunchSpec:
    engine: Engine
    method: Method
    base_model: str
    region: str
    hyperparameters: Hyperparameters
    datasets: tuple[DatasetRef, ...]
    accelerator: Accelerator | None = None
    display_name: str | None = None
    user_labels: dict[str, str] = field(default_factory=dict)
    kms_key: str | None = None
    nonce: str | None = None
    # Reinforcement tuning: the reward file's API object ({"singleRewardConfig": ...} or
    # {"compositeRewardConfig": ...}), sent as is, so it is part of the run id.
    reward: dict[str, Any] | None = None

    def dataset(self, role: str) -> DatasetRef | None:
        return next((d for d in self.datasets if d.role == role), None)

    def identity(self) -> dict[str, Any]:
        """The fields the run id is derived from (also stored in the ledger as `parameters`)."""
        return {
            "engine": self.engine.value,
            "method": self.method.value,
            "base_model": self.base_model,
            "region": self.region,
            "accelerator": self.accelerator.value if self.accelerator else None,
            "hyperparameters": self.hyperparameters.as_dict(),
            "datasets": sorted((d.role, d.sha256) for d in self.datasets),
            "kms_key": self.kms_key,
            "nonce": self.nonce,
            # Present only for reinforcement runs, so the run ids of the other methods do not change.
            **({"reward": self.reward} if self.reward is not None else {}),
        }

    @property
    def run_id(self) -> str:
        canonical = json.dumps(self.identity(), sort_keys=True, separators=(",", ":"))
        digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]
        return f"{_ENGINE_PREFIX[self.engine]}-{digest}"


def pipeline_region(accelerator: Accelerator, requested: str | None) -> str:
    """The rlhf pipeline's region follows its accelerator; a conflicting --region is a usage error."""
    region = PIPELINE_REGIONS[accelerator]
    if requested and requested != region:
        raise TunectlError(
            "region-accelerator-mismatch",
            f"the rlhf pipeline runs {accelerator.value.upper()} jobs in {region}, not {requested}",
            where="--region",
            hint=f"drop --region, or pick --accelerator {'tpu' if accelerator is Accelerator.gpu else 'gpu'}",
        )
    return region


@dataclass(frozen=True)
class LaunchRequest:
    """What the user asked for on the command line."""

    train: str
    engine: Engine
    method: Method = Method.supervised
    validation: str | None = None
    prompts: str | None = None
    base_model: str | None = None
    hyperparameters: Hyperparameters = field(default_factory=Hyperparameters)
    accelerator: Accelerator | None = None
    region: str | None = None
    display_name: str | None = None
    user_labels: dict[str, str] = field(default_factory=dict)
    kms_key: str | None = None
    force: bool = False
    dry_run: bool = False
    skip_preflight: bool = False
    allow_unknown: tuple[str, ...] = ()  # preflight unknowns waived on purpose (recorded)
    max_cost: str | None = None  # AMOUNT[ CUR], parsed by ops.preflight.max_cost
    allow_unknown_model: bool = False
    reward_config: str | None = None  # reinforcement: the reward file (ops.reinforcement.config)
