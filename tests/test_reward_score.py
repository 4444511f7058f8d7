"""Local scoring as the service documents it: every string-match operation, JSON match, response
parsing, reward values, clipping to [-1, 1] and composite weighting."""

from __future__ import annotations

from typing import Any

import pytest

from ops.reinforcement.score import (
    LocalScorer,
    RewardScore,
    combine,
    model_content,
    parse_response,
    score_string_match,
)

REFERENCES = {"answer": "42", "city": "Paris"}


def scorer(operation: str, expression: str, correct: float = 1.0, wrong: float = -1.0) -> dict[str, Any]:
    return {
        "correctAnswerReward": correct,
        "wrongAnswerReward": wrong,
        "stringMatchExpression": {"matchOperation": operation, "expression": expression},
    }


@pytest.mark.parametrize(
    ("operation", "expression", "response", "reward"),
    [
        ("EXACT_MATCH", "{{references.answer}}", "42", 1.0),
        ("EXACT_MATCH", "{{references.answer}}", "42 ", -1.0),  # exact: no trimming
        ("EXACT_MATCH", "{{references.answer}}", "The answer is 42", -1.0),
        ("PARTIAL_MATCH", "{{references.answer}}", "The answer is 42.", 1.0),
        ("PARTIAL_MATCH", "{{references.city}}", "paris", -1.0),  # case-sensitive
        ("REGEX_CONTAINS", r"\b{{references.answer}}\b", "so 42, finally", 1.0),
        ("REGEX_CONTAINS", r"\b{{references.answer}}\b", "so 420", -1.0),
        ("REGEX_CONTAINS", "^{{references.city}}$", "Paris", 1.0),
    ],
)
def test_string_match_operations(operation: str, expression: str, response: str, reward: float) -> None:
    assert score_string_match(scorer(operation, expression), response, REFERENCES) == RewardScore(reward)


@pytest.mark.parametrize(
    ("response", "reward"),
    [
        ('{"answer": "42", "why": "6 x 7"}', 1.0),
        ('{"answer": 42}', 1.0),  # a non-string value is compared in its JSON form
        ('{"answer": "41"}', 0.0),
        ('{"nested": {"answer": "42"}}', 0.0),  # first level only
        ("answer: 42", 0.0),  # not JSON: the wrong-answer reward
    ],
)
def test_json_match_reads_the_first_level_key(response: str, reward: float) -> None:
    json_scorer = {
        "correctAnswerReward": 1.0,
        "jsonMatchExpression": {
            "keyName": "answer",
            "valueStringMatchExpression": {
                "matchOperation": "EXACT_MATCH",
                "expression": "{{references.answer}}",
            },
        },
    }
    assert score_string_match(json_scorer, response, REFERENCES).value == reward


def test_unset_reward_values_are_zero_and_values_are_clipped() -> None:
    assert score_string_match(
        {"stringMatchExpression": scorer("EXACT_MATCH", "x")["stringMatchExpression"]}, "y", {}
    ) == RewardScore(0.0)
    assert score_string_match(scorer("EXACT_MATCH", "x", correct=3.0), "x", {}).value == 1.0
    assert score_string_match(scorer("EXACT_MATCH", "x", wrong=-5.0), "y", {}).value == -1.0


def test_a_missing_reference_or_a_broken_substituted_regex_is_a_per_example_error() -> None:
    missing = score_string_match(scorer("EXACT_MATCH", "{{references.nope}}"), "42", REFERENCES)
    assert missing.status == "error" and "nope" in (missing.detail or "")
    broken = score_string_match(scorer("REGEX_CONTAINS", "{{references.answer}}"), "x", {"answer": "(4"})
    assert broken.status == "error" and "does not compile" in (broken.detail or "")


def test_regex_extract_keeps_the_last_match_and_its_group() -> None:
    parse = {"parseType": "REGEX_EXTRACT", "regexExtractExpression": "<answer>(.*?)</answer>"}
    assert parse_response("<answer>1</answer> no, <answer>2</answer>", parse) == ("2", None)
    assert parse_response("<a>1</a>", {"parseType": "REGEX_EXTRACT", "regexExtractExpression": r"\d"}) == (
        "1",
        None,
    )
    parsed, note = parse_response("no tags", parse)
    assert parsed == "" and note and "did not match" in note
    assert parse_response("as is", {"parseType": "IDENTITY"}) == ("as is", None)


def test_parse_response_config_applies_before_string_match() -> None:
    single = {
        "parseResponseConfig": {
            "parseType": "REGEX_EXTRACT",
            "regexExtractExpression": r"<answer>\s*(.*?)\s*</answer>",
        },
        "stringMatchRewardScorer": scorer("EXACT_MATCH", "{{references.answer}}", 1.0, 0.0),
    }
    example = {"references": REFERENCES}
    with LocalScorer() as local:
        assert local.score(single, example, model_content("6 x 7 = 42 <answer> 42 </answer>")).value == 1.0
        assert local.score(single, example, model_content("42")).value == 0.0


def test_composite_is_the_weighted_mean_of_clipped_rewards() -> None:
    assert combine([(3.0, RewardScore(1.0)), (1.0, RewardScore(-1.0))]).value == pytest.approx(0.5)
    assert combine([(0.7, RewardScore(0.0)), (0.3, RewardScore(1.0))]).value == pytest.approx(0.3)


def test_composite_is_unknown_or_failed_when_a_part_is() -> None:
    assert (
        combine([(1.0, RewardScore(1.0)), (1.0, RewardScore(None, "unknown", "offline"))]).status == "unknown"
    )
    assert (
        combine([(1.0, RewardScore(None, "error", "boom")), (1.0, RewardScore(None, "unknown"))]).status
        == "error"
    )
