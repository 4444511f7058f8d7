"""Progress on slow waits: a spinner or a bar on stderr when a person watches a terminal; nothing in
pipes, CI logs or under --quiet; stdout (the report) untouched either way."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ops.cli import run
from ops.output import counting, set_verbosity, working


class Terminal(io.StringIO):
    """A stderr that says it is a terminal, keeping what is drawn on it. Put in place by the test
    itself (`take()`): pytest's own capture sets sys.stderr again when the test body starts."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        super().__init__()
        self.monkeypatch = monkeypatch

    def isatty(self) -> bool:
        return True

    def take(self) -> None:
        self.monkeypatch.setattr(sys, "stderr", self)


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> Iterator[Terminal]:
    screen = Terminal(monkeypatch)
    monkeypatch.delenv("TERM", raising=False)
    monkeypatch.setenv("COLUMNS", "100")
    yield screen
    set_verbosity(0)


def test_a_spinner_is_drawn_on_a_terminal_and_nowhere_else(terminal: Terminal) -> None:
    terminal.take()
    with working("planning stack gpu"):
        pass
    assert "planning stack gpu" in terminal.getvalue()
    set_verbosity(-1)  # --quiet
    before = terminal.getvalue()
    with working("not drawn"):
        pass
    assert terminal.getvalue() == before


def test_no_spinner_in_a_pipe(capsys: Any) -> None:
    with working("not drawn"):
        pass
    assert capsys.readouterr().err == ""


def test_a_bar_counts_items_done_from_worker_threads(terminal: Terminal) -> None:
    from concurrent.futures import ThreadPoolExecutor

    terminal.take()
    with counting("asking run-1", 3) as done, ThreadPoolExecutor(3) as pool:
        list(pool.map(lambda _: done(), range(3)))
    assert "asking run-1" in terminal.getvalue()


def test_reconcile_shows_progress_on_stderr_and_keeps_stdout_json(
    capsys: Any, terminal: Terminal, tmp_path: Path
) -> None:
    export = tmp_path / "export.parquet"
    assert run(["cost", "sample-export", "-o", str(export), "--quiet"]) == 0
    capsys.readouterr()
    terminal.take()
    assert run(["cost", "reconcile", "--billing-export", str(export), "--format", "json"]) == 0
    json.loads(capsys.readouterr().out)  # the report alone
    assert "reading the billing export" in terminal.getvalue()
