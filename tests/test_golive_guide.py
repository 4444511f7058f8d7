"""The README's go-live guide: every shell block that can run offline runs here, as written.

A block is live when one of its commands runs the Pulumi CLI, gcloud or bq (directly or in a `$(...)`);
every other block runs with bash in a scratch copy of the project files, with `tunectl` on PATH and
`.venv` as in a checkout, and must exit 0. Operators' steps (after "The first run") are not part of
the platform engineer's guide.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUIDE_START = "# Going live: the platform engineer's guide"
GUIDE_END = "## The first run (operators)"
LIVE_PROGRAMS = {"pulumi", "gcloud", "bq"}
_BLOCK = re.compile(r"^```shell\n(.*?)^```", re.S | re.M)


def _guide() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text[text.index(GUIDE_START) : text.index(GUIDE_END)]


def _commands(block: str) -> list[str]:
    joined = block.replace("\\\n", " ")
    return [
        line.split(" #")[0].strip()
        for line in joined.splitlines()
        if line.strip() and not line.startswith("#")
    ]


def _is_live(command: str) -> bool:
    words = re.findall(r"(?:^|\$\(|&&\s*|\|\s*)\s*(?:[A-Z_]+=\S+\s+)*([\w./-]+)", command)
    return bool(LIVE_PROGRAMS & {Path(word).name for word in words})


BLOCKS = [_commands(block) for block in _BLOCK.findall(_guide())]
OFFLINE = [commands for commands in BLOCKS if not any(map(_is_live, commands))]


def test_the_guide_has_live_and_offline_blocks() -> None:
    assert len(BLOCKS) >= 10
    assert len(OFFLINE) >= 3, "the guide's offline steps (stack copy, template compile, import file) vanished"


def test_a_live_block_is_recognised_by_its_cli() -> None:
    assert _is_live('.venv/bin/python -m infra.rlhf_template x.yaml --upload "$(pulumi stack output r)"')
    assert _is_live("export X=1 && gcloud storage ls")
    assert not _is_live(
        "TUNECTL_POLICY_CONFIG=policies/stacks/gpu.json tunectl infra plan --stack Pulumi.prod.yaml"
    )


@pytest.fixture
def workspace(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """The project files a platform engineer's checkout has, and `tunectl` on PATH."""
    for stack_file in ROOT.glob("Pulumi*.yaml"):
        shutil.copy(stack_file, tmp_path)
    shutil.copytree(ROOT / "policies" / "stacks", tmp_path / "policies" / "stacks")
    (tmp_path / ".venv").symlink_to(ROOT / ".venv", target_is_directory=True)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tunectl = bin_dir / "tunectl"
    tunectl.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m ops "$@"\n')
    tunectl.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TUNECTL_", "GOOGLE_", "PULUMI_"))}
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', os.defpath)}",
        TUNECTL_CONFIG=str(tmp_path / "config.toml"),
        TUNECTL_LEDGER=str(tmp_path / "ledger.sqlite"),
        NO_COLOR="1",
        # This checkout's code, not whatever the shared environment has installed (an editable
        # install may point at another worktree).
        PYTHONPATH=str(ROOT),
    )
    return tmp_path, env


def test_every_offline_block_of_the_guide_runs(workspace: tuple[Path, dict[str, str]]) -> None:
    directory, env = workspace
    for commands in OFFLINE:
        script = "set -euo pipefail\n" + "\n".join(commands)
        result = subprocess.run(
            ["bash", "-c", script], cwd=directory, env=env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, f"{script}\nexited {result.returncode}\n{result.stderr[-3000:]}"
        assert "Traceback" not in result.stderr
    # What the blocks promise exists: the copied stack, the compiled template, the import files.
    assert (directory / "Pulumi.prod.yaml").is_file()
    assert (directory / "out" / "rlhf_pipeline.yaml").is_file()
    assert {"import.json", "import-new-stack.json"} <= {p.name for p in directory.glob("import*.json")}
