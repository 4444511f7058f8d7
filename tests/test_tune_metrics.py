"""Evaluation metrics on sets small enough to check by hand."""

from __future__ import annotations

import pytest

from ops.tuning.metrics import class_labels, compute_metrics


def test_perfect_answers_score_full_marks() -> None:
    refs = ["the cat sat on the mat", "a quick brown fox jumps"]
    metrics = compute_metrics(refs, refs)
    assert metrics.exact_match == 1.0
    assert metrics.bleu == pytest.approx(100.0)
    assert (metrics.rouge1, metrics.rouge2, metrics.rougeL) == (1.0, 1.0, 1.0)
    assert metrics.accuracy is None  # generated text, not classes


def test_rouge1_of_half_overlap() -> None:
    # reference "a b c d", prediction "a b x y": unigram P = R = 1/2 -> F1 = 0.5; bigram "a b" 1/3 each.
    metrics = compute_metrics(["a b x y"], ["a b c d"])
    assert metrics.rouge1 == pytest.approx(0.5)
    assert metrics.rouge2 == pytest.approx(1 / 3)
    assert metrics.exact_match == 0.0


def test_exact_match_ignores_case_and_spacing() -> None:
    assert compute_metrics(["  Sarcastic "], ["sarcastic"]).exact_match == 1.0


def test_classification_accuracy_and_per_class_scores() -> None:
    refs = ["sarcastic", "sarcastic", "not_sarcastic", "not_sarcastic"]
    preds = ["sarcastic", "not_sarcastic", "not_sarcastic", "not_sarcastic"]
    metrics = compute_metrics(preds, refs)
    assert metrics.accuracy == 0.75
    sarcastic, plain = metrics.per_class["sarcastic"], metrics.per_class["not_sarcastic"]
    assert (sarcastic.precision, sarcastic.recall, sarcastic.support) == (1.0, 0.5, 2)
    assert sarcastic.f1 == pytest.approx(2 / 3)
    assert (plain.precision, plain.recall) == (pytest.approx(2 / 3), 1.0)
    assert plain.f1 == pytest.approx(0.8)


def test_generated_text_is_not_mistaken_for_classes() -> None:
    assert class_labels(["one long reply here today", "another different reply"]) is None
    assert class_labels(["yes", "no", "yes", "no"]) == ["no", "yes"]
