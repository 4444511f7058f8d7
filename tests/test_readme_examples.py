"""Every `$ tunectl ...` line in a ```console block of a README is run, so the docs cannot rot.

A line may end with `# exit N` when the example shows a non-zero status on purpose. Blocks of any
other kind (```shell, ```text) are illustrations that need a live project and are not run.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

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
def test_readme_example_runs(readme: str, command: str, expected: int, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TUNECTL_", "GOOGLE_"))}
    env.update(
        TUNECTL_CONFIG=str(tmp_path / "config.toml"),
        TUNECTL_LEDGER=str(tmp_path / "ledger.sqlite"),
        NO_COLOR="1",
    )
    argv = shlex.split(command)[1:]
    result = subprocess.run(
        [sys.executable, "-m", "ops", *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == expected, (
        f"{readme}: `{command}` exited {result.returncode}, expected {expected}\n{result.stderr[-2000:]}"
    )
    assert "Traceback" not in result.stderr
