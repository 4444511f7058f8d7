"""`tunectl preflight`: not built yet."""

from __future__ import annotations

from ops.commands.common import not_available


def preflight() -> None:
    """Not available yet."""
    raise not_available("preflight")
