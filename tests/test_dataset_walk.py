"""The scanner's walk of whole Gemini supervised examples (`gemini_walk`, in C and in its pure-Python
twin): the two agree on every line, and every example the walk takes is one the general reader
(`gemini.py`) finds no problem in, with the same tokens, spelling, output and media."""

from __future__ import annotations

import copy
import importlib.util
import json
import random
import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest

from ops.datasets import _fastscan, _pyscan
from ops.datasets.formats import GeminiSupervisedAny, Kind
from ops.datasets.gemini import read_example
from ops.datasets.media import Modality
from ops.datasets.scan import _walk_spec

ROOT = Path(__file__).resolve().parent.parent
DECODE = msgspec.json.Decoder(GeminiSupervisedAny).decode
PER = 4


def _text(role: str, *texts: str) -> dict[str, Any]:
    return {"role": role, "parts": [{"text": t} for t in texts]}


def _file(mime: str, uri: str, snake: bool = False) -> dict[str, Any]:
    if snake:
        return {"file_data": {"mime_type": mime, "file_uri": uri}}
    return {"fileData": {"mimeType": mime, "fileUri": uri}}


def _clip(start: str | None, end: str | None, snake: bool = False) -> dict[str, Any]:
    offsets = {"startOffset": start, "endOffset": end}
    clip = {(_snake(k) if snake else k): v for k, v in offsets.items() if v is not None}
    return {
        **_file("video/mp4", "gs://b/clip.mp4", snake),
        ("video_metadata" if snake else "videoMetadata"): clip,
    }


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name)


CALL = {"functionCall": {"name": "get_weather", "args": {"city": "Zürich", "days": 2}}}
RESPONSE = {"functionResponse": {"name": "get_weather", "response": {"forecast": ["sun", 21.5, None]}}}
TOOLS = [{"functionDeclarations": [{"name": "get_weather", "parameters": {"type": "OBJECT"}}]}]
CHAT = [_text("user", "Hi"), _text("model", "Hello! How can I help?")]

GOOD: list[dict[str, Any]] = [
    {"contents": CHAT},
    {"systemInstruction": {"role": "system", "parts": [{"text": "Be brief."}]}, "contents": CHAT},
    {"system_instruction": {"parts": [{"text": "Be brief."}, {"text": " Always."}]}, "contents": CHAT},
    {"systemInstruction": None, "contents": CHAT},
    {
        "contents": [
            {"role": "user", "parts": [_file("image/jpeg", "gs://b/cat.jpg"), {"text": "What?"}]},
            CHAT[1],
        ]
    },
    {"contents": [{"role": "user", "parts": [_file("video/mp4", "gs://b/v.mp4", snake=True)]}, CHAT[1]]},
    {"contents": [{"role": "user", "parts": [_file("application/pdf", "gs://b/d/x.pdf")]}, CHAT[1]]},
    {"contents": [{"role": "user", "parts": [_file("audio/mpeg", "gs://b/a.mp3")]}, CHAT[1]]},
    {
        "contents": [
            {
                "role": "user",
                "parts": [
                    {"fileData": {"mimeType": "image/png", "fileUri": "gs://b/p.png", "displayName": "p"}}
                ],
            },
            CHAT[1],
        ]
    },
    {
        "contents": [
            _text("user", "Weather?"),
            {"role": "model", "parts": [CALL]},
            {"role": "user", "parts": [RESPONSE]},
            _text("model", "Sunny."),
        ]
    },
    {"contents": [_text("user", "Weather?"), {"role": "model", "parts": [CALL]}], "tools": TOOLS},
    {
        "contents": [
            _text("user", "Weather?"),
            {"role": "model", "parts": [{"function_call": CALL["functionCall"]}]},
        ],
        "tools": [{"function_declarations": TOOLS[0]["functionDeclarations"]}],
    },
    {"contents": [_text("user", "天気は？ 🌤"), _text("model", "晴れ", "です。")], "tools": None},
    {"contents": [{"role": "user", "parts": [_clip("1s", "9.5s")]}, CHAT[1]]},
    {"contents": [{"role": "user", "parts": [_clip("0.25s", "300s", snake=True)]}, CHAT[1]]},
    {"contents": [{"role": "user", "parts": [_clip("12s", None)]}, CHAT[1]]},
    {"contents": [*CHAT, _text("user", "More"), _text("model", "x" * 9)]},
]

BAD: list[dict[str, Any]] = [
    {"contents": [_text("user", "Hi")]},  # last turn is not the model's
    {"contents": [_text("model", "Hi"), _text("user", "Yo")]},
    {"contents": [_text("user", "Hi"), _text("user", "Hi"), _text("model", "x"), _text("model", "y")]},
    {"contents": [_text("user", " \n"), _text("model", "x")]},  # a blank text
    {
        "contents": [
            {
                "role": "user",
                "parts": [{"text": "a", "fileData": {"mimeType": "image/png", "fileUri": "gs://b/o"}}],
            },
            CHAT[1],
        ]
    },
    {"contents": [{"role": "user", "parts": [_file("image/jpeg", "https://example.com/cat.jpg")]}, CHAT[1]]},
    {"contents": [{"role": "user", "parts": [_file("image/jpeg", "gs://bucket-only")]}, CHAT[1]]},
    {"contents": [{"role": "user", "parts": [_file("image/jpeg", "gs://b/dir/")]}, CHAT[1]]},
    {"contents": [{"role": "user", "parts": [_file("image/gif", "gs://b/x.gif")]}, CHAT[1]]},
    {
        "contents": [
            {
                "role": "user",
                "parts": [
                    {"fileData": {"mimeType": "image/png", "mime_type": "image/png", "fileUri": "gs://b/o"}}
                ],
            },
            CHAT[1],
        ]
    },
    {"contents": [{"role": "user", "parts": [{"fileData": {"fileUri": "gs://b/o"}}]}, CHAT[1]]},
    {
        "contents": [
            {
                "role": "user",
                "parts": [_file("video/mp4", "gs://b/1.mp4"), _file("video/mp4", "gs://b/2.mp4")],
            },
            CHAT[1],
        ]
    },
    {
        "contents": [
            {"role": "user", "parts": [_file("image/png", f"gs://b/{i}.png") for i in range(31)]},
            CHAT[1],
        ]
    },
    {"contents": [{"role": "user", "parts": [CALL]}, CHAT[1]]},  # the user makes no calls
    {"contents": [_text("user", "Weather?"), {"role": "model", "parts": [RESPONSE]}]},
    {
        "contents": [
            _text("user", "Weather?"),
            {"role": "model", "parts": [CALL]},
            {
                "role": "user",
                "parts": [{"functionResponse": {**RESPONSE["functionResponse"], "name": "other"}}],
            },
            CHAT[1],
        ]
    },
    {"contents": [_text("user", "Weather?"), {"role": "model", "parts": [CALL]}], "tools": []},
    {
        "contents": [_text("user", "Weather?"), {"role": "model", "parts": [CALL]}],
        "tools": [{"functionDeclarations": [{"name": "other"}]}],
    },
    {"contents": CHAT, "tools": [{"functionDeclarations": []}]},
    {"contents": CHAT, "tools": [{"functionDeclarations": [{"description": "no name"}]}]},
    {
        "contents": CHAT,
        "tools": [{"functionDeclarations": [{"name": "f"}], "function_declarations": [{"name": "f"}]}],
    },
    {"contents": CHAT, "systemInstruction": {"parts": [{"text": "a"}]}, "system_instruction": None},
    {"contents": CHAT, "systemInstruction": {"parts": [{"text": "  "}]}},
    {
        "contents": [
            {
                "role": "user",
                "parts": [
                    {
                        "file_data": {"mimeType": "image/png", "fileUri": "gs://b/o"},
                        "fileData": {"mimeType": "image/png", "fileUri": "gs://b/o"},
                    }
                ],
            },
            CHAT[1],
        ]
    },
    {"contents": [{"role": "user", "parts": [{}]}, CHAT[1]]},
    {"contents": [{"role": "user", "parts": [_clip("9s", "1s")]}, CHAT[1]]},  # ends before it starts
    {"contents": [{"role": "user", "parts": [_clip("1m", "2m")]}, CHAT[1]]},  # not seconds
    {"contents": [{"role": "user", "parts": [_clip("0s", "301s")]}, CHAT[1]]},  # over 5 minutes
    {
        "contents": [
            {
                "role": "user",
                "parts": [{**_file("image/png", "gs://b/i.png"), "videoMetadata": {"startOffset": "1s"}}],
            },
            CHAT[1],
        ]
    },
    {
        "contents": [
            {"role": "user", "parts": [{"text": "a", "videoMetadata": {"startOffset": "1s"}}]},
            CHAT[1],
        ]
    },
]

# Examples the walk leaves to the reader though they may be clean: the reader decides.
LEFT: list[dict[str, Any]] = [
    {"contents": [{"role": "user", "parts": [_file(" IMAGE/JPEG", "gs://b/x.jpg")]}, CHAT[1]]},
    {
        "contents": [
            {
                "role": "user",
                "parts": [{**_clip("1s", "2s"), "mediaResolution": {"level": "MEDIA_RESOLUTION_LOW"}}],
            },
            CHAT[1],
        ]
    },
    {"contents": [{"role": "user", "parts": [_clip("١s", "2s")]}, CHAT[1]]},  # an Arabic-Indic digit
]


def _line(example: dict[str, Any]) -> bytes:
    return json.dumps(example, ensure_ascii=False).encode()


def _decoded(line: bytes) -> Any:
    try:
        return DECODE(line)
    except msgspec.DecodeError:
        return None


def _benchmark_lines(count: int) -> list[bytes]:
    """Lines of the benchmark's generator (both shapes), which are shaped like Google's examples."""
    spec = importlib.util.spec_from_file_location(
        "validate_throughput", ROOT / "benchmarks" / "validate_throughput.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    lines = []
    for shape in module.SHAPES.values():
        rng = random.Random(shape.seed)
        lines += [_line(module._example(rng, shape, n)) for n in range(count)]
    return lines


def _lines() -> list[bytes]:
    return [_line(e) for e in GOOD + BAD + LEFT] + _benchmark_lines(150) + [b"not json", b'{"contents": []}']


@pytest.mark.parametrize("want_outputs", [False, True], ids=["counts", "with-outputs"])
@pytest.mark.parametrize("collect_media", [False, True], ids=["estimate", "collect-media"])
def test_c_and_python_walks_agree(want_outputs: bool, collect_media: bool) -> None:
    examples = [_decoded(line) for line in _lines()]
    spec = _walk_spec(PER, 1000, collect_media)
    assert _fastscan.gemini_walk(examples, spec, want_outputs) == _pyscan.gemini_walk(
        examples, spec, want_outputs
    )


def test_every_example_the_walk_takes_is_clean_to_the_general_reader() -> None:
    lines = _lines()
    spec = _walk_spec(PER, 1 << 62, False)
    status, tokens_in, tokens_out, outputs, _ = _fastscan.gemini_walk(
        [_decoded(x) for x in lines], spec, True
    )
    t_in, t_out = memoryview(tokens_in).cast("I"), memoryview(tokens_out).cast("I")
    modalities = list(Modality)
    taken = 0
    for index, line in enumerate(lines):
        if status[index] == 2:
            continue
        taken += 1
        example = read_example(json.loads(line), Kind.supervised)
        assert example.problems == [], line
        expected_in = -(-sum(map(len, example.texts_in)) // PER) + example.media_tokens
        assert (t_in[index], t_out[index]) == (expected_in, -(-sum(map(len, example.texts_out)) // PER)), line
        assert outputs is not None and outputs[index] == example.output, line
        # The chunk's totals, one example at a time.
        _, _, _, _, (spelling, multimodal, media_tokens, unknown, parts) = _fastscan.gemini_walk(
            [_decoded(line)], spec, False
        )
        assert spelling == example.spelling, line
        assert multimodal == (1 if example.media else 0)
        assert (media_tokens, unknown) == (example.media_tokens, example.media_unknown)
        assert list(parts) == [sum(1 for m in example.media if m.modality is mod) for mod in modalities]
    assert taken >= len(GOOD) + 250  # the walk takes the usual examples, media and calls included


@pytest.mark.parametrize("example", GOOD, ids=range(len(GOOD)))
def test_the_walk_takes_each_usual_shape(example: dict[str, Any]) -> None:
    status = _fastscan.gemini_walk([_decoded(_line(example))], _walk_spec(PER, 1 << 62, False), False)[0]
    assert status == b"\x00"


@pytest.mark.parametrize("example", BAD, ids=range(len(BAD)))
def test_the_walk_leaves_every_problem_to_the_general_reader(example: dict[str, Any]) -> None:
    status = _fastscan.gemini_walk([_decoded(_line(example))], _walk_spec(PER, 1 << 62, False), False)[0]
    assert status == b"\x02"
    assert read_example(example, Kind.supervised).problems != []


@pytest.mark.parametrize("example", LEFT, ids=range(len(LEFT)))
def test_the_walk_leaves_what_it_does_not_check_to_the_general_reader(example: dict[str, Any]) -> None:
    status = _fastscan.gemini_walk([_decoded(_line(example))], _walk_spec(PER, 1 << 62, False), False)[0]
    assert status == b"\x02"


def test_over_the_token_limit_is_taken_and_flagged() -> None:
    line = _line({"contents": [_text("user", "x" * 40), _text("model", "y" * 8)]})
    status, tokens_in, tokens_out, _, _ = _fastscan.gemini_walk(
        [_decoded(line)], _walk_spec(PER, 11, False), False
    )
    assert (status, memoryview(tokens_in).cast("I")[0], memoryview(tokens_out).cast("I")[0]) == (
        b"\x01",
        10,
        2,
    )


def test_a_copy_of_an_example_is_not_changed_by_the_walk() -> None:
    example = copy.deepcopy(GOOD[9])
    decoded = _decoded(_line(example))
    before = msgspec.json.encode(decoded)
    _fastscan.gemini_walk([decoded], _walk_spec(PER, 1 << 62, False), True)
    assert msgspec.json.encode(decoded) == before


# --- gemini_parse: the same results read from the bytes, or a decline -----------------------------


def _walked_one(line: bytes, spec: tuple[Any, ...]) -> tuple[int, int, int, tuple[Any, ...]]:
    status, tokens_in, tokens_out, _, totals = _fastscan.gemini_walk([_decoded(line)], spec, False)
    return status[0], memoryview(tokens_in).cast("I")[0], memoryview(tokens_out).cast("I")[0], totals


def _parsed_one(line: bytes, spec: tuple[Any, ...]) -> tuple[int, int, int, tuple[Any, ...]]:
    status, tokens_in, tokens_out, totals = _fastscan.gemini_parse(line, spec)
    return status[0], memoryview(tokens_in).cast("I")[0], memoryview(tokens_out).cast("I")[0], totals


def _assert_parse_agrees(line: bytes, spec: tuple[Any, ...]) -> bool:
    """Whatever the parser takes, msgspec decodes and the walk takes with the same results."""
    parsed = _parsed_one(line, spec)
    if parsed[0] == 3:
        return False
    assert _walked_one(line, spec) == parsed, line
    return True


_MUTATIONS = [
    b'"',
    b"\\",
    b",",
    b"{",
    b"}",
    b"[",
    b"]",
    b":",
    b" ",
    b"1.5",
    b"-0",
    b"\\u00e9",
    b"\\ud800",
    b"\xc3",
    b"\xe9",
    b"\x01",
    b"null",
    b'"x"',
    b"\\n",
    b"0",
    b"e",
]


def _mutants(line: bytes, rng: random.Random, count: int) -> list[bytes]:
    out = []
    for _ in range(count):
        at = rng.randrange(len(line))
        kind = rng.randrange(3)
        if kind == 0:
            out.append(line[:at] + line[at + 1 :])
        elif kind == 1:
            out.append(line[:at] + rng.choice(_MUTATIONS) + line[at:])
        else:
            out.append(line[:at] + rng.choice(_MUTATIONS) + line[at + 1 :])
    return out


def test_every_line_the_parser_takes_decodes_and_walks_the_same() -> None:
    spec = _walk_spec(PER, 1 << 62, False)
    lines = _lines()
    taken = sum(_assert_parse_agrees(line, spec) for line in lines)
    assert taken >= len(GOOD) + 250
    rng = random.Random(16)
    mutants = [m for line in lines for m in _mutants(line, rng, 6)]
    taken_mutants = sum(_assert_parse_agrees(m, spec) for m in mutants)
    assert (
        len(mutants) // 10 < taken_mutants < len(mutants)
    )  # some mutants stay valid (inside texts), most do not


_CHAT = (
    b'{"contents": [{"role": "user", "parts": [{"text": "%s"}]}, '
    b'{"role": "model", "parts": [{"text": "%s"}]}]}'
)


@pytest.mark.parametrize(
    "line",
    [
        _CHAT % (b'caf\\u00e9 \\ud83d\\ude00 \\"q\\" \\\\ \\/ \\n', b"ok"),
        (_CHAT % (b"x", b"\xe6\x9d\xb1 \xf0\x9f\x98\x80")).replace(b" ", b"") + b"\r",
        b"  " + _CHAT % (b"x", b"y") + b"  ",
        _CHAT % (b"\\u00a0\\u2003", b"y"),  # whitespace only, in other scripts
        _CHAT % (b"x", b"\\ud800"),  # a lone surrogate
        _CHAT % (b"\xed\xa0\x80", b"y"),  # a surrogate in UTF-8
        _CHAT % (b"\xc0\xaf", b"y"),  # an overlong encoding
        _CHAT % (b"a\x01b", b"y"),  # a raw control character
        _CHAT.replace(
            b'"role": "user", "parts": [{"text": "%s"}]', b'"parts": [{"text": "%s"}], "role": "user"'
        )
        % (b"x", b"y"),
        _CHAT.replace(b'{"text": "%s"}', b'{"text": "%s", "text": "z"}', 1) % (b"x", b"y"),
        b"\xef\xbb\xbf" + _CHAT % (b"x", b"y"),
        _CHAT % (b"x", b"y") + b" {}",
    ],
)
def test_the_parser_takes_escapes_and_unicode_and_declines_what_it_must(line: bytes) -> None:
    spec = _walk_spec(PER, 1 << 62, False)
    _assert_parse_agrees(line, spec)


@pytest.mark.parametrize(
    "args",
    [
        b'{"x": 1.5}',
        b'{"x": -0}',
        b'{"x": 1e3}',
        b'{"x": 12345678901234567890}',
        b'{"x": 1, "x": 2}',
        b'{"\\u0078": 1}',
        b'{"x": [1, "a", true, null, {"y": {}}]}',
        b"{}",
    ],
)
def test_function_arguments_are_counted_as_msgspec_writes_them_or_declined(args: bytes) -> None:
    line = (
        b'{"contents": [{"role": "user", "parts": [{"text": "Weather?"}]}, {"role": "model", "parts": '
        b'[{"functionCall": {"name": "f", "args": ' + args + b"}}]}]}"
    )
    spec = _walk_spec(PER, 1 << 62, False)
    taken = _assert_parse_agrees(line, spec)
    assert taken == (args in (b'{"x": [1, "a", true, null, {"y": {}}]}', b"{}"))


def test_the_scan_is_the_same_on_the_pure_python_twin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ops.datasets import scan as scan_module
    from ops.datasets.formats import Layout
    from ops.datasets.keys import KeyWriter
    from ops.datasets.scan import ScanOptions, scan_chunks
    from ops.datasets.tokens import EstimateTokenCounter

    lines = _benchmark_lines(100) + [_line(e) for e in GOOD + BAD + LEFT]
    # Chunks of 16 lines: the first ones are walked with their outputs (classification check), the
    # rest parsed once the outputs show the set is not a classification set.
    chunks = [b"\n".join(lines[i : i + 16]) + b"\n" for i in range(0, len(lines), 16)]

    def scanned(name: str) -> Any:
        options = ScanOptions(Layout.gemini_supervised, 1000)
        return scan_chunks(chunks, options, EstimateTokenCounter(), KeyWriter(tmp_path, name))

    calls: list[int] = []
    parse = scan_module.gemini_parse

    def counted(*args: Any) -> Any:
        calls.append(1)
        return parse(*args)

    monkeypatch.setattr(scan_module, "gemini_parse", counted)
    compiled = scanned("c")
    assert len(calls) > len(chunks) // 2 and compiled.labels is None
    monkeypatch.setattr(scan_module, "gemini_parse", _pyscan.gemini_parse)
    monkeypatch.setattr(scan_module, "gemini_walk", _pyscan.gemini_walk)
    assert scanned("py") == compiled
