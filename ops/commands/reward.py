"""`tunectl reward`: test a reinforcement tuning reward on responses before paying for a run."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ops.commands.common import FormatOption, get_settings, group, one_reward_config
from ops.errors import ExitStatus, TunectlError
from ops.output import OutputFormat, counting, emit, note, plural, stderr_console, warn

if TYPE_CHECKING:
    from rich.console import Console

app = group("Test reinforcement tuning rewards on responses before a run.")

BAR_WIDTH = 30
SCORED_BY = {
    "local": "scored locally",
    "service": "scored by validateReinforcementTuningReward",
    "unknown": "not scored",
}


class Stopped(BaseException):
    """SIGTERM or SIGHUP arrived: unwinds like Ctrl-C (a BaseException, so no `except Exception`
    keeps it), which kills the running snippets' process groups on the way out."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextmanager
def _stop_on_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP would end tunectl at once, leaving a looping snippet's process (its own
    session, out of reach of the terminal's signals) to burn a CPU: turn them into `Stopped`."""
    import signal

    def stop(signum: int, frame: object) -> None:
        for sig in caught:  # a second signal must not cut the clean-up short
            signal.signal(sig, signal.SIG_IGN)
        raise Stopped(signum)

    caught = (signal.SIGTERM, signal.SIGHUP)
    previous = {sig: signal.signal(sig, stop) for sig in caught}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


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
        counts += f", not scored {stats['unknown']}"
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
            f"{plural(data['responses'], 'response')} to {plural(data['examples'], 'example')} of "
            f"{data['dataset']}, "
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
        console.print(f"\nverdict: {data['verdict']}", highlight=False, markup=False)

    return render


def _print_errors(data: dict[str, Any]) -> None:
    """Text mode: each failed score on stderr (diagnostics; stdout is the report). JSON, YAML and CSV
    carry them in `errors`."""
    console = stderr_console(always=True)
    for error in data["errors"]:
        console.print(
            f"error: example {error['example']} (responses line {error['response_line']}), reward "
            f"{error['reward']}: {error['error']}",
            highlight=False,
            markup=False,
        )
    if data["error_count"] > len(data["errors"]):
        more = data["error_count"] - len(data["errors"])
        console.print(f"... {more} more errors (see --format json)", highlight=False, markup=False)


def _rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """`--format csv`: one row per reward and one for the overall reward (histograms as JSON)."""
    rewards = [{"reward": r["name"], **{k: v for k, v in r.items() if k != "name"}} for r in data["rewards"]]
    overall = {"reward": "overall", "kind": "weighted mean", "weight": None, "scored_by": None}
    return [*rewards, {**overall, **data["overall"]}]


@app.command("test")
def test(
    ctx: typer.Context,
    reward_configs: Annotated[
        list[Path],
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
            help="ask this model for the responses (generateContent), e.g. gemini-3.5-flash",
        ),
    ] = None,
    samples: Annotated[
        int | None,
        typer.Option(
            "--samples", min=1, max=16, help="with --from-base-model: responses per example (default 1)"
        ),
    ] = None,
    concurrency: Annotated[
        int,
        typer.Option(
            "--concurrency", min=1, max=32, help="requests in flight, and code snippets run at once"
        ),
    ] = 4,
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

    String-match and code rewards are computed here: code in child processes with a time and memory
    limit (a limit on mistakes, not a security boundary: the snippet runs as you, with your files and
    network; test only code you would run yourself). After 3 responses that hit the time limit, a
    snippet is not run on the rest. Autorater and Cloud Run rewards go through
    validateReinforcementTuningReward when a project is set, else they are unknown. Exit 0 only when
    every reward varies: exit 1 when a reward gives every response the same value, fails on a
    response, is unknown, or was scored on fewer than 2 responses; exit 2 for bad input.
    """
    from ops.reinforcement.check import RewardTest, run_reward_test
    from ops.reinforcement.sandbox import SandboxLimits

    reward_config = one_reward_config(reward_configs)
    assert reward_config is not None  # a required option
    if (responses is None) == (from_base_model is None):
        raise TunectlError(
            "reward-test-input",
            "give --responses FILE or --from-base-model MODEL (one of them)",
            where="--responses",
            hint="canned answers: --responses; fresh ones from the base model: --from-base-model",
        )
    if samples is not None and from_base_model is None:
        raise TunectlError(
            "reward-test-input",
            "--samples is the number of answers asked of --from-base-model; with --responses the file "
            "holds the answers",
            where="--samples",
            hint="drop --samples, or give several responses per example in the --responses file",
        )
    settings = get_settings(ctx)
    test_spec = RewardTest(
        reward_config=reward_config,
        dataset=dataset,
        responses=responses,
        base_model=from_base_model,
        samples=samples or 1,
        concurrency=concurrency,
        limits=SandboxLimits(timeout_s=code_timeout, memory_mb=code_memory),
        offline=offline,
    )
    try:
        with _stop_on_signals():
            data = run_reward_test(settings, test_spec, counting)
    except Stopped as stop:
        import signal

        # Like Ctrl-C's `interrupted`: one line, and the status a process killed by the signal has.
        with suppress(OSError):  # after SIGHUP the terminal may be gone
            print(f"stopped by {signal.Signals(stop.signum).name}", file=sys.stderr, flush=True)
        raise typer.Exit(128 + stop.signum) from None
    for message in data["warnings"]:
        warn(message)
    for message in data["notes"]:
        note(message)
    if fmt is OutputFormat.text:
        _print_errors(data)
    emit(data, fmt, _render(data), rows=_rows(data))
    if data["verdict"] != "ok":
        raise typer.Exit(int(ExitStatus.CHECK_FAILED))
