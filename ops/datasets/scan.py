"""The line scanner: one pass over a byte range of a JSONL file, collecting everything the report needs.

A line takes the fast path when msgspec decodes it straight into the file's format Struct (types,
roles and non-empty texts checked in C); only lines that fail it are decoded again with the `json`
module (for exact line/column positions) and walked with the format's schema to name every problem.
Gemini supervised lines counted with the estimate go further (`Scanner._walked`): `gemini_parse`
reads each line's bytes in C and computes what the report needs without creating Python objects;
the lines it declines are decoded by msgspec into the wide `GeminiSupervisedAny` Struct and checked
by `gemini_walk` (C); lines either leaves alone go to the general reader (`gemini.py`). The rest of
the per-line work that Python was slow at is in C too (`_fastscan.c`): both duplicate keys of every
line of a chunk in one pass. Per example the scanner keeps only
fixed-size numbers (line, two 64-bit keys, two token counts), ~28 bytes, and every SPILL_EXAMPLES
it hands them on: the line and keys to the key store on disk (`keys.py`), the token counts to
histograms. So memory stays flat whatever the number of examples or the size of the texts.

Ranges are independent: `validate` runs one scanner per CPU over line-aligned ranges of a local
file and adds the line offsets afterwards.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import re
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import msgspec

from ops.datasets.formats import (
    FAST,
    INSPECT,
    SCHEMAS,
    STRUCTS,
    UNSET,
    BlankText,
    ExampleView,
    GeminiSupervisedAny,
    Kind,
    Layout,
    Style,
    detect_layout,
    walk,
)
from ops.datasets.gemini import CAMEL, SHAPE_CODES, GeminiExample, read_example
from ops.datasets.keys import KeyWriter
from ops.datasets.media import MediaRef, Modality, media_rules
from ops.datasets.native import block_keys, gemini_parse, gemini_walk, line_keys
from ops.datasets.tokens import EstimateTokenCounter, TokenCounter

BOM = b"\xef\xbb\xbf"
MAX_LABELS = 64  # more distinct outputs than this and the set is not a classification set
MAX_LABEL_CHARS = 64  # a longer output is generated text, not a class label
PROMPT_SAMPLES = 200  # prompts kept to look for a class list written in them
_COUNT_BATCH = 128
_CAMEL_NAME = re.compile(rb'"systemInstruction"')
_SPELLING_WINDOW = 1 << 16  # bytes of each chunk searched for it
SPILL_EXAMPLES = 1 << 18  # examples held before their records go to the key store (~7 MB)

Issue = tuple[int | None, int | None, str, str]  # (line, column, code, message)
Chunk = bytes | memoryview  # whole lines, from Source.line_chunks


@dataclass(frozen=True)
class ScanOptions:
    layout: Layout | None
    max_tokens_per_example: int | None
    at_file_start: bool = True
    collect_media: bool = False  # --check-uris: keep every referenced object (once) and its line


@dataclass
class RangeResult:
    lines: int = 0
    examples: int = 0
    issues: list[Issue] = field(default_factory=list)
    well_formed: int = 0  # examples with a record in the key store
    # How many examples have each token count: exact percentiles, in memory that grows with the
    # number of distinct counts, not of examples.
    input_counts: Counter[int] = field(default_factory=Counter)
    output_counts: Counter[int] = field(default_factory=Counter)
    labels: dict[str, int] | None = field(default_factory=dict)
    prompts: list[str] = field(default_factory=list)
    layout: Layout | None = None
    spelling: int = 0  # gemini.CAMEL | gemini.SNAKE: which names of two-word fields lines used
    multimodal: int = 0  # examples with at least one media part
    media_parts: Counter[str] = field(default_factory=Counter)  # by modality
    media_tokens: int = 0  # estimated at Google's documented rates (in input_counts too)
    media_unknown: int = 0  # media parts whose tokens cannot be known offline
    resolutions: set[str] = field(default_factory=set)
    media_refs: dict[str, MediaRef] = field(default_factory=dict)  # with ScanOptions.collect_media


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


def token_limit_issue(
    limit: int | None, lineno: int, tokens_in: int, tokens_out: int, longest: int | None = None
) -> Issue | None:
    """Supervised: input + output over the limit. Preference (`longest` given): Google's rule is
    input + the longest completion, so two long completions are not added together."""
    if limit is None:
        return None
    if longest is not None:
        if tokens_in + longest <= limit:
            return None
        message = (
            f"{tokens_in + longest:,} tokens ({tokens_in:,} in + {longest:,} in the longest "
            f"completion) is over the limit of {limit:,} per example"
        )
        return (lineno, None, "too-many-tokens", message)
    if tokens_in + tokens_out <= limit:
        return None
    message = (
        f"{tokens_in + tokens_out:,} tokens ({tokens_in:,} in, {tokens_out:,} out) "
        f"is over the limit of {limit:,} per example"
    )
    return (lineno, None, "too-many-tokens", message)


class Scanner:
    """Scans lines of one range; `scan(chunks)` returns its RangeResult."""

    def __init__(self, options: ScanOptions, counter: TokenCounter, keys: KeyWriter) -> None:
        self.options = options
        self.counter = counter
        self.estimate = counter.chars_per_token if isinstance(counter, EstimateTokenCounter) else None
        self.result = RangeResult(layout=options.layout)
        self._limit = options.max_tokens_per_example
        self._pending: list[tuple[int, ExampleView]] = []  # examples waiting for an exact counter
        # Per example, until the next spill: token counts, then lines and keys for the key store.
        self._tokens_in: array[int] = array("I")
        self._tokens_out: array[int] = array("I")
        self._lines: array[int] = array("I")
        self._exact: array[int] = array("q")
        self._normalized: array[int] = array("q")
        self._keys = keys
        self._set_layout(options.layout)

    def _set_layout(self, layout: Layout | None) -> None:
        self.result.layout = layout
        # Gemini supervised lines counted with the estimate are walked in C (`gemini_walk`), from
        # the wide Struct that takes media, function calls and both spellings.
        self._walk = layout is Layout.gemini_supervised and self.estimate is not None
        decoder = msgspec.json.Decoder(
            GeminiSupervisedAny if self._walk else STRUCTS[layout] if layout else Any
        )
        self._decode = decoder.decode
        self._decode_lines = decoder.decode_lines
        if self._walk:
            self._walk_spec = _walk_spec(self.estimate or 1, self._limit, self.options.collect_media)
            self._decode_narrow = msgspec.json.Decoder(STRUCTS[Layout.gemini_supervised]).decode

    # -- the hot loop ---------------------------------------------------------------------------------

    def scan(self, chunks: Iterable[Chunk]) -> RangeResult:
        # Nothing the scan allocates forms cycles; the collector would only re-walk live objects.
        collecting = gc.isenabled()
        gc.disable()
        try:
            return self._scan(chunks)
        finally:
            if collecting:
                gc.enable()

    def _scan(self, chunks: Iterable[Chunk]) -> RangeResult:
        result = self.result
        lineno = 0
        for chunk in chunks:
            lineno = self._chunk(chunk, lineno)
            if len(self._lines) >= SPILL_EXAMPLES:
                self._spill()
        self._spill()
        result.lines = lineno
        return result

    def _spill(self) -> None:
        """Hand the examples so far to the key store and the token histograms: the scan's memory
        stays flat, however many examples the file holds."""
        self._flush_counts()
        result = self.result
        result.input_counts.update(self._tokens_in)
        result.output_counts.update(self._tokens_out)
        result.well_formed += len(self._lines)
        self._keys.write(self._lines, self._exact, self._normalized)
        for values in (self._tokens_in, self._tokens_out, self._lines, self._exact, self._normalized):
            del values[:]

    def _decoded(self, chunk: Chunk, braced: bool, lines: int) -> tuple[list[Any], list[bytes] | None]:
        """The chunk's examples, one per line (None where a line does not decode), and its lines if
        they had to be split.

        A chunk whose lines all start with '{' and end with '}' is decoded in one call, which saves
        splitting it and a call per line. That call reads values separated by any whitespace, yet
        each value is exactly one line: JSON strings cannot hold a raw newline, and '}' followed by
        '{' is valid nowhere inside a value, so no value spans a line break; and as many values as
        lines leaves one per line."""
        if braced:
            # A bad line (or one the Struct does not take) fails the call: halve the chunk at a line
            # break and decode each half the same way, so a line in a thousand costs a few more
            # calls, not one call per line.
            data = chunk if isinstance(chunk, bytes) else bytes(chunk)
            examples: list[Any] = []
            self._decode_halves(data, 0, len(data), lines, examples)
            return examples, None
        split = split_lines(chunk)
        decode = self._decode_or_none
        return [decode(line) for line in split], split

    def _decode_halves(self, data: bytes, start: int, end: int, lines: int, out: list[Any]) -> None:
        """Append the examples of the `lines` whole lines in data[start:end] (None for a line that
        does not decode)."""
        try:
            examples = self._decode_lines(memoryview(data)[start:end])
        except (msgspec.DecodeError, UnicodeDecodeError):
            pass
        else:
            if len(examples) == lines:
                out.extend(examples)
                return
        if lines == 1:
            out.append(None)
            return
        middle = data.find(b"\n", start + (end - start) // 2, end - 1)
        if middle < 0:  # the middle is in the last line: break before it instead
            middle = data.rfind(b"\n", start, end - 1)
        head = data.count(b"\n", start, middle + 1)
        self._decode_halves(data, start, middle + 1, head, out)
        self._decode_halves(data, middle + 1, end, lines - head, out)

    def _decode_or_none(self, line: bytes) -> Any:
        try:
            return self._decode(line)
        except (msgspec.DecodeError, UnicodeDecodeError):
            return None

    def _chunk(self, chunk: Chunk, lineno: int) -> int:
        layout = self.result.layout
        if layout is None:
            for line in split_lines(chunk):
                lineno += 1
                self._slow(lineno, line)
            return lineno
        if self.estimate is None:
            return self._lines_counted(split_lines(chunk), lineno, layout)
        if self._walk:
            return self._walked(chunk, lineno)
        camel = self.result.spelling & CAMEL
        if layout.style is Style.gemini and not camel and _CAMEL_NAME.search(chunk, 0, _SPELLING_WINDOW):
            # `systemInstruction` is the only two-word field the fast path's Structs accept, so its
            # lines are lowerCamel. Only the head of each chunk is searched: a whole-chunk search
            # would cost text-only files without it ~20% of their scan time, for a statistic.
            self.result.spelling |= CAMEL
        exact, normalized, braced = block_keys(chunk)
        examples, lines = self._decoded(chunk, braced, len(exact) // 8)
        # The hot loop: everything it touches is bound to a local first. Line numbers and keys of
        # good examples are recorded in runs (`_record_run`), not one by one.
        result = self.result
        fast = FAST[layout]
        per = self.estimate
        limit = self._limit if self._limit is not None else 1 << 62
        issues = result.issues
        add_in = self._tokens_in.append
        add_out = self._tokens_out.append
        first = lineno + 1
        run = 0  # index of the first good example whose line and keys are not recorded yet
        good = 0
        for index, example in enumerate(examples):
            lineno += 1
            if example is not None:
                try:
                    chars_in, chars_out, output, problems = fast(example)
                except BlankText:
                    example = None
            if example is None:  # the slow path names what is wrong with the line
                self._record_run(first, run, index, exact, normalized)
                run = index + 1
                if lines is None:
                    lines = split_lines(chunk)
                self._slow(lineno, lines[index])
                continue
            good += 1
            if problems:
                issues.extend((lineno, None, code, message) for code, message in problems)
            tokens_in = -(-chars_in // per)
            tokens_out = -(-chars_out // per)
            if tokens_in + tokens_out > limit:
                longest = None
                if layout.kind is Kind.preference:
                    longest = -(-max(map(len, INSPECT[layout](example)[0].output_texts)) // per)
                self._check_tokens(lineno, tokens_in, tokens_out, longest)
            add_in(tokens_in)
            add_out(tokens_out)
            if output is not None and result.labels is not None:
                self._count_label(output)
                if len(result.prompts) < PROMPT_SAMPLES:
                    result.prompts.append(INSPECT[layout](example)[0].prompt[:4000])
        self._record_run(first, run, len(examples), exact, normalized)
        result.examples += good
        return lineno

    def _walked(self, chunk: Chunk, lineno: int) -> int:
        """A chunk of Gemini supervised lines: decoded in C, walked in C (`gemini_walk`); Python
        touches only the lines the walk leaves to the general reader and the token-limit findings."""
        exact, normalized, braced = block_keys(chunk)
        result = self.result
        lines: list[bytes] | None = None
        outputs: list[str | None] | None = None
        if result.labels is None:  # no outputs to collect: read the lines' bytes, no objects
            status, tokens_in, tokens_out, totals = gemini_parse(chunk, self._walk_spec)
            declined = status.count(3)
            if declined == len(status):  # the pure-Python twin, or a chunk of unusual lines
                status, tokens_in, tokens_out, outputs, totals = self._walk_chunk(chunk, braced, exact)
            elif declined:
                lines = split_lines(chunk)
                status, tokens_in, tokens_out, totals = self._walk_declined(
                    status, tokens_in, tokens_out, totals, lines
                )
        else:
            status, tokens_in, tokens_out, outputs, totals = self._walk_chunk(chunk, braced, exact)
        self._add_totals(totals)
        first = lineno + 1
        count = len(status)
        slow = count - status.count(0)
        result.examples += count - status.count(2)
        if not slow and outputs is None:  # the usual chunk: every example taken, nothing to report
            self._record_run(first, 0, count, exact, normalized)
            self._tokens_in.frombytes(tokens_in)
            self._tokens_out.frombytes(tokens_out)
            return lineno + count
        t_in, t_out = memoryview(tokens_in).cast("I"), memoryview(tokens_out).cast("I")
        run = 0  # the first taken example whose line, keys and tokens are not recorded yet
        for index in range(count) if outputs is not None else _nonzero(status):
            code = status[index]
            if code == 2:  # left to the general reader, which names its problems
                self._record_run(first, run, index, exact, normalized)
                self._tokens_in.extend(t_in[run:index])
                self._tokens_out.extend(t_out[run:index])
                run = index + 1
                if lines is None:
                    lines = split_lines(chunk)
                self._slow(first + index, lines[index])
                continue
            if code == 1:
                self._check_tokens(first + index, t_in[index], t_out[index])
            if outputs is not None and result.labels is not None:
                output = outputs[index]
                assert output is not None
                self._count_label(output)
                if len(result.prompts) < PROMPT_SAMPLES:
                    if lines is None:
                        lines = split_lines(chunk)
                    view = well_formed_view(self._decode_narrow, Layout.gemini_supervised, lines[index])
                    result.prompts.append(view.prompt[:4000] if view is not None else "")
        self._record_run(first, run, count, exact, normalized)
        self._tokens_in.extend(t_in[run:count])
        self._tokens_out.extend(t_out[run:count])
        return lineno + count

    def _walk_chunk(
        self, chunk: Chunk, braced: bool, exact: bytes
    ) -> tuple[bytes, bytes, bytes, list[str | None] | None, _Totals]:
        """`gemini_walk` over the chunk's examples decoded by msgspec (with their outputs while the
        classification check still wants them)."""
        examples, _ = self._decoded(chunk, braced, len(exact) // 8)
        return gemini_walk(examples, self._walk_spec, self.result.labels is not None)

    def _walk_declined(
        self, status: bytes, tokens_in: bytes, tokens_out: bytes, totals: _Totals, lines: list[bytes]
    ) -> tuple[bytes, bytes, bytes, _Totals]:
        """The lines `gemini_parse` declined, decoded by msgspec and walked, merged into its results."""
        at = [match.start() for match in _DECLINED.finditer(status)]
        walked = gemini_walk([self._decode_or_none(lines[i]) for i in at], self._walk_spec, False)
        merged_status = bytearray(status)
        merged_in, merged_out = array("I", tokens_in), array("I", tokens_out)
        walked_in, walked_out = memoryview(walked[1]).cast("I"), memoryview(walked[2]).cast("I")
        for k, i in enumerate(at):
            merged_status[i] = walked[0][k]
            merged_in[i], merged_out[i] = walked_in[k], walked_out[k]
        a, b = totals, walked[4]
        sums = (
            a[0] | b[0],
            a[1] + b[1],
            a[2] + b[2],
            a[3] + b[3],
            tuple(x + y for x, y in zip(a[4], b[4], strict=True)),
        )
        return bytes(merged_status), merged_in.tobytes(), merged_out.tobytes(), sums

    def _add_totals(self, totals: _Totals) -> None:
        result = self.result
        spelling, multimodal, media_tokens, media_unknown, by_modality = totals
        result.spelling |= spelling
        result.multimodal += multimodal
        result.media_tokens += media_tokens
        result.media_unknown += media_unknown
        for modality, parts in zip(_MODALITIES, by_modality, strict=True):
            if parts:
                result.media_parts[modality] += parts

    def _record_run(self, first: int, start: int, stop: int, exact: bytes, normalized: bytes) -> None:
        """Line numbers and keys of the chunk's examples start..stop-1 (all good), at once."""
        self._lines.extend(range(first + start, first + stop))
        self._exact.frombytes(memoryview(exact)[start * 8 : stop * 8])
        self._normalized.frombytes(memoryview(normalized)[start * 8 : stop * 8])

    def _lines_counted(self, lines: list[bytes], lineno: int, layout: Layout) -> int:
        """Lines for an exact (remote) counter: slow anyway, so the plain per-example path."""
        inspect = INSPECT[layout]
        decode = self._decode
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

    def _record(self, lineno: int, line: bytes, view: ExampleView, media_tokens: int = 0) -> None:
        """Count and key one well-formed example; `media_tokens` (estimated from Google's rates) are
        input tokens on top of the texts'."""
        result = self.result
        per = self.estimate
        if per is not None:
            tokens_in = -(-sum(map(len, view.input_texts)) // per) + media_tokens
            tokens_out = -(-sum(map(len, view.output_texts)) // per)
            if self._limit is not None and tokens_in + tokens_out > self._limit:
                longest = None
                if result.layout is not None and result.layout.kind is Kind.preference:
                    longest = -(-max(map(len, view.output_texts), default=0) // per)
                self._check_tokens(lineno, tokens_in, tokens_out, longest)
            self._tokens_in.append(tokens_in)
            self._tokens_out.append(tokens_out)
        else:
            self._tokens_in.append(media_tokens)
            self._tokens_out.append(0)
            self._pending.append((lineno, view))
            if len(self._pending) >= _COUNT_BATCH:
                self._flush_counts()
        self._lines.append(lineno)
        exact, normalized = line_keys(line)
        self._exact.append(exact)
        self._normalized.append(normalized)
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

    def _check_tokens(self, lineno: int, tokens_in: int, tokens_out: int, longest: int | None = None) -> None:
        issue = token_limit_issue(self.options.max_tokens_per_example, lineno, tokens_in, tokens_out, longest)
        if issue is not None:
            self.result.issues.append(issue)

    def _flush_counts(self) -> None:
        """Count the pending examples with an exact counter: one batch of texts per call."""
        if not self._pending:
            return
        texts: list[str] = []
        for _, view in self._pending:
            texts.append("\n".join(view.input_texts))
            texts.extend(view.output_texts)  # one count each: preference needs the longest
        counts = self.counter.count(texts)
        preference = self.result.layout is not None and self.result.layout.kind is Kind.preference
        base = len(self._tokens_in) - len(self._pending)
        at = 0
        for i, (lineno, view) in enumerate(self._pending):
            outputs = counts[at + 1 : at + 1 + len(view.output_texts)]
            tokens_in = counts[at] + self._tokens_in[base + i]  # plus the media estimate, if any
            tokens_out = sum(outputs)
            at += 1 + len(view.output_texts)
            self._tokens_in[base + i] = tokens_in
            self._tokens_out[base + i] = tokens_out
            self._check_tokens(lineno, tokens_in, tokens_out, max(outputs, default=0) if preference else None)
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
                    "contents, candidate_0/candidate_1/choice, contents + completions, or "
                    "contents + references",
                )
            )
            return
        if self.result.layout is None:
            self._set_layout(found)
        if found is Layout.palm_prompt and self.result.layout is Layout.palm_supervised:
            found = Layout.palm_supervised  # an input_text without its output_text: say so below
        if found is Layout.gemini_supervised and self.result.layout is Layout.gemini_reinforcement:
            found = Layout.gemini_reinforcement  # a prompt without its references: say so below
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
        if found.style is Style.gemini:
            self._gemini(lineno, line, obj, found.kind)
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

    def _gemini(self, lineno: int, line: bytes, obj: dict[str, Any], kind: Kind) -> None:
        """A Gemini line the fast path could not take (snake_case names, media, function calls,
        tools, or a problem): the general reader names its problems and counts it."""
        example: GeminiExample = read_example(obj, kind)
        result = self.result
        result.spelling |= example.spelling
        result.resolutions |= example.resolutions
        result.issues.extend((lineno, None, code, message) for code, message in example.problems)
        if any(code in SHAPE_CODES for code, _ in example.problems):
            return
        if example.media:
            result.multimodal += 1
            result.media_tokens += example.media_tokens
            result.media_unknown += example.media_unknown
            result.media_parts.update(m.modality.value for m in example.media)
            if self.options.collect_media:
                refs = result.media_refs
                for m in example.media:
                    seen = refs.get(m.uri)
                    refs[m.uri] = (
                        MediaRef(lineno, m.mime_type, m.modality)
                        if seen is None
                        else dataclasses.replace(seen, references=seen.references + 1)
                    )
        self._record(lineno, line, example.view, example.media_tokens)


_MODALITIES = tuple(m.value for m in Modality)
_NO_LIMIT = 1 << 62


def _walk_spec(per: int, limit: int | None, collect_media: bool) -> tuple[Any, ...]:
    """What `gemini_walk` needs besides the examples: Google's media table (MIME type -> modality;
    per modality: tokens per part, parts per example, tokens per second of a clip, seconds per
    example; -1 for none) and the counting rules."""
    rules = media_rules()
    mimes: dict[str, int] = {}
    table = []
    for index, modality in enumerate(Modality):
        of = rules.by_modality[modality]
        mimes.update(dict.fromkeys(of.mime_types, index))
        table.append(
            (
                -1 if of.tokens_per_item is None else of.tokens_per_item,
                -1 if of.max_per_example is None else of.max_per_example,
                -1 if of.tokens_per_second is None else of.tokens_per_second,
                -1.0 if of.max_seconds_per_example is None else float(of.max_seconds_per_example),
            )
        )
    limit = _NO_LIMIT if limit is None else limit
    video = list(Modality).index(Modality.video)
    return (UNSET, msgspec.json.encode, mimes, tuple(table), per, limit, collect_media, video)


def _nonzero(status: bytes) -> Iterator[int]:
    """Indices of the examples the walk did not simply take (status 1 or 2)."""
    return (match.start() for match in _NONZERO.finditer(status))


_NONZERO = re.compile(rb"[^\x00]")
_DECLINED = re.compile(rb"\x03")
_Totals = tuple[int, int, int, int, tuple[int, ...]]  # gemini_walk's: spelling, multimodal, media


def well_formed_view(decode: Any, layout: Layout, line: bytes) -> ExampleView | None:
    """The example of one line in the file's format, or None when it is not well-formed: the fast
    Struct first, then (Gemini lines with other spellings or non-text parts) the general reader."""
    try:
        return INSPECT[layout](decode(line))[0]
    except (msgspec.DecodeError, UnicodeDecodeError, BlankText):
        if layout.style is not Style.gemini:
            return None
    try:
        obj = msgspec.json.decode(line)
    except (msgspec.DecodeError, UnicodeDecodeError):
        return None
    if not isinstance(obj, dict) or detect_layout(obj) is not layout:
        return None
    example = read_example(obj, layout.kind)
    return None if any(code in SHAPE_CODES for code, _ in example.problems) else example.view


def scan_chunks(
    chunks: Iterable[Chunk], options: ScanOptions, counter: TokenCounter, keys: KeyWriter
) -> RangeResult:
    """Scan Source.line_chunks (of the whole file or of a line-aligned range); the examples'
    records go to `keys`."""
    return Scanner(options, counter, keys).scan(chunks)


def split_lines(chunk: Chunk) -> list[bytes]:
    """The lines of a chunk, without their newlines (a final newline ends a line; it starts none)."""
    lines = bytes(chunk).split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    return lines


def iter_lines(chunks: Iterable[Chunk]) -> Iterator[tuple[int, bytes]]:
    """(line number, line bytes without the newline), streaming, from Source.line_chunks."""
    lineno = 0
    for chunk in chunks:
        for line in split_lines(chunk):
            lineno += 1
            yield lineno, line


def lines_with_outputs(chunks: Iterable[Chunk], layout: Layout, outputs: set[str]) -> list[tuple[int, str]]:
    """Second pass for the classification check: the lines whose (stripped) output is in `outputs`."""
    decode = msgspec.json.Decoder(STRUCTS[layout]).decode
    found = []
    for lineno, line in iter_lines(chunks):
        view = well_formed_view(
            decode, layout, line[len(BOM) :] if lineno == 1 and line.startswith(BOM) else line
        )
        if view is None:
            continue
        if view.output is not None and view.output.strip() in outputs:
            found.append((lineno, view.output.strip()))
    return found
