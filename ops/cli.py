"""The `tunectl` entry point: a small dispatcher in front of the Typer commands.

`tunectl --help` and `--version` are answered from the command table (ops/commands/registry.py)
without importing Typer; any other command line imports Typer and the one group it names
(ops/commands/tree.py), so start-up never pays for the whole tree (benchmarks/cli_startup.py).

The dispatcher also applies the conventions every command shares: global flags are accepted before or
after the subcommand, every failure (ours, Click's usage errors, Ctrl-C, a closed pipe) becomes one
`error[code]` diagnostic with a hint and a documented exit status (`ops.errors.ExitStatus`).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import sys
import textwrap
import traceback
from typing import TYPE_CHECKING, Any

from ops import __version__
from ops.commands.registry import ABOUT, COMMAND_OPTIONS_AT_ROOT, COMMANDS, ROOT_OPTIONS
from ops.errors import ExitStatus, TunectlError

if TYPE_CHECKING:
    from typer._click import core as click_core
    from typer.core import TyperGroup

COMPLETE_VAR = "_TUNECTL_COMPLETE"  # set by the scripts `tunectl completion SHELL` prints
HELP_FLAGS = frozenset({"-h", "--help"})
# name -> takes a value
_ROOT_FLAGS = {name: option.value is not None for option in ROOT_OPTIONS for name in option.names}


def main(argv: list[str] | None = None) -> None:
    """Run tunectl and exit with a documented status; never show a traceback for expected errors."""
    args = sys.argv[1:] if argv is None else argv
    try:
        status = run(args, debug="--debug" in args)
        sys.stdout.flush()
    except KeyboardInterrupt:  # outside `run`'s own handler: during start-up or the final flush
        status = _interrupted()
    except BrokenPipeError:
        status = _stdout_closed()
    _exit(status)


def _exit(status: int) -> None:
    """Exit without the interpreter's teardown when nothing else runs: exit handlers run and the
    output is flushed, but freeing every module and object of a short-lived process is skipped
    (20-50 ms of each run, benchmarks/validate_throughput.py). With another thread alive, the normal
    exit waits for it as Python would."""
    import threading

    if threading.active_count() > 1:
        sys.exit(status)
    atexit._run_exitfuncs()  # what a normal exit runs: clean-ups registered with atexit or weakref.finalize
    for stream in (sys.stdout, sys.stderr):
        # The reader left (141 was decided above), or the stream is closed.
        with contextlib.suppress(BrokenPipeError, ValueError):
            stream.flush()
    os._exit(status)


def run(args: list[str], *, debug: bool = False) -> int:
    """Run one command line and return its exit status (tests call this directly)."""
    try:
        if os.environ.get(COMPLETE_VAR):
            return _complete()
        before, name, after = split_root(args)
        if name is None:
            if _root_only(before):
                return _answer_at_root(before)
            raise _no_command(before)
        if name not in COMMANDS:
            raise _unknown_command(name)
        from ops.commands import tree

        command = tree.click_command(tree.build([name]))
        return _invoke(command, arrange(command, before, name, after))
    except TunectlError as exc:
        if debug:
            traceback.print_exc()
        print(exc.render(), file=sys.stderr)
        return int(exc.status)
    except KeyboardInterrupt:
        return _interrupted()
    except BrokenPipeError:
        return _stdout_closed()
    except Exception as exc:
        if debug:
            traceback.print_exc()
        print(
            f"error[internal]: {type(exc).__name__}: {exc}\n"
            "  hint: this is a bug in tunectl; re-run with --debug and report the traceback",
            file=sys.stderr,
        )
        return int(ExitStatus.USAGE)


def _invoke(command: TyperGroup, args: list[str]) -> int:
    """Click's `main` minus its handlers: those print `Aborted!` or exit 1 on a closed pipe."""
    import typer
    from typer._click import exceptions as click_exceptions

    try:
        with command.make_context("tunectl", args) as ctx:
            result = command.invoke(ctx)
    except typer.Exit as exc:  # a command that exits 130 has said what the interrupt left behind
        return int(exc.exit_code)
    except typer.Abort as exc:
        # Click's prompts raise `Abort() from None` for both Ctrl-C and end of input: the context
        # still tells them apart, and end of input is no interrupt (no terminal, no --yes).
        if isinstance(exc.__cause__ or exc.__context__, EOFError):
            raise TunectlError(
                "confirmation-needed",
                "standard input ended before the confirmation was answered",
                hint="pass --yes to confirm without a terminal",
            ) from exc
        return _interrupted()
    except click_exceptions.NoArgsIsHelpError as exc:
        print(exc.ctx.get_help() if exc.ctx else "", file=sys.stderr)
        return int(ExitStatus.USAGE)
    except click_exceptions.ClickException as exc:
        raise usage_error(exc) from exc
    return int(result) if isinstance(result, int) else int(ExitStatus.OK)


def _interrupted() -> int:
    print("interrupted", file=sys.stderr)
    return int(ExitStatus.INTERRUPTED)


def _stdout_closed() -> int:
    """The reader of our output went away (`tunectl ... | head`): stop quietly, with the status a
    process killed by SIGPIPE has, and keep Python from complaining when it flushes stdout at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a real file (tests)
        pass
    return int(ExitStatus.BROKEN_PIPE)


# --- the command line, before any Typer import ----------------------------------------------------


def split_root(args: list[str]) -> tuple[list[str], str | None, list[str]]:
    """(the root's arguments, the command name, everything after it)."""
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--" or not arg.startswith("-") or arg == "-":
            break
        flag = arg.split("=", 1)[0]
        takes_value = _ROOT_FLAGS.get(flag, False) or flag in COMMAND_OPTIONS_AT_ROOT
        index += 2 if takes_value and "=" not in arg else 1
    before = args[: min(index, len(args))]
    if index < len(args) and args[index] != "--":
        return before, args[index], args[index + 1 :]
    return before, None, args[index:]


def _root_only(before: list[str]) -> bool:
    return not before or "--version" in before or bool(HELP_FLAGS & set(before))


def _answer_at_root(before: list[str]) -> int:
    if "--version" in before and not HELP_FLAGS & set(before[: before.index("--version")]):
        print(f"tunectl {__version__}")
        return int(ExitStatus.OK)
    print(root_help(), end="")
    return int(ExitStatus.OK)


def _no_command(before: list[str]) -> TunectlError:
    import difflib

    known = [*_ROOT_FLAGS, *COMMAND_OPTIONS_AT_ROOT]
    for arg in before:
        flag = arg.split("=", 1)[0]
        if flag.startswith("-") and flag not in known:
            close = difflib.get_close_matches(flag, known, n=1)
            return TunectlError(
                "unknown-option",
                f"no such option: {flag}" + (f" (did you mean {close[0]}?)" if close else ""),
                where="tunectl",
                hint="see `tunectl --help` for the global options",
            )
    return TunectlError(
        "missing-command", "no command given", where="tunectl", hint="see `tunectl --help` for the commands"
    )


def _unknown_command(name: str) -> TunectlError:
    import difflib

    close = difflib.get_close_matches(name, COMMANDS, n=1)
    return TunectlError(
        "unknown-command",
        f"no such command: {name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""),
        where="tunectl",
        hint=f"commands: {', '.join(COMMANDS)}; see `tunectl --help`",
    )


def root_help(width: int | None = None) -> str:
    """`tunectl --help`, formatted as Click formats a group's help (a test compares the two)."""
    if width is None:
        width = max(min(shutil.get_terminal_size().columns, 80) - 2, 50)
    options = [(_option_label(o.names, o.value), o.help) for o in ROOT_OPTIONS]
    options.append(("-h, --help", "Show this message and exit."))
    commands = [(name, entry.help) for name, entry in COMMANDS.items()]
    about = textwrap.fill(ABOUT, width, initial_indent="  ", subsequent_indent="  ")
    return "\n".join(
        [
            "Usage: tunectl [OPTIONS] COMMAND [ARGS]...",
            "",
            about,
            "",
            "Options:",
            *_definition_list(options, width),
            "",
            "Commands:",
            *_definition_list(commands, width),
            "",
        ]
    )


def _option_label(names: tuple[str, ...], value: str | None) -> str:
    return ", ".join(names) + (f" {value}" if value else "")


def _definition_list(rows: list[tuple[str, str]], width: int) -> list[str]:
    """Click's `HelpFormatter.write_dl` (indent 2, first column at most 30, 2 spaces between)."""
    first_col = min(max(len(term) for term, _ in rows), 30) + 2
    text_width = max(width - first_col - 2, 10)
    lines = []
    for term, text in rows:
        wrapped = textwrap.wrap(text, text_width) or [""]
        if len(term) <= first_col - 2:
            lines.append(f"  {term}{' ' * (first_col - len(term))}{wrapped[0]}".rstrip())
        else:
            lines.append(f"  {term}")
            lines.append(f"{' ' * (first_col + 2)}{wrapped[0]}")
        lines.extend(f"{' ' * (first_col + 2)}{line}" for line in wrapped[1:])
    return lines


# --- global flags anywhere ------------------------------------------------------------------------


def _own_options(command: click_core.Command) -> dict[str, bool]:
    """The command's option strings -> whether each takes a value."""
    owned: dict[str, bool] = {}
    for param in command.params:
        if param.param_type_name != "option":
            continue
        takes_value = not getattr(param, "is_flag", False) and not getattr(param, "count", False)
        for opt in [*param.opts, *param.secondary_opts]:
            owned[opt] = takes_value
    return owned


def arrange(command: TyperGroup, before: list[str], name: str | None, after: list[str]) -> list[str]:
    """Move global flags given after the subcommand in front of it, unless the subcommand has an
    option of the same name (then its own meaning wins), and `--format` given in front to the
    subcommand, so that Click sees each flag where its command declares it."""
    if name is None:
        return before
    root, rest, current = list(before), [name], command.commands.get(name)
    to_leaf: list[str] = []
    index = 0
    while index < len(root):
        flag = root[index].split("=", 1)[0]
        width = 1 if "=" in root[index] or index + 1 >= len(root) else 2
        if flag in COMMAND_OPTIONS_AT_ROOT:
            to_leaf += root[index : index + width]
            del root[index : index + width]
            continue
        index += width if _ROOT_FLAGS.get(flag) else 1
    index = 0
    while index < len(after):
        arg = after[index]
        if arg == "--":
            rest += after[index:]
            break
        if not arg.startswith("-") or arg == "-":
            sub = getattr(current, "commands", {}).get(arg) if current is not None else None
            current = sub if sub is not None else current
            rest.append(arg)
            index += 1
            continue
        flag = arg.split("=", 1)[0]
        owned = _own_options(current) if current is not None else {}
        width = 2 if "=" not in arg and index + 1 < len(after) else 1
        if flag in owned:
            rest += after[index : index + (width if owned[flag] else 1)]
            index += width if owned[flag] else 1
        elif flag in _ROOT_FLAGS:
            step = width if _ROOT_FLAGS[flag] else 1
            root += after[index : index + step]
            index += step
        else:
            rest.append(arg)
            index += 1
    if to_leaf:
        owned = _own_options(current) if current is not None else {}
        if to_leaf[0].split("=", 1)[0] not in owned:
            path = " ".join(arg for arg in rest if not arg.startswith("-"))
            raise TunectlError(
                "unknown-option",
                f"`tunectl {path}` has no {to_leaf[0].split('=', 1)[0]} option",
                hint=f"see `tunectl {path} --help`",
            )
        rest += to_leaf
    return root + rest


# --- Click's own errors, in our form --------------------------------------------------------------


def usage_error(exc: Any) -> TunectlError:
    """A Click usage error (unknown option, bad value, missing argument) as an `error[code]`."""
    from typer._click import exceptions as click_exceptions

    ctx = getattr(exc, "ctx", None)
    path = ctx.command_path if ctx is not None else "tunectl"
    message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    code = "usage"
    if isinstance(exc, click_exceptions.NoSuchOption):
        code = "unknown-option"
        if not exc.possibilities:  # Click suggests only the command's own options: add the global ones
            import difflib

            close = difflib.get_close_matches(exc.option_name, list(_ROOT_FLAGS), n=1)
            message += f" (did you mean {close[0]}?)" if close else ""
    elif isinstance(exc, click_exceptions.MissingParameter):
        code = "missing-parameter"
    elif isinstance(exc, click_exceptions.BadParameter):
        code = "invalid-value"
    elif isinstance(exc, click_exceptions.BadOptionUsage):
        code = "bad-option"
    elif message.startswith("No such command"):
        code = "unknown-command"
    return TunectlError(
        code,
        " ".join(message.split()),
        where=path,
        hint=f"see `{path} --help` for its options and examples",
    )


# --- shell completion -----------------------------------------------------------------------------


def _complete() -> int:
    """Answer a completion request from the scripts of `tunectl completion` (whole tree: the shell
    asks about any command)."""
    from typer._completion_classes import completion_init

    from ops.commands import tree

    completion_init()
    command = tree.click_command(tree.build())
    try:
        command._main_shell_completion({}, "tunectl", COMPLETE_VAR)
    except SystemExit as exc:
        return int(exc.code or 0)
    return int(ExitStatus.OK)
