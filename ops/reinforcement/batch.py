"""Score every response with every reward of a config: locally where tunectl can, through the service
where only it can, and `unknown` (never a guess) where neither is possible."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ops.reinforcement.config import RewardConfig
from ops.reinforcement.inputs import Example, Response
from ops.reinforcement.remote import METHOD, validate_remote
from ops.reinforcement.sandbox import SandboxLimits
from ops.reinforcement.score import LOCAL_KINDS, LocalScorer, RewardScore, combine, reward_kind

if TYPE_CHECKING:
    from google.genai import Client

Where = Literal["local", "service", "unknown"]
NO_PROJECT = f"offline: autorater and Cloud Run rewards are scored only by {METHOD} (set a project)"
OFFLINE_FLAG = f"--offline: autorater and Cloud Run rewards are scored only by {METHOD}"


@dataclass(frozen=True)
class Remote:
    """Where the service is reached: a google-genai client on v1beta1 and `projects/P/locations/R`."""

    client: Client
    parent: str


@dataclass(frozen=True)
class Reward:
    name: str
    kind: str
    weight: float
    single: dict[str, Any]
    where: Where


@dataclass(frozen=True)
class Scored:
    response: Response
    scores: tuple[RewardScore, ...]  # one per reward, in config order
    overall: RewardScore


def plan_rewards(config: RewardConfig, online: bool) -> list[Reward]:
    rewards = []
    for name, weight, single in config.rewards():
        kind = reward_kind(single)
        where: Where = "local" if kind in LOCAL_KINDS else "service" if online else "unknown"
        rewards.append(Reward(name, kind, weight, single, where))
    return rewards


def score_all(
    rewards: list[Reward],
    examples: list[Example],
    responses: list[Response],
    *,
    limits: SandboxLimits | None = None,
    remote: Remote | None = None,
    concurrency: int = 4,
    on_done: Callable[[], None] = lambda: None,
    unknown_reason: str = NO_PROJECT,
) -> list[Scored]:
    by_line = {e.line: e for e in examples}
    table: dict[tuple[int, int], RewardScore] = {}
    with LocalScorer(limits) as local:
        for i, reward in enumerate(rewards):
            if reward.where == "local":
                for j, response in enumerate(responses):
                    table[i, j] = local.score(reward.single, by_line[response.example].data, response.content)
                    on_done()
            elif reward.where == "unknown" or remote is None:
                for j in range(len(responses)):
                    table[i, j] = RewardScore(None, "unknown", unknown_reason)
                    on_done()
    service = [(i, j) for i, r in enumerate(rewards) if r.where == "service" for j in range(len(responses))]
    if service and remote is not None:

        def ask(cell: tuple[int, int]) -> RewardScore:
            reward, response = rewards[cell[0]], responses[cell[1]]
            example = by_line[response.example].data
            score = validate_remote(remote.client, remote.parent, reward.single, example, response.content)
            on_done()
            return score

        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            for cell, score in zip(service, pool.map(ask, service), strict=True):
                table[cell] = score
    return [
        Scored(
            response,
            tuple(table[i, j] for i in range(len(rewards))),
            combine([(r.weight, table[i, j]) for i, r in enumerate(rewards)]),
        )
        for j, response in enumerate(responses)
    ]
