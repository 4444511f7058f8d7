"""Where dataset bytes come from: local files and gs:// objects, read as a stream of blocks.

Nothing here holds a whole file in memory; blocks are split into lines by the scanner, which keeps
exact line numbers. gs:// objects are read through google-cloud-storage's streaming reader.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ops.errors import ExitStatus, TunectlError

if TYPE_CHECKING:
    from ops.settings import Settings

# Blocks small enough to stay in the CPU's L2 cache while the scanner makes its passes over them
# (normalise, split, decode, hash): 256 KB blocks took 5% (1 GB, two workers) to 17% (one process)
# less CPU than 4 MB ones on the 2-core development machine; a local read per 256 KB costs nothing.
BLOCK_BYTES = 256 << 10
REMOTE_CHUNK_BYTES = 4 << 20  # bytes per gs:// download request: few requests, bounded memory


@dataclass(frozen=True)
class Source:
    """A dataset file to read: `display` is what reports call it (the path or the gs:// URI)."""

    display: str
    size: int
    local_path: Path | None = None
    bucket: str | None = None
    blob: str | None = None
    settings: Settings | None = None

    @property
    def is_remote(self) -> bool:
        return self.local_path is None

    def blocks(self, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """The bytes from `start` to `end` (default: the end of the file), in blocks."""
        stop = self.size if end is None else end
        if self.local_path is not None:
            yield from _local_blocks(self.local_path, start, stop)
        else:
            yield from self._remote_blocks(start, stop)

    def _remote_blocks(self, start: int, stop: int) -> Iterator[bytes]:
        from ops.clients import storage_client
        from ops.cloud_errors import translate_cloud_error

        assert self.settings is not None and self.bucket is not None and self.blob is not None
        try:
            blob = storage_client(self.settings).bucket(self.bucket).blob(self.blob)
            with blob.open("rb", chunk_size=REMOTE_CHUNK_BYTES) as reader:
                if start:
                    reader.seek(start)
                remaining = stop - start
                while remaining > 0:
                    block = reader.read(min(BLOCK_BYTES, remaining))
                    if not block:
                        break
                    remaining -= len(block)
                    yield block
        except TunectlError:
            raise
        except Exception as exc:
            if type(exc).__module__.startswith(("google.", "requests")):
                raise translate_cloud_error(exc, what=f"reading {self.display}") from exc
            raise


def _local_blocks(path: Path, start: int, stop: int) -> Iterator[bytes]:
    with path.open("rb", buffering=0) as handle:
        handle.seek(start)
        remaining = stop - start
        while remaining > 0:
            block = handle.read(min(BLOCK_BYTES, remaining))
            if not block:
                break
            remaining -= len(block)
            yield block


def split_gs_uri(uri: str) -> tuple[str, str]:
    bucket, _, name = uri.removeprefix("gs://").partition("/")
    if not bucket or not name:
        raise TunectlError(
            "bad-gcs-uri",
            f"{uri!r} is not a gs://bucket/object URI",
            hint="write gs://BUCKET/path/to/file.jsonl",
        )
    return bucket, name


def open_source(path_or_uri: str | os.PathLike[str], *, settings: Settings | None = None) -> Source:
    """Resolve a local path or gs:// URI, checking it exists; missing input is a usage error (exit 2)."""
    text = os.fspath(path_or_uri)
    if text.startswith("gs://"):
        bucket, name = split_gs_uri(text)
        if settings is None:
            raise TunectlError(
                "missing-settings", f"reading {text} needs tunectl settings (project, credentials)"
            )
        from ops.clients import storage_client
        from ops.cloud_errors import call_with_retry

        blob = call_with_retry(
            lambda: storage_client(settings).bucket(bucket).get_blob(name), what=f"looking up {text}"
        )
        if blob is None:
            raise TunectlError(
                "dataset-not-found", f"no such object: {text}", hint="check the bucket and object name"
            )
        return Source(display=text, size=int(blob.size or 0), bucket=bucket, blob=name, settings=settings)
    path = Path(text)
    if not path.exists():
        raise TunectlError("dataset-not-found", f"no such file: {text}", status=ExitStatus.USAGE)
    if not path.is_file():
        raise TunectlError("dataset-not-a-file", f"not a regular file: {text}", status=ExitStatus.USAGE)
    try:
        size = path.stat().st_size
        with path.open("rb"):
            pass
    except OSError as exc:
        raise TunectlError("dataset-unreadable", f"cannot read {text}: {exc.strerror}") from exc
    return Source(display=text, size=size, local_path=path)


def line_aligned_ranges(source: Source, parts: int) -> list[tuple[int, int]]:
    """Split a local file into up to `parts` byte ranges that each start at the beginning of a line."""
    assert source.local_path is not None
    size = source.size
    cuts = [0]
    with source.local_path.open("rb") as handle:
        for i in range(1, parts):
            handle.seek(max(cuts[-1], size * i // parts))
            handle.readline()  # move to the start of the next line
            position = handle.tell()
            if position >= size:
                break
            if position > cuts[-1]:
                cuts.append(position)
    cuts.append(size)
    return list(itertools.pairwise(cuts))
