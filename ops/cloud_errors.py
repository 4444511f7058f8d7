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
# The pause between attempts; the test suite replaces it (tests/conftest.py) so no test really waits.
backoff_sleep: Callable[[float], None] = time.sleep


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
    """The API's own words, never a Python repr: some exceptions carry a tuple of arguments (a
    transport error's `(message, response)`), whose `str()` would print the tuple."""
    message = getattr(exc, "message", None)
    if not isinstance(message, str) or not message:
        texts = [arg for arg in exc.args if isinstance(arg, str) and arg.strip()]
        if len(exc.args) == len(texts) == 1 or type(exc).__name__ == "HttpError":
            message = str(exc)
        else:
            message = texts[0] if texts else type(exc).__name__
    return " ".join(message.split())[:600]


def _last_attempt(exc: BaseException) -> tuple[BaseException, str]:
    """A client library's own retry wrapper (`google.api_core.exceptions.RetryError`: "Timeout of
    120.0s exceeded, last exception: 503 ...") stands for its last failure: classify that one."""
    cause = getattr(exc, "cause", None)
    if type(exc).__name__ == "RetryError" and isinstance(cause, BaseException):
        return cause, " (the client library retried until its deadline)"
    return exc, ""


def translate_cloud_error(exc: BaseException, *, what: str) -> TunectlError:
    """Turn a client-library exception into a diagnostic that says what failed and what to do."""
    exc, retried = _last_attempt(exc)
    status = http_status(exc)
    message = _api_message(exc) + retried
    hints = {
        400: "the API rejected the request; the message names the offending field",
        401: "run `gcloud auth application-default login`, or check GOOGLE_APPLICATION_CREDENTIALS",
        403: "the caller lacks a permission; the message names it. Grant the role that holds it "
        "(see infra/README.md for the roles the stack grants)",
        404: "check the project, region and resource name",
        409: "the resource already exists; re-run to pick it up, or pass --force where offered",
        429: "quota or rate limit exhausted after retries; wait and re-run, or request more quota",
        503: "the service reported itself unavailable on every retry; check "
        "https://status.cloud.google.com and re-run later",
    }
    if status is None and is_bad_response(exc):
        code, hint = (
            "cloud-bad-response",
            "the API's answer could not be parsed, even after retries; re-run later",
        )
    elif status is None and is_timeout(exc):
        code, hint = (
            "cloud-timeout",
            "no answer in time, even after retries; check the network and the endpoint setting, "
            "or raise TUNECTL_REQUEST_TIMEOUT",
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
            503: "cloud-unavailable",
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
    sleep: Callable[[float], None] | None = None,
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
            delay = min(max_delay, first * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)
            from ops.output import detail

            detail(f"{what}: {type(exc).__name__} (HTTP {http_status(exc) or '-'}); retry in {delay:.1f} s")
            (sleep or backoff_sleep)(delay)
    raise AssertionError("unreachable")
