"""What `reward test` scores: the dataset's examples and the responses to them.

A reinforcement dataset line is a `ReinforcementTuningExample` (`systemInstruction`, `contents`,
`references`, `tools`), in either proto3 spelling; it is read through google-genai's type and written
back in lowerCamel, which is how the service hands it to a code snippet or a Cloud Run reward ("the
keys must be in camel case", `ReinforcementTuningCodeExecutionRewardScorer` docstring, google-genai
2.34, read 2026-12-02). `tunectl dataset validate --kind reinforcement` checks datasets in depth;
here a line only has to be readable.

Responses: JSONL `{"example": <line number in the dataset>, "response": "text"}`; `response` may also
be a Content object (`{"role": "model", "parts": [...]}`). Several responses may name one example.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ops.errors import TunectlError
from ops.reinforcement.score import model_content


@dataclass(frozen=True)
class Example:
    line: int  # 1-based line number in the dataset file
    data: dict[str, Any]  # lowerCamel, as the service passes it on

    @property
    def references(self) -> dict[str, str]:
        refs: dict[str, str] = self.data.get("references", {})
        return refs


@dataclass(frozen=True)
class Response:
    line: int  # its line in the responses file
    example: int  # the dataset line it answers
    content: dict[str, Any]  # a model Content


def _lines(path: Path, what: str) -> Iterator[tuple[int, str]]:
    if str(path).startswith("gs:/"):
        raise TunectlError(
            f"{what}-not-local",
            f"`reward test` reads local files, not {path}",
            where=str(path),
            hint="copy it here first: gcloud storage cp gs://... .",
        )
    try:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    yield number, line
    except FileNotFoundError:
        raise TunectlError(f"{what}-missing", f"no {what} file at {path}", where=str(path)) from None
    except UnicodeDecodeError as err:
        raise TunectlError(
            f"{what}-not-utf8", f"{path} is not UTF-8 text ({err.reason})", where=str(path)
        ) from None
    except OSError as err:
        raise TunectlError(f"{what}-unreadable", f"cannot read {path}: {err}", where=str(path)) from None


def _json_object(line: str, where: str, code: str, hint: str) -> dict[str, Any]:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as err:
        raise TunectlError(code, f"not valid JSON: {err.msg}", where=where, hint=hint) from None
    if not isinstance(obj, dict):
        raise TunectlError(code, "a line must be one JSON object", where=where, hint=hint)
    return obj


def read_examples(path: Path) -> list[Example]:
    from google.genai import types
    from pydantic import ValidationError

    hint = "check the file with `tunectl dataset validate --kind reinforcement`"
    examples = []
    for number, line in _lines(path, "dataset"):
        where = f"{path}:{number}"
        obj = _json_object(line, where, "dataset-invalid", hint)
        try:
            model = types.ReinforcementTuningExample.model_validate(obj)
        except ValidationError as err:
            first = err.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            raise TunectlError(
                "dataset-invalid",
                f"not a reinforcement example: {field}: {first['msg']}",
                where=where,
                hint=hint,
            ) from None
        examples.append(Example(number, model.model_dump(mode="json", by_alias=True, exclude_none=True)))
    if not examples:
        raise TunectlError("dataset-empty", f"{path} holds no examples", where=str(path))
    return examples


def read_responses(path: Path, examples: list[Example]) -> list[Response]:
    lines = {e.line for e in examples}
    hint = 'each line is {"example": <line number in the dataset>, "response": "the model\'s answer"}'
    responses = []
    for number, line in _lines(path, "responses"):
        where = f"{path}:{number}"
        obj = _json_object(line, where, "responses-invalid", hint)
        example, response = obj.get("example"), obj.get("response")
        if set(obj) - {"example", "response"}:
            extra = ", ".join(sorted(set(obj) - {"example", "response"}))
            raise TunectlError("responses-invalid", f"unknown field(s) {extra}", where=where, hint=hint)
        if isinstance(example, bool) or not isinstance(example, int):
            raise TunectlError("responses-invalid", "`example` must be a line number", where=where, hint=hint)
        if example not in lines:
            raise TunectlError(
                "responses-invalid",
                f"example {example} is not a line of the dataset that holds an example",
                where=where,
                hint=f"the dataset's example lines are {min(lines)}..{max(lines)}",
            )
        if isinstance(response, str):
            content = model_content(response)
        elif isinstance(response, dict) and isinstance(response.get("parts"), list):
            content = response
        else:
            raise TunectlError(
                "responses-invalid", "`response` must be text or a Content object", where=where, hint=hint
            )
        responses.append(Response(number, example, content))
    if not responses:
        raise TunectlError("responses-empty", f"{path} holds no responses", where=str(path), hint=hint)
    return responses
