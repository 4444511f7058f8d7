"""What the service would reject after the upload, `tune launch` refuses before it: a usage error
(exit 2) with a stable code, the rule and its source; nothing is read from or sent to the cloud."""

from __future__ import annotations

from typing import Any

import pytest

from tests.tune_fixtures import SAMPLES, TuneCli, pipeline_cache_fixture, tune_fixture  # noqa: F401 - fixtures

SFT = str(SAMPLES / "sarcasm-generation" / "train.jsonl")
PREFERENCES = str(SAMPLES / "sarcasm-preference" / "train.jsonl")
KEY_US = "projects/p/locations/us-central1/keyRings/r/cryptoKeys/k"
KEY_EU = "projects/p/locations/europe-west4/keyRings/r/cryptoKeys/k"


def gemini(*extra: str, model: str = "gemini-3.5-flash") -> tuple[str, ...]:
    return ("tune", "launch", "--engine", "gemini", "--base-model", model, "--train", SFT, "--yes", *extra)


def rlhf(*extra: str, model: str = "t5-small", accelerator: str = "tpu") -> tuple[str, ...]:
    return (
        "tune", "launch", "--engine", "rlhf-pipeline", "--base-model", model, "--accelerator", accelerator,
        "--train", PREFERENCES, "--yes", *extra,
    )  # fmt: skip


CASES = {
    "cmek-with-tpu-rlhf": (rlhf("--kms-key", KEY_EU), "cmek-not-supported", "validate_pipeline"),
    "unknown-rlhf-reference": (rlhf(model="llama-7b"), "rlhf-model-unknown", "tune-text-models-rlhf"),
    "large-t5-on-gpu": (rlhf(model="t5-xl", accelerator="gpu"), "rlhf-model-region", "europe-west4"),
    "adapter-size-3": (gemini("--adapter-size", "3"), "adapter-size-invalid", "1, 2, 4, 8, 16"),
    "adapter-16-on-2.5-pro": (
        gemini("--adapter-size", "16", model="gemini-2.5-pro"),
        "adapter-size-invalid",
        "1, 2, 4, 8 for gemini-2.5-pro",
    ),
    "beta-on-supervised": (gemini("--beta", "0.2"), "option-not-applicable", "--beta"),
    "kl-coeff-on-gemini": (gemini("--kl-coeff", "0.1"), "option-not-applicable", "--kl-coeff"),
    "adapter-on-rlhf": (rlhf("--adapter-size", "4"), "option-not-applicable", "--adapter-size"),
    "prompts-on-gemini": (gemini("--prompts", PREFERENCES), "option-not-applicable", "--prompts"),
    "retired-model": (gemini(model="gemini-2.5-flash"), "model-retired", "2026-10-16"),
    "unknown-model": (gemini(model="gemini-9-ultra"), "model-unknown", "--allow-unknown-model"),
    "method-not-supported": (
        gemini("--method", "preference", model="gemini-2.5-pro"),
        "method-not-supported",
        "supervised",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_launch_the_service_would_reject_is_a_usage_error_before_anything_is_sent(
    tune: TuneCli, cloud: Any, case: str
) -> None:
    args, code, detail = CASES[case]
    for mode in ((), ("--dry-run",)):  # a dry run refuses the same way
        status, _out, err = tune(*args, *mode)
        assert status == 2, err
        assert f"error[{code}]" in err and detail in err, err
        assert "source: " in err or code == "option-not-applicable", err
    assert cloud.faults.calls == {}


def test_an_unknown_model_launches_only_with_allow_unknown_model(tune: TuneCli) -> None:
    status, result = tune.json(*gemini("--dry-run", "--allow-unknown-model", model="gemini-9-ultra"))
    assert status == 0 and result["outcome"] == "dry-run"
    # The gate still says what it could not check.
    assert result["preflight"]["verdict"] != "go"


def test_launch_without_a_terminal_or_yes_asks_for_confirmation_and_sends_nothing(
    tune: TuneCli, cloud: Any, vertex_server: Any, storage_server: Any
) -> None:
    args = [a for a in gemini("--skip-preflight") if a != "--yes"]
    status, _out, err = tune(*args)
    assert status == 2 and "error[confirmation-needed]" in err and "--yes" in err
    # Shown before asking: the plan and the preflight line.
    assert "estimated cost" in err and "preflight: skipped" in err
    assert not vertex_server.tuning_jobs and not storage_server.objects


def test_dry_run_never_asks(tune: TuneCli) -> None:
    args = [a for a in gemini("--dry-run") if a != "--yes"]
    status, result = tune.json(*args)
    assert status == 0 and result["outcome"] == "dry-run" and result["preflight"]["verdict"] == "unknown"


def test_the_plan_shown_before_asking_names_the_accelerator_steps_and_cost(tune: TuneCli) -> None:
    args = [a for a in rlhf("--skip-preflight", "--steps", "30") if a != "--yes"]
    status, _out, err = tune(*args)
    assert status == 2 and "error[confirmation-needed]" in err
    assert "tpu (TPU v3 pod, 64 cores, europe-west4)" in err
    assert "total steps: 30" in err and "estimated cost: 8.28 USD" in err


@pytest.mark.parametrize("method", ["supervised", "preference", "reinforcement"])
@pytest.mark.parametrize("command", [("plan",), ("preflight",), ("tune", "launch", "--dry-run")])
def test_the_rlhf_pipeline_has_no_method_so_an_explicit_method_is_refused(
    tune: TuneCli, command: tuple[str, ...], method: str
) -> None:
    status, _out, err = tune(
        *command, "--engine", "rlhf-pipeline", "--base-model", "t5-small", "--accelerator", "tpu",
        "--train", PREFERENCES, "--method", method,
    )  # fmt: skip
    assert status == 2 and "error[option-not-applicable]" in err and "--method" in err, err
    assert "hint: drop --method" in err


PLAN_REFUSALS = {
    "rlhf-model-unknown": ("--engine", "rlhf-pipeline", "--base-model", "llama-7b", "--train", PREFERENCES),
    "rlhf-model-region": (
        "--engine",
        "rlhf-pipeline",
        "--accelerator",
        "gpu",
        "--base-model",
        "t5-xxl",
        "--train",
        PREFERENCES,
    ),
    "region-not-supported": (
        "--region",
        "europe-west4",
        "--engine",
        "gemini",
        "--method",
        "reinforcement",
        "--base-model",
        "gemini-3.5-flash",
        "--train",
        str(SAMPLES / "arithmetic-reinforcement" / "train.jsonl"),
    ),
    "model-retired": ("--engine", "gemini", "--base-model", "gemini-2.5-flash", "--train", SFT),
}


@pytest.mark.parametrize("code", sorted(PLAN_REFUSALS))
def test_plan_refuses_what_launch_refuses(tune: TuneCli, code: str) -> None:
    status, _out, err = tune("plan", *PLAN_REFUSALS[code])
    assert status == 2 and f"error[{code}]" in err, err
    assert "hint: " in err


@pytest.mark.parametrize(
    ("command", "engine", "train", "expected"),
    [
        (
            ("plan",),
            ("--engine", "gemini", "--base-model", "gemini-3.5-flash"),
            PREFERENCES,
            "--method supervised (the default) trains on supervised data; this file holds preference "
            "examples: pass --method preference",
        ),
        (
            ("tune", "launch", "--dry-run"),
            ("--engine", "gemini", "--base-model", "gemini-3.5-flash"),
            PREFERENCES,
            "pass --method preference",
        ),
        (
            ("preflight",),
            ("--engine", "rlhf-pipeline", "--base-model", "t5-small", "--accelerator", "tpu"),
            SFT,
            "--engine rlhf-pipeline trains on preference data; this file holds supervised examples",
        ),
    ],
)
def test_a_wrong_kind_names_the_option_the_user_passed_not_kind(
    tune: TuneCli, command: tuple[str, ...], engine: tuple[str, ...], train: str, expected: str
) -> None:
    status, out, err = tune(*command, *engine, "--train", train)
    said = " ".join((out + err).split())
    assert status == 1 and expected in said, said
    assert "--kind asked" not in said
