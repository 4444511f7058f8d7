"""Every failure is one `error[code]` diagnostic with a hint and a documented exit status: bad settings,
Click's own usage errors, Ctrl-C, a closed pipe, unusable output paths, a service that stays down."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ops.atomic import atomic_write_text
from ops.cli import run
from ops.cloud_errors import call_with_retry, translate_cloud_error
from ops.errors import ExitStatus, TunectlError

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "sarcasm-classification" / "train.jsonl"


@pytest.fixture(autouse=True)
def isolated(clean_cli_env: Path) -> None:
    """No settings leak in from the machine running the tests (tests/conftest.py)."""


def diagnostic(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err and "hint:" in err, err
    return err


# --- settings -------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["maybe", "2", "yes please"])
def test_an_unreadable_anonymous_switch_is_a_usage_error_naming_it(
    value: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TUNECTL_ANONYMOUS", value)
    assert run(["config", "show"]) == ExitStatus.USAGE
    err = diagnostic(capsys)
    assert err.startswith("error[setting-invalid]") and "--> env TUNECTL_ANONYMOUS" in err


@pytest.mark.parametrize("value", ["soon", "-5", "0", "nan", "inf"])
def test_a_bad_request_timeout_is_a_usage_error_not_a_cloud_error(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ops.tuning.timeouts import request_timeout_seconds

    monkeypatch.setenv("TUNECTL_REQUEST_TIMEOUT", value)
    with pytest.raises(TunectlError) as caught:
        call_with_retry(lambda: request_timeout_seconds(), what="reading a job")
    assert (caught.value.code, caught.value.status) == ("setting-invalid", ExitStatus.USAGE)
    assert caught.value.where == "env TUNECTL_REQUEST_TIMEOUT"


@pytest.mark.parametrize(
    "command",
    [
        ["quota", "show"],
        ["schedules", "list"],
        ["schedules", "check"],
        ["pricing", "refresh"],
        ["config", "show"],
    ],
)
def test_every_command_reading_settings_refuses_a_bad_request_timeout(
    command: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Validated where settings are read, not only where a Vertex request reads it.
    monkeypatch.setenv("TUNECTL_REQUEST_TIMEOUT", "-1")
    assert run([*command, "--project", "p"]) == ExitStatus.USAGE
    err = diagnostic(capsys)
    assert err.startswith("error[setting-invalid]") and "--> env TUNECTL_REQUEST_TIMEOUT" in err


def test_a_config_file_that_does_not_exist_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["dataset", "stats", str(SAMPLE), "--config", str(tmp_path / "nope.toml")]) == ExitStatus.USAGE
    err = diagnostic(capsys)
    assert err.startswith("error[config-file-missing]") and "nope.toml" in err


# --- Click's usage errors in our form -------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (["quota", "watch"], "missing-parameter"),
        (["config", "show", "--format", "xml"], "invalid-value"),
        (["quota", "watch", "tpu-v3-pod-cores", "--timeout", "-5"], "invalid-value"),
        (["quota", "show", "--limit", "0"], "invalid-value"),
        (
            ["dataset", "validate", "samples/sarcasm-generation/train.jsonl", "--max-per-code", "-1"],
            "invalid-value",
        ),
        (["quota", "watch", "tpu-v3-pod-cores", "--interval", "0"], "invalid-value"),
        (["quota", "watch", "no-such-quota"], "quota-unknown"),
        (
            ["quota", "request", "no-such-quota", "--value", "1", "--justification", "j", "--email", "a@b.c"],
            "quota-unknown",
        ),
        (["pricing", "refresh", "--currency", "dollars"], "currency-invalid"),
        (["config", "shw"], "unknown-command"),
        (["config", "show", "--no-such-flag"], "unknown-option"),
        (["cnfig", "show"], "unknown-command"),
    ],
)
def test_usage_errors_are_diagnostics(argv: list[str], code: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(argv) == ExitStatus.USAGE
    err = diagnostic(capsys)
    assert err.startswith(f"error[{code}]: "), err


def test_a_mistyped_global_flag_after_the_command_gets_a_suggestion(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["config", "show", "--projct", "x"]) == ExitStatus.USAGE
    assert "did you mean --project?" in diagnostic(capsys)


def test_a_bad_filter_is_refused_before_any_call(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["quota", "show", "--project", "p", "--filter", "limit<3 AND ("]) == ExitStatus.USAGE
    assert diagnostic(capsys).startswith("error[filter-invalid]")


# --- Ctrl-C and a closed pipe ---------------------------------------------------------------------


def test_ctrl_c_anywhere_is_one_line_and_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ops.commands import tree

    def interrupted(*_args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(tree, "build", interrupted)  # e.g. during the imports
    assert run(["config", "show"]) == ExitStatus.INTERRUPTED
    assert capsys.readouterr().err == "interrupted\n"


def test_a_closed_pipe_ends_quietly_with_the_sigpipe_status(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class ClosedPipe(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr("sys.stdout", ClosedPipe())
    assert run(["pricing", "show", "--format", "json"]) == ExitStatus.BROKEN_PIPE == 141
    assert capsys.readouterr().err == ""


def test_a_reader_gone_before_a_text_table_is_the_sigpipe_status_too() -> None:
    """Rich, which prints the text tables, exits 1 on a closed pipe of its own accord."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first write: every write fails with EPIPE
    try:
        done = subprocess.run(
            [sys.executable, "-m", "ops", "models", "list"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr) == (ExitStatus.BROKEN_PIPE, b"")


def test_the_quick_exit_flushes_everything_runs_exit_handlers_and_keeps_the_status(tmp_path: Path) -> None:
    """`main` skips the interpreter's teardown (ops.cli._exit): what a normal exit guarantees still
    holds. Here a report far bigger than a pipe's buffer, with errors (status 1)."""
    lines = SAMPLE.read_text().splitlines()
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join([*lines[:300], *(["{not json"] * 3000)]) + "\n")
    code = (
        "import atexit, sys; atexit.register(lambda: print('exit handler ran', file=sys.stderr)); "
        f"from ops.cli import main; main(['dataset', 'validate', {str(bad)!r}, '--format', 'json'])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == ExitStatus.CHECK_FAILED == 1, done.stderr
    assert done.stderr.endswith("exit handler ran\n")
    report = json.loads(done.stdout)  # complete: every byte was flushed
    assert len(done.stdout) > 1 << 16 and len(report["files"][0]["errors"]) == 3000


def test_a_reader_gone_in_the_middle_of_a_big_report_is_the_sigpipe_status(tmp_path: Path) -> None:
    """One write of a 10 MB report that the reader leaves half way returns short with no error in
    CPython: tunectl writes the rest, which fails, instead of exiting with the command's status."""
    bad = tmp_path / "bad.jsonl"
    bad.write_text("".join(f"{{bad json {i}\n" for i in range(60_000)))
    process = subprocess.Popen(
        [sys.executable, "-m", "ops", "dataset", "validate", str(bad), "--format", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.readline() == b"{\n"
    process.stdout.close()  # as `| head -1` does after its line
    err = process.stderr.read()
    assert (process.wait(timeout=120), err) == (ExitStatus.BROKEN_PIPE, b"")


# --- outputs and cloud failures -------------------------------------------------------------------


def test_an_output_path_that_is_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TunectlError) as caught:
        atomic_write_text(tmp_path, "x")
    assert caught.value.code == "output-is-directory" and caught.value.hint


def test_an_output_path_that_cannot_be_written_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(TunectlError) as caught:
        atomic_write_text(tmp_path / "a-file" / "out.json", "x")
    assert caught.value.code == "output-not-writable" and caught.value.hint


def test_a_503_the_client_library_retried_until_its_deadline_reads_as_unavailable() -> None:
    from google.api_core import exceptions

    last = exceptions.ServiceUnavailable("The service is currently unavailable.")
    error = translate_cloud_error(
        exceptions.RetryError("Timeout of 120.0s exceeded, last exception: 503", cause=last),
        what="listing quotas",
    )
    assert error.code == "cloud-unavailable" and "HTTP 503" in error.message
    assert "network" not in (error.hint or "") and "status.cloud.google.com" in (error.hint or "")


def test_an_exception_with_several_arguments_is_not_printed_as_a_tuple() -> None:
    error = translate_cloud_error(ConnectionError("connection reset by peer", {"errno": 104}), what="x")
    assert "connection reset by peer" in error.message and "(" not in error.message.split(":", 1)[1]


# --- random bad input never becomes error[internal] -----------------------------------------------

COMMANDS = [
    ["config", "show"],
    ["pricing", "show"],
    ["quota", "show"],
    ["quota", "watch", "tpu-v3-pod-cores"],
    ["tune", "list", "--local"],
    ["tune", "status", "gem-0000"],
    ["dataset", "stats"],
    ["dataset", "validate"],
    ["completion"],
    ["cost", "reconcile", "--billing-export"],
    ["nonsense"],
]
FLAGS = [
    ["--format", "xml"],
    ["--format", "csv"],
    ["--format", "yaml"],
    ["--timeout", "-5"],
    ["--limit", "-1"],
    ["--filter", "(("],
    ["--filter", "nope=1"],
    ["--interval", "abc"],
    ["--region"],
    ["-q"],
    ["--verbose"],
    ["--"],
    ["--project"],
]
ENVIRONMENT = {
    "TUNECTL_ANONYMOUS": st.sampled_from(["maybe", "", "TRUE", "0"]),
    "TUNECTL_REQUEST_TIMEOUT": st.sampled_from(["", "x", "-1", "30"]),
    "TUNECTL_REGION": st.sampled_from(["", "mars-central1", "us-central1"]),
}


# The dataset, cost and tune commands' own diagnostics are swept by their own tests (some still lack
# a hint); here they must still be diagnostics, not internal errors or tracebacks.
HINT_SWEPT_ELSEWHERE = ("dataset", "cost", "tune")


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI cannot flake on a new draw
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    command=st.sampled_from(COMMANDS),
    flags=st.lists(st.sampled_from(FLAGS), max_size=3),
    path=st.sampled_from(["missing.jsonl", "a-directory", "garbage.bin", "empty.jsonl", "config.toml"]),
    with_path=st.booleans(),
    config=st.sampled_from([None, "missing.toml", "garbage.bin", "a-directory", "config.toml"]),
    environ=st.fixed_dictionaries(ENVIRONMENT),
)
def test_random_bad_input_ends_in_a_diagnostic_never_an_internal_error(
    command: list[str],
    flags: list[list[str]],
    path: str,
    with_path: bool,
    config: str | None,
    environ: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "a-directory").mkdir(exist_ok=True)
    (tmp_path / "garbage.bin").write_bytes(b"\xff\xfe{not json\x00\n")
    (tmp_path / "empty.jsonl").write_text("")
    (tmp_path / "config.toml").write_text('region = "europe-west4"\n')
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    argv = list(command)
    if with_path:
        argv.append(str(tmp_path / path))
    for flag in flags:
        argv += flag
    if config:
        argv = ["--config", str(tmp_path / config), *argv]
    status = run(argv)
    out, err = capsys.readouterr()
    assert "error[internal]" not in err, f"tunectl {' '.join(argv)}\n{err}"
    assert "Traceback" not in err + out
    if status not in {0, 1}:
        assert err.startswith("error["), f"tunectl {' '.join(argv)} -> {status}\n{err}"
        if command[0] not in HINT_SWEPT_ELSEWHERE:
            assert "hint:" in err, f"tunectl {' '.join(argv)} -> {status}\n{err}"


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"[1]", "the top level is a JSON list"),
        (b'{"format": "tunectl-prices/1", "entries": [{"price": "1"}]}', "needs an `id`"),
        (b'{"format": "tunectl-prices/1", "id": "t", "entries": [{"id": "x"}]}', "entry 0 has no engine"),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_a_broken_price_table_is_described_in_words(
    content: bytes,
    says: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    table = tmp_path / "prices.json"
    table.write_bytes(content)
    monkeypatch.setenv("TUNECTL_PRICES", str(table))
    assert run(["pricing", "show"]) == ExitStatus.USAGE
    err = diagnostic(capsys)
    assert err.startswith("error[price-table-") and says in err and "KeyError" not in err


def test_end_of_input_at_a_prompt_is_a_usage_error_not_an_interrupt(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import typer

    from ops.commands.registry import COMMANDS, Entry

    asker = typer.Typer()

    @asker.command("ask")
    def ask() -> None:
        typer.confirm("go on?", abort=True, err=True)

    @asker.command("other")
    def other() -> None:
        """Two commands, so Typer keeps the group."""

    monkeypatch.setitem(globals(), "ASKER", asker)
    monkeypatch.setitem(COMMANDS, "asker", Entry(f"{__name__}:ASKER", "test"))
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert run(["asker", "ask"]) == ExitStatus.USAGE
    err = capsys.readouterr().err
    assert "error[confirmation-needed]" in err and "--yes" in err


@pytest.mark.parametrize(
    ("line", "says"), [("region = 5", "'region' is 5"), ("ledger = 3", "not a valid path")]
)
def test_a_config_value_of_the_wrong_type_is_named_without_python_text(
    line: str, says: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "c.toml"
    config.write_text(line + "\n")
    assert run(["--config", str(config), "config", "show"]) == ExitStatus.USAGE
    err = diagnostic(capsys)
    assert err.startswith("error[setting-invalid]") and says in err and "<class" not in err
