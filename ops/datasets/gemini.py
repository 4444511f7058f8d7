"""The whole Gemini example, as Google's proto3 JSON parser reads it: the general (slower) path.

Text-only lowerCamel lines are decoded by the msgspec Structs of `formats.py` (the fast path). Every
other Gemini line comes here: snake_case names, media (`fileData`), function calls and responses,
top-level `tools`, `videoMetadata`, per-part `mediaResolution`. Proto3 JSON accepts the lowerCamel
and the original snake_case name of every *field* (https://protobuf.dev/programming-guides/json/,
read 2026-12-02); map and Struct *keys* (`args`, `response`, a declaration's `parameters`) are the
user's own and are never renamed or checked.

The shape follows the generateContent request, as the tuning pages use it:
- dataset format: https://docs.cloud.google.com/gemini-enterprise-agent-platform/models/tuning/supervised-tuning/prepare-data
- function calling: https://docs.cloud.google.com/gemini-enterprise-agent-platform/models/tuning/function-calling
- preference: https://docs.cloud.google.com/gemini-enterprise-agent-platform/models/tuning/preference-tuning/prepare-data
- reinforcement: https://docs.cloud.google.com/gemini-enterprise-agent-platform/models/tuning/reinforcement-tuning/reinforcement-tuning-job/tuning-dataset
(all read 2026-12-02). Part and Tool field names: the aiplatform v1 discovery document.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from ops.datasets.formats import ExampleView, Kind, Problem, _roles_problems, json_repr, string_map_problems
from ops.datasets.media import MediaRules, Modality, media_rules

# Problems that leave an example without a usable shape: it is not counted or keyed.
SHAPE_CODES = frozenset(
    {"wrong-type", "missing-field", "unknown-field", "empty-text", "duplicate-field", "bad-role"}
)

CAMEL, SNAKE = 1, 2  # spelling bits: which names a line used for fields with more than one word


@cache  # called for every field of every line the general reader takes
def _snake(name: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name)


# Fields this module reads, by lowerCamel name; the snake_case twin is derived.
_TOP = ("contents", "systemInstruction", "tools")
_TOP_OF_KIND = {  # top-level fields per kind (preference `tools` are read to be refused by name)
    Kind.supervised: _TOP,
    Kind.preference: (*_TOP, "completions"),
    Kind.reinforcement: (*_TOP, "references"),
}
# Part data each kind's contents may hold. Reinforcement prompts: "text or fileData" (the tuning
# dataset page's schema); inlineData is listed so that it gets its own diagnostic.
_MEDIA_AND_TEXT = ("text", "fileData", "inlineData")
_PART_DATA = ("text", "fileData", "inlineData", "functionCall", "functionResponse")
_CONTENT = ("role", "parts")
_PART = (
    "text",
    "fileData",
    "inlineData",
    "functionCall",
    "functionResponse",
    "videoMetadata",
    "mediaResolution",
)
_FILE_DATA = ("mimeType", "fileUri", "displayName")
_VIDEO = ("startOffset", "endOffset", "fps")
_CALL = ("name", "args", "id")
_RESPONSE = ("name", "response", "id")
_TOOL = ("functionDeclarations",)
_COMPLETION = ("score", "completion")
_RESOLUTIONS = (
    "MEDIA_RESOLUTION_LOW",
    "MEDIA_RESOLUTION_MEDIUM",
    "MEDIA_RESOLUTION_HIGH",
    "MEDIA_RESOLUTION_ULTRA_HIGH",
)
# Part members of the API that no tuning page documents: named, so the message can say so.
_UNDOCUMENTED_PART = ("executableCode", "codeExecutionResult", "audioTranscription", "speechMetadata")
_THOUGHT = ("thought", "thoughtSignature")
_DURATION = re.compile(r"^(\d+)(?:\.(\d{1,9}))?s$")
THOUGHT_MESSAGE = (
    "is a thought part; Google's supervised tuning page says the model learns from the training "
    "data and omits the thinking process, so tuning examples hold no thoughts: remove `thought` "
    "and `thoughtSignature` parts (https://docs.cloud.google.com/gemini-enterprise-agent-platform/"
    "models/tuning/supervised-tuning)"
)


@dataclass(frozen=True, slots=True)
class Media:
    modality: Modality
    mime_type: str
    uri: str
    seconds: float | None  # the clip length from videoMetadata offsets, when both are given
    tokens: int | None  # estimated at Google's documented rate; None: unknown offline


@dataclass
class GeminiExample:
    """One Gemini line read by the general path: its problems, what the counters need, its media."""

    problems: list[Problem] = field(default_factory=list)
    spelling: int = 0
    texts_in: list[str] = field(default_factory=list)
    texts_out: list[str] = field(default_factory=list)
    output: str | None = None
    media: list[Media] = field(default_factory=list)
    resolutions: set[str] = field(default_factory=set)

    @property
    def view(self) -> ExampleView:
        return ExampleView(self.texts_in, self.texts_out, self.output)

    @property
    def media_tokens(self) -> int:
        return sum(m.tokens or 0 for m in self.media)

    @property
    def media_unknown(self) -> int:
        return sum(1 for m in self.media if m.tokens is None)


def _type(value: Any) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    return "null" if value is None else "number"


class _Reader:
    def __init__(self, kind: Kind, rules: MediaRules) -> None:
        self.kind = kind
        self.rules = rules
        self.out = GeminiExample()

    def problem(self, code: str, message: str) -> None:
        self.out.problems.append((code, message))

    def fields(self, obj: Any, names: tuple[str, ...], path: str) -> dict[str, Any] | None:
        """The object's fields by lowerCamel name, whichever spelling it used; None if not an object.
        Reports unknown fields and a field given in both spellings."""
        if not isinstance(obj, dict):
            self.problem("wrong-type", f"{path} must be an object, not {_type(obj)}")
            return None
        found: dict[str, Any] = {}
        known: dict[str, str] = {}
        for field_name in names:
            known[field_name] = field_name
            known[_snake(field_name)] = field_name
        for key, value in obj.items():
            name = known.get(key)
            if name is None:
                self.unknown(key, path)
                continue
            if key != name:
                self.out.spelling |= SNAKE
            elif _snake(name) != name:
                self.out.spelling |= CAMEL
            if name in found:
                self.problem("duplicate-field", f"{path} has both {name!r} and {_snake(name)!r}; give one")
            found[name] = value
        return found

    def unknown(self, key: str, path: str) -> None:
        if key in _THOUGHT or key in (_snake(t) for t in _THOUGHT):
            self.problem("thought-part", f"{path}.{key} {THOUGHT_MESSAGE}")
        elif key in _UNDOCUMENTED_PART or key in (_snake(p) for p in _UNDOCUMENTED_PART):
            self.problem("unknown-field", f"{path}.{key} is a Part field no Google tuning page documents")
        else:
            self.problem("unknown-field", f"{path}.{key} is not a field of this format")

    # -- the example ----------------------------------------------------------------------------------

    def example(self, obj: dict[str, Any]) -> GeminiExample:
        top = self.fields(obj, _TOP_OF_KIND[self.kind], "$")
        assert top is not None
        if self.kind is Kind.preference and "tools" in top:
            self.problem(
                "unknown-field", "$.tools: preference examples are text only; tools are for supervised data"
            )
            del top["tools"]
        declared = self.tools(top.get("tools"))
        system = top.get("systemInstruction")
        if system is not None:
            texts = self.content(system, "$.systemInstruction", system_instruction=True)
            self.out.texts_in.extend(texts)
        if "contents" not in top:
            self.problem("missing-field", "$.contents is missing")
            return self.out
        turns = self.turns(top["contents"], declared)
        if self.kind is Kind.reinforcement:
            if "references" not in top:
                self.problem(
                    "missing-field",
                    "$.references is missing: a reinforcement example carries the references its "
                    'reward reads, e.g. {"answer": "391"} (an empty {} when the reward reads none)',
                )
            else:
                self.out.problems.extend(string_map_problems(top["references"], "$.references"))
            # The prompt is all input: the model writes its answer during tuning.
            self.out.texts_in.extend(t for _, texts in turns for t in texts)
        elif self.kind is Kind.preference:
            self.completions(top.get("completions"))
            self.out.texts_in.extend(t for _, texts in turns for t in texts)
            if self.out.media:
                self.problem(
                    "multimodal-preference",
                    "preference tuning takes text only (Google: the contents field 'doesn't support "
                    "multi-modal data'); remove the fileData parts or tune with supervised data",
                )
        elif turns and turns[-1][0] == "model":
            for _, texts in turns[:-1]:
                self.out.texts_in.extend(texts)
            self.out.texts_out.extend(turns[-1][1])
            self.out.output = "".join(turns[-1][1])
        else:
            self.out.texts_in.extend(t for _, texts in turns for t in texts)
        self.media_limits()
        return self.out

    def media_limits(self) -> None:
        """Per-example media limits of each modality's tuning page."""
        by_modality: dict[Modality, list[Media]] = {}
        for media in self.out.media:
            by_modality.setdefault(media.modality, []).append(media)
        resolution = next(iter(self.out.resolutions), None)
        for modality, items in by_modality.items():
            rules = self.rules.by_modality[modality]
            page = (
                "reinforcement tuning dataset"
                if self.kind is Kind.reinforcement
                else f"{modality.value} tuning"
            )
            if rules.max_per_example is not None and len(items) > rules.max_per_example:
                self.problem(
                    "too-much-media",
                    f"{len(items)} {modality.value} parts; Google's {page} page allows "
                    f"{rules.max_per_example} per example",
                )
            limit = self.rules.max_seconds(modality, resolution)
            seconds = sum(m.seconds or 0 for m in items)
            if limit is not None and seconds > limit:
                self.problem(
                    "too-much-media",
                    f"{seconds:g} s of {modality.value}; Google's {page} page allows "
                    f"{limit:g} s per example (examples over it are dropped from training)",
                )

    def tools(self, tools: Any) -> set[str] | None:
        """Names of the declared functions (None: no tools given)."""
        if tools is None:
            return None
        if not isinstance(tools, list):
            self.problem("wrong-type", f"$.tools must be an array, not {_type(tools)}")
            return set()
        names: set[str] = set()
        for i, tool in enumerate(tools):
            path = f"$.tools[{i}]"
            found = self.fields(tool, _TOOL, path)
            if found is None:
                continue
            declarations = found.get("functionDeclarations")
            if not isinstance(declarations, list) or not declarations:
                self.problem(
                    "missing-field",
                    f"{path}.functionDeclarations is missing or empty (tuning documents function "
                    "declarations only)",
                )
                continue
            for j, declaration in enumerate(declarations):
                where = f"{path}.functionDeclarations[{j}]"
                if not isinstance(declaration, dict):
                    self.problem("wrong-type", f"{where} must be an object, not {_type(declaration)}")
                elif not isinstance(declaration.get("name"), str) or not declaration["name"]:
                    self.problem("missing-field", f"{where}.name is missing")
                else:
                    names.add(declaration["name"])
                    # Declarations are prompt text to the model: count them as input.
                    self.out.texts_in.append(json_repr(declaration))
        return names

    def objects(self, value: Any, path: str, names: tuple[str, ...]) -> Iterator[tuple[str, dict[str, Any]]]:
        """(path, fields) of each object of a required, non-empty array."""
        if value is None:
            self.problem("missing-field", f"{path} is missing")
        elif not isinstance(value, list):
            self.problem("wrong-type", f"{path} must be an array, not {_type(value)}")
        elif not value:
            self.problem("missing-field", f"{path} is empty")
        else:
            for i, item in enumerate(value):
                found = self.fields(item, names, f"{path}[{i}]")
                if found is not None:
                    yield f"{path}[{i}]", found

    def turns(self, contents: Any, declared: set[str] | None) -> list[tuple[str, list[str]]]:
        turns: list[tuple[str, list[str]]] = []
        calls: list[str] = []  # names the previous model turn called
        for path, found in self.objects(contents, "$.contents", _CONTENT):
            role = found.get("role")
            if role is None:
                self.problem("missing-field", f"{path}.role is missing")
            elif not isinstance(role, str):
                self.problem("wrong-type", f"{path}.role must be a string, not {_type(role)}")
            elif role not in ("user", "model"):
                self.problem("bad-role", f"{path}.role is {role!r}; roles are user or model")
            texts = self.parts(found.get("parts"), f"{path}.parts", role, declared, calls)
            if isinstance(role, str):
                turns.append((role, texts))
        roles = [role for role, _ in turns]
        shapeless = any(code in SHAPE_CODES for code, _ in self.out.problems)
        if not shapeless and roles:
            self.out.problems.extend(
                _roles_problems(roles, last="model" if self.kind is Kind.supervised else "user")
            )
        return turns

    def parts(
        self,
        parts: Any,
        path: str,
        role: Any,
        declared: set[str] | None,
        calls: list[str],
        *,
        system_instruction: bool = False,
    ) -> list[str]:
        """The texts of a turn's parts (function calls and responses as their JSON); checks each part."""
        if parts is None:
            self.problem("missing-field", f"{path} is missing")
            return []
        if not isinstance(parts, list):
            self.problem("wrong-type", f"{path} must be an array, not {_type(parts)}")
            return []
        if not parts:
            self.problem("missing-field", f"{path} is empty")
            return []
        texts: list[str] = []
        called: list[str] = []
        for i, part in enumerate(parts):
            where = f"{path}[{i}]"
            found = self.fields(part, _PART, where)
            if found is None:
                continue
            data = [name for name in _PART_DATA if name in found]
            if not data:
                if not any(
                    p[0] == "thought-part" and p[1].startswith(where + ".") for p in self.out.problems
                ):
                    self.problem(
                        "missing-field",
                        f"{where} has no data: give text, fileData, functionCall or functionResponse",
                    )
                continue
            if len(data) > 1:
                self.problem("wrong-type", f"{where} sets {' and '.join(data)}; a part holds exactly one")
                continue
            kind = data[0]
            if system_instruction and kind != "text":
                self.problem("wrong-type", f"{where}.{kind}: a system instruction holds text parts only")
                continue
            if self.kind is Kind.reinforcement and kind not in _MEDIA_AND_TEXT:
                self.problem(
                    "wrong-type",
                    f"{where}.{kind}: a reinforcement prompt holds text and fileData parts only "
                    "(Google's reinforcement tuning dataset schema); declare functions in $.tools",
                )
                continue
            if kind == "text":
                text = found["text"]
                if not isinstance(text, str):
                    self.problem("wrong-type", f"{where}.text must be a string, not {_type(text)}")
                elif not text.strip():
                    self.problem("empty-text", f"{where}.text is empty")
                else:
                    texts.append(text)
            elif kind == "fileData":
                self.file_data(found["fileData"], found, f"{where}.fileData")
            elif kind == "inlineData":
                self.problem(
                    "inline-data",
                    f"{where}.inlineData: Google's tuning pages document media only as fileData (a "
                    "Cloud Storage or HTTP(S) URI); upload the bytes and reference them with fileData",
                )
            elif kind == "functionCall":
                name = self.function_part(found["functionCall"], f"{where}.functionCall", _CALL, "args")
                if role == "user":
                    self.problem(
                        "misplaced-function-part",
                        f"{where}.functionCall is in a user turn; the model makes function calls",
                    )
                if name is not None:
                    called.append(name)
                    if declared is not None and name not in declared:
                        self.problem(
                            "undeclared-function",
                            f"{where}.functionCall calls {name!r}, which $.tools does not declare",
                        )
                texts.append(json_repr(found["functionCall"]))
            else:
                name = self.function_part(
                    found["functionResponse"], f"{where}.functionResponse", _RESPONSE, "response"
                )
                if role == "model":
                    self.problem(
                        "misplaced-function-part",
                        f"{where}.functionResponse is in a model turn; it answers a call in the user "
                        "turn that follows it",
                    )
                elif name is not None and name not in calls:
                    self.problem(
                        "function-response-without-call",
                        f"{where}.functionResponse answers {name!r}, which the previous model turn "
                        "did not call",
                    )
                texts.append(json_repr(found["functionResponse"]))
            if "videoMetadata" in found and kind != "fileData":
                self.problem("wrong-type", f"{where}.videoMetadata belongs to a fileData part")
        calls[:] = called
        return texts

    def function_part(self, value: Any, path: str, names: tuple[str, ...], payload: str) -> str | None:
        found = self.fields(value, names, path)
        if found is None:
            return None
        name = found.get("name")
        if not isinstance(name, str) or not name:
            self.problem("missing-field", f"{path}.name is missing")
            name = None
        body = found.get(payload)
        if body is not None and not isinstance(body, dict):  # a Struct: any keys, never renamed
            self.problem("wrong-type", f"{path}.{payload} must be an object, not {_type(body)}")
        if payload == "response" and body is None:
            self.problem("missing-field", f"{path}.response is missing")
        return name

    def file_data(self, value: Any, part: dict[str, Any], path: str) -> None:
        found = self.fields(value, _FILE_DATA, path)
        if found is None:
            return
        mime, uri = found.get("mimeType"), found.get("fileUri")
        for name, got in (("mimeType", mime), ("fileUri", uri)):
            if got is None:
                self.problem("missing-field", f"{path}.{name} is missing")
            elif not isinstance(got, str):
                self.problem("wrong-type", f"{path}.{name} must be a string, not {_type(got)}")
        if not isinstance(mime, str) or not isinstance(uri, str):
            return
        modality = self.rules.modality(mime)
        if modality is None:
            what = "reinforcement prompts" if self.kind is Kind.reinforcement else "tuning"
            self.problem(
                "unsupported-mime-type",
                f"{path}.mimeType {mime!r} is not a type Google documents for {what} "
                f"({self.rules.types_summary()})",
            )
        self.check_uri(uri, path)
        seconds = self.video_metadata(part.get("videoMetadata"), path.rsplit(".", 1)[0], modality)
        resolution = self.media_resolution(part.get("mediaResolution"), path.rsplit(".", 1)[0])
        if resolution is not None:
            self.out.resolutions.add(resolution)
        if modality is not None:
            tokens = self.rules.tokens(modality, seconds, resolution)
            self.out.media.append(Media(modality, mime, uri, seconds, tokens))

    def check_uri(self, uri: str, path: str) -> None:
        if uri.startswith("gs://"):
            if len(uri) <= 5 or "/" not in uri[5:] or uri.endswith("/"):
                self.problem("bad-file-uri", f"{path}.fileUri {uri!r} names no object (gs://BUCKET/OBJECT)")
        elif uri.startswith(("https://", "http://")):
            self.problem(
                "file-uri-not-gcs",
                f"{path}.fileUri is an HTTP(S) URL; Google accepts public URLs, but the tuning job "
                "fetches it at training time (it may have moved, be private or be rate limited) and "
                "--check-uris cannot confirm it: a gs:// copy in the job's project is safer",
            )
        else:
            self.problem(
                "bad-file-uri",
                f"{path}.fileUri {uri!r} is not a gs:// or HTTP(S) URI; the tuning job runs in "
                "Google's cloud and reads media only from Cloud Storage (or a public URL), never "
                "from your machine: upload it with `gcloud storage cp` and use its gs:// URI",
            )

    def video_metadata(self, value: Any, path: str, modality: Modality | None) -> float | None:
        if value is None:
            return None
        found = self.fields(value, _VIDEO, f"{path}.videoMetadata")
        if found is None:
            return None
        if modality is not None and modality is not Modality.video:
            self.problem(
                "wrong-type", f"{path}.videoMetadata is set on a {modality.value} part; it is for video"
            )
        offsets: list[float | None] = []
        for name in ("startOffset", "endOffset"):
            got = found.get(name)
            if got is None:
                offsets.append(None)
                continue
            match = _DURATION.match(got) if isinstance(got, str) else None
            if match is None:
                self.problem(
                    "bad-duration",
                    f"{path}.videoMetadata.{name} is {json_repr(got)}; a duration is a string of "
                    'seconds ending in "s", e.g. "12.5s"',
                )
                offsets.append(None)
            else:
                offsets.append(float(match.group(0)[:-1]))
        start, end = offsets
        if start is not None and end is not None:
            if end <= start:
                self.problem(
                    "bad-duration", f"{path}.videoMetadata ends ({end:g}s) before it starts ({start:g}s)"
                )
                return None
            return end - start
        return None

    def media_resolution(self, value: Any, path: str) -> str | None:
        if value is None:
            return None
        found = self.fields(value, ("level",), f"{path}.mediaResolution")
        if found is None:
            return None
        level = found.get("level")
        if level not in _RESOLUTIONS:
            self.problem(
                "wrong-type",
                f"{path}.mediaResolution.level is {json_repr(level)}; one of {', '.join(_RESOLUTIONS)}",
            )
            return None
        return str(level)

    def content(self, value: Any, path: str, *, system_instruction: bool) -> list[str]:
        found = self.fields(value, _CONTENT, path)
        if found is None:
            return []
        role = found.get("role")
        if role is not None and not isinstance(role, str):
            self.problem("wrong-type", f"{path}.role must be a string, not {_type(role)}")
        return self.parts(
            found.get("parts"), f"{path}.parts", role, None, [], system_instruction=system_instruction
        )

    def completions(self, value: Any) -> None:
        scores: list[Any] = []
        answers: list[str] = []
        for path, found in self.objects(value, "$.completions", _COMPLETION):
            score = found.get("score")
            if score is None:
                self.problem("missing-field", f"{path}.score is missing")
            elif isinstance(score, bool) or not isinstance(score, int | float):
                self.problem("wrong-type", f"{path}.score must be a number, not {_type(score)}")
            else:
                scores.append(score)
            completion = found.get("completion")
            if completion is None:
                self.problem("missing-field", f"{path}.completion is missing")
                continue
            turn = self.fields(completion, _CONTENT, f"{path}.completion")
            if turn is None:
                continue
            role = turn.get("role")
            if role != "model":
                self.problem("bad-role", f"{path}.completion.role is {json_repr(role)}; it must be 'model'")
            texts = self.parts(turn.get("parts"), f"{path}.completion.parts", "model", None, [])
            answers.append("".join(texts))
            self.out.texts_out.append("".join(texts))
        shaped = isinstance(value, list) and len(scores) == len(value)
        problems = completion_problems(scores, answers) if shaped else []
        self.out.problems.extend(problems)


def completion_problems(scores: list[Any], answers: list[str]) -> list[Problem]:
    """Google: a pair of completions, one scored 1 (preferred) and one 0 (1.0 and 0.0 are the same
    numbers in JSON)."""
    problems: list[Problem] = []
    if len(scores) != 2 or sorted(scores) != [0, 1]:
        shown = ", ".join(json_repr(s) for s in scores)
        problems.append(
            (
                "bad-completion-scores",
                f"completions are scored [{shown}]; exactly two, one scored 1 and one 0",
            )
        )
    if len(answers) == 2 and answers[0] == answers[1]:
        problems.append(("identical-candidates", "both completions are the same text"))
    return problems


def read_example(obj: dict[str, Any], kind: Kind, rules: MediaRules | None = None) -> GeminiExample:
    """Every problem of one decoded Gemini line (either spelling), and what its counters need."""
    return _Reader(kind, rules or media_rules(method=kind.value)).example(obj)


def uses_gemini_names(line: bytes) -> int:
    """Spelling bits of a line the fast path decoded: only `systemInstruction` has two words there."""
    return CAMEL if b'"systemInstruction"' in line else 0
