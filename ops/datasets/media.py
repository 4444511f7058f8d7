"""Media in supervised examples: the documented MIME types per modality, per-example limits and the
documented token rates, read from the `media` entry of `ops/data/model_limits.json` (each with its
source page and the date it was read).

Token rates give an estimate: images count at Google's per-image rate; audio and video at their
per-second rates when the clip length is in the example (`videoMetadata` offsets); otherwise (a whole
audio or video file, a PDF's pages) the length cannot be read without the file, so the tokens are
`None` (unknown) and every report says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any


class Modality(StrEnum):
    image = "image"
    audio = "audio"
    video = "video"
    document = "document"


@dataclass(frozen=True)
class ModalityRules:
    modality: Modality
    mime_types: tuple[str, ...]
    max_per_example: int | None
    max_file_bytes: int | None
    max_seconds_per_example: float | None
    max_seconds_low_resolution: float | None
    tokens_per_item: int | None
    tokens_per_second: int | None
    tokens_per_page: int | None
    source: str
    tokens_source: str
    checked: str


@dataclass(frozen=True, slots=True)
class MediaRef:
    """An object the file references (for --check-uris): its first line, the example's MIME type,
    and how many examples refer to it."""

    line: int
    mime_type: str
    modality: Modality
    references: int = 1


@dataclass(frozen=True)
class MediaRules:
    by_modality: dict[Modality, ModalityRules]

    def modality(self, mime_type: str) -> Modality | None:
        wanted = mime_type.strip().lower()
        for rules in self.by_modality.values():
            if wanted in rules.mime_types:
                return rules.modality
        return None

    def types_summary(self) -> str:
        return "; ".join(f"{m.value}: {', '.join(r.mime_types)}" for m, r in self.by_modality.items())

    def tokens(self, modality: Modality, seconds: float | None, resolution: str | None) -> int | None:
        """Google's documented rate for one part; None when the length is unknown offline."""
        rules = self.by_modality[modality]
        if rules.tokens_per_item is not None:
            return rules.tokens_per_item
        if rules.tokens_per_second is not None and seconds is not None:
            return -(-int(seconds * 1000) * rules.tokens_per_second // 1000)
        return None

    def max_seconds(self, modality: Modality, resolution: str | None) -> float | None:
        rules = self.by_modality[modality]
        if resolution == "MEDIA_RESOLUTION_LOW" and rules.max_seconds_low_resolution is not None:
            return rules.max_seconds_low_resolution
        return rules.max_seconds_per_example

    def sources(self) -> dict[str, dict[str, str]]:
        return {
            m.value: {"limits": r.source, "tokens": r.tokens_source, "checked": r.checked}
            for m, r in self.by_modality.items()
        }


def _rules(modality: Modality, entry: dict[str, Any]) -> ModalityRules:
    return ModalityRules(
        modality=modality,
        mime_types=tuple(t.lower() for t in entry["mime_types"]),
        max_per_example=entry.get("max_per_example"),
        max_file_bytes=entry.get("max_file_bytes"),
        max_seconds_per_example=entry.get("max_seconds_per_example"),
        max_seconds_low_resolution=entry.get("max_seconds_per_example_low_resolution"),
        tokens_per_item=entry.get("tokens_per_item"),
        tokens_per_second=entry.get("tokens_per_second"),
        tokens_per_page=entry.get("tokens_per_page"),
        source=str(entry["source"]),
        tokens_source=str(entry["tokens_source"]),
        checked=str(entry["checked"]),
    )


@cache
def media_rules(path: str | None = None, method: str = "supervised") -> MediaRules:
    """The media rules of a tuning method. Reinforcement prompts take only the modalities its entry
    lists, with its own per-example limits over the shared MIME types and token rates."""
    from ops.datasets.limits import limits_table

    table = limits_table(path)
    media = table["media"]
    assert isinstance(media, dict)
    if method != "reinforcement":
        return MediaRules({m: _rules(m, media[m.value]) for m in Modality})
    rules = table["reinforcement"]
    assert isinstance(rules, dict)
    overrides = rules["media"]
    return MediaRules(
        {
            m: _rules(m, {**media[m.value], **overrides[m.value], "source": rules["source"]})
            for m in Modality
            if m.value in overrides
        }
    )
