"""Pulumi type tokens the rules look at (pulumi-gcp 10.x; checked in the installed package)."""

from __future__ import annotations

BUCKET = "gcp:storage/bucket:Bucket"
SERVICE_ACCOUNT = "gcp:serviceaccount/account:Account"
SERVICE_ACCOUNT_KEY = "gcp:serviceaccount/key:Key"
SERVICE_ACCOUNT_IAM = frozenset(
    {
        "gcp:serviceaccount/iAMMember:IAMMember",
        "gcp:serviceaccount/iAMBinding:IAMBinding",
        "gcp:serviceaccount/iAMPolicy:IAMPolicy",
    }
)
PROJECT_IAM = frozenset(
    {
        "gcp:projects/iAMMember:IAMMember",
        "gcp:projects/iAMBinding:IAMBinding",
        "gcp:projects/iAMPolicy:IAMPolicy",
    }
)
HMAC_KEY = "gcp:storage/hmacKey:HmacKey"
SCHEDULER_JOB = "gcp:cloudscheduler/job:Job"
# Cloud Run (v2) service IAM: the reward service of reinforcement tuning.
CLOUD_RUN_SERVICE_IAM_MEMBER = "gcp:cloudrunv2/serviceIamMember:ServiceIamMember"
CLOUD_RUN_SERVICE_IAM = frozenset(
    {
        CLOUD_RUN_SERVICE_IAM_MEMBER,
        "gcp:cloudrunv2/serviceIamBinding:ServiceIamBinding",
        "gcp:cloudrunv2/serviceIamPolicy:ServiceIamPolicy",
    }
)
QUOTA_PREFERENCE = "gcp:cloudquota/sQuotaPreference:SQuotaPreference"
BUDGET = "gcp:billing/budget:Budget"
BIGQUERY_DATASET = "gcp:bigquery/dataset:Dataset"
ARTIFACT_REGISTRY_REPOSITORY = "gcp:artifactregistry/repository:Repository"
# Legacy (fine-grained) Cloud Storage ACLs: one entry (`entity`) per resource, or a whole list
# (`roleEntities`, "ROLE:entity") plus canned ACL names (`predefinedAcl`, `defaultAcl`).
BUCKET_ACCESS_CONTROL = "gcp:storage/bucketAccessControl:BucketAccessControl"
DEFAULT_OBJECT_ACCESS_CONTROL = "gcp:storage/defaultObjectAccessControl:DefaultObjectAccessControl"
OBJECT_ACCESS_CONTROL = "gcp:storage/objectAccessControl:ObjectAccessControl"
BUCKET_ACL = "gcp:storage/bucketACL:BucketACL"
DEFAULT_OBJECT_ACL = "gcp:storage/defaultObjectACL:DefaultObjectACL"
OBJECT_ACL = "gcp:storage/objectACL:ObjectACL"
STORAGE_ACLS = frozenset(
    {
        BUCKET_ACCESS_CONTROL,
        DEFAULT_OBJECT_ACCESS_CONTROL,
        OBJECT_ACCESS_CONTROL,
        BUCKET_ACL,
        DEFAULT_OBJECT_ACL,
        OBJECT_ACL,
    }
)
