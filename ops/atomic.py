"""Atomic file writes: a crash never leaves a half-written output behind."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from ops.errors import TunectlError


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_open(path: str | Path, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO]:
    """Write to a temporary file beside `path`, fsync it, then rename it over `path`.

    The rename is atomic on POSIX filesystems; on any exception the temporary file is removed and
    `path` is untouched.
    """
    target = Path(path)
    if target.is_dir():
        raise TunectlError(
            "output-is-directory",
            "the output path is a directory",
            where=str(target),
            hint="name a file inside it, e.g. " + str(target / "out"),
        )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise TunectlError(
            "output-not-writable",
            f"cannot write the output: {exc.strerror or exc}",
            where=str(target),
            hint="choose a path in a directory you can write to",
        ) from exc
    # mkstemp creates 0600; an output (a report for finance, a converted dataset) should get the
    # permissions any other new file would, so apply the umask as open() does.
    os.chmod(tmp, 0o666 & ~_current_umask())
    binary = "b" in mode
    try:
        with os.fdopen(fd, mode, encoding=None if binary else encoding) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    with atomic_open(path, "w") as handle:
        handle.write(text)


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    with atomic_open(path, "wb", encoding=None) as handle:
        handle.write(data)
