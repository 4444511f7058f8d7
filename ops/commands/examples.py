"""Examples shown at the end of each command's `--help`, keyed by command path.

Kept as data in one place so no command module has to carry them. tests/test_cli_dispatch.py checks
that every command has two or three and that each one parses (the options and arguments exist and
have valid values). A new command adds its lines here.
"""

from __future__ import annotations

EXAMPLES: dict[str, tuple[str, ...]] = {
    "plan": (
        "tunectl plan --train train.jsonl --validation validation.jsonl --engine gemini "
        "--base-model gemini-3.5-flash --epochs 3",
        "tunectl plan --train train.jsonl --engine rlhf-pipeline --accelerator tpu --steps 300",
        "tunectl plan --train prompts.jsonl --validation held-out.jsonl --engine gemini --method "
        "reinforcement --base-model gemini-3.5-flash --reward-config reward.yaml --batch-size 8 "
        "--samples-per-prompt 4 --epochs 2",
    ),
    "preflight": (
        "tunectl preflight --train train.jsonl --engine gemini --base-model gemini-3.5-flash --epochs 3",
        "tunectl preflight --train prefs.jsonl --engine rlhf-pipeline --accelerator tpu --steps 300",
        "tunectl preflight --train prompts.jsonl --engine gemini --method reinforcement --base-model "
        "gemini-3.5-flash --reward-config reward.yaml --project my-project --format json",
    ),
    "completion": (
        'eval "$(tunectl completion bash)"',
        'eval "$(tunectl completion zsh)"',
        "tunectl completion fish > ~/.config/fish/completions/tunectl.fish",
    ),
    "dataset validate": (
        "tunectl dataset validate train.jsonl --validation validation.jsonl",
        "tunectl dataset validate train.jsonl --base-model gemini-3.5-flash --format json",
        "tunectl dataset validate prompts.jsonl --kind reinforcement --reward-config reward.yaml",
    ),
    "reward test": (
        "tunectl reward test --reward-config reward.yaml --dataset train.jsonl --responses responses.jsonl",
        "tunectl reward test --reward-config reward.yaml --dataset train.jsonl "
        "--from-base-model gemini-3.5-flash --samples 4",
        "tunectl reward test --reward-config reward.json --dataset train.jsonl --responses r.jsonl -f json",
    ),
    "dataset stats": (
        "tunectl dataset stats train.jsonl",
        "tunectl dataset stats gs://my-bucket/train.jsonl --format json",
    ),
    "dataset convert": (
        "tunectl dataset convert train.jsonl --to gemini -o train.gemini.jsonl",
        "tunectl dataset convert prefs.jsonl --to gemini -o prefs.gemini.jsonl --format json",
    ),
    "dataset split": (
        "tunectl dataset split all.jsonl --validation-fraction 0.2 --seed 7",
        "tunectl dataset split all.jsonl --validation-fraction 0.1 --train-out train.jsonl "
        "--validation-out validation.jsonl",
    ),
    "tune launch": (
        "tunectl tune launch --engine gemini --base-model gemini-3.5-flash --train train.jsonl "
        "--validation validation.jsonl --epochs 3",
        "tunectl tune launch --engine rlhf-pipeline --accelerator tpu --base-model t5-large "
        "--train prefs.jsonl --steps 300 --dry-run",
        "tunectl tune launch --engine gemini --method reinforcement --base-model gemini-3.5-flash "
        "--reward-config reward.yaml --train prompts.jsonl --samples-per-prompt 4 --dry-run",
    ),
    "tune list": (
        "tunectl tune list",
        "tunectl tune list --local --format json",
        "tunectl tune list --filter 'schedule=weekly-sft' --limit 5 --format csv",
    ),
    "tune status": (
        "tunectl tune status gem-1a2b3c4d",
        "tunectl tune status gem-1a2b3c4d --format json",
    ),
    "tune sync": ("tunectl tune sync", "tunectl tune sync --region us-central1 --format json"),
    "tune wait": (
        "tunectl tune wait gem-1a2b3c4d",
        "tunectl tune wait gem-1a2b3c4d --timeout 7200",
    ),
    "tune cancel": (
        "tunectl tune cancel gem-1a2b3c4d --dry-run",
        "tunectl tune cancel gem-1a2b3c4d --yes",
    ),
    "tune predict": (
        'tunectl tune predict gem-1a2b3c4d --prompt "Is this sarcastic? Great, more rain."',
        "tunectl tune predict gem-1a2b3c4d --input prompts.jsonl --format json",
    ),
    "tune evaluate": (
        "tunectl tune evaluate gem-1a2b3c4d --eval validation.jsonl",
        "tunectl tune evaluate gem-1a2b3c4d --eval validation.jsonl --against-base -f md -o eval.md",
    ),
    "quota show": (
        "tunectl quota show --project my-project",
        "tunectl quota show --region us-east4 --format csv",
        "tunectl quota show --filter 'limit<64' --limit 5 --format json",
    ),
    "quota request": (
        "tunectl quota request tpu-v3-pod-cores --value 64 --justification 'RLHF tuning' "
        "--email me@example.com --dry-run",
        "tunectl quota request a2-cpus --value 48 --justification 'GPU tuning' --email me@example.com --yes",
    ),
    "quota watch": (
        "tunectl quota watch tpu-v3-pod-cores",
        "tunectl quota watch tpu-v3-pod-cores --timeout 86400 --interval 300",
    ),
    "cost reconcile": (
        "tunectl cost reconcile --month 2026-11",
        "tunectl cost reconcile --billing-export export.parquet --runs-file runs.json --month 2026-10",
        "tunectl cost reconcile --month 2026-11 --filter 'schedule=weekly-sft' --format csv",
    ),
    "cost report": (
        "tunectl cost report --month 2026-11 -o cost-report.html",
        "tunectl cost report --billing-export export.parquet --month 2026-10 -o cost-report.md",
    ),
    "cost diff": (
        "tunectl cost diff before.json after.json --format md --fail-over 10",
        "tunectl cost diff --month 2026-10 --billing-export out/billing-export.parquet",
    ),
    "schedules list": (
        "tunectl schedules list",
        "tunectl schedules list --region europe-west4 --format json",
    ),
    "schedules status": (
        "tunectl schedules status weekly-sft",
        "tunectl schedules status weekly-sft --billing-export out/billing-export.parquet --month 2026-10",
        "tunectl schedules status --format yaml",
    ),
    "schedules check": (
        "tunectl schedules check",
        "tunectl schedules check weekly-sft --format json",
        "tunectl schedules check --pause-on-no-go --yes",
    ),
    "schedules pause": (
        "tunectl schedules pause weekly-sft",
        "tunectl schedules pause weekly-sft --dry-run",
    ),
    "schedules resume": (
        "tunectl schedules resume weekly-sft",
        "tunectl schedules resume weekly-sft --dry-run --format json",
    ),
    "models list": (
        "tunectl models list",
        "tunectl models list --format json",
    ),
    "models refresh": (
        "tunectl models refresh --project my-project",
        "tunectl models refresh -o catalog.json --format json",
    ),
    "cost sample-export": (
        "tunectl cost sample-export -o billing-export.parquet",
        "tunectl cost sample-export -o billing-export.jsonl --detailed",
    ),
    "pricing show": (
        "tunectl pricing show",
        "tunectl pricing show --filter engine=gemini --format csv",
        "tunectl pricing show --filter 'id:flash' --limit 2 --format json",
    ),
    "pricing refresh": (
        "tunectl pricing refresh",
        "tunectl pricing refresh --currency EUR -o prices.json",
    ),
    "infra plan": (
        "tunectl infra plan --stack gpu",
        "tunectl infra plan --stack tpu --format json",
        "tunectl infra plan --stack Pulumi.prod.yaml",
    ),
    "config show": (
        "tunectl config show",
        "tunectl config show --region europe-west4 --format json",
    ),
}


def epilog(path: str) -> str | None:
    """The `Examples:` block of `tunectl PATH --help` (`\\b` keeps Click from rewrapping the lines)."""
    lines = EXAMPLES.get(path)
    if not lines:
        return None
    return "Examples:\n\n\b\n" + "\n".join(f"  $ {line}" for line in lines)
