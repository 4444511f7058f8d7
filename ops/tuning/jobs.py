"""One view of a job whatever the engine, and the create-once rule both launchers follow."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from ops import cloud_errors
from ops.cloud_errors import http_status, is_transient, translate_cloud_error
from ops.errors import ExitStatus, TunectlError
from ops.tuning.labels import label_filter

TERMINAL_STATES = frozenset({"SUCCEEDED", "FAILED", "CANCELLED", "EXPIRED", "PARTIALLY_SUCCEEDED"})
SUCCESS_STATES = frozenset({"SUCCEEDED"})
_STATE_PREFIXES = ("JOB_STATE_", "PIPELINE_STATE_")


def normalize_state(raw: object) -> str:
    """`JOB_STATE_RUNNING` (tuning) and `PIPELINE_STATE_RUNNING` (pipelines) both become `RUNNING`."""
    text = str(getattr(raw, "value", None) or getattr(raw, "name", None) or raw or "UNSPECIFIED")
    for prefix in _STATE_PREFIXES:
        if text.startswith(prefix):
            return text[len(prefix) :]
    return text


@dataclass(frozen=True)
class JobView:
    engine: str
    name: str
    state: str
    run_id: str | None = None
    display_name: str | None = None
    base_model: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    create_time: str | None = None
    start_time: str | None = None
    end_time: str | None = None
    error: str | None = None
    tuned_model: str | None = None
    endpoint: str | None = None
    billing_id: str | None = None
    stats: dict[str, Any] = field(default_factory=dict)
    # Where the job's training metrics live (experiment, metrics URI) and its checkpoints.
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL_STATES

    @property
    def succeeded(self) -> bool:
        return self.state in SUCCESS_STATES


class JobBackend(Protocol):
    """What `list`, `status`, `wait`, `cancel` and `sync` need from an engine."""

    engine: str

    def find(self, run_id: str) -> JobView | None: ...

    def find_all(self, run_id: str) -> list[JobView]: ...

    def list_ours(self) -> list[JobView]: ...

    def with_label(self, key: str, value: str | None = None) -> list[JobView]: ...

    def get(self, name: str) -> JobView: ...

    def cancel(self, name: str) -> None: ...


class LabelledJobs:
    """Finding our jobs by the run-id label, the same for both engines; `_list` is the engine's."""

    def _list(self, filter: str) -> list[JobView]:
        raise NotImplementedError

    def find(self, run_id: str) -> JobView | None:
        jobs = self.find_all(run_id)
        return jobs[0] if jobs else None

    def find_all(self, run_id: str) -> list[JobView]:
        """Every job labelled with `run_id` (more than one only if launches raced)."""
        return [j for j in self._labelled(label_filter(run_id)) if j.run_id == run_id]

    def list_ours(self) -> list[JobView]:
        return [j for j in self._labelled(label_filter()) if j.run_id]

    def with_label(self, key: str, value: str | None = None) -> list[JobView]:
        """Jobs carrying label `key` (with `value`, if given): e.g. those a schedule created (#19)."""
        found = self._labelled(f'labels.{key}="{value}"' if value is not None else f"labels.{key}:*")
        return [j for j in found if key in j.labels and (value is None or j.labels[key] == value)]

    def _labelled(self, filter: str) -> list[JobView]:
        """Jobs the label filter selects. Should the API refuse the filter (400), every job of the
        region is listed instead: the callers match the labels themselves, so a lookup that guards a
        create never fails for want of a filter."""
        try:
            return self._list(filter)
        except TunectlError as exc:
            if exc.code != "cloud-bad-request":
                raise
            return self._list("")


def _definitely_not_created(exc: BaseException) -> bool:
    """A 4xx other than 408/409/429 means the server refused the create: nothing exists."""
    status = http_status(exc)
    return status is not None and 400 <= status < 500 and status not in {408, 409, 429}


def create_once(
    create: Callable[[], JobView],
    find: Callable[[], JobView | None],
    *,
    what: str,
    attempts: int = 4,
    base_delay: float = 0.5,
    sleep: Callable[[float], None] | None = None,
) -> JobView:
    """Create a job, retrying only when a lookup by our run-id label proves the job does not exist.

    A timeout, a 5xx or an unreadable response to a create may hide a job that was created anyway;
    retrying blindly would start (and bill) a second one. So after any failure that is not a clear
    refusal, back off, then look the job up by label: found means done, not found means the retry is
    safe.
    A 409 (the pipeline engine's client-chosen job id already exists) is the same as found.
    """
    last: BaseException | None = None
    for attempt in range(1, attempts + 1):
        try:
            return create()
        except TunectlError:
            raise
        except Exception as exc:
            if _definitely_not_created(exc):
                raise translate_cloud_error(exc, what=what) from exc
            last = exc
        # Back off before looking: a create that landed just as its answer was lost may take a moment
        # to show up in a list, and a lookup that misses it would make the retry start a second job.
        pause = sleep or cloud_errors.backoff_sleep  # the one backoff pause (tests record it instead)
        pause(min(8.0, base_delay * 2 ** (attempt - 1)) * (0.5 + random.random() / 2))
        existing = find()
        if existing is not None:
            return existing
        if http_status(last) == 409:
            raise TunectlError(
                "job-conflict",
                f"{what}: the API says the job exists, but it cannot be found by its label",
                hint="run `tunectl tune sync`, then `tunectl tune list`",
                status=ExitStatus.CLOUD_API,
            ) from last
        if not (is_transient(last) or http_status(last) is None) or attempt == attempts:
            break
    assert last is not None
    raise translate_cloud_error(last, what=what) from last
