"""Entry point the Pulumi CLI runs for the pack, from a checkout (`--policy-pack policies`) or
published (`pulumi policy publish`, then installed under
`~/.pulumi/policies/<org>/pulumi-analyzer-tunectl-guardrails-v<version>`).

Pulumi starts `python -u -m pulumi.policy <engine> <pack dir>`, which runs this file with
`runpy.run_path`: no package, and the pack directory first on `sys.path`. The pack's modules import
each other relatively, so this file loads the directory, whatever its name, as the package
`tunectl_guardrails`; the directory itself leaves `sys.path`, so names such as `rules` or `model`
never resolve to top-level modules. Nothing outside the directory is imported.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

PACKAGE = "tunectl_guardrails"
_PACK_DIR = Path(__file__).resolve().parent


def load_pack() -> ModuleType:
    """The pack's `pack` module (its policies), imported from this directory as `PACKAGE`."""
    if PACKAGE not in sys.modules:
        sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _PACK_DIR]
        spec = importlib.util.spec_from_file_location(
            PACKAGE, _PACK_DIR / "__init__.py", submodule_search_locations=[str(_PACK_DIR)]
        )
        assert spec is not None and spec.loader is not None
        package = importlib.util.module_from_spec(spec)
        sys.modules[PACKAGE] = package
        spec.loader.exec_module(package)
    return importlib.import_module(f"{PACKAGE}.pack")


if __name__ == "__main__":
    from pulumi_policy import EnforcementLevel, PolicyPack

    pack = load_pack()
    # Starts the analyzer's gRPC server, prints its port and blocks until the engine is done with it.
    PolicyPack(
        name=pack.PACK_NAME,
        policies=pack.build_policies(),
        enforcement_level=EnforcementLevel.MANDATORY,
        description="Guardrails for tunectl's Vertex AI tuning environments (see README.md in the pack).",
    )
