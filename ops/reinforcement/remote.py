"""Rewards only the service computes (autorater, Cloud Run): `tuningJobs:validateReinforcementTuningReward`.

The method is Pre-GA and on v1beta1 only; google-genai 2.34 calls it as `client.tunings.validate_reward`
(one sample response, one example, one reward config per call). Each remote reward is validated alone
(`singleRewardConfig`), so its own reward comes back as `overallReward` and the composite total is
computed here from the weights, the same way as for local rewards.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ops.cloud_errors import call_with_retry
from ops.reinforcement.score import RewardScore
from ops.tuning.timeouts import request_timeout_seconds

if TYPE_CHECKING:
    from google.genai import Client

    from ops.settings import Settings

API_VERSION = "v1beta1"
METHOD = "validateReinforcementTuningReward"


def validate_client(settings: Settings, region: str) -> Client:
    from ops.clients import genai_client

    return genai_client(settings, region, api_version=API_VERSION)


def validate_remote(
    client: Client, parent: str, single: dict[str, Any], example: dict[str, Any], response: dict[str, Any]
) -> RewardScore:
    from google.genai import types

    # google-genai 2.34 re-spells the reward's nested objects in snake_case on the wire
    # (`cloudRunRewardScorer.cloud_run_uri`), which the v1beta1 REST reference does not name: the
    # checked camelCase config travels in `http_options.extra_body`, the SDK's way to add request fields.
    config = types.ValidateRewardConfig(
        http_options=types.HttpOptions(
            api_version=API_VERSION,
            timeout=int(request_timeout_seconds() * 1000),
            extra_body={"singleRewardConfig": single},
        )
    )
    answer = call_with_retry(
        lambda: client.tunings.validate_reward(
            parent=parent,
            sample_response=response,  # type: ignore[arg-type]
            example=example,  # type: ignore[arg-type]
            config=config,
        ),
        what=f"scoring a reward with {METHOD}",
    )
    if answer.error:
        return RewardScore(None, "error", f"the service could not score it: {answer.error}")
    if answer.overall_reward is None:
        return RewardScore(None, "unknown", f"{METHOD} returned no reward")
    return RewardScore.of(answer.overall_reward)
