"""Classification sets: outputs drawn from a small set of labels, or labels listed in the prompt.

A set is a classification set when the prompts list the classes (the same list in >= 90% of the
sampled prompts), or when at least 20 examples have outputs drawn from at most 64 short labels, of
which those seen in >= 1% of examples (and at least twice) cover >= 95% of the examples. Outputs
outside the class set are errors; a most/least frequent class ratio above 10 is a warning.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

IMBALANCE_RATIO = 10
MIN_EXAMPLES_TO_INFER = 20

# "Options: a, b, c" / "Labels are: x or y" / "Answer with one of [a, b]"
_LISTED = re.compile(
    r"(?:options|labels|classes|categories|choices|answers?|one of)\s*(?:are|is)?\s*"
    r"(?:[:：]\s*([^\n]+)|[\[(]([^\])\n]+)[\])])",
    re.IGNORECASE,
)
# "Classify the following text as sarcastic or not_sarcastic."
_CLASSIFY_AS = re.compile(
    r"\b(?:classify|label|categori[sz]e)\b[^\n]*?\bas\s+(?:one of\s+)?([^\n.?!:]+?\s+or\s+[^\n.?!:\s]+)",
    re.IGNORECASE,
)
_SEPARATORS = re.compile(r"\s*(?:,|;|\||/|\bor\b)\s*", re.IGNORECASE)
_TRIM = " \t\"'`.*[]()"


@dataclass(frozen=True)
class ClassSet:
    classes: tuple[str, ...]
    source: str  # "listed-in-prompt" or "inferred-from-outputs"


def classes_in_prompt(prompt: str) -> frozenset[str] | None:
    match = _LISTED.search(prompt)
    if match is not None:
        listed = match.group(1) or match.group(2)
    elif (match := _CLASSIFY_AS.search(prompt)) is not None:
        listed = match.group(1)
    else:
        return None
    labels = [label.strip(_TRIM) for label in _SEPARATORS.split(listed)]
    labels = [label for label in labels if label and len(label) <= 64]
    return frozenset(labels) if len(labels) >= 2 else None


def detect_classes(labels: dict[str, int] | None, prompts: list[str]) -> ClassSet | None:
    if labels is None:  # outputs too varied or too long: not a classification set
        return None
    if prompts:
        lists = Counter(classes_in_prompt(p) for p in prompts)
        most, seen = lists.most_common(1)[0]
        if most is not None and seen >= 0.9 * len(prompts):
            return ClassSet(tuple(sorted(most)), "listed-in-prompt")
    total = sum(labels.values())
    if total < MIN_EXAMPLES_TO_INFER:
        return None
    floor = max(2, math.ceil(0.01 * total))
    frequent = [label for label, n in labels.items() if n >= floor]
    if len(frequent) < 2 or sum(labels[label] for label in frequent) < 0.95 * total:
        return None
    return ClassSet(tuple(sorted(frequent)), "inferred-from-outputs")


def imbalance(counts: dict[str, int]) -> str | None:
    """A warning message when the most frequent class outnumbers the rarest by more than 10 to 1."""
    if len(counts) < 2:
        return None
    rarest = min(counts, key=lambda c: counts[c])
    commonest = max(counts, key=lambda c: counts[c])
    if counts[rarest] == 0:
        return f"class {rarest!r} has no examples ({commonest!r} has {counts[commonest]})"
    if counts[commonest] > IMBALANCE_RATIO * counts[rarest]:
        return (
            f"class {commonest!r} has {counts[commonest]} examples and {rarest!r} only {counts[rarest]} "
            f"(more than {IMBALANCE_RATIO}:1)"
        )
    return None
