"""Scoring one response with one reward, locally, as the tuning service documents it.

Semantics, from google-genai 2.34's docstrings of the v1beta1 types (read 2026-12-02; the same text is
in the aiplatform v1beta1 discovery document):
- `parseResponseConfig` runs first and "the parsed response (i.e., substring) will be passed to the
  reward functions". `IDENTITY` (and unset) keeps the response; `REGEX_EXTRACT` is GoogleSQL's
  `REGEXP_EXTRACT(response, regex)` "but different in that if there are multiple matches, the last
  match will be returned" (the capture group if the regex has one, else the whole match).
- A string-match expression first has each `{{references.key}}` replaced by the example's value.
  `EXACT_MATCH`: "expression is an exact match of the target"; `PARTIAL_MATCH`: "expression is a
  substring of the target"; `REGEX_CONTAINS`: GoogleSQL's `REGEXP_CONTAINS(target, expression)`
  (a match anywhere). `jsonMatchExpression` parses the (parsed) response as JSON, takes the value of
  `keyName` at the first level, and applies its `valueStringMatchExpression` to that value.
  True -> `correctAnswerReward`, false -> `wrongAnswerReward` (unset = 0, proto3).
- Every reward is clipped to [-1, 1]: `reward = max(min(reward, 1.0), -1.0)`.
- A composite's total is `(w_a * r_a + w_b * r_b + ...) / (w_a + w_b + ...)`.

Not documented, so chosen here and said in the output where it matters: a `REGEX_EXTRACT` that does
not match passes an empty response on (GoogleSQL returns NULL); a JSON value that is not a string is
compared in its JSON form (`42`, `true`); a code snippet gets the parsed response as the text of a
one-part `model` Content.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from typing import Any, Literal

from ops.reinforcement import templates
from ops.reinforcement.sandbox import SandboxLimits, SandboxPool

Status = Literal["ok", "error", "unknown"]
Kind = Literal["string-match", "code", "cloud-run", "autorater"]
LOCAL_KINDS: frozenset[str] = frozenset({"string-match", "code"})
# A snippet that hit the time limit this many times is not run on the remaining responses: each would
# most likely cost the whole --code-timeout again (100 s by default), and the reward has failed anyway.
MAX_CODE_TIMEOUTS = 3


@dataclass(frozen=True)
class RewardScore:
    """A clipped reward, or why there is none: `error` (this example fails) or `unknown` (not scored)."""

    value: float | None
    status: Status = "ok"
    detail: str | None = None

    @staticmethod
    def of(value: float, detail: str | None = None) -> RewardScore:
        return RewardScore(clip(value), "ok", detail)


def clip(value: float) -> float:
    return max(min(value, 1.0), -1.0)


def reward_kind(single: dict[str, Any]) -> Kind:
    if "stringMatchRewardScorer" in single:
        return "string-match"
    if "codeExecutionRewardScorer" in single:
        return "code"
    if "cloudRunRewardScorer" in single:
        return "cloud-run"
    return "autorater"


def response_text(content: dict[str, Any]) -> str:
    """The text of a Content: its text parts, joined (thought parts excluded)."""
    return "".join(str(p.get("text", "")) for p in content.get("parts", []) if not p.get("thought"))


def model_content(text: str) -> dict[str, Any]:
    return {"role": "model", "parts": [{"text": text}]}


def parse_response(text: str, parse: dict[str, Any] | None) -> tuple[str, str | None]:
    """(parsed response, note) per `parseResponseConfig`."""
    if not parse or parse.get("parseType", "IDENTITY") != "REGEX_EXTRACT":
        return text, None
    pattern = re.compile(parse["regexExtractExpression"])
    matches = list(pattern.finditer(text))
    if not matches:
        return "", "regexExtractExpression did not match: scored as an empty response"
    last = matches[-1]
    return (last.group(1) or "") if pattern.groups == 1 else last.group(0), None


def matches(operation: str, target: str, expression: str) -> bool:
    if operation == "EXACT_MATCH":
        return target == expression
    if operation == "PARTIAL_MATCH":
        return expression in target
    if operation == "REGEX_CONTAINS":
        return re.search(expression, target) is not None
    raise ValueError(f"unknown match operation {operation}")


def _json_value(parsed: str, key: str) -> str | None:
    try:
        obj = json.loads(parsed)
    except ValueError:
        return None
    if not isinstance(obj, dict) or key not in obj:
        return None
    value = obj[key]
    return value if isinstance(value, str) else json.dumps(value)


def score_string_match(scorer: dict[str, Any], parsed: str, references: dict[str, str]) -> RewardScore:
    correct = float(scorer.get("correctAnswerReward", 0.0))
    wrong = float(scorer.get("wrongAnswerReward", 0.0))
    if "jsonMatchExpression" in scorer:
        json_match = scorer["jsonMatchExpression"]
        expression = json_match["valueStringMatchExpression"]
        target = _json_value(parsed, json_match["keyName"])
        if target is None:
            return RewardScore.of(wrong, f"response is not a JSON object with key {json_match['keyName']!r}")
    else:
        expression = scorer["stringMatchExpression"]
        target = parsed
    try:
        wanted = templates.substitute(expression["expression"], references)
    except KeyError as missing:
        return RewardScore(None, "error", f"the example's references have no key {missing}")
    try:
        hit = matches(expression["matchOperation"], target, wanted)
    except re.error as err:
        # A reference value substituted into a regex can break it (e.g. an unbalanced parenthesis).
        return RewardScore(None, "error", f"regex {wanted!r} (after substitution) does not compile: {err}")
    return RewardScore.of(correct if hit else wrong)


class LocalScorer:
    """Scores string-match and code rewards; keeps a pool of up to `concurrency` sandboxes per code
    reward. `score` may be called from several threads at once. Use as a context manager."""

    def __init__(self, limits: SandboxLimits | None = None, concurrency: int = 1) -> None:
        self.limits = limits or SandboxLimits()
        self.concurrency = concurrency
        self._pools: dict[str, SandboxPool] = {}
        self._lock = threading.Lock()

    def __enter__(self) -> LocalScorer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def kill(self) -> None:
        """Kill every running snippet now (tunectl is stopping); calls in progress return at once."""
        with self._lock:
            pools = list(self._pools.values())
        for pool in pools:
            pool.kill()

    def close(self) -> None:
        for pool in self._pools.values():
            pool.close()
        self._pools.clear()

    def _pool(self, snippet: str) -> SandboxPool:
        with self._lock:
            pool = self._pools.get(snippet)
            if pool is None:
                pool = self._pools[snippet] = SandboxPool(snippet, self.limits, self.concurrency)
            return pool

    def score(self, single: dict[str, Any], example: dict[str, Any], response: dict[str, Any]) -> RewardScore:
        """`example` is the dataset line in camelCase; `response` the model's Content."""
        kind = reward_kind(single)
        if kind not in LOCAL_KINDS:
            raise ValueError(f"{kind} rewards are scored by the service, not locally")
        parsed, note = parse_response(response_text(response), single.get("parseResponseConfig"))
        if kind == "string-match":
            result = score_string_match(
                single["stringMatchRewardScorer"], parsed, example.get("references", {})
            )
            return RewardScore(result.value, result.status, result.detail or note)
        pool = self._pool(single["codeExecutionRewardScorer"]["pythonCodeSnippet"])
        if pool.timeouts >= MAX_CODE_TIMEOUTS:
            return RewardScore(
                None,
                "unknown",
                f"the snippet already hit the time limit ({self.limits.timeout_s:g} s, "
                f"--code-timeout) on {pool.timeouts} responses, so it was not run on the rest",
            )
        content = model_content(parsed) if single.get("parseResponseConfig") else response
        outcome = pool.evaluate(example, content)
        if outcome.reward is None:
            return RewardScore(None, "error", outcome.error)
        return RewardScore.of(outcome.reward, note)


def combine(weighted: list[tuple[float, RewardScore]]) -> RewardScore:
    """A composite's total: the weighted mean of the (clipped) rewards; unknown or error if any part is."""
    for status in ("error", "unknown"):
        bad = [s for _, s in weighted if s.status == status]
        if bad:
            return RewardScore(None, status, bad[0].detail)
    total = sum(w for w, _ in weighted)
    return RewardScore.of(sum(w * (s.value or 0.0) for w, s in weighted) / total)
