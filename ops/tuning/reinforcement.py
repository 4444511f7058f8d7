"""Reinforcement learning fine-tuning of Gemini (Pre-GA): what only this method adds to a launch.

The method exists only on the v1beta1 API (`tuningJobs.create` with `reinforcementTuningSpec`); the
other methods stay on v1. The reward file is read by `ops.reinforcement.config` and sent as the API
object it already is. Sources (read 2026-12-02):
https://docs.cloud.google.com/gemini-enterprise-agent-platform/models/tuning/reinforcement-tuning
https://docs.cloud.google.com/gemini-enterprise-agent-platform/models/tuning/reinforcement-tuning/quick-start
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ops.errors import TunectlError

if TYPE_CHECKING:
    from ops.planning.reinforcement import Knobs
    from ops.tuning.spec import Hyperparameters, LaunchRequest

API_VERSION = "v1beta1"
ABOUT_PAGE = (
    "https://docs.cloud.google.com/gemini-enterprise-agent-platform/models/tuning/reinforcement-tuning"
)
QUICK_START = f"{ABOUT_PAGE}/quick-start"
READ_ON = "2026-12-02"

# Google's own words, from the banner on the reinforcement tuning pages (read 2026-12-02).
PRE_GA_WARNING = (
    'Reinforcement learning fine-tuning is a Pre-GA offering. Google: "These Pre-GA products are in '
    "various stages of internal testing and review. As such, do not use proprietary, sensitive, or "
    "other confidential data with these products. These products are made available to Customers "
    "solely for limited testing and evaluation, and may not be used for commercial or production "
    f'purposes." (source: {ABOUT_PAGE}, read {READ_ON})'
)

# "The service supports tuning at two thinking levels, MINIMAL and HIGH" (about page, 2026-12-02);
# the v1beta1 enum also lists LOW and MEDIUM, which the page does not offer for tuning.
THINKING_LEVELS = ("minimal", "high")

# The tuned model is served from the `us` multi-region endpoint, whatever the tuning region
# (quick start, 2026-12-02): data leaves an EU-only setup when the model is served.
SERVING_LOCATION = "us"

# reinforcementTuningSpec.hyperParameters fields, by our Hyperparameters attribute.
_ONLY_REINFORCEMENT = {
    "batch_size": "--batch-size",
    "samples_per_prompt": "--samples-per-prompt",
    "thinking_level": "--thinking-level",
    "thinking_budget": "--thinking-budget",
    "max_output_tokens": "--max-output-tokens",
    "evaluate_interval": "--evaluate-interval",
    "checkpoint_interval": "--checkpoint-interval",
}


def refuse_misplaced_reward(engine: str, method: str, reward_config: str | None, *, what: str) -> None:
    """`--method reinforcement` is managed Gemini tuning only, and `--reward-config` means nothing to
    the other methods: both are usage errors in `plan`, `preflight` and `tune launch` alike (`what`
    names the command's object: "this launch would not send it", "this plan would not use it")."""
    if method == "reinforcement" and engine != "gemini":
        raise TunectlError(
            "option-not-applicable",
            "--method reinforcement is managed Gemini tuning; the rlhf pipeline learns from preferences",
            where="--method",
            hint="use --engine gemini, or drop --method",
        )
    if method != "reinforcement" and reward_config is not None:
        raise TunectlError(
            "option-not-applicable",
            f"--reward-config applies only to --method reinforcement; {what}",
            where="--reward-config",
            hint="drop --reward-config, or pass --method reinforcement",
        )


def refuse_knobs_off_reinforcement(method: str, knobs: Knobs, *, what: str) -> None:
    """`plan` and `preflight` take the hyperparameters a reinforcement plan depends on; on another
    method they would change nothing, so they are refused as launch refuses them."""
    if method == "reinforcement":
        return
    for attribute in ("batch_size", "samples_per_prompt", "max_output_tokens"):
        if getattr(knobs, attribute) is not None:
            flag = _ONLY_REINFORCEMENT[attribute]
            raise TunectlError(
                "option-not-applicable",
                f"{flag} applies only to gemini reinforcement tuning; {what}",
                where=flag,
                hint=f"drop {flag}",
            )


def refuse_unsent_reinforcement_options(request: LaunchRequest) -> None:
    """Reinforcement-only options on another method, and --reward-config without the method, would
    not reach the request: refused, as every option the service would not see is."""
    from ops.tuning.spec import Engine, Method

    refuse_misplaced_reward(
        request.engine.value,
        request.method.value,
        request.reward_config,
        what="this launch would not send it",
    )
    if request.engine is Engine.gemini and request.method is Method.reinforcement:
        return
    for attribute, flag in _ONLY_REINFORCEMENT.items():
        if getattr(request.hyperparameters, attribute) is not None:
            raise TunectlError(
                "option-not-applicable",
                f"{flag} applies only to gemini reinforcement tuning; this launch would not send it",
                where=flag,
                hint=f"drop {flag}",
            )


def thinking_problem(model_id: str, hp: Hyperparameters) -> TunectlError | None:
    """thinkingBudget is for models that use budgets (2.5), thinkingLevel for the others; the
    catalog's `thinking` column says which a model uses."""
    from ops.models.catalog import gemini_model, raw_catalog

    entry = gemini_model(model_id)
    if hp.thinking_level is not None and hp.thinking_budget is not None:
        takes = {"level": "--thinking-level", "budget": "--thinking-budget"}.get(
            entry.thinking if entry is not None and entry.thinking else ""
        )
        return TunectlError(
            "thinking-both",
            "give --thinking-level or --thinking-budget, not both",
            where="--thinking-budget",
            hint=f"{model_id} takes {takes}: drop the other"
            if takes
            else "drop one (`tunectl models list` says which a model takes)",
        )
    if entry is None or entry.thinking is None:
        return None
    source = raw_catalog().get("thinking", {}).get("source", entry.source)
    if hp.thinking_budget is not None and entry.thinking != "budget":
        return TunectlError(
            "thinking-budget-not-supported",
            f"{model_id} takes a thinking level, not a budget (source: {source})",
            where="--thinking-budget",
            hint="use --thinking-level minimal or high",
        )
    if hp.thinking_level is not None and entry.thinking != "level":
        return TunectlError(
            "thinking-level-not-supported",
            f"{model_id} takes a thinking budget, not a level (source: {source})",
            where="--thinking-level",
            hint="use --thinking-budget N (-1 dynamic, 0 off)",
        )
    return None


def reward_for(request: LaunchRequest) -> dict[str, Any]:
    """The reward file's API object; a reinforcement launch without one is a usage error."""
    if request.reward_config is None:
        raise TunectlError(
            "reward-config-missing",
            "--method reinforcement needs --reward-config "
            "(a singleRewardConfig or compositeRewardConfig file)",
            where="--reward-config",
            hint="test it first: `tunectl reward test --reward-config R --dataset D`",
        )
    from pathlib import Path

    from ops.reinforcement.config import load_reward_config

    return dict(load_reward_config(Path(request.reward_config)).api)


def hyperparameter_fields(hp: Hyperparameters) -> tuple[dict[str, Any], dict[str, Any]]:
    """google-genai `CreateTuningJobConfig` fields, and the camelCase `hyperParameters` fields the
    SDK has no config field for (`stepCount`, `thinkingBudget`), which travel in extra_body."""
    fields = {
        "epoch_count": hp.epochs,
        "batch_size": hp.batch_size,
        "samples_per_prompt": hp.samples_per_prompt,
        "evaluate_interval": hp.evaluate_interval,
        "checkpoint_interval": hp.checkpoint_interval,
        "max_output_tokens": hp.max_output_tokens,
        "thinking_level": hp.thinking_level.upper() if hp.thinking_level else None,
    }
    extra = {"stepCount": hp.steps, "thinkingBudget": hp.thinking_budget}
    return fields, {k: v for k, v in extra.items() if v is not None}
