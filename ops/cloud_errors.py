"""Google API failures: bounded retries for transient ones, one clear diagnostic for the rest.

Every client library we use raises its own exception family (`google.api_core.exceptions` for the
GAPIC and REST clients, `google.genai.errors.APIError` for google-genai, `requests`/`httpx` errors
for timeouts). This module is the single place that classifies them.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from typing import TypeVar

from ops.errors import ExitStatus, TunectlError

T = TypeVar("T")

RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})
DEFAULT_ATTEMPTS = 5


def http_status(exc: BaseException) -> int | None:
    """The HTTP status of a Google client exception, or None when it is not an API answer."""
    for attr in ("code", "status_code"):
        value = getattr(exc, attr, None)
        if isinstance(value, int) and 100 <= value < 600:
            return value
    response = getattr(exc, "response", None)
    value = getattr(response, "status_code", None)
    return value if isinstance(value, int) else None


def is_timeout(exc: BaseException) -> bool:
    name = type(exc).__name__.lower()
    return "timeout" in name or isinstance(exc, TimeoutError)


def is_bad_response(exc: BaseException) -> bool:
    """A body that did not parse (truncated JSON, a proxy's HTML page): the JSON decoder's error, or
    protobuf's `ParseError` from the GAPIC REST transport. Nothing says the request failed."""
    return any(t.__name__ in {"JSONDecodeError", "ParseError", "DecodeError"} for t in type(exc).__mro__)


def is_transient(exc: BaseException) -> bool:
    status = http_status(exc)
    if status is not None:
        return status in RETRYABLE_STATUS
    return (
        is_timeout(exc)
        or is_bad_response(exc)
        or isinstance(exc, ConnectionError)
        or "connection" in type(exc).__name__.lower()
    )


def _api_message(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc)
    return " ".join(str(message).split())[:600]


def translate_cloud_error(exc: BaseException, *, what: str) -> TunectlError:
    """Turn a client-library exception into a diagnostic that says what failed and what to do."""
    status = http_status(exc)
    message = _api_message(exc)
    hints = {
        400: "the API rejected the request; the message names the offending field",
        401: "run `gcloud auth application-default login`, or check GOOGLE_APPLICATION_CREDENTIALS",
        403: "the caller lacks a permission; the message names it. Grant the role that holds it "
        "(see infra/README.md for the roles the stack grants)",
        404: "check the project, region and resource name",
        409: "the resource already exists; re-run to pick it up, or pass --force where offered",
        429: "quota or rate limit exhausted after retries; wait and re-run, or request more quota",
    }
    if status is None and is_bad_response(exc):
        code, hint = (
            "cloud-bad-response",
            "the API's answer could not be parsed, even after retries; re-run later",
        )
    elif status is None:
        code, hint = "cloud-unreachable", "check the network, the endpoint setting and credentials"
    else:
        code = {
            400: "cloud-bad-request",
            401: "cloud-unauthenticated",
            403: "cloud-permission-denied",
            404: "cloud-not-found",
            409: "cloud-conflict",
            429: "cloud-rate-limited",
        }.get(status, "cloud-api-error")
        hint = hints.get(status, "a transient server error persisted after retries; re-run later")
    prefix = f"HTTP {status}: " if status else ""
    return TunectlError(code, f"{what} failed: {prefix}{message}", hint=hint, status=ExitStatus.CLOUD_API)


def retry_base_delay() -> float:
    """The first backoff in seconds (`TUNECTL_RETRY_BASE_DELAY`, default 0.5; tests set 0)."""
    try:
        return max(0.0, float(os.environ.get("TUNECTL_RETRY_BASE_DELAY", "0.5")))
    except ValueError:
        return 0.5


def call_with_retry(
    fn: Callable[[], T],
    *,
    what: str,
    attempts: int = DEFAULT_ATTEMPTS,
    base_delay: float | None = None,
    max_delay: float = 8.0,
    retry_if: Callable[[BaseException], bool] = is_transient,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call `fn`, retrying transient failures with jittered exponential backoff, at most `attempts` times.

    Only pass calls that are safe to repeat (reads, or creates keyed by a client-chosen id or
    guarded by a lookup): a retry must never create a second job.
    """
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except TunectlError:
            raise
        except Exception as exc:
            if attempt == attempts or not retry_if(exc):
                raise translate_cloud_error(exc, what=what) from exc
            first = retry_base_delay() if base_delay is None else base_delay
            delay = min(max_delay, first * 2 ** (attempt - 1))
            sleep(delay * (0.5 + random.random() / 2))
    raise AssertionError("unreachable")
