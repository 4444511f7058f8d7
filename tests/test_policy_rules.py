"""Every rule of the policy pack, on small property dicts: one passing and one failing example at
least, plus the edge each rule exists for. Rules are plain functions, so no Pulumi runs here."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from policies import type_tokens as t
from policies.catalog import RESOURCE_RULES, RULES_BY_ID, STACK_RULES
from policies.model import ResourceRule, StackResource, StackRule
from policies.rules.location import EU_REGIONS

TUNING = "projects/p/serviceAccounts/tunectl-tuning@p.iam.gserviceaccount.com"
SCHEDULER_EMAIL = "tunectl-scheduler@p.iam.gserviceaccount.com"
VERTEX_URI = "https://europe-west4-aiplatform.googleapis.com/v1/projects/p/locations/europe-west4/tuningJobs"
DAY = 86_400


def body(**fields: Any) -> str:
    return base64.b64encode(json.dumps(fields).encode()).decode()


TUNING_AGENT = "serviceAccount:service-123456789012@gcp-sa-vertex-tune.iam.gserviceaccount.com"
GOOD_BODY = {"baseModel": "gemini-3.5-flash", "labels": {"team": "ml", "tunectl-schedule": "nightly"}}


def job(*, uri: str = VERTEX_URI, token: dict[str, Any] | None = None, **body_fields: Any) -> dict[str, Any]:
    target: dict[str, Any] = {
        "uri": uri,
        "httpMethod": "POST",
        "body": body(**(body_fields or GOOD_BODY)),
        "oauthToken": token
        if token is not None
        else {
            "serviceAccountEmail": SCHEDULER_EMAIL,
            "scope": "https://www.googleapis.com/auth/cloud-platform",
        },
    }
    return {"region": "europe-west4", "httpTarget": target}


def bucket(name: str = "p-tunectl-pipelines", **props: Any) -> dict[str, Any]:
    return {
        "name": name,
        "location": "EUROPE-WEST4",
        "uniformBucketLevelAccess": True,
        "publicAccessPrevention": "enforced",
        "labels": {"team": "ml"},
        **props,
    }


def datasets_bucket(**props: Any) -> dict[str, Any]:
    defaults = {"versioning": {"enabled": True}, "softDeletePolicy": {"retentionDurationSeconds": 7 * DAY}}
    return bucket("p-tunectl-datasets", **{**defaults, **props})


def rlhf_job(*, location: str, accelerator_type: str, region: str = "europe-west4") -> dict[str, Any]:
    """A scheduler job sending a PipelineJob body for Google's RLHF pipeline."""
    params = {"location": location, "accelerator_type": accelerator_type}
    props = job(labels=GOOD_BODY["labels"], runtimeConfig={"parameterValues": params})
    props["region"] = region
    if region != "europe-west4":
        props["httpTarget"]["uri"] = VERTEX_URI.replace("europe-west4", region)
    return props


def quota(
    value: str = "64", quota_id: str = "RestrictedImageTrainingTpuV3PodCoresPerProjectPerRegion", **props: Any
):
    return {
        "parent": "projects/p",
        "quotaId": quota_id,
        "dimensions": {"region": "europe-west4"},
        "quotaConfig": {"preferredValue": value},
        "justification": "RLHF on TPU v3 pods",
        "contactEmail": "ml@example.com",
        **props,
    }


@dataclass(frozen=True)
class Example:
    rule: str
    why: str
    type: str
    props: dict[str, Any]
    fails: bool
    config: dict[str, Any] = field(default_factory=dict)


PASS, FAIL = False, True
EXAMPLES = [
    # 1
    Example("storage-bucket-uniform-access", "uniform access on", t.BUCKET, bucket(), PASS),
    Example(
        "storage-bucket-uniform-access",
        "uniform access off",
        t.BUCKET,
        bucket(uniformBucketLevelAccess=False),
        FAIL,
    ),
    Example("storage-bucket-uniform-access", "uniform access unset", t.BUCKET, {"name": "b"}, FAIL),
    # 2
    Example("storage-bucket-public-access-prevention", "enforced", t.BUCKET, bucket(), PASS),
    Example(
        "storage-bucket-public-access-prevention",
        "inherited",
        t.BUCKET,
        bucket(publicAccessPrevention="inherited"),
        FAIL,
    ),
    # 3
    Example(
        "iam-no-public-members",
        "a named account",
        "gcp:storage/bucketIAMMember:BucketIAMMember",
        {"bucket": "b", "role": "roles/storage.objectViewer", "member": f"serviceAccount:{SCHEDULER_EMAIL}"},
        PASS,
    ),
    Example(
        "iam-no-public-members",
        "allUsers on a bucket",
        "gcp:storage/bucketIAMMember:BucketIAMMember",
        {"bucket": "b", "role": "roles/storage.objectViewer", "member": "allUsers"},
        FAIL,
    ),
    Example(
        "iam-no-public-members",
        "allAuthenticatedUsers in a binding",
        "gcp:projects/iAMBinding:IAMBinding",
        {"role": "roles/aiplatform.user", "members": ["user:a@example.com", "allAuthenticatedUsers"]},
        FAIL,
    ),
    Example(
        "iam-no-public-members",
        "allUsers inside an IAM policy document",
        "gcp:storage/bucketIAMPolicy:BucketIAMPolicy",
        {
            "policyData": json.dumps(
                {"bindings": [{"role": "roles/storage.objectViewer", "members": ["allUsers"]}]}
            )
        },
        FAIL,
    ),
    Example(
        "iam-no-public-members",
        "BigQuery special group",
        t.BIGQUERY_DATASET,
        {
            "datasetId": "d",
            "location": "EU",
            "accesses": [{"role": "READER", "specialGroup": "allAuthenticatedUsers"}],
        },
        FAIL,
    ),
    # 4
    Example("storage-datasets-bucket-protected", "versioned, 7 days", t.BUCKET, datasets_bucket(), PASS),
    Example("storage-datasets-bucket-protected", "not the datasets bucket", t.BUCKET, bucket(), PASS),
    Example(
        "storage-datasets-bucket-protected",
        "versioning off",
        t.BUCKET,
        datasets_bucket(versioning={"enabled": False}),
        FAIL,
    ),
    Example(
        "storage-datasets-bucket-protected",
        "3 days of soft delete",
        t.BUCKET,
        datasets_bucket(softDeletePolicy={"retentionDurationSeconds": 3 * DAY}),
        FAIL,
    ),
    Example(
        "storage-datasets-bucket-protected",
        "below a raised minimum",
        t.BUCKET,
        datasets_bucket(),
        FAIL,
        {"minSoftDeleteDays": 14},
    ),
    Example(
        "storage-datasets-bucket-protected",
        "soft delete unset",
        t.BUCKET,
        bucket("p-tunectl-datasets", versioning={"enabled": True}),
        FAIL,
    ),
    # 5
    Example("storage-bucket-cmek", "not required", t.BUCKET, bucket(), PASS),
    Example(
        "storage-bucket-cmek",
        "required and set",
        t.BUCKET,
        bucket(encryption={"defaultKmsKeyName": "projects/p/locations/europe-west4/keyRings/r/cryptoKeys/k"}),
        PASS,
        {"requireCmek": True},
    ),
    Example("storage-bucket-cmek", "required, missing", t.BUCKET, bucket(), FAIL, {"requireCmek": True}),
    # 6
    Example(
        "iam-no-primitive-roles",
        "a predefined role",
        "gcp:projects/iAMMember:IAMMember",
        {"project": "p", "role": "roles/aiplatform.user", "member": f"serviceAccount:{SCHEDULER_EMAIL}"},
        PASS,
    ),
    Example(
        "iam-no-primitive-roles",
        "roles/editor",
        "gcp:projects/iAMMember:IAMMember",
        {"project": "p", "role": "roles/editor", "member": f"serviceAccount:{SCHEDULER_EMAIL}"},
        FAIL,
    ),
    Example(
        "iam-no-primitive-roles",
        "roles/owner in a policy document",
        "gcp:projects/iAMPolicy:IAMPolicy",
        {
            "project": "p",
            "policyData": json.dumps({"bindings": [{"role": "roles/owner", "members": ["user:a@x.com"]}]}),
        },
        FAIL,
    ),
    # 7
    Example(
        "iam-no-service-account-keys", "an account", t.SERVICE_ACCOUNT, {"accountId": "tunectl-tuning"}, PASS
    ),
    Example(
        "iam-no-service-account-keys", "a key", t.SERVICE_ACCOUNT_KEY, {"serviceAccountId": TUNING}, FAIL
    ),
    Example(
        "iam-no-service-account-keys",
        "an HMAC key",
        t.HMAC_KEY,
        {"serviceAccountEmail": SCHEDULER_EMAIL},
        FAIL,
    ),
    # 8
    Example(
        "iam-act-as-only-tuning-account",
        "actAs on the tuning account",
        "gcp:serviceaccount/iAMMember:IAMMember",
        {
            "serviceAccountId": TUNING,
            "role": "roles/iam.serviceAccountUser",
            "member": f"serviceAccount:{SCHEDULER_EMAIL}",
        },
        PASS,
    ),
    Example(
        "iam-act-as-only-tuning-account",
        "another role on another account",
        "gcp:serviceaccount/iAMMember:IAMMember",
        {
            "serviceAccountId": "x@p.iam.gserviceaccount.com",
            "role": "roles/iam.serviceAccountViewer",
            "member": "user:a@x.com",
        },
        PASS,
    ),
    Example(
        "iam-act-as-only-tuning-account",
        "actAs on the scheduler account",
        "gcp:serviceaccount/iAMMember:IAMMember",
        {
            "serviceAccountId": SCHEDULER_EMAIL,
            "role": "roles/iam.serviceAccountUser",
            "member": "user:a@x.com",
        },
        FAIL,
    ),
    Example(
        "iam-act-as-only-tuning-account",
        "actAs project-wide",
        "gcp:projects/iAMMember:IAMMember",
        {
            "project": "p",
            "role": "roles/iam.serviceAccountUser",
            "member": f"serviceAccount:{SCHEDULER_EMAIL}",
        },
        FAIL,
    ),
    Example(
        "iam-act-as-only-tuning-account",
        "actAs on an account the plan cannot name",
        "gcp:serviceaccount/iAMMember:IAMMember",
        {"role": "roles/iam.serviceAccountUser", "member": f"serviceAccount:{SCHEDULER_EMAIL}"},
        FAIL,
    ),
    # 8: the other roles that let the holder act as an account
    Example(
        "iam-act-as-only-tuning-account",
        "token creator project-wide",
        "gcp:projects/iAMMember:IAMMember",
        {"project": "p", "role": "roles/iam.serviceAccountTokenCreator", "member": "user:a@x.com"},
        FAIL,
    ),
    Example(
        "iam-act-as-only-tuning-account",
        "OpenID token creator project-wide",
        "gcp:projects/iAMMember:IAMMember",
        {"project": "p", "role": "roles/iam.serviceAccountOpenIdTokenCreator", "member": "user:a@x.com"},
        FAIL,
    ),
    Example(
        "iam-act-as-only-tuning-account",
        "workload identity user project-wide",
        "gcp:projects/iAMBinding:IAMBinding",
        {"project": "p", "role": "roles/iam.workloadIdentityUser", "members": ["user:a@x.com"]},
        FAIL,
    ),
    Example(
        "iam-act-as-only-tuning-account",
        "token creator on the scheduler account",
        "gcp:serviceaccount/iAMMember:IAMMember",
        {
            "serviceAccountId": SCHEDULER_EMAIL,
            "role": "roles/iam.serviceAccountTokenCreator",
            "member": "user:a@x.com",
        },
        FAIL,
    ),
    Example(
        "iam-act-as-only-tuning-account",
        "token creator on the tuning account",
        "gcp:serviceaccount/iAMMember:IAMMember",
        {
            "serviceAccountId": TUNING,
            "role": "roles/iam.serviceAccountTokenCreator",
            "member": f"serviceAccount:{SCHEDULER_EMAIL}",
        },
        PASS,
    ),
    # 3: storage ACL resources
    Example(
        "iam-no-public-members",
        "a bucket ACL entry for allUsers",
        t.BUCKET_ACCESS_CONTROL,
        {"bucket": "b", "role": "READER", "entity": "allUsers"},
        FAIL,
    ),
    Example(
        "iam-no-public-members",
        "a bucket ACL entry for a named user",
        t.BUCKET_ACCESS_CONTROL,
        {"bucket": "b", "role": "READER", "entity": "user-ml@example.com"},
        PASS,
    ),
    Example(
        "iam-no-public-members",
        "a default object ACL entry for allAuthenticatedUsers",
        t.DEFAULT_OBJECT_ACCESS_CONTROL,
        {"bucket": "b", "role": "READER", "entity": "allAuthenticatedUsers"},
        FAIL,
    ),
    Example(
        "iam-no-public-members",
        "an object ACL entry for allUsers",
        t.OBJECT_ACCESS_CONTROL,
        {"bucket": "b", "object": "o", "role": "READER", "entity": "allUsers"},
        FAIL,
    ),
    Example(
        "iam-no-public-members",
        "a bucket ACL with READER:allUsers",
        t.BUCKET_ACL,
        {"bucket": "b", "roleEntities": ["OWNER:project-owners-1", "READER:allUsers"]},
        FAIL,
    ),
    Example(
        "iam-no-public-members",
        "a default object ACL with READER:allAuthenticatedUsers",
        t.DEFAULT_OBJECT_ACL,
        {"bucket": "b", "roleEntities": ["READER:allAuthenticatedUsers"]},
        FAIL,
    ),
    Example(
        "iam-no-public-members",
        "an object ACL with READER:allUsers",
        t.OBJECT_ACL,
        {"bucket": "b", "object": "o", "roleEntities": ["READER:allUsers"]},
        FAIL,
    ),
    Example(
        "iam-no-public-members",
        "a bucket ACL with the publicRead canned ACL",
        t.BUCKET_ACL,
        {"bucket": "b", "predefinedAcl": "publicRead"},
        FAIL,
    ),
    Example(
        "iam-no-public-members",
        "a bucket ACL for project roles only",
        t.BUCKET_ACL,
        {"bucket": "b", "roleEntities": ["OWNER:project-owners-1", "READER:project-viewers-1"]},
        PASS,
    ),
    # 9
    Example(
        "scheduler-job-oauth-dedicated-account", "OAuth as the schedule account", t.SCHEDULER_JOB, job(), PASS
    ),
    Example(
        "scheduler-job-oauth-dedicated-account",
        "the default compute account",
        t.SCHEDULER_JOB,
        job(token={"serviceAccountEmail": "123456789012-compute@developer.gserviceaccount.com"}),
        FAIL,
    ),
    Example("scheduler-job-oauth-dedicated-account", "no token", t.SCHEDULER_JOB, job(token={}), FAIL),
    Example(
        "scheduler-job-oauth-dedicated-account",
        "a narrower scope",
        t.SCHEDULER_JOB,
        job(
            token={
                "serviceAccountEmail": SCHEDULER_EMAIL,
                "scope": "https://www.googleapis.com/auth/userinfo.email",
            }
        ),
        FAIL,
    ),
    Example(
        "scheduler-job-oauth-dedicated-account",
        "an OIDC token",
        t.SCHEDULER_JOB,
        {"httpTarget": {"uri": VERTEX_URI, "oidcToken": {"serviceAccountEmail": SCHEDULER_EMAIL}}},
        FAIL,
    ),
    Example("scheduler-job-targets-vertex-ai", "the regional Vertex AI API", t.SCHEDULER_JOB, job(), PASS),
    Example(
        "scheduler-job-targets-vertex-ai",
        "another host",
        t.SCHEDULER_JOB,
        job(uri="https://example.com/hook"),
        FAIL,
    ),
    Example(
        "scheduler-job-targets-vertex-ai",
        "plain http",
        t.SCHEDULER_JOB,
        job(uri=VERTEX_URI.replace("https://", "http://")),
        FAIL,
    ),
    Example(
        "scheduler-job-targets-vertex-ai",
        "a look-alike host",
        t.SCHEDULER_JOB,
        job(uri="https://europe-west4-aiplatform.googleapis.com.evil.example/v1"),
        FAIL,
    ),
    Example(
        "scheduler-job-no-retry", "no retry config: Scheduler's default is 0", t.SCHEDULER_JOB, job(), PASS
    ),
    Example(
        "scheduler-job-no-retry",
        "retryCount 0",
        t.SCHEDULER_JOB,
        {**job(), "retryConfig": {"retryCount": 0.0, "minBackoffDuration": "5s"}},
        PASS,
    ),
    Example(
        "scheduler-job-no-retry",
        "one retry",
        t.SCHEDULER_JOB,
        {**job(), "retryConfig": {"retryCount": 1}},
        FAIL,
    ),
    Example("scheduler-job-known-base-model", "a model Vertex AI tunes", t.SCHEDULER_JOB, job(), PASS),
    Example(
        "scheduler-job-known-base-model",
        "a retired model",
        t.SCHEDULER_JOB,
        job(baseModel="gemini-2.5-flash", labels=GOOD_BODY["labels"]),
        FAIL,
    ),
    Example(
        "scheduler-job-known-base-model",
        "a model nobody lists",
        t.SCHEDULER_JOB,
        job(baseModel="gemini-3-flash", labels=GOOD_BODY["labels"]),
        FAIL,
    ),
    Example(
        "scheduler-job-known-base-model",
        "an RLHF reference the pipeline does not know",
        t.SCHEDULER_JOB,
        job(runtimeConfig={"parameterValues": {"large_model_reference": "llama-7b"}}),
        FAIL,
    ),
    # 10
    Example(
        "location-allowed-region",
        "an allowed region",
        t.BUCKET,
        bucket(),
        PASS,
        {"allowedRegions": ["europe-west4"]},
    ),
    Example(
        "location-allowed-region",
        "a multi-region not listed",
        t.BUCKET,
        bucket(location="US"),
        FAIL,
        {"allowedRegions": ["europe-west4"]},
    ),
    Example(
        "location-allowed-region",
        "a quota preference elsewhere",
        t.QUOTA_PREFERENCE,
        quota(dimensions={"region": "us-central1"}),
        FAIL,
        {"allowedRegions": ["europe-west4"]},
    ),
    Example("location-eu-residency", "residency off", t.BUCKET, bucket(location="US"), PASS),
    Example("location-eu-residency", "an EU region", t.BUCKET, bucket(), PASS, {"euResidency": True}),
    Example(
        "location-eu-residency",
        "London",
        t.BUCKET,
        bucket(location="EUROPE-WEST2"),
        FAIL,
        {"euResidency": True},
    ),
    Example(
        "location-eu-residency",
        "a dataset without location defaults to US",
        t.BIGQUERY_DATASET,
        {"datasetId": "billing_export"},
        FAIL,
        {"euResidency": True},
    ),
    Example(
        "location-eu-residency",
        "a pipeline body training in the US",
        t.SCHEDULER_JOB,
        job(labels={"team": "ml"}, runtimeConfig={"parameterValues": {"location": "us-central1"}}),
        FAIL,
        {"euResidency": True},
    ),
    Example(
        "location-eu-residency",
        "an EU pipeline location but GPU training (us-central1)",
        t.SCHEDULER_JOB,
        rlhf_job(location="europe-west4", accelerator_type="GPU"),
        FAIL,
        {"euResidency": True},
    ),
    Example(
        "location-eu-residency",
        "an EU pipeline location with TPU training (europe-west4)",
        t.SCHEDULER_JOB,
        rlhf_job(location="europe-west4", accelerator_type="TPU"),
        PASS,
        {"euResidency": True},
    ),
    Example(
        "location-allowed-region",
        "GPU training when only europe-west4 is allowed",
        t.SCHEDULER_JOB,
        rlhf_job(location="europe-west4", accelerator_type="GPU"),
        FAIL,
        {"allowedRegions": ["europe-west4"]},
    ),
    Example(
        "location-allowed-region",
        "GPU training in us-central1 where it is allowed",
        t.SCHEDULER_JOB,
        rlhf_job(location="us-central1", accelerator_type="GPU", region="us-central1"),
        PASS,
        {"allowedRegions": ["us-central1"]},
    ),
    Example(
        "location-allowed-region",
        "an Artifact Registry repository in an allowed region",
        t.ARTIFACT_REGISTRY_REPOSITORY,
        {"repositoryId": "kfp", "format": "KFP", "location": "europe-west4"},
        PASS,
        {"allowedRegions": ["europe-west4", "EU"]},
    ),
    Example(
        "location-allowed-region",
        "an Artifact Registry repository elsewhere",
        t.ARTIFACT_REGISTRY_REPOSITORY,
        {"repositoryId": "kfp", "format": "KFP", "location": "us-east1"},
        FAIL,
        {"allowedRegions": ["europe-west4", "EU"]},
    ),
    Example(
        "location-allowed-region",
        "an Artifact Registry repository in the `europe` multi-region (= EU)",
        t.ARTIFACT_REGISTRY_REPOSITORY,
        {"repositoryId": "kfp", "format": "KFP", "location": "europe"},
        PASS,
        {"allowedRegions": ["europe-west4", "EU"]},
    ),
    Example(
        "location-eu-residency",
        "an Artifact Registry repository in the `us` multi-region",
        t.ARTIFACT_REGISTRY_REPOSITORY,
        {"repositoryId": "kfp", "format": "KFP", "location": "us"},
        FAIL,
        {"euResidency": True},
    ),
    Example(
        "location-eu-residency",
        "an Artifact Registry repository in London",
        t.ARTIFACT_REGISTRY_REPOSITORY,
        {"repositoryId": "kfp", "format": "KFP", "location": "europe-west2"},
        FAIL,
        {"euResidency": True},
    ),
    Example(
        "location-eu-residency",
        "a pipeline template from a US Artifact Registry",
        t.SCHEDULER_JOB,
        job(
            labels=GOOD_BODY["labels"],
            templateUri="https://us-central1-kfp.pkg.dev/p/tunectl-pipelines/rlhf-pipeline/latest",
        ),
        FAIL,
        {"euResidency": True},
    ),
    Example(
        "location-eu-residency",
        "a pipeline template from the `europe` multi-region registry",
        t.SCHEDULER_JOB,
        job(
            labels=GOOD_BODY["labels"],
            templateUri="https://europe-kfp.pkg.dev/p/tunectl-pipelines/rlhf-pipeline/latest",
        ),
        PASS,
        {"euResidency": True},
    ),
    Example(
        "location-eu-residency",
        "a KMS key outside the EU",
        t.BUCKET,
        bucket(encryption={"defaultKmsKeyName": "projects/p/locations/us-east1/keyRings/r/cryptoKeys/k"}),
        FAIL,
        {"euResidency": True},
    ),
    # 11
    Example("quota-preference-justified", "justified", t.QUOTA_PREFERENCE, quota(), PASS),
    Example(
        "quota-preference-justified",
        "blank justification",
        t.QUOTA_PREFERENCE,
        quota(justification=" "),
        FAIL,
    ),
    Example(
        "quota-preference-justified", "no contact", t.QUOTA_PREFERENCE, quota(contactEmail="ml-team"), FAIL
    ),
    Example(
        "quota-preference-within-ceiling",
        "at the ceiling",
        t.QUOTA_PREFERENCE,
        quota("64"),
        PASS,
        {"ceilings": {"*tpu*": 64}},
    ),
    Example(
        "quota-preference-within-ceiling",
        "above it",
        t.QUOTA_PREFERENCE,
        quota("128"),
        FAIL,
        {"ceilings": {"*tpu*": 64}},
    ),
    Example(
        "quota-preference-within-ceiling",
        "the tightest match wins",
        t.QUOTA_PREFERENCE,
        quota("64"),
        FAIL,
        {"ceilings": {"*": 1000, "*TpuV3*": 32}},
    ),
    Example(
        "quota-preference-within-ceiling",
        "no ceiling for the id",
        t.QUOTA_PREFERENCE,
        quota(),
        FAIL,
        {"ceilings": {}},
    ),
    Example(
        "quota-preference-within-ceiling",
        "-1 (unlimited)",
        t.QUOTA_PREFERENCE,
        quota("-1"),
        FAIL,
        {"ceilings": {"*tpu*": 64}},
    ),
    Example(
        "quota-preference-within-ceiling",
        "zero",
        t.QUOTA_PREFERENCE,
        quota("0"),
        PASS,
        {"ceilings": {"*tpu*": 64}},
    ),
    Example("quota-preference-within-ceiling", "not a number", t.QUOTA_PREFERENCE, quota("lots"), FAIL),
    # 12
    Example("labels-required", "labelled bucket", t.BUCKET, bucket(), PASS, {"requiredLabels": ["team"]}),
    Example(
        "labels-required",
        "bucket without team",
        t.BUCKET,
        bucket(labels={"env": "x"}),
        FAIL,
        {"requiredLabels": ["team"]},
    ),
    Example("labels-required", "labelled body", t.SCHEDULER_JOB, job(), PASS, {"requiredLabels": ["team"]}),
    Example(
        "labels-required",
        "body without the schedule label",
        t.SCHEDULER_JOB,
        job(labels={"team": "ml"}),
        FAIL,
        {"requiredScheduleLabels": ["tunectl-schedule"]},
    ),
    Example(
        "labels-required",
        "a body that is not base64 JSON",
        t.SCHEDULER_JOB,
        {"httpTarget": {"uri": VERTEX_URI, "body": "{not base64}"}},
        FAIL,
    ),
    Example(
        "labels-valid-syntax",
        "valid labels",
        t.BUCKET,
        bucket(labels={"team": "ml-platform", "cost_centre": "42"}),
        PASS,
    ),
    Example("labels-valid-syntax", "an uppercase key", t.BUCKET, bucket(labels={"Team": "ml"}), FAIL),
    Example(
        "labels-valid-syntax",
        "a value with a dot",
        t.BIGQUERY_DATASET,
        {"location": "EU", "labels": {"v": "1.0"}},
        FAIL,
    ),
    Example(
        "labels-valid-syntax", "65 labels", t.BUCKET, bucket(labels={f"k{i}": "v" for i in range(65)}), FAIL
    ),
    Example(
        "labels-valid-syntax",
        "a bad label in the job body",
        t.SCHEDULER_JOB,
        job(labels={"run id": "x"}),
        FAIL,
    ),
    # 14 (advisory)
    Example(
        "storage-artifacts-lifecycle",
        "expiring artifacts",
        t.BUCKET,
        bucket(lifecycleRules=[{"action": {"type": "Delete"}, "condition": {"age": 30}}]),
        PASS,
    ),
    Example(
        "storage-artifacts-lifecycle", "the datasets bucket keeps data", t.BUCKET, datasets_bucket(), PASS
    ),
    Example("storage-artifacts-lifecycle", "artifacts kept forever", t.BUCKET, bucket(), FAIL),
    # Reinforcement tuning: the reward service's one grant, and the `us` serving location.
    Example(
        "cloud-run-invoker-only-tuning-agent",
        "run.invoker for the tuning service agent",
        t.CLOUD_RUN_SERVICE_IAM_MEMBER,
        {
            "project": "p",
            "location": "europe-west4",
            "name": "reward",
            "role": "roles/run.invoker",
            "member": TUNING_AGENT,
        },
        PASS,
    ),
    Example(
        "cloud-run-invoker-only-tuning-agent",
        "run.invoker for a user",
        t.CLOUD_RUN_SERVICE_IAM_MEMBER,
        {
            "project": "p",
            "location": "europe-west4",
            "name": "reward",
            "role": "roles/run.invoker",
            "member": "user:a@example.com",
        },
        FAIL,
    ),
    Example(
        "cloud-run-invoker-only-tuning-agent",
        "run.developer for the agent",
        t.CLOUD_RUN_SERVICE_IAM_MEMBER,
        {
            "project": "p",
            "location": "europe-west4",
            "name": "reward",
            "role": "roles/run.developer",
            "member": TUNING_AGENT,
        },
        FAIL,
    ),
    Example(
        "cloud-run-invoker-only-tuning-agent",
        "a whole service policy",
        "gcp:cloudrunv2/serviceIamPolicy:ServiceIamPolicy",
        {"project": "p", "location": "europe-west4", "name": "reward", "policyData": "{}"},
        FAIL,
    ),
    Example(
        "location-eu-residency",
        "a reinforcement job, whose model is served from us",
        t.SCHEDULER_JOB,
        job(
            uri=VERTEX_URI.replace("/v1/", "/v1beta1/"),
            labels=GOOD_BODY["labels"],
            baseModel="gemini-3.5-flash",
            reinforcementTuningSpec={"trainingDatasetUri": "gs://b/t.jsonl"},
        ),
        FAIL,
        {"euResidency": True},
    ),
]


def violations_of(example: Example) -> list[str]:
    rule = RULES_BY_ID[example.rule]
    assert isinstance(rule, ResourceRule)
    return rule.check(example.type, example.props, {**rule.defaults(), **example.config})


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"{e.rule}: {e.why}" for e in EXAMPLES])
def test_rule_on_example(example: Example) -> None:
    found = violations_of(example)
    if example.fails:
        assert found, f"{example.rule} should reject: {example.why}"
        assert all(isinstance(message, str) and message for message in found)
    else:
        assert found == [], f"{example.rule} should accept: {example.why}; got {found}"


def test_every_resource_rule_has_a_passing_and_a_failing_example() -> None:
    for rule in RESOURCE_RULES:
        outcomes = {e.fails for e in EXAMPLES if e.rule == rule.id}
        assert outcomes == {PASS, FAIL}, f"{rule.id} needs a passing and a failing example"


def test_resource_rules_ignore_types_they_do_not_govern() -> None:
    service = {"project": "p", "service": "aiplatform.googleapis.com", "disableOnDestroy": False}
    for rule in RESOURCE_RULES:
        config = {**rule.defaults(), "requireCmek": True, "euResidency": True}
        assert rule.check("gcp:projects/service:Service", service, config) == [], rule.id


def _stack(*types: str) -> list[StackResource]:
    return [StackResource(type=token, name=f"r{i}", props={}) for i, token in enumerate(types)]


@pytest.mark.parametrize(
    ("rule_id", "present", "missing"),
    [
        ("stack-has-budget", _stack(t.BUDGET, t.BUCKET), _stack(t.BUCKET)),
        ("stack-has-billing-export-dataset", _stack(t.BIGQUERY_DATASET), _stack(t.BUDGET)),
    ],
)
def test_stack_rule_needs_its_resource(
    rule_id: str, present: list[StackResource], missing: list[StackResource]
) -> None:
    rule = RULES_BY_ID[rule_id]
    assert isinstance(rule, StackRule)
    assert rule.check(present, rule.defaults()) == []
    findings = rule.check(missing, rule.defaults())
    assert len(findings) == 1 and findings[0].resource is None


def test_every_rule_tells_the_fix_and_has_a_kebab_case_id() -> None:
    for rule in (*RESOURCE_RULES, *STACK_RULES):
        assert rule.id == rule.id.lower() and " " not in rule.id and "_" not in rule.id
        assert len(rule.description) > 60, f"{rule.id}: the description should say how to comply"
        for name, schema in rule.config.items():
            assert "default" in schema and "description" in schema, f"{rule.id}.{name}"


def test_pack_eu_table_covers_every_eu_region_the_stack_accepts() -> None:
    from infra.regions import EU_REGIONS as STACK_EU_REGIONS

    assert STACK_EU_REGIONS <= EU_REGIONS
    assert not {"europe-west2", "europe-west6"} & EU_REGIONS


def test_unlimited_quota_message_says_what_minus_one_means() -> None:
    rule = RULES_BY_ID["quota-preference-within-ceiling"]
    assert isinstance(rule, ResourceRule)
    [message] = rule.check(t.QUOTA_PREFERENCE, quota("-1"), {"ceilings": {"*tpu*": 64}})
    assert "-1 means unlimited" in message and "64" in message


def test_gpu_rlhf_body_reports_where_it_trains() -> None:
    from policies.rules.location import locations_of

    found = dict(locations_of(t.SCHEDULER_JOB, rlhf_job(location="europe-west4", accelerator_type="GPU")))
    assert found["httpTarget.body.runtimeConfig.parameterValues.accelerator_type"] == "us-central1"


def _reward_stack(project: str, location: str) -> list[StackResource]:
    return [
        StackResource(t.SERVICE_ACCOUNT, "tuning-sa", {"project": "p", "accountId": "tunectl-tuning"}),
        StackResource(t.SCHEDULER_JOB, "schedule-rl", job()),
        StackResource(
            t.CLOUD_RUN_SERVICE_IAM_MEMBER,
            "reward-service-invoker",
            {
                "project": project,
                "location": location,
                "name": "reward",
                "role": "roles/run.invoker",
                "member": TUNING_AGENT,
            },
        ),
    ]


def test_reward_service_must_be_in_the_stacks_project_and_region() -> None:
    rule = RULES_BY_ID["cloud-run-reward-service-in-stack"]
    assert isinstance(rule, StackRule)
    assert rule.check(_reward_stack("p", "europe-west4"), rule.defaults()) == []
    assert rule.check(_stack(t.BUCKET), rule.defaults()) == []  # no reward service, nothing to check
    for project, location in (("other", "europe-west4"), ("p", "us-central1")):
        [finding] = rule.check(_reward_stack(project, location), rule.defaults())
        assert finding.resource == "reward-service-invoker"
        assert "stack's project `p` and region `europe-west4`" in finding.message
