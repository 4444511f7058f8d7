"""Token counting: one interface, an offline estimate and Vertex AI's CountTokens.

Google's local tokenizers download their model files at run time, which cannot work offline, so the
default counter is an estimate and every report names the counter that produced its numbers.

Offline estimate: ceil(characters / 4) per text. Google documents "a token is about 4 characters"
for Gemini models (https://ai.google.dev/gemini-api/docs/tokens,
checked 2026-11-27). Expected error: within about +-25% for English prose; it under-counts code,
numbers and non-Latin scripts (CJK text can be 2-3x more tokens than the estimate). It has NOT been
measured against Gemini's tokenizer here (no tokenizer is available offline); before a run whose
budget is tight, count with `--counter vertex`.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from ops.settings import Settings

CHARS_PER_TOKEN = 4


@runtime_checkable
class TokenCounter(Protocol):
    """Counts the tokens of texts. `name` goes into every report; `exact` says whether it estimates."""

    @property
    def name(self) -> str: ...

    @property
    def exact(self) -> bool: ...

    @property
    def method(self) -> str: ...

    def count(self, texts: Sequence[str]) -> list[int]: ...


@dataclass(frozen=True)
class EstimateTokenCounter:
    name: str = "offline-estimate"
    exact: bool = False
    method: str = (
        "ceil(characters / 4) per text, after Google's 'a token is about 4 characters'; "
        "expected error about +-25% for English prose, larger for code and non-Latin scripts; "
        "not measured against Gemini's tokenizer"
    )
    chars_per_token: int = CHARS_PER_TOKEN

    def tokens_for_chars(self, chars: int) -> int:
        return -(-chars // self.chars_per_token)

    def count(self, texts: Sequence[str]) -> list[int]:
        return [self.tokens_for_chars(len(t)) for t in texts]


class VertexTokenCounter:
    """Vertex AI CountTokens through google-genai, one request per text, `parallel` at a time.

    CountTokens answers one total per request, so per-example counts need one request each; they are
    sent concurrently in batches, each retried on transient errors.
    """

    exact = True

    def __init__(
        self, settings: Settings, *, model: str, region: str | None = None, parallel: int = 8
    ) -> None:
        self.settings = settings
        self.model = model
        self.region = region or settings.region
        self.parallel = parallel
        self.name = f"vertex-count-tokens:{model}"
        self.method = f"Vertex AI CountTokens ({self.region}, model {model}) via google-genai"
        self._client: object | None = None

    def _count_one(self, text: str) -> int:
        from ops.clients import genai_client
        from ops.cloud_errors import call_with_retry

        if self._client is None:
            self._client = genai_client(self.settings, self.region)
        client = self._client

        def request() -> int:
            response = client.models.count_tokens(model=self.model, contents=text)  # type: ignore[attr-defined]
            return int(response.total_tokens or 0)

        return call_with_retry(request, what=f"counting tokens with {self.model}")

    def count(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        counts = [0] * len(texts)
        todo = [(i, t) for i, t in enumerate(texts) if t]  # empty text is 0 tokens: no request
        if self._client is None and todo:
            counts[todo[0][0]] = self._count_one(todo[0][1])  # builds the client once, before threads
            todo = todo[1:]
        with ThreadPoolExecutor(max_workers=self.parallel) as pool:
            for (i, _), n in zip(todo, pool.map(lambda item: self._count_one(item[1]), todo), strict=True):
                counts[i] = n
        return counts


def default_counter() -> EstimateTokenCounter:
    return EstimateTokenCounter()


def counter_description(counter: TokenCounter) -> dict[str, object]:
    return {"name": counter.name, "exact": counter.exact, "method": counter.method}
