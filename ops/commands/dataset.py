"""`tunectl dataset`: validate, convert, split and describe tuning datasets (local or gs://)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ops.commands.common import FormatOption, get_settings, group, one_reward_config
from ops.errors import ExitStatus, TunectlError
from ops.output import OutputFormat, emit, plural

if TYPE_CHECKING:
    from ops.datasets.tokens import TokenCounter
    from ops.settings import Settings

app = group("Validate, convert, split and describe tuning datasets.")


class KindChoice(StrEnum):
    auto = "auto"
    supervised = "supervised"
    preference = "preference"
    prompt = "prompt"
    reinforcement = "reinforcement"


class CounterChoice(StrEnum):
    estimate = "estimate"
    vertex = "vertex"


class StyleChoice(StrEnum):
    gemini = "gemini"
    palm = "palm"


BaseModelOption = Annotated[
    str | None, typer.Option("--base-model", help="base model whose limits apply (e.g. gemini-3.5-flash)")
]
CounterOption = Annotated[
    CounterChoice,
    typer.Option(
        "--counter",
        help="estimate: offline chars/4 (documented error), media at Google's documented rates; "
        "vertex: Vertex AI CountTokens (needs --base-model), examples with media sent whole",
        case_sensitive=False,
    ),
]


def _settings_if_remote(ctx: typer.Context, paths: list[str]) -> Settings | None:
    return get_settings(ctx) if any(p.startswith("gs://") for p in paths) else None


def make_counter(ctx: typer.Context, choice: CounterChoice, base_model: str | None) -> TokenCounter:
    from ops.datasets.tokens import EstimateTokenCounter, VertexTokenCounter

    if choice is CounterChoice.estimate:
        return EstimateTokenCounter()
    if not base_model:
        from ops.models.catalog import current_model

        raise TunectlError(
            "missing-base-model",
            "--counter vertex counts with a model: pass --base-model",
            where="--counter",
            hint=f"e.g. --base-model {current_model()}, or --counter estimate to count offline",
        )
    return VertexTokenCounter(get_settings(ctx), model=base_model)


@app.command("validate")
def validate(
    ctx: typer.Context,
    paths: Annotated[list[str], typer.Argument(help="JSONL files or gs:// objects (training data)")],
    kind: Annotated[
        KindChoice, typer.Option(help="what the files must hold", case_sensitive=False)
    ] = KindChoice.auto,
    base_model: BaseModelOption = None,
    validation: Annotated[
        str | None, typer.Option("--validation", help="validation set, checked for size, kind and leakage")
    ] = None,
    counter: CounterOption = CounterChoice.estimate,
    check_uris: Annotated[
        bool,
        typer.Option(
            "--check-uris",
            help="ask Cloud Storage that every gs:// media object exists, has its mimeType and fits "
            "its size limit (one metadata read per object)",
        ),
    ] = False,
    reward_configs: Annotated[
        list[str] | None,
        typer.Option(
            "--reward-config",
            help="reinforcement reward config (YAML or JSON): every example's `references` must hold "
            "every key it reads",
        ),
    ] = None,
    per_code: Annotated[
        int,
        typer.Option(
            "--max-per-code", min=0, help="findings shown per check in text output (0: counts only)"
        ),
    ] = 5,
    fmt: FormatOption = OutputFormat.text,
) -> None:
    """Run every check on dataset files; exit 1 if any file has an error.

    Each finding has a stable code, a line (and a column for JSON errors). Text output shows the
    first findings of each code; --format json lists them all.
    """
    from ops.datasets import validate_files
    from ops.datasets.reinforcement import required_references
    from ops.datasets.render import render_reports

    reward_config = one_reward_config(reward_configs)
    references = required_references(reward_config) if reward_config is not None else None
    remote = _settings_if_remote(ctx, [*paths, *([validation] if validation else [])])
    settings = get_settings(ctx) if check_uris else remote
    reports = validate_files(
        paths,
        kind=kind.value,
        base_model=base_model,
        counter=make_counter(ctx, counter, base_model),
        validation=validation,
        settings=settings,
        check_uris=check_uris,
        references=references,
    )
    emit({"files": reports}, fmt, lambda console: render_reports(console, reports, per_code=per_code))
    if not all(r.valid for r in reports):
        raise typer.Exit(int(ExitStatus.CHECK_FAILED))


@app.command("stats")
def stats(
    ctx: typer.Context,
    path: Annotated[str, typer.Argument(help="a JSONL file or gs:// object")],
    base_model: BaseModelOption = None,
    counter: CounterOption = CounterChoice.estimate,
    fmt: FormatOption = OutputFormat.text,
) -> None:
    """Examples, token distributions (p5/p50/p95/max) for input and output, billable tokens."""
    from ops.datasets import validate_file
    from ops.datasets.render import _tokens_line, media_line, references_line, spelling_line

    report = validate_file(
        path,
        base_model=base_model,
        counter=make_counter(ctx, counter, base_model),
        settings=_settings_if_remote(ctx, [path]),
    )
    data: dict[str, Any] = {
        "path": report.path,
        "kind": report.kind,
        "style": report.style,
        "examples": report.examples,
        "well_formed_examples": report.stats["well_formed_examples"],
        "errors": len(report.errors),
        "token_counter": report.stats["token_counter"],
        "tokens": report.stats["tokens"],
        "billable_tokens": report.stats["tokens"]["billable"],
        "classification": report.stats["classification"],
        "field_spelling": report.stats["field_spelling"],
        "media": report.stats["media"],
    }
    if "references" in report.stats:
        data["references"] = report.stats["references"]

    def render(console: Any) -> None:
        console.print(
            f"{report.path}: {report.kind} ({report.style}), {plural(report.examples, 'example')}",
            markup=False,
            highlight=False,
        )
        console.print(_tokens_line(report.stats), markup=False, highlight=False)
        for line in (media_line(report.stats), spelling_line(report.stats), references_line(report.stats)):
            if line is not None:
                console.print(line, markup=False, highlight=False)
        console.print(f"counter method: {report.stats['token_counter']['method']}", markup=False)
        media_counter = report.stats["tokens"].get("media_counter")
        if media_counter is not None:
            console.print(f"media counter method: {media_counter['method']}", markup=False)
        if report.errors:
            console.print(
                f"note: {plural(len(report.errors), 'error')}; statistics cover the "
                f"{plural(data['well_formed_examples'], 'well-formed example')} "
                "(see `tunectl dataset validate`)",
                markup=False,
            )

    emit(data, fmt, render)


@app.command("convert")
def convert(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="a JSONL file or gs:// object")],
    to: Annotated[StyleChoice, typer.Option("--to", help="target style", case_sensitive=False)],
    output: Annotated[Path, typer.Option("--output", "-o", help="file to write (atomically)")],
    fmt: FormatOption = OutputFormat.text,
) -> None:
    """Convert between the article's (PaLM) formats and Gemini's, supervised or preference."""
    from ops.datasets.convert import convert_file

    result = convert_file(source, output, to=to.value, settings=_settings_if_remote(ctx, [source]))
    emit(
        result,
        fmt,
        lambda console: console.print(
            f"wrote {result.output}: {plural(result.examples, 'example')}, "
            f"{result.from_format} -> {result.to_format}",
            markup=False,
            highlight=False,
        ),
    )


@app.command("split")
def split(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="a JSONL file or gs:// object")],
    validation_fraction: Annotated[float, typer.Option("--validation-fraction", help="share held out, 0-1")],
    seed: Annotated[int, typer.Option("--seed", help="random seed; the same seed gives the same split")] = 0,
    out_dir: Annotated[
        Path | None, typer.Option("--out-dir", help="where STEM.train.jsonl / STEM.validation.jsonl go")
    ] = None,
    train_out: Annotated[Path | None, typer.Option("--train-out", help="training output file")] = None,
    validation_out: Annotated[
        Path | None, typer.Option("--validation-out", help="validation output file")
    ] = None,
    fmt: FormatOption = OutputFormat.text,
) -> None:
    """Seeded train/validation split, stratified by class for classification sets."""
    from ops.datasets.split import default_outputs, split_file

    if out_dir is not None and (train_out is not None or validation_out is not None):
        raise TunectlError(
            "split-outputs-conflict",
            "--out-dir names both outputs: it cannot be combined with --train-out or --validation-out",
            where="--out-dir",
            hint="give either --out-dir DIR, or --train-out PATH and --validation-out PATH",
            status=ExitStatus.USAGE,
        )
    default_train, default_validation = default_outputs(source, out_dir)
    result = split_file(
        source,
        validation_fraction=validation_fraction,
        seed=seed,
        train_out=train_out or default_train,
        validation_out=validation_out or default_validation,
        settings=_settings_if_remote(ctx, [source]),
    )

    def render(console: Any) -> None:
        console.print(
            f"wrote {result.train_path} ({plural(result.train_examples, 'example')}) and "
            f"{result.validation_path} ({plural(result.validation_examples, 'example')}), seed {result.seed}",
            markup=False,
            highlight=False,
        )
        if result.stratified_by:
            shares = ", ".join(f"{k} {v['train']}/{v['validation']}" for k, v in result.per_class.items())
            console.print(f"stratified by class (train/validation): {shares}", markup=False, highlight=False)

    emit(result, fmt, render)
