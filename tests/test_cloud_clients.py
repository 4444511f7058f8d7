"""ops.clients: every client honours its endpoint setting and anonymous mode (checked on the wire)."""

from __future__ import annotations

from typing import Any

import pytest

from ops import clients
from ops.settings import Settings
from tests.cloud.harness import Cloud


def test_vertex_host_is_regional_except_global() -> None:
    assert clients.vertex_host("europe-west4") == "europe-west4-aiplatform.googleapis.com"
    assert clients.vertex_host("global") == "aiplatform.googleapis.com"


def test_genai_client_uses_the_v1_api_under_the_endpoint(cloud: Cloud, cloud_settings: Settings) -> None:
    client = clients.genai_client(cloud_settings, "europe-west4")
    client.models.count_tokens(model="gemini-2.5-flash", contents="hi")
    assert cloud.faults.calls == {"aiplatform.projects.locations.publishers.models.countTokens": 1}


def test_each_gapic_client_reaches_its_server(cloud: Cloud, cloud_settings: Settings) -> None:
    list(clients.catalog_client(cloud_settings).list_services())
    clients.storage_client(cloud_settings).lookup_bucket("absent")
    assert cloud.faults.calls == {"cloudbilling.services.list": 1, "storage.buckets.get": 1}


@pytest.mark.slow  # importing google.cloud.aiplatform takes 3-15 s (more without cached bytecode)
def test_aiplatform_init_points_the_sdk_at_the_endpoint(cloud_settings: Settings) -> None:
    from google.cloud.aiplatform import initializer

    clients.aiplatform_init(cloud_settings, "europe-west4")
    config: Any = initializer.global_config
    assert (config.location, config.api_endpoint) == ("europe-west4", cloud_settings.vertex_endpoint)
