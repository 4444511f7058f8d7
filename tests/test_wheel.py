"""`python3 dev wheel` builds a platform wheel with the C scanner compiled in, and the data files the
package reads at run time, so a machine without a compiler can install the fast path."""

from __future__ import annotations

import sys
import zipfile
from importlib.machinery import SourceFileLoader
from importlib.util import module_from_spec, spec_from_loader
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.xdist_group("wheel")
def test_the_wheel_carries_the_compiled_scanner_and_the_data(tmp_path: Path) -> None:
    loader = SourceFileLoader("dev_script", str(ROOT / "dev"))
    spec = spec_from_loader("dev_script", loader)
    assert spec is not None
    dev = module_from_spec(spec)
    loader.exec_module(dev)
    assert dev.build_wheel(Path(sys.prefix), tmp_path) == 0
    (wheel,) = tmp_path.glob("tunectl-*.whl")
    assert "linux" in wheel.name or "macosx" in wheel.name or "win" in wheel.name  # a platform wheel
    names = set(zipfile.ZipFile(wheel).namelist())
    assert any(n.startswith("ops/datasets/_fastscan") and n.endswith((".so", ".pyd")) for n in names)
    for data in ("ops/data/catalog.json", "ops/data/vertex_schemas.json", "policies/service_catalog.json"):
        assert data in names
