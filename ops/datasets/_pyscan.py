"""The pure-Python twin of the scanner's C fast path (`_fastscan.c`), used when tunectl was installed
without a C compiler (the extension is optional in pyproject.toml).

Same functions, same results, bit for bit: the duplicate keys are wyhash final 4 (Wang Yi, public
domain, github.com/wangyi-fudan/wyhash; default secret, seed 0) of the same bytes, so keys computed
by either agree, and `tests/test_dataset_pyscan.py` holds this module to the compiled one as its
oracle. It is slower (benchmarks/scanner_fallback.py measures by how much); nothing else changes.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Sequence
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
