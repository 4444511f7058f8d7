"""`--counter vertex` for examples with media: each is sent whole to CountTokens, which reads the
objects, so the tokens of a whole audio or video file or of a PDF's pages are counted, not unknown.

Only examples with media cost a request more: the scan counts every example's texts as before (one
request per text) and adds media at Google's documented rates, which cannot know those lengths.
`count_media_examples` runs first: it reads the file for lines with a `fileData` part and sends each
such example whole (contents, system instruction and tools, either spelling, `videoMetadata` kept),
`parallel` at a time. The scan then runs with `RememberingCounter`, which notes what the texts of
those examples counted, and `apply_media_counts` swaps the scan's numbers for the whole-example
counts: input = the whole example minus its output texts, so billable = the whole example.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec

from ops.datasets.formats import Kind, Layout, Style, detect_layout
from ops.datasets.gemini import SHAPE_CODES, _snake, read_example
from ops.datasets.scan import BOM, Issue, RangeResult, iter_lines, token_limit_issue
from ops.datasets.source import Source
from ops.datasets.tokens import (
    CountRefused,
    ExampleRequest,
    TokenCounter,
    VertexTokenCounter,
)

_BATCH = 256  # examples read before their requests go out: memory stays bounded on big files
_MEDIA = (b'"fileData"', b'"file_data"')  # a line without either has no media: not decoded


def _digest(text: str) -> bytes:
    from hashlib import blake2b  # here: loading OpenSSL is 3 ms of every validate's start-up

    return blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _field(obj: dict[str, Any], name: str) -> Any:
    """A field by its lowerCamel name, whichever spelling the line used."""
    return obj[name] if name in obj else obj.get(_snake(name))


@dataclass(frozen=True, slots=True)
class WholeCount:
    """One example with media: CountTokens' total (or its refusal), and what the scan records for it."""

    line: int
    result: int | CountRefused
    text_in: bytes  # digest of the input text the scan counts ("\n".join of its input texts)
    texts_out: tuple[bytes, ...]  # digests of the output texts the scan counts, one each
    estimate: int  # media tokens the scan adds at Google's documented rates
    unknown_parts: int  # media parts the documented rates cannot count


@dataclass
class MediaCounts:
    counter: str
    examples: list[WholeCount] = field(default_factory=list)

    def watched(self) -> frozenset[bytes]:
        return frozenset(d for w in self.examples for d in (w.text_in, *w.texts_out))


def wants_whole_counts(counter: TokenCounter, layout: Layout | None) -> bool:
    """Whole examples go to CountTokens only with an exact counter that can send them, and only for
    Gemini data that may hold media (preference data is text only)."""
    return (
        isinstance(counter, VertexTokenCounter)
        and layout is not None
        and layout.style is Style.gemini
        and layout.kind is not Kind.preference
    )


def _has_media(line: bytes) -> bool:
    return any(name in line for name in _MEDIA)


def count_media_examples(
    source: Source,
    layout: Layout,
    counter: VertexTokenCounter,
    progress: Callable[[], None] | None = None,
) -> MediaCounts:
    """Every well-formed example of the file that has media, counted whole with CountTokens;
    `progress` is called once per line that names a fileData (sent or not)."""
    counts = MediaCounts(counter.name)
    batch: list[tuple[ExampleRequest, WholeCount]] = []

    def send() -> None:
        results = counter.count_examples([request for request, _ in batch], progress)
        for (_, pending), result in zip(batch, results, strict=True):
            counts.examples.append(dataclasses.replace(pending, result=result))
        batch.clear()

    for lineno, raw in iter_lines(source.line_chunks()):
        if not _has_media(raw):
            continue
        line = raw[len(BOM) :] if lineno == 1 and raw.startswith(BOM) else raw
        try:
            obj = msgspec.json.decode(line)
        except (msgspec.DecodeError, UnicodeDecodeError):
            obj = None  # the scan reports it
        found = detect_layout(obj) if isinstance(obj, dict) else None
        if found is Layout.gemini_supervised and layout is Layout.gemini_reinforcement:
            found = layout  # a prompt without its references: the scan reads it as one (and says so)
        example = read_example(obj, layout.kind) if found is layout and isinstance(obj, dict) else None
        if example is None or not example.media or any(code in SHAPE_CODES for code, _ in example.problems):
            if progress is not None:
                progress()
            continue
        assert isinstance(obj, dict)
        system, tools = _field(obj, "systemInstruction"), _field(obj, "tools")
        request = ExampleRequest(lineno, list(obj["contents"]), system, tools)
        view = example.view
        pending = WholeCount(
            lineno,
            0,  # until CountTokens answers
            _digest("\n".join(view.input_texts)),
            tuple(_digest(t) for t in view.output_texts),
            example.media_tokens,
            example.media_unknown,
        )
        batch.append((request, pending))
        if len(batch) >= _BATCH:
            send()
    if batch:
        send()
    return counts


def count_media_examples_with_progress(
    source: Source, layout: Layout, counter: VertexTokenCounter
) -> MediaCounts:
    """count_media_examples with a progress bar on stderr (a terminal only; transient). Its total
    comes from a first read that only looks for fileData in the lines' bytes (no decoding)."""
    from ops.output import counting

    total = sum(1 for _, line in iter_lines(source.line_chunks()) if _has_media(line))
    if not total:
        return MediaCounts(counter.name)
    with counting("counting examples with media (CountTokens)", total) as done:
        return count_media_examples(source, layout, counter, done)


class RememberingCounter:
    """The scan's exact counter, remembering the counts of the texts `watched` (the texts of the
    examples counted whole), so that their scan numbers can be swapped out afterwards."""

    exact = True

    def __init__(self, inner: TokenCounter, watched: frozenset[bytes]) -> None:
        self.inner = inner
        self.name = inner.name
        self.method = inner.method
        self.watched = watched
        self.seen: dict[bytes, int] = {}

    def count(self, texts: Sequence[str]) -> list[int]:
        counts = self.inner.count(texts)
        for text, n in zip(texts, counts, strict=True):
            digest = _digest(text)
            if digest in self.watched:
                self.seen[digest] = n
        return counts


def apply_media_counts(
    scanned: RangeResult, counts: MediaCounts, seen: dict[bytes, int], max_tokens: int | None
) -> dict[str, Any]:
    """Swap the scan's numbers of the examples counted whole for CountTokens' totals (histograms,
    media estimate, unknown parts, per-example limit findings); a refusal becomes a finding on its
    line. Returns the `media_counter` entry of the report's token stats."""
    counted = 0
    rechecked: dict[int, tuple[int, int]] = {}
    for whole in counts.examples:
        if isinstance(whole.result, CountRefused):
            message = (
                f"Vertex AI CountTokens refused this example ({whole.result.message}); its media "
                "tokens stay at the offline estimate, and the tuning job would read the same objects"
            )
            scanned.issues.append((whole.line, None, "count-tokens-refused", message))
            continue
        text_in = seen.get(whole.text_in)
        texts_out = [seen.get(d) for d in whole.texts_out]
        if text_in is None or any(n is None for n in texts_out):
            continue  # the scan did not count this line (it found a problem the reader did not)
        tokens_out = sum(n or 0 for n in texts_out)
        old_in = text_in + whole.estimate
        if scanned.input_counts[old_in] <= 0:
            continue
        new_in = max(0, whole.result - tokens_out)
        scanned.input_counts[old_in] -= 1
        if not scanned.input_counts[old_in]:
            del scanned.input_counts[old_in]
        scanned.input_counts[new_in] += 1
        scanned.media_tokens -= whole.estimate
        scanned.media_unknown -= whole.unknown_parts
        rechecked[whole.line] = (new_in, tokens_out)
        counted += 1
    if rechecked:
        scanned.issues = [
            i for i in scanned.issues if not (i[2] == "too-many-tokens" and i[0] in rechecked)
        ] + _limit_issues(rechecked, max_tokens)
    return {
        "name": counts.counter,
        "exact": True,
        "method": "each example with media sent whole (text, fileData with videoMetadata, function "
        "parts, system instruction, tools) to Vertex AI CountTokens, which reads the objects",
        "examples": counted,
        "refused": sum(1 for w in counts.examples if isinstance(w.result, CountRefused)),
    }


def _limit_issues(tokens: dict[int, tuple[int, int]], max_tokens: int | None) -> list[Issue]:
    """The scan's own per-example limit check, on the whole-example numbers (one message format)."""
    issues = (
        token_limit_issue(max_tokens, line, t_in, t_out) for line, (t_in, t_out) in sorted(tokens.items())
    )
    return [issue for issue in issues if issue is not None]


def documented_rates_counter(scanned: RangeResult) -> dict[str, Any]:
    """The `media_counter` entry when media is estimated offline."""
    return {
        "name": "documented-rates",
        "exact": False,
        "method": "Google's documented per-modality token rates (stats.media.token_rates); a whole "
        "audio or video file or a PDF cannot be measured offline: its tokens are unknown",
        "examples": scanned.multimodal,
        "refused": 0,
    }
