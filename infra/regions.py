"""Where Vertex AI tuning can run, and which of those regions keep data inside the EU.

A region name starting with `europe-` is not enough for EU residency: europe-west2 is London and
europe-west6 is Zurich, both outside the EU. Source: Google Cloud locations pages and Vertex AI
locations page (checked 2026-11).
"""

from __future__ import annotations

VERTEX_REGIONS: frozenset[str] = frozenset(
    {
        "us-central1",
        "us-east1",
        "us-east4",
        "us-east5",
        "us-south1",
        "us-west1",
        "us-west4",
        "northamerica-northeast1",
        "southamerica-east1",
        "europe-west1",
        "europe-west2",
        "europe-west3",
        "europe-west4",
        "europe-west6",
        "europe-west8",
        "europe-west9",
        "europe-north1",
        "europe-central2",
        "europe-southwest1",
        "asia-east1",
        "asia-east2",
        "asia-northeast1",
        "asia-northeast3",
        "asia-south1",
        "asia-southeast1",
        "australia-southeast1",
        "me-central1",
        "me-west1",
    }
)

EU_REGIONS: frozenset[str] = frozenset(
    {
        "europe-west1",
        "europe-west3",
        "europe-west4",
        "europe-west8",
        "europe-west9",
        "europe-north1",
        "europe-central2",
        "europe-southwest1",
    }
)

# Multi-region locations that BigQuery and Cloud Storage accept, by residency.
EU_MULTI_REGION = "EU"
US_MULTI_REGION = "US"


def in_eu(location: str) -> bool:
    """True for an EU region or the EU multi-region (case-insensitive, as both APIs accept)."""
    return location.lower() in EU_REGIONS or location.upper() == EU_MULTI_REGION
