"""pytest fixtures: one fake Google Cloud per test session, fresh state per test, one fixture per client.

Registered by `tests/conftest.py` (`pytest_plugins`). Client fixtures are built by `ops.clients`
from `cloud_settings`, exactly as tunectl builds them, so a test exercises the production wiring.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.cloud.catalog import CatalogServer
from tests.cloud.harness import Cloud
from tests.cloud.scheduler import SchedulerServer
from tests.cloud.storage import StorageServer
from tests.cloud.vertex import VertexServer

TEST_REGION = "us-central1"


@pytest.fixture(scope="session")
def cloud_session() -> Iterator[Cloud]:
    """All servers, started once per session (per xdist worker) on ephemeral 127.0.0.1 ports."""
    cloud = Cloud().start()
    yield cloud
    cloud.stop()


@pytest.fixture
def cloud(cloud_session: Cloud) -> Iterator[Cloud]:
    """The fake cloud with fresh state; fails the test if any request or response broke a contract."""
    cloud_session.reset()
    yield cloud_session
    leftover = cloud_session.take_violations()
    cloud_session.reset()  # also releases requests held by a "hang" fault
    if leftover:
        pytest.fail(
            "Google API contract violations:\n" + "\n".join(f"  - {v}" for v in leftover), pytrace=False
        )


@pytest.fixture
def cloud_settings(cloud: Cloud) -> Any:
    """`ops.settings.Settings` for project `tunectl-test`, anonymous, every endpoint on the servers."""
    return cloud.settings()


@pytest.fixture
def cloud_env(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The TUNECTL_* environment that points the CLI at the servers (for CliRunner / subprocess tests)."""
    env = {f"TUNECTL_{name.upper()}": url for name, url in cloud.endpoints().items()}
    env |= {"TUNECTL_ANONYMOUS": "1", "TUNECTL_PROJECT": cloud.project}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture
def vertex_server(cloud: Cloud) -> VertexServer:
    return cloud.get(VertexServer)


@pytest.fixture
def storage_server(cloud: Cloud) -> StorageServer:
    return cloud.get(StorageServer)


@pytest.fixture
def catalog_server(cloud: Cloud) -> CatalogServer:
    return cloud.get(CatalogServer)


@pytest.fixture
def scheduler_server(cloud: Cloud) -> SchedulerServer:
    return cloud.get(SchedulerServer)


@pytest.fixture
def storage_client(cloud_settings: Any) -> Any:
    from ops import clients

    return clients.storage_client(cloud_settings)


@pytest.fixture
def genai_client(cloud_settings: Any) -> Any:
    """google-genai in Vertex mode for region us-central1 (v1 API)."""
    from ops import clients

    return clients.genai_client(cloud_settings, TEST_REGION)


@pytest.fixture
def aiplatform(cloud_settings: Any) -> Any:
    """The google.cloud.aiplatform module, initialised for us-central1 against the Vertex server."""
    from google.cloud import aiplatform as sdk

    from ops import clients

    clients.aiplatform_init(cloud_settings, TEST_REGION)
    return sdk


@pytest.fixture
def pipeline_client(cloud_settings: Any) -> Any:
    from ops import clients

    return clients.pipeline_service_client(cloud_settings, TEST_REGION)


@pytest.fixture
def quotas_client(cloud_settings: Any) -> Any:
    from ops import clients

    return clients.quotas_client(cloud_settings)


@pytest.fixture
def bigquery_client(cloud_settings: Any) -> Any:
    from ops import clients

    return clients.bigquery_client(cloud_settings)


@pytest.fixture
def catalog_client(cloud_settings: Any) -> Any:
    from ops import clients

    return clients.catalog_client(cloud_settings)


@pytest.fixture
def budgets_client(cloud_settings: Any) -> Any:
    from ops import clients

    return clients.budgets_client(cloud_settings)


@pytest.fixture
def scheduler_client(cloud_settings: Any) -> Any:
    from ops import clients

    return clients.scheduler_client(cloud_settings)
