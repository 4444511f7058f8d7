"""Labels: the keys that make costs attributable, and the syntax Google accepts.

Buckets and BigQuery datasets carry labels directly. Cloud Scheduler jobs have none, so for them
the labels that count are those of the TuningJob or PipelineJob body they POST: those reach the
billing export and name the schedule a run came from.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import suppress
from typing import Any

from .. import type_tokens
from ..label_syntax import MAX_LABELS, label_problem
from ..model import Enforcement, Props, ResourceRule, RuleConfig, Severity
from ..props import BodyError, as_list, as_mapping, decode_json_body, dig, is_mapping

LABELLED_TYPES = frozenset({type_tokens.BUCKET, type_tokens.BIGQUERY_DATASET})


def label_problems(key: str, value: Any) -> list[str]:
    """Why `key: value` is not a valid Google Cloud label (empty when it is)."""
    if not isinstance(value, str):
        return [f"label `{key}` has a {type(value).__name__} value, not a string"]
    problem = label_problem(key, value)
    return [f"label `{key}={value}`: {problem}"] if problem else []


def _label_maps(props: Props) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """The label maps the gcp provider takes: `labels` on most resources, `budgetFilter.labels` on a
    budget. Reading only these keeps the rule runnable during preview when other inputs are unknown."""
    for path in (("labels",), ("budgetFilter", "labels")):
        labels = dig(props, *path)
        if is_mapping(labels):
            yield ".".join(path), labels


def _scheduler_body(props: Props) -> Any:
    return decode_json_body(dig(props, "httpTarget", "body"))


def check_required(resource_type: str, props: Props, config: RuleConfig) -> list[str]:
    required = [str(key) for key in as_list(config.get("requiredLabels"))]
    if resource_type in LABELLED_TYPES:
        labels, where = props.get("labels"), "`labels`"
    elif resource_type == type_tokens.SCHEDULER_JOB:
        required += [str(key) for key in as_list(config.get("requiredScheduleLabels"))]
        try:
            labels, where = _scheduler_body(props).get("labels"), "the job body"
        except (BodyError, AttributeError) as exc:
            return [f"the job body cannot be read for its labels: {exc}"]
    else:
        return []
    present = as_mapping(labels)
    missing = [key for key in dict.fromkeys(required) if key not in present or present[key] in ("", None)]
    return [f"{where} has no `{key}` label" for key in missing]


def check_syntax(resource_type: str, props: Props, _config: RuleConfig) -> list[str]:
    maps = list(_label_maps(props))
    if resource_type == type_tokens.SCHEDULER_JOB:
        with suppress(BodyError):  # labels-required reports an unreadable body
            maps += [
                (f"httpTarget.body.{where}", labels) for where, labels in _label_maps(_scheduler_body(props))
            ]
    problems = []
    for where, labels in maps:
        if len(labels) > MAX_LABELS:
            problems.append(f"`{where}` has {len(labels)} labels; at most {MAX_LABELS} are allowed")
        for key in labels:
            problems += [f"`{where}`: {problem}" for problem in label_problems(str(key), labels[key])]
    return problems


REQUIRED = ResourceRule(
    id="labels-required",
    description=(
        "Buckets, BigQuery datasets and the job bodies scheduler jobs send must carry every label in "
        "`requiredLabels` (bodies also `requiredScheduleLabels`), with a value, so their costs show "
        "up per team and per schedule in the billing export. Add them to the stack's `labels` config."
    ),
    severity=Severity.medium,
    enforcement=Enforcement.mandatory,
    config={
        "requiredLabels": {
            "type": "array",
            "items": {"type": "string"},
            "description": "label keys every labelled resource must carry",
            "default": ["team"],
        },
        "requiredScheduleLabels": {
            "type": "array",
            "items": {"type": "string"},
            "description": "extra label keys every scheduled job body must carry",
            "default": ["tunectl-schedule"],
        },
    },
    check=check_required,
)

VALID_SYNTAX = ResourceRule(
    id="labels-valid-syntax",
    description=(
        "Label keys must start with a lowercase letter; keys and values hold only lowercase letters, "
        "digits, `_` and `-`, at most 63 characters, and at most 64 labels per resource. Google "
        "rejects anything else at apply time: fix the label in config."
    ),
    severity=Severity.medium,
    enforcement=Enforcement.mandatory,
    check=check_syntax,
)
