"""`tunectl reward`: test a reinforcement tuning reward on responses before paying for a run."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ops.commands.common import FormatOption, get_settings, group
from ops.errors import ExitStatus, TunectlError
from ops.output import OutputFormat, emit, note, warn

if TYPE_CHECKING:
    from rich.console import Console

app = group("Test reinforcement tuning rewards on responses before a run.")

BAR_WIDTH = 30
SCORED_BY = {
    "local": "scored locally",
    "service": "scored by validateReinforcementTuningReward",
    "unknown": "not scored",
}


@contextmanager
def _progress_bar(what: str, total: int) -> Iterator[Callable[[], None]]:
    """A transient Rich progress bar on stderr (silent under --quiet)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from ops.output import stderr_console

    columns = (TextColumn(what), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=stderr_console(), transient=True) as bar:
        task = bar.add_task(what, total=total)
        yield lambda: bar.advance(task, 1)


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _render_stats(console: Console, title: str, stats: dict[str, Any]) -> None:
    console.print(title, highlight=False, markup=False)
    counts = f"  scored {stats['scored']}"
    if stats["errors"]:
        counts += f", errors {stats['errors']}"
    if stats["unknown"]:
        counts += f", unknown {stats['unknown']}"
    console.print(
        f"{counts}   min {_number(stats['min'])}  mean {_number(stats['mean'])}  max {_number(stats['max'])}"
        f"   at -1: {_share(stats['share_at_minus_1'])}  at +1: {_share(stats['share_at_plus_1'])}",
        highlight=False,
        markup=False,
    )
    if not stats["scored"]:
        return
    top = max(b["count"] for b in stats["histogram"])
    for i, b in enumerate(stats["histogram"]):
        close = "]" if i == len(stats["histogram"]) - 1 else ")"
        bar = "#" * (round(b["count"] / top * BAR_WIDTH) if b["count"] else 0)
        console.print(
            f"  [{b['from']:+.1f}, {b['to']:+.1f}{close} {bar} {b['count'] or ''}".rstrip(),
            highlight=False,
            markup=False,
        )


def _render(data: dict[str, Any]) -> Callable[[Console], None]:
    def render(console: Console) -> None:
        console.print(
            f"{data['responses']} responses to {data['examples']} examples of {data['dataset']}, "
            f"from {data['responses_from']}",
            highlight=False,
            markup=False,
        )
        for reward in data["rewards"]:
            how = SCORED_BY[reward["scored_by"]]
            title = f"\nreward {reward['name']} ({reward['kind']}, weight {reward['weight']:g}, {how})"
            _render_stats(console, title, reward)
        if len(data["rewards"]) > 1:
            _render_stats(console, "\noverall (weighted mean)", data["overall"])
        if data["same_score_examples"]:
            lines = ", ".join(map(str, data["same_score_examples"]))
            console.print(
                f"\nexamples whose responses always score the same: {lines}", highlight=False, markup=False
            )
        for error in data["errors"]:
            console.print(
                f"error: example {error['example']}, {error['reward']}: {error['error']}",
                highlight=False,
                markup=False,
            )
        if data["error_count"] > len(data["errors"]):
            console.print(f"... {data['error_count'] - len(data['errors'])} more errors (see --format json)")
        console.print(f"\nverdict: {data['verdict']}", highlight=False, markup=False)

    return render


def _rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """`--format csv`: one row per reward and one for the overall reward (histograms as JSON)."""
    rewards = [{"reward": r["name"], **{k: v for k, v in r.items() if k != "name"}} for r in data["rewards"]]
    overall = {"reward": "overall", "kind": "weighted mean", "weight": None, "scored_by": None}
    return [*rewards, {**overall, **data["overall"]}]


@app.command("test")
def test(
    ctx: typer.Context,
    reward_config: Annotated[
        Path,
        typer.Option(
            "--reward-config",
            help="reward config file (.yaml or .json): singleRewardConfig or compositeRewardConfig",
        ),
    ],
    dataset: Annotated[
        Path, typer.Option("--dataset", help="reinforcement dataset (JSONL) the responses answer")
    ],
    responses: Annotated[
        Path | None,
        typer.Option("--responses", help='JSONL of {"example": <dataset line>, "response": "..."}'),
    ] = None,
    from_base_model: Annotated[
        str | None,
        typer.Option(
            "--from-base-model",
            help="ask this model for the responses (generateContent), e.g. gemini-2.5-flash",
        ),
    ] = None,
    samples: Annotated[
        int, typer.Option("--samples", min=1, max=16, help="with --from-base-model: responses per example")
    ] = 1,
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, max=32, help="requests in flight")] = 4,
    code_timeout: Annotated[
        float,
        typer.Option(
            "--code-timeout",
            min=0.01,
            help="seconds a code reward may take per response (the service allows 100)",
        ),
    ] = 100.0,
    code_memory: Annotated[
        int, typer.Option("--code-memory", min=64, help="MiB of address space a code reward may use")
    ] = 1024,
    offline: Annotated[
        bool,
        typer.Option(
            "--offline", help="do not call the service: autorater and Cloud Run rewards are unknown"
        ),
    ] = False,
    fmt: FormatOption = OutputFormat.text,
) -> None:
    """Score responses with a reward config and show whether the reward separates good answers from bad.

    String-match and code rewards are computed here (code in a separate process with a time and memory
    limit); autorater and Cloud Run rewards through validateReinforcementTuningReward when a project is
    set, else they are unknown. Exit 1 when a reward gives every response the same value, when a
    reward fails on a response, or when a reward is unknown; exit 2 for bad input.
    """
    from ops.reinforcement.check import RewardTest, run_reward_test
    from ops.reinforcement.sandbox import SandboxLimits

    if (responses is None) == (from_base_model is None):
        raise TunectlError(
            "reward-test-input",
            "give --responses FILE or --from-base-model MODEL (one of them)",
            where="--responses",
            hint="canned answers: --responses; fresh ones from the base model: --from-base-model",
        )
    settings = get_settings(ctx)
    test_spec = RewardTest(
        reward_config=reward_config,
        dataset=dataset,
        responses=responses,
        base_model=from_base_model,
        samples=samples,
        concurrency=concurrency,
        limits=SandboxLimits(timeout_s=code_timeout, memory_mb=code_memory),
        offline=offline,
    )
    data = run_reward_test(settings, test_spec, _progress_bar)
    for message in data["warnings"]:
        warn(message)
    for message in data["notes"]:
        note(message)
    emit(data, fmt, _render(data), rows=_rows(data))
    if data["verdict"] != "ok":
        raise typer.Exit(int(ExitStatus.CHECK_FAILED))
