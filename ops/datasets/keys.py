"""Duplicate keys kept on disk, split by hash into partitions, so that memory stays flat.

Every well-formed example has a record: its line and its two duplicate keys (`_fastscan.c`). A
scanner appends its records to files of its own, one per partition, which the top bits of the
normalized key choose. Two examples can only repeat one another (exactly, or up to whitespace and
case) when their normalized keys are equal, so they always share a partition: the duplicate and
train/validation leakage checks (`cross.py`) read one partition at a time, which holds about
1/PARTITIONS of the records. Within a partition the records stay in line order.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

PARTITIONS = 16  # 1 GB of 88-byte examples (12 M) is ~15 MB of records a partition
_SHIFT = 60  # the top 4 bits of the normalized key choose the partition
RECORD_BYTES = 4 + 8 + 8


def _record_type() -> np.dtype[Any]:
    import numpy as np

    return np.dtype([("line", "<u4"), ("exact", "<i8"), ("normalized", "<i8")])  # packed: 20 bytes


class KeyWriter:
    """Appends one range's records to its partition files (`{name}.{partition}` in `directory`)."""

    def __init__(self, directory: Path, name: str) -> None:
        self.directory = directory
        self.name = name

    def write(self, lines: array[int], exact: array[int], normalized: array[int]) -> None:
        import numpy as np

        if not lines:
            return
        normalized_keys = np.frombuffer(normalized, dtype=np.int64)
        partition = ((normalized_keys >> _SHIFT) & (PARTITIONS - 1)).astype(np.uint8)
        # Stable, so line order is kept; on bytes numpy's stable sort is a radix sort. Gathering the
        # three columns and then packing them is 20x faster than gathering packed records.
        order = np.argsort(partition, kind="stable")
        records = np.empty(len(lines), dtype=_record_type())
        records["line"] = np.frombuffer(lines, dtype=np.uint32)[order]
        records["exact"] = np.frombuffer(exact, dtype=np.int64)[order]
        records["normalized"] = normalized_keys[order]
        ends = np.cumsum(np.bincount(partition, minlength=PARTITIONS))
        start = 0
        for p, end in enumerate(ends.tolist()):
            if end > start:
                with (self.directory / f"{self.name}.{p}").open("ab") as handle:
                    records[start:end].tofile(handle)
            start = end


@dataclass(frozen=True)
class KeyStore:
    """The records of one file: its ranges' partition files, and how far each range's line numbers
    are from the file's (ranges in file order)."""

    directory: Path
    ranges: tuple[tuple[str, int], ...]  # (writer name, line offset)

    def partitions(self) -> Iterator[tuple[np.ndarray[Any, Any], ...]]:
        """(lines, exact keys, normalized keys) of each partition in turn, lines in file order."""
        for p in range(PARTITIONS):
            yield self.partition(p)

    def partition(self, p: int) -> tuple[np.ndarray[Any, Any], ...]:
        import numpy as np

        shares = []
        for name, offset in self.ranges:
            path = self.directory / f"{name}.{p}"
            if path.exists():
                records = np.fromfile(path, dtype=_record_type())
                records["line"] += offset
                shares.append(records)
        records = np.concatenate(shares) if shares else np.empty(0, dtype=_record_type())
        return records["line"], records["exact"], records["normalized"]
