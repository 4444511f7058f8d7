"""Refuse, before anything is uploaded, a launch the service would reject after the upload.

Each refusal is a usage error (exit 2) with a stable code, the rule and its source, from the model
catalog (`ops/data/catalog.json`). Options that would not reach the request are refused too: the run
id is a digest of what the service sees, so an option it never receives must not change the run id.
"""

from __future__ import annotations

from ops.errors import TunectlError
from ops.models.catalog import (
    Rule,
    adapter_problem,
    method_problem,
    model_problem,
    region_problem,
    rlhf_problem,
)
from ops.tuning.spec import Accelerator, Engine, LaunchRequest, Method

# Options that only one engine or method sends; anything else would be dropped silently.
_ONLY_FOR = {
    "beta": (
        "--beta",
        "gemini preference tuning",
        lambda r: r.engine is Engine.gemini and r.method is Method.preference,
    ),
    "adapter_size": ("--adapter-size", "the gemini engine", lambda r: r.engine is Engine.gemini),
    "kl_coeff": ("--kl-coeff", "the rlhf-pipeline engine", lambda r: r.engine is Engine.rlhf_pipeline),
    "reward_model_learning_rate_multiplier": (
        "--reward-learning-rate-multiplier",
        "the rlhf-pipeline engine",
        lambda r: r.engine is Engine.rlhf_pipeline,
    ),
}


def resolve_method(engine: Engine, method: Method | None) -> Method:
    """The method a command runs with: `--method` defaults to supervised for gemini. The RLHF pipeline
    has no method (it learns a reward model from preference data), so an explicit `--method` with it
    would change nothing the service sees: refused, like every unsent option. The request still holds
    `supervised`, as it always has, so run ids stay what they were."""
    if method is not None and engine is Engine.rlhf_pipeline:
        raise TunectlError(
            "option-not-applicable",
            f"--method {method.value} applies only to the gemini engine; the rlhf pipeline has no "
            "method: it learns a reward model from preference data",
            where="--method",
            hint="drop --method, or use --engine gemini",
        )
    return Method.supervised if method is None else method


def refuse_unsent_options(request: LaunchRequest) -> None:
    from ops.tuning.reinforcement import refuse_unsent_reinforcement_options

    refuse_unsent_reinforcement_options(request)
    if request.prompts is not None and request.engine is not Engine.rlhf_pipeline:
        raise TunectlError(
            "option-not-applicable",
            "--prompts applies only to the rlhf-pipeline engine; this launch would not send it",
            where="--prompts",
            hint="drop --prompts",
        )
    for attribute, (flag, applies_to, applies) in _ONLY_FOR.items():
        if getattr(request.hyperparameters, attribute) is not None and not applies(request):
            raise TunectlError(
                "option-not-applicable",
                f"{flag} applies only to {applies_to}; this launch would not send it",
                where=flag,
                hint=f"drop {flag}",
            )


def catalog_problem(
    engine: Engine,
    model: str,
    method: Method,
    region: str,
    accelerator: Accelerator | None,
    *,
    cmek: bool = False,
    allow_unknown_model: bool = False,
    adapter_size: int | None = None,
) -> Rule | None:
    """The first catalog rule a run of `model` breaks, or None: what `tune launch` refuses, and
    `plan` too (a plan of a run the service would refuse prices nothing real)."""
    if engine is Engine.rlhf_pipeline:
        assert accelerator is not None
        return rlhf_problem(model, accelerator.value, cmek=cmek)
    rule = model_problem(model, allow_unknown=allow_unknown_model)
    if rule is None:
        rule = method_problem(model, method.value)
    if rule is None:
        rule = region_problem(model, method.value, region)
    if rule is None and adapter_size is not None:
        rule = adapter_problem(model, adapter_size)
    return rule


def refuse_what_the_service_rejects(request: LaunchRequest, kms_key: str | None, region: str) -> None:
    """The catalog's rules for this launch in `region`; the first broken one is raised."""
    refuse_unsent_options(request)
    model = str(request.base_model)
    rule = catalog_problem(
        request.engine,
        model,
        request.method,
        region,
        request.accelerator,
        cmek=bool(kms_key),
        allow_unknown_model=request.allow_unknown_model,
        adapter_size=request.hyperparameters.adapter_size,
    )
    if rule is not None:
        raise rule.error()
    if request.engine is Engine.rlhf_pipeline:
        return
    if request.method is Method.reinforcement:
        from ops.planning.reinforcement import learning_rate_problem
        from ops.tuning.reinforcement import thinking_problem

        problem = thinking_problem(model, request.hyperparameters) or learning_rate_problem(
            request.hyperparameters.learning_rate_multiplier
        )
        if problem is not None:
            raise problem
