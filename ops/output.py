"""Where output goes: reports to stdout (text or JSON), diagnostics and progress to stderr."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import asdict, is_dataclass
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


def stdout_console() -> Console:
    from rich.console import Console  # ~0.1 s: imported when there is something to print

    return Console(file=sys.stdout, soft_wrap=True)


def stderr_console() -> Console:
    from rich.console import Console

    return Console(file=sys.stderr, soft_wrap=True)


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


def print_json(data: Any) -> None:
    import msgspec  # C encoder and formatter: ~10x faster than json.dumps(indent=2) on large reports

    text = msgspec.json.format(msgspec.json.encode(to_jsonable(data)), indent=2)
    sys.stdout.write(text.decode() + "\n")
    sys.stdout.flush()


def emit(data: Any, fmt: OutputFormat | str, render_text: Callable[[Console], None]) -> None:
    """The one way a command reports: JSON to stdout, or its own text rendering to stdout."""
    if OutputFormat(fmt) is OutputFormat.json:
        print_json(data)
    else:
        render_text(stdout_console())


def warn(message: str) -> None:
    stderr_console().print(f"[yellow]warning:[/yellow] {message}", highlight=False)


def note(message: str) -> None:
    stderr_console().print(message, highlight=False)
