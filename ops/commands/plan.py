"""`tunectl plan`: not built yet."""

from __future__ import annotations

from ops.commands.common import not_available


def plan() -> None:
    """Not available yet."""
    raise not_available("plan")
