"""`--check-uris`: each gs:// object an example references exists, has the example's MIME type and
fits its modality's file limit, asked of the Cloud Storage API (objects.get, metadata only).

Each object is asked about once, however many examples reference it, at most PARALLEL at a time,
with a progress bar on stderr. HTTP(S) URLs are not fetched: the report already warns about them.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from ops.datasets.media import MediaRef, media_rules

if TYPE_CHECKING:
    from ops.datasets.scan import Issue
    from ops.settings import Settings

PARALLEL = 8


def _split(uri: str) -> tuple[str, str]:
    bucket, _, name = uri[len("gs://") :].partition("/")
    return bucket, name


def check_uris(
    refs: dict[str, MediaRef],
    settings: Settings,
    *,
    parallel: int = PARALLEL,
    progress: Callable[[int], None] | None = None,
    method: str = "supervised",
) -> list[Issue]:
    """Findings for the referenced gs:// objects (sorted by line), against the file-size limits of
    the tuning `method`'s media rules."""
    from ops.clients import storage_client
    from ops.cloud_errors import call_with_retry

    client = storage_client(settings)
    rules = media_rules(method=method)
    page = "reinforcement tuning dataset" if method == "reinforcement" else None

    def look(item: tuple[str, MediaRef]) -> list[Issue]:
        uri, ref = item
        bucket, name = _split(uri)
        blob: Any = call_with_retry(lambda: client.bucket(bucket).get_blob(name), what=f"looking up {uri}")
        if progress is not None:
            progress(1)
        where = f"{uri} (referenced by {ref.references:,} example(s), first on this line)"
        if blob is None:
            return [(ref.line, None, "media-not-found", f"{where} does not exist")]
        found: list[Issue] = []
        stored = (blob.content_type or "").split(";")[0].strip().lower()
        if stored and stored != ref.mime_type.lower():
            message = f"{where} is stored as {stored!r}; the example says {ref.mime_type!r}"
            found.append((ref.line, None, "media-type-mismatch", message))
        limit = rules.by_modality[ref.modality].max_file_bytes
        if limit is not None and blob.size is not None and int(blob.size) > limit:
            message = (
                f"{where} is {int(blob.size):,} bytes; Google's "
                f"{page or ref.modality.value + ' tuning'} page allows {limit:,}"
            )
            found.append((ref.line, None, "media-too-large", message))
        return found

    items = [(uri, ref) for uri, ref in refs.items() if uri.startswith("gs://")]
    issues: list[Issue] = []
    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        for found in pool.map(look, items):
            issues.extend(found)
    return sorted(issues, key=lambda i: (i[0] or 0, i[2]))


def check_uris_with_progress(
    refs: dict[str, MediaRef], settings: Settings, method: str = "supervised"
) -> list[Issue]:
    """check_uris with a Rich progress bar on stderr (transient: it leaves no trace in the output)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from ops.output import stderr_console

    total = sum(1 for uri in refs if uri.startswith("gs://"))
    columns = (TextColumn("checking media objects"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=stderr_console(), transient=True) as bar:
        task = bar.add_task("media", total=total)
        return check_uris(refs, settings, progress=lambda n: bar.advance(task, n), method=method)
