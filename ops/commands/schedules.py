"""`tunectl schedules`: the stack's scheduled runs, as visible and as guarded as launched ones."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from ops.commands.common import (
    DryRunOption,
    FormatOption,
    YesOption,
    confirm_or_refuse,
    get_settings,
    group,
)
from ops.commands.cost import BigQueryTableOption, BillingExportOption, FromOption, MonthOption, ToOption
from ops.errors import ExitStatus
from ops.output import Column, OutputFormat, emit, note

if TYPE_CHECKING:
    from rich.console import Console

    from ops.schedules.api import Schedule, Schedules
    from ops.schedules.check import ScheduleCheck
    from ops.settings import Settings

app = group("See, check, pause and resume the stack's scheduled tuning runs (Cloud Scheduler).")

NameArgument = Annotated[
    str, typer.Argument(help="schedule name (its tunectl-schedule label) or Scheduler job id")
]
OptionalName = Annotated[
    str | None, typer.Argument(help="one schedule (default: every schedule of the project)")
]
LocationsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--region",
        "-r",
        help="Cloud Scheduler location to search (repeatable); default: the stack outputs' region and "
        "the region setting",
    ),
]


def _schedules(settings: Settings, regions: list[str] | None) -> Schedules:
    from ops.schedules.api import Schedules, schedule_locations

    return Schedules(settings, schedule_locations(settings, regions or ()))


def _selected(schedules: Schedules, name: str | None) -> list[Schedule]:
    return [schedules.find(name)] if name else schedules.list()


def _when(value: str | None) -> str:
    return value[:19].replace("T", " ") + "Z" if value else "-"


def _attempt(schedule: Schedule) -> str:
    status = schedule.last_status
    if schedule.last_attempt is None or status is None:
        return "never fired"
    outcome = "ok" if status.ok else f"{status.name}: {status.message}".rstrip(": ")
    return f"{_when(schedule.last_attempt)} {outcome}"


def _state(schedule: Schedule) -> str:
    return "paused" if schedule.paused else schedule.state.lower()


def _stack_note(schedule: Schedule) -> str:
    # Pulumi compares config with its state, not with the live job: a plain `up` sees no change, but
    # after a refresh it writes the config's `paused` back.
    return (
        f"schedule {schedule.name} is managed by Pulumi stack {schedule.stack!r}: the next `pulumi up "
        "--refresh` sets it back to the stack's `paused` config; set "
        f"`paused` under tunectl:schedules.{schedule.name} to make this last"
    )


# A schedule's name is what `status`, `check`, `pause` and `resume` take: never cut.
SCHEDULE_COLUMNS = [
    Column("schedule", "schedule", id=True),
    Column("state", "state"),
    Column("next", "next firing"),
    Column("cron", "cron"),
    Column("attempt", "last attempt"),
    Column("engine", "engine"),
    Column("stack", "stack"),
]


# --- list, status ------------------------------------------------------------------------------------


@app.command("list")
def list_schedules(
    ctx: typer.Context, region: LocationsOption = None, fmt: FormatOption = OutputFormat.text
) -> None:
    """Each schedule: enabled or paused, cron and time zone, next firing, last attempt and its status."""
    schedules = _schedules(get_settings(ctx), region).list()
    rows = [s.summary() for s in schedules]

    def render(console: Console) -> None:
        from ops.output import text_table

        if not schedules:
            console.print("no tunectl schedules (the stack's `schedules` config creates them)")
            return
        table = [
            {
                "schedule": s.name,
                "state": _state(s),
                "next": _when(s.next_firing) + (" (if resumed)" if s.paused else ""),
                "cron": f"{s.cron} ({s.time_zone})",
                "attempt": _attempt(s),
                "engine": s.engine,
                "stack": s.stack or "-",
            }
            for s in schedules
        ]
        console.out(text_table(SCHEDULE_COLUMNS, table, console.width), end="", highlight=False)

    emit({"schedules": rows}, fmt, render, rows=rows)


# Run ids are copied into `tune status` and `wait`: never cut (ops.output.text_table).
JOB_COLUMNS = [
    Column("run", "run", id=True),
    Column("state", "state"),
    Column("created", "created"),
    Column("cost", "cost"),
    Column("ended", "ended"),
    Column("note", "note"),
]


def _money(entries: list[dict[str, Any]]) -> str:
    from decimal import Decimal

    from ops.costs.model import money_display

    return ", ".join(
        f"{money_display(Decimal(e['net']), e['currency'])} {e['currency']}"
        + (", provisional" if e.get("provisional") else "")
        for e in entries
    )


def _job_cost(cost: list[dict[str, Any]] | None) -> str:
    return "unknown" if cost is None else _money(cost) or "not billed"


def _schedule_cost(cost: dict[str, Any]) -> str:
    if not cost["known"]:
        return str(cost["note"])
    total = _money(cost["totals"]) or "nothing billed"
    unnamed = " (incl. rows of firings with no run id)" if cost["unnamed_runs"] else ""
    return f"{total} net {_window_text(cost['window'])}{unnamed}"


def _window_text(window: dict[str, Any]) -> str:
    """Both ends of the window, so a total never reads as more (or less) than it covers."""
    start, end = window.get("from"), window.get("to")
    if window.get("invoice_month") and not start:
        return f"in invoice month {window['invoice_month']}"
    if not start and not end:
        return "in the whole export"
    first = start[:10] if start else "the export's start"
    last = f"before {end[:10]}" if end else "now"
    return f"from {first} to {last}"


@app.command("status")
def status(
    ctx: typer.Context,
    name: OptionalName = None,
    region: LocationsOption = None,
    billing_export: BillingExportOption = None,
    bigquery_table: BigQueryTableOption = None,
    month: MonthOption = None,
    start: FromOption = None,
    end: ToOption = None,
    fmt: FormatOption = OutputFormat.text,
) -> None:
    """A schedule's state, next firing, last attempt, and the tuning jobs its firings created, newest
    first (by the tunectl-schedule label), flagging two jobs of one firing as a possible duplicate.

    With a billing export (--billing-export, --bigquery-table, the billing_table setting or the stack
    outputs), each job's billed cost and the schedule's total over the window it names (default: from
    the day its oldest listed job was created, or the last 30 days when no job is listed, to now);
    without one, or with an export that holds no rows, cost says unknown and why."""
    from ops.costs.options import CostInputs
    from ops.schedules.costs import schedule_costs
    from ops.schedules.status import created_jobs, status_of

    settings = get_settings(ctx)
    selected = _selected(_schedules(settings, region), name)
    jobs = {s.job_name: created_jobs(settings, s) for s in selected}
    inputs = CostInputs(list(billing_export or []), bigquery_table, month, start, end, None, [], [])
    costs = schedule_costs(settings, inputs, [job for listed in jobs.values() for job in listed])
    data = [status_of(s, jobs[s.job_name], costs) for s in selected]

    def render(console: Console) -> None:
        from ops.output import text_table

        if not data:
            console.print("no tunectl schedules (the stack's `schedules` config creates them)")
        for schedule, entry in zip(selected, data, strict=True):
            console.print(f"[bold]{schedule.name}[/bold] ({schedule.job_name})", highlight=False)
            next_firing = _when(schedule.next_firing) + (" (if resumed)" if schedule.paused else "")
            for key, value in (
                ("state", _state(schedule)),
                ("cron", f"{schedule.cron} ({schedule.time_zone})"),
                ("next firing", next_firing),
                ("last attempt", _attempt(schedule)),
                ("target", f"{schedule.engine}: POST {schedule.target_uri}"),
                ("retries", str(schedule.retry_count)),
                ("stack", schedule.stack or "-"),
                ("cost", _schedule_cost(entry["cost"])),
            ):
                console.print(f"{key:>13}: {value}", highlight=False)
            if not entry["jobs"]:
                console.print(f"{'jobs':>13}: none yet", highlight=False)
                continue
            rows = [
                {
                    "run": job.run_id,
                    "state": job.state,
                    "created": _when(job.create_time),
                    "ended": _when(job.end_time),
                    "cost": _job_cost(job.cost),
                    "note": "possible duplicate: another job of this firing"
                    if job.possible_duplicate
                    else (job.error or ""),
                }
                for job in entry["jobs"]
            ]
            console.out(text_table(JOB_COLUMNS, rows, console.width), end="", highlight=False)

    emit(data[0] if name else {"schedules": data}, fmt, render)


# --- check -------------------------------------------------------------------------------------------


def _confirmed_pauses(to_pause: list[ScheduleCheck], yes: bool) -> list[ScheduleCheck]:
    """The schedules to pause, once confirmed (`--yes`, or a person at a terminal says yes)."""
    if not to_pause:
        return []
    names = ", ".join(r.schedule.name for r in to_pause)
    question = f"Pause {names}? Its next firing is a no-go."
    if confirm_or_refuse(question, yes=yes, what=f"pausing {names} (next firing no-go)"):
        return to_pause
    note(f"not paused: {names}")
    return []


def _render_check(console: Console, results: list[ScheduleCheck], overall: str) -> None:
    from ops.commands.preflight import render_check_lines

    if not results:
        console.print("no tunectl schedules to check (the stack's `schedules` config creates them)")
        return
    verdicts = {"go": "[green]GO[/green]", "no-go": "[red]NO-GO[/red]", "unknown": "[yellow]UNKNOWN[/yellow]"}
    for result in results:
        schedule = result.schedule
        when = _when(schedule.next_firing) + (" (paused: if resumed)" if schedule.paused else "")
        render_check_lines(
            console,
            f"schedule {schedule.name}: next firing {when}",
            [(check.status.value, check.name, check.reason) for check in result.checks],
        )
        console.print(f"verdict: {verdicts[result.verdict]}")
        if result.paused_by_check:
            console.print(
                f"paused {schedule.name}; resume it with `tunectl schedules resume {schedule.name}`",
                highlight=False,
            )
    if len(results) > 1:
        console.print(f"overall: {verdicts[overall]}")


@app.command("check")
def check(
    ctx: typer.Context,
    name: OptionalName = None,
    pause_on_no_go: Annotated[
        bool,
        typer.Option("--pause-on-no-go", help="pause each enabled schedule whose next firing is a no-go"),
    ] = False,
    yes: YesOption = False,
    region: LocationsOption = None,
    fmt: FormatOption = OutputFormat.text,
) -> None:
    """The launch gate for each schedule's next firing: request body, datasets, region, quota, budget
    headroom for the run's estimate, and no earlier firing still running.

    Exit 0 when every schedule is a go, 1 on a no-go or an unknown (a check that could not be made).
    """
    from dataclasses import replace

    from ops.output import warn
    from ops.schedules.check import NO_GO, check_schedule, overall_verdict

    settings = get_settings(ctx)
    schedules = _schedules(settings, region)
    results = [check_schedule(settings, s) for s in _selected(schedules, name)]
    if pause_on_no_go:
        no_go = [r for r in results if r.verdict == NO_GO and not r.schedule.paused]
        for result in _confirmed_pauses(no_go, yes):
            paused = schedules.pause(result.schedule)
            results[results.index(result)] = replace(result, schedule=paused, paused_by_check=True)
            if paused.stack_managed:
                warn(_stack_note(paused))
    overall = overall_verdict(results)
    emit(
        {"verdict": overall, "schedules": [r.as_dict() for r in results]},
        fmt,
        lambda console: _render_check(console, results, overall),
    )
    if overall != "go":
        raise typer.Exit(int(ExitStatus.CHECK_FAILED))


# --- pause, resume -----------------------------------------------------------------------------------


def _move(
    ctx: typer.Context, name: str, region: list[str] | None, dry_run: bool, fmt: OutputFormat, verb: str
) -> None:
    from ops.clients import SCHEDULER_HOST
    from ops.output import warn

    settings = get_settings(ctx)
    schedules = _schedules(settings, region)
    schedule = schedules.find(name)
    target = "PAUSED" if verb == "pause" else "ENABLED"
    if dry_run:
        url = f"https://{SCHEDULER_HOST}/v1/{schedule.job_name}:{verb}"
        request: dict[str, Any] = {"dry_run": True, "schedule": schedule.name, "method": "POST", "url": url}
        emit(request, fmt, lambda console: console.print(f"dry run: nothing was sent.\nPOST {url}"))
        return
    if schedule.state == target:
        note(f"schedule {schedule.name} is already {_state(schedule)}")
    else:
        schedule = schedules.pause(schedule) if verb == "pause" else schedules.resume(schedule)
    if schedule.stack_managed:
        warn(_stack_note(schedule))
    after = f"; resume it with `tunectl schedules resume {schedule.name}`" if verb == "pause" else ""
    emit(
        schedule.summary(),
        fmt,
        lambda console: console.print(
            f"schedule {schedule.name}: {_state(schedule)}{after}", highlight=False
        ),
    )


@app.command("pause")
def pause(
    ctx: typer.Context,
    name: NameArgument,
    region: LocationsOption = None,
    dry_run: DryRunOption = False,
    fmt: FormatOption = OutputFormat.text,
) -> None:
    """Pause a schedule (Cloud Scheduler `pause`): it does not fire until resumed."""
    _move(ctx, name, region, dry_run, fmt, "pause")


@app.command("resume")
def resume(
    ctx: typer.Context,
    name: NameArgument,
    region: LocationsOption = None,
    dry_run: DryRunOption = False,
    fmt: FormatOption = OutputFormat.text,
) -> None:
    """Resume a paused schedule: it fires again at its next cron time (check it first)."""
    _move(ctx, name, region, dry_run, fmt, "resume")
