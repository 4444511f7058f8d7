"""Under Pulumi's mocks, each example stack creates every resource with its security properties."""

from __future__ import annotations

from typing import Any

import pytest

from infra.regions import in_eu
from tests.infra_fixtures import example_plan, of_type

STACKS = {
    # stack: (region, residency EU?, {quota: (value, region)}, retention days, soft-delete days)
    "gpu": (
        "us-central1",
        False,
        {"a100-80gb-gpus": (8, "us-central1"), "a2-cpus": (96, "us-central1")},
        30,
        14,
    ),
    "tpu": ("europe-west4", True, {"tpu-v3-pod-cores": (64, "europe-west4")}, 14, 30),
}
COMPONENT = "tunectl:infra:TuningEnvironment"
PRIMITIVE_ROLES = {"roles/owner", "roles/editor", "roles/viewer"}
IAM_TYPES = (
    "gcp:projects/iAMMember:IAMMember",
    "gcp:storage/bucketIAMMember:BucketIAMMember",
    "gcp:bigquery/datasetIamMember:DatasetIamMember",
    "gcp:serviceaccount/iAMMember:IAMMember",
    "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember",
)


def one(resources: list[dict[str, Any]], type_token: str, name: str) -> dict[str, Any]:
    found = [r for r in resources if r["type"] == type_token and r["name"] == name]
    assert len(found) == 1, f"expected one {type_token} named {name}, found {len(found)}"
    return found[0]


@pytest.fixture(params=sorted(STACKS))
def stack(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_every_resource_is_a_child_of_the_one_component(stack: str) -> None:
    resources = example_plan(stack)
    components = of_type(resources, COMPONENT)
    assert [c["name"] for c in components] == ["tunectl"]
    for resource in resources:
        if resource["type"] != COMPONENT:
            assert f"{COMPONENT}$" in resource["urn"], f"{resource['urn']} is not parented to the component"


def test_buckets_are_private_uniform_labelled_and_in_the_stack_region(stack: str) -> None:
    region = STACKS[stack][0]
    buckets = of_type(example_plan(stack), "gcp:storage/bucket:Bucket")
    assert sorted(b["name"] for b in buckets) == ["datasets-bucket", "pipelines-bucket"]
    for bucket in buckets:
        inputs = bucket["inputs"]
        assert inputs["uniformBucketLevelAccess"] is True, bucket["urn"]
        assert inputs["publicAccessPrevention"] == "enforced", bucket["urn"]
        assert inputs["location"] == region.upper(), bucket["urn"]
        assert inputs["labels"] == {"team": "ml-platform", "env": "example"}, bucket["urn"]


def test_datasets_bucket_is_versioned_soft_deleted_and_deletion_protected(stack: str) -> None:
    soft_delete_days = STACKS[stack][4]
    inputs = one(example_plan(stack), "gcp:storage/bucket:Bucket", "datasets-bucket")["inputs"]
    assert inputs["versioning"] == {"enabled": True}
    assert inputs["softDeletePolicy"]["retentionDurationSeconds"] == soft_delete_days * 86_400
    assert inputs["deletionPolicy"] == "PREVENT"
    assert inputs["forceDestroy"] is False


def test_pipeline_artifacts_expire_after_the_configured_days(stack: str) -> None:
    retention = STACKS[stack][3]
    inputs = one(example_plan(stack), "gcp:storage/bucket:Bucket", "pipelines-bucket")["inputs"]
    assert inputs["lifecycleRules"] == [{"action": {"type": "Delete"}, "condition": {"age": retention}}]


def test_apis_are_enabled_and_never_disabled_on_destroy(stack: str) -> None:
    services = of_type(example_plan(stack), "gcp:projects/service:Service")
    enabled = {s["inputs"]["service"] for s in services}
    assert {
        "aiplatform.googleapis.com",
        "cloudscheduler.googleapis.com",
        "cloudquotas.googleapis.com",
        "artifactregistry.googleapis.com",  # the RLHF template's Template Registry repository
    } <= enabled
    assert {"billingbudgets.googleapis.com", "bigquery.googleapis.com", "storage.googleapis.com"} <= enabled
    for service in services:
        assert service["inputs"]["disableOnDestroy"] is False, service["urn"]


def test_three_service_accounts_and_no_keys(stack: str) -> None:
    resources = example_plan(stack)
    accounts = of_type(resources, "gcp:serviceaccount/account:Account")
    assert sorted(a["inputs"]["accountId"] for a in accounts) == [
        "tunectl-reporting",
        "tunectl-scheduler",
        "tunectl-tuning",
    ]
    assert not of_type(resources, "gcp:serviceaccount/key:Key")


def test_no_primitive_roles_and_act_as_only_on_the_tuning_account(stack: str) -> None:
    resources = example_plan(stack)
    bindings = [r for r in resources if r["type"] in IAM_TYPES]
    assert bindings
    for binding in bindings:
        assert binding["inputs"]["role"] not in PRIMITIVE_ROLES, binding["urn"]
        assert binding["inputs"]["member"].startswith("serviceAccount:tunectl-"), binding["urn"]
    act_as = [
        b
        for b in bindings
        if b["inputs"]["role"] in {"roles/iam.serviceAccountUser", "roles/iam.serviceAccountTokenCreator"}
    ]
    assert len(act_as) == 1
    assert act_as[0]["type"] == "gcp:serviceaccount/iAMMember:IAMMember"
    assert act_as[0]["inputs"]["serviceAccountId"].endswith(
        "/serviceAccounts/tunectl-tuning@tunectl-" + stack + "-example.iam.gserviceaccount.com"
    )
    assert act_as[0]["inputs"]["member"].startswith("serviceAccount:tunectl-scheduler@")


def test_storage_roles_are_bucket_scoped(stack: str) -> None:
    resources = example_plan(stack)
    project_roles = {r["inputs"]["role"] for r in of_type(resources, "gcp:projects/iAMMember:IAMMember")}
    assert not any(role.startswith("roles/storage.") for role in project_roles)
    bucket_bindings = of_type(resources, "gcp:storage/bucketIAMMember:BucketIAMMember")
    assert {(b["inputs"]["bucket"].rsplit("-", 1)[-1], b["inputs"]["role"]) for b in bucket_bindings} == {
        ("datasets", "roles/storage.objectViewer"),
        ("pipelines", "roles/storage.objectAdmin"),
    }


def test_template_repository_is_a_labelled_kfp_repository_in_the_stack_region(stack: str) -> None:
    region = STACKS[stack][0]
    inputs = one(example_plan(stack), "gcp:artifactregistry/repository:Repository", "template-repository")[
        "inputs"
    ]
    assert inputs["format"] == "KFP"
    assert inputs["location"] == region
    assert inputs["repositoryId"] == "tunectl-pipelines"
    assert inputs["project"] == f"tunectl-{stack}-example"
    assert inputs["labels"] == {"team": "ml-platform", "env": "example"}


def test_only_the_scheduler_reads_the_template_repository_and_only_that_repository(stack: str) -> None:
    resources = example_plan(stack)
    readers = of_type(resources, "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember")
    assert [(r["inputs"]["role"], r["inputs"]["member"].split("@")[0]) for r in readers] == [
        ("roles/artifactregistry.reader", "serviceAccount:tunectl-scheduler")
    ]
    assert readers[0]["inputs"]["repository"] == "tunectl-pipelines"
    assert readers[0]["inputs"]["location"] == STACKS[stack][0]
    project_roles = {r["inputs"]["role"] for r in of_type(resources, "gcp:projects/iAMMember:IAMMember")}
    assert not any(role.startswith("roles/artifactregistry.") for role in project_roles)


def test_quota_preferences_have_values_regions_contact_and_deterministic_names(stack: str) -> None:
    _, _, quotas, _, _ = STACKS[stack]
    preferences = of_type(example_plan(stack), "gcp:cloudquota/sQuotaPreference:SQuotaPreference")
    assert {p["name"] for p in preferences} == {f"quota-{key}" for key in quotas}
    for preference in preferences:
        key = preference["name"].removeprefix("quota-")
        value, region = quotas[key]
        inputs = preference["inputs"]
        assert inputs["quotaConfig"]["preferredValue"] == str(value), preference["urn"]
        assert inputs["quotaConfig"]["annotations"] == {"managed-by": "pulumi-stack"}
        assert inputs["dimensions"] == {"region": region}
        assert inputs["name"] == f"tunectl-{key}-{region}"
        assert inputs["parent"] == f"projects/tunectl-{stack}-example"
        assert inputs["service"] == "aiplatform.googleapis.com"
        assert inputs["contactEmail"] == "ml-platform@example.com"
        assert inputs["justification"]
        assert inputs["quotaId"]


def test_budget_uses_the_billing_account_project_number_and_fractions(stack: str) -> None:
    budget = one(example_plan(stack), "gcp:billing/budget:Budget", "budget")["inputs"]
    assert budget["billingAccount"] == "0A0A0A-0B0B0B-0C0C0C"
    assert budget["budgetFilter"]["projects"] == ["projects/123456789012"]
    fractions = [rule["thresholdPercent"] for rule in budget["thresholdRules"]]
    assert fractions == sorted(fractions) and all(0 < f <= 5 for f in fractions)
    assert 1 in fractions
    assert budget["amount"]["specifiedAmount"]["units"].isdigit()


def test_tpu_budget_alerts_go_to_its_pubsub_topic() -> None:
    budget = one(example_plan("tpu"), "gcp:billing/budget:Budget", "budget")["inputs"]
    assert budget["allUpdatesRule"]["pubsubTopic"] == "projects/tunectl-tpu-example/topics/budget-alerts"
    assert budget["amount"]["specifiedAmount"]["currencyCode"] == "EUR"


def test_billing_dataset_is_readable_by_the_reporting_account_only(stack: str) -> None:
    resources = example_plan(stack)
    dataset = one(resources, "gcp:bigquery/dataset:Dataset", "billing-dataset")["inputs"]
    assert dataset["datasetId"] == "billing_export"
    assert dataset["deleteContentsOnDestroy"] is False
    readers = of_type(resources, "gcp:bigquery/datasetIamMember:DatasetIamMember")
    assert [(r["inputs"]["role"], r["inputs"]["member"].split("@")[0]) for r in readers] == [
        ("roles/bigquery.dataViewer", "serviceAccount:tunectl-reporting")
    ]


def test_eu_stack_keeps_every_regional_resource_in_the_eu() -> None:
    located = 0
    for resource in example_plan("tpu"):
        for key in ("location", "region"):
            value = resource["inputs"].get(key)
            if value is not None:
                located += 1
                assert in_eu(value), f"{resource['urn']}: {key}={value} is outside the EU"
        for key, value in resource["inputs"].get("dimensions", {}).items():
            assert in_eu(value), f"{resource['urn']}: dimension {key}={value} is outside the EU"
    assert located >= 5  # buckets, dataset, schedules


def test_gpu_stack_dataset_defaults_to_the_us_multi_region() -> None:
    dataset = one(example_plan("gpu"), "gcp:bigquery/dataset:Dataset", "billing-dataset")["inputs"]
    assert dataset["location"] == "US"
