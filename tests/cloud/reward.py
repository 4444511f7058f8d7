"""Vertex AI v1beta1 `tuningJobs:validateReinforcementTuningReward`: a mixin of `VertexServer`.

The request and the answer are checked against the aiplatform v1beta1 discovery document like every
other route. What the server computes, on purpose independent of tunectl's own scorer:
- a Cloud Run reward calls `cloud_run_rewards[cloudRunUri](example, response_text)` (a test sets it;
  an unknown URI answers with `error`, as a service that cannot be reached would);
- an autorater reward calls `autorater_reward(example, response_text)` (default: 1.0 when a
  reference value occurs in the response, else -1.0);
- a string-match reward: EXACT_MATCH / PARTIAL_MATCH / REGEX_CONTAINS on the raw response, after
  `{{references.key}}` substitution (no parseResponseConfig);
- a code reward answers `error` (the test server runs no code).
Every reward is clipped to [-1, 1]; a composite is the weighted mean. `validations` records the bodies.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from tests.cloud.server import ApiError, Call, handles
from tests.cloud.versions import beta

RewardFunction = Callable[[dict[str, Any], str], float]
_PLACEHOLDER = re.compile(r"\{\{\s*references\.([\w.-]+)\s*\}\}")


def _clip(value: float) -> float:
    return max(min(value, 1.0), -1.0)


def _text(content: dict[str, Any]) -> str:
    return "".join(str(p.get("text", "")) for p in content.get("parts", []))


def _default_autorater(example: dict[str, Any], response: str) -> float:
    return 1.0 if any(v and v in response for v in example.get("references", {}).values()) else -1.0


class RewardValidation:
    """Handlers and state for reward validation; `VertexServer.reset` calls `reset_rewards`."""

    def reset_rewards(self) -> None:
        self.cloud_run_rewards: dict[str, RewardFunction] = {}
        self.autorater_reward: RewardFunction = _default_autorater
        self.validations: list[dict[str, Any]] = []

    @handles(beta("aiplatform.projects.locations.tuningJobs.validateReinforcementTuningReward"))
    def validate_reward(self, call: Call) -> dict[str, Any]:
        body = call.body or {}
        self.validations.append(body)
        configs = [k for k in ("singleRewardConfig", "compositeRewardConfig") if k in body]
        if len(configs) != 1:
            raise ApiError(400, "exactly one of single_reward_config, composite_reward_config is required")
        if "sampleResponse" not in body or "example" not in body:
            raise ApiError(400, "sample_response and example are required")
        example, response = body["example"], _text(body["sampleResponse"])
        if "singleRewardConfig" in body:
            weighted = [(1.0, body["singleRewardConfig"])]
        else:
            weighted = [
                (float(w.get("weight", 0.0)), w.get("rewardConfig", {}))
                for w in body["compositeRewardConfig"].get("weightedRewardConfigs", [])
            ]
        details: dict[str, Any] = {}
        total = 0.0
        for i, (weight, single) in enumerate(weighted):
            name = single.get("rewardName") or f"reward_{i}"
            try:
                reward = _clip(self._score(single, example, response))
            except _NotScored as failed:
                return {"error": str(failed)}
            details[name] = {"reward": reward}
            total += weight * reward
        weights = sum(w for w, _ in weighted)
        if weights <= 0:
            raise ApiError(400, "the weights of a composite reward must sum to more than 0")
        return {"overallReward": total / weights, "rewardInfoDetails": details}

    def _score(self, single: dict[str, Any], example: dict[str, Any], response: str) -> float:
        if "cloudRunRewardScorer" in single:
            uri = single["cloudRunRewardScorer"].get("cloudRunUri", "")
            function = self.cloud_run_rewards.get(uri)
            if function is None:
                raise _NotScored(f"the Cloud Run service {uri} could not be reached")
            return function(example, response)
        if "autoraterScorer" in single:
            return self.autorater_reward(example, response)
        if "stringMatchRewardScorer" in single:
            return _string_match(single["stringMatchRewardScorer"], example, response)
        raise _NotScored("the test server does not run code rewards")


class _NotScored(Exception):
    pass


def _string_match(scorer: dict[str, Any], example: dict[str, Any], response: str) -> float:
    expression = scorer.get("stringMatchExpression", {})
    references = example.get("references", {})
    wanted = _PLACEHOLDER.sub(lambda m: references.get(m.group(1), ""), expression.get("expression", ""))
    operation = expression.get("matchOperation")
    hit = {
        "EXACT_MATCH": response == wanted,
        "PARTIAL_MATCH": wanted in response,
        "REGEX_CONTAINS": re.search(wanted, response) is not None,
    }.get(str(operation))
    if hit is None:
        raise ApiError(400, f"match_operation {operation} is not supported")
    return float(scorer.get("correctAnswerReward", 0.0) if hit else scorer.get("wrongAnswerReward", 0.0))
