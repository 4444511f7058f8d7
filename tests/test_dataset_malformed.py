"""The malformed-dataset corpus (tests/data/malformed): each file yields exactly its expected codes.

`expected.json` maps each file to the error and warning codes it must produce (and, where given,
their lines and columns, the limits to apply, `--kind`, or the training file it validates against).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from ops.datasets import CHECKS, validate_file
from ops.datasets.limits import model_limits

CORPUS = Path(__file__).parent / "data" / "malformed"
EXPECTED: dict[str, dict] = json.loads((CORPUS / "expected.json").read_text())
# Checked through the cloud test servers only (tests/test_dataset_cloud.py, test_dataset_media_counts.py).
REMOTE_ONLY = {
    "file-not-jsonl",
    "media-not-found",
    "media-type-mismatch",
    "media-too-large",
    "count-tokens-refused",
}


def _validate(name: str):
    spec = EXPECTED[name]
    overrides = {"min_training_examples": None, **spec.get("limits", {})}
    limits = dataclasses.replace(model_limits(None), **overrides)
    training = CORPUS / spec["training"] if "training" in spec else None
    return validate_file(
        CORPUS / name, kind=spec.get("kind", "auto"), validation_of=training, limits=limits, workers=1
    )


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file_yields_exactly_its_expected_codes(name: str) -> None:
    spec = EXPECTED[name]
    report = _validate(name)
    assert sorted({f.code for f in report.errors}) == spec["errors"], report.errors
    assert sorted({f.code for f in report.warnings}) == spec["warnings"], report.warnings
    assert report.valid is (not spec["errors"])
    for code, lines in spec.get("lines", {}).items():
        assert [f.line for f in [*report.errors, *report.warnings] if f.code == code] == lines, code
    for code, columns in spec.get("columns", {}).items():
        assert [f.column for f in report.errors if f.code == code] == columns, code


def test_corpus_covers_every_check_code() -> None:
    """Every check is exercised by a corpus file: this one or Google's shapes (tests/data/google);
    the limit checks that need scaled limits are in tests/test_dataset_google_corpus.py."""
    google = json.loads((CORPUS.parent / "google" / "expected.json").read_text())
    covered = {
        code
        for spec in [*EXPECTED.values(), *google.values()]
        for code in [*spec["errors"], *spec["warnings"]]
    }
    covered |= {"unknown-model", "too-many-multimodal-examples"}
    # Need a reward config or a base model: tests/test_dataset_reinforcement.py.
    covered |= {"missing-reference", "media-not-supported"}
    assert set(CHECKS) - covered == REMOTE_ONLY
    assert len([n for n, s in EXPECTED.items() if s["errors"] or s["warnings"]]) >= 30


def test_corpus_files_are_left_unchanged_by_validation() -> None:
    before = {p.name: p.read_bytes() for p in CORPUS.iterdir()}
    for name in EXPECTED:
        _validate(name)
    assert {p.name: p.read_bytes() for p in CORPUS.iterdir()} == before
