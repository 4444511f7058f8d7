"""GCP label syntax is checked before anything is sent, and our own labels cannot be overridden."""

from __future__ import annotations

import pytest

from ops.errors import TunectlError
from ops.tuning.labels import (
    RUN_ID_LABEL,
    billing_id,
    check_labels,
    label_filter,
    label_problem,
    parse_label_flags,
    run_labels,
)


def test_valid_labels_pass() -> None:
    check_labels({"team": "nlp", "cost-center": "cc_42", "empty-value": "", "équipe": "données"})


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("Team", "nlp", "lowercase letter"),
        ("1team", "nlp", "lowercase letter"),
        ("", "x", "empty"),
        ("team", "NLP", "'NLP'"),
        ("team", "a.b", "'.'"),
        ("k" * 64, "v", "64 characters"),
        ("team", "v" * 64, "64 characters"),
    ],
)
def test_invalid_label_is_named_with_its_reason(key: str, value: str, reason: str) -> None:
    problem = label_problem(key, value)
    assert problem is not None and reason in problem


def test_every_bad_label_is_reported_at_once() -> None:
    with pytest.raises(TunectlError) as caught:
        parse_label_flags(["Team=x", "ok=fine", "env=Prod"])
    assert caught.value.code == "label-invalid"
    assert "Team=x" in caught.value.message and "env=Prod" in caught.value.message


def test_label_flag_needs_key_equals_value() -> None:
    with pytest.raises(TunectlError, match="KEY=VALUE"):
        parse_label_flags(["team"])


@pytest.mark.parametrize(
    "key", [RUN_ID_LABEL, "tunectl-engine", "managed-by", "vertex-ai-pipelines-run-billing-id"]
)
def test_user_cannot_set_reserved_labels(key: str) -> None:
    with pytest.raises(TunectlError) as caught:
        parse_label_flags([f"{key}=x"])
    assert caught.value.code == "label-reserved"


def test_run_labels_carry_run_id_engine_and_user_labels() -> None:
    labels = run_labels("gem-0123456789abcdef", "gemini", {"team": "nlp"})
    assert labels == {
        "team": "nlp",
        RUN_ID_LABEL: "gem-0123456789abcdef",
        "tunectl-engine": "gemini",
        "managed-by": "tunectl",
    }


def test_billing_id_accepts_the_articles_spelling_too() -> None:
    assert billing_id({"vertex-ai-pipelines-run-billing-id": "42"}) == "42"
    assert billing_id({"vertex-ai-pipeline-run-billing-id": "43"}) == "43"
    assert billing_id({"team": "nlp"}) is None


def test_list_filter_selects_our_label() -> None:
    assert label_filter() == "labels.tunectl-run-id:*"
    assert label_filter("gem-1") == 'labels.tunectl-run-id="gem-1"'
