"""The line scanner: one pass over a byte range of a JSONL file, collecting everything the report needs.

A line takes the fast path when msgspec decodes it straight into the file's format Struct (types,
roles and non-empty texts checked in C); only lines that fail it are decoded again with the `json`
module (for exact line/column positions) and walked with the format's schema to name every problem.
Per example the scanner keeps only fixed-size numbers (line, two 64-bit hashes, two token counts), so
memory grows by ~28 bytes per example, never with the size of the texts.

Ranges are independent: `validate` runs one scanner per CPU over line-aligned ranges of a local
file and adds the line offsets afterwards.
"""

from __future__ import annotations

import gc
import json
import re
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import msgspec

from ops.datasets.formats import (
    FAST,
    INSPECT,
    SCHEMAS,
    STRUCTS,
    BlankText,
    ExampleView,
    Layout,
    detect_layout,
    walk,
)
from ops.datasets.tokens import EstimateTokenCounter, TokenCounter

BOM = b"\xef\xbb\xbf"
_INLINE_WHITESPACE = b" \t\r\x0b\x0c"  # every ASCII whitespace byte but the newline
_ASCII_LOWER = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"abcdefghijklmnopqrstuvwxyz")
MAX_LABELS = 64  # more distinct outputs than this and the set is not a classification set
MAX_LABEL_CHARS = 64  # a longer output is generated text, not a class label
PROMPT_SAMPLES = 200  # prompts kept to look for a class list written in them
_COUNT_BATCH = 128

Issue = tuple[int | None, int | None, str, str]  # (line, column, code, message)


@dataclass(frozen=True)
class ScanOptions:
    layout: Layout | None
    max_tokens_per_example: int | None
    at_file_start: bool = True


@dataclass
class RangeResult:
    lines: int = 0
    examples: int = 0
    issues: list[Issue] = field(default_factory=list)
    example_lines: array[int] = field(default_factory=lambda: array("I"))
    exact_keys: array[int] = field(default_factory=lambda: array("q"))
    normalized_keys: array[int] = field(default_factory=lambda: array("q"))
    input_tokens: array[int] = field(default_factory=lambda: array("I"))
    output_tokens: array[int] = field(default_factory=lambda: array("I"))
    labels: dict[str, int] | None = field(default_factory=dict)
    prompts: list[str] = field(default_factory=list)
    layout: Layout | None = None


def normalize_block(text: bytes) -> bytes:
    """Lines with ASCII letters lower-cased and whitespace removed (spaces and tabs between JSON tokens
    and in texts, and the JSON escapes \\n, \\t, \\r inside texts); newlines are kept."""
    text = text.translate(_ASCII_LOWER, _INLINE_WHITESPACE)
    if b"\\" in text:
        text = text.replace(b"\\n", b"").replace(b"\\t", b"").replace(b"\\r", b"")
    return text


def exact_key(line: bytes) -> int:
    """Duplicates are byte-identical lines (after trailing whitespace such as a CR)."""
    return hash(line.rstrip())


def normalized_key(line: bytes) -> int:
    """Catches copies that differ only in spacing, line breaks or ASCII case (see normalize_block).
    Keys are 64-bit hashes: a false match among n examples has probability ~n^2/2^65 (3e-8 at 1M)."""
    return hash(normalize_block(line))


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _json_syntax_issue(line: int, text: str) -> Issue | None:
    try:
        json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        return (line, exc.colno, "json-syntax", exc.msg)
    except ValueError as exc:
        return (line, None, "json-syntax", str(exc))
    except RecursionError:
        return (line, None, "json-syntax", "the JSON nests too deeply")
    return None


_SURROGATE_ESCAPE = re.compile(
    r"(?<!\\)(?:\\\\)*\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F])|"
    r"(?<!\\u[dD][89abAB][0-9a-fA-F]{2})(?<!\\)(?:\\\\)*\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)


def _lone_surrogate(text: str) -> int | None:
    """Column of a \\uD800-\\uDFFF escape without its pair: valid JSON syntax, but no character, so
    strict parsers (msgspec among them) reject it while Python's json module lets it through."""
    if "\\u" not in text:
        return None
    match = _SURROGATE_ESCAPE.search(text)
    return None if match is None else match.start() + 1


class Scanner:
    """Scans lines of one range; `scan(blocks)` returns its RangeResult."""

    def __init__(self, options: ScanOptions, counter: TokenCounter) -> None:
        self.options = options
        self.counter = counter
        self.estimate = counter.chars_per_token if isinstance(counter, EstimateTokenCounter) else None
        self.result = RangeResult(layout=options.layout)
        self._limit = options.max_tokens_per_example
        self._pending: list[tuple[int, ExampleView]] = []  # examples waiting for an exact counter
        self._set_layout(options.layout)

    def _set_layout(self, layout: Layout | None) -> None:
        self.result.layout = layout
        self._decode = msgspec.json.Decoder(STRUCTS[layout]).decode if layout else None

    # -- the hot loop ---------------------------------------------------------------------------------

    def scan(self, blocks: Iterable[bytes]) -> RangeResult:
        # Nothing the scan allocates forms cycles; the collector would only re-walk live objects.
        collecting = gc.isenabled()
        gc.disable()
        try:
            return self._scan(blocks)
        finally:
            if collecting:
                gc.enable()

    def _scan(self, blocks: Iterable[bytes]) -> RangeResult:
        result = self.result
        lineno = 0
        for chunk in whole_line_chunks(blocks):
            lines = chunk.split(b"\n")
            # Normalising a whole chunk at once costs a third less than line by line; newlines
            # survive it, so the normalised lines pair up with the lines.
            normalized = normalize_block(chunk).split(b"\n")
            if chunk.endswith(b"\n"):
                lines.pop()
                normalized.pop()
            lineno = self._lines(lines, lineno, normalized)
        self._flush_counts()
        result.lines = lineno
        return result

    def _lines(self, lines: list[bytes], lineno: int, normalized: list[bytes]) -> int:
        decode = self._decode
        layout = self.result.layout
        if decode is None or layout is None:
            for line in lines:
                lineno += 1
                self._slow(lineno, line)
            return lineno
        if self.estimate is None:
            return self._lines_counted(lines, lineno, decode, layout)
        # The hot loop: everything it touches is bound to a local first.
        result = self.result
        fast = FAST[layout]
        per = self.estimate
        limit = self._limit if self._limit is not None else 1 << 62
        issues = result.issues
        add_line = result.example_lines.append
        add_in = result.input_tokens.append
        add_out = result.output_tokens.append
        add_exact = result.exact_keys.append
        add_normalized = result.normalized_keys.append
        examples = 0
        for line, line_key in zip(lines, normalized, strict=True):
            lineno += 1
            try:
                example = decode(line)
                chars_in, chars_out, output, problems = fast(example)
            except (msgspec.DecodeError, UnicodeDecodeError, BlankText):
                self._slow(lineno, line)
                continue
            examples += 1
            if problems:
                issues.extend((lineno, None, code, message) for code, message in problems)
            tokens_in = -(-chars_in // per)
            tokens_out = -(-chars_out // per)
            if tokens_in + tokens_out > limit:
                self._check_tokens(lineno, tokens_in, tokens_out)
            add_line(lineno)
            add_in(tokens_in)
            add_out(tokens_out)
            add_exact(hash(line.rstrip()))
            add_normalized(hash(line_key))
            if output is not None and result.labels is not None:
                self._count_label(output)
                if len(result.prompts) < PROMPT_SAMPLES:
                    result.prompts.append(INSPECT[layout](example)[0].prompt[:4000])
        result.examples += examples
        return lineno

    def _lines_counted(self, lines: list[bytes], lineno: int, decode: Any, layout: Layout) -> int:
        """Lines for an exact (remote) counter: slow anyway, so the plain per-example path."""
        inspect = INSPECT[layout]
        issues = self.result.issues
        for line in lines:
            lineno += 1
            try:
                view, problems = inspect(decode(line))
            except (msgspec.DecodeError, UnicodeDecodeError, BlankText):
                self._slow(lineno, line)
                continue
            self.result.examples += 1
            if problems:
                issues.extend((lineno, None, code, message) for code, message in problems)
            self._record(lineno, line, view)
        return lineno

    def _record(self, lineno: int, line: bytes, view: ExampleView) -> None:
        result = self.result
        per = self.estimate
        if per is not None:
            tokens_in = -(-sum(map(len, view.input_texts)) // per)
            tokens_out = -(-sum(map(len, view.output_texts)) // per)
            if self._limit is not None and tokens_in + tokens_out > self._limit:
                self._check_tokens(lineno, tokens_in, tokens_out)
            result.input_tokens.append(tokens_in)
            result.output_tokens.append(tokens_out)
        else:
            result.input_tokens.append(0)
            result.output_tokens.append(0)
            self._pending.append((lineno, view))
            if len(self._pending) >= _COUNT_BATCH:
                self._flush_counts()
        result.example_lines.append(lineno)
        result.exact_keys.append(exact_key(line))
        result.normalized_keys.append(normalized_key(line))
        output = view.output
        if output is not None and result.labels is not None:
            self._count_label(output)
            if len(result.prompts) < PROMPT_SAMPLES:
                result.prompts.append(view.prompt[:4000])

    def _count_label(self, output: str) -> None:
        labels = self.result.labels
        assert labels is not None
        label = output.strip()
        if len(label) > MAX_LABEL_CHARS:
            self.result.labels = None
        else:
            labels[label] = labels.get(label, 0) + 1
            if len(labels) > MAX_LABELS:
                self.result.labels = None

    def _check_tokens(self, lineno: int, tokens_in: int, tokens_out: int) -> None:
        limit = self.options.max_tokens_per_example
        if limit is not None and tokens_in + tokens_out > limit:
            self.result.issues.append(
                (
                    lineno,
                    None,
                    "too-many-tokens",
                    f"{tokens_in + tokens_out:,} tokens ({tokens_in:,} in, {tokens_out:,} out) "
                    f"is over the limit of {limit:,} per example",
                )
            )

    def _flush_counts(self) -> None:
        """Count the pending examples with an exact counter: one batch of texts per call."""
        if not self._pending:
            return
        texts: list[str] = []
        for _, view in self._pending:
            texts.append("\n".join(view.input_texts))
            texts.append("\n".join(view.output_texts))
        counts = self.counter.count(texts)
        result = self.result
        base = len(result.input_tokens) - len(self._pending)
        for i, (lineno, _) in enumerate(self._pending):
            tokens_in, tokens_out = counts[2 * i], counts[2 * i + 1]
            result.input_tokens[base + i] = tokens_in
            result.output_tokens[base + i] = tokens_out
            self._check_tokens(lineno, tokens_in, tokens_out)
        self._pending.clear()

    # -- the slow path: name every problem of a line the fast path rejected ---------------------------

    def _slow(self, lineno: int, line: bytes) -> None:
        issues = self.result.issues
        if lineno == 1 and self.options.at_file_start and line.startswith(BOM):
            issues.append(
                (1, 1, "utf8-bom", "the file starts with a UTF-8 byte-order mark; save it without one")
            )
            line = line[len(BOM) :]
        if not line.strip():
            issues.append((lineno, None, "blank-line", "empty line; JSONL holds one example on every line"))
            return
        self.result.examples += 1
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad = line[exc.start : exc.start + 1].hex()
            issues.append((lineno, exc.start + 1, "invalid-utf8", f"byte 0x{bad} is not valid UTF-8"))
            return
        syntax = _json_syntax_issue(lineno, text)
        if syntax is not None:
            issues.append(syntax)
            return
        surrogate = _lone_surrogate(text)
        if surrogate is not None:
            issues.append(
                (lineno, surrogate, "invalid-utf8", "a \\u escape encodes a lone surrogate, not a character")
            )
            return
        obj = json.loads(text)
        if not isinstance(obj, dict):
            kind = (
                type(obj)
                .__name__.replace("NoneType", "null")
                .replace("str", "string")
                .replace("list", "array")
            )
            issues.append(
                (lineno, None, "not-an-object", f"the line is a JSON {kind}; each line must be an object")
            )
            return
        found = detect_layout(obj)
        if found is None:
            keys = ", ".join(sorted(obj)[:6]) or "no keys"
            issues.append(
                (
                    lineno,
                    None,
                    "unknown-format",
                    f"keys ({keys}) match no dataset format; expected input_text/output_text, "
                    "contents, candidate_0/candidate_1/choice, or contents + completions",
                )
            )
            return
        if self.result.layout is None:
            self._set_layout(found)
        if found is not self.result.layout:
            issues.append(
                (
                    lineno,
                    None,
                    "mixed-formats",
                    f"this line is {found.value}; the file's examples are {self.result.layout}",
                )
            )
            return
        problems: list[tuple[str, str]] = []
        walk(obj, SCHEMAS[found], "$", problems)
        if not problems:
            try:
                view, more = INSPECT[found](msgspec.convert(obj, STRUCTS[found]))
            except (msgspec.ValidationError, BlankText) as exc:  # schema and Struct disagree: report it
                problems.append(("wrong-type", str(exc) or "a field has the wrong type"))
            else:
                problems.extend(more)
                self._record(lineno, line, view)
        issues.extend((lineno, None, code, message) for code, message in problems)


def scan_blocks(blocks: Iterable[bytes], options: ScanOptions, counter: TokenCounter) -> RangeResult:
    return Scanner(options, counter).scan(blocks)


def whole_line_chunks(blocks: Iterable[bytes]) -> Iterator[bytes]:
    """The bytes regrouped into chunks that end just after a newline (the last one may not).

    A line longer than a block is gathered in a list and joined once, not re-copied per block."""
    pending: list[bytes] = []
    for block in blocks:
        cut = block.rfind(b"\n") + 1
        if cut == 0:
            if block:
                pending.append(block)
            continue
        if pending:
            pending.append(block[:cut])
            yield b"".join(pending)
            pending = []
        else:
            yield block if cut == len(block) else block[:cut]
        if cut < len(block):
            pending.append(block[cut:])
    if pending:
        yield b"".join(pending)


def iter_lines(blocks: Iterable[bytes]) -> Iterator[tuple[int, bytes]]:
    """(line number, line bytes without the newline), streaming."""
    lineno = 0
    for chunk in whole_line_chunks(blocks):
        lines = chunk.split(b"\n")
        if chunk.endswith(b"\n"):
            lines.pop()
        for line in lines:
            lineno += 1
            yield lineno, line


def lines_with_outputs(blocks: Iterable[bytes], layout: Layout, outputs: set[str]) -> list[tuple[int, str]]:
    """Second pass for the classification check: the lines whose (stripped) output is in `outputs`."""
    decode = msgspec.json.Decoder(STRUCTS[layout]).decode
    inspect = INSPECT[layout]
    found = []
    for lineno, line in iter_lines(blocks):
        try:
            view, _ = inspect(decode(line[len(BOM) :] if lineno == 1 and line.startswith(BOM) else line))
        except (msgspec.DecodeError, UnicodeDecodeError, BlankText):
            continue
        if view.output is not None and view.output.strip() in outputs:
            found.append((lineno, view.output.strip()))
    return found
