"""Every `$ tunectl ...` line in a ```console block of a README is run, so the docs cannot rot.

A line may end with `# exit N` when the example shows a non-zero status on purpose. Blocks of any
other kind (```shell, ```text) are illustrations that need a live project and are not run.

Examples run in-process through `ops.cli.run`, the function the console script calls (a subprocess
would only add the interpreter's start-up and re-import Pulumi for every `infra plan`);
tests/test_cli_foundation.py checks that `python -m ops` is the same CLI.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from ops.cli import run

ROOT = Path(__file__).resolve().parent.parent
READMES = sorted(
    p
    for p in [ROOT / "README.md", *ROOT.glob("*/README.md")]
    if p.exists() and not p.parent.name.startswith(".")
)
_BLOCK = re.compile(r"^```console\n(.*?)^```", re.S | re.M)
_EXIT = re.compile(r"\s+#\s*exit\s+(\d+)\s*$")


def _examples() -> list[tuple[str, str, int]]:
    found = []
    for readme in READMES:
        for block in _BLOCK.findall(readme.read_text(encoding="utf-8")):
            for line in block.splitlines():
                if not line.startswith("$ tunectl "):
                    continue
                command = line[2:]
                expected = 0
                if match := _EXIT.search(command):
                    expected = int(match.group(1))
                    command = command[: match.start()]
                found.append((str(readme.relative_to(ROOT)), command, expected))
    return found


EXAMPLES = _examples()


def test_readmes_hold_runnable_examples() -> None:
    assert EXAMPLES, "no ```console examples found in any README"


@pytest.mark.parametrize(
    ("readme", "command", "expected"), EXAMPLES, ids=[f"{r}: {c}" for r, c, _ in EXAMPLES]
)
def test_readme_example_runs(
    readme: str,
    command: str,
    expected: int,
    clean_cli_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("TUNECTL_CONFIG", str(clean_cli_env / "config.toml"))
    monkeypatch.setenv("TUNECTL_LEDGER", str(clean_cli_env / "ledger.sqlite"))
    monkeypatch.chdir(ROOT)
    status = run(shlex.split(command)[1:])
    err = capsys.readouterr().err
    assert status == expected, f"{readme}: `{command}` exited {status}, expected {expected}\n{err[-2000:]}"
    assert "Traceback" not in err
