"""gcloud-style `--filter` expressions (ops/commands/filters.py), on rows shaped like `--format json`."""

from __future__ import annotations

import pytest

from ops.commands.filters import select
from ops.errors import TunectlError

ROWS = [
    {"id": "gem-cfa5a0e1", "region": "us-central1", "limit": 10, "eligible": True, "labels": {"team": "nlp"}},
    {"id": "rlhf-0a1b2c3d", "region": "europe-west4", "limit": 128, "eligible": False, "labels": {}},
    {"id": "gem-77aa", "region": "us-east4", "limit": None, "eligible": None, "tags": ["a", "b"]},
]


@pytest.mark.parametrize(
    ("expression", "ids"),
    [
        ("region=us-central1", ["gem-cfa5a0e1"]),
        ("limit<64", ["gem-cfa5a0e1"]),
        ("limit>=64 OR id:gem-7*", ["rlhf-0a1b2c3d", "gem-77aa"]),
        ("id:GEM", ["gem-cfa5a0e1", "gem-77aa"]),
        ("NOT region:europe", ["gem-cfa5a0e1", "gem-77aa"]),
        ("-region:europe region:us", ["gem-cfa5a0e1", "gem-77aa"]),
        ("labels.team=nlp", ["gem-cfa5a0e1"]),
        ("tags=b", ["gem-77aa"]),
        ("region=(europe-west4,us-east4)", ["rlhf-0a1b2c3d", "gem-77aa"]),
        ("id~^rlhf-[0-9a-f]+$", ["rlhf-0a1b2c3d"]),
        ("eligible=true", ["gem-cfa5a0e1"]),
        ("limit:*", ["gem-cfa5a0e1", "rlhf-0a1b2c3d", "gem-77aa"]),
        ("(limit>5 AND limit<50) OR region:eu", ["gem-cfa5a0e1", "rlhf-0a1b2c3d"]),
        ("region!=us-central1", ["rlhf-0a1b2c3d", "gem-77aa"]),
    ],
)
def test_filter_keeps_the_matching_rows(expression: str, ids: list[str]) -> None:
    assert [row["id"] for row in select(ROWS, expression)] == ids


def test_limit_applies_after_the_filter() -> None:
    assert [row["id"] for row in select(ROWS, "id:gem", 1)] == ["gem-cfa5a0e1"]
    assert len(select(ROWS, None, 2)) == 2


@pytest.mark.parametrize("expression", ["region=", "a=1 AND", "(a=1", "id~(", "AND", "region=x )"])
def test_a_filter_that_cannot_be_read_is_a_usage_error(expression: str) -> None:
    with pytest.raises(TunectlError) as caught:
        select(ROWS, expression)
    assert caught.value.code == "filter-invalid" and caught.value.where == "--filter" and caught.value.hint


def test_a_field_no_row_has_is_named_with_the_fields_there_are() -> None:
    with pytest.raises(TunectlError) as caught:
        select(ROWS, "colour=red")
    assert caught.value.code == "filter-unknown-key" and "region" in (caught.value.hint or "")
