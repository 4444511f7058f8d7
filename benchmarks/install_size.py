"""How much disk `pip install tunectl` takes, and each extra on top of it.

The sizes come from the environment itself: for a requirement set (the runtime dependencies of
pyproject.toml, plus an extra), the distributions it pulls in transitively (each one's
`Requires-Dist`, with its environment markers and the extras asked for) are looked up in the installed
environment and the sizes of the files in their RECORDs are added up. Nothing is installed or
downloaded, and the numbers are those of the locked versions (requirements.lock), which `python3 dev
env` installs.

    .venv/bin/python benchmarks/install_size.py
    .venv/bin/python benchmarks/install_size.py --pyproject old-pyproject.toml --format json

The last line also gives the size of the whole `.venv` on disk (caches and tunectl itself included).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tomllib
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _installed() -> dict[str, metadata.Distribution]:
    return {_normalize(dist.metadata["Name"]): dist for dist in metadata.distributions()}


def closure(requirements: Iterable[str], installed: dict[str, metadata.Distribution]) -> set[str]:
    """The normalized names of every distribution `requirements` install, transitively."""
    seen: set[str] = set()
    pending = [(Requirement(text), frozenset[str]()) for text in requirements]
    while pending:
        requirement, _ = pending.pop()
        name = _normalize(requirement.name)
        key = f"{name}[{','.join(sorted(requirement.extras))}]"
        if key in seen or name not in installed:
            continue
        seen.add(key)
        for text in installed[name].requires or []:
            child = Requirement(text)
            environments = [{"extra": extra} for extra in requirement.extras] or [{"extra": ""}]
            if child.marker is None or any(child.marker.evaluate(env) for env in environments):
                pending.append((child, frozenset()))
    return {key.split("[", 1)[0] for key in seen}


def size_of(names: Iterable[str], installed: dict[str, metadata.Distribution]) -> int:
    total = 0
    for name in names:
        for file in installed[name].files or []:
            path = Path(str(file.locate()))
            if path.is_file():
                total += path.stat().st_size
    return total


def _directory_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def measure(pyproject: Path) -> dict[str, object]:
    project = tomllib.loads(pyproject.read_text())["project"]
    installed = _installed()
    runtime = closure(project.get("dependencies", []), installed)
    report: dict[str, object] = {"runtime_mb": round(size_of(runtime, installed) / 1e6, 1), "extras_mb": {}}
    everything = set(runtime)
    for extra, requirements in project.get("optional-dependencies", {}).items():
        with_extra = closure([*project.get("dependencies", []), *requirements], installed)
        everything |= with_extra
        report["extras_mb"][extra] = round(size_of(with_extra - runtime, installed) / 1e6, 1)  # type: ignore[index]
    report["all_extras_mb"] = round(size_of(everything, installed) / 1e6, 1)
    venv = Path(sys.prefix)
    report["venv_on_disk_mb"] = round(_directory_size(venv) / 1e6, 1)
    return report


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pyproject", type=Path, default=ROOT / "pyproject.toml")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    args = parser.parse_args(argv)
    report = measure(args.pyproject)
    if args.format == "json":
        print(json.dumps(report, indent=2))
        return 0
    print(f"runtime (pip install tunectl):      {report['runtime_mb']:8.1f} MB")
    for extra, size in report["extras_mb"].items():  # type: ignore[attr-defined]
        print(f"  + [{extra}]".ljust(36) + f"{size:8.1f} MB")
    print(f"everything (runtime + all extras):  {report['all_extras_mb']:8.1f} MB")
    print(f"{sys.prefix} on disk:  {report['venv_on_disk_mb']:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
