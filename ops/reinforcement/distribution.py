"""What a set of scores says about a reward before any training: its spread, and whether it can tell
good answers from bad ones.

Group-relative reinforcement learning learns from the *differences* between the rewards of the
samples drawn for one prompt: a reward that is the same for every response teaches nothing, and so
does a prompt whose responses always score the same. Both are reported; a constant reward is the
check that fails (`reward test` exits 1), and so is a reward scored on fewer than 2 responses: one
value cannot vary, so such a test cannot tell (`too-few`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from ops.reinforcement.batch import Reward, Scored
from ops.reinforcement.score import RewardScore

BINS = 10  # over [-1, 1]: each 0.2 wide, the last one closed
LOW, HIGH = -1.0, 1.0
MAX_LISTED_ERRORS = 20
MIN_SCORED = 2  # one value cannot vary: below this a reward's spread tells nothing
# The verdicts, worst first: the report's verdict is the worst of its rewards' (and the overall's).
VERDICTS = ("constant", "errors", "unknown", "too-few", "ok")


@dataclass(frozen=True)
class Stats:
    scored: int
    errors: int
    unknown: int
    minimum: float | None
    mean: float | None
    maximum: float | None
    at_low: float | None  # share of scored responses at -1
    at_high: float | None  # share at +1
    histogram: tuple[int, ...]

    @property
    def constant(self) -> bool:
        return self.scored >= MIN_SCORED and self.minimum == self.maximum

    @property
    def verdict(self) -> str:
        if self.constant:
            return "constant"
        if self.errors:
            return "errors"
        if self.unknown:
            return "unknown"
        if self.scored < MIN_SCORED:
            return "too-few"
        return "ok"

    def as_dict(self) -> dict[str, Any]:
        width = (HIGH - LOW) / BINS
        return {
            "scored": self.scored,
            "errors": self.errors,
            "unknown": self.unknown,
            "min": self.minimum,
            "mean": self.mean,
            "max": self.maximum,
            "share_at_minus_1": self.at_low,
            "share_at_plus_1": self.at_high,
            "constant": self.constant,
            "verdict": self.verdict,
            "histogram": [
                {"from": round(LOW + k * width, 6), "to": round(LOW + (k + 1) * width, 6), "count": n}
                for k, n in enumerate(self.histogram)
            ],
        }


def bin_of(value: float) -> int:
    return min(BINS - 1, int((value - LOW) / (HIGH - LOW) * BINS))


def stats(scores: list[RewardScore]) -> Stats:
    values = [s.value for s in scores if s.status == "ok" and s.value is not None]
    counts = [0] * BINS
    for v in values:
        counts[bin_of(v)] += 1
    n = len(values)
    return Stats(
        scored=n,
        errors=sum(1 for s in scores if s.status == "error"),
        unknown=sum(1 for s in scores if s.status == "unknown"),
        minimum=min(values) if values else None,
        mean=sum(values) / n if values else None,
        maximum=max(values) if values else None,
        at_low=sum(1 for v in values if v == LOW) / n if values else None,
        at_high=sum(1 for v in values if v == HIGH) / n if values else None,
        histogram=tuple(counts),
    )


def same_score_examples(scored: list[Scored]) -> tuple[list[int], int]:
    """(dataset lines whose responses all got one overall reward, how many lines have 2+ responses)."""
    by_example: dict[int, list[float]] = defaultdict(list)
    for item in scored:
        if item.overall.status == "ok" and item.overall.value is not None:
            by_example[item.response.example].append(item.overall.value)
    several = {line: values for line, values in by_example.items() if len(values) > 1}
    return sorted(line for line, values in several.items() if len(set(values)) == 1), len(several)


def report(rewards: list[Reward], scored: list[Scored]) -> dict[str, Any]:
    per_reward = []
    errors = []
    for i, reward in enumerate(rewards):
        column = [s.scores[i] for s in scored]
        per_reward.append(
            {
                "name": reward.name,
                "kind": reward.kind,
                "weight": reward.weight,
                "scored_by": reward.where,
                **stats(column).as_dict(),
            }
        )
        errors += [
            {
                "example": s.response.example,
                "response_line": s.response.line,
                "reward": reward.name,
                "error": c.detail,
            }
            for s, c in zip(scored, column, strict=True)
            if c.status == "error"
        ]
    overall = stats([s.overall for s in scored])
    same, with_several = same_score_examples(scored)
    warnings = []
    for r in per_reward:
        if r["constant"]:
            warnings.append(
                f"reward {r['name']} gives every response the same value: it cannot separate good from "
                "bad answers"
            )
    if overall.constant and len(rewards) > 1:
        warnings.append("the overall reward is the same for every response: no learning signal")
    # Why rewards were not scored, one warning per reason (offline, a snippet that kept timing out).
    reasons: dict[str, list[str]] = defaultdict(list)
    for i, reward in enumerate(rewards):
        for reason in dict.fromkeys(
            s.scores[i].detail or "" for s in scored if s.scores[i].status == "unknown"
        ):
            reasons[reason].append(reward.name)
    for reason, names in reasons.items():
        warnings.append(f"not scored, so unknown (fail closed): {', '.join(names)}; {reason}")
    if errors:
        warnings.append(f"{len(errors)} score(s) failed: see errors")
    too_few = [r["name"] for r in per_reward if r["verdict"] == "too-few"]
    if too_few:
        warnings.append(
            f"{', '.join(too_few)} scored on fewer than {MIN_SCORED} responses: one value cannot vary, "
            "so this test cannot tell whether the reward separates good from bad answers; "
            "give more responses"
        )
    notes = []
    if with_several == 0 and len(scored) >= MIN_SCORED:
        notes.append(
            "every example has one response: give several per example to see which prompts always "
            "score the same"
        )
    found = [r["verdict"] for r in per_reward] + (["constant"] if overall.constant else [])
    verdict = next(v for v in VERDICTS if v in found or v == "ok")
    return {
        "responses": len(scored),
        "examples": len({s.response.example for s in scored}),
        "rewards": per_reward,
        "overall": overall.as_dict(),
        "same_score_examples": same if with_several else None,
        "examples_with_several_responses": with_several,
        "errors": errors[:MAX_LISTED_ERRORS],
        "error_count": len(errors),
        "warnings": warnings,
        "notes": notes,
        "verdict": verdict,
    }
