"""Where dataset bytes come from: local files and gs:// objects, read as chunks of whole lines.

Nothing here holds a whole file in memory. A local file is memory-mapped and handed out as slices of
the map (the kernel's page cache, never copied); gs:// objects are read through
google-cloud-storage's streaming reader and regrouped at line ends.
"""

from __future__ import annotations

import itertools
import mmap
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ops.errors import ExitStatus, TunectlError

if TYPE_CHECKING:
    from ops.settings import Settings

# Chunks small enough to stay in the CPU's L2 cache while the scanner makes its passes over them
# (keys, decode): 256 KB chunks took 5% (1 GB, two workers) to 17% (one process) less CPU than 4 MB
# ones on the 2-core development machine.
BLOCK_BYTES = 256 << 10
RELEASE_BYTES = 8 << 20
_DONTNEED: int | None = getattr(mmap, "MADV_DONTNEED", None)
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

    def line_chunks(self, start: int = 0, end: int | None = None) -> Iterator[bytes | memoryview]:
        """The bytes from `start` to `end` (default: the end of the file) in chunks of about
        BLOCK_BYTES that each end just after a newline (the last one may not)."""
        stop = self.size if end is None else end
        if self.local_path is not None:
            yield from _mapped_chunks(self.local_path, start, stop)
        else:
            yield from whole_line_chunks(self._remote_blocks(start, stop))

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


def _mapped_chunks(path: Path, start: int, stop: int) -> Iterator[memoryview]:
    """Slices of a memory map of the file: no read copies, no buffer allocated per chunk (a third of
    the CPU a 1 GB scan spent outside the scanner went to reading and regrouping blocks). The map
    closes when the last slice is gone, so a caller may hold the chunk it was given.

    Pages already scanned are dropped from the process every RELEASE_BYTES (they stay in the page
    cache, and a slice still held faults them back in), so memory stays flat whatever the size."""
    if stop <= start:
        return
    with path.open("rb") as handle:
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    stop = min(stop, len(mapped))
    view = memoryview(mapped)
    released = start - start % mmap.PAGESIZE
    at = start
    while at < stop:
        cut = mapped.rfind(b"\n", at, min(at + BLOCK_BYTES, stop)) + 1
        if cut == 0:  # a line longer than a block
            cut = mapped.find(b"\n", at + BLOCK_BYTES, stop) + 1 or stop
        yield view[at:cut]
        at = cut
        if _DONTNEED is not None and at - released >= RELEASE_BYTES:
            length = (at - released) // mmap.PAGESIZE * mmap.PAGESIZE
            mapped.madvise(_DONTNEED, released, length)
            released += length


def whole_line_chunks(blocks: Iterable[bytes]) -> Iterator[bytes]:
    """The bytes regrouped into chunks that end just after a newline (the last one may not).

    A line longer than a block is gathered in a list and joined once, not re-copied per block."""
    pending: list[bytes] = []
    for block in blocks:
        cut = block.rfind(b"\n") + 1
        if cut == 0:
            if block:
                pending.append(block)
            continue
        if pending:
            pending.append(block[:cut])
            yield b"".join(pending)
            pending = []
        else:
            yield block if cut == len(block) else block[:cut]
        if cut < len(block):
            pending.append(block[cut:])
    if pending:
        yield b"".join(pending)


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


def refuse_overwriting(source: Source, outputs: dict[str, str | os.PathLike[str]]) -> None:
    """A write never replaces its input (the same path, a link to it, or another path to the same
    inode) and two outputs never share a file: usage errors (exit 2), before anything is read."""
    seen: dict[tuple[int, int] | str, str] = {}
    if source.local_path is not None:
        stat = os.stat(source.local_path)
        seen[(stat.st_dev, stat.st_ino)] = "the input"
    for option, output in outputs.items():
        path = Path(output)
        key: tuple[int, int] | str
        if path.exists():
            stat = os.stat(path)
            key = (stat.st_dev, stat.st_ino)
        else:
            key = str(path.resolve())
        if key in seen:
            raise TunectlError(
                "output-is-input" if seen[key] == "the input" else "outputs-collide",
                f"{option} {os.fspath(output)} is {seen[key]}; it would be overwritten",
                where=option,
                hint="write to another file",
            )
        seen[key] = option


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
