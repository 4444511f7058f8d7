"""How Google client-library failures are classified: which are retried, and what the user is told."""

from __future__ import annotations

import json
from itertools import pairwise

import pytest
from google.api_core import exceptions as api_exceptions
from google.protobuf import json_format, struct_pb2

from ops.cloud_errors import call_with_retry, is_transient, translate_cloud_error
from ops.errors import ExitStatus, TunectlError


def _parse_error() -> Exception:
    try:
        json_format.Parse("{", struct_pb2.Struct())
    except json_format.ParseError as exc:
        return exc
    raise AssertionError("expected a ParseError")


def _json_error() -> Exception:
    try:
        json.loads('{"name": ')
    except json.JSONDecodeError as exc:
        return exc
    raise AssertionError("expected a JSONDecodeError")


@pytest.mark.parametrize(
    "exc",
    [
        api_exceptions.TooManyRequests("slow down"),
        api_exceptions.ServiceUnavailable("try again"),
        api_exceptions.InternalServerError("oops"),
        TimeoutError("read timed out"),
        _parse_error(),
        _json_error(),
    ],
    ids=lambda e: type(e).__name__,
)
def test_transient_failures_are_retried(exc: Exception) -> None:
    assert is_transient(exc)


@pytest.mark.parametrize(
    "exc",
    [api_exceptions.BadRequest("bad field"), api_exceptions.Forbidden("no"), api_exceptions.NotFound("gone")],
    ids=lambda e: type(e).__name__,
)
def test_answers_that_will_not_change_are_not_retried(exc: Exception) -> None:
    assert not is_transient(exc)


def test_a_body_that_does_not_parse_is_named_as_such() -> None:
    error = translate_cloud_error(_parse_error(), what="listing SKUs")
    assert error.code == "cloud-bad-response" and error.status is ExitStatus.CLOUD_API


def test_permission_denied_names_the_permission_and_points_at_the_roles() -> None:
    error = translate_cloud_error(
        api_exceptions.Forbidden("Permission 'aiplatform.tuningJobs.create' denied"), what="creating a job"
    )
    assert error.code == "cloud-permission-denied"
    assert "aiplatform.tuningJobs.create" in error.message
    assert "infra/README.md" in (error.hint or "")


def test_retries_are_bounded_and_end_in_one_clear_error() -> None:
    calls: list[int] = []
    slept: list[float] = []

    def always_unavailable() -> None:
        calls.append(1)
        raise api_exceptions.ServiceUnavailable("backend down")

    with pytest.raises(TunectlError) as caught:
        call_with_retry(always_unavailable, what="reading a job", attempts=4, sleep=slept.append)
    assert len(calls) == 4 and len(slept) == 3
    assert all(earlier <= later for earlier, later in pairwise(slept)) and max(slept) <= 8.0  # backoff grows
    assert caught.value.code == "cloud-unavailable" and "HTTP 503" in caught.value.message


def test_a_transient_failure_then_success_returns_the_result() -> None:
    answers = iter([api_exceptions.TooManyRequests("slow down"), "ok"])

    def flaky() -> str:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert call_with_retry(flaky, what="listing jobs", sleep=lambda _: None) == "ok"
