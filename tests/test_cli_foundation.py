"""The conventions every tunectl command follows: exit statuses, diagnostics, settings precedence."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer

from ops.cli import run
from ops.commands.registry import COMMANDS, Entry
from ops.errors import ExitStatus, TunectlError
from ops.settings import resolve_settings


@pytest.fixture
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No user config, no TUNECTL_/GOOGLE_ variables leak in from the machine running the tests."""
    for name in list(__import__("os").environ):
        if name.startswith(("TUNECTL_", "GOOGLE_CLOUD_PROJECT")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config-home"))
    return tmp_path


EXTRA = typer.Typer()


@pytest.fixture
def extra_command(monkeypatch: pytest.MonkeyPatch) -> Iterator[typer.Typer]:
    """A throw-away group in the real command table, so the real error mapping in `run` is exercised."""
    monkeypatch.setitem(COMMANDS, "extra", Entry(f"{__name__}:EXTRA", "test commands"))
    before = list(EXTRA.registered_commands)
    yield EXTRA
    EXTRA.registered_commands[:] = before


def test_exit_statuses_are_the_documented_numbers() -> None:
    assert {s.name: int(s) for s in ExitStatus} == {
        "OK": 0,
        "CHECK_FAILED": 1,
        "USAGE": 2,
        "CLOUD_API": 3,
        "INTERRUPTED": 130,
        "BROKEN_PIPE": 141,
    }


def test_diagnostic_names_code_place_and_hint() -> None:
    error = TunectlError("dataset-json-syntax", "expected ',' here", where="train.jsonl:3:17", hint="fix it")
    assert (
        error.render()
        == "error[dataset-json-syntax]: expected ',' here\n  --> train.jsonl:3:17\n  hint: fix it"
    )


def test_expected_error_prints_a_diagnostic_and_no_traceback(
    isolated_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = isolated_env / "broken.toml"
    config.write_text("project = \n", encoding="utf-8")
    status = run(["--config", str(config), "config", "show"])
    err = capsys.readouterr().err
    assert status == ExitStatus.USAGE
    assert err.startswith("error[config-file-invalid]: ")
    assert f"--> {config}" in err
    assert "Traceback" not in err


def test_debug_flag_shows_the_traceback(isolated_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = isolated_env / "broken.toml"
    config.write_text("project = \n", encoding="utf-8")
    status = run(["--debug", "--config", str(config), "config", "show"], debug=True)
    assert status == ExitStatus.USAGE
    assert "Traceback" in capsys.readouterr().err


def test_unknown_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--no-such-flag"]) == ExitStatus.USAGE
    assert capsys.readouterr().err.startswith("error[unknown-option]: no such option: --no-such-flag")


def test_interrupt_exits_130_and_says_so(
    extra_command: typer.Typer, capsys: pytest.CaptureFixture[str]
) -> None:
    @extra_command.command("interrupt-me")
    def interrupt_me() -> None:
        raise KeyboardInterrupt

    assert run(["extra", "interrupt-me"]) == ExitStatus.INTERRUPTED
    assert "interrupted" in capsys.readouterr().err


def test_unexpected_exception_is_reported_as_a_bug_without_traceback(
    extra_command: typer.Typer, capsys: pytest.CaptureFixture[str]
) -> None:
    @extra_command.command("crash")
    def crash() -> None:
        raise ZeroDivisionError("boom")

    assert run(["extra", "crash"]) == ExitStatus.USAGE
    err = capsys.readouterr().err
    assert err.startswith("error[internal]: ZeroDivisionError: boom")
    assert "Traceback" not in err


def test_settings_precedence_is_flag_then_env_then_file_then_default(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('project = "from-file"\nregion = "europe-west4"\nbilling_table = "p.d.t"\n')
    environ = {"GOOGLE_CLOUD_PROJECT": "from-google-env", "TUNECTL_REGION": "us-east1"}
    settings = resolve_settings({"project": "from-flag"}, environ=environ, config_file=config)
    assert (settings.project, settings.sources["project"]) == ("from-flag", "flag")
    assert (settings.region, settings.sources["region"]) == ("us-east1", "env TUNECTL_REGION")
    assert (settings.billing_table, settings.sources["billing_table"]) == ("p.d.t", f"config {config}")
    assert settings.sources["ledger"] == "default"


def test_tunectl_project_env_beats_googles_own(tmp_path: Path) -> None:
    environ = {"GOOGLE_CLOUD_PROJECT": "google", "TUNECTL_PROJECT": "ours"}
    settings = resolve_settings({}, environ=environ, config_file=tmp_path / "none.toml")
    assert (settings.project, settings.sources["project"]) == ("ours", "env TUNECTL_PROJECT")


def test_unknown_config_key_names_the_known_ones(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('projcet = "typo"\n')
    with pytest.raises(TunectlError) as caught:
        resolve_settings({}, environ={}, config_file=config)
    assert caught.value.code == "config-file-unknown-key"
    assert "projcet" in caught.value.message
    assert "project" in (caught.value.hint or "")


def test_config_show_reports_values_and_sources_as_json(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "env-project")
    assert run(["--region", "europe-west4", "config", "show", "--format", "json"]) == ExitStatus.OK
    report = json.loads(capsys.readouterr().out)
    rows = {row["name"]: row for row in report["settings"]}
    assert rows["project"] == {
        "name": "project",
        "value": "env-project",
        "source": "env GOOGLE_CLOUD_PROJECT",
    }
    assert rows["region"] == {"name": "region", "value": "europe-west4", "source": "flag"}


def test_python_dash_m_ops_is_the_same_cli() -> None:
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "ops", "--version"], capture_output=True, text=True)
    assert result.returncode == 0
    assert result.stdout.startswith("tunectl ")
