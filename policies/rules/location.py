"""Where resources live: only in the allowed regions, and in EU residency mode only inside the EU.

The pack keeps its own EU table instead of importing the stack's (`infra/regions.py`): a guardrail
must not trust the definition of the program it guards. A test keeps the two consistent.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import suppress
from typing import Any
from urllib.parse import urlsplit

from .. import type_tokens
from ..model import Enforcement, Props, ResourceRule, RuleConfig, Severity
from ..props import BodyError, as_list, decode_json_body, dig, is_mapping, walk_strings

# EU member-state regions (Google Cloud locations page, checked 2026-11). Not EU: europe-west2
# (London), europe-west6 (Zurich), and dual-regions that include them (EUR5, EUR7, EUR8).
EU_REGIONS = frozenset(
    {
        "europe-west1",  # Belgium
        "europe-west3",  # Frankfurt
        "europe-west4",  # Netherlands
        "europe-west8",  # Milan
        "europe-west9",  # Paris
        "europe-west10",  # Berlin
        "europe-west12",  # Turin
        "europe-north1",  # Finland
        "europe-north2",  # Stockholm
        "europe-central2",  # Warsaw
        "europe-southwest1",  # Madrid
    }
)
EU_MULTI_REGIONS = frozenset({"eu", "eur4"})  # EU multi-region; EUR4 = Netherlands + Finland
_PATH_LOCATION = re.compile(r"(?:^|/)locations/([A-Za-z0-9-]+)(?:/|$)")
_VERTEX_HOST_REGION = re.compile(r"^([a-z0-9-]+)-aiplatform\.googleapis\.com$")
# Artifact Registry hosts: `<location>-kfp.pkg.dev` (pipeline templates), `<location>-docker.pkg.dev`.
_ARTIFACT_REGISTRY_HOST = re.compile(r"^([a-z0-9-]+)-[a-z]+\.pkg\.dev$")
# Locations that are not a place: global resources, and Pulumi's placeholder for "every location".
_NOT_A_PLACE = frozenset({"global", "-"})
# Where Google's RLHF pipeline trains for its `accelerator_type` parameter, whatever its `location`
# says (google_cloud_pipeline_components/_implementation/llm/function_based.py, resolve_machine_spec:
# TPU v3 pods in europe-west4, A100 80GB GPUs in us-central1).
ACCELERATOR_TRAINING_REGIONS = {"GPU": "us-central1", "TPU": "europe-west4"}
# Artifact Registry spells its multi-regions `europe`, `us`, `asia`; Cloud Storage and BigQuery spell
# the same places `EU`, `US`, `ASIA`. Reported in the latter spelling, so one `allowedRegions` entry
# covers both. (Artifact Registry's `europe` is EU member states only.)
_ARTIFACT_REGISTRY_MULTI_REGIONS = {"europe": "eu", "us": "us", "asia": "asia"}


def is_eu(location: str) -> bool:
    return location.lower() in EU_REGIONS | EU_MULTI_REGIONS


def _artifact_registry_place(location: str) -> str:
    return _ARTIFACT_REGISTRY_MULTI_REGIONS.get(location.lower(), location)


def _from_strings(value: Any, prefix: str) -> Iterator[tuple[str, str]]:
    for path, text in walk_strings(value, prefix):
        leaf = path.rsplit(".", 1)[-1]
        if leaf in {"location", "region"}:
            yield path, text
        for match in _PATH_LOCATION.finditer(text):
            yield path, match.group(1)
        if text.startswith("https://"):
            hostname = urlsplit(text).hostname or ""
            host = _VERTEX_HOST_REGION.match(hostname)
            if host:
                yield path, host.group(1)
            registry = _ARTIFACT_REGISTRY_HOST.match(hostname)
            if registry:
                yield path, _artifact_registry_place(registry.group(1))


def _places_nothing(resource_type: str) -> bool:
    # IAM grants and service accounts hold no data and run nothing; skipping them also keeps the
    # rules runnable during preview, when a grant's member (an account's email) is still unknown.
    return "iam" in resource_type.lower() or resource_type == type_tokens.SERVICE_ACCOUNT


def _training_regions(body: Any, prefix: str) -> Iterator[tuple[str, str]]:
    """The region a PipelineJob body's `accelerator_type` parameter trains in (RLHF pipeline)."""
    path = "runtimeConfig.parameterValues.accelerator_type"
    accelerator = dig(body, *path.split("."))
    if isinstance(accelerator, str) and accelerator.upper() in ACCELERATOR_TRAINING_REGIONS:
        yield f"{prefix}.{path}", ACCELERATOR_TRAINING_REGIONS[accelerator.upper()]


# A reinforcement-tuned model is served from the `us` multi-region, whatever the tuning region
# (https://docs.cloud.google.com/gemini-enterprise-agent-platform/models/tuning/reinforcement-tuning/quick-start,
# read 2026-12-02).
REINFORCEMENT_SERVING_LOCATION = "us"


def _serving_location(body: Any, prefix: str) -> Iterator[tuple[str, str]]:
    """Where the model a TuningJob body makes is served, when that is not the job's own region."""
    if is_mapping(body) and "reinforcementTuningSpec" in body:
        yield (
            f"{prefix}.reinforcementTuningSpec (the tuned model is served from)",
            REINFORCEMENT_SERVING_LOCATION,
        )


def locations_of(resource_type: str, props: Props) -> list[tuple[str, str]]:
    """Every (property path, location) the resource pins data or compute to, lower-cased.

    Reads `location`/`region` properties at any depth, `.../locations/<x>/...` resource names (KMS
    keys, API paths), regional Vertex AI hosts, Pub/Sub persistence regions, and inside the JSON
    body a scheduler job sends: a pipeline's `location` parameter, and the region its
    `accelerator_type` parameter trains in (GPU: us-central1, TPU: europe-west4), which for Google's
    RLHF pipeline wins over `location`; Artifact Registry hosts (`<location>-kfp.pkg.dev`, the
    template a PipelineJob runs). Artifact Registry multi-regions are reported as `eu`/`us`/`asia`.
    """
    if _places_nothing(resource_type):
        return []
    found = list(_from_strings(props, ""))
    if resource_type == type_tokens.BIGQUERY_DATASET and not isinstance(props.get("location"), str):
        found.append(("location", "US"))  # BigQuery's default when no location is given
    for region in as_list(dig(props, "messageStoragePolicy", "allowedPersistenceRegions")):
        if isinstance(region, str):
            found.append(("messageStoragePolicy.allowedPersistenceRegions", region))
    if resource_type == type_tokens.SCHEDULER_JOB:
        with suppress(BodyError):  # labels-required reports an unreadable body
            job_body = decode_json_body(dig(props, "httpTarget", "body"))
            found.extend(_from_strings(job_body, "httpTarget.body"))
            found.extend(_training_regions(job_body, "httpTarget.body"))
            found.extend(_serving_location(job_body, "httpTarget.body"))
    if resource_type == type_tokens.ARTIFACT_REGISTRY_REPOSITORY:
        found = [
            (path, _artifact_registry_place(location) if path == "location" else location)
            for path, location in found
        ]
    unique = dict.fromkeys((path, location.lower()) for path, location in found)
    return [(path, location) for path, location in unique if location not in _NOT_A_PLACE]


def check_allowed_region(resource_type: str, props: Props, config: RuleConfig) -> list[str]:
    allowed = {str(region).lower() for region in as_list(config.get("allowedRegions"))}
    return [
        f"`{path}` is in `{location}`, outside the allowed locations ({', '.join(sorted(allowed))})"
        for path, location in locations_of(resource_type, props)
        if location not in allowed
    ]


def check_eu_residency(resource_type: str, props: Props, config: RuleConfig) -> list[str]:
    if not config.get("euResidency"):
        return []
    return [
        f"`{path}` is in `{location}`, outside the EU, but this stack keeps data in the EU"
        for path, location in locations_of(resource_type, props)
        if not is_eu(location)
    ]


ALLOWED_REGION = ResourceRule(
    id="location-allowed-region",
    description=(
        "Every regional resource (buckets, datasets, Artifact Registry repositories, scheduler jobs, "
        "the API they call and where the job they start trains, quota preferences, KMS keys) must be "
        "in one of the pack's `allowedRegions`. Move the resource, or "
        "have the platform team add the region to the stack's pack config."
    ),
    severity=Severity.high,
    enforcement=Enforcement.mandatory,
    config={
        "allowedRegions": {
            "type": "array",
            "items": {"type": "string"},
            "description": "regions and multi-regions (US, EU) resources may use; case-insensitive",
            "default": ["us-central1", "europe-west4", "US", "EU"],
        }
    },
    check=check_allowed_region,
)

EU_RESIDENCY = ResourceRule(
    id="location-eu-residency",
    description=(
        "With `euResidency` on, every regional resource must be in an EU region or the EU "
        "multi-region (not europe-west2 London or europe-west6 Zurich). Use the stack's EU region."
    ),
    severity=Severity.critical,
    enforcement=Enforcement.mandatory,
    config={
        "euResidency": {
            "type": "boolean",
            "description": "keep every resource, and every job the stack schedules, inside the EU",
            "default": False,
        }
    },
    check=check_eu_residency,
)
