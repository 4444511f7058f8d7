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
    """Every (reward, response) score. String matches are scored at once; code snippets and the
    service's rewards run `concurrency` at a time, in response order. However the run ends (Ctrl-C, a
    signal turned into an exception), running snippets are killed before this returns or raises."""
    by_line = {e.line: e for e in examples}
    table: dict[tuple[int, int], RewardScore] = {}
    slow: list[tuple[int, int]] = []  # code and service cells, for the thread pool
    local = LocalScorer(limits, concurrency)

    def score(cell: tuple[int, int]) -> RewardScore:
        reward, response = rewards[cell[0]], responses[cell[1]]
        example = by_line[response.example].data
        if reward.where == "local":
            result = local.score(reward.single, example, response.content)
        else:
            assert remote is not None
            result = validate_remote(remote.client, remote.parent, reward.single, example, response.content)
        on_done()
        return result

    for i, reward in enumerate(rewards):
        for j in range(len(responses)):
            if reward.where == "local" and reward.kind != "code":
                table[i, j] = score((i, j))
            elif reward.where == "unknown" or (reward.where == "service" and remote is None):
                table[i, j] = RewardScore(None, "unknown", unknown_reason)
                on_done()
            else:
                slow.append((i, j))
    # Response by response, every reward of it, so a failing reward shows up early on the progress bar.
    slow.sort(key=lambda cell: (cell[1], cell[0]))
    pool = ThreadPoolExecutor(max_workers=max(1, concurrency))
    try:
        futures = [(cell, pool.submit(score, cell)) for cell in slow]
        for cell, future in futures:
            table[cell] = future.result()
    finally:
        # On an interrupt the threads may be waiting on a snippet: kill the snippets first, so the
        # threads return at once and shutting the pool down does not wait out the time limit.
        local.kill()
        pool.shutdown(wait=True, cancel_futures=True)
        local.close()
    return [
        Scored(
            response,
            tuple(table[i, j] for i in range(len(rewards))),
            combine([(r.weight, table[i, j]) for i, r in enumerate(rewards)]),
        )
        for j, response in enumerate(responses)
    ]
