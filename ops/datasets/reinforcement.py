"""Reinforcement tuning data beyond the per-line schema: the `references` each example carries for its
reward, and the media rules that depend on the base model.

An example's `references` is a map<string, string> the reward function reads (a string-match
reward's reference key, a code snippet's `example["references"][...]`). A reward config that reads a
key some example lacks fails on that example during the (billed) run, so with `--reward-config`
every example must carry every key the config reads. Map keys are the user's own: compared exactly,
never converted between camelCase and snake_case.

Schema and limits: https://docs.cloud.google.com/gemini-enterprise-agent-platform/models/tuning/reinforcement-tuning/reinforcement-tuning-job/tuning-dataset
(read 2026-12-02); the limits themselves are data, in the `reinforcement` entry of
`ops/data/model_limits.json`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import msgspec

from ops.datasets.scan import BOM, Chunk, Issue, RangeResult, iter_lines

MAX_KEYS_SHOWN = 100  # distinct reference keys counted for stats; more are summarised, not listed


@dataclass(frozen=True)
class RequiredReferences:
    """The reference keys a reward config reads, and where the config came from (for messages)."""

    keys: frozenset[str]
    source: str


def required_references(reward_config: str) -> RequiredReferences:
    """The keys the reward config file reads (its loader reports a bad file as a TunectlError)."""
    from pathlib import Path

    from ops.reinforcement.config import load_reward_config

    config = load_reward_config(Path(reward_config))
    return RequiredReferences(frozenset(config.reference_keys), reward_config)


def required_references_in(reward: Any, where: str) -> RequiredReferences:
    """The keys a reward config already read reads (a scheduled job body's reward, named `where`)."""
    from ops.reinforcement.config import reward_config_from

    config = reward_config_from(reward, where)
    return RequiredReferences(frozenset(config.reference_keys), where)


class _References(msgspec.Struct):
    """Only the field this pass needs: the rest of the line is not decoded."""

    references: Any = None


@dataclass
class ReferenceStats:
    examples: int = 0  # examples whose `references` is an object
    keys: dict[str, int] | None = None  # examples carrying each key (None: too many distinct keys)
    missing: int = 0  # examples lacking a key the reward config reads

    def as_dict(self, required: RequiredReferences | None) -> dict[str, Any]:
        return {
            "examples": self.examples,
            "keys": dict(sorted(self.keys.items())) if self.keys is not None else None,
            "more_keys_than": None if self.keys is not None else MAX_KEYS_SHOWN,
            "required_by_reward_config": sorted(required.keys) if required is not None else None,
            "reward_config": required.source if required is not None else None,
            "examples_missing_required": self.missing,
        }


def reference_issues(
    chunks: Iterable[Chunk], required: RequiredReferences | None
) -> tuple[list[Issue], ReferenceStats]:
    """A second, light pass (only `references` is decoded): the keys seen, and every example that
    lacks a key the reward config reads. Lines that are not well-formed are left to the main scan."""
    decode = msgspec.json.Decoder(_References).decode
    stats = ReferenceStats(keys={})
    issues: list[Issue] = []
    wanted = sorted(required.keys) if required is not None else []
    for lineno, line in iter_lines(chunks):
        try:
            references = decode(line[len(BOM) :] if lineno == 1 and line.startswith(BOM) else line).references
        except (msgspec.DecodeError, UnicodeDecodeError):
            continue
        if not isinstance(references, dict):
            continue
        stats.examples += 1
        if stats.keys is not None:
            for key in references:
                stats.keys[key] = stats.keys.get(key, 0) + 1
            if len(stats.keys) > MAX_KEYS_SHOWN:
                stats.keys = None
        absent = [key for key in wanted if key not in references]
        if absent and required is not None:
            stats.missing += 1
            have = ", ".join(repr(k) for k in sorted(references)) or "none"
            names = ", ".join(repr(k) for k in absent)
            issues.append(
                (
                    lineno,
                    None,
                    "missing-reference",
                    f"$.references lacks {names}, which the reward config {required.source} reads "
                    f"(this example has: {have}); add it, or change the reward to read a key every "
                    "example has (keys are compared exactly: no camelCase/snake_case conversion)",
                )
            )
    return issues, stats


def media_model_issues(scanned: RangeResult, base_model: str | None) -> list[Issue]:
    """Modalities Google's reinforcement page supports only on some base models (video: Gemini 3.5
    Flash). Without --base-model nothing is known to be wrong: launch validates with the model."""
    from ops.datasets.limits import limits_table

    if base_model is None:
        return []
    media = limits_table()["reinforcement"]
    assert isinstance(media, dict)
    issues: list[Issue] = []
    for modality, rules in media["media"].items():
        allowed = rules.get("base_models") if isinstance(rules, dict) else None
        parts = scanned.media_parts.get(modality, 0)
        if allowed and parts and base_model not in allowed:
            issues.append(
                (
                    None,
                    None,
                    "media-not-supported",
                    f"{parts} {modality} part(s): Google's reinforcement tuning page supports "
                    f"{modality} prompts only on {', '.join(allowed)}, not {base_model}",
                )
            )
    return issues
