"""What `tune launch` shows: the plan and the preflight table before it asks, and the outcome after."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from ops.tuning.launch import LaunchResult


def render_plan(console: Console, result: LaunchResult) -> None:
    plan = (result.estimate or {}).get("plan") or {}
    cost = (
        f"{result.estimate['amount']} {result.estimate.get('currency') or ''}"
        if result.estimate and result.estimate.get("amount") is not None
        else "unknown"
    )
    rows = [
        ("run", result.run_id),
        ("engine", result.engine),
        ("region", result.region),
        ("accelerator", result.accelerator or "chosen by Vertex AI"),
        ("examples", plan.get("examples")),
        ("billable tokens", plan.get("billable_tokens")),
        ("epochs", plan.get("epochs")),
        ("total steps", plan.get("total_steps") or "chosen by Vertex AI"),
        ("estimated hours", plan.get("estimated_hours") or "unknown"),
        ("estimated cost", cost),
    ]
    for name, value in rows:
        console.print(f"{name:>16}: {value if value is not None else '-'}", highlight=False, markup=False)


def render_gate(console: Console, result: LaunchResult) -> None:
    from ops.commands.preflight import render_checks, render_verdict
    from ops.preflight.gate import PreflightReport

    if result.preflight is None:
        console.print("preflight: [yellow]skipped[/yellow] (--skip-preflight; the ledger records it)")
        return
    gate = result.preflight  # PreflightReport.as_dict(): rebuild the report to render it the same way
    report = PreflightReport(
        gate["engine"], gate["accelerator"], gate["region"], gate["project"], tuple(gate["checks"]),
        tuple(gate["allow_unknown"]),
    )  # fmt: skip
    render_checks(console, report, title="preflight")
    render_verdict(console, report)


def render_warnings(console: Console, result: LaunchResult) -> None:
    for warning in result.warnings:
        console.print(f"[bold yellow]warning:[/bold yellow] {warning}", highlight=False)


def render_before_launch(console: Console, result: LaunchResult) -> None:
    """What the user agrees to: the warnings, the plan, then the preflight table."""
    render_warnings(console, result)
    render_plan(console, result)
    render_gate(console, result)


def render_launch(console: Console, result: LaunchResult) -> None:
    import json

    if result.dry_run:
        from ops.output import stderr_console

        # Warnings go to stderr, like every warning: stdout is the dry run's report.
        render_warnings(stderr_console(always=True), result)
        console.print(
            f"dry run: nothing was sent. Run id [bold]{result.run_id}[/bold] "
            f"({result.engine}, {result.region})"
        )
    elif result.outcome == "existing":
        console.print(
            f"run [bold]{result.run_id}[/bold] already exists: {result.job.name if result.job else '?'} "
            f"({result.job.state if result.job else '?'}); nothing new was launched (--force launches again)"
        )
    else:
        job = result.job
        assert job is not None
        console.print(f"launched run [bold]{result.run_id}[/bold]: {job.name} ({job.state})")
        if job.billing_id:
            console.print(f"billing id (vertex-ai-pipelines-run-billing-id): {job.billing_id}")
        for upload in result.uploads:
            verb = "uploaded" if upload["uploaded"] else "already present, not uploaded"
            console.print(f"  {upload['role']}: {upload['uri']} ({upload['bytes']} bytes, {verb})")
        for name in result.cancelled_duplicates:
            console.print(
                f"[yellow]cancelled duplicate job[/yellow] {name}: another launch of this run created it; "
                "the oldest job is kept",
                highlight=False,
            )
        if result.gate and result.gate.get("skipped"):
            console.print("preflight was skipped (--skip-preflight); the ledger records it")
    for note_text in result.notes:
        console.print(f"[yellow]note:[/yellow] {note_text}", highlight=False)
    for placeholder in result.placeholders:
        console.print(
            f"[yellow]placeholder:[/yellow] {placeholder} is not configured; the request shows a stand-in"
        )
    if result.estimate and result.estimate.get("amount") is not None:
        console.print(f"estimated cost: {result.estimate['amount']} {result.estimate.get('currency') or ''}")
    elif result.estimate:
        console.print(
            "estimated cost: unknown (`tunectl plan` with the same options lists the missing figure)"
        )
    if result.dry_run:
        render_gate(console, result)
        console.print(f"{result.request['method']} {result.request['url']}")
        # Plain text, never wrapped or cropped: this is what would go over the wire.
        body = json.dumps(result.request["body"], indent=2, ensure_ascii=False)
        console.print(body, markup=False, highlight=False)
