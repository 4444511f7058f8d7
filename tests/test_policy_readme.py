"""policies/README.md stays true: every rule documented with its levels, every property with its
policy, every JSON example a valid pack config, and the shown verdict what the command prints.
(The ```console examples run in tests/test_readme_examples.py.)"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from ops.cli import run
from policies.catalog import RULES
from policies.pack_config import parse_pack_config

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "policies" / "README.md").read_text(encoding="utf-8")


def _blocks(kind: str) -> list[str]:
    return re.findall(rf"^```{kind}\n(.*?)^```", README, re.S | re.M)


def _table_rows() -> list[list[str]]:
    return [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in README.splitlines()
        if line.startswith("|")
    ]


def test_every_rule_is_documented_with_its_enforcement_and_severity() -> None:
    rows = {row[1].strip("`"): row for row in _table_rows() if len(row) == 7}
    for rule in RULES:
        assert rule.id in rows, f"policies/README.md: no row for {rule.id}"
        assert rows[rule.id][-2:] == [rule.enforcement.value, rule.severity.value], rule.id


def test_every_config_property_is_documented_under_its_policy() -> None:
    documented = {(row[0].strip("`"), row[1].strip("`")) for row in _table_rows() if len(row) == 4}
    for rule in RULES:
        for name in rule.config:
            assert (rule.id, name) in documented, f"policies/README.md: no row for {rule.id}.{name}"


def test_json_examples_are_valid_pack_configs() -> None:
    blocks = _blocks("json")
    assert blocks
    for block in blocks:
        parse_pack_config(json.loads(block))


def test_the_shown_verdict_is_what_the_command_prints(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in list(os.environ):
        if name.startswith("TUNECTL_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TUNECTL_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.chdir(ROOT)
    (shown,) = _blocks("text")
    assert run(["infra", "plan", "--stack", "policies/examples/Pulumi.unguarded.yaml"]) == 1
    printed = capsys.readouterr().out.splitlines()
    assert printed[-len(shown.splitlines()) :] == shown.splitlines()
