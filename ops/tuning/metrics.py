"""Evaluation metrics over (prediction, reference) pairs: pure functions, no API calls.

BLEU is sacrebleu's corpus BLEU (0-100); ROUGE-1/2/L are rouge-score F-measures averaged over
examples (0-1, Porter stemming); exact match compares after trimming and case folding. A set is
treated as classification when its references come from a small set of labels that each repeat.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from ops.errors import needs_extra

MAX_CLASSES = 20


def normalize(text: str) -> str:
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class ClassScores:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Metrics:
    examples: int
    exact_match: float
    bleu: float
    rouge1: float
    rouge2: float
    rougeL: float
    accuracy: float | None = None
    per_class: dict[str, ClassScores] = field(default_factory=dict)


def class_labels(references: Sequence[str]) -> list[str] | None:
    """The label set when the references look like classification labels, else None."""
    counts = Counter(normalize(r) for r in references)
    if not references or len(counts) > MAX_CLASSES or len(counts) < 2:
        return None
    if any(n < 2 for n in counts.values()) or any(len(label.split()) > 3 for label in counts):
        return None
    return sorted(counts)


def per_class_scores(
    predictions: Sequence[str], references: Sequence[str], labels: Sequence[str]
) -> dict[str, ClassScores]:
    preds = [normalize(p) for p in predictions]
    refs = [normalize(r) for r in references]
    scores = {}
    for label in labels:
        tp = sum(1 for p, r in zip(preds, refs, strict=True) if p == label and r == label)
        predicted = sum(1 for p in preds if p == label)
        support = sum(1 for r in refs if r == label)
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores[label] = ClassScores(precision, recall, f1, support)
    return scores


def compute_metrics(predictions: Sequence[str], references: Sequence[str]) -> Metrics:
    with needs_extra("eval", "BLEU and ROUGE"):
        import sacrebleu
        from rouge_score import rouge_scorer

    if len(predictions) != len(references):
        raise ValueError("predictions and references differ in length")
    n = len(references)
    if n == 0:
        return Metrics(0, 0.0, 0.0, 0.0, 0.0, 0.0)
    exact = sum(normalize(p) == normalize(r) for p, r in zip(predictions, references, strict=True)) / n
    bleu = sacrebleu.corpus_bleu(list(predictions), [list(references)]).score
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    totals = Counter[str]()
    for prediction, reference in zip(predictions, references, strict=True):
        for name, score in scorer.score(reference, prediction).items():
            totals[name] += score.fmeasure
    labels = class_labels(references)
    return Metrics(
        examples=n,
        exact_match=exact,
        bleu=bleu,
        rouge1=totals["rouge1"] / n,
        rouge2=totals["rouge2"] / n,
        rougeL=totals["rougeL"] / n,
        accuracy=exact if labels else None,
        per_class=per_class_scores(predictions, references, labels) if labels else {},
    )
