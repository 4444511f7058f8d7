"""`tunectl infra`: plan the Pulumi stack offline (the real program under Pulumi's mocks)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ops.commands.common import FormatOption, get_settings, group
from ops.output import OutputFormat, emit

if TYPE_CHECKING:
    from rich.console import Console

app = group("Plan the Pulumi stack offline and check it against policy.")

StackOption = Annotated[
    str,
    typer.Option(
        "--stack",
        "-s",
        help="an example stack (gpu, tpu) or the path of a Pulumi.<stack>.yaml file",
        metavar="gpu|tpu|PATH",
    ),
]

# The inputs worth a glance in the text view, per resource type (JSON has them all).
_SUMMARY_KEYS = (
    "location",
    "region",
    "service",
    "accountId",
    "role",
    "member",
    "schedule",
    "quotaId",
    "quotaConfig",
    "dimensions",
    "billingAccount",
    "datasetId",
)


def _violations(
    stack: str, resources: list[dict[str, Any]], policy_config: Path | None
) -> list[dict[str, Any]]:
    """Policy violations of the planned resources: the policy pack run offline (policies/README.md)."""
    from ops.preflight.policy import check_plan

    return check_plan(stack, resources, policy_config)


def _summary(inputs: dict[str, Any]) -> str:
    parts = []
    for key in _SUMMARY_KEYS:
        value = inputs.get(key)
        if value is None:
            continue
        if isinstance(value, dict):
            value = ",".join(f"{k}={v}" for k, v in value.items())
        parts.append(f"{key}={value}")
    return " ".join(parts)


@app.command("plan")
def plan(ctx: typer.Context, stack: StackOption = "gpu", fmt: FormatOption = OutputFormat.text) -> None:
    """Print every resource `pulumi up` would create for a stack, computed offline under mocks.

    Exit 2 on a configuration error (the message names the config key and the fix), 1 when the
    plan violates a mandatory policy. The pack config is the `policy_config` setting, else
    policies/stacks/<stack>.json, else the pack's defaults.
    """
    from ops.errors import ExitStatus, needs_extra

    with needs_extra("infra", "`tunectl infra plan`"):
        from infra.offline import load_stack_file, plan_stack
    from ops.output import working
    from ops.preflight.policy import mandatory_failed

    with working(f"planning stack {stack} offline (Pulumi under mocks)"):
        resources = plan_stack(stack)
    stack_name = load_stack_file(stack).name
    violations = _violations(stack_name, resources, get_settings(ctx).policy_config)
    report = {"stack": stack_name, "resources": resources, "violations": violations}

    def render(console: Console) -> None:
        from ops.output import wrapped

        console.print(f"stack {report['stack']}: {len(resources)} resources (offline plan)", highlight=False)
        current_type = None
        for resource in resources:
            if resource["type"] != current_type:
                current_type = resource["type"]
                console.print(current_type, style="bold", highlight=False)
            line = f"{resource['name']}  {_summary(resource['inputs'])}".rstrip()
            console.out(wrapped(line, console.width, "  ", "    "), highlight=False)
        from rich.markup import escape

        mandatory = sum(v["enforcement"] == "mandatory" for v in violations)
        verdict = f"{len(violations)} violation(s), {mandatory} mandatory" if violations else "no violations"
        console.print(f"policy pack: {verdict}", style="bold", highlight=False)
        for v in violations:
            where = v["resource"] or "stack"
            # One line each, unwrapped: policies/README.md quotes these lines, and scripts grep them.
            line = f"{v['enforcement']} {v['policy']} ({where}): {v['message']}"
            console.print(
                escape(line), style="red" if v["enforcement"] == "mandatory" else "yellow", highlight=False
            )

    emit(report, fmt, render)
    if mandatory_failed(violations):
        raise typer.Exit(int(ExitStatus.CHECK_FAILED))
