"""The one place tunectl builds Google API clients, from `Settings`.

Every client uses the REST transport, so production and the local contract-test servers
(`tests/cloud`, `python -m tests.cloud`) exercise the same wire format. An `*_endpoint` setting
(e.g. `http://127.0.0.1:8791`) replaces Google's host; `anonymous` swaps Application Default
Credentials for credentials that never contact Google, which only the local servers accept.

Google libraries cost seconds to import, so each function imports its library itself.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from google.auth.credentials import Credentials
    from google.cloud.bigquery import Client as BigQueryClient
    from google.cloud.billing.budgets_v1 import BudgetServiceClient
    from google.cloud.billing_v1 import CloudCatalogClient
    from google.cloud.cloudquotas_v1 import CloudQuotasClient
    from google.cloud.scheduler_v1 import CloudSchedulerClient
    from google.cloud.storage.client import Client as StorageClient
    from google.genai import Client as GenaiClient

    from ops.settings import Settings

T = TypeVar("T")

# The token the local servers see from anonymous clients that insist on sending one (google-genai).
ANONYMOUS_TOKEN = "tunectl-anonymous"


CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
SCHEDULER_HOST = "cloudscheduler.googleapis.com"


def _credentials(settings: Settings) -> Credentials:
    """Application Default Credentials, resolved here so that a machine without them gets one clear
    diagnostic (and preflight an `unknown`) instead of each library's own exception.

    The project is the quota project: with user credentials, Cloud Quotas and Budgets refuse calls
    that name none.
    """
    if settings.anonymous:
        from google.auth.credentials import AnonymousCredentials

        return AnonymousCredentials()
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    from ops.errors import ExitStatus, TunectlError

    try:
        credentials, _ = google.auth.default(scopes=[CLOUD_PLATFORM_SCOPE], quota_project_id=settings.project)
    except DefaultCredentialsError as exc:
        raise TunectlError(
            "cloud-unauthenticated",
            f"no Google Cloud credentials: {exc}",
            hint="run `gcloud auth application-default login`, or run where Application Default "
            "Credentials exist (the service account of a VM or workload)",
            status=ExitStatus.CLOUD_API,
        ) from exc
    return credentials


def _gapic_options(endpoint: str | None) -> dict[str, Any]:
    # GAPIC REST transports accept a scheme in api_endpoint ("http://127.0.0.1:8791") and then
    # skip TLS; without one they default to https.
    return {"api_endpoint": endpoint} if endpoint else {}


def vertex_host(region: str) -> str:
    """Google's Vertex AI host for a region; `global` has no regional prefix."""
    return "aiplatform.googleapis.com" if region == "global" else f"{region}-aiplatform.googleapis.com"


def storage_client(settings: Settings) -> StorageClient:
    from google.cloud.storage.client import Client

    return Client(
        project=settings.project,
        credentials=_credentials(settings),
        client_options=_gapic_options(settings.storage_endpoint) or None,
    )


def genai_client(settings: Settings, region: str, *, api_version: str = "v1") -> GenaiClient:
    """google-genai in Vertex AI mode, pinned to the v1 API (its default is v1beta1) unless a Pre-GA
    method needs v1beta1 (reinforcement tuning)."""
    from google import genai
    from google.genai import types

    if settings.anonymous:
        # google-genai refreshes credentials that carry no token, and AnonymousCredentials refuse to
        # refresh, so anonymous mode hands it a fixed bearer token instead.
        from google.oauth2.credentials import Credentials as TokenCredentials

        credentials: Credentials = TokenCredentials(token=ANONYMOUS_TOKEN)
    else:
        credentials = _credentials(settings)
    http_options = types.HttpOptions(api_version=api_version)
    if settings.vertex_endpoint:
        # With project and location set, google-genai still builds
        # {base_url}/v1/projects/{project}/locations/{region}/... under a custom base_url.
        http_options.base_url = settings.vertex_endpoint.rstrip("/") + "/"
    return genai.Client(
        vertexai=True,
        project=settings.require_project(),
        location=region,
        credentials=credentials,
        http_options=http_options,
    )


def aiplatform_init(settings: Settings, region: str) -> None:
    """Configure the process-wide google-cloud-aiplatform SDK (PipelineJob & co.) for a region."""
    from google.cloud import aiplatform

    if settings.storage_endpoint:
        # PipelineJob.submit checks the pipeline root's bucket with a storage.Client of its own, which
        # takes its endpoint only from this variable (google-cloud-storage's emulator setting).
        os.environ.setdefault("STORAGE_EMULATOR_HOST", settings.storage_endpoint)
    aiplatform.init(
        project=settings.require_project(),
        location=region,
        credentials=_credentials(settings),
        api_endpoint=settings.vertex_endpoint or vertex_host(region),
        api_transport="rest",
    )


def vertex_client(settings: Settings, region: str, client_class: type[T]) -> T:
    """A GAPIC client of `google.cloud.aiplatform_v1` (EndpointServiceClient, ...) for one region."""
    factory: Any = client_class
    client: T = factory(
        credentials=_credentials(settings),
        transport="rest",
        client_options={"api_endpoint": settings.vertex_endpoint or vertex_host(region)},
    )
    return client


def pipeline_service_client(settings: Settings, region: str) -> Any:
    """The GAPIC PipelineService client: creates pipeline jobs without the hidden bucket and project
    lookups of `aiplatform.PipelineJob.submit`."""
    from google.cloud.aiplatform_v1 import PipelineServiceClient

    return vertex_client(settings, region, PipelineServiceClient)


def quotas_client(settings: Settings) -> CloudQuotasClient:
    from google.cloud.cloudquotas_v1 import CloudQuotasClient

    return CloudQuotasClient(
        credentials=_credentials(settings),
        transport="rest",
        client_options=_gapic_options(settings.quotas_endpoint),
    )


def bigquery_client(settings: Settings) -> BigQueryClient:
    from google.cloud.bigquery import Client

    return Client(
        project=settings.project,
        credentials=_credentials(settings),
        client_options=_gapic_options(settings.bigquery_endpoint) or None,
    )


def catalog_client(settings: Settings) -> CloudCatalogClient:
    """Cloud Billing Catalog (public price list): services and SKUs."""
    from google.cloud.billing_v1 import CloudCatalogClient

    return CloudCatalogClient(
        credentials=_credentials(settings),
        transport="rest",
        client_options=_gapic_options(settings.billing_endpoint),
    )


def budgets_client(settings: Settings) -> BudgetServiceClient:
    from google.cloud.billing.budgets_v1 import BudgetServiceClient

    return BudgetServiceClient(
        credentials=_credentials(settings),
        transport="rest",
        client_options=_gapic_options(settings.budgets_endpoint),
    )


def scheduler_client(settings: Settings) -> CloudSchedulerClient:
    """Cloud Scheduler v1: the stack's scheduled tuning triggers (list, get, pause, resume)."""
    from google.cloud.scheduler_v1 import CloudSchedulerClient

    return CloudSchedulerClient(
        credentials=_credentials(settings),
        transport="rest",
        client_options=_gapic_options(settings.scheduler_endpoint),
    )


def model_garden_client(settings: Settings) -> Any:
    """Vertex AI's v1beta1 ModelGardenService (publisher models: `publishers.models.get/list`), the
    only version with a list method; publisher models are global, on aiplatform.googleapis.com."""
    from google.cloud.aiplatform_v1beta1 import ModelGardenServiceClient

    return ModelGardenServiceClient(
        credentials=_credentials(settings),
        transport="rest",
        client_options={"api_endpoint": settings.model_garden_endpoint or "aiplatform.googleapis.com"},
    )
