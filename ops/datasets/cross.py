"""Checks that look across examples or files: duplicates, leakage, counts, classes, file limits.

Each takes what the scan collected and returns findings as (line, column, code, message) tuples.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ops.datasets.classes import ClassSet, detect_classes, imbalance
from ops.datasets.formats import Kind, Layout
from ops.datasets.keys import EXACT, NORMALIZED, KeyStore
from ops.datasets.native import matches, repeats
from ops.datasets.scan import Issue, RangeResult, lines_with_outputs
from ops.output import plural

if TYPE_CHECKING:
    from ops.datasets.limits import ModelLimits
    from ops.datasets.source import Source


@dataclass
class TrainingKeys:
    """What a validation file is compared with (kept out of the report's JSON)."""

    path: str
    layout: Layout | None
    keys: KeyStore
    classes: ClassSet | None = None
    examples: int = 0


def file_issues(
    source: Source,
    limits: ModelLimits,
    layout: Layout | None,
    first_line: int | None,
    wanted: Kind | None,
    training_kind: Kind | None,
    explain_kind: Callable[[Kind, Kind], str] | None = None,
) -> list[Issue]:
    """File-level issues. `explain_kind(wanted, found)` words a wrong kind in the caller's terms
    (`--method`, `--engine`); without it the kind was asked for with `--kind`."""
    issues: list[Issue] = []
    if source.is_remote and not source.display.endswith(".jsonl"):
        issues.append((None, None, "file-not-jsonl", f"{source.display} is not a .jsonl object"))
    if limits.max_file_bytes is not None and source.size > limits.max_file_bytes:
        message = f"{source.size:,} bytes is over the {limits.max_file_bytes:,}-byte limit"
        issues.append((None, None, "file-too-large", message))
    if layout is not None and wanted is not None and layout.kind is not wanted:
        message = (
            explain_kind(wanted, layout.kind)
            if explain_kind is not None
            else f"the file holds {layout.kind} examples ({layout}); --kind asked for {wanted}"
        )
        issues.append((first_line, None, "wrong-kind", message))
    elif layout is not None and training_kind is not None and layout.kind is not training_kind:
        message = f"the validation file holds {layout.kind} examples; training holds {training_kind}"
        issues.append((first_line, None, "wrong-kind", message))
    return issues


def duplicate_issues(store: KeyStore) -> tuple[list[Issue], int, int]:
    """Exact repeats, then repeats up to whitespace and case that are not exact; and their counts.
    Repeats share a partition of the key store, so each partition is searched on its own."""
    exact_dups: list[tuple[int, int]] = []
    near_dups: list[tuple[int, int]] = []
    for segments in store.partitions():
        near_or_exact = repeats(segments, NORMALIZED)
        # An exact repeat is a repeat up to whitespace and case too: without those there are none.
        exact_here = repeats(segments, EXACT) if near_or_exact else []
        exact_lines = {ln for ln, _ in exact_here}
        exact_dups += exact_here
        near_dups += [(ln, orig) for ln, orig in near_or_exact if ln not in exact_lines]
    issues: list[Issue] = [
        (ln, None, "duplicate-example", f"repeats line {orig} exactly") for ln, orig in exact_dups
    ]
    issues.extend(
        (ln, None, "near-duplicate-example", f"repeats line {orig} up to whitespace and case")
        for ln, orig in near_dups
    )
    return issues, len(exact_dups), len(near_dups)


def overlap_issues(store: KeyStore, training: Sequence[TrainingKeys]) -> tuple[list[Issue], int]:
    """Validation examples that are also training examples (up to whitespace and case), partition by
    partition of the key stores."""
    issues: list[Issue] = []
    for p, segments in enumerate(store.partitions() if training else ()):
        if not segments:
            continue
        for train in training:
            for line, train_line in matches(segments, train.keys.partition(p)):
                where = f"{train.path} line {train_line}"
                issues.append(
                    (line, None, "train-validation-overlap", f"also in the training data ({where})")
                )
    return issues, len(issues)


def count_issues(examples: int, role: str, limits: ModelLimits, *, training_examples: int = 0) -> list[Issue]:
    if examples == 0:
        return [(None, None, "empty-file", "the file holds no examples")]
    issues: list[Issue] = []
    if role == "training":
        least, most = limits.min_training_examples, limits.max_training_examples
        if least and examples < least:
            message = (
                f"{plural(examples, 'example')}; the documented minimum is {least} ({limits.entry} limits)"
            )
            issues.append((None, None, "too-few-examples", message))
        if most and examples > most:
            message = f"{examples:,} examples; {limits.base_model} takes at most {most:,}"
            issues.append((None, None, "too-many-examples", message))
    elif limits.max_validation_examples and examples > limits.max_validation_examples:
        message = f"{examples:,} validation examples; at most {limits.max_validation_examples:,}"
        issues.append((None, None, "validation-too-large", message))
    elif (
        limits.max_validation_share is not None
        and limits.validation_share_above is not None
        and examples > limits.validation_share_above
        and examples > limits.max_validation_share * training_examples
    ):
        # Google's preference page: "5000 examples or 30% of the number of training examples if there
        # are more than 1000 validation examples". Read as: above 1,000, both caps hold.
        share = round(limits.max_validation_share * 100)
        message = (
            f"{examples:,} validation examples is more than {share}% of the {training_examples:,} "
            f"training examples (preference tuning's cap once a validation set has more than "
            f"{limits.validation_share_above:,} examples)"
        )
        issues.append((None, None, "validation-too-large", message))
    return issues


def media_issues(scanned: RangeResult, role: str, limits: ModelLimits) -> list[Issue]:
    """The multimodal example cap and one media resolution for the whole dataset (video page)."""
    issues: list[Issue] = []
    cap = limits.max_multimodal_training_examples
    if role == "training" and cap is not None and scanned.multimodal > cap:
        message = f"{scanned.multimodal:,} multimodal examples; {limits.base_model} takes at most {cap:,}"
        issues.append((None, None, "too-many-multimodal-examples", message))
    if len(scanned.resolutions) > 1:
        shown = ", ".join(sorted(scanned.resolutions))
        message = f"examples use {shown}; Google needs one mediaResolution for the whole dataset"
        issues.append((None, None, "mixed-media-resolution", message))
    return issues


def spelling_name(bits: int) -> str:
    """Which spelling the file's two-word field names use (one-word names read the same in both)."""
    from ops.datasets.gemini import CAMEL, SNAKE

    return {0: "either", CAMEL: "lowerCamel", SNAKE: "snake_case", CAMEL | SNAKE: "mixed"}[bits]


def media_stats(scanned: RangeResult) -> dict[str, Any]:
    from ops.datasets.media import media_rules

    return {
        "multimodal_examples": scanned.multimodal,
        "parts": dict(sorted(scanned.media_parts.items())),
        "estimated_tokens": scanned.media_tokens,
        "unknown_token_parts": scanned.media_unknown,
        "resolutions": sorted(scanned.resolutions),
        "token_rates": media_rules().sources() if scanned.media_parts else {},
    }


def class_issues(
    scanned: RangeResult, source: Source, training: Sequence[TrainingKeys]
) -> tuple[list[Issue], ClassSet | None, dict[str, Any] | None]:
    """Outputs outside the class set (a second pass finds their lines) and class imbalance.

    A validation set that is not recognisably a classification set on its own is held to its training
    set's classes."""
    layout = scanned.layout
    if layout is None or layout.kind is not Kind.supervised or scanned.labels is None:
        return [], None, None
    classes = detect_classes(scanned.labels, scanned.prompts)
    if classes is None:
        trained = next((t.classes for t in training if t.classes is not None), None)
        classes = ClassSet(trained.classes, "training-set") if trained is not None else None
    if classes is None:
        return [], None, None
    counts = {c: scanned.labels.get(c, 0) for c in classes.classes}
    outside = {label for label in scanned.labels if label not in counts}
    issues: list[Issue] = []
    if outside:
        shown = ", ".join(repr(c) for c in classes.classes)
        issues.extend(
            (ln, None, "output-not-in-classes", f"output {label!r} is not one of the classes ({shown})")
            for ln, label in lines_with_outputs(source.line_chunks(), layout, outside)
        )
    if (message := imbalance(counts)) is not None:
        issues.append((None, None, "class-imbalance", message))
    return issues, classes, {"source": classes.source, "classes": counts, "outside": sorted(outside)}
