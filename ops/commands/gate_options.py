"""The options that `plan`, `preflight` and `tune launch` share: the go/no-go ones, and a
reinforcement run's reward file and the hyperparameters its plan depends on."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from ops.tuning.spec import Method


class WaivableCheck(StrEnum):
    quota = "quota"
    budget = "budget"
    cost = "cost"
    model = "model"


MethodOption = Annotated[
    Method | None,
    typer.Option(
        "--method",
        help="gemini: supervised (default), preference or reinforcement (Pre-GA); not for rlhf-pipeline",
    ),
]
AllowUnknownOption = Annotated[
    list[WaivableCheck] | None,
    typer.Option(
        "--allow-unknown",
        help="go on although this check could not be made: quota, budget, cost or model (repeatable; "
        "printed and recorded)",
        case_sensitive=False,
    ),
]
MaxCostOption = Annotated[
    str | None,
    typer.Option(
        "--max-cost",
        help='refuse a run estimated above AMOUNT[ CUR], e.g. 200 or "200 USD"; an unknown estimate '
        "is unknown",
    ),
]
# A list so that a repeated --reward-config is seen (a single-valued option keeps the last silently);
# `common.one_reward_config` refuses more than one.
RewardConfigOption = Annotated[
    list[str] | None,
    typer.Option(
        "--reward-config",
        help="--method reinforcement: the reward file (singleRewardConfig or compositeRewardConfig); "
        "its `references` keys are checked in every example",
    ),
]


BatchSizeOption = Annotated[
    int | None,
    typer.Option("--batch-size", min=1, help="reinforcement: prompts per step (Google's default: 32)"),
]
SamplesPerPromptOption = Annotated[
    int | None,
    typer.Option(
        "--samples-per-prompt", min=1, help="reinforcement: responses per prompt (Google's default: 16)"
    ),
]
MaxOutputTokensOption = Annotated[
    int | None,
    typer.Option("--max-output-tokens", min=1, help="reinforcement: per response (default 32,768)"),
]
