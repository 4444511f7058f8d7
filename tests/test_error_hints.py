"""Every failure of the dataset, plan, tune and cost-window paths says how to fix it: each
`TunectlError` raised there carries a hint (checked in the source, so a new error without one fails
here, not in a user's terminal)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# ops/datasets is checked by its own suite.
CHECKED = [
    *sorted((ROOT / "ops" / "tuning").glob("*.py")),
    *sorted((ROOT / "ops" / "planning").glob("*.py")),
    ROOT / "ops" / "commands" / "tune.py",
    ROOT / "ops" / "commands" / "dataset.py",
    ROOT / "ops" / "commands" / "schedules.py",
    ROOT / "ops" / "schedules" / "costs.py",
    ROOT / "ops" / "costs" / "options.py",
]
# launch.py and reinforcement.py belong to the launch and reinforcement work, checked there.
SKIPPED = {ROOT / "ops" / "tuning" / "launch.py", ROOT / "ops" / "tuning" / "reinforcement.py"}


def errors_without_hint(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "TunectlError"):
            continue
        if not any(k.arg == "hint" for k in node.keywords):
            code = node.args[0].value if node.args and isinstance(node.args[0], ast.Constant) else "?"
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} error[{code}]")
    return found


def test_dataset_plan_and_tune_errors_all_carry_a_hint() -> None:
    missing = [e for path in CHECKED if path not in SKIPPED for e in errors_without_hint(path)]
    assert not missing, "add a hint= that says how to fix it:\n" + "\n".join(missing)
