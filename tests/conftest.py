"""Shared pytest wiring: the local Google Cloud test servers and their fixtures (tests/cloud/README.md)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest_plugins = ["tests.cloud.fixtures", "pytester"]


@pytest.fixture(autouse=True)
def no_backoff_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Retries back off without really sleeping: the delays are recorded, not waited for."""
    from ops import cloud_errors

    waited: list[float] = []
    monkeypatch.setattr(cloud_errors, "backoff_sleep", waited.append)
    return waited


@pytest.fixture
def clean_cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The CLI as on a fresh machine: no TUNECTL_/GOOGLE_ variables from the one running the tests, a
    config and data home of its own under `tmp_path`, no colour. Returns `tmp_path`."""
    for name in list(os.environ):
        if name.startswith(("TUNECTL_", "GOOGLE_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config-home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data-home"))
    monkeypatch.setenv("NO_COLOR", "1")
    return tmp_path


# Tests that pay for one heavy import share an xdist worker (`python3 dev test` runs
# `--dist loadgroup`), so the import is paid once rather than once per worker.
HEAVY_IMPORT_GROUPS = {
    "pulumi": (
        "test_infra_cli.py",
        "test_infra_config_errors.py",
        "test_infra_golden.py",
        "test_infra_quotas.py",
        "test_infra_resources.py",
        "test_infra_schedules.py",
        "test_policy_stacks.py",
        "test_policy_readme.py",
        "test_cli_text_width.py",
    ),
    "aiplatform": ("test_cloud_clients.py", "test_cloud_vertex.py", "test_tune_cloud_pipeline.py"),
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    groups = {name: group for group, names in HEAVY_IMPORT_GROUPS.items() for name in names}
    for item in items:
        group = groups.get(item.path.name)
        if group is None and item.path.name == "test_readme_examples.py" and "infra plan" in item.name:
            group = "pulumi"
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))
