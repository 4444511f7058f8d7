"""Fault injection: each mode, on the Nth call of a method, through the real client libraries."""

from __future__ import annotations

from typing import Any

import pytest

from ops.cloud_errors import call_with_retry
from tests.cloud.harness import Cloud

GET_TUNING_JOB = "aiplatform.projects.locations.tuningJobs.get"
JOB = "projects/tunectl-test/locations/us-central1/tuningJobs/1"
LIST_SKUS = "cloudbilling.services.skus.list"


@pytest.mark.parametrize(
    ("status", "name"), [(429, "RESOURCE_EXHAUSTED"), (500, "INTERNAL"), (503, "UNAVAILABLE")]
)
def test_status_fault_reaches_the_client_as_googles_error(
    cloud: Cloud, genai_client: Any, status: int, name: str
) -> None:
    from google.genai import errors

    cloud.faults.inject(GET_TUNING_JOB, status)
    with pytest.raises(errors.APIError) as caught:
        genai_client.tunings.get(name=JOB)
    assert (caught.value.code, caught.value.status) == (status, name)


def test_fault_hits_only_the_nth_call(cloud: Cloud, catalog_client: Any) -> None:
    from google.api_core import exceptions

    cloud.faults.inject(LIST_SKUS, 503, on_call=2)
    list(catalog_client.list_skus(parent="services/C7E2-9256-1C43"))
    with pytest.raises(exceptions.ServiceUnavailable):
        list(catalog_client.list_skus(parent="services/C7E2-9256-1C43"))
    list(catalog_client.list_skus(parent="services/C7E2-9256-1C43"))


def test_bounded_retry_rides_out_transient_faults(cloud: Cloud, catalog_client: Any) -> None:
    cloud.faults.inject(LIST_SKUS, 429, times=2)
    skus = call_with_retry(
        lambda: list(catalog_client.list_skus(parent="services/C7E2-9256-1C43")),
        what="list SKUs",
        sleep=lambda _: None,
    )
    assert skus and cloud.faults.calls[LIST_SKUS] == 3


def test_hung_response_times_out_the_client(cloud: Cloud, genai_client: Any) -> None:
    import httpx
    from google.genai import types

    cloud.faults.inject(GET_TUNING_JOB, "hang")
    with pytest.raises(httpx.TimeoutException):
        genai_client.tunings.get(
            name=JOB, config=types.GetTuningJobConfig(http_options=types.HttpOptions(timeout=200))
        )


def test_hung_response_times_out_a_gapic_call(cloud: Cloud, catalog_client: Any) -> None:
    import requests

    cloud.faults.inject(LIST_SKUS, "hang")
    with pytest.raises(requests.exceptions.Timeout):
        list(catalog_client.list_skus(parent="services/C7E2-9256-1C43", timeout=0.2))


def test_malformed_body_fails_to_parse(cloud: Cloud, catalog_client: Any) -> None:
    from google.protobuf import json_format

    cloud.faults.inject(LIST_SKUS, "malformed")
    with pytest.raises(json_format.ParseError):
        list(catalog_client.list_skus(parent="services/C7E2-9256-1C43"))


def test_unknown_method_id_is_refused(cloud: Cloud) -> None:
    with pytest.raises(ValueError, match="unknown method id"):
        cloud.faults.inject("aiplatform.tuningJobs.get", 503)
