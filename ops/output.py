"""Where output goes: reports to stdout (text, JSON, YAML or CSV), diagnostics and progress to stderr.

`emit` is the one way a command reports; `text_table` is the one text table (it fits the terminal,
80 columns in a pipe, and never cuts an id: other columns wrap, then drop, and json/csv keep them).
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum, StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    yaml = "yaml"
    csv = "csv"  # where the report is a table; elsewhere a usage error that says so


# -1 quiet (no progress or notes), 0 normal, 1 verbose: set once by the root's --quiet/--verbose.
_verbosity = 0


def set_verbosity(level: int) -> None:
    global _verbosity
    _verbosity = level


def verbosity() -> int:
    return _verbosity


def stdout_console() -> Console:
    from rich.console import Console  # ~0.1 s: imported when there is something to print

    class StdoutConsole(Console):
        def on_broken_pipe(self) -> None:
            # Rich exits 1 when the reader goes away; ops/cli.py turns this into the documented 141.
            raise BrokenPipeError(32, "Broken pipe")

    return StdoutConsole(file=sys.stdout, soft_wrap=True)


def stderr_console(*, always: bool = False) -> Console:
    """Progress and notes; silent under --quiet unless `always` (warnings)."""
    from rich.console import Console

    return Console(file=sys.stderr, soft_wrap=True, quiet=_verbosity < 0 and not always)


_PLAIN = frozenset({str, int, float, bool, type(None)})


def to_jsonable(value: Any) -> Any:
    """Money stays exact: Decimals become strings, never floats."""
    if type(value) in _PLAIN:  # most values: skip the checks below (reports can hold 100k values)
        return value
    if hasattr(value, "model_dump"):
        return to_jsonable(value.model_dump(mode="python"))
    if is_dataclass(value) and not isinstance(value, type):
        return to_jsonable(asdict(value))
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    return value


def _write_out(data: bytes) -> None:
    """All of `data` to stdout. When the reader leaves during one big write (`| head -1` of a 10 MB
    report), CPython's write returns short with no error and the rest would be dropped silently, the
    command exiting with its own status: writing the rest raises BrokenPipeError instead, which the
    CLI turns into exit 141."""
    sys.stdout.flush()
    out = getattr(sys.stdout, "buffer", None)
    if out is None:  # a text-only stream (tests)
        sys.stdout.write(data.decode())
        return
    view = memoryview(data)
    while view:
        view = view[out.write(view) or 0 :]
    out.flush()


def print_json(data: Any) -> None:
    import msgspec  # C encoder and formatter: ~10x faster than json.dumps(indent=2) on large reports

    _write_out(msgspec.json.format(msgspec.json.encode(to_jsonable(data)), indent=2) + b"\n")


def print_yaml(data: Any) -> None:
    import yaml

    _write_out(yaml.safe_dump(to_jsonable(data), sort_keys=False, allow_unicode=True).encode())


def print_csv(rows: Sequence[Any], columns: Sequence[str] = ()) -> None:
    """One line per row, `columns` then the union of the rows' keys as the header (so an empty table
    still has one); nested values as compact JSON."""
    import csv
    import json

    records = [to_jsonable(row) for row in rows]
    header: dict[str, None] = dict.fromkeys(columns)
    for record in records:
        header.update(dict.fromkeys(record))
    writer = csv.DictWriter(sys.stdout, fieldnames=list(header), lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow(
            {
                key: json.dumps(value, separators=(",", ":")) if isinstance(value, dict | list) else value
                for key, value in record.items()
            }
        )
    sys.stdout.flush()


def emit(
    data: Any,
    fmt: OutputFormat | str,
    render_text: Callable[[Console], None],
    *,
    rows: Sequence[Any] | None = None,
    columns: Sequence[str] = (),
) -> None:
    """The one way a command reports, to stdout: its own text rendering, JSON, YAML, or CSV of `rows`
    (the report's table, one record per row, headed by `columns` even when empty) when it has one."""
    match OutputFormat(fmt):
        case OutputFormat.json:
            print_json(data)
        case OutputFormat.yaml:
            print_yaml(data)
        case OutputFormat.csv:
            if rows is None:
                from ops.errors import TunectlError

                raise TunectlError(
                    "format-not-tabular",
                    "this report is not a table, so it has no CSV form",
                    where="--format csv",
                    hint="use --format json or --format yaml",
                )
            print_csv(rows, columns)
        case _:
            render_text(stdout_console())


def _live_console() -> Console | None:
    """stderr, when a person is watching it: a terminal, and not --quiet. Elsewhere (CI logs, pipes)
    a spinner would be noise, so progress is drawn nowhere."""
    console = stderr_console()
    return console if console.is_terminal and not console.quiet else None


@contextmanager
def working(message: str) -> Iterator[None]:
    """A spinner with `message` on stderr while something slow runs (a query over a large billing
    export, a stack plan, a pipeline compile); gone when it ends."""
    console = _live_console()
    if console is None:
        yield
        return
    with console.status(message, spinner="dots"):
        yield


@contextmanager
def counting(message: str, total: int) -> Iterator[Callable[[], None]]:
    """A progress bar `message  n/total` on stderr; yields the function that counts one item done
    (safe to call from worker threads)."""
    console = _live_console()
    if console is None or total <= 1:
        yield lambda: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(message, total=total)
        yield lambda: progress.advance(task)


def warn(message: str) -> None:
    stderr_console(always=True).print(f"[yellow]warning:[/yellow] {message}", highlight=False)


def note(message: str) -> None:
    stderr_console().print(message, highlight=False)


def detail(message: str) -> None:
    """Only under --verbose: what a user debugging a run wants to see (retries, where settings came from)."""
    if _verbosity > 0:
        stderr_console().print(message, highlight=False, markup=False)


def plural(count: int, noun: str, many: str | None = None) -> str:
    """`1 example`, `2 examples`, `1,024 examples`: a count and its noun, for text meant to be read."""
    return f"{count:,} {noun if count == 1 else many or noun + 's'}"


def wrapped(text: str, width: int, indent: str = "", hang: str = "  ") -> str:
    """`text` folded to `width` between words, continuation lines indented by `hang` more; a word
    longer than the width (an id, a URL) stays whole on its own line rather than being cut."""
    return textwrap.fill(
        text,
        width,
        initial_indent=indent,
        subsequent_indent=indent + hang,
        break_long_words=False,
        break_on_hyphens=False,
    )


@dataclass(frozen=True)
class Column:
    """A column of a text table. An `id` column is never wrapped, cut or dropped (users copy ids);
    other columns wrap, and when even that does not fit, the last-listed ones are dropped first."""

    key: str
    header: str
    id: bool = False


def text_table(columns: Sequence[Column], rows: Sequence[dict[str, Any]], width: int = 80) -> str:
    """Plain columns separated by two spaces, each line at most `width` characters (an id longer
    than the width is the one exception: it is printed whole). Dropped columns are named below."""
    cells = [{c.key: _cell(row.get(c.key)) for c in columns} for row in rows]
    shown = list(columns)
    dropped: list[Column] = []
    while True:
        widths = _fit(shown, cells, width)
        if widths is not None or all(c.id for c in shown):
            break
        victim = next(c for c in reversed(shown) if not c.id)
        shown.remove(victim)
        dropped.insert(0, victim)
    if widths is None:  # only ids left and still too wide: one "header: value" block per row
        blocks = ["\n".join(f"{c.header}: {cell[c.key]}" for c in columns) for cell in cells]
        return "\n\n".join(blocks) + "\n"
    lines = [_line([c.header for c in shown], widths)]
    for cell in cells:
        folded = [
            [cell[c.key]]
            if c.id
            else textwrap.wrap(cell[c.key], w, break_on_hyphens=False, break_long_words=False) or [""]
            for c, w in zip(shown, widths, strict=True)
        ]
        for index in range(max(len(parts) for parts in folded)):
            lines.append(_line([parts[index] if index < len(parts) else "" for parts in folded], widths))
    if dropped:
        names = ", ".join(c.header for c in dropped)
        lines.append(
            wrapped(
                f"(not shown, to fit {width} columns: {names}; --format json or csv has every column)", width
            )
        )
    return "\n".join(lines) + "\n"


def _cell(value: Any) -> str:
    value = to_jsonable(value)
    return "-" if value is None or value == "" else str(value)


def _line(parts: list[str], widths: list[int]) -> str:
    return "  ".join(part.ljust(w) for part, w in zip(parts, widths, strict=True)).rstrip()


def _fit(columns: list[Column], cells: list[dict[str, str]], width: int) -> list[int] | None:
    """Each column's width, or None when the columns cannot fit even wrapped."""
    natural = [max([len(c.header), *(len(cell[c.key]) for cell in cells)]) for c in columns]
    # A wrapped column keeps room for its header and its longest word: words are never broken
    # (`rlhf-pipelin` / `e`); a column that cannot hold them is dropped instead, json/csv keep it.
    words = [max([12, *(len(w) for cell in cells for w in cell[c.key].split())]) for c in columns]
    least = [
        n if c.id else min(n, max(len(c.header), word))
        for c, n, word in zip(columns, natural, words, strict=True)
    ]
    room = width - 2 * (len(columns) - 1)
    if sum(least) > room:
        return None
    widths = list(least)
    spare = room - sum(widths)
    for index, (column, full) in enumerate(zip(columns, natural, strict=True)):
        if not column.id and spare > 0:
            grow = min(full - widths[index], spare)
            widths[index] += grow
            spare -= grow
    return widths
