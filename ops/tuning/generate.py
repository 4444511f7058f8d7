"""Asking a tuned (or base) Gemini model for answers: `generateContent`, with bounded concurrency."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ops.cloud_errors import call_with_retry
from ops.errors import TunectlError
from ops.tuning.gemini import _http_options

if TYPE_CHECKING:
    from google.genai import Client


@dataclass(frozen=True)
class Prompt:
    """One request: the conversation so far, an optional system instruction, the expected answer."""

    contents: list[dict[str, Any]]
    system_instruction: str | None = None
    reference: str | None = None

    @property
    def text(self) -> str:
        return "\n".join(p.get("text", "") for turn in self.contents for p in turn.get("parts", []))


def _text_of(turn: dict[str, Any]) -> str:
    return "".join(str(part.get("text", "")) for part in turn.get("parts", []))


def prompt_from_text(text: str) -> Prompt:
    return Prompt([{"role": "user", "parts": [{"text": text}]}])


def prompt_from_example(obj: dict[str, Any]) -> Prompt:
    """Article style (`input_text`/`output_text`) or Gemini style (`contents`, last turn = answer)."""
    if "contents" in obj:
        contents = list(obj["contents"])
        reference = None
        if contents and contents[-1].get("role") == "model":
            reference = _text_of(contents.pop())
        system = obj.get("systemInstruction")
        return Prompt(contents, _text_of(system) if system else None, reference)
    if "input_text" in obj:
        return Prompt(
            [{"role": "user", "parts": [{"text": obj["input_text"]}]}], None, obj.get("output_text")
        )
    raise ValueError("neither `contents` nor `input_text`")


def read_prompts(path: Path) -> list[Prompt]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as exc:
        raise TunectlError(
            "prompt-file-missing",
            f"{path} does not exist",
            where=str(path),
            hint="give a JSONL file of prompts (article or Gemini style), or use --prompt TEXT",
        ) from exc
    except UnicodeDecodeError as exc:
        raise TunectlError(
            "prompt-file-not-utf8",
            f"{path} is not UTF-8 text (byte {exc.start}: {exc.reason})",
            where=str(path),
            hint="JSONL files are UTF-8: re-save it as UTF-8",
        ) from exc
    except OSError as exc:
        message = f"{path} cannot be read: {exc}"
        raise TunectlError(
            "prompt-file-unreadable",
            message,
            where=str(path),
            hint="check it is a readable file, not a folder",
        ) from exc
    prompts = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            prompts.append(prompt_from_example(obj) if isinstance(obj, dict) else prompt_from_text(str(obj)))
        except (json.JSONDecodeError, ValueError) as exc:
            raise TunectlError(
                "prompt-file-invalid",
                f"line {number} is not an example tunectl can ask a model: {exc}",
                where=f"{path}:{number}",
                hint="use the article style (input_text/output_text) or Gemini style (contents); "
                "`tunectl dataset validate` names every problem",
            ) from exc
    return prompts


def generate(
    client: Client,
    model: str,
    prompts: Sequence[Prompt],
    *,
    concurrency: int = 4,
    on_done: Callable[[], None] = lambda: None,
    temperature: float = 0.0,
) -> list[str]:
    """Answers in prompt order. Temperature 0 by default so that evaluation scores are repeatable;
    sampling several answers to one prompt (`reward test --samples`) needs more."""
    from google.genai import types

    def ask(prompt: Prompt) -> str:
        config = types.GenerateContentConfig(
            temperature=temperature,
            system_instruction=prompt.system_instruction,
            http_options=_http_options(),
        )
        response = call_with_retry(
            lambda: client.models.generate_content(model=model, contents=prompt.contents, config=config),
            what=f"generating with {model}",
        )
        on_done()
        return response.text or ""

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        return list(pool.map(ask, prompts))
