"""Seeded train/validation split, stratified by class for classification sets.

Two streaming passes: the first reads each example's class (or none), the second writes every line
to one of the two outputs, byte for byte. Memory is one byte per example plus the class labels.
Both outputs are written atomically.
"""

from __future__ import annotations

import contextlib
import os
import random
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from ops.atomic import atomic_open
from ops.datasets.classes import detect_classes
from ops.datasets.formats import STRUCTS
from ops.datasets.scan import BOM, MAX_LABEL_CHARS, MAX_LABELS, iter_lines, well_formed_view
from ops.datasets.source import open_source, refuse_overwriting
from ops.errors import ExitStatus, TunectlError

if TYPE_CHECKING:
    from ops.settings import Settings


@dataclass(frozen=True)
class SplitResult:
    source: str
    train_path: str
    validation_path: str
    train_examples: int
    validation_examples: int
    seed: int
    validation_fraction: float
    stratified_by: list[str] | None
    per_class: dict[str, dict[str, int]] = field(default_factory=dict)


def default_outputs(src: str, out_dir: str | os.PathLike[str] | None) -> tuple[Path, Path]:
    name = Path(src.removeprefix("gs://")).name
    stem = name[: -len(".jsonl")] if name.endswith(".jsonl") else name
    directory = Path(out_dir) if out_dir is not None else Path(src).parent
    return directory / f"{stem}.train.jsonl", directory / f"{stem}.validation.jsonl"


def split_file(
    src: str | os.PathLike[str],
    *,
    validation_fraction: float,
    seed: int,
    train_out: str | os.PathLike[str],
    validation_out: str | os.PathLike[str],
    stratify: bool = True,
    settings: Settings | None = None,
) -> SplitResult:
    from ops.datasets.validate import find_layout

    if not 0 < validation_fraction < 1:
        raise TunectlError("bad-fraction", "--validation-fraction must be between 0 and 1 (exclusive)")
    source = open_source(src, settings=settings)
    refuse_overwriting(source, {"--train-out": train_out, "--validation-out": validation_out})
    layout, _ = find_layout(source)
    if layout is None:
        raise TunectlError("split-unknown-format", f"{source.display} holds no example in a known format")
    decode = msgspec.json.Decoder(STRUCTS[layout]).decode

    # Pass 1: the class of every example (index into `names`; 0 = no class).
    names: dict[str, int] = {}
    label_of = array("H")
    bad: list[int] = []
    for lineno, raw in iter_lines(source.line_chunks()):
        line = raw[len(BOM) :] if lineno == 1 and raw.startswith(BOM) else raw
        view = well_formed_view(decode, layout, line)
        if view is None:
            bad.append(lineno)
            continue
        label = view.output.strip() if view.output is not None else None
        if stratify and label is not None and len(label) <= MAX_LABEL_CHARS and len(names) <= MAX_LABELS:
            label_of.append(names.setdefault(label, len(names) + 1))
        else:
            label_of.append(0)
    if bad:
        shown = ", ".join(str(n) for n in bad[:10])
        raise TunectlError(
            "split-invalid-lines",
            f"{len(bad)} line(s) of {source.display} are not well-formed examples (lines {shown})",
            hint=f"run `tunectl dataset validate {source.display}` and fix the file first",
            status=ExitStatus.CHECK_FAILED,
        )
    counts: dict[int, int] = {}
    for index in label_of:
        counts[index] = counts.get(index, 0) + 1
    by_name = {name: counts.get(i, 0) for name, i in names.items()}
    classes = detect_classes(by_name if len(names) <= MAX_LABELS and 0 not in counts else None, [])
    strata: dict[int, list[int]] = {}
    if classes is not None:
        for position, index in enumerate(label_of):
            strata.setdefault(index, []).append(position)
    else:
        strata[0] = list(range(len(label_of)))

    rng = random.Random(seed)
    chosen = bytearray(len(label_of))
    for index in sorted(strata):
        members = strata[index]
        take = round(len(members) * validation_fraction)
        for position in rng.sample(members, take):
            chosen[position] = 1

    # Pass 2: copy each line, unchanged, to its side.
    written = [0, 0]
    with contextlib.ExitStack() as stack:
        train = stack.enter_context(atomic_open(Path(train_out), "wb", encoding=None))
        valid = stack.enter_context(atomic_open(Path(validation_out), "wb", encoding=None))
        for position, (lineno, raw) in enumerate(iter_lines(source.line_chunks())):
            line = raw[len(BOM) :] if lineno == 1 and raw.startswith(BOM) else raw
            side = chosen[position]
            (valid if side else train).write(line.rstrip(b"\r") + b"\n")
            written[side] += 1
    per_class: dict[str, dict[str, int]] = {}
    if classes is not None:
        for name, index in names.items():
            members = strata.get(index, [])
            in_validation = sum(chosen[p] for p in members)
            per_class[name] = {"train": len(members) - in_validation, "validation": in_validation}
    return SplitResult(
        source=source.display,
        train_path=os.fspath(train_out),
        validation_path=os.fspath(validation_out),
        train_examples=written[0],
        validation_examples=written[1],
        seed=seed,
        validation_fraction=validation_fraction,
        stratified_by=list(classes.classes) if classes is not None else None,
        per_class=per_class,
    )
