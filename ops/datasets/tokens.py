"""Token counting: one interface, an offline estimate and Vertex AI's CountTokens.

Google's local tokenizers download their model files at run time, which cannot work offline, so the
default counter is an estimate and every report names the counter that produced its numbers.

Offline estimate: ceil(characters / 4) per text. Google documents "a token is about 4 characters"
for Gemini models (https://ai.google.dev/gemini-api/docs/tokens,
checked 2026-11-27). Expected error: within about +-25% for English prose; it under-counts code,
numbers and non-Latin scripts (CJK text can be 2-3x more tokens than the estimate). It has NOT been
measured against Gemini's tokenizer here (no tokenizer is available offline); before a run whose
budget is tight, count with `--counter vertex`.

CountTokens also reads media: `VertexTokenCounter.count_examples` sends whole examples (text,
fileData with its videoMetadata, function parts, tools), which `media_counts.py` does for the
examples that have media; text-only examples are counted text by text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

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


@dataclass(frozen=True, slots=True)
class ExampleRequest:
    """One example as a CountTokens request, its fields as the file spells them (google-genai reads
    lowerCamel and snake_case names alike and sends them as the API accepts them)."""

    line: int
    contents: list[dict[str, Any]]
    system_instruction: dict[str, Any] | None = None
    tools: list[dict[str, Any]] | None = None


@dataclass(frozen=True, slots=True)
class CountRefused:
    """CountTokens refused one example (HTTP 400: e.g. an object it cannot read): its reason."""

    message: str


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
        from concurrent.futures import ThreadPoolExecutor  # only CountTokens needs threads

        with ThreadPoolExecutor(max_workers=self.parallel) as pool:
            for (i, _), n in zip(todo, pool.map(lambda item: self._count_one(item[1]), todo), strict=True):
                counts[i] = n
        return counts

    def _count_example(self, example: ExampleRequest) -> int | CountRefused:
        """One whole example, retried on transient errors; a 400 is that example's own problem (an
        object the service cannot read, a part it does not take), so it is returned, not raised."""
        import pydantic
        from google.genai import types

        from ops.clients import genai_client
        from ops.cloud_errors import call_with_retry
        from ops.errors import TunectlError

        try:
            contents = [types.Content.model_validate(turn) for turn in example.contents]
            system, tools = example.system_instruction, example.tools
            config = types.CountTokensConfig(
                system_instruction=None if system is None else types.Content.model_validate(system),
                tools=None if tools is None else [types.Tool.model_validate(t) for t in tools],
            )
        except pydantic.ValidationError as exc:  # valid for tuning, yet not expressible in google-genai
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            return CountRefused(f"google-genai cannot send this example ({where}: {first['msg']})")
        if self._client is None:
            self._client = genai_client(self.settings, self.region)
        client = self._client

        def request() -> int:
            response = client.models.count_tokens(model=self.model, contents=contents, config=config)  # type: ignore[attr-defined]
            return int(response.total_tokens or 0)

        try:
            what = f"counting the tokens of line {example.line} with {self.model}"
            return call_with_retry(request, what=what)
        except TunectlError as exc:
            if exc.code != "cloud-bad-request":
                raise
            return CountRefused(exc.message)

    def count_examples(
        self, examples: Sequence[ExampleRequest], progress: Callable[[], None] | None = None
    ) -> list[int | CountRefused]:
        """Whole examples with CountTokens, one request each, `parallel` at a time: the total tokens
        of each (media included), or why the service refused it."""
        if not examples:
            return []
        from ops.clients import genai_client

        if self._client is None:  # built once, before the threads
            self._client = genai_client(self.settings, self.region)

        def count(example: ExampleRequest) -> int | CountRefused:
            result = self._count_example(example)
            if progress is not None:
                progress()  # from a worker thread: the bar's counter is thread-safe
            return result

        from concurrent.futures import ThreadPoolExecutor  # only CountTokens needs threads

        with ThreadPoolExecutor(max_workers=self.parallel) as pool:
            return list(pool.map(count, examples))


def default_counter() -> EstimateTokenCounter:
    return EstimateTokenCounter()


def counter_description(counter: TokenCounter) -> dict[str, object]:
    return {"name": counter.name, "exact": counter.exact, "method": counter.method}
