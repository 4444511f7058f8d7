"""`validate_file` / `validate_files`: every check on one dataset file or a training + validation pair.

A local file larger than PARALLEL_MIN_BYTES is scanned by one process per CPU over line-aligned byte
ranges (the scan is CPU-bound; msgspec holds the GIL): this one and forked children (`forked.py`).
gs:// objects and exact token counters are scanned in one streaming pass.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ops.datasets.checks import CHECKS, Severity
from ops.datasets.cross import (
    TrainingKeys,
    class_issues,
    count_issues,
    duplicate_issues,
    file_issues,
    media_issues,
    media_stats,
    overlap_issues,
    spelling_name,
)
from ops.datasets.forked import WorkerDied, map_forked
from ops.datasets.formats import Kind, Layout, detect_layout
from ops.datasets.keys import KeyStore, KeyWriter
from ops.datasets.limits import ModelLimits, model_limits
from ops.datasets.media_counts import (
    RememberingCounter,
    apply_media_counts,
    count_media_examples_with_progress,
    documented_rates_counter,
    wants_whole_counts,
)
from ops.datasets.reinforcement import RequiredReferences, media_model_issues, reference_issues
from ops.datasets.scan import BOM, RangeResult, ScanOptions, iter_lines, scan_chunks
from ops.datasets.source import Source, line_aligned_ranges, open_source
from ops.datasets.tokens import EstimateTokenCounter, TokenCounter, VertexTokenCounter, counter_description
from ops.errors import TunectlError

if TYPE_CHECKING:
    from ops.settings import Settings

PARALLEL_MIN_BYTES = 32 << 20
# Formats whose method has its own limits table (`ops/data/model_limits.json`).
_METHOD_TABLE = {Layout.gemini_preference: "preference", Layout.gemini_reinforcement: "reinforcement"}
_HEAD_LINES = 1000  # lines read to find the file's format before the full scan


@dataclass(slots=True)
class Finding:
    line: int | None
    column: int | None
    code: str
    message: str


@dataclass
class FileReport:
    """One file's validation result; serialises to the JSON shape of `tunectl dataset validate`."""

    path: str
    kind: str | None
    style: str | None
    examples: int
    valid: bool
    errors: list[Finding]
    warnings: list[Finding]
    stats: dict[str, Any] = field(default_factory=dict)


def _ends_with_user(obj: dict[str, Any]) -> bool:
    contents = obj.get("contents")
    return isinstance(contents, list) and bool(contents) and _role(contents[-1]) == "user"


def _role(turn: Any) -> Any:
    return turn.get("role") if isinstance(turn, dict) else None


def find_layout(source: Source) -> tuple[Layout | None, int | None]:
    """The format of the file's first recognisable example, and its line. A first example with
    `input_text` alone is a prompt dataset only if no line of the head has an `output_text`: else it
    is a supervised example missing its output (and is reported as one). Likewise Gemini prompts
    that end with a user turn are reinforcement prompts missing their `references` when a line of
    the head has `references` (a supervised example never ends with a user turn)."""
    prompt_line = None
    open_line = None  # the first Gemini line without references that ends with a user turn
    first: tuple[Layout, int] | None = None  # the first line of any other format
    for lineno, line in iter_lines(source.line_chunks(0, min(source.size, 8 << 20))):
        if lineno > _HEAD_LINES:
            break
        try:
            obj = json.loads(line[len(BOM) :] if lineno == 1 and line.startswith(BOM) else line)
        except (ValueError, RecursionError):
            continue
        found = detect_layout(obj) if isinstance(obj, dict) else None
        if found is Layout.palm_prompt:
            prompt_line = prompt_line or lineno
        elif found is Layout.palm_supervised and prompt_line is not None:
            return found, prompt_line
        elif found is Layout.gemini_supervised and _ends_with_user(obj):
            open_line = open_line or lineno
        elif found is Layout.gemini_reinforcement and open_line is not None:
            return found, open_line
        elif found is not None:
            first = (found, lineno)
            break
    if prompt_line is not None:
        return Layout.palm_prompt, prompt_line
    if open_line is not None:
        return Layout.gemini_supervised, open_line
    return first if first is not None else (None, None)


def _scan_range(source: Source, start: int, end: int, options: ScanOptions, keys: KeyWriter) -> RangeResult:
    return scan_chunks(source.line_chunks(start, end), options, EstimateTokenCounter(), keys)


def _scan(
    source: Source, options: ScanOptions, counter: TokenCounter, workers: int, directory: Path
) -> tuple[list[RangeResult], KeyStore]:
    """The ranges' results in file order, and the key store they wrote to `directory`."""
    parallel = (
        workers > 1
        and source.local_path is not None
        and source.size >= PARALLEL_MIN_BYTES
        and isinstance(counter, EstimateTokenCounter)
    )
    ranges = line_aligned_ranges(source, workers) if parallel else [(0, source.size)]
    writers = [KeyWriter(directory, str(start)) for start, _ in ranges]
    if not parallel:
        parts = [scan_chunks(source.line_chunks(), options, counter, writers[0])]
    else:
        limit = options.max_tokens_per_example
        jobs = [
            (source, start, end, ScanOptions(options.layout, limit, start == 0, options.collect_media), keys)
            for (start, end), keys in zip(ranges, writers, strict=True)
        ]
        try:
            parts = map_forked(_scan_range, jobs)
        except WorkerDied as exc:
            raise TunectlError(
                "scanner-died",
                f"a process scanning part of {source.display} ended without a result ({exc})",
                hint="something outside tunectl ended it, often the kernel's out-of-memory killer "
                "(see `dmesg`); run the command again",
            ) from exc
    offsets = itertools.accumulate((part.lines for part in parts[:-1]), initial=0)
    store = KeyStore(directory, tuple(zip((w.name for w in writers), offsets, strict=True)))
    return parts, store


def _merge(parts: list[RangeResult]) -> RangeResult:
    """Join range results in order (consuming `parts`)."""
    merged = parts.pop(0)
    offset = merged.lines
    while parts:
        part = parts.pop(0)
        merged.examples += part.examples
        merged.well_formed += part.well_formed
        merged.issues.extend(
            (None if ln is None else ln + offset, col, code, msg) for ln, col, code, msg in part.issues
        )
        merged.input_counts.update(part.input_counts)
        merged.output_counts.update(part.output_counts)
        if merged.labels is not None and part.labels is not None:
            for label, n in part.labels.items():
                merged.labels[label] = merged.labels.get(label, 0) + n
        else:
            merged.labels = None
        merged.prompts.extend(part.prompts[: max(0, 200 - len(merged.prompts))])
        merged.spelling |= part.spelling
        merged.multimodal += part.multimodal
        merged.media_parts.update(part.media_parts)
        merged.media_tokens += part.media_tokens
        merged.media_unknown += part.media_unknown
        merged.resolutions |= part.resolutions
        for uri, ref in part.media_refs.items():
            seen = merged.media_refs.get(uri)
            merged.media_refs[uri] = (
                dataclasses.replace(ref, line=ref.line + offset)
                if seen is None
                else dataclasses.replace(seen, references=seen.references + ref.references)
            )
        offset += part.lines
        merged.lines = offset
    return merged


def _distribution(counts: Counter[int]) -> dict[str, int]:
    """Nearest-rank percentiles of a histogram of token counts (count -> examples)."""
    n = counts.total()
    if n == 0:
        return {"p5": 0, "p50": 0, "p95": 0, "max": 0, "total": 0}
    ordered = sorted(counts.items())

    def rank(q: int) -> int:
        wanted, seen = max(1, -(-q * n // 100)), 0
        for value, examples in ordered:
            seen += examples
            if seen >= wanted:
                return value
        raise AssertionError("unreachable: the ranks stop at n")

    return {
        "p5": rank(5),
        "p50": rank(50),
        "p95": rank(95),
        "max": ordered[-1][0],
        "total": sum(value * examples for value, examples in ordered),
    }


def _limits_stats(limits: ModelLimits) -> dict[str, Any]:
    return {
        "base_model": limits.base_model,
        "method": limits.method,
        "known_model": limits.known,
        "entry": limits.entry,
        "max_tokens_per_example": limits.max_tokens_per_example,
        "max_file_bytes": limits.max_file_bytes,
        "min_training_examples": limits.min_training_examples,
        "max_training_examples": limits.max_training_examples,
        "max_validation_examples": limits.max_validation_examples,
        "max_multimodal_training_examples": limits.max_multimodal_training_examples,
        "max_validation_share": limits.max_validation_share,
        "source": limits.source,
        "checked": limits.checked,
        "table_version": limits.table_version,
    }


def _validate_one(
    path_or_uri: str | os.PathLike[str],
    *,
    kind: str,
    base_model: str | None,
    counter: TokenCounter,
    training: Sequence[TrainingKeys],
    settings: Settings | None,
    workers: int,
    keys_directory: Path,
    limits: ModelLimits | None = None,
    check_media: bool = False,
    references: RequiredReferences | None = None,
    explain_kind: Callable[[Kind, Kind], str] | None = None,
) -> tuple[FileReport, TrainingKeys]:
    role = "validation" if training else "training"
    source = open_source(path_or_uri, settings=settings)
    layout, first_line = find_layout(source)
    wanted = Kind(kind) if kind != "auto" else None
    if wanted is Kind.reinforcement and layout is Layout.gemini_supervised:
        # Prompts without `references` read as supervised: checked as reinforcement, each line is
        # told what it lacks rather than that it does not end with a model turn.
        layout = Layout.gemini_reinforcement
    if limits is None:
        # Gemini preference and reinforcement tuning each have their own limits table; everything
        # else is read against the supervised table.
        method = _METHOD_TABLE.get(layout, "supervised") if layout is not None else "supervised"
        limits = model_limits(base_model, method=method)
    training_kind = next((t.layout.kind for t in training if t.layout is not None), None)
    issues = file_issues(source, limits, layout, first_line, wanted, training_kind, explain_kind)

    options = ScanOptions(layout, limits.max_tokens_per_example, collect_media=check_media)
    whole = None
    scan_counter: TokenCounter = counter
    if layout is not None and isinstance(counter, VertexTokenCounter) and wants_whole_counts(counter, layout):
        # Examples with media are counted whole by CountTokens (it reads the objects); the scan
        # still counts their texts, remembered so that its numbers can be swapped afterwards.
        whole = count_media_examples_with_progress(source, layout, counter)
        if whole.examples:
            scan_counter = RememberingCounter(counter, whole.watched())
    parts, store = _scan(source, options, scan_counter, workers, keys_directory)
    scanned = _merge(parts)
    media_counter = None
    if whole is not None and whole.examples:
        seen = scan_counter.seen if isinstance(scan_counter, RememberingCounter) else {}
        media_counter = apply_media_counts(scanned, whole, seen, limits.max_tokens_per_example)
    elif scanned.multimodal:
        media_counter = documented_rates_counter(scanned)
    issues += scanned.issues
    if check_media and scanned.media_refs:
        from ops.datasets.uris import check_uris_with_progress

        if settings is None:
            raise TunectlError("settings-needed", "--check-uris asks Cloud Storage: it needs a project")
        issues += check_uris_with_progress(scanned.media_refs, settings, limits.method)
    found, n_exact, n_near = duplicate_issues(store)
    issues += found
    found, overlaps = overlap_issues(store, training)
    issues += found
    trained = sum(t.examples for t in training)
    issues += count_issues(scanned.examples, role, limits, training_examples=trained)
    issues += media_issues(scanned, role, limits)
    reference_stats = None
    if scanned.layout is Layout.gemini_reinforcement:
        found, reference_stats = reference_issues(source.line_chunks(), references)
        issues += found
        issues += media_model_issues(scanned, base_model)
    if base_model and not limits.known and not _is_rlhf_base_model(base_model):
        message = (
            f"{base_model!r} is not in tunectl's limits table (version {limits.table_version}); "
            f"the default limits ({limits.entry}) apply and may not be this model's"
        )
        issues.append((None, None, "unknown-model", message))
    found, classes, class_stats = class_issues(scanned, source, training)
    issues += found

    issues.sort(key=lambda i: (i[0] is not None, i[0] or 0, i[2]))
    errors = [Finding(*i) for i in issues if CHECKS[i[2]].severity is Severity.error]
    warnings = [Finding(*i) for i in issues if CHECKS[i[2]].severity is Severity.warning]
    tokens_in, tokens_out = _distribution(scanned.input_counts), _distribution(scanned.output_counts)
    layout = scanned.layout
    stats: dict[str, Any] = {
        "role": role,
        "format": layout.value if layout else None,
        "size_bytes": source.size,
        "lines": scanned.lines,
        "well_formed_examples": scanned.well_formed,
        "token_counter": counter_description(counter),
        "tokens": {
            "input": tokens_in,
            "output": tokens_out,
            "billable": tokens_in["total"] + tokens_out["total"],
            # Media at Google's documented rates (included in input), and media parts whose tokens
            # cannot be known offline (whole audio/video files, PDF pages): billable is then a floor.
            "media_estimated": scanned.media_tokens,
            "media_unknown_parts": scanned.media_unknown,
            "complete": scanned.media_unknown == 0,
        },
        "field_spelling": spelling_name(scanned.spelling),
        "media": media_stats(scanned),
        "duplicates": {"exact": n_exact, "near": n_near},
        "classification": class_stats,
        "limits": _limits_stats(limits),
    }
    if media_counter is not None:
        # Which counter gave the media examples' numbers (the texts': `token_counter`).
        stats["tokens"]["media_counter"] = media_counter
    if reference_stats is not None:
        stats["references"] = reference_stats.as_dict(references)
    if training:
        stats["overlap_with_training"] = overlaps
    report = FileReport(
        path=source.display,
        kind=layout.kind.value if layout else None,
        style=layout.style.value if layout else None,
        examples=scanned.examples,
        valid=not errors,
        errors=errors,
        warnings=warnings,
        stats=stats,
    )
    return report, TrainingKeys(source.display, layout, store, classes, scanned.examples)


def _is_rlhf_base_model(base_model: str) -> bool:
    """The RLHF pipeline's T5 models are in the catalog but not in the Gemini limits table: not unknown."""
    from ops.models.catalog import rlhf_base_models

    return base_model in rlhf_base_models()


def validate_command(
    path: str | os.PathLike[str],
    *,
    kind: str | None = None,
    training: str | os.PathLike[str] | None = None,
    reward_config: str | os.PathLike[str] | None = None,
) -> str:
    """The `tunectl dataset validate` line that repeats a check another command made: the same kind
    (without it, a file of the wrong kind validates fine), and a validation file beside its training
    file (kind and leakage are checked across the two)."""
    words = ["tunectl dataset validate", str(training or path)]
    if training is not None:
        words += ["--validation", str(path)]
    if kind and kind != "auto":
        words += ["--kind", kind]
    if reward_config:
        words += ["--reward-config", str(reward_config)]
    return "`" + " ".join(words) + "`"


def validate_file(
    path_or_uri: str | os.PathLike[str],
    *,
    kind: str = "auto",
    base_model: str | None = None,
    counter: TokenCounter | None = None,
    validation_of: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None,
    settings: Settings | None = None,
    workers: int | None = None,
    limits: ModelLimits | None = None,
    references: RequiredReferences | None = None,
    explain_kind: Callable[[Kind, Kind], str] | None = None,
) -> FileReport:
    """Validate one dataset file (local path or gs:// URI). With `validation_of` (the training
    file(s)), the file is checked as a validation set: its size limit, kind match and leakage.
    `limits` replaces the base model's limits from the table (tests, experiments)."""
    if validation_of is None:
        training: list[str | os.PathLike[str]] = []
    elif isinstance(validation_of, str | os.PathLike):
        training = [validation_of]
    else:
        training = list(validation_of)
    if not training:
        return validate_files(
            [path_or_uri],
            kind=kind,
            base_model=base_model,
            counter=counter,
            settings=settings,
            workers=workers,
            limits=limits,
            references=references,
            explain_kind=explain_kind,
        )[0]
    return validate_files(
        training,
        kind=kind,
        base_model=base_model,
        counter=counter,
        validation=path_or_uri,
        settings=settings,
        workers=workers,
        limits=limits,
        references=references,
        explain_kind=explain_kind,
    )[-1]


def validate_files(
    paths: Sequence[str | os.PathLike[str]],
    *,
    kind: str = "auto",
    base_model: str | None = None,
    counter: TokenCounter | None = None,
    validation: str | os.PathLike[str] | None = None,
    settings: Settings | None = None,
    workers: int | None = None,
    limits: ModelLimits | None = None,
    check_uris: bool = False,
    references: RequiredReferences | None = None,
    explain_kind: Callable[[Kind, Kind], str] | None = None,
) -> list[FileReport]:
    """Validate training files, then (optionally) a validation file against all of them.
    `check_uris` asks Cloud Storage about every gs:// object the examples reference. `references`
    (from a reward config) must be keys of every example's `references`: the files are then
    reinforcement data. `explain_kind(wanted, found)` words a wrong kind in the terms of the command
    that asked for `kind` (plan, preflight and launch ask with --method or --engine, not --kind)."""
    kinds = [k.value for k in Kind]
    if kind != "auto" and kind not in kinds:
        raise TunectlError("bad-kind", f"--kind must be auto or {', '.join(kinds)}, not {kind!r}")
    if references is not None and kind not in ("auto", Kind.reinforcement.value):
        raise TunectlError(
            "reward-config-wrong-kind",
            f"--reward-config scores reinforcement data; --kind asked for {kind}",
            where="--kind",
            hint="drop --kind (a reward config implies --kind reinforcement) or drop --reward-config",
        )
    if references is not None:
        kind = Kind.reinforcement.value  # a reward config is only for reinforcement data
    chosen: TokenCounter = counter or EstimateTokenCounter()
    n = workers or os.cpu_count() or 1
    files = [(path, False) for path in paths]
    if validation is not None:
        files.append((validation, True))
    reports: list[FileReport] = []
    keys: list[TrainingKeys] = []
    temporary = tempfile.gettempdir()
    try:
        # The key stores of every file live until the validation file has been compared with them.
        with tempfile.TemporaryDirectory(prefix="tunectl-keys-") as root:
            for index, (path, is_validation) in enumerate(files):
                directory = Path(root) / str(index)
                directory.mkdir()
                report, key = _validate_one(
                    path,
                    kind=kind,
                    base_model=base_model,
                    counter=chosen,
                    training=keys if is_validation else [],
                    settings=settings,
                    workers=n,
                    keys_directory=directory,
                    limits=limits,
                    check_media=check_uris,
                    references=references,
                    explain_kind=explain_kind,
                )
                reports.append(report)
                if not is_validation:
                    keys.append(key)
    except OSError as exc:
        if not str(exc.filename or "").startswith(temporary):
            raise
        raise TunectlError(
            "key-store-unwritable",
            f"cannot write the duplicate-key store under {temporary}: {exc.strerror}",
            hint="the check keeps 20 bytes per example on disk there; point TMPDIR at a directory "
            "with room, e.g. TMPDIR=/var/tmp",
        ) from exc
    return reports
