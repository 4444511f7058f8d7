"""Shared pytest wiring: the local Google Cloud test servers and their fixtures (tests/cloud/README.md)."""

from __future__ import annotations

import pytest

pytest_plugins = ["tests.cloud.fixtures", "pytester"]


@pytest.fixture(autouse=True)
def no_backoff_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Retries back off without really sleeping: the delays are recorded, not waited for."""
    from ops import cloud_errors

    waited: list[float] = []
    monkeypatch.setattr(cloud_errors, "backoff_sleep", waited.append)
    return waited
