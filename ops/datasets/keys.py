"""Duplicate keys kept on disk, split by hash into partitions, so that memory stays flat.

Every well-formed example has a record: its line and its two duplicate keys (`_fastscan.c`). A
scanner appends its records to files of its own, one per partition, which the top bits of the
normalized key choose. Two examples can only repeat one another (exactly, or up to whitespace and
case) when their normalized keys are equal, so they always share a partition: the duplicate and
train/validation leakage checks (`cross.py`) read one partition at a time, which holds about
1/PARTITIONS of the records. Within a partition the records stay in line order.

Splitting records and searching a partition are C (`partition_records`, `repeats`, `matches`):
a hash table in one pass, with no numpy to import (its import was a third of a validate run's
start-up).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ops.datasets.native import partition_records

PARTITIONS = 16  # _fastscan.c's: 1 GB of 88-byte examples (12 M) is ~15 MB of records a partition
RECORD_BYTES = 4 + 8 + 8  # line (uint32), exact key, normalized key (int64), packed
EXACT, NORMALIZED = 1, 2  # which key `repeats` compares

# One partition of a store: each range's records, and the number of lines before that range.
Segments = list[tuple[bytes, int]]


class KeyWriter:
    """Appends one range's records to its partition files (`{name}.{partition}` in `directory`)."""

    def __init__(self, directory: Path, name: str) -> None:
        self.directory = directory
        self.name = name

    def write(self, lines: array[int], exact: array[int], normalized: array[int]) -> None:
        if not lines:
            return
        for p, records in enumerate(partition_records(lines, exact, normalized)):
            if records:
                path = self.directory / f"{self.name}.{p}"
                try:
                    with path.open("ab") as handle:
                        handle.write(records)
                except OSError as exc:
                    # A full disk fails the write, which names no file: the caller tells the key
                    # store's failures from others by the path.
                    exc.filename = exc.filename or str(path)
                    raise


@dataclass(frozen=True)
class KeyStore:
    """The records of one file: its ranges' partition files, and how far each range's line numbers
    are from the file's (ranges in file order)."""

    directory: Path
    ranges: tuple[tuple[str, int], ...]  # (writer name, line offset)

    def partitions(self) -> Iterator[Segments]:
        """Each partition's segments in turn."""
        for p in range(PARTITIONS):
            yield self.partition(p)

    def partition(self, p: int) -> Segments:
        """(records, line offset) of each range that has records in partition `p`, in file order."""
        segments = []
        for name, offset in self.ranges:
            path = self.directory / f"{name}.{p}"
            if path.exists():
                segments.append((path.read_bytes(), offset))
        return segments
