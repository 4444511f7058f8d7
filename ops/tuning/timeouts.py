"""How long one API request may take before it counts as hung (and is retried or reported)."""

from __future__ import annotations

import math
import os

from ops.errors import TunectlError

DEFAULT_REQUEST_TIMEOUT = 60.0


def request_timeout_seconds() -> float:
    """`TUNECTL_REQUEST_TIMEOUT` overrides the default; the tests set it short to exercise hung calls.

    A value that is not a positive number is a usage error naming the variable (exit 2), raised before
    any request: inside a retried call it would read as the network being down."""
    return parse_request_timeout(os.environ.get("TUNECTL_REQUEST_TIMEOUT"))


def parse_request_timeout(raw: str | None) -> float:
    """The variable's value in seconds; settings are resolved through this too, so every command that
    reads settings refuses a bad value, not only those whose requests read it."""
    if not raw:
        return DEFAULT_REQUEST_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise TunectlError(
            "setting-invalid",
            f"TUNECTL_REQUEST_TIMEOUT must be a positive number of seconds, not {raw!r}",
            where="env TUNECTL_REQUEST_TIMEOUT",
            hint=f"set it to e.g. 60 (the default, {DEFAULT_REQUEST_TIMEOUT:g} s), or unset it",
        )
    return value
