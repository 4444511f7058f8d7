"""What `reward test` scores: the dataset's examples and the responses to them.

A reinforcement dataset line is a `ReinforcementTuningExample` (`systemInstruction`, `contents`,
`references`, `tools`), in either proto3 spelling; it is read through google-genai's type and written
back in lowerCamel, which is how the service hands it to a code snippet or a Cloud Run reward ("the
keys must be in camel case", `ReinforcementTuningCodeExecutionRewardScorer` docstring, google-genai
2.34, read 2026-12-02). `tunectl dataset validate --kind reinforcement` checks datasets in depth;
here a line has to be readable and recognised as reinforcement data by the same rule as there
(`ops.datasets.formats.detect_layout`: supervised or preference lines are refused, not scored into
errors), and a blank line is refused as it is there.

Responses: JSONL `{"example": <line number in the dataset>, "response": "text"}`; `response` may also
be the model's Content object (`{"role": "model", "parts": [...]}`, role optional, checked against
google-genai's `Content`). Several responses may name one example.
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


def refuse_remote(path: Path, code: str, what: str) -> None:
    """`code`-not-local for a gs:// path: these files are read here, not in Cloud Storage. (A Path
    has already folded `gs://b/x` into `gs:/b/x`: the message spells it as the user did.)"""
    text = str(path)
    if text.startswith("gs:/"):
        uri = "gs://" + text.removeprefix("gs:/").lstrip("/")
        raise TunectlError(
            f"{code}-not-local",
            f"{what} must be a local file, not {uri}",
            where=uri,
            hint=f"copy it here first: gcloud storage cp {uri} .",
        )


def _lines(path: Path, what: str) -> Iterator[tuple[int, str]]:
    """Each line of a JSONL file, decoded; a blank line is refused as `dataset validate` refuses it."""
    refuse_remote(path, what, f"the {what} file")
    try:
        with path.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as err:
                    bad = raw[err.start : err.start + 1].hex()
                    raise TunectlError(
                        f"{what}-not-utf8",
                        f"{path} is not UTF-8 text: byte 0x{bad} is not valid UTF-8",
                        where=f"{path}:{number}:{err.start + 1}",
                        hint="save the file as UTF-8",
                    ) from None
                if not line.strip():
                    raise TunectlError(
                        f"{what}-invalid",
                        "empty line; JSONL holds one JSON object on every line",
                        where=f"{path}:{number}",
                        hint="remove the empty line",
                    )
                yield number, line
    except FileNotFoundError:
        raise TunectlError(f"{what}-missing", f"no {what} file at {path}", where=str(path)) from None
    except OSError as err:
        raise TunectlError(
            f"{what}-unreadable", f"cannot read {path}: {err.strerror or err}", where=str(path)
        ) from None


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

    from ops.datasets.formats import Layout, detect_layout

    hint = "check the file with `tunectl dataset validate --kind reinforcement`"
    examples = []
    for number, line in _lines(path, "dataset"):
        where = f"{path}:{number}"
        obj = _json_object(line, where, "dataset-invalid", hint)
        layout = detect_layout(obj)
        if layout is not Layout.gemini_reinforcement:
            raise _not_reinforcement(obj, layout, where, hint)
        try:
            model = types.ReinforcementTuningExample.model_validate(obj)
        except ValidationError as err:
            raise TunectlError(
                "dataset-invalid", f"not a reinforcement example: {_first(err)}", where=where, hint=hint
            ) from None
        examples.append(Example(number, model.model_dump(mode="json", by_alias=True, exclude_none=True)))
    if not examples:
        raise TunectlError("dataset-empty", f"{path} holds no examples", where=str(path))
    return examples


def _first(err: Any) -> str:
    first = err.errors()[0]
    field = ".".join(str(p) for p in first["loc"])
    return f"{field}: {first['msg']}" if field else str(first["msg"])


def _not_reinforcement(obj: dict[str, Any], layout: Any, where: str, hint: str) -> TunectlError:
    """A line of another kind of dataset (the same recognition as `dataset validate`): supervised or
    preference data has no `references` for a reward to read, so scoring it would only fail."""
    from ops.datasets.formats import Layout

    contents = obj.get("contents")
    last = contents[-1] if isinstance(contents, list) and contents else None
    if layout is Layout.gemini_supervised and isinstance(last, dict) and last.get("role") == "user":
        return TunectlError(
            "dataset-invalid",
            "no `references`: a reinforcement example carries the references its reward reads",
            where=where,
            hint=hint,
        )
    found = f"{layout.kind.value} data ({layout.value})" if layout is not None else "no known dataset format"
    return TunectlError(
        "dataset-not-reinforcement",
        f"this is {found}, not reinforcement data (a prompt ending with a user turn, and `references`)",
        where=where,
        hint="`reward test` scores answers to reinforcement prompts; "
        "`tunectl dataset validate FILE` names the file's kind",
    )


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
        elif isinstance(response, dict):
            content = _model_content(response, where, hint)
        else:
            raise TunectlError(
                "responses-invalid", "`response` must be text or a Content object", where=where, hint=hint
            )
        responses.append(Response(number, example, content))
    if not responses:
        raise TunectlError("responses-empty", f"{path} holds no responses", where=str(path), hint=hint)
    return responses


def _model_content(response: dict[str, Any], where: str, hint: str) -> dict[str, Any]:
    """A response given as a Content object: the model's turn (role `model` or unset), with parts,
    each as google-genai's `Part` reads it (a text is a string). Returned in lowerCamel."""
    from google.genai import types
    from pydantic import ValidationError

    role = response.get("role", "model")
    if role != "model":
        raise TunectlError(
            "responses-invalid",
            f"`response.role` is {role!r}: a response is the model's turn",
            where=where,
            hint='write "role": "model", or leave the role out',
        )
    parts = response.get("parts")
    if not isinstance(parts, list) or not parts:
        raise TunectlError(
            "responses-invalid", "`response.parts` must be a non-empty list of parts", where=where, hint=hint
        )
    try:
        content = types.Content.model_validate(response)
    except ValidationError as err:
        raise TunectlError(
            "responses-invalid", f"`response` is not a Content: {_first(err)}", where=where, hint=hint
        ) from None
    return {"role": "model", **content.model_dump(mode="json", by_alias=True, exclude_none=True)}
