"""Datasets go to the stack's bucket under their content digest, once.

`gs://<datasets bucket>/datasets/sha256/<hex>.jsonl`: the same bytes always land at the same path,
so a relaunch (or another run on the same data) skips the upload, and a job's dataset URI says
exactly which bytes it trained on. Vertex AI requires the `.jsonl` suffix.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ops.cloud_errors import call_with_retry
from ops.tuning.timeouts import request_timeout_seconds

PREFIX = "datasets/sha256"
PROGRESS_THRESHOLD = 8 * 1024 * 1024  # smaller files upload in one request: a bar would only flicker
CHUNK_SIZE = 8 * 1024 * 1024  # resumable-upload chunk (a multiple of 256 KiB, as the API requires)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def object_uri(bucket_uri: str, sha256: str) -> str:
    return f"{bucket_uri.rstrip('/')}/{PREFIX}/{sha256}.jsonl"


def _split(uri: str) -> tuple[str, str]:
    bucket, _, name = uri.removeprefix("gs://").partition("/")
    return bucket, name


@dataclass(frozen=True)
class Upload:
    uri: str
    sha256: str
    size: int
    uploaded: bool  # False: the object was already there


class _ProgressReader:
    """A file wrapper that reports bytes read, so the upload drives the progress bar."""

    def __init__(self, handle: IO[bytes], advance: Callable[[int], None]) -> None:
        self._handle = handle
        self._advance = advance

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self._advance(len(data))
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handle, name)


def upload_dataset(client: Any, bucket_uri: str, path: Path, sha256: str | None = None) -> Upload:
    """Upload `path` under its digest unless an object is already there."""
    sha256 = sha256 or sha256_file(path)
    uri = object_uri(bucket_uri, sha256)
    bucket_name, name = _split(uri)
    blob = client.bucket(bucket_name).blob(name)
    size = path.stat().st_size
    # Library-level retries are off (retry=None) everywhere here: call_with_retry is the one retry
    # loop, so a failing call ends in seconds, not after the library's 120 s deadline.
    exists = call_with_retry(
        lambda: blob.exists(retry=None, timeout=request_timeout_seconds()), what=f"checking {uri}"
    )
    if exists:
        return Upload(uri, sha256, size, uploaded=False)
    blob.chunk_size = CHUNK_SIZE
    # if_generation_match=0: create only; a retried or concurrent upload of the same bytes cannot
    # overwrite anything (the content is identical anyway).
    with path.open("rb") as handle:
        if size < PROGRESS_THRESHOLD:
            _send(blob, handle, size, uri)
        else:
            from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

            from ops.output import stderr_console

            columns = (BarColumn(), DownloadColumn(), TransferSpeedColumn())
            with Progress(*columns, console=stderr_console(), transient=True) as progress:
                task = progress.add_task(f"uploading {path.name}", total=size)
                reader = _ProgressReader(handle, lambda n: progress.advance(task, n))
                _send(blob, reader, size, uri)
    return Upload(uri, sha256, size, uploaded=True)


def _send(blob: Any, handle: Any, size: int, uri: str) -> None:
    from google.api_core.exceptions import PreconditionFailed

    def attempt() -> None:
        handle.seek(0)
        # PreconditionFailed: a previous attempt (or another launch) already stored these exact bytes.
        with contextlib.suppress(PreconditionFailed):
            blob.upload_from_file(
                handle,
                size=size,
                content_type="application/jsonl",
                if_generation_match=0,
                retry=None,
                timeout=request_timeout_seconds(),
            )

    call_with_retry(attempt, what=f"uploading {uri}")
