"""`split_file`: seeded, stratified for classification sets, every line kept exactly once."""

from __future__ import annotations

from pathlib import Path

from ops.datasets.split import split_file
from tests.dataset_fixtures import palm, write_jsonl


def _split(tmp_path: Path, src: Path, seed: int, fraction: float = 0.25) -> tuple[list[str], list[str]]:
    train, valid = tmp_path / f"t{seed}.jsonl", tmp_path / f"v{seed}.jsonl"
    split_file(src, validation_fraction=fraction, seed=seed, train_out=train, validation_out=valid)
    return train.read_text().splitlines(), valid.read_text().splitlines()


def test_every_line_lands_in_exactly_one_side(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", [palm(i) for i in range(40)])
    train, valid = _split(tmp_path, src, seed=1)
    assert (len(train), len(valid)) == (30, 10)
    assert sorted(train + valid) == sorted(src.read_text().splitlines())


def test_the_same_seed_gives_the_same_split_and_another_seed_another(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", [palm(i) for i in range(40)])
    assert _split(tmp_path, src, seed=3) == _split(tmp_path / ".." / tmp_path.name, src, seed=3)
    assert _split(tmp_path, src, seed=3)[1] != _split(tmp_path, src, seed=4)[1]


def test_classification_sets_are_split_per_class(tmp_path: Path) -> None:
    records = [palm(i, "rare") for i in range(8)] + [palm(i, "common") for i in range(8, 40)]
    src = write_jsonl(tmp_path / "in.jsonl", records)
    train, valid = tmp_path / "t.jsonl", tmp_path / "v.jsonl"
    result = split_file(src, validation_fraction=0.25, seed=0, train_out=train, validation_out=valid)
    assert result.stratified_by == ["common", "rare"]
    assert result.per_class == {
        "rare": {"train": 6, "validation": 2},
        "common": {"train": 24, "validation": 8},
    }
    assert sum('"rare"' in line for line in valid.read_text().splitlines()) == 2
