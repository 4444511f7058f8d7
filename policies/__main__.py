"""Entry point the Pulumi CLI runs for `pulumi preview --policy-pack policies`.

Pulumi runs this file with the pack directory first on sys.path; the rules are imported as the
`policies` package (as in the main environment and the tests), so the repository root replaces
it, which also keeps module names such as `policies/rules` from shadowing anything.
"""

from __future__ import annotations

import sys
from pathlib import Path

_PACK_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _PACK_DIR]
sys.path.insert(0, str(_PACK_DIR.parent))

from pulumi_policy import EnforcementLevel, PolicyPack  # noqa: E402

from policies.pack import PACK_NAME, build_policies  # noqa: E402

if __name__ == "__main__":
    # Starts the analyzer's gRPC server and blocks until the engine is done with it.
    PolicyPack(
        name=PACK_NAME,
        policies=build_policies(),
        enforcement_level=EnforcementLevel.MANDATORY,
        description="Guardrails for tunectl's Vertex AI tuning environments (see policies/README.md).",
    )
