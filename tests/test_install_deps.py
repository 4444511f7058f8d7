"""The install is lean: what only the tests and the checks use is not a runtime dependency, every
runtime dependency has an upper bound that the locked version (what CI runs) sits under, and tunectl's
own code imports nothing that only the dev extra installs."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
LOCKED = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", (ROOT / "requirements.lock").read_text(), re.M))
# Modules of packages only the dev extra installs: tunectl must run without them.
DEV_ONLY_MODULES = {"googleapiclient", "sqlglot", "pathspec", "pytest", "hypothesis", "xdist", "mypy", "ruff"}


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _locked(name: str) -> str:
    return {_normalize(k): v for k, v in LOCKED.items()}[_normalize(name)]


def test_test_only_packages_and_heavy_features_are_not_runtime_dependencies() -> None:
    runtime = {_normalize(Requirement(r).name) for r in PROJECT["dependencies"]}
    heavy = {"pulumi", "pulumi-gcp", "kfp", "google-cloud-pipeline-components", "google-cloud-aiplatform"}
    assert not runtime & (
        heavy | {"sacrebleu", "rouge-score", "google-api-python-client", "sqlglot", "pytest"}
    )


def test_every_runtime_and_extra_dependency_has_an_upper_bound_above_the_locked_version() -> None:
    extras = PROJECT["optional-dependencies"]
    for text in [*PROJECT["dependencies"], *extras["infra"], *extras["rlhf"], *extras["eval"]]:
        requirement = Requirement(text)
        assert any(spec.operator in {"<", "<=", "=="} for spec in requirement.specifier), (
            f"{text}: no upper bound"
        )
        assert requirement.specifier.contains(_locked(requirement.name)), (
            f"{text}: the locked {_locked(requirement.name)} (what CI runs) is outside it"
        )


def test_tunectl_imports_nothing_only_the_dev_extra_installs() -> None:
    found = []
    for package in ("ops", "infra", "policies"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                found += [
                    f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] in DEV_ONLY_MODULES
                ]
    assert not found
