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
QUOTA_PREFERENCE = "gcp:cloudquota/sQuotaPreference:SQuotaPreference"
BUDGET = "gcp:billing/budget:Budget"
BIGQUERY_DATASET = "gcp:bigquery/dataset:Dataset"
