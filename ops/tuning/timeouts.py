"""How long one API request may take before it counts as hung (and is retried or reported)."""

from __future__ import annotations

import os

DEFAULT_REQUEST_TIMEOUT = 60.0


def request_timeout_seconds() -> float:
    """`TUNECTL_REQUEST_TIMEOUT` overrides the default; the tests set it short to exercise hung calls."""
    return float(os.environ.get("TUNECTL_REQUEST_TIMEOUT") or DEFAULT_REQUEST_TIMEOUT)
