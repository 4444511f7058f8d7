"""`tunectl quota`: see, request and watch the accelerator and tuning-job quotas tuning needs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ops.commands.common import FormatOption, YesOption, confirm_or_refuse, get_settings, group
from ops.errors import ExitStatus
from ops.output import OutputFormat, emit

if TYPE_CHECKING:
    from rich.console import Console

    from ops.quotas.show import QuotaRow

app = group("See, request and watch accelerator quota.")

RegionsOption = Annotated[
    list[str] | None,
    typer.Option("--region", "-r", help="region to show (repeatable); default: each quota's own region"),
]
RegionOption = Annotated[
    str | None, typer.Option("--region", "-r", help="region dimension; default: the quota's own region")
]
QuotaName = Annotated[str, typer.Argument(help="quota key (tpu-v3-pod-cores), display name or quota id")]


def _limit(value: int | None) -> str:
    return "-" if value is None else "unlimited" if value == -1 else str(value)


def _render_rows(console: Console, rows: list[QuotaRow]) -> None:
    from rich.table import Table

    table = Table()
    for header in ("quota", "region", "limit", "needed", "granted/asked", "raise?"):
        table.add_column(header, no_wrap=header in {"quota", "region"})
    for row in rows:
        pref = row.preference
        preference = "-"
        if pref is not None:
            granted = "-" if pref.granted_value is None else _limit(pref.granted_value)
            preference = f"{pref.status.value} {granted}/{_limit(pref.preferred_value)}"
        increase = (
            "-"
            if row.increase_eligible is None
            else "yes"
            if row.increase_eligible
            else f"no: {row.ineligibility_reason}"
        )
        table.add_row(
            row.key, row.region, _limit(row.limit), f"{row.required} {row.unit}", preference, increase
        )
    console.print(table)
    # Ids and preference details are long: one line each, below the table, so nothing is cut.
    for row in rows:
        console.print(f"{row.key}: {row.display_name!r}", highlight=False)
        console.print(
            f"  quota id: {row.quota_id or 'UNRESOLVED'} ({row.resolved_by}: {row.resolution})",
            highlight=False,
        )
        pref = row.preference
        if pref is not None:
            trace = f", trace id {pref.trace_id}" if pref.trace_id else ""
            detail = f", {pref.state_detail}" if pref.state_detail else ""
            owner = f"managed by {pref.managed_by}{trace}{detail}"
            console.print(f"  preference {pref.preference_id} in {row.region} ({owner})", highlight=False)


@app.command("show")
def show(ctx: typer.Context, region: RegionsOption = None, fmt: FormatOption = OutputFormat.text) -> None:
    """Each tracked quota: resolved id, limit in force, our preference and whether it can be raised."""
    from ops.clients import quotas_client
    from ops.quotas.naming import stack_preference_ids
    from ops.quotas.show import quota_rows

    settings = get_settings(ctx)
    project = settings.require_project()
    rows = quota_rows(
        quotas_client(settings),
        project,
        regions=region or (),
        overrides=settings.quota_ids,
        default_region=settings.region,
        stack_ids=stack_preference_ids(settings),
    )
    emit({"project": project, "quotas": rows}, fmt, lambda console: _render_rows(console, rows))


@app.command("request")
def request(
    ctx: typer.Context,
    name: QuotaName,
    value: Annotated[int, typer.Option("--value", help="preferred quota value", min=0)],
    justification: Annotated[str, typer.Option("--justification", help="why the project needs it")],
    email: Annotated[str, typer.Option("--email", help="who Google may contact about the request")],
    region: RegionOption = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="have Cloud Quotas validate the request (validate_only); change nothing"
        ),
    ] = False,
    force: Annotated[
        bool,
        typer.Option("--force", help="change a preference the Pulumi stack manages (it will set it back)"),
    ] = False,
    yes: YesOption = False,
    fmt: FormatOption = OutputFormat.text,
) -> None:
    """Create or update the quota preference (idempotent upsert with a deterministic id)."""
    from ops.clients import quotas_client
    from ops.output import note, warn
    from ops.quotas.catalog import find_quota
    from ops.quotas.ceilings import ceiling_for
    from ops.quotas.naming import stack_preference_ids
    from ops.quotas.request import QuotaRequest, request_quota

    settings = get_settings(ctx)
    project = settings.require_project()
    quota = find_quota(name)
    target_region = region or (settings.region if quota.accelerator == "none" else quota.default_region)
    wish = QuotaRequest(quota, target_region, value, justification, email)
    outcome = request_quota(
        quotas_client(settings),
        project,
        wish,
        ceiling_of=lambda quota_id: ceiling_for(quota_id, settings),
        overrides=settings.quota_ids,
        dry_run=dry_run,
        force=force,
        stack_ids=stack_preference_ids(settings),
        confirm=lambda prompt: confirm_or_refuse(prompt, yes=yes, what="a quota request"),
    )
    if outcome.action == "refused-stack-managed":
        warn(outcome.message)
    elif outcome.action == "validated":
        note(f"dry run: {outcome.message}")

    def render(console: Console) -> None:
        console.print(f"{outcome.action}: {outcome.message}", highlight=False)
        console.print(f"  quota id: {outcome.resolution}", highlight=False)
        console.print(f"  ceiling: {outcome.ceiling.value} ({outcome.ceiling.source})", highlight=False)

    emit(outcome, fmt, render)
    if outcome.action in {"refused-stack-managed", "declined"}:
        raise typer.Exit(int(ExitStatus.CHECK_FAILED))


@app.command("watch")
def watch(
    ctx: typer.Context,
    name: QuotaName,
    region: RegionOption = None,
    timeout: Annotated[float, typer.Option("--timeout", help="give up after this many seconds")] = 3600.0,
    interval: Annotated[float, typer.Option("--interval", help="seconds between polls", min=0.0)] = 30.0,
    fmt: FormatOption = OutputFormat.text,
) -> None:
    """Poll our preference until Google decides: exit 0 when granted, 1 when partly or not granted, or
    still pending at the timeout."""
    from ops.clients import quotas_client
    from ops.quotas.watch import watch_with_progress

    settings = get_settings(ctx)
    result = watch_with_progress(
        quotas_client(settings),
        settings.require_project(),
        name,
        region=region,
        settings=settings,
        timeout=timeout,
        interval=interval,
    )

    def render(console: Console) -> None:
        view = result.preference
        state = "still pending at the timeout" if result.timed_out else view.status.value
        console.print(
            f"{view.preference_id}: {state} (preferred {view.preferred_value}, granted "
            f"{'-' if view.granted_value is None else view.granted_value}) after {result.polls} poll(s)",
            highlight=False,
        )

    emit(result, fmt, render)
    if not result.granted:
        raise typer.Exit(int(ExitStatus.CHECK_FAILED))
