"""`tunectl reward test` as an operation: read the inputs, get responses, score them, report."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ops.reinforcement.batch import NO_PROJECT, OFFLINE_FLAG, Remote, plan_rewards, score_all
from ops.reinforcement.config import load_reward_config
from ops.reinforcement.distribution import report
from ops.reinforcement.inputs import Example, Response, read_examples, read_responses
from ops.reinforcement.sandbox import SandboxLimits
from ops.reinforcement.score import model_content, response_text

if TYPE_CHECKING:
    from ops.settings import Settings

Progress = Callable[[str, int], Callable[[], None]]  # (what, total) -> advance one


@dataclass(frozen=True)
class RewardTest:
    reward_config: Path
    dataset: Path
    responses: Path | None = None
    base_model: str | None = None
    samples: int = 1
    concurrency: int = 4
    limits: SandboxLimits = field(default_factory=SandboxLimits)
    offline: bool = False


@contextmanager
def _no_progress(what: str, total: int) -> Iterator[Callable[[], None]]:
    yield lambda: None


def base_model_responses(
    settings: Settings,
    model: str,
    examples: list[Example],
    samples: int,
    concurrency: int,
    advance: Callable[[], None],
) -> list[Response]:
    """`samples` answers of the base model to each example (generateContent, bounded concurrency)."""
    from ops.clients import genai_client
    from ops.tuning.generate import Prompt, generate

    settings.require_project()  # before credentials: the missing project is the first thing to fix
    prompts = []
    for example in examples:
        system = example.data.get("systemInstruction")
        prompts += [Prompt(example.data["contents"], response_text(system) if system else None)] * samples
    client = genai_client(settings, settings.region)
    # Several samples of one prompt must differ, as in training: sample at temperature 1 then.
    answers = generate(
        client,
        model,
        prompts,
        concurrency=concurrency,
        on_done=advance,
        temperature=1.0 if samples > 1 else 0.0,
    )
    owners = [e.line for e in examples for _ in range(samples)]
    return [
        Response(line=k, example=owner, content=model_content(text))
        for k, (owner, text) in enumerate(zip(owners, answers, strict=True), start=1)
    ]


def run_reward_test(
    settings: Settings, test: RewardTest, progress: Callable[[str, int], Any] = _no_progress
) -> dict[str, Any]:
    config = load_reward_config(test.reward_config)
    examples = read_examples(test.dataset)
    if test.responses is not None:
        responses = read_responses(test.responses, examples)
        source = str(test.responses)
    else:
        assert test.base_model is not None
        with progress(f"asking {test.base_model}", len(examples) * test.samples) as advance:
            responses = base_model_responses(
                settings, test.base_model, examples, test.samples, test.concurrency, advance
            )
        source = f"{test.base_model} (generateContent, {test.samples} per example)"
    online = bool(settings.project) and not test.offline
    rewards = plan_rewards(config, online)
    remote = None
    if online and any(r.where == "service" for r in rewards):
        from ops.reinforcement.remote import validate_client

        remote = Remote(
            validate_client(settings, settings.region),
            f"projects/{settings.project}/locations/{settings.region}",
        )
    with progress("scoring", len(rewards) * len(responses)) as advance:
        scored = score_all(
            rewards,
            examples,
            responses,
            limits=test.limits,
            remote=remote,
            concurrency=test.concurrency,
            on_done=advance,
            unknown_reason=OFFLINE_FLAG if test.offline else NO_PROJECT,
        )
    data = {
        "reward_config": config.path,
        "dataset": str(test.dataset),
        "responses_from": source,
        **report(rewards, scored),
    }
    return data
