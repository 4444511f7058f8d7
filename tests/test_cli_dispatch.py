"""The dispatcher (ops/cli.py) and the conventions it applies: the command table stays in step with the
Typer groups, global flags work anywhere, every report has its formats, completion and examples."""

from __future__ import annotations

import csv
import importlib
import io
import json
import shlex
from pathlib import Path

import pytest
import typer
import yaml

from ops.cli import arrange, root_help, run, split_root
from ops.commands import tree
from ops.commands.examples import EXAMPLES
from ops.commands.registry import COMMANDS
from ops.errors import ExitStatus
from ops.output import Column, text_table

FULL = tree.click_command(tree.build())


@pytest.fixture(autouse=True)
def isolated(clean_cli_env: Path) -> None:
    """No settings leak in from the machine running the tests (tests/conftest.py)."""


# --- the table and the Typer groups cannot drift --------------------------------------------------


@pytest.mark.parametrize("width", [78, 58])
def test_root_help_from_the_table_is_what_click_prints_for_the_whole_tree(width: int) -> None:
    from typer._click.formatting import HelpFormatter

    ctx = FULL.make_context("tunectl", ["--project", "x"])
    formatter = HelpFormatter(width=width)
    FULL.format_help(ctx, formatter)
    assert root_help(width) == formatter.getvalue()


def test_each_group_in_the_table_carries_the_groups_own_help() -> None:
    for name, entry in COMMANDS.items():
        module, _, attribute = entry.target.partition(":")
        target = getattr(importlib.import_module(module), attribute)
        if isinstance(target, typer.Typer):
            assert target.info.help == entry.help, f"registry help of {name!r} differs from its group's"
        else:
            assert callable(target) and target.__doc__, f"{name!r}: a command function needs a docstring"


def test_every_command_module_with_a_group_is_in_the_table() -> None:
    commands = Path(__file__).resolve().parent.parent / "ops" / "commands"
    listed = {entry.target.partition(":")[0] for entry in COMMANDS.values()}
    for path in commands.glob("*.py"):
        module = importlib.import_module(f"ops.commands.{path.stem}")
        if isinstance(getattr(module, "app", None), typer.Typer):
            assert module.__name__ in listed, f"{module.__name__}.app is not in ops/commands/registry.py"


def test_the_root_options_of_the_table_are_the_root_callbacks() -> None:
    from ops.commands.registry import ROOT_OPTIONS

    declared = {name for param in FULL.params for name in param.opts} - {"-h", "--help"}
    assert declared == {name for option in ROOT_OPTIONS for name in option.names}


# --- examples in every --help ---------------------------------------------------------------------


def test_every_command_has_two_or_three_examples_and_nothing_else_does() -> None:
    paths = {path for path, _ in tree.walk(FULL)}
    missing = sorted(p for p in paths if not 2 <= len(EXAMPLES.get(p, ())) <= 3)
    assert not missing, f"add 2-3 examples to ops/commands/examples.py for: {missing}"
    assert set(EXAMPLES) <= paths, f"examples for commands that do not exist: {set(EXAMPLES) - paths}"


@pytest.mark.parametrize(("path", "example"), [(p, e) for p, lines in EXAMPLES.items() for e in lines])
def test_each_example_parses(path: str, example: str) -> None:
    if example.startswith('eval "$('):  # eval "$(tunectl completion bash)"
        example = example.removeprefix('eval "$(').removesuffix(')"')
    argv = shlex.split(example.split(" > ")[0])
    assert argv[0] == "tunectl"
    before, name, after = split_root(argv[1:])
    args = arrange(FULL, before, name, after)
    ctx = FULL.make_context("tunectl", list(args))
    while isinstance(ctx.command, typer.core.TyperGroup):  # parse each level; invoke nothing
        rest = [*ctx._protected_args, *ctx.args]
        name, command, rest = ctx.command.resolve_command(ctx, rest)
        assert command is not None and name is not None
        ctx = command.make_context(name, rest, parent=ctx)
    assert ctx.command_path == f"tunectl {path}"


def test_help_shows_the_examples(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["quota", "show", "--help"]) == 0
    out = capsys.readouterr().out
    assert "Examples:" in out and "$ tunectl quota show --project my-project" in out


# --- global flags before or after the subcommand --------------------------------------------------


def test_project_after_the_subcommand_is_the_global_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["config", "show", "--project", "foo", "--format", "json"]) == 0
    settings = {row["name"]: row for row in json.loads(capsys.readouterr().out)["settings"]}
    assert (settings["project"]["value"], settings["project"]["source"]) == ("foo", "flag")


def test_global_flags_anywhere_give_the_same_result(capsys: pytest.CaptureFixture[str]) -> None:
    outputs = []
    for argv in (
        ["--project", "p", "-r", "europe-west4", "--format", "json", "config", "show"],
        ["config", "show", "--project=p", "--region", "europe-west4", "-f", "json"],
        ["config", "--project", "p", "show", "-r", "europe-west4", "--format=json"],
    ):
        assert run(argv) == 0, argv
        outputs.append(json.loads(capsys.readouterr().out))
    assert outputs[0] == outputs[1] == outputs[2]


def test_a_commands_own_option_of_the_same_name_wins() -> None:
    before, name, after = split_root(["--region", "us-central1", "quota", "show", "--region", "us-east4"])
    assert arrange(FULL, before, name, after) == [
        "--region",
        "us-central1",
        "quota",
        "show",
        "--region",
        "us-east4",
    ]


def test_format_before_a_command_without_one_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--format", "json", "completion", "bash"]) == ExitStatus.USAGE
    assert "error[unknown-option]" in capsys.readouterr().err


# --- formats --------------------------------------------------------------------------------------


def test_config_show_in_every_format(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["config", "show", "--format", "json"]) == 0
    as_json = json.loads(capsys.readouterr().out)
    assert run(["config", "show", "--format", "yaml"]) == 0
    assert yaml.safe_load(capsys.readouterr().out) == as_json
    assert run(["config", "show", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["name"] for r in rows] == [r["name"] for r in as_json["settings"]]


# --- completion -----------------------------------------------------------------------------------


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_prints_a_script_that_calls_tunectl_back(
    shell: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["completion", shell]) == 0
    script = capsys.readouterr().out
    assert "_TUNECTL_COMPLETE" in script and "tunectl" in script


def test_completion_names_the_commands_and_subcommands(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("_TUNECTL_COMPLETE", "complete_bash")
    monkeypatch.setenv("COMP_WORDS", "tunectl ")
    monkeypatch.setenv("COMP_CWORD", "1")
    assert run([]) == 0
    top = set(capsys.readouterr().out.split())
    assert set(COMMANDS) <= top
    monkeypatch.setenv("COMP_WORDS", "tunectl quota ")
    monkeypatch.setenv("COMP_CWORD", "2")
    assert run([]) == 0
    assert {"show", "request", "watch"} <= set(capsys.readouterr().out.split())


# --- the text table -------------------------------------------------------------------------------


def test_table_fits_80_columns_and_never_cuts_an_id() -> None:
    ids = ["gem-cfa5a0e1-7b1d-4a55-8f0e-21b2c3d4e5f6", "rlhf-0123456789abcdef"]
    rows = [
        {"id": run_id, "state": "RUNNING", "model": "gemini-2.5-flash-lite-preview", "note": "x " * 40}
        for run_id in ids
    ]
    columns = [Column("id", "run", id=True), *(Column(key, key) for key in ("state", "model", "note"))]
    text = text_table(columns, rows, 80)
    assert all(len(line) <= 80 for line in text.splitlines())
    assert all(run_id in text.split() for run_id in ids)


def test_table_drops_the_last_columns_and_says_so_when_wrapping_is_not_enough() -> None:
    rows = [{"id": "x" * 60, "a": "alpha beta", "b": "gamma delta"}]
    text = text_table([Column("id", "id", id=True), Column("a", "aaa"), Column("b", "bbbb")], rows, 80)
    assert "x" * 60 in text and "not shown" in text and "bbbb" in text.splitlines()[-1]
    assert all(len(line) <= 80 for line in text.splitlines())


def test_pricing_show_filters_and_limits_its_entries(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["pricing", "show", "--filter", "engine=gemini AND price<10", "--format", "json"]) == 0
    entries = json.loads(capsys.readouterr().out)["entries"]
    assert entries and all(e["engine"] == "gemini" and float(e["price"]) < 10 for e in entries)
    assert run(["pricing", "show", "--limit", "1", "--format", "csv"]) == 0
    assert len(list(csv.DictReader(io.StringIO(capsys.readouterr().out)))) == 1


def test_quiet_silences_notes_and_progress_but_not_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    from ops.output import detail, note, set_verbosity, warn

    try:
        set_verbosity(-1)
        note("a note")
        detail("a detail")
        warn("a warning")
        assert capsys.readouterr().err.strip() == "warning: a warning"
        set_verbosity(1)
        note("a note")
        detail("a detail")
        assert capsys.readouterr().err.split("\n")[:2] == ["a note", "a detail"]
    finally:
        set_verbosity(0)


def test_verbose_after_the_subcommand_says_where_settings_came_from(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["config", "show", "--project", "p", "-v", "--format", "json"]) == 0
    assert "setting project from flag" in capsys.readouterr().err
