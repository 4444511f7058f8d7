"""The dataset formats tunectl reads, how each is recognised, and what each must satisfy.

Supervised and preference data each come in the article's (PaLM/RLHF) style and in Gemini's style;
the RLHF pipeline's prompt dataset is `input_text` alone; reinforcement data (Gemini only) is a
prompt plus the `references` its reward reads. Each format is written twice, on purpose:
as msgspec Structs, so a valid text-only lowerCamel line is decoded and type-checked in C (the fast
path), and as a schema that a line failing the fast path is walked with to name every problem it has
(the slow path; for Gemini lines, the general reader of `gemini.py`, which also takes snake_case
names, media, function calls and tools). `tests/test_dataset_formats.py`
checks that the two agree on every file of the malformed corpus.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal

import msgspec

from ops.datasets.native import text_chars, turns_chars

# --- names -----------------------------------------------------------------------------------------


class Kind(StrEnum):
    supervised = "supervised"
    preference = "preference"
    prompt = "prompt"  # the RLHF pipeline's prompt_dataset / eval_dataset: input_text only
    reinforcement = "reinforcement"  # Gemini reinforcement tuning: a prompt and its `references`


class Style(StrEnum):
    palm = "palm"  # the article's style: input_text/output_text, candidate_0/1 + choice
    gemini = "gemini"  # contents/parts, systemInstruction, completions


class Layout(StrEnum):
    palm_supervised = "palm-supervised"
    gemini_supervised = "gemini-supervised"
    palm_preference = "palm-preference"
    gemini_preference = "gemini-preference"
    palm_prompt = "palm-prompt"
    gemini_reinforcement = "gemini-reinforcement"

    @property
    def kind(self) -> Kind:
        return Kind(self.value.split("-")[1])

    @property
    def style(self) -> Style:
        return Style(self.value.split("-")[0])

    @classmethod
    def of(cls, kind: Kind, style: Style) -> Layout:
        return cls(f"{style.value}-{kind.value}")


def detect_layout(obj: dict[str, Any]) -> Layout | None:
    """The format one JSON object is written in, from the keys that only that format has.
    `references` is a one-word field (the same in both spellings) that only reinforcement has."""
    if "references" in obj:
        return Layout.gemini_reinforcement
    if "completions" in obj:
        return Layout.gemini_preference
    if "contents" in obj:
        return Layout.gemini_supervised
    if "candidate_0" in obj or "candidate_1" in obj or "choice" in obj:
        return Layout.palm_preference
    if "output_text" in obj:
        return Layout.palm_supervised
    if "input_text" in obj:
        return Layout.palm_prompt
    return None


# --- fast path: msgspec Structs ----------------------------------------------------------------------

# Empty texts fail in C; whitespace-only texts are caught by `blank_text` (a msgspec `pattern` would
# halve decoding speed).
Text = Annotated[str, msgspec.Meta(min_length=1)]


class Part(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    text: Text


Parts = Annotated[list[Part], msgspec.Meta(min_length=1)]


class Turn(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    role: Literal["user", "model"]
    parts: Parts


class SystemInstruction(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    parts: Parts
    role: str | None = None


Turns = Annotated[list[Turn], msgspec.Meta(min_length=1)]


class GeminiSupervised(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    contents: Turns
    systemInstruction: SystemInstruction | None = None


class Completion(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    score: int | float
    completion: Turn


class GeminiPreference(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    contents: Turns
    completions: Annotated[list[Completion], msgspec.Meta(min_length=1)]
    systemInstruction: SystemInstruction | None = None


class GeminiReinforcement(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    contents: Turns
    references: dict[str, str]  # a map: its keys are the user's, never renamed or checked for case
    systemInstruction: SystemInstruction | None = None


class PalmSupervised(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    input_text: Text
    output_text: Text


class PalmPrompt(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    input_text: Text


class PalmPreference(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    input_text: Text
    candidate_0: Text
    candidate_1: Text
    choice: Literal[0, 1]


# The scanner's wide Gemini supervised Struct: every line Google's parser takes without a finding
# in the common shapes (either spelling of every field, fileData, functionCall and functionResponse
# parts, tools) decodes into it in C, and `_fastscan.gemini_walk` checks and counts it without
# Python code per example. Each spelling is its own field (msgspec gives a field one name), and
# UNSET (not None) marks an absent one: Google's parser takes `"fileData": null` as a part with a
# bad fileData, so a null must not decode as "absent". Lines it does not take go to the general
# reader of `gemini.py`, which names their problems.
Unset = msgspec.UnsetType
UNSET = msgspec.UNSET


class FileData(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    mimeType: str | Unset = UNSET
    mime_type: str | Unset = UNSET
    fileUri: str | Unset = UNSET
    file_uri: str | Unset = UNSET
    displayName: str | Unset = UNSET
    display_name: str | Unset = UNSET


class VideoMetadata(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    startOffset: str | Unset = UNSET
    start_offset: str | Unset = UNSET
    endOffset: str | Unset = UNSET
    end_offset: str | Unset = UNSET
    fps: Any = UNSET  # the reader does not check it


class FunctionCall(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    name: Text
    args: dict[str, Any] | Unset = UNSET  # a Struct: any keys, never renamed
    id: str | Unset = UNSET


class FunctionResponse(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    name: Text
    response: dict[str, Any]
    id: str | Unset = UNSET


class AnyPart(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    text: Text | Unset = UNSET
    fileData: FileData | Unset = UNSET
    file_data: FileData | Unset = UNSET
    functionCall: FunctionCall | Unset = UNSET
    function_call: FunctionCall | Unset = UNSET
    functionResponse: FunctionResponse | Unset = UNSET
    function_response: FunctionResponse | Unset = UNSET
    videoMetadata: VideoMetadata | Unset = UNSET
    video_metadata: VideoMetadata | Unset = UNSET
    # Read (so that the chunk still decodes in one call) but left to the general reader, which
    # checks the resolution: raw JSON, never decoded here.
    mediaResolution: msgspec.Raw | Unset = UNSET
    media_resolution: msgspec.Raw | Unset = UNSET


class AnyTurn(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    role: Literal["user", "model"]
    parts: Annotated[list[AnyPart], msgspec.Meta(min_length=1)]


class Tool(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    functionDeclarations: list[dict[str, Any]] | Unset = UNSET
    function_declarations: list[dict[str, Any]] | Unset = UNSET


class GeminiSupervisedAny(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    contents: Annotated[list[AnyTurn], msgspec.Meta(min_length=1)]
    systemInstruction: SystemInstruction | Unset | None = UNSET
    system_instruction: SystemInstruction | Unset | None = UNSET
    tools: list[Tool] | None = None


STRUCTS: dict[Layout, type[msgspec.Struct]] = {
    Layout.palm_supervised: PalmSupervised,
    Layout.gemini_supervised: GeminiSupervised,
    Layout.palm_preference: PalmPreference,
    Layout.gemini_preference: GeminiPreference,
    Layout.palm_prompt: PalmPrompt,
    Layout.gemini_reinforcement: GeminiReinforcement,
}

# --- slow path: a schema walked over the decoded object -------------------------------------------------

Problem = tuple[str, str]  # (check code, message)


@dataclass(frozen=True)
class _Text:
    pass


@dataclass(frozen=True)
class _Role:
    allowed: tuple[str, ...] | None  # None: any string


@dataclass(frozen=True)
class _Number:
    pass


@dataclass(frozen=True)
class _Choice:
    pass


@dataclass(frozen=True)
class _List:
    item: Any


@dataclass(frozen=True)
class _StringMap:
    """A proto3 map<string, string>: any keys (the user's own), every value a string."""


@dataclass(frozen=True)
class _Object:
    required: dict[str, Any]
    optional: dict[str, Any]


_PART = _Object({"text": _Text()}, {})
_TURN = _Object({"role": _Role(("user", "model")), "parts": _List(_PART)}, {})
_SYSTEM = _Object({"parts": _List(_PART)}, {"role": _Role(None)})
SCHEMAS: dict[Layout, _Object] = {
    Layout.palm_supervised: _Object({"input_text": _Text(), "output_text": _Text()}, {}),
    Layout.palm_prompt: _Object({"input_text": _Text()}, {}),
    Layout.palm_preference: _Object(
        {"input_text": _Text(), "candidate_0": _Text(), "candidate_1": _Text(), "choice": _Choice()}, {}
    ),
    Layout.gemini_supervised: _Object({"contents": _List(_TURN)}, {"systemInstruction": _SYSTEM}),
    Layout.gemini_preference: _Object(
        {
            "contents": _List(_TURN),
            "completions": _List(_Object({"score": _Number(), "completion": _TURN}, {})),
        },
        {"systemInstruction": _SYSTEM},
    ),
    Layout.gemini_reinforcement: _Object(
        {"contents": _List(_TURN), "references": _StringMap()}, {"systemInstruction": _SYSTEM}
    ),
}

_JSON_TYPE = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}


def _json_type(value: Any) -> str:
    return _JSON_TYPE.get(type(value), "number")


def walk(value: Any, spec: Any, path: str, out: list[Problem]) -> None:
    """Append every structural problem of `value` against `spec`; paths are JSONPath-like."""
    if isinstance(spec, _Object):
        if not isinstance(value, dict):
            out.append(("wrong-type", f"{path} must be an object, not {_json_type(value)}"))
            return
        for name, child in spec.required.items():
            if name not in value:
                out.append(("missing-field", f"{path}.{name} is missing"))
            else:
                walk(value[name], child, f"{path}.{name}", out)
        for name, child in spec.optional.items():
            if value.get(name) is not None:
                walk(value[name], child, f"{path}.{name}", out)
        known = spec.required.keys() | spec.optional.keys()
        out.extend(
            ("unknown-field", f"{path}.{name} is not a field of this format")
            for name in value
            if name not in known
        )
    elif isinstance(spec, _List):
        if not isinstance(value, list):
            out.append(("wrong-type", f"{path} must be an array, not {_json_type(value)}"))
        elif not value:
            out.append(("missing-field", f"{path} is empty"))
        else:
            for i, item in enumerate(value):
                walk(item, spec.item, f"{path}[{i}]", out)
    elif isinstance(spec, _StringMap):
        out.extend(string_map_problems(value, path))
    elif isinstance(spec, _Text):
        if not isinstance(value, str):
            out.append(("wrong-type", f"{path} must be a string, not {_json_type(value)}"))
        elif not value.strip():
            out.append(("empty-text", f"{path} is empty"))
    elif isinstance(spec, _Role):
        if not isinstance(value, str):
            out.append(("wrong-type", f"{path} must be a string, not {_json_type(value)}"))
        elif spec.allowed is not None and value not in spec.allowed:
            out.append(("bad-role", f"{path} is {value!r}; roles are {' or '.join(spec.allowed)}"))
    elif isinstance(spec, _Number):
        if isinstance(value, bool) or not isinstance(value, int | float):
            out.append(("wrong-type", f"{path} must be a number, not {_json_type(value)}"))
    elif isinstance(spec, _Choice):
        if isinstance(value, str | list | dict) or value is None:
            out.append(("wrong-type", f"{path} must be 0 or 1, not {_json_type(value)}"))
        elif isinstance(value, bool) or value not in (0, 1):
            out.append(("bad-choice", f"{path} is {json_repr(value)}; it must be 0 or 1"))


def string_map_problems(value: Any, path: str) -> list[Problem]:
    """A map<string, string> field (`references`): an object whose every value is a string. Its keys
    are data, not field names: never renamed, never checked for spelling."""
    if not isinstance(value, dict):
        return [("wrong-type", f"{path} must be an object of strings, not {_json_type(value)}")]
    return [
        (
            "wrong-type",
            f"{path}[{json_repr(key)}] must be a string, not {_json_type(item)} "
            f"(write {json_repr(json_repr(item))} to keep it)",
        )
        for key, item in value.items()
        if not isinstance(item, str)
    ]


def json_repr(value: Any) -> str:
    return msgspec.json.encode(value).decode()


# --- checks on a well-formed example, shared by both paths -------------------------------------------------

_ALTERNATING = ["user", "model"] * 512
_NONE: list[Problem] = []


def _roles_problems(roles: list[str], *, last: str) -> list[Problem]:
    n = len(roles)
    expected = _ALTERNATING[:n] if n <= len(_ALTERNATING) else [("user", "model")[i % 2] for i in range(n)]
    if roles == expected and roles[-1] == last:
        return _NONE
    out: list[Problem] = []
    if roles != expected:
        i = next(i for i in range(n) if roles[i] != expected[i])
        out.append(
            ("roles-not-alternating", f"$.contents[{i}].role is {roles[i]!r}; expected {expected[i]!r}")
        )
    if roles[-1] != last:
        code = "last-turn-not-model" if last == "model" else "last-turn-not-user"
        out.append((code, f"the last turn ($.contents[{n - 1}]) is {roles[-1]!r}; it must be {last!r}"))
    return out


def _turn_text(turn: Turn | SystemInstruction) -> str:
    parts = turn.parts
    return parts[0].text if len(parts) == 1 else "".join([p.text for p in parts])


class BlankText(ValueError):
    """A whitespace-only text in a line that otherwise decoded: the line takes the slow path."""


def _no_blank(texts: list[str]) -> list[str]:
    if any(map(str.isspace, texts)):
        raise BlankText
    return texts


@dataclass(frozen=True, slots=True)
class ExampleView:
    """What the cross-example checks need from one well-formed example, whatever its format.

    `input_texts`/`output_texts` are what a tokenizer sees (and what is billed); `output` feeds the
    classification checks (supervised only).
    """

    input_texts: list[str]
    output_texts: list[str]
    output: str | None

    @property
    def prompt(self) -> str:
        return "\n".join(self.input_texts)


Inspected = tuple[ExampleView, list[Problem]]


def inspect_palm_supervised(ex: PalmSupervised) -> Inspected:
    texts = _no_blank([ex.input_text, ex.output_text])
    return ExampleView(texts[:1], texts[1:], ex.output_text), _NONE


def inspect_palm_prompt(ex: PalmPrompt) -> Inspected:
    return ExampleView(_no_blank([ex.input_text]), [], None), _NONE


def inspect_palm_preference(ex: PalmPreference) -> Inspected:
    _no_blank([ex.input_text, ex.candidate_0, ex.candidate_1])
    view = ExampleView([ex.input_text], [ex.candidate_0, ex.candidate_1], None)
    if ex.candidate_0 == ex.candidate_1:
        return view, [("identical-candidates", "candidate_0 and candidate_1 are the same text")]
    return view, _NONE


def _no_blank_part(turns: Sequence[Turn | SystemInstruction]) -> None:
    """Every part's text must hold more than whitespace (as the slow path's schema checks it)."""
    _no_blank([p.text for t in turns for p in t.parts])


def _gemini_turns(
    ex: GeminiSupervised | GeminiPreference | GeminiReinforcement,
) -> tuple[list[str], list[str]]:
    """(texts, roles): a text per turn; the system instruction, when present, is the first text."""
    turns: list[Turn | SystemInstruction] = list(ex.contents)
    if ex.systemInstruction is not None:
        turns.insert(0, ex.systemInstruction)
    _no_blank_part(turns)
    return [_turn_text(t) for t in turns], [t.role for t in ex.contents]


def inspect_gemini_supervised(ex: GeminiSupervised) -> Inspected:
    texts, roles = _gemini_turns(ex)
    problems = _roles_problems(roles, last="model")
    if roles[-1] == "model":
        return ExampleView(texts[:-1], texts[-1:], texts[-1]), problems
    return ExampleView(texts, [], None), problems


def inspect_gemini_preference(ex: GeminiPreference) -> Inspected:
    texts, roles = _gemini_turns(ex)
    problems = _roles_problems(roles, last="user")
    completions = ex.completions
    _no_blank_part([c.completion for c in completions])
    answers = [_turn_text(c.completion) for c in completions]
    scores = [c.score for c in completions]
    if len(completions) != 2 or sorted(scores) != [0, 1]:
        shown = ", ".join(str(s) for s in scores)
        problems = [
            *problems,
            (
                "bad-completion-scores",
                f"completions are scored [{shown}]; exactly two, one scored 1 and one 0",
            ),
        ]
    for i, c in enumerate(completions):
        if c.completion.role != "model":
            message = f"$.completions[{i}].completion.role is {c.completion.role!r}; it must be 'model'"
            problems = [*problems, ("bad-role", message)]
    if len(answers) == 2 and answers[0] == answers[1]:
        problems = [*problems, ("identical-candidates", "both completions are the same text")]
    return ExampleView(texts, answers, None), problems


def inspect_gemini_reinforcement(ex: GeminiReinforcement) -> Inspected:
    """A prompt the model answers during tuning: every text is input, there is no output."""
    texts, roles = _gemini_turns(ex)
    return ExampleView(texts, [], None), _roles_problems(roles, last="user")


INSPECT: dict[Layout, Callable[[Any], Inspected]] = {
    Layout.palm_supervised: inspect_palm_supervised,
    Layout.palm_preference: inspect_palm_preference,
    Layout.gemini_supervised: inspect_gemini_supervised,
    Layout.gemini_preference: inspect_gemini_preference,
    Layout.palm_prompt: inspect_palm_prompt,
    Layout.gemini_reinforcement: inspect_gemini_reinforcement,
}


# --- the fast path's per-example work, without building an ExampleView ---------------------------------
# (input characters, output characters, supervised output, problems): what the scanner needs per line
# when counting with the offline estimate. Must agree with INSPECT (tests/test_dataset_formats.py).
Fast = tuple[int, int, str | None, list[Problem]]


def fast_palm_supervised(ex: PalmSupervised) -> Fast:
    i, o = ex.input_text, ex.output_text
    if i.isspace() or o.isspace():
        raise BlankText
    return len(i), len(o), o, _NONE


def fast_palm_prompt(ex: PalmPrompt) -> Fast:
    if ex.input_text.isspace():
        raise BlankText
    return len(ex.input_text), 0, None, _NONE


def fast_palm_preference(ex: PalmPreference) -> Fast:
    i, a, b = ex.input_text, ex.candidate_0, ex.candidate_1
    if i.isspace() or a.isspace() or b.isspace():
        raise BlankText
    if a == b:
        return len(i), len(a) + len(b), None, inspect_palm_preference(ex)[1]
    return len(i), len(a) + len(b), None, _NONE


def fast_gemini_supervised(ex: GeminiSupervised) -> Fast:
    contents = ex.contents
    chars, alternating = turns_chars(contents)
    system = ex.systemInstruction
    system_chars = 0 if system is None else text_chars(system.parts)
    if chars < 0 or system_chars < 0:
        raise BlankText
    problems = _NONE if alternating else _roles_problems([t.role for t in contents], last="model")
    last = contents[-1]
    if last.role == "model":
        output = _turn_text(last)
        return system_chars + chars - len(output), len(output), output, problems
    return system_chars + chars, 0, None, problems


def fast_gemini_preference(ex: GeminiPreference) -> Fast:
    view, problems = inspect_gemini_preference(ex)
    return sum(map(len, view.input_texts)), sum(map(len, view.output_texts)), None, problems


def fast_gemini_reinforcement(ex: GeminiReinforcement) -> Fast:
    contents = ex.contents
    chars, _ = turns_chars(contents)  # its `alternating` means "ends with model": not this format's rule
    system = ex.systemInstruction
    system_chars = 0 if system is None else text_chars(system.parts)
    if chars < 0 or system_chars < 0:
        raise BlankText
    return system_chars + chars, 0, None, _roles_problems([t.role for t in contents], last="user")


FAST: dict[Layout, Callable[[Any], Fast]] = {
    Layout.palm_supervised: fast_palm_supervised,
    Layout.palm_preference: fast_palm_preference,
    Layout.gemini_supervised: fast_gemini_supervised,
    Layout.gemini_preference: fast_gemini_preference,
    Layout.palm_prompt: fast_palm_prompt,
    Layout.gemini_reinforcement: fast_gemini_reinforcement,
}
