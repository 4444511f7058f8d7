"""`tunectl --help` (and every group's and command's --help) imports none of the heavy libraries.

Start-up budget (benchmarks/cli_startup.py): command modules import only the stdlib, typer and
ops.commands.common / ops.errors / ops.output at module level; Google, Pulumi, DuckDB, KFP,
pydantic and Rich are imported inside the command function that needs them. Each case runs in a
fresh interpreter, so nothing imported by another test can hide an import, and names the import
chain of any offender (from `-X importtime`). No timing here: numbers belong to the benchmark.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.core import TyperGroup

from ops.commands import tree

ROOT = Path(__file__).resolve().parent.parent

# Top-level packages that must not load for --help. `google` covers google.cloud, google.genai,
# google.protobuf and google.auth; the .pth files of the google namespace packages create the bare
# `google` and `google.cloud` modules at interpreter start, and the baseline below excludes those.
FORBIDDEN = frozenset(
    {
        "google",
        "googleapiclient",
        "grpc",
        "vertexai",
        "pulumi",
        "pulumi_gcp",
        "pulumi_policy",
        "duckdb",
        "pyarrow",
        "kfp",
        "pydantic",
        "pydantic_core",
        "rich",
    }
)

# Typer 0.29 coerces every non-bool option value through a pydantic TypeAdapter
# (typer/_coercion.py -> typer/_adapters.py), so any subcommand, even `tunectl dataset --help`,
# imports pydantic while processing the root options: ~0.2-0.35 s on this machine. Typer 0.28 does
# not. Until typer is pinned below 0.29, pydantic loaded by typer itself is excused here, and
# test_typer_processes_options_without_pydantic records the cost as an expected failure.
PYDANTIC = frozenset({"pydantic", "pydantic_core"})
TYPER_LOADS_PYDANTIC = tuple(int(part) for part in typer.__version__.split(".")[:2]) >= (0, 29)

# Checked even if a refactor forgets to register one: a missing name fails with a usage error.
REQUIRED_TOP_LEVEL = (
    "dataset",
    "plan",
    "tune",
    "preflight",
    "quota",
    "cost",
    "pricing",
    "infra",
    "config",
    "completion",
)

# Runs in the fresh interpreter: which modules did `import ops.cli` and each command line add?
CHECKER = """
import contextlib, io, json, sys
before = set(sys.modules)
from ops.cli import run
report = {"import ops.cli": [m for m in sys.modules if m not in before], "commands": []}
for argv in json.loads(sys.argv[1]):
    before = set(sys.modules)
    captured = io.StringIO()
    with contextlib.redirect_stdout(captured):
        status = run(argv)
    report["commands"].append({
        "argv": argv,
        "status": status,
        "printed_usage": "Usage:" in captured.getvalue(),
        "new_modules": [m for m in sys.modules if m not in before],
    })
print(json.dumps(report), file=sys.__stdout__)
"""


def registered_top_level() -> list[str]:
    return sorted(tree.click_command(tree.build()).commands)


def help_lines(top: str) -> list[list[str]]:
    """`<top> --help`, then `--help` of every command below it (group callbacks run for those too)."""
    root = tree.click_command(tree.build())
    lines = [[top, "--help"]]

    def below(command: object, path: list[str]) -> None:
        if isinstance(command, TyperGroup):
            for name, sub in sorted(command.commands.items()):
                lines.append([*path, name, "--help"])
                below(sub, [*path, name])

    if top in root.commands:
        below(root.commands[top], [top])
    return lines


def import_chains(importtime_log: str) -> dict[str, list[str]]:
    """Module -> the chain of imports that loaded it, outermost first, from `-X importtime` output.

    The log lists a module after the modules it imported, indented two spaces per level, so a
    module's importer is the next line with less indentation."""
    entries = []
    for line in importtime_log.splitlines():
        if not line.startswith("import time:") or line.rstrip().endswith("| imported package"):
            continue
        field = line.rsplit("|", 1)[1][1:]
        name = field.lstrip(" ")
        entries.append((name, (len(field) - len(name)) // 2))
    chains = {}
    for index, (name, level) in enumerate(entries):
        chain, want = [name], level
        for later, later_level in entries[index + 1 :]:
            if later_level < want:
                chain.append(later)
                want = later_level
        chains[name] = chain[::-1]
    return chains


def offenders(
    new_modules: list[str], chains: dict[str, list[str]], *, excuse_typer: bool = True
) -> list[str]:
    """One line per forbidden package, naming how its first module got imported."""
    found: dict[str, str | None] = {}  # package -> import chain, None when typer itself loaded it
    for module in new_modules:  # insertion order: the first of a package is where it came in
        package = module.split(".")[0]
        if package not in FORBIDDEN or package in found:
            continue
        chain = chains.get(module, [module])
        by_typer = TYPER_LOADS_PYDANTIC and package in PYDANTIC and chain[0].startswith("typer.")
        found[package] = None if excuse_typer and by_typer else " -> ".join(chain)
    return [f"{package} (via {chain})" for package, chain in found.items() if chain is not None]


def run_in_fresh_interpreter(lines: list[list[str]]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TUNECTL_", "GOOGLE_"))}
    env["NO_COLOR"] = "1"
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", CHECKER, json.dumps(lines)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"the checker itself failed:\n{result.stderr[-3000:]}"
    return json.loads(result.stdout.splitlines()[-1]), import_chains(result.stderr)


CASES = sorted(set(registered_top_level()) | set(REQUIRED_TOP_LEVEL))
RULE = (
    "command modules may import only the stdlib, typer and ops.commands.common/ops.errors/ops.output "
    "at module level; import the rest inside the command function"
)


def test_required_commands_are_registered() -> None:
    assert set(REQUIRED_TOP_LEVEL) <= set(registered_top_level())


def test_root_help_imports_no_heavy_library() -> None:
    report, chains = run_in_fresh_interpreter([["--help"]])
    problems = offenders(report["import ops.cli"], chains)
    assert problems == [], f"`import ops.cli` loads: {'; '.join(problems)}\n{RULE}"
    (command,) = report["commands"]
    assert command["status"] == 0 and command["printed_usage"]
    problems = offenders(command["new_modules"], chains)
    assert problems == [], f"`tunectl --help` loads: {'; '.join(problems)}\n{RULE}"


def test_root_help_and_version_import_neither_typer_nor_a_command_module() -> None:
    report, _chains = run_in_fresh_interpreter([["--help"], ["--version"], ["-h"]])
    loaded = report["import ops.cli"] + [m for c in report["commands"] for m in c["new_modules"]]
    assert [c["status"] for c in report["commands"]] == [0, 0, 0]
    assert not [m for m in loaded if m.split(".")[0] in {"typer", "click"}]
    assert not [m for m in loaded if m.startswith("ops.commands.") and m != "ops.commands.registry"]


def test_a_command_imports_only_its_own_group() -> None:
    report, _chains = run_in_fresh_interpreter([["config", "show", "--format", "json"]])
    (command,) = report["commands"]
    assert command["status"] == 0
    modules = [m for m in command["new_modules"] if m.startswith("ops.commands.") and m.count(".") == 2]
    groups = {m.split(".")[2] for m in modules}
    assert groups <= {"config", "common", "tree", "examples", "registry"}, groups


@pytest.mark.parametrize("top", CASES)
def test_command_help_imports_no_heavy_library(top: str) -> None:
    report, chains = run_in_fresh_interpreter(help_lines(top))
    failures = []
    for command in report["commands"]:
        shown = "tunectl " + " ".join(command["argv"])
        if command["status"] != 0 or not command["printed_usage"]:
            failures.append(f"`{shown}` exited {command['status']} without printing its usage")
        if problems := offenders(command["new_modules"], chains):
            failures.append(f"`{shown}` loads: {'; '.join(problems)}")
    assert failures == [], "\n".join([*failures, RULE])


@pytest.mark.xfail(
    TYPER_LOADS_PYDANTIC, strict=True, reason="typer>=0.29 validates option values with pydantic"
)
def test_typer_processes_options_without_pydantic() -> None:
    report, chains = run_in_fresh_interpreter([["config", "--help"]])
    (command,) = report["commands"]
    assert offenders(command["new_modules"], chains, excuse_typer=False) == []


def test_import_chains_name_the_importer_of_each_module() -> None:
    log = "\n".join(
        [
            "import time: self [us] | cumulative | imported package",
            "import time:        10 |         10 |     pydantic_core",
            "import time:        20 |         30 |   pydantic",
            "import time:         5 |          5 |   json",
            "import time:        40 |         75 | ops.commands.quota",
        ]
    )
    chains = import_chains(log)
    assert chains["pydantic_core"] == ["ops.commands.quota", "pydantic", "pydantic_core"]
    assert offenders(["json", "pydantic", "pydantic_core"], chains, excuse_typer=False) == [
        "pydantic (via ops.commands.quota -> pydantic)",
        "pydantic_core (via ops.commands.quota -> pydantic -> pydantic_core)",
    ]


def test_dataset_validate_imports_only_what_the_scan_needs(tmp_path: Path) -> None:
    """The command users wait on with big files: the duplicate search is C, not numpy (~0.1 s to
    import), and the tuning specs are not the dataset checks' business."""
    example = {
        "contents": [
            {"role": "user", "parts": [{"text": "hi"}]},
            {"role": "model", "parts": [{"text": "yo"}]},
        ]
    }
    path = tmp_path / "train.jsonl"
    path.write_text(f"{json.dumps(example)}\n" * 3)  # repeats: the key store is searched
    report, chains = run_in_fresh_interpreter([["dataset", "validate", str(path), "--format", "json"]])
    (command,) = report["commands"]
    assert command["status"] == 0
    loaded = [*report["import ops.cli"], *command["new_modules"]]
    assert "ops.datasets.keys" in loaded
    unwanted = [m for m in loaded if m.split(".")[0] in FORBIDDEN | {"numpy"} or m.startswith("ops.tuning")]
    assert unwanted == [], [" -> ".join(chains.get(m, [m])) for m in unwanted]
