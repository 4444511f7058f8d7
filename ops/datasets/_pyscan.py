"""The pure-Python twin of the scanner's C fast path (`_fastscan.c`), used when tunectl was installed
without a C compiler (the extension is optional in pyproject.toml).

Same functions, same results, bit for bit: the duplicate keys are wyhash final 4 (Wang Yi, public
domain, github.com/wangyi-fudan/wyhash; default secret, seed 0) of the same bytes, so keys computed
by either agree, and `tests/test_dataset_pyscan.py` and `tests/test_dataset_walk.py` hold this
module to the compiled one as its oracle. One exception: `gemini_parse` is an accelerator that may
decline any line (the scanner then decodes and walks it); this twin declines every line, so the
scan's results are the same. It is all slower (benchmarks/scanner_fallback.py measures by how
much); nothing else changes.
"""

from __future__ import annotations

import re
import struct
from array import array
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing_extensions import Buffer

_M64 = (1 << 64) - 1
_WYP = (0x2D358DCCAA6C78A5, 0x8BB84B93962EACC9, 0x4B33A62ED433D4A3, 0x4D5A2DA51DE1AA47)
_WHITESPACE = b" \t\n\r\v\f"  # bytes.rstrip()'s, and what the normalized form drops
_LOWER = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"abcdefghijklmnopqrstuvwxyz")
# Left to right, as the C loop reads: an escaped line break or tab goes (it is whitespace in the
# text); an escaped backslash stays whole, so its second half starts no escape.
_ESCAPES = re.compile(rb"\\(?:[ntr]|\\)")


def _mum(a: int, b: int) -> tuple[int, int]:
    product = a * b
    return product & _M64, product >> 64


def _mix(a: int, b: int) -> int:
    low, high = _mum(a, b)
    return low ^ high


def _r8(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 8], "little")


def _r4(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 4], "little")


def wyhash(data: bytes) -> int:
    """wyhash final 4 of `data`, seed 0: the unsigned 64-bit value `_fastscan.c` computes."""
    length = len(data)
    seed = _mix(_WYP[0], _WYP[1])
    if length <= 16:
        if length >= 4:
            step = (length >> 3) << 2
            a = (_r4(data, 0) << 32) | _r4(data, step)
            b = (_r4(data, length - 4) << 32) | _r4(data, length - 4 - step)
        elif length > 0:
            a, b = (data[0] << 16) | (data[length >> 1] << 8) | data[length - 1], 0
        else:
            a = b = 0
    else:
        at, left = 0, length
        if left > 48:
            see1 = see2 = seed
            while True:
                seed = _mix(_r8(data, at) ^ _WYP[1], _r8(data, at + 8) ^ seed)
                see1 = _mix(_r8(data, at + 16) ^ _WYP[2], _r8(data, at + 24) ^ see1)
                see2 = _mix(_r8(data, at + 32) ^ _WYP[3], _r8(data, at + 40) ^ see2)
                at += 48
                left -= 48
                if left <= 48:
                    break
            seed ^= see1 ^ see2
        while left > 16:
            seed = _mix(_r8(data, at) ^ _WYP[1], _r8(data, at + 8) ^ seed)
            left -= 16
            at += 16
        a, b = _r8(data, at + left - 16), _r8(data, at + left - 8)
    a, b = _mum(a ^ _WYP[1], b ^ seed)
    return _mix(a ^ _WYP[0] ^ length, b ^ _WYP[1])


def _signed(value: int) -> int:
    return value - (1 << 64) if value >> 63 else value


def _keep_escape(match: re.Match[bytes]) -> bytes:
    return match[0] if match[0] == b"\\\\" else b""


def normalized(line: bytes) -> bytes:
    """ASCII letters lower-cased, ASCII whitespace and the escapes \\n, \\t, \\r removed."""
    return _ESCAPES.sub(_keep_escape, line).translate(_LOWER, _WHITESPACE)


def _keys(line: bytes) -> tuple[int, int]:
    return _signed(wyhash(line.rstrip(_WHITESPACE))), _signed(wyhash(normalized(line)))


def line_keys(line: Buffer, /) -> tuple[int, int]:
    """(exact, normalized): the two duplicate keys of one line (no newline in it)."""
    return _keys(bytes(line))


def _braced(line: bytes) -> bool:
    stripped = line.strip(_WHITESPACE)
    return stripped[:1] == b"{" and stripped[-1:] == b"}"


def block_keys(block: Buffer, /) -> tuple[bytes, bytes, bool]:
    """The keys of every line of a block, each a bytes of native int64s, one per line (a final
    newline ends the last line; it starts none), and whether every line is braced."""
    data = bytes(block)
    lines = data.split(b"\n") if data else []
    if data.endswith(b"\n"):
        lines.pop()
    exact, normal = array("q"), array("q")
    for line in lines:
        e, n = _keys(line)
        exact.append(e)
        normal.append(n)
    return exact.tobytes(), normal.tobytes(), bool(lines) and all(map(_braced, lines))


def text_chars(parts: Sequence[Any], /) -> int:
    """The characters of the parts' texts, or -1 when one is whitespace only."""
    if not isinstance(parts, list):
        raise TypeError("parts must be a list")
    total = 0
    for part in parts:
        text = part.text
        if not isinstance(text, str):
            raise TypeError("a part's text must be a str")
        total += len(text)
        if text.isspace():
            return -1
    return total


def turns_chars(turns: Sequence[Any], /) -> tuple[int, bool]:
    """(chars, alternating): the characters of every part's text (-1 when one is whitespace only),
    and whether the roles are user, model, user, model, ... ending with model."""
    if not isinstance(turns, list):
        raise TypeError("turns must be a list")
    total, alternating = 0, len(turns) % 2 == 0
    for index, turn in enumerate(turns):
        role = turn.role
        if alternating:
            alternating = isinstance(role, str) and role == ("model" if index % 2 else "user")
        chars = text_chars(turn.parts)
        if chars == -1:
            total = -1
            break
        total += chars
    return total, alternating


def _set_simd(on: bool, /) -> bool:
    """The C module's switch between its SIMD and scalar paths; there is one path here."""
    del on
    return False


# --- the whole Gemini supervised example (see gemini_walk in _fastscan.c) ------------------------

_OK, _OVER_LIMIT, _SLOW = 0, 1, 2
_CAMEL, _SNAKE = 1, 2
_DURATION = re.compile(r"[0-9]+(?:\.[0-9]{1,9})?s")


class _Slow(Exception):
    """The example is left to the general reader."""


def _either(obj: Any, camel: str, snake: str, unset: Any, spelling: list[int]) -> Any:
    a, b = getattr(obj, camel), getattr(obj, snake)
    if a is not unset and b is not unset:
        raise _Slow
    if a is unset and b is unset:
        return unset
    spelling[0] |= _CAMEL if a is not unset else _SNAKE
    return a if a is not unset else b


def _encoded_chars(value: Any, encode: Any) -> int:
    encoded = encode(value)
    if not isinstance(encoded, bytes):
        raise TypeError("encode must return bytes")
    return len(encoded) - sum(1 for byte in encoded if byte & 0xC0 == 0x80)


def _gcs_object(uri: Any) -> bool:
    return isinstance(uri, str) and uri.startswith("gs://") and "/" in uri[5:] and not uri.endswith("/")


def _clip_seconds(video: Any, unset: Any, spelling: list[int]) -> float | None:
    offsets: list[float | None] = []
    for camel, snake in (("startOffset", "start_offset"), ("endOffset", "end_offset")):
        text = _either(video, camel, snake, unset, spelling)
        if text is unset:
            offsets.append(None)
            continue
        if not isinstance(text, str) or _DURATION.fullmatch(text) is None or len(text) > 64:
            raise _Slow
        offsets.append(float(text[:-1]))
    start, end = offsets
    if start is None or end is None:
        return None
    if end <= start:
        raise _Slow
    return end - start


class _Example:
    """One example's walk (the C function's walk_example, in Python)."""

    def __init__(self, spec: tuple[Any, ...], want_output: bool) -> None:
        (
            self.unset,
            self.encode,
            self.mimes,
            self.table,
            self.per,
            self.limit,
            self.collect_media,
            self.video,
        ) = spec
        self.want_output = want_output
        self.spelling = [0]
        self.counts = [0] * len(self.table)
        self.seconds = [0.0] * len(self.table)
        self.media_tokens = self.media_unknown = 0

    def file(self, file: Any, video: Any) -> None:
        unset = self.unset
        mime = _either(file, "mimeType", "mime_type", unset, self.spelling)
        if mime is unset:
            raise _Slow
        uri = _either(file, "fileUri", "file_uri", unset, self.spelling)
        if uri is unset:
            raise _Slow
        _either(file, "displayName", "display_name", unset, self.spelling)
        if self.collect_media or not isinstance(mime, str) or not _gcs_object(uri):
            raise _Slow
        modality = self.mimes.get(mime)
        if modality is None or not 0 <= modality < len(self.table):
            raise _Slow
        seconds = None
        if video is not None:
            if modality != self.video:
                raise _Slow
            seconds = _clip_seconds(video, unset, self.spelling)
        per_item, _, per_second, _ = self.table[modality]
        self.counts[modality] += 1
        self.seconds[modality] += seconds if seconds is not None else 0
        if per_item >= 0:
            self.media_tokens += per_item
        elif per_second >= 0 and seconds is not None:
            self.media_tokens += -(-int(seconds * 1000) * per_second // 1000)
        else:
            self.media_unknown += 1

    def walk(self, ex: Any) -> tuple[int, int, int, str | None]:
        unset, spelling = self.unset, self.spelling
        chars_in = chars_out = 0
        if ex is None:
            raise _Slow
        system = _either(ex, "systemInstruction", "system_instruction", unset, spelling)
        if system is not unset and system is not None:
            chars = text_chars(system.parts)
            if chars == -1:
                raise _Slow
            chars_in += chars
        tools = ex.tools
        declared: list[str] = []
        if tools is not None:
            if not isinstance(tools, list):
                raise _Slow
            for tool in tools:
                declarations = _either(tool, "functionDeclarations", "function_declarations", unset, spelling)
                if declarations is unset or not isinstance(declarations, list) or not declarations:
                    raise _Slow
                for declaration in declarations:
                    if not isinstance(declaration, dict) or len(declared) == 32:
                        raise _Slow
                    name = declaration.get("name")
                    if not isinstance(name, str) or not name:
                        raise _Slow
                    declared.append(name)
                    chars_in += _encoded_chars(declaration, self.encode)
        contents = ex.contents
        if not isinstance(contents, list) or not contents or len(contents) % 2:
            raise _Slow
        previous: list[str] = []
        output = None
        for index, turn in enumerate(contents):
            role = turn.role
            model = role == "model"
            if role != ("model" if index % 2 else "user"):
                raise _Slow
            parts = turn.parts
            if not isinstance(parts, list) or not parts:
                raise _Slow
            turn_chars, only_text = 0, True
            calls: list[str] = []
            texts: list[str] = []
            for part in parts:
                text = part.text
                file = _either(part, "fileData", "file_data", unset, spelling)
                call = _either(part, "functionCall", "function_call", unset, spelling)
                response = _either(part, "functionResponse", "function_response", unset, spelling)
                video = _either(part, "videoMetadata", "video_metadata", unset, spelling)
                if _either(part, "mediaResolution", "media_resolution", unset, spelling) is not unset:
                    raise _Slow
                kinds = (
                    (text is not unset) + (file is not unset) + (call is not unset) + (response is not unset)
                )
                if kinds != 1 or (video is not unset and file is unset):
                    raise _Slow
                if text is not unset:
                    if not isinstance(text, str) or not text or text.isspace():
                        raise _Slow
                    turn_chars += len(text)
                    texts.append(text)
                elif file is not unset:
                    self.file(file, None if video is unset else video)
                else:
                    value = call if call is not unset else response
                    name = value.name
                    if not isinstance(name, str) or not name:
                        raise _Slow
                    if call is not unset:
                        if not model or len(calls) == 32 or (tools is not None and name not in declared):
                            raise _Slow
                        calls.append(name)
                    elif model or name not in previous:
                        raise _Slow
                    turn_chars += _encoded_chars(value, self.encode)
                    only_text = False
            previous = calls
            if index == len(contents) - 1:
                chars_out = turn_chars
                if self.want_output and not only_text:
                    raise _Slow
                output = "".join(texts)
            else:
                chars_in += turn_chars
        for (_, max_per, _, max_seconds), count, seconds in zip(
            self.table, self.counts, self.seconds, strict=True
        ):
            if (max_per >= 0 and count > max_per) or (max_seconds >= 0 and seconds > max_seconds):
                raise _Slow
        tokens_in = -(-chars_in // self.per) + self.media_tokens
        tokens_out = -(-chars_out // self.per)
        if tokens_in > 0xFFFFFFFF or tokens_out > 0xFFFFFFFF:
            raise _Slow
        status = _OVER_LIMIT if tokens_in + tokens_out > self.limit else _OK
        return status, tokens_in, tokens_out, output if self.want_output else None


def gemini_walk(
    examples: list[Any], spec: tuple[Any, ...], want_outputs: bool, /
) -> tuple[bytes, bytes, bytes, list[str | None] | None, tuple[int, int, int, int, tuple[int, ...]]]:
    """The per-example work of a chunk of Gemini supervised examples: each one's status (0 taken,
    1 taken but over the token limit, 2 left to the general reader), token counts, output (when
    asked), and the chunk's totals (spelling, multimodal examples, media tokens, media parts of
    unknown tokens, media parts by modality)."""
    if not isinstance(examples, list):
        raise TypeError("examples must be a list")
    if not isinstance(spec, tuple) or len(spec) != 8 or not isinstance(spec[2], dict):
        raise TypeError("bad walk spec")
    if len(spec[3]) > 8 or spec[4] <= 0:
        raise ValueError("bad walk spec")
    status, tokens_in, tokens_out = bytearray(), array("I"), array("I")
    outputs: list[str | None] | None = [] if want_outputs else None
    spelling = multimodal = media_tokens = media_unknown = 0
    by_modality = [0] * len(spec[3])
    for ex in examples:
        walk = _Example(spec, want_outputs)
        try:
            code, a, b, output = walk.walk(ex)
        except _Slow:
            code, a, b, output = _SLOW, 0, 0, None
        else:
            spelling |= walk.spelling[0]
            media_tokens += walk.media_tokens
            media_unknown += walk.media_unknown
            multimodal += any(walk.counts)
            by_modality = [x + y for x, y in zip(by_modality, walk.counts, strict=True)]
        status.append(code)
        tokens_in.append(a)
        tokens_out.append(b)
        if outputs is not None:
            outputs.append(output)
    totals = (spelling, multimodal, media_tokens, media_unknown, tuple(by_modality))
    return bytes(status), tokens_in.tobytes(), tokens_out.tobytes(), outputs, totals


def gemini_parse(
    block: Buffer, spec: tuple[Any, ...], /
) -> tuple[bytes, bytes, bytes, tuple[int, int, int, int, tuple[int, ...]]]:
    """`gemini_walk`'s results read from the JSON bytes of each line (status 3: declined, for the
    caller to decode and walk). The C parser is an accelerator that may decline any line; this twin
    declines them all, so the scanner decodes and walks every line (the same results, slower)."""
    data = bytes(block)
    count = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
    if not isinstance(spec, tuple) or len(spec) != 8:
        raise TypeError("bad walk spec")
    return b"\x03" * count, bytes(4 * count), bytes(4 * count), (0, 0, 0, 0, (0,) * len(spec[3]))


# --- the key store's records (see _fastscan.c) ----------------------------------------------------

_RECORD = struct.Struct("=Iqq")  # line, exact key, normalized key: packed, the machine's byte order
_PARTITIONS, _PARTITION_SHIFT = 16, 60
_EXACT_KEY, _NORMALIZED_KEY = 1, 2


def partition_records(lines: Buffer, exact: Buffer, normalized: Buffer, /) -> tuple[bytes, ...]:
    """The 20-byte records (line, exact key, normalized key) of each of the 16 partitions, in input
    order; the inputs are buffers of uint32 lines and int64 keys, one per example."""
    numbers = memoryview(lines).cast("B").cast("I")
    exact_keys = memoryview(exact).cast("B").cast("q")
    normalized_keys = memoryview(normalized).cast("B").cast("q")
    if not len(numbers) == len(exact_keys) == len(normalized_keys):
        raise ValueError("partition_records: lines (uint32) and keys (int64) differ in length")
    parts = [bytearray() for _ in range(_PARTITIONS)]
    for line, e, n in zip(numbers, exact_keys, normalized_keys, strict=True):
        parts[(n >> _PARTITION_SHIFT) & (_PARTITIONS - 1)] += _RECORD.pack(line, e, n)
    return tuple(map(bytes, parts))


def _records(segments: Sequence[tuple[Buffer, int]], key: int) -> Iterator[tuple[int, int]]:
    """(key, line) of every record of the segments, line offsets added, in order."""
    if key not in (_EXACT_KEY, _NORMALIZED_KEY):
        raise ValueError("repeats: key is 1 (exact) or 2 (normalized)")
    for segment in segments:
        if not isinstance(segment, tuple) or len(segment) != 2 or not isinstance(segment[1], int):
            raise TypeError("segments: a sequence of (records, line offset) tuples")
        records, offset = segment
        if len(memoryview(records).cast("B")) % _RECORD.size:
            raise ValueError("segments: records are 20 bytes each")
        for line, e, n in _RECORD.iter_unpack(records):
            yield (e if key == _EXACT_KEY else n), line + offset


def repeats(segments: Sequence[tuple[Buffer, int]], key: int, /) -> list[tuple[int, int]]:
    """(line, first line) of every record whose key (1 exact, 2 normalized) an earlier record had."""
    first: dict[int, int] = {}
    found = []
    for k, line in _records(segments, key):
        if k in first:
            found.append((line, first[k]))
        else:
            first[k] = line
    return found


def matches(
    segments: Sequence[tuple[Buffer, int]], reference: Sequence[tuple[Buffer, int]], /
) -> list[tuple[int, int]]:
    """(line, reference line) of every record whose normalized key is in the reference segments."""
    first: dict[int, int] = {}
    for k, line in _records(reference, _NORMALIZED_KEY):
        first.setdefault(k, line)
    return [(line, first[k]) for k, line in _records(segments, _NORMALIZED_KEY) if k in first]
