"""What `tune status` and `tune wait` show about a job beyond its state: where to see it in the
console, its timeline, and its tuning data statistics as flat, readable rows."""

from __future__ import annotations

import re
from typing import Any

from ops.tuning.jobs import JobView

_NAME = re.compile(r"^projects/([^/]+)/locations/([^/]+)/(tuningJobs|pipelineJobs)/([^/]+)$")


def console_url(job_name: str) -> str | None:
    """The Cloud console page of a job: the same URLs Google's own SDK prints
    (vertexai/tuning/_tuning.py `_dashboard_uri`, google/cloud/aiplatform/pipeline_jobs.py)."""
    match = _NAME.match(job_name)
    if match is None:
        return None
    project, location, kind, job = match.groups()
    if kind == "tuningJobs":
        return (
            f"https://console.cloud.google.com/vertex-ai/generative/language/locations/{location}"
            f"/tuning/tuningJob/{job}?project={project}"
        )
    return f"https://console.cloud.google.com/vertex-ai/locations/{location}/pipelines/runs/{job}?project={project}"


def timeline(job: JobView) -> list[tuple[str, str]]:
    """(event, time) pairs in order: the state changes the API timestamps."""
    events = [("created", job.create_time), ("started", job.start_time)]
    if job.end_time:
        events.append((f"ended {job.state}", job.end_time))
    return [(event, time) for event, time in events if time]


def stat_rows(stats: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Nested tuning data stats as (dotted key, value) rows; lists of numbers are summarised."""
    rows: list[tuple[str, str]] = []
    for key, value in sorted(stats.items()):
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            rows.extend(stat_rows(value, f"{name}."))
        elif isinstance(value, list) and value and all(isinstance(v, int | float) for v in value):
            rows.append((name, f"{len(value)} values, {min(value)}..{max(value)}"))
        elif isinstance(value, list):
            rows.append((name, f"{len(value)} item(s)"))
        else:
            rows.append((name, str(value)))
    return rows
