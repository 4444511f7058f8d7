"""The offline walkthrough (README command 1): every capability that works without a project.

Each step is a real `tunectl` command line run in a subprocess, exactly as a user would type it, on
the sample data in `samples/`; outputs go under `out/`. It never needs credentials or network:
settings point at no project and Google's endpoints are never called.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "out"


@dataclass(frozen=True)
class Step:
    title: str
    argv: tuple[str, ...]
    stdout_to: str | None = None  # file under out/ that receives stdout
    expect: frozenset[int] = frozenset({0})  # exit statuses that mean the step showed what it should


CLS = "samples/sarcasm-classification"
GEN = "samples/sarcasm-generation"
GEM = "samples/sarcasm-generation-gemini"
PREF = "samples/sarcasm-preference"
RFT = "samples/arithmetic-reinforcement"
# Each run is planned, then preflighted, with the same arguments; each cost step reads the same export.
ARTICLE_RLHF_RUN = (
    "--train",
    f"{PREF}/train.jsonl",
    "--engine",
    "rlhf-pipeline",
    "--accelerator",
    "tpu",
    "--base-model",
    "t5-large",
    "--steps",
    "300",
)
GEMINI_RUN = (
    "--train", f"{GEM}/train.jsonl", "--validation", f"{GEM}/validation.jsonl",
    "--engine", "gemini", "--base-model", "gemini-2.5-pro", "--epochs", "3",
)  # fmt: skip
REINFORCEMENT_RUN = (
    "--engine", "gemini", "--method", "reinforcement", "--base-model", "gemini-3.5-flash",
    "--reward-config", f"{RFT}/reward-exact.yaml", "--train", f"{RFT}/train.jsonl",
    "--validation", f"{RFT}/validation.jsonl", "--epochs", "2",
)  # fmt: skip
COST_SOURCE = (
    "--billing-export",
    "out/billing-export.parquet",
    "--runs-file",
    "out/billing-export.runs.json",
    "--month",
    "2026-10",
)

STEPS: tuple[Step, ...] = (
    Step("Show the resolved settings and where each came from", ("config", "show")),
    # ML operator: datasets
    Step(
        "Validate the classification set and its validation split",
        ("dataset", "validate", f"{CLS}/train.jsonl", "--validation", f"{CLS}/validation.jsonl"),
    ),
    Step(
        "Validate the article-style (PaLM) generation set and its validation split",
        ("dataset", "validate", f"{GEN}/train.jsonl", "--validation", f"{GEN}/validation.jsonl"),
    ),
    Step(
        "Validate the Gemini-style generation set (JSON report)",
        (
            "dataset",
            "validate",
            f"{GEM}/train.jsonl",
            "--validation",
            f"{GEM}/validation.jsonl",
            "--base-model",
            "gemini-2.5-pro",
            "--format",
            "json",
        ),
        stdout_to="datasets/validate-gemini.json",
    ),
    Step(
        "Validate the RLHF preference set",
        (
            "dataset",
            "validate",
            f"{PREF}/train.jsonl",
            "--kind",
            "preference",
            "--validation",
            f"{PREF}/eval.jsonl",
        ),
    ),
    Step(
        "A malformed file: every problem by code and line (exit 1 on purpose)",
        ("dataset", "validate", "tests/data/malformed/roles-not-alternating.jsonl"),
        expect=frozenset({1}),
    ),
    Step(
        "Validate the reinforcement prompts against the reward config that will score them",
        (
            "dataset",
            "validate",
            f"{RFT}/train.jsonl",
            "--validation",
            f"{RFT}/validation.jsonl",
            "--reward-config",
            f"{RFT}/reward-composite.yaml",
        ),
    ),
    Step("Token statistics (offline estimate, labelled as such)", ("dataset", "stats", f"{GEN}/train.jsonl")),
    Step(
        "Convert article-style generation data to Gemini's format",
        (
            "dataset",
            "convert",
            f"{GEN}/train.jsonl",
            "--to",
            "gemini",
            "-o",
            "out/datasets/generation.gemini.jsonl",
        ),
    ),
    Step(
        "Convert the RLHF preference pairs to Gemini preference tuning's format",
        (
            "dataset",
            "convert",
            f"{PREF}/train.jsonl",
            "--to",
            "gemini",
            "-o",
            "out/datasets/preference.gemini.jsonl",
        ),
    ),
    Step(
        "Stratified train/validation split of the classification set",
        (
            "dataset",
            "split",
            f"{CLS}/train.jsonl",
            "--validation-fraction",
            "0.2",
            "--seed",
            "7",
            "--train-out",
            "out/datasets/classification.train.jsonl",
            "--validation-out",
            "out/datasets/classification.validation.jsonl",
        ),
    ),
    # ML operator: a reinforcement reward, tested before any run
    Step(
        "Test the exact-answer reward on canned responses: its spread before paying for a run",
        (
            "reward",
            "test",
            "--reward-config",
            f"{RFT}/reward-exact.yaml",
            "--dataset",
            f"{RFT}/train.jsonl",
            "--responses",
            f"{RFT}/responses.jsonl",
        ),
    ),
    Step(
        "The composite reward (string match + a Python snippet run in a child process with time and "
        "memory limits: a limit on mistakes, not a security boundary), as JSON",
        (
            "reward",
            "test",
            "--reward-config",
            f"{RFT}/reward-composite.yaml",
            "--dataset",
            f"{RFT}/train.jsonl",
            "--responses",
            f"{RFT}/responses.jsonl",
            "--format",
            "json",
        ),
        stdout_to="reinforcement/reward-test.json",
    ),
    # ML operator: models, plan and preflight
    Step("The catalog of models Vertex AI tunes, each with its Google source and date", ("models", "list")),
    Step(
        "Plan the article's RLHF run: 300 steps on a TPU v3 pod",
        ("plan", *ARTICLE_RLHF_RUN),
    ),
    Step(
        "Plan a Gemini tuning run (JSON)",
        ("plan", *GEMINI_RUN, "--format", "json"),
        stdout_to="plan-gemini.json",
    ),
    Step(
        "Preflight offline: what can be checked without a project; quota and budget are unknown, "
        "so the verdict is unknown (exit 1 on purpose: offline is never a go)",
        ("preflight", *ARTICLE_RLHF_RUN),
        expect=frozenset({1}),
    ),
    Step(
        "Preflight a Gemini run (JSON; verdict unknown offline, exit 1 on purpose)",
        ("preflight", *GEMINI_RUN, "--format", "json"),
        stdout_to="preflight-gemini.json",
        expect=frozenset({1}),
    ),
    # ML operator: launch requests, built and shown but not sent
    Step(
        "Dry-run a Gemini supervised tuning launch: the exact request and its cost",
        (
            "tune",
            "launch",
            "--engine",
            "gemini",
            "--base-model",
            "gemini-3.5-flash",
            "--train",
            f"{GEN}/train.jsonl",
            "--validation",
            f"{GEN}/validation.jsonl",
            "--epochs",
            "3",
            "--label",
            "team=nlp",
            "--dry-run",
        ),
    ),
    Step(
        "Dry-run the article's RLHF pipeline on TPU: compiled pipeline parameters and cost",
        (
            "tune",
            "launch",
            "--engine",
            "rlhf-pipeline",
            "--accelerator",
            "tpu",
            "--base-model",
            "t5-large",
            "--train",
            f"{PREF}/train.jsonl",
            "--prompts",
            f"{PREF}/prompts.jsonl",
            "--validation",
            f"{PREF}/eval.jsonl",
            "--steps",
            "300",
            "--dry-run",
        ),
    ),
    Step(
        "Plan the reinforcement run in Google's terms: steps of 8 prompts, 4 responses sampled for each",
        (
            "plan",
            *REINFORCEMENT_RUN,
            "--batch-size",
            "8",
            "--samples-per-prompt",
            "4",
        ),
    ),
    Step(
        "Dry-run a reinforcement tuning launch (Pre-GA, v1beta1): Google's warning, the reward as sent, "
        "and an unknown cost (Google bills training-phase tokens but cannot say how many a run makes)",
        (
            "tune",
            "launch",
            *REINFORCEMENT_RUN,
            "--samples-per-prompt",
            "4",
            "--thinking-level",
            "minimal",
            "--dry-run",
        ),
    ),
    Step("Runs in the local ledger", ("tune", "list", "--local")),
    # Platform engineer: the stack and its guardrails
    Step("Plan the GPU stack offline: what `pulumi up` would create", ("infra", "plan", "--stack", "gpu")),
    Step(
        "Plan the EU TPU stack offline (JSON inventory and policy verdicts)",
        ("infra", "plan", "--stack", "tpu", "--format", "json"),
        stdout_to="infra/plan-tpu.json",
    ),
    Step(
        "A stack the policy pack rejects (exit 1 on purpose)",
        ("infra", "plan", "--stack", "policies/examples/Pulumi.unguarded.yaml"),
        expect=frozenset({1}),
    ),
    # Finance: what each run really cost
    Step(
        "Generate a sample Cloud Billing export",
        ("cost", "sample-export", "-o", "out/billing-export.parquet"),
    ),
    Step(
        "Reconcile billed cost per run against the estimates",
        ("cost", "reconcile", *COST_SOURCE),
    ),
    Step(
        "Write the finance report (one self-contained HTML file with charts)",
        ("cost", "report", *COST_SOURCE, "-o", "out/cost-report.html"),
    ),
    Step(
        "The same reconciliation as CSV for spreadsheets",
        ("cost", "reconcile", *COST_SOURCE, "--format", "csv"),
        stdout_to="cost-reconcile.csv",
    ),
    Step("The dated price table behind every estimate", ("pricing", "show")),
)


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TUNECTL_", "GOOGLE_"))}
    env["TUNECTL_CONFIG"] = str(OUT / "tunectl-config.toml")  # never the user's own config
    env["TUNECTL_LEDGER"] = str(OUT / "ledger.sqlite")
    env["NO_COLOR"] = "1"
    return env


def run_step(step: Step, env: dict[str, str]) -> int:
    argv = [sys.executable, "-m", "ops", *step.argv]
    shown = "tunectl " + " ".join(shlex.quote(a) for a in step.argv)
    print(
        f"\n=== {step.title}\n$ {shown}" + (f" > out/{step.stdout_to}" if step.stdout_to else ""), flush=True
    )
    started = time.perf_counter()
    if step.stdout_to:
        target = OUT / step.stdout_to
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("w", encoding="utf-8") as handle:
            status = subprocess.call(argv, cwd=ROOT, env=env, stdout=handle)
    else:
        status = subprocess.call(argv, cwd=ROOT, env=env)
    print(f"(exit {status}, {time.perf_counter() - started:.2f} s)", flush=True)
    return status


def main() -> int:
    OUT.mkdir(exist_ok=True)
    env = _environment()
    failures = [step.title for step in STEPS if run_step(step, env) not in step.expect]
    written = sorted(p.relative_to(ROOT) for p in OUT.rglob("*") if p.is_file())
    print("\n=== What the walkthrough wrote")
    for path in written:
        print(f"  {path}  ({(ROOT / path).stat().st_size} bytes)")
    if failures:
        print(f"\nwalkthrough: {len(failures)} step(s) did not behave as expected: {', '.join(failures)}")
        return 1
    print(f"\nwalkthrough: {len(STEPS)} steps ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
