"""Conversion between the article's (PaLM/RLHF) formats and Gemini's, both kinds, both directions.

PaLM -> Gemini is lossless. Gemini -> PaLM only exists for one user turn answered by one model turn
and no system instruction; anything else is refused with its line number rather than flattened.
The output is written atomically: a failed or interrupted conversion leaves no OUT behind.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from ops.atomic import atomic_open
from ops.datasets.formats import STRUCTS, Layout, Style, detect_layout
from ops.datasets.scan import BOM, iter_lines, well_formed_view
from ops.datasets.source import open_source, refuse_overwriting
from ops.errors import ExitStatus, TunectlError

if TYPE_CHECKING:
    from ops.settings import Settings

MAX_REPORTED = 20
_NO_PALM_REINFORCEMENT = (
    "reinforcement examples (a prompt and the references its reward reads) exist only in Gemini's "
    "format; the PaLM/RLHF formats have no references"
)


class NotConvertible(ValueError):
    """One example has no equivalent in the target format."""


def _turn(role: str, text: str) -> dict[str, Any]:
    return {"role": role, "parts": [{"text": text}]}


def _single_text(turn: dict[str, Any]) -> str:
    if any(set(part) != {"text"} for part in turn["parts"]):
        raise NotConvertible("it has media or function parts, which the PaLM format (text only) cannot hold")
    return "".join(part["text"] for part in turn["parts"])


def _single_exchange(obj: dict[str, Any], *, last: str) -> list[dict[str, Any]]:
    if obj.get("systemInstruction") or obj.get("system_instruction"):
        raise NotConvertible("it has a systemInstruction, which the PaLM format cannot hold")
    contents = obj["contents"]
    wanted = ["user", "model"] if last == "model" else ["user"]
    if obj.get("tools"):
        raise NotConvertible("it declares tools, which the PaLM format cannot hold")
    if [t["role"] for t in contents] != wanted:
        raise NotConvertible(f"only a single {' + '.join(wanted)} exchange converts to the PaLM format")
    return list(contents)


def convert_record(obj: dict[str, Any], *, to: Style | str) -> dict[str, Any]:
    """One well-formed example (as decoded JSON) in the other style; raises NotConvertible."""
    target = Style(to)
    layout = detect_layout(obj)
    if layout is None:
        raise NotConvertible("the example is in no known format")
    if layout.style is target:
        return obj
    if layout is Layout.palm_prompt:
        raise NotConvertible("an RLHF prompt dataset (input_text only) has no Gemini form")
    if layout is Layout.gemini_reinforcement:
        raise NotConvertible(_NO_PALM_REINFORCEMENT)
    if layout is Layout.palm_supervised:
        return {"contents": [_turn("user", obj["input_text"]), _turn("model", obj["output_text"])]}
    if layout is Layout.palm_preference:
        chosen = int(obj["choice"])
        return {
            "contents": [_turn("user", obj["input_text"])],
            "completions": [
                {"score": 1 if chosen == i else 0, "completion": _turn("model", obj[f"candidate_{i}"])}
                for i in (0, 1)
            ],
        }
    if layout is Layout.gemini_supervised:
        user, model = _single_exchange(obj, last="model")
        return {"input_text": _single_text(user), "output_text": _single_text(model)}
    (user,) = _single_exchange(obj, last="user")
    completions = obj["completions"]
    scores = [c["score"] for c in completions]
    if len(completions) != 2 or sorted(scores) != [0, 1]:
        raise NotConvertible("preference completions must be two, scored 1 and 0")
    return {
        "input_text": _single_text(user),
        "candidate_0": _single_text(completions[0]["completion"]),
        "candidate_1": _single_text(completions[1]["completion"]),
        "choice": scores.index(1),
    }


@dataclass(frozen=True)
class ConvertResult:
    source: str
    output: str
    examples: int
    from_format: str
    to_format: str


def convert_file(
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    *,
    to: Style | str,
    settings: Settings | None = None,
) -> ConvertResult:
    """Stream `src` (local or gs://) into `dst` in style `to`. Every line must be a well-formed
    example (run `tunectl dataset validate` first); otherwise nothing is written."""
    from ops.datasets.validate import find_layout

    target = Style(to)
    source = open_source(src, settings=settings)
    refuse_overwriting(source, {"--output": dst})
    layout, _ = find_layout(source)
    if layout is None:
        raise TunectlError("convert-unknown-format", f"{source.display} holds no example in a known format")
    if layout is Layout.gemini_reinforcement and target is Style.palm:
        # Every line would be refused alike: say it once, before reading the file.
        raise TunectlError(
            "convert-unsupported",
            f"{source.display} holds reinforcement data: {_NO_PALM_REINFORCEMENT}",
            hint="use the file as it is: `tunectl dataset validate` and `tunectl dataset split` take it",
        )
    decode = msgspec.json.Decoder(STRUCTS[layout]).decode
    encode = msgspec.json.Encoder().encode
    problems: list[str] = []
    examples = 0
    with atomic_open(Path(dst), "wb", encoding=None) as out:
        for lineno, raw in iter_lines(source.line_chunks()):
            line = raw[len(BOM) :] if lineno == 1 and raw.startswith(BOM) else raw
            if not line.strip():
                problems.append(f"line {lineno}: blank line")
                continue
            if well_formed_view(decode, layout, line) is None:
                problems.append(f"line {lineno}: not a well-formed {layout} example")
                continue
            try:
                converted = convert_record(msgspec.json.decode(line), to=target)
            except NotConvertible as exc:
                problems.append(f"line {lineno}: cannot convert: {exc}")
                continue
            if not problems:
                out.write(encode(converted) + b"\n")
            examples += 1
        if problems:
            shown = "\n  ".join(problems[:MAX_REPORTED])
            more = f"\n  ...and {len(problems) - MAX_REPORTED} more" if len(problems) > MAX_REPORTED else ""
            raise TunectlError(
                "convert-failed",
                f"{len(problems)} line(s) of {source.display} cannot be converted; nothing was written:"
                f"\n  {shown}{more}",
                hint=f"run `tunectl dataset validate {source.display}` and fix the file first",
                status=ExitStatus.CHECK_FAILED,
            )
    return ConvertResult(
        source=source.display,
        output=os.fspath(dst),
        examples=examples,
        from_format=layout.value,
        to_format=Layout.of(layout.kind, target).value,
    )
